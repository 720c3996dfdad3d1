//! `policies.node_pools[i]`: a node-pool threshold policy checked and resolved into one
//! `PoolPolicyPlan` (`models::policy::pools`): its pools exist, are of one region, have a
//! `max_nodes`, belong to no other pool policy and to no Cluster Autoscaler (one owner of a
//! pool's size).

use std::path::Path;
use std::sync::Arc;

use models::api::{PoolTemplate, ViewRequest};
use models::autoscaler::expansion::capacity_of;
use models::plan::PoolPlan;
use models::policy::config::{CostAware, PoolForecast, PoolPolicy, Step};
use models::policy::model::PolicyPlan;
use models::policy::pool_model::PoolPolicyPlan;
use sim::time::SimDuration;

use super::predictive::{Fields, check_forecast, sample_history};
use super::threshold::check_condition;
use super::{Experiment, check_interval, check_name};
use crate::error::{FieldError, fail};

/// The longest graceful decommission: Dataproc's bound, one day.
const MAX_DECOMMISSION_S: u64 = 24 * 3600;

/// One node-pool policy; errors relative to it.
pub fn node_pools(
    x: &Experiment,
    base_dir: &Path,
    policy: &PoolPolicy,
    pools: &[PoolPlan],
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    check_name(&policy.name, "dataproc-workers")?;
    if policy.pools.is_empty() {
        return fail(
            "pools",
            "expected at least one pool, such as `[(pool: \"workers\")]`",
        );
    }
    if policy.scale_up.is_empty() && policy.scale_down.is_empty() && policy.forecast.is_none() {
        return fail(
            "scale_up",
            "expected at least one condition in `scale_up` or `scale_down`, or a `forecast`",
        );
    }
    for (list, conditions) in [
        ("scale_up", &policy.scale_up),
        ("scale_down", &policy.scale_down),
    ] {
        for (j, c) in conditions.iter().enumerate() {
            check_condition(c).map_err(|e| e.within(&format!("{list}[{j}]")))?;
        }
    }
    for (field, step) in [("step_up", policy.step_up), ("step_down", policy.step_down)] {
        check_node_step(step).map_err(|message| FieldError::new(field, message))?;
    }
    check_interval("evaluation_interval", policy.evaluation_interval)?;
    if policy.graceful_decommission_timeout > SimDuration::from_secs(MAX_DECOMMISSION_S) {
        return fail(
            "graceful_decommission_timeout",
            "expected at most \"24h\" (Dataproc's bounds for `gracefulDecommissionTimeout`: 0s \
             to 1d)",
        );
    }
    if let Some(b) = &policy.budget {
        check_budget(b).map_err(|e| e.within("budget"))?;
    }
    let history = match &policy.forecast {
        Some(f) => forecast(x, base_dir, policy, f).map_err(|e| e.within("forecast"))?,
        None => Vec::new(),
    };
    let mut resolved = PoolPolicyPlan {
        policy: policy.clone(),
        request: Arc::new(ViewRequest {
            region: String::new(),
            groups: policy.pools.len() as u32,
            pools: Vec::new(),
            in_flight: false,
            pending_only: false,
            nodes_only_below: None,
            drains: None,
            pods_only_in: None,
        }),
        pools: Vec::new(),
        capacity_types: Vec::new(),
        min_nodes: Vec::new(),
        max_nodes: Vec::new(),
        history,
    };
    let mut templates = Vec::new();
    let mut region: Option<&str> = None;
    for (j, share) in policy.pools.iter().enumerate() {
        let at = |field: &str| format!("pools[{j}].{field}");
        let Some(id) = pools.iter().position(|p| p.name == share.pool) else {
            let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
            return fail(
                at("pool"),
                format!(
                    "unknown node pool `{}`: expected one of {}",
                    share.pool,
                    names.join(", ")
                ),
            );
        };
        let pool = &pools[id];
        if resolved.pools.contains(&(id as u32))
            || plan.pools.iter().any(|p| p.pools.contains(&(id as u32)))
        {
            return fail(
                at("pool"),
                format!(
                    "node pool `{}` is already scaled by a pool policy: expected one owner of \
                     its size",
                    pool.name
                ),
            );
        }
        match region {
            Some(r) if r != pool.region => {
                return fail(
                    at("pool"),
                    format!(
                        "node pool `{}` is in {}, the policy's other pools in {r}: expected \
                         pools of one region",
                        pool.name, pool.region
                    ),
                );
            }
            _ => region = Some(&pool.region),
        }
        if x.node_autoscaling
            .iter()
            .any(|n| n.region == pool.region && n.cluster_autoscaler.is_some())
        {
            return fail(
                at("pool"),
                format!(
                    "node pool `{}` is a node group of {}'s Cluster Autoscaler: expected one \
                     owner of its size (remove the region's `cluster_autoscaler`, or this \
                     policy)",
                    pool.name, pool.region
                ),
            );
        }
        let Some(max) = pool.max_nodes else {
            return fail(
                at("pool"),
                format!(
                    "node pool `{}` has no `max_nodes`: expected the pool's bounds, such as \
                     `min_nodes: 2, max_nodes: 10`",
                    pool.name
                ),
            );
        };
        templates.push(PoolTemplate {
            pool: id as u32,
            group: j as u32,
            instance_type: pool.instance.instance_type.as_str().into(),
            capacity: capacity_of(&pool.instance),
        });
        resolved.pools.push(id as u32);
        resolved.capacity_types.push(pool.capacity_type);
        resolved.min_nodes.push(pool.min_nodes);
        resolved.max_nodes.push(max);
    }
    if policy.pools.iter().all(|p| p.weight == 0) {
        return fail(
            "pools[0].weight",
            "expected a weight above 0 for at least one pool",
        );
    }
    let min_total: u32 = resolved.min_nodes.iter().sum();
    if let Some(max) = policy.max_nodes
        && max < min_total.max(1)
    {
        return fail(
            "max_nodes",
            format!("expected at least the pools' min_nodes in all ({min_total}), and 1"),
        );
    }
    resolved.request = Arc::new(ViewRequest {
        region: region.unwrap_or_default().to_owned(),
        groups: policy.pools.len() as u32,
        pools: templates,
        in_flight: false,
        pending_only: false,
        nodes_only_below: None,
        drains: None,
        pods_only_in: None,
    });
    plan.pools.push(resolved);
    Ok(())
}

/// The forecast's settings checked, its step a whole number of evaluations; its history.
fn forecast(
    x: &Experiment,
    base_dir: &Path,
    policy: &PoolPolicy,
    f: &PoolForecast,
) -> Result<Vec<f64>, FieldError> {
    check_forecast(&Fields {
        step: f.step,
        period: f.period,
        lead_time: f.lead_time,
        target_utilization: f.target_utilization,
        headroom_sigmas: f.headroom_sigmas,
        error_window: f.error_window,
        smoothing: f.smoothing,
    })?;
    if !f
        .step
        .as_nanos()
        .is_multiple_of(policy.evaluation_interval.as_nanos())
    {
        return fail(
            "step",
            format!(
                "expected a whole number of the policy's evaluation_interval ({})",
                policy.evaluation_interval
            ),
        );
    }
    sample_history(x, base_dir, &policy.name, f.step, f.history.as_ref())
}

/// A step of at least one node, or a positive finite percentage.
fn check_node_step(step: Step) -> Result<(), String> {
    match step {
        Step::Nodes(n) if n < 1 => Err(format!(
            "expected at least 1 node, such as `Nodes(1)`; found {n}"
        )),
        Step::Pods(_) => {
            Err("expected a step of nodes, such as `Nodes(2)`, or `Percent(50)`".into())
        }
        Step::Percent(p) if !(p.is_finite() && p > 0.0) => {
            Err("expected a percentage above 0, such as `Percent(50)`".into())
        }
        _ => Ok(()),
    }
}

/// A positive budget and shares in their ranges.
fn check_budget(b: &CostAware) -> Result<(), FieldError> {
    super::check_allowance(b.budget_usd, b.budget_usd_per_hour)?;
    for (field, v, lo_open) in [
        ("low_share", b.low_share, true),
        ("step_factor", b.step_factor, true),
        ("spot_share", b.spot_share, false),
    ] {
        let ok = v.is_finite() && v <= 1.0 && if lo_open { v > 0.0 } else { v >= 0.0 };
        if !ok {
            let range = if lo_open { "in (0, 1]" } else { "in [0, 1]" };
            return fail(field, format!("expected a share {range}, such as 0.3"));
        }
    }
    Ok(())
}
