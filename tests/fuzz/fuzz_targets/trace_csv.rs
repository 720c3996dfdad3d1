//! A CSV trace's text through the replay (header, rows, units, interpolation): a replay or an
//! error, never a panic. The first byte picks step or linear interpolation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workloads::trace::{Interpolation, Replay, ReplayOptions, TimeUnit, ValueKind};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let options = ReplayOptions {
        time_column: "t",
        time_unit: TimeUnit::Seconds,
        value_column: "v",
        value_kind: ValueKind::Rate,
        interpolation: if mode & 1 == 1 {
            Interpolation::Linear
        } else {
            Interpolation::Step
        },
        scale_to_peak_rps: None,
        looped: mode & 2 == 2,
        start_offset: sim::time::SimDuration::ZERO,
        step: sim::time::SimDuration::from_secs(1),
    };
    let _ = Replay::from_csv(text, &options);
});
