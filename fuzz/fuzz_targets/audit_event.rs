//! Event decoding must never panic, and is canonical: whatever decodes encodes back to
//! exactly the input bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::audit::Event;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = Event::decode(data) {
        assert_eq!(event.encode().expect("a decoded event encodes"), data);
    }
});
