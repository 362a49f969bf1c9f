use sha2::{Sha256, Sha512};

use crate::secret::SecretBytes;
use crate::{Error, Result};

/// The hash function under HKDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Hash {
    /// SHA-256 (32-byte pseudorandom key).
    #[default]
    Sha256,
    /// SHA-512 (64-byte pseudorandom key).
    Sha512,
}

impl Hash {
    /// Output length of the hash in bytes.
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha512 => 64,
        }
    }

    /// The longest output HKDF-Expand can produce with this hash: 255 blocks.
    #[must_use]
    pub const fn max_output_len(self) -> usize {
        255 * self.output_len()
    }
}

/// HKDF (RFC 5869) after its extract step: holds the pseudorandom key, keyed and ready
/// to expand any number of outputs.
#[derive(Clone)]
pub struct Hkdf {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Sha256(::hkdf::Hkdf<Sha256>),
    Sha512(::hkdf::Hkdf<Sha512>),
}

impl std::fmt::Debug for Hkdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hkdf")
            .field("hash", &self.hash())
            .finish_non_exhaustive()
    }
}

impl Hkdf {
    /// HKDF-Extract: the pseudorandom key from input key material `ikm` and `salt`
    /// (an empty salt means the RFC's default, a string of zeros).
    #[must_use]
    pub fn extract(hash: Hash, salt: &[u8], ikm: &[u8]) -> Self {
        let salt = if salt.is_empty() { None } else { Some(salt) };
        let inner = match hash {
            Hash::Sha256 => Inner::Sha256(::hkdf::Hkdf::<Sha256>::new(salt, ikm)),
            Hash::Sha512 => Inner::Sha512(::hkdf::Hkdf::<Sha512>::new(salt, ikm)),
        };
        Self { inner }
    }

    /// Skips the extract step: `prk` must already be a uniformly random key at least as
    /// long as the hash output (RFC 5869, section 3.3).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `prk` is shorter than the hash output.
    pub fn from_prk(hash: Hash, prk: &[u8]) -> Result<Self> {
        let bad = |_| Error::invalid_argument("HKDF pseudorandom key shorter than the hash output");
        let inner = match hash {
            Hash::Sha256 => Inner::Sha256(::hkdf::Hkdf::<Sha256>::from_prk(prk).map_err(bad)?),
            Hash::Sha512 => Inner::Sha512(::hkdf::Hkdf::<Sha512>::from_prk(prk).map_err(bad)?),
        };
        Ok(Self { inner })
    }

    /// The hash function in use.
    #[must_use]
    pub fn hash(&self) -> Hash {
        match self.inner {
            Inner::Sha256(_) => Hash::Sha256,
            Inner::Sha512(_) => Hash::Sha512,
        }
    }

    /// HKDF-Expand with a raw `info` string, into `out`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `out` is longer than
    /// [`Hash::max_output_len`].
    pub fn expand_into(&self, info: &[&[u8]], out: &mut [u8]) -> Result<()> {
        let r = match &self.inner {
            Inner::Sha256(h) => h.expand_multi_info(info, out),
            Inner::Sha512(h) => h.expand_multi_info(info, out),
        };
        r.map_err(|_| Error::invalid_argument("HKDF output longer than 255 hash blocks"))
    }

    /// HKDF-Expand with a raw `info` string: `len` bytes of output key material.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `len` is over [`Hash::max_output_len`].
    pub fn expand(&self, info: &[u8], len: usize) -> Result<SecretBytes> {
        let mut out = SecretBytes::zeroed(len);
        self.expand_into(&[info], out.expose_secret_mut())?;
        Ok(out)
    }

    /// HKDF-Expand whose `info` is the injective encoding of `labels`
    /// (see [`encode_labels`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `len` is over [`Hash::max_output_len`] or a
    /// label is longer than `u32::MAX` bytes.
    pub fn expand_labeled(&self, labels: &[&[u8]], len: usize) -> Result<SecretBytes> {
        let info = encode_labels(labels)?;
        self.expand(&info, len)
    }
}

/// The injective encoding of a label sequence: for each label, its length as a 4-byte
/// big-endian integer, then its bytes. Distinct sequences give distinct encodings, and
/// no encoding is a prefix of another's encoding of more labels.
///
/// # Errors
/// [`Error::InvalidArgument`] if a label is longer than `u32::MAX` bytes.
pub fn encode_labels(labels: &[&[u8]]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(labels.iter().map(|l| l.len() + 4).sum());
    for label in labels {
        let len = u32::try_from(label.len())
            .map_err(|_| Error::invalid_argument("label longer than 4 GiB"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(label);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_injective() -> Result<()> {
        assert_ne!(
            encode_labels(&[b"ab", b"c"])?,
            encode_labels(&[b"a", b"bc"])?
        );
        assert_ne!(encode_labels(&[b"abc"])?, encode_labels(&[b"abc", b""])?);
        let h = Hkdf::extract(Hash::Sha256, b"salt", b"ikm");
        assert_ne!(
            h.expand_labeled(&[b"ab", b"c"], 32)?,
            h.expand_labeled(&[b"a", b"bc"], 32)?
        );
        Ok(())
    }

    #[test]
    fn rfc5869_case_1() -> Result<()> {
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let okm = Hkdf::extract(Hash::Sha256, &salt, &ikm).expand(&info, 42)?;
        let want =
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
        let got: String = okm
            .expose_secret()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, want);
        Ok(())
    }

    #[test]
    fn fail_too_long_output() {
        let h = Hkdf::extract(Hash::Sha256, b"", b"ikm");
        assert!(h.expand(b"", 255 * 32 + 1).is_err());
        assert!(h.expand(b"", 255 * 32).is_ok());
    }
}
