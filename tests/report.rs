//! End-to-end tests of the report: what `clustersim run` writes besides the data (charts and
//! `report.html`), `clustersim report DIR` rendering it again byte for byte, user strings
//! escaped, and the page as headless Chromium renders it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{GOOD, clustersim, headless, text};

/// Runs `file` into `out` and asserts the exit code.
fn run(file: &str, out: &Path, extra: &[&str], code: i32) -> Output {
    let mut args = vec!["run", file, "--out", out.to_str().unwrap(), "--quiet"];
    args.extend(extra);
    let r = clustersim(&args);
    assert_eq!(r.status.code(), Some(code), "{}", text(&r.stderr));
    r
}

/// The chart files a run wrote, sorted.
fn chart_files(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(out.join("charts"))
        .expect("charts/ was written")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The chart ids (file stems) a run wrote, each of which must have both a PNG and an SVG.
fn chart_ids(out: &Path) -> Vec<String> {
    let files = chart_files(out);
    let ids: Vec<String> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect();
    for id in &ids {
        assert!(
            out.join("charts").join(format!("{id}.png")).is_file(),
            "{id}.png"
        );
    }
    assert_eq!(files.len(), 2 * ids.len(), "{files:?}");
    ids
}

#[test]
fn a_run_writes_every_chart_and_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    run("experiments/quickstart.ron", tmp.path(), &[], 0);
    assert_eq!(
        chart_ids(tmp.path()),
        [
            "backlog", "cost", "dropped", "latency", "nodes", "pods", "traffic"
        ]
    );
    let page = fs::read_to_string(tmp.path().join("report.html")).unwrap();
    let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    // The verdict first, then figures, then charts.
    assert!(at("id=\"verdict\"") < at("id=\"figures\""));
    assert!(at("id=\"figures\"") < at("id=\"charts\""));
    assert!(page.contains("<code>p99_latency_ms&lt;=100</code>"));
    assert!(page.contains("PASS"));
    // Self-contained: the only URL is the SVG namespace, which names and loads nothing.
    for needle in ["src=", "href=", "url(", "@import", "<link", "<script"] {
        assert!(!page.contains(needle), "{needle}");
    }
    assert_eq!(
        page.matches("http").count(),
        page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
}

#[test]
fn a_whole_run_p99_pass_with_samples_above_the_line_says_so_by_the_verdict() {
    // Quickstart with checkout on 4 pods and without its own target meets p99 ≤ 100 ms over
    // the whole run (66 ms) while checkout's sampled p99 is 120 ms (Erlang C, ρ = 0.75): the
    // page must not let the green verdict and the chart disagree.
    let tmp = tempfile::tempdir().unwrap();
    let quickstart = fs::read_to_string("experiments/quickstart.ron").unwrap();
    let own_target = "            targets: (p99_latency: \"100ms\"),\n";
    assert!(quickstart.contains(own_target) && quickstart.contains("replicas: 5,"));
    let file = tmp.path().join("quickstart-4.ron");
    fs::write(
        &file,
        quickstart
            .replace(own_target, "")
            .replace("replicas: 5,", "replicas: 4,"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    run(file.to_str().unwrap(), &out, &[], 0);
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    let header = &page[..page.find("</header>").unwrap()];
    assert!(header.contains("class=\"verdict pass\""), "{header}");
    assert!(
        header.contains("passes on the whole-run p99 (65.6 ms), but sampled p99s sit above"),
        "{header}"
    );
    assert!(
        header.contains("the worst sample p99 is 120 ms"),
        "{header}"
    );
    // The chart's red line says what it judges.
    let latency = fs::read_to_string(out.join("charts/latency.svg")).unwrap();
    assert!(latency.contains("target p99_latency_ms&lt;=100"));
    assert!(
        latency.contains("judges the whole-run p99"),
        "no judged label"
    );
}

#[test]
fn a_latency_spike_is_cut_and_said_while_the_target_line_stays_readable() {
    // The flash crowd's 30 s p99 over a 100 ms target: the axis stops at 300 ms, the spike is
    // named, and the 2 h run's time axis is in minutes.
    let tmp = tempfile::tempdir().unwrap();
    run("experiments/flash-crowd-karpenter.ron", tmp.path(), &[], 1);
    let latency = fs::read_to_string(tmp.path().join("charts/latency.svg")).unwrap();
    assert!(
        latency.contains("▲ off scale: peak 30,046 ms at "),
        "no spike note"
    );
    assert!(latency.contains("minutes since "), "no minutes axis");
    assert!(latency.contains("target p99_latency_ms&lt;=100"));
    // Text content sits on lines of its own in plotters' SVG.
    let texts: Vec<&str> = latency
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('<'))
        .collect();
    assert!(texts.contains(&"300"), "axis not cut at 300: {texts:?}");
    assert!(!texts.contains(&"1,000"), "{texts:?}");
}

#[test]
fn a_series_hidden_under_an_identical_one_is_named_in_the_legend() {
    // Quickstart's api serves the same traffic in us-east1 and europe-west1: its europe-west1
    // lines lie exactly over the us-east1 ones.
    let tmp = tempfile::tempdir().unwrap();
    run("experiments/quickstart.ron", tmp.path(), &[], 0);
    let traffic = fs::read_to_string(tmp.path().join("charts/traffic.svg")).unwrap();
    assert!(
        traffic.contains("europe-west1 · same as us-east1"),
        "no same-as in the legend"
    );
}

#[test]
fn report_renders_the_same_bytes_from_the_saved_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    run(
        "experiments/quickstart.ron",
        out,
        &["--gate", "cost_usd<=100"],
        0,
    );
    rerender_is_identical(out);
    // The gate given to `run` is in the summary, so the re-rendered page shows it too.
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("<code>cost_usd&lt;=100</code>"));
}

#[test]
fn report_renders_the_pool_charts_and_event_markers_the_same_from_disk() {
    // Preemptions at 06:00 and scale-down deletions at 12:00: the pods chart has markers, and
    // the nodes chart stacks an on-demand and a spot pool.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    run("experiments/cluster-priorities.ron", out, &[], 1);
    let pods = fs::read_to_string(out.join("charts/pods.svg")).unwrap();
    assert!(pods.contains("06:00 Preempted ×"), "no preemption marker");
    let nodes = fs::read_to_string(out.join("charts/nodes.svg")).unwrap();
    assert!(nodes.contains("on-demand") && nodes.contains("spot"));
    rerender_is_identical(out);
}

#[test]
fn report_of_an_older_folder_without_pools_and_events_leaves_their_charts_out() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    run("experiments/cluster-priorities.ron", out, &[], 1);
    for stem in ["pools", "events"] {
        fs::remove_file(out.join(format!("{stem}.parquet"))).unwrap();
    }
    fs::remove_dir_all(out.join("charts")).unwrap();
    let r = clustersim(&["report", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(
        chart_ids(out),
        ["backlog", "dropped", "latency", "pods", "traffic"]
    );
    let pods = fs::read_to_string(out.join("charts/pods.svg")).unwrap();
    assert!(!pods.contains("Preempted"));
}

/// Deletes the report and charts of the run in `out`, renders them again with `clustersim
/// report`, and asserts every file has the same bytes.
fn rerender_is_identical(out: &Path) {
    let mut written = vec![out.join("report.html")];
    written.extend(chart_files(out));
    let before: Vec<Vec<u8>> = written.iter().map(|p| fs::read(p).unwrap()).collect();
    fs::remove_file(out.join("report.html")).unwrap();
    fs::remove_dir_all(out.join("charts")).unwrap();

    let r = clustersim(&["report", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    for (path, bytes) in written.iter().zip(&before) {
        assert!(
            fs::read(path).unwrap() == *bytes,
            "{} differs after `clustersim report`",
            path.display()
        );
    }
}

#[test]
fn report_of_a_directory_without_outputs_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let r = clustersim(&["report", tmp.path().to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("timeseries.parquet"));
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// `GOOD` with every name a user writes made hostile.
fn hostile() -> String {
    GOOD.replace(r#"name: "t""#, r#"name: "<img src=x onerror=alert(2)>""#)
        .replace(r#"name: "p""#, r#"name: "p&q""#)
        .replace(r#"name: "api""#, r#"name: "<script>alert(1)</script>""#)
}

#[test]
fn user_strings_are_escaped_in_the_page_and_in_every_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("hostile.ron");
    fs::write(&file, hostile()).unwrap();
    let out = tmp.path().join("out");
    run(file.to_str().unwrap(), &out, &[], 0);

    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(page.contains("p&amp;q"));
    let lower = page.to_lowercase();
    assert!(!lower.contains("<script"), "raw <script> in report.html");
    assert!(!lower.contains("<img"), "raw <img> in report.html");
    for path in chart_files(&out)
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
    {
        let svg = fs::read_to_string(path).unwrap();
        // The pool charts name the pools, the others the services.
        let (name, what) = match path.file_stem().unwrap().to_str().unwrap() {
            "nodes" | "cost" => ("p&amp;q", "pool"),
            _ => ("&lt;script&gt;alert(1)&lt;/script&gt;", "service"),
        };
        assert!(
            svg.contains(name),
            "{}: the {what} is not named",
            path.display()
        );
        assert!(!svg.contains("p&q"), "{}: raw p&q", path.display());
        assert!(
            !svg.to_lowercase().contains("<script"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn the_page_renders_in_headless_chromium_with_the_targets_and_every_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(
        "experiments/quickstart.ron",
        &out,
        &["--gate", "p99_latency_ms<1"],
        1,
    );
    let url = format!("file://{}", out.join("report.html").display());
    let (status, dom, stderr) = headless(&["--dump-dom".into(), url]);
    assert!(
        status.success() && dom.contains("</html>"),
        "chromium failed: {status:?}\n{stderr}"
    );

    // The verdict table: health checks, then the whole run's target, then the missed gate,
    // each saying what it judged.
    let verdict = dom
        .find("<section id=\"verdict\">")
        .expect("verdict section");
    let table = verdict
        + dom[verdict..]
            .find("<table class=\"checks\">")
            .expect("table");
    let rows = &dom[table..table + dom[table..].find("</table>").unwrap()];
    let at = |needle: &str| {
        rows.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {rows}"))
    };
    assert!(at("Built-in health checks") < at("Targets · whole run"));
    assert!(at("Targets · whole run") < at("p99_latency_ms&lt;=100"));
    assert!(at("p99_latency_ms&lt;=100") < at("Gates"));
    assert!(at("Gates") < at("p99_latency_ms&lt;1<"));
    assert!(rows.contains("<td>whole-run p99</td>"), "{rows}");
    assert!(
        rows.contains(">PASS</span>") && rows.contains(">FAIL</span>"),
        "{rows}"
    );

    // Every chart the run wrote is on the page as an SVG with text.
    let ids = chart_ids(&out);
    assert!(ids.len() >= 5, "{ids:?}");
    for id in ids {
        let start = dom
            .find(&format!("<figure id=\"chart-{id}\">"))
            .unwrap_or_else(|| panic!("no figure for chart {id}"));
        let figure = &dom[start..start + dom[start..].find("</figure>").unwrap()];
        assert!(figure.contains("<svg"), "chart {id} has no svg");
        assert!(
            figure.contains("us-east1"),
            "chart {id} does not name its series"
        );
    }
}

#[test]
fn the_decisions_show_in_chromium_grouped_per_pool_and_region_and_rerender_identically() {
    // Karpenter provisions one n2d-standard-48 spot node for the crowd and consolidates it
    // away; the us-west-2 outage fails over to us-east-1 (summary.json's recovery).
    let tmp = tempfile::tempdir().unwrap();
    let karpenter = tmp.path().join("karpenter");
    run("experiments/flash-crowd-karpenter.ron", &karpenter, &[], 1);
    let failover = tmp.path().join("failover");
    run("experiments/failover-us-west.ron", &failover, &[], 1);
    for out in [&karpenter, &failover] {
        rerender_is_identical(out);
    }

    let dom = |out: &Path| {
        let url = format!("file://{}", out.join("report.html").display());
        let (status, dom, stderr) = headless(&["--dump-dom".into(), url]);
        assert!(status.success(), "chromium failed: {status:?}\n{stderr}");
        let start = dom
            .find("<section id=\"decisions\">")
            .expect("decisions section");
        dom[start..start + dom[start..].find("</section>").unwrap()].to_owned()
    };
    let k = dom(&karpenter);
    assert!(k.contains("Node autoscaling"), "{k}");
    assert!(
        k.contains("<th colspan=\"5\">burst-n2d-standard-48-spot · 2 events</th>"),
        "{k}"
    );
    assert!(
        k.contains("TriggeredScaleUp") && k.contains("consolidation (empty)"),
        "{k}"
    );
    assert!(k.contains("Other events, counted by reason:"), "{k}");

    let f = dom(&failover);
    let at = |needle: &str| f.find(needle).unwrap_or_else(|| panic!("{needle}: {f}"));
    assert!(at("Horizontal Pod Autoscaler") < at("Failed nodes and regional outages"));
    assert!(at("Failed nodes and regional outages") < at("<h3>Failovers</h3>"));
    assert!(f.contains("region us-west-2 outage"), "{f}");
    assert!(
        f.contains("<th colspan=\"5\">us-west-2 · 5 events</th>"),
        "{f}"
    );
    assert!(f.contains("RegionDown") && f.contains("SloRestored"), "{f}");
    // A group longer than ten events says how many it leaves out.
    assert!(f.contains("more events between"), "{f}");
}

#[test]
fn the_report_opens_with_the_experiments_opening_comment() {
    // The file's `//` lines before its first other line, without the `//` and one space; a
    // comment further down is not part of it. Escaped in the page.
    let src = format!(
        "// The question: does <api> keep up?\n//\n// The answer: yes.\n{}",
        common::GOOD.replace(
            "    services: [(",
            "    // not the header\n    services: [("
        )
    );
    let (r, _dir, out) = common::run_experiment(&src);
    assert_eq!(r.status.code(), Some(0), "{}", common::text(&r.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["description"],
        "The question: does <api> keep up?\n\nThe answer: yes."
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains(
            "<pre class=\"about\">The question: does &lt;api&gt; keep up?\n\nThe answer: yes.</pre>"
        ),
        "{html}"
    );
    // A file without an opening comment has none.
    let (_, _dir, out) = common::run_experiment(common::GOOD);
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(!summary.contains("\"description\""), "{summary}");
}
