//! privkit's stores in a SQL database, through [sqlx](https://docs.rs/sqlx): the consent
//! ledger, beacon (blind index) columns, wrapped subject keys with erasure as one
//! transaction, and sealed keysets, on SQLite (the embedded default) and PostgreSQL.
//!
//! # Use case
//! A service that protects customer data with privkit keeps its state where its data is:
//! consent events that survive restarts and are shared by every instance, lookups by
//! e-mail over encrypted rows, subject keys whose destruction erases a customer, and the
//! keysets it loads at start.
//!
//! # How it works
//! - [`Database`] is one pool (SQLite or PostgreSQL, chosen by the URL), passed to every
//!   store explicitly. [`Database::migrate`] creates privkit's tables from numbered SQL
//!   files (`migrations/sqlite/`, `migrations/postgres/`), recorded in sqlx's
//!   `_sqlx_migrations`.
//! - [`ConsentStore`]: `privkit::retention::ConsentLedger` as a table; the same purpose
//!   checks and the same answers, computed by the database.
//! - [`BeaconColumn`] and [`CompoundColumn`]: a `privkit::pseudonym::StandardBeacon` or
//!   `CompoundBeacon` in a column of the application's own table; [`BeaconColumn::find`]
//!   returns exactly the rows holding a value (the database finds the candidates,
//!   decryption filters the beacon's false positives), and
//!   [`BeaconColumn::find_async`] does the same for erasable fields, whose subject keys
//!   are loaded from an [`ErasableStore`] as the candidates come.
//! - [`SubjectKeyTable`]: wrapped per-subject keys (opaque bytes made by the core),
//!   race-free creation, compare-and-swap re-wrap, resumable sweeps by wrapping key, and
//!   [`Erasure`]: the subject's row deletes and the key's destruction in one transaction.
//! - [`KeysetTable`]: sealed keysets by name and version.
//! - [`ErasableStore`]: erasable fields (`privkit::retention::SubjectCipher`) with their
//!   subject keys in `privkit_subject_keys`: one query per subject, then cached handles;
//!   erasure deletes rows and destroys the key in one transaction and evicts the handle.
//! - [`ColumnSweep`]: a rotation sweep over an encrypted column, one transaction per batch
//!   with its cursor in `privkit_sweeps`, resumable after a crash.
//!
//! Statements are built from privkit's own text and from identifiers checked as
//! `[a-z_][a-z0-9_]*`; every value is bound, never formatted into SQL.
//!
//! # Errors
//! [`Error`]: the database's errors ([`Error::Database`], [`Error::Migration`]), privkit's
//! ([`Error::Privkit`]: a misspelled purpose, an invalid subject id), rows privkit cannot
//! read ([`Error::Corrupt`], naming the table) and invalid arguments.
//!
//! # Security
//! - Beacon columns leak what the beacons' lengths allow (see `privkit::pseudonym`,
//!   "Beacons"); the ciphertext columns leak lengths.
//! - Consent events are personal data with their own retention; an [`Erasure`] deletes
//!   them only if asked (`delete_rows("privkit_consent", "subject")`), because they are
//!   also the evidence that consent was given (GDPR Art. 7(1)).
//! - Destroying a subject key clears its wrapped material in the table; the database's
//!   write-ahead log, free pages, replicas and backups may keep the wrapped bytes for a
//!   while. They stay unreadable while the wrapping key is safe: rotate and destroy
//!   wrapping keys on a schedule shorter than backup retention.
//! - [`Database::connect`] installs sqlx's default `Any` drivers; it panics if the
//!   application installed other `Any` drivers itself (sqlx's rule).
//!
//! # Example
//! ```
//! use privkit::jiff::Timestamp;
//! use privkit::retention::{ConsentRecord, ConsentState, Purpose, SubjectId};
//! use privkit_sqlx::{ConsentStore, Database};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), privkit_sqlx::Error> {
//! # let dir = std::env::temp_dir().join(format!("privkit-sqlx-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).map_err(privkit::Error::from)?;
//! # let url = format!("sqlite://{}/consent.db?mode=rwc", dir.display());
//! let db = Database::connect(&url).await?; // or postgres://...
//! db.migrate().await?;
//! let consent = ConsentStore::new(&db, [Purpose::new("newsletter")?]);
//! let alice = SubjectId::new("customer-42")?;
//! consent
//!     .record(&ConsentRecord::new(
//!         alice.clone(),
//!         Purpose::new("newsletter")?,
//!         ConsentState::Granted,
//!         "2026-03-01T10:00:00Z".parse().map_err(|_| privkit::Error::Malformed("time"))?,
//!         "privacy-v3",
//!         "signup-form",
//!     ))
//!     .await?;
//! assert!(consent.may_process(&alice, "newsletter", Timestamp::now()).await?);
//! // A misspelled purpose is refused, not answered "no".
//! assert!(consent.may_process(&alice, "newsleter", Timestamp::now()).await.is_err());
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod beacon;
mod consent;
mod db;
mod erasable;
mod error;
mod keys;
mod source;
mod sweep;

pub use beacon::{BeaconColumn, CompoundColumn, EncryptedColumn};
pub use consent::ConsentStore;
pub use db::{Backend, Database};
pub use erasable::ErasableStore;
pub use error::{Error, Result};
pub use keys::{
    Erasure, ErasureReport, KeysetTable, SubjectKeyState, SubjectKeyTable, WrappedSubjectKey,
};
pub use source::SqlSource;
pub use sweep::ColumnSweep;
