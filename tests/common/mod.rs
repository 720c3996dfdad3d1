//! What the end-to-end test files share: running the `clustersim` binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
    let out = dir.path().join("out");
    let r = run_in(dir.path(), "x", src, &out, &[]);
    (r, dir, out)
}

/// Writes `src` as `dir/<name>.ron` and runs it into `out` with `--quiet` and `extra`.
#[allow(dead_code)] // each test file is its own crate and uses its own subset
pub fn run_in(dir: &Path, name: &str, src: &str, out: &Path, extra: &[&str]) -> Output {
    let file = dir.join(format!("{name}.ron"));
    fs::write(&file, src).unwrap();
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend(extra);
    clustersim(&args)
}

/// Every file under `dir` (recursively), relative to it, sorted.
#[allow(dead_code)] // each test file is its own crate and uses its own subset
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// Headless Chromium, or a failure that says how to get it: a test that cannot see the page
/// must not pass as if it had.
#[allow(dead_code)] // each test file is its own crate and uses its own subset
fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "chromium is not on PATH, so the report cannot be checked in a browser: install \
             Debian's `chromium` package (apt-get install chromium), as .ci/run does"
        )
    })
}

/// Runs Chromium headless on `args` with a fresh profile and returns its exit status and what
/// it printed on stdout (the DOM, for `--dump-dom`), killing it after two minutes. Output goes
/// to a file rather than a pipe, so a large DOM can never block Chromium while we wait.
#[allow(dead_code)] // each test file is its own crate and uses its own subset
pub fn headless(args: &[String]) -> (std::process::ExitStatus, String, String) {
    let scratch = tempfile::tempdir().unwrap();
    let profile = scratch.path().join("profile");
    let stdout = scratch.path().join("stdout");
    let stderr = scratch.path().join("stderr");
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout).unwrap())
        .stderr(fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium can be waited on") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read = |p: &Path| text(&fs::read(p).unwrap_or_default());
    (status, read(&stdout), read(&stderr))
}

/// 450 requests/s until 10 min, then 90; pods of 500m serving 100 requests/s each, 6 to
/// start with, and the HPA `hpa` (`tests/hpa.rs`' is on cpu 50 % between 2 and 20 pods).
#[allow(dead_code)] // each test file is its own crate and uses its own subset
pub fn hpa_experiment(hpa: &str) -> String {
    format!(
        r#"Experiment(
    name: "hpa",
    duration: "20m",
    output_interval: "5s",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 3)],
    services: [(
        name: "api",
        replicas: 6,
        requests: (cpu: "500m", memory: "512Mi"),
        capacity_rps: 100,
        traffic: Ramp(from: 450, to: 90, start: "10m", duration: "0s"),
        hpa: {hpa},
    )],
)
"#
    )
}

/// Two regions, 300 requests/s of clients each, behind active-passive failover with a step
/// DNS shift (health checks every 10 s, threshold 3, TTL 60 s); the primary `us-west1` is down
/// from 10 min for an hour; an HPA on cpu 50 % (min 1) in both regions. Before the outage
/// us-west1 serves all 600 requests/s on 12 pods of 100 (50 % of each pod's cpu).
#[allow(dead_code)] // each test file is its own crate and uses its own subset
pub fn failback_experiment(policy: &str) -> String {
    format!(
        r#"Experiment(
    name: "failback",
    duration: "2h",
    output_interval: "10s",
    regions: [
        (name: "us-west1", zones: ["us-west1-a"]),
        (name: "us-east1", zones: ["us-east1-b"]),
    ],
    node_pools: [
        (name: "west", region: "us-west1", instance_type: "e2-standard-4", nodes: 5),
        (name: "east", region: "us-east1", instance_type: "e2-standard-4", nodes: 5),
    ],
    services: [(
        name: "api",
        replicas: 12,
        requests: (cpu: "1", memory: "1Gi"),
        capacity_rps: 100,
        traffic: Constant(rps: 300),
        hpa: (min_replicas: 1, max_replicas: 20,
              metrics: [Resource(name: cpu, target: Utilization(50))]),
    )],
    faults: (
        region_outages: [(name: "us-west1", at: Exactly("10m"), duration: Exactly("1h"))],
        failover: (
            routing: Failover(["us-west1", "us-east1"]),
            mode: ActivePassive(primary: "us-west1", standby_min_replicas: 1),
            dns_shift: Step,
            failback: {policy},
        ),
    ),
    checks: (max_dropped_share: None, max_pending_share: None),
)
"#
    )
}
