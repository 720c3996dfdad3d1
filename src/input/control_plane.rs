//! Checks the `control_plane` section and resolves it into the cluster's
//! [`ControlPlanePlan`]: absent, no limit (`limits: None`); written, each limit as written or
//! its upstream default (`models::control_plane::config`). The limits apply to every region's
//! control plane alike: each region is its own cluster, with its own kube-controller-manager
//! and kube-scheduler (`models::control_plane::state::RegionPlane`).

use std::collections::BTreeMap;

use models::control_plane::config::ControlPlaneSettings;
use models::control_plane::{ControlPlanePlan, Limits};
use sim::time::SimDuration;

use super::Experiment;
use crate::error::FieldError;

/// Rates of a client or the scheduler, per second: a thousandth (a request every 17 min) to
/// a million; bursts up to a million. Within them a token bucket's arithmetic stays far from
/// overflowing a nanosecond `u64`.
const MIN_RATE: f64 = 0.001;
const MAX_RATE: f64 = 1e6;
const MAX_BURST: u32 = 1_000_000;
/// A pull of the largest image at the slowest bandwidth takes 2^40 / 2^10 s ≈ 34 years.
const MIN_PULL_BYTES_PER_S: u64 = 1 << 10;
const MAX_IMAGE_BYTES: u64 = 1 << 40;
const MAX_BINDING_LATENCY: SimDuration = SimDuration::from_secs(600);

/// The control plane's limits for the run.
pub fn resolve(x: &Experiment) -> Result<ControlPlanePlan, FieldError> {
    let Some(c) = &x.control_plane.0 else {
        return Ok(ControlPlanePlan::default());
    };
    check(c)?;
    let cm = &c.controller_manager;
    let s = &c.scheduler;
    let k = &c.kubelet;
    let mut image_bytes = BTreeMap::new();
    for (i, service) in x.services.iter().enumerate() {
        if let Some(image) = service.image {
            if !(1..=MAX_IMAGE_BYTES).contains(&image.size.0) {
                return Err(FieldError::new(
                    format!("services[{i}].image.size"),
                    "an image from one byte to 1Ti, e.g. \"800Mi\"",
                ));
            }
            image_bytes.insert(service.name.clone(), image.size.0);
        }
    }
    Ok(ControlPlanePlan {
        limits: Some(Limits {
            controller_client: cm.qps.map(|q| (q, cm.burst)),
            burst_replicas: cm.burst_replicas,
            slow_start: cm.slow_start,
            scheduler_client: s.qps.map(|q| (q, s.burst)),
            scheduler_pods_per_s: s.pods_per_s,
            binding_latency_ns: s.binding_latency.as_nanos(),
            pull_slots: if k.serialize_image_pulls {
                Some(1)
            } else {
                k.max_parallel_image_pulls
            },
            pull_bytes_per_s: k.image_pull_bytes_per_s.map(|b| b.0),
            image_bytes,
            default_image_bytes: k.default_image_size.0,
            boot: c.node_boot.map(|b| (b.low, b.high)),
        }),
    })
}

/// Rates positive and finite, bursts and sizes at least one, bandwidth non-zero, boot bounds
/// ordered and positive.
fn check(c: &ControlPlaneSettings) -> Result<(), FieldError> {
    let rate = |path: &str, v: Option<f64>| match v {
        Some(q) if !(q.is_finite() && (MIN_RATE..=MAX_RATE).contains(&q)) => Err(FieldError::new(
            format!("control_plane.{path}"),
            format!(
                "a positive number per second from {MIN_RATE} to {MAX_RATE}, or None for no limit (got {q})"
            ),
        )),
        _ => Ok(()),
    };
    let at_least_one = |path: &str, v: u32| {
        if v == 0 || v > MAX_BURST {
            Err(FieldError::new(
                format!("control_plane.{path}"),
                format!("from 1 to {MAX_BURST} (got {v})"),
            ))
        } else {
            Ok(())
        }
    };
    let cm = &c.controller_manager;
    rate("controller_manager.qps", cm.qps)?;
    at_least_one("controller_manager.burst", cm.burst)?;
    if let Some(b) = cm.burst_replicas {
        at_least_one("controller_manager.burst_replicas", b)?;
    }
    let s = &c.scheduler;
    rate("scheduler.qps", s.qps)?;
    at_least_one("scheduler.burst", s.burst)?;
    rate("scheduler.pods_per_s", s.pods_per_s)?;
    if s.binding_latency > MAX_BINDING_LATENCY {
        return Err(FieldError::new(
            "control_plane.scheduler.binding_latency",
            format!("at most {MAX_BINDING_LATENCY} (got {})", s.binding_latency),
        ));
    }
    let k = &c.kubelet;
    if let Some(m) = k.max_parallel_image_pulls {
        at_least_one("kubelet.max_parallel_image_pulls", m)?;
        if k.serialize_image_pulls {
            return Err(FieldError::new(
                "control_plane.kubelet.max_parallel_image_pulls",
                "no value while serialize_image_pulls is true (the kubelet requires \
                 serializeImagePulls: false for parallel pulls)",
            ));
        }
    }
    if k.image_pull_bytes_per_s
        .is_some_and(|b| b.0 < MIN_PULL_BYTES_PER_S)
    {
        return Err(FieldError::new(
            "control_plane.kubelet.image_pull_bytes_per_s",
            "a positive bandwidth per second of at least 1Ki, e.g. \"125Mi\", or None for instant pulls",
        ));
    }
    if !(1..=MAX_IMAGE_BYTES).contains(&k.default_image_size.0) {
        return Err(FieldError::new(
            "control_plane.kubelet.default_image_size",
            "an image from one byte to 1Ti, e.g. \"500Mi\"",
        ));
    }
    if let Some(b) = c.node_boot {
        let ok = b.low.is_finite() && b.high.is_finite() && b.low > 0.0 && b.low <= b.high;
        if !ok || b.high > 100.0 {
            return Err(FieldError::new(
                "control_plane.node_boot",
                format!(
                    "factors with 0 < low ≤ high ≤ 100 of the pool's provisioning_delay (got low {}, high {})",
                    b.low, b.high
                ),
            ));
        }
    }
    Ok(())
}
