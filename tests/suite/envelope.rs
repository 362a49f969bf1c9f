//! Keysets and envelopes through the public API: lifecycle, binding, tampering, limits,
//! re-wrapping, caching, property tests and robustness against random input.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use privkit::envelope::{
    self, CacheLimits, EnvelopeLimits, KeyEncryptionKey, LocalKek, Opener, Sealer,
};
use privkit::keyset::{Aad, KeyStatus, Keyset};
use privkit::secret::SecretBytes;
use privkit::{Algorithm, Error, Result};
use proptest::prelude::*;

// ---------------------------------------------------------------- keysets

#[test]
fn keyset_round_trip_every_algorithm() -> Result<()> {
    for alg in Algorithm::ALL {
        let ks = Keyset::generate(alg)?;
        for len in [0usize, 1, 15, 16, 17, 64, 1000] {
            let pt: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let ct = ks.encrypt(&pt, b"ctx")?;
            assert_eq!(ct.len(), 6 + alg.nonce_len() + len + 16);
            assert_eq!(ct[0], 0x01);
            assert_eq!(ct[1], alg.id());
            assert_eq!(&ct[2..6], &ks.primary_id().to_be_bytes());
            assert_eq!(ks.decrypt(&ct, b"ctx")?, pt);
        }
    }
    Ok(())
}

#[test]
fn keyset_nonces_are_unique() -> Result<()> {
    let ks = Keyset::generate(Algorithm::Aes256Gcm)?;
    let nonces: std::collections::HashSet<Vec<u8>> = (0..1000)
        .map(|_| ks.encrypt(b"same", b"").map(|c| c[6..18].to_vec()))
        .collect::<Result<_>>()?;
    assert_eq!(nonces.len(), 1000);
    // A clone shares each key's nonce counter: the two never repeat a nonce.
    let clone = ks.clone();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100 {
        assert!(seen.insert(ks.encrypt(b"x", b"")?[6..18].to_vec()));
        assert!(seen.insert(clone.encrypt(b"x", b"")?[6..18].to_vec()));
    }
    // refresh_nonce_prefixes (after fork) gives one copy a new prefix.
    let mut child = ks.clone();
    child.refresh_nonce_prefixes()?;
    assert_ne!(
        ks.encrypt(b"x", b"")?[6..14],
        child.encrypt(b"x", b"")?[6..14]
    );
    Ok(())
}

#[test]
fn keyset_lifecycle() -> Result<()> {
    let mut ks = Keyset::generate(Algorithm::Aes256Gcm)?;
    let k1 = ks.primary_id();
    let ct1 = ks.encrypt(b"one", b"")?;

    let k2 = ks.add(Algorithm::ChaCha20Poly1305)?;
    assert_eq!(ks.primary_id(), k1, "add does not promote");
    assert_eq!(ks.encrypt(b"x", b"")?[1], Algorithm::Aes256Gcm.id());
    ks.promote(k2)?;
    let ct2 = ks.encrypt(b"two", b"")?;
    assert_eq!(ct2[1], Algorithm::ChaCha20Poly1305.id());

    // The primary can be neither disabled nor destroyed.
    assert!(matches!(ks.disable(k2), Err(Error::InvalidOperation(_))));
    assert!(matches!(ks.destroy(k2), Err(Error::InvalidOperation(_))));

    ks.disable(k1)?;
    assert!(matches!(ks.decrypt(&ct1, b""), Err(Error::KeyDisabled(id)) if id == k1));
    assert!(matches!(ks.promote(k1), Err(Error::KeyDisabled(_))));
    ks.enable(k1)?;
    assert_eq!(ks.decrypt(&ct1, b"")?, b"one");

    ks.destroy(k1)?;
    assert!(matches!(ks.decrypt(&ct1, b""), Err(Error::KeyDestroyed(id)) if id == k1));
    assert!(matches!(ks.enable(k1), Err(Error::KeyDestroyed(_))));
    assert_eq!(ks.key(k1)?.status, KeyStatus::Destroyed);
    assert_eq!(ks.decrypt(&ct2, b"")?, b"two");

    let k3 = ks.rotate(Algorithm::XChaCha20Poly1305)?;
    assert_eq!(ks.primary_id(), k3);
    let infos: Vec<_> = ks.keys().collect();
    assert_eq!(infos.len(), 3);
    assert_eq!(infos.iter().filter(|k| k.primary).count(), 1);
    assert!(matches!(ks.key(12345), Err(Error::UnknownKeyId(12345))));
    Ok(())
}

#[test]
fn fail_unknown_key_id() -> Result<()> {
    let a = Keyset::generate(Algorithm::Aes256Gcm)?;
    let b = Keyset::generate(Algorithm::Aes256Gcm)?;
    let ct = a.encrypt(b"x", b"")?;
    assert!(matches!(b.decrypt(&ct, b""), Err(Error::UnknownKeyId(_))));
    Ok(())
}

#[test]
fn fail_wrong_key_same_id() -> Result<()> {
    let a = Keyset::from_key(7, Algorithm::Aes256Gcm, SecretBytes::random(32)?)?;
    let b = Keyset::from_key(7, Algorithm::Aes256Gcm, SecretBytes::random(32)?)?;
    let ct = a.encrypt(b"x", b"")?;
    assert!(matches!(b.decrypt(&ct, b""), Err(Error::DecryptionFailed)));
    Ok(())
}

#[test]
fn fail_wrong_associated_data() -> Result<()> {
    let ks = Keyset::generate(Algorithm::Aes256Gcm)?;
    let row = |id: &str| {
        Aad::new()
            .with("table", "users")
            .with("column", "email")
            .with("row", id)
    };
    let ct = ks.encrypt(b"a@example.com", row("1").as_bytes())?;
    assert!(matches!(
        ks.decrypt(&ct, row("2").as_bytes()),
        Err(Error::DecryptionFailed)
    ));
    assert!(matches!(ks.decrypt(&ct, b""), Err(Error::DecryptionFailed)));
    // Long associated data (heap path) binds as well.
    let long = vec![7u8; 1000];
    let ct = ks.encrypt(b"v", &long)?;
    assert_eq!(ks.decrypt(&ct, &long)?, b"v");
    assert!(ks.decrypt(&ct, &long[..999]).is_err());
    Ok(())
}

#[test]
fn fail_every_bit_flip_and_truncation_keyset() -> Result<()> {
    for alg in Algorithm::ALL {
        let ks = Keyset::generate(alg)?;
        let ct = ks.encrypt(b"short message", b"aad")?;
        for i in 0..ct.len() * 8 {
            let mut bad = ct.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(
                ks.decrypt(&bad, b"aad").is_err(),
                "{alg}: flip of bit {i} accepted"
            );
        }
        for n in 0..ct.len() {
            assert!(
                ks.decrypt(&ct[..n], b"aad").is_err(),
                "{alg}: truncation to {n} accepted"
            );
        }
        let mut extended = ct.clone();
        extended.push(0);
        assert!(ks.decrypt(&extended, b"aad").is_err());
    }
    Ok(())
}

#[test]
fn fail_value_ciphertext_is_not_a_wrapped_key() -> Result<()> {
    // A keyset ciphertext of 32 bytes must not pass as a wrapped data key, even with the
    // format byte rewritten: the format byte is authenticated.
    let kek = LocalKek::generate("k")?;
    let env = envelope::seal(&kek, b"payload", b"")?;
    let mut forged = kek.keyset().encrypt(&[0u8; 32], b"")?;
    forged[0] = 0x02;
    assert!(kek.unwrap_key(&forged, b"").is_err());
    assert!(envelope::open(&kek, &env, b"").is_ok());
    Ok(())
}

// ---------------------------------------------------------------- envelopes

/// A KEK that counts its calls (standing in for a remote KMS).
struct Counting {
    inner: LocalKek,
    wraps: AtomicUsize,
    unwraps: AtomicUsize,
}

impl Counting {
    fn new(id: &str) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            inner: LocalKek::generate(id)?,
            wraps: AtomicUsize::new(0),
            unwraps: AtomicUsize::new(0),
        }))
    }
}

impl KeyEncryptionKey for Counting {
    fn kek_id(&self) -> &str {
        self.inner.kek_id()
    }
    fn wrap_key(&self, data_key: &SecretBytes, context: &[u8]) -> Result<Vec<u8>> {
        self.wraps.fetch_add(1, Ordering::SeqCst);
        self.inner.wrap_key(data_key, context)
    }
    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        self.unwraps.fetch_add(1, Ordering::SeqCst);
        self.inner.unwrap_key(wrapped, context)
    }
}

/// A malicious KEK that returns a fixed key whatever it is asked to unwrap.
struct Liar(SecretBytes);

impl KeyEncryptionKey for Liar {
    fn kek_id(&self) -> &str {
        "k"
    }
    fn wrap_key(&self, _: &SecretBytes, _: &[u8]) -> Result<Vec<u8>> {
        Ok(vec![0; 8])
    }
    fn unwrap_key(&self, _: &[u8], _: &[u8]) -> Result<SecretBytes> {
        Ok(self.0.clone())
    }
}

#[test]
fn envelope_round_trip_every_algorithm() -> Result<()> {
    let kek = Arc::new(LocalKek::generate("k")?);
    for alg in Algorithm::ALL {
        let sealer = Sealer::new(kek.clone()).with_algorithm(alg);
        for len in [0usize, 1, 64, 4096] {
            let pt = vec![0xa5u8; len];
            let env = sealer.seal(&pt, b"aad")?;
            assert_eq!(&env[..4], b"PKEV");
            assert_eq!(env[4], 3);
            assert_eq!(env[5], alg.id());
            assert_eq!(envelope::open(&*kek, &env, b"aad")?, pt);
        }
    }
    Ok(())
}

#[test]
fn envelope_any_kek_opens() -> Result<()> {
    let a = Arc::new(LocalKek::generate("region-a")?);
    let b = Arc::new(LocalKek::generate("region-b")?);
    let c = Arc::new(LocalKek::generate("region-c")?);
    let env = Sealer::new(a.clone()).with_kek(b.clone()).seal(b"x", b"")?;
    assert_eq!(Opener::new(a).open(&env, b"")?, b"x");
    assert_eq!(Opener::new(b.clone()).open(&env, b"")?, b"x");
    assert!(matches!(
        Opener::new(c.clone()).open(&env, b""),
        Err(Error::NoUsableKey)
    ));
    assert_eq!(Opener::new(c).with_kek(b).open(&env, b"")?, b"x");
    Ok(())
}

#[test]
fn fail_envelope_wrong_aad_and_wrong_kek() -> Result<()> {
    let kek = LocalKek::generate("k")?;
    let env = envelope::seal(&kek, b"payload", b"doc-1")?;
    assert!(matches!(
        envelope::open(&kek, &env, b"doc-2"),
        Err(Error::DecryptionFailed)
    ));
    // Same KEK id, different key material.
    let impostor = LocalKek::generate("k")?;
    assert!(envelope::open(&impostor, &env, b"doc-1").is_err());
    Ok(())
}

#[test]
fn fail_every_bit_flip_and_truncation_envelope() -> Result<()> {
    let kek = LocalKek::generate("k")?;
    let env = envelope::seal(&kek, b"short message", b"aad")?;
    for i in 0..env.len() * 8 {
        let mut bad = env.clone();
        bad[i / 8] ^= 1 << (i % 8);
        assert!(
            envelope::open(&kek, &bad, b"aad").is_err(),
            "flip of bit {i} accepted"
        );
    }
    for n in 0..env.len() {
        assert!(
            envelope::open(&kek, &env[..n], b"aad").is_err(),
            "truncation to {n} accepted"
        );
    }
    Ok(())
}

/// Offset of the wrapped-key count of a version 3 envelope: after magic, version,
/// algorithm, the 32-byte commitment and the header nonce (24 bytes for
/// XChaCha20-Poly1305, id 3; 12 otherwise).
fn count_at(env: &[u8]) -> usize {
    38 + if env[5] == 3 { 24 } else { 12 }
}

/// Byte range of the wrapped-key section (count byte included) of a one-KEK version 3
/// envelope.
fn wrapped_section(env: &[u8]) -> std::ops::Range<usize> {
    let at = count_at(env);
    let id_len = usize::from(u16::from_be_bytes([env[at + 1], env[at + 2]]));
    let key_len_at = at + 3 + id_len;
    let key_len = usize::from(u16::from_be_bytes([env[key_len_at], env[key_len_at + 1]]));
    at..key_len_at + 2 + key_len
}

/// Offset of the payload nonce of a one-KEK version 3 envelope: after the wrapped-key
/// section, the 16-byte header tag and the 8-byte ciphertext length.
fn nonce_at(env: &[u8]) -> usize {
    wrapped_section(env).end + 16 + 8
}

#[test]
fn fail_wrapped_key_swapped_between_envelopes() -> Result<()> {
    let kek = LocalKek::generate("k")?;
    let a = envelope::seal(&kek, b"message A", b"")?;
    let b = envelope::seal(&kek, b"message B", b"")?;
    let (ra, rb) = (wrapped_section(&a), wrapped_section(&b));
    let mut forged = b[..rb.start].to_vec();
    forged.extend_from_slice(&a[ra.clone()]);
    forged.extend_from_slice(&b[rb.end..]);
    assert!(matches!(
        envelope::open(&kek, &forged, b""),
        Err(Error::DecryptionFailed)
    ));
    // The header (commitment and header nonce) of another envelope does not fit either.
    let mut forged = a[..count_at(&a)].to_vec();
    forged.extend_from_slice(&b[count_at(&b)..]);
    assert!(matches!(
        envelope::open(&kek, &forged, b""),
        Err(Error::DecryptionFailed)
    ));
    Ok(())
}

#[test]
fn fail_key_commitment_rejects_other_data_key() -> Result<()> {
    // A KEK that hands out a different data key (as in an invisible-salamander or
    // partitioning-oracle attack) is caught by the commitment before decryption.
    let kek = LocalKek::generate("k")?;
    let env = envelope::seal(&kek, b"payload", b"")?;
    let liar = Liar(SecretBytes::random(32)?);
    assert!(matches!(
        envelope::open(&liar, &env, b""),
        Err(Error::DecryptionFailed)
    ));
    let short = Liar(SecretBytes::random(16)?);
    assert!(matches!(
        envelope::open(&short, &env, b""),
        Err(Error::DecryptionFailed)
    ));
    assert!(
        Opener::new(Liar(SecretBytes::random(32)?))
            .rewrap(&env, &[&kek])
            .is_err()
    );
    Ok(())
}

#[test]
fn envelope_limits() -> Result<()> {
    let keks: Vec<Arc<LocalKek>> = (0..20)
        .map(|i| LocalKek::generate(format!("kek-{i}")).map(Arc::new))
        .collect::<Result<_>>()?;
    let mut sealer = Sealer::new(keks[0].clone());
    for k in &keks[1..] {
        sealer = sealer.with_kek(k.clone());
    }
    let env = sealer.seal(b"x", b"")?;
    // Default: at most 16 wrapped keys.
    assert!(matches!(
        envelope::open(&*keks[0], &env, b""),
        Err(Error::LimitExceeded { .. })
    ));
    let opener =
        Opener::new(keks[19].clone()).with_limits(EnvelopeLimits::default().max_wrapped_keys(20));
    assert_eq!(opener.open(&env, b"")?, b"x");
    // Header and total size limits.
    let small_header = Opener::new(keks[19].clone()).with_limits(
        EnvelopeLimits::default()
            .max_wrapped_keys(20)
            .max_header_len(200),
    );
    assert!(matches!(
        small_header.open(&env, b""),
        Err(Error::LimitExceeded { .. })
    ));
    let big = envelope::seal(&*keks[0], &vec![0u8; 10_000], b"")?;
    let small_total =
        Opener::new(keks[0].clone()).with_limits(EnvelopeLimits::default().max_envelope_len(5000));
    assert!(matches!(
        small_total.open(&big, b""),
        Err(Error::LimitExceeded { .. })
    ));
    // A count byte of 255 with nothing behind it is malformed, not an allocation.
    let mut lying = env[..70].to_vec();
    lying.push(255);
    let generous =
        Opener::new(keks[0].clone()).with_limits(EnvelopeLimits::default().max_wrapped_keys(255));
    assert!(matches!(
        generous.open(&lying, b""),
        Err(Error::Malformed(_))
    ));
    Ok(())
}

#[test]
fn rewrap_keeps_payload_and_moves_keys() -> Result<()> {
    let old = Arc::new(LocalKek::generate("old")?);
    let new = LocalKek::generate("new")?;
    let env = Sealer::new(old.clone())
        .with_algorithm(Algorithm::XChaCha20Poly1305)
        .seal(b"the payload", b"ctx")?;
    let rewrapped = Opener::new(old.clone()).rewrap(&env, &[&new])?;
    let tail = 24 + b"the payload".len() + 16;
    assert_eq!(env[env.len() - tail..], rewrapped[rewrapped.len() - tail..]);
    // Still version 3, with the same algorithm and commitment; a new header nonce.
    assert_eq!(rewrapped[4], 3);
    assert_eq!(env[..38], rewrapped[..38]);
    assert_ne!(env[38..38 + 24], rewrapped[38..38 + 24]);
    assert_eq!(envelope::open(&new, &rewrapped, b"ctx")?, b"the payload");
    assert!(matches!(
        envelope::open(&*old, &rewrapped, b"ctx"),
        Err(Error::NoUsableKey)
    ));
    // Rewrap by the free function, and with a KEK that cannot open: refused.
    let back = envelope::rewrap(&rewrapped, &new, &*old)?;
    assert_eq!(envelope::open(&*old, &back, b"ctx")?, b"the payload");
    assert!(envelope::rewrap(&env, &new, &*old).is_err());
    assert!(matches!(
        Opener::new(old).rewrap(&env, &[]),
        Err(Error::InvalidArgument(_))
    ));
    Ok(())
}

#[test]
fn rewrap_after_kek_rotation() -> Result<()> {
    let mut kek = LocalKek::generate("k")?;
    let env = envelope::seal(&kek, b"p", b"")?;
    let old_id = kek.keyset().primary_id();
    kek.keyset_mut().rotate(Algorithm::Aes256Gcm)?;
    let rewrapped = envelope::rewrap(&env, &kek, &kek)?;
    kek.keyset_mut().destroy(old_id)?;
    assert!(matches!(
        envelope::open(&kek, &env, b""),
        Err(Error::KeyDestroyed(_))
    ));
    assert_eq!(envelope::open(&kek, &rewrapped, b"")?, b"p");
    Ok(())
}

#[test]
fn cache_bounds_messages() -> Result<()> {
    let kek = Counting::new("kms")?;
    let sealer =
        Sealer::new(kek.clone()).with_cache(CacheLimits::new(3, 1 << 20, Duration::from_secs(60))?);
    let envs: Vec<Vec<u8>> = (0..7)
        .map(|i| sealer.seal(format!("m{i}").as_bytes(), b""))
        .collect::<Result<_>>()?;
    assert_eq!(
        kek.wraps.load(Ordering::SeqCst),
        3,
        "7 messages, 3 per data key"
    );
    // One commitment (bytes 6..38) per data key.
    let commitments: std::collections::HashSet<&[u8]> = envs.iter().map(|e| &e[6..38]).collect();
    assert_eq!(commitments.len(), 3);
    // Messages under one cached key have distinct nonces.
    let nonce = |e: &Vec<u8>| e[nonce_at(e)..nonce_at(e) + 12].to_vec();
    assert_ne!(nonce(&envs[0]), nonce(&envs[1]));
    assert_eq!(&envs[0][6..38], &envs[1][6..38]);
    for (i, e) in envs.iter().enumerate() {
        assert_eq!(
            Opener::new(kek.clone()).open(e, b"")?,
            format!("m{i}").as_bytes()
        );
    }
    Ok(())
}

#[test]
fn cache_bounds_hold_across_threads() -> Result<()> {
    // Four threads share one blocking sealer: hits are served without the async path
    // (`DataKeyCache::try_reserve`), misses go through single flight. 400 messages at 50 per
    // data key make 8 KEK calls, and no key seals more than 50 or repeats a nonce.
    let kek = Counting::new("kms")?;
    let sealer = Sealer::new(kek.clone()).with_cache(CacheLimits::new(
        50,
        1 << 20,
        Duration::from_secs(60),
    )?);
    let per_thread: Vec<Result<Vec<Vec<u8>>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| (0..100).map(|_| sealer.seal(b"m", b"")).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::Random)))
            .collect()
    });
    let mut by_key: std::collections::HashMap<Vec<u8>, std::collections::HashSet<Vec<u8>>> =
        std::collections::HashMap::new();
    let mut total = 0;
    for envs in per_thread {
        for e in envs? {
            let nonce = e[nonce_at(&e)..nonce_at(&e) + 12].to_vec();
            assert!(by_key.entry(e[6..38].to_vec()).or_default().insert(nonce));
            assert_eq!(Opener::new(kek.clone()).open(&e, b"")?, b"m");
            total += 1;
        }
    }
    assert_eq!(total, 400);
    assert_eq!(kek.wraps.load(Ordering::SeqCst), 8);
    assert_eq!(by_key.len(), 8);
    assert!(by_key.values().all(|nonces| nonces.len() == 50));
    Ok(())
}

#[test]
fn cache_bounds_bytes_and_age() -> Result<()> {
    let kek = Counting::new("kms")?;
    let sealer = Sealer::new(kek.clone()).with_cache(CacheLimits::new(
        1000,
        100,
        Duration::from_millis(50),
    )?);
    for _ in 0..4 {
        sealer.seal(&[0u8; 40], b"")?; // two messages fit in 100 bytes
    }
    assert_eq!(kek.wraps.load(Ordering::SeqCst), 2);
    sealer.seal(&[0u8; 500], b"")?; // larger than the byte bound: never cached
    assert_eq!(kek.wraps.load(Ordering::SeqCst), 3);
    sealer.seal(&[0u8; 10], b"")?; // still fits the current entry (80 + 10 <= 100)
    assert_eq!(kek.wraps.load(Ordering::SeqCst), 3);
    std::thread::sleep(Duration::from_millis(60));
    sealer.seal(&[0u8; 1], b"")?; // expired
    assert_eq!(kek.wraps.load(Ordering::SeqCst), 4);
    sealer.purge_all();
    sealer.seal(&[0u8; 1], b"")?;
    assert_eq!(kek.wraps.load(Ordering::SeqCst), 5);
    Ok(())
}

#[test]
fn fail_cache_limits_must_be_bounded() {
    assert!(CacheLimits::new(0, 1, Duration::from_secs(1)).is_err());
    assert!(CacheLimits::new((1 << 32) + 1, 1, Duration::from_secs(1)).is_err());
    assert!(CacheLimits::new(1, 0, Duration::from_secs(1)).is_err());
    assert!(CacheLimits::new(1, (1 << 50) + 1, Duration::from_secs(1)).is_err());
    assert!(CacheLimits::new(1, 1, Duration::ZERO).is_err());
    assert!(CacheLimits::new(1, 1, Duration::from_secs(86_401)).is_err());
    assert!(CacheLimits::new(1 << 32, 1 << 50, Duration::from_secs(86_400)).is_ok());
}

#[test]
fn cache_is_safe_across_threads() -> Result<()> {
    let kek = Counting::new("kms")?;
    let sealer = Arc::new(Sealer::new(kek.clone()).with_cache(CacheLimits::new(
        50,
        1 << 20,
        Duration::from_secs(60),
    )?));
    let envs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let sealer = sealer.clone();
                s.spawn(move || {
                    (0..100)
                        .map(|_| sealer.seal(b"m", b""))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Result<Vec<Vec<_>>>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(
        kek.wraps.load(Ordering::SeqCst),
        8,
        "400 messages, 50 per data key"
    );
    // (commitment, nonce) pairs are unique: no nonce repeats under any data key.
    let pairs: std::collections::HashSet<Vec<u8>> = envs
        .iter()
        .map(|e| {
            let end = nonce_at(e);
            [&e[6..38], &e[end..end + 12]].concat()
        })
        .collect();
    assert_eq!(pairs.len(), 400);
    Ok(())
}

#[test]
fn fail_unsupported_version_and_algorithm() -> Result<()> {
    let kek = LocalKek::generate("k")?;
    let mut env = envelope::seal(&kek, b"x", b"")?;
    env[4] = 4;
    assert!(matches!(
        envelope::open(&kek, &env, b""),
        Err(Error::UnsupportedVersion(4))
    ));
    env[4] = 0;
    assert!(matches!(
        envelope::open(&kek, &env, b""),
        Err(Error::UnsupportedVersion(0))
    ));
    env[4] = 3;
    env[5] = 9;
    assert!(matches!(
        envelope::open(&kek, &env, b""),
        Err(Error::UnsupportedAlgorithm(9))
    ));
    let ks = Keyset::generate(Algorithm::Aes256Gcm)?;
    let mut ct = ks.encrypt(b"x", b"")?;
    ct[0] = 0x7f;
    assert!(matches!(
        ks.decrypt(&ct, b""),
        Err(Error::UnsupportedVersion(0x7f))
    ));
    Ok(())
}

#[cfg(feature = "serde")]
#[test]
fn encrypted_field_through_serde() -> Result<()> {
    use privkit::keyset::Encrypted;
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Customer {
        id: u64,
        email: Encrypted<String>,
        balance: Encrypted<i64>,
    }
    let ks = Keyset::generate(Algorithm::Aes256Gcm)?;
    let aad = |f: &str| Aad::new().with("customer", "7").with("field", f);
    let c = Customer {
        id: 7,
        email: Encrypted::encrypt(&ks, &"ada@example.com".to_string(), aad("email").as_bytes())?,
        balance: Encrypted::encrypt(&ks, &-1250, aad("balance").as_bytes())?,
    };
    let json = serde_json::to_string(&c).unwrap();
    assert!(!json.contains("ada@example.com"));
    let back: Customer = serde_json::from_str(&json).unwrap();
    assert_eq!(back.id, 7);
    assert_eq!(
        back.email.decrypt(&ks, aad("email").as_bytes())?,
        "ada@example.com"
    );
    assert_eq!(back.balance.decrypt(&ks, aad("balance").as_bytes())?, -1250);
    // Swapping the two encrypted fields is detected.
    assert!(back.balance.decrypt(&ks, aad("email").as_bytes()).is_err());
    assert!(serde_json::from_str::<Customer>(r#"{"id":1,"email":"***","balance":"AA"}"#).is_err());
    Ok(())
}

// ---------------------------------------------------------------- properties

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_keyset_round_trip(alg in algorithm(), pt in prop::collection::vec(any::<u8>(), 0..2048), aad in prop::collection::vec(any::<u8>(), 0..300)) {
        let ks = Keyset::generate(alg).unwrap();
        let ct = ks.encrypt(&pt, &aad).unwrap();
        prop_assert_eq!(ks.decrypt(&ct, &aad).unwrap(), pt);
    }

    #[test]
    fn prop_envelope_round_trip(alg in algorithm(), pt in prop::collection::vec(any::<u8>(), 0..2048), aad in prop::collection::vec(any::<u8>(), 0..64)) {
        let kek = Arc::new(LocalKek::generate("k").unwrap());
        let env = Sealer::new(kek.clone()).with_algorithm(alg).seal(&pt, &aad).unwrap();
        prop_assert_eq!(envelope::open(&*kek, &env, &aad).unwrap(), pt);
    }

    /// Version 3 round trip through every writer: the sync sealer (fresh and cached data
    /// key) under two KEKs, either of which opens, and a re-wrap that stays version 3.
    #[test]
    fn prop_envelope_v3_two_keks_round_trip_and_rewrap(alg in algorithm(), pt in prop::collection::vec(any::<u8>(), 0..600), aad in prop::collection::vec(any::<u8>(), 0..64), cached in any::<bool>()) {
        let a = Arc::new(LocalKek::generate("kek-a").unwrap());
        let b = Arc::new(LocalKek::generate("kek-b").unwrap());
        let mut sealer = Sealer::new(a.clone()).with_kek(b.clone()).with_algorithm(alg);
        if cached {
            sealer = sealer.with_cache(CacheLimits::new(10, 1 << 20, Duration::from_secs(60)).unwrap());
        }
        let env = sealer.seal(&pt, &aad).unwrap();
        prop_assert_eq!(env[4], 3);
        prop_assert_eq!(envelope::open(&*a, &env, &aad).unwrap(), &pt[..]);
        prop_assert_eq!(envelope::open(&*b, &env, &aad).unwrap(), &pt[..]);
        let c = LocalKek::generate("kek-c").unwrap();
        let moved = Opener::new(b.clone()).rewrap(&env, &[&c]).unwrap();
        prop_assert_eq!(moved[4], 3);
        prop_assert_eq!(envelope::open(&c, &moved, &aad).unwrap(), &pt[..]);
        prop_assert!(matches!(envelope::open(&*a, &moved, &aad), Err(Error::NoUsableKey)));
    }

    /// Any single-bit change anywhere in a two-KEK version 3 envelope fails to open under
    /// either KEK: the header tag covers the entry of the KEK the opener does not hold.
    #[test]
    fn prop_envelope_v3_two_keks_every_bit_flip_fails(alg in algorithm(), pt in prop::collection::vec(any::<u8>(), 0..100), bit in any::<prop::sample::Index>()) {
        let a = Arc::new(LocalKek::generate("kek-a").unwrap());
        let b = Arc::new(LocalKek::generate("kek-b").unwrap());
        let env = Sealer::new(a.clone()).with_kek(b.clone()).with_algorithm(alg).seal(&pt, b"aad").unwrap();
        let bit = bit.index(env.len() * 8);
        let mut m = env.clone();
        m[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(envelope::open(&*a, &m, b"aad").is_err(), "bit {} opened under kek-a", bit);
        prop_assert!(envelope::open(&*b, &m, b"aad").is_err(), "bit {} opened under kek-b", bit);
    }

    #[test]
    fn prop_random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let ks = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
        let kek = LocalKek::generate("k").unwrap();
        prop_assert!(ks.decrypt(&bytes, b"").is_err());
        prop_assert!(envelope::open(&kek, &bytes, b"").is_err());
        prop_assert!(envelope::rewrap(&bytes, &kek, &kek).is_err());
        let _ = kek.unwrap_key(&bytes, b"");
        let _ = privkit::keyset::Encrypted::<String>::from_base64url(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn prop_structured_envelope_mutations_never_panic(pos in 0usize..400, byte in any::<u8>(), cut in 0usize..400) {
        // Mutations of a real envelope reach deeper into the parser than random bytes.
        let kek = LocalKek::generate("k").unwrap();
        let mut env = envelope::seal(&kek, b"payload", b"").unwrap();
        let len = env.len();
        env[pos % len] = byte;
        env.truncate(cut.max(1).min(len));
        let _ = envelope::open(&kek, &env, b"");
    }
}

// ---------------------------------------------------------------- keyset export

#[test]
fn keyset_export_round_trip_keeps_statuses() -> Result<()> {
    let mut ks = Keyset::generate(Algorithm::Aes256Gcm)?;
    let k1 = ks.primary_id();
    let ct1 = ks.encrypt(b"one", b"")?;
    let k2 = ks.rotate(Algorithm::ChaCha20Poly1305)?;
    let ct2 = ks.encrypt(b"two", b"")?;
    let k3 = ks.add(Algorithm::XChaCha20Poly1305)?;
    ks.disable(k3)?;
    ks.destroy(k1)?;
    let kek = LocalKek::generate("backup")?;
    let exported = ks.export_sealed(&kek)?;
    let back = Keyset::import_sealed(&exported, &kek)?;
    assert_eq!(
        back.keys().collect::<Vec<_>>(),
        ks.keys().collect::<Vec<_>>()
    );
    assert_eq!(back.primary_id(), k2);
    assert_eq!(back.decrypt(&ct2, b"")?, b"two");
    assert!(matches!(
        back.decrypt(&ct1, b""),
        Err(Error::KeyDestroyed(_))
    ));
    // New ciphertexts of the import open in the original and the reverse.
    assert_eq!(ks.decrypt(&back.encrypt(b"x", b"")?, b"")?, b"x");
    Ok(())
}

#[test]
fn fail_keyset_import_wrong_kek_or_tampered() -> Result<()> {
    let ks = Keyset::generate(Algorithm::Aes256Gcm)?;
    let kek = LocalKek::generate("backup")?;
    let exported = ks.export_sealed(&kek)?;
    assert!(Keyset::import_sealed(&exported, &LocalKek::generate("backup")?).is_err());
    let mut bad = exported.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(matches!(
        Keyset::import_sealed(&bad, &kek),
        Err(Error::DecryptionFailed)
    ));
    // A generic envelope is not an exported keyset (other associated data).
    assert!(Keyset::import_sealed(&envelope::seal(&kek, b"PKKS", b"")?, &kek).is_err());
    Ok(())
}

#[test]
fn fail_keyset_import_invalid_content() -> Result<()> {
    let kek = LocalKek::generate("backup")?;
    let aad = b"privkit keyset export v1";
    let key = |id: u32, status: u8, material: bool| {
        let mut v = id.to_be_bytes().to_vec();
        v.extend_from_slice(&[1, status, u8::from(material)]);
        if material {
            v.extend_from_slice(&[7u8; 32]);
        }
        v
    };
    let blob = |primary: u32, keys: &[Vec<u8>], extra: &[u8]| {
        let mut v = b"PKKS\x01".to_vec();
        v.extend_from_slice(&primary.to_be_bytes());
        v.extend_from_slice(&u16::try_from(keys.len()).unwrap().to_be_bytes());
        for k in keys {
            v.extend_from_slice(k);
        }
        v.extend_from_slice(extra);
        v
    };
    let import =
        |plain: Vec<u8>| Keyset::import_sealed(&envelope::seal(&kek, &plain, aad).unwrap(), &kek);
    assert!(import(blob(5, &[key(5, 1, true)], b"")).is_ok());
    for (what, plain) in [
        (
            "duplicate id",
            blob(5, &[key(5, 1, true), key(5, 1, true)], b""),
        ),
        ("primary missing", blob(6, &[key(5, 1, true)], b"")),
        ("primary disabled", blob(5, &[key(5, 2, true)], b"")),
        ("primary destroyed", blob(5, &[key(5, 3, false)], b"")),
        (
            "destroyed with material",
            blob(5, &[key(5, 1, true), key(6, 3, true)], b""),
        ),
        (
            "enabled without material",
            blob(5, &[key(5, 1, true), key(6, 1, false)], b""),
        ),
        ("bad status", blob(5, &[key(5, 9, true)], b"")),
        ("trailing bytes", blob(5, &[key(5, 1, true)], b"x")),
        ("no keys", blob(5, &[], b"")),
        ("key id zero", blob(0, &[key(0, 1, true)], b"")),
    ] {
        assert!(matches!(import(plain), Err(Error::Malformed(_))), "{what}");
    }
    let mut v = blob(5, &[key(5, 1, true)], b"");
    v[4] = 2;
    assert!(matches!(import(v), Err(Error::UnsupportedVersion(2))));
    Ok(())
}

#[test]
fn keyset_export_under_a_password() -> Result<()> {
    use privkit::kdf::{PasswordParams, VerifyLimits};
    use privkit::secret::SecretString;
    let mut ks = Keyset::generate(Algorithm::Aes256Gcm)?;
    let ct = ks.encrypt(b"secret", b"")?;
    ks.rotate(Algorithm::Aes256GcmSiv)?;
    let password = SecretString::from("a long and unusual passphrase");
    let fast = PasswordParams::new(7 * 1024, 5, 1)?;
    let exported = ks.export_with_password(&password, fast)?;
    assert_eq!(&exported[..5], b"PKKW\x01");
    let back = Keyset::import_with_password(&exported, &password, &VerifyLimits::default())?;
    assert_eq!(back.decrypt(&ct, b"")?, b"secret");
    assert_eq!(
        back.keys().collect::<Vec<_>>(),
        ks.keys().collect::<Vec<_>>()
    );
    // Wrong password, tampering, truncation.
    assert!(matches!(
        Keyset::import_with_password(
            &exported,
            &SecretString::from("a long and unusual passphrasE"),
            &VerifyLimits::default()
        ),
        Err(Error::DecryptionFailed)
    ));
    let mut bad = exported.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x80;
    assert!(Keyset::import_with_password(&bad, &password, &VerifyLimits::default()).is_err());
    for cut in [0, 4, 5, 10, 30, exported.len() - 1] {
        assert!(
            Keyset::import_with_password(&exported[..cut], &password, &VerifyLimits::default())
                .is_err(),
            "cut {cut}"
        );
    }
    // Absurd stored costs are refused before Argon2 runs.
    let mut absurd = exported.clone();
    absurd[7..11].copy_from_slice(&u32::MAX.to_be_bytes()); // m = 4 TiB
    assert!(matches!(
        Keyset::import_with_password(&absurd, &password, &VerifyLimits::default()),
        Err(Error::LimitExceeded { .. })
    ));
    Ok(())
}

/// Every single-bit change of a multi-KEK envelope (version 3, every algorithm) is refused,
/// whichever KEK opens it: the header tag covers the wrapped-key entries of the other KEKs
/// too (version 1 let a damaged entry for another KEK through, since it was simply
/// skipped).
#[test]
fn fail_every_bit_flip_of_a_multi_kek_envelope() -> Result<()> {
    let keks = [
        Arc::new(LocalKek::generate("kek-a")?),
        Arc::new(LocalKek::generate("kek-b")?),
        Arc::new(LocalKek::generate("kek-c")?),
    ];
    for alg in Algorithm::ALL {
        let env = Sealer::new(keks[0].clone())
            .with_kek(keks[1].clone())
            .with_kek(keks[2].clone())
            .with_algorithm(alg)
            .seal(b"multi-KEK payload", b"aad")?;
        for kek in &keks {
            let opener = Opener::new(kek.clone());
            assert_eq!(opener.open(&env, b"aad")?, b"multi-KEK payload");
            for bit in 0..env.len() * 8 {
                let mut m = env.clone();
                m[bit / 8] ^= 1 << (bit % 8);
                assert!(
                    opener.open(&m, b"aad").is_err(),
                    "{alg}: bit {bit} of {} flipped and the envelope still opened under {}",
                    env.len() * 8,
                    kek.kek_id()
                );
            }
        }
    }
    Ok(())
}

/// Version 3 structure is checked before any key is used: a header nonce without its high
/// bit, or a payload nonce with it, is malformed (a payload nonce equal to the header nonce
/// would let the header tag pass as the tag of an empty payload).
#[test]
fn fail_v3_nonce_high_bits() -> Result<()> {
    let kek = Arc::new(LocalKek::generate("k")?);
    for alg in Algorithm::ALL {
        let env = Sealer::new(kek.clone())
            .with_algorithm(alg)
            .seal(b"x", b"")?;
        assert_eq!(envelope::open(&*kek, &env, b"")?, b"x");
        let mut m = env.clone();
        m[38] &= 0x7f;
        assert!(matches!(
            envelope::open(&*kek, &m, b""),
            Err(Error::Malformed("header nonce without its high bit"))
        ));
        let mut m = env.clone();
        m[nonce_at(&env)] |= 0x80;
        assert!(matches!(
            envelope::open(&*kek, &m, b""),
            Err(Error::Malformed("payload nonce with the high bit set"))
        ));
    }
    Ok(())
}

/// The header tag is checked with the data key: a header changed after sealing fails with
/// the one opaque error: a second entry appended by someone without the data key (count
/// raised to match), a header nonce changed in a low bit, another envelope's tag.
#[test]
fn fail_v3_header_tag_covers_entries_and_nonce() -> Result<()> {
    let kek = LocalKek::generate("k")?;
    let env = envelope::seal(&kek, b"payload", b"")?;
    let other = envelope::seal(&kek, b"payload", b"")?;
    let section = wrapped_section(&env);
    let mut appended = [
        &env[..section.end],
        &[0, 1, b'z', 0, 1, 0],
        &env[section.end..],
    ]
    .concat();
    appended[section.start] = 2;
    let mut nonce = env.clone();
    nonce[38 + 11] ^= 1;
    let mut tag = env.clone();
    let at = section.end..section.end + 16;
    tag[at.clone()].copy_from_slice(&other[at]);
    let refused = [appended, nonce, tag].map(|forged| {
        matches!(
            envelope::open(&kek, &forged, b""),
            Err(Error::DecryptionFailed)
        )
    });
    assert_eq!(refused, [true; 3]);
    Ok(())
}

/// Relabelling a version 3 envelope as version 2 (or 1) never opens it.
#[test]
fn fail_v3_relabelled_as_older_version() -> Result<()> {
    let kek = Arc::new(LocalKek::generate("k")?);
    for alg in Algorithm::ALL {
        for pt in [&b""[..], b"payload", &[7u8; 300]] {
            let env = Sealer::new(kek.clone()).with_algorithm(alg).seal(pt, b"")?;
            assert_eq!(envelope::open(&*kek, &env, b"")?, pt);
            for version in [1, 2] {
                let mut m = env.clone();
                m[4] = version;
                assert!(
                    envelope::open(&*kek, &m, b"").is_err(),
                    "{alg}, version {version}"
                );
            }
        }
    }
    Ok(())
}

/// The version 3 fuzz seeds (`fuzz/seeds/envelope_open/seed_v3_*`, made by an encoder
/// written in Python from docs/FORMAT.md, not by privkit) open under the fuzz target's
/// KEKs and associated data.
#[test]
fn fuzz_seeds_v3_open() -> Result<()> {
    let kek = |name: &str, byte: u8| {
        let ks = Keyset::from_key(
            0x0a0b_0c0d,
            Algorithm::Aes256Gcm,
            SecretBytes::from_slice(&[byte; 32]),
        )?;
        LocalKek::new(name, ks)
    };
    let opener = Opener::new(kek("fuzz-kek", 0x22)?).with_kek(kek("fuzz-kek-2", 0x33)?);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/envelope_open");
    for (seed, plaintext) in [
        ("seed_v3_two_keks", &b"fuzz payload"[..]),
        ("seed_v3_xchacha_empty", b""),
        ("seed_v3_gcmsiv", b"siv"),
    ] {
        let env = std::fs::read(format!("{dir}/{seed}"))
            .map_err(|e| Error::InvalidOperation(e.to_string()))?;
        assert_eq!(env[4], 3, "{seed}");
        assert_eq!(opener.open(&env, b"fuzz")?, plaintext, "{seed}");
    }
    Ok(())
}

#[test]
fn fail_local_kek_with_the_right_id_and_other_keys_says_so() -> Result<()> {
    let keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
    let exported = keyset.export_sealed(&LocalKek::generate("backups")?)?;
    // Same KEK id, different key material.
    let err = Keyset::import_sealed(&exported, &LocalKek::generate("backups")?).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::KeyManagement(_)), "{message}");
    assert!(
        message.contains("local KEK `backups` holds no key"),
        "{message}"
    );
    // A truncated export is reported as truncated, not as a wrong key.
    let kek = LocalKek::from_secret("k", SecretBytes::random(32)?)?;
    let exported = keyset.export_sealed(&kek)?;
    let err = Keyset::import_sealed(&exported[..exported.len() - 10], &kek).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    Ok(())
}

#[test]
fn fail_export_of_more_keys_than_import_takes() -> Result<()> {
    let mut keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
    for _ in 1..privkit::keyset::MAX_EXPORTED_KEYS {
        keyset.add(Algorithm::Aes256Gcm)?;
    }
    let kek = LocalKek::generate("k")?;
    let exported = keyset.export_sealed(&kek)?;
    assert_eq!(
        Keyset::import_sealed(&exported, &kek)?.keys().count(),
        privkit::keyset::MAX_EXPORTED_KEYS
    );
    keyset.add(Algorithm::Aes256Gcm)?;
    assert!(matches!(
        keyset.export_sealed(&kek),
        Err(Error::LimitExceeded { limit: 4096, .. })
    ));
    Ok(())
}
