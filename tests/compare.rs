//! End-to-end tests of `clustersim compare`: a run against itself, two seeds of a noisy
//! experiment (the first divergence found independently from the CSVs), two experiments with
//! different services, the page in headless Chromium, bad input, and byte-identical outputs.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{GOOD, clustersim, files_under, headless, run_in, text};

/// `GOOD` with noise on top of its traffic from 10 minutes on: two seeds give the same rows
/// until then, and differ after.
fn noisy() -> String {
    GOOD.replace(
        "traffic: Constant(rps: 50),",
        "traffic: Sum([Constant(rps: 50), Product([Ramp(from: 0, to: 20, start: \"10m\", \
         duration: \"1m\"), Noise(cv: 0.2)])]),",
    )
}

/// Writes `src` as `<name>.ron` in `dir` and runs it into `dir/<out>`, exit 0 asserted.
fn run(dir: &Path, name: &str, src: &str, out: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(out);
    let r = run_in(dir, name, src, &out, extra);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    out
}

/// Runs `compare` on `dirs` into `out`, exit 0 asserted; its stdout and `compare.json`.
fn compare(dirs: &[&Path], out: &Path) -> (String, serde_json::Value) {
    let mut args = vec!["compare"];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    let r = clustersim(&args);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let json = fs::read_to_string(out.join("compare.json")).unwrap();
    (text(&r.stdout), serde_json::from_str(&json).unwrap())
}

#[test]
fn a_run_against_itself_has_zero_deltas_and_no_divergence_and_compares_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(tmp.path(), "t", GOOD, "a", &[]);
    let (stdout, json) = compare(&[&a, &a], &tmp.path().join("c1"));
    let labels: Vec<&str> = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["a", "a#2"]);
    for f in json["figures"].as_array().unwrap() {
        for d in f["deltas"].as_array().unwrap() {
            assert!(d.is_null() || d.as_f64() == Some(0.0), "{f}");
        }
    }
    for c in json["checks"].as_array().unwrap() {
        assert_eq!(c["results"][1]["delta"].as_f64(), Some(0.0), "{c}");
    }
    let d = &json["divergences"][0];
    assert!(d["timeseries"].is_null() && d["events"].is_null(), "{d}");
    assert_eq!(d["timeseries_compared"], true);
    assert!(
        stdout.contains("a#2 vs a: no divergence in the time series (61 rows in both)"),
        "{stdout}"
    );
    assert!(stdout.contains("cost_usd"), "{stdout}");

    // Same inputs, same bytes: every file of a second comparison.
    compare(&[&a, &a], &tmp.path().join("c2"));
    let (c1, c2) = (tmp.path().join("c1"), tmp.path().join("c2"));
    assert_eq!(files_under(&c1), files_under(&c2));
    assert!(files_under(&c1).contains(&PathBuf::from("charts/pods.svg")));
    for f in files_under(&c1) {
        assert!(
            fs::read(c1.join(&f)).unwrap() == fs::read(c2.join(&f)).unwrap(),
            "{} differs",
            f.display()
        );
    }
}

/// The first (time_s, service, region, column) at which two time-series CSVs of one experiment
/// differ, walked row by row in file order (time order) and column by column in header order;
/// floats within a relative 1e-9.
fn first_difference(a: &Path, b: &Path) -> Option<(u64, String, String, String)> {
    let read = |p: &Path| fs::read_to_string(p.join("timeseries.csv")).unwrap();
    let (ta, tb) = (read(a), read(b));
    let mut la = ta.lines();
    let mut lb = tb.lines();
    let header: Vec<&str> = la.next().unwrap().split(',').collect();
    assert_eq!(lb.next().unwrap().split(',').collect::<Vec<_>>(), header);
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (time, service, region) = (at("time_s"), at("service"), at("region"));
    for (ra, rb) in la.zip(lb) {
        let (ca, cb): (Vec<&str>, Vec<&str>) = (ra.split(',').collect(), rb.split(',').collect());
        assert_eq!(
            (ca[time], ca[service], ca[region]),
            (cb[time], cb[service], cb[region])
        );
        for (k, name) in header.iter().enumerate() {
            if ["time_s", "time_utc", "service", "region"].contains(name) || ca[k] == cb[k] {
                continue;
            }
            let (x, y): (f64, f64) = (ca[k].parse().unwrap(), cb[k].parse().unwrap());
            if (x - y).abs() > 1e-9 * x.abs().max(y.abs()) {
                return Some((
                    ca[time].parse().unwrap(),
                    ca[service].to_owned(),
                    ca[region].to_owned(),
                    (*name).to_owned(),
                ));
            }
        }
    }
    None
}

#[test]
fn two_seeds_diverge_at_the_first_differing_row_and_the_page_renders_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(tmp.path(), "noisy", &noisy(), "s1/noisy", &["--seed", "1"]);
    let b = run(tmp.path(), "noisy", &noisy(), "s2/noisy", &["--seed", "2"]);
    let (time_s, service, region, column) =
        first_difference(&a, &b).expect("two seeds of a noisy run differ");
    // The noise starts with the ramp at 10 minutes: nothing differs before.
    assert!(time_s >= 600, "{time_s}");

    let out = tmp.path().join("compare");
    let (stdout, json) = compare(&[&a, &b], &out);
    let d = &json["divergences"][0];
    assert_eq!(d["run"], "s2/noisy");
    assert_eq!(d["against"], "s1/noisy");
    let row = &d["timeseries"];
    assert_eq!(row["time_s"].as_u64(), Some(time_s), "{row}");
    assert_eq!(row["column"], column.as_str(), "{row}");
    assert_eq!(row["service"], service.as_str(), "{row}");
    assert_eq!(row["region"], region.as_str(), "{row}");
    let hms = format!(
        "{:02}:{:02}:{:02}",
        time_s / 3600,
        time_s / 60 % 60,
        time_s % 60
    );
    let sentence = format!("s2/noisy vs s1/noisy: {hms} {column} {service}/{region}: ");
    assert!(stdout.contains(&sentence), "{sentence}\n{stdout}");

    // The page: every section, the four overlaid charts, both runs in each legend.
    let url = format!("file://{}", out.join("compare.html").display());
    let (status, dom, stderr) = headless(&["--dump-dom".into(), url]);
    assert!(
        status.success() && dom.contains("</html>"),
        "chromium failed: {status:?}\n{stderr}"
    );
    let at = |needle: &str| dom.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    assert!(at("id=\"runs\"") < at("id=\"divergence\""));
    assert!(at("id=\"divergence\"") < at("id=\"figures\""));
    assert!(at("id=\"figures\"") < at("id=\"checks\""));
    assert!(at("id=\"checks\"") < at("id=\"charts\""));
    assert!(dom.contains(&format!("{hms} {column} {service}/{region}: ")));
    for id in ["traffic", "pods", "latency", "dropped"] {
        let start = at(&format!("<figure id=\"chart-{id}\">"));
        let figure = &dom[start..start + dom[start..].find("</figure>").unwrap()];
        assert!(figure.contains("<svg"), "chart {id} has no svg");
        assert!(
            figure.contains("s1/noisy") && figure.contains("s2/noisy"),
            "chart {id} does not name both runs"
        );
    }
}

#[test]
fn runs_of_different_experiments_show_their_mismatched_services() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(tmp.path(), "a", GOOD, "api", &[]);
    let web = GOOD.replace(r#"name: "api""#, r#"name: "web""#);
    let b = run(tmp.path(), "b", &web, "web", &[]);
    let (stdout, json) = compare(&[&a, &b], &tmp.path().join("c"));
    assert_eq!(
        json["mismatched_services"],
        serde_json::json!(["api/us-east1", "web/us-east1"])
    );
    assert!(
        stdout.contains("not in every run: api/us-east1, web/us-east1"),
        "{stdout}"
    );
    let page = fs::read_to_string(tmp.path().join("c/compare.html")).unwrap();
    assert!(
        page.contains("Not in every run: <code>api/us-east1</code>, <code>web/us-east1</code>"),
        "{page}"
    );
    // No service in common: nothing to diverge on, and the sentence says why.
    let d = &json["divergences"][0];
    assert_eq!(d["timeseries_compared"], false, "{d}");
}

#[test]
fn a_sweep_row_with_only_a_summary_compares_without_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(tmp.path(), "t", GOOD, "full", &[]);
    let bare = tmp.path().join("bare");
    fs::create_dir(&bare).unwrap();
    fs::copy(a.join("summary.json"), bare.join("summary.json")).unwrap();
    let (_, json) = compare(&[&a, &bare], &tmp.path().join("c"));
    assert_eq!(json["runs"][1]["has_timeseries"], false);
    assert_eq!(json["divergences"][0]["timeseries_compared"], false);
    let page = fs::read_to_string(tmp.path().join("c/compare.html")).unwrap();
    assert!(page.contains("bare has no <code>timeseries.parquet</code>"));
}

#[test]
fn a_folder_without_a_summary_or_a_single_folder_is_bad_input_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(tmp.path(), "t", GOOD, "a", &[]);
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let out = tmp.path().join("c");
    let cases = [
        (vec![&a, &empty], &empty, "has no summary.json"),
        (vec![&a], &a, "at least two run folders"),
    ];
    for (dirs, named, says) in cases {
        let mut args = vec!["compare"];
        args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
        args.extend(["--out", out.to_str().unwrap()]);
        let r = clustersim(&args);
        let stderr = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(named.to_str().unwrap()), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(!out.exists());
    }
}
