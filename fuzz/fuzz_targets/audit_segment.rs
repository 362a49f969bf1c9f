//! Segment decoding must never panic on any bytes; every entry it returns passed its
//! leaf-hash check, and entries that are events decode without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::audit::{Event, decode_segment};

fuzz_target!(|data: &[u8]| {
    if let Ok((_, entries)) = decode_segment(data, 4096) {
        let total: usize = entries.iter().map(|e| e.len() + 36).sum();
        assert_eq!(total + 24, data.len());
        for e in &entries {
            let _ = Event::decode(e);
        }
    }
});
