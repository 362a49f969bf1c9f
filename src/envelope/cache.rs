//! The data-key cache behind both sealers: bounded reuse of data keys, partitions, single
//! flight and refresh ahead. Written once as async code over a `fetch` future; the sync
//! [`Sealer`](super::Sealer) drives it with a blocking executor (its fetches complete at
//! once, so it blocks only while another thread fetches the key it waits for).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use super::header::Finished;
use crate::{Error, Result};

/// Most cache partitions a sealer keeps at once; a seal into a further partition evicts
/// spent entries, or else runs uncached (a fresh data key).
pub const MAX_CACHE_PARTITIONS: usize = 4096;

/// The default refresh-ahead point of a sealer's cache: 80 % of a budget.
pub const DEFAULT_REFRESH_PERCENT: u8 = 80;

/// Bounds on the reuse of one data key by a caching [`Sealer`](super::Sealer) or
/// [`AsyncSealer`](super::AsyncSealer). All three are required.
///
/// A data key is replaced as soon as it has sealed `max_messages` messages, or
/// `max_bytes` bytes of plaintext, or is `max_age` old, whichever comes first. Each
/// message under a cached key gets its own nonce (a counter), so reuse never repeats a
/// nonce; `max_messages` is capped at 2^32 to stay inside SP 800-38D's invocation limit.
///
/// Ages are read on a monotonic clock once per message. On Linux, when the kernel's
/// coarse monotonic clock resolves `max_age` to a thousandth or better (its resolution is
/// one timer tick, 1 to 10 ms: a `max_age` of 10 s or more always qualifies), the cache
/// reads that clock, which costs a quarter of [`Instant::now`]; a key is then served at
/// most 0.1 % of `max_age` past it. Shorter ages, and other systems, use [`Instant`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimits {
    max_messages: u64,
    max_bytes: u64,
    max_age: Duration,
}

impl CacheLimits {
    /// Most messages per data key accepted (2^32).
    pub const MAX_MESSAGES: u64 = 1 << 32;
    /// Most plaintext bytes per data key accepted (2^50, one pebibyte).
    pub const MAX_BYTES: u64 = 1 << 50;
    /// Longest age accepted for a cached data key (24 hours).
    pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

    /// Validated limits.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a bound is zero or above its ceiling
    /// ([`MAX_MESSAGES`](Self::MAX_MESSAGES), [`MAX_BYTES`](Self::MAX_BYTES),
    /// [`MAX_AGE`](Self::MAX_AGE)).
    pub fn new(max_messages: u64, max_bytes: u64, max_age: Duration) -> Result<Self> {
        if max_messages == 0 || max_messages > Self::MAX_MESSAGES {
            return Err(Error::invalid_argument(
                "cache max_messages must be 1..=2^32",
            ));
        }
        if max_bytes == 0 || max_bytes > Self::MAX_BYTES {
            return Err(Error::invalid_argument("cache max_bytes must be 1..=2^50"));
        }
        if max_age.is_zero() || max_age > Self::MAX_AGE {
            return Err(Error::invalid_argument(
                "cache max_age must be above zero and at most 24 hours",
            ));
        }
        Ok(Self {
            max_messages,
            max_bytes,
            max_age,
        })
    }

    /// Most messages sealed under one data key.
    #[must_use]
    pub fn max_messages(&self) -> u64 {
        self.max_messages
    }

    /// Most plaintext bytes sealed under one data key.
    #[must_use]
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Longest time one data key is used.
    #[must_use]
    pub fn max_age(&self) -> Duration {
        self.max_age
    }
}

/// A data key in a cache, with what it has sealed so far.
struct CachedKey {
    state: Arc<Finished>,
    /// When the key was installed, on the cache's [`Clock`].
    created: Duration,
    /// `created + max_age`: the age check of every message is one comparison.
    expires: Duration,
    messages: u64,
    bytes: u64,
}

impl CachedKey {
    fn new(state: Arc<Finished>, created: Duration, max_age: Duration) -> Self {
        Self {
            state,
            created,
            // `max_age` is at most 24 hours, so this does not overflow; if it did, the key
            // would count as expired at once.
            expires: created.checked_add(max_age).unwrap_or(created),
            messages: 0,
            bytes: 0,
        }
    }

    /// Reserves one message of `len` bytes if that stays within `limits` at `now`:
    /// returns the key and the message's nonce counter.
    fn reserve(
        &mut self,
        len: u64,
        limits: &CacheLimits,
        now: Duration,
    ) -> Option<(Arc<Finished>, u64)> {
        let usable = self.messages < limits.max_messages
            && self.bytes.saturating_add(len) <= limits.max_bytes
            && now < self.expires;
        if !usable {
            return None;
        }
        let counter = self.messages;
        self.messages += 1;
        self.bytes += len;
        Some((Arc::clone(&self.state), counter))
    }

    /// Whether the key has used `percent` % of any of its budgets (messages, bytes, age).
    fn past(&self, percent: u8, limits: &CacheLimits, now: Duration) -> bool {
        let p = u128::from(percent);
        let age = now.saturating_sub(self.created).as_nanos();
        u128::from(self.messages) * 100 >= u128::from(limits.max_messages) * p
            || u128::from(self.bytes) * 100 >= u128::from(limits.max_bytes) * p
            || age * 100 >= limits.max_age.as_nanos() * p
    }
}

/// One cache: a slot per partition, each with the current key and at most one fetch in
/// flight. The mutex is never held across an await.
pub(crate) struct DataKeyCache {
    pub(crate) limits: CacheLimits,
    clock: Clock,
    slots: Mutex<Slots>,
}

/// The clock that dates a cache's keys: a monotonic time as a [`Duration`] since the
/// clock's own origin.
///
/// Every cached seal reads it once, under the cache's lock. `Instant::now` costs about
/// 24 ns here (a vDSO `clock_gettime(CLOCK_MONOTONIC)` reading the TSC), more than a
/// tenth of a cached 64-byte seal; the kernel's coarse monotonic clock, the time of the
/// last timer tick, costs about 7 ns and is exact to one tick (`clock_getres`: 4 ms
/// here, 1 to 10 ms on Linux generally). A cache uses the coarse clock when that
/// resolution is at most a thousandth of its `max_age`, so a key is never served more
/// than 0.1 % of `max_age` past it, and the precise clock otherwise (and on systems
/// without a coarse clock). Measured in docs/PERFORMANCE.md ("The cache's clock").
#[derive(Clone, Copy, Debug)]
enum Clock {
    /// [`Instant`], as the time since `origin`.
    Precise { origin: Instant },
    /// `CLOCK_MONOTONIC_COARSE`, as the time since boot.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Coarse,
}

impl Clock {
    /// The coarse clock if it resolves `max_age` to 0.1 %, else the precise one.
    fn for_max_age(max_age: Duration) -> Self {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            use rustix::time::{ClockId, clock_getres};
            let res = timespec_duration(clock_getres(ClockId::MonotonicCoarse));
            if !res.is_zero() && res.saturating_mul(1000) <= max_age {
                return Self::Coarse;
            }
        }
        let _ = max_age;
        Self::Precise {
            origin: Instant::now(),
        }
    }

    fn now(&self) -> Duration {
        match self {
            Self::Precise { origin } => origin.elapsed(),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Self::Coarse => timespec_duration(rustix::time::clock_gettime(
                rustix::time::ClockId::MonotonicCoarse,
            )),
        }
    }
}

/// A timespec as a duration; a negative or out-of-range field (which monotonic clocks
/// never give) reads as the latest time, so no key could be served on it.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn timespec_duration(t: rustix::time::Timespec) -> Duration {
    match (u64::try_from(t.tv_sec), u32::try_from(t.tv_nsec)) {
        (Ok(s), Ok(n)) if n < 1_000_000_000 => Duration::new(s, n),
        _ => Duration::MAX,
    }
}

/// A cache's slots: the default partition (the empty one, which `seal` uses) in a field
/// of its own, named partitions in a map. The default partition costs no hash and no key
/// comparison per message. Looking an empty key up in the map also compared an empty
/// `Vec` (whose pointer dangles) with glibc's `memcmp`, whose masked load from that
/// address takes a microcode assist on AMD processors: about 200 ns per message, more
/// than the AES-GCM of a 64-byte value (docs/PERFORMANCE.md, "Envelopes").
#[derive(Default)]
struct Slots {
    default: Option<Slot>,
    named: HashMap<Vec<u8>, Slot>,
}

impl Slots {
    fn get(&self, partition: &[u8]) -> Option<&Slot> {
        if partition.is_empty() {
            self.default.as_ref()
        } else {
            self.named.get(partition)
        }
    }

    fn get_mut(&mut self, partition: &[u8]) -> Option<&mut Slot> {
        if partition.is_empty() {
            self.default.as_mut()
        } else {
            self.named.get_mut(partition)
        }
    }

    fn contains(&self, partition: &[u8]) -> bool {
        self.get(partition).is_some()
    }

    /// Gives `partition`, which has no slot, an empty one (the key is copied only then,
    /// not on every message).
    fn insert_empty(&mut self, partition: &[u8]) {
        if partition.is_empty() {
            self.default = Some(Slot::default());
        } else {
            self.named.insert(partition.to_vec(), Slot::default());
        }
    }

    fn remove(&mut self, partition: &[u8]) -> Option<Slot> {
        if partition.is_empty() {
            self.default.take()
        } else {
            self.named.remove(partition)
        }
    }

    fn len(&self) -> usize {
        self.named.len() + usize::from(self.default.is_some())
    }

    fn retain(&mut self, mut keep: impl FnMut(&Slot) -> bool) {
        if self.default.as_ref().is_some_and(|s| !keep(s)) {
            self.default = None;
        }
        self.named.retain(|_, s| keep(s));
    }

    fn into_slots(self) -> impl Iterator<Item = Slot> {
        self.default.into_iter().chain(self.named.into_values())
    }
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
        state: Arc<Finished>,
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

/// A reserved message: the data key's header and cipher, and the message's nonce counter.
pub(crate) type Reserved = (Arc<Finished>, u64);

impl DataKeyCache {
    pub(crate) fn new(limits: CacheLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            clock: Clock::for_max_age(limits.max_age),
            slots: Mutex::new(Slots::default()),
        })
    }

    /// Reserves one message of `len` bytes in `partition`: from the current key, or from a
    /// key that `fetch` makes (one fetch at a time per partition; concurrent callers wait
    /// for it). The second value, when present, asks the caller to fetch the partition's
    /// next key ahead of need and [`settle`](Lead::settle) it.
    pub(crate) async fn reserve<F, Fut>(
        self: &Arc<Self>,
        partition: &[u8],
        len: u64,
        refresh_percent: u8,
        fetch: F,
    ) -> Result<(Reserved, Option<Lead>)>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Finished>>,
    {
        // The fetches are boxed: they run once per data key, and inline they would make
        // this future (and every seal's, served from the cache or not) several KiB, copied
        // on every call.
        if len > self.limits.max_bytes {
            return Ok(((Arc::new(Box::pin(fetch()).await?), 0), None));
        }
        loop {
            match self.step(partition, len, refresh_percent) {
                Step::Serve {
                    state,
                    counter,
                    refresh,
                } => {
                    let lead = refresh.map(|f| Lead::new(Arc::clone(self), partition.to_vec(), f));
                    return Ok(((state, counter), lead));
                }
                Step::Wait(flight) => {
                    if let Some(e) = flight.wait().await {
                        return Err(e);
                    }
                }
                Step::Lead(flight) => {
                    let lead = Lead::new(Arc::clone(self), partition.to_vec(), flight);
                    match Box::pin(fetch()).await {
                        Ok(state) => {
                            if let Some(reserved) = lead.install(state, Some(len)) {
                                return Ok((reserved, None));
                            }
                            // Purged while we fetched: start over.
                        }
                        Err(e) => {
                            lead.fail(&e);
                            return Err(e);
                        }
                    }
                }
                Step::Uncached => return Ok(((Arc::new(Box::pin(fetch()).await?), 0), None)),
            }
        }
    }

    /// Reserves one message of `len` bytes from the current key of `partition` if that key
    /// serves it now, under the same checks as [`reserve`](Self::reserve) (message, byte
    /// and age bounds, one lock); `None` leaves the cache as it was, and the caller goes
    /// the way of `reserve`. Never asks for a refresh: for sealers with refresh-ahead off.
    pub(crate) fn try_reserve(&self, partition: &[u8], len: u64) -> Option<Reserved> {
        if len > self.limits.max_bytes {
            return None;
        }
        let limits = self.limits;
        let mut slots = self.lock();
        // Read under the lock, as in `step`: a clock read before a wait for the lock would
        // be older than the moment the key is served.
        let now = self.clock.now();
        slots
            .get_mut(partition)?
            .current
            .as_mut()?
            .reserve(len, &limits, now)
    }

    /// Drops every cached data key (fetches in flight are discarded when they land).
    pub(crate) fn purge_all(&self) {
        let slots = std::mem::take(&mut *self.lock());
        for slot in slots.into_slots() {
            slot.abandon();
        }
    }

    /// Drops the cached data key of `partition`; returns whether there was one (or a
    /// fetch in flight).
    pub(crate) fn purge_partition(&self, partition: &[u8]) -> bool {
        let slot = self.lock().remove(partition);
        slot.map(Slot::abandon).is_some()
    }

    /// Whether a fetch for `partition` is under way.
    #[cfg(test)]
    pub(crate) fn in_flight(&self, partition: &[u8]) -> bool {
        self.lock()
            .get(partition)
            .is_some_and(|s| s.flight.is_some())
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn step(&self, partition: &[u8], len: u64, refresh_percent: u8) -> Step {
        let limits = self.limits;
        let mut slots = self.lock();
        // Read under the lock: read before it, a wait for the lock (another thread sealing
        // or installing a key) would make `now` older than the moment the key is served,
        // and a key could be served past its max age by that wait.
        let now = self.clock.now();
        if !slots.contains(partition) {
            if slots.len() >= MAX_CACHE_PARTITIONS {
                slots.retain(|s| {
                    s.flight.is_some()
                        || s.current
                            .as_ref()
                            .is_some_and(|c| !c.past(100, &limits, now))
                });
                if slots.len() >= MAX_CACHE_PARTITIONS {
                    return Step::Uncached;
                }
            }
            slots.insert_empty(partition);
        }
        let Some(slot) = slots.get_mut(partition) else {
            return Step::Uncached;
        };
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
pub(crate) struct Lead {
    cache: Arc<DataKeyCache>,
    partition: Vec<u8>,
    flight: Arc<Flight>,
    done: bool,
}

impl Lead {
    fn new(cache: Arc<DataKeyCache>, partition: Vec<u8>, flight: Arc<Flight>) -> Self {
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
    fn install(mut self, state: Finished, reserve: Option<u64>) -> Option<(Arc<Finished>, u64)> {
        let limits = self.cache.limits;
        let now = self.cache.clock.now();
        let mut reserved = None;
        let ours = self.release(|slot| {
            let mut entry = CachedKey::new(Arc::new(state), now, limits.max_age);
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

    /// Completes a refresh-ahead fetch: installs the key, or shares the error with the
    /// callers waiting on it.
    pub(crate) fn settle(self, fetched: Result<Finished>) {
        match fetched {
            Ok(state) => {
                self.install(state, None);
            }
            Err(e) => self.fail(&e),
        }
    }
}

impl Drop for Lead {
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
    use super::*;

    #[test]
    fn clock_choice_follows_the_resolution() {
        // A short max_age is dated on the precise clock everywhere.
        assert!(matches!(
            Clock::for_max_age(Duration::from_millis(50)),
            Clock::Precise { .. }
        ));
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let res = timespec_duration(rustix::time::clock_getres(
                rustix::time::ClockId::MonotonicCoarse,
            ));
            assert!(
                !res.is_zero() && res <= Duration::from_millis(100),
                "{res:?}"
            );
            assert!(matches!(Clock::for_max_age(res * 1000), Clock::Coarse));
            assert!(matches!(
                Clock::for_max_age(res * 1000 - Duration::from_nanos(1)),
                Clock::Precise { .. }
            ));
        }
    }

    #[test]
    fn both_clocks_advance_monotonically() {
        for clock in [
            Clock::for_max_age(Duration::from_millis(1)),
            Clock::for_max_age(CacheLimits::MAX_AGE),
        ] {
            let a = clock.now();
            std::thread::sleep(Duration::from_millis(30));
            let b = clock.now();
            // One tick of the coarse clock (at most 10 ms on Linux) may be missing.
            assert!(
                b >= a + Duration::from_millis(15),
                "{clock:?}: {a:?} then {b:?}"
            );
            assert!(clock.now() >= b);
        }
    }

    #[test]
    fn timespec_out_of_range_reads_as_the_latest_time() {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let t = |s, n| rustix::time::Timespec {
                tv_sec: s,
                tv_nsec: n,
            };
            assert_eq!(timespec_duration(t(3, 5)), Duration::new(3, 5));
            assert_eq!(timespec_duration(t(-1, 0)), Duration::MAX);
            assert_eq!(timespec_duration(t(0, 1_000_000_000)), Duration::MAX);
        }
    }

    #[test]
    fn keys_expire_at_max_age_on_either_clock_reading() {
        let limits =
            CacheLimits::new(10, 1000, Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e}"));
        let cipher = crate::backend::AeadKey::new(crate::Algorithm::Aes256Gcm, &[7; 32])
            .unwrap_or_else(|e| panic!("{e}"));
        let state = Arc::new(Finished {
            bytes: Vec::new(),
            cipher,
        });
        let t0 = Duration::from_secs(1000);
        let mut key = CachedKey::new(state, t0, limits.max_age);
        // A clock reading before `created` (never, on a monotonic clock) is age zero.
        assert!(!key.past(1, &limits, Duration::ZERO));
        assert!(key.reserve(1, &limits, t0).is_some());
        assert!(
            key.reserve(1, &limits, t0 + Duration::from_secs(59))
                .is_some()
        );
        assert!(key.past(90, &limits, t0 + Duration::from_secs(54)));
        assert!(!key.past(90, &limits, t0 + Duration::from_secs(53)));
        assert!(
            key.reserve(1, &limits, t0 + Duration::from_secs(60))
                .is_none()
        );
    }
}
