//! Key derivation: HKDF key hierarchies, Argon2id password hashing and password-derived
//! keys.
//!
//! # Use case
//! - Derive many independent keys from one secret: per-message keys in envelopes,
//!   per-domain pseudonymization keys, per-tenant or per-subject keys from a root key
//!   ([`RootKey`], [`Hkdf`]).
//! - Store user passwords so that a stolen table is expensive to attack
//!   ([`PasswordHasher`]).
//! - Protect keys with a passphrase, for backups and exports ([`PasswordKekParams`]).
//!
//! # About
//! [`Hkdf`] is HKDF (RFC 5869) over SHA-256 or SHA-512. Besides the raw `info` string of
//! the RFC, it offers [`Hkdf::expand_labeled`], which encodes a *sequence* of labels
//! injectively (each label is preceded by its length as a 4-byte big-endian integer), so
//! that two distinct label paths can never produce the same `info` and so never the same
//! key: `["ab", "c"]` and `["a", "bc"]` derive different keys.
//!
//! [`RootKey`] builds a typed hierarchy on it: `root -> tenant / purpose / subject ->
//! ... -> key`, where each leaf is a distinct type of the right length:
//! [`EncryptionKey`] (a keyset key for any [`Algorithm`](crate::Algorithm)),
//! [`PseudonymKey`], [`WrappingKey`], [`BeaconKey`]. A [`SubKey`]'s secret can be handed to a
//! service that should reach only that branch. The derivation is a stable format
//! (`docs/FORMAT.md`, section 7 "Key hierarchy").
//!
//! [`PasswordHasher`] is Argon2id (RFC 9106) with PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), interoperable with the reference C
//! implementation and libraries built on it. [`PasswordParams`] has two presets with
//! their sources: [`OWASP_MINIMUM`](PasswordParams::OWASP_MINIMUM) (m = 19 MiB, t = 2,
//! p = 1; OWASP Password Storage Cheat Sheet) and
//! [`RFC9106_SECOND`](PasswordParams::RFC9106_SECOND) (m = 64 MiB, t = 3, p = 4; RFC 9106
//! section 4); custom costs are checked against OWASP's weakest equivalent
//! configuration. [`PasswordHasher::needs_rehash`] tells when to upgrade a stored hash at
//! login; an optional pepper is fed to Argon2 as its secret input.
//! [`ReusingPasswordHasher`] keeps Argon2's memory between calls (zeroed after each).
//!
//! [`PasswordKekParams`] derives a [`WrappingKey`] from a password: Argon2id, then
//! HKDF bound to the stored costs and salt (`docs/FORMAT.md`, section 8 "Password-derived keys").
//!
//! # Errors
//! - [`Error::InvalidArgument`](crate::Error::InvalidArgument): an HKDF output longer than
//!   255 hash blocks, a root secret shorter than 32 bytes, password costs below the
//!   minimums or above the limits, a pepper outside 16 to 64 bytes.
//! - [`Error::VerificationFailed`](crate::Error::VerificationFailed): wrong password (or
//!   pepper).
//! - [`Error::Malformed`](crate::Error::Malformed),
//!   [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion): a stored PHC string
//!   or parameter encoding that is not well formed.
//! - [`Error::LimitExceeded`](crate::Error::LimitExceeded): a stored PHC string or
//!   parameter encoding claims costs or lengths over the [`VerifyLimits`]; decided
//!   before any memory is allocated.
//!
//! # Security
//! - HKDF needs high-entropy input. Never use a password as a [`RootKey`] secret or as
//!   HKDF input key material; derive from passwords with [`PasswordHasher`] or
//!   [`PasswordKekParams`].
//! - Stored PHC strings are untrusted: whoever can write to the user table could plant
//!   `m=4294967295`. The [`VerifyLimits`] refuse such strings up front.
//! - Argon2's memory holds password-dependent state. privkit zeroes it after every
//!   hash and verification (the `argon2` crate's own allocating call does not).
//! - A derived key is never erasable on its own: whoever holds an ancestor (the root)
//!   derives it again. Destroying a derived subject key is not crypto-shredding; for
//!   erasure, store a random key per subject and destroy that
//!   ([`SubjectVault`](crate::retention::SubjectVault)).
//! - PHC strings do not record whether a pepper was used; losing the pepper makes every
//!   peppered hash unverifiable.
//!
//! # Example
//! ```
//! use privkit::kdf::{Hash, Hkdf, PasswordHasher, PasswordParams, RootKey};
//! use privkit::secret::{SecretBytes, SecretString};
//!
//! // HKDF with injective labels.
//! let root = SecretBytes::random(32)?;
//! let hkdf = Hkdf::extract(Hash::Sha256, b"my-app salt", root.expose_secret());
//! let a = hkdf.expand_labeled(&[b"tenant", b"acme", b"pseudonyms"], 32)?;
//! let b = hkdf.expand_labeled(&[b"tenant", b"acme", b"tokens"], 32)?;
//! assert_ne!(a, b);
//!
//! // A typed key hierarchy.
//! let root = RootKey::from_secret(&root)?;
//! let key = root.tenant("acme")?.subject("user-42")?.encryption_key()?;
//! assert_eq!(key.expose_secret().len(), 32);
//!
//! // Password hashing.
//! let hasher = PasswordHasher::new(PasswordParams::OWASP_MINIMUM)?;
//! let phc = hasher.hash(&SecretString::from("correct horse battery staple"))?;
//! hasher.verify(&SecretString::from("correct horse battery staple"), &phc)?;
//! assert!(hasher.verify(&SecretString::from("wrong"), &phc).is_err());
//! assert!(!hasher.needs_rehash(&phc)?);
//! # Ok::<(), privkit::Error>(())
//! ```

mod hierarchy;
mod hkdf;
mod password;
mod password_kek;
mod sha256;

pub use self::hierarchy::{BeaconKey, EncryptionKey, PseudonymKey, RootKey, SubKey, WrappingKey};
pub use self::hkdf::{Hash, Hkdf, encode_labels};
#[cfg(fuzzing)]
#[doc(hidden)]
pub use self::password::fuzz_parse_phc;
pub use self::password::{PasswordHasher, PasswordParams, ReusingPasswordHasher, VerifyLimits};
pub use self::password_kek::PasswordKekParams;
pub(crate) use self::sha256::{HmacSha256, hkdf_expand_labeled, hkdf_labeled};
