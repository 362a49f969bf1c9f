//! Erasable-field decoders: arbitrary bytes as a field (`SubjectCipher::decrypt`), as a
//! key header (`keyset::inspect`) and as a sealed subject key (`ErasableKeys::open`) must
//! never panic; a field that decrypts re-encrypts and decrypts to the same plaintext.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::Algorithm;
use privkit::keyset::{self, Keyset};
use privkit::retention::{ErasableKeys, SealedSubjectKey, SubjectId};
use privkit::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let (aad, bytes) = rest.split_at(usize::from(split).min(rest.len()));
    let _ = keyset::inspect(bytes);
    // The wrapping key and subject of the vectors (tests/data/vectors/erasable_field.json),
    // so seeds made from them reach the AEAD.
    let wrapping = Keyset::from_key(
        0x0a0b_0c0d,
        Algorithm::Aes256Gcm,
        SecretBytes::from_slice(&[0x33; 32]),
    )
    .expect("key");
    let keys = ErasableKeys::new(wrapping);
    let subject = SubjectId::new("customer-42").expect("subject");
    let sealed = SealedSubjectKey {
        key_id: 0x0102_0304,
        wrapped: bytes.to_vec(),
    };
    let _ = sealed.wrapping_key_id();
    let _ = keys.open(&subject, &sealed, 0);
    // The vector's sealed subject key: the field seeds decrypt under it.
    let vector = SealedSubjectKey {
        key_id: 0x0102_0304,
        wrapped: hex(VECTOR_SEALED),
    };
    let cipher = keys.open(&subject, &vector, 0).expect("vector key");
    let _ = cipher.decrypt(bytes, aad);
    let ct = cipher.encrypt(bytes, aad).expect("encrypt");
    assert_eq!(cipher.decrypt(&ct, aad).expect("round trip"), bytes);
});

const VECTOR_SEALED: &str = "02010a0b0c0d6b6b6b6b6b6b6b6b000000002d86c9b1a53443d5e9f9a504dfa110dc1793d99400e6347af4f724d736fb9715f843a317f666de4aa35cdc94b3a1635790";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}
