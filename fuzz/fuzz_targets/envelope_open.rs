//! Envelope decoder and re-wrap: arbitrary bytes must never panic; an envelope that
//! opens must still open, to the same plaintext, after re-wrapping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::Algorithm;
use privkit::envelope::{EnvelopeLimits, LocalKek, Opener};
use privkit::keyset::Keyset;
use privkit::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let kek = |name: &str, byte: u8| {
        let ks = Keyset::from_key(
            0x0a0b_0c0d,
            Algorithm::Aes256Gcm,
            SecretBytes::from_slice(&[byte; 32]),
        )
        .expect("key");
        LocalKek::new(name, ks).expect("kek")
    };
    let opener = Opener::new(kek("fuzz-kek", 0x22))
        .with_kek(kek("fuzz-kek-2", 0x33))
        .with_limits(
            EnvelopeLimits::default()
                .max_wrapped_keys(32)
                .max_header_len(16 * 1024)
                .max_envelope_len(1 << 20),
        );
    let opened = opener.open(data, b"fuzz");
    let other = kek("other", 0x44);
    match opener.rewrap(data, &[&other]) {
        Ok(rewrapped) => {
            let reopened = Opener::new(other).open(&rewrapped, b"fuzz");
            assert_eq!(opened.is_ok(), reopened.is_ok());
            if let (Ok(a), Ok(b)) = (opened, reopened) {
                assert_eq!(a, b);
            }
        }
        Err(_) => assert!(opened.is_err()),
    }
});
