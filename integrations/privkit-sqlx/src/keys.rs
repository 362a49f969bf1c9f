//! Wrapped subject keys (`privkit_subject_keys`), erasure as one transaction, and sealed
//! keysets (`privkit_keysets`).
//!
//! The bytes are opaque here: privkit's core makes them (a subject key wrapped under a
//! keyset or a key-encryption key; an exported, sealed keyset) and reads them back. This
//! crate keeps them durable, race-free and erasable.

use privkit::retention::SubjectId;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::db::{Database, check_identifier, from_ns, now_ns};
use crate::{Error, Result};

const SUBJECT_KEYS: &str = "privkit_subject_keys";
const KEYSETS: &str = "privkit_keysets";

/// A live subject key as stored: its id, the wrapped key material and the name of the
/// key that wraps it.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedSubjectKey {
    /// The subject key's id (what errors name when the key is destroyed).
    pub key_id: u32,
    /// The key material, wrapped by the core (opaque here).
    pub wrapped: Vec<u8>,
    /// Which key wraps it (a KEK id, a keyset key id): rotation sweeps re-wrap the keys
    /// still under an old one.
    pub wrapping_key: String,
}

impl std::fmt::Debug for WrappedSubjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WrappedSubjectKey")
            .field("key_id", &format_args!("{:#010x}", self.key_id))
            .field("wrapped_len", &self.wrapped.len())
            .field("wrapping_key", &self.wrapping_key)
            .finish()
    }
}

/// What the table holds for a subject.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubjectKeyState {
    /// A live key.
    Live(WrappedSubjectKey),
    /// The subject's key was destroyed (erased): its data cannot be decrypted.
    Destroyed {
        /// The destroyed key's id.
        key_id: u32,
        /// When it was destroyed.
        at: privkit::jiff::Timestamp,
    },
    /// The subject never had a key here.
    Unknown,
}

/// The table of wrapped per-subject keys: the durable half of crypto-shredding.
///
/// Every operation is one statement or one transaction, so concurrent writers agree: two
/// instances creating a key for one new subject keep the first one stored
/// ([`insert_if_absent`](Self::insert_if_absent) returns it to both), a re-wrap applies
/// only to the key it read ([`rewrap`](Self::rewrap)), and an erasure destroys the key
/// and deletes the subject's rows together or not at all ([`Erasure`]).
#[derive(Clone, Debug)]
pub struct SubjectKeyTable {
    db: Database,
}

impl SubjectKeyTable {
    /// The table in `db` (migrated: [`Database::migrate`]).
    #[must_use]
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }

    /// What the table holds for `subject`.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`] for a row privkit did not write.
    pub async fn get(&self, subject: &SubjectId) -> Result<SubjectKeyState> {
        let row = sqlx::query(&self.db.sql(
            "SELECT key_id, wrapped, wrapping_key, destroyed_ns FROM privkit_subject_keys \
             WHERE subject = $1",
        ))
        .bind(subject.as_str())
        .fetch_optional(self.db.pool())
        .await?;
        row.map_or(Ok(SubjectKeyState::Unknown), |r| state_of(&r))
    }

    /// Stores `key` for `subject` unless the subject has a live key, and returns the live
    /// key stored after the call (the caller's, or the one another writer stored first).
    /// A destroyed key's tombstone is replaced: a returning subject gets a new key, and
    /// the old data stays undecryptable.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`].
    pub async fn insert_if_absent(
        &self,
        subject: &SubjectId,
        key: &WrappedSubjectKey,
    ) -> Result<WrappedSubjectKey> {
        let now = now_ns()?;
        sqlx::query(&self.db.sql(
            "INSERT INTO privkit_subject_keys \
             (subject, key_id, wrapped, wrapping_key, created_ns, destroyed_ns) \
             VALUES ($1, $2, $3, $4, $5, NULL) \
             ON CONFLICT (subject) DO UPDATE SET key_id = excluded.key_id, \
             wrapped = excluded.wrapped, wrapping_key = excluded.wrapping_key, \
             created_ns = excluded.created_ns, destroyed_ns = NULL \
             WHERE privkit_subject_keys.wrapped IS NULL",
        ))
        .bind(subject.as_str())
        .bind(i64::from(key.key_id))
        .bind(key.wrapped.clone())
        .bind(key.wrapping_key.as_str())
        .bind(now)
        .execute(self.db.pool())
        .await?;
        match self.get(subject).await? {
            SubjectKeyState::Live(k) => Ok(k),
            other => Err(Error::Corrupt {
                table: SUBJECT_KEYS,
                detail: format!("no live key for `{subject}` right after storing one: {other:?}"),
            }),
        }
    }

    /// Replaces the wrapping of `subject`'s live key `key_id`, if it is still wrapped by
    /// `old_wrapping_key` (compare-and-swap). Returns whether it was replaced: `false`
    /// when the key was destroyed, replaced or re-wrapped meanwhile. Field ciphertexts
    /// are not touched: they are under the subject key, which does not change.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn rewrap(
        &self,
        subject: &SubjectId,
        key_id: u32,
        old_wrapping_key: &str,
        wrapped: &[u8],
        wrapping_key: &str,
    ) -> Result<bool> {
        let done = sqlx::query(&self.db.sql(REWRAP_SQL))
            .bind(wrapped.to_vec())
            .bind(wrapping_key)
            .bind(subject.as_str())
            .bind(i64::from(key_id))
            .bind(old_wrapping_key)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// [`rewrap`](Self::rewrap) for a page of keys in one transaction (one commit, so one
    /// `fsync`, per page instead of per key); each row is still a compare-and-swap, so a
    /// key erased or re-wrapped meanwhile is left alone. One flag per item, as `rewrap`.
    pub(crate) async fn rewrap_page(&self, items: &[Rewrap<'_>]) -> Result<Vec<bool>> {
        let sql = self.db.sql(REWRAP_SQL);
        let mut tx = self.db.pool().begin().await?;
        let mut done = Vec::with_capacity(items.len());
        for item in items {
            let result = sqlx::query(&sql)
                .bind(item.wrapped.as_slice())
                .bind(item.wrapping_key.as_str())
                .bind(item.subject.as_str())
                .bind(i64::from(item.key_id))
                .bind(item.old_wrapping_key)
                .execute(&mut *tx)
                .await?;
            done.push(result.rows_affected() == 1);
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Up to `limit` live keys wrapped by `wrapping_key`, in subject order after `after`:
    /// the pages of a resumable re-wrap sweep (pass the last subject of a page to get the
    /// next; a sweep that stopped resumes from the last subject it finished).
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`].
    pub async fn live_under(
        &self,
        wrapping_key: &str,
        after: Option<&SubjectId>,
        limit: u32,
    ) -> Result<Vec<(SubjectId, WrappedSubjectKey)>> {
        let rows = sqlx::query(&self.db.sql(
            "SELECT subject, key_id, wrapped, wrapping_key, destroyed_ns \
             FROM privkit_subject_keys \
             WHERE wrapping_key = $1 AND wrapped IS NOT NULL AND subject > $2 \
             ORDER BY subject LIMIT $3",
        ))
        .bind(wrapping_key)
        .bind(after.map_or("", SubjectId::as_str))
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let subject: String = r.try_get("subject")?;
                let subject = SubjectId::new(&subject).map_err(|e| Error::Corrupt {
                    table: SUBJECT_KEYS,
                    detail: e.to_string(),
                })?;
                match state_of(r)? {
                    SubjectKeyState::Live(k) => Ok((subject, k)),
                    _ => Err(Error::Corrupt {
                        table: SUBJECT_KEYS,
                        detail: "a live row without key material".into(),
                    }),
                }
            })
            .collect()
    }

    /// Starts erasing `subject`: one transaction in which the application deletes the
    /// subject's rows ([`Erasure::delete_rows`], [`Erasure::execute`]) and
    /// [`Erasure::commit`] destroys the key. Dropped or failed before `commit`, it rolls
    /// back entirely: no subject is ever half-erased.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn begin_erasure(&self, subject: &SubjectId) -> Result<Erasure> {
        Ok(Erasure {
            tx: self.db.pool().begin().await?,
            db: self.db.clone(),
            subject: subject.clone(),
            deleted: 0,
            evict: None,
        })
    }
}

fn state_of(r: &AnyRow) -> Result<SubjectKeyState> {
    let key_id: i64 = r.try_get("key_id")?;
    let key_id = u32::try_from(key_id).map_err(|_| Error::Corrupt {
        table: SUBJECT_KEYS,
        detail: format!("key id {key_id} is not a 32-bit key id"),
    })?;
    let wrapped: Option<Vec<u8>> = r.try_get("wrapped")?;
    let destroyed: Option<i64> = r.try_get("destroyed_ns")?;
    match (wrapped, destroyed) {
        (Some(wrapped), None) => Ok(SubjectKeyState::Live(WrappedSubjectKey {
            key_id,
            wrapped,
            wrapping_key: r.try_get("wrapping_key")?,
        })),
        (None, Some(at)) => Ok(SubjectKeyState::Destroyed {
            key_id,
            at: from_ns(SUBJECT_KEYS, at)?,
        }),
        _ => Err(Error::Corrupt {
            table: SUBJECT_KEYS,
            detail: "a key both live and destroyed".into(),
        }),
    }
}

/// The erasure of one subject, in one transaction (see
/// [`SubjectKeyTable::begin_erasure`]).
#[derive(Debug)]
pub struct Erasure {
    tx: Transaction<'static, Any>,
    db: Database,
    subject: SubjectId,
    deleted: u64,
    /// The handle cache to evict after the commit (an erasable store's).
    evict: Option<std::sync::Arc<privkit::retention::ErasableKeys>>,
}

/// What an erasure did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErasureReport {
    /// Whether a live key was destroyed (false: the subject had none, or it was already
    /// destroyed).
    pub key_destroyed: bool,
    /// Rows deleted by the erasure's statements.
    pub rows_deleted: u64,
}

impl Erasure {
    /// Evicts the subject's cached handle from `keys` once the erasure commits.
    pub(crate) fn evicting(
        mut self,
        keys: std::sync::Arc<privkit::retention::ErasableKeys>,
    ) -> Self {
        self.evict = Some(keys);
        self
    }

    /// Deletes the rows of `table` whose `subject_column` holds the subject's id.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for names that are not `[a-z_][a-z0-9_]*`;
    /// [`Error::Database`] (the erasure should then be dropped: it rolls back).
    pub async fn delete_rows(&mut self, table: &str, subject_column: &str) -> Result<u64> {
        check_identifier("table", table)?;
        check_identifier("subject column", subject_column)?;
        self.execute(&format!("DELETE FROM {table} WHERE {subject_column} = $1"))
            .await
    }

    /// Runs `sql` in the erasure's transaction with the subject's id bound to `$1` (for
    /// deletes that need a join or a condition). Returns the rows affected.
    ///
    /// # Errors
    /// [`Error::Database`] (the erasure should then be dropped: it rolls back).
    pub async fn execute(&mut self, sql: &str) -> Result<u64> {
        let n = sqlx::query(&self.db.sql(sql))
            .bind(self.subject.as_str())
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        self.deleted += n;
        Ok(n)
    }

    /// Destroys the subject's key (its wrapped material is overwritten by `NULL`; the
    /// row stays as a tombstone) and commits everything.
    ///
    /// The database's own copies (its write-ahead log until checkpointed, free pages
    /// until vacuumed, replicas, backups) may keep the wrapped key for a while: it stays
    /// safe while the key that wraps it lives, so rotate and destroy wrapping keys on a
    /// schedule shorter than backup retention.
    ///
    /// # Errors
    /// [`Error::Database`]; nothing is erased then.
    pub async fn commit(mut self) -> Result<ErasureReport> {
        let now = now_ns()?;
        let destroyed = sqlx::query(&self.db.sql(
            "UPDATE privkit_subject_keys SET wrapped = NULL, destroyed_ns = $1 \
             WHERE subject = $2 AND wrapped IS NOT NULL",
        ))
        .bind(now)
        .bind(self.subject.as_str())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        self.tx.commit().await?;
        if let Some(keys) = &self.evict {
            keys.forget(&self.subject)?;
        }
        Ok(ErasureReport {
            key_destroyed: destroyed == 1,
            rows_deleted: self.deleted,
        })
    }
}

/// Sealed keysets by name, every saved version kept until pruned: what a service loads
/// at start (the latest), saves after a rotation, and goes back to if a rotation fails.
#[derive(Clone, Debug)]
pub struct KeysetTable {
    db: Database,
}

impl KeysetTable {
    /// The table in `db` (migrated: [`Database::migrate`]).
    #[must_use]
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }

    /// Saves `sealed` (an exported, sealed keyset) as the next version of `name`, and
    /// returns that version (1 for the first). Concurrent saves of one name get distinct
    /// versions or fail, never overwrite each other.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name; [`Error::Database`] (also when a
    /// concurrent save took the same version: retry).
    pub async fn save(&self, name: &str, sealed: &[u8]) -> Result<u64> {
        if name.is_empty() {
            return Err(Error::InvalidArgument(
                "keyset name must not be empty".into(),
            ));
        }
        let mut tx = self.db.pool().begin().await?;
        let current: Option<i64> = sqlx::query(
            &self
                .db
                .sql("SELECT MAX(version) FROM privkit_keysets WHERE name = $1"),
        )
        .bind(name)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let version = current.unwrap_or(0) + 1;
        sqlx::query(&self.db.sql(
            "INSERT INTO privkit_keysets (name, version, sealed, saved_ns) VALUES ($1, $2, $3, $4)",
        ))
        .bind(name)
        .bind(version)
        .bind(sealed.to_vec())
        .bind(now_ns()?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(u64::try_from(version).unwrap_or(0))
    }

    /// The latest version of `name` and its sealed bytes, if any was saved.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn latest(&self, name: &str) -> Result<Option<(u64, Vec<u8>)>> {
        self.fetch(
            "SELECT version, sealed FROM privkit_keysets WHERE name = $1 \
             ORDER BY version DESC LIMIT 1",
            name,
            None,
        )
        .await
    }

    /// Version `version` of `name`, if it is stored.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn get(&self, name: &str, version: u64) -> Result<Option<(u64, Vec<u8>)>> {
        self.fetch(
            "SELECT version, sealed FROM privkit_keysets WHERE name = $1 AND version = $2",
            name,
            Some(version),
        )
        .await
    }

    async fn fetch(
        &self,
        sql: &str,
        name: &str,
        version: Option<u64>,
    ) -> Result<Option<(u64, Vec<u8>)>> {
        let sql = self.db.sql(sql);
        let mut q = sqlx::query(&sql).bind(name);
        if let Some(v) = version {
            q = q.bind(i64::try_from(v).unwrap_or(i64::MAX));
        }
        let Some(row) = q.fetch_optional(self.db.pool()).await? else {
            return Ok(None);
        };
        let version: i64 = row.try_get(0)?;
        let version = u64::try_from(version).map_err(|_| Error::Corrupt {
            table: KEYSETS,
            detail: format!("version {version}"),
        })?;
        Ok(Some((version, row.try_get(1)?)))
    }

    /// Deletes all but the `keep` latest versions of `name`; returns how many went.
    /// Deleting old versions does not erase what they protected from backups of this
    /// table.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn prune(&self, name: &str, keep: u32) -> Result<u64> {
        let done = sqlx::query(&self.db.sql(
            "DELETE FROM privkit_keysets WHERE name = $1 AND version <= \
             (SELECT COALESCE(MAX(version), 0) FROM privkit_keysets WHERE name = $2) - $3",
        ))
        .bind(name)
        .bind(name)
        .bind(i64::from(keep))
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected())
    }
}

/// One key of a re-wrap page: as the arguments of [`SubjectKeyTable::rewrap`].
pub(crate) struct Rewrap<'a> {
    pub(crate) subject: &'a SubjectId,
    pub(crate) key_id: u32,
    pub(crate) old_wrapping_key: &'a str,
    pub(crate) wrapped: Vec<u8>,
    pub(crate) wrapping_key: String,
}

/// The compare-and-swap update of one re-wrap: only a live key still under the old
/// wrapping key changes.
const REWRAP_SQL: &str = "UPDATE privkit_subject_keys SET wrapped = $1, wrapping_key = $2 \
     WHERE subject = $3 AND key_id = $4 AND wrapping_key = $5 AND wrapped IS NOT NULL";
