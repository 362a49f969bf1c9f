//! Secret values: key material and passwords.
//!
//! # Use case
//! Hold keys, passwords and other secrets so that they do not leak by accident: into
//! logs, into serialized output, through timing, or in freed memory.
//!
//! # About
//! [`SecretBytes`] and [`SecretString`] are newtypes that
//! - zero their memory when dropped ([`zeroize`]);
//! - print `[REDACTED]` under `Debug` and have no `Display`;
//! - compare in constant time ([`subtle`]);
//! - implement no `Serialize` and no `Deref`: the only accessor is `expose_secret()`,
//!   which makes every place that touches the secret easy to find in review.
//!
//! # Security
//! Zeroizing on drop does not cover copies the program made itself (a `String` the
//! password came from, a buffer it was read into) nor copies the allocator or the
//! operating system made (a reallocation, swap, a core dump). Create secrets from their
//! source as directly as you can and drop the sources.
//!
//! # Example
//! ```
//! use privkit::secret::SecretBytes;
//!
//! let key = SecretBytes::random(32)?;
//! assert_eq!(key.len(), 32);
//! assert_eq!(format!("{key:?}"), "SecretBytes([REDACTED])");
//! let copy = SecretBytes::from(key.expose_secret().to_vec());
//! assert_eq!(key, copy); // constant-time comparison
//! # Ok::<(), privkit::Error>(())
//! ```

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, Result, rand};

/// A variable-length secret byte string (typically key material), zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Box<[u8]>);

impl SecretBytes {
    /// Takes ownership of `bytes` without copying.
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes.into_boxed_slice())
    }

    /// Copies `bytes` into a new secret. The caller remains responsible for the source.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(bytes.into())
    }

    /// `len` bytes from the operating system's random number generator.
    ///
    /// # Errors
    /// [`Error::Random`] if the generator fails.
    pub fn random(len: usize) -> Result<Self> {
        let mut bytes = vec![0u8; len].into_boxed_slice();
        rand::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Decodes a secret written in hexadecimal (either case), as key files and
    /// environment variables hold it (`openssl rand -hex 32`). ASCII white space around
    /// and inside (a trailing newline, line breaks) is ignored. Decoding runs in constant
    /// time for the secret's digits, and no copy of the secret outlives the call.
    ///
    /// # Errors
    /// [`Error::Malformed`] for empty input, an odd number of
    /// digits or a character that is not a hex digit (the message does not repeat the
    /// input).
    pub fn from_hex(text: &str) -> Result<Self> {
        let digits = strip_whitespace(text);
        if digits.is_empty() {
            return Err(Error::Malformed("hex secret is empty"));
        }
        if !digits.len().is_multiple_of(2) {
            return Err(Error::Malformed("hex secret has an odd number of digits"));
        }
        let mut out = Self::zeroed(digits.len() / 2);
        let mut invalid = 0u8;
        for (o, pair) in out.0.iter_mut().zip(digits.chunks_exact(2)) {
            let (hi, hi_ok) = ct_hex_digit(pair[0]);
            let (lo, lo_ok) = ct_hex_digit(pair[1]);
            *o = (hi << 4) | lo;
            invalid |= !(hi_ok & lo_ok);
        }
        if invalid != 0 {
            return Err(Error::Malformed(
                "hex secret holds a character that is not a hex digit",
            ));
        }
        Ok(out)
    }

    /// Decodes a secret written in padded standard base64 (RFC 4648, section 4), as
    /// `openssl rand -base64 32` and most secret managers print it. ASCII white space
    /// around and inside (line breaks) is ignored. Decoding is constant time
    /// (`base64ct`), and no copy of the secret outlives the call.
    ///
    /// # Errors
    /// [`Error::Malformed`] for empty input or text that is not
    /// padded standard base64 (base64url, missing padding and non-canonical trailing bits
    /// are refused; the message does not repeat the input).
    pub fn from_base64(text: &str) -> Result<Self> {
        use base64ct::{Base64, Encoding};
        let chars = strip_whitespace(text);
        if chars.is_empty() {
            return Err(Error::Malformed("base64 secret is empty"));
        }
        let mut buf = Self::zeroed(chars.len() / 4 * 3);
        let len = Base64::decode(&chars[..], &mut buf.0)
            .map_err(|_| {
                Error::Malformed(
                    "base64 secret is not padded standard base64 (RFC 4648, section 4)",
                )
            })?
            .len();
        if len == buf.len() {
            return Ok(buf);
        }
        // `buf` is zeroized when dropped.
        Ok(Self::from_slice(&buf.0[..len]))
    }

    /// A secret of `len` zero bytes, to be filled by the caller through
    /// [`expose_secret_mut`](Self::expose_secret_mut).
    pub(crate) fn zeroed(len: usize) -> Self {
        Self(vec![0u8; len].into_boxed_slice())
    }

    /// The secret bytes. Every call site is a place where the secret leaves its box.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn expose_secret_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// Length in bytes (not secret).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes([REDACTED])")
    }
}

impl ConstantTimeEq for SecretBytes {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        // Lengths are not secret; contents are compared in constant time.
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SecretBytes {}

/// `text` without ASCII white space, in a buffer zeroized on drop.
fn strip_whitespace(text: &str) -> zeroize::Zeroizing<Vec<u8>> {
    zeroize::Zeroizing::new(text.bytes().filter(|b| !b.is_ascii_whitespace()).collect())
}

/// The value of hex digit `c` and `0xff` if it is one (`0` and `0x00` otherwise),
/// without branches on `c`.
fn ct_hex_digit(c: u8) -> (u8, u8) {
    let c = i16::from(c);
    // -1 (all ones) when c is in the range, 0 otherwise: both differences are negative
    // only inside it.
    let is_digit = ((0x2f - c) & (c - 0x3a)) >> 8;
    let lower = c | 0x20;
    let is_letter = ((0x60 - lower) & (lower - 0x67)) >> 8;
    let value = ((c - 0x30) & is_digit) | ((lower - 0x57) & is_letter);
    let ok = is_digit | is_letter;
    // value is 0..=15 and ok is 0 or -1; the casts keep the low byte.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (value as u8, ok as u8)
}

/// A secret UTF-8 string (a password or passphrase), zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

impl SecretString {
    /// Takes ownership of `s` without copying.
    #[must_use]
    pub fn new(s: String) -> Self {
        Self(s)
    }

    /// The secret text.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        Self::new(s.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([REDACTED])")
    }
}

impl ConstantTimeEq for SecretString {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.as_bytes().ct_eq(other.0.as_bytes())
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SecretString {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretBytes::from_slice(b"hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        let p = SecretString::from("hunter2");
        assert!(!format!("{p:?}").contains("hunter2"));
        assert!(!format!("{p:#?}").contains("hunter2"));
    }

    #[test]
    fn equality() {
        assert_eq!(
            SecretBytes::from_slice(b"ab"),
            SecretBytes::from_slice(b"ab")
        );
        assert_ne!(
            SecretBytes::from_slice(b"ab"),
            SecretBytes::from_slice(b"ac")
        );
        assert_ne!(
            SecretBytes::from_slice(b"ab"),
            SecretBytes::from_slice(b"abc")
        );
        assert_eq!(SecretString::from("x"), SecretString::from("x"));
        assert_ne!(SecretString::from("x"), SecretString::from("y"));
    }

    #[test]
    fn hex_and_base64_loading() -> Result<()> {
        let key: Vec<u8> = (0u8..32).collect();
        let hex = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F\n";
        assert_eq!(SecretBytes::from_hex(hex)?.expose_secret(), &key[..]);
        assert_eq!(
            SecretBytes::from_hex(" 00010203 0405\r\n")?.expose_secret(),
            &[0, 1, 2, 3, 4, 5]
        );
        // Every byte value through the constant-time digit decoder.
        for b in 0..=255u8 {
            let text = format!("{b:02x}{b:02X}");
            assert_eq!(SecretBytes::from_hex(&text)?.expose_secret(), &[b, b]);
        }
        for c in (0..=255u8).filter(|c| !c.is_ascii_hexdigit() && !c.is_ascii_whitespace()) {
            let text = format!("0{}", char::from(c));
            assert!(
                matches!(SecretBytes::from_hex(&text), Err(Error::Malformed(_))),
                "{c:#x}"
            );
        }
        let b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
        assert_eq!(SecretBytes::from_base64(b64)?.expose_secret(), &key[..]);
        assert_eq!(
            SecretBytes::from_base64("AAEC\nAw==")?.expose_secret(),
            &[0, 1, 2, 3]
        );
        Ok(())
    }

    #[test]
    fn fail_bad_hex_and_base64() {
        for bad in ["", " \n", "abc", "0g", "zz"] {
            assert!(SecretBytes::from_hex(bad).is_err(), "{bad:?}");
        }
        for bad in ["", "AAEC Aw", "AAECAw", "AAECA_==", "AAECAx==", "@@@@"] {
            assert!(SecretBytes::from_base64(bad).is_err(), "{bad:?}");
        }
        let e = SecretBytes::from_hex("00s3cr3t").unwrap_err().to_string();
        assert!(!e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn random_differs() -> Result<()> {
        let a = SecretBytes::random(32)?;
        let b = SecretBytes::random(32)?;
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        Ok(())
    }
}
