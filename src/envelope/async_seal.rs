//! The async front end: [`AsyncSealer`] and [`AsyncOpener`] (the [`Sealer`] and
//! [`Opener`] of async key-encryption keys) and the one-shot functions, for KEKs behind
//! [`AsyncKeyEncryptionKey`] (remote KMSs). The bytes are those of the blocking front
//! end: everything but the awaited KEK calls is shared with it.

use super::engine::{self, wrap_all};
use super::header::{EnvelopeLimits, NewHeader, plaintext_len, seal_message_after};
use super::kek::AsyncKeyEncryptionKey;
use super::seal::{Opener, Sealer};
use super::stream::StreamWriter;
use crate::{Algorithm, Result};

/// A [`Sealer`] of async key-encryption keys: `seal`, `seal_in` and `encrypt_stream` are
/// `async`; the builder and cache methods are [`Sealer`]'s.
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
pub type AsyncSealer = Sealer<dyn AsyncKeyEncryptionKey>;

/// An [`Opener`] of async key-encryption keys: `open`, `rewrap` and `decrypt_stream` are
/// `async`; the builder methods are [`Opener`]'s.
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
pub type AsyncOpener = Opener<dyn AsyncKeyEncryptionKey>;

/// The async API.
impl Sealer<dyn AsyncKeyEncryptionKey> {
    /// Seals `plaintext`, binding `aad` (the default cache partition).
    ///
    /// # Errors
    /// As [`Sealer::seal`].
    pub async fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        self.seal_in(b"", plaintext, aad).await
    }

    /// Seals `plaintext` with the cached data key of `partition` (a tenant, a data
    /// subject): messages of different partitions never share a data key.
    ///
    /// # Errors
    /// As [`Sealer::seal`].
    pub async fn seal_in(&self, partition: &[u8], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        self.engine
            .seal_in(partition, plaintext, aad, true, None)
            .await
    }

    /// Starts a streaming envelope written to `inner`, with the data key wrapped by the
    /// async KEKs (say, AWS KMS) now: the returned [`StreamWriter`] is a tokio `AsyncWrite`
    /// over an `AsyncWrite` (finish with `shutdown`) or a `Write` over a `Write` (finish
    /// with `finish`). Memory stays one segment whatever the size of the stream.
    ///
    /// # Errors
    /// As [`Sealer::encrypt_stream`].
    pub async fn encrypt_stream<W>(&self, inner: W, aad: &[u8]) -> Result<StreamWriter<W>> {
        let header = self.engine.start_stream(aad).await?;
        StreamWriter::new(inner, header, self.engine.segment_size)
    }

    /// Starts a stream sealed segment by segment in the caller's buffers, in place, with
    /// the data key wrapped by the async KEKs now (see
    /// [`SegmentSealer`](super::SegmentSealer)).
    ///
    /// # Errors
    /// As [`Sealer::encrypt_stream`].
    pub async fn encrypt_segments(&self, aad: &[u8]) -> Result<super::SegmentSealer> {
        let header = self.engine.start_stream(aad).await?;
        super::SegmentSealer::new(header, self.engine.segment_size)
    }
}

/// The async API.
impl Opener<dyn AsyncKeyEncryptionKey> {
    /// Opens `envelope`, which must have been sealed with the same `aad`.
    ///
    /// # Errors
    /// As [`Opener::open`].
    pub async fn open(&self, envelope: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        engine::open(
            &self.keks,
            &self.limits,
            envelope,
            aad,
            self.audit.as_deref(),
        )
        .await
    }

    /// Replaces the wrapped data keys of `envelope` by wrappings under `to`, leaving the
    /// payload as it was (checked against the key commitment and header tag or MAC
    /// first; the version is kept as [`Opener::rewrap`](super::Opener::rewrap) says).
    ///
    /// # Errors
    /// As [`Opener::rewrap`].
    pub async fn rewrap(
        &self,
        envelope: &[u8],
        to: &[&dyn AsyncKeyEncryptionKey],
    ) -> Result<Vec<u8>> {
        engine::rewrap(
            &self.keks,
            &self.limits,
            envelope,
            to,
            self.audit.as_deref(),
        )
        .await
    }

    /// Starts decrypting a stream from a tokio `AsyncRead`: reads the header and unwraps
    /// its data key with the async KEKs now; the returned
    /// [`StreamReader`](super::StreamReader) is an `AsyncRead` over the plaintext.
    ///
    /// # Errors
    /// As [`Opener::decrypt_stream`].
    #[cfg(feature = "tokio")]
    pub async fn decrypt_stream<R: tokio::io::AsyncRead + Unpin>(
        &self,
        mut inner: R,
        aad: &[u8],
    ) -> Result<super::StreamReader<R>> {
        let header = super::stream::read_header_async(&mut inner, &self.limits).await?;
        self.stream_reader(inner, header.bytes(), aad).await
    }

    /// Starts opening a stream segment by segment in the caller's buffers, in place, with
    /// the data key unwrapped by the async KEKs now (see
    /// [`Opener::decrypt_segments`](super::Opener::decrypt_segments)).
    ///
    /// # Errors
    /// As [`Opener::decrypt_stream`].
    pub async fn decrypt_segments(
        &self,
        stream: &[u8],
        aad: &[u8],
    ) -> Result<(super::SegmentOpener, usize)> {
        self.segment_opener(stream, aad).await
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
    let algorithm = Algorithm::default();
    plaintext_len(algorithm, plaintext)?;
    let header = NewHeader::for_message(algorithm, 1, plaintext.len())?;
    let header = wrap_all(&[kek], header, None).await?;
    seal_message_after(header, plaintext, aad)
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
    engine::open(&[kek], &EnvelopeLimits::default(), envelope, aad, None).await
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
    engine::rewrap(&[from], &EnvelopeLimits::default(), envelope, &[to], None).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::Error;
    use crate::envelope::{CacheLimits, KekFuture, KeyEncryptionKey, LocalKek, SyncToAsync};
    use crate::secret::SecretBytes;

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

    /// The commitment (bytes 6..38 of a version 3 envelope): one per data key.
    fn commitment(envelope: &[u8]) -> Vec<u8> {
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
            assert_eq!(env[4], super::super::header::V3);
            assert_eq!(
                Opener::new(Arc::clone(&local)).open(&env, b"a").unwrap(),
                b"x"
            );
            let one_shot = seal_async(&asynk, b"x", b"a").await.unwrap();
            assert_eq!(one_shot[4], super::super::header::V3);
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
            let mut per_commitment: HashMap<Vec<u8>, Vec<u64>> = HashMap::new();
            for env in sealed {
                let env = env.unwrap();
                per_commitment
                    .entry(commitment(&env))
                    .or_default()
                    .push(counter(&env));
            }
            for counters in per_commitment.values_mut() {
                counters.sort_unstable();
                assert!(counters.len() <= per_key, "{} messages", counters.len());
                counters.dedup();
                assert!(counters.len() <= per_key, "a nonce counter was reused");
            }
            assert!(per_commitment.len() >= 200 / per_key);
        }
    }

    #[test]
    fn refresh_ahead_fetches_before_the_key_runs_out() {
        let kek = Slow::new(20);
        let limits = CacheLimits::new(10, 1 << 20, Duration::from_secs(600)).unwrap();
        let sealer = AsyncSealer::new(Arc::clone(&kek)).with_cache(limits);
        rt().block_on(async {
            let mut commitments = Vec::new();
            for _ in 0..8 {
                commitments.push(commitment(&sealer.seal(b"payload", b"").await.unwrap()));
            }
            // The 8th message reached 80 %: a refresh is in flight, the old key serves.
            assert!(commitments.iter().all(|s| *s == commitments[0]));
            for _ in 0..200 {
                if kek.wraps() == 2 && !sealer.engine.cache.as_ref().unwrap().in_flight(b"") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(kek.wraps(), 2);
            // The next message already has the new key and makes no call.
            let next = commitment(&sealer.seal(b"payload", b"").await.unwrap());
            assert_ne!(next, commitments[0]);
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
            let a1 = commitment(&sealer.seal_in(b"alice", b"payload", b"").await.unwrap());
            let b1 = commitment(&sealer.seal_in(b"bob", b"payload", b"").await.unwrap());
            assert_ne!(a1, b1);
            assert!(sealer.purge_partition(b"alice"));
            assert!(!sealer.purge_partition(b"carol"));
            let a2 = commitment(&sealer.seal_in(b"alice", b"payload", b"").await.unwrap());
            let b2 = commitment(&sealer.seal_in(b"bob", b"payload", b"").await.unwrap());
            assert_ne!(a1, a2);
            assert_eq!(b1, b2);
            assert!(!sealer.purge_kek("someone-else"));
            assert!(sealer.purge_kek("slow"));
            let b3 = commitment(&sealer.seal_in(b"bob", b"payload", b"").await.unwrap());
            assert_ne!(b2, b3);
            sealer.purge_all();
            let b4 = commitment(&sealer.seal_in(b"bob", b"payload", b"").await.unwrap());
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
            assert_ne!(commitment(&a), commitment(&b));
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
