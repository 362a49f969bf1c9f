//! An access request on the sample shop schema in SQLite with 10,000, 100,000 and
//! 1,000,000 customers (each with an address and an order), identities indexed: the
//! e-mail encrypted and found through its 16-bit beacon, children through indexed
//! `customer_id` columns. One element is one request: verify nothing (the request is
//! verified once), locate through the dataset graph (5 tables), decrypt, build the
//! package. Baseline: the same rows fetched by hand-written SQL from an indexed
//! plaintext e-mail column (no decryption, no map), so the overhead is a ratio.

#[path = "../examples/shop/mod.rs"]
mod shop;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::audit::{Auditor, MemoryLog, SubjectPseudonymizer};
use privkit::retention::SubjectId;
use privkit::rights::{
    Executor, Identities, IdentityVerifier, KeysetCipher, Regime, Request, RequestKind,
};
use privkit::secret::SecretBytes;
use privkit_sqlx::{Database, SqlSource};
use shop::Shop;
use sqlx::Row as _;
use tokio::runtime::Runtime;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

struct Anyone;
impl IdentityVerifier for Anyone {
    fn verify(&self, _: &Request) -> privkit::Result<SubjectId> {
        SubjectId::new("customer-target")
    }
}

/// `customers` rows with encrypted e-mails and beacons, in batches; addresses, orders
/// and the plaintext baseline table by `INSERT ... SELECT`.
async fn populate(db: &Database, shop: &Shop, customers: i64) {
    ok(shop.create_schema(db).await);
    const BATCH: i64 = 500;
    let mut tx = ok(db.pool().begin().await);
    let mut start = 1;
    while start <= customers {
        let end = (start + BATCH - 1).min(customers);
        let marks: Vec<String> = (0..=end - start)
            .map(|i| {
                let b = i * 4;
                format!(
                    "(?{}, 'Customer', ?{}, ?{}, ?{})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO customers (id, name, email, email_beacon, phone) VALUES {}",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in start..=end {
            let (ct, beacon) = ok(shop.email(id, &format!("customer{id}@example.com")));
            q = q
                .bind(id)
                .bind(ct)
                .bind(beacon)
                .bind(format!("+1 555 {id:07}"));
        }
        ok(q.execute(&mut *tx).await);
        start = end + 1;
    }
    for sql in [
        "INSERT INTO addresses (id, customer_id, street, city, postal_code) \
         SELECT id, id, 'Main Street ' || id, 'Springfield', '12345' FROM customers",
        "INSERT INTO orders (id, customer_id, placed_at, total_cents, card_number, delivery_note) \
         SELECT id, id, '2025-11-02T10:00:00Z', 1000 + id, '4111111111111111', NULL FROM customers",
        "CREATE TABLE plain_customers (id BIGINT PRIMARY KEY, name TEXT, email TEXT, phone TEXT)",
        "INSERT INTO plain_customers SELECT id, name, 'customer' || id || '@example.com', phone FROM customers",
        "CREATE INDEX plain_customers_email ON plain_customers (email)",
    ] {
        ok(sqlx::query(sql).execute(&mut *tx).await);
    }
    ok(tx.commit().await);
}

/// The baseline: the same five tables by hand-written SQL on plaintext.
async fn plaintext_access(db: &Database, email: &str) -> usize {
    let customers = ok(sqlx::query(
        "SELECT id, name, email, phone FROM plain_customers WHERE email = ?1",
    )
    .bind(email)
    .fetch_all(db.pool())
    .await);
    let mut rows = customers.len();
    for c in &customers {
        let id: i64 = ok(c.try_get(0));
        for sql in [
            "SELECT id, customer_id, street, city, postal_code FROM addresses WHERE customer_id = ?1",
            "SELECT id, customer_id, placed_at, total_cents, card_number, delivery_note FROM orders WHERE customer_id = ?1",
            "SELECT id, customer_id, body FROM support_tickets WHERE customer_id = ?1",
            "SELECT id, customer_id, event FROM marketing_events WHERE customer_id = ?1",
        ] {
            rows += ok(sqlx::query(sql).bind(id).fetch_all(db.pool()).await).len();
        }
    }
    rows
}

fn bench(c: &mut Criterion) {
    let rt = ok(Runtime::new());
    let dir = std::env::temp_dir().join(format!("privkit-bench-rights-{}", std::process::id()));
    ok(std::fs::create_dir_all(&dir));
    let names = Arc::new(ok(SubjectPseudonymizer::new(&SecretBytes::from_slice(
        &[9; 32],
    ))));
    let auditor = Auditor::new(Arc::new(MemoryLog::new()), names, "bench");
    let mut group = c.benchmark_group("access_request");
    group.throughput(Throughput::Elements(1));
    for customers in [10_000_i64, 100_000, 1_000_000] {
        let shop = ok(Shop::new(16));
        let url = format!("sqlite://{}/shop-{customers}.db?mode=rwc", dir.display());
        let db = ok(rt.block_on(Database::connect(&url)));
        let started = std::time::Instant::now();
        rt.block_on(populate(&db, &shop, customers));
        eprintln!(
            "populated {customers} customers in {:.1?}",
            started.elapsed()
        );
        let source = SqlSource::new(&db);
        let cipher = KeysetCipher::new(&shop.keyset);
        let exec = Executor::new(&shop.map, &source, &auditor)
            .with_beacon("customers.email", &shop.beacon)
            .with_cipher(&cipher);
        let target = customers / 2;
        let email = format!("customer{target}@example.com");
        let ids = ok(Identities::new().with("email", &email));
        let tz = shop.map.schedule().time_zone().clone();
        let mut request = ok(Request::receive(
            "bench",
            RequestKind::Access,
            Regime::Gdpr,
            ids,
            auditor.now(),
            &tz,
            &auditor,
        ));
        ok(request.verify(&Anyone, &auditor));
        let package = ok(rt.block_on(exec.access(&request)));
        let rows: usize = package.tables.iter().map(|t| t.rows.len()).sum();
        assert_eq!(rows, 3, "customer, address, order");
        assert_eq!(rt.block_on(plaintext_access(&db, &email)), 3);
        group.bench_with_input(
            BenchmarkId::new("privkit", customers),
            &customers,
            |b, _| {
                b.iter(|| black_box(ok(rt.block_on(exec.access(&request)))));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("plaintext_sql", customers),
            &customers,
            |b, _| {
                b.iter(|| black_box(rt.block_on(plaintext_access(&db, &email))));
            },
        );
        rt.block_on(db.pool().close());
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
