//! Kubernetes manifests (multi-document YAML, `kind: List`) through `clustersim import`'s
//! reader and mapping: an experiment text or an error located in the file, never a panic.
//! The input is written to a file per process because import reads paths, as the CLI does.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// The one file this process's inputs are written to.
fn scratch() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("clustersim-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder in the temp dir");
        dir.join("m.yaml")
    })
}

fuzz_target!(|data: &[u8]| {
    let file = scratch();
    if std::fs::write(file, data).is_ok() {
        let _ = clustersim::input::manifests::import(std::slice::from_ref(file), "fuzz", None);
    }
});
