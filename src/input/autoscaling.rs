//! The `node_autoscaling` section: at most one node autoscaler per region, a Cluster
//! Autoscaler over the region's node pools or Karpenter's NodePools expanded into pools of
//! their own (`models::autoscaler::expansion`).

use models::api::PoolTemplate;
use models::autoscaler::config::{ClusterAutoscalerConfig, ConfigError, KarpenterConfig};
use models::autoscaler::expansion::{capacity_of, expand};
use models::autoscaler::model::{AutoscalerKind, NodeAutoscalerPlan};
use models::catalog::InstanceFacts;
use models::config::RegionConfig;
use models::plan::PoolPlan;
use sim::time::SimDuration;

use super::cluster::builtin_catalog;
use super::{Experiment, NodeAutoscalingConfig};
use crate::error::{FieldError, fail};

/// Launch → Ready of a Karpenter node when the experiment does not say: a node pool's default
/// `provisioning_delay` (`models::config::NodePoolConfig`).
const DEFAULT_KARPENTER_PROVISIONING_DELAY: SimDuration = SimDuration::from_secs(60);

/// One plan per entry, in the file's order. Karpenter's NodePools are expanded into pools
/// appended to `pools`.
pub fn resolve(
    x: &Experiment,
    pools: &mut Vec<PoolPlan>,
) -> Result<Vec<NodeAutoscalerPlan>, FieldError> {
    let mut plans = Vec::new();
    for (i, entry) in x.node_autoscaling.iter().enumerate() {
        let at = |f: &str| format!("node_autoscaling[{i}].{f}");
        let Some(region) = x.regions.iter().find(|r| r.name == entry.region) else {
            return fail(
                at("region"),
                format!("unknown region `{}`: declare it in `regions`", entry.region),
            );
        };
        if x.node_autoscaling[..i]
            .iter()
            .any(|o| o.region == entry.region)
        {
            return fail(
                at("region"),
                format!(
                    "region `{}` already has a node autoscaler: expected one per region",
                    entry.region
                ),
            );
        }
        let (groups, templates, kind) = match (&entry.cluster_autoscaler, &entry.karpenter) {
            (Some(config), None) => cluster_autoscaler(&at, entry, config, region, pools)?,
            (None, Some(config)) => karpenter(&at, x, entry, config, region, pools)?,
            _ => {
                return fail(
                    format!("node_autoscaling[{i}]"),
                    "expected exactly one of `cluster_autoscaler` and `karpenter`",
                );
            }
        };
        plans.push(NodeAutoscalerPlan {
            region: region.name.clone(),
            seed: x.seed,
            pools: templates,
            groups,
            kind,
            bounds: Vec::new(),
        });
    }
    Ok(plans)
}

/// Node groups, their templates and the autoscaler.
type Resolved = (u32, Vec<PoolTemplate>, AutoscalerKind);

/// A Cluster Autoscaler: every pool of the region is a node group, which needs a `max_nodes`.
/// `at` gives the path of a field of the entry (errors may also name a node pool).
fn cluster_autoscaler(
    at: &dyn Fn(&str) -> String,
    entry: &NodeAutoscalingConfig,
    config: &ClusterAutoscalerConfig,
    region: &RegionConfig,
    pools: &[PoolPlan],
) -> Result<Resolved, FieldError> {
    config
        .validate()
        .map_err(|e| config_error(&at("cluster_autoscaler"), e))?;
    if entry.provisioning_delay.is_some() {
        return fail(
            at("provisioning_delay"),
            "a Cluster Autoscaler's nodes take their pool's `provisioning_delay`: \
             expected it on the node pools",
        );
    }
    let mut templates = Vec::new();
    for (p, pool) in pools.iter().enumerate() {
        if pool.region != region.name {
            continue;
        }
        if pool.max_nodes.is_none() {
            return fail(
                format!("node_pools[{p}]"),
                format!(
                    "node pool `{}` is a node group of the Cluster Autoscaler of `{}`: \
                     expected a `max_nodes`",
                    pool.name, region.name
                ),
            );
        }
        templates.push(PoolTemplate {
            pool: p as u32,
            group: templates.len() as u32,
            instance_type: pool.instance.instance_type.as_str().into(),
            capacity: capacity_of(&pool.instance),
        });
    }
    if templates.is_empty() {
        return fail(
            at("cluster_autoscaler"),
            format!(
                "region `{}` has no node pool for the Cluster Autoscaler to scale: \
                 declare one in `node_pools`",
                region.name
            ),
        );
    }
    Ok((
        templates.len() as u32,
        templates,
        AutoscalerKind::ClusterAutoscaler(config.clone()),
    ))
}

/// Karpenter: its NodePools expanded over the catalog's instance types of the region into
/// pools appended to `pools`, whose names must not clash with the declared ones.
fn karpenter(
    at: &dyn Fn(&str) -> String,
    x: &Experiment,
    entry: &NodeAutoscalingConfig,
    config: &KarpenterConfig,
    region: &RegionConfig,
    pools: &mut Vec<PoolPlan>,
) -> Result<Resolved, FieldError> {
    let catalog = builtin_catalog(x.provider_of(region))?;
    let rows: Vec<InstanceFacts> = catalog
        .rows()
        .iter()
        .filter(|r| r.region == region.name)
        .cloned()
        .collect();
    let delay = entry
        .provisioning_delay
        .unwrap_or(DEFAULT_KARPENTER_PROVISIONING_DELAY);
    let expansion = expand(
        config,
        &region.name,
        &region.zones,
        &rows,
        pools.len() as u32,
        delay,
    )
    .map_err(|e| config_error(&at("karpenter"), e))?;
    for new in &expansion.pools {
        if let Some(p) = pools.iter().position(|p| p.name == new.name) {
            return fail(
                format!("node_pools[{p}].name"),
                format!(
                    "`{}` is also the name of a pool Karpenter's NodePools launch \
                     into: expected another name",
                    new.name
                ),
            );
        }
    }
    pools.extend(expansion.pools.iter().cloned());
    Ok((
        config.node_pools.len() as u32,
        expansion.templates.clone(),
        AutoscalerKind::Karpenter {
            expansion,
            zones: region.zones.clone(),
            provisioning_delay: delay,
        },
    ))
}

/// A field error at `section.path`, from a model's config check.
fn config_error(section: &str, e: ConfigError) -> FieldError {
    FieldError::new(format!("{section}.{}", e.path), e.message)
}
