//! Password-derived key parameters (docs/FORMAT.md, section 8 "Password-derived keys"): reading
//! never panics, and what reads re-encodes to exactly the bytes consumed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::kdf::{PasswordKekParams, VerifyLimits};

fuzz_target!(|data: &[u8]| {
    if let Ok((params, used)) = PasswordKekParams::read(data, &VerifyLimits::default()) {
        assert_eq!(params.to_bytes(), &data[..used]);
    }
});
