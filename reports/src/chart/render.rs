//! Drawing a [`Chart`] with plotters, as SVG text and as PNG bytes, at slide size.
//!
//! One drawing function serves both backends, so the SVG and the PNG of a chart show the same
//! thing. Layout: the title across the top, the plot on the left, and the legend in a column
//! of its own on the right, so it never hides a line however many series there are.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart::font::{FAMILY, ensure_registered};
use crate::chart::palette::{self, GRID_BOLD, GRID_LIGHT, INK, MUTED, TARGET};
use crate::chart::{Chart, Stroke};
use crate::error::ReportError;
use crate::format;

/// Slide size: a 16:9 slide at 1280 × 720 shows a chart at its own resolution.
pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 720;

const TITLE_HEIGHT: u32 = 64;
const LEGEND_WIDTH: u32 = 330;
/// Height of one series in the legend: service name, region under it.
const SERIES_ROW: i32 = 50;
/// Height of one stroke in the legend.
const STYLE_ROW: i32 = 32;
/// Height of one rule in the legend: its check, and what it judges under it.
const RULE_ROW: i32 = 52;
/// Longest name the legend shows in full; the report's tables show every name whole.
const LEGEND_CHARS: usize = 26;
/// Longest "<region> · same as <service>, <region>" under a series hidden by another: in a
/// smaller font, it fills the legend's width as a name does.
const SAME_AS_CHARS: usize = 32;
/// Longest "what it judges" under a rule: after "judges the ", in a smaller font, it fills
/// the legend's width as a name does.
const JUDGED_CHARS: usize = 24;

/// The chart as an SVG document. Its text is real text (`<text>` elements, escaped), drawn by
/// the viewer in its own sans-serif.
pub fn svg(chart: &Chart) -> Result<String, ReportError> {
    check_font(chart)?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart).map_err(|e| drawing_error(chart, e))?;
        root.present().map_err(|e| drawing_error(chart, e))?;
    }
    Ok(text)
}

/// The chart as a PNG file, text rasterized from the embedded font.
pub fn png(chart: &Chart) -> Result<Vec<u8>, ReportError> {
    check_font(chart)?;
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart).map_err(|e| drawing_error(chart, e))?;
        root.present().map_err(|e| drawing_error(chart, e))?;
    }
    encode_png(&rgb).map_err(|e| ReportError::Chart {
        chart: chart.id.to_owned(),
        message: format!("cannot encode the PNG: {e}"),
    })
}

fn check_font(chart: &Chart) -> Result<(), ReportError> {
    if ensure_registered() {
        Ok(())
    } else {
        Err(ReportError::Chart {
            chart: chart.id.to_owned(),
            message: "the embedded font does not parse".into(),
        })
    }
}

fn drawing_error<E: std::error::Error>(chart: &Chart, e: E) -> ReportError {
    ReportError::Chart {
        chart: chart.id.to_owned(),
        message: e.to_string(),
    }
}

/// 8-bit RGB, default compression and filter: fixed settings, so fixed bytes.
fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Default);
    encoder.set_filter(png::FilterType::Sub);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let (title, body) = root.split_vertically(TITLE_HEIGHT);
    let middle = TITLE_HEIGHT as i32 / 2 + 4;
    title.draw(&Text::new(
        chart.title,
        (28, middle),
        text(30, INK).pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    title.draw(&Text::new(
        shorten(&chart.experiment),
        (WIDTH as i32 - 24, middle),
        text(20, MUTED).pos(Pos::new(HPos::Right, VPos::Center)),
    ))?;
    let (plot, legend) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
    draw_plot(&plot, chart)?;
    draw_legend(&legend, chart)
}

fn text(size: u32, colour: RGBColor) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&colour)
}

fn draw_plot<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &Chart) -> Drawn<DB> {
    // Points and markers are in hours; the axis is in the chart's unit (× 1 leaves them as
    // they are).
    let kx = chart.x_unit.per_hour();
    let x_end = chart
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .chain(chart.markers.iter().map(|m| m.x))
        .fold(0.0, f64::max)
        * kx;
    let x_end = if x_end > 0.0 { x_end } else { 1.0 };
    let y_max = chart
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(chart.rules.iter().map(|r| r.y))
        .filter(|y| y.is_finite())
        .fold(0.0, f64::max);
    // Headroom above the highest line or rule (more for the markers' labels); a flat zero
    // chart still gets an axis.
    let headroom = if chart.markers.is_empty() { 1.12 } else { 1.3 };
    let y_top = match &chart.y_clip {
        Some(clip) => clip.top,
        None if y_max > 0.0 => y_max * headroom,
        None => 1.0,
    };
    // Above a cut, lines run along the top edge.
    let y_of = |y: f64| y.min(y_top);

    let mut cc = ChartBuilder::on(area)
        .margin_top(8)
        .margin_left(16)
        .margin_right(24)
        .margin_bottom(8)
        .x_label_area_size(72)
        .y_label_area_size(104)
        .build_cartesian_2d(0.0..x_end, 0.0..y_top)?;
    cc.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label)
        .axis_desc_style(text(22, INK))
        .label_style(text(19, INK))
        .axis_style(INK)
        .bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT)
        .x_labels(13)
        .y_labels(8)
        .x_label_formatter(&|x| format::figure(*x))
        .y_label_formatter(&|y| format::figure(*y))
        .draw()?;

    // Stacked areas, the top one first: each lower band is drawn over the ones above it.
    for line in chart.lines.iter().rev().filter(|l| l.fill) {
        cc.draw_series(AreaSeries::new(
            line.points.iter().map(|&(x, y)| (x * kx, y_of(y))),
            0.0,
            palette::light(line.series).filled(),
        ))?;
    }
    for line in &chart.lines {
        let style = palette::colour(line.series).stroke_width(stroke_width(line.stroke));
        let points = line.points.iter().map(|&(x, y)| (x * kx, y_of(y)));
        match line.stroke {
            Stroke::Solid => cc.draw_series(LineSeries::new(points, style))?,
            Stroke::Dashed => cc.draw_series(DashedLineSeries::new(points, 14, 8, style))?,
            Stroke::Dotted => cc.draw_series(DashedLineSeries::new(points, 3, 6, style))?,
        };
    }
    for rule in &chart.rules {
        cc.draw_series(DashedLineSeries::new(
            [(0.0, rule.y), (x_end, rule.y)],
            18,
            8,
            TARGET.stroke_width(3),
        ))?;
    }
    for (k, marker) in chart.markers.iter().enumerate() {
        let marker_x = marker.x * kx;
        cc.draw_series(DashedLineSeries::new(
            [(marker_x, 0.0), (marker_x, y_top)],
            6,
            6,
            MUTED.stroke_width(2),
        ))?;
        // Labels in four staggered rows under the top edge, on the side with room.
        let y = y_top * (0.97 - 0.05 * (k % 4) as f64);
        let (x, h) = if marker_x > 0.7 * x_end {
            (marker_x - x_end * 0.004, HPos::Right)
        } else {
            (marker_x + x_end * 0.004, HPos::Left)
        };
        cc.plotting_area().draw(&Text::new(
            marker.label.as_str(),
            (x, y),
            text(16, MUTED).pos(Pos::new(h, VPos::Center)),
        ))?;
    }
    if let Some(clip) = &chart.y_clip {
        let x = clip.x * kx;
        let h = if x > 0.5 * x_end {
            HPos::Right
        } else {
            HPos::Left
        };
        cc.plotting_area().draw(&Text::new(
            clip.note.as_str(),
            (x, y_top * 0.95),
            text(18, TARGET).pos(Pos::new(h, VPos::Center)),
        ))?;
    }
    if chart.is_flat_zero() {
        cc.plotting_area().draw(&Text::new(
            chart.zero_note,
            (x_end / 2.0, y_top / 2.0),
            text(26, MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}

fn stroke_width(stroke: Stroke) -> u32 {
    match stroke {
        Stroke::Solid => 3,
        Stroke::Dashed | Stroke::Dotted => 2,
    }
}

/// Series (colour, service, region), then the meaning of each stroke, then the rules. When the
/// series do not all fit, the last row says how many are left out.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &Chart) -> Drawn<DB> {
    let (x0, x1, label_x) = (8, 52, 64);
    let mut y = 24;
    let left = Pos::new(HPos::Left, VPos::Center);

    // One stroke needs no key: the title says what the lines are.
    let strokes = if chart.strokes.len() > 1 {
        &chart.strokes[..]
    } else {
        &[]
    };
    let marker_rows = usize::from(!chart.markers.is_empty());
    let styles_height =
        STYLE_ROW * (strokes.len() + marker_rows) as i32 + RULE_ROW * chart.rules.len() as i32 + 24;
    let room = (HEIGHT - TITLE_HEIGHT) as i32 - y - styles_height - 16;
    let fit = (room / SERIES_ROW).max(1) as usize;
    let shown = if chart.series.len() > fit {
        fit - 1
    } else {
        chart.series.len()
    };
    let same_as = chart.same_as();
    for (i, key) in chart.series.iter().enumerate().take(shown) {
        let style = palette::colour(i).stroke_width(6);
        area.draw(&PathElement::new([(x0, y + 10), (x1, y + 10)], style))?;
        area.draw(&Text::new(
            shorten(&key.name),
            (label_x, y),
            text(19, INK).pos(left),
        ))?;
        // A series drawn exactly over an earlier one says so, or the earlier one would look
        // absent from the chart.
        let detail = match same_as[i] {
            Some(earlier) => {
                let e = &chart.series[earlier];
                let same = if e.name == key.name {
                    format!("{} · same as {}", key.detail, e.detail)
                } else {
                    format!("{} · same as {}, {}", key.detail, e.name, e.detail)
                };
                (shorten_to(&same, SAME_AS_CHARS), text(15, INK))
            }
            None => (shorten(&key.detail), text(17, MUTED)),
        };
        area.draw(&Text::new(detail.0, (label_x, y + 22), detail.1.pos(left)))?;
        y += SERIES_ROW;
    }
    if shown < chart.series.len() {
        area.draw(&Text::new(
            format!(
                "+ {} more in the report's table",
                chart.series.len() - shown
            ),
            (x0, y),
            text(17, MUTED).pos(left),
        ))?;
        y += SERIES_ROW;
    }

    y += 8;
    for &(stroke, meaning) in strokes {
        let style = INK.stroke_width(stroke_width(stroke));
        let sample = [(x0, y), (x1, y)];
        match stroke {
            Stroke::Solid => area.draw(&PathElement::new(sample, style))?,
            Stroke::Dashed => area.draw(&DashedPathElement::new(sample, 14, 8, style))?,
            Stroke::Dotted => area.draw(&DashedPathElement::new(sample, 3, 6, style))?,
        }
        area.draw(&Text::new(meaning, (label_x, y), text(18, INK).pos(left)))?;
        y += STYLE_ROW;
    }
    for rule in &chart.rules {
        let sample = [(x0, y), (x1, y)];
        area.draw(&DashedPathElement::new(
            sample,
            18,
            8,
            TARGET.stroke_width(3),
        ))?;
        area.draw(&Text::new(
            shorten(&rule.label),
            (label_x, y),
            text(16, TARGET).pos(left),
        ))?;
        area.draw(&Text::new(
            format!("judges the {}", shorten_to(&rule.judged, JUDGED_CHARS)),
            (label_x, y + 20),
            text(15, MUTED).pos(left),
        ))?;
        y += RULE_ROW;
    }
    if !chart.markers.is_empty() {
        let sample = [(x0, y), (x1, y)];
        area.draw(&DashedPathElement::new(sample, 6, 6, MUTED.stroke_width(2)))?;
        area.draw(&Text::new(
            chart.markers_meaning,
            (label_x, y),
            text(16, MUTED).pos(left),
        ))?;
    }
    Ok(())
}

/// At most [`LEGEND_CHARS`] characters, an ellipsis marking a cut.
fn shorten(name: &str) -> String {
    shorten_to(name, LEGEND_CHARS)
}

/// At most `chars` characters (≥ 1), an ellipsis marking a cut.
fn shorten_to(name: &str, chars: usize) -> String {
    if name.chars().count() <= chars {
        name.to_owned()
    } else {
        let mut s: String = name.chars().take(chars - 1).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Timeseries;
    use crate::chart::catalog::tests::{events_table, pools_table, table};
    use crate::chart::catalog::{CHARTS, Inputs};
    use crate::summary::tests::example;

    fn latency_chart() -> Chart {
        chart(2)
    }

    /// Chart `i` of [`CHARTS`], with the pools table (pools `p&q` and `sp`) and the events.
    fn chart(i: usize) -> Chart {
        let (t, p, e) = (table(), pools_table("p&q"), events_table());
        let ts = Timeseries::new(&t).unwrap();
        let pools = Timeseries::grouped(&p, "pool").unwrap();
        let summary = example();
        CHARTS[i](&Inputs {
            timeseries: &ts,
            pools: Some(&pools),
            events: Some(&e),
            vpa: None,
            queues: None,
            forecast: None,
            summary: &summary,
        })
        .unwrap()
        .unwrap()
    }

    fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(|t| t.trim().to_owned())
            .collect()
    }

    #[test]
    fn the_pool_charts_are_xml_naming_each_pool_escaped() {
        for (i, title) in [(5, "Nodes per pool"), (6, "Cost so far")] {
            let svg = svg(&chart(i)).unwrap();
            assert!(svg.contains("p&amp;q") && !svg.contains("p&q"), "{title}");
            let texts = texts(&svg);
            for expected in [title, "p&q", "sp", "us-east1, spot", "us-east1, on-demand"] {
                assert!(texts.iter().any(|t| t == expected), "{expected}: {texts:?}");
            }
        }
        let cost = texts(&svg(&chart(6)).unwrap());
        assert!(cost.iter().any(|t| t == "all pools"), "{cost:?}");
        // Filled bands in the nodes chart: the lighter fill of each pool's colour.
        let nodes = svg(&chart(5)).unwrap();
        for i in [0, 1] {
            let RGBColor(r, g, b) = palette::light(i);
            let fill = format!("fill=\"#{r:02X}{g:02X}{b:02X}\"");
            assert!(nodes.contains(&fill), "no {fill}");
        }
    }

    #[test]
    fn the_pods_chart_labels_its_markers() {
        let texts = texts(&svg(&chart(1)).unwrap());
        for expected in [
            "06:00 Preempted ×10",
            "12:00 Killing ×3",
            "pods preempted or scaled down",
        ] {
            assert!(texts.iter().any(|t| t == expected), "{expected}: {texts:?}");
        }
    }

    #[test]
    fn the_svg_is_xml_with_its_title_series_and_target_as_text() {
        let svg = svg(&latency_chart()).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        // roxmltree unescapes: the target's `<=` was written as `&lt;=`.
        for expected in [
            "Response time",
            "example",
            "api",
            "us-east1",
            "p99",
            "target p99_latency_ms<=100",
            "judges the whole-run p99",
        ] {
            assert!(texts.contains(&expected), "{expected}: {texts:?}");
        }
    }

    #[test]
    fn the_png_is_a_png_of_slide_size_and_the_same_every_time() {
        let chart = latency_chart();
        let bytes = png(&chart).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, right after the chunk header.
        assert_eq!(&bytes[16..24], [0, 0, 5, 0, 0, 0, 2, 208]);
        assert_eq!(png(&chart).unwrap(), bytes);
    }

    #[test]
    fn a_short_run_has_its_time_axis_in_minutes() {
        // The example's points run to 60 s: 1 minute, or 0.0167 hours.
        let mut chart = latency_chart();
        assert_eq!(chart.x_unit, crate::chart::TimeUnit::Minutes);
        let minutes = texts(&svg(&chart).unwrap());
        assert!(minutes.iter().any(|t| t.starts_with("minutes since")));
        assert!(minutes.iter().any(|t| t == "0.5"), "{minutes:?}");
        chart.x_unit = crate::chart::TimeUnit::Hours;
        let hours = texts(&svg(&chart).unwrap());
        assert!(!hours.iter().any(|t| t == "0.5"), "{hours:?}");
    }

    #[test]
    fn a_clipped_axis_says_what_it_cut_and_keeps_the_target() {
        let mut chart = latency_chart();
        chart.lines[0].points = vec![(0.0, 20.0), (0.5, 30_000.0), (1.0, 20.0)];
        chart.y_clip = Some(crate::chart::YClip {
            top: 300.0,
            x: 0.5,
            note: "▲ off scale: peak 30,000 ms at 30 minutes (api, us-east1)".into(),
        });
        let texts = texts(&svg(&chart).unwrap());
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("▲ off scale: peak 30,000 ms"))
        );
        assert!(texts.iter().any(|t| t == "target p99_latency_ms<=100"));
        // The y axis' ticks stop at the cut.
        let ticks: Vec<f64> = texts
            .iter()
            .filter_map(|t| t.replace(',', "").parse::<f64>().ok())
            .collect();
        assert!(ticks.iter().any(|&y| y >= 250.0), "{ticks:?}");
        assert!(ticks.iter().all(|&y| y <= 300.0), "{ticks:?}");
    }

    #[test]
    fn a_series_hidden_under_another_says_same_as_in_the_legend() {
        let mut chart = latency_chart();
        chart.series.push(crate::chart::SeriesKey {
            name: "web".into(),
            detail: "eu".into(),
        });
        let copies: Vec<_> = chart
            .lines
            .iter()
            .map(|l| crate::chart::Line {
                series: 1,
                ..l.clone()
            })
            .collect();
        chart.lines.extend(copies);
        let texts = texts(&svg(&chart).unwrap());
        assert!(
            texts.iter().any(|t| t == "eu · same as api, us-east1"),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "us-east1"), "{texts:?}");
        // The same service in another region names the region only.
        chart.series[1].name = "api".into();
        let texts = self::texts(&svg(&chart).unwrap());
        assert!(
            texts.iter().any(|t| t == "eu · same as us-east1"),
            "{texts:?}"
        );
    }

    #[test]
    fn series_that_do_not_fit_the_legend_are_counted() {
        let mut chart = latency_chart();
        chart.series = (0..20)
            .map(|i| crate::chart::SeriesKey {
                name: format!("s{i}"),
                detail: "r".into(),
            })
            .collect();
        let svg = svg(&chart).unwrap();
        assert!(svg.contains("s0"));
        assert!(!svg.contains("s19"));
        assert!(svg.contains("more in the report&apos;s table"), "{svg}");
    }

    #[test]
    fn long_names_are_shortened_in_the_legend() {
        assert_eq!(shorten("api"), "api");
        let long = "a".repeat(40);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), LEGEND_CHARS);
        assert!(short.ends_with('…'));
    }
}
