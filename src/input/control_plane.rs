//! Checks the `control_plane` section and resolves it into the cluster's
//! [`ControlPlanePlan`]: absent, no limit (`limits: None`); written, each limit as written or
//! its upstream default (`models::control_plane::config`).

use std::collections::BTreeMap;

use models::control_plane::config::ControlPlaneSettings;
use models::control_plane::{ControlPlanePlan, Limits};

use super::Experiment;
use crate::error::FieldError;

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
            if image.size.0 == 0 {
                return Err(FieldError::new(
                    format!("services[{i}].image.size"),
                    "an image of at least one byte, e.g. \"800Mi\"",
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
        Some(q) if !(q.is_finite() && q > 0.0) => Err(FieldError::new(
            format!("control_plane.{path}"),
            format!("a positive number per second, or None for no limit (got {q})"),
        )),
        _ => Ok(()),
    };
    let at_least_one = |path: &str, v: u32| {
        if v == 0 {
            Err(FieldError::new(
                format!("control_plane.{path}"),
                "at least 1".to_owned(),
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
    if k.image_pull_bytes_per_s.is_some_and(|b| b.0 == 0) {
        return Err(FieldError::new(
            "control_plane.kubelet.image_pull_bytes_per_s",
            "a positive bandwidth per second, e.g. \"125Mi\", or None for instant pulls",
        ));
    }
    if k.default_image_size.0 == 0 {
        return Err(FieldError::new(
            "control_plane.kubelet.default_image_size",
            "an image of at least one byte, e.g. \"500Mi\"",
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
