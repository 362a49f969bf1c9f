//! Streaming envelopes: round trips, every rejection the format promises, random access.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::io::{Cursor, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use privkit::envelope::{LocalKek, Opener, Sealer};
use privkit::{Algorithm, Error, Result};
use proptest::prelude::*;

fn kek() -> Arc<LocalKek> {
    Arc::new(LocalKek::generate("stream-kek").unwrap())
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn encrypt(kek: &Arc<LocalKek>, alg: Algorithm, seg: u32, pt: &[u8], chunk: usize) -> Vec<u8> {
    let mut w = Sealer::new(kek.clone())
        .with_algorithm(alg)
        .with_segment_size(seg)
        .encrypt_stream(Vec::new(), b"aad")
        .unwrap();
    for c in pt.chunks(chunk.max(1)) {
        w.write_all(c).unwrap();
    }
    w.finish().unwrap()
}

fn decrypt(kek: &Arc<LocalKek>, ct: &[u8]) -> Result<Vec<u8>> {
    let mut r = Opener::new(kek.clone()).decrypt_stream(ct, b"aad")?;
    let mut out = Vec::new();
    r.read_to_end(&mut out)
        .map_err(|e| match e.into_inner().map(|i| i.downcast::<Error>()) {
            Some(Ok(inner)) => *inner,
            _ => Error::DecryptionFailed,
        })?;
    Ok(out)
}

fn decrypt_seekable(kek: &Arc<LocalKek>, ct: &[u8]) -> Result<Vec<u8>> {
    let mut r = Opener::new(kek.clone()).decrypt_stream(Cursor::new(ct), b"aad")?;
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}

/// Header length of a one-KEK version 2 stream: fixed part, nonce prefix, count, one
/// entry, header MAC.
fn header_len(ct: &[u8], alg: Algorithm) -> usize {
    let start = 74 + alg.nonce_len() - 5 + 1;
    let id_len = usize::from(u16::from_be_bytes([ct[start], ct[start + 1]]));
    let key_at = start + 2 + id_len;
    key_at + 2 + usize::from(u16::from_be_bytes([ct[key_at], ct[key_at + 1]])) + 32
}

#[test]
fn round_trip_sizes_algorithms_and_patterns() {
    let kek = kek();
    let seg = 64u32;
    for alg in Algorithm::ALL {
        for len in [0usize, 1, 63, 64, 65, 128, 200, 64 * 7] {
            let pt = plaintext(len);
            for chunk in [1usize, 7, 64, 1000] {
                let ct = encrypt(&kek, alg, seg, &pt, chunk);
                let segments = if len == 0 { 1 } else { len.div_ceil(64) };
                assert_eq!(
                    ct.len(),
                    header_len(&ct, alg) + len + 16 * segments,
                    "{alg} len {len}"
                );
                assert_eq!(
                    decrypt(&kek, &ct).unwrap(),
                    pt,
                    "{alg} len {len} chunk {chunk}"
                );
                assert_eq!(
                    decrypt_seekable(&kek, &ct).unwrap(),
                    pt,
                    "{alg} len {len} chunk {chunk}"
                );
            }
        }
    }
}

#[test]
fn default_segment_size_large_payload() {
    let kek = kek();
    let pt = plaintext(1 << 20 | 12345);
    let mut w = Sealer::new(kek.clone())
        .encrypt_stream(Vec::new(), b"aad")
        .unwrap();
    w.write_all(&pt).unwrap();
    assert_eq!(w.segment_size(), 64 * 1024);
    let ct = w.finish().unwrap();
    assert_eq!(decrypt(&kek, &ct).unwrap(), pt);
}

fn expect_reject(kek: &Arc<LocalKek>, ct: &[u8], what: &str) {
    assert!(
        decrypt(kek, ct).is_err(),
        "{what}: sequential reader accepted"
    );
    assert!(
        decrypt_seekable(kek, ct).is_err(),
        "{what}: seekable reader accepted"
    );
}

#[test]
fn fail_truncation_anywhere() {
    let kek = kek();
    let ct = encrypt(&kek, Algorithm::Aes256Gcm, 64, &plaintext(64 * 3 + 20), 50);
    for cut in 0..ct.len() {
        expect_reject(&kek, &ct[..cut], &format!("truncated to {cut}"));
    }
    // At a segment boundary the error says so.
    let h = header_len(&ct, Algorithm::Aes256Gcm);
    match decrypt(&kek, &ct[..h + 2 * 80]) {
        Err(Error::Malformed(m)) => assert!(m.contains("truncated"), "{m}"),
        other => panic!("expected a truncation error, got {other:?}"),
    }
}

#[test]
fn fail_drop_without_finish() {
    let kek = kek();
    let mut out = Vec::new();
    {
        let mut w = Sealer::new(kek.clone())
            .with_segment_size(64)
            .encrypt_stream(&mut out, b"aad")
            .unwrap();
        w.write_all(&plaintext(300)).unwrap();
        // dropped here without finish()
    }
    expect_reject(&kek, &out, "unfinished");
}

#[test]
fn fail_segment_reorder_duplicate_drop_and_foreign() {
    let kek = kek();
    let alg = Algorithm::ChaCha20Poly1305;
    let pt = plaintext(64 * 4);
    let ct = encrypt(&kek, alg, 64, &pt, 64);
    let h = header_len(&ct, alg);
    let seg = |i: usize| &ct[h + i * 80..h + (i + 1) * 80];
    let build = |order: &[usize]| -> Vec<u8> {
        let mut v = ct[..h].to_vec();
        for &i in order {
            v.extend_from_slice(seg(i));
        }
        v
    };
    assert_eq!(decrypt(&kek, &build(&[0, 1, 2, 3])).unwrap(), pt);
    expect_reject(&kek, &build(&[1, 0, 2, 3]), "reordered");
    expect_reject(&kek, &build(&[0, 1, 1, 2, 3]), "duplicated");
    expect_reject(&kek, &build(&[0, 2, 3]), "dropped middle");
    expect_reject(&kek, &build(&[0, 1, 2]), "dropped last");
    expect_reject(&kek, &build(&[0, 1, 2, 3, 3]), "final repeated");
    // A segment from another stream under the same KEK.
    let other = encrypt(&kek, alg, 64, &pt, 64);
    let mut mixed = build(&[0]);
    mixed.extend_from_slice(&other[h + 80..h + 160]);
    mixed.extend_from_slice(seg(2));
    mixed.extend_from_slice(seg(3));
    expect_reject(&kek, &mixed, "foreign segment");
    // Header swapped between streams.
    let mut swapped = other[..h].to_vec();
    swapped.extend_from_slice(&ct[h..]);
    expect_reject(&kek, &swapped, "swapped header");
}

#[test]
fn fail_appended_bytes() {
    let kek = kek();
    for len in [64 * 3, 64 * 3 + 10, 0] {
        let ct = encrypt(&kek, Algorithm::Aes256Gcm, 64, &plaintext(len), 64);
        for extra in [&[0u8][..], &[1, 2, 3], &[0; 80]] {
            let mut v = ct.clone();
            v.extend_from_slice(extra);
            expect_reject(&kek, &v, "appended");
        }
    }
    let ct = encrypt(&kek, Algorithm::Aes256Gcm, 64, &plaintext(128), 64);
    let mut v = ct.clone();
    v.push(0);
    match decrypt(&kek, &v) {
        Err(Error::Malformed(m)) => assert!(m.contains("after the final"), "{m}"),
        other => panic!("expected a trailing-data error, got {other:?}"),
    }
}

#[test]
fn fail_wrong_aad_or_kek_or_bit_flip() {
    let kek = kek();
    let ct = encrypt(&kek, Algorithm::Aes256GcmSiv, 64, &plaintext(150), 64);
    assert!(matches!(
        Opener::new(kek.clone()).decrypt_stream(&ct[..], b"other aad"),
        Err(Error::DecryptionFailed)
    ));
    assert!(
        Opener::new(Arc::new(LocalKek::generate("stream-kek").unwrap()))
            .decrypt_stream(&ct[..], b"aad")
            .is_err()
    );
    for i in (0..ct.len() * 8).step_by(3) {
        let mut bad = ct.clone();
        bad[i / 8] ^= 1 << (i % 8);
        expect_reject(&kek, &bad, &format!("bit {i}"));
    }
}

#[test]
fn fail_bad_segment_sizes() {
    let kek = kek();
    for bad in [0u32, 63, (16 << 20) + 1] {
        assert!(matches!(
            Sealer::new(kek.clone())
                .with_segment_size(bad)
                .encrypt_stream(Vec::<u8>::new(), b""),
            Err(Error::InvalidArgument(_))
        ));
    }
}

#[test]
fn seek_every_boundary() {
    let kek = kek();
    let seg = 64usize;
    for len in [0usize, 64, 64 * 3, 64 * 3 + 17] {
        let pt = plaintext(len);
        let ct = encrypt(&kek, Algorithm::XChaCha20Poly1305, 64, &pt, 13);
        let mut r = Opener::new(kek.clone())
            .decrypt_stream(Cursor::new(&ct), b"aad")
            .unwrap();
        assert_eq!(r.plaintext_len().unwrap(), len as u64);
        let mut points: Vec<usize> = (0..=len / seg + 1)
            .flat_map(|i| [i * seg, (i * seg).saturating_sub(1), i * seg + 1])
            .collect();
        points.extend([0, len, len + 5]);
        for &start in &points {
            for want in [0usize, 1, 5, 63, 64, 65, 200] {
                r.seek(SeekFrom::Start(start as u64)).unwrap();
                let mut buf = vec![0u8; want];
                let mut got = 0;
                while got < want {
                    let n = r.read(&mut buf[got..]).unwrap();
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
                let end = (start + want).min(len).max(start.min(len));
                assert_eq!(
                    &buf[..got],
                    &pt[start.min(len)..end],
                    "len {len} start {start} want {want}"
                );
            }
        }
        // Relative seeks.
        r.seek(SeekFrom::End(-1)).ok();
        r.seek(SeekFrom::Start(10)).unwrap();
        assert_eq!(r.seek(SeekFrom::Current(5)).unwrap(), 15);
        assert!(r.seek(SeekFrom::Current(-100)).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prop_round_trip(seg in 64u32..300, len in 0usize..3000, chunk in 1usize..700, alg in prop::sample::select(Algorithm::ALL.to_vec())) {
        let kek = kek();
        let pt = plaintext(len);
        let ct = encrypt(&kek, alg, seg, &pt, chunk);
        prop_assert_eq!(decrypt(&kek, &ct).unwrap(), pt.clone());
        prop_assert_eq!(decrypt_seekable(&kek, &ct).unwrap(), pt);
    }

    #[test]
    fn prop_random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let kek = kek();
        prop_assert!(decrypt(&kek, &bytes).is_err());
        prop_assert!(decrypt_seekable(&kek, &bytes).is_err());
    }
}

#[test]
fn small_and_large_read_buffers_agree() {
    let kek = kek();
    let pt = plaintext(64 * 5 + 3);
    let ct = encrypt(&kek, Algorithm::Aes256Gcm, 64, &pt, 64);
    for read_size in [1usize, 7, 63, 64, 65, 1000] {
        let mut r = Opener::new(kek.clone())
            .decrypt_stream(&ct[..], b"aad")
            .unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0u8; read_size];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, pt, "read size {read_size}");
        // Truncation is found whatever the read size.
        let mut r = Opener::new(kek.clone())
            .decrypt_stream(&ct[..ct.len() - 1], b"aad")
            .unwrap();
        let mut sink = Vec::new();
        assert!(
            std::io::copy(&mut r, &mut sink).is_err(),
            "read size {read_size}"
        );
    }
}

/// A segment that fails authentication must leave no decryption in the caller's buffer,
/// whatever the algorithm: AES-256-GCM-SIV decrypts before it can check the tag.
#[test]
fn fail_tampered_segment_leaves_no_plaintext_in_read_buffer() {
    let kek = kek();
    let pt = plaintext(200);
    for alg in Algorithm::ALL {
        let ct = encrypt(&kek, alg, 64, &pt, 64);
        for at in header_len(&ct, alg)..ct.len() {
            let mut bad = ct.clone();
            bad[at] ^= 1;
            let Ok(mut r) = Opener::new(kek.clone()).decrypt_stream(&bad[..], b"aad") else {
                continue;
            };
            // Read until the tampered segment fails; check the buffer of the failing read.
            let mut buf = vec![0xeeu8; 4096];
            loop {
                buf.fill(0xee);
                match r.read(&mut buf) {
                    Ok(0) => panic!("{alg}: tampered byte {at} read to the end"),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            for seg in pt.chunks(64) {
                let leaked = buf
                    .windows(seg.len())
                    .any(|w| w.iter().zip(seg).filter(|(a, b)| a == b).count() > seg.len() - 2);
                assert!(!leaked, "{alg}, byte {at}: plaintext in the buffer");
            }
        }
    }
}

/// A source that serves its bytes in ragged pieces, interrupted every third call.
struct Ragged<'a> {
    data: &'a [u8],
    calls: usize,
}

impl Read for Ragged<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(3) {
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        let n = (self.calls % 7 + 1).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn ragged_and_interrupted_reads_round_trip() {
    let kek = kek();
    let pt = plaintext(1000);
    let ct = encrypt(&kek, Algorithm::Aes256Gcm, 64, &pt, 1000);
    let source = Ragged {
        data: &ct,
        calls: 0,
    };
    let mut r = Opener::new(kek).decrypt_stream(source, b"aad").unwrap();
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap();
    assert_eq!(out, pt);
}

/// A stream sealed in place, segment by segment, from the caller's buffer.
fn encrypt_in_place(kek: &Arc<LocalKek>, alg: Algorithm, seg: u32, pt: &[u8]) -> Vec<u8> {
    let mut sealer = Sealer::new(kek.clone())
        .with_algorithm(alg)
        .with_segment_size(seg)
        .encrypt_segments(b"aad")
        .unwrap();
    let mut out = sealer.header().to_vec();
    let n = pt.len().div_ceil(seg as usize).max(1);
    for i in 0..n {
        let chunk = pt.get(i * seg as usize..).unwrap_or(&[]);
        let chunk = &chunk[..chunk.len().min(seg as usize)];
        let start = out.len();
        out.extend_from_slice(chunk);
        let tag = if i + 1 < n {
            sealer.seal_segment(&mut out[start..]).unwrap()
        } else {
            sealer.seal_final(&mut out[start..]).unwrap()
        };
        out.extend_from_slice(&tag);
    }
    assert!(sealer.is_finished());
    out
}

/// Opens a stream in place, segment by segment (a stream with no segment at all fails
/// on the empty final segment it lacks).
fn decrypt_in_place(kek: &Arc<LocalKek>, ct: &[u8]) -> Result<Vec<u8>> {
    let (mut opener, header) = Opener::new(kek.clone()).decrypt_segments(ct, b"aad")?;
    let sealed_len = opener.segment_size() + 16;
    let mut body = ct[header..].to_vec();
    let mut out = Vec::new();
    let count = body.len().div_ceil(sealed_len).max(1);
    for (i, sealed) in body.chunks_mut(sealed_len).enumerate() {
        let at = sealed
            .len()
            .checked_sub(16)
            .ok_or(Error::Malformed("short"))?;
        let (segment, tag) = sealed.split_at_mut(at);
        if i + 1 < count {
            opener.open_segment(segment, tag)?;
        } else {
            opener.open_final(segment, tag)?;
        }
        out.extend_from_slice(segment);
    }
    if !opener.is_finished() {
        let (mut empty, tag) = (Vec::new(), [0u8; 16]);
        opener.open_final(&mut empty, &tag)?;
    }
    Ok(out)
}

#[test]
fn in_place_segments_interoperate_with_the_writer_and_reader() {
    let kek = kek();
    for alg in Algorithm::ALL {
        for len in [0usize, 1, 63, 64, 65, 128, 200, 1000] {
            let pt = plaintext(len);
            let ct = encrypt_in_place(&kek, alg, 64, &pt);
            assert_eq!(
                ct.len(),
                encrypt(&kek, alg, 64, &pt, 7).len(),
                "{alg:?} {len}"
            );
            assert_eq!(decrypt(&kek, &ct).unwrap(), pt, "{alg:?} {len}");
            assert_eq!(decrypt_seekable(&kek, &ct).unwrap(), pt, "{alg:?} {len}");
            let written = encrypt(&kek, alg, 64, &pt, 13);
            assert_eq!(
                decrypt_in_place(&kek, &written).unwrap(),
                pt,
                "{alg:?} {len}"
            );
            assert_eq!(decrypt_in_place(&kek, &ct).unwrap(), pt, "{alg:?} {len}");
        }
    }
}

#[test]
fn fail_in_place_segment_sizes_and_order() {
    let kek = kek();
    let sealer = Sealer::new(kek.clone()).with_segment_size(64);
    let mut s = sealer.encrypt_segments(b"aad").unwrap();
    let e = s.seal_segment(&mut [0u8; 63]).unwrap_err().to_string();
    assert!(e.contains("exactly 64 bytes, not 63"), "{e}");
    let e = s.seal_final(&mut [0u8; 65]).unwrap_err().to_string();
    assert!(e.contains("at most 64 bytes, not 65"), "{e}");
    s.seal_segment(&mut [0u8; 64]).unwrap();
    assert!(matches!(
        s.seal_final(&mut []),
        Err(Error::InvalidArgument(_))
    ));
    s.seal_final(&mut [0u8; 3]).unwrap();
    assert!(matches!(
        s.seal_final(&mut [0u8; 3]),
        Err(Error::InvalidOperation(_))
    ));
    assert!(matches!(
        s.seal_segment(&mut [0u8; 64]),
        Err(Error::InvalidOperation(_))
    ));

    // An empty stream is one empty final segment.
    let mut s = sealer.encrypt_segments(b"aad").unwrap();
    let tag = s.seal_final(&mut []).unwrap();
    let mut empty = s.header().to_vec();
    empty.extend_from_slice(&tag);
    assert_eq!(decrypt(&kek, &empty).unwrap(), b"");

    let pt = plaintext(64 * 3 + 10);
    let ct = encrypt(&kek, Algorithm::Aes256Gcm, 64, &pt, 50);
    let (mut o, h) = Opener::new(kek.clone())
        .decrypt_segments(&ct, b"aad")
        .unwrap();
    let seg = |i: usize| ct[h + i * 80..(h + i * 80 + 80).min(ct.len())].to_vec();
    // Sizes and tags are checked before any decryption.
    let e = o
        .open_segment(&mut [0u8; 10], &[0; 16])
        .unwrap_err()
        .to_string();
    assert!(e.contains("exactly 64 bytes, not 10"), "{e}");
    let e = o
        .open_segment(&mut [0u8; 64], &[0; 15])
        .unwrap_err()
        .to_string();
    assert!(e.contains("tag is 16 bytes, not 15"), "{e}");
    // Out of order: segment 1 at position 0.
    let mut s1 = seg(1);
    let (b, t) = s1.split_at_mut(64);
    assert!(matches!(o.open_segment(b, t), Err(Error::DecryptionFailed)));
    // Cut at a segment boundary: segment 0 opened as the final one.
    let mut s0 = seg(0);
    let (b, t) = s0.split_at_mut(64);
    assert!(matches!(o.open_final(b, t), Err(Error::DecryptionFailed)));
    // A failure leaves the opener at the same segment; the right one then opens.
    let mut s0 = seg(0);
    let (b, t) = s0.split_at_mut(64);
    o.open_segment(b, t).unwrap();
    assert_eq!(b, &pt[..64]);
    // A flipped bit: the segment is zeroed, so nothing unauthenticated is left in it.
    let mut s1 = seg(1);
    s1[5] ^= 1;
    let (b, t) = s1.split_at_mut(64);
    assert!(matches!(o.open_segment(b, t), Err(Error::DecryptionFailed)));
    assert!(b.iter().all(|&x| x == 0));
    for i in 1..3 {
        let mut s = seg(i);
        let (b, t) = s.split_at_mut(64);
        o.open_segment(b, t).unwrap();
    }
    // The final segment marked as not final.
    let mut s3 = seg(3);
    let (b, t) = s3.split_at_mut(10);
    assert!(o.open_segment(b, t).is_err());
    let mut s3 = seg(3);
    let (b, t) = s3.split_at_mut(10);
    o.open_final(b, t).unwrap();
    assert_eq!(b, &pt[192..]);
    assert!(o.is_finished());
    assert!(matches!(
        o.open_final(b, t),
        Err(Error::InvalidOperation(_))
    ));

    // The wrong associated data fails on the header.
    assert!(Opener::new(kek).decrypt_segments(&ct, b"other").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn prop_in_place_round_trip(seg in 64u32..200, len in 0usize..1500, alg in prop::sample::select(Algorithm::ALL.to_vec())) {
        let kek = kek();
        let pt = plaintext(len);
        let ct = encrypt_in_place(&kek, alg, seg, &pt);
        prop_assert_eq!(decrypt(&kek, &ct).unwrap(), pt.clone());
        prop_assert_eq!(decrypt_in_place(&kek, &ct).unwrap(), pt.clone());
        let written = encrypt(&kek, alg, seg, &pt, 97);
        prop_assert_eq!(decrypt_in_place(&kek, &written).unwrap(), pt);
    }
}

#[test]
fn async_in_place_segments_round_trip() -> Result<()> {
    use privkit::envelope::{AsyncOpener, AsyncSealer, SyncToAsync};
    let local = Arc::new(LocalKek::generate("kms-like")?);
    let blocking = Opener::new(local.clone());
    let kek = Arc::new(SyncToAsync::new(local));
    let pt = plaintext(300);
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    let (sealed, opened) = rt.block_on(async {
        let mut sealer = AsyncSealer::new(kek.clone())
            .with_segment_size(128)
            .encrypt_segments(b"aad")
            .await?;
        let mut out = sealer.header().to_vec();
        for (i, chunk) in pt.chunks(128).enumerate() {
            let start = out.len();
            out.extend_from_slice(chunk);
            let tag = if i < 2 {
                sealer.seal_segment(&mut out[start..])?
            } else {
                sealer.seal_final(&mut out[start..])?
            };
            out.extend_from_slice(&tag);
        }
        let (mut opener, header) = AsyncOpener::new(kek).decrypt_segments(&out, b"aad").await?;
        let mut first = out[header..header + 144].to_vec();
        let (seg, tag) = first.split_at_mut(128);
        opener.open_segment(seg, tag)?;
        let opened = seg.to_vec();
        Ok::<_, Error>((out, opened))
    })?;
    assert_eq!(opened, &pt[..128]);
    let mut r = blocking.decrypt_stream(&sealed[..], b"aad")?;
    let mut back = Vec::new();
    r.read_to_end(&mut back)?;
    assert_eq!(back, pt);
    Ok(())
}

// The zero-copy read (issue 20): a read whose buffer has room for a sealed segment and its
// lookahead byte takes the segment from the source straight into the buffer and opens it
// there. Everything below compares it with the buffered read (small buffers), which is the
// path every read took before.

/// How one read through a `StreamReader` ended: the plaintext served, and the privkit
/// error that stopped it (its `Debug` form), if any.
#[derive(Debug, PartialEq)]
struct Outcome {
    plaintext: Vec<u8>,
    error: Option<String>,
}

fn error_text(e: std::io::Error) -> String {
    match e.into_inner().map(|i| i.downcast::<Error>()) {
        Some(Ok(inner)) => format!("{inner:?}"),
        Some(Err(other)) => format!("other: {other}"),
        None => "io error without a source".into(),
    }
}

/// Reads `source` to its end (or its first error) with read buffers of `sizes` bytes in
/// turn, each one filled with 0xee first; returns the outcome and the buffer of the last
/// read.
fn read_with<R: Read>(kek: &Arc<LocalKek>, source: R, sizes: &[usize]) -> (Outcome, Vec<u8>) {
    let mut r = match Opener::new(kek.clone()).decrypt_stream(source, b"aad") {
        Ok(r) => r,
        Err(e) => {
            let error = Some(format!("{e:?}"));
            return (
                Outcome {
                    plaintext: Vec::new(),
                    error,
                },
                Vec::new(),
            );
        }
    };
    let mut plaintext = Vec::new();
    let mut buf = Vec::new();
    for &size in sizes.iter().cycle() {
        buf.clear();
        buf.resize(size, 0xee);
        match r.read(&mut buf) {
            Ok(0) => {
                return (
                    Outcome {
                        plaintext,
                        error: None,
                    },
                    buf,
                );
            }
            Ok(n) => plaintext.extend_from_slice(&buf[..n]),
            Err(e) => {
                let error = Some(error_text(e));
                return (Outcome { plaintext, error }, buf);
            }
        }
    }
    unreachable!("sizes is never empty")
}

/// The read sizes that matter for segments of `seg` bytes: under a segment, a segment,
/// a sealed segment (`seg + 16`), one with its lookahead byte (`seg + 17`: the smallest
/// zero-copy read), the overlapping range up to `2 * seg + 17` (where the ranges come
/// apart) and beyond.
fn interesting_sizes(seg: usize) -> Vec<usize> {
    vec![
        1,
        seg - 1,
        seg,
        seg + 16,
        seg + 17,
        seg + 18,
        seg + 40,
        2 * seg + 16,
        2 * seg + 17,
        2 * seg + 18,
        5 * seg,
    ]
}

/// Lengths around the segment boundaries of segments of `seg` bytes.
fn boundary_lengths(seg: usize) -> Vec<usize> {
    let mut lens = vec![0, 1];
    for k in 1..=4 {
        lens.extend([k * seg - 1, k * seg, k * seg + 1]);
    }
    lens
}

#[test]
fn zero_copy_reads_match_buffered_reads_at_every_boundary() {
    let kek = kek();
    let seg = 64usize;
    let sizes = interesting_sizes(seg);
    for alg in Algorithm::ALL {
        for len in boundary_lengths(seg) {
            let pt = plaintext(len);
            let ct = encrypt(&kek, alg, seg as u32, &pt, 1000);
            let (buffered, _) = read_with(&kek, &ct[..], &[7]);
            assert_eq!(buffered.plaintext, pt, "{alg} len {len}");
            assert_eq!(buffered.error, None, "{alg} len {len}");
            for &size in &sizes {
                let (direct, _) = read_with(&kek, &ct[..], &[size]);
                assert_eq!(direct, buffered, "{alg} len {len} size {size}");
            }
            // Every mix of a small and a large read in turn.
            for &small in &sizes[..4] {
                for &large in &sizes[4..] {
                    for pattern in [[small, large], [large, small]] {
                        let (mixed, _) = read_with(&kek, &ct[..], &pattern);
                        assert_eq!(mixed, buffered, "{alg} len {len} sizes {pattern:?}");
                    }
                }
            }
        }
    }
}

/// A read size drawn from one of the ranges of [`interesting_sizes`].
fn read_size(seg: usize, (range, extra): (u8, usize)) -> usize {
    match range {
        0 => 1 + extra % (seg + 16),
        1 => seg + 17 + extra % (seg + 1),
        2 => 2 * seg + 17 + extra,
        _ => interesting_sizes(seg)[extra % interesting_sizes(seg).len()],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn prop_zero_copy_and_buffered_reads_agree(
        seg in 64usize..100,
        segments in 0usize..5,
        delta in -2isize..=2,
        draws in prop::collection::vec((0u8..4, 0usize..400), 1..6),
        ragged in any::<bool>(),
        alg in prop::sample::select(Algorithm::ALL.to_vec()),
    ) {
        let kek = kek();
        let len = (segments * seg).saturating_add_signed(delta);
        let pt = plaintext(len);
        let ct = encrypt(&kek, alg, seg as u32, &pt, 50);
        let sizes: Vec<usize> = draws.iter().map(|&d| read_size(seg, d)).collect();
        let (buffered, _) = read_with(&kek, &ct[..], &[5]);
        prop_assert_eq!(&buffered.plaintext, &pt);
        let (mixed, _) = if ragged {
            read_with(&kek, Ragged { data: &ct, calls: 0 }, &sizes)
        } else {
            read_with(&kek, &ct[..], &sizes)
        };
        prop_assert_eq!(mixed, buffered);
    }
}

/// Large read buffers: the ring shifted open with the whole ciphertext's head kept aside
/// (`seg + 17`: the overlap starts at 0), with part of it (`seg + 17 + 64 + 5`: at 64, for
/// segments over 64 bytes), and the disjoint ranges of every backend.
fn large_sizes(seg: usize) -> [usize; 4] {
    [seg + 17, seg + 86, 2 * seg + 17, 2 * seg + 4096]
}

/// Segment sizes for the failure tests: the smallest, and one with room for a partial
/// overlap.
const FAIL_SEGMENTS: [usize; 2] = [64, 192];

/// Every byte position for the smallest segments; every 7th for the larger (7 is prime
/// to their 208 sealed bytes, so the positions fall at other offsets in each segment), to
/// keep the tests fast.
fn stride(seg: usize) -> usize {
    if seg == 64 { 1 } else { 7 }
}

#[test]
fn fail_zero_copy_tampered_segment() {
    let kek = kek();
    for (seg, alg) in FAIL_SEGMENTS
        .into_iter()
        .flat_map(|seg| Algorithm::ALL.map(|alg| (seg, alg)))
    {
        for len in [seg * 3, seg * 3 + 20] {
            let pt = plaintext(len);
            let ct = encrypt(&kek, alg, seg as u32, &pt, 64);
            for at in (header_len(&ct, alg)..ct.len()).step_by(stride(seg)) {
                let mut bad = ct.clone();
                bad[at] ^= 1;
                let (buffered, _) = read_with(&kek, &bad[..], &[7]);
                assert_eq!(
                    buffered.error.as_deref(),
                    Some("DecryptionFailed"),
                    "{alg} len {len} byte {at}"
                );
                for size in large_sizes(seg) {
                    let (direct, last_buf) = read_with(&kek, &bad[..], &[size]);
                    assert_eq!(direct, buffered, "{alg} len {len} byte {at} size {size}");
                    // The failing read leaves none of the segment's plaintext behind.
                    for chunk in pt.chunks(seg) {
                        let leaked = last_buf.windows(chunk.len()).any(|w| {
                            w.iter().zip(chunk).filter(|(a, b)| a == b).count() > chunk.len() - 2
                        });
                        assert!(
                            !leaked,
                            "{alg} byte {at} size {size}: plaintext in the buffer"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn fail_zero_copy_truncated_stream() {
    let kek = kek();
    for (seg, alg) in FAIL_SEGMENTS
        .into_iter()
        .flat_map(|seg| Algorithm::ALL.map(|alg| (seg, alg)))
    {
        let pt = plaintext(seg * 3 + 20);
        let ct = encrypt(&kek, alg, seg as u32, &pt, 50);
        let h = header_len(&ct, alg);
        for cut in (0..ct.len()).step_by(stride(seg)) {
            let (buffered, _) = read_with(&kek, &ct[..cut], &[7]);
            assert!(buffered.error.is_some(), "{alg} cut {cut}");
            for size in large_sizes(seg) {
                let (direct, _) = read_with(&kek, &ct[..cut], &[size]);
                assert_eq!(direct, buffered, "{alg} cut {cut} size {size}");
            }
        }
        // Cut at a segment boundary, the error says so on either path.
        for k in 1..=3 {
            let cut = h + k * (seg + 16);
            for size in [7].into_iter().chain(large_sizes(seg)) {
                let (out, _) = read_with(&kek, &ct[..cut], &[size]);
                assert_eq!(
                    out.error.as_deref(),
                    Some("Malformed(\"stream truncated at a segment boundary\")"),
                    "{alg} cut after segment {k} size {size}"
                );
                assert_eq!(out.plaintext, &pt[..(k - 1) * seg], "{alg} {k} {size}");
            }
        }
    }
}

#[test]
fn fail_zero_copy_data_after_the_final_segment() {
    let kek = kek();
    for (seg, alg) in FAIL_SEGMENTS
        .into_iter()
        .flat_map(|seg| Algorithm::ALL.map(|alg| (seg, alg)))
    {
        for len in [seg * 3, seg * 3 + 10, seg, 0] {
            let pt = plaintext(len);
            let ct = encrypt(&kek, alg, seg as u32, &pt, 64);
            for extra in [&[0u8][..], &[1, 2, 3], &[0; 80], &[9; 200]] {
                let mut v = ct.clone();
                v.extend_from_slice(extra);
                let (buffered, _) = read_with(&kek, &v[..], &[7]);
                assert!(
                    buffered.error.is_some(),
                    "{alg} len {len} extra {}",
                    extra.len()
                );
                if len > 0 && len % seg == 0 {
                    assert_eq!(
                        buffered.error.as_deref(),
                        Some("Malformed(\"data after the final segment\")"),
                        "{alg} len {len}"
                    );
                }
                for size in large_sizes(seg) {
                    let (direct, _) = read_with(&kek, &v[..], &[size]);
                    assert_eq!(
                        direct,
                        buffered,
                        "{alg} len {len} extra {} size {size}",
                        extra.len()
                    );
                }
            }
        }
    }
}

#[test]
fn seek_after_zero_copy_reads() {
    let kek = kek();
    let seg = 64usize;
    for alg in Algorithm::ALL {
        for len in [seg * 5, seg * 5 + 17] {
            let pt = plaintext(len);
            let ct = encrypt(&kek, alg, seg as u32, &pt, 64);
            for size in large_sizes(seg) {
                for reads in 1..=3 {
                    let mut r = Opener::new(kek.clone())
                        .decrypt_stream(Cursor::new(&ct), b"aad")
                        .unwrap();
                    let mut buf = vec![0u8; size];
                    let mut got = Vec::new();
                    for _ in 0..reads {
                        let n = r.read(&mut buf).unwrap();
                        got.extend_from_slice(&buf[..n]);
                    }
                    assert_eq!(got, &pt[..got.len()], "{alg} size {size}");
                    // The position is where the zero-copy reads stopped.
                    assert_eq!(r.stream_position().unwrap(), got.len() as u64);
                    assert_eq!(r.plaintext_len().unwrap(), len as u64);
                    let mut rest = Vec::new();
                    r.read_to_end(&mut rest).unwrap();
                    assert_eq!(rest, &pt[got.len()..], "{alg} size {size} reads {reads}");
                    for start in [0, 1, seg - 1, seg, seg + 1, 3 * seg + 5, len - 1] {
                        r.seek(SeekFrom::Start(start as u64)).unwrap();
                        let mut tail = Vec::new();
                        r.read_to_end(&mut tail).unwrap();
                        assert_eq!(tail, &pt[start..], "{alg} size {size} start {start}");
                    }
                }
            }
        }
    }
}
