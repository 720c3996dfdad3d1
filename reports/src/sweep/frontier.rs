//! Configurations (a sweep's runs grouped over their seeds) and the Pareto frontier of cost
//! against the service level.
//!
//! A configuration is judged conservatively across its replicate seeds: it passes only when
//! every seed passed, its service level is the worst seed's (lowest attainment, highest p99),
//! and its cost is the mean over seeds (what it costs on an average day). The frontier holds
//! the configurations that no other beats on both axes: none is at most as costly and at least
//! as good with one of the two strictly better.

use super::{Sweep, Value};

/// One set of parameter values, over all of its seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Configuration {
    pub parameters: Vec<Value>,
    /// Index of its first run: the configuration's place in the enumeration order.
    pub first_index: u64,
    pub runs: usize,
    pub runs_passed: usize,
    /// Every run met every target and gate.
    pub pass: bool,
    /// Mean over its runs.
    pub cost_usd: f64,
    /// Lowest over its runs; `None` when a run has none (no p99 target, or no request).
    pub attainment: Option<f64>,
    /// Highest p99 over its runs; `None` when a run served nothing.
    pub p99_ms: Option<f64>,
}

/// What the frontier trades cost against: SLO attainment (higher is better) when the runs
/// measure it, else the p99 response time (lower is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    Attainment,
    P99,
}

impl Objective {
    /// Attainment as soon as one configuration has it.
    pub fn of(configs: &[Configuration]) -> Objective {
        if configs.iter().any(|c| c.attainment.is_some()) {
            Objective::Attainment
        } else {
            Objective::P99
        }
    }

    /// The configuration's value on this axis.
    pub fn value(self, c: &Configuration) -> Option<f64> {
        match self {
            Objective::Attainment => c.attainment,
            Objective::P99 => c.p99_ms,
        }
    }

    /// The value turned so that larger is better.
    fn goodness(self, v: f64) -> f64 {
        match self {
            Objective::Attainment => v,
            Objective::P99 => -v,
        }
    }
}

/// The sweep's configurations in the order of their first run. Runs with equal parameters are
/// one configuration whatever their order in `sweep.runs`.
pub fn configurations(sweep: &Sweep) -> Vec<Configuration> {
    let mut configs: Vec<Configuration> = Vec::new();
    for run in &sweep.runs {
        let s = &run.summary;
        let p99 = s.latency_ms.as_ref().map(|q| q.p99);
        // A linear search keeps this free of hashing floats; sweeps hold thousands of runs at
        // most, and the report is written once.
        match configs.iter_mut().find(|c| c.parameters == run.parameters) {
            Some(c) => {
                c.runs += 1;
                c.runs_passed += usize::from(s.pass);
                c.pass &= s.pass;
                // Running sum; divided below.
                c.cost_usd += s.cost_usd;
                c.attainment = c.attainment.zip(s.slo_attainment).map(|(a, b)| a.min(b));
                c.p99_ms = c.p99_ms.zip(p99).map(|(a, b)| a.max(b));
                c.first_index = c.first_index.min(run.index);
            }
            None => configs.push(Configuration {
                parameters: run.parameters.clone(),
                first_index: run.index,
                runs: 1,
                runs_passed: usize::from(s.pass),
                pass: s.pass,
                cost_usd: s.cost_usd,
                attainment: s.slo_attainment,
                p99_ms: p99,
            }),
        }
    }
    for c in &mut configs {
        c.cost_usd /= c.runs as f64;
    }
    configs.sort_by_key(|c| c.first_index);
    configs
}

/// Whether each configuration is on the Pareto frontier of (least cost, best `objective`).
/// A configuration without a value on the objective is never on it.
pub fn frontier(configs: &[Configuration], objective: Objective) -> Vec<bool> {
    let mut order: Vec<(usize, f64, f64)> = configs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            objective
                .value(c)
                .map(|v| (i, c.cost_usd, objective.goodness(v)))
        })
        .collect();
    // Cheapest first; at equal cost the best first.
    order.sort_by(|a, b| {
        a.1.total_cmp(&b.1)
            .then(b.2.total_cmp(&a.2))
            .then(a.0.cmp(&b.0))
    });
    let mut on = vec![false; configs.len()];
    // Best goodness among strictly cheaper configurations, and the best at the current cost.
    let mut best_cheaper = f64::NEG_INFINITY;
    let mut group: Option<(f64, f64)> = None;
    for &(i, cost, good) in &order {
        if group.is_none_or(|(c, _)| c != cost) {
            if let Some((_, g)) = group {
                best_cheaper = best_cheaper.max(g);
            }
            group = Some((cost, good));
        }
        let group_best = group.map_or(good, |(_, g)| g);
        // Dominated by a cheaper one at least as good, or by one as cheap and better.
        on[i] = good > best_cheaper && good == group_best;
    }
    on
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::tests::{run, sweep};

    #[test]
    fn seeds_of_one_configuration_are_judged_together() {
        let s = sweep(vec![
            run(0, &[2], 1, 10.0, 0.999),
            run(1, &[2], 2, 14.0, 0.98),
            run(2, &[3], 1, 20.0, 1.0),
        ]);
        let c = configurations(&s);
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].runs, c[0].runs_passed, c[0].pass), (2, 1, false));
        assert_eq!(c[0].cost_usd, 12.0);
        assert_eq!(c[0].attainment, Some(0.98));
        assert!(c[1].pass);
    }

    #[test]
    fn the_frontier_keeps_exactly_the_undominated_points() {
        // (cost, attainment): a (10, 0.90) cheapest: on. b (12, 0.95): better, on.
        // c (12, 0.93): b is as cheap and better: off. d (15, 0.95): b is cheaper and as good:
        // off. e (20, 0.99): best attainment: on. f (20, 0.99) equal to e: on as well (neither
        // dominates the other).
        let s = sweep(vec![
            run(0, &[1], 1, 10.0, 0.90),
            run(1, &[2], 1, 12.0, 0.95),
            run(2, &[3], 1, 12.0, 0.93),
            run(3, &[4], 1, 15.0, 0.95),
            run(4, &[5], 1, 20.0, 0.99),
            run(5, &[6], 1, 20.0, 0.99),
        ]);
        let c = configurations(&s);
        assert_eq!(
            frontier(&c, Objective::Attainment),
            [true, true, false, false, true, true]
        );
    }

    #[test]
    fn without_attainment_the_frontier_is_on_p99() {
        let mut runs = vec![
            run(0, &[1], 1, 10.0, 0.9),
            run(1, &[2], 1, 12.0, 0.9),
            run(2, &[3], 1, 14.0, 0.9),
        ];
        // p99 40 ms at $10, 50 ms at $12 (dominated), 30 ms at $14.
        for (r, p99) in runs.iter_mut().zip([40.0, 50.0, 30.0]) {
            r.summary.slo_attainment = None;
            r.summary.latency_ms.as_mut().unwrap().p99 = p99;
        }
        let c = configurations(&sweep(runs));
        assert_eq!(Objective::of(&c), Objective::P99);
        assert_eq!(frontier(&c, Objective::P99), [true, false, true]);
    }
}
