//! Validation in process: bad experiments through `clustersim::input` (parse, check, locate in
//! the RON text), each refused with the field path, the message and the position a user sees,
//! without spawning the binary.

use std::path::Path;

use clustersim::error::{InputError, Position};
use clustersim::input;
use clustersim::locate::RonLocator;

/// A small valid experiment; each test replaces one piece of it.
const BASE: &str = r#"Experiment(
    name: "t",
    duration: "1h",
    regions: [(name: "us-east1", zones: ["us-east1-b", "us-east1-c"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 2)],
    services: [
        (
            name: "api",
            replicas: 2,
            requests: (cpu: "500m", memory: "512Mi"),
            capacity_rps: 100,
            traffic: Constant(rps: 50),
        ),
    ],
)"#;

/// `src` parsed, checked and located as `clustersim validate` does.
fn check(src: &str) -> Result<(), InputError> {
    let file = Path::new("x.ron");
    let x = input::parse(file, src)?;
    input::resolve(&x, Path::new("."))
        .map(|_| ())
        .map_err(|e| e.located(file, &RonLocator::new(src)))
}

/// The error of `src`: its field path, message and 1-based (line, column).
fn refused(src: &str) -> (String, String, Option<(usize, usize)>) {
    let e = check(src).expect_err("expected the experiment to be refused");
    (
        e.field,
        e.message,
        e.position.map(|Position { line, col }| (line, col)),
    )
}

fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

#[test]
fn the_base_is_valid() {
    check(BASE).unwrap();
}

#[test]
fn an_unknown_region_of_a_pool_names_the_declared_ones() {
    let (field, message, at) = refused(&with(
        r#"region: "us-east1", instance"#,
        r#"region: "mars", instance"#,
    ));
    assert_eq!(field, "node_pools[0].region");
    assert_eq!(message, "unknown region `mars`: expected one of `us-east1`");
    // Line 5: `    node_pools: [(name: "p", region: "mars"`, the value's quote at column 38.
    assert_eq!(at, Some((5, 38)));
}

#[test]
fn a_zone_of_no_region_is_refused_at_the_pool() {
    let (field, message, _) = refused(&with(r#"nodes: 2)"#, r#"nodes: 2, zones: ["us-east1-z"])"#));
    assert_eq!(field, "node_pools[0].zones[0]");
    assert_eq!(
        message,
        "zone `us-east1-z` is not a zone of region `us-east1`: did you mean `us-east1-b`? \
         Expected one of the region's zones: `us-east1-b`, `us-east1-c`"
    );
}

#[test]
fn too_many_replicas_say_the_limit() {
    let (field, message, at) = refused(&with("replicas: 2", "replicas: 10000001"));
    assert_eq!(field, "services[0].replicas");
    assert_eq!(message, "expected at most 10000000 replicas");
    assert_eq!(at, Some((9, 23)));
}

#[test]
fn a_bad_part_of_a_sum_is_located_inside_the_list() {
    let (field, message, at) = refused(&with(
        "Constant(rps: 50)",
        "Sum([Constant(rps: 50), Constant(rps: -1)])",
    ));
    assert_eq!(field, "services[0].traffic.Sum[1].Constant.rps");
    assert_eq!(message, "expected a finite rate >= 0");
    // Line 12: 12 spaces, `traffic: Sum([Constant(rps: 50), Constant(rps: `, then `-1` at
    // column 60: the second element's value, not the list.
    assert_eq!(at, Some((12, 60)));
}

#[test]
fn a_zero_duration_is_refused() {
    let (field, message, at) = refused(&with(r#"duration: "1h""#, r#"duration: "0s""#));
    assert_eq!(field, "duration");
    assert_eq!(message, "expected a positive duration such as \"24h\"");
    assert_eq!(at, Some((3, 15)));
}

#[test]
fn slo_attainment_needs_a_latency_target() {
    let src = BASE.replacen("\n)", "\n    targets: (slo_attainment: 0.99),\n)", 1);
    let (field, message, _) = refused(&src);
    assert_eq!(field, "targets.slo_attainment");
    assert!(
        message.contains("expected a `p99_latency` target beside it"),
        "{message}"
    );
}

// Issue 17, item 4: what `validate` says without running.

#[test]
fn a_negative_count_says_the_bound_in_words() {
    let (field, message, at) = refused(&with("replicas: 2", "replicas: -1"));
    assert_eq!(field, "services[0].replicas");
    assert_eq!(
        message,
        "`replicas` must be ≥ 0, found -1: expected a whole number ≥ 0"
    );
    // Line 9: 12 spaces, `replicas: `, then `-1` at column 23.
    assert_eq!(at, Some((9, 23)));
}

#[test]
fn a_misspelt_field_or_variant_gets_did_you_mean() {
    let (field, message, _) = refused(&with("replicas: 2", "replicaz: 2"));
    assert_eq!(field, "services[0].replicaz");
    assert!(message.contains("expected one of `name`"), "{message}");
    assert!(message.ends_with("did you mean `replicas`?"), "{message}");
    let (_, message, _) = refused(&with("Constant(rps: 50)", "Konstant(rps: 50)"));
    assert!(message.ends_with("did you mean `Constant`?"), "{message}");
    // Nothing close: no guess.
    let (_, message, _) = refused(&with("replicas: 2", "zzzzzzzz: 2"));
    assert!(!message.contains("did you mean"), "{message}");
}

#[test]
fn an_unquoted_quantity_is_explained_at_its_field() {
    let (field, message, at) = refused(&with(r#"cpu: "500m""#, "cpu: 500m"));
    assert_eq!(field, "services[0].requests.cpu");
    assert!(
        message.starts_with(r#"write quantities and durations in quotes: "500m""#),
        "{message}"
    );
    // Line 10: 12 spaces, `requests: (cpu: `, then `500m` at column 29.
    assert_eq!(at, Some((10, 29)));
}

#[test]
fn a_missing_field_is_located_at_the_struct_that_lacks_it() {
    let (field, message, at) = refused(&with("            capacity_rps: 100,\n", ""));
    assert_eq!(field, "services[0]");
    assert!(message.contains("`capacity_rps`"), "{message}");
    // The service's `(` on line 7, column 9 (not its closing parenthesis).
    assert_eq!(at, Some((7, 9)));
}

#[test]
fn a_zone_of_another_region_is_refused() {
    let (field, message, at) = refused(&with(r#""us-east1-c"]"#, r#""europe-west1-b"]"#));
    assert_eq!(field, "regions[0].zones[1]");
    assert!(
        message.starts_with(
            "zone `europe-west1-b` is not a zone of region `us-east1`: expected the region, \
             `-` and a zone letter, such as `us-east1-b`"
        ),
        "{message}"
    );
    // Line 4: `    regions: [(name: "us-east1", zones: ["us-east1-b", `, then the quote at 56.
    assert_eq!(at, Some((4, 56)));
}

#[test]
fn a_pod_larger_than_every_node_it_may_use_can_never_be_scheduled() {
    let (field, message, at) = refused(&with(r#"cpu: "500m""#, r#"cpu: "16""#));
    assert_eq!(field, "services[0].requests");
    // n2-standard-8: 8 vCPU, GKE reserves 60 + 10 + 2 × 5 + 4 × 2.5 = 90m: 7910m allocatable.
    assert!(
        message.starts_with(
            "a pod of `api` requests cpu 16, memory 512Mi, more than a node of any pool it may \
             use in `us-east1` can allocate (`p` (n2-standard-8: cpu 7910m,"
        ),
        "{message}"
    );
    assert!(message.contains("it can never be scheduled"), "{message}");
    assert_eq!(at, Some((10, 23)));
    // 7910m fits exactly.
    check(&with(r#"cpu: "500m""#, r#"cpu: "7910m""#)).unwrap();
}

#[test]
fn more_replicas_than_the_pools_can_hold_are_a_warning_with_the_figures() {
    let file = Path::new("x.ron");
    let plan = |src: &str| {
        let x = input::parse(file, src).unwrap();
        input::resolve(&x, Path::new(".")).unwrap()
    };
    // 2 nodes × 7910m = 15820m hold 31 pods of 500m, not 32.
    assert!(input::warnings(&plan(&with("replicas: 2", "replicas: 31"))).is_empty());
    let warnings = input::warnings(&plan(&with("replicas: 2", "replicas: 32")));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "service api in us-east1: 32 replicas × (cpu 500m, memory 512Mi) = cpu 16, \
             memory 16Gi, more than the 2 nodes of p can allocate at most (cpu 15820m,"
        ),
        "{}",
        warnings[0]
    );
}

#[test]
fn a_batch_pod_larger_than_every_untainted_node_can_never_be_scheduled() {
    let batch = |cpu: &str| {
        BASE.replacen(
            "\n)",
            &format!(
                "\n    batch: [(name: \"etl\", arrivals: Poisson(rate: Constant(rps: 0.01), \
                 duration: Constant(run: \"1m\")), requests: (cpu: \"{cpu}\", memory: \"1Gi\"))],\n)"
            ),
            1,
        )
    };
    let (field, message, _) = refused(&batch("8"));
    assert_eq!(field, "batch[0].requests");
    assert!(
        message.starts_with(
            "a pod of batch workload `etl` requests cpu 8, memory 1Gi, more than a node of any \
             untainted pool in `us-east1` can allocate (`p` (n2-standard-8: cpu 7910m,"
        ),
        "{message}"
    );
    check(&batch("7910m")).unwrap();
}
