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
//! | find encrypted rows by equality | [`StandardBeacon`], [`CompoundBeacon`] (blind indexes, HMAC-SHA384) | no | 1 to 63 bits, hex or integer, colliding on purpose |
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
//! # Beacons (blind indexes)
//!
//! **Use case.** A column is encrypted (randomized, so equal values give different
//! ciphertexts) and the service must still find rows by it: "the customer with this
//! e-mail". A *beacon* stored beside the ciphertext answers equality lookups without
//! revealing the value. It is the AWS Database Encryption SDK's construction (standard
//! and compound beacons, partitions) and CipherSweet's idea (blind indexes), and equals
//! the AWS SDK's beacons byte for byte under the same beacon key.
//!
//! **How it works.** [`BeaconKeys`] holds one beacon key (from the key hierarchy:
//! [`kdf::RootKey::beacon_key`](crate::kdf::RootKey::beacon_key), or stored key
//! material); every beacon derives its own HMAC-SHA384 key from it by name (HKDF-SHA512),
//! so beacons of different names are unlinkable. A [`StandardBeacon`] of `b` bits keeps
//! the low `b` bits of the first 8 bytes of the HMAC of the value after its
//! [`Normalization`] (trim, then case fold, then NFC, each when enabled), and writes them
//! as `ceil(b / 4)` hex digits ([`StandardBeacon::beacon`]) or as an integer for a
//! `BIGINT` column ([`StandardBeacon::value`]). Beacons are short on purpose: many
//! values share each beacon, so a lookup ([`StandardBeacon::lookup`]) returns the
//! matching rows and some others, and the application decrypts the candidates and keeps
//! those that [`Lookup::matches`]. Partitions ([`StandardBeacon::with_partitions`])
//! spread a frequent value over several beacon values; a lookup then asks for all of
//! them. A [`CompoundBeacon`] joins [`Part`]s (each a prefix and either a standard beacon
//! or a non-sensitive value in clear) with a split character, `C_de.L_3f2.F_a01`, for
//! lookups on several fields at once or on a leading subset by prefix
//! ([`CompoundBeacon::query`]). The format is in `docs/FORMAT.md` ("Beacons").
//!
//! **Errors.** [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a length
//! outside 1 to 63 bits, partitions outside 1 to 255, beacon key material under 32
//! bytes, and compound beacons that could not be decoded unambiguously (a prefix that
//! begins another, a hex-digit split character, an unknown part, a value in clear
//! holding the split character); each message names the beacon and the part.
//!
//! **Security: what a beacon leaks.** Anyone who reads the beacon column learns which
//! rows *may* hold equal values, and nothing else without the beacon key. A `b`-bit
//! beacon returns a row of another value with probability `2^-b` (the false-positive
//! rate, [`StandardBeacon::false_positive_rate`]; with `p` partitions about `p * 2^-b`),
//! and among `n` distinct values each beacon value stands for `n * 2^-b` of them on
//! average ([`StandardBeacon::expected_colliding_values`]). When that ambiguity falls
//! below about 1, a beacon is as good as the value for frequency analysis: the most
//! frequent beacon is the most frequent e-mail domain, the most common surname.
//!
//! | bits | false-positive rate | false positives per lookup, 1,000,000 rows | other values sharing a beacon, 1,000,000 distinct |
//! |---|---|---|---|
//! | 8 | 3.9e-3 | 3,906 | 3,906 |
//! | 12 | 2.4e-4 | 244 | 244 |
//! | 16 | 1.5e-5 | 15.3 | 15.3 |
//! | 20 | 9.5e-7 | 0.95 | 0.95 (about half the values are unique: identifying) |
//! | 24 | 6.0e-8 | 0.06 | 0.06 (identifying) |
//! | 32 | 2.3e-10 | 0.0002 | 0.0002 (identifying) |
//!
//! Choose the length from the number of distinct values the column will hold
//! ([`StandardBeacon::bits_for`]: `floor(log2(n / k))` keeps at least `k` values per
//! beacon value), not from the table's size today, and re-derive it as the column grows.
//! Several beacons over one field (a standard and a compound one, or two lengths)
//! combine: their ambiguities multiply down, so count the total bits. A value in clear
//! in a compound beacon is in clear. Beacons are deterministic under one key: rotate the
//! beacon key by recomputing the column. `tests/suite/beacon.rs` measures the false-positive
//! rate of every length on 1,000,000 distinct values against `2^-b`; `docs/SECURITY.md`
//! ("Blind indexes") has the threat model.
//!
//! ```
//! use privkit::kdf::RootKey;
//! use privkit::pseudonym::{BeaconKeys, Normalization, StandardBeacon};
//! use privkit::secret::SecretBytes;
//!
//! let (root, _secret) = RootKey::generate()?;
//! let keys = BeaconKeys::new(&root.tenant("acme")?.beacon_key()?);
//! // About 2,000,000 customers; keep at least 8 addresses per beacon value.
//! let bits = StandardBeacon::bits_for(2_000_000, 8.0)?;
//! assert_eq!(bits, 17);
//! let email = keys.standard("customers.email", bits, Normalization::ALL)?;
//! let stored = email.value("Alice@Example.com"); // beside the encrypted e-mail
//!
//! let lookup = email.lookup("alice@example.com ");
//! assert!(lookup.values().contains(&stored)); // WHERE email_beacon IN (...)
//! assert!(lookup.matches("ALICE@example.com")); // filter the decrypted candidates
//! assert!(!lookup.matches("bob@example.com"));
//! assert!(email.false_positive_rate() < 1e-5);
//! # Ok::<(), privkit::Error>(())
//! ```
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
mod beacon;
mod dates;
mod fpe;
mod keyed;
mod keys;
mod mask;
mod policy;
mod siv;

pub use beacon::{
    BeaconKeys, BeaconQuery, CompoundBeacon, CompoundBeaconBuilder, Lookup, MAX_BEACON_BITS,
    MAX_BEACON_PARTITIONS, MIN_BEACON_BITS, Part, StandardBeacon,
};
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
