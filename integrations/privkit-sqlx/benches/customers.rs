//! Insert and lookup-by-e-mail per customer on SQLite: privkit (encrypt the e-mail, store
//! its 16-bit beacon; look up by beacon, decrypt the candidates, keep the matches) against
//! the plaintext baseline of the same rows (an indexed e-mail column). Tables of 1,000 and
//! 10,000 customers; one element is one customer.

use std::hint::black_box;
use std::sync::atomic::{AtomicI64, Ordering};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::Algorithm;
use privkit::keyset::Keyset;
use privkit::pseudonym::{BeaconKeys, Normalization};
use privkit::secret::SecretBytes;
use privkit_sqlx::{BeaconColumn, Database, EncryptedColumn};
use tokio::runtime::Runtime;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

struct Fixture {
    db: Database,
    keyset: Keyset,
    column: BeaconColumn,
    rows: EncryptedColumn,
    next_id: AtomicI64,
}

async fn fixture(rt_dir: &std::path::Path, customers: i64) -> Fixture {
    let url = format!(
        "sqlite://{}/bench-{customers}.db?mode=rwc",
        rt_dir.display()
    );
    let db = ok(Database::connect(&url).await);
    for sql in [
        "CREATE TABLE plain (id INTEGER PRIMARY KEY, email TEXT NOT NULL)",
        "CREATE INDEX plain_email ON plain (email)",
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email_ct BLOB NOT NULL)",
    ] {
        ok(sqlx::query(sql).execute(db.pool()).await);
    }
    let keys = ok(BeaconKeys::from_secret(&SecretBytes::from_slice(&[7; 32])));
    let column = ok(BeaconColumn::new(
        ok(keys.standard("customers.email", 16, Normalization::ALL)),
        "email_beacon",
    ));
    ok(column.ensure(&db, "customers").await);
    let keyset = ok(Keyset::generate(Algorithm::Aes256Gcm));
    let mut tx = ok(db.pool().begin().await);
    for id in 0..customers {
        let email = format!("customer{id}@example.com");
        ok(sqlx::query("INSERT INTO plain (id, email) VALUES (?1, ?2)")
            .bind(id)
            .bind(&email)
            .execute(&mut *tx)
            .await);
        ok(
            sqlx::query("INSERT INTO customers (id, email_ct, email_beacon) VALUES (?1, ?2, ?3)")
                .bind(id)
                .bind(ok(keyset.encrypt(email.as_bytes(), &id.to_be_bytes())))
                .bind(ok(column.value(&email)))
                .execute(&mut *tx)
                .await,
        );
    }
    ok(tx.commit().await);
    Fixture {
        db,
        keyset,
        column,
        rows: ok(EncryptedColumn::new("customers", "id", "email_ct")),
        next_id: AtomicI64::new(customers),
    }
}

fn customers(c: &mut Criterion) {
    let rt = ok(Runtime::new());
    let dir = std::env::temp_dir().join(format!("privkit-sqlx-bench-{}", std::process::id()));
    ok(std::fs::create_dir_all(&dir));
    let mut g = c.benchmark_group("customer");
    g.throughput(Throughput::Elements(1));
    for n in [1_000i64, 10_000] {
        let f = rt.block_on(fixture(&dir, n));
        let mut probe = 0i64;
        g.bench_function(BenchmarkId::new("lookup_plaintext_baseline", n), |b| {
            b.iter(|| {
                probe = (probe + 7919) % n;
                let email = format!("customer{probe}@example.com");
                let found: Vec<(i64,)> = rt.block_on(async {
                    ok(sqlx::query_as("SELECT id FROM plain WHERE email = ?1")
                        .bind(&email)
                        .fetch_all(f.db.pool())
                        .await)
                });
                black_box(found)
            });
        });
        g.bench_function(BenchmarkId::new("lookup_privkit", n), |b| {
            b.iter(|| {
                probe = (probe + 7919) % n;
                let email = format!("customer{probe}@example.com");
                let found = rt.block_on(f.column.find(&f.db, &f.rows, &email, |id, ct| {
                    f.keyset.decrypt(ct, &id.to_be_bytes())
                }));
                black_box(ok(found))
            });
        });
        g.bench_function(BenchmarkId::new("insert_plaintext_baseline", n), |b| {
            b.iter(|| {
                let id = f.next_id.fetch_add(1, Ordering::Relaxed);
                let email = format!("customer{id}@example.com");
                rt.block_on(async {
                    ok(sqlx::query("INSERT INTO plain (id, email) VALUES (?1, ?2)")
                        .bind(id)
                        .bind(&email)
                        .execute(f.db.pool())
                        .await)
                })
            });
        });
        g.bench_function(BenchmarkId::new("insert_privkit", n), |b| {
            b.iter(|| {
                let id = f.next_id.fetch_add(1, Ordering::Relaxed);
                let email = format!("customer{id}@example.com");
                let ct = ok(f.keyset.encrypt(email.as_bytes(), &id.to_be_bytes()));
                let beacon = ok(f.column.value(&email));
                rt.block_on(async {
                    ok(sqlx::query(
                        "INSERT INTO customers (id, email_ct, email_beacon) VALUES (?1, ?2, ?3)",
                    )
                    .bind(id)
                    .bind(ct)
                    .bind(beacon)
                    .execute(f.db.pool())
                    .await)
                })
            });
        });
    }
    g.finish();
    drop(std::fs::remove_dir_all(&dir));
}

criterion_group!(benches, customers);
criterion_main!(benches);
