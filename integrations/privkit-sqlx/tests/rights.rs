//! Subject requests on the sample shop database through `SqlSource`, on SQLite and
//! PostgreSQL: the access package equals the one derived by hand from the fixture, and
//! after erasure no query and no scan finds the subject's e-mail, phone or card.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;
#[path = "../examples/shop/mod.rs"]
mod shop;

use std::sync::Arc;

use privkit::audit::{Auditor, MemoryLog, SubjectPseudonymizer};
use privkit::detect::Scanner;
use privkit::jiff::Timestamp;
use privkit::retention::SubjectId;
use privkit::rights::{
    Executor, FieldCipher, Identities, IdentityVerifier, KeysetCipher, Regime, Request,
    RequestKind, Value,
};
use privkit::secret::SecretBytes;
use privkit_sqlx::{Database, SqlSource};
use shop::{ADA_CARD, ADA_EMAIL, ADA_PHONE, Shop};
use sqlx::Row as _;

fn now() -> Timestamp {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

struct Verified;
impl IdentityVerifier for Verified {
    fn verify(&self, _: &Request) -> privkit::Result<SubjectId> {
        SubjectId::new("customer-1")
    }
}

fn auditor() -> Auditor {
    let names = Arc::new(SubjectPseudonymizer::new(&SecretBytes::from_slice(&[9; 32])).unwrap());
    Auditor::new(Arc::new(MemoryLog::new()), names, "privacy-desk").with_clock(now)
}

fn request(shop: &Shop, kind: RequestKind, auditor: &Auditor) -> Request {
    let ids = Identities::new().with("email", ADA_EMAIL).unwrap();
    let mut r = Request::receive(
        "req-1",
        kind,
        Regime::Gdpr,
        ids,
        now(),
        shop.map.schedule().time_zone(),
        auditor,
    )
    .unwrap();
    r.verify(&Verified, auditor).unwrap();
    r
}

async fn access_then_erase(db: &Database) {
    // A 1-bit beacon: Bob's row is a candidate half the time and must be filtered.
    let shop = Shop::new(1).unwrap();
    shop.create_schema(db).await.unwrap();
    shop.fill(db).await.unwrap();
    let source = SqlSource::new(db);
    let auditor = auditor();
    let cipher = KeysetCipher::new(&shop.keyset);
    let scanner = Scanner::new().unwrap();
    let exec = Executor::new(&shop.map, &source, &auditor)
        .with_beacon("customers.email", &shop.beacon)
        .with_cipher(&cipher)
        .with_scanner(&scanner);

    let package = exec
        .access(&request(&shop, RequestKind::Access, &auditor))
        .await
        .unwrap();
    let t = |s: &str| Value::Text(s.into());
    let i = Value::Integer;
    // Derived by hand from shop::fill: Ada's rows, decrypted, in map field order.
    let expected: Vec<(&str, Vec<Vec<Value>>)> = vec![
        (
            "customers",
            vec![vec![i(1), t("Ada Lovelace"), t(ADA_EMAIL), t(ADA_PHONE)]],
        ),
        (
            "addresses",
            vec![vec![
                i(10),
                i(1),
                t("12 Crescent Road"),
                t("London"),
                t("NW1 4RY"),
            ]],
        ),
        (
            "orders",
            vec![vec![
                i(100),
                i(1),
                t("2025-11-02T10:00:00Z"),
                i(4599),
                t(ADA_CARD),
                t("Leave with the neighbour, call +44 20 7946 0958"),
            ]],
        ),
        (
            "support_tickets",
            vec![vec![
                i(200),
                i(1),
                t("Please update my e-mail, it is ada@example.com"),
            ]],
        ),
        (
            "marketing_events",
            vec![
                vec![i(300), i(1), t("opened newsletter 2026-02")],
                vec![i(301), i(1), t("clicked ad shoes")],
            ],
        ),
    ];
    let mut got: Vec<(&str, Vec<Vec<Value>>)> = package
        .tables
        .iter()
        .map(|t| (t.table.as_str(), t.rows.clone()))
        .collect();
    got.sort_by_key(|(n, _)| expected.iter().position(|(e, _)| e == n));
    assert_eq!(got, expected);

    let report = exec
        .erase(&request(&shop, RequestKind::Erasure, &auditor), &[])
        .await
        .unwrap();
    assert_eq!(report.residual.as_deref(), Some(&[][..]), "{report:?}");
    assert!(
        report
            .kept
            .iter()
            .all(|k| k.table == "orders" && k.detail.contains("rule `invoices`"))
    );

    // No query finds Ada's e-mail, phone or card in any text column...
    let phone_digits: String = ADA_PHONE.chars().filter(char::is_ascii_digit).collect();
    for (table, columns) in [
        ("customers", &["name", "phone"][..]),
        ("addresses", &["street", "city", "postal_code"]),
        ("orders", &["placed_at", "card_number", "delivery_note"]),
        ("support_tickets", &["body"]),
        ("marketing_events", &["event"]),
    ] {
        for column in columns {
            let sql = format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL");
            for row in sqlx::query(&sql).fetch_all(db.pool()).await.unwrap() {
                let s: String = row.try_get(0).unwrap();
                let digits: String = s.chars().filter(char::is_ascii_digit).collect();
                assert!(
                    !s.contains(ADA_EMAIL) && !s.contains(ADA_CARD),
                    "{table}.{column}: {s}"
                );
                assert!(
                    !digits.contains(&phone_digits[2..]),
                    "{table}.{column}: {s}"
                );
            }
        }
    }
    // ... no ciphertext left decrypts to it, and its beacon finds nothing.
    let cipher = KeysetCipher::new(&shop.keyset);
    for row in sqlx::query("SELECT id, email FROM customers")
        .fetch_all(db.pool())
        .await
        .unwrap()
    {
        let id: i64 = row.try_get(0).unwrap();
        let ct: Vec<u8> = row.try_get(1).unwrap();
        let pt = cipher
            .decrypt("customers", "email", &Value::Integer(id), &ct)
            .unwrap();
        assert_ne!(pt, ADA_EMAIL.as_bytes());
    }
    let again = exec
        .locate(&request(&shop, RequestKind::Access, &auditor))
        .await
        .unwrap();
    assert_eq!(again.rows(), 0);
    // Bob is untouched.
    let bob: i64 = sqlx::query("SELECT COUNT(*) FROM support_tickets WHERE customer_id = 2")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(bob, 1);
    let order: String = sqlx::query("SELECT card_number FROM orders WHERE id = 100")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(order, "************1111");
}

async fn access_and_erasure(t: &common::TestDb) {
    access_then_erase(&t.db).await;
}

on_both!(
    sqlite_access_and_erasure,
    postgres_access_and_erasure,
    access_and_erasure
);
