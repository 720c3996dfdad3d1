//! First-fit-decreasing and best-fit-decreasing packing of an admission wave: pods submitted
//! at once, packed in decreasing size onto identical nodes opened as needed — the two classic
//! bin-packing heuristics (Johnson 1974; both use at most 11/9 OPT + 6/9 bins in one dimension,
//! Dósa 2007), compared as a batch platform would: nodes, node-hours and idle (unrequested)
//! cost.
//!
//! - Size: a pod's dominant share of the node, `max(cpu / allocatable cpu, memory /
//!   allocatable memory)`, larger first (ties: more cpu, more memory, then submission order).
//! - First fit: the first open node, in opening order, with room for the pod.
//! - Best fit: the open node with the least room left after the pod (free cpu share + free
//!   memory share), ties to the earliest opened.
//!
//! Every pod of the wave starts when it is packed, so a node lives as long as its longest pod:
//! node-hours are `Σ node lifetime`, and the idle cost is what the nodes cost beyond the share
//! of their cpu the pods requested while running, `Σ price × (lifetime − Σ pod cpu share ×
//! pod run)` — the cost model of the namespaces table (`(unrequested)`), on cpu.
//!
//! Pure: the run reports it for each batch workload's largest wave, beside what the scheduler
//! really did.

use serde::{Deserialize, Serialize};

/// The heuristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Packing {
    FirstFitDecreasing,
    BestFitDecreasing,
}

/// One pod of a wave: its requests and how long it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavePod {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub run_s: u64,
}

/// What a packing costs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PackingFigures {
    pub nodes: u32,
    pub node_hours: f64,
    pub idle_cost_usd: f64,
}

/// A batch workload's largest admission wave (Jobs submitted at one instant) packed both
/// ways onto one node pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WavePacking {
    pub workload: String,
    /// The pool packed onto: the first untainted pool of the workload's region that holds
    /// the wave's largest pod.
    pub pool: String,
    pub submit_s: f64,
    pub jobs: u64,
    pub pods: u64,
    pub first_fit: PackingFigures,
    pub best_fit: PackingFigures,
}

/// The nodes each pod of `pods` goes to (indices of nodes opened in order), packed by `how`
/// onto nodes of `allocatable` (cpu millicores, memory bytes). A pod larger than a node gets
/// `None`.
pub fn pack(pods: &[WavePod], allocatable: (u64, u64), how: Packing) -> Vec<Option<u32>> {
    let (cpu, memory) = allocatable;
    let share =
        |p: &WavePod| (p.cpu_millis as f64 / cpu as f64).max(p.memory_bytes as f64 / memory as f64);
    let mut order: Vec<usize> = (0..pods.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&pods[a], &pods[b]);
        share(pb)
            .total_cmp(&share(pa))
            .then(pb.cpu_millis.cmp(&pa.cpu_millis))
            .then(pb.memory_bytes.cmp(&pa.memory_bytes))
            .then(a.cmp(&b))
    });
    // Free (cpu, memory) of each open node.
    let mut free: Vec<(u64, u64)> = Vec::new();
    let mut to = vec![None; pods.len()];
    for i in order {
        let p = &pods[i];
        if p.cpu_millis > cpu || p.memory_bytes > memory {
            continue;
        }
        let fits = |&(c, m): &(u64, u64)| p.cpu_millis <= c && p.memory_bytes <= m;
        let left = |&(c, m): &(u64, u64)| {
            (c - p.cpu_millis) as f64 / cpu as f64 + (m - p.memory_bytes) as f64 / memory as f64
        };
        let chosen = match how {
            Packing::FirstFitDecreasing => free.iter().position(fits),
            Packing::BestFitDecreasing => free
                .iter()
                .enumerate()
                .filter(|(_, f)| fits(f))
                .min_by(|(a, fa), (b, fb)| left(fa).total_cmp(&left(fb)).then(a.cmp(b)))
                .map(|(n, _)| n),
        };
        let n = chosen.unwrap_or_else(|| {
            free.push((cpu, memory));
            free.len() - 1
        });
        free[n].0 -= p.cpu_millis;
        free[n].1 -= p.memory_bytes;
        to[i] = Some(n as u32);
    }
    to
}

/// Nodes, node-hours and idle cost of packing `pods` by `how` onto nodes of `allocatable`
/// costing `price_usd_per_hour`. Pods larger than a node are left out.
pub fn figures(
    pods: &[WavePod],
    allocatable: (u64, u64),
    price_usd_per_hour: f64,
    how: Packing,
) -> PackingFigures {
    let to = pack(pods, allocatable, how);
    let nodes = to.iter().flatten().map(|&n| n + 1).max().unwrap_or(0);
    let mut lifetime_s = vec![0u64; nodes as usize];
    let mut requested_cpu_s = vec![0f64; nodes as usize];
    for (p, n) in pods.iter().zip(&to) {
        let Some(n) = n else {
            continue;
        };
        let n = *n as usize;
        lifetime_s[n] = lifetime_s[n].max(p.run_s);
        requested_cpu_s[n] += p.cpu_millis as f64 / allocatable.0 as f64 * p.run_s as f64;
    }
    let node_s: u64 = lifetime_s.iter().sum();
    let idle_s: f64 = lifetime_s
        .iter()
        .zip(&requested_cpu_s)
        .map(|(&l, &r)| l as f64 - r)
        .sum();
    PackingFigures {
        nodes,
        node_hours: node_s as f64 / 3600.0,
        idle_cost_usd: price_usd_per_hour * idle_s / 3600.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pods of these cpus (whole cores) and run times (hours); memory never binds.
    fn pods(cpus_and_hours: &[(u64, u64)]) -> Vec<WavePod> {
        cpus_and_hours
            .iter()
            .map(|&(c, h)| WavePod {
                cpu_millis: c * 1000,
                memory_bytes: 1,
                run_s: h * 3600,
            })
            .collect()
    }

    /// A 10-cpu node.
    const NODE: (u64, u64) = (10_000, 1 << 40);

    /// Sorted 6, 5, 4, 3, 2: 6 → n0 (free 4); 5 → n1 (5); 4 → n0 (0); 3 → n1 (2); 2 → n1 (0).
    /// Two full nodes either way.
    #[test]
    fn a_wave_that_packs_perfectly() {
        let wave = pods(&[(2, 1), (5, 1), (4, 1), (6, 1), (3, 1)]);
        let ffd = pack(&wave, NODE, Packing::FirstFitDecreasing);
        assert_eq!(ffd, vec![Some(1), Some(1), Some(0), Some(0), Some(1)]);
        assert_eq!(pack(&wave, NODE, Packing::BestFitDecreasing), ffd);
    }

    /// 8, 6, 3, 1: 8 → n0 (free 2); 6 → n1 (4); 3 → n1 (1). The 1 goes to the first node
    /// with room under first fit (n0, leaving 1) and to the tightest under best fit (n1,
    /// leaving 0). When that pod runs 3 h and the others 1 h, first fit keeps n0 for 3 h and
    /// n1 for 1 h, best fit the reverse: 4 node-hours either way, but different nodes.
    #[test]
    fn first_fit_and_best_fit_differ_by_hand() {
        let wave = pods(&[(8, 1), (6, 1), (3, 1), (1, 3)]);
        assert_eq!(
            pack(&wave, NODE, Packing::FirstFitDecreasing),
            vec![Some(0), Some(1), Some(1), Some(0)]
        );
        assert_eq!(
            pack(&wave, NODE, Packing::BestFitDecreasing),
            vec![Some(0), Some(1), Some(1), Some(1)]
        );
    }

    /// One node at $1/h holds a 6-cpu pod for 2 h and a 4-cpu one for 1 h: it lives 2 h;
    /// requested cpu-share-seconds 0.6 × 7200 + 0.4 × 3600 = 5760 of 7200, so 1440 s idle:
    /// $0.40.
    #[test]
    fn node_hours_and_idle_cost_by_hand() {
        let wave = pods(&[(6, 2), (4, 1)]);
        let f = figures(&wave, NODE, 1.0, Packing::BestFitDecreasing);
        assert_eq!(f.nodes, 1);
        assert_eq!(f.node_hours, 2.0);
        assert!((f.idle_cost_usd - 0.4).abs() < 1e-12, "{f:?}");
        // A pod larger than the node is left out.
        let f = figures(&pods(&[(11, 1)]), NODE, 1.0, Packing::FirstFitDecreasing);
        assert_eq!((f.nodes, f.node_hours), (0, 0.0));
    }
}
