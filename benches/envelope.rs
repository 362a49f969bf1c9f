//! Keyset encryption and envelope sealing against the raw AES-256-GCM cipher underneath.
//!
//! Run: `cargo bench --bench envelope`. Each group has a `raw` row: RustCrypto `aes-gcm`
//! with a pre-built key schedule and a caller-supplied nonce, encrypting in place
//! (`encrypt_inout_detached`) into a freshly allocated output of exactly the right size,
//! which is the least work any API that returns a new ciphertext can do. Overhead is the
//! ratio of two rows of the same run. The raw rows take their associated data through
//! `black_box`, as every real caller's is unknown at compile time: with a literal `b""`
//! the compiler specialises GHASH for empty associated data, which no real use sees.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::Algorithm;
use privkit::envelope::{CacheLimits, Keyset, LocalKek, Opener, Sealer};

const SIZES: [usize; 4] = [64, 1024, 16 * 1024, 1024 * 1024];

/// The raw baseline: allocate the output, copy the plaintext, encrypt in place, append the tag.
fn raw_seal(cipher: &Aes256Gcm, nonce: &Nonce<aes_gcm::aead::consts::U12>, pt: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pt.len() + 16);
    out.extend_from_slice(pt);
    let tag = cipher
        .encrypt_inout_detached(nonce, b"", out.as_mut_slice().into())
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
    let mut g = c.benchmark_group("keyset_encrypt");
    let raw = Aes256Gcm::new_from_slice(&[7u8; 32]).expect("key");
    let nonce = Nonce::from([1u8; 12]);
    let ks = Keyset::generate(Algorithm::Aes256Gcm).expect("keyset");
    for size in SIZES {
        let pt = vec![0x5au8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("raw_aes256gcm", size), &pt, |b, pt| {
            b.iter(|| raw_seal(&raw, &nonce, black_box(pt)))
        });
        g.bench_with_input(BenchmarkId::new("keyset_aes256gcm", size), &pt, |b, pt| {
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
            BenchmarkId::new("keyset_aes256gcm_reused_buffer", size),
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
        g.bench_with_input(BenchmarkId::new("keyset_aes256gcm", size), &ct, |b, ct| {
            b.iter(|| ks.decrypt(black_box(ct), b"").expect("dec"))
        });
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
        g.bench_with_input(BenchmarkId::new("seal_local_kek", size), &pt, |b, pt| {
            b.iter(|| sealer.seal(black_box(pt), b"").expect("seal"))
        });
        g.bench_with_input(BenchmarkId::new("seal_cached", size), &pt, |b, pt| {
            b.iter(|| cached.seal(black_box(pt), b"").expect("seal"))
        });
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
    targets = keyset, envelope
}
criterion_main!(benches);
