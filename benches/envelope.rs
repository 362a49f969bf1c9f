//! Keyset encryption and envelope sealing against the raw AES-256-GCM cipher underneath.
//!
//! Run: `cargo bench --bench envelope`. Each group has a `raw` row: RustCrypto `aes-gcm`
//! with a pre-built key schedule and a caller-supplied nonce, encrypting in place
//! (`encrypt_inout_detached`) into a freshly allocated output of exactly the right size,
//! which is the least work any API that returns a new ciphertext can do. Overhead is the
//! ratio of two rows of the same run. The raw rows take their associated data through
//! `black_box`, as every real caller's is unknown at compile time: with a literal `b""`
//! the compiler specialises GHASH for empty associated data, which no real use sees.
//!
//! With `--features aws-lc` or `--features ring` the privkit rows run on that backend (their
//! names end in `_awslc` or `_ring`; with both features on, ring runs AES-256-GCM and
//! ChaCha20-Poly1305) and each group gains `raw_awslc_*` / `raw_ring_*` rows: aws-lc-rs's or
//! ring's `LessSafeKey` doing the same least work. The `aead_small` group compares
//! ChaCha20-Poly1305 with AES-256-GCM per message on the raw primitives and through a keyset.
//!
//! `envelope_seal` has a peer row, `tink_equivalent`: what Tink's `KmsEnvelopeAead` does with
//! a local AES-256-GCM key-encryption key, on the same RustCrypto `aes-gcm` that Tink's Rust
//! port uses: a fresh 32-byte data key and two 12-byte nonces from rand's `ThreadRng` (a
//! userspace ChaCha12 generator, as in Tink's Rust port), the data key's key schedule, the data
//! key encrypted under the KEK (AES-GCM, empty associated data), the payload encrypted under
//! the data key, and the output `u32 length | wrapped key | nonce | ciphertext | tag`. It has
//! no key commitment, no header MAC and binds nothing to the wrapped key.
//!
//! The run starts by printing the processor and its AES-relevant flags (from
//! `/proc/cpuinfo`), and the backend of each algorithm.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::envelope::{CacheLimits, LocalKek, Opener, Sealer};
use privkit::keyset::Keyset;
use privkit::{Algorithm, Backend};

const SIZES: [usize; 4] = [64, 1024, 16 * 1024, 1024 * 1024];

/// A privkit row's name, marked `_awslc` or `_ring` when `algorithm` runs on that backend.
fn row(name: &str, algorithm: Algorithm) -> String {
    match algorithm.backend() {
        Backend::AwsLc => format!("{name}_awslc"),
        Backend::Ring => format!("{name}_ring"),
        _ => name.to_owned(),
    }
}

/// Prints the processor model, its AES, VAES, VPCLMULQDQ, PCLMULQDQ, AVX2, AVX-512 and SHA
/// flags, and the backend of each algorithm, so that every run records what it ran on.
fn print_machine() {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    };
    let model = field("model name").unwrap_or_else(|| "unknown (no /proc/cpuinfo)".into());
    let flags = field("flags").unwrap_or_default();
    let wanted = [
        "aes",
        "pclmulqdq",
        "vaes",
        "vpclmulqdq",
        "avx2",
        "avx512f",
        "avx512vl",
        "sha_ni",
    ];
    let present: Vec<&str> = flags.split(' ').filter(|f| wanted.contains(f)).collect();
    let absent: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !present.contains(w))
        .collect();
    eprintln!(
        "cpu: {model}; flags: {} (absent: {})",
        present.join(" "),
        absent.join(" ")
    );
    let backends: Vec<String> = Algorithm::ALL
        .iter()
        .map(|a| format!("{a} on {}", a.backend()))
        .collect();
    eprintln!("backends: {}", backends.join(", "));
}

/// The raw ring baseline, the same shape as [`raw_seal`].
#[cfg(feature = "ring")]
fn raw_ring_seal(key: &ring::aead::LessSafeKey, nonce: [u8; 12], pt: &[u8]) -> Vec<u8> {
    use ring::aead::{Aad, Nonce};
    let mut out = Vec::with_capacity(pt.len() + 16);
    out.extend_from_slice(pt);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(black_box(b"".as_slice())),
            &mut out,
        )
        .expect("enc");
    out.extend_from_slice(tag.as_ref());
    out
}

#[cfg(feature = "ring")]
fn ring_key(alg: &'static ring::aead::Algorithm) -> ring::aead::LessSafeKey {
    let key = ring::aead::UnboundKey::new(alg, &[7u8; 32]).expect("key");
    ring::aead::LessSafeKey::new(key)
}

/// Tink's `KmsEnvelopeAead` with a local AES-256-GCM KEK (see the module docs).
fn tink_equivalent_seal(kek: &Aes256Gcm, pt: &[u8], aad: &[u8]) -> Vec<u8> {
    use rand::Rng;
    let mut random = [0u8; 32 + 12 + 12];
    rand::rng().fill_bytes(&mut random);
    let (dek, nonces) = random.split_at(32);
    let (kek_nonce, dek_nonce) = nonces.split_at(12);
    let dek_cipher = Aes256Gcm::new_from_slice(dek).expect("key");
    let mut out = Vec::with_capacity(4 + 12 + 32 + 16 + 12 + pt.len() + 16);
    out.extend_from_slice(&(12u32 + 32 + 16).to_be_bytes());
    out.extend_from_slice(kek_nonce);
    let start = out.len();
    out.extend_from_slice(dek);
    let tag = kek
        .encrypt_inout_detached(
            &Nonce::try_from(kek_nonce).expect("nonce"),
            black_box(b"".as_slice()),
            (&mut out[start..]).into(),
        )
        .expect("enc");
    out.extend_from_slice(&tag);
    out.extend_from_slice(dek_nonce);
    let start = out.len();
    out.extend_from_slice(pt);
    let tag = dek_cipher
        .encrypt_inout_detached(
            &Nonce::try_from(dek_nonce).expect("nonce"),
            aad,
            (&mut out[start..]).into(),
        )
        .expect("enc");
    out.extend_from_slice(&tag);
    out
}

/// The raw aws-lc-rs baseline, the same shape as [`raw_seal`].
#[cfg(feature = "aws-lc")]
fn raw_awslc_seal(key: &aws_lc_rs::aead::LessSafeKey, nonce: [u8; 12], pt: &[u8]) -> Vec<u8> {
    use aws_lc_rs::aead::{Aad, Nonce};
    let mut out = Vec::with_capacity(pt.len() + 16);
    out.extend_from_slice(pt);
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut out)
        .expect("enc");
    out.extend_from_slice(tag.as_ref());
    out
}

#[cfg(feature = "aws-lc")]
fn awslc_key(alg: &'static aws_lc_rs::aead::Algorithm) -> aws_lc_rs::aead::LessSafeKey {
    let key = aws_lc_rs::aead::UnboundKey::new(alg, &[7u8; 32]).expect("key");
    aws_lc_rs::aead::LessSafeKey::new(key)
}

/// The raw baseline: allocate the output, copy the plaintext, encrypt in place, append the tag.
fn raw_seal(cipher: &Aes256Gcm, nonce: &Nonce<aes_gcm::aead::consts::U12>, pt: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pt.len() + 16);
    out.extend_from_slice(pt);
    let tag = cipher
        .encrypt_inout_detached(nonce, black_box(b"".as_slice()), out.as_mut_slice().into())
        .expect("enc");
    out.extend_from_slice(&tag);
    out
}

/// The raw baseline for decryption: copy the ciphertext out, check and decrypt in place.
fn raw_open(cipher: &Aes256Gcm, nonce: &Nonce<aes_gcm::aead::consts::U12>, ct: &[u8]) -> Vec<u8> {
    let (body, tag) = ct.split_at(ct.len() - 16);
    let mut out = body.to_vec();
    cipher
        .decrypt_inout_detached(
            nonce,
            black_box(b"".as_slice()),
            out.as_mut_slice().into(),
            tag.try_into().expect("tag"),
        )
        .expect("dec");
    out
}

fn keyset(c: &mut Criterion) {
    print_machine();
    let mut g = c.benchmark_group("keyset_encrypt");
    let raw = Aes256Gcm::new_from_slice(&[7u8; 32]).expect("key");
    let nonce = Nonce::from([1u8; 12]);
    let ks = Keyset::generate(Algorithm::Aes256Gcm).expect("keyset");
    let name = row("keyset_aes256gcm", Algorithm::Aes256Gcm);
    #[cfg(feature = "aws-lc")]
    let awslc = awslc_key(&aws_lc_rs::aead::AES_256_GCM);
    #[cfg(feature = "ring")]
    let ring_aes = ring_key(&ring::aead::AES_256_GCM);
    for size in SIZES {
        let pt = vec![0x5au8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("raw_aes256gcm", size), &pt, |b, pt| {
            b.iter(|| raw_seal(&raw, &nonce, black_box(pt)))
        });
        #[cfg(feature = "aws-lc")]
        g.bench_with_input(
            BenchmarkId::new("raw_awslc_aes256gcm", size),
            &pt,
            |b, pt| b.iter(|| raw_awslc_seal(&awslc, [1u8; 12], black_box(pt))),
        );
        #[cfg(feature = "ring")]
        g.bench_with_input(
            BenchmarkId::new("raw_ring_aes256gcm", size),
            &pt,
            |b, pt| b.iter(|| raw_ring_seal(&ring_aes, [1u8; 12], black_box(pt))),
        );
        g.bench_with_input(BenchmarkId::new(&name, size), &pt, |b, pt| {
            b.iter(|| ks.encrypt(black_box(pt), b"").expect("enc"))
        });
        // The same work into a buffer reused across iterations (`Keyset::encrypt_to`), so
        // that allocator behaviour (mmap thresholds, page faults at 1 MiB) drops out of
        // both rows and only the cryptography and framing are compared.
        let mut out = Vec::with_capacity(size + 64);
        g.bench_with_input(
            BenchmarkId::new("raw_aes256gcm_reused_buffer", size),
            &pt,
            |b, pt| {
                b.iter(|| {
                    out.clear();
                    out.extend_from_slice(black_box(pt));
                    let tag = raw
                        .encrypt_inout_detached(
                            &nonce,
                            black_box(b"".as_slice()),
                            out.as_mut_slice().into(),
                        )
                        .expect("enc");
                    out.extend_from_slice(&tag);
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new(format!("{name}_reused_buffer"), size),
            &pt,
            |b, pt| {
                b.iter(|| {
                    out.clear();
                    ks.encrypt_to(black_box(pt), b"", &mut out).expect("enc");
                })
            },
        );
    }
    g.finish();

    let mut g = c.benchmark_group("keyset_decrypt");
    for size in [64usize, 1024 * 1024] {
        let pt = vec![0x5au8; size];
        let ct = ks.encrypt(&pt, b"").expect("enc");
        let raw_ct = raw_seal(&raw, &nonce, &pt);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("raw_aes256gcm", size), &raw_ct, |b, ct| {
            b.iter(|| raw_open(&raw, &nonce, black_box(ct)))
        });
        g.bench_with_input(BenchmarkId::new(&name, size), &ct, |b, ct| {
            b.iter(|| ks.decrypt(black_box(ct), b"").expect("dec"))
        });
    }
    g.finish();
}

/// Per-message cost of ChaCha20-Poly1305 against AES-256-GCM: the raw RustCrypto
/// primitives, the raw aws-lc-rs ones (with the feature) and a keyset on the active backend.
fn aead_small(c: &mut Criterion) {
    use chacha20poly1305::ChaCha20Poly1305;
    let mut g = c.benchmark_group("aead_small");
    let aes = Aes256Gcm::new_from_slice(&[7u8; 32]).expect("key");
    let chacha = ChaCha20Poly1305::new_from_slice(&[7u8; 32]).expect("key");
    let nonce = Nonce::from([1u8; 12]);
    #[cfg(feature = "aws-lc")]
    let awslc_chacha = awslc_key(&aws_lc_rs::aead::CHACHA20_POLY1305);
    #[cfg(feature = "aws-lc")]
    let awslc_aes = awslc_key(&aws_lc_rs::aead::AES_256_GCM);
    #[cfg(feature = "ring")]
    let (ring_aes, ring_chacha) = (
        ring_key(&ring::aead::AES_256_GCM),
        ring_key(&ring::aead::CHACHA20_POLY1305),
    );
    let keysets = [Algorithm::Aes256Gcm, Algorithm::ChaCha20Poly1305]
        .map(|alg| (alg, Keyset::generate(alg).expect("keyset")));
    for size in [64usize, 1024, 1024 * 1024] {
        let pt = vec![0x5au8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("raw_aes256gcm", size), &pt, |b, pt| {
            b.iter(|| raw_seal(&aes, &nonce, black_box(pt)))
        });
        g.bench_with_input(
            BenchmarkId::new("raw_chacha20poly1305", size),
            &pt,
            |b, pt| {
                b.iter(|| {
                    let mut out = Vec::with_capacity(pt.len() + 16);
                    out.extend_from_slice(black_box(pt));
                    let tag = chacha
                        .encrypt_inout_detached(
                            &nonce,
                            black_box(b"".as_slice()),
                            out.as_mut_slice().into(),
                        )
                        .expect("enc");
                    out.extend_from_slice(&tag);
                    out
                })
            },
        );
        #[cfg(feature = "aws-lc")]
        {
            g.bench_with_input(
                BenchmarkId::new("raw_awslc_aes256gcm", size),
                &pt,
                |b, pt| b.iter(|| raw_awslc_seal(&awslc_aes, [1u8; 12], black_box(pt))),
            );
            g.bench_with_input(
                BenchmarkId::new("raw_awslc_chacha20poly1305", size),
                &pt,
                |b, pt| b.iter(|| raw_awslc_seal(&awslc_chacha, [1u8; 12], black_box(pt))),
            );
        }
        #[cfg(feature = "ring")]
        {
            g.bench_with_input(
                BenchmarkId::new("raw_ring_aes256gcm", size),
                &pt,
                |b, pt| b.iter(|| raw_ring_seal(&ring_aes, [1u8; 12], black_box(pt))),
            );
            g.bench_with_input(
                BenchmarkId::new("raw_ring_chacha20poly1305", size),
                &pt,
                |b, pt| b.iter(|| raw_ring_seal(&ring_chacha, [1u8; 12], black_box(pt))),
            );
        }
        for (alg, ks) in &keysets {
            let name = row(
                &format!("keyset_{}", alg.name().to_lowercase().replace('-', "")),
                *alg,
            );
            g.bench_with_input(BenchmarkId::new(name, size), &pt, |b, pt| {
                b.iter(|| ks.encrypt(black_box(pt), b"").expect("enc"))
            });
        }
    }
    g.finish();
}

fn envelope(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope_seal");
    let raw = Aes256Gcm::new_from_slice(&[7u8; 32]).expect("key");
    let nonce = Nonce::from([1u8; 12]);
    let kek = Arc::new(LocalKek::generate("bench").expect("kek"));
    let sealer = Sealer::new(kek.clone());
    let cached = Sealer::new(kek.clone())
        .with_cache(CacheLimits::new(1 << 32, 1 << 50, Duration::from_secs(3600)).expect("limits"));
    for size in [64usize, 1024, 1024 * 1024] {
        let pt = vec![0x5au8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("raw_aes256gcm", size), &pt, |b, pt| {
            b.iter(|| raw_seal(&raw, &nonce, black_box(pt)))
        });
        g.bench_with_input(BenchmarkId::new("tink_equivalent", size), &pt, |b, pt| {
            b.iter(|| tink_equivalent_seal(&raw, black_box(pt), black_box(b"".as_slice())))
        });
        g.bench_with_input(
            BenchmarkId::new(row("seal_local_kek", Algorithm::Aes256Gcm), size),
            &pt,
            |b, pt| b.iter(|| sealer.seal(black_box(pt), b"").expect("seal")),
        );
        g.bench_with_input(
            BenchmarkId::new(row("seal_cached", Algorithm::Aes256Gcm), size),
            &pt,
            |b, pt| b.iter(|| cached.seal(black_box(pt), b"").expect("seal")),
        );
    }
    g.finish();

    let mut g = c.benchmark_group("envelope_open");
    let opener = Opener::new(kek);
    for size in [64usize, 1024 * 1024] {
        let env = sealer.seal(&vec![0x5au8; size], b"").expect("seal");
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("open_local_kek", size), &env, |b, env| {
            b.iter(|| opener.open(black_box(env), b"").expect("open"))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = keyset, envelope, aead_small
}
criterion_main!(benches);
