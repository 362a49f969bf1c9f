//! Key derivation benchmarks: HKDF derivations and Argon2id at both presets.
//!
//! Run: `cargo bench --bench kdf -- --warm-up-time 1 --measurement-time 3`
//! (add `--features parallel` to let Argon2 run lanes on several threads).
//! Compare with the reference C implementation: `python3 benches/argon2_cffi.py`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::kdf::{Hash, Hkdf, PasswordHasher, PasswordParams, RootKey};
use privkit::secret::{SecretBytes, SecretString};

fn hkdf(c: &mut Criterion) {
    let mut g = c.benchmark_group("hkdf_sha256_expand");
    let ikm = [7u8; 32];
    for len in [32usize, 64, 256, 1024] {
        g.throughput(Throughput::Bytes(len as u64));
        // Baseline: the RustCrypto hkdf crate underneath.
        let raw = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"salt"), &ikm);
        g.bench_with_input(BenchmarkId::new("raw_hkdf_crate", len), &len, |b, &len| {
            let mut out = vec![0u8; len];
            b.iter(|| raw.expand(black_box(b"info"), &mut out).unwrap());
        });
        let ours = Hkdf::extract(Hash::Sha256, b"salt", &ikm);
        g.bench_with_input(BenchmarkId::new("privkit_expand", len), &len, |b, &len| {
            b.iter(|| ours.expand(black_box(b"info"), len).unwrap());
        });
        g.bench_with_input(
            BenchmarkId::new("privkit_expand_labeled", len),
            &len,
            |b, &len| {
                b.iter(|| {
                    ours.expand_labeled(black_box(&[b"tenant", b"acme", b"billing"]), len)
                        .unwrap()
                });
            },
        );
    }
    g.finish();

    let mut g = c.benchmark_group("key_hierarchy");
    g.throughput(Throughput::Elements(1));
    let root = RootKey::from_secret(&SecretBytes::from_slice(&[1u8; 32])).unwrap();
    let tenant = root.tenant("acme").unwrap();
    g.bench_function("leaf_key_from_node", |b| {
        b.iter(|| tenant.encryption_key().unwrap());
    });
    g.bench_function("tenant_subject_leaf_from_root", |b| {
        b.iter(|| {
            root.tenant(black_box("acme"))
                .unwrap()
                .subject(black_box("user-42"))
                .unwrap()
                .encryption_key()
                .unwrap()
        });
    });
    g.finish();
}

fn argon2id(c: &mut Criterion) {
    let password = SecretString::from("correct horse battery staple");
    let salt = [2u8; 16];
    for (name, preset) in [
        ("owasp_m19MiB_t2_p1", PasswordParams::OWASP_MINIMUM),
        ("rfc9106_m64MiB_t3_p4", PasswordParams::RFC9106_SECOND),
    ] {
        let mut g = c.benchmark_group(format!("argon2id_{name}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(1));
        // Baseline: the argon2 crate's own allocating call.
        let params = argon2::Params::new(
            preset.memory_kib(),
            preset.time_cost(),
            preset.parallelism(),
            Some(32),
        )
        .unwrap();
        let raw = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        g.bench_function("raw_argon2_crate", |b| {
            let mut out = [0u8; 32];
            b.iter(|| {
                raw.hash_password_into(password.expose_secret().as_bytes(), &salt, &mut out)
                    .unwrap()
            });
        });
        let hasher = PasswordHasher::new(preset).unwrap();
        g.bench_function("privkit_hash_plain", |b| {
            b.iter(|| hasher.hash(&password).unwrap());
        });
        let mut reusing = hasher.reusing_memory();
        g.bench_function("privkit_hash_reusing_memory", |b| {
            b.iter(|| reusing.hash(&password).unwrap());
        });
        let phc = hasher.hash(&password).unwrap();
        g.bench_function("privkit_verify_reusing_memory", |b| {
            b.iter(|| reusing.verify(&password, &phc).unwrap());
        });
        g.finish();
    }
}

criterion_group!(benches, hkdf, argon2id);
criterion_main!(benches);
