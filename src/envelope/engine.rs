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
    ParsedHeader, plaintext_len, seal_message, seal_message_after,
};
use super::kek::{AsyncKeyEncryptionKey, KeyEncryptionKey};
use crate::audit::{Auditor, KeyOp, KeyRef, KeyUsage, UsageCounter};
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
///
/// Inlined, so that the future is pinned where the caller builds it: passed to a function
/// by value, a sealer's future (about a KiB) was copied on every call, 124 of the 1,983
/// instructions of a cached seal (callgrind).
#[inline(always)]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    block_on_pinned(pin!(future))
}

fn block_on_pinned<F: Future>(mut future: std::pin::Pin<&mut F>) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
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

/// A KEK id and operation, with the sink's counter for them (`None` when the sink
/// does not aggregate).
type CounterSlot = (String, KeyOp, Option<Arc<UsageCounter>>);

/// What a sealer or opener records in its audit sink: every KEK call, and key use
/// counted per KEK (through the sink's counters when it aggregates).
pub(crate) struct EnvelopeAudit {
    auditor: Auditor,
    category: Option<String>,
    counters: std::sync::Mutex<Vec<CounterSlot>>,
}

impl EnvelopeAudit {
    pub(crate) fn new(auditor: Auditor, category: Option<&str>) -> Self {
        Self {
            auditor,
            category: category.map(str::to_owned),
            counters: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Records a call to a KEK and its outcome.
    fn kek_call<T>(&self, kek: &str, op: KeyOp, outcome: &Result<T>) -> Result<()> {
        self.auditor.kek_call(kek, op, outcome.as_ref().map(|_| ()))
    }

    /// Counts one use of KEK `kek` for `op` over `bytes` of plaintext; `reference`
    /// records the use as its own event naming the envelope.
    pub(crate) fn used(
        &self,
        kek: &str,
        op: KeyOp,
        algorithm: Algorithm,
        bytes: usize,
        reference: Option<&str>,
    ) -> Result<()> {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        if reference.is_none() {
            let counter = {
                let mut cache = self
                    .counters
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match cache.iter().find(|(k, o, _)| k == kek && *o == op) {
                    Some((_, _, c)) => c.clone(),
                    None => {
                        let c = self.auditor.usage_counter(
                            KeyRef::Kek(kek.to_owned()),
                            op,
                            algorithm.name(),
                            self.category.as_deref(),
                        );
                        cache.push((kek.to_owned(), op, c.clone()));
                        c
                    }
                }
            };
            if let Some(counter) = counter {
                counter.add(bytes);
                return Ok(());
            }
        }
        self.auditor
            .key_used(KeyUsage {
                key: KeyRef::Kek(kek.to_owned()),
                op,
                algorithm: algorithm.name().to_owned(),
                count: 1,
                bytes,
                window: None,
                category: self.category.clone(),
                subject: None,
                ciphertext: reference.map(str::to_owned),
            })
            .map(|_| ())
    }
}

/// Wraps the header's data key under every KEK, in order, and finishes the header; each
/// call is recorded in `audit`.
pub(crate) async fn wrap_all<K: Kek>(
    keks: &[K],
    mut header: NewHeader,
    audit: Option<&EnvelopeAudit>,
) -> Result<Finished> {
    for kek in keks.iter().map(Kek::kek) {
        let wrapped = kek.wrap(header.data_key(), header.wrap_context()).await;
        if let Some(audit) = audit {
            audit.kek_call(kek.id(), KeyOp::Wrap, &wrapped)?;
        }
        header.push_wrapped(kek.id(), &wrapped?)?;
    }
    header.finish()
}

/// [`wrap_all`] for blocking KEKs only, as plain calls: the blocking sealer's messages
/// under a fresh data key take it, so that no future (with the header, about 320 bytes,
/// moved into it twice) is built for them. The same calls, audit records and header.
pub(crate) fn wrap_all_blocking<'k>(
    keks: impl IntoIterator<Item = &'k dyn KeyEncryptionKey>,
    header: &mut NewHeader,
    audit: Option<&EnvelopeAudit>,
) -> Result<()> {
    for kek in keks {
        let wrapped = kek.wrap_key(header.data_key(), header.wrap_context());
        if let Some(audit) = audit {
            audit.kek_call(kek.kek_id(), KeyOp::Wrap, &wrapped)?;
        }
        header.push_wrapped(kek.kek_id(), &wrapped?)?;
    }
    Ok(())
}

/// Counts one use of every KEK of `keks` (a message sealed under all of them).
fn used_by_all<K: Kek>(
    keks: &[K],
    audit: Option<&EnvelopeAudit>,
    op: KeyOp,
    algorithm: Algorithm,
    bytes: usize,
    reference: Option<&str>,
) -> Result<()> {
    if let Some(audit) = audit {
        for kek in keks.iter().map(Kek::kek) {
            audit.used(kek.id(), op, algorithm, bytes, reference)?;
        }
    }
    Ok(())
}

/// Unwraps the data key of `header` with the first KEK that matches an entry by id and
/// succeeds, and checks it against the commitment and the header tag or MAC. A data key that
/// fails those checks fails at once (a forged header), without trying other entries; if
/// no KEK unwraps, the first KEK error (or [`Error::NoUsableKey`]).
pub(crate) async fn unwrap_any<'k, K: Kek>(
    header: &ParsedHeader<'_>,
    keks: &'k [K],
    aad: &[u8],
    audit: Option<&EnvelopeAudit>,
) -> Result<(SecretBytes, AeadKey, &'k str)> {
    let mut first_error = None;
    for (i, wrapped) in header.candidates(keks, |k| k.kek().id()) {
        let kek = keks[i].kek();
        let unwrapped = kek.unwrap(wrapped, header.wrap_context()).await;
        if let Some(audit) = audit {
            audit.kek_call(kek.id(), KeyOp::Unwrap, &unwrapped)?;
        }
        match unwrapped {
            Ok(data_key) => {
                let cipher = header.accept(&data_key, aad)?;
                return Ok((data_key, cipher, kek.id()));
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
    pub(crate) audit: Option<Arc<EnvelopeAudit>>,
}

impl<K> Clone for Engine<K> {
    fn clone(&self) -> Self {
        Self {
            keks: Arc::clone(&self.keks),
            algorithm: self.algorithm,
            segment_size: self.segment_size,
            cache: self.cache.clone(),
            refresh_percent: self.refresh_percent,
            audit: self.audit.clone(),
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
            audit: None,
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
        let header = NewHeader::for_envelope(self.algorithm, self.keks.len())?;
        wrap_all(&self.keks, header, self.audit.as_deref()).await
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
        reference: Option<&str>,
    ) -> Result<Vec<u8>> {
        let len = plaintext_len(self.algorithm, plaintext)?;
        let (state, counter): Reserved = match &self.cache {
            None => {
                // A data key for this message only: the envelope is written after the
                // header in the header's own buffer.
                let header =
                    NewHeader::for_message(self.algorithm, self.keks.len(), plaintext.len())?;
                let header = wrap_all(&self.keks, header, self.audit.as_deref()).await?;
                let sealed = seal_message_after(header, plaintext, aad)?;
                self.used(plaintext.len(), reference)?;
                return Ok(sealed);
            }
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
        let sealed = seal_message(&state, counter, plaintext, aad)?;
        self.used(plaintext.len(), reference)?;
        Ok(sealed)
    }

    /// Seals one message with the current cached key of `partition` without the async
    /// path, when that key serves it and refresh-ahead is off (the blocking sealer's
    /// default); `None` when the caller must take [`seal_in`](Self::seal_in) (no cache, a
    /// miss, a spent key, refresh-ahead on). The same checks, bytes and audit record as
    /// `seal_in`; what it saves is building and polling `seal_in`'s future (about 200 of
    /// the 1,822 instructions of a cached 64-byte seal).
    pub(crate) fn try_seal_cached(
        &self,
        partition: &[u8],
        plaintext: &[u8],
        aad: &[u8],
        reference: Option<&str>,
    ) -> Result<Option<Vec<u8>>> {
        let Some(cache) = &self.cache else {
            return Ok(None);
        };
        if self.refresh_percent < 100 {
            return Ok(None);
        }
        let len = plaintext_len(self.algorithm, plaintext)?;
        let Some((state, counter)) = cache.try_reserve(partition, len) else {
            return Ok(None);
        };
        let sealed = seal_message(&state, counter, plaintext, aad)?;
        self.used(plaintext.len(), reference)?;
        Ok(Some(sealed))
    }

    /// Counts one sealed message of `bytes` under every KEK.
    fn used(&self, bytes: usize, reference: Option<&str>) -> Result<()> {
        used_by_all(
            &self.keks,
            self.audit.as_deref(),
            KeyOp::Seal,
            self.algorithm,
            bytes,
            reference,
        )
    }

    async fn refresh(&self, lead: Lead, background: bool) {
        #[cfg(feature = "tokio")]
        if background && let Ok(handle) = tokio::runtime::Handle::try_current() {
            let engine = self.clone();
            drop(handle.spawn(async move { lead.settle(engine.fetch().await) }));
            return;
        }
        let _ = background;
        // Boxed, as the cache's fetches: a refresh is rare, and inline its future would
        // be part of every cached seal's.
        lead.settle(Box::pin(self.fetch()).await);
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
        let header = wrap_all(&self.keks, header, self.audit.as_deref()).await?;
        // A stream's length is not known when it starts: one use of each KEK is counted,
        // with no bytes.
        used_by_all(
            &self.keks,
            self.audit.as_deref(),
            KeyOp::Seal,
            self.algorithm,
            0,
            None,
        )?;
        Ok(header)
    }
}

/// The blocking sealer's paths that need no future.
impl Engine<Arc<dyn KeyEncryptionKey>> {
    /// Seals one message under a fresh data key with plain calls to the (blocking) KEKs:
    /// what [`seal_in`](Engine::seal_in) does without a cache, the same bytes and audit
    /// records.
    pub(crate) fn seal_uncached_blocking(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        reference: Option<&str>,
    ) -> Result<Vec<u8>> {
        plaintext_len(self.algorithm, plaintext)?;
        let mut header = NewHeader::for_message(self.algorithm, self.keks.len(), plaintext.len())?;
        wrap_all_blocking(
            self.keks.iter().map(|k| &**k),
            &mut header,
            self.audit.as_deref(),
        )?;
        let sealed = seal_message_after(header.finish()?, plaintext, aad)?;
        self.used(plaintext.len(), reference)?;
        Ok(sealed)
    }
}

/// Opens an envelope with any of `keks`.
pub(crate) async fn open<K: Kek>(
    keks: &[K],
    limits: &EnvelopeLimits,
    envelope: &[u8],
    aad: &[u8],
    audit: Option<&EnvelopeAudit>,
) -> Result<Vec<u8>> {
    let parsed = ParsedEnvelope::parse(envelope, limits)?;
    let (_, cipher, kek) = unwrap_any(&parsed.header, keks, b"", audit).await?;
    let plaintext = parsed.open_payload(&cipher, aad)?;
    if let Some(audit) = audit {
        audit.used(
            kek,
            KeyOp::Open,
            parsed.header.algorithm,
            plaintext.len(),
            None,
        )?;
    }
    Ok(plaintext)
}

/// Re-wraps the data key of an envelope (opened with `keks`) under `to`; the output is a
/// version 3 envelope for a version 3 one, a version 2 envelope otherwise, the payload
/// unchanged.
pub(crate) async fn rewrap<K: Kek, T: Kek>(
    keks: &[K],
    limits: &EnvelopeLimits,
    envelope: &[u8],
    to: &[T],
    audit: Option<&EnvelopeAudit>,
) -> Result<Vec<u8>> {
    let parsed = ParsedEnvelope::parse(envelope, limits)?;
    let (data_key, _, kek) = unwrap_any(&parsed.header, keks, b"", audit).await?;
    let header = NewHeader::rewrap(&parsed.header, data_key, to.len())?;
    let header = wrap_all(to, header, audit).await?;
    if let Some(audit) = audit {
        audit.used(kek, KeyOp::Rewrap, parsed.header.algorithm, 0, None)?;
    }
    Ok(parsed.splice(&header))
}

/// Opens a complete stream header (as `stream_header_needs` delimited it): the segment
/// cipher and the header.
pub(crate) async fn open_stream_header<'h, K: Kek>(
    keks: &[K],
    limits: &EnvelopeLimits,
    header: &'h [u8],
    aad: &[u8],
    audit: Option<&EnvelopeAudit>,
) -> Result<(ParsedHeader<'h>, AeadKey)> {
    let parsed = ParsedHeader::parse(header, true, limits)?;
    let (_, cipher, kek) = unwrap_any(&parsed, keks, aad, audit).await?;
    if let Some(audit) = audit {
        audit.used(kek, KeyOp::Open, parsed.algorithm, 0, None)?;
    }
    Ok((parsed, cipher))
}
