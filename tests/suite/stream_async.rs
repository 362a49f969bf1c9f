//! Streams from async code: the same writer and reader types as the blocking API, as tokio
//! `AsyncWrite`/`AsyncRead`, under sync and async key-encryption keys, through pipes small
//! enough that every poll returns `Pending` now and then.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use privkit::Algorithm;
use privkit::envelope::{
    AsyncKeyEncryptionKey, AsyncOpener, AsyncSealer, KekFuture, KeyEncryptionKey, LocalKek, Opener,
    Sealer, StreamWriter,
};
use privkit::secret::SecretBytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

// `StreamWriter<Vec<u8>>` is both a `Write` and an `AsyncWrite` (tokio implements
// `AsyncWrite` for `Vec<u8>`): these helpers name the async trait.
async fn write_async<W: AsyncWrite + Unpin>(w: &mut W, data: &[u8]) {
    AsyncWriteExt::write_all(w, data).await.unwrap();
}

async fn read_async<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    AsyncReadExt::read_to_end(r, &mut out).await?;
    Ok(out)
}

fn read_blocking<R: std::io::Read>(r: &mut R) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(r, &mut out).unwrap();
    out
}

/// An async KEK standing in for a KMS: every call yields to the runtime first, and wraps
/// are counted.
struct Remote {
    local: LocalKek,
    wraps: AtomicUsize,
}

impl AsyncKeyEncryptionKey for Remote {
    fn kek_id(&self) -> &str {
        "remote"
    }
    fn wrap_key<'a>(&'a self, key: &'a SecretBytes, context: &'a [u8]) -> KekFuture<'a, Vec<u8>> {
        self.wraps.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.local.wrap_key(key, context)
        })
    }
    fn unwrap_key<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a [u8],
    ) -> KekFuture<'a, SecretBytes> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.local.unwrap_key(wrapped, context)
        })
    }
}

#[tokio::test]
async fn async_round_trip_and_cross_compatibility() {
    let kek = Arc::new(LocalKek::generate("k").unwrap());
    for alg in [Algorithm::Aes256Gcm, Algorithm::XChaCha20Poly1305] {
        for len in [0usize, 1, 64, 65, 64 * 4, 1000] {
            let pt = plaintext(len);
            let sealer = Sealer::new(kek.clone())
                .with_algorithm(alg)
                .with_segment_size(64);
            // async writer -> blocking reader
            let mut w = sealer.encrypt_stream(Vec::new(), b"ctx").unwrap();
            for chunk in pt.chunks(7) {
                write_async(&mut w, chunk).await;
            }
            AsyncWriteExt::shutdown(&mut w).await.unwrap();
            let ct = w.into_inner();
            let mut r = Opener::new(kek.clone())
                .decrypt_stream(&ct[..], b"ctx")
                .unwrap();
            assert_eq!(read_blocking(&mut r), pt, "{alg} {len}");
            // blocking writer -> async reader
            let mut bw = sealer.encrypt_stream(Vec::new(), b"ctx").unwrap();
            std::io::Write::write_all(&mut bw, &pt).unwrap();
            let ct = bw.finish().unwrap();
            let mut r = Opener::new(kek.clone())
                .decrypt_stream_async(&ct[..], b"ctx")
                .await
                .unwrap();
            assert_eq!(read_async(&mut r).await.unwrap(), pt, "{alg} {len}");
        }
    }
}

#[tokio::test]
async fn async_through_a_small_pipe() {
    let kek = Arc::new(LocalKek::generate("k").unwrap());
    let pt = plaintext(64 * 10 + 9);
    let (client, server) = tokio::io::duplex(37);
    let sealer = Sealer::new(kek.clone()).with_segment_size(64);
    let mut w = sealer.encrypt_stream(client, b"pipe").unwrap();
    let data = pt.clone();
    let writer = tokio::spawn(async move {
        for chunk in data.chunks(100) {
            write_async(&mut w, chunk).await;
        }
        w.shutdown().await.unwrap();
    });
    let mut r = Opener::new(kek)
        .decrypt_stream_async(server, b"pipe")
        .await
        .unwrap();
    let out = read_async(&mut r).await.unwrap();
    writer.await.unwrap();
    assert_eq!(out, pt);
}

/// A stream sealed from async code under an async KEK (what a backup to AWS KMS does):
/// one wrap per stream, the header goes out with the first write, and both openers read it.
#[tokio::test]
async fn async_kek_streams_through_a_pipe() {
    let remote = Arc::new(Remote {
        local: LocalKek::generate("remote").unwrap(),
        wraps: AtomicUsize::new(0),
    });
    let pt = plaintext(64 * 50 + 3);
    let (client, server) = tokio::io::duplex(101);
    let sealer = AsyncSealer::new(remote.clone()).with_segment_size(64);
    let mut w: StreamWriter<_> = sealer.encrypt_stream(client, b"backup").await.unwrap();
    assert_eq!(remote.wraps.load(Ordering::SeqCst), 1);
    let data = pt.clone();
    let writer = tokio::spawn(async move {
        for chunk in data.chunks(333) {
            write_async(&mut w, chunk).await;
        }
        w.shutdown().await.unwrap();
    });
    let mut r = AsyncOpener::new(remote.clone())
        .decrypt_stream(server, b"backup")
        .await
        .unwrap();
    assert_eq!(read_async(&mut r).await.unwrap(), pt);
    writer.await.unwrap();
    // The same stream written to memory opens with a blocking opener holding the KEK's
    // local key, and with the wrong associated data it fails at the header.
    let mut w = sealer.encrypt_stream(Vec::new(), b"backup").await.unwrap();
    write_async(&mut w, &pt).await;
    AsyncWriteExt::shutdown(&mut w).await.unwrap();
    let ct = w.into_inner();
    let local = LocalKek::new("remote", remote.local.keyset().clone()).unwrap();
    let mut r = Opener::new(local)
        .decrypt_stream(&ct[..], b"backup")
        .unwrap();
    assert_eq!(read_blocking(&mut r), pt);
    assert!(
        AsyncOpener::new(remote)
            .decrypt_stream(&ct[..], b"other")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn fail_async_truncation_and_unfinished_writer() {
    let kek = Arc::new(LocalKek::generate("k").unwrap());
    let sealer = Sealer::new(kek.clone()).with_segment_size(64);
    let mut bw = sealer.encrypt_stream(Vec::new(), b"").unwrap();
    std::io::Write::write_all(&mut bw, &plaintext(300)).unwrap();
    let ct = bw.finish().unwrap();
    for cut in [ct.len() - 1, ct.len() - 16, ct.len() - 80, 200] {
        let r = Opener::new(kek.clone())
            .decrypt_stream_async(&ct[..cut], b"")
            .await;
        if let Ok(mut r) = r {
            assert!(read_async(&mut r).await.is_err(), "cut {cut}");
        }
    }
    // A writer dropped before shutdown leaves a stream that does not decrypt.
    let mut w = sealer.encrypt_stream(Vec::new(), b"").unwrap();
    write_async(&mut w, &plaintext(300)).await;
    AsyncWriteExt::flush(&mut w).await.unwrap();
    let partial = w.into_inner();
    let mut r = Opener::new(kek)
        .decrypt_stream_async(&partial[..], b"")
        .await
        .unwrap();
    assert!(read_async(&mut r).await.is_err());
}
