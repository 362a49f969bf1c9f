//! Known-answer vectors for the keyset and envelope formats (`tests/data/vectors/`).
//!
//! `check_*` verify both directions for the versions privkit writes: sealing the recorded
//! inputs reproduces the recorded bytes exactly, and the public API opens them. Version 1
//! envelopes, streams and exports are no longer written: their files are fixed and only
//! checked to open. `regenerate` (ignored) rewrites the files of the written versions;
//! run it only when a format version is added, never to paper over a change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use super::engine::{block_on, wrap_all};
use super::header::{Finished, Kind, Material, NewHeader, V2, V3, seal_message};
use super::{KeyEncryptionKey, LocalKek, Opener, StreamWriter, open};
use crate::encoding::{hex_decode, hex_encode};
use crate::kdf::{Hash, Hkdf};
use crate::keyset::Keyset;
use crate::secret::SecretBytes;
use crate::{Algorithm, Result};

const KEYSET_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/vectors/keyset.json"
);
const EXPORT_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/vectors/keyset_export.json"
);
const PASSWORD_EXPORT_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/vectors/keyset_export_password.json"
);
const STREAM_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/vectors/stream_v2.json"
);
const ENVELOPE_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/vectors/envelope_v2.json"
);
const ENVELOPE_V3_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/vectors/envelope_v3.json"
);
const V1_FILES: [&str; 4] = [
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors/envelope.json"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors/stream.json"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors/keyset_export_v1.json"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors/keyset_export_password_v1.json"
    ),
];

/// A version 2 header for fixed material, wrapped by `keks` (vector KEKs use fixed nonce
/// prefixes, so the result is deterministic).
fn header(
    kind: Kind,
    alg: Algorithm,
    dek: &SecretBytes,
    salt: &[u8; 32],
    prefix: &[u8; 19],
    keks: &[&LocalKek],
    aad: &[u8],
) -> Result<Finished> {
    let material = Material {
        data_key: dek.clone(),
        salt: *salt,
        prefix: *prefix,
        header_nonce: [0; 24],
    };
    wrapped(
        NewHeader::versioned(kind, V2, alg, material, keks.len(), aad, 0)?,
        keks,
    )
}

fn wrapped(header: NewHeader, keks: &[&LocalKek]) -> Result<Finished> {
    let keks: Vec<&dyn KeyEncryptionKey> =
        keks.iter().map(|k| *k as &dyn KeyEncryptionKey).collect();
    block_on(wrap_all(&keks, header, None))
}

/// A version 3 envelope header for a fixed data key and header nonce (the high bit of
/// whose first byte the header sets), wrapped by `keks`.
fn header_v3(
    alg: Algorithm,
    dek: &SecretBytes,
    header_nonce: &[u8; 24],
    keks: &[&LocalKek],
) -> Result<Finished> {
    let material = Material {
        data_key: dek.clone(),
        salt: [0; 32],
        prefix: [0; 19],
        header_nonce: *header_nonce,
    };
    let header = NewHeader::versioned(Kind::Envelope, V3, alg, material, keks.len(), b"", 0)?;
    wrapped(header, keks)
}

fn seal_deterministic(
    alg: Algorithm,
    dek: &SecretBytes,
    salt: &[u8; 32],
    keks: &[&LocalKek],
    counter: u64,
    pt: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let finished = header(Kind::Envelope, alg, dek, salt, &[0; 19], keks, b"")?;
    seal_message(&finished, counter, pt, aad)
}

/// The MAC key and header MAC of a version 2 header (`docs/FORMAT.md` 3.2).
fn mac_fields(
    kind: Kind,
    alg: Algorithm,
    dek: &SecretBytes,
    salt: &[u8],
    header_len: usize,
    bytes: &[u8],
) -> Result<Value> {
    use hmac::{KeyInit, Mac};
    let alg_id = [alg.id()];
    let size = match kind {
        Kind::Envelope => None,
        Kind::Stream { segment_size } => Some(segment_size.to_be_bytes()),
    };
    let aad: &[u8] = b"backup.tar";
    let labels: Vec<&[u8]> = match &size {
        None => vec![b"privkit envelope", &[1], &alg_id],
        Some(size) => vec![b"privkit stream", &[1], &alg_id, size, aad],
    };
    let okm = Hkdf::extract(Hash::Sha256, salt, dek.expose_secret()).expand_labeled(&labels, 96)?;
    let mac_key = SecretBytes::from_slice(&okm.expose_secret()[64..]);
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(mac_key.expose_secret()).unwrap();
    mac.update(&bytes[..header_len - 32]);
    let tag: [u8; 32] = mac.finalize().into_bytes().into();
    assert_eq!(&bytes[header_len - 32..header_len], &tag[..]);
    Ok(json!({"mac_key": hex_encode(mac_key.expose_secret()), "header_mac": hex_encode(&tag)}))
}

fn seq(start: u8, len: u8) -> Vec<u8> {
    (0..len).map(|i| start.wrapping_add(i)).collect()
}

fn prefix() -> [u8; 16] {
    seq(0xa0, 16).try_into().unwrap()
}

fn vector_keyset(alg: Algorithm, id: u32, key_start: u8) -> Keyset {
    let mut ks = Keyset::from_key(id, alg, SecretBytes::new(seq(key_start, 32))).unwrap();
    ks.set_nonce_prefix_for_vectors(prefix());
    ks
}

fn keyset_vectors() -> Result<Value> {
    let mut out = Vec::new();
    for alg in Algorithm::ALL {
        let ks = vector_keyset(alg, 0x0102_0304, 0x00);
        let cases: [(&str, &[u8], &[u8]); 3] = [
            ("empty plaintext, empty associated data", b"", b""),
            (
                "short value with associated data",
                b"alice@example.com",
                b"table=customers;column=email;row=42",
            ),
            ("100-byte value", &[0x61; 100], b"ctx"),
        ];
        for (counter, (comment, pt, aad)) in cases.into_iter().enumerate() {
            let ct = ks.encrypt(pt, aad)?;
            let nonce = &ct[6..6 + alg.nonce_len()];
            out.push(json!({
                "comment": comment,
                "algorithm": alg.name(),
                "algorithm_id": alg.id(),
                "key_id": 0x0102_0304u32,
                "key": hex_encode(&seq(0x00, 32)),
                "nonce_counter": counter,
                "nonce": hex_encode(nonce),
                "plaintext": hex_encode(pt),
                "aad": hex_encode(aad),
                "ciphertext": hex_encode(&ct),
            }));
        }
    }
    Ok(json!({
        "format": "privkit keyset value ciphertext, format byte 0x01 (docs/FORMAT.md section 2)",
        "nonce_prefix": hex_encode(&prefix()),
        "vectors": out,
    }))
}

/// One envelope vector of each kind, for every algorithm: one KEK (`vector-kek`) with a
/// short payload, and two KEKs (`vector-kek-2` second) with an empty payload at nonce
/// counter 5. `build` seals one and returns its version's own fields; the fields common to
/// both versions are added here.
fn envelope_cases(
    mut build: impl FnMut(Algorithm, &[&LocalKek], u64, &[u8], &[u8]) -> Result<(Vec<u8>, Value)>,
) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for alg in Algorithm::ALL {
        for two_keks in [false, true] {
            let (kek_a, kek_b) = vector_keks()?;
            let keks: Vec<&LocalKek> = if two_keks {
                vec![&kek_a, &kek_b]
            } else {
                vec![&kek_a]
            };
            let (pt, aad, counter): (&[u8], &[u8], u64) = if two_keks {
                (b"", b"", 5)
            } else {
                (b"hello, envelope", b"doc-1", 0)
            };
            let (env, mut v) = build(alg, &keks, counter, pt, aad)?;
            let common = json!({
                "comment": if two_keks { "two KEKs, empty payload, nonce counter 5" } else { "one KEK" },
                "algorithm": alg.name(),
                "algorithm_id": alg.id(),
                "data_key": hex_encode(&seq(0x40, 32)),
                "keks": keks.iter().map(|k| kek_json(k)).collect::<Vec<_>>(),
                "nonce_counter": counter,
                "plaintext": hex_encode(pt),
                "aad": hex_encode(aad),
                "envelope": hex_encode(&env),
            });
            for (name, value) in common.as_object().unwrap() {
                v[name] = value.clone();
            }
            out.push(v);
        }
    }
    Ok(out)
}

fn envelope_vectors() -> Result<Value> {
    let dek = SecretBytes::new(seq(0x40, 32));
    let salt: [u8; 32] = seq(0x60, 32).try_into().unwrap();
    let out = envelope_cases(|alg, keks, counter, pt, aad| {
        let env = seal_deterministic(alg, &dek, &salt, keks, counter, pt, aad)?;
        let okm = Hkdf::extract(Hash::Sha256, &salt, dek.expose_secret())
            .expand_labeled(&[b"privkit envelope", &[1], &[alg.id()]], 64)?;
        let header_len = env.len() - 8 - alg.nonce_len() - pt.len() - 16;
        let mac = mac_fields(Kind::Envelope, alg, &dek, &salt, header_len, &env)?;
        let v = json!({
            "salt": hex_encode(&salt),
            "payload_key": hex_encode(&okm.expose_secret()[..32]),
            "commitment": hex_encode(&okm.expose_secret()[32..]),
            "mac_key": mac["mac_key"],
            "header_mac": mac["header_mac"],
            "header_len": header_len,
        });
        Ok((env, v))
    })?;
    // Entry 1 starts at 71: u16 id length (10), "vector-kek", u16 key length, key.
    let fail = envelope_fail_vectors(&out, 71, |m| {
        m[4] = 1;
        (
            "version byte set to 1 (downgrade): the wrap context names version 1, unwrapping fails",
            "decryption failed",
        )
    })?;
    Ok(json!({
        "format": "privkit envelope, magic PKEV, version 2 (docs/FORMAT.md section 3)",
        "kek_nonce_prefix": hex_encode(&prefix()),
        "vectors": out,
        "fail": fail,
    }))
}

/// Envelopes that every decoder must refuse, made from the two-KEK AES-256-GCM vector
/// (decoded holding only `vector-kek`, the first KEK): the cases of both versions, whose
/// first entry starts at `first_entry`, and `downgrade`'s change of the version byte
/// (which returns the case's comment and error). `extra` adds a version's own cases.
fn envelope_fail_vectors(
    vectors: &[Value],
    first_entry: usize,
    downgrade: impl Fn(&mut Vec<u8>) -> (&'static str, &'static str),
) -> Result<Value> {
    envelope_fail_vectors_with(vectors, first_entry, downgrade, |_, _| {})
}

type FailCase = (String, Vec<u8>, &'static str);

fn envelope_fail_vectors_with(
    vectors: &[Value],
    first_entry: usize,
    downgrade: impl Fn(&mut Vec<u8>) -> (&'static str, &'static str),
    extra: impl Fn(&[u8], &mut Vec<FailCase>),
) -> Result<Value> {
    let v = vectors
        .iter()
        .find(|v| v["algorithm_id"] == 1 && v["keks"].as_array().is_some_and(|k| k.len() == 2))
        .expect("two-KEK vector");
    let env = field(v, "envelope");
    let header_len = usize::try_from(v["header_len"].as_u64().unwrap()).unwrap();
    let key_len_at = first_entry + 2 + "vector-kek".len();
    let first_key_len = usize::from(u16::from_be_bytes([env[key_len_at], env[key_len_at + 1]]));
    let second_entry = key_len_at + 2 + first_key_len;
    assert_eq!(&env[second_entry + 2..second_entry + 14], b"vector-kek-2");
    let authenticator = if env[4] == 3 {
        "header tag"
    } else {
        "header MAC"
    };
    let flip = |at: usize, bit: u8| {
        let mut m = env.clone();
        m[at] ^= bit;
        m
    };
    let mut cases: Vec<FailCase> = vec![
        (
            "one bit flipped in the wrapped key of the second KEK (a decoder holding only the first KEK must fail)".into(),
            flip(second_entry + 2 + 12 + 2 + 20, 0x01),
            "decryption failed",
        ),
        (
            "the second KEK's id changed from vector-kek-2 to vector-KEK-2".into(),
            flip(second_entry + 2 + 3, 0x20),
            "decryption failed",
        ),
        (
            format!("one bit flipped in the {authenticator}"),
            flip(header_len - 1, 0x80),
            "decryption failed",
        ),
    ];
    extra(&env, &mut cases);
    let mut m = env.clone();
    let (comment, error) = downgrade(&mut m);
    cases.push((comment.into(), m, error));
    let mut m = env.clone();
    m.truncate(m.len() - 1);
    cases.push((
        "truncated by one byte: shorter than its declared ciphertext length".into(),
        m,
        "malformed",
    ));
    let mut m = env.clone();
    m.push(0);
    cases.push(("one byte appended after the tag".into(), m, "malformed"));
    Ok(Value::Array(
        cases
            .into_iter()
            .map(|(comment, bytes, error)| {
                json!({"comment": comment, "envelope": hex_encode(&bytes), "error": error})
            })
            .collect(),
    ))
}

/// The two vector KEKs: `vector-kek` (AES-256-GCM keyset) and `vector-kek-2`
/// (XChaCha20-Poly1305 keyset).
fn vector_keks() -> Result<(LocalKek, LocalKek)> {
    Ok((
        LocalKek::new(
            "vector-kek",
            vector_keyset(Algorithm::Aes256Gcm, 0x0a0b_0c0d, 0x80),
        )?,
        LocalKek::new(
            "vector-kek-2",
            vector_keyset(Algorithm::XChaCha20Poly1305, 0x0e0f_1011, 0xc0),
        )?,
    ))
}

fn kek_json(k: &LocalKek) -> Value {
    let info = k.keyset().key(k.keyset().primary_id()).unwrap();
    let key_start = if info.id == 0x0a0b_0c0d { 0x80 } else { 0xc0 };
    json!({
        "kek_id": KeyEncryptionKey::kek_id(k),
        "keyset_key_id": info.id,
        "keyset_algorithm": info.algorithm.name(),
        "keyset_key": hex_encode(&seq(key_start, 32)),
    })
}

/// Version 3 envelopes (`docs/FORMAT.md` 3): for each algorithm a one-KEK and a two-KEK
/// envelope, with the intermediate values an independent decoder checks.
fn envelope_v3_vectors() -> Result<Value> {
    let dek = SecretBytes::new(seq(0x40, 32));
    let header_nonce: [u8; 24] = seq(0x70, 24).try_into().unwrap();
    let out = envelope_cases(|alg, keks, counter, pt, aad| {
        let finished = header_v3(alg, &dek, &header_nonce, keks)?;
        let env = seal_message(&finished, counter, pt, aad)?;
        let n = alg.nonce_len();
        // The key schedule, from the hkdf crate (no Extract: the data key is the PRK).
        let okm = Hkdf::from_prk(Hash::Sha256, dek.expose_secret())?
            .expand_labeled(&[b"PKEV v3", &[alg.id()]], 64)?;
        let commitment = &okm.expose_secret()[32..];
        let mut nonce = header_nonce[..n].to_vec();
        nonce[0] |= 0x80;
        let header_len = finished.bytes.len();
        let signed = &env[..header_len - 16];
        assert_eq!(&env[6..38], commitment);
        assert_eq!(&env[38..38 + n], &nonce[..]);
        // The header tag opens under the payload key, with the header as associated data.
        let payload_key = crate::backend::AeadKey::new(alg, &okm.expose_secret()[..32])?;
        payload_key.open_in_place(&nonce, signed, &mut [], &env[header_len - 16..header_len])?;
        let context =
            crate::kdf::encode_labels(&[b"privkit envelope wrap", &[3], &[alg.id()], commitment])?;
        let v = json!({
            "payload_key": hex_encode(&okm.expose_secret()[..32]),
            "commitment": hex_encode(commitment),
            "header_nonce": hex_encode(&nonce),
            "wrap_context": hex_encode(&context),
            "header_tag": hex_encode(&env[header_len - 16..header_len]),
            "header_len": header_len,
        });
        Ok((env, v))
    })?;
    // AES-256-GCM: the 12-byte header nonce at 38, the count at 50, entry 1 from 51.
    let fail = envelope_fail_vectors_with(
        &out,
        51,
        |m| {
            m[4] = 2;
            (
                "version byte set to 2 (downgrade): read as version 2, the commitment field holds the header nonce and entries, and the header no longer parses",
                "malformed",
            )
        },
        |env, cases| {
            let header_len = env.len() - 8 - 12 - 16;
            let with = |at: usize, f: &dyn Fn(u8) -> u8| {
                let mut m = env.to_vec();
                m[at] = f(m[at]);
                m
            };
            cases.push((
                "one bit flipped in the header nonce (its last byte)".into(),
                with(38 + 11, &|b| b ^ 0x01),
                "decryption failed",
            ));
            cases.push((
                "the high bit of the header nonce cleared: not a header nonce".into(),
                with(38, &|b| b & 0x7f),
                "malformed",
            ));
            cases.push((
                "the high bit of the payload nonce set: not a payload nonce".into(),
                with(header_len + 8, &|b| b | 0x80),
                "malformed",
            ));
        },
    )?;
    Ok(json!({
        "format": "privkit envelope, magic PKEV, version 3 (docs/FORMAT.md section 3)",
        "kek_nonce_prefix": hex_encode(&prefix()),
        "vectors": out,
        "fail": fail,
    }))
}

fn stream_vectors() -> Result<Value> {
    use std::io::Write as _;
    let mut out = Vec::new();
    let dek = SecretBytes::new(seq(0x40, 32));
    let salt: [u8; 32] = seq(0x60, 32).try_into().unwrap();
    let nonce_prefix: [u8; 19] = seq(0xd0, 19).try_into().unwrap();
    let cases: [(&str, usize); 5] = [
        ("empty plaintext: one final segment of 0 bytes", 0),
        ("exactly one segment: one final segment, full", 64),
        (
            "multi-segment: 2 full segments and a final one of 10 bytes",
            138,
        ),
        ("last segment full: 3 full segments, the third final", 192),
        ("less than one segment", 5),
    ];
    for alg in [Algorithm::Aes256Gcm, Algorithm::XChaCha20Poly1305] {
        for (comment, len) in cases {
            let kek = LocalKek::new(
                "vector-kek",
                vector_keyset(Algorithm::Aes256Gcm, 0x0a0b_0c0d, 0x80),
            )?;
            let pt = seq(0x00, 255)
                .into_iter()
                .cycle()
                .take(len)
                .collect::<Vec<u8>>();
            let kind = Kind::Stream { segment_size: 64 };
            let finished = header(
                kind,
                alg,
                &dek,
                &salt,
                &nonce_prefix,
                &[&kek],
                b"backup.tar",
            )?;
            let header_len = finished.bytes.len();
            let mut w = StreamWriter::new(Vec::new(), finished, 64)?;
            w.write_all(&pt).unwrap();
            let stream = w.finish()?;
            let mac = mac_fields(kind, alg, &dek, &salt, header_len, &stream)?;
            out.push(json!({
                "comment": comment,
                "algorithm": alg.name(),
                "algorithm_id": alg.id(),
                "segment_size": 64,
                "data_key": hex_encode(dek.expose_secret()),
                "salt": hex_encode(&salt),
                "nonce_prefix": hex_encode(&nonce_prefix[..alg.nonce_len() - 5]),
                "mac_key": mac["mac_key"],
                "header_mac": mac["header_mac"],
                "header_len": header_len,
                "kek": {
                    "kek_id": "vector-kek",
                    "keyset_key_id": 0x0a0b_0c0du32,
                    "keyset_algorithm": "AES-256-GCM",
                    "keyset_key": hex_encode(&seq(0x80, 32)),
                },
                "aad": hex_encode(b"backup.tar"),
                "plaintext": hex_encode(&pt),
                "stream": hex_encode(&stream),
            }));
        }
    }
    Ok(json!({
        "format": "privkit stream, magic PKST, version 2 (docs/FORMAT.md section 5)",
        "kek_nonce_prefix": hex_encode(&prefix()),
        "vectors": out,
    }))
}

fn export_keyset() -> Result<Keyset> {
    let mut ks = vector_keyset(Algorithm::Aes256Gcm, 0x0000_0001, 0x10);
    ks.insert_key(
        0x0000_0002,
        Algorithm::ChaCha20Poly1305,
        SecretBytes::new(seq(0x30, 32)),
    )?;
    ks.insert_key(
        0x0000_0003,
        Algorithm::XChaCha20Poly1305,
        SecretBytes::new(seq(0x50, 32)),
    )?;
    ks.promote(2)?;
    ks.disable(3)?;
    ks.destroy(1)?;
    Ok(ks)
}

fn export_vectors() -> Result<Value> {
    let ks = export_keyset()?;
    let plaintext = ks.to_plaintext()?;
    let kek = LocalKek::new(
        "vector-kek",
        vector_keyset(Algorithm::Aes256Gcm, 0x0a0b_0c0d, 0x80),
    )?;
    let dek = SecretBytes::new(seq(0x40, 32));
    let salt: [u8; 32] = seq(0x60, 32).try_into().unwrap();
    let exported = seal_deterministic(
        Algorithm::Aes256Gcm,
        &dek,
        &salt,
        &[&kek],
        0,
        &plaintext,
        super::export::EXPORT_AAD,
    )?;
    Ok(json!({
        "format": "privkit keyset export, an envelope (section 3) of a PKKS keyset (docs/FORMAT.md section 6)",
        "kek_nonce_prefix": hex_encode(&prefix()),
        "kek": {
            "kek_id": "vector-kek",
            "keyset_key_id": 0x0a0b_0c0du32,
            "keyset_algorithm": "AES-256-GCM",
            "keyset_key": hex_encode(&seq(0x80, 32)),
        },
        "aad": hex_encode(super::export::EXPORT_AAD),
        "data_key": hex_encode(dek.expose_secret()),
        "salt": hex_encode(&salt),
        "keyset_plaintext": hex_encode(&plaintext),
        "keys": ks.keys().map(|k| json!({
            "id": k.id,
            "algorithm": k.algorithm.name(),
            "status": format!("{:?}", k.status),
            "primary": k.primary,
        })).collect::<Vec<_>>(),
        "exported": hex_encode(&exported),
    }))
}

fn password_export_vector() -> Result<Value> {
    use crate::kdf::{PasswordKekParams, PasswordParams};
    let params =
        PasswordKekParams::with_salt(PasswordParams::new(7 * 1024, 5, 1)?, &seq(0x70, 16))?;
    let password = crate::secret::SecretString::from("correct horse battery staple");
    let key = params.derive(&password)?.into_secret_bytes();
    let mut kek_keyset = Keyset::from_key(1, Algorithm::Aes256Gcm, key.clone())?;
    kek_keyset.set_nonce_prefix_for_vectors(prefix());
    let kek = LocalKek::new("password", kek_keyset)?;
    let dek = SecretBytes::new(seq(0x40, 32));
    let salt: [u8; 32] = seq(0x60, 32).try_into().unwrap();
    let ks = export_keyset()?;
    let sealed = seal_deterministic(
        Algorithm::Aes256Gcm,
        &dek,
        &salt,
        &[&kek],
        0,
        &ks.to_plaintext()?,
        super::export::EXPORT_AAD,
    )?;
    let mut exported = b"PKKW\x01".to_vec();
    exported.extend_from_slice(&params.to_bytes());
    exported.extend_from_slice(&sealed);
    Ok(json!({
        "format": "privkit keyset export under a password (docs/FORMAT.md section 6.1)",
        "password": "correct horse battery staple",
        "argon2id": {"m_kib": 7168, "t": 5, "p": 1, "salt": hex_encode(&seq(0x70, 16))},
        "password_kek_params": hex_encode(&params.to_bytes()),
        "derived_key": hex_encode(key.expose_secret()),
        "kek_id": "password",
        "kek_keyset_key_id": 1,
        "kek_nonce_prefix": hex_encode(&prefix()),
        "data_key": hex_encode(dek.expose_secret()),
        "salt": hex_encode(&salt),
        "keyset_plaintext": hex_encode(&ks.to_plaintext()?),
        "exported": hex_encode(&exported),
    }))
}

fn load(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("vector file")).expect("json")
}

fn field(v: &Value, name: &str) -> Vec<u8> {
    hex_decode(v[name].as_str().expect(name)).expect("hex")
}

#[test]
fn check_keyset_vectors() -> Result<()> {
    let file = load(KEYSET_FILE);
    assert_eq!(
        file,
        keyset_vectors()?,
        "regenerated keyset vectors differ from the file"
    );
    for v in file["vectors"].as_array().unwrap() {
        let alg = Algorithm::from_id(u8::try_from(v["algorithm_id"].as_u64().unwrap()).unwrap())?;
        let id = u32::try_from(v["key_id"].as_u64().unwrap()).unwrap();
        let ks = Keyset::from_key(id, alg, SecretBytes::new(field(v, "key")))?;
        assert_eq!(
            ks.decrypt(&field(v, "ciphertext"), &field(v, "aad"))?,
            field(v, "plaintext")
        );
    }
    Ok(())
}

/// Opens every vector of an envelope file of `version` with each of its KEKs, and checks
/// that a re-wrap keeps the version and the payload (length field, nonce, ciphertext and
/// tag) and opens under the new KEK.
fn open_and_rewrap_every_vector(file: &Value, version: u8) -> Result<()> {
    let target = LocalKek::generate("rewrap-target")?;
    for v in file["vectors"].as_array().unwrap() {
        let env = field(v, "envelope");
        assert_eq!(env[4], version);
        // `inspect` reads the version, algorithm, KEK ids and length without a key.
        let info = super::inspect(&env)?;
        assert_eq!(info.version, version);
        assert_eq!(
            u64::from(info.algorithm.id()),
            v["algorithm_id"].as_u64().unwrap()
        );
        let ids: Vec<&str> = v["keks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kek_id"].as_str().unwrap())
            .collect();
        assert_eq!(info.kek_ids, ids);
        assert_eq!(
            info.plaintext_len,
            u64::try_from(field(v, "plaintext").len()).unwrap()
        );
        for kek in v["keks"].as_array().unwrap() {
            let local = local_kek(kek)?;
            assert_eq!(open(&local, &env, &field(v, "aad"))?, field(v, "plaintext"));
            let rewrapped = Opener::new(local).rewrap(&env, &[&target])?;
            assert_eq!(rewrapped[4], version);
            let payload = 8 + alg_nonce_len(v) + field(v, "plaintext").len() + 16;
            assert_eq!(
                rewrapped[rewrapped.len() - payload..],
                env[env.len() - payload..]
            );
            assert_eq!(
                open(&target, &rewrapped, &field(v, "aad"))?,
                field(v, "plaintext")
            );
        }
    }
    Ok(())
}

/// Every `fail` case of an envelope file is refused, with its recorded error, by a decoder
/// holding only `vector-kek`; returns how many there are.
fn fail_cases_refused(file: &Value) -> Result<usize> {
    let kek = local_kek(&file["vectors"][0]["keks"][0])?;
    assert_eq!(kek.kek_id(), "vector-kek");
    let cases = file["fail"].as_array().unwrap();
    for case in cases {
        let err = open(&kek, &field(case, "envelope"), b"").unwrap_err();
        let expected = case["error"].as_str().unwrap();
        assert!(
            err.to_string().starts_with(expected),
            "{}: {err}",
            case["comment"]
        );
    }
    Ok(cases.len())
}

/// The keyset KEK of a vector's `keks` entry.
fn local_kek(kek: &Value) -> Result<LocalKek> {
    let alg = match kek["keyset_algorithm"].as_str().unwrap() {
        "AES-256-GCM" => Algorithm::Aes256Gcm,
        _ => Algorithm::XChaCha20Poly1305,
    };
    let id = u32::try_from(kek["keyset_key_id"].as_u64().unwrap()).unwrap();
    let ks = Keyset::from_key(id, alg, SecretBytes::new(field(kek, "keyset_key")))?;
    LocalKek::new(kek["kek_id"].as_str().unwrap(), ks)
}

/// The envelope files of the versions privkit writes (version 3) or still writes on
/// re-wrap (version 2): each regenerates byte for byte, opens, re-wraps into its own
/// version, and has its fail cases refused.
#[test]
fn check_envelope_vectors() -> Result<()> {
    type Generator = fn() -> Result<Value>;
    let files: [(&str, Generator, u8, usize); 2] = [
        (ENVELOPE_FILE, envelope_vectors, 2, 6),
        (ENVELOPE_V3_FILE, envelope_v3_vectors, 3, 9),
    ];
    for (path, generate, version, fail_cases) in files {
        let file = load(path);
        assert_eq!(
            file,
            generate()?,
            "regenerated envelope vectors differ from {path}"
        );
        open_and_rewrap_every_vector(&file, version)?;
        assert_eq!(fail_cases_refused(&file)?, fail_cases, "{path}");
    }
    Ok(())
}

/// Version 1 envelopes, streams and keyset exports, no longer written, still open; and
/// re-wrapping a version 1 envelope makes a version 2 envelope of the same payload.
#[test]
fn check_version_1_vectors_still_open() -> Result<()> {
    use std::io::Read as _;
    let local = |id: &str, key_id: u64, alg: &str, key: Vec<u8>| {
        let alg = if alg == "AES-256-GCM" {
            Algorithm::Aes256Gcm
        } else {
            Algorithm::XChaCha20Poly1305
        };
        let ks =
            Keyset::from_key(u32::try_from(key_id).unwrap(), alg, SecretBytes::new(key)).unwrap();
        LocalKek::new(id, ks).unwrap()
    };
    let kek_of = |k: &Value| {
        local(
            k["kek_id"].as_str().unwrap(),
            k["keyset_key_id"].as_u64().unwrap(),
            k["keyset_algorithm"].as_str().unwrap(),
            field(k, "keyset_key"),
        )
    };
    let envelopes = load(V1_FILES[0]);
    assert!(envelopes["format"].as_str().unwrap().contains("version 1"));
    let target = LocalKek::generate("v2-target")?;
    for v in envelopes["vectors"].as_array().unwrap() {
        let env = field(v, "envelope");
        assert_eq!(env[4], 1);
        for k in v["keks"].as_array().unwrap() {
            let kek = kek_of(k);
            assert_eq!(open(&kek, &env, &field(v, "aad"))?, field(v, "plaintext"));
            let v2 = Opener::new(kek).rewrap(&env, &[&target])?;
            assert_eq!(v2[4], 2);
            assert_eq!(open(&target, &v2, &field(v, "aad"))?, field(v, "plaintext"));
            // The payload (nonce, ciphertext, tag) is carried over byte for byte.
            let payload = alg_nonce_len(v) + field(v, "plaintext").len() + 16;
            assert_eq!(&v2[v2.len() - payload..], &env[env.len() - payload..]);
        }
    }
    let streams = load(V1_FILES[1]);
    for v in streams["vectors"].as_array().unwrap() {
        let opener = Opener::new(kek_of(&v["kek"]));
        let stream = field(v, "stream");
        assert_eq!(stream[4], 1);
        let mut out = Vec::new();
        opener
            .decrypt_stream(&stream[..], &field(v, "aad"))?
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, field(v, "plaintext"));
    }
    let export = load(V1_FILES[2]);
    let imported = Keyset::import_sealed(&field(&export, "exported"), &kek_of(&export["kek"]))?;
    assert_eq!(
        imported.keys().collect::<Vec<_>>(),
        export_keyset()?.keys().collect::<Vec<_>>()
    );
    let password = load(V1_FILES[3]);
    let imported = Keyset::import_with_password(
        &field(&password, "exported"),
        &crate::secret::SecretString::from(password["password"].as_str().unwrap()),
        &crate::kdf::VerifyLimits::default(),
    )?;
    assert_eq!(
        imported.keys().collect::<Vec<_>>(),
        export_keyset()?.keys().collect::<Vec<_>>()
    );
    Ok(())
}

fn alg_nonce_len(v: &Value) -> usize {
    Algorithm::from_id(u8::try_from(v["algorithm_id"].as_u64().unwrap()).unwrap())
        .unwrap()
        .nonce_len()
}

#[test]
fn check_stream_vectors() -> Result<()> {
    use std::io::Read as _;
    let file = load(STREAM_FILE);
    assert_eq!(
        file,
        stream_vectors()?,
        "regenerated stream vectors differ from the file"
    );
    for v in file["vectors"].as_array().unwrap() {
        let kek = &v["kek"];
        let id = u32::try_from(kek["keyset_key_id"].as_u64().unwrap()).unwrap();
        let ks = Keyset::from_key(
            id,
            Algorithm::Aes256Gcm,
            SecretBytes::new(field(kek, "keyset_key")),
        )?;
        let opener = Opener::new(LocalKek::new("vector-kek", ks)?);
        let stream = field(v, "stream");
        let mut out = Vec::new();
        opener
            .decrypt_stream(&stream[..], &field(v, "aad"))?
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, field(v, "plaintext"));
        let mut out = Vec::new();
        let mut reader = opener.decrypt_stream(std::io::Cursor::new(&stream), &field(v, "aad"))?;
        assert_eq!(
            reader.plaintext_len()?,
            u64::try_from(field(v, "plaintext").len()).unwrap()
        );
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, field(v, "plaintext"));
    }
    Ok(())
}

#[test]
fn check_export_vectors() -> Result<()> {
    let file = load(EXPORT_FILE);
    assert_eq!(
        file,
        export_vectors()?,
        "regenerated export vectors differ from the file"
    );
    let kek = LocalKek::new(
        "vector-kek",
        Keyset::from_key(
            0x0a0b_0c0d,
            Algorithm::Aes256Gcm,
            SecretBytes::new(field(&file["kek"], "keyset_key")),
        )?,
    )?;
    let imported = Keyset::import_sealed(&field(&file, "exported"), &kek)?;
    assert_eq!(
        imported.keys().collect::<Vec<_>>(),
        export_keyset()?.keys().collect::<Vec<_>>()
    );
    Ok(())
}

#[test]
fn check_password_export_vector() -> Result<()> {
    let file = load(PASSWORD_EXPORT_FILE);
    assert_eq!(
        file,
        password_export_vector()?,
        "regenerated password export vector differs from the file"
    );
    let password = crate::secret::SecretString::from(file["password"].as_str().unwrap());
    let imported = Keyset::import_with_password(
        &field(&file, "exported"),
        &password,
        &crate::kdf::VerifyLimits::default(),
    )?;
    assert_eq!(
        imported.keys().collect::<Vec<_>>(),
        export_keyset()?.keys().collect::<Vec<_>>()
    );
    Ok(())
}

#[test]
#[ignore = "rewrites tests/data/vectors; run only when adding a format version"]
fn regenerate() -> Result<()> {
    std::fs::write(
        KEYSET_FILE,
        serde_json::to_string_pretty(&keyset_vectors()?).unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(
        ENVELOPE_FILE,
        serde_json::to_string_pretty(&envelope_vectors()?).unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(
        ENVELOPE_V3_FILE,
        serde_json::to_string_pretty(&envelope_v3_vectors()?).unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(
        EXPORT_FILE,
        serde_json::to_string_pretty(&export_vectors()?).unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(
        PASSWORD_EXPORT_FILE,
        serde_json::to_string_pretty(&password_export_vector()?).unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(
        STREAM_FILE,
        serde_json::to_string_pretty(&stream_vectors()?).unwrap() + "\n",
    )
    .unwrap();
    Ok(())
}
