//! Every store against both databases (see `common`): SQLite in a temporary file, and a
//! fresh database on the PostgreSQL server of `PRIVKIT_TEST_POSTGRES_URL`.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::collections::BTreeSet;

use privkit::envelope::LocalKek;
use privkit::jiff::Timestamp;
use privkit::keyset::Keyset;
use privkit::pseudonym::{BeaconKeys, CompoundBeacon, Normalization, Part};
use privkit::retention::{ConsentRecord, ConsentState, Purpose, SubjectId};
use privkit::secret::SecretBytes;
use privkit_sqlx::{
    Backend, BeaconColumn, CompoundColumn, ConsentStore, Database, EncryptedColumn, Error,
    KeysetTable, SubjectKeyState, SubjectKeyTable, WrappedSubjectKey,
};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn sid(s: &str) -> SubjectId {
    SubjectId::new(s).unwrap()
}

fn record(subject: &str, purpose: &str, state: ConsentState, at: &str, v: &str) -> ConsentRecord {
    ConsentRecord::new(
        sid(subject),
        Purpose::new(purpose).unwrap(),
        state,
        ts(at),
        v,
        "web",
    )
}

async fn consent(t: &common::TestDb) {
    let db = t.db.clone();
    let store = ConsentStore::new(
        &db,
        [
            Purpose::new("newsletter").unwrap(),
            Purpose::new("profiling").unwrap(),
        ],
    );
    use ConsentState::{Granted, Withdrawn};
    // Out of order, and two events at one instant (the later recorded counts).
    for r in [
        record("c-1", "newsletter", Withdrawn, "2026-03-01T00:00:00Z", "v2"),
        record("c-1", "newsletter", Granted, "2025-01-01T00:00:00Z", "v1"),
        record("c-2", "newsletter", Granted, "2025-06-01T12:00:00Z", "v1"),
        record("c-2", "newsletter", Withdrawn, "2025-06-01T12:00:00Z", "v1"),
        record(
            "c-2",
            "profiling",
            Granted,
            "2025-06-01T12:00:00.123456789Z",
            "v1",
        ),
    ] {
        store.record(&r).await.unwrap();
    }
    assert_eq!(store.len().await.unwrap(), 5);
    let (c1, c2) = (sid("c-1"), sid("c-2"));
    let may = |s: &SubjectId, p: &'static str, at: &'static str| {
        let store = store.clone();
        let s = s.clone();
        async move { store.may_process(&s, p, ts(at)).await.unwrap() }
    };
    assert!(!may(&c1, "newsletter", "2024-12-31T23:59:59Z").await);
    assert!(may(&c1, "newsletter", "2025-01-01T00:00:00Z").await);
    assert!(!may(&c1, "newsletter", "2026-03-01T00:00:00Z").await);
    assert!(!may(&c2, "newsletter", "2025-06-01T12:00:00Z").await);
    assert!(may(&c2, "profiling", "2026-01-01T00:00:00Z").await);
    let latest = store
        .state_at(&c1, "newsletter", ts("2027-01-01T00:00:00Z"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.policy_version(), "v2");
    assert_eq!(latest.state(), Withdrawn);
    // Nanoseconds survive the round trip.
    let history = store.history(&c2).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[2].at(), ts("2025-06-01T12:00:00.123456789Z"));
    // A misspelled purpose is refused, by reads and writes.
    let e = store
        .may_process(&c1, "newsleter", ts("2026-01-01T00:00:00Z"))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean `newsletter`?"), "{e}");
    assert!(
        store
            .record(&record(
                "c-1",
                "marketing",
                Granted,
                "2025-01-01T00:00:00Z",
                "v1"
            ))
            .await
            .is_err()
    );
    // Out of the stored range: refused, not truncated.
    let far = record("c-1", "newsletter", Granted, "2300-01-01T00:00:00Z", "v1");
    assert!(matches!(
        store.record(&far).await,
        Err(Error::InvalidArgument(_))
    ));
    // The in-memory ledger loaded from the table answers the same.
    let ledger = store.load_ledger().await.unwrap();
    assert_eq!(ledger.len(), 5);
    for (s, p, at) in [
        (&c1, "newsletter", "2025-02-01T00:00:00Z"),
        (&c1, "newsletter", "2026-04-01T00:00:00Z"),
        (&c2, "newsletter", "2025-06-01T12:00:00Z"),
        (&c2, "profiling", "2025-06-01T12:00:00Z"),
        (&c2, "profiling", "2025-06-02T00:00:00Z"),
    ] {
        assert_eq!(
            ledger.may_process(s, p, ts(at)).unwrap(),
            store.may_process(s, p, ts(at)).await.unwrap(),
            "{s} {p} {at}"
        );
    }
    // A row privkit did not write is reported, with the table.
    sqlx::query(
        "INSERT INTO privkit_consent (subject, purpose, state, at_ns, policy_version, source) \
         VALUES ('', 'newsletter', 'granted', 0, 'v', 'sql')",
    )
    .execute(db.pool())
    .await
    .unwrap();
    match store.load_ledger().await {
        Err(Error::Corrupt { table, .. }) => assert_eq!(table, "privkit_consent"),
        other => panic!("{other:?}"),
    }
}
on_both!(sqlite_consent, postgres_consent, consent);

/// The customers table of the application: an integer key and an encrypted e-mail.
async fn customers_table(db: &Database) {
    let blob = match db.backend() {
        Backend::Sqlite => "BLOB",
        _ => "BYTEA",
    };
    sqlx::query(&format!(
        "CREATE TABLE customers (id BIGINT PRIMARY KEY, email_ct {blob} NOT NULL)"
    ))
    .execute(db.pool())
    .await
    .unwrap();
}

async fn beacon_columns(t: &common::TestDb) {
    let db = t.db.clone();
    customers_table(&db).await;
    let keys = BeaconKeys::from_secret(&SecretBytes::from_slice(&[9; 32])).unwrap();
    let keyset = Keyset::generate(privkit::Algorithm::Aes256Gcm).unwrap();
    // 8 bits over 600 distinct addresses: every lookup has false positives to filter.
    let column = BeaconColumn::new(
        keys.standard("customers.email", 8, Normalization::ALL)
            .unwrap()
            .with_partitions(2)
            .unwrap(),
        "email_beacon",
    )
    .unwrap();
    column.ensure(&db, "customers").await.unwrap();
    column.ensure(&db, "customers").await.unwrap(); // idempotent
    let mut truth: Vec<(i64, String)> = Vec::new();
    let mut tx = db.pool().begin().await.unwrap();
    for id in 0..2_400i64 {
        let email = format!("user{}@example.com", (id * 7) % 600);
        let spelled = if id % 2 == 0 {
            email.to_uppercase()
        } else {
            format!(" {email}")
        };
        let ct = keyset
            .encrypt(spelled.as_bytes(), &id.to_be_bytes())
            .unwrap();
        sqlx::query(&common::sql(
            &db,
            "INSERT INTO customers (id, email_ct, email_beacon) VALUES ($1, $2, $3)",
        ))
        .bind(id)
        .bind(ct)
        .bind(column.value(&spelled).unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
        truth.push((id, email));
    }
    tx.commit().await.unwrap();
    let rows = EncryptedColumn::new("customers", "id", "email_ct").unwrap();
    let mut false_positives = 0;
    for q in (0..650).step_by(13) {
        let wanted = format!("User{q}@Example.com");
        let found = column
            .find(&db, &rows, &wanted, |id, ct| {
                keyset.decrypt(ct, &id.to_be_bytes())
            })
            .await
            .unwrap();
        let expected: Vec<i64> = truth
            .iter()
            .filter(|(_, e)| e.eq_ignore_ascii_case(&wanted))
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(found, expected, "{wanted}");
        assert_eq!(expected.len(), if q < 600 { 4 } else { 0 });
        let candidates = column.candidates(&db, &rows, &wanted).await.unwrap();
        assert!(candidates.len() >= found.len());
        false_positives += candidates.len() - found.len();
    }
    // 2,400 rows, 2 partitions of 8 bits: about 2,400 * 2/256 = 18.75 per lookup.
    assert!(false_positives > 50 * 5, "{false_positives}");
    // A candidate that does not decrypt is an error, not a silent miss.
    let wrong = Keyset::generate(privkit::Algorithm::Aes256Gcm).unwrap();
    assert!(
        column
            .find(&db, &rows, "user1@example.com", |id, ct| wrong
                .decrypt(ct, &id.to_be_bytes()))
            .await
            .is_err()
    );
    // Identifiers are checked before they reach SQL.
    assert!(EncryptedColumn::new("customers; DROP TABLE x", "id", "ct").is_err());
    assert!(column.ensure(&db, "Customers").await.is_err());

    // A compound beacon: country in clear, last name as a beacon, by whole value and prefix.
    let compound = CompoundColumn::new(
        CompoundBeacon::builder("customers.name", '.')
            .part(Part::plain("country", "C_", Normalization::ALL))
            .part(
                Part::beacon(
                    "L_",
                    keys.standard("customers.last_name", 12, Normalization::ALL)
                        .unwrap(),
                )
                .named("last_name"),
            )
            .part(
                Part::beacon(
                    "F_",
                    keys.standard("customers.first_name", 12, Normalization::ALL)
                        .unwrap(),
                )
                .named("first_name"),
            )
            .constructor(&[
                ("country", true),
                ("last_name", true),
                ("first_name", false),
            ])
            .build()
            .unwrap(),
        "name_beacon",
    )
    .unwrap();
    compound.ensure(&db, "customers").await.unwrap();
    for (id, country, last, first) in [
        (0i64, "DE", "Müller", Some("Anna")),
        (1, "DE", "Müller", None),
        (2, "FR", "Müller", Some("Anna")),
        (3, "DE", "Schmidt", Some("Anna")),
    ] {
        let mut fields = vec![("country", country), ("last_name", last)];
        if let Some(f) = first {
            fields.push(("first_name", f));
        }
        let value = compound.beacon().beacon(&fields).unwrap().unwrap();
        sqlx::query(&common::sql(
            &db,
            "UPDATE customers SET name_beacon = $1 WHERE id = $2",
        ))
        .bind(value)
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
    }
    let ids = |v: Vec<(i64, Vec<u8>)>| v.into_iter().map(|(id, _)| id).collect::<BTreeSet<_>>();
    let q = compound
        .beacon()
        .query(&[("country", "de"), ("last_name", "MÜLLER")])
        .unwrap();
    let by_prefix = ids(compound.candidates(&db, &rows, &q, true).await.unwrap());
    assert_eq!(by_prefix, BTreeSet::from([0, 1]));
    let exact = ids(compound.candidates(&db, &rows, &q, false).await.unwrap());
    assert_eq!(exact, BTreeSet::from([1]));
    let q = compound.beacon().query(&[("country", "DE")]).unwrap();
    assert!(compound.candidates(&db, &rows, &q, false).await.is_err());
    assert_eq!(
        ids(compound.candidates(&db, &rows, &q, true).await.unwrap()),
        BTreeSet::from([0, 1, 3])
    );
}
on_both!(
    sqlite_beacon_columns,
    postgres_beacon_columns,
    beacon_columns
);

fn wrapped(key_id: u32, bytes: &[u8], under: &str) -> WrappedSubjectKey {
    WrappedSubjectKey {
        key_id,
        wrapped: bytes.to_vec(),
        wrapping_key: under.to_owned(),
    }
}

async fn subject_keys(t: &common::TestDb) {
    let db = t.db.clone();
    sqlx::query("CREATE TABLE orders (id BIGINT PRIMARY KEY, customer TEXT NOT NULL)")
        .execute(db.pool())
        .await
        .unwrap();
    for (id, c) in [(1i64, "alice"), (2, "alice"), (3, "bob")] {
        sqlx::query(&common::sql(
            &db,
            "INSERT INTO orders (id, customer) VALUES ($1, $2)",
        ))
        .bind(id)
        .bind(c)
        .execute(db.pool())
        .await
        .unwrap();
    }
    let table = SubjectKeyTable::new(&db);
    let (alice, bob) = (sid("alice"), sid("bob"));
    assert_eq!(table.get(&alice).await.unwrap(), SubjectKeyState::Unknown);
    // Two writers race for a new subject: both get the first stored key.
    let (first, second) = (
        wrapped(1, b"first", "kek-1"),
        wrapped(2, b"second", "kek-1"),
    );
    let (a, b) = tokio::join!(
        table.insert_if_absent(&alice, &first),
        table.insert_if_absent(&alice, &second),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    table
        .insert_if_absent(&bob, &wrapped(7, b"bob", "kek-1"))
        .await
        .unwrap();
    // Re-wrap is compare-and-swap on the wrapping key.
    assert!(
        table
            .rewrap(&alice, a.key_id, "kek-1", b"rewrapped", "kek-2")
            .await
            .unwrap()
    );
    assert!(
        !table
            .rewrap(&alice, a.key_id, "kek-1", b"again", "kek-3")
            .await
            .unwrap()
    );
    // Sweep pages: live keys still under kek-1, resumable after the last subject.
    let page = table.live_under("kek-1", None, 10).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0, bob);
    assert!(
        table
            .live_under("kek-1", Some(&bob), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(table.live_under("kek-2", None, 10).await.unwrap().len(), 1);
    // An erasure that is dropped before commit leaves everything as it was.
    {
        let mut erasure = table.begin_erasure(&alice).await.unwrap();
        assert_eq!(erasure.delete_rows("orders", "customer").await.unwrap(), 2);
    }
    assert!(matches!(
        table.get(&alice).await.unwrap(),
        SubjectKeyState::Live(_)
    ));
    assert_eq!(common::count(&db, "SELECT COUNT(*) FROM orders").await, 3);
    // A committed erasure deletes the rows and destroys the key together.
    let mut erasure = table.begin_erasure(&alice).await.unwrap();
    erasure.delete_rows("orders", "customer").await.unwrap();
    let report = erasure.commit().await.unwrap();
    assert!(report.key_destroyed);
    assert_eq!(report.rows_deleted, 2);
    assert_eq!(common::count(&db, "SELECT COUNT(*) FROM orders").await, 1);
    match table.get(&alice).await.unwrap() {
        SubjectKeyState::Destroyed { key_id, .. } => assert_eq!(key_id, a.key_id),
        other => panic!("{other:?}"),
    }
    // The wrapped material is gone from the row, and re-wrapping cannot revive it.
    assert_eq!(
        common::count(
            &db,
            "SELECT COUNT(*) FROM privkit_subject_keys WHERE wrapped IS NULL"
        )
        .await,
        1
    );
    assert!(
        !table
            .rewrap(&alice, a.key_id, "kek-2", b"zombie", "kek-3")
            .await
            .unwrap()
    );
    // A returning subject gets a new key.
    let again = table
        .insert_if_absent(&alice, &wrapped(9, b"new", "kek-2"))
        .await
        .unwrap();
    assert_eq!(again.key_id, 9);
    assert!(!format!("{again:?}").contains("new"));
    // Erasing a subject without a key still deletes rows, and says no key was destroyed.
    let mut erasure = table.begin_erasure(&sid("carol")).await.unwrap();
    assert_eq!(erasure.delete_rows("orders", "customer").await.unwrap(), 0);
    assert!(!erasure.commit().await.unwrap().key_destroyed);
}
on_both!(sqlite_subject_keys, postgres_subject_keys, subject_keys);

async fn keysets(t: &common::TestDb) {
    let db = t.db.clone();
    let table = KeysetTable::new(&db);
    assert_eq!(table.latest("fields").await.unwrap(), None);
    let kek = LocalKek::generate("backup-kek").unwrap();
    let mut keyset = Keyset::generate(privkit::Algorithm::Aes256Gcm).unwrap();
    let ct = keyset.encrypt(b"row 1", b"customers.email").unwrap();
    assert_eq!(
        table
            .save("fields", &keyset.export_sealed(&kek).unwrap())
            .await
            .unwrap(),
        1
    );
    keyset.rotate(privkit::Algorithm::Aes256Gcm).unwrap();
    assert_eq!(
        table
            .save("fields", &keyset.export_sealed(&kek).unwrap())
            .await
            .unwrap(),
        2
    );
    assert_eq!(table.save("other", b"x").await.unwrap(), 1);
    // A restart loads the latest, which reads what the first version wrote.
    let (version, sealed) = table.latest("fields").await.unwrap().unwrap();
    assert_eq!(version, 2);
    let loaded = Keyset::import_sealed(&sealed, &kek).unwrap();
    assert_eq!(loaded.decrypt(&ct, b"customers.email").unwrap(), b"row 1");
    assert_eq!(loaded.primary_id(), keyset.primary_id());
    assert_eq!(table.get("fields", 1).await.unwrap().unwrap().0, 1);
    assert_eq!(table.prune("fields", 1).await.unwrap(), 1);
    assert_eq!(table.get("fields", 1).await.unwrap(), None);
    assert_eq!(table.latest("fields").await.unwrap().unwrap().0, 2);
    assert!(table.save("", b"x").await.is_err());
}
on_both!(sqlite_keysets, postgres_keysets, keysets);
