//! Encrypted keyset import: arbitrary bytes must never panic, and what imports must
//! export and import again to the same keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::Algorithm;
use privkit::envelope::LocalKek;
use privkit::keyset::Keyset;
use privkit::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let ks = Keyset::from_key(
        0x0a0b_0c0d,
        Algorithm::Aes256Gcm,
        SecretBytes::from_slice(&[0x22; 32]),
    )
    .expect("key");
    let kek = LocalKek::new("fuzz-kek", ks).expect("kek");
    if let Ok(imported) = Keyset::import_sealed(data, &kek) {
        let again = Keyset::import_sealed(&imported.export_sealed(&kek).expect("export"), &kek)
            .expect("import");
        assert_eq!(
            again.keys().collect::<Vec<_>>(),
            imported.keys().collect::<Vec<_>>()
        );
    }
});
