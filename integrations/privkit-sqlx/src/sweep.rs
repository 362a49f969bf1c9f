//! Rotation sweeps over a table column, committed in batches with their cursor.

use privkit::keyset::{Keyset, RotationSweep, RowOutcome, SweepCursor, SweepReport};
use sqlx::Row;

use crate::beacon::EncryptedColumn;
use crate::db::{Database, now_ns};
use crate::{Error, Result};

const SWEEPS: &str = "privkit_sweeps";

/// A named rotation sweep over an encrypted column: re-encrypts every row still under
/// an old key of a keyset under its primary ([`privkit::keyset::RotationSweep`]), in
/// batches of `batch_size` rows, each batch one transaction that also stores the cursor
/// and counts in `privkit_sweeps`. Killed at any point, the table holds whole batches:
/// every row is under the old key or the new one (both still in the keyset), and
/// [`run`](Self::run) resumes after the last committed batch.
///
/// A row the application rewrote meanwhile is left as it is (the update is a
/// compare-and-swap on the old ciphertext), so the sweep can run beside live traffic.
/// Disable or destroy the old key only after a sweep finished with no failures.
#[derive(Clone, Debug)]
pub struct ColumnSweep {
    db: Database,
    name: String,
    rows: EncryptedColumn,
    batch_size: u32,
}

impl ColumnSweep {
    /// The sweep `name` (its row in `privkit_sweeps`) over `rows`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name or a batch size of 0.
    pub fn new(db: &Database, name: &str, rows: EncryptedColumn, batch_size: u32) -> Result<Self> {
        if name.is_empty() {
            return Err(Error::InvalidArgument(
                "sweep name must not be empty".into(),
            ));
        }
        if batch_size == 0 {
            return Err(Error::InvalidArgument(
                "sweep batch size must be at least 1 (got 0)".into(),
            ));
        }
        Ok(Self {
            db: db.clone(),
            name: name.to_owned(),
            rows,
            batch_size,
        })
    }

    /// The committed cursor and counts (the start and zeros if the sweep never ran).
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`].
    pub async fn state(&self) -> Result<(SweepCursor<i64>, SweepReport)> {
        let row = sqlx::query(&self.db.sql(
            "SELECT cursor_key, rotated, skipped, failed FROM privkit_sweeps WHERE name = $1",
        ))
        .bind(self.name.as_str())
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else {
            return Ok((SweepCursor::start(), SweepReport::default()));
        };
        let cursor: Option<i64> = row.try_get(0)?;
        let count = |i: usize| -> Result<u64> {
            let n: i64 = row.try_get(i)?;
            u64::try_from(n).map_err(|_| Error::Corrupt {
                table: SWEEPS,
                detail: format!("negative count {n}"),
            })
        };
        Ok((
            cursor.map_or_else(SweepCursor::start, SweepCursor::after),
            SweepReport::new(count(1)?, count(2)?, count(3)?),
        ))
    }

    /// Forgets the sweep's progress, so that the next run starts over (after the keyset
    /// rotated again).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn reset(&self) -> Result<()> {
        sqlx::query(&self.db.sql("DELETE FROM privkit_sweeps WHERE name = $1"))
            .bind(self.name.as_str())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Runs one batch from the committed cursor; returns the counts after it and whether
    /// the sweep reached the end of the table. `aad` gives a row's associated data from
    /// its key (what it was encrypted with).
    ///
    /// # Errors
    /// [`Error::Database`] (the batch is then rolled back); [`Error::Privkit`] from the
    /// keyset when encrypting.
    pub async fn run_batch(
        &self,
        keyset: &Keyset,
        aad: impl Fn(i64) -> Vec<u8>,
    ) -> Result<(SweepReport, bool)> {
        let (cursor, report) = self.state().await?;
        let after = cursor.last().copied();
        let EncryptedColumn {
            table,
            key,
            ciphertext,
        } = &self.rows;
        let rows = sqlx::query(&self.db.sql(&format!(
            "SELECT {key}, {ciphertext} FROM {table} WHERE {key} > $1 ORDER BY {key} LIMIT $2"
        )))
        .bind(after.unwrap_or(i64::MIN))
        .bind(i64::from(self.batch_size))
        .fetch_all(self.db.pool())
        .await?;
        let mut sweep = RotationSweep::resume(keyset, cursor, report);
        let mut tx = self.db.pool().begin().await?;
        let update =
            format!("UPDATE {table} SET {ciphertext} = $1 WHERE {key} = $2 AND {ciphertext} = $3");
        let update = self.db.sql(&update);
        for row in &rows {
            let id: i64 = row.try_get(0)?;
            let old: Vec<u8> = row.try_get(1)?;
            if let RowOutcome::Rotated(new) = sweep.row(id, &old, &aad(id))? {
                sqlx::query(&update)
                    .bind(new)
                    .bind(id)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let report = sweep.report();
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        sqlx::query(&self.db.sql(
            "INSERT INTO privkit_sweeps (name, cursor_key, rotated, skipped, failed, updated_ns) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET \
             cursor_key = excluded.cursor_key, rotated = excluded.rotated, \
             skipped = excluded.skipped, failed = excluded.failed, updated_ns = excluded.updated_ns",
        ))
        .bind(self.name.as_str())
        .bind(sweep.cursor().last().copied())
        .bind(signed(report.rotated))
        .bind(signed(report.skipped))
        .bind(signed(report.failed))
        .bind(now_ns()?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let done = rows.len() < usize::try_from(self.batch_size).unwrap_or(usize::MAX);
        Ok((report, done))
    }

    /// Runs batches until the end of the table; returns the counts of the whole sweep
    /// (across resumptions).
    ///
    /// # Errors
    /// As [`run_batch`](Self::run_batch).
    pub async fn run(&self, keyset: &Keyset, aad: impl Fn(i64) -> Vec<u8>) -> Result<SweepReport> {
        loop {
            let (report, done) = self.run_batch(keyset, &aad).await?;
            if done {
                return Ok(report);
            }
        }
    }
}
