//! Why `experiments/black-friday-ci.ron` moved when it took `control_plane: ()` (issue 22):
//! the outage region's new nodes boot in 45–90 s instead of 60 s and pull the 500 MiB image
//! before their first pod starts, so capacity comes back later: the RTO's scale-up phase and
//! the Pending share grow, while the requests each region is sent do not change.

mod common;

use std::fs;
use std::path::Path;

use common::{run_in, text};

/// The summary of the cut as bundled, or with its `control_plane` line deleted.
fn summary(with_control_plane: bool) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = fs::read_to_string(root.join("experiments/black-friday-ci.ron")).unwrap();
    let line = "\n    control_plane: (),";
    assert!(src.contains(line), "the cut has a control_plane line");
    let src = if with_control_plane {
        src.clone()
    } else {
        src.replace(line, "")
    };
    let data = format!("file: \"{}/data/", root.display());
    let src = src.replace("file: \"../data/", &data);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = run_in(dir.path(), "cut", &src, &out, &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn the_ci_cut_recovers_later_with_the_control_planes_limits() {
    let (ideal, real) = (summary(false), summary(true));
    let phase = |s: &serde_json::Value| {
        s["recovery"]["failures"][0]["phases_s"]["scale_up"]
            .as_f64()
            .unwrap()
    };
    // The idealized control plane's scale-up: the 60 s provisioning delay plus a 30 s
    // sample; with the limits the boots and pulls add a minute (header: 90 s → 150 s).
    assert!(
        phase(&real) > phase(&ideal),
        "{} vs {}",
        phase(&real),
        phase(&ideal)
    );
    let rto = |s: &serde_json::Value| s["recovery"]["rto_s"].as_f64().unwrap();
    assert!(rto(&real) > rto(&ideal));
    // The same requests arrive either way: the limits change how fast capacity comes, not
    // what is asked of it.
    let arrived = |s: &serde_json::Value| s["requests"]["arrived"].as_f64().unwrap();
    let (a, b) = (arrived(&real), arrived(&ideal));
    assert!((a - b).abs() <= 1e-9 * b, "{a} vs {b}");
}
