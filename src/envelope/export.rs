//! Keyset export and import, encrypted under a key-encryption key.

use zeroize::Zeroizing;

use super::format::Reader;
use super::keyset::{KeyStatus, Keyset};
use super::seal::{open, seal};
use super::wrap::KeyEncryptionKey;
use super::wrap::LocalKek;
use crate::backend::{Algorithm, KEY_LEN};
use crate::kdf::{PasswordKekParams, PasswordParams, VerifyLimits};
use crate::secret::SecretBytes;
use crate::secret::SecretString;
use crate::{Error, Result};

const KEYSET_MAGIC: [u8; 4] = *b"PKKS";
/// Magic of a keyset exported under a password.
const PASSWORD_MAGIC: [u8; 4] = *b"PKKW";
const PASSWORD_VERSION: u8 = 1;
/// KEK id of the password-derived key inside a password export.
const PASSWORD_KEK_ID: &str = "password";
const KEYSET_VERSION: u8 = 1;
/// Associated data of the envelope around an exported keyset.
pub(crate) const EXPORT_AAD: &[u8] = b"privkit keyset export v1";
/// Most keys an imported keyset may hold.
pub const MAX_EXPORTED_KEYS: usize = 4096;

fn status_code(status: KeyStatus) -> u8 {
    match status {
        KeyStatus::Enabled => 1,
        KeyStatus::Disabled => 2,
        KeyStatus::Destroyed => 3,
    }
}

impl Keyset {
    /// The keyset (every key, its status and the primary) as plaintext bytes, in the
    /// layout of `docs/FORMAT.md` section 6. Secret: only [`export_sealed`](Self::export_sealed)
    /// calls it.
    pub(crate) fn to_plaintext(&self) -> Result<Zeroizing<Vec<u8>>> {
        let keys: Vec<_> = self.export_material().collect();
        let count = u16::try_from(keys.len())
            .map_err(|_| Error::limit("keys per exported keyset", 65_535))?;
        let mut out = Zeroizing::new(Vec::with_capacity(11 + keys.len() * (7 + KEY_LEN)));
        out.extend_from_slice(&KEYSET_MAGIC);
        out.push(KEYSET_VERSION);
        out.extend_from_slice(&self.primary_id().to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        for (info, material) in keys {
            out.extend_from_slice(&info.id.to_be_bytes());
            out.push(info.algorithm.id());
            out.push(status_code(info.status));
            match material {
                Some(secret) => {
                    out.push(1);
                    out.extend_from_slice(secret.expose_secret());
                }
                None => out.push(0),
            }
        }
        Ok(out)
    }

    fn from_plaintext(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.take(4, "truncated keyset")? != KEYSET_MAGIC {
            return Err(Error::Malformed("not an exported keyset"));
        }
        let version = r.u8("truncated keyset")?;
        if version != KEYSET_VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let primary = r.u32("truncated keyset")?;
        let count = usize::from(r.u16("truncated keyset")?);
        if count == 0 || count > MAX_EXPORTED_KEYS {
            return Err(Error::Malformed("exported keyset key count out of range"));
        }
        let mut keyset: Option<Keyset> = None;
        let mut statuses = Vec::with_capacity(count);
        for _ in 0..count {
            let id = r.u32("truncated keyset")?;
            let algorithm = Algorithm::from_id(r.u8("truncated keyset")?)?;
            let status = match r.u8("truncated keyset")? {
                1 => KeyStatus::Enabled,
                2 => KeyStatus::Disabled,
                3 => KeyStatus::Destroyed,
                _ => return Err(Error::Malformed("unknown key status")),
            };
            let key = match r.u8("truncated keyset")? {
                1 if status != KeyStatus::Destroyed => {
                    SecretBytes::from_slice(r.take(KEY_LEN, "truncated key")?)
                }
                0 if status == KeyStatus::Destroyed => SecretBytes::zeroed(KEY_LEN),
                _ => {
                    return Err(Error::Malformed(
                        "key material does not match the key status",
                    ));
                }
            };
            let inserted = match keyset.as_mut() {
                None => Keyset::from_key(id, algorithm, key).map(|ks| keyset = Some(ks)),
                Some(ks) => ks.insert_key(id, algorithm, key),
            };
            inserted.map_err(|_| Error::Malformed("duplicate or invalid key id"))?;
            statuses.push((id, status));
        }
        if !r.rest().is_empty() {
            return Err(Error::Malformed("trailing bytes after the exported keyset"));
        }
        let mut keyset = keyset.ok_or(Error::Malformed("empty keyset"))?;
        keyset
            .promote(primary)
            .map_err(|_| Error::Malformed("the primary key is missing or not enabled"))?;
        for (id, status) in statuses {
            let applied = match status {
                KeyStatus::Enabled => Ok(()),
                KeyStatus::Disabled => keyset.disable(id),
                KeyStatus::Destroyed => keyset.destroy(id),
            };
            applied.map_err(|_| Error::Malformed("the primary key is not enabled"))?;
        }
        Ok(keyset)
    }

    /// Exports the whole keyset (keys, statuses, primary; destroyed keys without their
    /// material) encrypted under `kek`: an envelope (`docs/FORMAT.md` section 6).
    ///
    /// # Errors
    /// Errors of the KEK; [`Error::LimitExceeded`] for more than 65,535 keys.
    ///
    /// # Example
    /// ```
    /// use privkit::{Algorithm, envelope::{Keyset, LocalKek}};
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
        seal(kek, &plaintext, EXPORT_AAD)
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
    /// use privkit::{Algorithm, envelope::Keyset, kdf::{PasswordParams, VerifyLimits}};
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
