//! Pseudonymization: keyed pseudonyms, reversible tokens, format-preserving encryption,
//! masks, generalization, date shifting and record policies.
//!
//! # Use case
//! Analyse or share customer data without exposing identities (GDPR Art. 4(5)):
//! replace identifiers by pseudonyms that stay consistent within a dataset, by tokens
//! that the key holder can turn back into the original, or by look-alike values that
//! fit the original column's format; coarsen quasi-identifiers (masks, buckets, dates).
//!
//! # About
//! Every keyed transform draws its key from a versioned [`RootKey`] by HKDF with the
//! *domain* (for example `"customer-email"`) as a label: values are consistent within
//! a domain and unlinkable across domains and key versions.
//!
//! - [`KeyedPseudonymizer`]: HMAC-SHA256, truncated and encoded (hex, Crockford
//!   base32, base64url, decimal), one-way. The keyed HMAC state is computed once, so
//!   a value of up to 55 bytes costs two SHA-256 compressions.
//! - [`KeyRing`]: several key versions, for rotation.
//!
//! # Errors
//! [`Error::InvalidArgument`](crate::Error::InvalidArgument) for configurations that
//! are unsafe or impossible (a pseudonym shorter than 64 bits, an empty domain, a
//! root secret shorter than 32 bytes).
//!
//! # Security
//! Keyed pseudonyms are only as strong as the secrecy of the root key: without it,
//! they cannot be linked to the values, even for small value spaces (unlike a plain
//! hash). With it, anyone can test guesses. A pseudonym of `b` bits collides for `n`
//! distinct values with probability about `n² / 2^(b+1)`
//! ([`KeyedConfig::collision_probability`]); fewer than 64 bits are refused.
//!
//! # Example
//! ```
//! use privkit::pseudonym::{Encoding, KeyedConfig, KeyedPseudonymizer, Normalization, RootKey};
//! use privkit::secret::SecretBytes;
//!
//! let root = RootKey::new(1, &SecretBytes::random(32)?)?;
//! let config = KeyedConfig {
//!     encoding: Encoding::Base32Crockford,
//!     length: 26, // 130 bits
//!     normalization: Normalization::ALL,
//!     version_prefix: false,
//! };
//! let emails = KeyedPseudonymizer::new(&root, "customer-email", config)?;
//! let p = emails.pseudonymize("Alice@Example.com ");
//! assert_eq!(p, emails.pseudonymize("alice@example.com"));
//! assert_eq!(p.len(), 26);
//! # Ok::<(), privkit::Error>(())
//! ```

mod batch;
mod dates;
mod fpe;
mod keyed;
mod keys;
mod mask;
mod policy;
mod siv;

pub use dates::{Date, DateShifter, DateTruncation};
pub use fpe::{Alphabet, FormatPreserving, MAX_FF1_LEN, MIN_FF1_DOMAIN};
pub use keyed::{Encoding, KeyedConfig, KeyedPseudonymizer, MIN_PSEUDONYM_BITS, Normalization};
pub use keys::{KeyRing, RootKey};
pub use mask::{BucketScheme, Bucketing, MASK_CHAR, mask_email, mask_keep, mask_phone};
pub use policy::{CompiledPolicy, FieldAction, FieldVisitor, Policy, Record, Transform, Unlisted};
pub use siv::{MAX_TOKEN_PLAINTEXT, TOKEN_FORMAT_V1, Tokenizer, token_key_version};
