//! Authenticated encryption of values and records under managed keys, and envelope
//! encryption with per-message data keys.
//!
//! # Use case
//! - Encrypt fields and records (an email column, a JSON document) under a [`Keyset`]
//!   whose keys rotate: [`Keyset::encrypt`] / [`Keyset::decrypt`], with associated data
//!   ([`Aad`]) binding each ciphertext to its row and column.
//! - Encrypt documents and blobs under a fresh data key each, wrapped by one or more
//!   key-encryption keys that may live in a remote KMS: [`seal`] / [`open`], [`Sealer`]
//!   and [`Opener`] for several KEKs, data-key caching, limits and [`Opener::rewrap`].
//! - The same envelopes from async code, for KEKs that are network calls:
//!   [`AsyncKeyEncryptionKey`], [`AsyncSealer`] (a single-flight, refresh-ahead data-key
//!   cache) and [`AsyncOpener`]; AWS KMS keys with `KmsKek` (feature `aws-kms`).
//!
//! # About
//! - Algorithms: AES-256-GCM (default), ChaCha20-Poly1305, XChaCha20-Poly1305 and
//!   AES-256-GCM-SIV ([`Algorithm`]).
//! - Nonces are always chosen by privkit. Keyset keys count their invocations and refuse
//!   past 2^32 (96-bit nonces); envelope data keys are fresh per message (or per cache
//!   entry, with a counter nonce).
//! - Envelopes are **key-committing**: the header carries a 32-byte commitment derived
//!   with the payload key from the data key, checked in constant time before decryption,
//!   so an envelope opens under exactly one data key (no invisible salamanders, no
//!   partitioning oracles across wrapped keys).
//! - Wrapped keys are bound to their envelope (salt, commitment, algorithm) through the
//!   context given to the KEK, so a wrapped key moved into another envelope is rejected.
//! - Every byte layout is specified in `docs/FORMAT.md`.
//!
//! # Errors
//! Authentication failures are always [`Error::DecryptionFailed`](crate::Error::DecryptionFailed).
//! Structural problems found before any key is used are [`Malformed`](crate::Error::Malformed),
//! [`UnsupportedVersion`](crate::Error::UnsupportedVersion) or
//! [`LimitExceeded`](crate::Error::LimitExceeded); key states are
//! [`UnknownKeyId`](crate::Error::UnknownKeyId), [`KeyDisabled`](crate::Error::KeyDisabled)
//! and [`KeyDestroyed`](crate::Error::KeyDestroyed).
//!
//! # Security
//! - Keep associated data unique per slot (table, column, row id): it is what stops
//!   ciphertexts from being swapped between rows. Associated data is authenticated, not
//!   encrypted.
//! - Nonce sequences live in process memory: after `fork()`, call
//!   [`Keyset::refresh_nonce_prefixes`] and [`Sealer::clear_cache`] in the child.
//! - Ciphertexts reveal the plaintext length.
//!
//! # Example
//! ```
//! use privkit::envelope::{self, Aad, Keyset, LocalKek};
//! use privkit::Algorithm;
//!
//! // Field encryption under a rotating keyset.
//! let keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
//! let aad = Aad::new().with("table", "customers").with("column", "ssn").with("row", "7");
//! let ct = keyset.encrypt(b"078-05-1120", aad.as_bytes())?;
//! assert_eq!(keyset.decrypt(&ct, aad.as_bytes())?, b"078-05-1120");
//!
//! // Envelope encryption of a document under a key-encryption key.
//! let kek = LocalKek::generate("documents")?;
//! let sealed = envelope::seal(&kek, b"%PDF-1.7 ...", b"doc-42")?;
//! assert_eq!(envelope::open(&kek, &sealed, b"doc-42")?, b"%PDF-1.7 ...");
//! # Ok::<(), privkit::Error>(())
//! ```

mod aad;
mod async_kek;
mod async_seal;
#[cfg(feature = "tokio")]
mod async_stream;
mod export;
mod field;
mod format;
mod keyset;
#[cfg(feature = "aws-kms")]
mod kms;
mod seal;
mod stream;
#[cfg(test)]
mod vectors;
mod wrap;

pub use self::aad::Aad;
#[cfg(feature = "tokio")]
pub use self::async_kek::AsyncToSync;
pub use self::async_kek::{AsyncKeyEncryptionKey, KekFuture, SyncToAsync};
pub use self::async_seal::{
    AsyncOpener, AsyncSealer, DEFAULT_REFRESH_PERCENT, MAX_CACHE_PARTITIONS, open_async,
    rewrap_async, seal_async,
};
#[cfg(feature = "tokio")]
pub use self::async_stream::{AsyncStreamReader, AsyncStreamWriter};
pub use self::export::MAX_EXPORTED_KEYS;
pub use self::field::{Encrypted, FieldValue};
pub use self::keyset::{KeyId, KeyInfo, KeyStatus, Keyset};
#[cfg(feature = "aws-kms")]
pub use self::kms::{KmsKek, KmsKekBuilder, kms_encryption_context};
pub use self::seal::{
    CacheLimits, EnvelopeLimits, MAX_WRAPPED_KEYS, Opener, Sealer, open, rewrap, seal,
};
pub use self::stream::{
    DEFAULT_SEGMENT_SIZE, MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, SeekableStreamReader, StreamReader,
    StreamWriter,
};
pub use self::wrap::{KeyEncryptionKey, LocalKek, MAX_KEK_ID_LEN};
pub use crate::backend::Algorithm;
/// The AWS SDK for KMS that [`KmsKek`] uses (to create keys, or build a client for
/// [`KmsKek::from_client`], with exactly the version privkit links).
#[cfg(feature = "aws-kms")]
pub use aws_sdk_kms;
