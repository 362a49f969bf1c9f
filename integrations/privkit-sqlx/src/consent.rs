//! The consent ledger in a table: `privkit_consent`.

use privkit::jiff::Timestamp;
use privkit::retention::{ConsentLedger, ConsentRecord, Purpose, Schedule, SubjectId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Database, from_ns, to_ns};
use crate::{Error, Result};

const TABLE: &str = "privkit_consent";
const COLUMNS: &str = "subject, purpose, state, at_ns, policy_version, source";

/// The consent ledger of [`privkit::retention::ConsentLedger`], stored: every event is a
/// row, and questions are answered by the database, so that the ledger survives restarts
/// and is shared by every instance of a service.
///
/// Like the in-memory ledger it knows the purposes it records, and refuses any other
/// (a misspelled purpose is an error, not "no consent"). Events at the same instant are
/// ordered by recording: the later one counts.
#[derive(Clone, Debug)]
pub struct ConsentStore {
    db: Database,
    /// An empty ledger that holds the purposes: it checks every purpose the way the
    /// in-memory ledger does, with the same messages.
    purposes: ConsentLedger,
}

impl ConsentStore {
    /// A store for consent to `purposes` in `db` (migrated: [`Database::migrate`]).
    #[must_use]
    pub fn new(db: &Database, purposes: impl IntoIterator<Item = Purpose>) -> Self {
        Self {
            db: db.clone(),
            purposes: ConsentLedger::new(purposes),
        }
    }

    /// A store for the purposes of `schedule` that rest on consent.
    #[must_use]
    pub fn for_schedule(db: &Database, schedule: &Schedule) -> Self {
        Self {
            db: db.clone(),
            purposes: ConsentLedger::for_schedule(schedule),
        }
    }

    /// Appends an event.
    ///
    /// # Errors
    /// [`Error::Privkit`] for a purpose the store does not record;
    /// [`Error::InvalidArgument`] for a time outside 1678 to 2261; [`Error::Database`].
    pub async fn record(&self, record: &ConsentRecord) -> Result<()> {
        self.purposes.check_purpose(record.purpose().as_str())?;
        let sql = format!("INSERT INTO {TABLE} ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)");
        sqlx::query(&self.db.sql(&sql))
            .bind(record.subject().as_str())
            .bind(record.purpose().as_str())
            .bind(record.state().as_str())
            .bind(to_ns(record.at())?)
            .bind(record.policy_version())
            .bind(record.source())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// The event in force for `subject` and `purpose` at `at`, if any.
    ///
    /// # Errors
    /// [`Error::Privkit`] for a purpose the store does not record; [`Error::Database`];
    /// [`Error::Corrupt`] for a row privkit did not write.
    pub async fn state_at(
        &self,
        subject: &SubjectId,
        purpose: &str,
        at: Timestamp,
    ) -> Result<Option<ConsentRecord>> {
        self.purposes.check_purpose(purpose)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM {TABLE} WHERE subject = $1 AND purpose = $2 AND at_ns <= $3 \
             ORDER BY at_ns DESC, seq DESC LIMIT 1"
        );
        let row = sqlx::query(&self.db.sql(&sql))
            .bind(subject.as_str())
            .bind(purpose)
            .bind(to_ns(at)?)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| record_of(&r)).transpose()
    }

    /// Whether consent for `purpose` stands for `subject` at `at`.
    ///
    /// # Errors
    /// As [`state_at`](Self::state_at).
    pub async fn may_process(
        &self,
        subject: &SubjectId,
        purpose: &str,
        at: Timestamp,
    ) -> Result<bool> {
        Ok(self
            .state_at(subject, purpose, at)
            .await?
            .is_some_and(|r| r.state() == privkit::retention::ConsentState::Granted))
    }

    /// Every event of `subject`, by purpose, in time order.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`].
    pub async fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {TABLE} WHERE subject = $1 ORDER BY purpose, at_ns, seq"
        );
        let rows = sqlx::query(&self.db.sql(&sql))
            .bind(subject.as_str())
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(record_of).collect()
    }

    /// The whole table as an in-memory [`ConsentLedger`] (for a batch retention sweep
    /// that asks many questions): the events in recording order, so ties resolve as
    /// they do here.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`] for a row privkit did not write or a
    /// purpose the store no longer records.
    pub async fn load_ledger(&self) -> Result<ConsentLedger> {
        let sql = format!("SELECT {COLUMNS} FROM {TABLE} ORDER BY seq");
        let rows = sqlx::query(&sql).fetch_all(self.db.pool()).await?;
        let mut ledger = self.purposes.clone();
        for row in &rows {
            ledger.record(record_of(row)?).map_err(|e| Error::Corrupt {
                table: TABLE,
                detail: e.to_string(),
            })?;
        }
        Ok(ledger)
    }

    /// Number of events stored.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn len(&self) -> Result<u64> {
        let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {TABLE}"))
            .fetch_one(self.db.pool())
            .await?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn record_of(row: &AnyRow) -> Result<ConsentRecord> {
    let corrupt = |detail: String| Error::Corrupt {
        table: TABLE,
        detail,
    };
    let subject: String = row.try_get("subject")?;
    let purpose: String = row.try_get("purpose")?;
    let state: String = row.try_get("state")?;
    let at: i64 = row.try_get("at_ns")?;
    let policy_version: String = row.try_get("policy_version")?;
    let source: String = row.try_get("source")?;
    Ok(ConsentRecord::new(
        SubjectId::new(&subject).map_err(|e| corrupt(e.to_string()))?,
        Purpose::new(&purpose).map_err(|e| corrupt(e.to_string()))?,
        state
            .parse()
            .map_err(|e: privkit::Error| corrupt(e.to_string()))?,
        from_ns(TABLE, at)?,
        &policy_version,
        &source,
    ))
}
