use super::hierarchy::WrappingKey;
use super::hkdf::{Hash, Hkdf, encode_labels};
use super::password::{Memory, PasswordParams, Raw, SALT_LEN, Variant, VerifyLimits};
use crate::secret::{SecretBytes, SecretString};
use crate::{Error, Result, rand};

/// Format version of the encoded parameters.
const VERSION: u8 = 1;
/// Identifier of the password KDF: Argon2id, version 0x13.
const KDF_ARGON2ID: u8 = 2;
/// Bytes before the salt: version, KDF, m, t, p, salt length.
const FIXED_LEN: usize = 12;
/// Largest salt accepted when reading.
const MAX_SALT_LEN: usize = 64;
/// Domain separation of the final HKDF step.
const DOMAIN: &[u8] = b"privkit/kdf/password-kek/v1";

/// The public half of a password-derived key-encryption key: the Argon2id costs and
/// the salt. Store its [`to_bytes`](Self::to_bytes) encoding next to whatever the key
/// protects; with the password it re-derives the same [`WrappingKey`].
///
/// The encoding is documented in `docs/FORMAT.md`, section 8 "Password-derived keys".
///
/// ```
/// use privkit::kdf::{PasswordKekParams, PasswordParams, VerifyLimits};
/// use privkit::secret::SecretString;
///
/// let params = PasswordKekParams::generate(PasswordParams::OWASP_MINIMUM)?;
/// let kek = params.derive(&SecretString::from("a long backup passphrase"))?;
/// let stored: Vec<u8> = params.to_bytes(); // keep next to what the key protects
///
/// let reread = PasswordKekParams::from_bytes(&stored, &VerifyLimits::default())?;
/// assert_eq!(reread.derive(&SecretString::from("a long backup passphrase"))?, kek);
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordKekParams {
    params: PasswordParams,
    salt: Vec<u8>,
}

impl PasswordKekParams {
    /// New parameters with `params` and a fresh random 16-byte salt.
    ///
    /// # Errors
    /// [`Error::Random`] if the system's random generator fails.
    pub fn generate(params: PasswordParams) -> Result<Self> {
        Ok(Self {
            params,
            salt: rand::array::<SALT_LEN>()?.to_vec(),
        })
    }

    /// Parameters with a given salt (16 to 64 bytes), for tests and re-derivation.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the salt length is outside 16..=64.
    pub fn with_salt(params: PasswordParams, salt: &[u8]) -> Result<Self> {
        if !(SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
            return Err(Error::invalid_argument(format_args!(
                "password key salt must be {SALT_LEN} to {MAX_SALT_LEN} bytes"
            )));
        }
        Ok(Self {
            params,
            salt: salt.to_vec(),
        })
    }

    /// The Argon2id costs.
    #[must_use]
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// The salt.
    #[must_use]
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The encoding: version, KDF id, `m`, `t`, `p`, salt length, salt.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_LEN + self.salt.len());
        out.push(VERSION);
        out.push(KDF_ARGON2ID);
        out.extend_from_slice(&self.params.memory_kib().to_be_bytes());
        out.extend_from_slice(&self.params.time_cost().to_be_bytes());
        // Both fit in a byte: p <= 64 and salt <= 64 bytes by construction.
        out.push(u8::try_from(self.params.parallelism()).unwrap_or(u8::MAX));
        out.push(u8::try_from(self.salt.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&self.salt);
        out
    }

    /// Reads an encoding from the start of `bytes`, checking its costs against
    /// `limits` (the encoding is untrusted input), and returns the parameters and the
    /// number of bytes read.
    ///
    /// # Errors
    /// - [`Error::UnsupportedVersion`] for a version other than 1;
    ///   [`Error::UnsupportedAlgorithm`] for a KDF other than Argon2id (2).
    /// - [`Error::Malformed`] if `bytes` is truncated or the costs or salt are below the
    ///   minimums.
    /// - [`Error::LimitExceeded`] if the costs exceed `limits`.
    pub fn read(bytes: &[u8], limits: &VerifyLimits) -> Result<(Self, usize)> {
        let fixed = bytes
            .get(..FIXED_LEN)
            .ok_or(Error::Malformed("password key parameters truncated"))?;
        if fixed[0] != VERSION {
            return Err(Error::UnsupportedVersion(fixed[0]));
        }
        if fixed[1] != KDF_ARGON2ID {
            return Err(Error::UnsupportedAlgorithm(fixed[1].into()));
        }
        let be32 =
            |i: usize| u32::from_be_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        let (m_kib, t, p) = (be32(2), be32(6), u32::from(fixed[10]));
        let salt_len = usize::from(fixed[11]);
        limits.check_costs(m_kib, t, p)?;
        let params = PasswordParams::new(m_kib, t, p)
            .map_err(|_| Error::Malformed("password key costs below the minimum"))?;
        if !(SALT_LEN..=MAX_SALT_LEN).contains(&salt_len) {
            return Err(Error::Malformed("password key salt length outside 16..=64"));
        }
        let end = FIXED_LEN + salt_len;
        let salt = bytes
            .get(FIXED_LEN..end)
            .ok_or(Error::Malformed("password key parameters truncated"))?;
        Ok((
            Self {
                params,
                salt: salt.to_vec(),
            },
            end,
        ))
    }

    /// Reads an encoding that must span all of `bytes`.
    ///
    /// # Errors
    /// As [`read`](Self::read), and [`Error::Malformed`] if bytes are left over.
    pub fn from_bytes(bytes: &[u8], limits: &VerifyLimits) -> Result<Self> {
        let (params, used) = Self::read(bytes, limits)?;
        if used != bytes.len() {
            return Err(Error::Malformed(
                "trailing bytes after password key parameters",
            ));
        }
        Ok(params)
    }

    /// Derives the key-encryption key of `password` (Argon2id, then HKDF-SHA256 bound
    /// to the encoded parameters).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] only if Argon2 refuses its inputs, which valid
    /// parameters rule out.
    pub fn derive(&self, password: &SecretString) -> Result<WrappingKey> {
        let p = self.params;
        let mut stretched = SecretBytes::zeroed(WrappingKey::LEN);
        Raw {
            variant: Variant::Argon2id,
            version: 0x13,
            m_kib: p.memory_kib(),
            t: p.time_cost(),
            p: p.parallelism(),
            secret: None,
            ad: &[],
        }
        .compute(
            password.expose_secret().as_bytes(),
            &self.salt,
            stretched.expose_secret_mut(),
            &mut Memory::new(),
        )?;
        let info = encode_labels(&[DOMAIN, &self.to_bytes()])?;
        let mut key = [0u8; WrappingKey::LEN];
        Hkdf::extract(Hash::Sha256, DOMAIN, stretched.expose_secret())
            .expand_into(&[&info], &mut key)?;
        Ok(WrappingKey::from_bytes(key))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn cheap() -> PasswordParams {
        PasswordParams::new(7 * 1024, 5, 1).unwrap()
    }

    #[test]
    fn round_trip_and_rederive() {
        let kp = PasswordKekParams::generate(cheap()).unwrap();
        let bytes = kp.to_bytes();
        assert_eq!(bytes.len(), FIXED_LEN + SALT_LEN);
        let back = PasswordKekParams::from_bytes(&bytes, &VerifyLimits::default()).unwrap();
        assert_eq!(back, kp);
        let pw = SecretString::from("hunter2");
        assert_eq!(kp.derive(&pw).unwrap(), back.derive(&pw).unwrap());
        assert_ne!(
            kp.derive(&pw).unwrap(),
            kp.derive(&"hunter3".into()).unwrap()
        );
        let mut longer = bytes.clone();
        longer.push(0);
        let (again, used) = PasswordKekParams::read(&longer, &VerifyLimits::default()).unwrap();
        assert_eq!((again, used), (kp, bytes.len()));
    }

    proptest::proptest! {
        #[test]
        fn encoding_round_trip(
            m_kib in 7168u32..=262_144,
            t in 5u32..=16,
            p in 1u32..=16,
            salt in proptest::collection::vec(proptest::num::u8::ANY, 16..=64),
        ) {
            let kp = PasswordKekParams::with_salt(PasswordParams::new(m_kib, t, p).unwrap(), &salt).unwrap();
            let bytes = kp.to_bytes();
            let limits = VerifyLimits { max_work_kib: u64::MAX, ..VerifyLimits::default() };
            proptest::prop_assert_eq!(PasswordKekParams::from_bytes(&bytes, &limits).unwrap(), kp);
        }
    }

    #[test]
    fn fail_bad_encodings() {
        let l = VerifyLimits::default();
        let good = PasswordKekParams::with_salt(cheap(), &[9; 16])
            .unwrap()
            .to_bytes();
        let with = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            b
        };
        assert!(matches!(
            PasswordKekParams::from_bytes(&with(0, 2), &l),
            Err(Error::UnsupportedVersion(2))
        ));
        assert!(matches!(
            PasswordKekParams::from_bytes(&with(1, 1), &l),
            Err(Error::UnsupportedAlgorithm(1))
        ));
        assert!(matches!(
            PasswordKekParams::from_bytes(&with(2, 0xff), &l),
            Err(Error::LimitExceeded { .. })
        ));
        assert!(matches!(
            PasswordKekParams::from_bytes(&with(6, 0xff), &l),
            Err(Error::LimitExceeded { .. })
        ));
        assert!(matches!(
            PasswordKekParams::from_bytes(&with(10, 200), &l),
            Err(Error::LimitExceeded { .. })
        ));
        assert!(matches!(
            PasswordKekParams::from_bytes(&with(10, 0), &l),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            PasswordKekParams::from_bytes(&with(11, 15), &l),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            PasswordKekParams::from_bytes(&with(11, 17), &l),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            PasswordKekParams::from_bytes(&good[..good.len() - 1], &l),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            PasswordKekParams::from_bytes(&good[..5], &l),
            Err(Error::Malformed(_))
        ));
        assert!(PasswordKekParams::with_salt(cheap(), &[0; 15]).is_err());
    }
}
