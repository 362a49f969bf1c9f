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

use crate::{Result, rand};

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
    /// [`Error::Random`](crate::Error::Random) if the generator fails.
    pub fn random(len: usize) -> Result<Self> {
        let mut bytes = vec![0u8; len].into_boxed_slice();
        rand::fill(&mut bytes)?;
        Ok(Self(bytes))
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
    fn random_differs() -> Result<()> {
        let a = SecretBytes::random(32)?;
        let b = SecretBytes::random(32)?;
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        Ok(())
    }
}
