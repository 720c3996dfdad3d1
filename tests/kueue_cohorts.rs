//! End-to-end tests of Kueue's hierarchical cohorts and flavor fungibility through the
//! `clustersim` binary: a queue borrows first from its own cohort, then from the cohort's
//! parent and its quota (`cohort.md`), with the lender named in each `QuotaReserved` event;
//! `whenCanBorrow: TryNextFlavor` takes a later flavor rather than borrowing; under fair
//! sharing a queue preempts a neighbour with a higher share to borrow; bad cohort trees and
//! fungibility values exit 2 with their location.

mod common;

use std::fs;
use std::path::Path;

use common::{clustersim, run_in, text};

/// A company cohort with 2 cpu of its own and a research cohort under it holding two
/// ClusterQueues of 4 cpu; team-a's Jobs come from `a.csv`.
const TREE: &str = r#"Experiment(
    name: "tree",
    duration: "1h",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 2)],
    namespaces: [(name: "team-a"), (name: "team-b")],
    kueue: (
        resource_flavors: [(name: "default")],
        cohorts: [
            (name: "company", flavors: [(name: "default", nominal: (cpu: "2"))]),
            (name: "research", parent: "company"),
        ],
        cluster_queues: [
            (name: "team-a", cohort: "research", flavors: [(name: "default", nominal: (cpu: "4"))]),
            (name: "team-b", cohort: "research", flavors: [(name: "default", nominal: (cpu: "4"))]),
        ],
        local_queues: [
            (name: "a", namespace: "team-a", cluster_queue: "team-a"),
            (name: "b", namespace: "team-b", cluster_queue: "team-b"),
        ],
    ),
    batch: [(name: "a", namespace: "team-a", queue: "a", arrivals: Trace(file: "a.csv"))],
)
"#;

/// Six 2-cpu Jobs submitted at 0 s, 1 200 s each.
const SIX_AT_ZERO: &str = "submit_s,duration_s,cpu_millis,memory_mib\n\
    0,1200,2000,1024\n0,1200,2000,1024\n0,1200,2000,1024\n\
    0,1200,2000,1024\n0,1200,2000,1024\n0,1200,2000,1024\n";

/// Runs `src` beside `a.csv` holding `csv`, expecting exit 0: the summary and the events.
fn run_passing(src: &str, csv: &str) -> (serde_json::Value, String) {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("a.csv"), csv).unwrap();
    let out = tmp.path().join("out");
    let r = run_in(tmp.path(), "x", src, &out, &[]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let summary = serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    (summary, fs::read_to_string(out.join("events.csv")).unwrap())
}

/// The `QuotaReserved` message of `job`'s first admission.
fn reserved<'a>(events: &'a str, job: &str) -> &'a str {
    events
        .lines()
        .find(|l| l.contains(&format!(",QuotaReserved,job/{job},")))
        .unwrap_or_else(|| panic!("{job} never admitted:\n{events}"))
}

/// By hand, from `cohort.md` and upstream's `available`: team-a's 4 cpu hold a-0 and a-1;
/// research's subtree is team-a's 4 + team-b's idle 4 = 8, so a-2 and a-3 borrow from research
/// (team-a uses 6, then 8); company's subtree is its own 2 + research's 8 = 10, so a-4 borrows
/// from company (10 used); a-5 (12) waits until the others end: their pods run 5–1 205 s, the
/// Jobs complete at 1 206 s and a-5 is admitted then within team-a's nominal quota.
#[test]
fn borrowing_walks_up_the_cohort_tree_and_names_the_lender() {
    let (summary, events) = run_passing(TREE, SIX_AT_ZERO);
    for job in ["a-0", "a-1"] {
        assert!(
            reserved(&events, job).contains("flavor default; waited 0 s"),
            "{}",
            reserved(&events, job)
        );
    }
    for job in ["a-2", "a-3"] {
        assert!(
            reserved(&events, job).contains("(borrowing from cohort research)"),
            "{}",
            reserved(&events, job)
        );
    }
    assert!(
        reserved(&events, "a-4").contains("(borrowing from cohort company)"),
        "{}",
        reserved(&events, "a-4")
    );
    let a5 = reserved(&events, "a-5");
    assert!(
        a5.starts_with("1206.0,") && a5.contains("waited 1206 s") && !a5.contains("borrowing"),
        "{a5}"
    );
    let q = &summary["batch"]["queues"][0];
    assert_eq!(q["name"], "team-a");
    assert_eq!(q["admitted"], 6);
    assert_eq!(q["admitted_borrowing"], 3);
    // All six wait at 0 s until the pass; a-5 alone waits 1 206 s: mean 1 206 / 6.
    assert_eq!(q["pending_peak"], 6);
    assert_eq!(q["wait_mean_s"].as_f64(), Some(201.0));
    assert_eq!(summary["batch"]["completed"], 6);
}

/// Without company's own 2 cpu the tree lends only research's 8: a-4 waits too (both a-4 and
/// a-5 are admitted when the first four end at 1 206 s).
#[test]
fn a_cohort_without_quota_of_its_own_adds_nothing() {
    let src = TREE.replace(
        r#"(name: "company", flavors: [(name: "default", nominal: (cpu: "2"))]),"#,
        r#"(name: "company"),"#,
    );
    let (summary, events) = run_passing(&src, SIX_AT_ZERO);
    assert!(reserved(&events, "a-4").starts_with("1206.0,"));
    assert!(reserved(&events, "a-5").starts_with("1206.0,"));
    // Two of six wait 1 206 s: mean 2 × 1 206 / 6.
    assert_eq!(
        summary["batch"]["queues"][0]["wait_mean_s"].as_f64(),
        Some(402.0)
    );
    assert!(!events.contains("from cohort company"), "{events}");
}

/// Two flavors for team-a — `ondemand` (2 cpu) then `spot` (4 cpu) — on two labelled pools;
/// team-b lends 8 on-demand cpu. Four 2-cpu Jobs at 0 s.
const FUNGIBLE: &str = r#"Experiment(
    name: "fungible",
    duration: "1h",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [
        (name: "od", region: "us-east1", instance_type: "n2-standard-8", nodes: 2, labels: {"tier": "ondemand"}),
        (name: "sp", region: "us-east1", instance_type: "n2-standard-8", nodes: 1, labels: {"tier": "spot"}),
    ],
    namespaces: [(name: "team-a")],
    kueue: (
        resource_flavors: [
            (name: "ondemand", node_labels: {"tier": "ondemand"}),
            (name: "spot", node_labels: {"tier": "spot"}),
        ],
        cluster_queues: [
            (name: "team-a", cohort: "c",
             flavors: [(name: "ondemand", nominal: (cpu: "2")), (name: "spot", nominal: (cpu: "4"))]),
            (name: "team-b", cohort: "c", flavors: [(name: "ondemand", nominal: (cpu: "8"))]),
        ],
        local_queues: [(name: "a", namespace: "team-a", cluster_queue: "team-a")],
    ),
    batch: [(name: "a", namespace: "team-a", queue: "a", arrivals: Trace(file: "a.csv"))],
)
"#;

const FOUR_AT_ZERO: &str = "submit_s,duration_s,cpu_millis,memory_mib\n\
    0,1200,2000,1024\n0,1200,2000,1024\n0,1200,2000,1024\n0,1200,2000,1024\n";

/// `whenCanBorrow: Borrow` (the default): a-0 fills `ondemand`'s 2 cpu; a-1, a-2 and a-3 fit
/// `ondemand` by borrowing team-b's idle 8, so they stay there and `spot` is never used.
/// `TryNextFlavor`: a-1 and a-2 take `spot` (4 cpu, without borrowing); only a-3, with `spot`
/// full, comes back to borrow in `ondemand`.
#[test]
fn when_can_borrow_try_next_flavor_prefers_a_flavor_without_borrowing() {
    let (_, events) = run_passing(FUNGIBLE, FOUR_AT_ZERO);
    for job in ["a-1", "a-2", "a-3"] {
        assert!(
            reserved(&events, job).contains("flavor ondemand (borrowing from cohort c)"),
            "{}",
            reserved(&events, job)
        );
    }
    let src = FUNGIBLE.replace(
        r#"(name: "spot", nominal: (cpu: "4"))]),"#,
        r#"(name: "spot", nominal: (cpu: "4"))],
             flavor_fungibility: (when_can_borrow: TryNextFlavor)),"#,
    );
    let (summary, events) = run_passing(&src, FOUR_AT_ZERO);
    assert!(reserved(&events, "a-0").contains("flavor ondemand; waited 0 s"));
    for job in ["a-1", "a-2"] {
        assert!(
            reserved(&events, job).contains("flavor spot; waited 0 s"),
            "{}",
            reserved(&events, job)
        );
    }
    assert!(
        reserved(&events, "a-3").contains("flavor ondemand (borrowing from cohort c)"),
        "{}",
        reserved(&events, "a-3")
    );
    assert_eq!(summary["batch"]["queues"][0]["admitted_borrowing"], 1);
    assert_eq!(summary["batch"]["completed"], 4);
}

/// Three ClusterQueues of 4 cpu in cohort `c`, fair sharing on; team-b reclaims.
const FAIR: &str = r#"Experiment(
    name: "fair",
    duration: "1h",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 3)],
    namespaces: [(name: "team-a"), (name: "team-b")],
    kueue: (
        fair_sharing: true,
        resource_flavors: [(name: "default")],
        cluster_queues: [
            (name: "team-a", cohort: "c", flavors: [(name: "default", nominal: (cpu: "4"))]),
            (name: "team-b", cohort: "c", flavors: [(name: "default", nominal: (cpu: "4"))],
             preemption: (reclaim_within_cohort: Any)),
            (name: "team-c", cohort: "c", flavors: [(name: "default", nominal: (cpu: "4"))]),
        ],
        local_queues: [
            (name: "a", namespace: "team-a", cluster_queue: "team-a"),
            (name: "b", namespace: "team-b", cluster_queue: "team-b"),
        ],
    ),
    batch: [
        (name: "a", namespace: "team-a", queue: "a", arrivals: Trace(file: "a.csv")),
        (name: "b", namespace: "team-b", queue: "b", arrivals: Trace(file: "b.csv")),
    ],
)
"#;

/// team-a: two 4-cpu Jobs at 0 s (it borrows 4 of the 12 the cohort lends: share 333); team-b:
/// a 4-cpu Job at 0 s and a 2-cpu one at 600 s, 1 200 s each. At 600 s the cohort is full and
/// b-1 must borrow 2 (share 166). By hand (`fair_preemption.rs`): without a-1 team-a's share is
/// 0, so LessThanOrEqualToFinalShare refuses; LessThanInitialShare allows (166 < 333): a-0 is
/// suspended (a-0 and a-1 were admitted at the same instant: the lower id comes first, as
/// `preemption.rs` orders candidates) and b-1 admitted borrowing. Without fair sharing b-1 (which would borrow, no
/// `borrowWithinCohort`) waits for team-a's Jobs to end at 1 206 s.
#[test]
fn fair_sharing_preempts_a_neighbour_with_a_higher_share() {
    let run = |src: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let head = "submit_s,duration_s,cpu_millis,memory_mib\n";
        fs::write(
            tmp.path().join("a.csv"),
            format!("{head}0,1200,4000,1024\n0,1200,4000,1024\n"),
        )
        .unwrap();
        fs::write(
            tmp.path().join("b.csv"),
            format!("{head}0,1200,4000,1024\n600,1200,2000,1024\n"),
        )
        .unwrap();
        let out = tmp.path().join("out");
        let r = run_in(tmp.path(), "x", src, &out, &[]);
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
        fs::read_to_string(out.join("events.csv")).unwrap()
    };
    let events = run(FAIR);
    let suspended: Vec<&str> = events
        .lines()
        .filter(|l| l.contains(",Suspended,"))
        .collect();
    assert_eq!(suspended.len(), 1, "{events}");
    assert!(
        suspended[0].starts_with("600.0,")
            && suspended[0]
                .contains("job/a-0,Preempted to accommodate job/b-1 of ClusterQueue team-b"),
        "{}",
        suspended[0]
    );
    let b1 = reserved(&events, "b-1");
    assert!(
        b1.starts_with("600.0,") && b1.contains("(borrowing from cohort c)"),
        "{b1}"
    );
    let classical = run(&FAIR.replace("fair_sharing: true,", ""));
    assert!(!classical.contains(",Suspended,"), "{classical}");
    assert!(reserved(&classical, "b-1").starts_with("1206.0,"));
}

/// `line:col` (1-based) of the `|` in `spot`, where `spot` (without it) first occurs in `src`.
fn position(src: &str, spot: &str) -> String {
    let (before, after) = spot.split_once('|').expect("a | in the spot");
    let start = src
        .find(&format!("{before}{after}"))
        .unwrap_or_else(|| panic!("{spot:?} not in the source"));
    let at = start + before.len();
    let line = src[..at].matches('\n').count() + 1;
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    format!("{line}:{}", src[line_start..at].chars().count() + 1)
}

/// Bad cohort trees and fungibility values: [`TREE`] with `from` replaced by `to` exits 2 at
/// `spot` with `field` and `message`, and writes no outputs.
#[test]
fn bad_cohorts_and_fungibility_exit_2_located() {
    let cases = [
        (
            r#"(name: "research", parent: "company"),"#,
            r#"(name: "research", parent: "compnay"),"#,
            r#"parent: |"compnay""#,
            "kueue.cohorts[1].parent",
            "unknown parent Cohort `compnay`: expected one of `kueue.cohorts`",
        ),
        (
            r#"(name: "company", flavors"#,
            r#"(name: "company", parent: "research", flavors"#,
            r#"(name: "company", parent: |"research""#,
            "kueue.cohorts[0].parent",
            "Cohort `company` is its own ancestor: parents form a cycle",
        ),
        (
            r#"(name: "research", parent: "company"),"#,
            r#"(name: "company"),"#,
            r#"(name: |"company"),"#,
            "kueue.cohorts[1].name",
            "Cohort `company` is declared twice",
        ),
        (
            r#"nominal: (cpu: "2"))]),"#,
            r#"nominal: (cpu: "2"), borrowing_limit: (cpu: "1"))]),"#,
            "borrowing_limit: |(",
            "kueue.cohorts[0].flavors[0].borrowing_limit",
            "a Cohort without a parent neither borrows nor lends",
        ),
        (
            r#"(name: "company", flavors: [(name: "default""#,
            r#"(name: "company", flavors: [(name: "gpu""#,
            r#"flavors: [(name: |"gpu""#,
            "kueue.cohorts[0].flavors[0].name",
            "unknown ResourceFlavor `gpu`",
        ),
        (
            r#"nominal: (cpu: "4"))]),
            (name: "team-b""#,
            r#"nominal: (cpu: "4"))], flavor_fungibility: (when_can_borrow: Borow)),
            (name: "team-b""#,
            "when_can_borrow: |Borow",
            "",
            "Borow",
        ),
    ];
    let mut failures = Vec::new();
    for (from, to, spot, field, message) in cases {
        assert!(TREE.contains(from), "{from}");
        let src = TREE.replacen(from, to, 1);
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("a.csv"), SIX_AT_ZERO).unwrap();
        let out = tmp.path().join("out");
        let r = run_in(tmp.path(), "x", &src, &out, &[]);
        let stderr = text(&r.stderr);
        let mut at = format!("x.ron:{}", position(&src, spot));
        if !field.is_empty() {
            at = format!("{at}: {field}");
        }
        if r.status.code() != Some(2)
            || !stderr.contains(&at)
            || !stderr.contains(message)
            || out.exists()
        {
            failures.push(format!(
                "{to}: exit {:?}, expected `{at}` and `{message}` in:\n{stderr}",
                r.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `experiments/kueue-hierarchical-cohorts.ron` answers its question (see its header).
#[test]
fn the_hierarchical_cohorts_example_answers_its_question() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("experiments")
        .join("kueue-hierarchical-cohorts.ron");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    // TryNextFlavor: team-a's 3rd and 4th Jobs take its own spot quota, not borrowed on-demand.
    for job in ["team-a-2", "team-a-3"] {
        assert!(reserved(&events, job).contains("flavor spot; waited 0 s"));
    }
    // Then research lends team-b's idle 8 cpu (two Jobs), then company its own 8 and
    // production's lendable 8 (four Jobs).
    for job in ["team-a-4", "team-a-5"] {
        assert!(reserved(&events, job).contains("(borrowing from cohort research)"));
    }
    for job in ["team-a-6", "team-a-7", "team-a-8", "team-a-9"] {
        assert!(reserved(&events, job).contains("(borrowing from cohort company)"));
    }
    let queues = &summary["batch"]["queues"];
    assert_eq!(queues[2]["name"], "prod");
    assert_eq!(queues[2]["admitted"], 3);
    assert_eq!(queues[2]["wait_max_s"].as_f64(), Some(0.0));
    assert_eq!(queues[2]["admitted_borrowing"], 0);
    // team-b reclaims twice, from team-a's latest borrowed Jobs; nothing fails.
    let suspended: Vec<&str> = events
        .lines()
        .filter(|l| l.contains(",Suspended,"))
        .collect();
    assert_eq!(suspended.len(), 2, "{events}");
    assert!(
        suspended
            .iter()
            .all(|l| l.contains("of ClusterQueue team-b due to reclamation"))
    );
    assert_eq!(queues[0]["preempted"], 2);
    assert_eq!(summary["batch"]["completed"], 21);
    assert_eq!(summary["batch"]["failed_backoff_limit"], 0);
}
