//! Streaming envelopes: online authenticated encryption of data too large for memory
//! (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, as in age and
//! Tink's streaming AEAD).

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::format::Reader;
use super::seal::{
    COMMITMENT_LEN, EnvelopeLimits, SALT_LEN, committed_key, header_limit, parse_wrapped_entries,
    put_wrapped_keys, unwrap_committed,
};
use super::wrap::KeyEncryptionKey;
use crate::backend::{AeadKey, Algorithm, KEY_LEN, TAG_LEN};
use crate::kdf::encode_labels;
use crate::secret::SecretBytes;
use crate::{Error, Result, rand};

/// The four magic bytes that open every stream: `PKST`.
pub(crate) const STREAM_MAGIC: [u8; 4] = *b"PKST";
const STREAM_VERSION: u8 = 1;
/// Smallest segment size accepted (plaintext bytes per segment).
pub const MIN_SEGMENT_SIZE: u32 = 64;
/// Largest segment size accepted (16 MiB).
pub const MAX_SEGMENT_SIZE: u32 = 16 << 20;
/// Default segment size: 64 KiB (as age). Per-segment overhead is 16 bytes (0.02 %), and a
/// reader holds one segment in memory.
pub const DEFAULT_SEGMENT_SIZE: u32 = 64 << 10;
/// magic, version, algorithm, segment size, salt, commitment.
const FIXED_LEN: usize = 4 + 1 + 1 + 4 + SALT_LEN + COMMITMENT_LEN;

/// Bytes of nonce prefix: the nonce minus the 4-byte segment index and the last-segment flag.
fn prefix_len(algorithm: Algorithm) -> usize {
    algorithm.nonce_len() - 5
}

fn check_segment_size(segment_size: u32) -> Result<()> {
    if (MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&segment_size) {
        Ok(())
    } else {
        Err(Error::invalid_argument(format_args!(
            "segment size must be {MIN_SEGMENT_SIZE}..={MAX_SEGMENT_SIZE} bytes"
        )))
    }
}

/// The stream key schedule: segment key and commitment.
fn stream_schedule(
    algorithm: Algorithm,
    segment_size: u32,
    data_key: &[u8],
    salt: &[u8],
    aad: &[u8],
) -> Result<(AeadKey, [u8; COMMITMENT_LEN])> {
    committed_key(
        algorithm,
        data_key,
        salt,
        &[
            b"privkit stream",
            &[STREAM_VERSION],
            &[algorithm.id()],
            &segment_size.to_be_bytes(),
            aad,
        ],
    )
}

fn stream_wrap_context(
    algorithm: Algorithm,
    segment_size: u32,
    salt: &[u8],
    commitment: &[u8],
    prefix: &[u8],
) -> Result<Vec<u8>> {
    encode_labels(&[
        b"privkit stream wrap",
        &[STREAM_VERSION],
        &[algorithm.id()],
        &segment_size.to_be_bytes(),
        salt,
        commitment,
        prefix,
    ])
}

/// Everything a writer needs to start: the serialized header and the segment cipher.
#[allow(clippy::too_many_arguments)]
pub(crate) fn start_stream<K: KeyEncryptionKey>(
    keks: &[K],
    algorithm: Algorithm,
    segment_size: u32,
    aad: &[u8],
    dek: &SecretBytes,
    salt: &[u8; SALT_LEN],
    prefix: &[u8; 19],
) -> Result<(Vec<u8>, SegmentCipher)> {
    check_segment_size(segment_size)?;
    let prefix = &prefix[..prefix_len(algorithm)];
    let (cipher, commitment) =
        stream_schedule(algorithm, segment_size, dek.expose_secret(), salt, aad)?;
    let mut header = Vec::with_capacity(FIXED_LEN + prefix.len() + 1 + keks.len() * 96);
    header.extend_from_slice(&STREAM_MAGIC);
    header.push(STREAM_VERSION);
    header.push(algorithm.id());
    header.extend_from_slice(&segment_size.to_be_bytes());
    header.extend_from_slice(salt);
    header.extend_from_slice(&commitment);
    header.extend_from_slice(prefix);
    let context = stream_wrap_context(algorithm, segment_size, salt, &commitment, prefix)?;
    put_wrapped_keys(&mut header, keks, dek, &context)?;
    Ok((header, SegmentCipher::new(cipher, prefix, segment_size)?))
}

/// A fresh data key, salt and nonce prefix for a new stream.
pub(crate) fn fresh_material() -> Result<(SecretBytes, [u8; SALT_LEN], [u8; 19])> {
    let mut random = zeroize::Zeroizing::new([0u8; KEY_LEN + SALT_LEN + 19]);
    rand::fill(&mut *random)?;
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&random[KEY_LEN..KEY_LEN + SALT_LEN]);
    let mut prefix = [0u8; 19];
    prefix.copy_from_slice(&random[KEY_LEN + SALT_LEN..]);
    Ok((SecretBytes::from_slice(&random[..KEY_LEN]), salt, prefix))
}

/// The ciphertext length and the tag of a sealed segment.
fn split_tag(sealed: &[u8]) -> Result<(usize, [u8; TAG_LEN])> {
    let ct_len = sealed
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(Error::Malformed("stream truncated"))?;
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&sealed[ct_len..]);
    Ok((ct_len, tag))
}

/// The per-segment cipher state shared by writers and readers.
pub(crate) struct SegmentCipher {
    cipher: AeadKey,
    nonce: [u8; 24],
    nonce_len: usize,
    pub(crate) segment_size: usize,
}

impl SegmentCipher {
    fn new(cipher: AeadKey, prefix: &[u8], segment_size: u32) -> Result<Self> {
        let nonce_len = cipher.algorithm().nonce_len();
        let mut nonce = [0u8; 24];
        nonce[..prefix.len()].copy_from_slice(prefix);
        let segment_size =
            usize::try_from(segment_size).map_err(|_| Error::invalid_argument("segment size"))?;
        Ok(Self {
            cipher,
            nonce,
            nonce_len,
            segment_size,
        })
    }

    fn nonce(&self, index: u32, last: bool) -> [u8; 24] {
        let mut nonce = self.nonce;
        let n = self.nonce_len;
        nonce[n - 5..n - 1].copy_from_slice(&index.to_be_bytes());
        nonce[n - 1] = u8::from(last);
        nonce
    }

    fn seal(&self, index: u32, last: bool, buf: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        let nonce = self.nonce(index, last);
        self.cipher
            .seal_in_place(&nonce[..self.nonce_len], b"", buf)
    }

    /// Seals a non-final segment from `input` into `output`.
    fn seal_to(&self, index: u32, input: &[u8], output: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        let nonce = self.nonce(index, false);
        self.cipher
            .seal_to(&nonce[..self.nonce_len], b"", input, output)
    }

    fn open(&self, index: u32, last: bool, buf: &mut [u8], tag: &[u8]) -> Result<()> {
        let nonce = self.nonce(index, last);
        self.cipher
            .open_in_place(&nonce[..self.nonce_len], b"", buf, tag)
    }

    /// Seals the plaintext segment in `buf` in place and appends its tag; advances `index`
    /// unless the segment is the last.
    #[cfg(feature = "tokio")]
    pub(crate) fn seal_segment(
        &self,
        index: &mut u32,
        last: bool,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        let tag = self.seal(*index, last, buf)?;
        buf.extend_from_slice(&tag);
        if !last {
            *index = self.next_index(*index)?;
        }
        Ok(())
    }

    /// Authenticates the segment `sealed` (ciphertext then tag) and decrypts it into
    /// `out[..n]`, returning `n`; advances `index` unless the segment is the last.
    pub(crate) fn open_segment_to(
        &self,
        index: &mut u32,
        last: bool,
        sealed: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        let (ct_len, tag) = split_tag(sealed)?;
        let out = out
            .get_mut(..ct_len)
            .ok_or_else(|| Error::invalid_argument("output too small"))?;
        let i = *index;
        let nonce = self.nonce(i, last);
        let result =
            self.cipher
                .open_to(&nonce[..self.nonce_len], b"", &sealed[..ct_len], out, &tag);
        self.conclude(index, last, ct_len, result, |other| {
            let nonce = self.nonce(i, other);
            self.cipher
                .open_to(&nonce[..self.nonce_len], b"", &sealed[..ct_len], out, &tag)
                .is_ok()
        })?;
        Ok(ct_len)
    }

    /// After an open: on failure, a full segment is tried with the other last-segment
    /// flag, and success there turns "decryption failed" into a precise error (truncated
    /// at a boundary, or data after the final segment). On success, advances `index`.
    fn conclude(
        &self,
        index: &mut u32,
        last: bool,
        ct_len: usize,
        result: Result<()>,
        retry_with_flag: impl FnOnce(bool) -> bool,
    ) -> Result<()> {
        if let Err(e) = result {
            if ct_len == self.segment_size && retry_with_flag(!last) {
                return Err(Error::Malformed(if last {
                    "stream truncated at a segment boundary"
                } else {
                    "data after the final segment"
                }));
            }
            return Err(e);
        }
        if !last {
            *index = self.next_index(*index)?;
        }
        Ok(())
    }

    /// The index after `index`, or an error past the 2^32 segments a stream may hold.
    fn next_index(&self, index: u32) -> Result<u32> {
        index
            .checked_add(1)
            .ok_or_else(|| Error::limit("segments per stream", 1 << 32))
    }

    /// Ciphertext bytes of a full segment.
    pub(crate) fn sealed_len(&self) -> usize {
        self.segment_size + TAG_LEN
    }
}

impl std::fmt::Debug for SegmentCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentCipher")
            .field("algorithm", &self.cipher.algorithm())
            .field("segment_size", &self.segment_size)
            .finish_non_exhaustive()
    }
}

pub(crate) fn to_io(e: Error) -> io::Error {
    match e {
        Error::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}

/// An encrypting [`Write`]r: plaintext written to it leaves as a stream of authenticated
/// segments. Made by [`Sealer::encrypt_stream`](super::Sealer::encrypt_stream).
///
/// Call [`finish`](StreamWriter::finish) at the end: it writes the final segment, marked
/// as final. A writer dropped without `finish` leaves a stream that every reader rejects
/// as truncated.
///
/// Memory: one segment of buffer, whatever the payload size.
pub struct StreamWriter<W: Write> {
    inner: W,
    segments: SegmentCipher,
    index: u32,
    /// One sealed segment of room, allocated (and zeroed) once; `buf[..filled]` holds the
    /// plaintext written so far. Never resized, so no segment pays for zero-filling.
    buf: Vec<u8>,
    filled: usize,
    poisoned: bool,
}

impl<W: Write> std::fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWriter")
            .field("segments", &self.segments)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl<W: Write> StreamWriter<W> {
    pub(crate) fn new<K: KeyEncryptionKey>(
        inner: W,
        keks: &[K],
        algorithm: Algorithm,
        segment_size: u32,
        aad: &[u8],
    ) -> Result<Self> {
        let (dek, salt, prefix) = fresh_material()?;
        Self::with_material(
            inner,
            keks,
            algorithm,
            segment_size,
            aad,
            &dek,
            &salt,
            &prefix,
        )
    }

    /// The writer for a given data key, salt and nonce prefix (only `new` and the
    /// known-answer vectors call it).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn with_material<K: KeyEncryptionKey>(
        mut inner: W,
        keks: &[K],
        algorithm: Algorithm,
        segment_size: u32,
        aad: &[u8],
        dek: &SecretBytes,
        salt: &[u8; SALT_LEN],
        prefix: &[u8; 19],
    ) -> Result<Self> {
        let (header, segments) =
            start_stream(keks, algorithm, segment_size, aad, dek, salt, prefix)?;
        inner.write_all(&header)?;
        let buf = vec![0u8; segments.sealed_len()];
        Ok(Self {
            inner,
            segments,
            index: 0,
            buf,
            filled: 0,
            poisoned: false,
        })
    }

    /// Seals the buffered segment in place, appends its tag and writes it out.
    fn flush_segment(&mut self, last: bool) -> Result<()> {
        let result = (|| {
            let n = self.filled;
            let (body, rest) = self.buf.split_at_mut(n);
            let tag = self.segments.seal(self.index, last, body)?;
            rest[..TAG_LEN].copy_from_slice(&tag);
            self.inner.write_all(&self.buf[..n + TAG_LEN])?;
            self.filled = 0;
            if !last {
                self.index = self.segments.next_index(self.index)?;
            }
            Ok(())
        })();
        self.poisoned |= result.is_err();
        result
    }

    /// Seals a full, non-final segment straight from the caller's `plaintext` into the
    /// buffer (no copy of the plaintext first) and writes it out.
    fn seal_direct(&mut self, plaintext: &[u8]) -> Result<()> {
        let result = (|| {
            let n = plaintext.len();
            let (body, rest) = self.buf.split_at_mut(n);
            let tag = self.segments.seal_to(self.index, plaintext, body)?;
            rest[..TAG_LEN].copy_from_slice(&tag);
            self.inner.write_all(&self.buf[..n + TAG_LEN])?;
            self.index = self.segments.next_index(self.index)?;
            Ok(())
        })();
        self.poisoned |= result.is_err();
        result
    }

    /// Writes the final segment and flushes; returns the inner writer.
    ///
    /// # Errors
    /// I/O errors of the inner writer; [`Error::InvalidOperation`] if an earlier write
    /// failed (the stream is then incomplete and will not decrypt).
    pub fn finish(mut self) -> Result<W> {
        if self.poisoned {
            return Err(Error::InvalidOperation(
                "an earlier write failed: the stream is incomplete".into(),
            ));
        }
        self.flush_segment(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// The segment size in bytes of plaintext.
    #[must_use]
    pub fn segment_size(&self) -> usize {
        self.segments.segment_size
    }
}

impl<W: Write> Write for StreamWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.poisoned {
            return Err(io::Error::other(
                "an earlier write failed: the stream is incomplete",
            ));
        }
        let segment_size = self.segments.segment_size;
        let mut rest = data;
        while !rest.is_empty() {
            // A full buffer is sealed only once more data arrives, so the final segment
            // (sealed by `finish`) is never empty unless the whole stream is.
            if self.filled == segment_size {
                self.flush_segment(false).map_err(to_io)?;
            }
            if self.filled == 0 && rest.len() > segment_size {
                // A whole segment that is certainly not the last: seal it straight from
                // the caller's buffer, without copying the plaintext first.
                self.seal_direct(&rest[..segment_size]).map_err(to_io)?;
                rest = &rest[segment_size..];
                continue;
            }
            let take = (segment_size - self.filled).min(rest.len());
            self.buf[self.filled..self.filled + take].copy_from_slice(&rest[..take]);
            self.filled += take;
            rest = &rest[take..];
        }
        Ok(data.len())
    }

    /// Flushes the inner writer. A partial segment stays buffered until it fills or
    /// [`finish`](StreamWriter::finish) is called.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A stream header read and verified: the segment cipher and the header length.
pub(crate) struct OpenedHeader {
    pub(crate) segments: SegmentCipher,
    pub(crate) header_len: u64,
}

/// Reads the header from `inner`, unwraps the data key and checks the commitment.
/// Given the header bytes read so far, how many more to read next (0 once the header is
/// complete). A sans-I/O step shared by the blocking and the async readers; it checks the
/// fixed fields as soon as they are in and every limit before asking for more bytes.
pub(crate) fn header_needs(header: &[u8], limits: &EnvelopeLimits) -> Result<usize> {
    let need = |upto: usize| {
        if upto > limits.max_header_len {
            Err(header_limit(limits))
        } else {
            Ok(upto.saturating_sub(header.len()))
        }
    };
    if header.len() < FIXED_LEN {
        return need(FIXED_LEN);
    }
    if header[..4] != STREAM_MAGIC {
        return Err(Error::Malformed("not a stream (bad magic)"));
    }
    if header[4] != STREAM_VERSION {
        return Err(Error::UnsupportedVersion(header[4]));
    }
    let algorithm = Algorithm::from_id(header[5])?;
    let segment_size = u32::from_be_bytes([header[6], header[7], header[8], header[9]]);
    if check_segment_size(segment_size).is_err() {
        return Err(Error::Malformed("segment size out of range"));
    }
    let mut pos = FIXED_LEN + prefix_len(algorithm) + 1;
    if header.len() < pos {
        return need(pos);
    }
    let count = usize::from(header[pos - 1]);
    if count > limits.max_wrapped_keys {
        return Err(Error::limit(
            "wrapped keys per envelope",
            u64::try_from(limits.max_wrapped_keys).unwrap_or(u64::MAX),
        ));
    }
    // Each entry: u16 id length, id, u16 key length, key.
    for _ in 0..count * 2 {
        if header.len() < pos + 2 {
            return need(pos + 2);
        }
        pos += 2 + usize::from(u16::from_be_bytes([header[pos], header[pos + 1]]));
        if header.len() < pos {
            return need(pos);
        }
    }
    Ok(0)
}

fn read_header<R: Read, K: KeyEncryptionKey>(
    inner: &mut R,
    keks: &[K],
    limits: &EnvelopeLimits,
    aad: &[u8],
) -> Result<OpenedHeader> {
    let mut header = Vec::new();
    loop {
        let n = header_needs(&header, limits)?;
        if n == 0 {
            break;
        }
        let start = header.len();
        header.resize(start + n, 0);
        read_exact_or(inner, &mut header[start..], "truncated stream header")?;
    }
    open_header(&header, keks, limits, aad)
}

/// Parses a complete header (as `header_needs` delimited it), unwraps the data key and
/// checks the commitment.
pub(crate) fn open_header<K: KeyEncryptionKey>(
    header: &[u8],
    keks: &[K],
    limits: &EnvelopeLimits,
    aad: &[u8],
) -> Result<OpenedHeader> {
    let mut r = Reader::new(header);
    r.take(5, "header")?;
    let algorithm = Algorithm::from_id(r.u8("header")?)?;
    let segment_size = r.u32("header")?;
    let salt = r.take(SALT_LEN, "salt")?;
    let commitment = r.take(COMMITMENT_LEN, "commitment")?;
    let prefix = r.take(prefix_len(algorithm), "nonce prefix")?;
    let count = usize::from(r.u8("count")?);
    let wrapped = parse_wrapped_entries(&mut r, count, limits)?;
    let context = stream_wrap_context(algorithm, segment_size, salt, commitment, prefix)?;
    let (_, cipher) = unwrap_committed(&wrapped, keks, &context, commitment, |dek| {
        stream_schedule(algorithm, segment_size, dek, salt, aad)
    })?;
    let header_len = u64::try_from(header.len()).map_err(|_| header_limit(limits))?;
    Ok(OpenedHeader {
        segments: SegmentCipher::new(cipher, prefix, segment_size)?,
        header_len,
    })
}

fn read_exact_or<R: Read>(inner: &mut R, buf: &mut [u8], what: &'static str) -> Result<()> {
    inner.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::Malformed(what),
        _ => Error::Io(e),
    })
}

/// Reads into `buf` until it is full or the input ends; returns the bytes read.
fn read_full<R: Read>(inner: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match inner.read(&mut buf[n..]) {
            Ok(0) => break,
            // `min`: a reader that claims more than it was given cannot make us panic.
            Ok(k) => n += k.min(buf.len() - n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A decrypting [`Read`]er over a stream made by [`StreamWriter`]. Made by
/// [`Opener::decrypt_stream`](super::Opener::decrypt_stream).
///
/// Each segment is released only after its tag verifies, in order. The end of the stream
/// is authenticated too: `read` returns `Ok(0)` only after the segment marked final; a
/// stream cut at any point, reordered, with a segment dropped, duplicated or taken from
/// another stream, or followed by extra bytes, fails with an [`io::Error`] of kind
/// `InvalidData` whose inner error is a privkit [`Error`]. **Do not act on the data until
/// `read` has returned `Ok(0)`**: until then a truncation may still be discovered.
pub struct StreamReader<R: Read> {
    inner: R,
    segments: SegmentCipher,
    index: u32,
    /// Room for one sealed segment, allocated (and zeroed) once and never resized.
    sealed: Vec<u8>,
    /// Plaintext of the last segment, served from `pos` to `end`.
    plain: Vec<u8>,
    pos: usize,
    end: usize,
    lookahead: Option<u8>,
    done: bool,
    failed: bool,
}

impl<R: Read> std::fmt::Debug for StreamReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamReader")
            .field("segments", &self.segments)
            .field("index", &self.index)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read> StreamReader<R> {
    pub(crate) fn new<K: KeyEncryptionKey>(
        mut inner: R,
        keks: &[K],
        limits: &EnvelopeLimits,
        aad: &[u8],
    ) -> Result<Self> {
        let opened = read_header(&mut inner, keks, limits, aad)?;
        let sealed = vec![0u8; opened.segments.sealed_len()];
        // Allocated on the first read too small to take a whole segment.
        let plain = Vec::new();
        Ok(Self {
            inner,
            segments: opened.segments,
            index: 0,
            sealed,
            plain,
            pos: 0,
            end: 0,
            lookahead: None,
            done: false,
            failed: false,
        })
    }

    /// Reads the next sealed segment into `sealed`; returns its length and whether it is
    /// the last one.
    fn fill_segment(&mut self) -> Result<(usize, bool)> {
        let full = self.sealed.len();
        let start = match self.lookahead.take() {
            Some(b) => {
                self.sealed[0] = b;
                1
            }
            None => 0,
        };
        let n = start + read_full(&mut self.inner, &mut self.sealed[start..])?;
        if n < full {
            return Ok((n, true));
        }
        let mut one = [0u8; 1];
        loop {
            match self.inner.read(&mut one) {
                Ok(0) => return Ok((n, true)),
                Ok(_) => {
                    self.lookahead = Some(one[0]);
                    return Ok((n, false));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }

    /// Reads, authenticates and decrypts the next segment into `out` (which holds a
    /// whole segment: the caller's buffer, or `plain`).
    fn next_segment_into(&mut self, into_plain: bool, out: &mut [u8]) -> Result<usize> {
        let (len, last) = self.fill_segment()?;
        if into_plain && self.plain.is_empty() {
            self.plain = vec![0u8; self.segments.segment_size];
        }
        let target: &mut [u8] = if into_plain { &mut self.plain } else { out };
        let n =
            self.segments
                .open_segment_to(&mut self.index, last, &self.sealed[..len], target)?;
        self.done = last;
        Ok(n)
    }
}

impl<R: Read> Read for StreamReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                Error::DecryptionFailed,
            ));
        }
        loop {
            if self.pos < self.end {
                let n = (self.end - self.pos).min(out.len());
                out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.done || out.is_empty() {
                return Ok(0);
            }
            // When the caller's buffer holds a whole segment, decrypt straight into it.
            let direct = out.len() >= self.segments.segment_size;
            match self.next_segment_into(!direct, out) {
                Ok(n) if direct => return Ok(n),
                Ok(n) => {
                    self.pos = 0;
                    self.end = n;
                }
                Err(e) => {
                    self.failed = true;
                    return Err(to_io(e));
                }
            }
        }
    }
}

/// A decrypting reader with random access: [`Read`] + [`Seek`] over the plaintext of a
/// stream held in a seekable source (a file). Serving a byte range decrypts only the
/// segments that cover it. Made by
/// [`Opener::decrypt_stream_seekable`](super::Opener::decrypt_stream_seekable).
///
/// Opening verifies the final segment, so the plaintext length is authenticated before
/// the first read: a stream truncated or extended at any point is rejected up front.
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
/// let mut r = Opener::new(kek).decrypt_stream_seekable(Cursor::new(stream), b"")?;
/// assert_eq!(r.plaintext_len(), 10_000);
/// r.seek(SeekFrom::Start(5_000))?; // decrypts only segment 4 (bytes 4096..5120)
/// let mut buf = [0u8; 100];
/// r.read_exact(&mut buf)?;
/// assert_eq!(&buf[..], &data[5_000..5_100]);
/// # Ok::<(), privkit::Error>(())
/// ```
pub struct SeekableStreamReader<R: Read + Seek> {
    inner: R,
    segments: SegmentCipher,
    header_len: u64,
    plaintext_len: u64,
    last_index: u32,
    pos: u64,
    /// Index and plaintext of the segment in `buf`.
    current: Option<u32>,
    buf: Vec<u8>,
}

impl<R: Read + Seek> std::fmt::Debug for SeekableStreamReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeekableStreamReader")
            .field("segments", &self.segments)
            .field("plaintext_len", &self.plaintext_len)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl<R: Read + Seek> SeekableStreamReader<R> {
    pub(crate) fn new<K: KeyEncryptionKey>(
        mut inner: R,
        keks: &[K],
        limits: &EnvelopeLimits,
        aad: &[u8],
    ) -> Result<Self> {
        let start = inner.stream_position()?;
        let opened = read_header(&mut inner, keks, limits, aad)?;
        let total = inner.seek(SeekFrom::End(0))?;
        let body = total
            .checked_sub(start + opened.header_len)
            .ok_or(Error::Malformed("stream truncated"))?;
        let seg = u64::try_from(opened.segments.segment_size).unwrap_or(u64::MAX);
        let sealed = seg + 16;
        let (count, last_len) = if body % sealed == 0 {
            (body / sealed, seg)
        } else {
            let last = (body % sealed)
                .checked_sub(16)
                .ok_or(Error::Malformed("stream truncated"))?;
            (body / sealed + 1, last)
        };
        if count == 0 {
            return Err(Error::Malformed("stream truncated"));
        }
        let last_index =
            u32::try_from(count - 1).map_err(|_| Error::limit("segments per stream", 1 << 32))?;
        let mut reader = Self {
            inner,
            segments: opened.segments,
            header_len: start + opened.header_len,
            plaintext_len: (count - 1) * seg + last_len,
            last_index,
            pos: 0,
            current: None,
            buf: Vec::new(),
        };
        reader.load(last_index)?;
        Ok(reader)
    }

    /// Length of the plaintext in bytes (authenticated).
    #[must_use]
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    fn load(&mut self, index: u32) -> Result<()> {
        if self.current == Some(index) {
            return Ok(());
        }
        self.current = None;
        let seg = u64::try_from(self.segments.segment_size).unwrap_or(u64::MAX);
        let offset = self.header_len + u64::from(index) * (seg + 16);
        let len = if index == self.last_index {
            self.plaintext_len - u64::from(index) * seg
        } else {
            seg
        };
        let len = usize::try_from(len).map_err(|_| Error::Malformed("segment length"))?;
        self.buf.resize(len + TAG_LEN, 0);
        self.inner.seek(SeekFrom::Start(offset))?;
        read_exact_or(&mut self.inner, &mut self.buf, "stream truncated")?;
        let (body, tag) = self.buf.split_at_mut(len);
        let mut t = [0u8; TAG_LEN];
        t.copy_from_slice(tag);
        self.segments
            .open(index, index == self.last_index, body, &t)?;
        self.buf.truncate(len);
        self.current = Some(index);
        Ok(())
    }
}

impl<R: Read + Seek> Read for SeekableStreamReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.plaintext_len || out.is_empty() {
            return Ok(0);
        }
        let seg = u64::try_from(self.segments.segment_size).unwrap_or(u64::MAX);
        let index =
            u32::try_from(self.pos / seg).map_err(|_| to_io(Error::Malformed("position")))?;
        self.load(index).map_err(to_io)?;
        let within =
            usize::try_from(self.pos % seg).map_err(|_| to_io(Error::Malformed("position")))?;
        let n = (self.buf.len() - within).min(out.len());
        out[..n].copy_from_slice(&self.buf[within..within + n]);
        self.pos += u64::try_from(n).unwrap_or(u64::MAX);
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekableStreamReader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.plaintext_len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the plaintext",
            )
        })?;
        self.pos = target;
        Ok(target)
    }
}
