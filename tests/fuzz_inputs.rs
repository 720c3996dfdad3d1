//! Property tests of every parser a user's text reaches: arbitrary text and mutations of the
//! bundled experiments through the experiment loader (parse, check, resolve), arbitrary gate
//! expressions, and arbitrary bytes through the trace reader. Each must answer with a value or
//! an error and never panic. Sized to run in a few seconds in a debug build, so CI runs them
//! on every change; coverage-guided fuzzing of the same parsers is `tests/fuzz/` (cargo-fuzz,
//! nightly; README, Testing bad input).

use std::path::Path;

use proptest::prelude::*;

#[path = "common/mutation.rs"]
mod mutation;
use mutation::{apply, edit};

/// Bundled experiments small enough to resolve many times a second in a debug build.
const SEEDS: [&str; 3] = [
    include_str!("../experiments/quickstart.ron"),
    include_str!("../experiments/spot-waves.ron"),
    include_str!("../experiments/agent-platform-hpa.ron"),
];

/// Parses, checks and resolves `src` as `experiments/x.ron`, so traces resolve as the bundled
/// experiments name them; the error, if any, is also located (the locator must not panic).
fn load(src: &str) {
    let file = Path::new("experiments/x.ron");
    if let Ok(x) = clustersim::input::parse(file, src)
        && let Err(e) = clustersim::input::resolve(&x, Path::new("experiments"))
    {
        let _ = e.located(file, &clustersim::locate::RonLocator::new(src));
    }
}

/// Snippets that make the edits land on the grammar's edges.
const SNIPPETS: [&str; 16] = [
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "-1",
    "0",
    "1e309",
    "\"0s\"",
    "\"500x\"",
    "Sum([",
    "//",
    "\u{feff}",
    "99999999999999999999",
];

/// What CSV traces are made of, so most generated rows get past the header.
const CSV_CHARS: [char; 20] = [
    't', 'v', ',', '\n', '\r', '"', '0', '1', '5', '9', '.', '-', 'e', ' ', 'i', 'n', 'f', 'a',
    'N', '\u{feff}',
];

fn replay_options(linear: bool) -> workloads::trace::ReplayOptions<'static> {
    use workloads::trace::{Interpolation, ReplayOptions, TimeUnit, ValueKind};
    ReplayOptions {
        time_column: "t",
        time_unit: TimeUnit::Seconds,
        value_column: "v",
        value_kind: ValueKind::Rate,
        interpolation: if linear {
            Interpolation::Linear
        } else {
            Interpolation::Step
        },
        scale_to_peak_rps: None,
        looped: false,
        start_offset: sim::time::SimDuration::ZERO,
        step: sim::time::SimDuration::from_secs(1),
    }
}

/// A valid Parquet trace (`tests/data/counts.parquet`), corrupted byte by byte.
const PARQUET: &[u8] = include_bytes!("data/counts.parquet");

/// Cases per property: 2 000 (about 2 s in all in a debug build), or `PROPTEST_CASES`.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_the_loader(chars in prop::collection::vec(any::<char>(), 0..400)) {
        load(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn mutated_experiments_never_panic_the_loader(
        seed in 0usize..SEEDS.len(),
        edits in prop::collection::vec(edit(&SNIPPETS), 1..4),
    ) {
        let mut src = SEEDS[seed].to_owned();
        for e in &edits {
            src = apply(&src, e);
        }
        load(&src);
    }

    #[test]
    fn arbitrary_gates_never_panic(chars in prop::collection::vec(any::<char>(), 0..40)) {
        let _ = reports::parse_gate(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn gate_like_text_never_panics(
        metric in prop::sample::select(&["p99_latency_ms", "cost_usd", "slo_attainment", "x", ""][..]),
        op in prop::sample::select(&["<", "<=", ">", ">=", "==", "!=", "=<", "<<", ""][..]),
        number in prop::sample::select(&["1", "-0", "1e999", "NaN", "inf", "0x10", "", "1.5.5"][..]),
        spaces in 0usize..3,
    ) {
        let pad = " ".repeat(spaces);
        let _ = reports::parse_gate(&format!("{pad}{metric}{pad}{op}{pad}{number}{pad}"));
    }

    #[test]
    fn csv_like_text_never_panics_the_trace_replay(
        chars in prop::collection::vec(prop::sample::select(&CSV_CHARS[..]), 0..200),
        linear in any::<bool>(),
    ) {
        let text: String = chars.into_iter().collect();
        let _ = workloads::trace::Replay::from_csv(&format!("t,v\n{text}"), &replay_options(linear));
    }

    #[test]
    fn a_parquet_trace_cut_short_never_panics_the_reader(cut in 0usize..PARQUET.len()) {
        // A partial download or copy. (A changed byte can make polars 0.55 ask for an absurd
        // allocation and abort the process, which no Rust code can catch: README, Testing.)
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, &PARQUET[..cut]).unwrap();
        let _ = reports::read_trace_columns(&path, "t", "requests");
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_trace_reader(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(text) = workloads::trace::read_bounded(&bytes[..], 1 << 20, 200) {
            let _ = workloads::trace::excerpt(&text);
        }
    }
}
