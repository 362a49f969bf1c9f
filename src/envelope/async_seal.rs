//! Async envelope sealing, opening and re-wrapping under [`AsyncKeyEncryptionKey`]s, with
//! a single-flight, refresh-ahead data-key cache.
//!
//! The bytes are exactly those of the sync [`Sealer`](super::Sealer): the header, key
//! schedule and payload code is shared; only the calls to the KEKs are awaited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::Instant;

use super::async_kek::AsyncKeyEncryptionKey;
use super::seal::{
    CacheLimits, CachedKey, DataKeyState, EnvelopeLimits, Parsed, PendingHeader, plaintext_len,
    put_kek_count, put_wrapped_entry, random_data_key, seal_with, unwrap_candidates,
};
use crate::backend::AeadKey;
use crate::secret::SecretBytes;
use crate::{Algorithm, Error, Result};

type Kek = Arc<dyn AsyncKeyEncryptionKey>;

/// Most cache partitions an [`AsyncSealer`] keeps at once; a seal into a further
/// partition evicts spent entries, or else runs uncached (a fresh data key).
pub const MAX_CACHE_PARTITIONS: usize = 4096;

/// The default refresh-ahead point of an [`AsyncSealer`] cache: 80 % of a budget.
pub const DEFAULT_REFRESH_PERCENT: u8 = 80;

/// Seals envelopes under async key-encryption keys: the async counterpart of
/// [`Sealer`](super::Sealer), producing the same bytes.
///
/// # Caching under concurrency
/// With [`with_cache`](Self::with_cache), a data key is reused within [`CacheLimits`]:
/// - **Single flight**: concurrent seals that find no usable key share one new data key,
///   so N concurrent misses make one call to each KEK, not N.
/// - **Bounds under concurrency**: each message reserves its nonce counter, message and
///   byte count under one lock, so no data key ever exceeds its message, byte or age
///   bound, whatever the concurrency.
/// - **Refresh ahead**: once a key has used [`DEFAULT_REFRESH_PERCENT`] % (see
///   [`with_refresh_ahead`](Self::with_refresh_ahead)) of any budget, one new key is
///   fetched while the old one keeps serving: in a background tokio task when a tokio
///   runtime is current (feature `tokio`), otherwise by the caller that noticed. Callers
///   wait only if the old key runs out before the new one is ready.
/// - **Partitions**: [`seal_in`](Self::seal_in) keeps a separate data key per partition
///   (a tenant, a data subject), and [`purge_partition`](Self::purge_partition),
///   [`purge_kek`](Self::purge_kek) and [`purge_all`](Self::purge_all) drop cached keys,
///   for example when a subject is forgotten or a KEK revoked.
///
/// Clones share the cache.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use privkit::envelope::{AsyncOpener, AsyncSealer, CacheLimits, LocalKek, SyncToAsync};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// # rt.block_on(async {
/// let kek = std::sync::Arc::new(SyncToAsync::new(LocalKek::generate("kek")?));
/// let sealer = AsyncSealer::new(kek.clone())
///     .with_cache(CacheLimits::new(1000, 1 << 30, Duration::from_secs(300))?);
/// let envelope = sealer.seal(b"record", b"row-1").await?;
/// assert_eq!(AsyncOpener::new(kek).open(&envelope, b"row-1").await?, b"record");
/// # Ok::<(), privkit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AsyncSealer {
    keks: Arc<Vec<Kek>>,
    algorithm: Algorithm,
    cache: Option<Arc<AsyncCache>>,
    refresh_percent: u8,
}

impl std::fmt::Debug for AsyncSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSealer")
            .field("keks", &kek_ids(&self.keks))
            .field("algorithm", &self.algorithm)
            .field("cache", &self.cache.as_ref().map(|c| c.limits))
            .field("refresh_percent", &self.refresh_percent)
            .finish()
    }
}

fn kek_ids(keks: &[Kek]) -> Vec<&str> {
    keks.iter().map(|k| k.kek_id()).collect()
}

impl AsyncSealer {
    /// A sealer wrapping data keys with `kek`, AES-256-GCM payloads, no caching.
    #[must_use]
    pub fn new(kek: impl AsyncKeyEncryptionKey + 'static) -> Self {
        Self {
            keks: Arc::new(vec![Arc::new(kek)]),
            algorithm: Algorithm::default(),
            cache: None,
            refresh_percent: DEFAULT_REFRESH_PERCENT,
        }
    }

    /// Also wraps every data key with `kek`: any one of the keys opens the envelope.
    #[must_use]
    pub fn with_kek(mut self, kek: impl AsyncKeyEncryptionKey + 'static) -> Self {
        Arc::make_mut(&mut self.keks).push(Arc::new(kek));
        self
    }

    /// Uses `algorithm` for payloads.
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Reuses data keys within `limits` (a new, empty cache).
    #[must_use]
    pub fn with_cache(mut self, limits: CacheLimits) -> Self {
        self.cache = Some(Arc::new(AsyncCache {
            limits,
            slots: Mutex::new(HashMap::new()),
        }));
        self
    }

    /// Starts fetching the next data key once the current one has used `percent` % of
    /// its message, byte or age budget (clamped to 1..=100; 100 turns refresh-ahead off).
    #[must_use]
    pub fn with_refresh_ahead(mut self, percent: u8) -> Self {
        self.refresh_percent = percent.clamp(1, 100);
        self
    }

    /// Seals `plaintext`, binding `aad` (the default cache partition).
    ///
    /// # Errors
    /// As [`Sealer::seal`](super::Sealer::seal). When concurrent seals share one data-key
    /// fetch that fails, each of them gets the error (as
    /// [`Error::KeyManagement`] if it cannot be copied exactly).
    pub async fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        self.seal_in(&[], plaintext, aad).await
    }

    /// Seals `plaintext`, binding `aad`, with a data key of cache partition `partition`
    /// (messages of different partitions never share a data key). Without a cache the
    /// partition is ignored.
    ///
    /// # Errors
    /// As [`seal`](Self::seal).
    pub async fn seal_in(&self, partition: &[u8], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let len = plaintext_len(self.algorithm, plaintext)?;
        let cache = match &self.cache {
            Some(cache) if len <= cache.limits.max_bytes() => cache,
            _ => {
                let state = new_data_key(self.algorithm, &self.keks).await?;
                return seal_with(&state, 0, plaintext, aad);
            }
        };
        loop {
            match cache.step(partition, len, self.refresh_percent) {
                Step::Serve {
                    state,
                    counter,
                    refresh,
                } => {
                    let sealed = seal_with(&state, counter, plaintext, aad);
                    drop(state);
                    if let Some(flight) = refresh {
                        self.refresh(partition.to_vec(), flight).await;
                    }
                    return sealed;
                }
                Step::Wait(flight) => {
                    if let Some(e) = flight.wait().await {
                        return Err(e);
                    }
                }
                Step::Lead(flight) => {
                    let lead = Lead::new(cache, partition.to_vec(), flight);
                    match new_data_key(self.algorithm, &self.keks).await {
                        Ok(state) => {
                            if let Some((state, counter)) = lead.install(state, Some(len)) {
                                return seal_with(&state, counter, plaintext, aad);
                            }
                            // Purged while we fetched: start over.
                        }
                        Err(e) => {
                            lead.fail(&e);
                            return Err(e);
                        }
                    }
                }
                Step::Uncached => {
                    let state = new_data_key(self.algorithm, &self.keks).await?;
                    return seal_with(&state, 0, plaintext, aad);
                }
            }
        }
    }

    /// Fetches the next data key of `partition` ahead of need: in a tokio task when a
    /// runtime is current, else here.
    async fn refresh(&self, partition: Vec<u8>, flight: Arc<Flight>) {
        let Some(cache) = self.cache.clone() else {
            return;
        };
        let keks = Arc::clone(&self.keks);
        let algorithm = self.algorithm;
        let work = async move {
            let lead = Lead::new(&cache, partition, flight);
            match new_data_key(algorithm, &keks).await {
                Ok(state) => {
                    lead.install(state, None);
                }
                Err(e) => lead.fail(&e),
            }
        };
        #[cfg(feature = "tokio")]
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            drop(handle.spawn(work));
            return;
        }
        work.await;
    }

    /// Drops every cached data key (in-flight fetches are discarded when they land).
    pub fn purge_all(&self) {
        if let Some(cache) = &self.cache {
            let slots = std::mem::take(&mut *cache.lock());
            for slot in slots.into_values() {
                slot.abandon();
            }
        }
    }

    /// Drops the cached data key of `partition`, for example when that data subject is
    /// forgotten. Returns whether there was one (or a fetch in flight).
    pub fn purge_partition(&self, partition: &[u8]) -> bool {
        let Some(cache) = &self.cache else {
            return false;
        };
        let slot = cache.lock().remove(partition);
        slot.map(Slot::abandon).is_some()
    }

    /// Drops every cached data key wrapped by the KEK named `kek_id` (on revocation of
    /// that key). Every key of this sealer is wrapped by all of its KEKs, so this purges
    /// everything if `kek_id` is one of them; returns whether it is.
    pub fn purge_kek(&self, kek_id: &str) -> bool {
        let ours = self.keks.iter().any(|k| k.kek_id() == kek_id);
        if ours {
            self.purge_all();
        }
        ours
    }
}

/// Opens and re-wraps envelopes with async key-encryption keys: the async counterpart
/// of [`Opener`](super::Opener).
///
/// # Example
/// ```
/// use privkit::envelope::{AsyncOpener, AsyncSealer, LocalKek, SyncToAsync};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// # rt.block_on(async {
/// let old = std::sync::Arc::new(SyncToAsync::new(LocalKek::generate("kek-2025")?));
/// let new = std::sync::Arc::new(SyncToAsync::new(LocalKek::generate("kek-2026")?));
/// let envelope = AsyncSealer::new(old.clone()).seal(b"payload", b"").await?;
/// let rewrapped = AsyncOpener::new(old).rewrap(&envelope, &[&*new]).await?;
/// assert_eq!(AsyncOpener::new(new).open(&rewrapped, b"").await?, b"payload");
/// # Ok::<(), privkit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AsyncOpener {
    keks: Vec<Kek>,
    limits: EnvelopeLimits,
}

impl std::fmt::Debug for AsyncOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncOpener")
            .field("keks", &kek_ids(&self.keks))
            .field("limits", &self.limits)
            .finish()
    }
}

impl AsyncOpener {
    /// An opener holding `kek`, with default limits.
    #[must_use]
    pub fn new(kek: impl AsyncKeyEncryptionKey + 'static) -> Self {
        Self {
            keks: vec![Arc::new(kek)],
            limits: EnvelopeLimits::default(),
        }
    }

    /// Adds another key-encryption key to try.
    #[must_use]
    pub fn with_kek(mut self, kek: impl AsyncKeyEncryptionKey + 'static) -> Self {
        self.keks.push(Arc::new(kek));
        self
    }

    /// Replaces the decoder limits.
    #[must_use]
    pub fn with_limits(mut self, limits: EnvelopeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Opens `envelope`, which must have been sealed with the same `aad`.
    ///
    /// # Errors
    /// As [`Opener::open`](super::Opener::open).
    pub async fn open(&self, envelope: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        open_with(&self.keks, &self.limits, envelope, aad).await
    }

    /// Replaces the wrapped data keys of `envelope` by wrappings under `to`, leaving the
    /// payload as it was (checked against the key commitment first).
    ///
    /// # Errors
    /// As [`Opener::rewrap`](super::Opener::rewrap).
    pub async fn rewrap(
        &self,
        envelope: &[u8],
        to: &[&dyn AsyncKeyEncryptionKey],
    ) -> Result<Vec<u8>> {
        rewrap_with(&self.keks, &self.limits, envelope, to).await
    }
}

/// Seals `plaintext` under a fresh data key wrapped by `kek` (AES-256-GCM payload): the
/// async [`seal`](super::seal).
///
/// # Errors
/// As [`Sealer::seal`](super::Sealer::seal).
pub async fn seal_async(
    kek: &dyn AsyncKeyEncryptionKey,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let state = new_data_key(Algorithm::default(), &[kek]).await?;
    seal_with(&state, 0, plaintext, aad)
}

/// Opens an envelope with `kek` under default limits: the async [`open`](super::open).
///
/// # Errors
/// As [`Opener::open`](super::Opener::open).
pub async fn open_async(
    kek: &dyn AsyncKeyEncryptionKey,
    envelope: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    open_with(&[kek], &EnvelopeLimits::default(), envelope, aad).await
}

/// Re-wraps the data key of `envelope` from `from` to `to`: the async
/// [`rewrap`](super::rewrap).
///
/// # Errors
/// As [`Opener::rewrap`](super::Opener::rewrap).
pub async fn rewrap_async(
    envelope: &[u8],
    from: &dyn AsyncKeyEncryptionKey,
    to: &dyn AsyncKeyEncryptionKey,
) -> Result<Vec<u8>> {
    rewrap_with(&[from], &EnvelopeLimits::default(), envelope, &[to]).await
}

async fn open_with<K: AsyncKeyEncryptionKey>(
    keks: &[K],
    limits: &EnvelopeLimits,
    envelope: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let parsed = Parsed::parse(envelope, limits)?;
    let (_, cipher) = unwrap_data_key(&parsed, keks).await?;
    parsed.open_payload(&cipher, envelope, aad)
}

async fn rewrap_with<K: AsyncKeyEncryptionKey>(
    keks: &[K],
    limits: &EnvelopeLimits,
    envelope: &[u8],
    to: &[&dyn AsyncKeyEncryptionKey],
) -> Result<Vec<u8>> {
    let parsed = Parsed::parse(envelope, limits)?;
    let (dek, _) = unwrap_data_key(&parsed, keks).await?;
    let entries = wrap_entries(to, &dek, &parsed.wrap_context).await?;
    Ok(parsed.splice(envelope, &entries))
}

/// The wrapped-key entries (count byte first) of `dek` under every KEK, in order.
async fn wrap_entries<K: AsyncKeyEncryptionKey>(
    keks: &[K],
    dek: &SecretBytes,
    context: &[u8],
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    put_kek_count(&mut out, keks.len())?;
    for kek in keks {
        let wrapped = kek.wrap_key(dek, context).await?;
        put_wrapped_entry(&mut out, kek.kek_id(), &wrapped)?;
    }
    Ok(out)
}

/// As the sync `unwrap_committed`: the first KEK that matches an entry by id and
/// unwraps it wins; a key failing the commitment fails the envelope at once.
async fn unwrap_data_key<K: AsyncKeyEncryptionKey>(
    parsed: &Parsed<'_>,
    keks: &[K],
) -> Result<(SecretBytes, AeadKey)> {
    let mut first_error = None;
    for (kek, key) in unwrap_candidates(&parsed.wrapped, keks, |k| k.kek_id()) {
        match kek.unwrap_key(key, &parsed.wrap_context).await {
            Ok(dek) => {
                let cipher = parsed.check_data_key(&dek)?;
                return Ok((dek, cipher));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(Error::NoUsableKey))
}

async fn new_data_key<K: AsyncKeyEncryptionKey>(
    algorithm: Algorithm,
    keks: &[K],
) -> Result<DataKeyState> {
    let (dek, salt) = random_data_key()?;
    let mut pending = PendingHeader::new(algorithm, &dek, &salt, keks.len())?;
    let entries = wrap_entries(keks, &dek, &pending.wrap_context).await?;
    pending.header.extend_from_slice(&entries);
    Ok(pending.finish())
}

// ---------------------------------------------------------------------------------------
// The cache: one slot per partition, each with the current key and at most one fetch in
// flight. The std mutex is never held across an await.

struct AsyncCache {
    limits: CacheLimits,
    slots: Mutex<HashMap<Vec<u8>, Slot>>,
}

#[derive(Default)]
struct Slot {
    current: Option<CachedKey>,
    flight: Option<Arc<Flight>>,
}

impl Slot {
    fn abandon(self) {
        if let Some(flight) = self.flight {
            flight.finish(FlightState::Abandoned);
        }
    }
}

enum Step {
    /// Seal with this reserved key and counter; if `refresh`, fetch the next key.
    Serve {
        state: Arc<DataKeyState>,
        counter: u64,
        refresh: Option<Arc<Flight>>,
    },
    /// Another caller is fetching: wait, then try again.
    Wait(Arc<Flight>),
    /// Fetch a key for the slot and install it.
    Lead(Arc<Flight>),
    /// The cache is full of live partitions: seal without it.
    Uncached,
}

impl AsyncCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn step(&self, partition: &[u8], len: u64, refresh_percent: u8) -> Step {
        let limits = self.limits;
        let now = Instant::now();
        let mut slots = self.lock();
        if !slots.contains_key(partition) && slots.len() >= MAX_CACHE_PARTITIONS {
            slots.retain(|_, s| {
                s.flight.is_some()
                    || s.current
                        .as_ref()
                        .is_some_and(|c| !c.past(100, &limits, now))
            });
            if slots.len() >= MAX_CACHE_PARTITIONS {
                return Step::Uncached;
            }
        }
        let slot = slots.entry(partition.to_vec()).or_default();
        if let Some(current) = slot.current.as_mut()
            && let Some((state, counter)) = current.reserve(len, &limits, now)
        {
            let refresh = (slot.flight.is_none()
                && refresh_percent < 100
                && current.past(refresh_percent, &limits, now))
            .then(|| {
                let flight = Arc::new(Flight::new());
                slot.flight = Some(Arc::clone(&flight));
                flight
            });
            return Step::Serve {
                state,
                counter,
                refresh,
            };
        }
        match &slot.flight {
            Some(flight) => Step::Wait(Arc::clone(flight)),
            None => {
                let flight = Arc::new(Flight::new());
                slot.flight = Some(Arc::clone(&flight));
                Step::Lead(flight)
            }
        }
    }
}

/// The caller (or task) fetching a slot's next key. Dropped before it installs or fails
/// (a cancelled future), it releases the slot and wakes the waiters, who then retry.
struct Lead<'c> {
    cache: &'c AsyncCache,
    partition: Vec<u8>,
    flight: Arc<Flight>,
    done: bool,
}

impl<'c> Lead<'c> {
    fn new(cache: &'c AsyncCache, partition: Vec<u8>, flight: Arc<Flight>) -> Self {
        Self {
            cache,
            partition,
            flight,
            done: false,
        }
    }

    /// Releases the slot's flight if it is still ours; `f` updates the slot first.
    fn release(&mut self, f: impl FnOnce(&mut Slot)) -> bool {
        self.done = true;
        let mut slots = self.cache.lock();
        match slots.get_mut(&self.partition) {
            Some(slot)
                if slot
                    .flight
                    .as_ref()
                    .is_some_and(|fl| Arc::ptr_eq(fl, &self.flight)) =>
            {
                slot.flight = None;
                f(slot);
                true
            }
            _ => false,
        }
    }

    /// Installs the new key (reserving one message of `reserve` bytes for the leader)
    /// and wakes the waiters. `None` if the slot was purged meanwhile.
    fn install(
        mut self,
        state: DataKeyState,
        reserve: Option<u64>,
    ) -> Option<(Arc<DataKeyState>, u64)> {
        let limits = self.cache.limits;
        let now = Instant::now();
        let mut reserved = None;
        let ours = self.release(|slot| {
            let mut entry = CachedKey::new(Arc::new(state), now);
            if let Some(len) = reserve {
                reserved = entry.reserve(len, &limits, now);
            }
            slot.current = Some(entry);
        });
        self.flight.finish(if ours {
            FlightState::Ready
        } else {
            FlightState::Abandoned
        });
        reserved
    }

    fn fail(mut self, error: &Error) {
        self.release(|_| {});
        self.flight.finish(FlightState::Failed(copy_error(error)));
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.release(|_| {});
            self.flight.finish(FlightState::Abandoned);
        }
    }
}

/// One data-key fetch that concurrent callers wait on (a runtime-independent one-shot
/// broadcast).
struct Flight {
    state: Mutex<FlightState>,
}

enum FlightState {
    Pending(Vec<Waker>),
    /// The key is installed: try the cache again.
    Ready,
    /// The fetch failed: every waiter reports this.
    Failed(Error),
    /// The fetch was cancelled or purged: try again.
    Abandoned,
}

impl Flight {
    fn new() -> Self {
        Self {
            state: Mutex::new(FlightState::Pending(Vec::new())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FlightState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Settles the flight once (later calls are ignored) and wakes every waiter.
    fn finish(&self, to: FlightState) {
        let previous = {
            let mut state = self.lock();
            if !matches!(*state, FlightState::Pending(_)) {
                return;
            }
            std::mem::replace(&mut *state, to)
        };
        if let FlightState::Pending(wakers) = previous {
            wakers.into_iter().for_each(Waker::wake);
        }
    }

    /// Waits until the flight settles: `Some(error)` if it failed, `None` to retry.
    async fn wait(&self) -> Option<Error> {
        std::future::poll_fn(|cx| match &mut *self.lock() {
            FlightState::Pending(wakers) => {
                if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
            FlightState::Ready | FlightState::Abandoned => Poll::Ready(None),
            FlightState::Failed(e) => Poll::Ready(Some(copy_error(e))),
        })
        .await
    }
}

/// A copy of `e` for each caller that shared a failed fetch (`Error` is not `Clone`:
/// variants holding foreign errors become [`Error::KeyManagement`] with their message).
fn copy_error(e: &Error) -> Error {
    match e {
        Error::DecryptionFailed => Error::DecryptionFailed,
        Error::Malformed(m) => Error::Malformed(m),
        Error::UnsupportedVersion(v) => Error::UnsupportedVersion(*v),
        Error::UnsupportedAlgorithm(a) => Error::UnsupportedAlgorithm(*a),
        Error::UnknownKeyId(k) => Error::UnknownKeyId(*k),
        Error::KeyDisabled(k) => Error::KeyDisabled(*k),
        Error::KeyDestroyed(k) => Error::KeyDestroyed(*k),
        Error::NoUsableKey => Error::NoUsableKey,
        Error::LimitExceeded { what, limit } => Error::limit(what, *limit),
        Error::InvalidArgument(m) => Error::InvalidArgument(m.clone()),
        Error::InvalidOperation(m) => Error::InvalidOperation(m.clone()),
        Error::VerificationFailed => Error::VerificationFailed,
        Error::KeyManagement(m) => Error::KeyManagement(m.clone()),
        Error::Random => Error::Random,
        other => Error::KeyManagement(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::envelope::{KekFuture, KeyEncryptionKey, LocalKek, Opener, Sealer, SyncToAsync};

    /// A local KEK that counts wraps and takes `delay` (a network round trip) per call.
    struct Slow {
        local: LocalKek,
        delay: Duration,
        fail: bool,
        wraps: AtomicUsize,
    }

    impl Slow {
        fn new(delay_ms: u64) -> Arc<Self> {
            Arc::new(Self {
                local: LocalKek::generate("slow").unwrap(),
                delay: Duration::from_millis(delay_ms),
                fail: false,
                wraps: AtomicUsize::new(0),
            })
        }
        fn wraps(&self) -> usize {
            self.wraps.load(Ordering::SeqCst)
        }
    }

    impl AsyncKeyEncryptionKey for Slow {
        fn kek_id(&self) -> &str {
            "slow"
        }
        fn wrap_key<'a>(
            &'a self,
            key: &'a SecretBytes,
            context: &'a [u8],
        ) -> KekFuture<'a, Vec<u8>> {
            self.wraps.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                if self.fail {
                    return Err(Error::KeyManagement("service unavailable".into()));
                }
                self.local.wrap_key(key, context)
            })
        }
        fn unwrap_key<'a>(
            &'a self,
            wrapped: &'a [u8],
            context: &'a [u8],
        ) -> KekFuture<'a, SecretBytes> {
            Box::pin(async move { self.local.unwrap_key(wrapped, context) })
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap()
    }

    fn salt(envelope: &[u8]) -> Vec<u8> {
        envelope[6..38].to_vec()
    }

    /// The nonce counter of a single-KEK envelope with a 12-byte nonce.
    fn counter(envelope: &[u8]) -> u64 {
        let tag_and_body = envelope.len() - 16 - "payload".len();
        let nonce = &envelope[tag_and_body - 8..tag_and_body];
        u64::from_be_bytes(nonce.try_into().unwrap())
    }

    async fn seal_many(sealer: &AsyncSealer, n: u32) -> Vec<Result<Vec<u8>>> {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let s = sealer.clone();
            tasks.spawn(async move { s.seal(b"payload", b"aad").await });
        }
        let mut out = Vec::new();
        while let Some(r) = tasks.join_next().await {
            out.push(r.unwrap());
        }
        out
    }

    #[test]
    fn same_bytes_as_the_sync_api() {
        let local = Arc::new(LocalKek::generate("k").unwrap());
        rt().block_on(async {
            let asynk = SyncToAsync::new(Arc::clone(&local));
            let env = AsyncSealer::new(asynk.clone())
                .seal(b"x", b"a")
                .await
                .unwrap();
            assert_eq!(
                Opener::new(Arc::clone(&local)).open(&env, b"a").unwrap(),
                b"x"
            );
            let env = Sealer::new(Arc::clone(&local)).seal(b"y", b"b").unwrap();
            assert_eq!(
                AsyncOpener::new(asynk.clone())
                    .open(&env, b"b")
                    .await
                    .unwrap(),
                b"y"
            );
            let other = LocalKek::generate("other").unwrap();
            let re = AsyncOpener::new(asynk)
                .rewrap(&env, &[&SyncToAsync::new(&other)])
                .await
                .unwrap();
            assert_eq!(super::super::open(&other, &re, b"b").unwrap(), b"y");
        });
    }

    #[test]
    fn concurrent_misses_make_one_call() {
        let kek = Slow::new(30);
        let limits = CacheLimits::new(1 << 20, 1 << 30, Duration::from_secs(600)).unwrap();
        let sealer = AsyncSealer::new(Arc::clone(&kek)).with_cache(limits);
        let sealed = rt().block_on(seal_many(&sealer, 300));
        assert_eq!(kek.wraps(), 1);
        let sealed: Vec<_> = sealed.into_iter().map(Result::unwrap).collect();
        let mut counters: Vec<_> = sealed.iter().map(|e| counter(e)).collect();
        counters.sort_unstable();
        assert_eq!(counters, (0..300).collect::<Vec<_>>());
    }

    #[test]
    fn bounds_hold_under_concurrency() {
        let kek = Slow::new(5);
        // 10 messages or 49 bytes ("payload" is 7: 7 messages) per key.
        for (messages, bytes, per_key) in [(10, 1 << 20, 10), (1000, 49, 7)] {
            let limits = CacheLimits::new(messages, bytes, Duration::from_secs(600)).unwrap();
            let sealer = AsyncSealer::new(Arc::clone(&kek)).with_cache(limits);
            let sealed = rt().block_on(seal_many(&sealer, 200));
            let mut per_salt: HashMap<Vec<u8>, Vec<u64>> = HashMap::new();
            for env in sealed {
                let env = env.unwrap();
                per_salt.entry(salt(&env)).or_default().push(counter(&env));
            }
            for counters in per_salt.values_mut() {
                counters.sort_unstable();
                assert!(counters.len() <= per_key, "{} messages", counters.len());
                counters.dedup();
                assert!(counters.len() <= per_key, "a nonce counter was reused");
            }
            assert!(per_salt.len() >= 200 / per_key);
        }
    }

    #[test]
    fn refresh_ahead_fetches_before_the_key_runs_out() {
        let kek = Slow::new(20);
        let limits = CacheLimits::new(10, 1 << 20, Duration::from_secs(600)).unwrap();
        let sealer = AsyncSealer::new(Arc::clone(&kek)).with_cache(limits);
        rt().block_on(async {
            let mut salts = Vec::new();
            for _ in 0..8 {
                salts.push(salt(&sealer.seal(b"payload", b"").await.unwrap()));
            }
            // The 8th message reached 80 %: a refresh is in flight, the old key serves.
            assert!(salts.iter().all(|s| *s == salts[0]));
            for _ in 0..200 {
                if kek.wraps() == 2
                    && sealer.cache.as_ref().unwrap().lock()[&Vec::new()]
                        .flight
                        .is_none()
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(kek.wraps(), 2);
            // The next message already has the new key and makes no call.
            let next = salt(&sealer.seal(b"payload", b"").await.unwrap());
            assert_ne!(next, salts[0]);
            assert_eq!(kek.wraps(), 2);
        });
    }

    #[test]
    fn refresh_off_at_100_percent() {
        let kek = Slow::new(1);
        let limits = CacheLimits::new(10, 1 << 20, Duration::from_secs(600)).unwrap();
        let sealer = AsyncSealer::new(Arc::clone(&kek))
            .with_cache(limits)
            .with_refresh_ahead(100);
        rt().block_on(async {
            for _ in 0..10 {
                sealer.seal(b"payload", b"").await.unwrap();
            }
            assert_eq!(kek.wraps(), 1);
            sealer.seal(b"payload", b"").await.unwrap();
            assert_eq!(kek.wraps(), 2);
        });
    }

    #[test]
    fn purge_partition_kek_and_all() {
        let kek = Slow::new(1);
        let limits = CacheLimits::new(1000, 1 << 20, Duration::from_secs(600)).unwrap();
        let sealer = AsyncSealer::new(Arc::clone(&kek)).with_cache(limits);
        rt().block_on(async {
            let a1 = salt(&sealer.seal_in(b"alice", b"payload", b"").await.unwrap());
            let b1 = salt(&sealer.seal_in(b"bob", b"payload", b"").await.unwrap());
            assert_ne!(a1, b1);
            assert!(sealer.purge_partition(b"alice"));
            assert!(!sealer.purge_partition(b"carol"));
            let a2 = salt(&sealer.seal_in(b"alice", b"payload", b"").await.unwrap());
            let b2 = salt(&sealer.seal_in(b"bob", b"payload", b"").await.unwrap());
            assert_ne!(a1, a2);
            assert_eq!(b1, b2);
            assert!(!sealer.purge_kek("someone-else"));
            assert!(sealer.purge_kek("slow"));
            let b3 = salt(&sealer.seal_in(b"bob", b"payload", b"").await.unwrap());
            assert_ne!(b2, b3);
            sealer.purge_all();
            let b4 = salt(&sealer.seal_in(b"bob", b"payload", b"").await.unwrap());
            assert_ne!(b3, b4);
            assert_eq!(kek.wraps(), 5);
        });
    }

    #[test]
    fn fail_a_shared_fetch_fails_every_waiter_once() {
        let kek = Arc::new(Slow {
            local: LocalKek::generate("slow").unwrap(),
            delay: Duration::from_millis(30),
            fail: true,
            wraps: AtomicUsize::new(0),
        });
        let limits = CacheLimits::new(1000, 1 << 20, Duration::from_secs(600)).unwrap();
        let sealer = AsyncSealer::new(Arc::clone(&kek)).with_cache(limits);
        let results = rt().block_on(seal_many(&sealer, 50));
        assert_eq!(kek.wraps(), 1);
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(Error::KeyManagement(m)) if m == "service unavailable"))
        );
    }

    #[test]
    fn a_cancelled_leader_hands_over() {
        let kek = Slow::new(100);
        let limits = CacheLimits::new(1000, 1 << 20, Duration::from_secs(600)).unwrap();
        let sealer = AsyncSealer::new(Arc::clone(&kek)).with_cache(limits);
        rt().block_on(async {
            let cancelled =
                tokio::time::timeout(Duration::from_millis(5), sealer.seal(b"payload", b"")).await;
            assert!(cancelled.is_err());
            let env = sealer.seal(b"payload", b"").await.unwrap();
            assert_eq!(counter(&env), 0);
            assert_eq!(kek.wraps(), 2);
        });
    }

    #[test]
    fn oversized_messages_bypass_the_cache() {
        let kek = Slow::new(1);
        let limits = CacheLimits::new(1000, 4, Duration::from_secs(600)).unwrap();
        let sealer = AsyncSealer::new(Arc::clone(&kek)).with_cache(limits);
        rt().block_on(async {
            let a = sealer.seal(b"payload", b"").await.unwrap();
            let b = sealer.seal(b"payload", b"").await.unwrap();
            assert_ne!(salt(&a), salt(&b));
            assert_eq!(kek.wraps(), 2);
        });
    }

    fn algorithm() -> impl proptest::strategy::Strategy<Value = Algorithm> {
        proptest::sample::select(vec![
            Algorithm::Aes256Gcm,
            Algorithm::ChaCha20Poly1305,
            Algorithm::XChaCha20Poly1305,
            Algorithm::Aes256GcmSiv,
        ])
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

        /// Async and sync envelopes are interchangeable, cached or not, and re-wrapping
        /// keeps the payload.
        #[test]
        fn prop_async_sync_round_trip(
            alg in algorithm(),
            pt in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1024),
            aad in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            cached in proptest::prelude::any::<bool>(),
        ) {
            let local = Arc::new(LocalKek::generate("k").unwrap());
            let other = LocalKek::generate("other").unwrap();
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let mut sealer = AsyncSealer::new(SyncToAsync::new(Arc::clone(&local))).with_algorithm(alg);
            if cached {
                sealer = sealer.with_cache(CacheLimits::new(3, 1 << 20, Duration::from_secs(60)).unwrap());
            }
            for _ in 0..4 {
                let env = rt.block_on(sealer.seal(&pt, &aad)).unwrap();
                proptest::prop_assert_eq!(&super::super::open(&*local, &env, &aad).unwrap(), &pt);
                let re = rt
                    .block_on(super::super::rewrap_async(&env, &SyncToAsync::new(&*local), &SyncToAsync::new(&other)))
                    .unwrap();
                proptest::prop_assert_eq!(&re[re.len() - pt.len() - 16..], &env[env.len() - pt.len() - 16..]);
                let opened = rt.block_on(open_async(&SyncToAsync::new(&other), &re, &aad)).unwrap();
                proptest::prop_assert_eq!(&opened, &pt);
            }
        }
    }
}
