//! The `faults` section and the RPO/RTO targets that need it: checked (the section's paths
//! prefixed `faults.`), each spot pool's rate (the catalog's Spot Advisor band unless the
//! experiment gives one) and notice resolved, and the warm standbys of an active-passive load
//! balancer sized.

use models::faults::failover::standby_floors;
use models::faults::plan::{FaultsPlan, SpotPlan};
use models::faults::spot::Cloud;
use models::hpa::model::HpaPlan;
use models::plan::{PoolPlan, ServicePlan};

use super::Experiment;
use crate::error::{FieldError, fail};

/// The faults plan, `None` without a `faults` section. Each standby deployment starts at
/// `standby_min_replicas`, and its HPA's `min_replicas` is raised to it (within
/// `max_replicas`) so that the standby stays warm while it takes no traffic.
pub fn resolve(
    x: &Experiment,
    pools: &[PoolPlan],
    services: &mut [ServicePlan],
    hpas: &mut [HpaPlan],
) -> Result<Option<FaultsPlan>, FieldError> {
    check_recovery_targets(x)?;
    let Some(f) = x.faults.as_ref() else {
        return Ok(None);
    };
    let in_section =
        |e: models::faults::ConfigError| FieldError::new(e.path, e.message).within("faults");
    f.validate().map_err(in_section)?;
    f.check_references(&x.regions, &x.node_pools, &x.services)
        .map_err(in_section)?;
    for (field, set) in [
        ("rpo", f.targets.rpo.is_some()),
        ("rto", f.targets.rto.is_some()),
    ] {
        if set {
            return fail(
                format!("faults.targets.{field}"),
                format!(
                    "write the {} target with the others, in the experiment's `targets` \
                     section (`targets: ({field}: ...)`); `faults.targets` holds only `rto_hold`",
                    field.to_uppercase()
                ),
            );
        }
    }
    if let Some(r) = &f.replication
        && let Some(w) = &r.writes_per_request
        && !services
            .iter()
            .any(|s| s.name == w.service && s.region == r.primary)
    {
        return fail(
            "faults.replication.writes_per_request.service",
            format!(
                "service `{}` does not run in the primary region `{}`: expected a service \
                 of the primary",
                w.service, r.primary
            ),
        );
    }
    let cloud = Cloud::from(x.provider);
    let pool_clouds: Vec<Cloud> = pools
        .iter()
        .map(|p| {
            x.regions
                .iter()
                .find(|r| r.name == p.region)
                .map_or(cloud, |r| Cloud::from(x.provider_of(r)))
        })
        .collect();
    let mut spot = Vec::new();
    for (i, sp) in f.spot.iter().enumerate() {
        // `check_references` has checked that the pool exists.
        let Some(p) = pools.iter().position(|p| p.name == sp.pool) else {
            continue;
        };
        let rate_per_node_hour = sp
            .rate_per_node_hour(pools[p].instance.interruption_band.as_deref())
            .map_err(|m| FieldError::new(format!("faults.spot[{i}].interruptions"), m))?;
        spot.push(SpotPlan {
            pool: p as u32,
            rate_per_node_hour,
            timings: sp.timings(pool_clouds[p]),
        });
    }
    if let Some(failover) = &f.failover {
        let regions: Vec<String> = x.regions.iter().map(|r| r.name.clone()).collect();
        for (id, floor) in standby_floors(failover, &regions, services) {
            let replicas = match hpas.iter_mut().find(|h| h.service == id) {
                Some(h) => {
                    let c = &mut h.config;
                    c.min_replicas = c.min_replicas.max(floor).min(c.max_replicas);
                    c.min_replicas
                }
                None => floor,
            };
            services[id as usize].replicas = replicas;
        }
    }
    Ok(Some(FaultsPlan {
        config: f.clone(),
        spot,
        cloud,
        pool_clouds,
        regions: x.regions.clone(),
    }))
}

/// The RPO needs replication, the RTO a regional outage to be measured from.
fn check_recovery_targets(x: &Experiment) -> Result<(), FieldError> {
    let faults = x.faults.as_ref();
    if x.targets.rpo.is_some() && faults.is_none_or(|f| f.replication.is_none()) {
        return fail(
            "targets.rpo",
            "the RPO is the data a failure of the replication primary loses: expected a \
             `faults.replication` section beside it",
        );
    }
    if let Some(rto) = x.targets.rto {
        if rto.is_zero() {
            return fail("targets.rto", "expected a positive duration such as \"1h\"");
        }
        if faults.is_none_or(|f| f.region_outages.is_empty()) {
            return fail(
                "targets.rto",
                "the RTO is measured from a regional outage: expected `faults.region_outages` \
                 beside it",
            );
        }
    }
    Ok(())
}
