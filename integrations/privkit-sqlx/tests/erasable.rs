//! Erasable fields and rotation sweeps on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::sync::Arc;

use privkit::Algorithm;
use privkit::keyset::{self, Aad, Keyset, SweepReport};
use privkit::pseudonym::{BeaconKeys, Normalization};
use privkit::retention::{ErasableKeys, SubjectId};
use privkit::secret::SecretBytes;
use privkit_sqlx::{
    BeaconColumn, ColumnSweep, EncryptedColumn, ErasableStore, SubjectKeyState, SubjectKeyTable,
};
use sqlx::Row;

fn blob(db: &privkit_sqlx::Database) -> &'static str {
    match db.backend() {
        privkit_sqlx::Backend::Sqlite => "BLOB",
        _ => "BYTEA",
    }
}

fn aad(id: i64, column: &str) -> Vec<u8> {
    Aad::new()
        .with("table", "customers")
        .with("column", column)
        .with("row", id.to_string())
        .as_bytes()
        .to_vec()
}

async fn erasable_fields(t: &common::TestDb) {
    let db = &t.db;
    sqlx::query(&format!(
        "CREATE TABLE customers (id BIGINT PRIMARY KEY, subject TEXT NOT NULL, \
         email_ct {b} NOT NULL, phone_ct {b} NOT NULL)",
        b = blob(db)
    ))
    .execute(db.pool())
    .await
    .unwrap();
    // 4 bits over 20 addresses: lookups have false positives for decryption to filter.
    let keys = BeaconKeys::from_secret(&SecretBytes::from_slice(&[3; 32])).unwrap();
    let beacon = BeaconColumn::new(
        keys.standard("customers.email", 4, Normalization::ALL)
            .unwrap(),
        "email_beacon",
    )
    .unwrap();
    beacon.ensure(db, "customers").await.unwrap();
    let mut wrapping = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
    let store = ErasableStore::new(db, Arc::new(ErasableKeys::new(wrapping.clone())));
    for id in 0..20i64 {
        let s = SubjectId::new(&format!("c{id:03}")).unwrap();
        let c = store.cipher(&s).await.unwrap();
        sqlx::query(&common::sql(
            db,
            "INSERT INTO customers (id, subject, email_ct, phone_ct) VALUES ($1, $2, $3, $4)",
        ))
        .bind(id)
        .bind(s.as_str())
        .bind(
            c.encrypt(format!("c{id}@example.com").as_bytes(), &aad(id, "email"))
                .unwrap(),
        )
        .bind(
            c.encrypt(format!("+1 555 {id:04}").as_bytes(), &aad(id, "phone"))
                .unwrap(),
        )
        .execute(db.pool())
        .await
        .unwrap();
        sqlx::query(&common::sql(
            db,
            "UPDATE customers SET email_beacon = $1 WHERE id = $2",
        ))
        .bind(beacon.value(&format!("c{id}@example.com")).unwrap())
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
    }
    assert_eq!(store.keys().cached_len().unwrap(), 20);

    // Rotate the wrapping keyset; re-wrap; a restarted service (new cache) reads all.
    let old = wrapping.primary_id();
    wrapping.rotate(Algorithm::Aes256Gcm).unwrap();
    store.keys().set_wrapping(wrapping.clone()).unwrap();
    let before: Vec<Vec<u8>> = fields(db).await.into_iter().map(|(_, _, e, _)| e).collect();
    assert_eq!(
        store.rewrap_sweep(7).await.unwrap(),
        SweepReport::new(20, 0, 0)
    );
    assert_eq!(
        store.rewrap_sweep(7).await.unwrap(),
        SweepReport::new(0, 0, 0)
    );
    let after: Vec<Vec<u8>> = fields(db).await.into_iter().map(|(_, _, e, _)| e).collect();
    assert_eq!(before, after, "fields untouched by the re-wrap");
    wrapping.disable(old).unwrap();
    let restarted = ErasableStore::new(db, Arc::new(ErasableKeys::new(wrapping)));
    for (id, s, email, phone) in fields(db).await {
        let c = restarted.existing_cipher(&s).await.unwrap();
        assert_eq!(
            c.decrypt(&email, &aad(id, "email")).unwrap(),
            format!("c{id}@example.com").as_bytes()
        );
        assert_eq!(
            c.decrypt(&phone, &aad(id, "phone")).unwrap(),
            format!("+1 555 {id:04}").as_bytes()
        );
    }

    // Lookups over the erasable e-mail: each candidate's key is loaded as it comes (the
    // restarted store has none cached), false positives are filtered by decryption.
    let rows = EncryptedColumn::new("customers", "id", "email_ct").unwrap();
    let subject_of = |id: i64| SubjectId::new(&format!("c{id:03}"));
    let mut filtered = 0;
    for id in 0..20i64 {
        let typed = format!("  C{id}@Example.COM");
        let found = beacon
            .find_async(db, &rows, &typed, async |row, ct| {
                let cipher = restarted.existing_cipher(&subject_of(row)?).await?;
                Ok(cipher.decrypt(ct, &aad(row, "email"))?)
            })
            .await
            .unwrap();
        assert_eq!(found, vec![id], "{typed}");
        filtered += beacon.candidates(db, &rows, &typed).await.unwrap().len() - 1;
    }
    // 20 rows in 16 beacon values: about 20 * 19/16 false positives in all.
    assert!(filtered > 5, "{filtered}");

    // Erase c007: rows and key in one transaction, handle evicted.
    let (id, s, email, _) = fields(db).await.swap_remove(7);
    let mut erasure = restarted.begin_erasure(&s).await.unwrap();
    assert_eq!(
        erasure.delete_rows("customers", "subject").await.unwrap(),
        1
    );
    let report = erasure.commit().await.unwrap();
    assert!(report.key_destroyed);
    assert!(restarted.keys().cached(&s).unwrap().is_none());
    let e = restarted.existing_cipher(&s).await.unwrap_err();
    assert!(
        matches!(
            e,
            privkit_sqlx::Error::Privkit(privkit::Error::KeyDestroyed(_))
        ),
        "{e}"
    );
    assert!(matches!(
        SubjectKeyTable::new(db).get(&s).await.unwrap(),
        SubjectKeyState::Destroyed { .. }
    ));
    // A backup of the row does not decrypt under the subject's new key either.
    let again = restarted.cipher(&s).await.unwrap();
    assert!(again.decrypt(&email, &aad(id, "email")).is_err());
    assert_eq!(
        common::count(db, "SELECT COUNT(*) FROM customers").await,
        19
    );
    // A dropped erasure rolls back.
    let other = SubjectId::new("c008").unwrap();
    let mut erasure = restarted.begin_erasure(&other).await.unwrap();
    erasure.delete_rows("customers", "subject").await.unwrap();
    drop(erasure);
    assert!(restarted.existing_cipher(&other).await.is_ok());
    assert_eq!(
        common::count(db, "SELECT COUNT(*) FROM customers").await,
        19
    );
    let unknown = restarted
        .existing_cipher(&SubjectId::new("nobody").unwrap())
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("nobody"), "{unknown}");

    // A lookup that meets a row whose subject was erased (a row left behind) is an error,
    // not a silent miss; the erased customer's own row is gone, so it is not found.
    let found = beacon
        .find_async(db, &rows, "c7@example.com", async |row, ct| {
            let cipher = restarted.existing_cipher(&subject_of(row)?).await?;
            Ok(cipher.decrypt(ct, &aad(row, "email"))?)
        })
        .await;
    match found {
        Ok(ids) => assert!(ids.is_empty(), "{ids:?}"),
        Err(e) => panic!("c007's row is deleted, no candidate should need its key: {e}"),
    }
    let leftover = SubjectId::new("c009").unwrap();
    let erasure = restarted.begin_erasure(&leftover).await.unwrap();
    assert!(erasure.commit().await.unwrap().key_destroyed);
    let e = beacon
        .find_async(db, &rows, "c9@example.com", async |row, ct| {
            let cipher = restarted.existing_cipher(&subject_of(row)?).await?;
            Ok(cipher.decrypt(ct, &aad(row, "email"))?)
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            privkit_sqlx::Error::Privkit(privkit::Error::KeyDestroyed(_))
        ),
        "{e}"
    );
}
on_both!(
    sqlite_erasable_fields,
    postgres_erasable_fields,
    erasable_fields
);

async fn fields(db: &privkit_sqlx::Database) -> Vec<(i64, SubjectId, Vec<u8>, Vec<u8>)> {
    sqlx::query("SELECT id, subject, email_ct, phone_ct FROM customers ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let s: String = r.try_get(1).unwrap();
            (
                r.try_get(0).unwrap(),
                SubjectId::new(&s).unwrap(),
                r.try_get(2).unwrap(),
                r.try_get(3).unwrap(),
            )
        })
        .collect()
}

async fn column_sweep(t: &common::TestDb) {
    let db = &t.db;
    sqlx::query(&format!(
        "CREATE TABLE cards (id BIGINT PRIMARY KEY, card_ct {} NOT NULL)",
        blob(db)
    ))
    .execute(db.pool())
    .await
    .unwrap();
    let mut keyset = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
    for id in 0..95i64 {
        sqlx::query(&common::sql(
            db,
            "INSERT INTO cards (id, card_ct) VALUES ($1, $2)",
        ))
        .bind(id)
        .bind(
            keyset
                .encrypt(format!("card {id}").as_bytes(), &id.to_be_bytes())
                .unwrap(),
        )
        .execute(db.pool())
        .await
        .unwrap();
    }
    // One row under a key that is about to go: counted as a failure, left alone.
    let doomed = keyset.add(Algorithm::Aes256Gcm).unwrap();
    keyset.promote(doomed).unwrap();
    let bad = keyset.encrypt(b"card 95", &95i64.to_be_bytes()).unwrap();
    sqlx::query(&common::sql(
        db,
        "INSERT INTO cards (id, card_ct) VALUES ($1, $2)",
    ))
    .bind(95i64)
    .bind(bad.clone())
    .execute(db.pool())
    .await
    .unwrap();
    keyset.rotate(Algorithm::Aes256Gcm).unwrap();
    keyset.destroy(doomed).unwrap();
    let sweep = ColumnSweep::new(
        db,
        "cards-2026",
        EncryptedColumn::new("cards", "id", "card_ct").unwrap(),
        10,
    )
    .unwrap();
    let aad = |id: i64| id.to_be_bytes().to_vec();
    let (report, done) = sweep.run_batch(&keyset, aad).await.unwrap();
    assert_eq!((report, done), (SweepReport::new(10, 0, 0), false));
    assert_eq!(sweep.state().await.unwrap().0.last(), Some(&9));
    // Resumes from the stored cursor: the first batch is not visited again.
    let report = sweep.run(&keyset, aad).await.unwrap();
    assert_eq!(report, SweepReport::new(95, 0, 1));
    let rows = sqlx::query("SELECT id, card_ct FROM cards ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    for r in &rows {
        let (id, ct): (i64, Vec<u8>) = (r.try_get(0).unwrap(), r.try_get(1).unwrap());
        if id == 95 {
            assert_eq!(ct, bad);
        } else {
            assert_eq!(keyset::inspect(&ct).unwrap().key_id, keyset.primary_id());
            assert_eq!(
                keyset.decrypt(&ct, &aad(id)).unwrap(),
                format!("card {id}").as_bytes()
            );
        }
    }
    sweep.reset().await.unwrap();
    assert_eq!(
        sweep.run(&keyset, aad).await.unwrap(),
        SweepReport::new(0, 95, 1)
    );
    assert!(
        ColumnSweep::new(
            db,
            "",
            EncryptedColumn::new("cards", "id", "card_ct").unwrap(),
            10
        )
        .is_err()
    );
    assert!(
        ColumnSweep::new(
            db,
            "x",
            EncryptedColumn::new("cards", "id", "card_ct").unwrap(),
            0
        )
        .is_err()
    );
}
on_both!(sqlite_column_sweep, postgres_column_sweep, column_sweep);
