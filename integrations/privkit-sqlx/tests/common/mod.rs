//! Test databases: SQLite in a temporary file, and a fresh database on the PostgreSQL
//! server named by `PRIVKIT_TEST_POSTGRES_URL`. `.ci/run` starts that server; without it
//! the PostgreSQL tests skip loudly, and fail when `PRIVKIT_REQUIRE_POSTGRES=1`.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use privkit_sqlx::{Backend, Database};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub(crate) fn unique(tag: &str) -> String {
    format!(
        "{tag}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A migrated test database, its URL, and what to drop afterwards.
pub(crate) struct TestDb {
    pub(crate) db: Database,
    pub(crate) url: String,
    /// PostgreSQL: the admin connection and the database to drop.
    drop: Option<(Database, String)>,
}

impl TestDb {
    /// Closes the pool and drops a PostgreSQL test database.
    pub(crate) async fn finish(self) {
        self.db.pool().close().await;
        if let Some((admin, name)) = self.drop {
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(admin.pool())
                .await
                .unwrap();
        }
    }
}

/// A migrated SQLite database in a fresh temporary file.
pub(crate) async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(unique("privkit_sqlx"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/test.db?mode=rwc", dir.display());
    let db = Database::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    TestDb {
        db,
        url,
        drop: None,
    }
}

/// A migrated, freshly created PostgreSQL database on the server of
/// `PRIVKIT_TEST_POSTGRES_URL`, or `None` (said loudly) when no server is configured.
pub(crate) async fn postgres(what: &str) -> Option<TestDb> {
    let Ok(admin_url) = std::env::var("PRIVKIT_TEST_POSTGRES_URL") else {
        if std::env::var("PRIVKIT_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("PRIVKIT_REQUIRE_POSTGRES=1 but PRIVKIT_TEST_POSTGRES_URL is not set");
        }
        // Straight to the process's stderr: the test harness captures `eprintln!`.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!! SKIPPED {what} on PostgreSQL: PRIVKIT_TEST_POSTGRES_URL is not set \
             (.ci/run starts a server and sets it; CI sets PRIVKIT_REQUIRE_POSTGRES=1) !!!!!!!!\n"
        );
        return None;
    };
    let admin = Database::connect_with(&admin_url, 1).await.unwrap();
    let name = unique("privkit_test");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.pool())
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let db = Database::connect(&url).await.unwrap();
    assert_eq!(db.backend(), Backend::Postgres);
    db.migrate().await.unwrap();
    Some(TestDb {
        db,
        url,
        drop: Some((admin, name)),
    })
}

/// `sql` with `$1` placeholders as the backend writes them.
pub(crate) fn sql(db: &Database, sql: &str) -> String {
    match db.backend() {
        Backend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    }
}

/// The integer that `sql` (a `SELECT COUNT(*)` or the like) returns.
pub(crate) async fn count(db: &Database, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// Runs `$body` (an async fn of a [`TestDb`] reference) on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $body:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            let t = common::sqlite().await;
            $body(&t).await;
            t.finish().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            if let Some(t) = common::postgres(stringify!($body)).await {
                $body(&t).await;
                t.finish().await;
            }
        }
    };
}
