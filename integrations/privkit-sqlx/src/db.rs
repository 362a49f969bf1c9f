//! The database handle: one pool, SQLite or PostgreSQL, and the migrations.

use std::borrow::Cow;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use crate::{Error, Result};

/// Which database a [`Database`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite (embedded; the default for a single service).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A connection pool to the database that holds privkit's tables, passed explicitly to
/// every store (no global connection).
///
/// Cloning is cheap: clones share the pool.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
}

impl Database {
    /// Connects to `url`: `sqlite://path/to/file.db?mode=rwc` (created if missing with
    /// `mode=rwc`) or `postgres://user@host:port/db`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for another scheme; [`Error::Database`] when the
    /// connection fails.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, 8).await
    }

    /// As [`connect`](Self::connect), with at most `max_connections` connections.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Self> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::InvalidArgument(
                "database URL must start with sqlite: or postgres: (or postgresql:)".into(),
            ));
        };
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .connect(url)
            .await?;
        if backend == Backend::Sqlite {
            // Readers do not block the writer; waits instead of failing under contention.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        Ok(Self { pool, backend })
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for the application's own queries (the same database and transactions
    /// as the stores).
    #[must_use]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Creates or upgrades privkit's tables (`privkit_consent`, `privkit_subject_keys`,
    /// `privkit_keysets`): the numbered SQL files under `migrations/<backend>/`, applied
    /// once each and recorded in `_sqlx_migrations`.
    ///
    /// # Errors
    /// [`Error::Migration`] when a migration fails or an applied one was changed.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// `sql` with PostgreSQL placeholders (`$1`) turned into SQLite's numbered ones
    /// (`?1`) on SQLite. privkit's statements hold no other `$`.
    pub(crate) fn sql<'a>(&self, sql: &'a str) -> Cow<'a, str> {
        match self.backend {
            Backend::Postgres => Cow::Borrowed(sql),
            Backend::Sqlite => Cow::Owned(sql.replace('$', "?")),
        }
    }
}

/// Checks an SQL identifier that privkit puts into statements: `[a-z_][a-z0-9_]*`, at
/// most 63 bytes (PostgreSQL's limit), so it needs no escaping and means the same on
/// both backends.
pub(crate) fn check_identifier(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "{what} `{}` is not an identifier of the form [a-z_][a-z0-9_]* (at most 63 bytes)",
            name.escape_default()
        )))
    }
}

/// A timestamp as the `BIGINT` nanoseconds privkit's tables store.
pub(crate) fn to_ns(at: privkit::jiff::Timestamp) -> Result<i64> {
    i64::try_from(at.as_nanosecond()).map_err(|_| {
        Error::InvalidArgument(format!(
            "timestamp {at} is outside the years 1678 to 2261 that the stores hold \
             (nanoseconds in a signed 64-bit integer)"
        ))
    })
}

/// The timestamp of stored nanoseconds.
pub(crate) fn from_ns(table: &'static str, ns: i64) -> Result<privkit::jiff::Timestamp> {
    privkit::jiff::Timestamp::from_nanosecond(i128::from(ns)).map_err(|e| Error::Corrupt {
        table,
        detail: format!("timestamp {ns} ns: {e}"),
    })
}

/// Now, as stored nanoseconds.
pub(crate) fn now_ns() -> Result<i64> {
    to_ns(privkit::jiff::Timestamp::now())
}
