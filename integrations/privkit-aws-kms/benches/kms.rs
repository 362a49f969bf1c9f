//! Envelope seals per second under an AWS KMS key, against moto's KMS server on loopback,
//! with the data-key cache off and on.
//!
//! Run: `cargo bench -p privkit-aws-kms --bench kms`. The bench starts `moto_server` itself
//! (`pip install 'moto[server]'`); without it, it prints a message and exits. Rows:
//! - `raw_kms_encrypt`: one KMS `Encrypt` of a 32-byte key through the SDK client, the
//!   call underneath every uncached seal (the baseline);
//! - `no_cache` / `cache`: one `AsyncSealer::seal` per element, sequentially;
//! - `no_cache_x64` / `cache_x64`: 64 seals at once per iteration (64 elements), on a
//!   4-thread runtime, where the cache's single flight matters.
//!
//! Numbers are loopback moto (a Python server), not AWS: uncached rows measure moto's
//! request handling, and against AWS each KMS call costs a network round trip more.

#![allow(clippy::unwrap_used)]

#[path = "../tests/common/moto.rs"]
mod moto;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use privkit::envelope::{AsyncSealer, CacheLimits};
use privkit::secret::SecretString;
use privkit_aws_kms::KmsKek;
use privkit_aws_kms::aws_sdk_kms::primitives::Blob;

const SIZES: [usize; 2] = [64, 16 * 1024];

async fn kek(url: &str, key: &str) -> KmsKek {
    KmsKek::builder(key)
        .endpoint_url(url)
        .region(moto::REGION)
        .static_credentials(moto::ACCESS_KEY, SecretString::new(moto::SECRET_KEY.into()))
        .build()
        .await
        .unwrap()
}

async fn seal_concurrently(sealer: &AsyncSealer, plaintext: &'static [u8], n: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let sealer = sealer.clone();
        tasks.spawn(async move { sealer.seal(plaintext, b"bench").await.unwrap() });
    }
    while let Some(sealed) = tasks.join_next().await {
        black_box(sealed.unwrap());
    }
}

fn bench(c: &mut Criterion, url: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let admin = rt.block_on(kek(url, "unused"));
    let key_id = rt.block_on(async {
        let out = admin.client().create_key().send().await.unwrap();
        out.key_metadata().unwrap().key_id().to_owned()
    });
    let kms = Arc::new(rt.block_on(kek(url, &key_id)));
    let limits = CacheLimits::new(1 << 20, 1 << 40, Duration::from_secs(3600)).unwrap();
    let uncached = AsyncSealer::new(kms.clone());
    let cached = AsyncSealer::new(kms.clone()).with_cache(limits);

    let mut group = c.benchmark_group("kms_seal");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_kms_encrypt", |b| {
        b.iter(|| {
            rt.block_on(async {
                let out = kms
                    .client()
                    .encrypt()
                    .key_id(&key_id)
                    .plaintext(Blob::new([7u8; 32]))
                    .send()
                    .await
                    .unwrap();
                black_box(out);
            });
        });
    });
    for size in SIZES {
        let plaintext: &'static [u8] = Vec::leak(vec![0x5a; size]);
        group.throughput(Throughput::Elements(1));
        for (name, sealer) in [("no_cache", &uncached), ("cache", &cached)] {
            group.bench_with_input(BenchmarkId::new(name, size), &size, |b, _| {
                b.iter(|| black_box(rt.block_on(sealer.seal(plaintext, b"bench")).unwrap()));
            });
        }
        group.throughput(Throughput::Elements(64));
        for (name, sealer) in [("no_cache_x64", &uncached), ("cache_x64", &cached)] {
            group.bench_with_input(BenchmarkId::new(name, size), &size, |b, _| {
                b.iter(|| rt.block_on(seal_concurrently(sealer, plaintext, 64)));
            });
        }
    }
    group.finish();
}

fn main() {
    let Some(moto) = moto::Moto::start("the kms benchmark") else {
        return;
    };
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &moto.url());
    c.final_summary();
}
