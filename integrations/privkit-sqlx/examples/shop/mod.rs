//! The sample shop database of the `subject_request` example, its tests and its
//! benchmark: customers, addresses, orders, support tickets with free text and
//! marketing events, on SQLite or PostgreSQL, with e-mail addresses encrypted under a
//! keyset (bound to their row) and found through a beacon column.
#![allow(dead_code)]

use privkit::Algorithm;
use privkit::keyset::Keyset;
use privkit::pseudonym::{BeaconKeys, Normalization, StandardBeacon};
use privkit::rights::{DataMap, FieldCipher, KeysetCipher, Taxonomy, Value};
use privkit::secret::SecretBytes;
use privkit_sqlx::{Backend, Database};

/// The data map (the core's test fixture, `tests/data/rights/shop_map.toml`).
pub(crate) const MAP: &str = include_str!("../../../../tests/data/rights/shop_map.toml");

pub(crate) const ADA_EMAIL: &str = "ada@example.com";
pub(crate) const ADA_PHONE: &str = "+44 20 7946 0958";
pub(crate) const ADA_CARD: &str = "4111111111111111";

/// The keys the service holds for the shop.
pub(crate) struct Shop {
    pub(crate) map: DataMap,
    pub(crate) keyset: Keyset,
    pub(crate) beacon: StandardBeacon,
}

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Shop {
    /// The map and fresh keys; `beacon_bits` is the e-mail beacon's length.
    pub(crate) fn new(beacon_bits: u32) -> Result<Self, BoxError> {
        let keys = BeaconKeys::from_secret(&SecretBytes::from_slice(&[7; 32]))?;
        Ok(Self {
            map: DataMap::from_toml(MAP, Taxonomy::fideslang()?)?,
            keyset: Keyset::generate(Algorithm::Aes256Gcm)?,
            beacon: keys.standard("customers.email", beacon_bits, Normalization::ALL)?,
        })
    }

    /// Creates the tables and their indexes.
    pub(crate) async fn create_schema(&self, db: &Database) -> Result<(), BoxError> {
        let blob = match db.backend() {
            Backend::Postgres => "BYTEA",
            _ => "BLOB",
        };
        for sql in [
            format!(
                "CREATE TABLE customers (id BIGINT PRIMARY KEY, name TEXT NOT NULL, \
                 email {blob}, email_beacon BIGINT, phone TEXT)"
            ),
            "CREATE INDEX customers_email_beacon ON customers (email_beacon)".into(),
            "CREATE INDEX customers_phone ON customers (phone)".into(),
            "CREATE TABLE addresses (id BIGINT PRIMARY KEY, \
             customer_id BIGINT NOT NULL REFERENCES customers (id), street TEXT, city TEXT, \
             postal_code TEXT)"
                .into(),
            "CREATE INDEX addresses_customer ON addresses (customer_id)".into(),
            // Invoices outlive the account (10 years): no foreign key to customers.
            "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, \
             placed_at TEXT NOT NULL, total_cents BIGINT NOT NULL, card_number TEXT, \
             delivery_note TEXT)"
                .into(),
            "CREATE INDEX orders_customer ON orders (customer_id)".into(),
            "CREATE TABLE support_tickets (id BIGINT PRIMARY KEY, \
             customer_id BIGINT NOT NULL REFERENCES customers (id), body TEXT)"
                .into(),
            "CREATE INDEX support_tickets_customer ON support_tickets (customer_id)".into(),
            "CREATE TABLE marketing_events (id BIGINT PRIMARY KEY, \
             customer_id BIGINT NOT NULL REFERENCES customers (id), event TEXT)"
                .into(),
            "CREATE INDEX marketing_events_customer ON marketing_events (customer_id)".into(),
        ] {
            sqlx::query(&sql).execute(db.pool()).await?;
        }
        Ok(())
    }

    /// The stored form of customer `id`'s e-mail: ciphertext and beacon.
    pub(crate) fn email(&self, id: i64, email: &str) -> Result<(Vec<u8>, i64), BoxError> {
        let ct = KeysetCipher::new(&self.keyset).encrypt(
            "customers",
            "email",
            &Value::Integer(id),
            email.as_bytes(),
        )?;
        Ok((ct, i64::try_from(self.beacon.value(email))?))
    }

    /// The two named customers and their rows (Ada, customer 1, is the subject of the
    /// requests; Bob, customer 2, must never be touched).
    pub(crate) async fn fill(&self, db: &Database) -> Result<(), BoxError> {
        let sql = |s: &str| match db.backend() {
            Backend::Postgres => s.to_owned(),
            _ => s.replace('$', "?"),
        };
        for (id, name, email, phone) in [
            (1_i64, "Ada Lovelace", ADA_EMAIL, ADA_PHONE),
            (2, "Bob Smith", "bob@example.com", "+44 20 7946 0000"),
        ] {
            let (ct, beacon) = self.email(id, email)?;
            sqlx::query(&sql(
                "INSERT INTO customers (id, name, email, email_beacon, phone) VALUES ($1, $2, $3, $4, $5)",
            ))
            .bind(id)
            .bind(name)
            .bind(ct)
            .bind(beacon)
            .bind(phone)
            .execute(db.pool())
            .await?;
        }
        for (id, customer, street, city, postal) in [
            (10_i64, 1_i64, "12 Crescent Road", "London", "NW1 4RY"),
            (11, 2, "3 High Street", "Leeds", "LS1 1AA"),
        ] {
            sqlx::query(&sql(
                "INSERT INTO addresses (id, customer_id, street, city, postal_code) VALUES ($1, $2, $3, $4, $5)",
            ))
            .bind(id)
            .bind(customer)
            .bind(street)
            .bind(city)
            .bind(postal)
            .execute(db.pool())
            .await?;
        }
        for (id, customer, at, total, card, note) in [
            (
                100_i64,
                1_i64,
                "2025-11-02T10:00:00Z",
                4599_i64,
                ADA_CARD,
                Some("Leave with the neighbour, call +44 20 7946 0958"),
            ),
            (
                101,
                2,
                "2025-12-01T09:00:00Z",
                1250,
                "5555555555554444",
                None,
            ),
        ] {
            sqlx::query(&sql(
                "INSERT INTO orders (id, customer_id, placed_at, total_cents, card_number, delivery_note) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            ))
            .bind(id)
            .bind(customer)
            .bind(at)
            .bind(total)
            .bind(card)
            .bind(note)
            .execute(db.pool())
            .await?;
        }
        for (id, customer, body) in [
            (
                200_i64,
                1_i64,
                "Please update my e-mail, it is ada@example.com",
            ),
            (201, 2, "Where is my parcel?"),
        ] {
            sqlx::query(&sql(
                "INSERT INTO support_tickets (id, customer_id, body) VALUES ($1, $2, $3)",
            ))
            .bind(id)
            .bind(customer)
            .bind(body)
            .execute(db.pool())
            .await?;
        }
        for (id, customer, event) in [
            (300_i64, 1_i64, "opened newsletter 2026-02"),
            (301, 1, "clicked ad shoes"),
        ] {
            sqlx::query(&sql(
                "INSERT INTO marketing_events (id, customer_id, event) VALUES ($1, $2, $3)",
            ))
            .bind(id)
            .bind(customer)
            .bind(event)
            .execute(db.pool())
            .await?;
        }
        Ok(())
    }
}
