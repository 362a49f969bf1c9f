//! Key-encryption keys: the sync and async traits a KMS implements, a local
//! implementation, and adapters between the two traits.

use std::future::Future;
use std::pin::Pin;

use crate::keyset::{Keyset, WRAPPED_KEY_V1};
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

    /// A KEK named `id` whose only key is `secret` (32 bytes, AES-256-GCM, key id 1): for
    /// a key kept outside privkit (a secrets manager, a file). Two `LocalKek`s made from
    /// the same id and secret unwrap each other's data keys.
    ///
    /// # Errors
    /// As [`LocalKek::new`]; [`Error::InvalidArgument`] if `secret` is not 32 bytes.
    ///
    /// # Example
    /// ```
    /// use privkit::envelope::{self, LocalKek};
    /// use privkit::secret::SecretBytes;
    ///
    /// let secret = SecretBytes::random(32)?; // in practice loaded from a secrets manager
    /// let writer = LocalKek::from_secret("backups", secret.clone())?;
    /// let sealed = envelope::seal(&writer, b"backup", b"")?;
    /// let reader = LocalKek::from_secret("backups", secret)?;
    /// assert_eq!(envelope::open(&reader, &sealed, b"")?, b"backup");
    /// # Ok::<(), privkit::Error>(())
    /// ```
    pub fn from_secret(id: impl Into<String>, secret: SecretBytes) -> Result<Self> {
        Self::new(id, Keyset::from_key(1, Algorithm::Aes256Gcm, secret)?)
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
            .map_err(|e| match e {
                // The id is right (the opener matched it) but the keys are not: say so
                // rather than report a keyset lookup. Key ids are public header bytes.
                Error::UnknownKeyId(key) => Error::KeyManagement(format!(
                    "local KEK `{}` holds no key {key:#010x}, which wrapped this data key: \
                     it was wrapped by another keyset under the same KEK id, or that key \
                     was removed",
                    self.id
                )),
                other => other,
            })
    }
}

macro_rules! forward_kek {
    ($($ty:ty),*) => {$(
        impl<K: KeyEncryptionKey + ?Sized> KeyEncryptionKey for $ty {
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
    )*};
}

forward_kek!(&K, std::sync::Arc<K>, Box<K>);

/// The future an [`AsyncKeyEncryptionKey`] returns: boxed, `Send`, borrowing its
/// arguments (the shape `async-trait` produces, so the trait stays dyn-compatible).
pub type KekFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// An async key-encryption key: the same contract as [`KeyEncryptionKey`], with
/// `wrap_key` and `unwrap_key` as futures, so a KEK in a remote KMS never blocks an
/// executor thread while it waits for the network.
///
/// The trait is dyn-compatible: [`AsyncSealer`](super::AsyncSealer) holds several
/// different KEKs (say an AWS KMS key in each of two regions, and a local one) as
/// `Arc<dyn AsyncKeyEncryptionKey>`.
///
/// # Contract
/// As [`KeyEncryptionKey`]: a stable `kek_id` of 1 to
/// [`MAX_KEK_ID_LEN`](super::MAX_KEK_ID_LEN) bytes; `context` authenticated by the
/// wrapping; every authentication failure of `unwrap_key` reported as
/// [`Error::DecryptionFailed`](crate::Error::DecryptionFailed).
///
/// # Example
/// ```
/// use privkit::envelope::{AsyncKeyEncryptionKey, KekFuture, KeyEncryptionKey, LocalKek};
/// use privkit::secret::SecretBytes;
///
/// // A stand-in for a remote service (a real one awaits an HTTP call here).
/// struct Remote(LocalKek);
///
/// impl AsyncKeyEncryptionKey for Remote {
///     fn kek_id(&self) -> &str {
///         "remote-kek"
///     }
///     fn wrap_key<'a>(&'a self, key: &'a SecretBytes, context: &'a [u8]) -> KekFuture<'a, Vec<u8>> {
///         Box::pin(async move { self.0.wrap_key(key, context) })
///     }
///     fn unwrap_key<'a>(&'a self, wrapped: &'a [u8], context: &'a [u8]) -> KekFuture<'a, SecretBytes> {
///         Box::pin(async move { self.0.unwrap_key(wrapped, context) })
///     }
/// }
///
/// let kek: std::sync::Arc<dyn AsyncKeyEncryptionKey> = std::sync::Arc::new(Remote(LocalKek::generate("x")?));
/// assert_eq!(kek.kek_id(), "remote-kek");
/// # Ok::<(), privkit::Error>(())
/// ```
pub trait AsyncKeyEncryptionKey: Send + Sync {
    /// The stable identifier of this key (an ARN, a key name).
    fn kek_id(&self) -> &str;

    /// Encrypts `data_key`, binding `context`.
    ///
    /// The future resolves to an error if the backend does; see the contract above.
    fn wrap_key<'a>(
        &'a self,
        data_key: &'a SecretBytes,
        context: &'a [u8],
    ) -> KekFuture<'a, Vec<u8>>;

    /// Decrypts a wrapped data key made by [`wrap_key`](Self::wrap_key) with the same
    /// `context`; an authentication failure is
    /// [`Error::DecryptionFailed`](crate::Error::DecryptionFailed).
    fn unwrap_key<'a>(&'a self, wrapped: &'a [u8], context: &'a [u8])
    -> KekFuture<'a, SecretBytes>;
}

macro_rules! forward_async_kek {
    ($($ty:ty),*) => {$(
        impl<K: AsyncKeyEncryptionKey + ?Sized> AsyncKeyEncryptionKey for $ty {
            fn kek_id(&self) -> &str {
                (**self).kek_id()
            }
            fn wrap_key<'a>(
                &'a self,
                data_key: &'a SecretBytes,
                context: &'a [u8],
            ) -> KekFuture<'a, Vec<u8>> {
                (**self).wrap_key(data_key, context)
            }
            fn unwrap_key<'a>(
                &'a self,
                wrapped: &'a [u8],
                context: &'a [u8],
            ) -> KekFuture<'a, SecretBytes> {
                (**self).unwrap_key(wrapped, context)
            }
        }
    )*};
}

forward_async_kek!(&K, std::sync::Arc<K>, Box<K>);

/// A sync [`KeyEncryptionKey`] used where an [`AsyncKeyEncryptionKey`] is expected.
///
/// The sync calls run inline when the future is polled: right for in-memory keys such as
/// [`LocalKek`](super::LocalKek) (microseconds of CPU). A sync KEK that blocks on I/O
/// would stall the executor thread; give such a key an async implementation instead.
///
/// # Example
/// ```
/// use privkit::envelope::{AsyncKeyEncryptionKey, LocalKek, SyncToAsync};
///
/// let kek = SyncToAsync::new(LocalKek::generate("local")?);
/// assert_eq!(AsyncKeyEncryptionKey::kek_id(&kek), "local");
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SyncToAsync<K>(K);

impl<K: KeyEncryptionKey> SyncToAsync<K> {
    /// Wraps a sync KEK.
    pub fn new(kek: K) -> Self {
        Self(kek)
    }

    /// The wrapped KEK.
    pub fn get_ref(&self) -> &K {
        &self.0
    }

    /// Unwraps the adapter.
    pub fn into_inner(self) -> K {
        self.0
    }
}

impl<K: KeyEncryptionKey> AsyncKeyEncryptionKey for SyncToAsync<K> {
    fn kek_id(&self) -> &str {
        self.0.kek_id()
    }
    fn wrap_key<'a>(
        &'a self,
        data_key: &'a SecretBytes,
        context: &'a [u8],
    ) -> KekFuture<'a, Vec<u8>> {
        Box::pin(async move { self.0.wrap_key(data_key, context) })
    }
    fn unwrap_key<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a [u8],
    ) -> KekFuture<'a, SecretBytes> {
        Box::pin(async move { self.0.unwrap_key(wrapped, context) })
    }
}

/// An [`AsyncKeyEncryptionKey`] used from sync code (a [`Sealer`](super::Sealer), an
/// [`Opener`](super::Opener), a stream), by blocking on a tokio runtime [`Handle`].
///
/// Give it the handle of a **multi-thread** runtime when the KEK does I/O: a
/// current-thread runtime drives its I/O only inside its own `Runtime::block_on`.
///
/// **Not callable from inside a tokio runtime**: blocking a runtime thread on its own
/// runtime would deadlock or panic, so a call made from within any runtime context returns
/// [`Error::InvalidOperation`](crate::Error::InvalidOperation) instead. In async code, use
/// the async API ([`AsyncSealer`](super::AsyncSealer), [`AsyncOpener`](super::AsyncOpener));
/// from a runtime thread that must call sync code, use `tokio::task::spawn_blocking`.
///
/// [`Handle`]: tokio::runtime::Handle
///
/// # Example
/// ```
/// use privkit::envelope::{self, AsyncToSync, LocalKek, SyncToAsync};
///
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let kek = AsyncToSync::new(SyncToAsync::new(LocalKek::generate("k")?), runtime.handle().clone());
/// let sealed = envelope::seal(&kek, b"payload", b"ctx")?;
/// assert_eq!(envelope::open(&kek, &sealed, b"ctx")?, b"payload");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "tokio")]
#[derive(Debug, Clone)]
pub struct AsyncToSync<K> {
    kek: K,
    handle: tokio::runtime::Handle,
}

#[cfg(feature = "tokio")]
impl<K: AsyncKeyEncryptionKey> AsyncToSync<K> {
    /// Wraps an async KEK; its futures run on `handle`'s runtime.
    pub fn new(kek: K, handle: tokio::runtime::Handle) -> Self {
        Self { kek, handle }
    }

    /// The wrapped KEK.
    pub fn get_ref(&self) -> &K {
        &self.kek
    }

    fn block_on<T>(&self, future: KekFuture<'_, T>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(crate::Error::InvalidOperation(
                "AsyncToSync blocks on a runtime: call it outside any tokio runtime \
                 (use the async API or spawn_blocking)"
                    .into(),
            ));
        }
        self.handle.block_on(future)
    }
}

#[cfg(feature = "tokio")]
impl<K: AsyncKeyEncryptionKey> KeyEncryptionKey for AsyncToSync<K> {
    fn kek_id(&self) -> &str {
        self.kek.kek_id()
    }
    fn wrap_key(&self, data_key: &SecretBytes, context: &[u8]) -> Result<Vec<u8>> {
        self.block_on(self.kek.wrap_key(data_key, context))
    }
    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        self.block_on(self.kek.unwrap_key(wrapped, context))
    }
}

/// The kind of key-encryption key a [`Sealer`](super::Sealer) or
/// [`Opener`](super::Opener) holds: `dyn KeyEncryptionKey` for the blocking API (the
/// default), `dyn AsyncKeyEncryptionKey` for the async one
/// ([`AsyncSealer`](super::AsyncSealer), [`AsyncOpener`](super::AsyncOpener)). Sealed: no
/// other type implements it.
pub trait KekKind: super::engine::Sealed + 'static {}

impl KekKind for dyn KeyEncryptionKey {}
impl KekKind for dyn AsyncKeyEncryptionKey {}

/// A key-encryption key that a sealer or opener of kind `K` takes: any
/// [`KeyEncryptionKey`] for `K = dyn KeyEncryptionKey`, any [`AsyncKeyEncryptionKey`] for
/// `K = dyn AsyncKeyEncryptionKey`. Lets `Sealer::new(kek)` pick the kind from the KEK.
pub trait IntoKek<K: ?Sized + KekKind> {
    /// The KEK behind an `Arc`, as the sealer or opener keeps it.
    fn into_kek(self) -> std::sync::Arc<K>;
}

impl<T: KeyEncryptionKey + 'static> IntoKek<dyn KeyEncryptionKey> for T {
    fn into_kek(self) -> std::sync::Arc<dyn KeyEncryptionKey> {
        std::sync::Arc::new(self)
    }
}

impl<T: AsyncKeyEncryptionKey + 'static> IntoKek<dyn AsyncKeyEncryptionKey> for T {
    fn into_kek(self) -> std::sync::Arc<dyn AsyncKeyEncryptionKey> {
        std::sync::Arc::new(self)
    }
}
