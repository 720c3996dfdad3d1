//! The expanders: which expansion option a scale-up takes.
//!
//! Sources (`kubernetes/autoscaler` tag `cluster-autoscaler-1.36.1`, `cluster-autoscaler/expander/`):
//! * `random/random.go` — a uniform pick (`rand.Int31n(len)`); here `draw() % len` from the
//!   caller's named stream (modulo bias below 2^-60 for any realistic option count).
//! * `mostpods/mostpods.go` — the options scheduling the most pods (ties kept).
//! * `waste/waste.go` — least `(n·C.cpu − Σcpu)/(n·C.cpu) + (n·C.mem − Σmem)/(n·C.mem)` with
//!   C the template node's **capacity** (ties kept).
//! * `price/price.go`, `price/preferred.go` — least
//!   `suppressed_unfitness × (n·node_price + stab) / (Σ pod_price + stab)`, where
//!   `stab` is the price of a {500m, 500 MiB} pod for an hour, unfitness is
//!   `max(pref_cpu/node_cpu, node_cpu/pref_cpu)` against a preferred node that doubles in
//!   size each time the cluster triples (≤2 nodes: 1 CPU, ≤6: 2, ≤20: 4, ≤60: 8, ≤200: 16,
//!   else 32), and `suppressed = (unfitness − 1)(1 − tanh((n − 1)/15)) + 1`. Pod prices use
//!   the GCE price model's base rates (`cloudprovider/gce/gce_price_info.go`:
//!   `cpuPricePerHour = 0.033174`, `memoryPricePerHourPerGb = 0.004446` per GiB), the only
//!   pricing model upstream ships with pod prices; node prices come from clustersim's
//!   catalog. GPUs and not-yet-existing groups (×2) are not modelled.
//! * `priority/priority.go` — the options whose group matches the highest priority; groups
//!   matching no rule are dropped; if none matches at all, all options stay.
//! * A chain (`--expander=a,b`) applies each filter to the previous one's survivors; ties
//!   left at the end are broken at random (`factory/chain.go`).

use crate::api::{NodeGroupView, PodGroup, Shape};
use crate::autoscaler::config::{Expander, PriorityRule};
use crate::autoscaler::pattern;

use super::scale_up::ScaleUpOption;

/// GCE base price of one core for an hour (`gce_price_info.go cpuPricePerHour`).
pub const POD_CPU_USD_PER_CORE_HOUR: f64 = 0.033174;
/// GCE base price of one GiB for an hour (`gce_price_info.go memoryPricePerHourPerGb`; the
/// price model divides bytes by `units.GiB`).
pub const POD_MEMORY_USD_PER_GIB_HOUR: f64 = 0.004446;

const GIB: f64 = (1u64 << 30) as f64;
const MIB: u64 = 1 << 20;

/// `PodPrice` of the GCE model for one hour: cores × cpu price + GiB × memory price.
pub fn pod_price_usd_per_hour(requests: Shape) -> f64 {
    requests.cpu_millis as f64 / 1000.0 * POD_CPU_USD_PER_CORE_HOUR
        + requests.memory_bytes as f64 / GIB * POD_MEMORY_USD_PER_GIB_HOUR
}

/// `SimplePreferredNodeProvider.Node`: the preferred node's CPU millicores for a cluster of
/// `nodes` nodes.
pub fn preferred_node_cpu_millis(nodes: usize) -> u64 {
    match nodes {
        0..=2 => 1000,
        3..=6 => 2000,
        7..=20 => 4000,
        21..=60 => 8000,
        61..=200 => 16_000,
        _ => 32_000,
    }
}

/// What the expanders need besides the options.
pub struct Context<'a> {
    pub groups: &'a [NodeGroupView],
    pub pending: &'a [PodGroup],
    pub priorities: &'a [PriorityRule],
    /// Nodes in the cluster, for the price expander's preferred node.
    pub cluster_nodes: usize,
}

/// Runs the chain over `options` (not empty) and returns the chosen index and a short account
/// for the event ("least-waste: pool-a 0.120, pool-b 0.300").
pub fn choose(
    chain: &[Expander],
    options: &[ScaleUpOption],
    cx: &Context<'_>,
    draw_u64: &mut dyn FnMut() -> u64,
) -> (usize, String) {
    let mut kept: Vec<usize> = (0..options.len()).collect();
    let mut notes: Vec<String> = Vec::new();
    for &expander in chain {
        if kept.len() <= 1 {
            break;
        }
        let (next, note) = filter(expander, &kept, options, cx, draw_u64);
        notes.push(note);
        kept = next;
    }
    let chosen = if kept.len() > 1 {
        let pick = kept[(draw_u64() % kept.len() as u64) as usize];
        notes.push(format!("tie broken at random among {}", kept.len()));
        pick
    } else {
        kept[0]
    };
    (chosen, notes.join("; "))
}

fn filter(
    expander: Expander,
    kept: &[usize],
    options: &[ScaleUpOption],
    cx: &Context<'_>,
    draw_u64: &mut dyn FnMut() -> u64,
) -> (Vec<usize>, String) {
    let name = |i: usize| cx.groups[options[i].group as usize].name.clone();
    match expander {
        Expander::Random => {
            let pick = kept[(draw_u64() % kept.len() as u64) as usize];
            (vec![pick], format!("random among {}", kept.len()))
        }
        Expander::MostPods => {
            let scores: Vec<f64> = kept
                .iter()
                .map(|&i| -f64::from(options[i].pod_count()))
                .collect();
            let note = scored_note("most-pods", kept, &scores, name, |s| format!("{} pods", -s));
            (least(kept, &scores), note)
        }
        Expander::LeastWaste => {
            let scores: Vec<f64> = kept.iter().map(|&i| waste(&options[i], cx)).collect();
            let note = scored_note("least-waste", kept, &scores, name, |s| {
                format!("waste {s:.3}")
            });
            (least(kept, &scores), note)
        }
        Expander::Price => {
            let scores: Vec<f64> = kept.iter().map(|&i| price_score(&options[i], cx)).collect();
            let note = scored_note("price", kept, &scores, name, |s| format!("score {s:.3}"));
            (least(kept, &scores), note)
        }
        Expander::Priority => priority(kept, options, cx),
    }
}

fn scored_note(
    label: &str,
    kept: &[usize],
    scores: &[f64],
    name: impl Fn(usize) -> String,
    show: impl Fn(f64) -> String,
) -> String {
    let parts: Vec<String> = kept
        .iter()
        .zip(scores)
        .map(|(&i, &s)| format!("{} {}", name(i), show(s)))
        .collect();
    format!("{label}: {}", parts.join(", "))
}

/// Indices (of `kept`) with the least score; exact ties kept, as upstream compares `==`.
fn least(kept: &[usize], scores: &[f64]) -> Vec<usize> {
    let best = scores.iter().copied().fold(f64::INFINITY, f64::min);
    kept.iter()
        .zip(scores)
        .filter(|&(_, &s)| s == best)
        .map(|(&i, _)| i)
        .collect()
}

/// `leastwaste.BestOptions` score: wasted CPU fraction + wasted memory fraction of the new
/// nodes' capacity.
pub fn waste(option: &ScaleUpOption, cx: &Context<'_>) -> f64 {
    let capacity = cx.groups[option.group as usize].capacity;
    let n = u64::from(option.node_count);
    let requested = option.requested(cx.pending);
    let avail_cpu = (capacity.cpu_millis * n) as f64;
    let avail_mem = (capacity.memory_bytes * n) as f64;
    (avail_cpu - requested.cpu_millis as f64) / avail_cpu
        + (avail_mem - requested.memory_bytes as f64) / avail_mem
}

/// `priceBased.BestOptions` score (lower is better).
pub fn price_score(option: &ScaleUpOption, cx: &Context<'_>) -> f64 {
    let group = &cx.groups[option.group as usize];
    let stabilization = pod_price_usd_per_hour(Shape::new(500, 500 * MIB));
    let node_price = group.price_usd_per_hour * f64::from(option.node_count);
    let pods_price: f64 = option
        .pods
        .iter()
        .map(|&(i, n)| pod_price_usd_per_hour(cx.pending[i].requests) * f64::from(n))
        .sum();
    let price_sub_score = (node_price + stabilization) / (pods_price + stabilization);
    let preferred = preferred_node_cpu_millis(cx.cluster_nodes) as f64;
    let node_cpu = group.capacity.cpu_millis as f64;
    let unfitness = (preferred / node_cpu).max(node_cpu / preferred);
    let suppressed =
        (unfitness - 1.0) * (1.0 - ((f64::from(option.node_count) - 1.0) / 15.0).tanh()) + 1.0;
    suppressed * price_sub_score
}

fn priority(kept: &[usize], options: &[ScaleUpOption], cx: &Context<'_>) -> (Vec<usize>, String) {
    let mut best: Option<i32> = None;
    let mut chosen: Vec<usize> = Vec::new();
    for &i in kept {
        let name = &cx.groups[options[i].group as usize].name;
        let top = cx
            .priorities
            .iter()
            .filter(|r| r.patterns.iter().any(|p| pattern::matches(p, name)))
            .map(|r| r.priority)
            .max();
        let Some(p) = top else { continue };
        match best {
            Some(b) if p < b => {}
            Some(b) if p == b => chosen.push(i),
            _ => {
                best = Some(p);
                chosen = vec![i];
            }
        }
    }
    match best {
        Some(p) => (chosen, format!("priority: highest matching priority {p}")),
        None => (
            kept.to_vec(),
            "priority: no rule matches any option, all kept".to_owned(),
        ),
    }
}
