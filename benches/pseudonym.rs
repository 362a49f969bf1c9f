//! Pseudonymization throughput: keyed pseudonyms against the `Hmac<Sha256>` baseline,
//! tokens and FF1 for 16-digit values, and the batch APIs.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use privkit::pseudonym::{KeyedConfig, KeyedPseudonymizer, RootKey};
use privkit::secret::SecretBytes;
use sha2::Sha256;

fn root() -> RootKey {
    match RootKey::new(1, &SecretBytes::from_slice(&[0x42; 32])) {
        Ok(r) => r,
        Err(e) => panic!("root key: {e}"),
    }
}

fn keyed(c: &mut Criterion) {
    let root = root();
    let p = match KeyedPseudonymizer::new(&root, "bench", KeyedConfig::default()) {
        Ok(p) => p,
        Err(e) => panic!("pseudonymizer: {e}"),
    };
    let key = [0x17u8; 32];
    let mut g = c.benchmark_group("keyed");
    for size in [16usize, 64, 256] {
        let input = vec![0x61u8; size];
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(
            BenchmarkId::new("hmac_new_from_slice_baseline", size),
            &input,
            |b, m| {
                b.iter(|| {
                    let mut h = match <Hmac<Sha256> as KeyInit>::new_from_slice(&key) {
                        Ok(h) => h,
                        Err(e) => panic!("{e}"),
                    };
                    h.update(black_box(m));
                    h.finalize().into_bytes()
                });
            },
        );
        let prekeyed = match <Hmac<Sha256> as KeyInit>::new_from_slice(&key) {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        };
        g.bench_with_input(
            BenchmarkId::new("hmac_clone_prekeyed", size),
            &input,
            |b, m| {
                b.iter(|| {
                    let mut h = prekeyed.clone();
                    h.update(black_box(m));
                    h.finalize().into_bytes()
                });
            },
        );
        g.bench_with_input(BenchmarkId::new("privkit_mac", size), &input, |b, m| {
            b.iter(|| p.mac(black_box(m)));
        });
        let text = "a".repeat(size);
        g.bench_with_input(
            BenchmarkId::new("privkit_pseudonymize_hex32", size),
            &text,
            |b, m| {
                b.iter(|| p.pseudonymize(black_box(m)));
            },
        );
    }
    g.finish();
}

criterion_group!(benches, keyed);
criterion_main!(benches);
