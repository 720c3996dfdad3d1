//! What the end-to-end test files share: running the `clustersim` binary.

use std::process::{Command, Output};

/// Runs the binary from the repository root with extra environment variables.
pub fn clustersim_with_env(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clustersim"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("the clustersim binary runs")
}

/// Runs the binary from the repository root.
#[allow(dead_code)] // each test file is its own crate and uses its own subset
pub fn clustersim(args: &[&str]) -> Output {
    clustersim_with_env(args, &[])
}

/// Process output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A small valid experiment (one region, one pool of 2 nodes, one service of 2 pods at 50
/// requests/s) that tests edit with `str::replace` to make the case they need.
#[allow(dead_code)] // each test file is its own crate and uses its own subset
pub const GOOD: &str = r#"Experiment(
    name: "t",
    duration: "1h",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "e2-standard-4", nodes: 2)],
    services: [(
        name: "api",
        replicas: 2,
        requests: (cpu: "500m", memory: "512Mi"),
        capacity_rps: 100,
        traffic: Constant(rps: 50),
    )],
)
"#;

/// Writes `src` as an experiment into a fresh folder and runs it there with `--quiet` (outputs
/// in `out/` beside it): the process output, the folder (kept alive) and the output path.
#[allow(dead_code)] // each test file is its own crate and uses its own subset
pub fn run_experiment(src: &str) -> (Output, tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.ron");
    std::fs::write(&file, src).unwrap();
    let out = dir.path().join("out");
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    (r, dir, out)
}
