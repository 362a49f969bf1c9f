//! Beacon (blind index) columns in the application's own tables.

use privkit::pseudonym::{BeaconQuery, CompoundBeacon, Lookup, StandardBeacon};
use sqlx::Row;

use crate::db::{Backend, Database, check_identifier};
use crate::{Error, Result};

/// Where the encrypted rows are: the table, its integer key column and the ciphertext
/// column that decryption filters read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedColumn {
    pub(crate) table: String,
    pub(crate) key: String,
    pub(crate) ciphertext: String,
}

impl EncryptedColumn {
    /// Rows of `table`, keyed by the `BIGINT`/`INTEGER` column `key`, with the encrypted
    /// value in the `BLOB`/`BYTEA` column `ciphertext`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless every name is `[a-z_][a-z0-9_]*`, at most 63
    /// bytes (privkit builds its statements from them).
    pub fn new(table: &str, key: &str, ciphertext: &str) -> Result<Self> {
        check_identifier("table", table)?;
        check_identifier("key column", key)?;
        check_identifier("ciphertext column", ciphertext)?;
        Ok(Self {
            table: table.to_owned(),
            key: key.to_owned(),
            ciphertext: ciphertext.to_owned(),
        })
    }
}

/// Adds `column` of `sql_type` to `table` unless it exists, and indexes it.
async fn ensure_column(db: &Database, table: &str, column: &str, sql_type: &str) -> Result<()> {
    let exists = match db.backend() {
        Backend::Sqlite => {
            sqlx::query("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2")
                .bind(table)
                .bind(column)
                .fetch_optional(db.pool())
                .await?
        }
        Backend::Postgres => {
            sqlx::query(
                "SELECT 1 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
            )
            .bind(table)
            .bind(column)
            .fetch_optional(db.pool())
            .await?
        }
    }
    .is_some();
    if !exists {
        sqlx::query(&format!(
            "ALTER TABLE {table} ADD COLUMN {column} {sql_type}"
        ))
        .execute(db.pool())
        .await?;
    }
    sqlx::query(&format!(
        "CREATE INDEX IF NOT EXISTS {table}_{column}_beacon ON {table} ({column})"
    ))
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Fetches `(key, ciphertext)` of the rows matching `condition` (with `$1`..), binding
/// `params`.
async fn fetch_candidates<P>(
    db: &Database,
    rows: &EncryptedColumn,
    condition: &str,
    params: &[P],
) -> Result<Vec<(i64, Vec<u8>)>>
where
    P: Clone + Send + Sync + for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    let sql = format!(
        "SELECT {key}, {ct} FROM {table} WHERE {condition}",
        key = rows.key,
        ct = rows.ciphertext,
        table = rows.table
    );
    let sql = db.sql(&sql);
    let mut q = sqlx::query(&sql);
    for p in params {
        q = q.bind(p.clone());
    }
    let found = q.fetch_all(db.pool()).await?;
    found
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Vec<u8>, _>(1)?)))
        .collect()
}

/// A standard beacon stored in an integer column of the application's table
/// (`email_beacon BIGINT`, indexed), and the lookups that use it.
///
/// Writing: store [`value`](Self::value) of the plaintext beside its ciphertext. Reading:
/// [`find`](Self::find) asks the database for the rows whose beacon is one of the
/// lookup's, decrypts each candidate with the caller's function and returns the keys of
/// the rows that really hold the value: a beacon's false positives never reach the
/// caller.
#[derive(Clone, Debug)]
pub struct BeaconColumn {
    beacon: StandardBeacon,
    column: String,
}

impl BeaconColumn {
    /// `beacon` stored in `column`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `column` is `[a-z_][a-z0-9_]*`, at most 63 bytes.
    pub fn new(beacon: StandardBeacon, column: &str) -> Result<Self> {
        check_identifier("beacon column", column)?;
        Ok(Self {
            beacon,
            column: column.to_owned(),
        })
    }

    /// The beacon.
    #[must_use]
    pub fn beacon(&self) -> &StandardBeacon {
        &self.beacon
    }

    /// The column.
    #[must_use]
    pub fn column(&self) -> &str {
        &self.column
    }

    /// Adds the column (`BIGINT`) to `table` unless it is there, and an index on it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad table name; [`Error::Database`].
    pub async fn ensure(&self, db: &Database, table: &str) -> Result<()> {
        check_identifier("table", table)?;
        ensure_column(db, table, &self.column, "BIGINT").await
    }

    /// The value to store for `plaintext`: its beacon in a random partition (partition
    /// 0 for an unpartitioned beacon), as a signed integer (beacons are below 2^63).
    ///
    /// # Errors
    /// [`Error::Privkit`] if the random generator fails.
    pub fn value(&self, plaintext: &str) -> Result<i64> {
        let partition = self.beacon.random_partition()?;
        Ok(as_i64(self.beacon.value_in(plaintext, partition)?))
    }

    /// The SQL condition `column IN ($first, ...)` for `lookup`, and the values to bind
    /// in that order, for the application's own queries.
    #[must_use]
    pub fn condition(&self, lookup: &Lookup, first: usize) -> (String, Vec<i64>) {
        let values: Vec<i64> = lookup.values().iter().map(|&v| as_i64(v)).collect();
        let marks: Vec<String> = (0..values.len())
            .map(|i| format!("${}", first + i))
            .collect();
        (format!("{} IN ({})", self.column, marks.join(", ")), values)
    }

    /// The rows of `rows` whose beacon matches `value`: `(key, ciphertext)`, false
    /// positives included.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn candidates(
        &self,
        db: &Database,
        rows: &EncryptedColumn,
        value: &str,
    ) -> Result<Vec<(i64, Vec<u8>)>> {
        let (condition, params) = self.condition(&self.beacon.lookup(value), 1);
        fetch_candidates(db, rows, &condition, &params).await
    }

    /// The keys of the rows of `rows` that hold `value`: the beacon's candidates,
    /// decrypted by `decrypt(key, ciphertext)` and compared with `value` after the
    /// beacon's normalization. In key order.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Privkit`] from `decrypt` (a candidate that does not
    /// decrypt is an error, not a miss: it means a wrong key or tampering).
    pub async fn find(
        &self,
        db: &Database,
        rows: &EncryptedColumn,
        value: &str,
        mut decrypt: impl FnMut(i64, &[u8]) -> privkit::Result<Vec<u8>>,
    ) -> Result<Vec<i64>> {
        self.find_async(db, rows, value, async |key, ciphertext| {
            Ok(decrypt(key, ciphertext)?)
        })
        .await
    }

    /// As [`find`](Self::find), with a decryption that awaits: each candidate's key may
    /// have to be loaded first, as for erasable fields, whose subject key comes from an
    /// [`ErasableStore`](crate::ErasableStore):
    ///
    /// ```no_run
    /// # async fn lookup(
    /// #     db: &privkit_sqlx::Database,
    /// #     store: &privkit_sqlx::ErasableStore,
    /// #     column: &privkit_sqlx::BeaconColumn,
    /// # ) -> Result<Vec<i64>, privkit_sqlx::Error> {
    /// use privkit::retention::SubjectId;
    /// use privkit_sqlx::EncryptedColumn;
    ///
    /// let rows = EncryptedColumn::new("customers", "id", "email_ct")?;
    /// column
    ///     .find_async(db, &rows, "ada@example.com", async |id, ct| {
    ///         let subject = SubjectId::new(&format!("customer-{id}"))?;
    ///         let cipher = store.existing_cipher(&subject).await?;
    ///         Ok(cipher.decrypt(ct, &id.to_be_bytes())?)
    ///     })
    ///     .await
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Database`]; whatever `decrypt` returns (a candidate that does not decrypt,
    /// or whose subject was erased, is an error, not a miss).
    pub async fn find_async(
        &self,
        db: &Database,
        rows: &EncryptedColumn,
        value: &str,
        mut decrypt: impl AsyncFnMut(i64, &[u8]) -> Result<Vec<u8>>,
    ) -> Result<Vec<i64>> {
        let lookup = self.beacon.lookup(value);
        let (condition, params) = self.condition(&lookup, 1);
        let mut keys = Vec::new();
        for (key, ciphertext) in fetch_candidates(db, rows, &condition, &params).await? {
            if lookup.matches_bytes(&decrypt(key, &ciphertext).await?) {
                keys.push(key);
            }
        }
        keys.sort_unstable();
        Ok(keys)
    }
}

/// Beacons are below 2^63 (at most 63 bits), so they fit a signed 64-bit column.
fn as_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A compound beacon stored in a text column of the application's table
/// (`name_beacon TEXT`, indexed), with lookups by whole value or by leading parts.
#[derive(Clone, Debug)]
pub struct CompoundColumn {
    beacon: CompoundBeacon,
    column: String,
}

impl CompoundColumn {
    /// `beacon` stored in `column`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `column` is `[a-z_][a-z0-9_]*`, at most 63 bytes.
    pub fn new(beacon: CompoundBeacon, column: &str) -> Result<Self> {
        check_identifier("compound beacon column", column)?;
        Ok(Self {
            beacon,
            column: column.to_owned(),
        })
    }

    /// The compound beacon.
    #[must_use]
    pub fn beacon(&self) -> &CompoundBeacon {
        &self.beacon
    }

    /// Adds the column (`TEXT`) to `table` unless it is there, and an index on it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad table name; [`Error::Database`].
    pub async fn ensure(&self, db: &Database, table: &str) -> Result<()> {
        check_identifier("table", table)?;
        ensure_column(db, table, &self.column, "TEXT").await
    }

    /// The rows matching `query`: equal to its value when `prefix` is false, starting
    /// with its parts when true (`(key, ciphertext)`, false positives included: the
    /// caller decrypts and checks the fields it asked for).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an exact lookup on a query that is not a whole
    /// value; [`Error::Database`].
    pub async fn candidates(
        &self,
        db: &Database,
        rows: &EncryptedColumn,
        query: &BeaconQuery,
        prefix: bool,
    ) -> Result<Vec<(i64, Vec<u8>)>> {
        if prefix {
            let p = query.prefix();
            let condition = format!(
                "({c} = $1 OR substr({c}, 1, {n}) = $2)",
                c = self.column,
                n = p.chars().count()
            );
            fetch_candidates(db, rows, &condition, &[query.value().to_owned(), p]).await
        } else {
            if !query.is_complete() {
                return Err(Error::InvalidArgument(format!(
                    "compound beacon `{}`: the parts asked for are not a whole value; look \
                     them up by prefix",
                    self.beacon.name()
                )));
            }
            let condition = format!("{} = $1", self.column);
            fetch_candidates(db, rows, &condition, &[query.value().to_owned()]).await
        }
    }
}
