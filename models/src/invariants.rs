//! The invariants every run keeps, by name, so that a run breaking one stops with that name
//! (`RunError::Invariant`, exit code 3) instead of writing wrong figures.
//!
//! Two kinds:
//! - **Inside the cluster**, checked on every message in debug builds (`cluster` panics with
//!   the invariant's name; the engine reports the panic): [`Invariant::PodsConserved`] (created
//!   = pending + starting + running + ready + terminating + gone, and the scheduling queue
//!   holds exactly the Pending pods), [`Invariant::AllocatedWithinAllocatable`] (on every node
//!   update), [`Invariant::NoPodOnGoneNode`] (when a node's instance goes).
//! - **Over the samples**, checked by the run loop in every build (a few comparisons per row):
//!   [`Invariant::CostNonDecreasing`] (every pool's and namespace's cost so far, to a relative
//!   1e-9: the `(unrequested)` namespace's cost is a remainder computed in floating point) and
//!   [`Invariant::RequestsConserved`] (per service and region, requests arrived = served +
//!   dropped + queued, to a relative 1e-9; the fluid queue only, as a request-level queue
//!   also holds requests in service).

use std::collections::BTreeMap;

use sim::time::SimTime;

use crate::api::{NamespaceSample, PoolSample, ServiceSample};

/// A named invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invariant {
    PodsConserved,
    AllocatedWithinAllocatable,
    NoPodOnGoneNode,
    CostNonDecreasing,
    RequestsConserved,
}

impl Invariant {
    /// The name a broken run reports.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::PodsConserved => "pods-conserved",
            Invariant::AllocatedWithinAllocatable => "allocated-within-allocatable",
            Invariant::NoPodOnGoneNode => "no-pod-on-gone-node",
            Invariant::CostNonDecreasing => "cost-non-decreasing",
            Invariant::RequestsConserved => "requests-conserved",
        }
    }
}

/// An invariant found broken at a sample instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub invariant: Invariant,
    pub at: SimTime,
    pub detail: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invariant `{}` broken at simulated t = {:.3} s: {}",
            self.invariant.name(),
            self.at.as_nanos() as f64 / 1e9,
            self.detail
        )
    }
}

/// Relative tolerance of [`Invariant::RequestsConserved`]: sums of many floats.
const REQUESTS_TOLERANCE: f64 = 1e-9;

/// Relative tolerance of [`Invariant::CostNonDecreasing`] (of the cost, or of $1 below it).
const COST_TOLERANCE: f64 = 1e-9;

/// Whether a cost so far fell from `before` to `now` by more than rounding.
fn fell(before: f64, now: f64) -> bool {
    now < before - COST_TOLERANCE * before.abs().max(1.0)
}

/// The running sums the sample invariants compare.
#[derive(Debug, Default)]
pub struct SampleInvariants {
    /// Whether queues are fluid (requests conservation is checked only then).
    fluid: bool,
    /// Per service row: arrived, served and dropped so far.
    requests: Vec<[f64; 3]>,
    /// Cost so far per region and pool, and per namespace (looked up by `&str`, so a sample
    /// allocates only for rows never seen).
    pool_cost: BTreeMap<String, BTreeMap<String, f64>>,
    namespace_cost: BTreeMap<String, f64>,
}

impl SampleInvariants {
    pub fn new(fluid: bool) -> SampleInvariants {
        SampleInvariants {
            fluid,
            ..SampleInvariants::default()
        }
    }

    /// The rows of the sample at `t`: services in a fixed order, pools, namespaces.
    pub fn observe(
        &mut self,
        t: SimTime,
        services: &[ServiceSample],
        pools: &[PoolSample],
        namespaces: &[NamespaceSample],
    ) -> Result<(), Broken> {
        let broken = |invariant, detail| Broken {
            invariant,
            at: t,
            detail,
        };
        self.requests.resize(services.len(), [0.0; 3]);
        for (sums, s) in self.requests.iter_mut().zip(services) {
            sums[0] += s.interval.arrived;
            sums[1] += s.interval.served;
            sums[2] += s.interval.dropped;
            let [arrived, served, dropped] = *sums;
            let queued = s.now.backlog_requests;
            let gap = arrived - served - dropped - queued;
            if self.fluid && gap.abs() > REQUESTS_TOLERANCE * arrived.max(1.0) {
                return Err(broken(
                    Invariant::RequestsConserved,
                    format!(
                        "{} in {}: arrived {arrived} ≠ served {served} + dropped {dropped} + \
                         queued {queued} (off by {gap})",
                        s.service, s.region
                    ),
                ));
            }
        }
        for p in pools {
            let before = last(
                last_map(&mut self.pool_cost, &p.region),
                &p.pool,
                p.cost_usd,
            );
            if fell(before, p.cost_usd) {
                return Err(broken(
                    Invariant::CostNonDecreasing,
                    format!(
                        "pool {} in {}: cost so far fell from ${before} to ${}",
                        p.pool, p.region, p.cost_usd
                    ),
                ));
            }
        }
        for n in namespaces {
            let before = last(&mut self.namespace_cost, &n.namespace, n.cost_usd);
            if fell(before, n.cost_usd) {
                return Err(broken(
                    Invariant::CostNonDecreasing,
                    format!(
                        "namespace {}: cost so far fell from ${before} to ${}",
                        n.namespace, n.cost_usd
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Stores `value` under `key` and returns what was there (0 for a new key).
fn last(map: &mut BTreeMap<String, f64>, key: &str, value: f64) -> f64 {
    match map.get_mut(key) {
        Some(v) => std::mem::replace(v, value),
        None => {
            map.insert(key.to_owned(), value);
            0.0
        }
    }
}

/// The inner map under `key`, created empty the first time.
fn last_map<'a>(
    map: &'a mut BTreeMap<String, BTreeMap<String, f64>>,
    key: &str,
) -> &'a mut BTreeMap<String, f64> {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), BTreeMap::new());
    }
    map.get_mut(key).expect("inserted above")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CapacityType;
    use crate::latency::{Counts, LatencyMs, Snapshot};

    fn service(arrived: f64, served: f64, dropped: f64, queued: f64) -> ServiceSample {
        ServiceSample {
            service: "api".into(),
            region: "r".into(),
            desired_pods: 1,
            ready_pods: 1,
            pending_pods: 0,
            now: Snapshot {
                arrival_rps: 0.0,
                capacity_rps: 0.0,
                utilization: 0.0,
                backlog_requests: queued,
                latency_ms: LatencyMs {
                    mean: 0.0,
                    p50: 0.0,
                    p95: 0.0,
                    p99: 0.0,
                },
            },
            interval: Counts {
                arrived,
                served,
                dropped,
                within_target: 0.0,
            },
            cpu_utilization: 0.0,
        }
    }

    fn pool(cost_usd: f64) -> PoolSample {
        PoolSample {
            pool: "p".into(),
            region: "r".into(),
            capacity_type: CapacityType::OnDemand,
            nodes: 1,
            cpu_requested_fraction: 0.0,
            allocatable_cpu_millis: 1000,
            cost_usd,
        }
    }

    #[test]
    fn requests_are_conserved_across_samples_and_a_gap_is_named() {
        let mut inv = SampleInvariants::new(true);
        let t = SimTime::from_secs(60);
        // 100 arrived: 60 served, 10 dropped, 30 queued; then the 30 are served.
        assert!(
            inv.observe(t, &[service(100.0, 60.0, 10.0, 30.0)], &[], &[])
                .is_ok()
        );
        assert!(
            inv.observe(t, &[service(0.0, 30.0, 0.0, 0.0)], &[], &[])
                .is_ok()
        );
        // One request unaccounted for.
        let e = inv
            .observe(t, &[service(10.0, 9.0, 0.0, 0.0)], &[], &[])
            .unwrap_err();
        assert_eq!(e.invariant, Invariant::RequestsConserved);
        assert!(
            e.to_string()
                .starts_with("invariant `requests-conserved` broken at"),
            "{e}"
        );
        // A request-level queue also holds requests in service: not checked.
        let mut request_level = SampleInvariants::new(false);
        assert!(
            request_level
                .observe(t, &[service(10.0, 9.0, 0.0, 0.0)], &[], &[])
                .is_ok()
        );
    }

    #[test]
    fn a_falling_cost_is_named() {
        let mut inv = SampleInvariants::new(true);
        let t = SimTime::from_secs(60);
        assert!(inv.observe(t, &[], &[pool(1.0)], &[]).is_ok());
        assert!(inv.observe(t, &[], &[pool(1.0)], &[]).is_ok());
        // A rounding error of a remainder is not a fall.
        assert!(inv.observe(t, &[], &[pool(1.0 - 1e-15)], &[]).is_ok());
        let e = inv.observe(t, &[], &[pool(0.5)], &[]).unwrap_err();
        assert_eq!(e.invariant, Invariant::CostNonDecreasing);
        assert!(e.detail.contains("pool p in r"), "{e}");
    }
}
