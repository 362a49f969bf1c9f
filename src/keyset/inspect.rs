//! Reading a keyset ciphertext's header without a key: which format, which algorithm,
//! which key.

use super::keys::{KeyId, PREFIX_LEN, SUBJECT_FIELD_V1, VALUE_V1, WRAPPED_KEY_V1};
use crate::backend::{Algorithm, TAG_LEN};
use crate::encoding::Reader;
use crate::{Error, Result};

/// The kinds of ciphertext that share the keyset header layout (`docs/FORMAT.md`
/// section 2): the format byte at offset 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CiphertextKind {
    /// A value encrypted by [`Keyset::encrypt`](super::Keyset::encrypt) (format byte
    /// `0x01`).
    Value,
    /// A data key wrapped by a keyset, as a [`LocalKek`](crate::envelope::LocalKek) or an
    /// erasable vault wraps them (format byte `0x02`).
    WrappedKey,
    /// A field encrypted under a subject key by
    /// [`retention::SubjectCipher`](crate::retention::SubjectCipher) (format byte `0x03`);
    /// the key id is the subject key's.
    SubjectField,
}

impl CiphertextKind {
    /// The format byte.
    #[must_use]
    pub const fn format_byte(self) -> u8 {
        match self {
            Self::Value => VALUE_V1,
            Self::WrappedKey => WRAPPED_KEY_V1,
            Self::SubjectField => SUBJECT_FIELD_V1,
        }
    }
}

/// What the header of a keyset ciphertext says: read without any key, so nothing here is
/// authenticated until the ciphertext is decrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CiphertextInfo {
    /// The format.
    pub kind: CiphertextKind,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The id of the key it is under.
    pub key_id: KeyId,
    /// Length of the plaintext it decrypts to (the ciphertext is this plus the header,
    /// nonce and tag).
    pub plaintext_len: usize,
}

/// Reads the header of a keyset ciphertext (a value, a wrapped key or a subject field):
/// its format, algorithm and key id, without a key. What a rotation sweep asks to find the
/// rows still under an old key ([`Keyset::reencrypt`](super::Keyset::reencrypt) does it
/// for you).
///
/// # Errors
/// [`Error::Malformed`] for empty or truncated bytes (shorter than header, nonce and tag)
/// and for a key id of zero; [`Error::UnsupportedVersion`] for another format byte (an
/// envelope starts with `PKEV`: see [`envelope::inspect`](crate::envelope::inspect));
/// [`Error::UnsupportedAlgorithm`] for an unknown algorithm id.
///
/// # Example
/// ```
/// use privkit::keyset::{self, CiphertextKind, Keyset};
///
/// let keyset = Keyset::generate(Default::default())?;
/// let ct = keyset.encrypt(b"ada@example.com", b"customers.email.7")?;
/// let info = keyset::inspect(&ct)?;
/// assert_eq!(info.kind, CiphertextKind::Value);
/// assert_eq!(info.key_id, keyset.primary_id());
/// assert_eq!(info.plaintext_len, 15);
/// # Ok::<(), privkit::Error>(())
/// ```
pub fn inspect(ciphertext: &[u8]) -> Result<CiphertextInfo> {
    let mut r = Reader::new(ciphertext);
    let kind = match r.u8("empty ciphertext")? {
        VALUE_V1 => CiphertextKind::Value,
        WRAPPED_KEY_V1 => CiphertextKind::WrappedKey,
        SUBJECT_FIELD_V1 => CiphertextKind::SubjectField,
        other => return Err(Error::UnsupportedVersion(other)),
    };
    let algorithm = Algorithm::from_id(r.u8("truncated header")?)?;
    let key_id = r.u32("truncated header")?;
    if key_id == 0 {
        return Err(Error::Malformed("key id 0 in a ciphertext header"));
    }
    r.take(algorithm.nonce_len(), "truncated nonce")?;
    let plaintext_len = r
        .rest()
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(Error::Malformed("ciphertext shorter than its tag"))?;
    debug_assert_eq!(
        ciphertext.len(),
        PREFIX_LEN + algorithm.nonce_len() + plaintext_len + TAG_LEN
    );
    Ok(CiphertextInfo {
        kind,
        algorithm,
        key_id,
        plaintext_len,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::keyset::Keyset;

    #[test]
    fn every_algorithm_and_kind() {
        for algorithm in [
            Algorithm::Aes256Gcm,
            Algorithm::ChaCha20Poly1305,
            Algorithm::XChaCha20Poly1305,
            Algorithm::Aes256GcmSiv,
        ] {
            let keyset = Keyset::generate(algorithm).unwrap();
            let ct = keyset.encrypt(b"hello", b"aad").unwrap();
            let info = inspect(&ct).unwrap();
            assert_eq!(
                info,
                CiphertextInfo {
                    kind: CiphertextKind::Value,
                    algorithm,
                    key_id: keyset.primary_id(),
                    plaintext_len: 5
                }
            );
            let mut wrapped = Vec::new();
            keyset
                .encrypt_domain(WRAPPED_KEY_V1, &[9; 32], b"", &mut wrapped)
                .unwrap();
            assert_eq!(inspect(&wrapped).unwrap().kind, CiphertextKind::WrappedKey);
            assert_eq!(CiphertextKind::WrappedKey.format_byte(), wrapped[0]);
        }
    }

    #[test]
    fn fail_not_a_keyset_ciphertext() {
        let keyset = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
        let ct = keyset.encrypt(b"", b"").unwrap();
        assert!(matches!(inspect(&[]), Err(Error::Malformed(_))));
        assert!(matches!(
            inspect(&ct[..ct.len() - 1]),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(inspect(&ct[..5]), Err(Error::Malformed(_))));
        assert!(matches!(
            inspect(b"PKEV\x02"),
            Err(Error::UnsupportedVersion(b'P'))
        ));
        let mut bad = ct.clone();
        bad[1] = 0xee;
        assert!(matches!(
            inspect(&bad),
            Err(Error::UnsupportedAlgorithm(0xee))
        ));
        let mut zero = ct;
        zero[2..6].fill(0);
        assert!(matches!(inspect(&zero), Err(Error::Malformed(_))));
    }
}
