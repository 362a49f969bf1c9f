//! Root keys, key versions and per-domain key derivation.

use std::collections::BTreeMap;

pub use crate::kdf::RootKey;
use crate::secret::SecretBytes;
use crate::{Error, Result};

/// First HKDF label of every per-domain key (names the derivation scheme).
const SCHEME_LABEL: &[u8] = b"privkit/pseudonym/v1";

/// What a derived key is for; the label keeps the key families independent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// HMAC-SHA256 keyed pseudonyms.
    Keyed,
    /// AES-256-SIV tokens.
    Token,
    /// FF1 with AES-256.
    Ff1,
    /// Date-shift PRF (HMAC-SHA256).
    DateShift,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Keyed => b"keyed",
            Purpose::Token => b"token",
            Purpose::Ff1 => b"ff1",
            Purpose::DateShift => b"date-shift",
        }
    }
}

/// Per-domain pseudonymization keys from a [`RootKey`] (`docs/FORMAT.md` section 10): the
/// key for purpose `p` and domain `d` is HKDF-SHA256 with salt `"privkit/pseudonym/root"`
/// over the root secret, expanded with the injective labels
/// `["privkit/pseudonym/v1", p, u32_be(version), d]`. Distinct domains, purposes and
/// versions therefore get independent keys, even when two versions share one secret by
/// mistake.
pub(crate) trait Derive {
    /// The `len`-byte key for `purpose` in `domain`.
    fn derive(&self, purpose: Purpose, domain: &str, len: usize) -> Result<SecretBytes>;
}

impl Derive for RootKey {
    fn derive(&self, purpose: Purpose, domain: &str, len: usize) -> Result<SecretBytes> {
        check_domain(domain)?;
        self.pseudonym_prk().expand_labeled(
            &[
                SCHEME_LABEL,
                purpose.label(),
                &self.version().to_be_bytes(),
                domain.as_bytes(),
            ],
            len,
        )
    }
}

fn check_domain(domain: &str) -> Result<()> {
    if domain.is_empty() {
        return Err(Error::invalid_argument(
            "pseudonymization domain must not be empty",
        ));
    }
    Ok(())
}

/// Several versions of the root key: the primary one for new pseudonyms and tokens,
/// older ones to read tokens made before a rotation.
///
/// Keys are passed in explicitly; there is no global key registry.
#[derive(Clone, Debug)]
pub struct KeyRing {
    keys: BTreeMap<u32, RootKey>,
    primary: u32,
}

impl KeyRing {
    /// A key ring holding `primary` only.
    #[must_use]
    pub fn new(primary: RootKey) -> Self {
        let version = primary.version();
        let mut keys = BTreeMap::new();
        keys.insert(version, primary);
        Self {
            keys,
            primary: version,
        }
    }

    /// Adds an older (or newer, not yet primary) key version.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] when the ring already holds that version.
    pub fn add(&mut self, key: RootKey) -> Result<()> {
        let version = key.version();
        if self.keys.contains_key(&version) {
            return Err(Error::InvalidOperation(format!(
                "key ring already holds key version {version}"
            )));
        }
        self.keys.insert(version, key);
        Ok(())
    }

    /// Makes `version` the primary key.
    ///
    /// # Errors
    /// [`Error::UnknownKeyId`] when the ring does not hold that version.
    pub fn set_primary(&mut self, version: u32) -> Result<()> {
        self.get(version)?;
        self.primary = version;
        Ok(())
    }

    /// The primary key.
    #[must_use]
    pub fn primary(&self) -> &RootKey {
        // The primary version is always present: `new` inserts it, `set_primary` checks
        // it, and nothing removes keys.
        &self.keys[&self.primary]
    }

    /// The key with version `version`.
    ///
    /// # Errors
    /// [`Error::UnknownKeyId`] when the ring does not hold that version.
    pub fn get(&self, version: u32) -> Result<&RootKey> {
        self.keys.get(&version).ok_or(Error::UnknownKeyId(version))
    }

    /// The key with version `version`, or the primary key for `None`.
    ///
    /// # Errors
    /// [`Error::UnknownKeyId`] when the ring does not hold that version.
    pub fn get_or_primary(&self, version: Option<u32>) -> Result<&RootKey> {
        match version {
            Some(v) => self.get(v),
            None => Ok(self.primary()),
        }
    }

    /// The versions held, in increasing order.
    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivations_are_independent() -> Result<()> {
        let secret = SecretBytes::from_slice(&[7u8; 32]);
        let v1 = RootKey::new(1, &secret)?;
        let v2 = RootKey::new(2, &secret)?;
        let a = v1.derive(Purpose::Keyed, "email", 32)?;
        assert_ne!(a, v2.derive(Purpose::Keyed, "email", 32)?);
        assert_ne!(a, v1.derive(Purpose::Token, "email", 32)?);
        assert_ne!(a, v1.derive(Purpose::Keyed, "emails", 32)?);
        assert_eq!(a, v1.derive(Purpose::Keyed, "email", 32)?);
        Ok(())
    }

    #[test]
    fn fail_short_root_and_empty_domain() -> Result<()> {
        assert!(RootKey::new(1, &SecretBytes::from_slice(&[1u8; 31])).is_err());
        let k = RootKey::new(1, &SecretBytes::from_slice(&[1u8; 32]))?;
        assert!(k.derive(Purpose::Keyed, "", 32).is_err());
        Ok(())
    }

    #[test]
    fn fail_key_ring_unknown_and_duplicate() -> Result<()> {
        let secret = SecretBytes::from_slice(&[7u8; 32]);
        let mut ring = KeyRing::new(RootKey::new(1, &secret)?);
        assert!(ring.add(RootKey::new(1, &secret)?).is_err());
        ring.add(RootKey::new(2, &secret)?)?;
        assert!(matches!(ring.set_primary(3), Err(Error::UnknownKeyId(3))));
        ring.set_primary(2)?;
        assert_eq!(ring.primary().version(), 2);
        assert_eq!(ring.versions().collect::<Vec<_>>(), vec![1, 2]);
        Ok(())
    }
}
