//! A child process erases subjects and re-wraps subject keys (a rotation sweep) on a real
//! database, and is killed with SIGKILL midway. Afterwards every subject is whole or
//! wholly erased: a live key unwraps under the key its row names and decrypts every one of
//! the subject's rows; a destroyed key has no rows left. A second child runs a
//! `ColumnSweep` and is killed midway: every row still decrypts, the rows up to the
//! committed cursor are under the new key and the others under the old one, and the
//! resumed sweep finishes. On SQLite and on PostgreSQL.
//!
//! The children are this test binary again, running the ignored tests `crash_child` and
//! `sweep_crash_child` with the database URL in `PRIVKIT_CRASH_CHILD_URL`.

#![allow(clippy::unwrap_used)]
#![cfg(unix)]

#[macro_use]
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use privkit::Algorithm;
use privkit::keyset::Keyset;
use privkit::retention::SubjectId;
use privkit::secret::SecretBytes;
use privkit_sqlx::{Database, SubjectKeyState, SubjectKeyTable, WrappedSubjectKey};
use sqlx::Row;

const SUBJECTS: u32 = 400;
const ROWS_PER_SUBJECT: u32 = 3;

/// The old and the new wrapping keyset of the sweep (fixed, so the child and the parent
/// share them).
fn wrapping(name: &str) -> Keyset {
    let byte = if name == "kek-old" { 1 } else { 2 };
    Keyset::from_key(
        1,
        Algorithm::Aes256Gcm,
        SecretBytes::from_slice(&[byte; 32]),
    )
    .unwrap()
}

fn subject(i: u32) -> SubjectId {
    SubjectId::new(&format!("customer-{i:04}")).unwrap()
}

/// Field encryption under a subject key (what the core's erasable fields will do).
fn field_keyset(subject_key: &[u8]) -> Keyset {
    Keyset::from_key(
        1,
        Algorithm::Aes256Gcm,
        SecretBytes::from_slice(subject_key),
    )
    .unwrap()
}

/// Runs `CREATE TABLE` statement `sql`, its `BLOB` columns `BYTEA` on PostgreSQL.
async fn create(db: &Database, sql: &str) {
    let sql = match db.backend() {
        privkit_sqlx::Backend::Sqlite => sql.to_owned(),
        _ => sql.replace("BLOB", "BYTEA"),
    };
    sqlx::query(&sql).execute(db.pool()).await.unwrap();
}

async fn populate(db: &Database) {
    create(
        db,
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer TEXT NOT NULL, item_ct BLOB NOT NULL)",
    )
    .await;
    let table = SubjectKeyTable::new(db);
    let old = wrapping("kek-old");
    let mut keys = Vec::new();
    for i in 0..SUBJECTS {
        let s = subject(i);
        let key = SecretBytes::random(32).unwrap();
        table
            .insert_if_absent(
                &s,
                &WrappedSubjectKey {
                    key_id: i,
                    wrapped: old
                        .encrypt(key.expose_secret(), s.as_str().as_bytes())
                        .unwrap(),
                    wrapping_key: "kek-old".into(),
                },
            )
            .await
            .unwrap();
        keys.push(key);
    }
    // The store's statements run on their own connections: on SQLite they would wait for
    // this transaction's write lock, so the keys are stored first.
    let mut tx = db.pool().begin().await.unwrap();
    for (i, key) in (0..SUBJECTS).zip(&keys) {
        let s = subject(i);
        let fields = field_keyset(key.expose_secret());
        for r in 0..ROWS_PER_SUBJECT {
            let id = i64::from(i * ROWS_PER_SUBJECT + r);
            sqlx::query(&common::sql(
                db,
                "INSERT INTO orders (id, customer, item_ct) VALUES ($1, $2, $3)",
            ))
            .bind(id)
            .bind(s.as_str())
            .bind(
                fields
                    .encrypt(format!("order {id}").as_bytes(), &id.to_be_bytes())
                    .unwrap(),
            )
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

/// The child's work: erase every third subject and re-wrap the others under `kek-new`,
/// pausing 10 ms inside each erasure (most of the child's time), so that the kill lands
/// in an open erasure transaction more often than not.
async fn sweep(db: &Database) {
    let table = SubjectKeyTable::new(db);
    let (old, new) = (wrapping("kek-old"), wrapping("kek-new"));
    for i in 0..SUBJECTS {
        let s = subject(i);
        if i % 3 == 0 {
            let mut erasure = table.begin_erasure(&s).await.unwrap();
            erasure.delete_rows("orders", "customer").await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
            erasure.commit().await.unwrap();
        } else if let SubjectKeyState::Live(k) = table.get(&s).await.unwrap() {
            let key = old.decrypt(&k.wrapped, s.as_str().as_bytes()).unwrap();
            let rewrapped = new.encrypt(&key, s.as_str().as_bytes()).unwrap();
            table
                .rewrap(&s, k.key_id, "kek-old", &rewrapped, "kek-new")
                .await
                .unwrap();
        }
    }
}

#[test]
#[ignore = "the child process of the crash tests; run by them"]
fn crash_child() {
    in_child(async |db| sweep(&db).await);
}

/// A child's work on the database of `PRIVKIT_CRASH_CHILD_URL`.
fn in_child(work: impl AsyncFnOnce(Database)) {
    let url = std::env::var("PRIVKIT_CRASH_CHILD_URL").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        work(Database::connect(&url).await.unwrap()).await;
    });
}

/// Starts the ignored test `name` of this binary as a child on `t`'s database, and
/// kills it (SIGKILL) once `progress` (an SQL count) reaches `at`.
async fn kill_midway(t: &common::TestDb, name: &str, progress: &str, at: i64) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", name, "--nocapture"])
        .env("PRIVKIT_CRASH_CHILD_URL", &t.url)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while common::count(&t.db, progress).await < at {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child exited before it was killed"
        );
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "{status}");
}

async fn killed_midway(t: &common::TestDb) {
    let db = &t.db;
    populate(db).await;
    // Kill once the sweep is well under way, never after it finished.
    kill_midway(
        t,
        "crash_child",
        "SELECT COUNT(*) FROM privkit_subject_keys \
         WHERE wrapped IS NULL OR wrapping_key = 'kek-new'",
        i64::from(SUBJECTS / 4),
    )
    .await;

    let table = SubjectKeyTable::new(db);
    let (mut live_old, mut live_new, mut erased) = (0, 0, 0);
    for i in 0..SUBJECTS {
        let s = subject(i);
        let rows = sqlx::query(&common::sql(
            db,
            "SELECT id, item_ct FROM orders WHERE customer = $1 ORDER BY id",
        ))
        .bind(s.as_str())
        .fetch_all(db.pool())
        .await
        .unwrap();
        match table.get(&s).await.unwrap() {
            SubjectKeyState::Live(k) => {
                let key = wrapping(&k.wrapping_key)
                    .decrypt(&k.wrapped, s.as_str().as_bytes())
                    .unwrap_or_else(|e| panic!("{s}: wrapped key does not unwrap: {e}"));
                assert_eq!(rows.len(), ROWS_PER_SUBJECT as usize, "{s}: rows lost");
                let fields = field_keyset(&key);
                for r in &rows {
                    let id: i64 = r.try_get(0).unwrap();
                    let ct: Vec<u8> = r.try_get(1).unwrap();
                    assert_eq!(
                        fields.decrypt(&ct, &id.to_be_bytes()).unwrap(),
                        format!("order {id}").as_bytes()
                    );
                }
                if k.wrapping_key == "kek-new" {
                    live_new += 1;
                } else {
                    live_old += 1;
                }
            }
            SubjectKeyState::Destroyed { .. } => {
                assert!(rows.is_empty(), "{s}: key destroyed but rows remain");
                erased += 1;
            }
            other => panic!("{s}: key row lost: {other:?}"),
        }
    }
    println!(
        "{:?} after SIGKILL: {erased} erased, {live_new} re-wrapped, {live_old} not reached",
        db.backend()
    );
    assert!(erased > 0 && live_new > 0, "the sweep had started");
    assert!(live_old > 0, "the kill came before the sweep finished");
}
on_both!(sqlite_killed_midway, postgres_killed_midway, killed_midway);

const CARDS: i64 = 2_000;
const SWEEP_BATCH: u32 = 20;

/// The keyset of the column sweep: the old key 1 and the new primary 2 (fixed, so the
/// child and the parent share them).
fn card_keyset() -> Keyset {
    let mut k = wrapping("kek-old");
    k.insert_key(2, Algorithm::Aes256Gcm, SecretBytes::from_slice(&[2; 32]))
        .unwrap();
    k.promote(2).unwrap();
    k
}

fn card_aad(id: i64) -> Vec<u8> {
    format!("cards/{id}").into_bytes()
}

fn card_sweep(db: &Database) -> privkit_sqlx::ColumnSweep {
    privkit_sqlx::ColumnSweep::new(
        db,
        "cards-rotation",
        privkit_sqlx::EncryptedColumn::new("cards", "id", "card_ct").unwrap(),
        SWEEP_BATCH,
    )
    .unwrap()
}

#[test]
#[ignore = "the child process of the column sweep crash tests; run by them"]
fn sweep_crash_child() {
    in_child(async |db| {
        let (keyset, sweep) = (card_keyset(), card_sweep(&db));
        // A pause between batches keeps the sweep running long enough to be killed midway.
        while !sweep.run_batch(&keyset, card_aad).await.unwrap().1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
}

/// A `ColumnSweep` killed with SIGKILL midway: every row still decrypts under a live key,
/// the rows up to the committed cursor are under the new key and the others under the
/// old one (a batch and its cursor commit together), and the sweep resumed from the
/// cursor finishes with every row rotated exactly once.
async fn sweep_killed_midway(t: &common::TestDb) {
    let db = &t.db;
    create(
        db,
        "CREATE TABLE cards (id BIGINT PRIMARY KEY, card_ct BLOB NOT NULL)",
    )
    .await;
    let old = wrapping("kek-old");
    let mut tx = db.pool().begin().await.unwrap();
    for id in 0..CARDS {
        sqlx::query(&common::sql(
            db,
            "INSERT INTO cards (id, card_ct) VALUES ($1, $2)",
        ))
        .bind(id)
        .bind(
            old.encrypt(format!("card {id}").as_bytes(), &card_aad(id))
                .unwrap(),
        )
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    kill_midway(
        t,
        "sweep_crash_child",
        "SELECT COALESCE(MAX(cursor_key), -1) FROM privkit_sweeps",
        CARDS / 4,
    )
    .await;

    let keyset = card_keyset();
    let sweep = card_sweep(db);
    let (cursor, report) = sweep.state().await.unwrap();
    let cursor = *cursor.last().unwrap();
    assert!(
        cursor < CARDS - 1,
        "the kill came before the sweep finished"
    );
    assert_eq!(report.rotated, u64::try_from(cursor + 1).unwrap());
    let check = async |want_new: &dyn Fn(i64) -> bool| {
        let rows = sqlx::query("SELECT id, card_ct FROM cards ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(rows.len(), usize::try_from(CARDS).unwrap(), "rows lost");
        for r in &rows {
            let (id, ct): (i64, Vec<u8>) = (r.try_get(0).unwrap(), r.try_get(1).unwrap());
            let key = privkit::keyset::inspect(&ct).unwrap().key_id;
            assert_eq!(key == 2, want_new(id), "row {id} under key {key}");
            assert_eq!(
                keyset
                    .decrypt(&ct, &card_aad(id))
                    .unwrap_or_else(|e| panic!("row {id}: {e}")),
                format!("card {id}").as_bytes()
            );
        }
    };
    check(&|id| id <= cursor).await;
    println!(
        "{:?} column sweep after SIGKILL: cursor at row {cursor} of {CARDS}",
        db.backend()
    );

    // Resumed: the rest, each row once; the counts span both runs.
    let report = sweep.run(&keyset, card_aad).await.unwrap();
    assert_eq!(
        report,
        privkit::keyset::SweepReport::new(u64::try_from(CARDS).unwrap(), 0, 0)
    );
    assert_eq!(sweep.state().await.unwrap().0.last(), Some(&(CARDS - 1)));
    check(&|_| true).await;
}
on_both!(
    sqlite_sweep_killed_midway,
    postgres_sweep_killed_midway,
    sweep_killed_midway
);
