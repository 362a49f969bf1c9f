//! Envelope and stream headers, computed without I/O: key schedules, key commitment,
//! wrap contexts, header authentication (the version 2 header MAC, the version 3 header
//! tag), header building and parsing under limits.
//!
//! The sync and async front ends ([`Sealer`](super::Sealer), [`AsyncSealer`](super::AsyncSealer),
//! the openers and the stream types) only make the key-encryption-key calls around what
//! this file computes: [`NewHeader`] says which data key to wrap under which context and
//! collects the wrapped keys; [`ParsedHeader`] says which wrapped keys to try and checks an
//! unwrapped data key. Byte layouts: `docs/FORMAT.md` sections 3 and 5.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::kek::MAX_KEK_ID_LEN;
use crate::backend::{AeadKey, Algorithm, KEY_LEN, TAG_LEN};
use crate::encoding::{Reader, put_u16_prefixed};
use crate::kdf::{HmacSha256, hkdf_expand_labeled, hkdf_labeled};
use crate::secret::SecretBytes;
use crate::{Error, Result, rand};

/// The four magic bytes that open every envelope: `PKEV`.
pub(crate) const ENVELOPE_MAGIC: [u8; 4] = *b"PKEV";
/// The four magic bytes that open every stream: `PKST`.
pub(crate) const STREAM_MAGIC: [u8; 4] = *b"PKST";
/// Version 1: wrapped-key entries not authenticated (read, never written).
pub(crate) const V1: u8 = 1;
/// Version 2: every header byte authenticated by the header MAC (streams are written in
/// it; envelopes only by a re-wrap of a version 1 or 2 envelope).
pub(crate) const V2: u8 = 2;
/// Version 3, envelopes only: no salt, an Expand-only key schedule, the header
/// authenticated by a tag of the payload AEAD (written by every sealer).
pub(crate) const V3: u8 = 3;
pub(crate) const SALT_LEN: usize = 32;
pub(crate) const COMMITMENT_LEN: usize = 32;
pub(crate) const MAC_LEN: usize = 32;
/// Bytes of the header tag of a version 3 envelope (an AEAD tag).
pub(crate) const HEADER_TAG_LEN: usize = TAG_LEN;
/// The bit that tells a version 3 header nonce (set) from a payload nonce (clear): the
/// high bit of the nonce's first byte.
const HEADER_NONCE_BIT: u8 = 0x80;
/// Bytes of the ciphertext-length field of a version 2 envelope.
pub(crate) const LENGTH_LEN: usize = 8;
/// Most key-encryption keys one envelope or stream can name (the count is one byte).
pub const MAX_WRAPPED_KEYS: usize = 255;
/// Smallest segment size accepted (plaintext bytes per segment).
pub const MIN_SEGMENT_SIZE: u32 = 64;
/// Largest segment size accepted (16 MiB).
pub const MAX_SEGMENT_SIZE: u32 = 16 << 20;
/// Default segment size: 64 KiB (as age). Per-segment overhead is 16 bytes (0.02 %), and a
/// reader holds one segment in memory.
pub const DEFAULT_SEGMENT_SIZE: u32 = 64 << 10;
/// Longest stream nonce prefix: a 24-byte nonce minus the index and the last-segment flag.
pub(crate) const MAX_PREFIX_LEN: usize = 19;

/// Limits applied when opening untrusted envelopes and streams. Each is checked before
/// any allocation that depends on it, and a violation is [`Error::LimitExceeded`].
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
    /// Most bytes of header: everything before the payload (default 64 KiB).
    pub max_header_len: usize,
    /// Most bytes of envelope in total (default 1 GiB; streams have no total limit).
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

    fn header_limit(&self) -> Error {
        Error::limit("envelope header length", to_u64(self.max_header_len))
    }
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// What a header introduces: one envelope payload, or a stream of segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Envelope,
    Stream { segment_size: u32 },
}

impl Kind {
    fn magic(self) -> [u8; 4] {
        match self {
            Kind::Envelope => ENVELOPE_MAGIC,
            Kind::Stream { .. } => STREAM_MAGIC,
        }
    }

    /// Bytes before the nonce prefix (streams) or the wrapped-key count (version 1 and 2
    /// envelopes).
    fn fixed_len(self) -> usize {
        match self {
            Kind::Envelope => 4 + 1 + 1 + SALT_LEN + COMMITMENT_LEN,
            Kind::Stream { .. } => 4 + 1 + 1 + 4 + SALT_LEN + COMMITMENT_LEN,
        }
    }

    /// Offset of the header nonce of a version 3 envelope: after magic, version,
    /// algorithm and commitment.
    const fn fixed_len_v3(self) -> usize {
        4 + 1 + 1 + COMMITMENT_LEN
    }
}

/// The version privkit writes for new headers of `kind`.
fn written_version(kind: Kind) -> u8 {
    match kind {
        Kind::Envelope => V3,
        Kind::Stream { .. } => V2,
    }
}

/// Bytes of a stream's nonce prefix: the nonce minus the 4-byte index and the flag.
pub(crate) fn prefix_len(algorithm: Algorithm) -> usize {
    algorithm.nonce_len() - 5
}

pub(crate) fn check_segment_size(segment_size: u32) -> Result<()> {
    if (MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&segment_size) {
        Ok(())
    } else {
        Err(Error::invalid_argument(format_args!(
            "segment size {segment_size} is out of range: must be \
             {MIN_SEGMENT_SIZE}..={MAX_SEGMENT_SIZE} bytes"
        )))
    }
}

/// The keys one data key yields: the payload (or segment) cipher, the commitment stored in
/// the header, and (version 2) the header MAC key. Version 3 has no MAC key: its header
/// tag is made with the payload cipher.
pub(crate) struct Schedule {
    pub(crate) cipher: AeadKey,
    pub(crate) commitment: [u8; COMMITMENT_LEN],
    /// Versions 1 and 2 and streams; `None` in version 3 (nothing to derive or wipe).
    mac_key: Option<Zeroizing<[u8; MAC_LEN]>>,
}

/// The first label of the version 3 envelope key schedule (`docs/FORMAT.md` 3.1): short
/// enough that the info (16 bytes with the algorithm id) and the first output block fit
/// the second block's inner hash in one SHA-256 block, so the schedule costs 6
/// compressions (a 19-byte label cost 7).
const V3_SCHEDULE_LABEL: &[u8] = b"PKEV v3";

/// The key schedule (`docs/FORMAT.md` 3.1 and 5.2).
///
/// Versions 1 and 2, and streams: HKDF-Extract with the header's salt, then one
/// HKDF-Expand of 96 bytes giving the payload (or segment) key, the commitment and the
/// header MAC key. HKDF output is a prefix-stable stream, so the first 64 bytes are version
/// 1's payload key and commitment: re-wrapping a version 1 envelope adds the MAC without
/// touching the payload.
///
/// Version 3: the data key is 32 uniformly random bytes, a valid HKDF pseudorandom key
/// (RFC 5869 section 3.3), so there is no Extract and no salt: one HKDF-Expand of 64 bytes
/// gives the payload key and the commitment (6 SHA-256 compressions instead of 14).
fn schedule(
    kind: Kind,
    version: u8,
    algorithm: Algorithm,
    data_key: &[u8],
    salt: &[u8],
    aad: &[u8],
) -> Result<Schedule> {
    let alg = [algorithm.id()];
    if kind == Kind::Envelope && version == V3 {
        if data_key.len() != KEY_LEN {
            return Err(Error::DecryptionFailed);
        }
        // Only the 64 bytes version 3 derives are held (and wiped on drop): the 96-byte
        // buffer of the other versions and a zero MAC key cost 64 volatile stores more
        // per message (callgrind).
        let mut okm = Zeroizing::new([0u8; KEY_LEN + COMMITMENT_LEN]);
        hkdf_expand_labeled(data_key, &[V3_SCHEDULE_LABEL, &alg], &mut *okm)?;
        let mut commitment = [0u8; COMMITMENT_LEN];
        commitment.copy_from_slice(&okm[KEY_LEN..]);
        return Ok(Schedule {
            cipher: AeadKey::new(algorithm, &okm[..KEY_LEN])?,
            commitment,
            mac_key: None,
        });
    }
    let mut okm = Zeroizing::new([0u8; KEY_LEN + COMMITMENT_LEN + MAC_LEN]);
    match kind {
        Kind::Envelope => hkdf_labeled(
            salt,
            data_key,
            &[b"privkit envelope", &[V1], &alg],
            &mut *okm,
        )?,
        Kind::Stream { segment_size } => hkdf_labeled(
            salt,
            data_key,
            &[
                b"privkit stream",
                &[V1],
                &alg,
                &segment_size.to_be_bytes(),
                aad,
            ],
            &mut *okm,
        )?,
    }
    let mut commitment = [0u8; COMMITMENT_LEN];
    commitment.copy_from_slice(&okm[KEY_LEN..KEY_LEN + COMMITMENT_LEN]);
    let mut mac_key = Zeroizing::new([0u8; MAC_LEN]);
    mac_key.copy_from_slice(&okm[KEY_LEN + COMMITMENT_LEN..]);
    Ok(Schedule {
        cipher: AeadKey::new(algorithm, &okm[..KEY_LEN])?,
        commitment,
        mac_key: Some(mac_key),
    })
}

/// A wrap context, encoded in place: the longest (a stream's: seven labels, 111 bytes of
/// them) fits, so building one allocates nothing.
#[derive(Clone)]
pub(crate) struct WrapContext {
    bytes: [u8; 160],
    len: usize,
}

impl WrapContext {
    fn new(labels: &[&[u8]]) -> Result<Self> {
        let mut bytes = [0u8; 160];
        let mut len = 0;
        for label in labels {
            let end = len + 4 + label.len();
            if end > bytes.len() {
                // Cannot happen: the contexts below have fixed sizes that fit.
                return Err(Error::InvalidOperation("wrap context too long".into()));
            }
            let n = u32::try_from(label.len()).unwrap_or(u32::MAX);
            bytes[len..len + 4].copy_from_slice(&n.to_be_bytes());
            bytes[len + 4..end].copy_from_slice(label);
            len = end;
        }
        Ok(Self { bytes, len })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The context every wrapping of a data key binds (`docs/FORMAT.md` 3.3, 5.2): the
/// version, the algorithm, the salt (not in version 3, which has none), the commitment
/// and, for streams, the segment size and the nonce prefix. A wrapped key moved to another
/// header fails to unwrap.
fn wrap_context(
    kind: Kind,
    version: u8,
    algorithm: Algorithm,
    salt: &[u8],
    commitment: &[u8],
    prefix: &[u8],
) -> Result<WrapContext> {
    let alg = [algorithm.id()];
    match kind {
        Kind::Envelope if version == V3 => {
            WrapContext::new(&[b"privkit envelope wrap", &[version], &alg, commitment])
        }
        Kind::Envelope => {
            WrapContext::new(&[b"privkit envelope wrap", &[version], &alg, salt, commitment])
        }
        Kind::Stream { segment_size } => WrapContext::new(&[
            b"privkit stream wrap",
            &[version],
            &alg,
            &segment_size.to_be_bytes(),
            salt,
            commitment,
            prefix,
        ]),
    }
}

fn header_mac(key: &[u8; MAC_LEN], header: &[u8]) -> [u8; MAC_LEN] {
    HmacSha256::new(key).mac(header)
}

/// The header tag of a version 3 envelope (`docs/FORMAT.md` 3.2): the payload AEAD under
/// the payload key, with the header nonce, the header bytes `0..P` as associated data and
/// an empty plaintext.
fn header_tag(cipher: &AeadKey, nonce: &[u8], header: &[u8]) -> Result<[u8; HEADER_TAG_LEN]> {
    cipher.seal_in_place(nonce, header, &mut [])
}

/// Fresh random material for a new header: the data key and, as the header's kind and
/// version need, the salt and nonce prefix (streams) or the header nonce (version 3
/// envelopes), from one call to the thread's generator.
pub(crate) struct Material {
    pub(crate) data_key: SecretBytes,
    /// Streams and version 1 and 2 envelopes; unused (zero) in version 3.
    pub(crate) salt: [u8; SALT_LEN],
    /// Streams: the nonce prefix (its first `prefix_len` bytes).
    pub(crate) prefix: [u8; MAX_PREFIX_LEN],
    /// Version 3 envelopes: the header nonce (its first `nonce_len` bytes; the high bit is
    /// set when the header is built).
    pub(crate) header_nonce: [u8; 24],
}

impl Material {
    /// Material for a new stream: data key, salt and nonce prefix.
    pub(crate) fn random() -> Result<Self> {
        // From the thread's generator (seeded from the operating system; see
        // `rand::fill_message`): a system call per message cost more than the rest of
        // sealing a small one.
        let mut random = Zeroizing::new([0u8; KEY_LEN + SALT_LEN + MAX_PREFIX_LEN]);
        rand::fill_message(&mut *random)?;
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&random[KEY_LEN..KEY_LEN + SALT_LEN]);
        let mut prefix = [0u8; MAX_PREFIX_LEN];
        prefix.copy_from_slice(&random[KEY_LEN + SALT_LEN..]);
        Ok(Self {
            data_key: SecretBytes::from_slice(&random[..KEY_LEN]),
            salt,
            prefix,
            header_nonce: [0u8; 24],
        })
    }

    /// Material for a new version 3 envelope of `algorithm`: the data key and the header
    /// nonce, and nothing else drawn (56 bytes at most).
    pub(crate) fn envelope(algorithm: Algorithm) -> Result<Self> {
        let n = algorithm.nonce_len();
        let mut random = Zeroizing::new([0u8; KEY_LEN + 24]);
        rand::fill_message(&mut random[..KEY_LEN + n])?;
        let mut header_nonce = [0u8; 24];
        header_nonce[..n].copy_from_slice(&random[KEY_LEN..KEY_LEN + n]);
        Ok(Self {
            data_key: SecretBytes::from_slice(&random[..KEY_LEN]),
            salt: [0u8; SALT_LEN],
            prefix: [0u8; MAX_PREFIX_LEN],
            header_nonce,
        })
    }
}

/// A header being built: the data key to wrap, the context to bind, and the wrapped-key
/// entries collected so far. The front ends call each KEK with [`data_key`](Self::data_key)
/// and [`wrap_context`](Self::wrap_context), hand the result to
/// [`push_wrapped`](Self::push_wrapped), then [`finish`](Self::finish).
pub(crate) struct NewHeader {
    data_key: SecretBytes,
    version: u8,
    bytes: Vec<u8>,
    context: WrapContext,
    schedule: Schedule,
    expected: usize,
    pushed: usize,
}

/// A finished header and the cipher of its payload or segments.
pub(crate) struct Finished {
    /// The header bytes, header MAC or tag included.
    pub(crate) bytes: Vec<u8>,
    pub(crate) cipher: AeadKey,
}

impl NewHeader {
    /// A header of the version privkit writes for `kind` (version 3 for envelopes, 2 for
    /// streams) for `material` under `keks` key-encryption keys. `aad` enters the stream
    /// key schedule (envelopes bind it per message instead).
    pub(crate) fn new(
        kind: Kind,
        algorithm: Algorithm,
        material: Material,
        keks: usize,
        aad: &[u8],
    ) -> Result<Self> {
        Self::versioned(
            kind,
            written_version(kind),
            algorithm,
            material,
            keks,
            aad,
            0,
        )
    }

    /// A version 3 envelope header for a fresh data key, whose buffer also has room for a
    /// message of `plaintext_len` bytes after it ([`seal_message_after`]): one allocation
    /// for the whole envelope when the data key is not cached.
    pub(crate) fn for_message(
        algorithm: Algorithm,
        keks: usize,
        plaintext_len: usize,
    ) -> Result<Self> {
        let room = LENGTH_LEN + algorithm.nonce_len() + plaintext_len + TAG_LEN;
        let material = Material::envelope(algorithm)?;
        Self::versioned(Kind::Envelope, V3, algorithm, material, keks, b"", room)
    }

    /// A version 3 envelope header for a fresh data key (a data-key cache's entry).
    pub(crate) fn for_envelope(algorithm: Algorithm, keks: usize) -> Result<Self> {
        let material = Material::envelope(algorithm)?;
        Self::versioned(Kind::Envelope, V3, algorithm, material, keks, b"", 0)
    }

    /// A header of `version` (the vectors write version 2 envelopes this way too);
    /// `room` more bytes are reserved after it.
    pub(crate) fn versioned(
        kind: Kind,
        version: u8,
        algorithm: Algorithm,
        material: Material,
        keks: usize,
        aad: &[u8],
        room: usize,
    ) -> Result<Self> {
        if keks == 0 || keks > MAX_WRAPPED_KEYS {
            return Err(Error::invalid_argument(format_args!(
                "{keks} key-encryption keys: a header names 1 to {MAX_WRAPPED_KEYS}"
            )));
        }
        let supported = match kind {
            Kind::Envelope => version == V2 || version == V3,
            Kind::Stream { segment_size } => {
                check_segment_size(segment_size)?;
                version == V2
            }
        };
        if !supported {
            return Err(Error::InvalidOperation(format!(
                "privkit does not write version {version} of this header"
            )));
        }
        let Material {
            data_key,
            salt,
            prefix,
            mut header_nonce,
        } = material;
        let schedule = schedule(
            kind,
            version,
            algorithm,
            data_key.expose_secret(),
            &salt,
            aad,
        )?;
        let prefix = match kind {
            Kind::Envelope => &[][..],
            Kind::Stream { .. } => &prefix[..prefix_len(algorithm)],
        };
        // Room for entries of a typical size (a short KEK id, a local KEK's 66-byte wrapped
        // key), the MAC or tag and `room`; longer ones grow the buffer.
        let mut bytes =
            Vec::with_capacity(kind.fixed_len() + prefix.len() + 1 + keks * 96 + MAC_LEN + room);
        bytes.extend_from_slice(&kind.magic());
        bytes.push(version);
        bytes.push(algorithm.id());
        if let Kind::Stream { segment_size } = kind {
            bytes.extend_from_slice(&segment_size.to_be_bytes());
        }
        if version == V3 {
            bytes.extend_from_slice(&schedule.commitment);
            header_nonce[0] |= HEADER_NONCE_BIT;
            bytes.extend_from_slice(&header_nonce[..algorithm.nonce_len()]);
        } else {
            bytes.extend_from_slice(&salt);
            bytes.extend_from_slice(&schedule.commitment);
            bytes.extend_from_slice(prefix);
        }
        // Checked above: 1..=255.
        bytes.push(u8::try_from(keks).unwrap_or(u8::MAX));
        let context = wrap_context(
            kind,
            version,
            algorithm,
            &salt,
            &schedule.commitment,
            prefix,
        )?;
        Ok(Self {
            data_key,
            version,
            bytes,
            context,
            schedule,
            expected: keks,
            pushed: 0,
        })
    }

    /// A header for the data key of an opened envelope header, with new wrapped keys
    /// (re-wrap): the algorithm and commitment are kept, so the payload stays valid. A
    /// version 3 envelope gets a version 3 header with a new header nonce; a version 1 or
    /// 2 envelope a version 2 header with the same salt (its key schedule needs it).
    pub(crate) fn rewrap(
        opened: &ParsedHeader<'_>,
        data_key: SecretBytes,
        keks: usize,
    ) -> Result<Self> {
        // The stream schedule binds the stream's associated data; streams are not
        // re-wrapped, so only envelopes come here.
        if opened.kind != Kind::Envelope {
            return Err(Error::InvalidOperation("streams are not re-wrapped".into()));
        }
        let mut material = Material {
            data_key,
            salt: [0u8; SALT_LEN],
            prefix: [0u8; MAX_PREFIX_LEN],
            header_nonce: [0u8; 24],
        };
        let version = if opened.version == V3 {
            // A fresh header nonce: this data key authenticates one more header.
            rand::fill_message(&mut material.header_nonce[..opened.algorithm.nonce_len()])?;
            V3
        } else {
            material.salt.copy_from_slice(opened.salt);
            V2
        };
        Self::versioned(
            opened.kind,
            version,
            opened.algorithm,
            material,
            keks,
            b"",
            0,
        )
    }

    pub(crate) fn data_key(&self) -> &SecretBytes {
        &self.data_key
    }

    pub(crate) fn wrap_context(&self) -> &[u8] {
        self.context.as_bytes()
    }

    /// Appends one wrapped-key entry: `u16 id_len, id, u16 key_len, key`.
    pub(crate) fn push_wrapped(&mut self, kek_id: &str, wrapped: &[u8]) -> Result<()> {
        let id = kek_id.as_bytes();
        if id.is_empty() || id.len() > MAX_KEK_ID_LEN {
            return Err(Error::invalid_argument(format_args!(
                "KEK id of {} bytes: KEK ids are 1 to {MAX_KEK_ID_LEN} bytes",
                id.len()
            )));
        }
        put_u16_prefixed(&mut self.bytes, id, "KEK id length")?;
        put_u16_prefixed(&mut self.bytes, wrapped, "wrapped key length")?;
        self.pushed += 1;
        Ok(())
    }

    /// The header with its MAC (version 2) or tag (version 3), and the payload cipher.
    pub(crate) fn finish(mut self) -> Result<Finished> {
        if self.pushed != self.expected {
            return Err(Error::InvalidOperation(format!(
                "{} wrapped keys for a header that names {}",
                self.pushed, self.expected
            )));
        }
        if self.version == V3 {
            let n = self.schedule.cipher.algorithm().nonce_len();
            let at = Kind::Envelope.fixed_len_v3();
            let tag = header_tag(&self.schedule.cipher, &self.bytes[at..at + n], &self.bytes)?;
            self.bytes.extend_from_slice(&tag);
        } else {
            let Some(mac_key) = &self.schedule.mac_key else {
                return Err(Error::InvalidOperation(
                    "a version 2 header without a MAC key".into(),
                ));
            };
            let mac = header_mac(mac_key, &self.bytes);
            self.bytes.extend_from_slice(&mac);
        }
        Ok(Finished {
            bytes: self.bytes,
            cipher: self.schedule.cipher,
        })
    }
}

/// A parsed header, borrowed from its bytes. Structure and limits are checked; nothing is
/// authenticated until [`accept`](Self::accept) has a data key.
pub(crate) struct ParsedHeader<'a> {
    pub(crate) kind: Kind,
    pub(crate) version: u8,
    pub(crate) algorithm: Algorithm,
    /// Empty in version 3.
    salt: &'a [u8],
    commitment: &'a [u8],
    pub(crate) prefix: &'a [u8],
    /// Version 3 only (empty otherwise).
    header_nonce: &'a [u8],
    entries: Vec<(&'a [u8], &'a [u8])>,
    /// The bytes the header MAC (version 2) or tag (version 3) covers, and the MAC or tag.
    signed: &'a [u8],
    mac: Option<&'a [u8]>,
    /// Header length in bytes, MAC or tag included.
    pub(crate) len: usize,
    context: WrapContext,
}

/// How many more bytes a stream header needs, given its first `have` bytes: 0 when it is
/// complete. Checks the fixed fields as soon as they are in, and every limit before asking
/// for more bytes (the blocking and async readers both call it).
pub(crate) fn stream_header_needs(have: &[u8], limits: &EnvelopeLimits) -> Result<usize> {
    let need = |upto: usize| {
        if upto > limits.max_header_len {
            Err(limits.header_limit())
        } else {
            Ok(upto.saturating_sub(have.len()))
        }
    };
    let fixed = Kind::Stream { segment_size: 0 }.fixed_len();
    if have.len() < fixed {
        // The magic, version and algorithm are checked as soon as they arrive, so bytes
        // that are not a stream fail at once.
        if have.len() >= 6 {
            check_start(have, Kind::Stream { segment_size: 0 })?;
        }
        return need(fixed);
    }
    let (version, algorithm) = check_start(have, Kind::Stream { segment_size: 0 })?;
    let segment_size = u32::from_be_bytes([have[6], have[7], have[8], have[9]]);
    if check_segment_size(segment_size).is_err() {
        return Err(Error::Malformed("stream segment size out of range"));
    }
    let mut pos = fixed + prefix_len(algorithm) + 1;
    if have.len() < pos {
        return need(pos);
    }
    let count = usize::from(have[pos - 1]);
    check_count(count, limits)?;
    // Each entry: u16 id length, id, u16 key length, key.
    for _ in 0..count * 2 {
        if have.len() < pos + 2 {
            return need(pos + 2);
        }
        pos += 2 + usize::from(u16::from_be_bytes([have[pos], have[pos + 1]]));
        if have.len() < pos {
            return need(pos);
        }
    }
    if version == V2 {
        pos += MAC_LEN;
    }
    need(pos)
}

/// Checks magic, version and algorithm; returns the version and algorithm.
fn check_start(bytes: &[u8], kind: Kind) -> Result<(u8, Algorithm)> {
    let mut r = Reader::new(bytes);
    if r.take(4, "truncated magic")? != kind.magic() {
        return Err(Error::Malformed(match kind {
            Kind::Envelope => "not an envelope (bad magic)",
            Kind::Stream { .. } => "not a stream (bad magic)",
        }));
    }
    let version = r.u8("truncated header")?;
    let known = match kind {
        Kind::Envelope => version == V1 || version == V2 || version == V3,
        Kind::Stream { .. } => version == V1 || version == V2,
    };
    if !known {
        return Err(Error::UnsupportedVersion(version));
    }
    let algorithm = Algorithm::from_id(r.u8("truncated header")?)?;
    Ok((version, algorithm))
}

fn check_count(count: usize, limits: &EnvelopeLimits) -> Result<()> {
    if count == 0 {
        return Err(Error::Malformed("no wrapped keys"));
    }
    if count > limits.max_wrapped_keys {
        return Err(Error::limit(
            "wrapped keys per envelope",
            to_u64(limits.max_wrapped_keys),
        ));
    }
    Ok(())
}

impl<'a> ParsedHeader<'a> {
    /// Parses the header at the start of `bytes` (an envelope, or a stream header as
    /// [`stream_header_needs`] delimited it). For envelopes the caller checks what follows.
    pub(crate) fn parse(bytes: &'a [u8], stream: bool, limits: &EnvelopeLimits) -> Result<Self> {
        let probe = if stream {
            Kind::Stream { segment_size: 0 }
        } else {
            Kind::Envelope
        };
        let (version, algorithm) = check_start(bytes, probe)?;
        let mut r = Reader::new(bytes);
        r.take(6, "truncated header")?;
        let kind = if stream {
            let segment_size = r.u32("truncated header")?;
            if check_segment_size(segment_size).is_err() {
                return Err(Error::Malformed("stream segment size out of range"));
            }
            Kind::Stream { segment_size }
        } else {
            Kind::Envelope
        };
        let (salt, commitment, header_nonce) = if version == V3 {
            let commitment = r.take(COMMITMENT_LEN, "truncated commitment")?;
            let nonce = r.take(algorithm.nonce_len(), "truncated header nonce")?;
            if nonce[0] & HEADER_NONCE_BIT == 0 {
                return Err(Error::Malformed("header nonce without its high bit"));
            }
            (&[][..], commitment, nonce)
        } else {
            let salt = r.take(SALT_LEN, "truncated salt")?;
            (
                salt,
                r.take(COMMITMENT_LEN, "truncated commitment")?,
                &[][..],
            )
        };
        let prefix = if stream {
            r.take(prefix_len(algorithm), "truncated nonce prefix")?
        } else {
            &[]
        };
        let count = usize::from(r.u8("truncated header")?);
        check_count(count, limits)?;
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            let id_len = usize::from(r.u16("truncated wrapped key")?);
            if id_len == 0 || id_len > MAX_KEK_ID_LEN {
                return Err(Error::Malformed("KEK id length out of range"));
            }
            let id = r.take(id_len, "truncated KEK id")?;
            if std::str::from_utf8(id).is_err() {
                return Err(Error::Malformed("KEK id is not UTF-8"));
            }
            let key_len = usize::from(r.u16("truncated wrapped key")?);
            let key = r.take(key_len, "truncated wrapped key")?;
            if r.position() > limits.max_header_len {
                return Err(limits.header_limit());
            }
            entries.push((id, key));
        }
        let signed_len = r.position();
        let mac = match version {
            V2 => Some(r.take(MAC_LEN, "truncated header MAC")?),
            V3 => Some(r.take(HEADER_TAG_LEN, "truncated header tag")?),
            _ => None,
        };
        let len = r.position();
        if len > limits.max_header_len {
            return Err(limits.header_limit());
        }
        let context = wrap_context(kind, version, algorithm, salt, commitment, prefix)?;
        Ok(Self {
            kind,
            version,
            algorithm,
            salt,
            commitment,
            prefix,
            header_nonce,
            entries,
            signed: &bytes[..signed_len],
            mac,
            len,
            context,
        })
    }

    /// The context the wrapped keys were bound to.
    pub(crate) fn wrap_context(&self) -> &[u8] {
        self.context.as_bytes()
    }

    /// The `(index in keks, wrapped key)` pairs to try, in envelope order: every KEK whose
    /// id equals an entry's id.
    pub(crate) fn candidates<'k, K>(
        &'k self,
        keks: &'k [K],
        kek_id: impl Fn(&K) -> &str + Copy + 'k,
    ) -> impl Iterator<Item = (usize, &'a [u8])> + 'k {
        self.entries.iter().flat_map(move |&(id, key)| {
            keks.iter()
                .enumerate()
                .filter(move |(_, k)| kek_id(k).as_bytes() == id)
                .map(move |(i, _)| (i, key))
        })
    }

    /// Checks an unwrapped data key: the key commitment (in constant time), then the
    /// header MAC (version 2, in constant time) or the header tag (version 3, by the
    /// AEAD). Returns the payload or segment cipher.
    ///
    /// A data key that fails either check means a forged header: callers fail at once
    /// rather than try other wrapped keys.
    pub(crate) fn accept(&self, data_key: &SecretBytes, aad: &[u8]) -> Result<AeadKey> {
        if data_key.len() != KEY_LEN {
            return Err(Error::DecryptionFailed);
        }
        let schedule = schedule(
            self.kind,
            self.version,
            self.algorithm,
            data_key.expose_secret(),
            self.salt,
            aad,
        )?;
        if !bool::from(schedule.commitment.ct_eq(self.commitment)) {
            return Err(Error::DecryptionFailed);
        }
        if self.version == V3 {
            let tag = self.mac.ok_or(Error::DecryptionFailed)?;
            schedule
                .cipher
                .open_in_place(self.header_nonce, self.signed, &mut [], tag)?;
            return Ok(schedule.cipher);
        }
        if let Some(mac) = self.mac {
            let key = schedule
                .mac_key
                .as_ref()
                .ok_or_else(|| Error::DecryptionFailed)?;
            let expected = header_mac(key, self.signed);
            if !bool::from(expected.ct_eq(mac)) {
                return Err(Error::DecryptionFailed);
            }
        }
        Ok(schedule.cipher)
    }
}

/// The nonce of message `counter` under one envelope data key: the counter as a
/// big-endian integer right-aligned in the nonce.
fn counter_nonce(algorithm: Algorithm, counter: u64) -> ([u8; 24], usize) {
    let n = algorithm.nonce_len();
    let mut nonce = [0u8; 24];
    nonce[n - 8..n].copy_from_slice(&counter.to_be_bytes());
    (nonce, n)
}

/// One envelope message under a finished header: `header | u64 ciphertext length |
/// nonce | ciphertext | tag`.
pub(crate) fn seal_message(
    header: &Finished,
    counter: u64,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let nonce_len = header.cipher.algorithm().nonce_len();
    let mut out =
        Vec::with_capacity(header.bytes.len() + LENGTH_LEN + nonce_len + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&header.bytes);
    append_message(&header.cipher, &mut out, counter, plaintext, aad)?;
    Ok(out)
}

/// The only message under `header` (a data key that is not cached): written after the
/// header in its own buffer, which [`NewHeader::for_message`] sized for it.
pub(crate) fn seal_message_after(
    header: Finished,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let Finished { mut bytes, cipher } = header;
    append_message(&cipher, &mut bytes, 0, plaintext, aad)?;
    Ok(bytes)
}

/// Appends `u64 ciphertext length | nonce | ciphertext | tag` of message `counter`.
fn append_message(
    cipher: &AeadKey,
    out: &mut Vec<u8>,
    counter: u64,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<()> {
    let (nonce, nonce_len) = counter_nonce(cipher.algorithm(), counter);
    let nonce = &nonce[..nonce_len];
    out.reserve(LENGTH_LEN + nonce_len + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&to_u64(plaintext.len()).to_be_bytes());
    out.extend_from_slice(nonce);
    let body = out.len();
    out.extend_from_slice(plaintext);
    let tag = cipher.seal_in_place(nonce, aad, &mut out[body..])?;
    out.extend_from_slice(&tag);
    Ok(())
}

/// A parsed envelope: its header and where the payload is.
pub(crate) struct ParsedEnvelope<'a> {
    pub(crate) header: ParsedHeader<'a>,
    /// Offset of the payload nonce.
    nonce_start: usize,
    bytes: &'a [u8],
}

impl<'a> ParsedEnvelope<'a> {
    /// Parses a whole envelope of any version under `limits` (`docs/FORMAT.md` 3.5).
    pub(crate) fn parse(bytes: &'a [u8], limits: &EnvelopeLimits) -> Result<Self> {
        if bytes.len() > limits.max_envelope_len {
            return Err(Error::limit(
                "envelope length",
                to_u64(limits.max_envelope_len),
            ));
        }
        let header = ParsedHeader::parse(bytes, false, limits)?;
        let nonce_len = header.algorithm.nonce_len();
        let mut r = Reader::new(bytes);
        r.take(header.len, "truncated header")?;
        if header.version != V1 {
            let declared = u64::from_be_bytes(r.array("truncated ciphertext length")?);
            if header.len + LENGTH_LEN + nonce_len > limits.max_header_len {
                return Err(limits.header_limit());
            }
            let nonce_start = r.position();
            let nonce = r.take(nonce_len, "truncated nonce")?;
            // Version 3 payload nonces are counters, high bit clear: one with the bit set
            // could be the header nonce, and the header tag a forged empty payload.
            if header.version == V3 && nonce[0] & HEADER_NONCE_BIT != 0 {
                return Err(Error::Malformed("payload nonce with the high bit set"));
            }
            let actual = r.rest().len().checked_sub(TAG_LEN);
            match actual.map(to_u64) {
                Some(n) if n == declared => {}
                Some(n) if n > declared => {
                    return Err(Error::Malformed("bytes after the envelope's payload"));
                }
                _ => {
                    return Err(Error::Malformed(
                        "envelope truncated: shorter than its declared ciphertext length",
                    ));
                }
            }
            return Ok(Self {
                header,
                nonce_start,
                bytes,
            });
        }
        if header.len + nonce_len > limits.max_header_len {
            return Err(limits.header_limit());
        }
        r.take(nonce_len, "truncated nonce")?;
        if r.rest().len() < TAG_LEN {
            return Err(Error::Malformed("payload shorter than its tag"));
        }
        let nonce_start = header.len;
        Ok(Self {
            header,
            nonce_start,
            bytes,
        })
    }

    /// Decrypts the payload with the cipher of the accepted data key.
    pub(crate) fn open_payload(&self, cipher: &AeadKey, aad: &[u8]) -> Result<Vec<u8>> {
        let nonce_end = self.nonce_start + self.header.algorithm.nonce_len();
        let nonce = &self.bytes[self.nonce_start..nonce_end];
        let body = &self.bytes[nonce_end..];
        // parse guarantees body.len() >= TAG_LEN
        let ct_len = body.len() - TAG_LEN;
        let mut out = body[..ct_len].to_vec();
        cipher.open_in_place(nonce, aad, &mut out, &body[ct_len..])?;
        Ok(out)
    }

    /// The envelope with `header` (a finished re-wrap) in place of its own: the ciphertext
    /// length, nonce, ciphertext and tag are kept byte for byte. A version 1 envelope
    /// becomes version 2 (it gains the header MAC and the length field); versions 2 and 3
    /// stay what they were.
    pub(crate) fn splice(&self, header: &Finished) -> Vec<u8> {
        let payload = &self.bytes[self.nonce_start..];
        let mut out = Vec::with_capacity(header.bytes.len() + LENGTH_LEN + payload.len());
        out.extend_from_slice(&header.bytes);
        let ct_len = payload.len() - self.header.algorithm.nonce_len() - TAG_LEN;
        out.extend_from_slice(&to_u64(ct_len).to_be_bytes());
        out.extend_from_slice(payload);
        out
    }
}

/// The plaintext's length, if `algorithm` accepts it in one message.
pub(crate) fn plaintext_len(algorithm: Algorithm, plaintext: &[u8]) -> Result<u64> {
    let len = to_u64(plaintext.len());
    if len > algorithm.max_plaintext_len() {
        return Err(Error::limit(
            "plaintext length",
            algorithm.max_plaintext_len(),
        ));
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn finished(kind: Kind, keks: &[&str]) -> Finished {
        let mut h = NewHeader::new(
            kind,
            Algorithm::Aes256Gcm,
            Material::random().unwrap(),
            keks.len(),
            b"",
        )
        .unwrap();
        for id in keks {
            h.push_wrapped(id, b"wrapped").unwrap();
        }
        h.finish().unwrap()
    }

    #[test]
    fn stream_header_needs_delimits_a_v2_header() {
        let h = finished(Kind::Stream { segment_size: 64 }, &["a", "bb"]);
        let limits = EnvelopeLimits::default();
        let mut have = Vec::new();
        loop {
            let n = stream_header_needs(&have, &limits).unwrap();
            if n == 0 {
                break;
            }
            have.extend_from_slice(&h.bytes[have.len()..have.len() + n]);
        }
        assert_eq!(have, h.bytes);
        let parsed = ParsedHeader::parse(&have, true, &limits).unwrap();
        assert_eq!(parsed.len, h.bytes.len());
    }

    #[test]
    fn fail_version_3_is_for_envelopes_only() {
        let stream = Kind::Stream { segment_size: 64 };
        let material = Material::random().unwrap();
        assert!(matches!(
            NewHeader::versioned(stream, V3, Algorithm::Aes256Gcm, material, 1, b"", 0),
            Err(Error::InvalidOperation(_))
        ));
        let mut bytes = finished(stream, &["a"]).bytes;
        assert_eq!(bytes[4], V2);
        bytes[4] = V3;
        let limits = EnvelopeLimits::default();
        assert!(matches!(
            ParsedHeader::parse(&bytes, true, &limits),
            Err(Error::UnsupportedVersion(3))
        ));
        assert!(matches!(
            stream_header_needs(&bytes, &limits),
            Err(Error::UnsupportedVersion(3))
        ));
    }

    #[test]
    fn version_3_header_nonce_has_its_high_bit_and_the_tag_covers_the_header() {
        for alg in Algorithm::ALL {
            let material = Material::envelope(alg).unwrap();
            let mut h = NewHeader::versioned(Kind::Envelope, V3, alg, material, 1, b"", 0).unwrap();
            let dk = h.data_key().clone();
            h.push_wrapped("a", b"wrapped").unwrap();
            let h = h.finish().unwrap();
            let n = alg.nonce_len();
            assert_eq!(h.bytes[38] & HEADER_NONCE_BIT, HEADER_NONCE_BIT);
            assert_eq!(h.bytes.len(), 38 + n + 1 + 2 + 1 + 2 + 7 + HEADER_TAG_LEN);
            let parsed = ParsedHeader::parse(&h.bytes, false, &EnvelopeLimits::default()).unwrap();
            assert!(parsed.accept(&dk, b"").is_ok());
            let other = SecretBytes::random(32).unwrap();
            assert!(matches!(
                parsed.accept(&other, b""),
                Err(Error::DecryptionFailed)
            ));
        }
    }

    #[test]
    fn fail_wrong_count_of_wrapped_keys() {
        let mut h = NewHeader::new(
            Kind::Envelope,
            Algorithm::Aes256Gcm,
            Material::random().unwrap(),
            2,
            b"",
        )
        .unwrap();
        h.push_wrapped("a", b"k").unwrap();
        assert!(matches!(h.finish(), Err(Error::InvalidOperation(_))));
        assert!(matches!(
            NewHeader::new(
                Kind::Envelope,
                Algorithm::Aes256Gcm,
                Material::random().unwrap(),
                0,
                b""
            ),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn fail_kek_id_not_utf8() {
        let h = finished(Kind::Envelope, &["ab"]);
        let mut bytes = h.bytes.clone();
        assert_eq!(bytes[4], V3);
        // The id starts after the fixed fields (version 3, AES-256-GCM: 38 bytes and the
        // 12-byte header nonce), the count and the id length.
        bytes[50 + 1 + 2] = 0xff;
        assert!(matches!(
            ParsedHeader::parse(&bytes, false, &EnvelopeLimits::default()),
            Err(Error::Malformed("KEK id is not UTF-8"))
        ));
    }
}

/// What an envelope's header says, read without any key (nothing here is authenticated
/// until the envelope is opened): which KEKs can open it, the payload algorithm, the
/// format version.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvelopeInfo {
    /// The format version (3; 2 or 1 for envelopes written before version 3).
    pub version: u8,
    /// The payload's algorithm.
    pub algorithm: Algorithm,
    /// The ids of the KEKs that wrapped the data key, in header order.
    pub kek_ids: Vec<String>,
    /// The payload's plaintext length.
    pub plaintext_len: u64,
}

/// Reads an envelope's header without a key (`docs/FORMAT.md` section 3): which KEKs it
/// is wrapped for, so a re-wrap sweep can find the envelopes still under an old KEK
/// (and [`rewrap`](super::rewrap) them). Parsed under the default [`EnvelopeLimits`].
///
/// # Errors
/// As opening does before any key is used: [`Error::Malformed`],
/// [`Error::UnsupportedVersion`], [`Error::UnsupportedAlgorithm`],
/// [`Error::LimitExceeded`].
///
/// # Example
/// ```
/// use privkit::envelope::{self, LocalKek};
///
/// let kek = LocalKek::generate("orders-2026")?;
/// let sealed = envelope::seal(&kek, b"order 17", b"orders/17")?;
/// let info = envelope::inspect(&sealed)?;
/// assert_eq!(info.kek_ids, ["orders-2026"]);
/// assert_eq!(info.plaintext_len, 8);
/// # Ok::<(), privkit::Error>(())
/// ```
pub fn inspect(envelope: &[u8]) -> Result<EnvelopeInfo> {
    let parsed = ParsedEnvelope::parse(envelope, &EnvelopeLimits::default())?;
    let header = &parsed.header;
    let kek_ids = header
        .entries
        .iter()
        .map(|(id, _)| String::from_utf8_lossy(id).into_owned())
        .collect();
    let payload = envelope.len() - parsed.nonce_start - header.algorithm.nonce_len() - TAG_LEN;
    Ok(EnvelopeInfo {
        version: header.version,
        algorithm: header.algorithm,
        kek_ids,
        plaintext_len: to_u64(payload),
    })
}
