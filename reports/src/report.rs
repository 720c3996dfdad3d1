//! The report of a run: the charts (`charts/<id>.svg` and `.png`) and `report.html`, from the
//! time series, the pools and events tables and the summary, in memory or read back from the files of a finished run.

use std::io::Write;
use std::path::Path;

use sim::recorder::Table;

use crate::atomic::{create_dir_all, write_atomically};
use crate::chart::catalog::{CHARTS, Inputs};
use crate::chart::{Chart, Timeseries, render};
use crate::decisions::decisions;
use crate::error::ReportError;
use crate::html;
use crate::summary::Summary;
use crate::table_io::read_table;

/// The tables a report draws: the time series always; the pools table (the `nodes` and `cost`
/// charts) and the events table (markers on the `pods` chart) when the run has them, which an
/// output folder of an older clustersim does not; the VPA table (the `vpa-cpu` and
/// `vpa-memory` charts) when the run has VPAs.
#[derive(Clone, Copy)]
pub struct Tables<'a> {
    pub timeseries: &'a Table,
    pub pools: Option<&'a Table>,
    pub events: Option<&'a Table>,
    pub vpa: Option<&'a Table>,
    /// The Kueue queues table (the `queues` chart) when the run has queues.
    pub queues: Option<&'a Table>,
}

/// Writes the charts and `report.html` into `dir`, which must exist.
///
/// The forecast table (the `forecast` chart) is read from `dir`'s `forecast.parquet` when the
/// run wrote one (runs with a predictive policy), as `clustersim report DIR` reads the others.
///
/// Everything is rendered in memory first (a few MiB at most: seven charts of bounded size), so
/// a chart that cannot be drawn leaves no new file behind; each file is then written
/// atomically. Same tables and summary ⇒ same bytes: nothing from the host or the clock enters.
pub fn write_report(dir: &Path, tables: Tables, summary: &Summary) -> Result<(), ReportError> {
    let forecast_path = dir.join("forecast.parquet");
    let forecast = if forecast_path.exists() {
        Some(read_table(&forecast_path)?)
    } else {
        None
    };
    let charts = build_charts(tables, forecast.as_ref(), summary)?;
    let pools = tables
        .pools
        .map(|p| Timeseries::grouped(p, "pool"))
        .transpose()?;
    let pool_names: Vec<&str> = pools
        .iter()
        .flat_map(|p| p.keys.iter().map(|k| k.name.as_str()))
        .collect();
    let decisions = decisions(tables.events, &pool_names, summary)?;
    let mut files = Vec::new();
    for chart in &charts {
        files.push((chart, render::svg(chart)?, render::png(chart)?));
    }
    let page = html::page(
        summary,
        &decisions,
        &files
            .iter()
            .map(|(chart, svg, _)| (*chart, svg.as_str()))
            .collect::<Vec<_>>(),
    );

    let charts_dir = dir.join("charts");
    create_dir_all(&charts_dir)?;
    for (chart, svg, png) in &files {
        write_atomically(&charts_dir.join(format!("{}.svg", chart.id)), |w| {
            w.write_all(svg.as_bytes())
        })?;
        write_atomically(&charts_dir.join(format!("{}.png", chart.id)), |w| {
            w.write_all(png)
        })?;
    }
    write_atomically(&dir.join("report.html"), |w| w.write_all(page.as_bytes()))
}

/// Every chart the tables allow, in report order.
fn build_charts(
    tables: Tables,
    forecast: Option<&Table>,
    summary: &Summary,
) -> Result<Vec<Chart>, ReportError> {
    let ts = Timeseries::new(tables.timeseries)?;
    let pools = tables
        .pools
        .map(|p| Timeseries::grouped(p, "pool"))
        .transpose()?;
    let vpa = tables.vpa.map(Timeseries::new).transpose()?;
    let queues = tables
        .queues
        .map(|q| Timeseries::grouped(q, "queue"))
        .transpose()?;
    let forecast = forecast
        .map(|f| Timeseries::grouped(f, "policy"))
        .transpose()?;
    let inputs = Inputs {
        forecast: forecast.as_ref(),
        timeseries: &ts,
        pools: pools.as_ref(),
        events: tables.events,
        vpa: vpa.as_ref(),
        queues: queues.as_ref(),
        summary,
    };
    Ok(CHARTS
        .iter()
        .map(|build| build(&inputs))
        .collect::<Result<Vec<Option<Chart>>, _>>()?
        .into_iter()
        .flatten()
        .collect())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use sim::recorder::{Cell, Kind, Values};

    use super::*;
    use crate::chart::catalog::tests::{events_table, pools_table, table};
    use crate::summary::tests::example;
    use crate::test_dir::TestDir;

    #[test]
    fn the_report_is_the_page_and_an_svg_naming_every_series_and_a_png_per_chart() {
        let dir = TestDir::new("report_files");
        // A second series, named to be escaped.
        let first = table();
        let mut t = table();
        for r in 0..first.rows() {
            let mut row = row_of(&first, r);
            row[2] = Cell::Text("<script>alert(1)</script>");
            t.push_row(&row);
        }
        let (pools, events) = (pools_table("<b>pool</b>"), events_table());
        let tables = Tables {
            timeseries: &t,
            pools: Some(&pools),
            events: Some(&events),
            vpa: None,
            queues: None,
        };
        write_report(dir.path(), tables, &example()).unwrap();
        assert_eq!(dir.file_names(), ["charts", "report.html"]);
        let charts = dir.path().join("charts");
        let ids: Vec<_> = build_charts(tables, None, &example())
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        // Every chart but the two of the VPA table, the queues one, the forecast one and the
        // budget one, which this run has not.
        assert_eq!(ids.len(), CHARTS.len() - 5);
        for id in &ids {
            let png = fs::read(charts.join(format!("{id}.png"))).unwrap();
            assert_eq!(&png[..4], b"\x89PNG", "{id}");
            let svg = fs::read_to_string(charts.join(format!("{id}.svg"))).unwrap();
            let doc = roxmltree::Document::parse(&svg)
                .unwrap_or_else(|e| panic!("{id}.svg is not XML: {e}"));
            let texts: Vec<&str> = doc
                .descendants()
                .filter_map(|n| n.text())
                .map(str::trim)
                .collect();
            let names = match *id {
                "nodes" | "cost" => ["<b>pool</b>", "sp", "us-east1, spot"],
                _ => ["api", "us-east1", "<script>alert(1)</script>"],
            };
            for name in names {
                assert!(texts.contains(&name), "{id}.svg does not name {name}");
            }
        }
        assert_eq!(fs::read_dir(&charts).unwrap().count(), 2 * ids.len());
        let page = fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert_eq!(page.matches("<svg").count(), ids.len());
        assert!(!page.contains("<script") && !page.contains("<b>"));
        // The decisions: the ten preemptions of one deployment, the event text escaped.
        assert!(page.contains("<th colspan=\"5\">api-us-east1 · 10 events</th>"));
        assert!(page.contains("<td>an &lt;event&gt;</td>") && !page.contains("<event>"));
    }

    #[test]
    fn a_forecast_table_in_the_folder_adds_the_forecast_chart() {
        let dir = TestDir::new("report_forecast");
        let t = table();
        let mut f = Table::new(&[
            ("time_s", Kind::U64),
            ("region", Kind::Text),
            ("policy", Kind::Text),
            ("target", Kind::Text),
            ("unit", Kind::Text),
            ("forecast", Kind::F64),
            ("provisioned", Kind::F64),
            ("actual", Kind::F64),
        ]);
        f.push_row(&[
            Cell::U64(600),
            Cell::Text("us-east1"),
            Cell::Text("p"),
            Cell::Text("api"),
            Cell::Text("rps"),
            Cell::F64(30.0),
            Cell::F64(35.0),
            Cell::F64(33.0),
        ]);
        crate::table_io::write_table(&f, dir.path(), "forecast").unwrap();
        let tables = Tables {
            timeseries: &t,
            pools: None,
            events: None,
            vpa: None,
            queues: None,
        };
        write_report(dir.path(), tables, &example()).unwrap();
        let svg = fs::read_to_string(dir.path().join("charts").join("forecast.svg")).unwrap();
        assert!(svg.contains("forecast + headroom"));
    }

    #[test]
    fn without_the_pools_table_the_pool_charts_are_absent() {
        let dir = TestDir::new("report_no_pools");
        let t = table();
        let tables = Tables {
            timeseries: &t,
            pools: None,
            events: None,
            vpa: None,
            queues: None,
        };
        write_report(dir.path(), tables, &example()).unwrap();
        let charts = dir.path().join("charts");
        assert!(charts.join("pods.svg").is_file());
        assert!(!charts.join("nodes.svg").exists() && !charts.join("cost.svg").exists());
        // Neither the pools' two charts, nor the VPA's two, nor the queues one, nor the
        // forecast one, nor the budget one.
        assert_eq!(
            fs::read_dir(&charts).unwrap().count(),
            2 * (CHARTS.len() - 7)
        );
    }

    /// Row `r` of `t` as cells, to copy it.
    fn row_of(t: &Table, r: usize) -> Vec<Cell<'_>> {
        t.columns()
            .iter()
            .map(|c| match &c.values {
                Values::U64(v) => Cell::U64(v[r]),
                Values::F64(v) => Cell::F64(v[r]),
                Values::Text(v) => Cell::Text(&v[r]),
            })
            .collect()
    }

    #[test]
    fn a_table_without_the_charted_columns_writes_nothing() {
        let dir = TestDir::new("report_missing_column");
        let bare = Table::new(&[("time_s", sim::recorder::Kind::U64)]);
        let tables = Tables {
            timeseries: &bare,
            pools: None,
            events: None,
            vpa: None,
            queues: None,
        };
        let err = write_report(dir.path(), tables, &example()).unwrap_err();
        assert!(err.to_string().contains("`service`"), "{err}");
        assert_eq!(dir.file_names(), Vec::<String>::new());
    }
}
