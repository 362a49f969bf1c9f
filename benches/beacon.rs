//! Beacon (blind index) computation against the per-value `Hmac<Sha384>` baseline:
//! `Hmac::new_from_slice` + update + finalize for every value, as a caller without a
//! precomputed keyed state would write it. Values of 16, 64, 100 and 256 bytes; one
//! element is one value.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use privkit::kdf::RootKey;
use privkit::pseudonym::{BeaconKeys, CompoundBeacon, Normalization, Part, StandardBeacon};
use privkit::secret::SecretBytes;
use sha2::Sha384;

fn keys() -> BeaconKeys {
    let root = match RootKey::from_secret(&SecretBytes::from_slice(&[0x42; 32])) {
        Ok(r) => r,
        Err(e) => panic!("root key: {e}"),
    };
    match root.beacon_key() {
        Ok(k) => BeaconKeys::new(&k),
        Err(e) => panic!("beacon key: {e}"),
    }
}

fn standard(keys: &BeaconKeys, name: &str, bits: u32, n: Normalization) -> StandardBeacon {
    match keys.standard(name, bits, n) {
        Ok(b) => b,
        Err(e) => panic!("beacon: {e}"),
    }
}

fn standard_beacons(c: &mut Criterion) {
    let keys = keys();
    let raw = standard(&keys, "email", 16, Normalization::NONE);
    let normalized = standard(&keys, "email", 16, Normalization::ALL);
    let key = [0x17u8; 64];
    let mut g = c.benchmark_group("beacon");
    for size in [16usize, 64, 100, 256] {
        let text = "a".repeat(size);
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(
            BenchmarkId::new("hmac_sha384_new_from_slice_baseline", size),
            &text,
            |b, m| {
                b.iter(|| {
                    let mut h = match <Hmac<Sha384> as KeyInit>::new_from_slice(&key) {
                        Ok(h) => h,
                        Err(e) => panic!("{e}"),
                    };
                    h.update(black_box(m.as_bytes()));
                    h.finalize().into_bytes()
                });
            },
        );
        g.bench_with_input(BenchmarkId::new("value", size), &text, |b, m| {
            b.iter(|| raw.value(black_box(m)));
        });
        g.bench_with_input(BenchmarkId::new("beacon_hex", size), &text, |b, m| {
            let mut out = String::with_capacity(8);
            b.iter(|| {
                out.clear();
                raw.beacon_into(black_box(m), &mut out);
                out.len()
            });
        });
        g.bench_with_input(
            BenchmarkId::new("value_normalized_ascii", size),
            &text,
            |b, m| {
                b.iter(|| normalized.value(black_box(m)));
            },
        );
    }
    g.finish();
}

fn compound_beacons(c: &mut Criterion) {
    let keys = keys();
    let compound = match CompoundBeacon::builder("name_postcode", '.')
        .part(Part::plain("country", "C_", Normalization::ALL))
        .part(Part::beacon(
            "L_",
            standard(&keys, "last_name", 12, Normalization::ALL),
        ))
        .part(Part::beacon(
            "P_",
            standard(&keys, "postcode", 10, Normalization::ALL),
        ))
        .build()
    {
        Ok(b) => b,
        Err(e) => panic!("compound: {e}"),
    };
    let row = [
        ("country", "DE"),
        ("last_name", "Müller"),
        ("postcode", "10115"),
    ];
    let mut g = c.benchmark_group("compound_beacon");
    g.throughput(Throughput::Elements(1));
    g.bench_function("three_parts", |b| {
        b.iter(|| compound.beacon(black_box(&row)));
    });
    g.finish();
}

criterion_group!(benches, standard_beacons, compound_beacons);
criterion_main!(benches);
