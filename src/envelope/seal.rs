//! Envelope encryption: per-message data keys wrapped by key-encryption keys.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use super::format::{Reader, put_u16_prefixed};
use super::wrap::{KeyEncryptionKey, MAX_KEK_ID_LEN};
use crate::backend::{AeadKey, Algorithm, KEY_LEN, TAG_LEN};
use crate::kdf::{Hash, Hkdf, encode_labels};
use crate::secret::SecretBytes;
use crate::{Error, Result, rand};

/// The four magic bytes that open every envelope: `PKEV`.
pub(crate) const MAGIC: [u8; 4] = *b"PKEV";
/// Envelope format version.
pub(crate) const VERSION: u8 = 1;
pub(crate) const SALT_LEN: usize = 32;
pub(crate) const COMMITMENT_LEN: usize = 32;
/// magic, version, algorithm, salt, commitment.
const FIXED_LEN: usize = 4 + 1 + 1 + SALT_LEN + COMMITMENT_LEN;
/// Most key-encryption keys one envelope can name (the count is one byte).
pub const MAX_WRAPPED_KEYS: usize = 255;

/// Limits applied when opening untrusted envelopes. Each is checked before any
/// allocation that depends on it, and a violation is [`Error::LimitExceeded`].
///
/// # Example
/// ```
/// use privkit::envelope::{EnvelopeLimits, LocalKek, Opener, Sealer};
///
/// let kek = std::sync::Arc::new(LocalKek::generate("uploads")?);
/// let big = Sealer::new(kek.clone()).seal(&vec![0u8; 100_000], b"")?;
/// let strict = Opener::new(kek).with_limits(EnvelopeLimits::default().max_envelope_len(64 * 1024).max_wrapped_keys(2));
/// assert!(matches!(strict.open(&big, b""), Err(privkit::Error::LimitExceeded { .. })));
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvelopeLimits {
    /// Most wrapped data keys an envelope may carry (default 16).
    pub max_wrapped_keys: usize,
    /// Most bytes of header: everything before the payload nonce (default 64 KiB).
    pub max_header_len: usize,
    /// Most bytes of envelope in total (default 1 GiB).
    pub max_envelope_len: usize,
}

impl Default for EnvelopeLimits {
    fn default() -> Self {
        Self {
            max_wrapped_keys: 16,
            max_header_len: 64 * 1024,
            max_envelope_len: 1 << 30,
        }
    }
}

impl EnvelopeLimits {
    /// Sets the most wrapped keys accepted.
    #[must_use]
    pub fn max_wrapped_keys(mut self, n: usize) -> Self {
        self.max_wrapped_keys = n;
        self
    }
    /// Sets the largest header accepted.
    #[must_use]
    pub fn max_header_len(mut self, n: usize) -> Self {
        self.max_header_len = n;
        self
    }
    /// Sets the largest envelope accepted.
    #[must_use]
    pub fn max_envelope_len(mut self, n: usize) -> Self {
        self.max_envelope_len = n;
        self
    }
}

/// Bounds on the reuse of one data key by a caching [`Sealer`]. All three are required.
///
/// A data key is replaced as soon as it has sealed `max_messages` messages, or
/// `max_bytes` bytes of plaintext, or is `max_age` old, whichever comes first. Each
/// message under a cached key gets its own nonce (a counter), so reuse never repeats a
/// nonce; `max_messages` is capped at 2^32 to stay inside SP 800-38D's invocation limit.
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

/// Everything derived from one data key: the serialized header up to the payload nonce,
/// and the payload cipher.
pub(crate) struct DataKeyState {
    header: Vec<u8>,
    cipher: AeadKey,
}

/// A data key in a cache, with what it has sealed so far (shared by [`Sealer`] and the
/// async sealer).
pub(crate) struct CachedKey {
    pub(crate) state: Arc<DataKeyState>,
    pub(crate) created: Instant,
    pub(crate) messages: u64,
    pub(crate) bytes: u64,
}

impl CachedKey {
    pub(crate) fn new(state: Arc<DataKeyState>, created: Instant) -> Self {
        Self {
            state,
            created,
            messages: 0,
            bytes: 0,
        }
    }

    /// Reserves one message of `len` bytes if that stays within `limits` at `now`:
    /// returns the key and the message's nonce counter.
    pub(crate) fn reserve(
        &mut self,
        len: u64,
        limits: &CacheLimits,
        now: Instant,
    ) -> Option<(Arc<DataKeyState>, u64)> {
        let usable = self.messages < limits.max_messages
            && self.bytes.saturating_add(len) <= limits.max_bytes
            && now.saturating_duration_since(self.created) < limits.max_age;
        if !usable {
            return None;
        }
        let counter = self.messages;
        self.messages += 1;
        self.bytes += len;
        Some((Arc::clone(&self.state), counter))
    }

    /// Whether the key has used `percent` % of any of its budgets (messages, bytes, age).
    pub(crate) fn past(&self, percent: u8, limits: &CacheLimits, now: Instant) -> bool {
        let p = u128::from(percent);
        let age = now.saturating_duration_since(self.created).as_nanos();
        u128::from(self.messages) * 100 >= u128::from(limits.max_messages) * p
            || u128::from(self.bytes) * 100 >= u128::from(limits.max_bytes) * p
            || age * 100 >= limits.max_age.as_nanos() * p
    }
}

struct DataKeyCache {
    limits: CacheLimits,
    slot: Mutex<Option<CachedKey>>,
}

/// Seals envelopes: each message under a fresh data key (or a cached one, within
/// [`CacheLimits`]), wrapped by every configured key-encryption key.
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
pub struct Sealer {
    keks: Vec<Arc<dyn KeyEncryptionKey>>,
    algorithm: Algorithm,
    cache: Option<DataKeyCache>,
    segment_size: u32,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field(
                "keks",
                &self.keks.iter().map(|k| k.kek_id()).collect::<Vec<_>>(),
            )
            .field("algorithm", &self.algorithm)
            .field("cache", &self.cache.as_ref().map(|c| c.limits))
            .finish()
    }
}

impl Sealer {
    /// A sealer wrapping data keys with `kek`, AES-256-GCM payloads, no caching.
    #[must_use]
    pub fn new(kek: impl KeyEncryptionKey + 'static) -> Self {
        Self {
            keks: vec![Arc::new(kek)],
            algorithm: Algorithm::default(),
            cache: None,
            segment_size: super::stream::DEFAULT_SEGMENT_SIZE,
        }
    }

    /// Also wraps every data key with `kek`: any one of the keys opens the envelope.
    #[must_use]
    pub fn with_kek(mut self, kek: impl KeyEncryptionKey + 'static) -> Self {
        self.keks.push(Arc::new(kek));
        self
    }

    /// Uses `algorithm` for payloads.
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Reuses data keys within `limits` (for slow, remote key-encryption keys).
    #[must_use]
    pub fn with_cache(mut self, limits: CacheLimits) -> Self {
        self.cache = Some(DataKeyCache {
            limits,
            slot: Mutex::new(None),
        });
        self
    }

    /// Sets the segment size of streams made by [`encrypt_stream`](Self::encrypt_stream)
    /// (plaintext bytes per segment; checked when a stream starts against
    /// [`MIN_SEGMENT_SIZE`](super::MIN_SEGMENT_SIZE)..=[`MAX_SEGMENT_SIZE`](super::MAX_SEGMENT_SIZE)).
    #[must_use]
    pub fn with_segment_size(mut self, segment_size: u32) -> Self {
        self.segment_size = segment_size;
        self
    }

    /// Starts a streaming envelope written to `inner`: write the plaintext into the
    /// returned [`StreamWriter`](super::StreamWriter), then call its `finish`. Every
    /// stream has its own data key (the cache is not used), wrapped by every KEK.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a segment size out of bounds or a bad KEK list;
    /// errors of the KEKs; I/O errors writing the header.
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
    pub fn encrypt_stream<W: std::io::Write>(
        &self,
        inner: W,
        aad: &[u8],
    ) -> Result<super::StreamWriter<W>> {
        super::StreamWriter::new(inner, &self.keks, self.algorithm, self.segment_size, aad)
    }

    /// The async form of [`encrypt_stream`](Self::encrypt_stream) for tokio: an
    /// [`AsyncWrite`](tokio::io::AsyncWrite) whose `shutdown` finishes the stream.
    ///
    /// # Errors
    /// As [`encrypt_stream`](Self::encrypt_stream); the header is written on the first
    /// poll.
    #[cfg(feature = "tokio")]
    pub fn encrypt_stream_async<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        inner: W,
        aad: &[u8],
    ) -> Result<super::AsyncStreamWriter<W>> {
        super::AsyncStreamWriter::new(inner, &self.keks, self.algorithm, self.segment_size, aad)
    }

    /// Forgets the cached data key, if any: the next message gets a fresh one.
    pub fn clear_cache(&self) {
        if let Some(cache) = &self.cache {
            *cache.slot.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    /// Seals `plaintext`, binding `aad`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for more than 255 key-encryption keys or an id over
    /// [`MAX_KEK_ID_LEN`] bytes; [`Error::LimitExceeded`] for a plaintext over 64 GiB;
    /// whatever a key-encryption key reports; [`Error::Random`].
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let len = plaintext_len(self.algorithm, plaintext)?;
        let (state, counter) = match &self.cache {
            None => (Arc::new(new_data_key(self.algorithm, &self.keks)?), 0),
            Some(cache) if len > cache.limits.max_bytes => {
                (Arc::new(new_data_key(self.algorithm, &self.keks)?), 0)
            }
            Some(cache) => {
                let mut slot = cache.slot.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let limits = cache.limits;
                match slot.as_mut().and_then(|c| c.reserve(len, &limits, now)) {
                    Some(reserved) => reserved,
                    None => {
                        let mut fresh = CachedKey::new(
                            Arc::new(new_data_key(self.algorithm, &self.keks)?),
                            now,
                        );
                        let reserved = fresh
                            .reserve(len, &limits, now)
                            .ok_or_else(|| Error::InvalidOperation("cache limits".into()))?;
                        *slot = Some(fresh);
                        reserved
                    }
                }
            }
        };
        seal_with(&state, counter, plaintext, aad)
    }
}

/// Opens envelopes with any of its key-encryption keys, within [`EnvelopeLimits`], and
/// re-wraps them.
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
pub struct Opener {
    keks: Vec<Arc<dyn KeyEncryptionKey>>,
    limits: EnvelopeLimits,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field(
                "keks",
                &self.keks.iter().map(|k| k.kek_id()).collect::<Vec<_>>(),
            )
            .field("limits", &self.limits)
            .finish()
    }
}

impl Opener {
    /// An opener holding `kek`, with default limits.
    #[must_use]
    pub fn new(kek: impl KeyEncryptionKey + 'static) -> Self {
        Self {
            keks: vec![Arc::new(kek)],
            limits: EnvelopeLimits::default(),
        }
    }

    /// Adds another key-encryption key to try.
    #[must_use]
    pub fn with_kek(mut self, kek: impl KeyEncryptionKey + 'static) -> Self {
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
    /// [`Error::LimitExceeded`], [`Error::Malformed`], [`Error::UnsupportedVersion`],
    /// [`Error::UnsupportedAlgorithm`] for bytes that are not an acceptable envelope;
    /// [`Error::NoUsableKey`] when no wrapped key names a KEK of this opener; errors of the
    /// KEK (such as [`Error::KeyDestroyed`]); [`Error::DecryptionFailed`] for every
    /// authentication failure.
    pub fn open(&self, envelope: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        open_with(&self.keks, &self.limits, envelope, aad)
    }

    /// Starts decrypting a stream made by [`Sealer::encrypt_stream`] with the same `aad`:
    /// reads and verifies the header now, the segments as the returned reader is read.
    ///
    /// # Errors
    /// As [`open`](Self::open) for the header.
    pub fn decrypt_stream<R: std::io::Read>(
        &self,
        inner: R,
        aad: &[u8],
    ) -> Result<super::StreamReader<R>> {
        super::StreamReader::new(inner, &self.keks, &self.limits, aad)
    }

    /// The async form of [`decrypt_stream`](Self::decrypt_stream) for tokio: reads and
    /// verifies the header, then returns an [`AsyncRead`](tokio::io::AsyncRead).
    ///
    /// # Errors
    /// As [`decrypt_stream`](Self::decrypt_stream).
    #[cfg(feature = "tokio")]
    pub async fn decrypt_stream_async<R: tokio::io::AsyncRead + Unpin>(
        &self,
        inner: R,
        aad: &[u8],
    ) -> Result<super::AsyncStreamReader<R>> {
        super::AsyncStreamReader::new(inner, &self.keks, &self.limits, aad).await
    }

    /// Opens a stream in a seekable source for random access: the returned reader
    /// implements `Read + Seek` over the plaintext and decrypts only the segments a read
    /// touches. The final segment is verified now, so the length is authentic.
    ///
    /// # Errors
    /// As [`open`](Self::open) for the header; [`Error::Malformed`] or
    /// [`Error::DecryptionFailed`] for a truncated or altered stream; I/O errors.
    pub fn decrypt_stream_seekable<R: std::io::Read + std::io::Seek>(
        &self,
        inner: R,
        aad: &[u8],
    ) -> Result<super::SeekableStreamReader<R>> {
        super::SeekableStreamReader::new(inner, &self.keks, &self.limits, aad)
    }

    /// Replaces the wrapped data keys of `envelope` by wrappings under `to`, leaving the
    /// payload byte for byte as it was (it is neither decrypted nor re-encrypted). The data
    /// key is checked against the envelope's key commitment before it is re-wrapped.
    ///
    /// # Errors
    /// As [`open`](Self::open) for the unwrapping; as [`Sealer::seal`] for the wrapping;
    /// [`Error::InvalidArgument`] if `to` is empty.
    pub fn rewrap(&self, envelope: &[u8], to: &[&dyn KeyEncryptionKey]) -> Result<Vec<u8>> {
        rewrap_with(&self.keks, &self.limits, envelope, to)
    }
}

/// The plaintext's length, if `algorithm` accepts it in one message.
pub(crate) fn plaintext_len(algorithm: Algorithm, plaintext: &[u8]) -> Result<u64> {
    let len = u64::try_from(plaintext.len()).unwrap_or(u64::MAX);
    if len > algorithm.max_plaintext_len() {
        return Err(Error::limit(
            "plaintext length",
            algorithm.max_plaintext_len(),
        ));
    }
    Ok(len)
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
    let state = new_data_key(Algorithm::default(), &[kek])?;
    seal_with(&state, 0, plaintext, aad)
}

/// Opens an envelope with `kek`, under default [`EnvelopeLimits`].
///
/// # Errors
/// As [`Opener::open`].
pub fn open(kek: &dyn KeyEncryptionKey, envelope: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    open_with(&[kek], &EnvelopeLimits::default(), envelope, aad)
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
    rewrap_with(&[from], &EnvelopeLimits::default(), envelope, &[to])
}

fn rewrap_with<K: KeyEncryptionKey>(
    keks: &[K],
    limits: &EnvelopeLimits,
    envelope: &[u8],
    to: &[&dyn KeyEncryptionKey],
) -> Result<Vec<u8>> {
    let parsed = Parsed::parse(envelope, limits)?;
    let (dek, _) = parsed.unwrap_data_key(keks)?;
    let mut entries = Vec::new();
    put_wrapped_keys(&mut entries, to, &dek, &parsed.wrap_context)?;
    Ok(parsed.splice(envelope, &entries))
}

/// The key schedule: payload key and key commitment from a data key and its salt.
///
/// `PRK = HKDF-Extract(SHA-256, salt, data_key)`;
/// `OKM = HKDF-Expand(PRK, labels("privkit envelope", [version], [algorithm id]), 64)`;
/// the payload key is `OKM[0..32]`, the commitment `OKM[32..64]`.
pub(crate) fn key_schedule(
    algorithm: Algorithm,
    data_key: &[u8],
    salt: &[u8],
) -> Result<(AeadKey, [u8; COMMITMENT_LEN])> {
    committed_key(
        algorithm,
        data_key,
        salt,
        &[b"privkit envelope", &[VERSION], &[algorithm.id()]],
    )
}

/// `HKDF-Expand(HKDF-Extract(SHA-256, salt, data_key), labels, 64)`, split into a payload
/// key for `algorithm` and a key commitment (shared by envelopes and streams).
pub(crate) fn committed_key(
    algorithm: Algorithm,
    data_key: &[u8],
    salt: &[u8],
    labels: &[&[u8]],
) -> Result<(AeadKey, [u8; COMMITMENT_LEN])> {
    let okm = Hkdf::extract(Hash::Sha256, salt, data_key)
        .expand_labeled(labels, KEY_LEN + COMMITMENT_LEN)?;
    let (key, commitment) = okm.expose_secret().split_at(KEY_LEN);
    let mut c = [0u8; COMMITMENT_LEN];
    c.copy_from_slice(commitment);
    Ok((AeadKey::new(algorithm, key)?, c))
}

/// The context every wrapping of this data key binds.
fn wrap_context(algorithm: Algorithm, salt: &[u8], commitment: &[u8]) -> Result<Vec<u8>> {
    encode_labels(&[
        b"privkit envelope wrap",
        &[VERSION],
        &[algorithm.id()],
        salt,
        commitment,
    ])
}

pub(crate) fn put_wrapped_keys<K: KeyEncryptionKey>(
    out: &mut Vec<u8>,
    keks: &[K],
    dek: &SecretBytes,
    context: &[u8],
) -> Result<()> {
    put_kek_count(out, keks.len())?;
    for kek in keks {
        put_wrapped_entry(out, kek.kek_id(), &kek.wrap_key(dek, context)?)?;
    }
    Ok(())
}

/// Appends the count of wrapped-key entries (1..=255).
pub(crate) fn put_kek_count(out: &mut Vec<u8>, n: usize) -> Result<()> {
    let count = u8::try_from(n)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| Error::invalid_argument("an envelope needs 1 to 255 key-encryption keys"))?;
    out.push(count);
    Ok(())
}

/// Appends one wrapped-key entry: `u16 id_len, id, u16 key_len, key`.
pub(crate) fn put_wrapped_entry(out: &mut Vec<u8>, kek_id: &str, wrapped: &[u8]) -> Result<()> {
    let id = kek_id.as_bytes();
    if id.is_empty() || id.len() > MAX_KEK_ID_LEN {
        return Err(Error::invalid_argument("KEK ids are 1 to 2048 bytes"));
    }
    put_u16_prefixed(out, id, "KEK id length")?;
    put_u16_prefixed(out, wrapped, "wrapped key length")
}

fn new_data_key<K: KeyEncryptionKey>(algorithm: Algorithm, keks: &[K]) -> Result<DataKeyState> {
    let (dek, salt) = random_data_key()?;
    data_key_state(algorithm, &dek, &salt, keks)
}

/// A fresh data key and salt.
pub(crate) fn random_data_key() -> Result<(SecretBytes, [u8; SALT_LEN])> {
    // One call to the operating system for both (a system call costs more than the
    // 64-byte encryption it precedes).
    let mut random = zeroize::Zeroizing::new([0u8; KEY_LEN + SALT_LEN]);
    rand::fill(&mut *random)?;
    let dek = SecretBytes::from_slice(&random[..KEY_LEN]);
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&random[KEY_LEN..]);
    Ok((dek, salt))
}

/// A data key's header before its wrapped keys are added: the fixed fields, the payload
/// cipher, and the wrap context every KEK must bind.
pub(crate) struct PendingHeader {
    pub(crate) header: Vec<u8>,
    pub(crate) cipher: AeadKey,
    pub(crate) wrap_context: Vec<u8>,
}

impl PendingHeader {
    pub(crate) fn new(
        algorithm: Algorithm,
        dek: &SecretBytes,
        salt: &[u8; SALT_LEN],
        keks: usize,
    ) -> Result<Self> {
        let (cipher, commitment) = key_schedule(algorithm, dek.expose_secret(), salt)?;
        let mut header = Vec::with_capacity(FIXED_LEN + 1 + keks * 96);
        header.extend_from_slice(&MAGIC);
        header.push(VERSION);
        header.push(algorithm.id());
        header.extend_from_slice(salt);
        header.extend_from_slice(&commitment);
        let wrap_context = wrap_context(algorithm, salt, &commitment)?;
        Ok(Self {
            header,
            cipher,
            wrap_context,
        })
    }

    /// The finished state, once the wrapped-key entries are appended to `header`.
    pub(crate) fn finish(self) -> DataKeyState {
        DataKeyState {
            header: self.header,
            cipher: self.cipher,
        }
    }
}

fn data_key_state<K: KeyEncryptionKey>(
    algorithm: Algorithm,
    dek: &SecretBytes,
    salt: &[u8; SALT_LEN],
    keks: &[K],
) -> Result<DataKeyState> {
    let mut pending = PendingHeader::new(algorithm, dek, salt, keks.len())?;
    put_wrapped_keys(&mut pending.header, keks, dek, &pending.wrap_context)?;
    Ok(pending.finish())
}

pub(crate) fn seal_with(
    state: &DataKeyState,
    counter: u64,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let nonce_len = state.cipher.algorithm().nonce_len();
    let mut out = Vec::with_capacity(state.header.len() + nonce_len + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&state.header);
    let nonce_start = out.len();
    out.resize(nonce_start + nonce_len, 0);
    out[nonce_start + nonce_len - 8..].copy_from_slice(&counter.to_be_bytes());
    out.extend_from_slice(plaintext);
    let (head, body) = out.split_at_mut(nonce_start + nonce_len);
    let tag = state
        .cipher
        .seal_in_place(&head[nonce_start..], aad, body)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

fn open_with<K: KeyEncryptionKey>(
    keks: &[K],
    limits: &EnvelopeLimits,
    envelope: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let parsed = Parsed::parse(envelope, limits)?;
    let (_, cipher) = parsed.unwrap_data_key(keks)?;
    parsed.open_payload(&cipher, envelope, aad)
}

/// A parsed envelope header. Borrowed from the envelope bytes.
pub(crate) struct Parsed<'a> {
    pub(crate) algorithm: Algorithm,
    salt: &'a [u8],
    commitment: &'a [u8],
    pub(crate) wrapped: Vec<(&'a [u8], &'a [u8])>,
    pub(crate) wrap_context: Vec<u8>,
    /// Offset of the payload nonce.
    pub(crate) payload_start: usize,
}

impl<'a> Parsed<'a> {
    pub(crate) fn parse(envelope: &'a [u8], limits: &EnvelopeLimits) -> Result<Self> {
        if envelope.len() > limits.max_envelope_len {
            return Err(Error::limit(
                "envelope length",
                u64::try_from(limits.max_envelope_len).unwrap_or(u64::MAX),
            ));
        }
        let mut r = Reader::new(envelope);
        if r.take(4, "truncated magic")? != MAGIC {
            return Err(Error::Malformed("not an envelope (bad magic)"));
        }
        let version = r.u8("truncated header")?;
        if version != VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let algorithm = Algorithm::from_id(r.u8("truncated header")?)?;
        let salt = r.take(SALT_LEN, "truncated salt")?;
        let commitment = r.take(COMMITMENT_LEN, "truncated commitment")?;
        let count = usize::from(r.u8("truncated header")?);
        let wrapped = parse_wrapped_entries(&mut r, count, limits)?;
        let payload_start = r.position();
        let nonce_len = algorithm.nonce_len();
        if payload_start + nonce_len > limits.max_header_len {
            return Err(header_limit(limits));
        }
        r.take(nonce_len, "truncated nonce")?;
        if r.rest().len() < TAG_LEN {
            return Err(Error::Malformed("payload shorter than its tag"));
        }
        let wrap_context = wrap_context(algorithm, salt, commitment)?;
        Ok(Self {
            algorithm,
            salt,
            commitment,
            wrapped,
            wrap_context,
            payload_start,
        })
    }

    /// Unwraps the data key with the first matching KEK that succeeds, and checks the key
    /// commitment. Returns the data key and the payload cipher.
    fn unwrap_data_key<K: KeyEncryptionKey>(&self, keks: &[K]) -> Result<(SecretBytes, AeadKey)> {
        unwrap_committed(
            &self.wrapped,
            keks,
            &self.wrap_context,
            self.commitment,
            |dek| key_schedule(self.algorithm, dek, self.salt),
        )
    }

    /// Checks an unwrapped data key against the commitment; returns the payload cipher.
    pub(crate) fn check_data_key(&self, dek: &SecretBytes) -> Result<AeadKey> {
        check_commitment(dek, self.commitment, |dek| {
            key_schedule(self.algorithm, dek, self.salt)
        })
    }

    /// Decrypts the payload with the cipher of the (checked) data key.
    pub(crate) fn open_payload(
        &self,
        cipher: &AeadKey,
        envelope: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>> {
        let nonce_end = self.payload_start + self.algorithm.nonce_len();
        let body = &envelope[nonce_end..];
        let nonce = &envelope[self.payload_start..nonce_end];
        let ct_len = body.len() - TAG_LEN; // parse guarantees body.len() >= TAG_LEN
        let mut out = body[..ct_len].to_vec();
        cipher.open_in_place(nonce, aad, &mut out, &body[ct_len..])?;
        Ok(out)
    }

    /// `envelope` with its wrapped-key entries (count byte included) replaced by `entries`.
    pub(crate) fn splice(&self, envelope: &[u8], entries: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(envelope.len());
        out.extend_from_slice(&envelope[..FIXED_LEN]);
        out.extend_from_slice(entries);
        out.extend_from_slice(&envelope[self.payload_start..]);
        out
    }
}

/// Parses `count` wrapped-key entries (`u16 id_len, id, u16 key_len, key`), enforcing the
/// header-length limit as it goes.
pub(crate) fn parse_wrapped_entries<'a>(
    r: &mut Reader<'a>,
    count: usize,
    limits: &EnvelopeLimits,
) -> Result<Vec<(&'a [u8], &'a [u8])>> {
    if count == 0 {
        return Err(Error::Malformed("no wrapped keys"));
    }
    if count > limits.max_wrapped_keys {
        return Err(Error::limit(
            "wrapped keys per envelope",
            u64::try_from(limits.max_wrapped_keys).unwrap_or(u64::MAX),
        ));
    }
    let mut wrapped = Vec::with_capacity(count);
    for _ in 0..count {
        let id_len = usize::from(r.u16("truncated wrapped key")?);
        if id_len == 0 || id_len > MAX_KEK_ID_LEN {
            return Err(Error::Malformed("KEK id length out of range"));
        }
        let id = r.take(id_len, "truncated KEK id")?;
        let key_len = usize::from(r.u16("truncated wrapped key")?);
        let key = r.take(key_len, "truncated wrapped key")?;
        if r.position() > limits.max_header_len {
            return Err(header_limit(limits));
        }
        wrapped.push((id, key));
    }
    Ok(wrapped)
}

pub(crate) fn header_limit(limits: &EnvelopeLimits) -> Error {
    Error::limit(
        "envelope header length",
        u64::try_from(limits.max_header_len).unwrap_or(u64::MAX),
    )
}

/// Unwraps the data key with the first KEK that matches an entry by id and succeeds,
/// derives the key schedule with `schedule`, and checks the key commitment in constant
/// time. A data key that fails the commitment means a forged header: fail at once rather
/// than try other wrapped keys.
pub(crate) fn unwrap_committed<K: KeyEncryptionKey, T>(
    wrapped: &[(&[u8], &[u8])],
    keks: &[K],
    context: &[u8],
    commitment: &[u8],
    schedule: impl Fn(&[u8]) -> Result<(T, [u8; COMMITMENT_LEN])>,
) -> Result<(SecretBytes, T)> {
    let mut first_error = None;
    for (kek, key) in unwrap_candidates(wrapped, keks, |k| k.kek_id()) {
        match kek.unwrap_key(key, context) {
            Ok(dek) => {
                let derived = check_commitment(&dek, commitment, &schedule)?;
                return Ok((dek, derived));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(Error::NoUsableKey))
}

/// The (KEK, wrapped key) pairs to try, in envelope order: every KEK whose id equals an
/// entry's id (shared by the sync and async openers, so both match keys alike).
pub(crate) fn unwrap_candidates<'a, K>(
    wrapped: &'a [(&'a [u8], &'a [u8])],
    keks: &'a [K],
    kek_id: impl Fn(&K) -> &str + Copy + 'a,
) -> impl Iterator<Item = (&'a K, &'a [u8])> + 'a {
    wrapped.iter().flat_map(move |&(id, key)| {
        keks.iter()
            .filter(move |k| kek_id(k).as_bytes() == id)
            .map(move |k| (k, key))
    })
}

/// Derives the key schedule of an unwrapped data key and checks the key commitment in
/// constant time.
pub(crate) fn check_commitment<T>(
    dek: &SecretBytes,
    commitment: &[u8],
    schedule: impl Fn(&[u8]) -> Result<(T, [u8; COMMITMENT_LEN])>,
) -> Result<T> {
    if dek.len() != KEY_LEN {
        return Err(Error::DecryptionFailed);
    }
    let (derived, expected) = schedule(dek.expose_secret())?;
    if !bool::from(expected.ct_eq(commitment)) {
        return Err(Error::DecryptionFailed);
    }
    Ok(derived)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Deterministic sealing for known-answer vectors.
    use super::*;

    pub(crate) fn seal_deterministic<K: KeyEncryptionKey>(
        algorithm: Algorithm,
        dek: &SecretBytes,
        salt: &[u8; SALT_LEN],
        keks: &[K],
        counter: u64,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>> {
        let state = data_key_state(algorithm, dek, salt, keks)?;
        seal_with(&state, counter, plaintext, aad)
    }
}
