//! Stream decoders (sequential, seekable, and segment by segment in place): arbitrary
//! headers and segments must never panic, and all three must agree on what they accept.
#![no_main]

use std::io::{Cursor, Read, Seek, SeekFrom};

use libfuzzer_sys::fuzz_target;
use privkit::Algorithm;
use privkit::envelope::{EnvelopeLimits, LocalKek, Opener};
use privkit::keyset::Keyset;
use privkit::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let ks = Keyset::from_key(
        0x0a0b_0c0d,
        Algorithm::Aes256Gcm,
        SecretBytes::from_slice(&[0x22; 32]),
    )
    .expect("key");
    let opener = Opener::new(LocalKek::new("fuzz-kek", ks).expect("kek"))
        .with_limits(EnvelopeLimits::default().max_header_len(16 * 1024));
    let sequential = opener.decrypt_stream(data, b"fuzz").and_then(|mut r| {
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(privkit::Error::from)?;
        Ok(out)
    });
    // The same reader type over a seekable source, switched to random access at once.
    let seekable = opener
        .decrypt_stream(Cursor::new(data), b"fuzz")
        .and_then(|mut r| {
            r.seek(SeekFrom::Start(0)).map_err(privkit::Error::from)?;
            let mut out = Vec::new();
            r.read_to_end(&mut out).map_err(privkit::Error::from)?;
            Ok(out)
        });
    // In place: the body split into sealed segments, the last one final.
    let in_place = opener
        .decrypt_segments(data, b"fuzz")
        .and_then(|(mut o, header)| {
            let sealed_len = o.segment_size() + 16;
            let mut body = data[header..].to_vec();
            let count = body.len().div_ceil(sealed_len);
            if count == 0 {
                return Err(privkit::Error::Malformed("no segment"));
            }
            let mut out = Vec::new();
            for (i, sealed) in body.chunks_mut(sealed_len).enumerate() {
                let at = sealed
                    .len()
                    .checked_sub(16)
                    .ok_or(privkit::Error::Malformed("short segment"))?;
                let (segment, tag) = sealed.split_at_mut(at);
                if i + 1 < count {
                    o.open_segment(segment, tag)?;
                } else {
                    o.open_final(segment, tag)?;
                }
                out.extend_from_slice(segment);
            }
            Ok(out)
        });
    match (&sequential, &seekable) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("readers disagree: {:?} vs {:?}", a.is_ok(), b.is_ok()),
    }
    match (&sequential, &in_place) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "reader and segment opener disagree: {:?} vs {:?}",
            a.is_ok(),
            b.is_ok()
        ),
    }
});
