//! Building `summary.json` from a finished run: the figures a CI gate or a sweep compares, with
//! the targets and gates judged beside them. The layout itself is `reports::Summary`, so that
//! `clustersim report` can read it back; this module is the one place that knows both the run's
//! output (`models`) and that layout.
//!
//! Latency figures are request-weighted over the whole run (every served request counts once),
//! read from the run's latency histogram, so they are exact to within half a histogram bucket
//! (±3.7 %). SLO attainment is exact: the share of arrived requests served within the p99
//! target, dropped requests counting as misses.

use models::config::CapacityType;
use models::faults::recovery::RecoveryReport;
use models::faults::rto::RtoOutcome;
use models::latency::{Counts, Histogram};
use models::plan::Unschedulable;
use models::run::RunOutput;
use reports::{
    BatchSummary, BudgetSummary, CapacityTypeSummary, FailbackSummary, FailureRecovery,
    ForecastSummary, Gate, Metric, NamespaceSummary, Op, PackingSummary, PoolSummary, Quantiles,
    QueueSummary, Recovery, Requests, RtoPhasesSummary, ServiceSummary, Summary, VpaSummary,
    WaveSummary,
};
use sim::recorder::{Table, Values};
use sim::time::SimTime;

use clustersim::input::{Experiment, Targets};
use clustersim::{health, service_targets};

fn quantiles_ms(h: &Histogram) -> Option<Quantiles> {
    Some(Quantiles {
        p50: h.quantile_s(0.50)? * 1e3,
        p95: h.quantile_s(0.95)? * 1e3,
        p99: h.quantile_s(0.99)? * 1e3,
    })
}

fn requests(c: &Counts) -> Requests {
    Requests {
        arrived: c.arrived,
        served: c.served,
        dropped: c.dropped,
    }
}

fn attainment(c: &Counts, has_target: bool) -> Option<f64> {
    (has_target && c.arrived > 0.0).then(|| c.within_target / c.arrived)
}

/// The gate each set target amounts to. `p99_latency`, `budget_usd`, `rpo` and `rto` are
/// ceilings (`<=`: a run exactly at its target meets it), `slo_attainment` is a floor (`>=`).
fn target_gates(t: &Targets) -> Vec<Gate> {
    let mut gates = service_targets::latency_gates(t.p99_latency, t.slo_attainment);
    if let Some(b) = t.budget_usd {
        gates.push(Gate::new(Metric::CostUsd, Op::Le, b));
    }
    if let Some(rpo) = t.rpo {
        gates.push(Gate::new(Metric::RpoS, Op::Le, rpo.as_secs_f64()));
    }
    if let Some(rto) = t.rto {
        gates.push(Gate::new(Metric::RtoS, Op::Le, rto.as_secs_f64()));
    }
    if let Some(wait) = t.batch_wait_p95 {
        gates.push(Gate::new(Metric::BatchWaitP95S, Op::Le, wait.as_secs_f64()));
    }
    if let Some(misses) = t.batch_deadline_misses {
        gates.push(Gate::new(
            Metric::BatchDeadlineMisses,
            Op::Le,
            misses as f64,
        ));
    }
    gates
}

/// Node-hours and cost by capacity type, on-demand first; a type without nodes is left out.
fn capacity_types(out: &RunOutput) -> Vec<CapacityTypeSummary> {
    [CapacityType::OnDemand, CapacityType::Spot]
        .into_iter()
        .filter_map(|c| {
            let pools = out.pools.iter().filter(|p| p.capacity_type == c);
            let node_hours: f64 = pools.clone().map(|p| p.node_hours).sum();
            (node_hours > 0.0).then(|| CapacityTypeSummary {
                capacity_type: models::run::capacity_type_name(c).to_owned(),
                node_hours,
                cost_usd: pools.map(|p| p.cost_usd).sum(),
            })
        })
        .collect()
}

/// Each VPA's first and last rows of the `vpa` table (rows are in time order; a VPA's rows are
/// its (service, region)'s).
fn vpa(table: &Table) -> Vec<VpaSummary> {
    // The table is `models::run::VPA_SCHEMA`'s: every column is there.
    let text = |name| table.texts(name).unwrap_or_default();
    let float = |name| table.f64s(name).unwrap_or_default();
    let count = |name| table.u64s(name).unwrap_or_default();
    let (services, regions, modes) = (text("service"), text("region"), text("update_mode"));
    let (cpu, memory) = (
        float("cpu_request_millicores"),
        float("memory_request_bytes"),
    );
    let (cpu_target, memory_target) =
        (float("cpu_target_millicores"), float("memory_target_bytes"));
    let (evicted, resized, ooms) = (
        count("evicted_pods_total"),
        count("resized_pods_total"),
        count("oom_kills_total"),
    );
    // Rows per VPA, in order of first appearance.
    let mut rows: Vec<(usize, usize)> = Vec::new();
    for r in 0..table.rows() {
        let same = |&&mut (first, _): &&mut (usize, usize)| {
            services[first] == services[r] && regions[first] == regions[r]
        };
        match rows.iter_mut().find(same) {
            Some(entry) => entry.1 = r,
            None => rows.push((r, r)),
        }
    }
    let finite = |v: f64| v.is_finite().then_some(v);
    rows.into_iter()
        .map(|(first, last)| VpaSummary {
            service: services[first].clone(),
            region: regions[first].clone(),
            update_mode: modes[first].clone(),
            cpu_request_start_millicores: cpu[first],
            cpu_request_end_millicores: cpu[last],
            memory_request_start_bytes: memory[first],
            memory_request_end_bytes: memory[last],
            cpu_target_end_millicores: finite(cpu_target[last]),
            memory_target_end_bytes: finite(memory_target[last]),
            evicted_pods: evicted[last],
            resized_pods: resized[last],
            oom_kills: ooms[last],
        })
        .collect()
}

/// The budgets of the cost-aware policies that ran (`policies.active`: entries without a set
/// always run, with a set when it is the active one; every entry without `active`): node-pool
/// policies with the region of their first pool, then policies on HPAs, over every pool.
fn budgets(x: &Experiment) -> Vec<BudgetSummary> {
    let p = &x.policies;
    let hours = x.duration.as_secs_f64() / 3600.0;
    let runs = |set: Option<&str>| match (set, p.active.as_deref()) {
        (None, _) | (_, None) => true,
        (Some(set), Some(active)) => set == active,
    };
    p.node_pools
        .iter()
        .filter(|n| runs(n.set.as_deref()))
        .filter_map(|n| {
            let b = n.budget.as_ref()?;
            let first = n.pools.first().map(|s| s.pool.as_str());
            let region = x
                .node_pools
                .iter()
                .find(|pool| Some(pool.name.as_str()) == first)
                .map_or_else(String::new, |pool| pool.region.clone());
            Some(BudgetSummary {
                policy: n.name.clone(),
                region,
                pools: n.pools.iter().map(|s| s.pool.clone()).collect(),
                budget_usd: b.allowance()?.so_far_usd(hours * 3600.0),
                budget_usd_per_hour: b.budget_usd_per_hour,
                low_share: b.low_share,
            })
        })
        .chain(
            p.cost_aware
                .iter()
                .filter(|c| runs(c.set.as_deref()))
                .filter_map(|c| {
                    Some(BudgetSummary {
                        policy: c.name.clone(),
                        region: String::new(),
                        pools: Vec::new(),
                        budget_usd: c.allowance()?.so_far_usd(hours * 3600.0),
                        budget_usd_per_hour: c.budget_usd_per_hour,
                        low_share: c.low_share,
                    })
                }),
        )
        .collect()
}

/// Each predictive policy's forecasts of the `forecast` table against the actuals beside them
/// (`ForecastSummary`), in order of first appearance; rows without an actual are left out.
fn forecast(table: &Table) -> Vec<ForecastSummary> {
    // The table is `models::run::FORECAST_SCHEMA`'s: every column is there.
    let text = |name| table.texts(name).unwrap_or_default();
    let float = |name| table.f64s(name).unwrap_or_default();
    let (policies, regions, targets, units) =
        (text("policy"), text("region"), text("target"), text("unit"));
    let (forecasts, naive, provisioned, actual) = (
        float("forecast"),
        float("naive"),
        float("provisioned"),
        float("actual"),
    );
    // Rows per policy (policy, region), in order of first appearance.
    let mut series: Vec<(usize, Vec<usize>)> = Vec::new();
    for r in 0..table.rows() {
        let same = |(first, _): &&mut (usize, Vec<usize>)| {
            policies[*first] == policies[r] && regions[*first] == regions[r]
        };
        match series.iter_mut().find(same) {
            Some((_, rows)) => rows.push(r),
            None => series.push((r, vec![r])),
        }
    }
    let mean = |values: &mut dyn Iterator<Item = f64>| {
        let (sum, n) = values.fold((0.0, 0u64), |(s, n), v| (s + v, n + 1));
        (n > 0).then(|| sum / n as f64)
    };
    series
        .into_iter()
        .map(|(first, rows)| {
            let compared: Vec<usize> = rows
                .into_iter()
                .filter(|&r| actual[r].is_finite())
                .collect();
            let positive = || compared.iter().copied().filter(|&r| actual[r] > 0.0);
            let ape = |of: &[f64]| {
                mean(&mut positive().map(|r| 100.0 * (actual[r] - of[r]).abs() / actual[r]))
            };
            ForecastSummary {
                policy: policies[first].clone(),
                region: regions[first].clone(),
                target: targets[first].clone(),
                unit: units[first].clone(),
                compared: compared.len() as u64,
                mape_percent: ape(forecasts),
                naive_mape_percent: ape(naive),
                bias: mean(&mut compared.iter().map(|&r| forecasts[r] - actual[r])),
                under_provisioned_share: mean(
                    &mut compared
                        .iter()
                        .map(|&r| f64::from(u8::from(provisioned[r] < actual[r]))),
                ),
            }
        })
        .collect()
}

fn seconds(t: SimTime) -> f64 {
    t.as_nanos() as f64 / 1e9
}

/// The RPO/RTO of the run's regional outages against the targets; `None` without a regional
/// outage in the run or an RPO/RTO target. The worst RPO and RTO are the figures judged; an outage not restored by the end of
/// the run leaves the RTO unmeasured, which fails an RTO target.
fn recovery(x: &Experiment, reports: &[RecoveryReport]) -> Option<Recovery> {
    let faults = x.faults.as_ref()?;
    let (rpo_target, rto_target) = (x.targets.rpo, x.targets.rto);
    if reports.is_empty() && rpo_target.is_none() && rto_target.is_none() {
        return None;
    }
    let failures: Vec<FailureRecovery> = reports
        .iter()
        .map(|r| {
            let (rto_s, rto_at_least_s, phases_s) = match r.rto {
                RtoOutcome::Restored { rto, phases, .. } => (
                    Some(rto.as_secs_f64()),
                    None,
                    Some(RtoPhasesSummary {
                        detection: phases.detection.as_secs_f64(),
                        routing: phases.routing.as_secs_f64(),
                        warm_up: phases.warm_up.as_secs_f64(),
                        scale_up: phases.scale_up.as_secs_f64(),
                    }),
                ),
                RtoOutcome::NotRestored { at_least } => (None, Some(at_least.as_secs_f64()), None),
            };
            FailureRecovery {
                region: r.region.clone(),
                failed_at_s: seconds(r.failed_at),
                region_back_at_s: seconds(r.ended_at),
                rto_s,
                rto_at_least_s,
                phases_s,
                rpo_s: r.rpo.map(|p| p.lag.as_secs_f64()),
                rpo_writes: r.rpo.map(|p| p.unreplicated_writes),
                rto_met: rto_target.map(|t| r.rto.meets(t)),
                rpo_met: rpo_target.and_then(|t| r.rpo.map(|p| p.meets(t))),
                failback: r.failback.map(|f| FailbackSummary {
                    returned_at_s: seconds(f.returned_at),
                    restored_after_s: f
                        .restored_at
                        .map(|at| at.saturating_duration_since(f.returned_at).as_secs_f64()),
                    dropped_requests: f.dropped_requests,
                }),
            }
        })
        .collect();
    let worst_rpo = failures
        .iter()
        .filter_map(|f| Some((f.rpo_s?, f.rpo_writes?)))
        .reduce(|a, b| if b.0 > a.0 { b } else { a });
    let rto_s = if failures.iter().any(|f| f.rto_s.is_none()) {
        None
    } else {
        failures.iter().filter_map(|f| f.rto_s).reduce(f64::max)
    };
    Some(Recovery {
        rpo_s: worst_rpo.map(|w| w.0),
        rpo_writes: worst_rpo.map(|w| w.1),
        rto_s,
        rpo_target_s: rpo_target.map(|t| t.as_secs_f64()),
        rto_target_s: rto_target.map(|t| t.as_secs_f64()),
        rto_hold_s: faults.targets.rto_hold.as_secs_f64(),
        failures,
    })
}

/// Builds the summary of a finished run and judges the experiment's targets and `gates`.
pub fn summarize(
    x: &Experiment,
    seed: u64,
    out: &RunOutput,
    gates: &[Gate],
    unschedulable: &[Unschedulable],
) -> Summary {
    let figures = health::row_figures(&out.timeseries, x.output_interval).unwrap_or_default();
    let has_target = x.targets.p99_latency.is_some();
    let mut all = Histogram::default();
    let mut total = Counts::default();
    let services = out
        .services
        .iter()
        .map(|s| {
            let own = x
                .services
                .iter()
                .find(|c| c.name == s.service)
                .and_then(|c| c.targets)
                .and_then(|t| t.p99_latency);
            let f = figures
                .iter()
                .find(|(k, _)| k.0 == s.service && k.1 == s.region)
                .map(|(_, f)| *f);
            all.merge(&s.histogram);
            total.arrived += s.total.arrived;
            total.served += s.total.served;
            total.dropped += s.total.dropped;
            total.within_target += s.total.within_target;
            ServiceSummary {
                service: s.service.clone(),
                region: s.region.clone(),
                qos_class: s.qos.as_str().to_owned(),
                requests: requests(&s.total),
                latency_ms: quantiles_ms(&s.histogram),
                slo_attainment: attainment(&s.total, has_target || own.is_some()),
                zero_ready_longest_s: f.map(|f| f.zero_ready_longest_s),
                desired_pod_seconds: f.map_or(0.0, |f| f.desired_pod_seconds),
                pending_pod_seconds: f.map_or(0.0, |f| f.pending_pod_seconds),
            }
        })
        .collect();

    let worst_sample_p99_ms = match out.timeseries.column("latency_p99_ms") {
        Some(Values::F64(v)) => v.iter().copied().reduce(f64::max),
        _ => None,
    };
    let mut summary = Summary {
        schema_version: reports::SCHEMA_VERSION,
        experiment: x.name.clone(),
        description: x.description.clone(),
        seed,
        start: x.start.to_string(),
        duration_s: x.duration.as_secs_f64(),
        pass: true,
        checks: Vec::new(),
        targets: Vec::new(),
        gates: Vec::new(),
        requests: requests(&total),
        latency_ms: quantiles_ms(&all),
        worst_sample_p99_ms,
        slo_attainment: attainment(&total, has_target),
        cost_usd: out.pools.iter().map(|p| p.cost_usd).sum(),
        node_hours: out.pools.iter().map(|p| p.node_hours).sum(),
        pools: out
            .pools
            .iter()
            .map(|p| PoolSummary {
                pool: p.pool.clone(),
                region: p.region.clone(),
                instance_type: p.instance_type.clone(),
                capacity_type: models::run::capacity_type_name(p.capacity_type).to_owned(),
                nodes: p.nodes,
                node_hours: p.node_hours,
                cost_usd: p.cost_usd,
            })
            .collect(),
        pending_pod_seconds: out.pending_pod_seconds,
        time_to_capacity_s: out
            .surges
            .worst(SimTime::ZERO + x.duration)
            .map(|d| d.as_secs_f64()),
        capacity_types: capacity_types(out),
        namespaces: out
            .namespaces
            .iter()
            .map(|n| NamespaceSummary {
                namespace: n.namespace.clone(),
                cost_usd: n.cost_usd,
                pods_refused_by_quota: n.pods_refused_by_quota,
            })
            .collect(),
        batch: out.batch.as_ref().map(|b| BatchSummary {
            jobs: b.jobs,
            completed: b.completed,
            failed_backoff_limit: b.failed_backoff_limit,
            deadline_misses: b.deadline_misses,
            unfinished: b.unfinished,
            never_started: b.never_started,
            wait_mean_s: b.wait_mean_s,
            wait_p50_s: b.wait_p50_s,
            wait_p95_s: b.wait_p95_s,
            run_mean_s: b.run_mean_s,
            makespan_s: b.makespan_s,
            queues: b.queues.as_ref().map(|queues| {
                queues
                    .iter()
                    .map(|q| QueueSummary {
                        name: q.name.clone(),
                        admitted: q.admitted,
                        admitted_borrowing: q.admitted_borrowing,
                        preempted: q.preempted,
                        wait_mean_s: (q.admitted > 0).then(|| q.wait_total_s / q.admitted as f64),
                        wait_max_s: q.wait_max_s,
                        pending_peak: q.pending_peak,
                        pending_end: q.pending_now,
                    })
                    .collect()
            }),
            waves: b
                .waves
                .iter()
                .map(|w| {
                    let packing = |f: &models::packing::PackingFigures| PackingSummary {
                        nodes: f.nodes,
                        node_hours: f.node_hours,
                        idle_cost_usd: f.idle_cost_usd,
                    };
                    WaveSummary {
                        workload: w.workload.clone(),
                        pool: w.pool.clone(),
                        submit_s: w.submit_s,
                        jobs: w.jobs,
                        pods: w.pods,
                        first_fit: packing(&w.first_fit),
                        best_fit: packing(&w.best_fit),
                    }
                })
                .collect(),
        }),
        services,
        warnings: unschedulable.iter().map(|u| u.message.clone()).collect(),
        unschedulable_pods: unschedulable.iter().map(|u| u.pods).sum(),
        events_dropped: out.events_dropped,
        recovery: recovery(x, &out.recovery),
        vpa: out.vpa_timeseries.as_ref().map(vpa).unwrap_or_default(),
        forecast: out.forecast.as_ref().map(forecast).unwrap_or_default(),
        budgets: budgets(x),
    };
    let messages: Vec<String> = unschedulable.iter().map(|u| u.message.clone()).collect();
    summary.checks = health::judge(&x.checks, &summary, &messages);
    summary.targets = target_gates(&x.targets)
        .iter()
        .map(|g| g.evaluate(&summary))
        .chain(service_targets::judge(x, &out.services, &summary))
        .collect();
    summary.gates = gates.iter().map(|g| g.evaluate(&summary)).collect();
    summary.pass = summary
        .checks
        .iter()
        .chain(&summary.targets)
        .chain(&summary.gates)
        .all(|c| c.pass);
    summary
}
