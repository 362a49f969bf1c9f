//! [`Sealer`] and [`Opener`]: their shared builder and cache methods, and the blocking
//! front end (with the one-shot functions) for key-encryption keys behind the sync
//! [`KeyEncryptionKey`] trait. Everything but the KEK calls is in `engine`, `header` and
//! `cache`, shared with the async front end (`async_seal`).

use std::io::Read;
use std::sync::Arc;

use super::cache::{CacheLimits, DEFAULT_REFRESH_PERCENT, DataKeyCache};
use super::engine::{self, Engine, EnvelopeAudit, Kek, KekRef, block_on};
use super::header::{EnvelopeLimits, NewHeader, seal_message_after};
use super::kek::{IntoKek, KekKind, KeyEncryptionKey};
use super::stream::{
    SegmentOpener, SegmentSealer, Segments, StreamReader, StreamWriter, read_header,
};
use crate::audit::Auditor;
use crate::{Algorithm, Result};

/// Seals envelopes: each message under a fresh data key (or a cached one, within
/// [`CacheLimits`]), wrapped by every configured key-encryption key; and starts streams.
///
/// One type for blocking and async code: `Sealer` (that is, `Sealer<dyn
/// KeyEncryptionKey>`) holds sync KEKs and seals with plain calls;
/// [`AsyncSealer`](super::AsyncSealer) (`Sealer<dyn AsyncKeyEncryptionKey>`) holds async
/// KEKs (a KMS) and its `seal`, `seal_in` and `encrypt_stream` are `async`. Both make the
/// same bytes, share the builder and cache methods below, and pick their kind from the
/// KEK given to [`new`](Self::new).
///
/// # Caching
/// With [`with_cache`](Self::with_cache) a data key is reused within [`CacheLimits`], per
/// partition (`seal_in`):
/// - **Single flight**: callers that miss at the same time share one new data key, so N
///   concurrent misses make one call to each KEK, not N.
/// - **Bounds under concurrency**: each message reserves its nonce counter, message and
///   byte count under one lock, so no data key exceeds its message, byte or age bound.
/// - **Refresh ahead** ([`with_refresh_ahead`](Self::with_refresh_ahead)): once a key has
///   used that share of a budget, the next one is fetched while the old one keeps
///   serving. On by default ([`DEFAULT_REFRESH_PERCENT`](super::DEFAULT_REFRESH_PERCENT))
///   for the async sealer, where the fetch runs in a background tokio task when a runtime
///   is current (feature `tokio`); off by default for the blocking one, where a caller
///   would only pay for the next key early.
/// - **Partitions and purges**: a separate data key per partition (a tenant, a data
///   subject); [`purge_partition`](Self::purge_partition), [`purge_kek`](Self::purge_kek)
///   and [`purge_all`](Self::purge_all) drop cached keys (a subject forgotten, a KEK
///   revoked, a child process after `fork()`).
///
/// Clones share the cache.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use privkit::envelope::{CacheLimits, LocalKek, Opener, Sealer};
///
/// let primary = std::sync::Arc::new(LocalKek::generate("eu-kek")?);
/// let backup = std::sync::Arc::new(LocalKek::generate("us-kek")?);
/// let sealer = Sealer::new(primary.clone())
///     .with_kek(backup.clone())
///     .with_cache(CacheLimits::new(1000, 1 << 30, Duration::from_secs(300))?);
/// let envelope = sealer.seal(b"quarterly report", b"doc-17")?;
/// // Either key-encryption key opens it.
/// assert_eq!(Opener::new(backup).open(&envelope, b"doc-17")?, b"quarterly report");
/// # Ok::<(), privkit::Error>(())
/// ```
pub struct Sealer<K: ?Sized + KekKind = dyn KeyEncryptionKey> {
    pub(crate) engine: Engine<Arc<K>>,
}

impl<K: ?Sized + KekKind> Clone for Sealer<K> {
    fn clone(&self) -> Self {
        Self {
            engine: self.engine.clone(),
        }
    }
}

impl<K: ?Sized + KekKind> std::fmt::Debug for Sealer<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("keks", &self.engine.kek_ids())
            .field("algorithm", &self.engine.algorithm)
            .field("cache", &self.engine.cache.as_ref().map(|c| c.limits))
            .field("refresh_percent", &self.engine.refresh_percent)
            .finish_non_exhaustive()
    }
}

impl<K: ?Sized + KekKind + 'static> Sealer<K> {
    /// A sealer wrapping data keys with `kek`, AES-256-GCM payloads, no caching. A
    /// [`KeyEncryptionKey`] makes a blocking sealer, an
    /// [`AsyncKeyEncryptionKey`](super::AsyncKeyEncryptionKey) an async one.
    #[must_use]
    pub fn new(kek: impl IntoKek<K>) -> Self {
        let kek = kek.into_kek();
        let refresh = match kek.kek_ref() {
            KekRef::Blocking(_) => 100,
            KekRef::Async(_) => DEFAULT_REFRESH_PERCENT,
        };
        Self {
            engine: Engine::new(kek, refresh),
        }
    }

    /// Also wraps every data key with `kek`: any one of the keys opens the envelope.
    #[must_use]
    pub fn with_kek(mut self, kek: impl IntoKek<K>) -> Self {
        self.engine.push_kek(kek.into_kek());
        self
    }

    /// Uses `algorithm` for payloads and stream segments.
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.engine.algorithm = algorithm;
        self
    }

    /// Reuses data keys within `limits` (for slow, remote key-encryption keys): a new,
    /// empty cache.
    #[must_use]
    pub fn with_cache(mut self, limits: CacheLimits) -> Self {
        self.engine.cache = Some(DataKeyCache::new(limits));
        self
    }

    /// Fetches the next data key once the current one has used `percent` % of its
    /// message, byte or age budget (clamped to 1..=100; 100 turns refresh-ahead off).
    #[must_use]
    pub fn with_refresh_ahead(mut self, percent: u8) -> Self {
        self.engine.refresh_percent = percent.clamp(1, 100);
        self
    }

    /// Sets the segment size of streams (plaintext bytes per segment; checked when a
    /// stream starts against [`MIN_SEGMENT_SIZE`](super::MIN_SEGMENT_SIZE)..=
    /// [`MAX_SEGMENT_SIZE`](super::MAX_SEGMENT_SIZE)).
    #[must_use]
    pub fn with_segment_size(mut self, segment_size: u32) -> Self {
        self.engine.segment_size = segment_size;
        self
    }

    /// Records every KEK call and every sealed message or started stream, counted per KEK,
    /// through `auditor`, under data category `category`: one atomic add per message when
    /// the sink aggregates ([`AggregatingSink`](crate::audit::AggregatingSink)), an event
    /// per message otherwise. A message whose event the sink refuses is not returned (the
    /// sink's error is). Cache hits make no KEK call, so only the use is counted.
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use privkit::audit::{Auditor, EventKind, KeyOp, MemoryLog, SubjectPseudonymizer};
    /// use privkit::envelope::{LocalKek, Opener, Sealer};
    /// use privkit::secret::SecretBytes;
    ///
    /// let log = Arc::new(MemoryLog::new());
    /// let auditor = Auditor::new(log.clone(), Arc::new(SubjectPseudonymizer::new(&SecretBytes::random(32)?)?), "docs");
    /// let kek = Arc::new(LocalKek::generate("documents")?);
    /// let sealer = Sealer::new(kek.clone()).with_audit(auditor.clone(), Some("user.document"));
    /// let envelope = sealer.seal(b"minutes", b"doc-7")?;
    /// Opener::new(kek).with_audit(auditor, None).open(&envelope, b"doc-7")?;
    /// let ops: Vec<_> = log.events()?.into_iter().filter_map(|e| match e.kind {
    ///     EventKind::KekCall(c) => Some(c.op),
    ///     EventKind::KeyUsage(u) => Some(u.op),
    ///     _ => None,
    /// }).collect();
    /// assert_eq!(ops, [KeyOp::Wrap, KeyOp::Seal, KeyOp::Unwrap, KeyOp::Open]);
    /// # Ok::<(), privkit::Error>(())
    /// ```
    #[must_use]
    pub fn with_audit(mut self, auditor: Auditor, category: Option<&str>) -> Self {
        self.engine.audit = Some(Arc::new(EnvelopeAudit::new(auditor, category)));
        self
    }

    /// Drops the cached data key of `partition`, for example when that data subject is
    /// forgotten. Returns whether there was one (or a fetch in flight).
    pub fn purge_partition(&self, partition: &[u8]) -> bool {
        self.engine.purge_partition(partition)
    }

    /// Drops every cached data key wrapped by the KEK named `kek_id` (on revocation of
    /// that key). Every key of this sealer is wrapped by all of its KEKs, so this purges
    /// everything if `kek_id` is one of them; returns whether it is.
    pub fn purge_kek(&self, kek_id: &str) -> bool {
        self.engine.purge_kek(kek_id)
    }

    /// Drops every cached data key (fetches in flight are discarded when they land): the
    /// next message gets a fresh one. Call it in a child process after `fork()`.
    pub fn purge_all(&self) {
        self.engine.purge_all();
    }
}

/// The blocking API.
impl Sealer {
    /// Seals `plaintext`, binding `aad` (the default cache partition).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for more than 255
    /// key-encryption keys or an id over [`MAX_KEK_ID_LEN`](super::MAX_KEK_ID_LEN) bytes;
    /// [`Error::LimitExceeded`](crate::Error::LimitExceeded) for a plaintext over what the
    /// algorithm takes in one message (64 GiB for AES-256-GCM); whatever a key-encryption
    /// key reports; [`Error::Random`](crate::Error::Random).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        self.seal_in(b"", plaintext, aad)
    }

    /// Seals `plaintext` with the cached data key of `partition` (a tenant, a data
    /// subject): messages of different partitions never share a data key, and
    /// [`purge_partition`](Self::purge_partition) drops one partition's key.
    ///
    /// # Errors
    /// As [`seal`](Self::seal).
    pub fn seal_in(&self, partition: &[u8], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        self.seal_blocking(partition, plaintext, aad, None)
    }

    /// The blocking seal behind [`seal_in`](Self::seal_in) and
    /// [`seal_referenced`](Self::seal_referenced). Without a cache, and for a cache hit,
    /// no future is built: the async path is for a miss (a fetch another caller may be
    /// making) and refresh-ahead.
    fn seal_blocking(
        &self,
        partition: &[u8],
        plaintext: &[u8],
        aad: &[u8],
        reference: Option<&str>,
    ) -> Result<Vec<u8>> {
        if self.engine.cache.is_none() {
            return self
                .engine
                .seal_uncached_blocking(plaintext, aad, reference);
        }
        if let Some(sealed) = self
            .engine
            .try_seal_cached(partition, plaintext, aad, reference)?
        {
            return Ok(sealed);
        }
        block_on(
            self.engine
                .seal_in(partition, plaintext, aad, false, reference),
        )
    }

    /// [`seal`](Self::seal), recording this message in the audit sink as its own event
    /// that names `reference` (an object name, a row key): breach scoping then lists it
    /// for a compromised KEK ([`audit::Query`](crate::audit::Query)). Without an audit
    /// sink, as `seal`.
    ///
    /// # Errors
    /// As [`seal`](Self::seal); the sink's.
    pub fn seal_referenced(
        &self,
        reference: &str,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>> {
        self.seal_blocking(b"", plaintext, aad, Some(reference))
    }

    /// Starts a streaming envelope written to `inner`: write the plaintext into the
    /// returned [`StreamWriter`], then call its `finish` (or, for a tokio `AsyncWrite`,
    /// `shutdown`). Every stream has its own data key (the cache is not used), wrapped
    /// by every KEK; the header is written with the first write.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a segment size out of
    /// bounds or a bad KEK list; errors of the KEKs.
    ///
    /// # Example
    /// ```
    /// use std::io::{Read, Write};
    /// use privkit::envelope::{LocalKek, Opener, Sealer};
    ///
    /// let kek = std::sync::Arc::new(LocalKek::generate("backups")?);
    /// let mut writer = Sealer::new(kek.clone()).with_segment_size(1024).encrypt_stream(Vec::new(), b"backup-2026-11-29")?;
    /// for chunk in [&b"first part, "[..], b"second part"] {
    ///     writer.write_all(chunk)?;
    /// }
    /// let stream = writer.finish()?;
    ///
    /// let mut reader = Opener::new(kek).decrypt_stream(&stream[..], b"backup-2026-11-29")?;
    /// let mut plaintext = Vec::new();
    /// reader.read_to_end(&mut plaintext)?;
    /// assert_eq!(plaintext, b"first part, second part");
    /// # Ok::<(), privkit::Error>(())
    /// ```
    pub fn encrypt_stream<W>(&self, inner: W, aad: &[u8]) -> Result<StreamWriter<W>> {
        let header = block_on(self.engine.start_stream(aad))?;
        StreamWriter::new(inner, header, self.engine.segment_size)
    }

    /// Starts a stream sealed segment by segment in the caller's buffers, in place: the
    /// bytes of [`encrypt_stream`](Self::encrypt_stream) without the copies behind
    /// `Write` (see [`SegmentSealer`]). The data key is made and wrapped now.
    ///
    /// # Errors
    /// As [`encrypt_stream`](Self::encrypt_stream).
    pub fn encrypt_segments(&self, aad: &[u8]) -> Result<SegmentSealer> {
        let header = block_on(self.engine.start_stream(aad))?;
        SegmentSealer::new(header, self.engine.segment_size)
    }
}

/// Opens envelopes and streams with any of its key-encryption keys, within
/// [`EnvelopeLimits`], and re-wraps envelopes. Like [`Sealer`], one type for blocking
/// (`Opener`) and async ([`AsyncOpener`](super::AsyncOpener)) key-encryption keys.
///
/// # Example
/// ```
/// use privkit::envelope::{LocalKek, Opener, Sealer};
///
/// let old = std::sync::Arc::new(LocalKek::generate("kek-2025")?);
/// let new = std::sync::Arc::new(LocalKek::generate("kek-2026")?);
/// let envelope = Sealer::new(old.clone()).seal(b"payload", b"")?;
/// // Rotate the key-encryption key without decrypting the payload.
/// let rewrapped = Opener::new(old).rewrap(&envelope, &[&*new])?;
/// assert_eq!(Opener::new(new).open(&rewrapped, b"")?, b"payload");
/// # Ok::<(), privkit::Error>(())
/// ```
pub struct Opener<K: ?Sized + KekKind = dyn KeyEncryptionKey> {
    pub(crate) keks: Vec<Arc<K>>,
    pub(crate) limits: EnvelopeLimits,
    pub(crate) audit: Option<Arc<EnvelopeAudit>>,
}

impl<K: ?Sized + KekKind> std::fmt::Debug for Opener<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keks.iter().map(|k| k.kek().id()).collect();
        f.debug_struct("Opener")
            .field("keks", &ids)
            .field("limits", &self.limits)
            .finish()
    }
}

impl<K: ?Sized + KekKind + 'static> Opener<K> {
    /// An opener holding `kek`, with default limits.
    #[must_use]
    pub fn new(kek: impl IntoKek<K>) -> Self {
        Self {
            keks: vec![kek.into_kek()],
            limits: EnvelopeLimits::default(),
            audit: None,
        }
    }

    /// Adds another key-encryption key to try.
    #[must_use]
    pub fn with_kek(mut self, kek: impl IntoKek<K>) -> Self {
        self.keks.push(kek.into_kek());
        self
    }

    /// Replaces the decoder limits.
    #[must_use]
    pub fn with_limits(mut self, limits: EnvelopeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Records every KEK call (unwrap, wrap on re-wrap) and every opened envelope or
    /// stream, counted per KEK, through `auditor` (see [`Sealer::with_audit`]).
    #[must_use]
    pub fn with_audit(mut self, auditor: Auditor, category: Option<&str>) -> Self {
        self.audit = Some(Arc::new(EnvelopeAudit::new(auditor, category)));
        self
    }
}

/// The blocking API.
impl Opener {
    /// Opens `envelope` (version 3, 2 or 1), which must have been sealed with the same
    /// `aad`.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`](crate::Error::LimitExceeded),
    /// [`Error::Malformed`](crate::Error::Malformed),
    /// [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion),
    /// [`Error::UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm) for bytes that
    /// are not an acceptable envelope; [`Error::NoUsableKey`](crate::Error::NoUsableKey)
    /// when no wrapped key names a KEK of this opener; errors of the KEK (such as
    /// [`Error::KeyDestroyed`](crate::Error::KeyDestroyed));
    /// [`Error::DecryptionFailed`](crate::Error::DecryptionFailed) for every
    /// authentication failure.
    pub fn open(&self, envelope: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        block_on(engine::open(
            &self.keks,
            &self.limits,
            envelope,
            aad,
            self.audit.as_deref(),
        ))
    }

    /// Replaces the wrapped data keys of `envelope` by wrappings under `to`, leaving the
    /// payload byte for byte as it was (it is neither decrypted nor re-encrypted). The data
    /// key is checked against the envelope's key commitment and header tag or MAC first.
    /// A version 3 envelope stays version 3 (with a new header nonce and tag); a version 1
    /// or 2 envelope becomes version 2 (its key schedule needs the salt that version 3
    /// has no field for).
    ///
    /// # Errors
    /// As [`open`](Self::open) for the unwrapping; as [`Sealer::seal`] for the wrapping;
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) if `to` is empty.
    pub fn rewrap(&self, envelope: &[u8], to: &[&dyn KeyEncryptionKey]) -> Result<Vec<u8>> {
        block_on(engine::rewrap(
            &self.keks,
            &self.limits,
            envelope,
            to,
            self.audit.as_deref(),
        ))
    }

    /// Starts decrypting a stream made by [`Sealer::encrypt_stream`] with the same `aad`:
    /// reads and verifies the header now, the segments as the returned reader is read.
    /// Over a seekable source the reader also seeks.
    ///
    /// # Errors
    /// As [`open`](Self::open) for the header; I/O errors reading it.
    ///
    /// # Example
    /// ```
    /// use std::io::{Cursor, Read, Seek, SeekFrom, Write};
    /// use privkit::envelope::{LocalKek, Opener, Sealer};
    ///
    /// let kek = std::sync::Arc::new(LocalKek::generate("archive")?);
    /// let mut w = Sealer::new(kek.clone()).with_segment_size(1024).encrypt_stream(Vec::new(), b"")?;
    /// let data: Vec<u8> = (0..10_000u32).map(|i| (i % 256) as u8).collect();
    /// w.write_all(&data)?;
    /// let stream = w.finish()?;
    ///
    /// let mut r = Opener::new(kek).decrypt_stream(Cursor::new(stream), b"")?;
    /// assert_eq!(r.plaintext_len()?, 10_000); // authenticated: the final segment is checked
    /// r.seek(SeekFrom::Start(5_000))?; // decrypts only segment 4 (bytes 4096..5120)
    /// let mut buf = [0u8; 100];
    /// r.read_exact(&mut buf)?;
    /// assert_eq!(&buf[..], &data[5_000..5_100]);
    /// # Ok::<(), privkit::Error>(())
    /// ```
    pub fn decrypt_stream<R: Read>(&self, mut inner: R, aad: &[u8]) -> Result<StreamReader<R>> {
        let header = read_header(&mut inner, &self.limits)?;
        block_on(self.stream_reader(inner, header.bytes(), aad))
    }

    /// Starts opening a stream segment by segment in the caller's buffers, in place (see
    /// [`SegmentOpener`]): `stream` begins with the stream's header (it may hold more),
    /// whose data key is unwrapped now. Returns the opener and the header's length, where
    /// segment 0 starts.
    ///
    /// # Errors
    /// As [`decrypt_stream`](Self::decrypt_stream) for the header.
    pub fn decrypt_segments(&self, stream: &[u8], aad: &[u8]) -> Result<(SegmentOpener, usize)> {
        block_on(self.segment_opener(stream, aad))
    }

    /// [`decrypt_stream`](Self::decrypt_stream) over a tokio `AsyncRead`: the header is
    /// read asynchronously; the returned reader is an `AsyncRead`.
    ///
    /// # Errors
    /// As [`decrypt_stream`](Self::decrypt_stream).
    #[cfg(feature = "tokio")]
    pub async fn decrypt_stream_async<R: tokio::io::AsyncRead + Unpin>(
        &self,
        mut inner: R,
        aad: &[u8],
    ) -> Result<StreamReader<R>> {
        let header = super::stream::read_header_async(&mut inner, &self.limits).await?;
        self.stream_reader(inner, header.bytes(), aad).await
    }
}

impl<K: ?Sized + KekKind> Opener<K> {
    /// The segment cipher of the stream whose header is `header` (its data key
    /// unwrapped by this opener's KEKs), and the header's length.
    async fn stream_segments(&self, header: &[u8], aad: &[u8]) -> Result<(Segments, usize)> {
        let (parsed, cipher) = engine::open_stream_header(
            &self.keks,
            &self.limits,
            header,
            aad,
            self.audit.as_deref(),
        )
        .await?;
        Ok((Segments::for_parsed(&parsed, cipher)?, parsed.len))
    }

    /// The reader of a stream whose header (as read from `inner`) is `header`.
    pub(crate) async fn stream_reader<R>(
        &self,
        inner: R,
        header: &[u8],
        aad: &[u8],
    ) -> Result<StreamReader<R>> {
        let (segments, header_len) = self.stream_segments(header, aad).await?;
        Ok(StreamReader::new(inner, segments, header_len))
    }

    /// The segment opener of the stream that `stream` begins, and its header's length.
    pub(crate) async fn segment_opener(
        &self,
        mut stream: &[u8],
        aad: &[u8],
    ) -> Result<(SegmentOpener, usize)> {
        let header = read_header(&mut stream, &self.limits)?;
        let (segments, header_len) = self.stream_segments(header.bytes(), aad).await?;
        Ok((SegmentOpener::new(segments), header_len))
    }
}

/// Seals `plaintext` under a fresh data key wrapped by `kek` (AES-256-GCM payload).
///
/// # Errors
/// As [`Sealer::seal`].
///
/// # Example
/// ```
/// use privkit::envelope::{self, LocalKek};
///
/// let kek = LocalKek::generate("docs")?;
/// let sealed = envelope::seal(&kek, b"contract.pdf bytes", b"contract-2291")?;
/// assert_eq!(envelope::open(&kek, &sealed, b"contract-2291")?, b"contract.pdf bytes");
/// # Ok::<(), privkit::Error>(())
/// ```
pub fn seal(kek: &dyn KeyEncryptionKey, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let algorithm = Algorithm::default();
    super::header::plaintext_len(algorithm, plaintext)?;
    let mut header = NewHeader::for_message(algorithm, 1, plaintext.len())?;
    engine::wrap_all_blocking([kek], &mut header, None)?;
    seal_message_after(header.finish()?, plaintext, aad)
}

/// Opens an envelope with `kek`, under default [`EnvelopeLimits`].
///
/// # Errors
/// As [`Opener::open`].
pub fn open(kek: &dyn KeyEncryptionKey, envelope: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    block_on(engine::open(
        &[kek],
        &EnvelopeLimits::default(),
        envelope,
        aad,
        None,
    ))
}

/// Re-wraps the data key of `envelope` from `from` to `to` without touching the payload.
///
/// # Errors
/// As [`Opener::rewrap`].
pub fn rewrap(
    envelope: &[u8],
    from: &dyn KeyEncryptionKey,
    to: &dyn KeyEncryptionKey,
) -> Result<Vec<u8>> {
    block_on(engine::rewrap(
        &[from],
        &EnvelopeLimits::default(),
        envelope,
        &[to],
        None,
    ))
}
