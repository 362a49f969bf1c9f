//! Key derivation: HKDF key schedules with injective labels.
//!
//! # Use case
//! Derive many independent keys from one secret: per-message keys in envelopes,
//! per-domain pseudonymization keys, per-tenant or per-subject keys from a root key.
//!
//! # About
//! [`Hkdf`] is HKDF (RFC 5869) over SHA-256 or SHA-512. Besides the raw `info` string of
//! the RFC, it offers [`Hkdf::expand_labeled`], which encodes a *sequence* of labels
//! injectively (each label is preceded by its length as a 4-byte big-endian integer), so
//! that two distinct label paths can never produce the same `info` and so never the same
//! key: `["ab", "c"]` and `["a", "bc"]` derive different keys.
//!
//! # Errors
//! [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the requested output is
//! longer than HKDF allows (255 times the hash length).
//!
//! # Example
//! ```
//! use privkit::kdf::{Hash, Hkdf};
//! use privkit::secret::SecretBytes;
//!
//! let root = SecretBytes::random(32)?;
//! let hkdf = Hkdf::extract(Hash::Sha256, b"my-app salt", root.expose_secret());
//! let a = hkdf.expand_labeled(&[b"tenant", b"acme", b"pseudonyms"], 32)?;
//! let b = hkdf.expand_labeled(&[b"tenant", b"acme", b"tokens"], 32)?;
//! assert_ne!(a, b);
//! # Ok::<(), privkit::Error>(())
//! ```

mod hierarchy;
mod hkdf;
mod password;
mod password_kek;

pub use self::hierarchy::{EncryptionKey, KeyEncryptionKey, PseudonymKey, RootKey, SubKey};
pub use self::hkdf::{Hash, Hkdf, encode_labels};
#[cfg(fuzzing)]
#[doc(hidden)]
pub use self::password::fuzz_parse_phc;
pub use self::password::{
    HASH_LEN, MAX_PHC_LEN, PasswordHasher, PasswordParams, ReusingPasswordHasher, SALT_LEN,
    VerifyLimits,
};
pub use self::password_kek::PasswordKekParams;
