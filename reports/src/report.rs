//! The report of a run: the charts (`charts/<id>.svg` and `.png`) and `report.html`, from the
//! time series and the summary, in memory or read back from the files of a finished run.

use std::fs;
use std::io::Write;
use std::path::Path;

use sim::recorder::Table;

use crate::atomic::write_atomically;
use crate::chart::catalog::{CHARTS, Inputs};
use crate::chart::{Chart, Timeseries, render};
use crate::error::{Access, ReportError};
use crate::html;
use crate::summary::Summary;

/// Writes the charts and `report.html` into `dir`, which must exist.
///
/// Everything is rendered in memory first (a few MiB at most: five charts of bounded size), so
/// a chart that cannot be drawn leaves no new file behind; each file is then written
/// atomically. Same table and summary ⇒ same bytes: nothing from the host or the clock enters.
pub fn write_report(dir: &Path, timeseries: &Table, summary: &Summary) -> Result<(), ReportError> {
    let ts = Timeseries::new(timeseries)?;
    let inputs = Inputs {
        timeseries: &ts,
        summary,
    };
    let charts = CHARTS
        .iter()
        .map(|build| build(&inputs))
        .collect::<Result<Vec<Chart>, _>>()?;
    let mut files = Vec::new();
    for chart in &charts {
        files.push((chart, render::svg(chart)?, render::png(chart)?));
    }
    let page = html::page(
        summary,
        &files
            .iter()
            .map(|(chart, svg, _)| (*chart, svg.as_str()))
            .collect::<Vec<_>>(),
    );

    let charts_dir = dir.join("charts");
    fs::create_dir_all(&charts_dir).map_err(|source| ReportError::Io {
        access: Access::Write,
        path: charts_dir.clone(),
        source,
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::catalog::tests::table;
    use crate::summary::tests::example;
    use crate::test_dir::TestDir;

    #[test]
    fn the_report_is_the_page_and_a_png_and_svg_per_chart() {
        let dir = TestDir::new("report_files");
        write_report(dir.path(), &table(), &example()).unwrap();
        assert_eq!(dir.file_names(), ["charts", "report.html"]);
        let mut charts: Vec<String> = fs::read_dir(dir.path().join("charts"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        charts.sort();
        let mut expected: Vec<String> = CHARTS
            .iter()
            .map(|b| {
                let t = table();
                let ts = Timeseries::new(&t).unwrap();
                let s = example();
                b(&Inputs {
                    timeseries: &ts,
                    summary: &s,
                })
                .unwrap()
                .id
            })
            .flat_map(|id| [format!("{id}.png"), format!("{id}.svg")])
            .collect();
        expected.sort();
        assert_eq!(charts, expected);
        let page = fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert_eq!(page.matches("<svg").count(), CHARTS.len());
    }

    #[test]
    fn a_table_without_the_charted_columns_writes_nothing() {
        let dir = TestDir::new("report_missing_column");
        let bare = Table::new(&[("time_s", sim::recorder::Kind::U64)]);
        let err = write_report(dir.path(), &bare, &example()).unwrap_err();
        assert!(err.to_string().contains("`service`"), "{err}");
        assert_eq!(dir.file_names(), Vec::<String>::new());
    }
}
