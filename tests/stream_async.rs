//! The tokio adapters: the same format as the blocking ones, both ways, through pipes
//! small enough that every poll returns `Pending` now and then.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::io::{Read, Write};
use std::sync::Arc;

use privkit::Algorithm;
use privkit::envelope::{LocalKek, Opener, Sealer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
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
            let mut w = sealer.encrypt_stream_async(Vec::new(), b"ctx").unwrap();
            for chunk in pt.chunks(7) {
                w.write_all(chunk).await.unwrap();
            }
            w.shutdown().await.unwrap();
            let ct = w_into_inner(w);
            let mut out = Vec::new();
            Opener::new(kek.clone())
                .decrypt_stream(&ct[..], b"ctx")
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, pt, "{alg} {len}");
            // blocking writer -> async reader
            let mut bw = sealer.encrypt_stream(Vec::new(), b"ctx").unwrap();
            bw.write_all(&pt).unwrap();
            let ct = bw.finish().unwrap();
            let mut r = Opener::new(kek.clone())
                .decrypt_stream_async(&ct[..], b"ctx")
                .await
                .unwrap();
            let mut out = Vec::new();
            r.read_to_end(&mut out).await.unwrap();
            assert_eq!(out, pt, "{alg} {len}");
        }
    }
}

/// The output of a finished async writer.
fn w_into_inner(w: privkit::envelope::AsyncStreamWriter<Vec<u8>>) -> Vec<u8> {
    w.into_inner()
}

#[tokio::test]
async fn async_through_a_small_pipe() {
    let kek = Arc::new(LocalKek::generate("k").unwrap());
    let pt = plaintext(64 * 10 + 9);
    let (client, server) = tokio::io::duplex(37);
    let sealer = Sealer::new(kek.clone()).with_segment_size(64);
    let mut w = sealer.encrypt_stream_async(client, b"pipe").unwrap();
    let data = pt.clone();
    let writer = tokio::spawn(async move {
        for chunk in data.chunks(100) {
            w.write_all(chunk).await.unwrap();
        }
        w.shutdown().await.unwrap();
    });
    let mut r = Opener::new(kek)
        .decrypt_stream_async(server, b"pipe")
        .await
        .unwrap();
    let mut out = Vec::new();
    r.read_to_end(&mut out).await.unwrap();
    writer.await.unwrap();
    assert_eq!(out, pt);
}

#[tokio::test]
async fn fail_async_truncation_and_unfinished_writer() {
    let kek = Arc::new(LocalKek::generate("k").unwrap());
    let sealer = Sealer::new(kek.clone()).with_segment_size(64);
    let mut bw = sealer.encrypt_stream(Vec::new(), b"").unwrap();
    bw.write_all(&plaintext(300)).unwrap();
    let ct = bw.finish().unwrap();
    for cut in [ct.len() - 1, ct.len() - 16, ct.len() - 80, 200] {
        let r = Opener::new(kek.clone())
            .decrypt_stream_async(&ct[..cut], b"")
            .await;
        if let Ok(mut r) = r {
            let mut out = Vec::new();
            assert!(r.read_to_end(&mut out).await.is_err(), "cut {cut}");
        }
    }
    // A writer dropped before shutdown leaves a stream that does not decrypt.
    let mut w = sealer.encrypt_stream_async(Vec::new(), b"").unwrap();
    w.write_all(&plaintext(300)).await.unwrap();
    w.flush().await.unwrap();
    let partial = w.into_inner();
    let mut r = Opener::new(kek)
        .decrypt_stream_async(&partial[..], b"")
        .await
        .unwrap();
    let mut out = Vec::new();
    assert!(r.read_to_end(&mut out).await.is_err());
}
