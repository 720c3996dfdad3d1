//! `report.html`: one self-contained page for a design review. Inline CSS and inline SVG charts,
//! no script, nothing loaded from anywhere, so it can be mailed, attached to a CI run or opened
//! offline, and shows the same everywhere.
//!
//! Order: the verdict and every check behind it first (what a reviewer asks first: health
//! checks, targets by scope, gates, each saying what it judged), then the key figures, the per-service and per-pool tables, then the charts. Every string from the user
//! goes through [`escape::html`]; the charts' SVG is escaped by plotters.

use std::fmt::Write;

use crate::chart::{Chart, colour_hex};
use crate::check::Check;
use crate::decisions::{Decisions, Event, SHOWN_PER_END};
use crate::escape::html as esc;
use crate::format::{check_value, figure, grouped, judged, margin, percent, usd};
use crate::metric::Metric;
use crate::summary::{FailureRecovery, Quantiles, Summary};

const STYLE: &str = include_str!("report.css");

/// The page, given the summary, the run's decisions and each chart with its SVG.
pub fn page(s: &Summary, decisions: &Decisions, charts: &[(&Chart, &str)]) -> String {
    let mut h = String::new();
    open_page(
        &mut h,
        &format!("{} · clustersim report", esc(&s.experiment)),
    );
    header(&mut h, s);
    checks(&mut h, s);
    figures(&mut h, s);
    recovery(&mut h, s);
    services(&mut h, s);
    pools(&mut h, s);
    batch(&mut h, s);
    chart_figures(&mut h, "", charts);
    decisions_section(&mut h, decisions);
    let _ = write!(
        h,
        "<footer>clustersim {} · rendered from <code>summary.json</code> and \
         <code>timeseries.parquet</code>; <code>clustersim report DIR</code> renders it again. \
         Each chart is also in <code>charts/</code> as PNG and SVG; the decisions come from \
         <code>events.parquet</code>.</footer>\n\
         </main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// The start of a page up to `<main>`: the document head with `title` (already escaped) and
/// the inline style sheet. Shared by the run's, the sweep's and the comparison's pages.
pub(crate) fn open_page(h: &mut String, title: &str) {
    // `write!` into a String cannot fail.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n"
    );
}

fn header(h: &mut String, s: &Summary) {
    let all: Vec<&Check> = s.checks.iter().chain(&s.targets).chain(&s.gates).collect();
    let missed = all.iter().filter(|c| !c.pass).count();
    let (class, verdict) = match (all.len(), missed) {
        (0, _) => ("none", "No check, target or gate set".to_owned()),
        (1, 0) => ("pass", "PASS · 1 of 1 check met".to_owned()),
        (n, 0) => ("pass", format!("PASS · {n} of {n} checks met")),
        (n, m) => ("fail", format!("FAIL · {m} of {n} checks missed")),
    };
    let _ = write!(
        h,
        "<header>\n<p class=\"kicker\">clustersim report</p>\n<h1>{}</h1>\n\
         <p class=\"meta\">{} simulated from {} · seed {} · {} services × regions · {} node pools</p>\n\
         <p class=\"verdict {class}\">{verdict}</p>\n",
        esc(&s.experiment),
        duration(s.duration_s),
        esc(&s.start),
        s.seed,
        s.services.len(),
        s.pools.len(),
    );
    for note in samples_above(s) {
        let _ = writeln!(h, "<p class=\"verdict-note\">{note}</p>");
    }
    if let Some(d) = &s.description {
        let _ = writeln!(h, "<pre class=\"about\">{}</pre>", esc(d));
    }
    h.push_str("</header>\n");
}

/// For each passing whole-run latency check whose line the sampled p99 crosses: a sentence
/// that says so, so that a PASS beside a latency chart with peaks above its red line reads as
/// what it is (the whole run's p99 met the target; some instants did not).
fn samples_above(s: &Summary) -> Vec<String> {
    let Some(worst) = s.worst_sample_p99_ms else {
        return Vec::new();
    };
    s.targets
        .iter()
        .chain(&s.gates)
        .filter(|c| c.pass && c.scope.is_none() && c.name == Metric::P99LatencyMs.name())
        .filter(|c| worst > c.threshold)
        .map(|c| {
            format!(
                "<code>{}</code> passes on the whole-run p99 ({}), but sampled p99s sit above \
                 its line: the worst sample p99 is {} ms (see the latency chart). Gate on \
                 <code>worst_sample_p99_ms</code> to judge every instant.",
                esc(&c.expression),
                c.actual
                    .map_or_else(|| "—".to_owned(), |a| check_value(c, a)),
                figure(worst),
            )
        })
        .collect()
}

/// A span as hours or minutes, whichever reads better: `24 h`, `90 min`.
pub(crate) fn duration(seconds: f64) -> String {
    if seconds >= 3600.0 {
        format!("{} h", figure(seconds / 3600.0))
    } else {
        format!("{} min", figure(seconds / 60.0))
    }
}

/// The verdict, check by check: the built-in health checks first (they fail a run whatever
/// the targets), then the targets grouped by scope (the whole run first, then each service in
/// the order the summary lists them), then the `--gate`s. Each row says what it judged.
fn checks(h: &mut String, s: &Summary) {
    h.push_str(
        "<section id=\"verdict\">\n<h2>Verdict</h2>\n\
         <table class=\"checks\">\n<thead><tr><th>result</th><th>check</th><th>judged</th>\
         <th class=\"num\">threshold</th><th class=\"num\">actual</th><th class=\"num\">margin</th></tr></thead>\n",
    );
    let mut groups: Vec<(String, Vec<&Check>)> = vec![(
        "Built-in health checks".to_owned(),
        s.checks.iter().collect(),
    )];
    let mut scopes: Vec<Option<&str>> = vec![None];
    for c in &s.targets {
        if !scopes.contains(&c.scope.as_deref()) {
            scopes.push(c.scope.as_deref());
        }
    }
    for scope in scopes {
        let title = match scope {
            None => "Targets · whole run".to_owned(),
            Some(scope) => format!("Targets · {}", esc(scope)),
        };
        let of_scope = s.targets.iter().filter(|c| c.scope.as_deref() == scope);
        groups.push((title, of_scope.collect()));
    }
    groups.push((
        "Gates (<code>--gate</code>)".to_owned(),
        s.gates.iter().collect(),
    ));
    for (title, checks) in groups {
        // A scope's group exists only with checks in it; the three fixed groups always show,
        // so a reader sees "none set" rather than wondering.
        let _ = writeln!(
            h,
            "<tbody><tr class=\"group\"><th colspan=\"6\">{title}</th></tr>"
        );
        if checks.is_empty() {
            h.push_str("<tr><td colspan=\"6\" class=\"empty\">None.</td></tr>\n");
        }
        for c in checks {
            check_row(h, c);
        }
        h.push_str("</tbody>\n");
    }
    h.push_str("</table>\n</section>\n");
}

fn check_row(h: &mut String, c: &Check) {
    let class = if c.pass { "pass" } else { "fail" };
    let value = |x: f64| check_value(c, x);
    let detail = c.detail.as_ref().map_or_else(String::new, |d| {
        format!("<div class=\"check-detail\">{}</div>", esc(d))
    });
    let _ = writeln!(
        h,
        "<tr class=\"{class}\"><td><span class=\"badge {class}\">{}</span></td>\
         <td><code>{}</code>{detail}</td><td>{}</td><td class=\"num\">{} {}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        c.verdict(),
        esc(&c.expression),
        esc(&judged(c)),
        c.op,
        value(c.threshold),
        c.actual.map_or_else(|| "not measured".to_owned(), value),
        margin(c),
    );
}

fn figures(h: &mut String, s: &Summary) {
    h.push_str("<section id=\"figures\">\n<h2>Key figures</h2>\n<div class=\"cards\">\n");
    card(
        h,
        "cost",
        &usd(s.cost_usd),
        &format!("{} node-hours", grouped(s.node_hours, 1)),
    );
    let dropped_share = if s.requests.arrived > 0.0 {
        format!(" ({})", percent(s.requests.dropped / s.requests.arrived))
    } else {
        String::new()
    };
    card(
        h,
        "requests arrived",
        &grouped(s.requests.arrived, 0),
        &format!(
            "{} served · {} dropped{dropped_share}",
            grouped(s.requests.served, 0),
            grouped(s.requests.dropped, 0)
        ),
    );
    match &s.latency_ms {
        Some(q) => card(
            h,
            "p99 response time",
            &format!("{} ms", figure(q.p99)),
            &format!("p50 {} ms · p95 {} ms", figure(q.p50), figure(q.p95)),
        ),
        None => card(h, "p99 response time", "—", "no request was served"),
    }
    let p99_target = s
        .targets
        .iter()
        .find(|c| c.name == Metric::P99LatencyMs.name())
        .map(|c| format!("served within the p99 target of {} ms", figure(c.threshold)));
    match (s.slo_attainment, p99_target) {
        (Some(a), Some(t)) => card(h, "SLO attainment", &percent(a), &t),
        _ => card(h, "SLO attainment", "—", "needs a p99_latency target"),
    }
    card(
        h,
        "worst sampled p99",
        &s.worst_sample_p99_ms
            .map_or_else(|| "—".into(), |w| format!("{} ms", figure(w))),
        "highest p99 of any service at any sample instant",
    );
    card(
        h,
        "time to capacity",
        &s.time_to_capacity_s.map_or_else(
            || "—".into(),
            |t| {
                if t < 120.0 {
                    format!("{} s", figure(t))
                } else {
                    duration(t)
                }
            },
        ),
        &format!(
            "longest spell with pods pending · {} pending pod-seconds",
            grouped(s.pending_pod_seconds, 0)
        ),
    );
    h.push_str("</div>\n</section>\n");
}

/// The regional outages: RPO and RTO against their targets, and the RTO's phases. Absent for
/// a run without a `faults` section.
fn recovery(h: &mut String, s: &Summary) {
    let Some(r) = &s.recovery else {
        return;
    };
    let secs = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), |v| format!("{} s", figure(v)));
    let target =
        |t: Option<f64>| t.map_or_else(String::new, |v| format!(" · target {} s", figure(v)));
    h.push_str(
        "<section id=\"recovery\">\n<h2>Recovery: RPO and RTO</h2>\n<div class=\"cards\">\n",
    );
    card(
        h,
        "RPO (worst)",
        &secs(r.rpo_s),
        &format!(
            "{} writes lost{}",
            r.rpo_writes.map_or_else(|| "—".into(), |w| grouped(w, 0)),
            target(r.rpo_target_s)
        ),
    );
    let not_restored = r.failures.iter().any(|f| f.rto_s.is_none());
    card(
        h,
        "RTO (worst)",
        &if not_restored {
            "not restored".to_owned()
        } else {
            secs(r.rto_s)
        },
        &format!(
            "SLO held {} s to count as restored{}",
            figure(r.rto_hold_s),
            target(r.rto_target_s)
        ),
    );
    h.push_str(
        "</div>\n<table>\n<thead><tr><th>region down</th><th class=\"num\">at</th>\
         <th class=\"num\">back at</th><th class=\"num\">detection</th><th class=\"num\">routing</th>\
         <th class=\"num\">warm-up</th><th class=\"num\">scale-up</th><th class=\"num\">RTO</th>\
         <th class=\"num\">RPO</th><th class=\"num\">writes lost</th>\
         <th class=\"num\">after failback</th></tr></thead>\n<tbody>\n",
    );
    if r.failures.is_empty() {
        h.push_str("<tr><td colspan=\"11\" class=\"empty\">No regional outage.</td></tr>\n");
    }
    for f in &r.failures {
        failure_row(h, f);
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn failure_row(h: &mut String, f: &FailureRecovery) {
    let secs = |x: f64| format!("{} s", figure(x));
    let phase = |p: fn(&crate::summary::RtoPhasesSummary) -> f64| {
        f.phases_s
            .as_ref()
            .map_or_else(|| "—".into(), |ph| secs(p(ph)))
    };
    let verdict = |met: Option<bool>| match met {
        Some(true) => " <span class=\"badge pass\">met</span>",
        Some(false) => " <span class=\"badge fail\">missed</span>",
        None => "",
    };
    let rto = match (f.rto_s, f.rto_at_least_s) {
        (Some(v), _) => secs(v),
        (None, Some(a)) => format!("not restored (≥ {})", secs(a)),
        (None, None) => "—".into(),
    };
    // The failback's disruption: requests dropped after the region came back, and how long
    // the SLO took to hold again once its traffic was back.
    let failback = f.failback.as_ref().map_or_else(
        || "—".to_owned(),
        |b| match b.restored_after_s {
            Some(after) => format!(
                "{} dropped; SLO back {} after",
                grouped(b.dropped_requests, 0),
                secs(after)
            ),
            None => format!(
                "{} dropped; SLO not back by the end",
                grouped(b.dropped_requests, 0)
            ),
        },
    );
    let _ = writeln!(
        h,
        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{rto}{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{failback}</td></tr>",
        esc(&f.region),
        secs(f.failed_at_s),
        secs(f.region_back_at_s),
        phase(|p| p.detection),
        phase(|p| p.routing),
        phase(|p| p.warm_up),
        phase(|p| p.scale_up),
        verdict(f.rto_met),
        f.rpo_s.map_or_else(|| "—".into(), secs),
        verdict(f.rpo_met),
        f.rpo_writes.map_or_else(|| "—".into(), |w| grouped(w, 0)),
    );
}

fn card(h: &mut String, label: &str, value: &str, detail: &str) {
    let _ = writeln!(
        h,
        "<div class=\"card\"><div class=\"label\">{label}</div>\
         <div class=\"value\">{value}</div><div class=\"detail\">{detail}</div></div>"
    );
}

fn services(h: &mut String, s: &Summary) {
    h.push_str(
        "<section id=\"services\">\n<h2>Services</h2>\n<table>\n<thead><tr><th>service</th>\
         <th>region</th><th class=\"num\">arrived</th><th class=\"num\">dropped</th>\
         <th class=\"num\">p50</th><th class=\"num\">p95</th><th class=\"num\">p99</th>\
         <th class=\"num\">SLO attainment</th></tr></thead>\n<tbody>\n",
    );
    for (i, v) in s.services.iter().enumerate() {
        let ms = |f: fn(&Quantiles) -> f64| {
            v.latency_ms
                .as_ref()
                .map_or_else(|| "—".into(), |q| format!("{} ms", figure(f(q))))
        };
        // The swatch is the series' colour in the charts: services are listed in the same
        // order as the charts' series, both being the run's order.
        let _ = writeln!(
            h,
            "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            colour_hex(i),
            esc(&v.service),
            esc(&v.region),
            grouped(v.requests.arrived, 0),
            grouped(v.requests.dropped, 0),
            ms(|q| q.p50),
            ms(|q| q.p95),
            ms(|q| q.p99),
            v.slo_attainment.map_or_else(|| "—".into(), percent),
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn pools(h: &mut String, s: &Summary) {
    h.push_str(
        "<section id=\"pools\">\n<h2>Node pools</h2>\n<table>\n<thead><tr><th>pool</th>\
         <th>region</th><th>instance type</th><th>capacity</th><th class=\"num\">nodes</th>\
         <th class=\"num\">node-hours</th><th class=\"num\">cost</th></tr></thead>\n<tbody>\n",
    );
    for p in &s.pools {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&p.pool),
            esc(&p.region),
            esc(&p.instance_type),
            esc(&p.capacity_type),
            p.nodes,
            grouped(p.node_hours, 1),
            usd(p.cost_usd),
        );
    }
    h.push_str("</tbody>\n</table>\n");
    if !s.capacity_types.is_empty() {
        h.push_str(
            "<table>\n<thead><tr><th>capacity type</th><th class=\"num\">node-hours</th>\
             <th class=\"num\">cost</th></tr></thead>\n<tbody>\n",
        );
        for c in &s.capacity_types {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&c.capacity_type),
                grouped(c.node_hours, 1),
                usd(c.cost_usd),
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</section>\n");
}

fn batch(h: &mut String, s: &Summary) {
    let Some(b) = &s.batch else {
        return;
    };
    let secs = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), duration);
    h.push_str(
        "<section id=\"batch\">\n<h2>Batch jobs</h2>\n<table>\n<thead><tr>\
         <th class=\"num\">jobs</th><th class=\"num\">completed</th>\
         <th class=\"num\">backoff limit</th><th class=\"num\">deadline missed</th>\
         <th class=\"num\">unfinished</th><th class=\"num\">wait p50</th>\
         <th class=\"num\">wait p95</th><th class=\"num\">mean run</th>\
         <th class=\"num\">makespan</th></tr></thead>\n<tbody>\n",
    );
    let _ = writeln!(
        h,
        "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        b.jobs,
        b.completed,
        b.failed_backoff_limit,
        b.deadline_misses,
        b.unfinished,
        secs(b.wait_p50_s),
        secs(b.wait_p95_s),
        secs(b.run_mean_s),
        secs(b.makespan_s),
    );
    h.push_str("</tbody>\n</table>\n");
    if let Some(queues) = &b.queues {
        h.push_str(
            "<h3>Queues (Kueue ClusterQueues)</h3>\n<table>\n<thead><tr><th>queue</th>\
             <th class=\"num\">admitted</th><th class=\"num\">borrowing</th>\
             <th class=\"num\">preempted</th><th class=\"num\">mean wait</th>\
             <th class=\"num\">longest wait</th><th class=\"num\">most waiting</th>\
             <th class=\"num\">waiting at end</th></tr></thead>\n<tbody>\n",
        );
        for q in queues {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&q.name),
                q.admitted,
                q.admitted_borrowing,
                q.preempted,
                secs(q.wait_mean_s),
                duration(q.wait_max_s),
                q.pending_peak,
                q.pending_end,
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    if !b.waves.is_empty() {
        h.push_str(
            "<h3>Admission waves packed first-fit and best-fit decreasing</h3>\n<table>\n\
             <thead><tr><th>workload</th><th>pool</th><th class=\"num\">at</th>\
             <th class=\"num\">pods</th><th class=\"num\">FFD nodes</th>\
             <th class=\"num\">FFD node-hours</th><th class=\"num\">FFD idle cost</th>\
             <th class=\"num\">BFD nodes</th><th class=\"num\">BFD node-hours</th>\
             <th class=\"num\">BFD idle cost</th></tr></thead>\n<tbody>\n",
        );
        for w in &b.waves {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{:.2}</td><td class=\"num\">${:.2}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{:.2}</td><td class=\"num\">${:.2}</td></tr>",
                esc(&w.workload),
                esc(&w.pool),
                duration(w.submit_s),
                w.pods,
                w.first_fit.nodes,
                w.first_fit.node_hours,
                w.first_fit.idle_cost_usd,
                w.best_fit.nodes,
                w.best_fit.node_hours,
                w.best_fit.idle_cost_usd,
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</section>\n");
}

/// The charts section: each chart's SVG with its caption, after `lede` (HTML; may be empty).
pub(crate) fn chart_figures(h: &mut String, lede: &str, charts: &[(&Chart, &str)]) {
    h.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    if !lede.is_empty() {
        let _ = writeln!(h, "<p class=\"lede\">{lede}</p>");
    }
    for (chart, svg) in charts {
        // The title is on the chart itself; the caption says what to look for.
        let note = if chart.is_flat_zero() {
            format!(" <strong>{}</strong>", chart.zero_note)
        } else {
            String::new()
        };
        let _ = write!(
            h,
            "<figure id=\"chart-{}\">\n{svg}<figcaption>{}{note}</figcaption>\n</figure>\n",
            chart.id, chart.caption,
        );
    }
    h.push_str("</section>\n");
}

/// What the controllers decided, group by group: each group's first and last events and how
/// many lie between (the full log is `events.parquet`), then the other events by reason.
fn decisions_section(h: &mut String, d: &Decisions) {
    let _ = writeln!(
        h,
        "<section id=\"decisions\">\n<h2>Decisions</h2>\n<p class=\"lede\">What the \
         autoscalers decided and what happened to the nodes, per service or pool: each group's \
         first and last {SHOWN_PER_END} events, with how many lie between. Times are since the \
         start of the run (h:mm:ss) and in simulated UTC.</p>"
    );
    if !d.recorded {
        h.push_str(
            "<p class=\"empty\">This output folder has no <code>events.parquet</code> (an \
             older clustersim wrote it): only the failovers of <code>summary.json</code> are \
             listed.</p>\n",
        );
    } else if d.groups.is_empty() {
        h.push_str(
            "<p class=\"empty\">No HPA rescale, node scale-up or scale-down, preemption, spot \
             notice, failed node or failover during the run.</p>\n",
        );
    }
    let mut kinds = d.groups.iter().map(|g| g.kind).collect::<Vec<_>>();
    kinds.dedup();
    for kind in kinds {
        let _ = writeln!(
            h,
            "<h3>{}</h3>\n<table class=\"decisions\">\n<thead><tr><th class=\"num\">at</th>\
             <th>UTC</th><th>reason</th><th>object</th><th>message</th></tr></thead>",
            kind.title()
        );
        for g in d.groups.iter().filter(|g| g.kind == kind) {
            let plural = if g.events == 1 { "" } else { "s" };
            let _ = writeln!(
                h,
                "<tbody><tr class=\"group\"><th colspan=\"5\">{} · {} event{plural}</th></tr>",
                esc(&g.subject),
                grouped(g.events as f64, 0),
            );
            for e in &g.first {
                event_row(h, e);
            }
            if g.left_out() > 0 {
                let between = match (g.first.last(), g.last.first()) {
                    (Some(a), Some(b)) => {
                        format!(" between {} and {}", elapsed(a.time_s), elapsed(b.time_s))
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    h,
                    "<tr><td colspan=\"5\" class=\"empty\">… {} more event{}{between}, in \
                     <code>events.parquet</code></td></tr>",
                    grouped(g.left_out() as f64, 0),
                    if g.left_out() == 1 { "" } else { "s" },
                );
            }
            for e in &g.last {
                event_row(h, e);
            }
            h.push_str("</tbody>\n");
        }
        h.push_str("</table>\n");
    }
    if d.groups_left_out > 0 {
        let _ = writeln!(
            h,
            "<p class=\"empty\">… and {} more groups ({} events), in \
             <code>events.parquet</code>.</p>",
            grouped(d.groups_left_out as f64, 0),
            grouped(d.events_left_out as f64, 0),
        );
    }
    if !d.others.is_empty() {
        let others: Vec<String> = d
            .others
            .iter()
            .map(|(reason, events)| format!("{} ×{}", esc(reason), grouped(*events as f64, 0)))
            .collect();
        let _ = writeln!(
            h,
            "<p class=\"empty\">Other events, counted by reason: {}.</p>",
            others.join(", ")
        );
    }
    if d.dropped > 0 {
        let _ = writeln!(
            h,
            "<p class=\"empty\">{} more events were counted but not stored (past the event \
             log's bound); they are in no group above.</p>",
            grouped(d.dropped as f64, 0)
        );
    }
    h.push_str("</section>\n");
}

fn event_row(h: &mut String, e: &Event) {
    let _ = writeln!(
        h,
        "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
        elapsed(e.time_s),
        esc(e.time_utc.get(11..19).unwrap_or("—")),
        esc(&e.reason),
        esc(&e.object),
        esc(&e.message),
    );
}

/// Seconds since the start as `h:mm:ss`, whole seconds.
fn elapsed(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::example;

    #[test]
    fn user_strings_are_escaped_everywhere() {
        let mut s = example();
        s.experiment = "<b>x</b>".into();
        s.services[0].service = "<script>alert(1)</script>".into();
        s.pools[0].pool = "a&b".into();
        s.targets[0].expression = "p99_latency_ms<=100".into();
        let page = page(&s, &Decisions::default(), &[]);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<b>x"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("<td>a&amp;b</td>"));
        assert!(page.contains("<code>p99_latency_ms&lt;=100</code>"));
    }

    #[test]
    fn checks_come_first_with_their_verdict_and_margin() {
        let mut s = example();
        s.pass = false;
        s.gates
            .push(crate::parse_gate("cost_usd<1000").unwrap().evaluate(&s));
        // A health check, missed, and a scoped target of one service: api dropped 10 of 3000.
        let dropped = crate::parse_gate("dropped_share<=0.001").unwrap();
        s.checks.push(
            dropped
                .evaluate_scope(&s, "api")
                .with_detail("api dropped 10 of 3,000 requests (0.333 %)"),
        );
        s.targets
            .push(dropped.evaluate_scope(&s, "api/europe-west1"));
        let page = page(&s, &Decisions::default(), &[]);
        let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(at("class=\"verdict fail\"") < at("id=\"verdict\""));
        assert!(at("id=\"verdict\"") < at("id=\"figures\""));
        assert!(at("id=\"figures\"") < at("id=\"services\""));
        // Health checks, the whole run's targets, each scope's, then the gates.
        assert!(at("Built-in health checks") < at("api dropped 10 of 3,000"));
        assert!(at("api dropped 10 of 3,000") < at("Targets · whole run"));
        assert!(at("Targets · whole run") < at("<code>p99_latency_ms&lt;=100</code>"));
        assert!(at("<code>p99_latency_ms&lt;=100</code>") < at("Targets · api/europe-west1"));
        assert!(at("Targets · api/europe-west1") < at("Gates (<code>--gate</code>)"));
        assert!(at("Gates (<code>--gate</code>)") < at("<code>cost_usd&lt;1000</code>"));
        assert!(page.contains("FAIL · 2 of 4 checks missed"));
        assert!(page.contains("<td>whole-run p99</td>"));
        assert!(page.contains("<td>whole-run dropped share of api</td>"));
        assert!(page.contains("57.5 ms to spare"));
        assert!(page.contains("missed by $234.50"));
        assert!(page.contains("missed by 0.233 pp"));
        assert_eq!(page.matches(">PASS</span>").count(), 2);
        assert_eq!(page.matches(">FAIL</span>").count(), 2);
        assert!(!page.contains(">pass<"));
    }

    #[test]
    fn a_page_without_checks_still_has_the_verdict_table() {
        let mut s = example();
        s.targets.clear();
        let page = page(&s, &Decisions::default(), &[]);
        assert!(page.contains("<table class=\"checks\">"));
        assert_eq!(page.matches("class=\"empty\">None.</td>").count(), 3);
        assert!(page.contains("No check, target or gate set"));
    }

    #[test]
    fn a_passing_whole_run_p99_with_samples_above_its_line_says_so() {
        // The example's whole-run p99 is 42.5 ms against 100 ms; its worst sample 61 ms.
        let quiet = page(&example(), &Decisions::default(), &[]);
        assert!(!quiet.contains("<p class=\"verdict-note\">"));
        let mut s = example();
        s.worst_sample_p99_ms = Some(120.0);
        let page = page(&s, &Decisions::default(), &[]);
        let note = page.find("<p class=\"verdict-note\">").expect("a note");
        assert!(page.find("class=\"verdict pass\"").unwrap() < note);
        assert!(note < page.find("</header>").unwrap());
        assert!(page.contains(
            "<code>p99_latency_ms&lt;=100</code> passes on the whole-run p99 (42.5 ms), but \
             sampled p99s sit above its line: the worst sample p99 is 120 ms"
        ));
        // A missed target is already red: no note.
        s.targets[0].pass = false;
        assert!(
            !super::page(&s, &Decisions::default(), &[]).contains("<p class=\"verdict-note\">")
        );
    }

    fn decisions_of(events: &[(f64, &str, &str, &str)]) -> Decisions {
        let rows: Vec<_> = events
            .iter()
            .map(|&(time, reason, object, message)| {
                (time, "2026-11-27T01:02:03Z", reason, object, message, 1)
            })
            .collect();
        let t = crate::chart::catalog::tests::events_of(&rows);
        crate::decisions::decisions(Some(&t), &["web"], &example()).unwrap()
    }

    #[test]
    fn decisions_are_listed_per_group_with_what_is_left_out() {
        let mut events: Vec<(f64, &str, &str, &str)> = (0..12)
            .map(|k| {
                (
                    3723.0 + k as f64,
                    "SuccessfulRescale",
                    "hpa/<api>",
                    "cpu 78%/70% → 4",
                )
            })
            .collect();
        events.push((
            7200.0,
            "TriggeredScaleUp",
            "nodepool/web",
            "scale-up web +12",
        ));
        events.push((7300.0, "Killing", "deployment/api", "2 pod(s)"));
        let page = page(&example(), &decisions_of(&events), &[]);
        let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(at("id=\"charts\"") < at("id=\"decisions\""));
        assert!(at("Horizontal Pod Autoscaler") < at("Node autoscaling"));
        assert!(page.contains("<th colspan=\"5\">hpa/&lt;api&gt; · 12 events</th>"));
        // 12 events: the first five, a note for the two between, the last five.
        assert_eq!(page.matches("<code>hpa/&lt;api&gt;</code>").count(), 10);
        assert!(page.contains("… 2 more events between 1:02:07 and 1:02:10, in"));
        assert!(page.contains("<td class=\"num\">1:02:03</td><td>01:02:03</td>"));
        assert!(page.contains("<th colspan=\"5\">web · 1 event</th>"));
        assert!(page.contains("Other events, counted by reason: Killing ×1."));
    }

    #[test]
    fn a_run_without_decisions_or_events_table_says_which() {
        let none = page(&example(), &decisions_of(&[]), &[]);
        assert!(none.contains("No HPA rescale, node scale-up"));
        let old = page(&example(), &Decisions::default(), &[]);
        assert!(old.contains("has no <code>events.parquet</code>"));
    }

    #[test]
    fn nothing_is_loaded_from_elsewhere() {
        let page = page(&example(), &Decisions::default(), &[]);
        for needle in ["http:", "https:", "src=", "href=", "@import", "url("] {
            assert!(!page.contains(needle), "{needle}");
        }
    }
}
