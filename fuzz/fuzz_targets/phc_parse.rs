//! PHC-string parsing: never panics, and what parses re-encodes canonically and parses
//! back to the same value. Verification would add one Argon2 run on parsed costs that
//! the limits already bound; the parser and the limit checks are what is fuzzed here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::kdf::{PasswordHasher, PasswordParams};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // Parse -> encode -> parse round trip (asserts inside the hook).
    privkit::kdf::fuzz_parse_phc(s);
    // The public entry point on the same input must not panic either.
    if let Ok(hasher) = PasswordHasher::new(PasswordParams::OWASP_MINIMUM) {
        let _ = hasher.needs_rehash(s);
    }
});
