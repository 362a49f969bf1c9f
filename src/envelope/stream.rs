//! Streaming envelopes: online authenticated encryption of data too large for memory
//! (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, as in age and
//! Tink's streaming AEAD).
//!
//! One writer type and one reader type serve blocking and async I/O: [`StreamWriter`]
//! implements [`Write`] and (feature `tokio`) `AsyncWrite`; [`StreamReader`] implements
//! [`Read`], `AsyncRead` and, over a seekable source, [`Seek`]. The segment logic is the
//! same for every impl; only the reads and writes of the inner object differ.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::header::{EnvelopeLimits, Finished, ParsedHeader, stream_header_needs};
use crate::backend::{AeadKey, TAG_LEN};
use crate::{Error, Result};

/// The per-segment cipher: the segment key, the nonce prefix and the segment size.
pub(crate) struct Segments {
    cipher: AeadKey,
    nonce: [u8; 24],
    nonce_len: usize,
    segment_size: usize,
}

impl Segments {
    fn new(cipher: AeadKey, prefix: &[u8], segment_size: u32) -> Result<Self> {
        let nonce_len = cipher.algorithm().nonce_len();
        let mut nonce = [0u8; 24];
        nonce[..prefix.len()].copy_from_slice(prefix);
        let segment_size = usize::try_from(segment_size)
            .map_err(|_| Error::invalid_argument("segment size exceeds the address space"))?;
        Ok(Self {
            cipher,
            nonce,
            nonce_len,
            segment_size,
        })
    }

    /// The segment cipher of a finished stream header (its nonce prefix follows the
    /// commitment: `docs/FORMAT.md` 5.1).
    fn for_header(header: &[u8], cipher: AeadKey, segment_size: u32) -> Result<Self> {
        let start = 4 + 1 + 1 + 4 + 32 + 32;
        let prefix = header
            .get(start..start + super::header::prefix_len(cipher.algorithm()))
            .ok_or(Error::Malformed("stream header"))?;
        Self::new(cipher, prefix, segment_size)
    }

    /// The segment cipher of an opened stream header.
    pub(crate) fn for_parsed(parsed: &ParsedHeader<'_>, cipher: AeadKey) -> Result<Self> {
        let super::header::Kind::Stream { segment_size } = parsed.kind else {
            return Err(Error::Malformed("not a stream header"));
        };
        Self::new(cipher, parsed.prefix, segment_size)
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

    /// Authenticates segment `index` (`sealed`: ciphertext then tag) and decrypts it into
    /// `out[..n]`, returning `n`.
    fn open_to(&self, index: u32, last: bool, sealed: &[u8], out: &mut [u8]) -> Result<usize> {
        self.open(index, last, Sealed::Apart { sealed, out })
    }

    /// Authenticates segment `index` wherever it lies ([`Sealed`]) and decrypts it into the
    /// start of its output, returning the plaintext length.
    ///
    /// On failure, a full segment is tried with the other last-segment flag, and success
    /// there turns "decryption failed" into a precise error (truncated at a segment
    /// boundary, or data after the final segment). A final segment that holds nothing
    /// after full ones is refused: writers never make one (`docs/FORMAT.md` 5.3).
    fn open(&self, index: u32, last: bool, mut sealed: Sealed<'_>) -> Result<usize> {
        let ct_len = sealed
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::Malformed("stream truncated inside a segment's tag"))?;
        if last && ct_len == 0 && index > 0 {
            return Err(Error::Malformed("empty final segment after full segments"));
        }
        if !sealed.has_room(ct_len) {
            return Err(Error::invalid_argument("output smaller than a segment"));
        }
        let nonce = |last: bool| {
            let nonce = self.nonce(index, last);
            (nonce, self.nonce_len)
        };
        let (first, n) = nonce(last);
        if let Err(e) = sealed.open(&self.cipher, &first[..n], ct_len) {
            if ct_len == self.segment_size {
                sealed.restore(ct_len);
                let (other, n) = nonce(!last);
                if sealed.open(&self.cipher, &other[..n], ct_len).is_ok() {
                    sealed.wipe(ct_len);
                    return Err(Error::Malformed(if last {
                        "stream truncated at a segment boundary"
                    } else {
                        "data after the final segment"
                    }));
                }
            }
            return Err(e);
        }
        Ok(ct_len)
    }

    /// Authenticates segment `index` and decrypts it in place (no retry with the other
    /// flag: the caller said which segment is the last).
    fn open_in_place(&self, index: u32, last: bool, buf: &mut [u8], tag: &[u8]) -> Result<()> {
        if tag.len() != TAG_LEN {
            return Err(Error::invalid_argument(format!(
                "a segment's tag is {TAG_LEN} bytes, not {}",
                tag.len()
            )));
        }
        let nonce = self.nonce(index, last);
        self.cipher
            .open_in_place(&nonce[..self.nonce_len], b"", buf, tag)
    }

    /// Ciphertext bytes of a full segment.
    fn sealed_len(&self) -> usize {
        self.segment_size + TAG_LEN
    }
}

/// A sealed segment (ciphertext then tag) and where its plaintext goes.
enum Sealed<'a> {
    /// Opened from `sealed` into the start of `out`.
    Apart { sealed: &'a [u8], out: &'a mut [u8] },
    /// In the caller's read buffer: `buf[src..]` opened into the start of `buf`, where
    /// the plaintext may overwrite the ciphertext's head; `backup` holds that head,
    /// `buf[src..ct_len]`, when a second open may be needed (a full segment), and is
    /// empty otherwise.
    Shifted {
        buf: &'a mut [u8],
        src: usize,
        backup: &'a [u8],
    },
}

impl Sealed<'_> {
    /// Bytes of the sealed segment.
    fn len(&self) -> usize {
        match self {
            Self::Apart { sealed, .. } => sealed.len(),
            Self::Shifted { buf, src, .. } => buf.len().saturating_sub(*src),
        }
    }

    /// Whether the output holds a plaintext of `ct_len` bytes.
    fn has_room(&self, ct_len: usize) -> bool {
        match self {
            Self::Apart { out, .. } => out.len() >= ct_len,
            Self::Shifted { buf, .. } => buf.len() >= ct_len,
        }
    }

    /// Authenticates and decrypts the `ct_len` bytes of ciphertext into the output (the
    /// caller checked the lengths); on failure the output holds no plaintext.
    fn open(&mut self, cipher: &AeadKey, nonce: &[u8], ct_len: usize) -> Result<()> {
        match self {
            Self::Apart { sealed, out } => {
                let (ct, tag) = sealed.split_at(ct_len);
                cipher.open_to(nonce, b"", ct, &mut out[..ct_len], tag)
            }
            Self::Shifted { buf, src, .. } => {
                let mut tag = [0u8; TAG_LEN];
                tag.copy_from_slice(&buf[*src + ct_len..]);
                cipher.open_within(nonce, b"", &mut buf[..*src + ct_len], *src, &tag)
            }
        }
    }

    /// Makes the ciphertext whole again after a failed open: the plaintext range (zeroed
    /// then) may have covered its head.
    fn restore(&mut self, ct_len: usize) {
        if let Self::Shifted { buf, src, backup } = self
            && let Some(head) = buf.get_mut(*src..ct_len)
            && head.len() == backup.len()
        {
            head.copy_from_slice(backup);
        }
    }

    /// Zeroes the plaintext range.
    fn wipe(&mut self, ct_len: usize) {
        match self {
            Self::Apart { out, .. } => out[..ct_len].fill(0),
            Self::Shifted { buf, .. } => buf[..ct_len].fill(0),
        }
    }
}

/// The index after `index`, or an error past the 2^32 segments a stream may hold.
fn next_index(index: u32) -> Result<u32> {
    index
        .checked_add(1)
        .ok_or_else(|| Error::limit("segments per stream", 1 << 32))
}

impl std::fmt::Debug for Segments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segments")
            .field("algorithm", &self.cipher.algorithm())
            .field("segment_size", &self.segment_size)
            .finish_non_exhaustive()
    }
}

/// Seals a stream one segment at a time in the caller's own buffers, in place: the same
/// bytes as a [`StreamWriter`], without the copies that `Write` imposes (its
/// `write(&[u8])` cannot be encrypted in place, and the sealed segment is copied again
/// into the inner writer). Made by [`Sealer::encrypt_segments`](super::Sealer::encrypt_segments)
/// and [`AsyncSealer::encrypt_segments`](super::AsyncSealer::encrypt_segments).
///
/// The stream is [`header`](Self::header), then each segment's ciphertext followed by its
/// 16-byte tag, in order. Every segment but the last holds exactly
/// [`segment_size`](Self::segment_size) bytes; the last, sealed with
/// [`seal_final`](Self::seal_final), holds 1 to `segment_size` bytes (none only when it is
/// the only one). A stream whose final segment was never sealed is rejected by every
/// reader as truncated. Open it with a [`StreamReader`] or a [`SegmentOpener`].
///
/// # Example
/// ```
/// use privkit::envelope::{LocalKek, Opener, Sealer};
///
/// let kek = std::sync::Arc::new(LocalKek::generate("exports")?);
/// let mut sealer = Sealer::new(kek.clone()).with_segment_size(1024).encrypt_segments(b"export-9")?;
/// let data = vec![7u8; 2500];
/// let mut stream = sealer.header().to_vec();
/// let mut chunks = data.chunks(sealer.segment_size()).peekable();
/// while let Some(chunk) = chunks.next() {
///     let start = stream.len();
///     stream.extend_from_slice(chunk); // the plaintext, encrypted where it lies
///     let tag = if chunks.peek().is_some() {
///         sealer.seal_segment(&mut stream[start..])?
///     } else {
///         sealer.seal_final(&mut stream[start..])?
///     };
///     stream.extend_from_slice(&tag);
/// }
///
/// let mut plaintext = Vec::new();
/// std::io::Read::read_to_end(&mut Opener::new(kek).decrypt_stream(&stream[..], b"export-9")?, &mut plaintext)?;
/// assert_eq!(plaintext, data);
/// # Ok::<(), privkit::Error>(())
/// ```
pub struct SegmentSealer {
    cursor: SegmentCursor,
    header: Vec<u8>,
}

impl std::fmt::Debug for SegmentSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentSealer")
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

/// Where a stream sealed or opened segment by segment stands: its cipher, the next
/// segment's index, and whether the final segment is done. The checks that the
/// [`SegmentSealer`] and the [`SegmentOpener`] share.
#[derive(Debug)]
struct SegmentCursor {
    segments: Segments,
    index: u32,
    finished: bool,
}

impl SegmentCursor {
    fn new(segments: Segments) -> Self {
        Self {
            segments,
            index: 0,
            finished: false,
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidOperation(
                "the final segment is done: the stream has ended".into(),
            ));
        }
        Ok(())
    }

    /// The index after the current one, if a non-final segment of `len` bytes may come
    /// now.
    fn check_next(&self, len: usize) -> Result<u32> {
        self.check_open()?;
        if len != self.segments.segment_size {
            return Err(Error::invalid_argument(format!(
                "a non-final segment holds exactly {} bytes, not {len}",
                self.segments.segment_size
            )));
        }
        next_index(self.index)
    }

    /// Whether the final segment may hold `len` bytes now; `empty` is the error for an
    /// empty one after full segments (which the format does not have).
    fn check_final(&self, len: usize, empty: impl FnOnce() -> Error) -> Result<()> {
        self.check_open()?;
        if len > self.segments.segment_size {
            return Err(Error::invalid_argument(format!(
                "the final segment holds at most {} bytes, not {len}",
                self.segments.segment_size
            )));
        }
        if len == 0 && self.index > 0 {
            return Err(empty());
        }
        Ok(())
    }
}

impl SegmentSealer {
    pub(crate) fn new(header: Finished, segment_size: u32) -> Result<Self> {
        let Finished { bytes, cipher } = header;
        let segments = Segments::for_header(&bytes, cipher, segment_size)?;
        Ok(Self {
            cursor: SegmentCursor::new(segments),
            header: bytes,
        })
    }

    /// The stream header: the stream's first bytes, before segment 0.
    #[must_use]
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// The segment size in bytes of plaintext.
    #[must_use]
    pub fn segment_size(&self) -> usize {
        self.cursor.segments.segment_size
    }

    /// Whether the final segment has been sealed.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.cursor.finished
    }

    /// Encrypts `segment`, the next segment and not the last, in place; returns its tag,
    /// which follows it in the stream.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `segment` does not hold exactly
    /// [`segment_size`](Self::segment_size) bytes (nothing is sealed);
    /// [`Error::LimitExceeded`] if the stream already holds 2^32 - 1 segments (only the
    /// final one fits); [`Error::InvalidOperation`] after [`seal_final`](Self::seal_final).
    pub fn seal_segment(&mut self, segment: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        let c = &mut self.cursor;
        let next = c.check_next(segment.len())?;
        let tag = c.segments.seal(c.index, false, segment)?;
        c.index = next;
        Ok(tag)
    }

    /// Encrypts `segment`, the final segment, in place and ends the stream; returns its
    /// tag, the stream's last bytes.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `segment` holds more than
    /// [`segment_size`](Self::segment_size) bytes, or none after full segments (the
    /// format has no empty final segment after others: seal the previous segment as the
    /// final one instead); [`Error::InvalidOperation`] if the final segment is already
    /// sealed.
    pub fn seal_final(&mut self, segment: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        let c = &mut self.cursor;
        c.check_final(segment.len(), || {
            Error::invalid_argument(
                "the final segment is empty after full segments: seal the previous one as final",
            )
        })?;
        let tag = c.segments.seal(c.index, true, segment)?;
        c.finished = true;
        Ok(tag)
    }
}

/// Opens a stream one segment at a time in the caller's own buffers, in place: the
/// counterpart of [`SegmentSealer`], for streams of either writer. Made by
/// [`Opener::decrypt_segments`](super::Opener::decrypt_segments) and
/// [`AsyncOpener::decrypt_segments`](super::AsyncOpener::decrypt_segments).
///
/// The caller splits the stream after the header: each segment is
/// [`segment_size`](Self::segment_size) bytes of ciphertext and a 16-byte tag, the last
/// one shorter, and says which segment is the last. A segment is released only after its
/// tag verifies under its position and its last-segment flag, so reordered, dropped,
/// duplicated or foreign segments fail, and so does a stream cut at a segment boundary
/// (its new last segment was sealed as not final). Unlike the [`StreamReader`], which
/// sees the stream's layout, a failure here is always [`Error::DecryptionFailed`].
///
/// # Example
/// ```
/// use std::io::Write;
/// use privkit::envelope::{LocalKek, Opener, Sealer};
///
/// let kek = std::sync::Arc::new(LocalKek::generate("exports")?);
/// let mut w = Sealer::new(kek.clone()).with_segment_size(1024).encrypt_stream(Vec::new(), b"")?;
/// w.write_all(&[7u8; 2500])?;
/// let mut stream = w.finish()?;
///
/// let (mut opener, header_len) = Opener::new(kek).decrypt_segments(&stream, b"")?;
/// let sealed_len = opener.segment_size() + 16;
/// let mut plaintext = Vec::new();
/// let mut segments = stream[header_len..].chunks_mut(sealed_len).peekable();
/// while let Some(sealed) = segments.next() {
///     let (body, tag) = sealed.split_at_mut(sealed.len() - 16);
///     if segments.peek().is_some() {
///         opener.open_segment(body, tag)?;
///     } else {
///         opener.open_final(body, tag)?;
///     }
///     plaintext.extend_from_slice(body);
/// }
/// assert_eq!(plaintext, [7u8; 2500]);
/// # Ok::<(), privkit::Error>(())
/// ```
pub struct SegmentOpener {
    cursor: SegmentCursor,
}

impl std::fmt::Debug for SegmentOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentOpener")
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl SegmentOpener {
    pub(crate) fn new(segments: Segments) -> Self {
        Self {
            cursor: SegmentCursor::new(segments),
        }
    }

    /// The segment size in bytes of plaintext (a sealed segment has 16 bytes more).
    #[must_use]
    pub fn segment_size(&self) -> usize {
        self.cursor.segments.segment_size
    }

    /// Whether the final segment has been opened: the whole stream is authentic.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.cursor.finished
    }

    /// Authenticates the next segment, not the last, and decrypts it in place:
    /// `segment` holds its ciphertext ([`segment_size`](Self::segment_size) bytes) and
    /// `tag` the 16 bytes after it.
    ///
    /// # Errors
    /// [`Error::DecryptionFailed`] if the tag does not verify (`segment` is then zeroed;
    /// the opener stays at this segment); [`Error::InvalidArgument`]
    /// if `segment` is not `segment_size` bytes or `tag` not 16; [`Error::LimitExceeded`]
    /// past 2^32 - 1 segments; [`Error::InvalidOperation`] after the final segment.
    pub fn open_segment(&mut self, segment: &mut [u8], tag: &[u8]) -> Result<()> {
        let c = &mut self.cursor;
        let next = c.check_next(segment.len())?;
        open_or_wipe(&c.segments, c.index, false, segment, tag)?;
        c.index = next;
        Ok(())
    }

    /// Authenticates the final segment and decrypts it in place; the stream ends here.
    ///
    /// # Errors
    /// [`Error::DecryptionFailed`] if the tag does not verify, for example because the
    /// stream was cut at a segment boundary (`segment` is then zeroed);
    /// [`Error::InvalidArgument`] if `segment` is longer than
    /// `segment_size` or `tag` is not 16 bytes; [`Error::Malformed`] if it is empty after
    /// full segments; [`Error::InvalidOperation`] if the final segment is already opened.
    pub fn open_final(&mut self, segment: &mut [u8], tag: &[u8]) -> Result<()> {
        let c = &mut self.cursor;
        c.check_final(segment.len(), || {
            Error::Malformed("empty final segment after full segments")
        })?;
        open_or_wipe(&c.segments, c.index, true, segment, tag)?;
        c.finished = true;
        Ok(())
    }
}

/// Opens segment `index` in place; on failure the segment is zeroed, so that no
/// backend's unauthenticated plaintext (aws-lc does not promise to wipe it) is left in
/// the caller's buffer.
fn open_or_wipe(
    segments: &Segments,
    index: u32,
    last: bool,
    segment: &mut [u8],
    tag: &[u8],
) -> Result<()> {
    let opened = segments.open_in_place(index, last, segment, tag);
    if opened.is_err() {
        segment.fill(0);
    }
    opened
}

pub(crate) fn to_io(e: Error) -> io::Error {
    match e {
        Error::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}

fn poisoned() -> io::Error {
    io::Error::other("an earlier write failed: the stream is incomplete")
}

/// An encrypting writer: plaintext written to it leaves as a stream of authenticated
/// segments. Made by [`Sealer::encrypt_stream`](super::Sealer::encrypt_stream) and
/// [`AsyncSealer::encrypt_stream`](super::AsyncSealer::encrypt_stream).
///
/// It is a [`Write`]r over a `W: Write` (call [`finish`](StreamWriter::finish) at the end)
/// and, with feature `tokio`, an `AsyncWrite`r over a `W: AsyncWrite` (whose `shutdown`
/// finishes the stream). Finishing writes the final segment, marked as final; a writer
/// dropped unfinished leaves a stream that every reader rejects as truncated. The header
/// is written with the first write (or at `finish`).
///
/// Memory: one segment of buffer, whatever the payload size.
pub struct StreamWriter<W> {
    inner: W,
    segments: Segments,
    index: u32,
    /// The header, until written out.
    header: Vec<u8>,
    header_pos: usize,
    /// One sealed segment of room, allocated (and zeroed) once; `buf[..filled]` holds the
    /// plaintext written so far, or `buf[out_pos..out_end]` a sealed segment not yet
    /// accepted by `inner` (async writes only).
    buf: Vec<u8>,
    filled: usize,
    out_pos: usize,
    out_end: usize,
    finished: bool,
    poisoned: bool,
}

impl<W> std::fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWriter")
            .field("segments", &self.segments)
            .field("index", &self.index)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<W> StreamWriter<W> {
    pub(crate) fn new(inner: W, header: Finished, segment_size: u32) -> Result<Self> {
        let Finished { bytes, cipher } = header;
        let segments = Segments::for_header(&bytes, cipher, segment_size)?;
        let buf = vec![0u8; segments.sealed_len()];
        Ok(Self {
            inner,
            segments,
            index: 0,
            header: bytes,
            header_pos: 0,
            buf,
            filled: 0,
            out_pos: 0,
            out_end: 0,
            finished: false,
            poisoned: false,
        })
    }

    /// The segment size in bytes of plaintext.
    #[must_use]
    pub fn segment_size(&self) -> usize {
        self.segments.segment_size
    }

    /// The inner writer. Before the stream is finished, the stream in it is incomplete.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Seals `buf[..filled]` in place with its tag after it, and marks it for output.
    fn seal_buffer(&mut self, last: bool) -> Result<()> {
        let n = self.filled;
        let (body, rest) = self.buf.split_at_mut(n);
        let tag = self.segments.seal(self.index, last, body)?;
        rest[..TAG_LEN].copy_from_slice(&tag);
        self.filled = 0;
        self.out_pos = 0;
        self.out_end = n + TAG_LEN;
        if !last {
            self.index = next_index(self.index)?;
        }
        Ok(())
    }

    /// How many bytes of `data` the plaintext buffer takes now; seals the buffer first
    /// when it is full and more data arrives (a full buffer is sealed only then, so the
    /// final segment is never empty unless the whole stream is).
    fn accept(&mut self, data: &[u8]) -> Result<usize> {
        if self.filled == self.segments.segment_size && !data.is_empty() {
            self.seal_buffer(false)?;
            return Ok(0);
        }
        let take = (self.segments.segment_size - self.filled).min(data.len());
        self.buf[self.filled..self.filled + take].copy_from_slice(&data[..take]);
        self.filled += take;
        Ok(take)
    }

    /// The inner writer and the bytes it has yet to take: the header, then the sealed
    /// segment in `buf`.
    fn pending(&mut self) -> (&mut W, &[u8]) {
        let pending = if self.header_pos < self.header.len() {
            &self.header[self.header_pos..]
        } else {
            &self.buf[self.out_pos..self.out_end]
        };
        (&mut self.inner, pending)
    }

    fn consumed(&mut self, n: usize) {
        if self.header_pos < self.header.len() {
            self.header_pos += n;
        } else {
            self.out_pos += n;
        }
    }
}

impl<W: Write> StreamWriter<W> {
    /// Writes out the header and any sealed bytes not yet written.
    fn drain(&mut self) -> io::Result<()> {
        loop {
            let (inner, pending) = self.pending();
            if pending.is_empty() {
                return Ok(());
            }
            let n = inner.write(pending)?.min(pending.len());
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.consumed(n);
        }
    }

    /// Seals a full, non-final segment straight from the caller's `plaintext` into the
    /// buffer (no copy of the plaintext first) and writes it out.
    fn seal_direct(&mut self, plaintext: &[u8]) -> Result<()> {
        let n = plaintext.len();
        let (body, rest) = self.buf.split_at_mut(n);
        let tag = self.segments.seal_to(self.index, plaintext, body)?;
        rest[..TAG_LEN].copy_from_slice(&tag);
        self.inner.write_all(&self.buf[..n + TAG_LEN])?;
        self.index = next_index(self.index)?;
        Ok(())
    }

    fn write_segments(&mut self, data: &[u8]) -> Result<usize> {
        self.drain()?;
        let segment_size = self.segments.segment_size;
        let mut rest = data;
        while !rest.is_empty() {
            if self.filled == 0 && rest.len() > segment_size {
                // A whole segment that is certainly not the last: seal it straight from
                // the caller's buffer.
                self.seal_direct(&rest[..segment_size])?;
                rest = &rest[segment_size..];
                continue;
            }
            let n = self.accept(rest)?;
            rest = &rest[n..];
            self.drain()?;
        }
        Ok(data.len())
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
        self.drain()?;
        self.seal_buffer(true)?;
        self.drain()?;
        self.inner.flush()?;
        self.finished = true;
        Ok(self.inner)
    }
}

impl<W: Write> Write for StreamWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.poisoned {
            return Err(poisoned());
        }
        let result = self.write_segments(data);
        self.poisoned |= result.is_err();
        result.map_err(to_io)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.inner.flush()
    }
}

#[cfg(feature = "tokio")]
mod async_write {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll, ready};

    use tokio::io::AsyncWrite;

    use super::{StreamWriter, poisoned, to_io};

    impl<W: AsyncWrite + Unpin> StreamWriter<W> {
        fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            loop {
                let (inner, pending) = self.pending();
                if pending.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                let n = ready!(Pin::new(inner).poll_write(cx, pending))?.min(pending.len());
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.consumed(n);
            }
        }
    }

    impl<W: AsyncWrite + Unpin> AsyncWrite for StreamWriter<W> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            if this.poisoned {
                return Poll::Ready(Err(poisoned()));
            }
            if this.finished {
                return Poll::Ready(Err(io::Error::other("write after shutdown")));
            }
            loop {
                ready!(this.poll_drain(cx))?;
                match this.accept(data) {
                    Ok(0) if !data.is_empty() => {} // sealed a full buffer: drain it
                    Ok(n) => return Poll::Ready(Ok(n)),
                    Err(e) => {
                        this.poisoned = true;
                        return Poll::Ready(Err(to_io(e)));
                    }
                }
            }
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            ready!(this.poll_drain(cx))?;
            Pin::new(&mut this.inner).poll_flush(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if this.poisoned {
                return Poll::Ready(Err(poisoned()));
            }
            if !this.finished {
                ready!(this.poll_drain(cx))?;
                this.seal_buffer(true).map_err(to_io)?;
                this.finished = true;
            }
            ready!(this.poll_drain(cx))?;
            Pin::new(&mut this.inner).poll_shutdown(cx)
        }
    }
}

/// A stream header being read: how many bytes it still needs, and where they go.
#[derive(Default)]
pub(crate) struct HeaderBuf {
    bytes: Vec<u8>,
}

impl HeaderBuf {
    /// The buffer to fill next, or `None` once the header is complete.
    pub(crate) fn next(&mut self, limits: &EnvelopeLimits) -> Result<Option<&mut [u8]>> {
        let n = stream_header_needs(&self.bytes, limits)?;
        if n == 0 {
            return Ok(None);
        }
        let start = self.bytes.len();
        self.bytes.resize(start + n, 0);
        Ok(Some(&mut self.bytes[start..]))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

fn eof_as(e: io::Error, what: &'static str) -> Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::Malformed(what),
        _ => Error::Io(e),
    }
}

/// Reads a whole stream header from a blocking source.
pub(crate) fn read_header<R: Read>(inner: &mut R, limits: &EnvelopeLimits) -> Result<HeaderBuf> {
    let mut header = HeaderBuf::default();
    while let Some(buf) = header.next(limits)? {
        inner
            .read_exact(buf)
            .map_err(|e| eof_as(e, "truncated stream header"))?;
    }
    Ok(header)
}

/// Reads a whole stream header from an async source.
#[cfg(feature = "tokio")]
pub(crate) async fn read_header_async<R: tokio::io::AsyncRead + Unpin>(
    inner: &mut R,
    limits: &EnvelopeLimits,
) -> Result<HeaderBuf> {
    use tokio::io::AsyncReadExt;
    let mut header = HeaderBuf::default();
    while let Some(buf) = header.next(limits)? {
        inner
            .read_exact(buf)
            .await
            .map_err(|e| eof_as(e, "truncated stream header"))?;
    }
    Ok(header)
}

/// Where a seekable stream's segments are, once its length is known and authenticated.
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// Offset in the source of segment 0.
    first_segment: u64,
    plaintext_len: u64,
    last_index: u32,
}

/// A random-access read of a [`StreamReader`] (only the `Seek` impl makes one).
type ReadAt<R> = fn(&mut StreamReader<R>, &mut [u8]) -> Result<usize>;

/// A decrypting reader over a stream made by [`StreamWriter`]. Made by
/// [`Opener::decrypt_stream`](super::Opener::decrypt_stream),
/// [`Opener::decrypt_stream_async`](super::Opener::decrypt_stream_async) and
/// [`AsyncOpener::decrypt_stream`](super::AsyncOpener::decrypt_stream).
///
/// It is a [`Read`]er over a `R: Read`, an `AsyncRead`er over a `R: AsyncRead` (feature
/// `tokio`), and over a `R: Read + Seek` (a file) also [`Seek`]: random access that
/// decrypts only the segments a read touches. The first seek (or
/// [`plaintext_len`](StreamReader::plaintext_len)) authenticates the final segment, so the
/// length is authentic before any byte is served from the new position.
///
/// Each segment is released only after its tag verifies, in order. The end of the stream
/// is authenticated too: a read returns end-of-file only after the segment marked final; a
/// stream cut at any point, reordered, with a segment dropped, duplicated or taken from
/// another stream, or followed by extra bytes, fails with an [`io::Error`] of kind
/// `InvalidData` whose inner error is a privkit [`Error`]. **Do not act on the data until
/// the reader has reported end-of-file**: until then a truncation may still be discovered.
///
/// # Read buffers and copies
/// A sequential [`Read::read`] whose buffer has room for a sealed segment and one byte
/// more (`segment_size + 17` bytes), with no plaintext of an earlier segment left to
/// serve, skips the reader's own buffer: it reads the sealed segment from the source
/// straight into the caller's buffer, after the plaintext's room, and opens it into the
/// buffer's start (from `2 × segment_size + 17` bytes on, the source's read is the only
/// copy). The byte
/// more is the stream's lookahead: the first byte of the next segment, or end of input,
/// tells whether this segment is the final one (that byte moves into the reader, as
/// before). Such a read returns one segment of plaintext, and may leave ciphertext in the
/// buffer past the length it returns.
///
/// Where the ciphertext lies depends on the room. With `2 × segment_size + 17` bytes or
/// more the ciphertext and the plaintext are apart, on every backend. With less, the
/// plaintext overlaps the ciphertext's head; ring opens that in one pass (its shifted
/// in-place open), and the other backends take the buffered read below (for them it costs
/// no copy either: they decrypt out of place). The lookahead is what keeps a pure
/// in-place open out: a full segment that fails to open is opened again with the other
/// final-segment flag, to tell a stream cut at a segment boundary, or followed by more
/// data, from a tampered one, and that needs the whole ciphertext after the failed open
/// (ring zeroes what it opened in place). So when the plaintext will overwrite part of a
/// full segment's ciphertext, that part (`2 × segment_size + 17` minus the buffer's
/// length, in bytes, plus up to 63 so that the ciphertext keeps the plaintext's alignment
/// to 64 bytes; at most a segment) is first kept in the reader and put back for the
/// second open: the copy shrinks as the buffer grows, and is none from
/// `2 × segment_size + 17` bytes on. Short (final) segments are never opened twice, so
/// need no copy.
///
/// Smaller reads, reads after a seek, and async reads are buffered: the sealed segment and
/// its lookahead byte are read into the reader's own buffer, then decrypted into the
/// caller's buffer when it holds a whole segment of plaintext (on ring, a copy and an
/// in-place open) or into the reader's plaintext buffer, served from there.
pub struct StreamReader<R> {
    inner: R,
    segments: Segments,
    /// Bytes of the source consumed so far (header included), to find the stream's start
    /// when a seek switches to random access.
    consumed: u64,
    header_len: u64,
    index: u32,
    /// A sealed segment and one byte of lookahead (which tells whether it is the last):
    /// `raw[..filled]`. Allocated (and zeroed) once.
    raw: Vec<u8>,
    filled: usize,
    eof: bool,
    /// Plaintext being served: `plain[pos..end]`. Allocated on first use.
    plain: Vec<u8>,
    pos: usize,
    end: usize,
    done: bool,
    failed: bool,
    /// Plaintext bytes returned by sequential reads.
    served: u64,
    /// Random access (after a seek): the layout, the plaintext position, which segment
    /// `plain` holds, and the read function (set by the `Seek` impl, which alone knows
    /// that the source seeks).
    layout: Option<Layout>,
    position: u64,
    loaded: Option<u32>,
    random_access: Option<ReadAt<R>>,
}

impl<R> std::fmt::Debug for StreamReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamReader")
            .field("segments", &self.segments)
            .field("index", &self.index)
            .field("done", &self.done)
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl<R> StreamReader<R> {
    pub(crate) fn new(inner: R, segments: Segments, header_len: usize) -> Self {
        let raw = vec![0u8; segments.sealed_len() + 1];
        let header_len = u64::try_from(header_len).unwrap_or(u64::MAX);
        Self {
            inner,
            segments,
            consumed: header_len,
            header_len,
            index: 0,
            raw,
            filled: 0,
            eof: false,
            plain: Vec::new(),
            pos: 0,
            end: 0,
            done: false,
            failed: false,
            served: 0,
            layout: None,
            position: 0,
            loaded: None,
            random_access: None,
        }
    }

    /// The inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The segment size in bytes of plaintext.
    #[must_use]
    pub fn segment_size(&self) -> usize {
        self.segments.segment_size
    }

    /// Whether `raw` holds a whole segment to decode: a full one plus a lookahead byte,
    /// or whatever is left at end of input.
    fn segment_ready(&self) -> bool {
        self.filled == self.raw.len() || self.eof
    }

    fn filled_by(&mut self, n: usize) {
        let room = self.raw.len() - self.filled;
        self.filled += self.took(n, room);
    }

    /// Counts a read of `n` bytes from the source into a room of `room` bytes (0 is the
    /// end of input; a source that claims more than the room is held to it); returns the
    /// bytes taken.
    fn took(&mut self, n: usize, room: usize) -> usize {
        if n == 0 {
            self.eof = true;
        }
        let n = n.min(room);
        self.consumed += u64::try_from(n).unwrap_or(u64::MAX);
        n
    }

    /// After segment `index` opened: the stream ends with it (`last`), or the next
    /// segment begins with its lookahead byte.
    fn advance(&mut self, last: bool, lookahead: u8) -> Result<()> {
        if last {
            self.done = true;
        } else {
            self.index = next_index(self.index)?;
            self.raw[0] = lookahead;
            self.filled = 1;
        }
        Ok(())
    }

    /// Decodes the segment in `raw` into `out` (the caller's buffer, when it holds a whole
    /// segment) or into `plain`; returns the plaintext length.
    fn decode(&mut self, out: Option<&mut [u8]>) -> Result<usize> {
        let full = self.segments.sealed_len();
        let last = self.filled <= full;
        let sealed_len = self.filled.min(full);
        if self.plain.is_empty() && out.is_none() {
            self.plain = vec![0u8; self.segments.segment_size];
        }
        let target = match out {
            Some(out) => out,
            None => &mut self.plain[..],
        };
        let n = self
            .segments
            .open_to(self.index, last, &self.raw[..sealed_len], target)?;
        self.advance(last, self.raw[full])?;
        Ok(n)
    }

    /// Serves buffered plaintext into `out`; `None` when there is none.
    fn serve(&mut self, out: &mut [u8]) -> Option<usize> {
        if self.pos >= self.end {
            return None;
        }
        let n = (self.end - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        self.served += u64::try_from(n).unwrap_or(u64::MAX);
        Some(n)
    }

    fn failure(&self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, Error::DecryptionFailed)
    }
}

impl<R: Read> StreamReader<R> {
    /// Where a sequential read into a buffer of `out_len` bytes, with no plaintext
    /// buffered, puts the next sealed segment and its lookahead byte: at this offset in
    /// the caller's buffer (the zero-copy read), or `None` for the buffered read. Past
    /// one segment of plaintext room the ranges are disjoint, on every backend; with less,
    /// only on ring, whose shifted open makes one pass where they overlap.
    fn direct_offset(&self, out_len: usize) -> Option<usize> {
        let slack = out_len.checked_sub(self.raw.len())?;
        if slack >= self.segments.segment_size {
            Some(self.segments.segment_size)
        } else if self.segments.cipher.opens_shifted_in_one_pass() {
            // Rounded down to a cache line: the ciphertext then shares the plaintext's
            // alignment (at most 63 bytes more of the ciphertext's head are kept aside).
            Some(slack & !63)
        } else {
            None
        }
    }

    /// The zero-copy read: the next sealed segment and its lookahead byte are read from
    /// the source straight into `out[src..]` (after the byte the reader may hold from the
    /// previous segment), opened into `out[..n]`, and `n` is returned. A full segment's
    /// ciphertext head that the plaintext will overwrite (`out[src..n]`, when `src < n`)
    /// is first kept in `raw`, so that the second open with the other last-segment flag
    /// (the precise truncation and trailing-data errors) still has the whole ciphertext.
    fn read_direct(&mut self, out: &mut [u8], src: usize) -> Result<usize> {
        let full = self.segments.sealed_len();
        let room = out
            .get_mut(..src + self.raw.len())
            .ok_or_else(|| Error::invalid_argument("read buffer smaller than a segment"))?;
        let sealed = &mut room[src..];
        let mut got = self.filled;
        sealed[..got].copy_from_slice(&self.raw[..got]);
        self.filled = 0;
        while got < sealed.len() && !self.eof {
            match self.inner.read(&mut sealed[got..]) {
                Ok(n) => got += self.took(n, sealed.len() - got),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        let last = got <= full;
        let lookahead = sealed[full];
        let sealed_len = got.min(full);
        let seg = self.segments.segment_size;
        let head = if sealed_len == full {
            seg.saturating_sub(src)
        } else {
            0
        };
        self.raw[..head].copy_from_slice(&room[src..src + head]);
        let n = self.segments.open(
            self.index,
            last,
            Sealed::Shifted {
                buf: &mut room[..src + sealed_len],
                src,
                backup: &self.raw[..head],
            },
        )?;
        self.advance(last, lookahead)?;
        Ok(n)
    }

    fn read_sequential(&mut self, out: &mut [u8]) -> Result<usize> {
        loop {
            if let Some(n) = self.serve(out) {
                return Ok(n);
            }
            if self.done || out.is_empty() {
                return Ok(0);
            }
            if let Some(src) = self.direct_offset(out.len()) {
                let n = self.read_direct(out, src)?;
                self.served += u64::try_from(n).unwrap_or(u64::MAX);
                return Ok(n);
            }
            while !self.segment_ready() {
                let n = match self.inner.read(&mut self.raw[self.filled..]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::Io(e)),
                };
                self.filled_by(n);
            }
            // When the caller's buffer holds a whole segment, decrypt straight into it.
            if out.len() >= self.segments.segment_size {
                let n = self.decode(Some(out))?;
                self.served += u64::try_from(n).unwrap_or(u64::MAX);
                return Ok(n);
            }
            self.end = self.decode(None)?;
            self.pos = 0;
        }
    }
}

impl<R: Read + Seek> StreamReader<R> {
    /// The plaintext length in bytes, authenticated: computed from the source's length and
    /// checked by decrypting the final segment.
    ///
    /// # Errors
    /// [`Error::Malformed`] or [`Error::DecryptionFailed`] for a truncated or altered
    /// stream; I/O errors.
    pub fn plaintext_len(&mut self) -> Result<u64> {
        Ok(self.layout()?.plaintext_len)
    }

    /// Switches to random access (at the plaintext position reached so far) and returns
    /// the layout, authenticating the final segment the first time.
    fn layout(&mut self) -> Result<Layout> {
        if let Some(layout) = self.layout {
            return Ok(layout);
        }
        self.random_access = Some(Self::read_at_position);
        self.position = self.served;
        let here = self.inner.stream_position()?;
        let start = here
            .checked_sub(self.consumed)
            .ok_or(Error::Malformed("stream position"))?;
        let total = self.inner.seek(SeekFrom::End(0))?;
        let first_segment = start + self.header_len;
        let body = total
            .checked_sub(first_segment)
            .ok_or(Error::Malformed("stream truncated"))?;
        let seg = u64::try_from(self.segments.segment_size).unwrap_or(u64::MAX);
        let sealed = seg + 16;
        let (count, last_len) = if body % sealed == 0 {
            (body / sealed, seg)
        } else {
            let last = (body % sealed)
                .checked_sub(16)
                .ok_or(Error::Malformed("stream truncated inside a segment's tag"))?;
            (body / sealed + 1, last)
        };
        if count == 0 {
            return Err(Error::Malformed("stream truncated"));
        }
        let last_index =
            u32::try_from(count - 1).map_err(|_| Error::limit("segments per stream", 1 << 32))?;
        let layout = Layout {
            first_segment,
            plaintext_len: (count - 1) * seg + last_len,
            last_index,
        };
        self.layout = Some(layout);
        if let Err(e) = self.load(last_index) {
            self.layout = None;
            return Err(e);
        }
        Ok(layout)
    }

    /// Reads and decrypts segment `index` into `plain` (random access).
    fn load(&mut self, index: u32) -> Result<()> {
        if self.loaded == Some(index) {
            return Ok(());
        }
        let layout = self.layout.ok_or(Error::Malformed("stream layout"))?;
        self.loaded = None;
        let seg = u64::try_from(self.segments.segment_size).unwrap_or(u64::MAX);
        let offset = layout.first_segment + u64::from(index) * (seg + 16);
        let last = index == layout.last_index;
        let len = if last {
            layout.plaintext_len - u64::from(index) * seg
        } else {
            seg
        };
        let len = usize::try_from(len).map_err(|_| Error::Malformed("segment length"))?;
        self.inner.seek(SeekFrom::Start(offset))?;
        let sealed = &mut self.raw[..len + TAG_LEN];
        self.inner
            .read_exact(sealed)
            .map_err(|e| eof_as(e, "stream truncated"))?;
        if self.plain.is_empty() {
            self.plain = vec![0u8; self.segments.segment_size];
        }
        self.segments
            .open_to(index, last, &self.raw[..len + TAG_LEN], &mut self.plain)?;
        self.end = len;
        self.loaded = Some(index);
        Ok(())
    }

    fn read_at_position(&mut self, out: &mut [u8]) -> Result<usize> {
        let layout = self.layout()?;
        if self.position >= layout.plaintext_len || out.is_empty() {
            return Ok(0);
        }
        let seg = u64::try_from(self.segments.segment_size).unwrap_or(u64::MAX);
        let index = u32::try_from(self.position / seg).map_err(|_| Error::Malformed("position"))?;
        self.load(index)?;
        let within =
            usize::try_from(self.position % seg).map_err(|_| Error::Malformed("position"))?;
        let n = (self.end - within).min(out.len());
        out[..n].copy_from_slice(&self.plain[within..within + n]);
        self.position += u64::try_from(n).unwrap_or(u64::MAX);
        Ok(n)
    }
}

/// Reading: sequential until the first seek (or [`plaintext_len`](StreamReader::plaintext_len)),
/// random access after it.
impl<R: Read> Read for StreamReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(self.failure());
        }
        let result = match self.random_access {
            Some(read_at_position) => read_at_position(self, out),
            None => self.read_sequential(out),
        };
        result.map_err(|e| {
            self.failed = true;
            to_io(e)
        })
    }
}

impl<R: Read + Seek> Seek for StreamReader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let layout = self.layout().map_err(to_io)?;
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => layout.plaintext_len.checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the plaintext",
            )
        })?;
        self.position = target;
        Ok(target)
    }
}

#[cfg(feature = "tokio")]
mod async_read {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll, ready};

    use tokio::io::{AsyncRead, ReadBuf};

    use super::{StreamReader, to_io};

    impl<R: AsyncRead + Unpin> AsyncRead for StreamReader<R> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            out: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if this.failed {
                return Poll::Ready(Err(this.failure()));
            }
            loop {
                if this.pos < this.end {
                    let n = (this.end - this.pos).min(out.remaining());
                    out.put_slice(&this.plain[this.pos..this.pos + n]);
                    this.pos += n;
                    this.served += u64::try_from(n).unwrap_or(u64::MAX);
                    return Poll::Ready(Ok(()));
                }
                if this.done || out.remaining() == 0 {
                    return Poll::Ready(Ok(()));
                }
                while !this.segment_ready() {
                    let mut buf = ReadBuf::new(&mut this.raw[this.filled..]);
                    ready!(Pin::new(&mut this.inner).poll_read(cx, &mut buf))?;
                    let n = buf.filled().len();
                    this.filled_by(n);
                }
                match this.decode(None) {
                    Ok(n) => {
                        this.pos = 0;
                        this.end = n;
                    }
                    Err(e) => {
                        this.failed = true;
                        return Poll::Ready(Err(to_io(e)));
                    }
                }
            }
        }
    }
}
