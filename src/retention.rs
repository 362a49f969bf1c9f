//! Retention policies, legal holds, consent and erasure by key destruction.
//!
//! # Use case
//! Make storage limitation (GDPR Art. 5(1)(e)), erasure (Art. 17), restriction and legal
//! holds (Art. 17(3), 18) and per-category retention disclosures (CCPA) typed, checkable
//! and executable: write the retention schedule once, evaluate every record against it
//! in a sweep, record consent and its withdrawal, and erase a subject's data by
//! destroying the subject's key.
//!
//! # About
//! - **Categories** are dotted hierarchical names ([`Category`], `user.contact.email`); a
//!   rule or hold names a category and covers everything below it ([`Selector`], `*` for
//!   all).
//! - **Purposes** ([`Purpose`]) are declared in the schedule with one of the six legal
//!   bases of GDPR Art. 6(1) ([`LegalBasis`]).
//! - A **rule** ([`Rule`]) says: data in these categories, held for this purpose, is kept
//!   for a [`Period`] after a [`Trigger`] (collected, last activity, contract end, consent
//!   withdrawn, a named event), then an [`Action`] is due (delete, anonymize,
//!   pseudonymize, archive, review). Periods are whole calendar units written as ISO 8601
//!   durations (`P7Y`, `P6M`) or in words (`7 years`) and added with `jiff`'s calendar
//!   arithmetic (month ends clamp, leap days count) in the schedule's time zone.
//! - A **legal hold** ([`LegalHold`]) covers categories or records that list it, from a
//!   day through an optional last day.
//! - A [`Schedule`] holds purposes, rules and holds. Building or deserializing it
//!   validates it and refuses contradictory or unreachable rules, naming them.
//! - An [`Evaluator`] decides records ([`Facts`]) as of one day: [`Verdict::Keep`],
//!   [`Verdict::ActNow`] or [`Verdict::ActAt`], with the deciding rule or hold and a
//!   [`Reason`] for audit logs. [`Evaluator::next_change`] tells when to sweep next.
//!
//! **Precedence** (one rule for every overlap):
//! 1. a legal hold in force always wins: the data is kept;
//! 2. per purpose, the most specific category wins (`user.contact.email` over
//!    `user.contact` over `user` over `*`); at the same category a rule for the purpose
//!    itself beats a `*`-purpose rule;
//! 3. between purposes, data stays while any purpose still needs it: a purpose with no
//!    rule or with a pending trigger keeps the data; otherwise the purpose whose period
//!    ends last decides, and if several end the same day the least destructive action
//!    wins (review < archive < pseudonymize < anonymize < delete).
//!
//! A record with no purpose, or with a purpose no rule covers, is kept and flagged
//! ([`Decision::is_unregulated`]): the schedule has a gap, and deleting data no rule
//! speaks about is not a decision a library should take. Classify records by their most
//! specific category: a rule for `user.contact` does not apply to a record filed as
//! `user`. One rule per categories-and-purpose pair: a lifecycle in stages (archive after
//! a year, delete after seven) is not expressible yet.
//!
//! **Consent**: a [`ConsentLedger`] of [`ConsentRecord`]s answers whether a subject's data
//! may be processed for a purpose at a time, and its withdrawals feed the
//! `consent_withdrawn` trigger.
//!
//! **Crypto-shredding**: [`SubjectVault`] encrypts each subject's data under that
//! subject's own key, kept in a [`SubjectKeyStore`] ([`InMemorySubjectKeyStore`] ships);
//! [`SubjectVault::forget`] destroys the key, after which every ciphertext of that
//! subject fails with [`Error::KeyDestroyed`](crate::Error::KeyDestroyed) or
//! [`Error::DecryptionFailed`](crate::Error::DecryptionFailed).
//!
//! **Erasable fields**: [`ErasableVault`] (or [`ErasableKeys`] in front of an async store,
//! as `privkit-sqlx` does) encrypts every field of a subject under the subject's key, which
//! a keyset wraps ([`SealedSubjectKey`] in a [`SealedKeyStore`]). One [`SubjectCipher`]
//! handle per row serves all of its fields from a bounded cache; forgetting the subject
//! destroys the key and evicts the handle; rotating the wrapping keyset re-wraps subject
//! keys ([`ErasableVault::rewrap_sweep`]) and leaves the fields alone. It lives here, not
//! in `keyset`, because it is about subjects and their erasure; its two ciphertexts are
//! keyset formats (`docs/FORMAT.md` section 9.1).
//!
//! Evaluation is pure computation without I/O. Resolve categories and purposes to ids
//! once ([`Schedule::classify`], [`Schedule::purpose_set`]); an evaluation then allocates
//! nothing and formats its reason only when displayed.
//!
//! # Errors
//! - [`Error::InvalidArgument`](crate::Error::InvalidArgument) for ill-formed names,
//!   periods, triggers, actions, and for a schedule that fails validation (the message
//!   lists every problem and names the rules, e.g. ``rule `a` (rules[0]) and rule `b`
//!   (rules[1]) contradict``).
//! - [`Error::Parse`](crate::Error::Parse) from `Schedule::from_toml` (feature `toml`)
//!   for TOML that does not parse or an entry whose value does not validate, with the
//!   line (for an entry, the line of its `[[rules]]` header).
//! - [`Error::LimitExceeded`](crate::Error::LimitExceeded) for more than 64 purposes,
//!   4096 rules or 4096 holds in one schedule.
//! - From the vault: [`Error::KeyDestroyed`](crate::Error::KeyDestroyed) for a forgotten
//!   subject, [`Error::DecryptionFailed`](crate::Error::DecryptionFailed) for any
//!   ciphertext that does not authenticate,
//!   [`Error::UnknownSubject`](crate::Error::UnknownSubject) for a subject that never had
//!   a key in the store.
//!
//! # Security
//! A schedule decides; it does not delete. The sweep that acts on decisions must also
//! reach every copy. Crypto-shredding erases only what was encrypted under the subject's
//! key and only once every copy of that key is gone:
//! - **backups** of the key store keep the key alive: expire them within the retention
//!   period, or keep subject keys out of ordinary backups (wrap them under a key that
//!   rotates and is destroyed on a schedule);
//! - **caches** (decrypted values in an application cache, a search index, a CDN, a
//!   key cache in front of the store) survive the key: purge them on `forget`;
//! - **derived copies** (exports, analytics tables, logs, machine-learning features,
//!   pseudonyms derived from the plaintext) were never under the subject's key: track
//!   them as their own categories with their own rules.
//!
//! Consent records and legal holds are themselves personal data with their own retention.
//!
//! # Example
//! ```
//! use jiff::civil::date;
//! use privkit::retention::{Facts, LegalBasis, Purpose, Rule, Schedule, Verdict};
//!
//! let schedule = Schedule::builder()
//!     .purpose(Purpose::new("billing")?, LegalBasis::LegalObligation)
//!     .rule(Rule::new("invoices", "user.billing", "billing", "10 years", "contract_end", "delete")?)
//!     .build()?;
//!
//! let class = schedule.class_of("user.billing.invoice")?;
//! let billing = schedule.purpose_set(["billing"])?;
//! let collected = at("2012-03-01T09:00:00Z")?;
//! let ended = at("2015-06-30T17:00:00Z")?;
//! let record = Facts::new(class, billing, collected).contract_end(ended);
//!
//! let decision = schedule.evaluator_on(date(2026, 1, 15)).evaluate(&record);
//! assert_eq!(decision.verdict(), Verdict::ActNow);
//! assert_eq!(decision.due(), Some(date(2025, 6, 30)));
//! println!("{}", decision.reason());
//! # fn at(s: &str) -> privkit::Result<jiff::Timestamp> {
//! #     s.parse().map_err(|e: jiff::Error| privkit::Error::InvalidArgument(e.to_string()))
//! # }
//! # Ok::<(), privkit::Error>(())
//! ```
//!
//! Consent and erasure by key destruction:
//! ```
//! use privkit::Error;
//! use privkit::retention::{
//!     ConsentLedger, ConsentRecord, ConsentState, InMemorySubjectKeyStore, Purpose, SubjectId,
//!     SubjectVault,
//! };
//!
//! let subject = SubjectId::new("customer-42")?;
//! let mut ledger = ConsentLedger::new([Purpose::new("newsletter")?]);
//! let granted = jiff::Timestamp::constant(1_700_000_000, 0); // 2023-11-14
//! let later = jiff::Timestamp::constant(1_800_000_000, 0); // 2027-01-15
//! ledger.record(ConsentRecord::new(
//!     subject.clone(),
//!     Purpose::new("newsletter")?,
//!     ConsentState::Granted,
//!     granted,
//!     "privacy-v3",
//!     "signup-form",
//! ))?;
//! assert!(ledger.may_process(&subject, "newsletter", later)?);
//! // A misspelled purpose is refused, not answered "no consent".
//! assert!(ledger.may_process(&subject, "newsleter", later).is_err());
//!
//! let vault = SubjectVault::new(InMemorySubjectKeyStore::new());
//! let stored = vault.encrypt(&subject, b"42 Main St", b"customers.address")?;
//! assert_eq!(vault.decrypt(&subject, &stored, b"customers.address")?, b"42 Main St");
//! vault.forget(&subject)?;
//! assert!(matches!(
//!     vault.decrypt(&subject, &stored, b"customers.address"),
//!     Err(Error::KeyDestroyed(_))
//! ));
//! # Ok::<(), privkit::Error>(())
//! ```

mod audited;
mod category;
mod consent;
mod erasable;
mod evaluate;
mod period;
mod policy;
mod shred;

#[cfg(feature = "serde")]
pub(crate) mod config;

pub use audited::{AuditedRecord, ErasureReceipt};
pub use category::{Category, Selector};
pub use consent::{ConsentLedger, ConsentRecord, ConsentState, SubjectId};
pub use erasable::{
    DEFAULT_CACHE_CAPACITY, ErasableKeys, ErasableVault, InMemorySealedKeyStore, SealedKeyState,
    SealedKeyStore, SealedSubjectKey, SubjectCipher,
};
pub use evaluate::{
    ClassId, Decision, Evaluator, EventId, Facts, HoldId, PurposeId, PurposeSet, Reason, Verdict,
};
pub use period::Period;
pub use policy::{
    Action, EventName, HoldScope, LegalBasis, LegalHold, Purpose, Rule, Schedule, ScheduleBuilder,
    Trigger,
};
pub use shred::{InMemorySubjectKeyStore, SubjectKey, SubjectKeyStore, SubjectVault};
