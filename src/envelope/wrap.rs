//! Key-encryption keys: the trait a KMS implements, and a local implementation.

use super::keyset::{Keyset, WRAPPED_KEY_V1};
use crate::secret::SecretBytes;
use crate::{Algorithm, Error, Result};

/// Longest key-encryption-key id an envelope stores (an AWS KMS ARN is at most 2048).
pub const MAX_KEK_ID_LEN: usize = 2048;

/// A key-encryption key (KEK): wraps and unwraps the data keys of envelopes.
///
/// Implement this for a remote key-management service: `wrap_key` and `unwrap_key` are
/// then network calls, which is why [`Sealer`](super::Sealer) can cache data keys.
/// [`LocalKek`] is the implementation backed by a [`Keyset`].
///
/// # Contract
/// - `kek_id` names the key; it is stored in the envelope next to the wrapped key and
///   must be at most [`MAX_KEK_ID_LEN`] bytes. Opening matches wrapped keys to KEKs by
///   this id, so it must be stable.
/// - `context` must be authenticated by the wrapping (as associated data, or a KMS
///   encryption context): unwrapping with a different context must fail. This is what
///   stops a wrapped key from being moved to another envelope.
/// - `unwrap_key` reports an authentication failure as
///   [`Error::DecryptionFailed`] and nothing more specific.
///
/// # Example
/// An adapter for a key-management service: here a stand-in whose "remote" key is a
/// local keyset; a real one would call the service's encrypt and decrypt operations,
/// passing `context` as the encryption context.
/// ```
/// use privkit::envelope::{self, KeyEncryptionKey, LocalKek};
/// use privkit::secret::SecretBytes;
/// use privkit::{Error, Result};
///
/// struct MyKms {
///     key_arn: String,
///     remote: LocalKek, // stands in for the service
/// }
///
/// impl KeyEncryptionKey for MyKms {
///     fn kek_id(&self) -> &str {
///         &self.key_arn
///     }
///     fn wrap_key(&self, data_key: &SecretBytes, context: &[u8]) -> Result<Vec<u8>> {
///         // e.g. kms.encrypt(key_arn, data_key, encryption_context = hex(context))
///         self.remote.wrap_key(data_key, context)
///     }
///     fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
///         // map every "invalid ciphertext" answer of the service to DecryptionFailed
///         self.remote.unwrap_key(wrapped, context).map_err(|_| Error::DecryptionFailed)
///     }
/// }
///
/// let kms = MyKms { key_arn: "arn:aws:kms:eu-west-1:111122223333:key/example".into(), remote: LocalKek::generate("x")? };
/// let sealed = envelope::seal(&kms, b"payload", b"ctx")?;
/// assert_eq!(envelope::open(&kms, &sealed, b"ctx")?, b"payload");
/// # Ok::<(), privkit::Error>(())
/// ```
pub trait KeyEncryptionKey: Send + Sync {
    /// The stable identifier of this key (an ARN, a key name).
    fn kek_id(&self) -> &str;

    /// Encrypts `data_key`, binding `context`.
    ///
    /// # Errors
    /// Whatever the key-management backend reports.
    fn wrap_key(&self, data_key: &SecretBytes, context: &[u8]) -> Result<Vec<u8>>;

    /// Decrypts a wrapped data key made by [`wrap_key`](Self::wrap_key) with the same
    /// `context`.
    ///
    /// # Errors
    /// [`Error::DecryptionFailed`] if `wrapped` or `context` is not authentic; other
    /// errors as the backend reports them.
    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes>;
}

/// A key-encryption key held in process memory, backed by a [`Keyset`].
///
/// Wrapped keys use the keyset ciphertext layout with format byte `0x02` (so a wrapped
/// key can never be passed off as an encrypted value, nor the reverse), and name the
/// keyset key that wrapped them: rotate the keyset and old envelopes still open.
///
/// # Example
/// ```
/// use privkit::envelope::{LocalKek, KeyEncryptionKey};
///
/// let kek = LocalKek::generate("orders-kek")?;
/// assert_eq!(kek.kek_id(), "orders-kek");
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Debug)]
pub struct LocalKek {
    id: String,
    keyset: Keyset,
}

impl LocalKek {
    /// A KEK named `id` backed by `keyset`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `id` is empty or longer than [`MAX_KEK_ID_LEN`].
    pub fn new(id: impl Into<String>, keyset: Keyset) -> Result<Self> {
        let id = id.into();
        if id.is_empty() || id.len() > MAX_KEK_ID_LEN {
            return Err(Error::invalid_argument("KEK ids are 1 to 2048 bytes"));
        }
        Ok(Self { id, keyset })
    }

    /// A KEK named `id` with a new AES-256-GCM keyset.
    ///
    /// # Errors
    /// As [`LocalKek::new`], and [`Error::Random`].
    pub fn generate(id: impl Into<String>) -> Result<Self> {
        Self::new(id, Keyset::generate(Algorithm::Aes256Gcm)?)
    }

    /// The keyset behind this KEK.
    #[must_use]
    pub fn keyset(&self) -> &Keyset {
        &self.keyset
    }

    /// The keyset behind this KEK, for rotation.
    pub fn keyset_mut(&mut self) -> &mut Keyset {
        &mut self.keyset
    }
}

impl KeyEncryptionKey for LocalKek {
    fn kek_id(&self) -> &str {
        &self.id
    }

    fn wrap_key(&self, data_key: &SecretBytes, context: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.keyset
            .encrypt_domain(WRAPPED_KEY_V1, data_key.expose_secret(), context, &mut out)?;
        Ok(out)
    }

    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        self.keyset
            .decrypt_domain(WRAPPED_KEY_V1, wrapped, context)
            .map(SecretBytes::new)
    }
}

impl<K: KeyEncryptionKey + ?Sized> KeyEncryptionKey for &K {
    fn kek_id(&self) -> &str {
        (**self).kek_id()
    }
    fn wrap_key(&self, data_key: &SecretBytes, context: &[u8]) -> Result<Vec<u8>> {
        (**self).wrap_key(data_key, context)
    }
    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        (**self).unwrap_key(wrapped, context)
    }
}

impl<K: KeyEncryptionKey + ?Sized> KeyEncryptionKey for std::sync::Arc<K> {
    fn kek_id(&self) -> &str {
        (**self).kek_id()
    }
    fn wrap_key(&self, data_key: &SecretBytes, context: &[u8]) -> Result<Vec<u8>> {
        (**self).wrap_key(data_key, context)
    }
    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        (**self).unwrap_key(wrapped, context)
    }
}
