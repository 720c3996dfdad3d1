//! The Cluster Autoscaler's Deployment → a `cluster_autoscaler` node autoscaler: its
//! container's flags (`command` and `args`, `--flag=value` or `--flag value`) that
//! `models::autoscaler::config::ClusterAutoscalerConfig` has, by the names of upstream's
//! `cluster-autoscaler/config/flags/flags.go` (1.36.1); every other flag is warned about as
//! ignored, with its place. The Deployment is recognised by its image
//! (`…/cluster-autoscaler:vX`), and is not a service. The priority expander's ConfigMap
//! (`cluster-autoscaler-priority-expander`, `data.priorities`: a YAML text of priority →
//! name patterns, `expander/priority/priority.go`) gives its `priorities`.

use models::autoscaler::config::{ClusterAutoscalerConfig, Expander, PriorityRule};
use sim::time::SimDuration;

use super::walk::{At, Warnings};
use super::yaml;
use crate::error::InputError;

const KIND: &str = "cluster-autoscaler";

/// Whether a workload runs the Cluster Autoscaler: a container whose image's last path
/// segment is `cluster-autoscaler` (any registry, any tag).
pub fn is_cluster_autoscaler(obj: &At) -> Result<bool, InputError> {
    Ok(match container(obj)? {
        Some(c) => {
            match c.get("image")? {
                Some(image) => image.str()?.rsplit('/').next().is_some_and(|last| {
                    last.split([':', '@']).next() == Some("cluster-autoscaler")
                }),
                None => false,
            }
        }
        None => false,
    })
}

/// The Cluster Autoscaler container of a workload: the first whose image names it, else the
/// first.
fn container<'a>(obj: &At<'a>) -> Result<Option<At<'a>>, InputError> {
    let items = obj.pod_containers()?;
    for c in &items {
        if let Some(image) = c.get("image")?
            && image.str()?.contains("cluster-autoscaler")
        {
            return Ok(Some(c.clone()));
        }
    }
    Ok(items.into_iter().next())
}

/// The flags of the Cluster Autoscaler's container, over upstream's defaults.
pub fn flags(obj: &At, w: &mut Warnings) -> Result<ClusterAutoscalerConfig, InputError> {
    let mut config = ClusterAutoscalerConfig::default();
    let Some(c) = container(obj)? else {
        return Ok(config);
    };
    let mut words = Vec::new();
    for key in ["command", "args"] {
        if let Some(list) = c.get(key)? {
            words.extend(list.items()?);
        }
    }
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        let text = word.scalar()?;
        let Some(flag) = text.strip_prefix("--").or_else(|| text.strip_prefix('-')) else {
            continue; // the program itself, `./cluster-autoscaler`
        };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n, v.to_owned()),
            None if is_bool(flag) => (flag, "true".to_owned()),
            None => match words.get(i) {
                Some(next) => {
                    i += 1;
                    (flag, next.scalar()?)
                }
                None => return Err(word.error(format!("`--{flag}` has no value"))),
            },
        };
        set(&mut config, name, &value, word, w)?;
    }
    Ok(config)
}

/// The boolean flags the config has, which may be written without a value.
fn is_bool(flag: &str) -> bool {
    flag == "scale-down-enabled"
}

/// Sets the field of flag `name`, or warns that the flag is ignored.
fn set(
    c: &mut ClusterAutoscalerConfig,
    name: &str,
    value: &str,
    at: &At,
    w: &mut Warnings,
) -> Result<(), InputError> {
    let duration = || SimDuration::parse(value).map_err(|e| at.error(e.message));
    let count = || {
        value
            .parse::<u32>()
            .map_err(|_| at.error(format!("expected a whole number, found `{value}`")))
    };
    match name {
        "scan-interval" => c.scan_interval = duration()?,
        "expander" => c.expanders = expanders(value, at)?,
        "max-node-provision-time" => c.max_node_provision_time = duration()?,
        "max-nodes-total" => c.max_nodes_total = count()?,
        "max-nodes-per-scaleup" => c.max_nodes_per_scale_up = count()?,
        "scale-down-enabled" => {
            c.scale_down_enabled = value
                .parse()
                .map_err(|_| at.error(format!("expected true or false, found `{value}`")))?;
        }
        "scale-down-utilization-threshold" => {
            c.scale_down_utilization_threshold = value
                .parse::<f64>()
                .ok()
                .filter(|t| (0.0..=1.0).contains(t))
                .ok_or_else(|| at.error(format!("expected a share in [0, 1], found `{value}`")))?;
        }
        "scale-down-unneeded-time" => c.scale_down_unneeded_time = duration()?,
        "scale-down-delay-after-add" => c.scale_down_delay_after_add = duration()?,
        "scale-down-delay-after-delete" => c.scale_down_delay_after_delete = duration()?,
        "scale-down-delay-after-failure" => c.scale_down_delay_after_failure = duration()?,
        "max-scale-down-parallelism" => c.max_scale_down_parallelism = count()?,
        "max-drain-parallelism" => c.max_drain_parallelism = count()?,
        "scale-down-non-empty-candidates-count" => {
            c.scale_down_non_empty_candidates_count = count()?;
        }
        "initial-node-group-backoff-duration" => c.initial_node_group_backoff = duration()?,
        "max-node-group-backoff-duration" => c.max_node_group_backoff = duration()?,
        other => w.note(
            at,
            format!("{KIND} flag --{other}: ignored (the simulator does not model it)"),
        ),
    }
    Ok(())
}

/// `--expander=least-waste,priority`: upstream's names.
fn expanders(value: &str, at: &At) -> Result<Vec<Expander>, InputError> {
    const ALL: [Expander; 5] = [
        Expander::Random,
        Expander::MostPods,
        Expander::LeastWaste,
        Expander::Price,
        Expander::Priority,
    ];
    value
        .split(',')
        .map(|name| {
            ALL.into_iter()
                .find(|e| e.as_str() == name.trim())
                .ok_or_else(|| {
                    at.error(format!(
                        "expander `{name}` is not modelled: expected random, most-pods, \
                         least-waste, price or priority"
                    ))
                })
        })
        .collect()
}

/// The ConfigMap the priority expander reads, by its fixed name (`priority.go`,
/// `PriorityConfigMapName`).
pub const PRIORITY_CONFIG_MAP: &str = "cluster-autoscaler-priority-expander";

/// The priority expander's rules from its ConfigMap's `data.priorities`, highest first as
/// written.
pub fn priorities(obj: &At) -> Result<Vec<PriorityRule>, InputError> {
    let text_at = obj.need("data")?.need("priorities")?;
    let text = text_at.str()?;
    let inner = |e: InputError| {
        text_at.error(format!(
            "in this YAML text, {}{}",
            e.position
                .map(|p| format!("at {}:{}: ", p.line, p.col))
                .unwrap_or_default(),
            e.message
        ))
    };
    let docs = yaml::documents(obj.file, text).map_err(inner)?;
    let Some(doc) = docs.first() else {
        return Ok(Vec::new());
    };
    let root = At::root(obj.file, doc, String::new());
    root.pairs()
        .map_err(inner)?
        .into_iter()
        .map(|(key, patterns)| {
            let priority = key.parse::<i32>().map_err(|_| {
                text_at.error(format!("expected whole-number priorities, found `{key}`"))
            })?;
            let patterns = patterns
                .items()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|p| p.str().map(str::to_owned))
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(inner)?;
            Ok(PriorityRule { priority, patterns })
        })
        .collect()
}
