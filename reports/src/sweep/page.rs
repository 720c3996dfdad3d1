//! `sweep.html`: the answer first (the cheapest configuration that meets every target, or a
//! plain statement that none does), then the cost/service-level chart, then every
//! configuration. Self-contained like `report.html`: inline CSS and SVG, no script, every
//! user string escaped.

use std::fmt::Write;

use super::frontier::{Configuration, Objective};
use super::{Sweep, cheapest_passing};
use crate::check::verdict;
use crate::escape::html as esc;
use crate::format::{figure, percent, usd};
use crate::html::open_page;

/// `field = value, …` for a configuration.
fn parameters(sweep: &Sweep, c: &Configuration) -> String {
    sweep
        .parameters
        .iter()
        .zip(&c.parameters)
        .map(|(name, v)| format!("{} = {}", esc(name), esc(&v.display())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn level(c: &Configuration) -> String {
    let attainment = c.attainment.map_or_else(String::new, |a| {
        format!("SLO attainment {} (worst seed), ", percent(a))
    });
    let p99 = c.p99_ms.map_or_else(
        || "no request served".to_owned(),
        |p| format!("p99 {} ms", figure(p)),
    );
    format!("{attainment}{p99}")
}

/// The page.
pub fn page(
    sweep: &Sweep,
    configs: &[Configuration],
    objective: Objective,
    on_frontier: &[bool],
    svg: &str,
) -> String {
    let mut h = String::new();
    let name = esc(&sweep.name);
    let seeds = configs.first().map_or(0, |c| c.runs);
    open_page(&mut h, &format!("{name} · clustersim sweep"));
    let _ = write!(
        h,
        "<header>\n<p class=\"kicker\">clustersim sweep</p>\n<h1>{name}</h1>\n\
         <p class=\"meta\">{} runs · {} configurations × {seeds} seeds</p>\n",
        sweep.runs.len(),
        configs.len(),
    );
    // The sweep file's opening comment (its question and answer), else the base
    // experiment's (every run's summary carries it).
    let about = sweep.description.as_ref().or_else(|| {
        sweep
            .runs
            .first()
            .and_then(|r| r.summary.description.as_ref())
    });
    if let Some(d) = about {
        let _ = writeln!(h, "<pre class=\"about\">{}</pre>", esc(d));
    }
    h.push_str("</header>\n");
    h.push_str("<section id=\"answer\">\n<h2>Answer</h2>\n");
    match cheapest_passing(configs) {
        Some(best) => {
            let _ = write!(
                h,
                "<p class=\"verdict pass\">The cheapest configuration that meets every target</p>\n\
                 <p><code>{}</code></p>\n<p>mean cost {} over its {} seeds, all passing; {}.</p>\n",
                parameters(sweep, best),
                usd(best.cost_usd),
                best.runs,
                level(best),
            );
        }
        None => {
            let _ = write!(
                h,
                "<p class=\"verdict fail\">No configuration meets every target</p>\n\
                 <p>None of the {} configurations met every target in every seed; the table \
                 below says how many seeds each passed. Widen the axes (more capacity) or \
                 relax the targets.</p>\n",
                configs.len()
            );
        }
    }
    h.push_str("</section>\n");
    let caption = match objective {
        Objective::Attainment => {
            "Each point is a configuration: its mean cost over seeds against its worst seed's SLO \
             attainment. Up and to the left is better; the red line joins the configurations no \
             other beats on both."
        }
        Objective::P99 => {
            "Each point is a configuration: its mean cost over seeds against its worst seed's p99 \
             (no p99 target is set, so there is no attainment). Down and to the left is better; \
             the red line joins the configurations no other beats on both."
        }
    };
    let _ = write!(
        h,
        "<section id=\"chart\">\n<h2>Cost against service level</h2>\n<figure>\n{svg}\
         <figcaption>{caption} Also in <code>charts/pareto.svg</code>.</figcaption>\n</figure>\n</section>\n"
    );
    h.push_str(
        "<section id=\"configurations\">\n<h2>Configurations</h2>\n<table>\n<thead><tr>\
         <th>result</th>",
    );
    for p in &sweep.parameters {
        let _ = write!(h, "<th><code>{}</code></th>", esc(p));
    }
    h.push_str(
        "<th class=\"num\">seeds passed</th><th class=\"num\">mean cost</th>\
         <th class=\"num\">attainment</th><th class=\"num\">p99</th><th>frontier</th></tr></thead>\n<tbody>\n",
    );
    for (c, front) in configs.iter().zip(on_frontier) {
        let class = if c.pass { "pass" } else { "fail" };
        let result = verdict(c.pass);
        let _ = write!(
            h,
            "<tr class=\"{class}\"><td><span class=\"badge {class}\">{result}</span></td>"
        );
        for v in &c.parameters {
            let _ = write!(h, "<td class=\"num\">{}</td>", esc(&v.display()));
        }
        let _ = writeln!(
            h,
            "<td class=\"num\">{} of {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            c.runs_passed,
            c.runs,
            usd(c.cost_usd),
            c.attainment.map_or_else(|| "—".into(), percent),
            c.p99_ms
                .map_or_else(|| "—".into(), |p| format!("{} ms", figure(p))),
            if *front { "yes" } else { "" },
        );
    }
    let _ = write!(
        h,
        "</tbody>\n</table>\n</section>\n<footer>clustersim {} · one row per run in \
         <code>sweep.parquet</code> and <code>sweep.csv</code>; each run's summary in \
         <code>runs/&lt;run id&gt;/summary.json</code>.</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    h
}
