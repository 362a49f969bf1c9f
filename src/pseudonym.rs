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
//! a domain and unlinkable across domains and key versions. Wire formats are in
//! `docs/FORMAT.md` ("Pseudonymization").
//!
//! | need | type | reversible | output |
//! |---|---|---|---|
//! | join on an identifier, never reverse | [`KeyedPseudonymizer`] (HMAC-SHA256) | no | hex, Crockford base32, base64url or digits, 64 to 256 bits |
//! | reverse for the key holder | [`Tokenizer`] (AES-256-SIV, RFC 5297) | yes | base64url token carrying the key version |
//! | keep the column's format | [`FormatPreserving`] (FF1, NIST SP 800-38G, AES-256) | yes | same length, same alphabet, separators in place |
//! | hide part of a value | [`mask_keep`], [`mask_email`], [`mask_phone`] | no | masked text |
//! | coarsen a number or a date | [`Bucketing`], [`Date::truncate`] | no | interval label, first day of a period |
//! | hide dates, keep intervals | [`DateShifter`] | no | date moved by a per-subject offset |
//! | whole records | [`Policy`] -> [`CompiledPolicy`], [`Record`], JSON maps (`json` feature) | per field | |
//!
//! Keyed pseudonyms use HMAC-SHA256 with the keyed inner and outer SHA-256 states
//! computed once per domain, so a value of up to 55 bytes costs two compressions. The
//! `*_batch` methods and [`CompiledPolicy::apply_batch`] spread work over every core
//! with scoped threads.
//!
//! [`KeyRing`] holds several key versions: tokens name theirs, so a ring reads tokens
//! made before a rotation ([`KeyRing::detokenize`]); keyed pseudonyms can carry a
//! `v<version>:` prefix ([`pseudonym_key_version`] reads it back). Migrating a dataset
//! to a new key is described in `docs/FORMAT.md` ("Key rotation and migration").
//!
//! # Errors
//! - [`Error::InvalidArgument`](crate::Error::InvalidArgument) for configurations that
//!   are unsafe or impossible (a pseudonym shorter than 64 bits, an empty domain, a root
//!   secret shorter than 32 bytes, an FF1 value with `radix^length < 1,000,000`).
//! - [`Error::DecryptionFailed`](crate::Error::DecryptionFailed) for a token that does
//!   not authenticate (tampered, another domain, another key), and nothing more.
//! - [`Error::Malformed`](crate::Error::Malformed),
//!   [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion),
//!   [`Error::UnknownKeyId`](crate::Error::UnknownKeyId) for tokens that are not
//!   well-formed, of another format or of a key version not at hand (decided before
//!   any key is used).
//! - [`Error::Field`](crate::Error::Field) from policies: which field failed, and why.
//!
//! # Security
//! Pseudonymized data is still personal data (GDPR recital 26): the keys re-identify
//! it, and quasi-identifiers left in clear may too. Keep root keys apart from the data.
//!
//! - Keyed pseudonyms cannot be linked to their values without the root key, even for
//!   small value spaces (unlike a plain hash); with it, anyone can test guesses. A
//!   pseudonym of `b` bits collides for `n` distinct values with probability about
//!   `n^2 / 2^(b+1)` ([`KeyedConfig::collision_probability`]); fewer than 64 bits are
//!   refused.
//! - Tokens and FF1 are deterministic: equal values give equal outputs within a domain
//!   and key version, which is what makes joins work and also reveals equality.
//! - FF1 is not authenticated and its security rests on the domain size: NIST's minimum
//!   `radix^length >= 1,000,000` is enforced, but small domains (a 6-digit value) are
//!   still open to dictionary attacks by anyone who can query encryptions.
//! - Masks, buckets and truncation are not cryptographic: they reduce what a value
//!   says, judged against the whole dataset (see `anon` for k-anonymity).
//!
//! # Example
//! ```
//! use privkit::pseudonym::{
//!     Alphabet, Encoding, FormatPreserving, KeyRing, KeyedConfig, KeyedPseudonymizer,
//!     Normalization, RootKey, Tokenizer,
//! };
//! use privkit::secret::SecretBytes;
//!
//! let keys = KeyRing::new(RootKey::new(1, &SecretBytes::random(32)?)?);
//!
//! // One-way, consistent pseudonyms for joining.
//! let config = KeyedConfig {
//!     encoding: Encoding::Base32Crockford,
//!     length: 26, // 130 bits
//!     normalization: Normalization::ALL,
//!     version_prefix: false,
//! };
//! let emails = KeyedPseudonymizer::new(keys.primary(), "customer-email", config)?;
//! let p = emails.pseudonymize("Alice@Example.com ");
//! assert_eq!(p, emails.pseudonymize("alice@example.com"));
//! assert_eq!(p.len(), 26);
//!
//! // Reversible tokens for the key holder.
//! let ssn = Tokenizer::new(keys.primary(), "ssn")?;
//! let token = ssn.tokenize(b"123-45-6789")?;
//! assert_eq!(keys.detokenize("ssn", &token)?, b"123-45-6789");
//!
//! // Format-preserving encryption: a card number stays a card number.
//! let cards = FormatPreserving::new(keys.primary(), "card", &Alphabet::Digits)?;
//! let enc = cards.encrypt("4111-1111-1111-1111")?;
//! assert_eq!(enc.len(), 19);
//! assert_eq!(&enc[4..5], "-");
//! assert_eq!(cards.decrypt(&enc)?, "4111-1111-1111-1111");
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
pub use keyed::{
    Encoding, KeyedConfig, KeyedPseudonymizer, MIN_PSEUDONYM_BITS, Normalization,
    pseudonym_key_version,
};
pub use keys::{KeyRing, RootKey};
pub use mask::{BucketScheme, Bucketing, MASK_CHAR, mask_email, mask_keep, mask_phone};
pub use policy::{CompiledPolicy, FieldAction, FieldVisitor, Policy, Record, Transform, Unlisted};
pub use siv::{MAX_TOKEN_PLAINTEXT, TOKEN_FORMAT_V1, Tokenizer, token_key_version};
