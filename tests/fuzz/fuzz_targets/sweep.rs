//! Sweep files through what `clustersim validate` and `clustersim sweep` do before any run:
//! parse (`spec::parse`), expand against the base experiment (`plan::expand`, which reads and
//! loads the base named relative to the sweep file, so seeds from `experiments/sweeps/` find
//! theirs when run from the repository root), then load runs of the plan as `clustersim run`
//! would. Any outcome but a panic or an abort passes.
//!
//! Only the first and the last configuration are loaded (between them, every axis's first and
//! last value): `validate` loads every configuration, up to 100 000 of them, and one input must
//! not take minutes. The root check `is_sweep` sees every input too.
#![no_main]

use std::path::Path;

use clustersim::sweep::{is_sweep, plan, spec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let _ = is_sweep(src);
    let file = Path::new("experiments/sweeps/x.ron");
    let sweep = match spec::parse(file, src) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    match plan::expand(file, src, &sweep) {
        Ok(plan) => {
            let firsts: Vec<usize> = plan.configuration_firsts().collect();
            for i in [firsts.first(), firsts.last()].into_iter().flatten() {
                if let Err(e) = plan.load(*i) {
                    let _ = e.to_string();
                }
                let _ = plan.describe(*i);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
