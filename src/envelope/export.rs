//! Keyset export and import sealed under a key-encryption key or a password: envelope
//! encryption of the plaintext form that `keyset` defines (`docs/FORMAT.md` section 6).

use zeroize::Zeroizing;

use super::kek::{KeyEncryptionKey, LocalKek};
use super::seal::{open, seal};
use crate::Algorithm;
use crate::encoding::Reader;
use crate::kdf::{PasswordKekParams, PasswordParams, VerifyLimits};
use crate::keyset::Keyset;
use crate::secret::SecretString;
use crate::{Error, Result};

/// Magic of a keyset exported under a password.
const PASSWORD_MAGIC: [u8; 4] = *b"PKKW";
const PASSWORD_VERSION: u8 = 1;
/// KEK id of the password-derived key inside a password export.
const PASSWORD_KEK_ID: &str = "password";
/// Associated data of the envelope around an exported keyset.
pub(crate) const EXPORT_AAD: &[u8] = b"privkit keyset export v1";

impl Keyset {
    /// Exports the whole keyset (keys, statuses, primary; destroyed keys without their
    /// material) encrypted under `kek`: an envelope (`docs/FORMAT.md` section 6).
    ///
    /// # Errors
    /// Errors of the KEK; [`Error::LimitExceeded`] for more than 4,096 keys
    /// ([`MAX_EXPORTED_KEYS`](crate::keyset::MAX_EXPORTED_KEYS)); an audited keyset records
    /// an export event per key and fails with its sink's error.
    ///
    /// # Example
    /// ```
    /// use privkit::{Algorithm, envelope::LocalKek, keyset::Keyset};
    ///
    /// let mut keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
    /// let ct = keyset.encrypt(b"value", b"")?;
    /// keyset.rotate(Algorithm::XChaCha20Poly1305)?;
    /// let backup_kek = LocalKek::generate("keyset-backups")?;
    /// let exported = keyset.export_sealed(&backup_kek)?;
    /// let restored = Keyset::import_sealed(&exported, &backup_kek)?;
    /// assert_eq!(restored.primary_id(), keyset.primary_id());
    /// assert_eq!(restored.decrypt(&ct, b"")?, b"value");
    /// # Ok::<(), privkit::Error>(())
    /// ```
    pub fn export_sealed(&self, kek: &dyn KeyEncryptionKey) -> Result<Vec<u8>> {
        let plaintext = self.to_plaintext()?;
        let sealed = seal(kek, &plaintext, EXPORT_AAD)?;
        for key in self.keys() {
            self.lifecycle(key.id, crate::audit::LifecycleAction::Export)?;
        }
        Ok(sealed)
    }

    /// Imports a keyset exported by [`export_sealed`](Self::export_sealed).
    ///
    /// # Errors
    /// As [`open`](super::open); [`Error::Malformed`] or [`Error::UnsupportedVersion`] when the
    /// decrypted content is not a valid keyset.
    pub fn import_sealed(exported: &[u8], kek: &dyn KeyEncryptionKey) -> Result<Self> {
        let plaintext = Zeroizing::new(open(kek, exported, EXPORT_AAD)?);
        Self::from_plaintext(&plaintext)
    }

    /// Exports the whole keyset encrypted under a password: Argon2id with `params` and a
    /// fresh salt derives a key-encryption key (`kdf::PasswordKekParams`), which seals the
    /// [`export_sealed`](Self::export_sealed) form. Layout in `docs/FORMAT.md` section 6.1.
    ///
    /// # Errors
    /// [`Error::Random`]; as [`export_sealed`](Self::export_sealed).
    ///
    /// # Example
    /// ```
    /// use privkit::{Algorithm, keyset::Keyset, kdf::{PasswordParams, VerifyLimits}};
    /// use privkit::secret::SecretString;
    ///
    /// let keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
    /// let password = SecretString::from("correct horse battery staple");
    /// let exported = keyset.export_with_password(&password, PasswordParams::OWASP_MINIMUM)?;
    /// let restored = Keyset::import_with_password(&exported, &password, &VerifyLimits::default())?;
    /// assert_eq!(restored.primary_id(), keyset.primary_id());
    /// assert!(Keyset::import_with_password(&exported, &"wrong".into(), &VerifyLimits::default()).is_err());
    /// # Ok::<(), privkit::Error>(())
    /// ```
    pub fn export_with_password(
        &self,
        password: &SecretString,
        params: PasswordParams,
    ) -> Result<Vec<u8>> {
        self.export_with_password_params(password, &PasswordKekParams::generate(params)?)
    }

    pub(crate) fn export_with_password_params(
        &self,
        password: &SecretString,
        params: &PasswordKekParams,
    ) -> Result<Vec<u8>> {
        let kek = password_kek(params, password)?;
        let mut out = PASSWORD_MAGIC.to_vec();
        out.push(PASSWORD_VERSION);
        out.extend_from_slice(&params.to_bytes());
        out.extend_from_slice(&self.export_sealed(&kek)?);
        Ok(out)
    }

    /// Imports a keyset exported by [`export_with_password`](Self::export_with_password).
    /// The stored Argon2 costs are untrusted: they are checked against `limits` before any
    /// memory is allocated for them.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] for costs over `limits`; [`Error::Malformed`],
    /// [`Error::UnsupportedVersion`] for bytes that are not a password export;
    /// [`Error::DecryptionFailed`] for a wrong password or any tampering.
    pub fn import_with_password(
        exported: &[u8],
        password: &SecretString,
        limits: &VerifyLimits,
    ) -> Result<Self> {
        let mut r = Reader::new(exported);
        if r.take(4, "truncated password export")? != PASSWORD_MAGIC {
            return Err(Error::Malformed("not a password-protected keyset export"));
        }
        let version = r.u8("truncated password export")?;
        if version != PASSWORD_VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let rest = r.rest();
        let (params, used) = PasswordKekParams::read(rest, limits)?;
        let kek = password_kek(&params, password)?;
        Self::import_sealed(&rest[used..], &kek)
    }
}

/// The local KEK a password derives, under the fixed id [`PASSWORD_KEK_ID`].
fn password_kek(params: &PasswordKekParams, password: &SecretString) -> Result<LocalKek> {
    let key = params.derive(password)?.into_secret_bytes();
    LocalKek::new(
        PASSWORD_KEK_ID,
        Keyset::from_key(1, Algorithm::Aes256Gcm, key)?,
    )
}
