//! Data-protection primitives for Rust services that hold customer data.
//!
//! privkit encrypts what a service stores, pseudonymizes and anonymizes what it shares,
//! and erases what it must forget, with every byte format specified
//! ([`manual::formats`]) and every authentication failure reported as one opaque error.
//!
//! # Which type for which job
//!
//! | job | start with |
//! |---|---|
//! | encrypt a column or a record, bound to its row; rotate keys | [`keyset::Keyset`], [`keyset::Aad`], [`keyset::Encrypted`] |
//! | back up or move a keyset | [`Keyset::export_sealed`](keyset::Keyset::export_sealed), [`Keyset::export_with_password`](keyset::Keyset::export_with_password) |
//! | encrypt a document under a key-encryption key (local or KMS) | [`envelope::seal`], [`envelope::Sealer`], [`envelope::Opener`] |
//! | the same from async code, with a data-key cache | [`envelope::AsyncSealer`], [`envelope::AsyncOpener`] |
//! | move envelopes to a new key-encryption key without decrypting them | [`Opener::rewrap`](envelope::Opener::rewrap) |
//! | encrypt a backup or an export of any size | [`Sealer::encrypt_stream`](envelope::Sealer::encrypt_stream), [`envelope::StreamReader`] |
//! | keep keys for AWS KMS | the `privkit-aws-kms` crate (`KmsKek`) |
//! | derive tenant, purpose and subject keys from one root | [`kdf::RootKey`] |
//! | hash passwords; derive a key from a password | [`kdf::PasswordHasher`], [`kdf::PasswordKekParams`] |
//! | replace identifiers by stable pseudonyms | [`pseudonym::KeyedPseudonymizer`] |
//! | reversible tokens; format-preserving encryption | [`pseudonym::Tokenizer`], [`pseudonym::FormatPreserving`] |
//! | mask, bucket, shift dates; apply a policy to records | [`pseudonym::Policy`], [`pseudonym::DateShifter`] |
//! | publish a table that is k-anonymous, l-diverse, t-close | [`anon::Anonymizer`], [`anon::Mondrian`] |
//! | measure re-identification risk | [`anon::RiskSummary`] |
//! | find and redact personal data in text, logs and JSON (feature `detect`) | `detect::Scanner`, `detect::Redactor` |
//! | record key use and privacy decisions in a tamper-evident log; scope a breach | [`audit::Auditor`], [`audit::DurableLog`], [`audit::Incident`] |
//! | decide how long to keep data; legal holds; consent | [`retention::Schedule`], [`retention::Evaluator`], [`retention::ConsentLedger`] |
//! | erase a customer's data everywhere, backups included | [`retention::SubjectVault`] |
//! | answer access, erasure and opt-out requests; publish the privacy notice and Art. 30 records | [`rights::DataMap`], [`rights::Request`], [`rights::Executor`] |
//! | hold secrets | [`secret::SecretBytes`], [`secret::SecretString`] |
//!
//! # Errors
//! One [`Error`] type for the whole crate. Every authentication or decryption failure is
//! [`Error::DecryptionFailed`], whatever failed; every other error names what is wrong
//! (see [`error`]).
//!
//! # Feature flags
//! `serde`, `tokio` (async streams), `parallel` (Argon2 lanes on threads), `csv`, `toml`,
//! `tzdb`, `json`, `detect` (PII detection), `tracing` (a redacting log formatter), and
//! `aws-lc` (a second AEAD backend: [`Backend`]). None is on by default.
//!
//! # Example
//! ```
//! use privkit::envelope::{self, LocalKek};
//! use privkit::keyset::{Aad, Keyset};
//! use privkit::Algorithm;
//!
//! // A field, bound to its row and column, under a rotating keyset.
//! let mut keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
//! let aad = Aad::new().with("table", "customers").with("column", "email").with("row", "1001");
//! let ciphertext = keyset.encrypt(b"ada@example.com", aad.as_bytes())?;
//! keyset.rotate(Algorithm::Aes256Gcm)?;
//! assert_eq!(keyset.decrypt(&ciphertext, aad.as_bytes())?, b"ada@example.com");
//!
//! // A document under a fresh data key wrapped by a key-encryption key.
//! let kek = LocalKek::generate("documents-2026")?;
//! let sealed = envelope::seal(&kek, b"board minutes", b"doc-7")?;
//! assert_eq!(envelope::open(&kek, &sealed, b"doc-7")?, b"board minutes");
//! # Ok::<(), privkit::Error>(())
//! ```
//!
//! # Minimum supported Rust version
//! 1.88. Raising it is a minor-version change, noted in the changelog.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod anon;
pub mod audit;
mod backend;
#[cfg(feature = "detect")]
#[cfg_attr(docsrs, doc(cfg(feature = "detect")))]
pub mod detect;
mod encoding;
pub mod envelope;
pub mod error;
pub mod kdf;
pub mod keyset;
pub mod manual;
pub mod pseudonym;
mod rand;
pub mod retention;
pub mod rights;
pub mod secret;

pub use backend::{Algorithm, Backend};
pub use error::{AuditError, Error, Result};
/// The `jiff` crate, whose date and time types privkit's API takes (`jiff::Timestamp`,
/// `jiff::civil::Date`, `jiff::tz::TimeZone`): use this re-export so your version
/// always matches privkit's.
pub use jiff;
