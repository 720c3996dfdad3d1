//! Property tests of the sweep file: arbitrary text, mutations of the bundled sweeps and
//! generated axes against a bundled base, through what `clustersim validate` and `clustersim
//! sweep` do before any run (parse, expand against the base, load runs). Each must answer with
//! a plan or an error that names where, and never panic. Sized to run in a few seconds in a
//! debug build, so CI runs them on every change; coverage-guided fuzzing of the same path is
//! `tests/fuzz/fuzz_targets/sweep.rs` (cargo-fuzz, nightly; README, Testing bad input).

use std::path::Path;

use clustersim::error::InputError;
use clustersim::sweep::{is_sweep, plan, spec};
use proptest::prelude::*;

#[path = "common/mutation.rs"]
mod mutation;
use mutation::{apply, edit};

/// Where the sweeps under test claim to be, so their bases (`spot-mix-base.ron`, …) resolve
/// as the bundled sweeps name them; tests run from the repository root.
const FILE: &str = "experiments/sweeps/x.ron";

/// The bundled sweeps whose bases are quick to load in a debug build.
const SEEDS: [&str; 3] = [
    include_str!("../experiments/sweeps/spot-mix.ron"),
    include_str!("../experiments/sweeps/hpa-spot.ron"),
    include_str!("../experiments/sweeps/batch-packing.ron"),
];

/// An error names where it is: a line and column of the sweep file, or (an error of the base,
/// or of a run's patched base, or a base that cannot be read) a file and a message.
fn assert_located(e: &InputError) {
    assert!(!e.message.is_empty(), "an error without a message: {e:?}");
    if e.file == Path::new(FILE) && !e.field.is_empty() {
        assert!(
            e.position.is_some(),
            "an error at a field without a position: {e:?}"
        );
    }
}

/// Parses `src` as a sweep file, expands it and loads its first and last configuration, as
/// the fuzz target does; every error must be located.
fn check(src: &str) {
    let _ = is_sweep(src);
    let file = Path::new(FILE);
    let sweep = match spec::parse(file, src) {
        Ok(s) => s,
        Err(e) => {
            // A syntax or schema error always has its line and column.
            assert!(
                e.position.is_some(),
                "a parse error without a position: {e:?}"
            );
            return;
        }
    };
    match plan::expand(file, src, &sweep) {
        Ok(plan) => {
            let firsts: Vec<usize> = plan.configuration_firsts().collect();
            for i in [firsts.first(), firsts.last()].into_iter().flatten() {
                if let Err(e) = plan.load(*i) {
                    assert_located(&e);
                }
            }
        }
        Err(e) => assert_located(&e),
    }
}

/// Snippets that make the edits land on the sweep grammar's edges.
const SNIPPETS: [&str; 18] = [
    "(",
    ")",
    "[",
    "]",
    ",",
    "\"",
    "-1",
    "0",
    "1e309",
    "99999999999999999999",
    "Zip([",
    "Range(field: \"seed\", start: 0, stop: 1e9, step: 1e-9)",
    "Uniform(field: \"services[0].replicas\", low: 5, high: 1, samples: 4000000000)",
    "seeds: [],",
    "replicates: 0,",
    "[name=",
    "//",
    "\u{feff}",
];

/// Fields of `spot-mix-base.ron` an axis may name: real ones of every kind (a whole number, an
/// enum variant, a float inside a variant, a string), and paths that miss, select nothing, or
/// are not paths at all.
const FIELDS: [&str; 16] = [
    "services[name=api].replicas",
    "node_pools[name=spot].nodes",
    "node_pools[1].capacity_type",
    "services[0].traffic",
    "services[0].requests.cpu",
    "name",
    "seed",
    "duration",
    "services[name=web].replicas",
    "services[9].replicas",
    "node_pools[name=].nodes",
    "node_pools[name=spot",
    "services[].replicas",
    "services..replicas",
    "",
    "targets.p99_latency",
];

/// A RON scalar an axis may hold.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        (-1e6f64..1e6).prop_map(|v| format!("{v:?}")),
        prop::sample::select(&["1e309", "-0.0", "NaN", "inf", "true", "false"][..])
            .prop_map(str::to_owned),
        prop::sample::select(&["Spot", "OnDemand", "", "5m", "2Gi", "\\\"", "é"][..])
            .prop_map(|s| format!("{s:?}")),
    ]
}

/// One axis, written out: `Values`, `Range`, `Uniform`, or a `Zip` of `Values`.
fn axis() -> impl Strategy<Value = String> {
    let field = || prop::sample::select(&FIELDS[..]);
    prop_oneof![
        (field(), prop::collection::vec(scalar(), 0..5))
            .prop_map(|(f, vs)| format!("Values(field: {f:?}, values: [{}])", vs.join(", "))),
        (field(), scalar(), scalar(), scalar()).prop_map(|(f, a, b, s)| format!(
            "Range(field: {f:?}, start: {a}, stop: {b}, step: {s})"
        )),
        (field(), scalar(), scalar(), 0u32..50).prop_map(|(f, a, b, n)| format!(
            "Uniform(field: {f:?}, low: {a}, high: {b}, samples: {n})"
        )),
        prop::collection::vec((field(), prop::collection::vec(scalar(), 0..3)), 0..3).prop_map(
            |members| {
                let members: Vec<String> = members
                    .iter()
                    .map(|(f, vs)| format!("Values(field: {f:?}, values: [{}])", vs.join(", ")))
                    .collect();
                format!("Zip([{}])", members.join(", "))
            }
        ),
    ]
}

/// Cases per property: 200 (a few seconds in all in a debug build: a case that gets past the
/// parser loads the base and two runs), or `PROPTEST_CASES`.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_a_sweep(chars in prop::collection::vec(any::<char>(), 0..400)) {
        check(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn arbitrary_bytes_after_sweep_never_panic(chars in prop::collection::vec(any::<char>(), 0..200)) {
        let src = format!("Sweep({}", chars.into_iter().collect::<String>());
        prop_assert!(is_sweep(&src));
        check(&src);
    }

    #[test]
    fn mutated_sweeps_never_panic(
        seed in 0usize..SEEDS.len(),
        edits in prop::collection::vec(edit(&SNIPPETS), 1..4),
    ) {
        let mut src = SEEDS[seed].to_owned();
        for e in &edits {
            src = apply(&src, e);
        }
        check(&src);
    }

    #[test]
    fn generated_axes_never_panic(
        axes in prop::collection::vec(axis(), 0..4),
        seeds in prop::option::of(prop::collection::vec(any::<u64>(), 0..3)),
        replicates in prop::option::of(0u32..4),
        sample_seed in any::<u64>(),
    ) {
        let mut src = format!(
            "Sweep(base: \"spot-mix-base.ron\", axes: [{}], sample_seed: {sample_seed}",
            axes.join(", ")
        );
        if let Some(s) = seeds {
            let s: Vec<String> = s.iter().map(u64::to_string).collect();
            src.push_str(&format!(", seeds: [{}]", s.join(", ")));
        }
        if let Some(n) = replicates {
            src.push_str(&format!(", replicates: {n}"));
        }
        src.push(')');
        check(&src);
    }
}

/// The seeds themselves expand to the runs their comments count, and every run loads.
#[test]
fn every_bundled_sweep_expands_and_loads() {
    // spot-mix: 5 replica counts (8..=16 by 2) × 4 on-demand (1..=4) × 3 spot × 2 replicates;
    // hpa-spot: 4 targets × 5 spot maxima × 5 replicates; batch-packing: 2 scorings × 2.
    for (src, runs) in SEEDS.into_iter().zip([120, 100, 4]) {
        let sweep = spec::parse(Path::new(FILE), src).unwrap();
        let plan = plan::expand(Path::new(FILE), src, &sweep).unwrap();
        assert_eq!(plan.runs.len(), runs);
        for i in plan.configuration_firsts() {
            plan.load(i).unwrap();
        }
    }
}
