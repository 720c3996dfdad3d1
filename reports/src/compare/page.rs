//! `compare.html`: the runs and their verdicts first, then where they first diverge, the key
//! figures and every check side by side with their differences from the first run, the
//! services and regions each run has, and the overlaid charts. Self-contained like
//! `report.html`: inline CSS and SVG, no script, every user string escaped.

use std::fmt::Write;

use super::Comparison;
use super::figures::{delta_text, value_text};
use crate::chart::{Chart, colour_hex};
use crate::check::verdict;
use crate::escape::html as esc;
use crate::html::{chart_figures, duration, open_page};
use crate::metric::Metric;

/// The page, given the comparison and each overlaid chart with its SVG.
pub fn page(c: &Comparison, charts: &[(&Chart, &str)]) -> String {
    let mut h = String::new();
    let names = c
        .runs
        .iter()
        .map(|r| esc(&r.label))
        .collect::<Vec<_>>()
        .join(" vs ");
    open_page(&mut h, &format!("{names} · clustersim compare"));
    let mut experiments: Vec<&str> = c.runs.iter().map(|r| r.experiment.as_str()).collect();
    experiments.sort_unstable();
    experiments.dedup();
    let _ = write!(
        h,
        "<header>\n<p class=\"kicker\">clustersim compare</p>\n<h1>{names}</h1>\n\
         <p class=\"meta\">{} runs of {} experiment{} · differences are against the first run, \
         {}</p>\n</header>\n",
        c.runs.len(),
        experiments.len(),
        if experiments.len() == 1 { "" } else { "s" },
        c.runs.first().map_or_else(String::new, |r| esc(&r.label)),
    );
    runs(&mut h, c);
    divergence(&mut h, c);
    figures(&mut h, c);
    checks(&mut h, c);
    services(&mut h, c);
    let bare: Vec<String> = c
        .runs
        .iter()
        .filter(|r| !r.has_timeseries)
        .map(|r| esc(&r.label))
        .collect();
    if charts.is_empty() {
        let _ = write!(
            h,
            "<section id=\"charts\">\n<h2>Charts</h2>\n<p class=\"lede\">Charts left out: no run \
             folder has <code>timeseries.parquet</code> (a sweep keeps only each run's \
             <code>summary.json</code> unless run with <code>--keep-outputs</code>).</p>\n</section>\n"
        );
    } else {
        let lede = if bare.is_empty() {
            "Every run on the same axes, one colour per run.".to_owned()
        } else {
            format!(
                "Every run on the same axes, one colour per run; {} {} no \
                 <code>timeseries.parquet</code>, so no line.",
                bare.join(", "),
                if bare.len() == 1 { "has" } else { "have" },
            )
        };
        chart_figures(&mut h, &lede, charts);
    }
    let _ = write!(
        h,
        "<footer>clustersim {} · the same tables in <code>compare.json</code>, \
         <code>figures.csv</code> and <code>checks.csv</code> (and Parquet); the charts in \
         <code>charts/</code>.</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    h
}

fn badge(pass: bool) -> String {
    let class = if pass { "pass" } else { "fail" };
    format!("<span class=\"badge {class}\">{}</span>", verdict(pass))
}

/// `<th>` per run, with the run's colour.
fn run_headers(h: &mut String, c: &Comparison) {
    for (k, r) in c.runs.iter().enumerate() {
        let _ = write!(
            h,
            "<th class=\"num\"><span class=\"swatch\" style=\"background:{}\"></span>{}</th>",
            colour_hex(k),
            esc(&r.label)
        );
    }
}

fn runs(h: &mut String, c: &Comparison) {
    h.push_str(
        "<section id=\"runs\">\n<h2>Runs</h2>\n<table>\n<thead><tr><th>run</th><th>result</th>\
         <th>experiment</th><th class=\"num\">seed</th><th>start</th>\
         <th class=\"num\">duration</th><th>tables</th></tr></thead>\n<tbody>\n",
    );
    for (k, r) in c.runs.iter().enumerate() {
        let tables = match (r.has_timeseries, r.has_events) {
            (true, true) => "time series, events",
            (true, false) => "time series",
            (false, true) => "events",
            (false, false) => "summary only",
        };
        let _ = writeln!(
            h,
            "<tr class=\"{}\"><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td>\
             <td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td>{tables}</td></tr>",
            if r.pass { "pass" } else { "fail" },
            colour_hex(k),
            esc(&r.label),
            badge(r.pass),
            esc(&r.experiment),
            r.seed,
            esc(&r.start),
            duration(r.duration_s),
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn divergence(h: &mut String, c: &Comparison) {
    h.push_str(
        "<section id=\"divergence\">\n<h2>First divergence</h2>\n<p class=\"lede\">The first \
         sample (time since the start, column, service/region) at which each run's time series \
         differs from the first run's, and the first event that differs.</p>\n",
    );
    for d in &c.divergences {
        let _ = writeln!(
            h,
            "<h3>{} against {}</h3>\n<ul>",
            esc(&d.run),
            esc(&d.against)
        );
        for s in &d.sentences {
            let _ = writeln!(h, "<li>{}</li>", esc(s));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

fn figures(h: &mut String, c: &Comparison) {
    h.push_str(
        "<section id=\"figures\">\n<h2>Key figures</h2>\n<table>\n<thead><tr><th>figure</th>",
    );
    run_headers(h, c);
    h.push_str("</tr></thead>\n<tbody>\n");
    for f in &c.figures {
        let m = f.metric();
        let _ = write!(h, "<tr><td><code>{}</code></td>", f.figure);
        for (k, (v, d)) in f.values.iter().zip(&f.deltas).enumerate() {
            let delta = if k == 0 {
                String::new()
            } else {
                delta_cell(&delta_text(m, *d))
            };
            let _ = write!(h, "<td class=\"num\">{}{delta}</td>", value_text(m, *v));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn delta_cell(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("<div class=\"check-detail\">{text}</div>")
    }
}

fn checks(h: &mut String, c: &Comparison) {
    h.push_str(
        "<section id=\"checks\">\n<h2>Checks, targets and gates</h2>\n<table class=\"checks\">\n\
         <thead><tr><th>check</th><th>judged</th>",
    );
    run_headers(h, c);
    h.push_str("</tr></thead>\n<tbody>\n");
    if c.checks.is_empty() {
        let _ = writeln!(
            h,
            "<tr><td colspan=\"{}\" class=\"empty\">No run has a check, target or gate.</td></tr>",
            2 + c.runs.len()
        );
    }
    for row in &c.checks {
        let m = Metric::from_name(&row.name);
        let _ = write!(
            h,
            "<tr><td><code>{}</code><div class=\"check-detail\">{}</div></td><td>{}</td>",
            esc(&row.expression),
            row.kind,
            esc(&row.judged)
        );
        for (k, result) in row.results.iter().enumerate() {
            match result {
                Some(r) => {
                    let delta = if k == 0 {
                        String::new()
                    } else {
                        delta_cell(&delta_text(m, r.delta))
                    };
                    let _ = write!(
                        h,
                        "<td class=\"num\">{} {}{delta}</td>",
                        badge(r.pass),
                        r.actual
                            .map_or_else(|| "not measured".to_owned(), |a| value_text(m, Some(a))),
                    );
                }
                None => h.push_str("<td class=\"num empty\">not in this run</td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn services(h: &mut String, c: &Comparison) {
    h.push_str("<section id=\"services\">\n<h2>Services and regions</h2>\n");
    if c.mismatched_services.is_empty() {
        h.push_str("<p class=\"lede\">Every run has the same services in the same regions.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p class=\"lede\">Not in every run: {}.</p>",
            c.mismatched_services
                .iter()
                .map(|s| format!("<code>{}</code>", esc(s)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    h.push_str("<table>\n<thead><tr><th>service/region</th>");
    run_headers(h, c);
    h.push_str("</tr></thead>\n<tbody>\n");
    for p in &c.services {
        let everywhere = p.in_runs.iter().all(|&i| i);
        let _ = write!(
            h,
            "<tr{}><td>{}</td>",
            if everywhere { "" } else { " class=\"fail\"" },
            esc(&p.service)
        );
        for &present in &p.in_runs {
            h.push_str(if present {
                "<td class=\"num\">yes</td>"
            } else {
                "<td class=\"num empty\">absent</td>"
            });
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}
