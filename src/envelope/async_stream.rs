//! Async adapters for streaming envelopes (`tokio::io::AsyncRead` / `AsyncWrite`),
//! behind the `tokio` feature. The format is the one of [`StreamWriter`](super::StreamWriter).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

use super::seal::EnvelopeLimits;
use super::stream::{
    SegmentCipher, fresh_material, header_needs, open_header, start_stream, to_io,
};
use super::wrap::KeyEncryptionKey;
use crate::{Algorithm, Error, Result};

/// An encrypting [`AsyncWrite`]r. Made by
/// [`Sealer::encrypt_stream_async`](super::Sealer::encrypt_stream_async).
///
/// `shutdown()` (`AsyncWriteExt::shutdown`) is the async `finish`: it writes the final
/// segment and shuts the inner writer down. A writer dropped before `shutdown` completes
/// leaves a stream that every reader rejects as truncated.
pub struct AsyncStreamWriter<W> {
    inner: W,
    segments: SegmentCipher,
    index: u32,
    /// Plaintext of the segment being filled.
    buf: Vec<u8>,
    /// Sealed bytes not yet accepted by `inner` (the header first).
    pending: Vec<u8>,
    pending_pos: usize,
    finished: bool,
}

impl<W> std::fmt::Debug for AsyncStreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncStreamWriter")
            .field("segments", &self.segments)
            .field("index", &self.index)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<W: AsyncWrite + Unpin> AsyncStreamWriter<W> {
    pub(crate) fn new<K: KeyEncryptionKey>(
        inner: W,
        keks: &[K],
        algorithm: Algorithm,
        segment_size: u32,
        aad: &[u8],
    ) -> Result<Self> {
        let (dek, salt, prefix) = fresh_material()?;
        let (header, segments) =
            start_stream(keks, algorithm, segment_size, aad, &dek, &salt, &prefix)?;
        let capacity = segments.sealed_len();
        Ok(Self {
            inner,
            segments,
            index: 0,
            buf: Vec::with_capacity(capacity),
            pending: header,
            pending_pos: 0,
            finished: false,
        })
    }

    /// The inner writer. Call it after `shutdown` has completed; before, the stream in
    /// it is incomplete.
    pub fn into_inner(self) -> W {
        self.inner
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pending_pos < self.pending.len() {
            let n = ready!(
                Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.pending_pos..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending_pos += n;
        }
        self.pending.clear();
        self.pending_pos = 0;
        Poll::Ready(Ok(()))
    }

    /// Moves the plaintext buffer into `pending` as a sealed segment.
    fn seal_buffer(&mut self, last: bool) -> Result<()> {
        std::mem::swap(&mut self.buf, &mut self.pending);
        self.segments
            .seal_segment(&mut self.index, last, &mut self.pending)
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for AsyncStreamWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(Err(io::Error::other("write after shutdown")));
        }
        ready!(this.poll_drain(cx))?;
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.buf.len() == this.segments.segment_size {
            // More data after a full segment: that segment is not the last.
            this.seal_buffer(false).map_err(to_io)?;
            ready!(this.poll_drain(cx))?;
        }
        let take = (this.segments.segment_size - this.buf.len()).min(data.len());
        this.buf.extend_from_slice(&data[..take]);
        Poll::Ready(Ok(take))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.finished {
            ready!(this.poll_drain(cx))?;
            this.seal_buffer(true).map_err(to_io)?;
            this.finished = true;
        }
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// A decrypting [`AsyncRead`]er. Made by
/// [`Opener::decrypt_stream_async`](super::Opener::decrypt_stream_async). Same guarantees
/// as [`StreamReader`](super::StreamReader): segments are released only once
/// authenticated, and the end of the stream is authenticated; do not act on the data
/// before the reader reports end of file.
pub struct AsyncStreamReader<R> {
    inner: R,
    segments: SegmentCipher,
    index: u32,
    /// Sealed segment plus one byte of lookahead.
    raw: Vec<u8>,
    filled: usize,
    /// Plaintext being served: `plain[pos..end]`.
    plain: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    done: bool,
    failed: bool,
}

impl<R> std::fmt::Debug for AsyncStreamReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncStreamReader")
            .field("segments", &self.segments)
            .field("index", &self.index)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: AsyncRead + Unpin> AsyncStreamReader<R> {
    pub(crate) async fn new<K: KeyEncryptionKey>(
        mut inner: R,
        keks: &[K],
        limits: &EnvelopeLimits,
        aad: &[u8],
    ) -> Result<Self> {
        let mut header = Vec::new();
        loop {
            let n = header_needs(&header, limits)?;
            if n == 0 {
                break;
            }
            let start = header.len();
            header.resize(start + n, 0);
            inner
                .read_exact(&mut header[start..])
                .await
                .map_err(|e| match e.kind() {
                    io::ErrorKind::UnexpectedEof => Error::Malformed("truncated stream header"),
                    _ => Error::Io(e),
                })?;
        }
        let opened = open_header(&header, keks, limits, aad)?;
        let raw = vec![0u8; opened.segments.sealed_len() + 1];
        let plain = vec![0u8; opened.segments.segment_size];
        Ok(Self {
            inner,
            segments: opened.segments,
            index: 0,
            raw,
            filled: 0,
            plain,
            pos: 0,
            end: 0,
            eof: false,
            done: false,
            failed: false,
        })
    }

    /// Decrypts the sealed segment in `raw[..filled]` (the last byte being lookahead
    /// when the segment is not the last).
    fn open_filled(&mut self) -> Result<()> {
        let full = self.segments.sealed_len();
        let last = self.filled <= full;
        let sealed_len = self.filled.min(full);
        let n = self.segments.open_segment_to(
            &mut self.index,
            last,
            &self.raw[..sealed_len],
            &mut self.plain,
        )?;
        self.pos = 0;
        self.end = n;
        self.done = last;
        Ok(())
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for AsyncStreamReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.failed {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    Error::DecryptionFailed,
                )));
            }
            if this.pos < this.end {
                let n = (this.end - this.pos).min(out.remaining());
                out.put_slice(&this.plain[this.pos..this.pos + n]);
                this.pos += n;
                return Poll::Ready(Ok(()));
            }
            if this.done || out.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if this.filled > this.segments.sealed_len() {
                // The previous segment is served: carry its lookahead byte over.
                this.raw[0] = this.raw[this.filled - 1];
                this.filled = 1;
            }
            while this.filled < this.raw.len() && !this.eof {
                let mut rb = ReadBuf::new(&mut this.raw[this.filled..]);
                ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
                let n = rb.filled().len();
                if n == 0 {
                    this.eof = true;
                }
                this.filled += n;
            }
            if let Err(e) = this.open_filled() {
                this.failed = true;
                return Poll::Ready(Err(to_io(e)));
            }
        }
    }
}
