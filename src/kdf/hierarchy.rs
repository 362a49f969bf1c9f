use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::hkdf::{Hash, Hkdf, encode_labels};
use crate::secret::SecretBytes;
use crate::{Error, Result};

/// Domain-separation label that starts every derivation in the hierarchy.
const DOMAIN: &[u8] = b"privkit/kdf/hierarchy/v1";
/// Length of every node key in the hierarchy (an HKDF-SHA256 pseudorandom key).
const NODE_LEN: usize = 32;

macro_rules! derived_key {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        ///
        /// Zeroized on drop, `Debug` prints `[REDACTED]`, equality is constant-time,
        /// and it is deliberately not `Clone`.
        pub struct $name(Box<[u8; Self::LEN]>);

        impl $name {
            /// Length of the key in bytes.
            pub const LEN: usize = 32;

            /// The label that separates this key type from the others in a derivation.
            const LABEL: &'static [u8] = $label;

            /// Wraps existing key material (for example a key unwrapped from storage).
            #[must_use]
            pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
                let mut boxed = Box::new([0u8; Self::LEN]);
                let mut bytes = bytes;
                boxed.copy_from_slice(&bytes);
                bytes.zeroize();
                Self(boxed)
            }

            /// The key bytes. Every call site is a place where the key leaves its box.
            #[must_use]
            pub fn expose_secret(&self) -> &[u8; Self::LEN] {
                &self.0
            }

            /// The key as a [`SecretBytes`], for APIs that take untyped key material.
            #[must_use]
            pub fn into_secret_bytes(self) -> SecretBytes {
                SecretBytes::from_slice(&self.0[..])
            }

            fn derive(node: &Hkdf) -> Result<Self> {
                let mut key = Box::new([0u8; Self::LEN]);
                let info = encode_labels(&[DOMAIN, b"key", Self::LABEL])?;
                node.expand_into(&[&info], &mut key[..])?;
                Ok(Self(key))
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                self.0.zeroize();
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }

        impl ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> subtle::Choice {
                self.0[..].ct_eq(&other.0[..])
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.ct_eq(other).into()
            }
        }

        impl Eq for $name {}
    };
}

derived_key!(
    /// A 256-bit key for authenticated encryption: usable as the key material of a
    /// keyset key for any [`Algorithm`](crate::Algorithm) (all take 32-byte keys).
    EncryptionKey,
    b"aead"
);

derived_key!(
    /// A 256-bit key for pseudonymization: keyed pseudonyms (HMAC-SHA256), tokens,
    /// format-preserving encryption.
    PseudonymKey,
    b"pseudonym"
);

derived_key!(
    /// A 256-bit key-encryption key: wraps (encrypts) other keys, never data.
    WrappingKey,
    b"kek"
);

derived_key!(
    /// A 256-bit beacon key: the key material from which every blind index (beacon) of
    /// one table or tenant derives its HMAC key
    /// ([`BeaconKeys`](crate::pseudonym::BeaconKeys)).
    BeaconKey,
    b"beacon"
);

/// The kind of a step down the hierarchy. Part of every derivation, so a tenant and a
/// subject with the same identifier get different keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Level {
    Tenant,
    Purpose,
    Subject,
}

impl Level {
    fn label(self) -> &'static [u8] {
        match self {
            Level::Tenant => b"tenant",
            Level::Purpose => b"purpose",
            Level::Subject => b"subject",
        }
    }
}

/// A node of the hierarchy: an HKDF-SHA256 key from which children and leaf keys are
/// expanded.
#[derive(Clone)]
struct Node(Hkdf);

impl Node {
    fn child(&self, level: Level, id: &[u8]) -> Result<SubKey> {
        let mut prk = SecretBytes::zeroed(NODE_LEN);
        let info = encode_labels(&[DOMAIN, b"node", level.label(), id])?;
        self.0.expand_into(&[&info], prk.expose_secret_mut())?;
        Ok(SubKey {
            node: Node(Hkdf::from_prk(Hash::Sha256, prk.expose_secret())?),
            prk,
        })
    }
}

macro_rules! node_methods {
    () => {
        /// The child key for tenant `id`.
        ///
        /// # Errors
        /// [`Error::InvalidArgument`] if `id` is longer than 4 GiB.
        pub fn tenant(&self, id: impl AsRef<[u8]>) -> Result<SubKey> {
            self.node().child(Level::Tenant, id.as_ref())
        }

        /// The child key for purpose `name` (for example `"billing"` or `"analytics"`).
        ///
        /// # Errors
        /// [`Error::InvalidArgument`] if `name` is longer than 4 GiB.
        pub fn purpose(&self, name: impl AsRef<[u8]>) -> Result<SubKey> {
            self.node().child(Level::Purpose, name.as_ref())
        }

        /// The child key for data subject `id` (a user, a customer): keys for that
        /// subject's data, separated from every other subject's.
        ///
        /// A derived subject key is **not erasable**: anyone holding this node's parent
        /// (ultimately the root) derives it again, so destroying a copy erases nothing
        /// (no crypto-shredding). To make a subject's data erasable, encrypt it under a
        /// random per-subject key that is stored, and destroyed, on its own:
        /// [`SubjectVault`](crate::retention::SubjectVault) does so.
        ///
        /// # Errors
        /// [`Error::InvalidArgument`] if `id` is longer than 4 GiB.
        pub fn subject(&self, id: impl AsRef<[u8]>) -> Result<SubKey> {
            self.node().child(Level::Subject, id.as_ref())
        }

        /// The authenticated-encryption key of this node.
        ///
        /// # Errors
        /// Never in practice; the signature leaves room for other backends.
        pub fn encryption_key(&self) -> Result<EncryptionKey> {
            EncryptionKey::derive(&self.node().0)
        }

        /// The pseudonymization key of this node.
        ///
        /// # Errors
        /// Never in practice; the signature leaves room for other backends.
        pub fn pseudonym_key(&self) -> Result<PseudonymKey> {
            PseudonymKey::derive(&self.node().0)
        }

        /// The key-encryption key of this node.
        ///
        /// # Errors
        /// Never in practice; the signature leaves room for other backends.
        pub fn wrapping_key(&self) -> Result<WrappingKey> {
            WrappingKey::derive(&self.node().0)
        }

        /// The beacon (blind index) key of this node: give it to
        /// [`BeaconKeys::new`](crate::pseudonym::BeaconKeys::new).
        ///
        /// # Errors
        /// Never in practice; the signature leaves room for other backends.
        pub fn beacon_key(&self) -> Result<BeaconKey> {
            BeaconKey::derive(&self.node().0)
        }
    };
}

/// A root key: one high-entropy secret from which every other key is derived, with a key
/// version. It is the root of the key hierarchy of this module (tenant, purpose and
/// subject keys: `docs/FORMAT.md` section 7) and of every pseudonymization key
/// ([`pseudonym`](crate::pseudonym): keyed pseudonyms, tokens, FF1, date shifts, section
/// 10), which also record its version.
///
/// Keep the secret in a KMS or a secrets manager; everything below can be re-derived from
/// it. The two families are derived with different HKDF salts, so a hierarchy key never
/// equals a pseudonymization key.
///
/// # Example
/// ```
/// use privkit::kdf::RootKey;
/// use privkit::pseudonym::{KeyedConfig, KeyedPseudonymizer};
///
/// let (root, _secret_to_store) = RootKey::generate()?;
/// let orders = root.tenant("acme")?.purpose("orders")?.encryption_key()?;
/// let emails = KeyedPseudonymizer::new(&root, "email", KeyedConfig::default())?;
/// assert_eq!(root.version(), 1);
/// # let _ = (orders, emails);
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Clone)]
pub struct RootKey {
    node: Node,
    /// HKDF-Extract of the secret under the pseudonymization salt (section 10).
    pseudonym: Hkdf,
    version: u32,
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootKey")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// HKDF-Extract salt of the pseudonymization keys (`docs/FORMAT.md` section 10).
const PSEUDONYM_SALT: &[u8] = b"privkit/pseudonym/root";

impl RootKey {
    /// Smallest root secret accepted, in bytes.
    pub const MIN_LEN: usize = 32;

    /// A new random root key of version 1, with the 32-byte secret to store.
    ///
    /// # Errors
    /// [`Error::Random`] if the system's random generator fails.
    pub fn generate() -> Result<(Self, SecretBytes)> {
        let secret = SecretBytes::random(Self::MIN_LEN)?;
        Ok((Self::from_secret(&secret)?, secret))
    }

    /// The root key of `secret`, version 1: at least 32 bytes of high-entropy key material
    /// (not a password: derive a key-encryption key from a password instead).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `secret` is shorter than 32 bytes.
    pub fn from_secret(secret: &SecretBytes) -> Result<Self> {
        Self::new(1, secret)
    }

    /// The root key of `secret` with key version `version`: the version that
    /// pseudonyms (when asked) and tokens carry, so that a [`KeyRing`](crate::pseudonym::KeyRing)
    /// holding several versions reads old tokens after a rotation. The key hierarchy does
    /// not depend on the version.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `secret` is shorter than 32 bytes.
    pub fn new(version: u32, secret: &SecretBytes) -> Result<Self> {
        if secret.len() < Self::MIN_LEN {
            return Err(Error::invalid_argument(format_args!(
                "root key material of {} bytes: at least {} bytes are needed",
                secret.len(),
                Self::MIN_LEN
            )));
        }
        Ok(Self {
            node: Node(Hkdf::extract(Hash::Sha256, DOMAIN, secret.expose_secret())),
            pseudonym: Hkdf::extract(Hash::Sha256, PSEUDONYM_SALT, secret.expose_secret()),
            version,
        })
    }

    /// The key version.
    #[must_use]
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The pseudonymization PRK (`docs/FORMAT.md` section 10), for `pseudonym`.
    pub(crate) fn pseudonym_prk(&self) -> &Hkdf {
        &self.pseudonym
    }

    fn node(&self) -> &Node {
        &self.node
    }

    node_methods!();
}

/// A key below the root: a tenant, purpose or subject node. Derive further children or
/// leaf keys from it, or hand its secret to a service that should reach only this
/// branch of the hierarchy.
#[derive(Clone)]
pub struct SubKey {
    node: Node,
    prk: SecretBytes,
}

impl fmt::Debug for SubKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubKey([REDACTED])")
    }
}

impl SubKey {
    /// The 32-byte secret of this node: whoever holds it derives this branch (and only
    /// this branch) with [`from_secret`](Self::from_secret).
    #[must_use]
    pub fn to_secret(&self) -> SecretBytes {
        self.prk.clone()
    }

    /// The node whose secret [`to_secret`](Self::to_secret) returned.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `secret` is 32 bytes long.
    pub fn from_secret(secret: &SecretBytes) -> Result<Self> {
        if secret.len() != NODE_LEN {
            return Err(Error::invalid_argument(format_args!(
                "sub-key secret must be {NODE_LEN} bytes"
            )));
        }
        Ok(Self {
            node: Node(Hkdf::from_prk(Hash::Sha256, secret.expose_secret())?),
            prk: secret.clone(),
        })
    }

    fn node(&self) -> &Node {
        &self.node
    }

    node_methods!();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn root() -> RootKey {
        RootKey::from_secret(&SecretBytes::from_slice(&[42u8; 32])).unwrap()
    }

    /// A path: a sequence of (level, id) steps, then a leaf kind.
    fn derive(root: &RootKey, path: &[(u8, Vec<u8>)], leaf: u8) -> [u8; 32] {
        let mut node: Option<SubKey> = None;
        for (level, id) in path {
            let next = match (&node, level % 3) {
                (None, 0) => root.tenant(id),
                (None, 1) => root.purpose(id),
                (None, _) => root.subject(id),
                (Some(n), 0) => n.tenant(id),
                (Some(n), 1) => n.purpose(id),
                (Some(n), _) => n.subject(id),
            };
            node = Some(next.unwrap());
        }
        match (&node, leaf % 3) {
            (None, 0) => *root.encryption_key().unwrap().expose_secret(),
            (None, 1) => *root.pseudonym_key().unwrap().expose_secret(),
            (None, _) => *root.wrapping_key().unwrap().expose_secret(),
            (Some(n), 0) => *n.encryption_key().unwrap().expose_secret(),
            (Some(n), 1) => *n.pseudonym_key().unwrap().expose_secret(),
            (Some(n), _) => *n.wrapping_key().unwrap().expose_secret(),
        }
    }

    #[test]
    fn known_ambiguities_do_not_collide() {
        let r = root();
        let a = r.tenant("ab").unwrap().purpose("c").unwrap();
        let b = r.tenant("a").unwrap().purpose("bc").unwrap();
        assert_ne!(a.encryption_key().unwrap(), b.encryption_key().unwrap());
        // Same id at different levels.
        let t = r.tenant("x").unwrap().encryption_key().unwrap();
        let s = r.subject("x").unwrap().encryption_key().unwrap();
        assert_ne!(t, s);
        // Same node, different key types.
        let n = r.tenant("x").unwrap();
        assert_ne!(
            n.encryption_key().unwrap().expose_secret(),
            n.pseudonym_key().unwrap().expose_secret()
        );
        // Order matters: tenant/purpose is not purpose/tenant.
        let tp = r.tenant("t").unwrap().purpose("p").unwrap();
        let pt = r.purpose("p").unwrap().tenant("t").unwrap();
        assert_ne!(tp.encryption_key().unwrap(), pt.encryption_key().unwrap());
    }

    #[test]
    fn deterministic_and_delegable() {
        let r = root();
        let tenant = r.tenant("acme").unwrap();
        let k1 = tenant.subject("u1").unwrap().encryption_key().unwrap();
        let k2 = root()
            .tenant("acme")
            .unwrap()
            .subject("u1")
            .unwrap()
            .encryption_key()
            .unwrap();
        assert_eq!(k1, k2);
        let delegated = SubKey::from_secret(&tenant.to_secret()).unwrap();
        let k3 = delegated.subject("u1").unwrap().encryption_key().unwrap();
        assert_eq!(k1, k3);
        assert_eq!(format!("{k1:?}"), "EncryptionKey([REDACTED])");
    }

    #[test]
    fn fail_short_secrets() {
        assert!(RootKey::from_secret(&SecretBytes::from_slice(&[1; 31])).is_err());
        assert!(SubKey::from_secret(&SecretBytes::from_slice(&[1; 31])).is_err());
        assert!(SubKey::from_secret(&SecretBytes::from_slice(&[1; 33])).is_err());
    }

    fn path() -> impl Strategy<Value = (Vec<(u8, Vec<u8>)>, u8)> {
        (
            proptest::collection::vec((0u8..3, proptest::collection::vec(0u8..4, 0..4)), 0..4),
            0u8..3,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn distinct_paths_never_collide(a in path(), b in path()) {
            let r = root();
            // Levels and leaf kinds are compared modulo 3, as derive() uses them.
            let norm = |(p, l): &(Vec<(u8, Vec<u8>)>, u8)| {
                (p.iter().map(|(lv, id)| (lv % 3, id.clone())).collect::<Vec<_>>(), l % 3)
            };
            let (ka, kb) = (derive(&r, &a.0, a.1), derive(&r, &b.0, b.1));
            prop_assert_eq!(norm(&a) == norm(&b), ka == kb);
        }
    }
}
