//! Per-field encryption of erasable fields after the first access of each subject: the
//! subject's handle from `ErasableStore` (subject keys in SQLite, the handle cached after
//! the first query) against the in-memory core vault (`ErasableVault` over
//! `InMemorySealedKeyStore`, the baseline row), then one field encrypted. 1,000 subjects
//! visited in turn, every one accessed once before measuring; fields of 16, 64 and 256
//! bytes. One iteration encrypts one field for each of 100 subjects (for the store,
//! inside one `block_on`, as a request handler awaits inside the runtime: the cost of
//! entering the runtime is not the store's); throughput in bytes of plaintext.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::Algorithm;
use privkit::keyset::Keyset;
use privkit::retention::{ErasableKeys, ErasableVault, InMemorySealedKeyStore, SubjectId};
use privkit_sqlx::{Database, ErasableStore};

const SUBJECTS: usize = 1_000;
/// Fields per iteration.
const PER_ITER: usize = 100;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

fn erasable_fields(c: &mut Criterion) {
    let rt = ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build());
    let dir = std::env::temp_dir().join(format!("privkit-sqlx-erasable-{}", std::process::id()));
    ok(std::fs::create_dir_all(&dir));
    let url = format!("sqlite://{}/keys.db?mode=rwc", dir.display());
    let wrapping = ok(Keyset::generate(Algorithm::Aes256Gcm));
    let subjects: Vec<SubjectId> = (0..SUBJECTS)
        .map(|i| ok(SubjectId::new(&format!("customer-{i:05}"))))
        .collect();

    let store = rt.block_on(async {
        let db = ok(Database::connect(&url).await);
        ok(db.migrate().await);
        let store = ErasableStore::new(&db, Arc::new(ErasableKeys::new(wrapping.clone())));
        for s in &subjects {
            ok(store.cipher(s).await);
        }
        store
    });
    let vault = ErasableVault::new(ErasableKeys::new(wrapping), InMemorySealedKeyStore::new());
    for s in &subjects {
        ok(vault.cipher(s));
    }

    let mut g = c.benchmark_group("erasable_field_encrypt");
    for len in [16usize, 64, 256] {
        let plaintext = vec![b'x'; len];
        let aad = b"table=customers;column=email;row=42";
        g.throughput(Throughput::Bytes((len * PER_ITER) as u64));
        let mut next = 0usize;
        g.bench_function(BenchmarkId::new("in_memory_vault_baseline", len), |b| {
            b.iter(|| {
                for _ in 0..PER_ITER {
                    next = (next + 1) % SUBJECTS;
                    let cipher = ok(vault.cipher(&subjects[next]));
                    black_box(ok(cipher.encrypt(&plaintext, aad)));
                }
            });
        });
        g.bench_function(BenchmarkId::new("sqlx_store", len), |b| {
            b.iter(|| {
                rt.block_on(async {
                    for _ in 0..PER_ITER {
                        next = (next + 1) % SUBJECTS;
                        let cipher = ok(store.cipher(&subjects[next]).await);
                        black_box(ok(cipher.encrypt(&plaintext, aad)));
                    }
                });
            });
        });
    }
    g.finish();
    drop(std::fs::remove_dir_all(&dir));
}

criterion_group!(benches, erasable_fields);
criterion_main!(benches);
