//! Streaming envelopes against raw AES-256-GCM over the same 64 KiB segments.
//!
//! Run: `cargo bench --bench stream`. The `raw` rows seal (or open) each 64 KiB segment
//! with RustCrypto `aes-gcm` in place in an output buffer allocated once, with a
//! caller-made nonce: the segment work of the stream without the stream machinery
//! (header, key wrapping and derivation, nonce layout, framing, `Read`/`Write`). Associated
//! data goes through `black_box` as in `benches/envelope.rs`.
//!
//! With `--features aws-lc` the stream rows run on the aws-lc backend (names end in
//! `_awslc`) and each group gains `raw_awslc_aes256gcm_segments`: the same segment work
//! on aws-lc-rs `LessSafeKey`. With `--features ring`, the same with `_ring` and
//! `raw_ring_aes256gcm_segments` (ring's `LessSafeKey`); with both, AES-256-GCM runs on ring.
//! The ring build also has `raw_ring_aes256gcm_segments_via_write` and `_via_read`: the
//! same segments behind the `Write` and `Read` interfaces (one more copy per segment, since
//! ring only encrypts and decrypts in place), the floor for the stream types on ring.
//!
//! `stream_reader_spare_room` reads into a buffer with room for a sealed segment and a
//! byte past the plaintext (every read zero-copy), `stream_reader_read_to_end` through
//! `read_to_end` into a reused `Vec`.
//!
//! `segments_in_place` rows: the same stream through `SegmentSealer` and `SegmentOpener`,
//! each segment sealed or opened where it lies in the output buffer (as the raw rows do),
//! header and data-key wrap or unwrap included.

use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::envelope::{LocalKek, Opener, Sealer, SegmentOpener, SegmentSealer, StreamReader};

const SEGMENT: usize = 64 * 1024;

fn raw_seal_segments(cipher: &Aes256Gcm, pt: &[u8], out: &mut Vec<u8>) {
    out.clear();
    for (i, chunk) in pt.chunks(SEGMENT).enumerate() {
        let mut nonce = [0u8; 12];
        nonce[4..8].copy_from_slice(&u32::try_from(i).expect("segment index").to_be_bytes());
        let start = out.len();
        out.extend_from_slice(chunk);
        let tag = cipher
            .encrypt_inout_detached(
                &Nonce::from(nonce),
                black_box(b"".as_slice()),
                (&mut out[start..]).into(),
            )
            .expect("enc");
        out.extend_from_slice(&tag);
    }
}

fn raw_open_segments(cipher: &Aes256Gcm, ct: &[u8], out: &mut Vec<u8>) {
    out.clear();
    for (i, chunk) in ct.chunks(SEGMENT + 16).enumerate() {
        let mut nonce = [0u8; 12];
        nonce[4..8].copy_from_slice(&u32::try_from(i).expect("segment index").to_be_bytes());
        let (body, tag) = chunk.split_at(chunk.len() - 16);
        let start = out.len();
        out.extend_from_slice(body);
        cipher
            .decrypt_inout_detached(
                &Nonce::from(nonce),
                black_box(b"".as_slice()),
                (&mut out[start..]).into(),
                tag.try_into().expect("tag"),
            )
            .expect("dec");
    }
}

#[cfg(feature = "aws-lc")]
fn awslc_seal_segments(key: &aws_lc_rs::aead::LessSafeKey, pt: &[u8], out: &mut Vec<u8>) {
    use aws_lc_rs::aead::{Aad, Nonce};
    out.clear();
    for (i, chunk) in pt.chunks(SEGMENT).enumerate() {
        let mut nonce = [0u8; 12];
        nonce[4..8].copy_from_slice(&u32::try_from(i).expect("segment index").to_be_bytes());
        let start = out.len();
        out.extend_from_slice(chunk);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut out[start..],
            )
            .expect("enc");
        out.extend_from_slice(tag.as_ref());
    }
}

#[cfg(feature = "aws-lc")]
fn awslc_open_segments(key: &aws_lc_rs::aead::LessSafeKey, ct: &[u8], out: &mut Vec<u8>) {
    use aws_lc_rs::aead::{Aad, Nonce};
    out.clear();
    for (i, chunk) in ct.chunks(SEGMENT + 16).enumerate() {
        let mut nonce = [0u8; 12];
        nonce[4..8].copy_from_slice(&u32::try_from(i).expect("segment index").to_be_bytes());
        let (body, tag) = chunk.split_at(chunk.len() - 16);
        let start = out.len();
        out.extend_from_slice(body);
        key.open_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            tag,
            &mut out[start..],
        )
        .expect("dec");
    }
}

#[cfg(feature = "ring")]
fn ring_seal_segments(key: &ring::aead::LessSafeKey, pt: &[u8], out: &mut Vec<u8>) {
    use ring::aead::{Aad, Nonce};
    out.clear();
    for (i, chunk) in pt.chunks(SEGMENT).enumerate() {
        let mut nonce = [0u8; 12];
        nonce[4..8].copy_from_slice(&u32::try_from(i).expect("segment index").to_be_bytes());
        let start = out.len();
        out.extend_from_slice(chunk);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(black_box(b"".as_slice())),
                &mut out[start..],
            )
            .expect("enc");
        out.extend_from_slice(tag.as_ref());
    }
}

#[cfg(feature = "ring")]
fn ring_open_segments(key: &ring::aead::LessSafeKey, ct: &[u8], out: &mut Vec<u8>) {
    use ring::aead::{Aad, Nonce, Tag};
    out.clear();
    for (i, chunk) in ct.chunks(SEGMENT + 16).enumerate() {
        let mut nonce = [0u8; 12];
        nonce[4..8].copy_from_slice(&u32::try_from(i).expect("segment index").to_be_bytes());
        let (body, tag) = chunk.split_at(chunk.len() - 16);
        let start = out.len();
        out.extend_from_slice(body);
        key.open_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(black_box(b"".as_slice())),
            Tag::try_from(tag).expect("tag"),
            &mut out[start..],
            0..,
        )
        .expect("dec");
    }
}

/// The raw ring segments behind the `Write` interface a stream writer has: ring only
/// encrypts in place, so each segment is copied into a buffer, sealed there, and handed to
/// the writer (which copies it again). The floor for any `Write` over ring's AEAD.
#[cfg(feature = "ring")]
fn ring_seal_segments_via_write(
    key: &ring::aead::LessSafeKey,
    pt: &[u8],
    buf: &mut [u8],
    out: &mut impl Write,
) {
    use ring::aead::{Aad, Nonce};
    for (i, chunk) in pt.chunks(SEGMENT).enumerate() {
        let mut nonce = [0u8; 12];
        nonce[4..8].copy_from_slice(&u32::try_from(i).expect("segment index").to_be_bytes());
        let (body, rest) = buf.split_at_mut(chunk.len());
        body.copy_from_slice(chunk);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(black_box(b"".as_slice())),
                body,
            )
            .expect("enc");
        rest[..16].copy_from_slice(tag.as_ref());
        out.write_all(&buf[..chunk.len() + 16]).expect("write");
    }
}

/// The raw ring segments behind the `Read` interface a stream reader has: each sealed
/// segment is read from the source into a buffer, then copied to the caller's output and
/// opened in place there.
#[cfg(feature = "ring")]
fn ring_open_segments_via_read(
    key: &ring::aead::LessSafeKey,
    mut ct: &[u8],
    buf: &mut [u8],
    out: &mut [u8],
) {
    use ring::aead::{Aad, Nonce, Tag};
    let mut i = 0u32;
    let mut at = 0;
    while !ct.is_empty() {
        let n = ct.len().min(SEGMENT + 16);
        ct.read_exact(&mut buf[..n]).expect("read");
        let mut nonce = [0u8; 12];
        nonce[4..8].copy_from_slice(&i.to_be_bytes());
        let (body, tag) = buf[..n].split_at(n - 16);
        let dst = &mut out[at..at + body.len()];
        dst.copy_from_slice(body);
        key.open_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(black_box(b"".as_slice())),
            Tag::try_from(tag).expect("tag"),
            dst,
            0..,
        )
        .expect("dec");
        at += body.len();
        i += 1;
    }
}

/// The stream through [`SegmentSealer`]: each segment copied into `out` and sealed there.
fn privkit_seal_in_place(mut sealer: SegmentSealer, pt: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(sealer.header());
    let mut chunks = pt.chunks(SEGMENT).peekable();
    while let Some(chunk) = chunks.next() {
        let start = out.len();
        out.extend_from_slice(chunk);
        let tag = if chunks.peek().is_some() {
            sealer.seal_segment(&mut out[start..])
        } else {
            sealer.seal_final(&mut out[start..])
        }
        .expect("seal");
        out.extend_from_slice(&tag);
    }
}

/// The stream through [`SegmentOpener`]: each segment copied into `out` and opened there.
fn privkit_open_in_place(mut opener: SegmentOpener, body: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut segments = body.chunks(SEGMENT + 16).peekable();
    while let Some(sealed) = segments.next() {
        let (ct, tag) = sealed.split_at(sealed.len() - 16);
        let start = out.len();
        out.extend_from_slice(ct);
        if segments.peek().is_some() {
            opener.open_segment(&mut out[start..], tag)
        } else {
            opener.open_final(&mut out[start..], tag)
        }
        .expect("open");
    }
}

/// A reader over the stream `ct` (the reader rows).
fn reader<'a>(opener: &Opener, ct: &'a [u8]) -> StreamReader<&'a [u8]> {
    opener.decrypt_stream(black_box(ct), b"").expect("stream")
}

/// A privkit row's name, marked `_awslc` when AES-256-GCM runs on the aws-lc backend.
fn row(name: &str) -> String {
    match privkit::Algorithm::Aes256Gcm.backend() {
        privkit::Backend::AwsLc => format!("{name}_awslc"),
        privkit::Backend::Ring => format!("{name}_ring"),
        _ => name.to_owned(),
    }
}

fn stream(c: &mut Criterion) {
    let raw = Aes256Gcm::new_from_slice(&[7u8; 32]).expect("key");
    #[cfg(feature = "aws-lc")]
    let awslc = aws_lc_rs::aead::LessSafeKey::new(
        aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, &[7u8; 32]).expect("key"),
    );
    #[cfg(feature = "ring")]
    let ring_key = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &[7u8; 32]).expect("key"),
    );
    let kek = Arc::new(LocalKek::generate("bench").expect("kek"));
    let sealer = Sealer::new(kek.clone());
    let opener = Opener::new(kek);
    for size in [1usize << 20, 64 << 20] {
        let pt = vec![0x5au8; size];
        let mut g = c.benchmark_group("stream_encrypt");
        g.throughput(Throughput::Bytes(size as u64));
        if size > 1 << 20 {
            g.sample_size(10);
        }
        let mut out = Vec::with_capacity(size + size / SEGMENT * 16 + 4096);
        g.bench_with_input(
            BenchmarkId::new("raw_aes256gcm_segments", size),
            &pt,
            |b, pt| b.iter(|| raw_seal_segments(&raw, black_box(pt), &mut out)),
        );
        #[cfg(feature = "aws-lc")]
        g.bench_with_input(
            BenchmarkId::new("raw_awslc_aes256gcm_segments", size),
            &pt,
            |b, pt| b.iter(|| awslc_seal_segments(&awslc, black_box(pt), &mut out)),
        );
        #[cfg(feature = "ring")]
        g.bench_with_input(
            BenchmarkId::new("raw_ring_aes256gcm_segments", size),
            &pt,
            |b, pt| b.iter(|| ring_seal_segments(&ring_key, black_box(pt), &mut out)),
        );
        #[cfg(feature = "ring")]
        {
            let mut buf = vec![0u8; SEGMENT + 16];
            g.bench_with_input(
                BenchmarkId::new("raw_ring_aes256gcm_segments_via_write", size),
                &pt,
                |b, pt| {
                    b.iter(|| {
                        out.clear();
                        ring_seal_segments_via_write(&ring_key, black_box(pt), &mut buf, &mut out)
                    })
                },
            );
        }
        g.bench_with_input(
            BenchmarkId::new(row("segments_in_place"), size),
            &pt,
            |b, pt| {
                b.iter(|| {
                    let sealer = sealer.encrypt_segments(b"").expect("stream");
                    privkit_seal_in_place(sealer, black_box(pt), &mut out)
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new(row("stream_writer"), size),
            &pt,
            |b, pt| {
                b.iter(|| {
                    out.clear();
                    let mut w = sealer.encrypt_stream(&mut out, b"").expect("stream");
                    w.write_all(black_box(pt)).expect("write");
                    w.finish().expect("finish");
                })
            },
        );
        g.finish();

        let mut g = c.benchmark_group("stream_decrypt");
        g.throughput(Throughput::Bytes(size as u64));
        if size > 1 << 20 {
            g.sample_size(10);
        }
        let mut raw_ct = Vec::new();
        raw_seal_segments(&raw, &pt, &mut raw_ct);
        let mut w = sealer.encrypt_stream(Vec::new(), b"").expect("stream");
        w.write_all(&pt).expect("write");
        let ct = w.finish().expect("finish");
        let mut plain = vec![0u8; size];
        g.bench_with_input(
            BenchmarkId::new("raw_aes256gcm_segments", size),
            &raw_ct,
            |b, ct| b.iter(|| raw_open_segments(&raw, black_box(ct), &mut out)),
        );
        #[cfg(feature = "aws-lc")]
        g.bench_with_input(
            BenchmarkId::new("raw_awslc_aes256gcm_segments", size),
            &raw_ct,
            |b, ct| b.iter(|| awslc_open_segments(&awslc, black_box(ct), &mut out)),
        );
        #[cfg(feature = "ring")]
        g.bench_with_input(
            BenchmarkId::new("raw_ring_aes256gcm_segments", size),
            &raw_ct,
            |b, ct| b.iter(|| ring_open_segments(&ring_key, black_box(ct), &mut out)),
        );
        #[cfg(feature = "ring")]
        {
            let mut buf = vec![0u8; SEGMENT + 16];
            g.bench_with_input(
                BenchmarkId::new("raw_ring_aes256gcm_segments_via_read", size),
                &raw_ct,
                |b, ct| {
                    b.iter(|| {
                        ring_open_segments_via_read(&ring_key, black_box(ct), &mut buf, &mut plain)
                    })
                },
            );
        }
        g.bench_with_input(
            BenchmarkId::new(row("segments_in_place"), size),
            &ct,
            |b, ct| {
                b.iter(|| {
                    let (opener, header) = opener
                        .decrypt_segments(black_box(&ct[..]), b"")
                        .expect("stream");
                    privkit_open_in_place(opener, &ct[header..], &mut out)
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new(row("stream_reader"), size),
            &ct,
            |b, ct| {
                b.iter(|| {
                    let mut r = reader(&opener, ct);
                    r.read_exact(&mut plain).expect("read");
                    let mut end = [0u8; 1];
                    assert_eq!(r.read(&mut end).expect("eof"), 0);
                })
            },
        );
        // The same reader with room for a sealed segment and its lookahead byte past the
        // plaintext: every read, the last segment's too, is a zero-copy read with the
        // ciphertext apart from the plaintext (the `stream_reader` row's last two reads,
        // into 128 and 64 KiB, are not).
        let mut spare = vec![0u8; size + SEGMENT + 17];
        g.bench_with_input(
            BenchmarkId::new(row("stream_reader_spare_room"), size),
            &ct,
            |b, ct| {
                b.iter(|| {
                    let mut r = reader(&opener, ct);
                    let mut at = 0;
                    loop {
                        let n = r.read(&mut spare[at..]).expect("read");
                        if n == 0 {
                            break;
                        }
                        at += n;
                    }
                    assert_eq!(at, size);
                })
            },
        );
        // `read_to_end` into a reused `Vec`: std's reads grow to 128 KiB, so on ring each
        // read from then on is a zero-copy read with the ciphertext's first 64 bytes kept
        // aside (the overlap, rounded to the plaintext's alignment).
        let mut all = Vec::with_capacity(size + 2 * SEGMENT);
        g.bench_with_input(
            BenchmarkId::new(row("stream_reader_read_to_end"), size),
            &ct,
            |b, ct| {
                b.iter(|| {
                    all.clear();
                    let mut r = reader(&opener, ct);
                    r.read_to_end(&mut all).expect("read");
                    assert_eq!(all.len(), size);
                })
            },
        );
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = stream
}
criterion_main!(benches);
