//! Envelope and stream headers, computed without I/O: key schedules, key commitment,
//! wrap contexts, the header MAC, header building and parsing under limits.
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
use crate::kdf::{HmacSha256, encode_labels, hkdf_labeled};
use crate::secret::SecretBytes;
use crate::{Error, Result, rand};

/// The four magic bytes that open every envelope: `PKEV`.
pub(crate) const ENVELOPE_MAGIC: [u8; 4] = *b"PKEV";
/// The four magic bytes that open every stream: `PKST`.
pub(crate) const STREAM_MAGIC: [u8; 4] = *b"PKST";
/// Version 1: wrapped-key entries not authenticated (read, never written).
pub(crate) const V1: u8 = 1;
/// Version 2: every header byte authenticated by the header MAC (written).
pub(crate) const V2: u8 = 2;
pub(crate) const SALT_LEN: usize = 32;
pub(crate) const COMMITMENT_LEN: usize = 32;
pub(crate) const MAC_LEN: usize = 32;
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

    /// Bytes before the nonce prefix (streams) or the wrapped-key count (envelopes).
    fn fixed_len(self) -> usize {
        match self {
            Kind::Envelope => 4 + 1 + 1 + SALT_LEN + COMMITMENT_LEN,
            Kind::Stream { .. } => 4 + 1 + 1 + 4 + SALT_LEN + COMMITMENT_LEN,
        }
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
/// the header, and (version 2) the header MAC key.
pub(crate) struct Schedule {
    pub(crate) cipher: AeadKey,
    pub(crate) commitment: [u8; COMMITMENT_LEN],
    mac_key: Zeroizing<[u8; MAC_LEN]>,
}

/// The key schedule (`docs/FORMAT.md` 3.1 and 5.2): one HKDF-Expand of 96 bytes gives
/// the payload (or segment) key, the commitment and the header MAC key. HKDF output is a
/// prefix-stable stream, so the first 64 bytes are version 1's payload key and commitment:
/// re-wrapping a version 1 envelope adds the MAC without touching the payload.
fn schedule(
    kind: Kind,
    algorithm: Algorithm,
    data_key: &[u8],
    salt: &[u8],
    aad: &[u8],
) -> Result<Schedule> {
    let alg = [algorithm.id()];
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
        mac_key,
    })
}

/// The context every wrapping of a data key binds (`docs/FORMAT.md` 3.3, 5.2): the
/// version, the algorithm, the salt, the commitment and, for streams, the segment size and
/// the nonce prefix. A wrapped key moved to another header fails to unwrap.
fn wrap_context(
    kind: Kind,
    version: u8,
    algorithm: Algorithm,
    salt: &[u8],
    commitment: &[u8],
    prefix: &[u8],
) -> Result<Vec<u8>> {
    let alg = [algorithm.id()];
    match kind {
        Kind::Envelope => {
            encode_labels(&[b"privkit envelope wrap", &[version], &alg, salt, commitment])
        }
        Kind::Stream { segment_size } => encode_labels(&[
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

/// Fresh random material for a new header: data key, salt and (streams) nonce prefix, from
/// one call to the operating system.
pub(crate) struct Material {
    pub(crate) data_key: SecretBytes,
    pub(crate) salt: [u8; SALT_LEN],
    pub(crate) prefix: [u8; MAX_PREFIX_LEN],
}

impl Material {
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
        })
    }
}

/// A header being built: the data key to wrap, the context to bind, and the wrapped-key
/// entries collected so far. The front ends call each KEK with [`data_key`](Self::data_key)
/// and [`wrap_context`](Self::wrap_context), hand the result to
/// [`push_wrapped`](Self::push_wrapped), then [`finish`](Self::finish).
pub(crate) struct NewHeader {
    data_key: SecretBytes,
    bytes: Vec<u8>,
    context: Vec<u8>,
    schedule: Schedule,
    expected: usize,
    pushed: usize,
}

/// A finished header and the cipher of its payload or segments.
pub(crate) struct Finished {
    /// The header bytes, header MAC included.
    pub(crate) bytes: Vec<u8>,
    pub(crate) cipher: AeadKey,
}

impl NewHeader {
    /// A version 2 header for `material` under `keks` key-encryption keys. `aad` enters
    /// the stream key schedule (envelopes bind it per message instead).
    pub(crate) fn new(
        kind: Kind,
        algorithm: Algorithm,
        material: Material,
        keks: usize,
        aad: &[u8],
    ) -> Result<Self> {
        Self::with_room(kind, algorithm, material, keks, aad, 0)
    }

    /// A version 2 envelope header whose buffer also has room for a message of
    /// `plaintext_len` bytes after it ([`seal_message_after`]): one allocation for the
    /// whole envelope when the data key is not cached.
    pub(crate) fn for_message(
        algorithm: Algorithm,
        material: Material,
        keks: usize,
        plaintext_len: usize,
    ) -> Result<Self> {
        let room = LENGTH_LEN + algorithm.nonce_len() + plaintext_len + TAG_LEN;
        Self::with_room(Kind::Envelope, algorithm, material, keks, b"", room)
    }

    fn with_room(
        kind: Kind,
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
        if let Kind::Stream { segment_size } = kind {
            check_segment_size(segment_size)?;
        }
        let Material {
            data_key,
            salt,
            prefix,
        } = material;
        let schedule = schedule(kind, algorithm, data_key.expose_secret(), &salt, aad)?;
        let prefix = match kind {
            Kind::Envelope => &[][..],
            Kind::Stream { .. } => &prefix[..prefix_len(algorithm)],
        };
        // Room for entries of a typical size (a short KEK id, a local KEK's 66-byte wrapped
        // key), the MAC and `room`; longer ones grow the buffer.
        let mut bytes =
            Vec::with_capacity(kind.fixed_len() + prefix.len() + 1 + keks * 96 + MAC_LEN + room);
        bytes.extend_from_slice(&kind.magic());
        bytes.push(V2);
        bytes.push(algorithm.id());
        if let Kind::Stream { segment_size } = kind {
            bytes.extend_from_slice(&segment_size.to_be_bytes());
        }
        bytes.extend_from_slice(&salt);
        bytes.extend_from_slice(&schedule.commitment);
        bytes.extend_from_slice(prefix);
        // Checked above: 1..=255.
        bytes.push(u8::try_from(keks).unwrap_or(u8::MAX));
        let context = wrap_context(kind, V2, algorithm, &salt, &schedule.commitment, prefix)?;
        Ok(Self {
            data_key,
            bytes,
            context,
            schedule,
            expected: keks,
            pushed: 0,
        })
    }

    /// A version 2 header for the data key of an opened header, with new wrapped keys
    /// (re-wrap): the salt, commitment and algorithm are kept, so the payload stays valid.
    pub(crate) fn rewrap(
        opened: &ParsedHeader<'_>,
        data_key: SecretBytes,
        keks: usize,
    ) -> Result<Self> {
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(opened.salt);
        let mut prefix = [0u8; MAX_PREFIX_LEN];
        prefix[..opened.prefix.len()].copy_from_slice(opened.prefix);
        // The stream schedule binds the stream's associated data; streams are not
        // re-wrapped, so only envelopes come here.
        if opened.kind != Kind::Envelope {
            return Err(Error::InvalidOperation("streams are not re-wrapped".into()));
        }
        let material = Material {
            data_key,
            salt,
            prefix,
        };
        Self::new(opened.kind, opened.algorithm, material, keks, b"")
    }

    pub(crate) fn data_key(&self) -> &SecretBytes {
        &self.data_key
    }

    pub(crate) fn wrap_context(&self) -> &[u8] {
        &self.context
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

    /// The header with its MAC, and the payload cipher.
    pub(crate) fn finish(mut self) -> Result<Finished> {
        if self.pushed != self.expected {
            return Err(Error::InvalidOperation(format!(
                "{} wrapped keys for a header that names {}",
                self.pushed, self.expected
            )));
        }
        let mac = header_mac(&self.schedule.mac_key, &self.bytes);
        self.bytes.extend_from_slice(&mac);
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
    salt: &'a [u8],
    commitment: &'a [u8],
    pub(crate) prefix: &'a [u8],
    entries: Vec<(&'a [u8], &'a [u8])>,
    /// The bytes the header MAC covers (version 2), and the MAC.
    signed: &'a [u8],
    mac: Option<&'a [u8]>,
    /// Header length in bytes, MAC included.
    pub(crate) len: usize,
    context: Vec<u8>,
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
    if version != V1 && version != V2 {
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
        let salt = r.take(SALT_LEN, "truncated salt")?;
        let commitment = r.take(COMMITMENT_LEN, "truncated commitment")?;
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
        let mac = if version == V2 {
            Some(r.take(MAC_LEN, "truncated header MAC")?)
        } else {
            None
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
            entries,
            signed: &bytes[..signed_len],
            mac,
            len,
            context,
        })
    }

    /// The context the wrapped keys were bound to.
    pub(crate) fn wrap_context(&self) -> &[u8] {
        &self.context
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

    /// Checks an unwrapped data key: the key commitment, then (version 2) the header MAC,
    /// both in constant time. Returns the payload or segment cipher.
    ///
    /// A data key that fails either check means a forged header: callers fail at once
    /// rather than try other wrapped keys.
    pub(crate) fn accept(&self, data_key: &SecretBytes, aad: &[u8]) -> Result<AeadKey> {
        if data_key.len() != KEY_LEN {
            return Err(Error::DecryptionFailed);
        }
        let schedule = schedule(
            self.kind,
            self.algorithm,
            data_key.expose_secret(),
            self.salt,
            aad,
        )?;
        if !bool::from(schedule.commitment.ct_eq(self.commitment)) {
            return Err(Error::DecryptionFailed);
        }
        if let Some(mac) = self.mac {
            let expected = header_mac(&schedule.mac_key, self.signed);
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
    /// Parses a whole envelope of either version under `limits` (`docs/FORMAT.md` 3.5).
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
        if header.version == V2 {
            let declared = u64::from_be_bytes(r.array("truncated ciphertext length")?);
            if header.len + LENGTH_LEN + nonce_len > limits.max_header_len {
                return Err(limits.header_limit());
            }
            let nonce_start = r.position();
            r.take(nonce_len, "truncated nonce")?;
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
    /// becomes version 2 (it gains the header MAC and the length field).
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
        // The id starts after the fixed fields, the count and the id length.
        bytes[70 + 1 + 2] = 0xff;
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
    /// The format version (2, or 1 for envelopes written before version 2).
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
