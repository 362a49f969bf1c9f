//! Keysets: field and record encryption under managed, rotating keys.
//!
//! # Use case
//! Encrypt the values a service stores (an email column, a JSON document, a card number)
//! under keys that rotate, with each ciphertext bound to the row and column it belongs to:
//! [`Keyset::encrypt`] / [`Keyset::decrypt`] with associated data built by [`Aad`], or
//! typed fields with [`Encrypted<T>`] (serde with feature `serde`).
//!
//! # How it works
//! - A [`Keyset`] holds keys with unique random ids ([`KeyId`]), one primary, each
//!   [`KeyStatus::Enabled`], [`Disabled`](KeyStatus::Disabled) or
//!   [`Destroyed`](KeyStatus::Destroyed). The primary encrypts; every enabled key decrypts.
//!   A ciphertext carries a format byte, the algorithm and the key id, so decryption picks
//!   the key directly: no trial decryption. `docs/FORMAT.md` section 2 has the bytes.
//! - Algorithms: AES-256-GCM (default), ChaCha20-Poly1305, XChaCha20-Poly1305 and
//!   AES-256-GCM-SIV ([`Algorithm`](crate::Algorithm)).
//! - Nonces are chosen by privkit: a random per-key prefix and an invocation counter; keys
//!   with 96-bit nonces refuse to encrypt past 2^32 messages per process (NIST SP 800-38D).
//! - [`Aad`] encodes `(label, value)` pairs injectively, so the context bound to a
//!   ciphertext can never be confused with another.
//! - A keyset is saved and restored sealed under a key-encryption key or a password:
//!   [`Keyset::export_sealed`], [`Keyset::export_with_password`] and their imports
//!   (implemented with the envelopes of [`envelope`](crate::envelope)).
//!
//! # Errors
//! Authentication failures are always [`Error::DecryptionFailed`](crate::Error::DecryptionFailed).
//! Bytes that are not a keyset ciphertext are [`Malformed`](crate::Error::Malformed) or
//! [`UnsupportedVersion`](crate::Error::UnsupportedVersion); key states are
//! [`UnknownKeyId`](crate::Error::UnknownKeyId), [`KeyDisabled`](crate::Error::KeyDisabled)
//! and [`KeyDestroyed`](crate::Error::KeyDestroyed); an exhausted nonce budget is
//! [`LimitExceeded`](crate::Error::LimitExceeded).
//!
//! # Security
//! - Keep associated data unique per slot (table, column, row id): it is what stops
//!   ciphertexts from being swapped between rows. Associated data is authenticated, not
//!   encrypted.
//! - Nonce counters live in process memory: after `fork()`, call
//!   [`Keyset::refresh_nonce_prefixes`] in the child before encrypting there.
//! - Ciphertexts reveal the plaintext length.
//! - Destroying a key makes every ciphertext under it undecryptable everywhere, backups
//!   included, once no exported copy of the keyset holding it survives.
//!
//! # Example
//! ```
//! use privkit::keyset::{Aad, Encrypted, Keyset};
//! use privkit::Algorithm;
//!
//! let mut keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
//! let aad = Aad::new().with("table", "customers").with("column", "ssn").with("row", "7");
//! let ct = keyset.encrypt(b"078-05-1120", aad.as_bytes())?;
//!
//! // Rotate: new values use the new key, old ciphertexts still decrypt.
//! keyset.rotate(Algorithm::Aes256Gcm)?;
//! assert_eq!(keyset.decrypt(&ct, aad.as_bytes())?, b"078-05-1120");
//!
//! // A typed field.
//! let email = Encrypted::encrypt(&keyset, &"ada@example.com".to_string(), aad.as_bytes())?;
//! assert_eq!(email.decrypt(&keyset, aad.as_bytes())?, "ada@example.com");
//! # Ok::<(), privkit::Error>(())
//! ```

mod aad;
mod export;
mod field;
mod inspect;
mod keys;
mod sweep;

pub use self::aad::Aad;
pub use self::export::MAX_EXPORTED_KEYS;
pub use self::field::{Encrypted, FieldValue};
pub use self::inspect::{CiphertextInfo, CiphertextKind, inspect};
pub use self::keys::{KeyId, KeyInfo, KeyStatus, Keyset};
pub(crate) use self::keys::{SUBJECT_FIELD_V1, WRAPPED_KEY_V1};
pub use self::sweep::{RotationSweep, RowOutcome, SweepCursor, SweepReport};
