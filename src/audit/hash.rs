//! RFC 6962 hashing, isolated in one file: the leaf and node hash functions and the
//! compact range (the "peaks" of an append-only tree) that appends and proofs share.

use sha2::{Digest, Sha256};

/// Length of every tree hash (SHA-256), in bytes.
pub const HASH_LEN: usize = 32;

/// A tree hash: SHA-256 output.
pub type Hash = [u8; HASH_LEN];

/// `SHA-256("")`: the root of the empty tree (RFC 6962, section 2.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of a leaf: `SHA-256(0x00 || entry)`.
#[must_use]
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Number of node hashes a post-order store holds for a tree of `size` leaves: every
/// complete subtree once (`2·size − popcount(size)`).
pub(crate) fn stored_nodes(size: u64) -> u64 {
    (2 * size).saturating_sub(u64::from(size.count_ones()))
}

/// Post-order position of the complete subtree at `level` (0 = leaves) and `index`
/// (counted from the left at that level): where it sits in a node store.
pub(crate) fn postorder(level: u32, index: u64) -> u64 {
    // The node is written right after the leaf that completes it, the `last` leaf, and
    // after the `level` nodes below it on that leaf's path.
    let last = ((index + 1) << level) - 1;
    stored_nodes(last) + u64::from(level)
}

/// The right-most complete subtrees of a tree ("peaks"), largest first: enough state to
/// append leaves and compute the root without the rest of the tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CompactRange {
    size: u64,
    peaks: Vec<Hash>,
}

#[allow(dead_code)] // `from_peaks` and `peak_ids` serve the durable log
impl CompactRange {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the range of a tree of `size` leaves from its peaks, largest first.
    pub(crate) fn from_peaks(size: u64, peaks: Vec<Hash>) -> Option<Self> {
        (peaks.len() == size.count_ones() as usize).then_some(Self { size, peaks })
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; calls `completed(level, index, hash)` for the leaf and for
    /// every subtree it completes, in post-order.
    pub(crate) fn push(&mut self, leaf: Hash, mut completed: impl FnMut(u32, u64, &Hash)) {
        let mut level = 0u32;
        let mut index = self.size;
        completed(level, index, &leaf);
        let mut hash = leaf;
        while (self.size >> level) & 1 == 1 {
            let Some(left) = self.peaks.pop() else { break };
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            completed(level, index, &hash);
        }
        self.peaks.push(hash);
        self.size += 1;
    }

    /// The root hash (RFC 6962 MTH) of the tree so far.
    pub(crate) fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        let Some(first) = it.next() else {
            return EMPTY_ROOT;
        };
        it.fold(*first, |acc, left| node_hash(left, &acc))
    }

    /// The (level, index) of each peak of a tree of `size` leaves, largest first.
    pub(crate) fn peak_ids(size: u64) -> impl Iterator<Item = (u32, u64)> {
        (0..64u32)
            .rev()
            .filter(move |&level| (size >> level) & 1 == 1)
            .map(move |level| (level, (size >> (level + 1)) << 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest(b"")));
    }

    #[test]
    fn postorder_positions_follow_append_order() {
        // Replay appends and record the order completed nodes appear in.
        let mut range = CompactRange::new();
        let mut seen = Vec::new();
        for i in 0..300u64 {
            range.push(leaf_hash(&i.to_be_bytes()), |level, index, _| {
                seen.push((level, index));
            });
            assert_eq!(seen.len() as u64, stored_nodes(i + 1));
        }
        for (pos, &(level, index)) in seen.iter().enumerate() {
            assert_eq!(postorder(level, index), pos as u64, "({level},{index})");
        }
    }

    #[test]
    fn peak_ids_name_the_peaks() {
        assert_eq!(CompactRange::peak_ids(0).count(), 0);
        assert_eq!(
            CompactRange::peak_ids(13).collect::<Vec<_>>(),
            vec![(3, 0), (2, 2), (0, 12)]
        );
    }
}
