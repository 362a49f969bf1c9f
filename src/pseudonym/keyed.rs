//! Keyed pseudonyms: HMAC-SHA256 under a per-domain key, truncated and encoded.

use std::borrow::Cow;
use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::keys::{Derive, Purpose, RootKey};
pub(crate) use crate::kdf::HmacSha256;
use crate::{Error, Result};

/// Pseudonyms must carry at least this many bits of the MAC.
pub const MIN_PSEUDONYM_BITS: u32 = 64;

/// The text encoding of a keyed pseudonym.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Encoding {
    /// Lower-case hexadecimal: 4 bits per character, at most 64 characters.
    #[default]
    Hex,
    /// Crockford base32 (`0-9A-Z` without `I L O U`), upper case: 5 bits per character,
    /// at most 51 characters.
    Base32Crockford,
    /// Unpadded base64url (RFC 4648, section 5): 6 bits per character, at most 42
    /// characters.
    Base64Url,
    /// Decimal digits: log2(10) ≈ 3.32 bits per character, at most 64 characters.
    Decimal,
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &[u8; 16] = b"0123456789abcdef";

impl Encoding {
    /// Bits of the MAC that one character carries.
    #[must_use]
    pub fn bits_per_char(self) -> f64 {
        match self {
            Encoding::Hex => 4.0,
            Encoding::Base32Crockford => 5.0,
            Encoding::Base64Url => 6.0,
            Encoding::Decimal => std::f64::consts::LOG2_10,
        }
    }

    /// The shortest length (in characters) carrying [`MIN_PSEUDONYM_BITS`] bits.
    #[must_use]
    pub fn min_len(self) -> usize {
        match self {
            Encoding::Hex => 16,
            Encoding::Base32Crockford => 13,
            Encoding::Base64Url => 11,
            Encoding::Decimal => 20,
        }
    }

    /// The longest length (in characters) this encoding can draw from a 256-bit MAC.
    #[must_use]
    pub fn max_len(self) -> usize {
        match self {
            Encoding::Hex | Encoding::Decimal => 64,
            Encoding::Base32Crockford => 51,
            Encoding::Base64Url => 42,
        }
    }

    /// Appends the first `len` characters of `mac` in this encoding to `out`.
    /// `len` is within `min_len..=max_len` (checked by [`KeyedConfig::validate`]).
    fn encode(self, mac: &[u8; 32], len: usize, out: &mut String) {
        match self {
            Encoding::Hex => encode_hex(mac, len, out),
            Encoding::Base32Crockford => encode_bits(mac, 5, len, CROCKFORD, out),
            Encoding::Base64Url => encode_bits(mac, 6, len, B64URL, out),
            Encoding::Decimal => encode_decimal(mac, len, out),
        }
    }
}

/// The two hexadecimal digits of every byte value.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut pairs = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        pairs[i] = [HEX[i >> 4], HEX[i & 0x0f]];
        i += 1;
    }
    pairs
};

/// Emits the first `len` (at most 64) hexadecimal digits of `mac`: one table lookup per
/// byte, and only the bytes the digits come from.
fn encode_hex(mac: &[u8; 32], len: usize, out: &mut String) {
    let len = len.min(64);
    let mut buf = [0u8; 64];
    for (pair, &b) in buf.chunks_exact_mut(2).zip(mac).take(len.div_ceil(2)) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
    // Every digit is ASCII, so this never fails.
    out.push_str(std::str::from_utf8(&buf[..len]).unwrap_or_default());
}

/// Emits `len` (at most 64) groups of `width` bits of `mac`, most significant first.
fn encode_bits(mac: &[u8; 32], width: u32, len: usize, alphabet: &[u8], out: &mut String) {
    let mut buf = [0u8; 64];
    let mut acc: u32 = 0;
    let mut have: u32 = 0;
    let mut bytes = mac.iter();
    let mask = (1u32 << width) - 1;
    for slot in buf.iter_mut().take(len) {
        while have < width {
            acc = (acc << 8) | u32::from(*bytes.next().unwrap_or(&0));
            have += 8;
        }
        have -= width;
        let idx = (acc >> have) & mask;
        acc &= (1u32 << have) - 1;
        *slot = alphabet[idx as usize];
    }
    // Every alphabet is ASCII, so this never fails.
    out.push_str(std::str::from_utf8(&buf[..len.min(64)]).unwrap_or_default());
}

/// Emits `mac` (a 256-bit big-endian integer) modulo `10^len`, zero-padded to `len`
/// digits. The statistical distance from uniform is at most `10^len / 2^256`.
fn encode_decimal(mac: &[u8; 32], len: usize, out: &mut String) {
    const CHUNK: u64 = 10_000_000_000_000_000_000; // 10^19 < 2^64
    let mut limbs = [0u64; 4];
    for (l, c) in limbs.iter_mut().zip(mac.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        *l = u64::from_be_bytes(b);
    }
    let mut digits = [0u8; 76];
    let mut n = 0;
    while n < len {
        // limbs /= 10^19, remainder r
        let mut rem: u128 = 0;
        for l in &mut limbs {
            let cur = (rem << 64) | u128::from(*l);
            let q = cur / u128::from(CHUNK);
            rem = cur % u128::from(CHUNK);
            *l = u64::try_from(q).unwrap_or(u64::MAX);
        }
        let mut r = u64::try_from(rem).unwrap_or(0);
        for _ in 0..19 {
            digits[n] = b'0' + u8::try_from(r % 10).unwrap_or(0);
            r /= 10;
            n += 1;
        }
    }
    for d in digits[..len].iter().rev() {
        out.push(char::from(*d));
    }
}

/// Input normalisation applied before the MAC, so that spellings of one value that
/// should be equal get one pseudonym.
///
/// Applied in this order: trim, case fold, NFC. With all three off the value's UTF-8
/// bytes are used as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct Normalization {
    /// Remove leading and trailing Unicode white space.
    pub trim: bool,
    /// Lower-case with Unicode's default lowercase mapping (`str::to_lowercase`).
    pub case_fold: bool,
    /// Unicode Normalization Form C, so that composed and decomposed spellings of
    /// one name match.
    pub nfc: bool,
}

impl Normalization {
    /// No normalisation: the bytes are used as given.
    pub const NONE: Self = Self {
        trim: false,
        case_fold: false,
        nfc: false,
    };
    /// Trim, case fold and NFC: for e-mail addresses, user names and people's names.
    pub const ALL: Self = Self {
        trim: true,
        case_fold: true,
        nfc: true,
    };

    /// Whether any step is enabled.
    #[must_use]
    pub fn is_none(&self) -> bool {
        *self == Self::NONE
    }

    /// `value` normalised.
    #[must_use]
    pub fn apply<'a>(&self, value: &'a str) -> Cow<'a, str> {
        let mut v = Cow::Borrowed(value);
        if self.trim {
            v = match v {
                Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
                Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
            };
        }
        if self.case_fold && v.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
            v = Cow::Owned(v.to_lowercase());
        }
        if self.nfc && !v.is_ascii() {
            v = Cow::Owned(v.nfc().collect());
        }
        v
    }
}

/// How a domain's keyed pseudonyms look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct KeyedConfig {
    /// Output alphabet.
    pub encoding: Encoding,
    /// Output length in characters (without the version prefix).
    pub length: usize,
    /// Input normalisation.
    pub normalization: Normalization,
    /// Prefix each pseudonym with `v<key version>:` so that pseudonyms made under a
    /// rotated key can be told apart.
    pub version_prefix: bool,
}

impl Default for KeyedConfig {
    /// 32 hex characters (128 bits), no normalisation, no prefix.
    fn default() -> Self {
        Self {
            encoding: Encoding::Hex,
            length: 32,
            normalization: Normalization::NONE,
            version_prefix: false,
        }
    }
}

impl KeyedConfig {
    /// Bits of the MAC carried by a pseudonym (`length * bits_per_char`).
    #[must_use]
    pub fn bits(&self) -> f64 {
        self.length as f64 * self.encoding.bits_per_char()
    }

    /// The probability that at least two of `n` distinct values get the same pseudonym:
    /// the birthday bound `1 - exp(-n(n-1) / 2^(b+1))` for `b` = [`bits`](Self::bits).
    ///
    /// For example 2^32 (4.3 billion) values under 128-bit pseudonyms collide with
    /// probability about 2.7e-20, and one million values under the 64-bit minimum
    /// with probability about 2.7e-8.
    #[must_use]
    pub fn collision_probability(&self, n: u64) -> f64 {
        let n = n as f64;
        let exponent = -(n * (n - 1.0)) / 2f64.powf(self.bits() + 1.0);
        -exponent.exp_m1()
    }

    /// Checks the length against the encoding's bounds.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the length carries fewer than
    /// [`MIN_PSEUDONYM_BITS`] bits or more than the encoding can draw from the MAC.
    pub fn validate(&self) -> Result<()> {
        let (min, max) = (self.encoding.min_len(), self.encoding.max_len());
        if self.length < min {
            return Err(Error::invalid_argument(format!(
                "{:?} pseudonyms of {} characters carry {:.1} bits; at least {min} characters \
                 ({MIN_PSEUDONYM_BITS} bits) are required",
                self.encoding,
                self.length,
                self.bits()
            )));
        }
        if self.length > max {
            return Err(Error::invalid_argument(format!(
                "{:?} pseudonyms are at most {max} characters long",
                self.encoding
            )));
        }
        Ok(())
    }
}

/// The key version a pseudonym names through its `v<version>:` prefix, or `None` for a
/// pseudonym without one (no encoding's alphabet contains `:`, so the two never mix up).
#[must_use]
pub fn pseudonym_key_version(pseudonym: &str) -> Option<u32> {
    let (prefix, _) = pseudonym.split_once(':')?;
    let digits = prefix.strip_prefix('v')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Keyed pseudonyms for one domain: consistent within the domain, unlinkable across
/// domains and key versions, not reversible.
#[derive(Clone)]
pub struct KeyedPseudonymizer {
    mac: HmacSha256,
    config: KeyedConfig,
    version: u32,
    /// `v<version>:` when the configuration asks for it, else empty.
    prefix: String,
}

impl fmt::Debug for KeyedPseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedPseudonymizer")
            .field("config", &self.config)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl KeyedPseudonymizer {
    /// The pseudonymizer of `domain` under `root`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty domain or a `config` that
    /// [`KeyedConfig::validate`] refuses.
    pub fn new(root: &RootKey, domain: &str, config: KeyedConfig) -> Result<Self> {
        config.validate()?;
        let key = root.derive(Purpose::Keyed, domain, 32)?;
        let prefix = if config.version_prefix {
            format!("v{}:", root.version())
        } else {
            String::new()
        };
        Ok(Self {
            mac: HmacSha256::new(key.expose_secret()),
            config,
            version: root.version(),
            prefix,
        })
    }

    /// The configuration in force.
    #[must_use]
    pub fn config(&self) -> &KeyedConfig {
        &self.config
    }

    /// The key version.
    #[must_use]
    pub fn key_version(&self) -> u32 {
        self.version
    }

    /// The full 32-byte HMAC-SHA256 of `value` under the domain key, without
    /// normalisation: the raw material every pseudonym is cut from.
    #[must_use]
    pub fn mac(&self, value: &[u8]) -> [u8; 32] {
        self.mac.mac(value)
    }

    /// The pseudonym of `value`, after the domain's normalisation.
    #[must_use]
    pub fn pseudonymize(&self, value: &str) -> String {
        let mut out = String::with_capacity(self.encoded_len());
        self.pseudonymize_into(value, &mut out);
        out
    }

    /// Appends the pseudonym of `value` to `out` (no allocation when `out` has room).
    pub fn pseudonymize_into(&self, value: &str, out: &mut String) {
        let normalized = self.config.normalization.apply(value);
        self.encode(&self.mac.mac(normalized.as_bytes()), out);
    }

    /// The pseudonym of a byte string. Without normalisation the bytes are used as
    /// given; with normalisation they must be UTF-8 and give the same pseudonym as
    /// [`pseudonymize`](Self::pseudonymize) of that text.
    ///
    /// # Errors
    /// [`Error::Malformed`] when normalisation is configured and `value` is not UTF-8.
    pub fn pseudonymize_bytes(&self, value: &[u8]) -> Result<String> {
        if self.config.normalization.is_none() {
            let mut out = String::with_capacity(self.encoded_len());
            self.encode(&self.mac.mac(value), &mut out);
            return Ok(out);
        }
        let text = std::str::from_utf8(value)
            .map_err(|_| Error::Malformed("value to normalise is not UTF-8"))?;
        Ok(self.pseudonymize(text))
    }

    /// Pseudonyms of many values, in order, spread over the available cores
    /// (`std::thread::scope` over contiguous chunks).
    #[must_use]
    pub fn pseudonymize_batch<S: AsRef<str> + Sync>(&self, values: &[S]) -> Vec<String> {
        super::batch::map_chunks(values, |v| self.pseudonymize(v.as_ref()))
    }

    /// Bytes of one pseudonym: the version prefix and the encoded MAC (ASCII).
    fn encoded_len(&self) -> usize {
        self.prefix.len() + self.config.length
    }

    fn encode(&self, mac: &[u8; 32], out: &mut String) {
        out.reserve(self.encoded_len());
        out.push_str(&self.prefix);
        self.config.encoding.encode(mac, self.config.length, out);
    }
}

#[cfg(test)]
mod tests {
    // HmacSha256 itself is tested against RFC 4231 and the hmac crate in kdf/sha256.rs.
    use proptest::prelude::*;

    use super::*;
    use crate::secret::SecretBytes;

    proptest! {
        #[test]
        fn encodings_have_length_and_alphabet(len in 0usize..64, seed in any::<[u8; 32]>()) {
            for enc in [Encoding::Hex, Encoding::Base32Crockford, Encoding::Base64Url, Encoding::Decimal] {
                let len = len.min(enc.max_len());
                let mut s = String::new();
                enc.encode(&seed, len, &mut s);
                prop_assert_eq!(s.len(), len);
                let ok = match enc {
                    Encoding::Hex => s.bytes().all(|b| HEX.contains(&b)),
                    Encoding::Base32Crockford => s.bytes().all(|b| CROCKFORD.contains(&b)),
                    Encoding::Base64Url => s.bytes().all(|b| B64URL.contains(&b)),
                    Encoding::Decimal => s.bytes().all(|b| b.is_ascii_digit()),
                };
                prop_assert!(ok);
                if enc == Encoding::Hex {
                    // Odd lengths too: the first `len` digits of the whole MAC's hex.
                    let whole = crate::encoding::hex_encode(&seed);
                    prop_assert_eq!(s.as_str(), &whole[..len]);
                }
            }
        }
    }

    #[test]
    fn encodings_are_prefixes_of_the_mac() {
        let mac: [u8; 32] = core::array::from_fn(|i| u8::try_from(i * 7 + 1).unwrap_or(0));
        let mut hex = String::new();
        Encoding::Hex.encode(&mac, 64, &mut hex);
        assert_eq!(hex, crate::encoding::hex_encode(&mac));
        let mut b64 = String::new();
        Encoding::Base64Url.encode(&mac, 42, &mut b64);
        assert!(crate::encoding::base64url_encode(&mac).starts_with(&b64));
        // Decimal: the low digits of the integer; a small value checks the arithmetic.
        let mut small = [0u8; 32];
        small[31] = 0x39; // 12345 = 0x3039
        small[30] = 0x30;
        let mut dec = String::new();
        Encoding::Decimal.encode(&small, 20, &mut dec);
        assert_eq!(dec, "00000000000000012345");
        // 2^64 = 18446744073709551616 crosses a limb boundary.
        let mut big = [0u8; 32];
        big[23] = 1;
        let mut dec = String::new();
        Encoding::Decimal.encode(&big, 25, &mut dec);
        assert_eq!(dec, "0000018446744073709551616");
    }

    #[test]
    fn normalization_merges_spellings() -> Result<()> {
        let root = RootKey::new(1, &SecretBytes::from_slice(&[9u8; 32]))?;
        let cfg = KeyedConfig {
            normalization: Normalization::ALL,
            ..KeyedConfig::default()
        };
        let p = KeyedPseudonymizer::new(&root, "name", cfg)?;
        let composed = p.pseudonymize("  Zoë  ");
        assert_eq!(composed, p.pseudonymize("zoe\u{0308}"));
        assert_eq!(composed, p.pseudonymize_bytes("ZOË".as_bytes())?);
        let raw = KeyedPseudonymizer::new(&root, "name", KeyedConfig::default())?;
        assert_ne!(raw.pseudonymize("Zoë"), raw.pseudonymize("zoë"));
        Ok(())
    }

    #[test]
    fn domains_and_versions_differ() -> Result<()> {
        let secret = SecretBytes::from_slice(&[9u8; 32]);
        let v1 = RootKey::new(1, &secret)?;
        let v2 = RootKey::new(2, &secret)?;
        let cfg = KeyedConfig {
            version_prefix: true,
            ..KeyedConfig::default()
        };
        let a = KeyedPseudonymizer::new(&v1, "email", cfg)?;
        let b = KeyedPseudonymizer::new(&v1, "phone", cfg)?;
        let c = KeyedPseudonymizer::new(&v2, "email", cfg)?;
        let pa = a.pseudonymize("x");
        assert!(pa.starts_with("v1:"));
        assert_eq!(pseudonym_key_version(&pa), Some(1));
        assert_eq!(pseudonym_key_version(&c.pseudonymize("x")), Some(2));
        let plain = KeyedPseudonymizer::new(&v1, "email", KeyedConfig::default())?;
        assert_eq!(pseudonym_key_version(&plain.pseudonymize("x")), None);
        assert_eq!(pseudonym_key_version("v:abc"), None);
        assert_eq!(pseudonym_key_version("v+1:abc"), None);
        assert_eq!(pa.len(), 3 + 32);
        assert_ne!(pa[3..], b.pseudonymize("x")[3..]);
        assert_ne!(pa[3..], c.pseudonymize("x")[3..]);
        let batch = a.pseudonymize_batch(&["x", "y", "x"]);
        assert_eq!(batch, vec![pa.clone(), a.pseudonymize("y"), pa]);
        Ok(())
    }

    #[test]
    fn fail_short_and_long_lengths() {
        for enc in [
            Encoding::Hex,
            Encoding::Base32Crockford,
            Encoding::Base64Url,
            Encoding::Decimal,
        ] {
            let at = |length| KeyedConfig {
                encoding: enc,
                length,
                ..KeyedConfig::default()
            };
            assert!(at(enc.min_len() - 1).validate().is_err());
            assert!(at(enc.min_len()).validate().is_ok());
            assert!(at(enc.min_len()).bits() >= f64::from(MIN_PSEUDONYM_BITS));
            assert!(at(enc.min_len() - 1).bits() < f64::from(MIN_PSEUDONYM_BITS));
            assert!(at(enc.max_len()).validate().is_ok());
            assert!(at(enc.max_len() + 1).validate().is_err());
        }
    }

    #[test]
    fn collision_probability_matches_birthday_bound() {
        let cfg = KeyedConfig {
            length: 16,
            ..KeyedConfig::default()
        }; // 64 bits
        let p = cfg.collision_probability(1 << 32);
        assert!((p - (1.0 - (-0.5f64).exp())).abs() < 1e-6);
        let tiny = KeyedConfig::default().collision_probability(1_000_000);
        assert!(tiny > 0.0 && tiny < 1e-26);
    }
}
