//! Async key-encryption keys (for remote KMSs) and adapters to and from the sync trait.
//!
//! # Use case
//! A key-encryption key in a remote KMS is a network call per wrap and unwrap. In async
//! code (tokio), [`AsyncKeyEncryptionKey`] lets the envelope code await it instead of
//! blocking an executor thread: [`AsyncSealer`](super::AsyncSealer),
//! [`AsyncOpener`](super::AsyncOpener), [`seal_async`](super::seal_async),
//! [`open_async`](super::open_async), [`rewrap_async`](super::rewrap_async).
//!
//! # About
//! - The trait is dyn-compatible (futures are `Pin<Box<dyn Future + Send>>`, the shape
//!   `async-trait` generates), so KEKs of different types share one envelope.
//! - [`SyncToAsync`] makes any sync KEK (a [`LocalKek`](super::LocalKek)) async; local keys
//!   keep the plain sync API. [`AsyncToSync`] (feature `tokio`) makes an async KEK usable
//!   from sync code by blocking on a runtime handle.
//! - Envelopes are byte-for-byte those of the sync API: either side opens the other's.
//!
//! # Errors
//! As the sync API; [`AsyncToSync`] called from inside a tokio runtime returns
//! [`Error::InvalidOperation`](crate::Error::InvalidOperation).
//!
//! # Security
//! The contract of [`KeyEncryptionKey`] holds unchanged: the wrap context must be
//! authenticated, and authentication failures are opaque.
//!
//! # Example
//! ```
//! use privkit::envelope::{self, LocalKek, SyncToAsync};
//!
//! let kek = SyncToAsync::new(LocalKek::generate("local")?);
//! let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! let sealed = rt.block_on(envelope::seal_async(&kek, b"payload", b"ctx"))?;
//! // The sync API opens what the async one sealed.
//! assert_eq!(envelope::open(kek.get_ref(), &sealed, b"ctx")?, b"payload");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::future::Future;
use std::pin::Pin;

use super::wrap::KeyEncryptionKey;
use crate::Result;
use crate::secret::SecretBytes;

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
