//! Charts of a run: each is first a plain description ([`Chart`]: lines, their styles,
//! reference lines) built from the time series by one function of [`catalog`], then drawn by
//! [`render`] as SVG and PNG.
//!
//! The split is what keeps a new chart a local change: a function that picks columns and says
//! how to draw them, added to [`catalog::CHARTS`]; the renderer, the colours, the legend, the
//! HTML and the tests pick it up from there.

pub mod catalog;
pub mod data;
mod font;
mod palette;
pub mod render;

pub use data::{SeriesKey, Timeseries};
pub use palette::colour_hex;

/// How a line is drawn. Colour says which (service, region) a line belongs to, in every chart;
/// the stroke says which of a chart's quantities it shows (arrivals or capacity, p50 or p99).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stroke {
    Solid,
    Dashed,
    Dotted,
}

/// One line: a quantity of one series over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Index into [`Chart::series`], which picks the colour.
    pub series: usize,
    pub stroke: Stroke,
    /// (hours since start, value).
    pub points: Vec<(f64, f64)>,
    /// Filled down to zero, for stacked areas: the lines of a stack hold running totals (the
    /// top line is the sum) and are filled from the top one down, so each band shows its own
    /// series' colour.
    pub fill: bool,
}

/// A vertical marker at an instant, such as a burst of preemptions.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Hours since start.
    pub x: f64,
    pub label: String,
}

/// A horizontal reference line, such as a latency target.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub y: f64,
    /// The check it draws: `target p99_latency_ms<=100`.
    pub label: String,
    /// What that check judges (`whole-run p99`): the chart's lines are per-sample figures, and
    /// the legend must not let a sample above the line read as a missed target, or the
    /// reverse.
    pub judged: String,
}

/// A y axis cut below a spike that would otherwise flatten every other line (a 30 s p99 over
/// lines of 50 ms): lines above `top` run along the top edge, and `note` says what was cut.
#[derive(Debug, Clone, PartialEq)]
pub struct YClip {
    pub top: f64,
    /// Hours since start of the highest point, where the note is drawn.
    pub x: f64,
    pub note: String,
}

/// The unit of a chart's time axis. Points are kept in hours; the renderer scales them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Hours,
    /// For short runs, whose hours would be read as fractions (`0.25`, `1.75`).
    Minutes,
}

impl TimeUnit {
    /// Runs up to this long are charted in minutes (180 at most on the axis).
    pub const MINUTES_UP_TO_S: f64 = 3.0 * 3600.0;

    /// The unit for a run of `duration_s` seconds.
    pub fn for_run(duration_s: f64) -> TimeUnit {
        if duration_s <= Self::MINUTES_UP_TO_S {
            TimeUnit::Minutes
        } else {
            TimeUnit::Hours
        }
    }

    /// Axis units per hour.
    pub fn per_hour(self) -> f64 {
        match self {
            TimeUnit::Hours => 1.0,
            TimeUnit::Minutes => 60.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Hours => "hours",
            TimeUnit::Minutes => "minutes",
        }
    }
}

/// What one chart shows, before any drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem (`charts/<id>.svg`, `charts/<id>.png`) and HTML anchor (`#chart-<id>`).
    pub id: &'static str,
    pub title: &'static str,
    /// The experiment's name, shown beside the title so a chart pasted into a slide says which
    /// run it is from.
    pub experiment: String,
    /// One sentence under the chart in the report: what to look for.
    pub caption: &'static str,
    /// Said on the chart and under it when every line is flat at zero, so that an empty chart
    /// reads as a finding ("nothing was dropped") rather than as missing data.
    pub zero_note: &'static str,
    pub x_label: String,
    /// The time axis' unit; every x in this chart (points, markers) is in hours whatever it is.
    pub x_unit: TimeUnit,
    pub y_label: &'static str,
    /// Every series of the run, in the same order in every chart, so colour `i` means the same
    /// (service, region) everywhere.
    pub series: Vec<SeriesKey>,
    /// What each stroke used in this chart means, for the legend.
    pub strokes: Vec<(Stroke, &'static str)>,
    pub lines: Vec<Line>,
    pub rules: Vec<Rule>,
    /// Vertical markers, in time order, with what the legend calls them.
    pub markers: Vec<Marker>,
    pub markers_meaning: &'static str,
    /// Set when a spike dwarfs the rest (the latency chart only); the reference lines are
    /// always below the cut.
    pub y_clip: Option<YClip>,
}

impl Chart {
    /// For each series, the first earlier series whose lines it repeats point for point (same
    /// stroke, same points), if any. Its lines are drawn exactly over that series' lines and
    /// hide them, so the legend says "same as …" rather than leave a series to look missing.
    /// Stacked areas are left out: their lines are running totals, not a series' own values.
    pub fn same_as(&self) -> Vec<Option<usize>> {
        let lines_of = |s: usize| self.lines.iter().filter(move |l| l.series == s && !l.fill);
        (0..self.series.len())
            .map(|j| {
                lines_of(j).next()?;
                (0..j).find(|&i| {
                    lines_of(j).all(|lj| {
                        lines_of(i).any(|li| li.stroke == lj.stroke && li.points == lj.points)
                    })
                })
            })
            .collect()
    }

    /// Whether every point of every line is zero (true for a chart without points).
    pub fn is_flat_zero(&self) -> bool {
        self.lines
            .iter()
            .flat_map(|l| &l.points)
            .all(|p| p.1 == 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(series: usize, stroke: Stroke, points: &[(f64, f64)], fill: bool) -> Line {
        Line {
            series,
            stroke,
            points: points.to_vec(),
            fill,
        }
    }

    fn chart(lines: Vec<Line>) -> Chart {
        Chart {
            id: "t",
            title: "t",
            experiment: String::new(),
            caption: "",
            zero_note: "",
            x_label: String::new(),
            x_unit: TimeUnit::Hours,
            y_label: "",
            series: (0..4)
                .map(|i| SeriesKey {
                    name: format!("s{i}"),
                    detail: "r".into(),
                })
                .collect(),
            strokes: Vec::new(),
            lines,
            rules: Vec::new(),
            markers: Vec::new(),
            markers_meaning: "",
            y_clip: None,
        }
    }

    #[test]
    fn a_series_repeating_an_earlier_one_is_said_to_be_the_same() {
        let a = [(0.0, 1.0), (1.0, 2.0)];
        let b = [(0.0, 1.0), (1.0, 3.0)];
        let c = chart(vec![
            line(0, Stroke::Solid, &a, false),
            line(0, Stroke::Dashed, &b, false),
            // Series 1 repeats series 0 in both strokes: hidden under it.
            line(1, Stroke::Solid, &a, false),
            line(1, Stroke::Dashed, &b, false),
            // Series 2 repeats one line only: visible.
            line(2, Stroke::Solid, &a, false),
            line(2, Stroke::Dashed, &a, false),
            // Series 3 has the points of series 0 in another stroke: visible.
            line(3, Stroke::Dotted, &a, false),
        ]);
        assert_eq!(c.same_as(), [None, Some(0), None, None]);
        // Stacked areas are running totals: never "the same".
        let stacked = chart(vec![
            line(0, Stroke::Solid, &a, true),
            line(1, Stroke::Solid, &a, true),
        ]);
        assert_eq!(stacked.same_as(), [None; 4]);
    }
}
