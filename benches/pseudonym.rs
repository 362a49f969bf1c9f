//! Pseudonymization throughput: keyed pseudonyms against the `Hmac<Sha256>` baseline,
//! tokens and FF1 for 16-digit values, and the batch APIs.

use std::hint::black_box;

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use hmac::{Hmac, KeyInit, Mac};
use privkit::pseudonym::{
    Alphabet, FormatPreserving, KeyedConfig, KeyedPseudonymizer, RootKey, Tokenizer,
};
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
        let mut reused = String::with_capacity(64);
        g.bench_with_input(
            BenchmarkId::new("privkit_pseudonymize_into_hex32", size),
            &text,
            |b, m| {
                b.iter(|| {
                    reused.clear();
                    p.pseudonymize_into(black_box(m), &mut reused);
                    reused.len()
                });
            },
        );
    }
    g.finish();
}

fn tokens(c: &mut Criterion) {
    let root = root();
    let t = match Tokenizer::new(&root, "bench") {
        Ok(t) => t,
        Err(e) => panic!("tokenizer: {e}"),
    };
    let mut g = c.benchmark_group("token");
    g.throughput(Throughput::Elements(1));
    for value in [
        "4111111111111111",
        "a much longer free-text value of sixty-four bytes for the bench",
    ] {
        let size = value.len();
        let key = [0x11u8; 64];
        g.bench_with_input(
            BenchmarkId::new("aes256_siv_raw_baseline", size),
            value,
            |b, v| {
                b.iter(|| {
                    use aes_siv::KeyInit;
                    let mut siv = aes_siv::siv::Aes256Siv::new(&key.into());
                    siv.encrypt([b"bench".as_slice()], black_box(v.as_bytes()))
                });
            },
        );
        g.bench_with_input(BenchmarkId::new("tokenize", size), value, |b, v| {
            b.iter(|| t.tokenize(black_box(v.as_bytes())));
        });
        let token = match t.tokenize(value.as_bytes()) {
            Ok(tok) => tok,
            Err(e) => panic!("{e}"),
        };
        g.bench_with_input(BenchmarkId::new("detokenize", size), &token, |b, tok| {
            b.iter(|| t.detokenize(black_box(tok)));
        });
    }
    g.finish();
}

fn ff1(c: &mut Criterion) {
    let root = root();
    let f = match FormatPreserving::new(&root, "bench", &Alphabet::Digits) {
        Ok(f) => f,
        Err(e) => panic!("ff1: {e}"),
    };
    let raw = match fpe::ff1::FF1::<aes::Aes256>::new(&[0x22u8; 32], 10) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let mut g = c.benchmark_group("ff1");
    g.throughput(Throughput::Elements(1));
    for value in ["4111111111111111", "4111-1111-1111-1111"] {
        g.bench_with_input(BenchmarkId::new("encrypt", value), value, |b, v| {
            b.iter(|| f.encrypt(black_box(v)));
        });
    }
    let digits: Vec<u16> = "4111111111111111"
        .bytes()
        .map(|d| u16::from(d - b'0'))
        .collect();
    g.bench_function("fpe_crate_raw_baseline/16", |b| {
        b.iter(|| {
            raw.encrypt(
                b"bench",
                &fpe::ff1::FlexibleNumeralString::from(black_box(digits.clone())),
            )
        });
    });
    g.finish();
}

fn batch(c: &mut Criterion) {
    let root = root();
    let p = match KeyedPseudonymizer::new(&root, "bench", KeyedConfig::default()) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let f = match FormatPreserving::new(&root, "bench", &Alphabet::Digits) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let mut g = c.benchmark_group("batch");
    for n in [1_000usize, 20_000] {
        let values: Vec<String> = (0..n).map(|i| format!("customer-{i:07}")).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("keyed_sequential", n), &values, |b, v| {
            b.iter(|| v.iter().map(|x| p.pseudonymize(x)).collect::<Vec<_>>());
        });
        g.bench_with_input(BenchmarkId::new("keyed_batch", n), &values, |b, v| {
            b.iter(|| p.pseudonymize_batch(v));
        });
        let cards: Vec<String> = (0..n / 10).map(|i| format!("4{i:015}")).collect();
        g.throughput(Throughput::Elements((n / 10) as u64));
        g.bench_with_input(
            BenchmarkId::new("ff1_sequential", n / 10),
            &cards,
            |b, v| {
                b.iter(|| v.iter().map(|x| f.encrypt(x)).collect::<Vec<_>>());
            },
        );
        g.bench_with_input(BenchmarkId::new("ff1_batch", n / 10), &cards, |b, v| {
            b.iter(|| f.encrypt_batch(v));
        });
    }
    g.finish();
}

criterion_group!(benches, keyed, tokens, ff1, batch);

/// The fastest of `rounds` blocks of `per_block` calls, per call. Blocks of the two
/// contenders alternate, so a machine whose load changes during the run slows both
/// alike, and the minimum discards blocks during which the thread was descheduled.
fn interleaved_min(
    rounds: usize,
    per_block: u32,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (Duration, Duration) {
    let (mut best_a, mut best_b) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..per_block {
            a();
        }
        best_a = best_a.min(t.elapsed());
        let t = Instant::now();
        for _ in 0..per_block {
            b();
        }
        best_b = best_b.min(t.elapsed());
    }
    (best_a / per_block, best_b / per_block)
}

/// Prints the keyed-pseudonym speed-up on 16-byte inputs, measured interleaved in
/// this run, before the criterion groups.
fn keyed_speedup_report() {
    let root = root();
    let p = match KeyedPseudonymizer::new(&root, "bench", KeyedConfig::default()) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let key = [0x17u8; 32];
    let input = [0x61u8; 16];
    let baseline = || {
        let mut h = match <Hmac<Sha256> as KeyInit>::new_from_slice(&key) {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        };
        h.update(black_box(&input));
        black_box(h.finalize().into_bytes());
    };
    let ours = || {
        black_box(p.mac(black_box(&input)));
    };
    let (base, mine) = interleaved_min(300, 2_000, baseline, ours);
    println!(
        "keyed/16-byte interleaved min-of-300-blocks: Hmac::new_from_slice+finalize {base:?}, \
         privkit mac {mine:?}, speed-up {:.2}x",
        base.as_secs_f64() / mine.as_secs_f64()
    );
    let text = "a".repeat(16);
    let pseudonymize = || {
        black_box(p.pseudonymize(black_box(&text)));
    };
    let (base, full) = interleaved_min(300, 2_000, baseline, pseudonymize);
    println!(
        "keyed/16-byte interleaved min-of-300-blocks: Hmac::new_from_slice+finalize {base:?}, \
         privkit pseudonymize (32 hex chars, new String) {full:?}, speed-up {:.2}x",
        base.as_secs_f64() / full.as_secs_f64()
    );
    let mut buf = String::with_capacity(64);
    let into = || {
        buf.clear();
        p.pseudonymize_into(black_box(&text), &mut buf);
        black_box(&buf);
    };
    let (base, reused) = interleaved_min(300, 2_000, baseline, into);
    println!(
        "keyed/16-byte interleaved min-of-300-blocks: Hmac::new_from_slice+finalize {base:?}, \
         privkit pseudonymize_into (32 hex chars, reused String) {reused:?}, speed-up {:.2}x",
        base.as_secs_f64() / reused.as_secs_f64()
    );
}

fn main() {
    keyed_speedup_report();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
