//! Customer control and transparency: a data map, subject requests executed across a
//! dataset graph, and the privacy notice and records of processing rendered from the
//! same types.
//!
//! # Use case
//! A customer asks "what do you hold about me?", "delete me", "stop selling my data".
//! Under GDPR (Art. 12-22) and CCPA (1798.100-1798.135) the service must answer within
//! a deadline, completely, with the exceptions it can justify, and publish a notice
//! that says what it collects, why, on which legal basis, for how long and with whom it
//! shares it. This module answers from one description of the data, so the published
//! policy cannot drift from the enforced one.
//!
//! # How it works
//! - **Data map** ([`DataMap`]): systems, datasets, tables and fields; each field
//!   labelled with a data category of the fideslang taxonomy (bundled:
//!   [`Taxonomy::fideslang`], CC BY 4.0, [`FIDESLANG_ATTRIBUTION`]), its purposes
//!   (fideslang data uses, declared in the retention [`Schedule`] with a GDPR Art. 6
//!   [`LegalBasis`]), its identity kind, beacon column, encryption, references and
//!   erasure strategy ([`ErasureStrategy`]); recipients ([`Processor`]) with contract
//!   (Art. 28), country and transfer basis (Art. 44-49, [`TransferBasis`]). Validation
//!   refuses a map with an uncategorized field, a purpose without a legal basis, a
//!   category no retention rule covers, a recipient without a contract or, outside the
//!   EEA, without a transfer basis, and names the field. `DataMap::from_toml` (feature
//!   `toml`) and `DataMap::from_json` (feature `json`) read it with line numbers.
//! - **Requests** ([`Request`]): access, portability, rectification, erasure,
//!   restriction, objection, CCPA opt-out of sale and sharing (also from a Global
//!   Privacy Control header, [`gpc_signal`]). Each has a status, a deadline on the
//!   calendar ([`Regime::deadline`]: GDPR one month, extendable by two; CCPA 45 days,
//!   extendable by 45) and a receipt in the audit log per step
//!   (`rights.request.received`, `verified`, `extended`, `completed`, `refused`).
//!   Identity verification is the service's ([`IdentityVerifier`]); unverified
//!   requests are not executed.
//! - **Execution** ([`Executor`]) over a [`DataSource`] (async; `privkit-sqlx`
//!   implements it for SQLite and PostgreSQL, [`MemorySource`] ships): rows holding one
//!   of the subject's identities (encrypted identities through their beacon, false
//!   positives filtered by decryption), then rows whose reference fields point at rows
//!   found, until nothing new is found. Access decrypts through the service's
//!   [`FieldCipher`] ([`KeysetCipher`] ships). Erasure applies each field's strategy
//!   (delete, null, mask, pseudonymize, crypto-shred, redact) unless a legal hold in
//!   force or a legal-obligation retention rule keeps it, deletes rows whose every
//!   field goes, nulls the beacons of erased identities, and then scans what is left of
//!   the subject ([`TextScanner`]; `detect::Scanner` with feature `detect`) and reports
//!   residual personal data ([`ErasureReport`]). Restriction, objection and opt-out
//!   become consent withdrawals ([`apply_preference`]).
//! - **Transparency**: [`DataMap::privacy_notice_markdown`],
//!   [`DataMap::privacy_notice_html`], [`DataMap::records_of_processing_csv`] and
//!   [`DataMap::records_of_processing_json`] (Art. 30),
//!   [`DataMap::ccpa_disclosure_markdown`], all from the map and its schedule;
//!   [`AccessPackage::to_json`] is the machine-readable package.
//!
//! # Errors
//! - [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a map that does not
//!   validate (every problem listed, each naming the field, e.g. ``field
//!   `customers.email` (tables[0].fields[1]): `user.contact.emial` is not a data
//!   category``), ill-formed identities and keywords;
//! - [`Error::Parse`](crate::Error::Parse) from the loaders, with the line;
//! - [`Error::InvalidOperation`](crate::Error::InvalidOperation) for executing an
//!   unverified request, a second extension, a strategy whose tool (cipher,
//!   pseudonymizer, shredder, scanner) was not given, an objection Art. 21 does not
//!   cover;
//! - the source's, the cipher's ([`Error::DecryptionFailed`](crate::Error::DecryptionFailed))
//!   and the audit sink's.
//!
//! # Security
//! - The access package holds decrypted personal data: deliver it to the verified
//!   requester only, over an authenticated channel. Verification is the service's job.
//! - Audit receipts carry the request id, kind, deadline, the subject's keyed pseudonym
//!   and counts, never identities or values.
//! - Finding records is as complete as the map: data in columns or tables it does not
//!   list, in backups, caches, logs and processors' systems is not reached. The
//!   residual scan covers the subject's remaining rows; detection misses what it has no
//!   recognizer for (see `detect`). Crypto-shredding is only as final as the key store
//!   (see `retention`).
//! - References are followed from the referenced row to the referring rows only (a
//!   customer to their orders), never back from a referring row to other rows it points
//!   to, which could belong to other people.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use privkit::audit::{Auditor, MemoryLog, SubjectPseudonymizer};
//! use privkit::retention::{LegalBasis, Purpose, Rule, Schedule, SubjectId};
//! use privkit::rights::*;
//! use privkit::secret::SecretBytes;
//!
//! let schedule = Schedule::builder()
//!     .purpose(Purpose::new("essential.service")?, LegalBasis::Contract)
//!     .rule(Rule::new("accounts", "user", "essential.service", "P1Y", "contract_end", "delete")?)
//!     .build()?;
//! let field = |name: &str, category: &str| Field {
//!     name: name.into(), category: category.into(), ..Field::default()
//! };
//! let mut email = field("email", "user.contact.email");
//! email.identity = Some(IdentityKind::new("email")?);
//! let parts = DataMapParts {
//!     controller: Controller { name: "Shop".into(), contact: "privacy@shop.example".into(), ..Default::default() },
//!     systems: vec![System { key: "shop".into(), name: "Shop".into(), ..Default::default() }],
//!     datasets: vec![Dataset { key: "db".into(), system: "shop".into(), ..Default::default() }],
//!     tables: vec![Table {
//!         dataset: "db".into(), name: "customers".into(), primary_key: "id".into(),
//!         subjects: vec!["customer".into()], purposes: vec!["essential.service".into()],
//!         source: "you".into(), rows: RowErasure::Delete,
//!         fields: vec![field("id", "user.unique_id"), email],
//!         ..Default::default()
//!     }],
//!     erasure: vec![ErasureRule { categories: "*".parse()?, strategy: ErasureStrategy::Delete }],
//!     processors: vec![],
//! };
//! let map = DataMap::new(parts, schedule, Taxonomy::fideslang()?)?;
//! assert!(map.privacy_notice_markdown().contains("1 year after contract end, then deleted"));
//!
//! let db = MemorySource::new();
//! db.create_table("customers", &["id", "email"])?;
//! db.insert("customers", vec![Value::Integer(1), Value::Text("ada@example.com".into())])?;
//!
//! let log = Arc::new(MemoryLog::new());
//! let names = Arc::new(SubjectPseudonymizer::new(&SecretBytes::from_slice(&[9; 32]))?);
//! let auditor = Auditor::new(log.clone(), names, "privacy-desk");
//! struct Verified;
//! impl IdentityVerifier for Verified {
//!     fn verify(&self, _: &Request) -> privkit::Result<SubjectId> { SubjectId::new("customer-1") }
//! }
//! let ids = Identities::new().with("email", "ada@example.com")?;
//! let mut request = Request::receive("r-1", RequestKind::Erasure, Regime::Gdpr, ids,
//!     auditor.now(), map.schedule().time_zone(), &auditor)?;
//! request.verify(&Verified, &auditor)?;
//! // Any async executor runs it; MemorySource's futures are ready at once.
//! let rt = tokio::runtime::Builder::new_current_thread().build().map_err(privkit::Error::from)?;
//! let report = rt.block_on(Executor::new(&map, &db, &auditor).erase(&request, &[]))?;
//! assert_eq!(report.erased.len(), 1); // the row
//! assert!(db.rows("customers")?.is_empty());
//! request.complete(&[("rows_erased", "1".into())], &auditor)?;
//! assert_eq!(request.receipts().len(), 3); // received, verified, completed
//! # Ok::<(), privkit::Error>(())
//! ```
//!
//! [`Schedule`]: crate::retention::Schedule
//! [`LegalBasis`]: crate::retention::LegalBasis

#[cfg(any(feature = "toml", feature = "json"))]
mod config;
mod execute;
mod map;
mod notice;
mod request;
mod source;
mod taxonomy;

pub use execute::{
    AccessPackage, ErasureReport, Executor, Located, Outcome, PackageTable, Preference, Residual,
    Shredder, TextScanner, apply_preference,
};
pub use map::{
    Controller, DataMap, DataMapParts, Dataset, EEA_COUNTRIES, ErasureRule, ErasureStrategy, Field,
    IdentityKind, MAX_FIELDS, MAX_TABLES, Processor, RecipientRole, RowErasure, System, Table,
    TransferBasis,
};
pub use notice::Activity;
pub use request::{
    Identities, IdentityVerifier, Receipt, Regime, Request, RequestKind, Status, gpc_signal,
};
pub use source::{DataSource, FieldCipher, KeysetCipher, MemorySource, Row, Value};
pub use taxonomy::{FIDESLANG_ATTRIBUTION, Label, LabelKind, Taxonomy};
