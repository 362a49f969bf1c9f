//! Envelope encryption: documents, blobs and streams of any size under per-message data
//! keys, wrapped by key-encryption keys that may live in a remote KMS.
//!
//! # Use case
//! - Encrypt a document under a fresh data key wrapped by one or more key-encryption keys
//!   (KEKs): [`seal`] / [`open`], [`Sealer`] and [`Opener`] for several KEKs, data-key
//!   caching and decoder limits, [`Opener::rewrap`] to move envelopes to a new KEK without
//!   touching their payloads.
//! - Encrypt backups and exports of any size in constant memory: [`Sealer::encrypt_stream`]
//!   and [`Opener::decrypt_stream`], with one [`StreamWriter`] and one [`StreamReader`] for
//!   blocking and async I/O and random access over seekable sources. Code that owns its
//!   buffers (a network framing, a chunked upload) seals and opens the same streams
//!   segment by segment in place with [`Sealer::encrypt_segments`] ([`SegmentSealer`]) and
//!   [`Opener::decrypt_segments`] ([`SegmentOpener`]), without the copies `Write` and
//!   `Read` impose.
//! - The same from async code, for KEKs that are network calls: [`AsyncKeyEncryptionKey`],
//!   [`AsyncSealer`] and [`AsyncOpener`], streams included (AWS KMS keys come with the
//!   `privkit-aws-kms` crate).
//!
//! For field and record encryption under rotating keys, see [`keyset`](crate::keyset).
//!
//! # How it works
//! - Every envelope and stream has its own 32-byte data key (or, with a cache, one per
//!   cache entry and partition, each message with its own counter nonce). HKDF-SHA256
//!   derives from it the payload key and a 32-byte **key commitment** stored in the
//!   header (envelopes, format version 3: HKDF-Expand straight from the random data key).
//! - Each KEK wraps the data key under a **wrap context** that names the format version,
//!   algorithm and commitment, so a wrapped key moved into another header fails.
//! - The **header tag** (version 3: a tag of the payload AEAD over the header, under a
//!   header nonce that no payload nonce can equal) authenticates every header byte, the
//!   wrapped-key entries for other KEKs included; [`Opener::rewrap`] recomputes it.
//!   Opening checks commitment and tag before any payload byte. Streams (and version 2
//!   envelopes) use an HMAC-SHA256 header MAC instead.
//! - The computations are written once, without I/O; the sync types ([`Sealer`],
//!   [`Opener`]) and the async types ([`AsyncSealer`], [`AsyncOpener`]) differ only in how
//!   they call the KEKs, and share one data-key cache ([`CacheLimits`]).
//! - Streams follow STREAM (Hoang et al. 2015, as age and Tink): fixed-size segments whose
//!   nonces carry their index and a last-segment flag, so truncation, reordering and
//!   splicing are detected.
//! - Every byte layout is in `docs/FORMAT.md` (sections 3 and 5); version 1 envelopes and
//!   streams still open (and version 2 envelopes); re-wrapping keeps a version 3
//!   envelope version 3 and turns a version 1 or 2 envelope into version 2.
//!
//! # Errors
//! Authentication failures are always [`Error::DecryptionFailed`](crate::Error::DecryptionFailed),
//! whether the data key, the commitment, the header tag or MAC, or a payload tag failed. Structural problems
//! found before any key is used are [`Malformed`](crate::Error::Malformed),
//! [`UnsupportedVersion`](crate::Error::UnsupportedVersion) or
//! [`LimitExceeded`](crate::Error::LimitExceeded); no KEK of the opener named in the header
//! is [`NoUsableKey`](crate::Error::NoUsableKey); KEKs report their own errors (a KMS's
//! [`KeyManagement`](crate::Error::KeyManagement), a local key's
//! [`KeyDestroyed`](crate::Error::KeyDestroyed)).
//!
//! # Security
//! - Envelopes are key-committing: an envelope opens under exactly one data key, so no
//!   ciphertext decrypts to two plaintexts under two KEKs (no "invisible salamanders").
//! - Associated data is authenticated, not encrypted; keep it unique per object.
//! - A cached data key protects several messages: purge a partition
//!   ([`Sealer::purge_partition`]) when its subject is forgotten, and everything
//!   ([`Sealer::purge_all`]) in a child process after `fork()`.
//! - Ciphertexts reveal the plaintext length; stream headers reveal the segment size.
//! - Do not act on a stream's plaintext before its reader reports end of file.
//!
//! # Example
//! ```
//! use std::io::{Read, Write};
//! use privkit::envelope::{self, LocalKek, Opener, Sealer};
//!
//! // A document under a key-encryption key.
//! let kek = LocalKek::generate("documents")?;
//! let sealed = envelope::seal(&kek, b"%PDF-1.7 ...", b"doc-42")?;
//! assert_eq!(envelope::open(&kek, &sealed, b"doc-42")?, b"%PDF-1.7 ...");
//!
//! // A stream under two KEKs, either of which opens it.
//! let (eu, us) = (std::sync::Arc::new(LocalKek::generate("eu")?), LocalKek::generate("us")?);
//! let mut w = Sealer::new(eu.clone()).with_kek(us).encrypt_stream(Vec::new(), b"backup-7")?;
//! w.write_all(&[7u8; 200_000])?;
//! let stream = w.finish()?;
//! let mut plaintext = Vec::new();
//! Opener::new(eu).decrypt_stream(&stream[..], b"backup-7")?.read_to_end(&mut plaintext)?;
//! assert_eq!(plaintext.len(), 200_000);
//! # Ok::<(), privkit::Error>(())
//! ```

mod async_seal;
mod cache;
mod compromise;
mod engine;
mod export;
mod header;
mod kek;
mod seal;
mod stream;
#[cfg(test)]
mod vectors;

pub use self::async_seal::{AsyncOpener, AsyncSealer, open_async, rewrap_async, seal_async};
pub use self::cache::{CacheLimits, DEFAULT_REFRESH_PERCENT, MAX_CACHE_PARTITIONS};
pub use self::compromise::{CompromisedLocalKek, EnvelopeStore};
pub use self::header::{
    DEFAULT_SEGMENT_SIZE, EnvelopeInfo, EnvelopeLimits, MAX_SEGMENT_SIZE, MAX_WRAPPED_KEYS,
    MIN_SEGMENT_SIZE, inspect,
};
#[cfg(feature = "tokio")]
pub use self::kek::AsyncToSync;
pub use self::kek::{
    AsyncKeyEncryptionKey, IntoKek, KekFuture, KekKind, KeyEncryptionKey, LocalKek, MAX_KEK_ID_LEN,
    SyncToAsync,
};
pub use self::seal::{Opener, Sealer, open, rewrap, seal};
pub use self::stream::{SegmentOpener, SegmentSealer, StreamReader, StreamWriter};
