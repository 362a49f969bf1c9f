//! An append-only Merkle tree in memory.

use super::hash::{CompactRange, Hash, leaf_hash, postorder, stored_nodes};
use super::proof::{ConsistencyProof, InclusionProof, NodeSource};
use crate::error::AuditError;
use crate::{Error, Result};

/// An append-only RFC 6962 Merkle tree held in memory: every complete subtree's hash,
/// in post-order (`2n` hashes for `n` entries, 64 bytes per entry).
///
/// For logs that must survive restarts or grow past memory, use
/// [`DurableLog`](super::DurableLog), which keeps the same hashes in a file.
#[derive(Clone, Debug, Default)]
pub struct MerkleTree {
    nodes: Vec<Hash>,
    range: CompactRange,
}

impl MerkleTree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry; returns its index.
    pub fn push(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf by its hash (`SHA-256(0x00 || entry)`); returns its index.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.range.size();
        let nodes = &mut self.nodes;
        self.range.push(leaf, |_, _, h| nodes.push(*h));
        index
    }

    /// Number of entries.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.range.size()
    }

    /// The root hash of the whole tree.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.range.root()
    }

    /// The root hash of the tree's first `size` entries.
    ///
    /// # Errors
    /// [`AuditError::ProofParameters`] if `size` exceeds the tree.
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        self.root_of(size)
    }

    /// The leaf hash of entry `index`.
    ///
    /// # Errors
    /// [`AuditError::ProofParameters`] if there is no such entry.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash> {
        self.leaf(index)
    }

    /// Proof that entry `index` is in the tree of the first `tree_size` entries.
    ///
    /// # Errors
    /// [`AuditError::ProofParameters`] if `index >= tree_size` or `tree_size` exceeds
    /// the tree.
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<InclusionProof> {
        self.prove_inclusion(index, tree_size)
    }

    /// Proof that the first `old_size` entries are a prefix of the first `new_size`.
    ///
    /// # Errors
    /// [`AuditError::ProofParameters`] if `old_size > new_size` or `new_size` exceeds
    /// the tree.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<ConsistencyProof> {
        self.prove_consistency(old_size, new_size)
    }
}

impl NodeSource for MerkleTree {
    fn tree_size(&self) -> u64 {
        self.size()
    }

    fn node(&self, level: u32, index: u64) -> Result<Hash> {
        usize::try_from(postorder(level, index))
            .ok()
            .filter(|&p| (p as u64) < stored_nodes(self.size()))
            .and_then(|p| self.nodes.get(p).copied())
            .ok_or_else(|| {
                Error::from(AuditError::ProofParameters {
                    proof: "inclusion",
                    reason: format!("no complete subtree at level {level}, index {index}"),
                })
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
    use super::*;
    use crate::audit::hash::node_hash;
    use crate::audit::proof::{verify_consistency, verify_inclusion};

    /// RFC 6962 MTH computed from its recursive definition.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => crate::audit::hash::EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let k = 1 << (63 - (n as u64 - 1).leading_zeros());
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn roots_and_proofs_agree_with_the_definition() {
        let mut tree = MerkleTree::new();
        let mut leaves = Vec::new();
        for i in 0..70u64 {
            let e = i.to_le_bytes();
            leaves.push(leaf_hash(&e));
            tree.push(&e);
            assert_eq!(tree.root(), mth(&leaves), "size {}", i + 1);
        }
        for size in 1..=70u64 {
            let root = mth(&leaves[..size as usize]);
            assert_eq!(tree.root_at(size).unwrap(), root);
            for index in 0..size {
                let p = tree.inclusion_proof(index, size).unwrap();
                verify_inclusion(index, size, &leaves[index as usize], p.hashes(), &root).unwrap();
            }
            for old in 1..=size {
                let p = tree.consistency_proof(old, size).unwrap();
                let old_root = mth(&leaves[..old as usize]);
                verify_consistency(old, size, p.hashes(), &old_root, &root).unwrap();
                p.verify(&old_root, &root).unwrap();
            }
        }
    }

    #[test]
    fn fail_proofs_for_a_different_tree() {
        let mut a = MerkleTree::new();
        let mut b = MerkleTree::new();
        for i in 0..9u8 {
            a.push(&[i]);
            b.push(&[i ^ u8::from(i == 4)]);
        }
        let p = a.inclusion_proof(2, 9).unwrap();
        assert!(matches!(
            p.verify(&[2], &b.root()),
            Err(Error::Audit(AuditError::RootMismatch { tree_size: 9, .. }))
        ));
        p.verify(&[2], &a.root()).unwrap();
        let c = a.consistency_proof(5, 9).unwrap();
        assert!(c.verify(&b.root_at(5).unwrap(), &b.root()).is_err());
        assert!(tree_err(a.inclusion_proof(9, 9)));
        assert!(tree_err(a.inclusion_proof(0, 10)));
        assert!(tree_err(a.consistency_proof(6, 5)));
    }

    fn tree_err<T>(r: Result<T>) -> bool {
        matches!(r, Err(Error::Audit(AuditError::ProofParameters { .. })))
    }
}
