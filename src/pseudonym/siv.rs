//! Reversible tokens: deterministic AES-256-SIV (RFC 5297) with the domain as
//! associated data.

use std::fmt;

use aes_siv::KeyInit;
use aes_siv::siv::{Aes256Siv, CmacSiv};

use super::keys::{Derive, Purpose, RootKey};
use crate::encoding::{base64url_decode, base64url_encode};
use crate::secret::SecretBytes;
use crate::{Error, Result};

/// Format byte of version-1 tokens.
pub const TOKEN_FORMAT_V1: u8 = 1;
/// Bytes before the SIV: format (1) and key version (4, big-endian).
const HEADER_LEN: usize = 5;
/// Length of the synthetic IV, which is also the authentication tag.
const SIV_LEN: usize = 16;
/// Longest plaintext a token may carry, in bytes.
pub const MAX_TOKEN_PLAINTEXT: usize = 1 << 20;
/// Longest token text accepted by the decoder, in characters.
const MAX_TOKEN_TEXT: usize = (HEADER_LEN + SIV_LEN + MAX_TOKEN_PLAINTEXT).div_ceil(3) * 4;

/// Deterministic, reversible tokens for one domain.
///
/// A token is `base64url(0x01 || u32_be(key version) || SIV || ciphertext)` where
/// `SIV || ciphertext` is AES-256-SIV (RFC 5297, 512-bit key) of the value with two
/// associated-data strings: the domain (UTF-8) and the 5 header bytes. Equal values
/// give equal tokens within a domain and key version (deterministic encryption leaks
/// equality, as keyed pseudonyms do); a changed byte anywhere is rejected.
pub struct Tokenizer {
    key: SecretBytes,
    domain: String,
    version: u32,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer")
            .field("domain", &self.domain)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Tokenizer {
    /// The tokenizer of `domain` under `root`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty domain.
    pub fn new(root: &RootKey, domain: &str) -> Result<Self> {
        Ok(Self {
            key: root.derive(Purpose::Token, domain, 64)?,
            domain: domain.to_owned(),
            version: root.version(),
        })
    }

    /// The key version written into tokens.
    #[must_use]
    pub fn key_version(&self) -> u32 {
        self.version
    }

    /// The domain (associated data).
    #[must_use]
    pub fn domain(&self) -> &str {
        &self.domain
    }

    fn cipher(&self) -> Result<Aes256Siv> {
        let key = self
            .key
            .expose_secret()
            .try_into()
            .map_err(|_| Error::invalid_argument("AES-SIV key length"))?;
        Ok(CmacSiv::new(key))
    }

    /// The binary token of `value`.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when `value` is longer than [`MAX_TOKEN_PLAINTEXT`].
    pub fn tokenize_bytes(&self, value: &[u8]) -> Result<Vec<u8>> {
        if value.len() > MAX_TOKEN_PLAINTEXT {
            return Err(Error::limit(
                "token plaintext bytes",
                MAX_TOKEN_PLAINTEXT as u64,
            ));
        }
        let header = self.header();
        let ct = self
            .cipher()?
            .encrypt([self.domain.as_bytes(), &header[..]], value)
            .map_err(|_| Error::invalid_argument("AES-SIV encryption"))?;
        let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// The text token (unpadded base64url) of `value`.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when `value` is longer than [`MAX_TOKEN_PLAINTEXT`].
    pub fn tokenize(&self, value: &[u8]) -> Result<String> {
        Ok(base64url_encode(&self.tokenize_bytes(value)?))
    }

    /// The value inside a binary token.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a token too short or of another format,
    /// [`Error::UnknownKeyId`] for a token of another key version (use
    /// [`KeyRing::detokenize`](super::KeyRing::detokenize) to pick the key),
    /// [`Error::DecryptionFailed`] for a token that is not authentic under this
    /// domain and key; [`Error::LimitExceeded`] for a token whose value would be longer
    /// than [`MAX_TOKEN_PLAINTEXT`] (tokenize never makes one).
    pub fn detokenize_bytes(&self, token: &[u8]) -> Result<Vec<u8>> {
        // What tokenize refuses, detokenize refuses too (docs/FORMAT.md section 10).
        if token.len() > HEADER_LEN + SIV_LEN + MAX_TOKEN_PLAINTEXT {
            return Err(Error::limit(
                "token plaintext bytes",
                MAX_TOKEN_PLAINTEXT as u64,
            ));
        }
        let version = token_key_version_bytes(token)?;
        if version != self.version {
            return Err(Error::UnknownKeyId(version));
        }
        let (header, body) = token.split_at(HEADER_LEN);
        self.cipher()?
            .decrypt([self.domain.as_bytes(), header], body)
            .map_err(|_| Error::DecryptionFailed)
    }

    /// The value inside a text token.
    ///
    /// # Errors
    /// As [`detokenize_bytes`](Self::detokenize_bytes), plus [`Error::Malformed`] for
    /// text that is not canonical base64url and [`Error::LimitExceeded`] for text
    /// longer than any token.
    pub fn detokenize(&self, token: &str) -> Result<Vec<u8>> {
        self.detokenize_bytes(&decode_text(token)?)
    }

    /// The UTF-8 value inside a text token.
    ///
    /// # Errors
    /// As [`detokenize`](Self::detokenize), plus [`Error::Malformed`] when the
    /// authentic value is not UTF-8.
    pub fn detokenize_str(&self, token: &str) -> Result<String> {
        String::from_utf8(self.detokenize(token)?)
            .map_err(|_| Error::Malformed("token value is not UTF-8"))
    }

    /// Tokens of many values, in order, spread over the available cores.
    ///
    /// # Errors
    /// The first error of [`tokenize`](Self::tokenize) in input order.
    pub fn tokenize_batch<S: AsRef<[u8]> + Sync>(&self, values: &[S]) -> Result<Vec<String>> {
        super::batch::try_map_chunks(values, |v| self.tokenize(v.as_ref()))
    }

    fn header(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0] = TOKEN_FORMAT_V1;
        h[1..].copy_from_slice(&self.version.to_be_bytes());
        h
    }
}

fn decode_text(token: &str) -> Result<Vec<u8>> {
    if token.len() > MAX_TOKEN_TEXT {
        return Err(Error::limit("token text characters", MAX_TOKEN_TEXT as u64));
    }
    if super::keyed::pseudonym_key_version(token).is_some() {
        return Err(Error::Malformed(
            "this is a keyed pseudonym with a `v<version>:` prefix, not a token: keyed \
             pseudonyms are one-way and cannot be detokenized",
        ));
    }
    base64url_decode(token).map_err(|e| {
        // Only text that is not a token gets here, so the shape decides the message.
        let hex = token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let base32 = token
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        if !token.is_empty() && (hex || base32) {
            Error::Malformed(
                "not a token: this looks like a keyed pseudonym (hex, base32 or digits), which \
                 is one-way and cannot be detokenized",
            )
        } else {
            e
        }
    })
}

/// Format bytes a later privkit may give tokens (text starting `Ag`..`Az`, `A0`..`A_`):
/// refused as [`Error::UnsupportedVersion`]. Any other first byte means the text is not
/// a token; no hex or Crockford base32 pseudonym decodes to 1, 2 or 3 except base32 ones
/// starting `AQ` to `AZ`.
const FUTURE_TOKEN_FORMATS: std::ops::RangeInclusive<u8> = 2..=3;

fn token_key_version_bytes(token: &[u8]) -> Result<u32> {
    if token.len() < HEADER_LEN + SIV_LEN {
        return Err(Error::Malformed("token too short"));
    }
    if token[0] != TOKEN_FORMAT_V1 {
        if FUTURE_TOKEN_FORMATS.contains(&token[0]) {
            return Err(Error::UnsupportedVersion(token[0]));
        }
        // A hex, base32 or base64url keyed pseudonym decodes as base64url to a random
        // first byte (hex ones to 0x68..=0x7f or 0xd0..=0xf7): say what it is.
        return Err(Error::Malformed(
            "not a privkit token (tokens start with the format byte 0x01, \"AQ\" to \"AT\" in \
             text); a keyed pseudonym is one-way and cannot be detokenized",
        ));
    }
    let mut v = [0u8; 4];
    v.copy_from_slice(&token[1..HEADER_LEN]);
    Ok(u32::from_be_bytes(v))
}

/// The key version a text token names, read without any key.
///
/// # Errors
/// [`Error::Malformed`] for text that is not a token, [`Error::UnsupportedVersion`]
/// for a token format this build does not read.
pub fn token_key_version(token: &str) -> Result<u32> {
    token_key_version_bytes(&decode_text(token)?)
}

impl super::KeyRing {
    /// The value inside a text token of `domain`, with whichever key version the
    /// token names.
    ///
    /// # Errors
    /// As [`Tokenizer::detokenize`]; [`Error::UnknownKeyId`] when the ring lacks the
    /// token's key version.
    pub fn detokenize(&self, domain: &str, token: &str) -> Result<Vec<u8>> {
        let bytes = decode_text(token)?;
        let version = token_key_version_bytes(&bytes)?;
        Tokenizer::new(self.get(version)?, domain)?.detokenize_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use aes_siv::siv::Aes128Siv;
    use proptest::prelude::*;

    use super::*;
    use crate::encoding::hex_decode;
    use crate::pseudonym::KeyRing;

    fn tokenizer(version: u32, domain: &str) -> Tokenizer {
        let root = RootKey::new(version, &SecretBytes::from_slice(&[3u8; 32])).unwrap();
        Tokenizer::new(&root, domain).unwrap()
    }

    /// RFC 5297 appendix A vectors (AES-CMAC-SIV with a 256-bit key, the RFC's only
    /// key size), from `tests/data/vectors/rfc5297.json`: checks the SIV
    /// construction under our multi-header call.
    #[test]
    fn rfc5297_vectors() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/vectors/rfc5297.json")).unwrap();
        let cases = doc["vectors"].as_array().unwrap();
        assert_eq!(cases.len(), 4);
        for case in cases {
            let hx = |k: &str| hex_decode(case[k].as_str().unwrap()).unwrap();
            let headers: Vec<Vec<u8>> = case["ad"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| hex_decode(h.as_str().unwrap()).unwrap())
                .collect();
            let key = hx("key");
            let out = if key.len() == 32 {
                let mut siv = Aes128Siv::new(key.as_slice().try_into().unwrap());
                let out = siv.encrypt(&headers, &hx("plaintext")).unwrap();
                assert_eq!(siv.decrypt(&headers, &out).unwrap(), hx("plaintext"));
                out
            } else {
                let mut siv = Aes256Siv::new(key.as_slice().try_into().unwrap());
                let out = siv.encrypt(&headers, &hx("plaintext")).unwrap();
                assert_eq!(siv.decrypt(&headers, &out).unwrap(), hx("plaintext"));
                out
            };
            assert_eq!(out, hx("output"), "{}", case["name"]);
        }
    }

    proptest! {
        #[test]
        fn round_trip(value in proptest::collection::vec(any::<u8>(), 0..200)) {
            let t = tokenizer(7, "ssn");
            let token = t.tokenize(&value).unwrap();
            prop_assert_eq!(t.detokenize(&token).unwrap(), value.clone());
            prop_assert_eq!(t.tokenize(&value).unwrap(), token.clone());
            prop_assert_eq!(token_key_version(&token).unwrap(), 7);
        }
    }

    #[test]
    fn fail_tampered_tokens() {
        let t = tokenizer(1, "ssn");
        let token = t.tokenize_bytes(b"123-45-6789").unwrap();
        for i in HEADER_LEN..token.len() {
            let mut bad = token.clone();
            bad[i] ^= 0x01;
            assert!(matches!(
                t.detokenize_bytes(&bad),
                Err(Error::DecryptionFailed)
            ));
        }
        let mut other_version = token.clone();
        other_version[4] ^= 1;
        assert!(matches!(
            t.detokenize_bytes(&other_version),
            Err(Error::UnknownKeyId(0))
        ));
        let mut other_format = token.clone();
        other_format[0] = 2;
        assert!(matches!(
            t.detokenize_bytes(&other_format),
            Err(Error::UnsupportedVersion(2))
        ));
        assert!(matches!(
            t.detokenize_bytes(&token[..20]),
            Err(Error::Malformed(_))
        ));
        assert!(t.detokenize("not a token!").is_err());
    }

    /// An authentic token of a value longer than tokenize accepts (made with the cipher
    /// directly, as another implementation might) is refused, before any decryption.
    #[test]
    fn fail_detokenize_what_tokenize_refuses() {
        let t = tokenizer(1, "cards");
        let big = vec![b'x'; MAX_TOKEN_PLAINTEXT + 2];
        assert!(matches!(
            t.tokenize_bytes(&big),
            Err(Error::LimitExceeded { .. })
        ));
        let header = t.header();
        let mut token = header.to_vec();
        token.extend(
            t.cipher()
                .unwrap()
                .encrypt([t.domain.as_bytes(), &header[..]], &big[..])
                .unwrap(),
        );
        assert!(matches!(
            t.detokenize_bytes(&token),
            Err(Error::LimitExceeded { .. })
        ));
        let text = base64url_encode(&token);
        assert!(matches!(
            t.detokenize(&text),
            Err(Error::LimitExceeded { .. })
        ));
        // At the limit both directions work.
        let max = vec![b'y'; MAX_TOKEN_PLAINTEXT];
        assert_eq!(t.detokenize(&t.tokenize(&max).unwrap()).unwrap(), max);
    }

    /// Detokenizing a keyed pseudonym used to report "unsupported format version 211";
    /// it now says what the text is.
    #[test]
    fn fail_keyed_pseudonyms_are_not_tokens() {
        use crate::pseudonym::{Encoding, KeyedConfig, KeyedPseudonymizer};
        let root = RootKey::new(1, &SecretBytes::from_slice(&[3u8; 32])).unwrap();
        let t = Tokenizer::new(&root, "email").unwrap();
        for (encoding, length, version_prefix) in [
            (Encoding::Hex, 32, false),
            (Encoding::Hex, 64, false),
            (Encoding::Base32Crockford, 26, false),
            (Encoding::Hex, 32, true),
        ] {
            let config = KeyedConfig {
                encoding,
                length,
                version_prefix,
                ..KeyedConfig::default()
            };
            let p = KeyedPseudonymizer::new(&root, "email", config).unwrap();
            for value in ["alice@example.com", "bob@example.com", "x"] {
                let pseudonym = p.pseudonymize(value);
                let e = t.detokenize(&pseudonym).unwrap_err();
                assert!(
                    e.to_string().contains("keyed pseudonym"),
                    "{pseudonym}: {e}"
                );
                assert!(token_key_version(&pseudonym).is_err());
            }
        }
        // Hex pseudonyms never decode to a plausible format byte.
        for first in (0x68..=0x7fu8).chain(0xd0..=0xf7) {
            assert!(!FUTURE_TOKEN_FORMATS.contains(&first) && first != TOKEN_FORMAT_V1);
        }
    }

    #[test]
    fn fail_other_domain() {
        let token = tokenizer(1, "ssn").tokenize(b"x").unwrap();
        assert!(matches!(
            tokenizer(1, "email").detokenize(&token),
            Err(Error::DecryptionFailed)
        ));
    }

    #[test]
    fn key_ring_reads_old_versions() {
        let secret = SecretBytes::from_slice(&[3u8; 32]);
        let old = RootKey::new(1, &secret).unwrap();
        let new = RootKey::new(2, &SecretBytes::from_slice(&[4u8; 32])).unwrap();
        let old_token = Tokenizer::new(&old, "ssn").unwrap().tokenize(b"v").unwrap();
        let mut ring = KeyRing::new(new);
        assert!(matches!(
            ring.detokenize("ssn", &old_token),
            Err(Error::UnknownKeyId(1))
        ));
        ring.add(old).unwrap();
        assert_eq!(ring.detokenize("ssn", &old_token).unwrap(), b"v");
        let batch = Tokenizer::new(ring.primary(), "ssn")
            .unwrap()
            .tokenize_batch(&["a", "b"])
            .unwrap();
        assert_eq!(token_key_version(&batch[0]).unwrap(), 2);
    }
}
