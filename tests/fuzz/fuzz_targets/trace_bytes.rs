//! Any bytes as a trace file's content: the bounded reader (sizes, line lengths, UTF-8, BOM)
//! and the short excerpt errors quote. Never a panic, never more than the bound held.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = workloads::trace::read_bounded(data, 1 << 20, 200) {
        let _ = workloads::trace::excerpt(&text);
    }
});
