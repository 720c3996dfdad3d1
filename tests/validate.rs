//! `clustersim validate` on a sweep file (issue 17, item 4): the sweep and every run it
//! generates are checked without running any; a bad run exits 2 naming it.

mod common;

use common::{clustersim, text};

/// `quickstart.ron` as the base, in `dir`, and a sweep over checkout's cpu request.
fn sweep_over_cpu(dir: &std::path::Path, values: &str) -> std::path::PathBuf {
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/experiments/quickstart.ron"
    ))
    .unwrap();
    std::fs::write(dir.join("base.ron"), base).unwrap();
    let sweep = dir.join("sweep.ron");
    std::fs::write(
        &sweep,
        format!(
            "// a sweep\nSweep(\n    base: \"base.ron\",\n    axes: [Values(field: \
             \"services[name=checkout].requests.cpu\", values: [{values}])],\n    replicates: 2,\n)\n"
        ),
    )
    .unwrap();
    sweep
}

#[test]
fn a_sweep_validates_with_every_generated_run() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = sweep_over_cpu(dir.path(), "\"1\", \"2\"");
    let out = clustersim(&["validate", sweep.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // 2 values × 2 seeds.
    assert!(
        text(&out.stdout).ends_with(": ok, 4 runs\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_generated_run_that_can_never_schedule_fails_validate() {
    let dir = tempfile::tempdir().unwrap();
    // n2-standard-8 allocates 7910m: a 16-CPU checkout pod fits no node of general-us.
    let sweep = sweep_over_cpu(dir.path(), "\"1\", \"16\"");
    let out = clustersim(&["validate", sweep.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("services[1].requests"), "{stderr}");
    assert!(stderr.contains("it can never be scheduled"), "{stderr}");
    assert!(
        stderr.contains("services[name=checkout].requests.cpu = \"16\""),
        "{stderr}"
    );
}

#[test]
fn validate_warns_with_the_figures_when_replicas_cannot_all_fit() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/experiments/quickstart.ron"
    ))
    .unwrap();
    let file = dir.path().join("x.ron");
    std::fs::write(&file, base.replace("replicas: 5,", "replicas: 400,")).unwrap();
    let out = clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // 3 × n2-standard-8 allocate 3 × 7910m = 23730m; 400 checkout pods of 1 CPU want 400.
    assert!(
        text(&out.stderr).contains(
            "warning: service checkout in us-east1: 400 replicas × (cpu 1, memory 1Gi) = cpu \
             400, memory 400Gi, more than the 3 nodes of general-us can allocate at most (cpu \
             23730m,"
        ),
        "{}",
        text(&out.stderr)
    );
}
