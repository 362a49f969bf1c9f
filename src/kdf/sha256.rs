//! HMAC-SHA256 and HKDF-SHA256 on `sha2`'s compression function, for the hot paths
//! (keyed pseudonyms, the envelope key schedule and header MAC): the keyed inner and outer
//! states are computed once per key, messages are absorbed from their parts without being
//! concatenated, and nothing is allocated. Outputs equal the `hmac` and `hkdf` crates'
//! (tests below, RFC 4231 and RFC 5869 vectors).

use sha2::block_api::compress256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, Result};

/// SHA-256 initial hash value (FIPS 180-4, section 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// HMAC-SHA256 (RFC 2104) with the keyed inner and outer states computed once.
///
/// Each MAC then costs the compressions of the message blocks plus one for the outer
/// hash: two SHA-256 compressions for a message of at most 55 bytes, against four for
/// keying `Hmac<Sha256>` afresh per value.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct HmacSha256 {
    inner: [u32; 8],
    outer: [u32; 8],
}

/// A SHA-256 computation in progress (the inner hash of one MAC). Like the keyed-pseudonym
/// code it replaces, it is not wiped: it holds a hash state, never a key (the keyed states
/// of [`HmacSha256`] and derived key material are zeroized).
pub(crate) struct Sha256State {
    h: [u32; 8],
    block: [u8; 64],
    used: usize,
    /// Bytes absorbed in whole blocks, the keyed block included.
    total: u64,
}

impl Sha256State {
    /// Absorbs `data`.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        if self.used > 0 {
            let n = data.len().min(64 - self.used);
            self.block[self.used..self.used + n].copy_from_slice(&data[..n]);
            self.used += n;
            data = &data[n..];
            if self.used < 64 {
                return;
            }
            compress256(&mut self.h, std::slice::from_ref(&self.block));
            self.total += 64;
            self.used = 0;
        }
        let (blocks, rest) = data.as_chunks::<64>();
        compress256(&mut self.h, blocks);
        self.total += 64 * blocks.len() as u64;
        self.block[..rest.len()].copy_from_slice(rest);
        self.used = rest.len();
    }

    /// The digest.
    fn finish(&mut self) -> [u8; 32] {
        self.pad();
        state_bytes(&self.h)
    }

    /// Absorbs the padding: `h` is then the final state.
    fn pad(&mut self) {
        let bits = (self.total + self.used as u64) * 8;
        let used = self.used;
        self.block[used] = 0x80;
        self.block[used + 1..].fill(0);
        if used >= 56 {
            compress256(&mut self.h, std::slice::from_ref(&self.block));
            self.block.fill(0);
        }
        self.block[56..].copy_from_slice(&bits.to_be_bytes());
        compress256(&mut self.h, std::slice::from_ref(&self.block));
    }
}

impl HmacSha256 {
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            let mut h = Sha256State {
                h: SHA256_IV,
                block: [0u8; 64],
                used: 0,
                total: 0,
            };
            h.update(key);
            block[..32].copy_from_slice(&h.finish());
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut inner = SHA256_IV;
        let mut outer = SHA256_IV;
        let mut pad = [0u8; 64];
        for (p, k) in pad.iter_mut().zip(&block) {
            *p = k ^ 0x36;
        }
        compress256(&mut inner, std::slice::from_ref(&pad));
        for (p, k) in pad.iter_mut().zip(&block) {
            *p = k ^ 0x5c;
        }
        compress256(&mut outer, std::slice::from_ref(&pad));
        pad.zeroize();
        block.zeroize();
        Self { inner, outer }
    }

    /// The inner hash of a MAC, keyed, ready for the message.
    pub(crate) fn start(&self) -> Sha256State {
        Sha256State {
            h: self.inner,
            block: [0u8; 64],
            used: 0,
            total: 64,
        }
    }

    /// The MAC whose message `state` (from [`start`](Self::start)) absorbed.
    pub(crate) fn finish(&self, mut state: Sha256State) -> [u8; 32] {
        state.pad();
        self.outer_hash(&state.h)
    }

    /// The outer hash over the inner hash's final state `inner`: one compression of the
    /// padded 32-byte digest under the keyed outer state.
    fn outer_hash(&self, inner: &[u32; 8]) -> [u8; 32] {
        let mut block = [0u8; 64];
        for (o, w) in block.chunks_exact_mut(4).zip(inner) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        block[32] = 0x80;
        block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
        let mut o = self.outer;
        compress256(&mut o, std::slice::from_ref(&block));
        state_bytes(&o)
    }

    /// HMAC-SHA256 of `msg`.
    ///
    /// A message of at most 55 bytes (a pseudonymized e-mail address or name, a beacon's
    /// value) fits with its padding in one block, which is built in place and compressed
    /// once, without the buffering of [`Sha256State`].
    pub(crate) fn mac(&self, msg: &[u8]) -> [u8; 32] {
        if msg.len() <= 55 {
            let mut block = [0u8; 64];
            block[..msg.len()].copy_from_slice(msg);
            block[msg.len()] = 0x80;
            // The keyed block (64 bytes) plus the message, in bits.
            block[56..].copy_from_slice(&((64 + msg.len() as u64) * 8).to_be_bytes());
            let mut h = self.inner;
            compress256(&mut h, std::slice::from_ref(&block));
            return self.outer_hash(&h);
        }
        let mut state = self.start();
        state.update(msg);
        self.finish(state)
    }
}

fn state_bytes(h: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(h) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// HKDF-SHA256 (RFC 5869) Extract then Expand into `out`, with `info` the injective
/// encoding of `labels` ([`encode_labels`](super::encode_labels)), absorbed without being
/// built. The same bytes as `Hkdf::extract(Hash::Sha256, salt, ikm).expand_labeled(labels,
/// out.len())`; `salt` must not be empty (privkit's callers pass 32 random bytes).
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty salt, output over 255 blocks or a label over
/// 4 GiB.
pub(crate) fn hkdf_labeled(
    salt: &[u8],
    ikm: &[u8],
    labels: &[&[u8]],
    out: &mut [u8],
) -> Result<()> {
    if salt.is_empty() {
        return Err(Error::invalid_argument("HKDF salt is empty"));
    }
    let mut prk = HmacSha256::new(salt).mac(ikm);
    let expanded = hkdf_expand_labeled(&prk, labels, out);
    prk.zeroize();
    expanded
}

/// HKDF-SHA256 Expand alone (RFC 5869 section 2.3) from `prk`, which must be a uniformly
/// random key of at least 32 bytes (section 3.3 lets such a key skip Extract), into `out`,
/// with `info` the injective encoding of `labels`. The same bytes as
/// `Hkdf::from_prk(Hash::Sha256, prk).expand_labeled(labels, out.len())`.
///
/// # Errors
/// [`Error::InvalidArgument`] for a key under 32 bytes, output over 255 blocks, more than
/// 8 labels or a label over 4 GiB.
pub(crate) fn hkdf_expand_labeled(prk: &[u8], labels: &[&[u8]], out: &mut [u8]) -> Result<()> {
    if prk.len() < 32 {
        return Err(Error::invalid_argument(
            "HKDF pseudorandom key shorter than the hash output",
        ));
    }
    if out.len() > 255 * 32 {
        return Err(Error::invalid_argument(
            "HKDF output longer than 255 hash blocks",
        ));
    }
    let mut lengths = [[0u8; 4]; 8];
    if labels.len() > lengths.len() {
        return Err(Error::invalid_argument("more than 8 HKDF labels"));
    }
    for (l, label) in lengths.iter_mut().zip(labels) {
        *l = u32::try_from(label.len())
            .map_err(|_| Error::invalid_argument("label longer than 4 GiB"))?
            .to_be_bytes();
    }
    let expand = HmacSha256::new(prk);
    let mut t = [0u8; 32];
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let mut state = expand.start();
        if i > 0 {
            state.update(&t);
        }
        for (length, label) in lengths.iter().zip(labels) {
            state.update(length);
            state.update(label);
        }
        // At most 255 blocks (checked above).
        state.update(&[u8::try_from(i + 1).unwrap_or(u8::MAX)]);
        t = expand.finish(state);
        chunk.copy_from_slice(&t[..chunk.len()]);
    }
    t.zeroize();
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::kdf::{Hash, Hkdf};
    use proptest::prelude::*;

    fn reference(key: &[u8], msg: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, KeyInit, Mac};
        let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
        m.update(msg);
        m.finalize().into_bytes().into()
    }

    #[test]
    fn rfc4231_case_2() {
        let mac = HmacSha256::new(b"Jefe").mac(b"what do ya want for nothing?");
        assert_eq!(
            crate::encoding::hex_encode(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn streaming_update_matches_one_shot() {
        let key = [0x0bu8; 20];
        let msg: Vec<u8> = (0..300u32).map(|i| i.to_le_bytes()[0]).collect();
        let hmac = HmacSha256::new(&key);
        for split in [0, 1, 55, 56, 63, 64, 65, 128, 200, 300] {
            let mut s = hmac.start();
            s.update(&msg[..split]);
            s.update(&msg[split..]);
            assert_eq!(hmac.finish(s), reference(&key, &msg), "split at {split}");
        }
    }

    #[test]
    fn one_block_path_matches_at_every_length() {
        // 0..=55 bytes take the one-block path, 56 and more the buffered one.
        let msg: Vec<u8> = (0..130u8).collect();
        for key in [&b"k"[..], &[0x5au8; 64][..], &[0xa5u8; 100][..]] {
            let hmac = HmacSha256::new(key);
            for len in 0..=msg.len() {
                assert_eq!(
                    hmac.mac(&msg[..len]),
                    reference(key, &msg[..len]),
                    "{len} bytes"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn hmac_matches_the_hmac_crate(
            key in prop::collection::vec(any::<u8>(), 0..150),
            msg in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            prop_assert_eq!(HmacSha256::new(&key).mac(&msg), reference(&key, &msg));
        }

        #[test]
        fn hkdf_matches_the_hkdf_crate(
            salt in prop::collection::vec(any::<u8>(), 1..80),
            ikm in prop::collection::vec(any::<u8>(), 0..80),
            labels in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..70), 0..6),
            len in 0usize..200,
        ) {
            let labels: Vec<&[u8]> = labels.iter().map(Vec::as_slice).collect();
            let mut out = vec![0u8; len];
            hkdf_labeled(&salt, &ikm, &labels, &mut out).unwrap();
            let expected = Hkdf::extract(Hash::Sha256, &salt, &ikm).expand_labeled(&labels, len).unwrap();
            prop_assert_eq!(&out[..], expected.expose_secret());
        }

        #[test]
        fn hkdf_expand_matches_the_hkdf_crate(
            prk in prop::collection::vec(any::<u8>(), 32..80),
            labels in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..70), 0..6),
            len in 0usize..200,
        ) {
            let labels: Vec<&[u8]> = labels.iter().map(Vec::as_slice).collect();
            let mut out = vec![0u8; len];
            hkdf_expand_labeled(&prk, &labels, &mut out).unwrap();
            let expected = Hkdf::from_prk(Hash::Sha256, &prk).unwrap().expand_labeled(&labels, len).unwrap();
            prop_assert_eq!(&out[..], expected.expose_secret());
        }
    }

    #[test]
    fn fail_hkdf_limits() {
        let mut out = vec![0u8; 255 * 32 + 1];
        assert!(hkdf_labeled(b"s", b"k", &[], &mut out).is_err());
        assert!(hkdf_labeled(b"", b"k", &[], &mut out[..32]).is_err());
        assert!(hkdf_labeled(b"s", b"k", &[&b""[..]; 9], &mut out[..32]).is_err());
        assert!(hkdf_expand_labeled(&[7u8; 31], &[], &mut out[..32]).is_err());
        assert!(hkdf_expand_labeled(&[7u8; 32], &[], &mut out).is_err());
    }
}
