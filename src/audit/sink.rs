//! The sink seam: where components send audit events, the aggregating default for hot
//! key use, sinks that append to a log or hand events to another thread, and the
//! [`Auditor`] that components are given.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, RwLock};

use jiff::{SignedDuration, Timestamp};

use super::event::{Event, EventKind, KeyLifecycle, KeyOp, KeyRef, KeyUsage, LifecycleAction};
use super::event::{SubjectPseudonymizer, SubjectRef};
use super::store::DurableLog;
use super::tree::MerkleTree;
use crate::{Error, Result};

/// Where audit events go. Implementations must be cheap to call and thread-safe; none
/// is global: every component that records is given its sink explicitly.
///
/// Sinks are synchronous. Async code calls them too (recording never waits on the
/// network): a sink that must reach an async store is a [`ChannelSink`] whose receiver
/// an async task drains, so there is no second, async trait to implement twice.
pub trait Sink: Send + Sync {
    /// Records `event`; returns its index when the sink appends to a log.
    ///
    /// # Errors
    /// Whatever keeps the sink from recording (I/O, a full queue). Components fail
    /// closed: an operation whose event cannot be recorded reports the error.
    fn record(&self, event: &Event) -> Result<Option<u64>>;

    /// A counter that aggregates hot-path key use under `key`, or `None` to receive
    /// every use as its own [`KeyUsage`] event through [`record`](Self::record).
    fn usage_counter(&self, key: &UsageKey) -> Option<Arc<UsageCounter>> {
        let _ = key;
        None
    }
}

impl<S: Sink + ?Sized> Sink for Arc<S> {
    fn record(&self, event: &Event) -> Result<Option<u64>> {
        (**self).record(event)
    }
    fn usage_counter(&self, key: &UsageKey) -> Option<Arc<UsageCounter>> {
        (**self).usage_counter(key)
    }
}

impl<S: Sink + ?Sized> Sink for &S {
    fn record(&self, event: &Event) -> Result<Option<u64>> {
        (**self).record(event)
    }
    fn usage_counter(&self, key: &UsageKey) -> Option<Arc<UsageCounter>> {
        (**self).usage_counter(key)
    }
}

/// What aggregated key use is counted under: the key, the operation, the algorithm and
/// the context (actor, purpose, category).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    /// The key.
    pub key: KeyRef,
    /// The operation.
    pub op: KeyOp,
    /// The algorithm's name.
    pub algorithm: String,
    /// Who uses the key.
    pub actor: String,
    /// For which purpose.
    pub purpose: Option<String>,
    /// On which data category.
    pub category: Option<String>,
}

/// Operation and byte counts for one [`UsageKey`]: one relaxed atomic addition per
/// operation, no lock, no allocation.
///
/// The hot path adds `(1 << 40) | bytes` to one packed word (operations in the top 24
/// bits, bytes in the low 40); when either field passes half its range the word is
/// moved into wide counters, so neither field can overflow into the other (operations
/// over 16 MiB, rare and never hot, go to the wide counters directly).
#[derive(Debug, Default)]
pub struct UsageCounter {
    packed: AtomicU64,
    ops: AtomicU64,
    bytes: AtomicU64,
}

const OPS_SHIFT: u32 = 40;
const BYTES_MASK: u64 = (1 << OPS_SHIFT) - 1;
/// Largest operation counted in the packed word; the field absorbs 2^15 of them after
/// the drain threshold, far more than threads racing one drain.
const PACKED_MAX_BYTES: u64 = 1 << 24;

impl UsageCounter {
    /// Counts one operation over `bytes` bytes.
    #[inline]
    pub fn add(&self, bytes: u64) {
        if bytes >= PACKED_MAX_BYTES {
            self.ops.fetch_add(1, Ordering::Relaxed);
            self.bytes.fetch_add(bytes, Ordering::Relaxed);
            return;
        }
        let prev = self
            .packed
            .fetch_add((1 << OPS_SHIFT) | bytes, Ordering::Relaxed);
        if prev >> OPS_SHIFT >= 1 << 23 || prev & BYTES_MASK >= 1 << 39 {
            self.drain();
        }
    }

    /// Moves the packed word into the wide counters.
    fn drain(&self) {
        let v = self.packed.swap(0, Ordering::Relaxed);
        self.ops.fetch_add(v >> OPS_SHIFT, Ordering::Relaxed);
        self.bytes.fetch_add(v & BYTES_MASK, Ordering::Relaxed);
    }

    /// Operations and bytes counted since the last flush.
    #[must_use]
    pub fn get(&self) -> (u64, u64) {
        let v = self.packed.load(Ordering::Relaxed);
        (
            self.ops.load(Ordering::Relaxed) + (v >> OPS_SHIFT),
            self.bytes.load(Ordering::Relaxed) + (v & BYTES_MASK),
        )
    }

    fn take(&self) -> (u64, u64) {
        self.drain();
        (
            self.ops.swap(0, Ordering::Relaxed),
            self.bytes.swap(0, Ordering::Relaxed),
        )
    }

    fn put_back(&self, (ops, bytes): (u64, u64)) {
        self.ops.fetch_add(ops, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// The default sink for hot paths: key use is counted per [`UsageKey`] and flushed to
/// the downstream sink as one [`KeyUsage`] event per key and window; every other event
/// passes straight through.
///
/// There is no background thread: call [`flush`](Self::flush) on a timer, or let
/// events passing through flush a window that is [`interval`](Self::new) old. Dropping
/// the sink flushes what is left (errors then are lost: call `flush` at shutdown).
/// An operation that races with a flush may have its count and its bytes land in
/// adjacent windows.
pub struct AggregatingSink<S: Sink> {
    downstream: S,
    interval: SignedDuration,
    counters: RwLock<HashMap<UsageKey, Arc<UsageCounter>>>,
    window_start: Mutex<Timestamp>,
}

impl<S: Sink> fmt::Debug for AggregatingSink<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AggregatingSink")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl<S: Sink> AggregatingSink<S> {
    /// Aggregates into windows of `interval` (a minute is a good default), starting now.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an interval that is not positive.
    pub fn new(downstream: S, interval: SignedDuration) -> Result<Self> {
        Self::starting_at(downstream, interval, Timestamp::now())
    }

    /// As [`new`](Self::new), with the first window starting at `start`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an interval that is not positive.
    pub fn starting_at(downstream: S, interval: SignedDuration, start: Timestamp) -> Result<Self> {
        if !interval.is_positive() {
            return Err(Error::invalid_argument(
                "aggregation interval must be positive",
            ));
        }
        Ok(Self {
            downstream,
            interval,
            counters: RwLock::new(HashMap::new()),
            window_start: Mutex::new(start),
        })
    }

    /// The downstream sink.
    #[must_use]
    pub fn downstream(&self) -> &S {
        &self.downstream
    }

    /// Emits one [`KeyUsage`] event per counter that counted anything since the last
    /// flush, for the window ending at `now`; returns how many were emitted.
    ///
    /// # Errors
    /// The downstream sink's error; counts not yet emitted are kept for the next flush.
    pub fn flush(&self, now: Timestamp) -> Result<usize> {
        let mut start = self
            .window_start
            .lock()
            .map_err(|_| Error::InvalidOperation("aggregating sink lock poisoned".into()))?;
        let counters: Vec<(UsageKey, Arc<UsageCounter>)> = self
            .counters
            .read()
            .map_err(|_| Error::InvalidOperation("aggregating sink lock poisoned".into()))?
            .iter()
            .map(|(k, c)| (k.clone(), Arc::clone(c)))
            .collect();
        let mut emitted = 0;
        let mut sorted = counters;
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, counter) in sorted {
            let (ops, bytes) = counter.take();
            if ops == 0 && bytes == 0 {
                continue;
            }
            let mut event = Event::new(
                now,
                &key.actor,
                EventKind::KeyUsage(KeyUsage {
                    key: key.key.clone(),
                    op: key.op,
                    algorithm: key.algorithm.clone(),
                    count: ops,
                    bytes,
                    window: Some((*start, now)),
                    category: key.category.clone(),
                    subject: None,
                    ciphertext: None,
                }),
            );
            event.purpose = key.purpose.clone();
            if let Err(e) = self.downstream.record(&event) {
                counter.put_back((ops, bytes));
                return Err(e);
            }
            emitted += 1;
        }
        *start = now;
        Ok(emitted)
    }

    /// Flushes if the current window is at least one interval old at `now`.
    ///
    /// # Errors
    /// As [`flush`](Self::flush).
    pub fn flush_if_due(&self, now: Timestamp) -> Result<usize> {
        let due = self
            .window_start
            .lock()
            .map(|s| now.duration_since(*s) >= self.interval)
            .unwrap_or(false);
        if due { self.flush(now) } else { Ok(0) }
    }
}

impl<S: Sink> Sink for AggregatingSink<S> {
    fn record(&self, event: &Event) -> Result<Option<u64>> {
        self.flush_if_due(event.at)?;
        self.downstream.record(event)
    }

    fn usage_counter(&self, key: &UsageKey) -> Option<Arc<UsageCounter>> {
        if let Some(c) = self.counters.read().ok()?.get(key) {
            return Some(Arc::clone(c));
        }
        let mut map = self.counters.write().ok()?;
        Some(Arc::clone(map.entry(key.clone()).or_default()))
    }
}

impl<S: Sink> Drop for AggregatingSink<S> {
    fn drop(&mut self) {
        let _ = self.flush(Timestamp::now());
    }
}

/// Appends every event to a [`DurableLog`] (encoded with [`Event::encode`]); returns
/// the entry's index.
///
/// Each event is one append: under [`FsyncPolicy::Always`](super::FsyncPolicy::Always)
/// it waits for a sync (shared with concurrent appends). Put an [`AggregatingSink`] in
/// front for hot key use, or open the log with `OnCommit` and call
/// [`DurableLog::commit`] on a timer where per-event latency matters more than the last
/// events before a power loss.
#[derive(Debug, Clone)]
pub struct LogSink {
    log: Arc<DurableLog>,
}

impl LogSink {
    /// A sink appending to `log`.
    #[must_use]
    pub fn new(log: Arc<DurableLog>) -> Self {
        Self { log }
    }

    /// The log.
    #[must_use]
    pub fn log(&self) -> &Arc<DurableLog> {
        &self.log
    }
}

impl Sink for LogSink {
    fn record(&self, event: &Event) -> Result<Option<u64>> {
        Ok(Some(self.log.append(&event.encode()?)?))
    }
}

/// An audit log in memory: the encoded events and their Merkle tree. For tests,
/// examples and short-lived processes that ship their log elsewhere.
#[derive(Debug, Default)]
pub struct MemoryLog {
    inner: Mutex<(MerkleTree, Vec<Vec<u8>>)>,
}

impl MemoryLog {
    /// An empty log.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The decoded events, in order.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] if the lock is poisoned.
    pub fn events(&self) -> Result<Vec<Event>> {
        let g = self
            .inner
            .lock()
            .map_err(|_| Error::InvalidOperation("memory log lock poisoned".into()))?;
        g.1.iter().map(|e| Event::decode(e)).collect()
    }

    /// The encoded entries and the tree over them.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] if the lock is poisoned.
    pub fn snapshot(&self) -> Result<(MerkleTree, Vec<Vec<u8>>)> {
        let g = self
            .inner
            .lock()
            .map_err(|_| Error::InvalidOperation("memory log lock poisoned".into()))?;
        Ok((g.0.clone(), g.1.clone()))
    }
}

impl Sink for MemoryLog {
    fn record(&self, event: &Event) -> Result<Option<u64>> {
        let bytes = event.encode()?;
        let mut g = self
            .inner
            .lock()
            .map_err(|_| Error::InvalidOperation("memory log lock poisoned".into()))?;
        let i = g.0.push(&bytes);
        g.1.push(bytes);
        Ok(Some(i))
    }
}

/// Hands events to another thread or task through a bounded queue: the adapter for
/// async or remote stores. Recording never blocks; a full queue is an error
/// ([`Error::LimitExceeded`]), so a stalled consumer is noticed, not hidden.
#[derive(Debug, Clone)]
pub struct ChannelSink {
    tx: SyncSender<Event>,
    capacity: usize,
}

impl ChannelSink {
    /// A sink and the receiving end of its queue of `capacity` events.
    #[must_use]
    pub fn new(capacity: usize) -> (Self, Receiver<Event>) {
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity);
        (Self { tx, capacity }, rx)
    }
}

impl Sink for ChannelSink {
    fn record(&self, event: &Event) -> Result<Option<u64>> {
        match self.tx.try_send(event.clone()) {
            Ok(()) => Ok(None),
            Err(TrySendError::Full(_)) => {
                Err(Error::limit("queued audit events", self.capacity as u64))
            }
            Err(TrySendError::Disconnected(_)) => Err(Error::InvalidOperation(
                "the audit channel's receiver is gone".into(),
            )),
        }
    }
}

/// What a component needs to record events: a sink, the subject pseudonymizer, the
/// actor and purpose it acts for, and a clock. Pass one to each component explicitly.
#[derive(Clone)]
pub struct Auditor {
    sink: Arc<dyn Sink>,
    subjects: Arc<SubjectPseudonymizer>,
    actor: String,
    purpose: Option<String>,
    clock: fn() -> Timestamp,
}

impl fmt::Debug for Auditor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auditor")
            .field("actor", &self.actor)
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

impl Auditor {
    /// An auditor recording into `sink` as `actor`, naming subjects through `subjects`.
    #[must_use]
    pub fn new(sink: Arc<dyn Sink>, subjects: Arc<SubjectPseudonymizer>, actor: &str) -> Self {
        Self {
            sink,
            subjects,
            actor: actor.to_owned(),
            purpose: None,
            clock: Timestamp::now,
        }
    }

    /// The same auditor acting for `purpose`.
    #[must_use]
    pub fn with_purpose(mut self, purpose: &str) -> Self {
        self.purpose = Some(purpose.to_owned());
        self
    }

    /// The same auditor with another clock (tests, replays, drills).
    #[must_use]
    pub fn with_clock(mut self, clock: fn() -> Timestamp) -> Self {
        self.clock = clock;
        self
    }

    /// The sink.
    #[must_use]
    pub fn sink(&self) -> &Arc<dyn Sink> {
        &self.sink
    }

    /// The actor.
    #[must_use]
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The current time by this auditor's clock.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The pseudonym of a subject id.
    #[must_use]
    pub fn subject(&self, id: &str) -> SubjectRef {
        self.subjects.pseudonym(id)
    }

    /// Records `kind` now, as this auditor's actor and purpose.
    ///
    /// # Errors
    /// The sink's.
    pub fn record(&self, kind: EventKind) -> Result<Option<u64>> {
        self.record_at(self.now(), kind)
    }

    /// Records `kind` at `at`.
    ///
    /// # Errors
    /// The sink's.
    pub fn record_at(&self, at: Timestamp, kind: EventKind) -> Result<Option<u64>> {
        let event = Event {
            at,
            actor: self.actor.clone(),
            purpose: self.purpose.clone(),
            kind,
        };
        self.sink.record(&event)
    }

    /// The aggregation counter for `op` with any key (a KEK for sealers and openers),
    /// or `None` if the sink records each use. Resolve once per key and keep it.
    #[must_use]
    pub fn usage_counter(
        &self,
        key: KeyRef,
        op: KeyOp,
        algorithm: &str,
        category: Option<&str>,
    ) -> Option<Arc<UsageCounter>> {
        self.sink.usage_counter(&UsageKey {
            key,
            op,
            algorithm: algorithm.to_owned(),
            actor: self.actor.clone(),
            purpose: self.purpose.clone(),
            category: category.map(str::to_owned),
        })
    }

    /// Records one use of any key as its own [`KeyUsage`] event (for sinks without
    /// counters, or when the subject and ciphertext reference matter).
    ///
    /// # Errors
    /// The sink's.
    pub fn key_used(&self, usage: KeyUsage) -> Result<Option<u64>> {
        self.record(EventKind::KeyUsage(usage))
    }

    /// Records a call to key-encryption key `kek` ([`KeyOp::Wrap`] or
    /// [`KeyOp::Unwrap`]) and its outcome; the error is recorded by its description
    /// (privkit's errors carry no secrets).
    ///
    /// # Errors
    /// The sink's.
    pub fn kek_call(&self, kek: &str, op: KeyOp, outcome: Result<(), &Error>) -> Result<()> {
        self.record(EventKind::KekCall(super::event::KekCall {
            kek: kek.to_owned(),
            op,
            error: outcome.err().map(ToString::to_string),
        }))
        .map(|_| ())
    }

    /// A recorder of one keyset's key use and lifecycle, counting `category` data.
    #[must_use]
    pub fn keyset_recorder(&self, keyset: &str, category: Option<&str>) -> UsageRecorder {
        UsageRecorder {
            auditor: self.clone(),
            keyset: keyset.to_owned(),
            category: category.map(str::to_owned),
            counters: RwLock::new(Vec::new()),
        }
    }
}

/// The seam keysets, sealers and openers call: key use through counters when the sink
/// aggregates (resolve them once per key with [`counter`](Self::counter) and keep them
/// beside the key), as single events otherwise, and lifecycle changes as events.
pub struct UsageRecorder {
    auditor: Auditor,
    keyset: String,
    category: Option<String>,
    counters: RwLock<Vec<CachedCounter>>,
}

/// A key id and operation with the counter the sink gave for them (`None`: per-use).
type CachedCounter = (u32, KeyOp, Option<Arc<UsageCounter>>);

impl fmt::Debug for UsageRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsageRecorder")
            .field("keyset", &self.keyset)
            .field("auditor", &self.auditor)
            .finish_non_exhaustive()
    }
}

impl UsageRecorder {
    fn key(&self, key_id: u32) -> KeyRef {
        KeyRef::Keyset {
            keyset: self.keyset.clone(),
            id: key_id,
        }
    }

    /// The aggregation counter for `op` with key `key_id`, if the sink aggregates.
    /// Resolve once when a key is added and keep it: counting is then two atomic adds.
    #[must_use]
    pub fn counter(&self, key_id: u32, op: KeyOp, algorithm: &str) -> Option<Arc<UsageCounter>> {
        self.auditor.sink.usage_counter(&UsageKey {
            key: self.key(key_id),
            op,
            algorithm: algorithm.to_owned(),
            actor: self.auditor.actor.clone(),
            purpose: self.auditor.purpose.clone(),
            category: self.category.clone(),
        })
    }

    /// Records one use of key `key_id`: through its counter when the sink aggregates
    /// (looked up in a small cache), as a [`KeyUsage`] event otherwise.
    ///
    /// # Errors
    /// The sink's, for a sink that records each use.
    pub fn used(&self, key_id: u32, op: KeyOp, algorithm: &str, bytes: usize) -> Result<()> {
        // Fast path: a counter already resolved, counted under the read lock (no
        // reference-count traffic).
        let cached = match self.counters.read() {
            Ok(cache) => match cache.iter().find(|(id, o, _)| *id == key_id && *o == op) {
                Some((_, _, Some(c))) => {
                    c.add(bytes as u64);
                    return Ok(());
                }
                Some((_, _, None)) => true,
                None => false,
            },
            Err(_) => false,
        };
        if !cached {
            let c = self.counter(key_id, op, algorithm);
            if let Ok(mut w) = self.counters.write() {
                w.push((key_id, op, c.clone()));
            }
            if let Some(c) = c {
                c.add(bytes as u64);
                return Ok(());
            }
        }
        self.used_on(key_id, op, algorithm, bytes, None, None)
    }

    /// Records one use as its own event, with the subject and a reference to the
    /// ciphertext (breach scoping lists these for a compromised key).
    ///
    /// # Errors
    /// The sink's.
    pub fn used_on(
        &self,
        key_id: u32,
        op: KeyOp,
        algorithm: &str,
        bytes: usize,
        subject: Option<SubjectRef>,
        ciphertext: Option<&str>,
    ) -> Result<()> {
        self.auditor
            .record(EventKind::KeyUsage(KeyUsage {
                key: self.key(key_id),
                op,
                algorithm: algorithm.to_owned(),
                count: 1,
                bytes: bytes as u64,
                window: None,
                category: self.category.clone(),
                subject,
                ciphertext: ciphertext.map(str::to_owned),
            }))
            .map(|_| ())
    }

    /// Records a lifecycle change of key `key_id`.
    ///
    /// # Errors
    /// The sink's.
    pub fn lifecycle(
        &self,
        key_id: u32,
        action: LifecycleAction,
        algorithm: Option<&str>,
    ) -> Result<()> {
        self.auditor
            .record(EventKind::KeyLifecycle(KeyLifecycle {
                key: self.key(key_id),
                action,
                algorithm: algorithm.map(str::to_owned),
            }))
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::UsageCounter;

    #[test]
    fn packed_counts_never_overflow_into_each_other() {
        let c = UsageCounter::default();
        // Past the drain thresholds of both fields.
        for _ in 0..(1u64 << 23) + 5 {
            c.add(1);
        }
        assert_eq!(c.get(), ((1 << 23) + 5, (1 << 23) + 5));
        let c = UsageCounter::default();
        for _ in 0..40_000 {
            c.add((1 << 24) - 1);
        }
        c.add(1 << 30); // a large operation, counted wide
        assert_eq!(c.get(), (40_001, 40_000 * ((1 << 24) - 1) + (1 << 30)));
        assert_eq!(c.take(), (40_001, 40_000 * ((1 << 24) - 1) + (1 << 30)));
        assert_eq!(c.get(), (0, 0));
    }

    #[test]
    fn concurrent_adds_are_all_counted() {
        let c = UsageCounter::default();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..100_000u64 {
                        c.add(i % 1000);
                    }
                });
            }
        });
        let per_thread: u64 = (0..100_000u64).map(|i| i % 1000).sum();
        assert_eq!(c.get(), (400_000, 4 * per_thread));
    }
}
