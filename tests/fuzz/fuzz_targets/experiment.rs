//! Experiment text through the loader a user's file reaches: parse (RON, schema, checks,
//! manifests), resolve (traces named relative to `experiments/`, so seeds from the bundled
//! experiments find theirs when run from the repository root) and, on an error, the locator.
//! Any outcome but a panic or an abort passes. Sweep files go through the same `parse_ron`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("experiments/x.ron");
    let locator = clustersim::locate::RonLocator::new(src);
    match clustersim::input::parse(file, src) {
        Ok(x) => {
            if let Err(e) = clustersim::input::resolve(&x, Path::new("experiments")) {
                let _ = e.located(file, &locator);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
