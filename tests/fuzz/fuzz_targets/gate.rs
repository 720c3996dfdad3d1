//! CI gate expressions (`--gate 'p99_latency_ms < 250'`): a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = reports::parse_gate(text);
    }
});
