//! The envelope operations written once: sealing (with the cache), opening, re-wrapping,
//! and starting or opening a stream, as async code generic over how a key-encryption key
//! is called. The async front ends await it; the sync front ends run it with
//! [`block_on`], where every call to a sync KEK is a future that is ready at once.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::cache::{DataKeyCache, Lead, Reserved};
use super::header::{
    DEFAULT_SEGMENT_SIZE, EnvelopeLimits, Finished, Kind, Material, NewHeader, ParsedEnvelope,
    ParsedHeader, plaintext_len, seal_message,
};
use super::kek::{AsyncKeyEncryptionKey, KeyEncryptionKey};
use crate::backend::AeadKey;
use crate::secret::SecretBytes;
use crate::{Algorithm, Error, Result};

/// A key-encryption key as the engine calls it: a sync KEK's result is there at once, an
/// async KEK's future is awaited.
#[derive(Clone, Copy)]
pub enum KekRef<'a> {
    /// A blocking KEK.
    Blocking(&'a dyn KeyEncryptionKey),
    /// An async KEK.
    Async(&'a dyn AsyncKeyEncryptionKey),
}

impl std::fmt::Debug for KekRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            KekRef::Blocking(_) => "Blocking",
            KekRef::Async(_) => "Async",
        };
        f.debug_tuple(kind).field(&self.id()).finish()
    }
}

impl<'a> KekRef<'a> {
    pub(crate) fn id(self) -> &'a str {
        match self {
            KekRef::Blocking(k) => k.kek_id(),
            KekRef::Async(k) => k.kek_id(),
        }
    }

    async fn wrap(self, data_key: &SecretBytes, context: &[u8]) -> Result<Vec<u8>> {
        match self {
            KekRef::Blocking(k) => k.wrap_key(data_key, context),
            KekRef::Async(k) => k.wrap_key(data_key, context).await,
        }
    }

    async fn unwrap(self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        match self {
            KekRef::Blocking(k) => k.unwrap_key(wrapped, context),
            KekRef::Async(k) => k.unwrap_key(wrapped, context).await,
        }
    }
}

/// The seal of [`KekKind`](super::KekKind): only the two KEK traits' objects implement it.
pub trait Sealed: Send + Sync {
    /// This KEK as the engine calls it.
    fn kek_ref(&self) -> KekRef<'_>;
}

impl Sealed for dyn KeyEncryptionKey + '_ {
    fn kek_ref(&self) -> KekRef<'_> {
        KekRef::Blocking(self)
    }
}

impl Sealed for dyn AsyncKeyEncryptionKey + '_ {
    fn kek_ref(&self) -> KekRef<'_> {
        KekRef::Async(self)
    }
}

/// What the engine holds KEKs as: `Arc`s in sealers and openers, references in one-shot
/// calls.
pub(crate) trait Kek: Send + Sync {
    fn kek(&self) -> KekRef<'_>;
}

impl<K: ?Sized + Sealed> Kek for Arc<K> {
    fn kek(&self) -> KekRef<'_> {
        (**self).kek_ref()
    }
}

impl<K: ?Sized + Sealed> Kek for &K {
    fn kek(&self) -> KekRef<'_> {
        (**self).kek_ref()
    }
}

/// Runs `future` on this thread. The first poll uses a no-op waker (sync KEK calls are
/// ready at once, so that poll usually finishes); only a future that waits (for another
/// thread's fetch of a cached data key) gets a waker that unparks this thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut future = pin!(future);
    if let Poll::Ready(out) = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        return out;
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

/// Wraps the header's data key under every KEK, in order, and finishes the header.
pub(crate) async fn wrap_all<K: Kek>(keks: &[K], mut header: NewHeader) -> Result<Finished> {
    for kek in keks.iter().map(Kek::kek) {
        let wrapped = kek.wrap(header.data_key(), header.wrap_context()).await?;
        header.push_wrapped(kek.id(), &wrapped)?;
    }
    header.finish()
}

/// Unwraps the data key of `header` with the first KEK that matches an entry by id and
/// succeeds, and checks it against the commitment and the header MAC. A data key that
/// fails those checks fails at once (a forged header), without trying other entries; if
/// no KEK unwraps, the first KEK error (or [`Error::NoUsableKey`]).
pub(crate) async fn unwrap_any<K: Kek>(
    header: &ParsedHeader<'_>,
    keks: &[K],
    aad: &[u8],
) -> Result<(SecretBytes, AeadKey)> {
    let mut first_error = None;
    for (kek, wrapped) in header.candidates(keks, |k| k.kek().id()) {
        match kek.kek().unwrap(wrapped, header.wrap_context()).await {
            Ok(data_key) => {
                let cipher = header.accept(&data_key, aad)?;
                return Ok((data_key, cipher));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(Error::NoUsableKey))
}

/// The sealing side shared by [`Sealer`](super::Sealer) and
/// [`AsyncSealer`](super::AsyncSealer): KEKs, payload algorithm, stream segment size and
/// the data-key cache.
pub(crate) struct Engine<K> {
    pub(crate) keks: Arc<Vec<K>>,
    pub(crate) algorithm: Algorithm,
    pub(crate) segment_size: u32,
    pub(crate) cache: Option<Arc<DataKeyCache>>,
    pub(crate) refresh_percent: u8,
}

impl<K> Clone for Engine<K> {
    fn clone(&self) -> Self {
        Self {
            keks: Arc::clone(&self.keks),
            algorithm: self.algorithm,
            segment_size: self.segment_size,
            cache: self.cache.clone(),
            refresh_percent: self.refresh_percent,
        }
    }
}

impl<K: Kek + 'static> Engine<K> {
    /// An engine for `kek`; `refresh_percent` is the refresh-ahead point (100: off).
    pub(crate) fn new(kek: K, refresh_percent: u8) -> Self {
        Self {
            keks: Arc::new(vec![kek]),
            algorithm: Algorithm::default(),
            segment_size: DEFAULT_SEGMENT_SIZE,
            cache: None,
            refresh_percent,
        }
    }

    pub(crate) fn push_kek(&mut self, kek: K) {
        match Arc::get_mut(&mut self.keks) {
            Some(keks) => keks.push(kek),
            None => unreachable!("KEKs are added while the sealer is being built"),
        }
    }

    pub(crate) fn kek_ids(&self) -> Vec<&str> {
        self.keks.iter().map(|k| k.kek().id()).collect()
    }

    /// A fresh data key wrapped by every KEK.
    async fn fetch(&self) -> Result<Finished> {
        let header = NewHeader::new(
            Kind::Envelope,
            self.algorithm,
            Material::random()?,
            self.keks.len(),
            b"",
        )?;
        wrap_all(&self.keks, header).await
    }

    /// Seals one message in `partition` of the cache. `background`: run a refresh-ahead
    /// fetch in a tokio task when a runtime is current (async front end); otherwise the
    /// caller that noticed fetches it before returning.
    pub(crate) async fn seal_in(
        &self,
        partition: &[u8],
        plaintext: &[u8],
        aad: &[u8],
        background: bool,
    ) -> Result<Vec<u8>> {
        let len = plaintext_len(self.algorithm, plaintext)?;
        let (state, counter): Reserved = match &self.cache {
            None => (Arc::new(self.fetch().await?), 0),
            Some(cache) => {
                let (reserved, refresh) = cache
                    .reserve(partition, len, self.refresh_percent, || self.fetch())
                    .await?;
                if let Some(lead) = refresh {
                    self.refresh(lead, background).await;
                }
                reserved
            }
        };
        seal_message(&state, counter, plaintext, aad)
    }

    async fn refresh(&self, lead: Lead, background: bool) {
        #[cfg(feature = "tokio")]
        if background && let Ok(handle) = tokio::runtime::Handle::try_current() {
            let engine = self.clone();
            drop(handle.spawn(async move { lead.settle(engine.fetch().await) }));
            return;
        }
        let _ = background;
        lead.settle(self.fetch().await);
    }

    /// Drops the cached data key of `partition`.
    pub(crate) fn purge_partition(&self, partition: &[u8]) -> bool {
        self.cache
            .as_ref()
            .is_some_and(|c| c.purge_partition(partition))
    }

    /// Drops every cached data key.
    pub(crate) fn purge_all(&self) {
        if let Some(cache) = &self.cache {
            cache.purge_all();
        }
    }

    /// Drops every cached data key if `kek_id` is one of this sealer's KEKs (each cached
    /// key is wrapped by all of them); returns whether it is.
    pub(crate) fn purge_kek(&self, kek_id: &str) -> bool {
        let ours = self.keks.iter().any(|k| k.kek().id() == kek_id);
        if ours {
            self.purge_all();
        }
        ours
    }

    /// The header and segment cipher of a new stream.
    pub(crate) async fn start_stream(&self, aad: &[u8]) -> Result<Finished> {
        let kind = Kind::Stream {
            segment_size: self.segment_size,
        };
        let header = NewHeader::new(
            kind,
            self.algorithm,
            Material::random()?,
            self.keks.len(),
            aad,
        )?;
        wrap_all(&self.keks, header).await
    }
}

/// Opens an envelope with any of `keks`.
pub(crate) async fn open<K: Kek>(
    keks: &[K],
    limits: &EnvelopeLimits,
    envelope: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let parsed = ParsedEnvelope::parse(envelope, limits)?;
    let (_, cipher) = unwrap_any(&parsed.header, keks, b"").await?;
    parsed.open_payload(&cipher, aad)
}

/// Re-wraps the data key of an envelope (opened with `keks`) under `to`; the output is a
/// version 2 envelope with the payload unchanged.
pub(crate) async fn rewrap<K: Kek, T: Kek>(
    keks: &[K],
    limits: &EnvelopeLimits,
    envelope: &[u8],
    to: &[T],
) -> Result<Vec<u8>> {
    let parsed = ParsedEnvelope::parse(envelope, limits)?;
    let (data_key, _) = unwrap_any(&parsed.header, keks, b"").await?;
    let header = NewHeader::rewrap(&parsed.header, data_key, to.len())?;
    let header = wrap_all(to, header).await?;
    Ok(parsed.splice(&header))
}

/// Opens a complete stream header (as `stream_header_needs` delimited it): the segment
/// cipher and the header.
pub(crate) async fn open_stream_header<'h, K: Kek>(
    keks: &[K],
    limits: &EnvelopeLimits,
    header: &'h [u8],
    aad: &[u8],
) -> Result<(ParsedHeader<'h>, AeadKey)> {
    let parsed = ParsedHeader::parse(header, true, limits)?;
    let (_, cipher) = unwrap_any(&parsed, keks, aad).await?;
    Ok((parsed, cipher))
}
