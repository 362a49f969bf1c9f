//! Inclusion and consistency proofs (RFC 6962 section 2.1, RFC 9162 section 2.1.3-4):
//! building them from a store of complete-subtree hashes, and verifying them with
//! nothing but hashes, sizes and roots.

use super::hash::{HASH_LEN, Hash, node_hash};
use crate::error::AuditError;
use crate::{Error, Result};

/// Read access to the hashes of complete subtrees of one tree (a memory tree, the node
/// file of a durable log), and the proofs built from them.
pub(crate) trait NodeSource: Sized {
    /// The hash of the complete subtree at `level` and `index`.
    fn node(&self, level: u32, index: u64) -> Result<Hash>;

    /// Number of leaves.
    fn tree_size(&self) -> u64;

    /// Refuses a tree size past the tree.
    fn check_size(&self, size: u64, proof: &'static str) -> Result<()> {
        let have = self.tree_size();
        if size > have {
            return Err(AuditError::ProofParameters {
                proof,
                reason: format!("tree size {size} exceeds the tree ({have} entries)"),
            }
            .into());
        }
        Ok(())
    }

    /// The root of the first `size` leaves.
    fn root_of(&self, size: u64) -> Result<Hash> {
        self.check_size(size, "inclusion")?;
        range_hash(self, 0, size)
    }

    /// The hash of leaf `index`.
    fn leaf(&self, index: u64) -> Result<Hash> {
        let size = self.tree_size();
        if index >= size {
            return Err(AuditError::ProofParameters {
                proof: "inclusion",
                reason: format!("leaf index {index} is not in a tree of size {size}"),
            }
            .into());
        }
        self.node(0, index)
    }

    /// Inclusion proof of leaf `index` in the first `tree_size` leaves.
    fn prove_inclusion(&self, index: u64, tree_size: u64) -> Result<InclusionProof> {
        self.check_size(tree_size, "inclusion")?;
        Ok(InclusionProof::new(
            index,
            tree_size,
            inclusion_path(self, index, tree_size)?,
        ))
    }

    /// Consistency proof from the first `old_size` to the first `new_size` leaves.
    fn prove_consistency(&self, old_size: u64, new_size: u64) -> Result<ConsistencyProof> {
        self.check_size(new_size, "consistency")?;
        Ok(ConsistencyProof::new(
            old_size,
            new_size,
            consistency_path(self, old_size, new_size)?,
        ))
    }
}

/// The RFC 6962 hash of leaves `[begin, end)`, for ranges whose start is aligned to the
/// power of two at or above their length (every range the proof recursions visit).
pub(crate) fn range_hash(src: &impl NodeSource, begin: u64, end: u64) -> Result<Hash> {
    let mut parts: [Hash; 64] = [[0; HASH_LEN]; 64];
    let mut n = 0;
    let mut at = begin;
    while at < end {
        let fits = 63 - (end - at).leading_zeros();
        let level = if at == 0 {
            fits
        } else {
            fits.min(at.trailing_zeros())
        };
        if let Some(slot) = parts.get_mut(n) {
            *slot = src.node(level, at >> level)?;
        }
        n += 1;
        at += 1 << level;
    }
    let mut parts = parts.iter().take(n).rev();
    let Some(last) = parts.next() else {
        return Ok(super::hash::EMPTY_ROOT);
    };
    Ok(parts.fold(*last, |acc, left| node_hash(left, &acc)))
}

/// Largest power of two strictly less than `n` (for `n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The audit path of leaf `index` in the tree of `size` leaves (RFC 6962 PATH), from the
/// leaf's sibling up to the root's child.
pub(crate) fn inclusion_path(src: &impl NodeSource, index: u64, size: u64) -> Result<Vec<Hash>> {
    if index >= size {
        return Err(AuditError::ProofParameters {
            proof: "inclusion",
            reason: format!("leaf index {index} is not in a tree of size {size}"),
        }
        .into());
    }
    let mut out = Vec::with_capacity(64);
    let (mut lo, mut hi) = (0u64, size);
    // Walk down from the root, collecting siblings top-down, then reverse.
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            out.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_hash(src, lo, lo + k)?);
            lo += k;
        }
    }
    out.reverse();
    Ok(out)
}

/// The consistency proof from the tree of `old` leaves to the tree of `new` leaves
/// (RFC 6962 PROOF / SUBPROOF), bottom-up.
pub(crate) fn consistency_path(src: &impl NodeSource, old: u64, new: u64) -> Result<Vec<Hash>> {
    if old > new {
        return Err(AuditError::ProofParameters {
            proof: "consistency",
            reason: format!("old size {old} is larger than new size {new}"),
        }
        .into());
    }
    let mut out = Vec::with_capacity(64);
    if old == 0 || old == new {
        return Ok(out);
    }
    let (mut lo, mut hi, mut m) = (0u64, new, old);
    let mut whole = true; // the `b` flag of SUBPROOF: still on the old tree's own root
    loop {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push(range_hash(src, lo, hi)?);
            }
            break;
        }
        let k = split(n);
        if m <= k {
            out.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_hash(src, lo, lo + k)?);
            lo += k;
            m -= k;
            whole = false;
        }
    }
    out.reverse();
    Ok(out)
}

fn hash_of(bytes: &[u8], proof: &'static str, what: &str) -> Result<Hash> {
    Hash::try_from(bytes).map_err(|_| {
        Error::from(AuditError::ProofParameters {
            proof,
            reason: format!("{what} is {} bytes, not {HASH_LEN}", bytes.len()),
        })
    })
}

fn proof_hashes<H: AsRef<[u8]>>(proof: &[H], kind: &'static str) -> Result<Vec<Hash>> {
    proof
        .iter()
        .enumerate()
        .map(|(i, h)| hash_of(h.as_ref(), kind, &format!("proof hash {i}")))
        .collect()
}

/// Bits of `index ^ (size - 1)`: the length of the proof part below the point where the
/// paths to `index` and to the last leaf diverge; and the number of border hashes above.
fn decompose(index: u64, size: u64) -> (usize, usize) {
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = (index >> inner).count_ones() as usize;
    (inner, border)
}

fn chain_inner(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        seed = if (index >> i) & 1 == 0 {
            node_hash(&seed, h)
        } else {
            node_hash(h, &seed)
        };
    }
    seed
}

fn chain_inner_right(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        if (index >> i) & 1 == 1 {
            seed = node_hash(h, &seed);
        }
    }
    seed
}

fn chain_border_right(seed: Hash, proof: &[Hash]) -> Hash {
    proof.iter().fold(seed, |acc, h| node_hash(h, &acc))
}

/// The root that an inclusion proof for leaf `index` (hash `leaf_hash`) of a tree of
/// `size` leaves leads to.
///
/// # Errors
/// [`AuditError::ProofParameters`] for `index >= size` or hashes that are not 32 bytes;
/// [`AuditError::ProofLength`] for a proof of the wrong length.
pub fn root_from_inclusion<H: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[H],
) -> Result<Hash> {
    if index >= size {
        return Err(AuditError::ProofParameters {
            proof: "inclusion",
            reason: format!("leaf index {index} is not in a tree of size {size}"),
        }
        .into());
    }
    let leaf = hash_of(leaf_hash, "inclusion", "leaf hash")?;
    let proof = proof_hashes(proof, "inclusion")?;
    let (inner, border) = decompose(index, size);
    if proof.len() != inner + border {
        return Err(AuditError::ProofLength {
            proof: "inclusion",
            got: proof.len(),
            expected: inner + border,
            context: format!("leaf {index} of tree size {size}"),
        }
        .into());
    }
    let (low, high) = proof.split_at(inner);
    Ok(chain_border_right(chain_inner(leaf, low, index), high))
}

/// Verifies that the leaf with hash `leaf_hash` is entry `index` of the tree of `size`
/// leaves whose root is `root`.
///
/// # Errors
/// Those of [`root_from_inclusion`]; [`AuditError::RootMismatch`] if the proof leads to
/// another root (a proof for another tree or another entry).
pub fn verify_inclusion<H: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[H],
    root: &[u8],
) -> Result<()> {
    let root = hash_of(root, "inclusion", "root")?;
    let got = root_from_inclusion(index, size, leaf_hash, proof)?;
    if got != root {
        return Err(AuditError::RootMismatch {
            proof: "inclusion",
            tree_size: size,
            detail: "",
        }
        .into());
    }
    Ok(())
}

/// Verifies that the tree of `size1` leaves with root `root1` is a prefix of the tree of
/// `size2` leaves with root `root2`.
///
/// A proof from the empty tree is refused (every tree extends the empty one; there is
/// nothing to prove), as transparency-dev's test cases require; equal sizes need an
/// empty proof and equal roots.
///
/// # Errors
/// [`AuditError::ProofParameters`] for `size1 > size2`, `size1 == 0` or hashes that are
/// not 32 bytes; [`AuditError::ProofLength`] for a proof of the wrong length;
/// [`AuditError::RootMismatch`] if either root does not match.
pub fn verify_consistency<H: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    proof: &[H],
    root1: &[u8],
    root2: &[u8],
) -> Result<()> {
    let params = |reason: String| -> Error {
        AuditError::ProofParameters {
            proof: "consistency",
            reason,
        }
        .into()
    };
    let mismatch = |tree_size, detail| -> Error {
        AuditError::RootMismatch {
            proof: "consistency",
            tree_size,
            detail,
        }
        .into()
    };
    if size2 < size1 {
        return Err(params(format!(
            "old size {size1} is larger than new size {size2}"
        )));
    }
    if size1 == 0 {
        return Err(params(
            "a proof from the empty tree proves nothing (every tree extends it)".into(),
        ));
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(AuditError::ProofLength {
                proof: "consistency",
                got: proof.len(),
                expected: 0,
                context: format!("equal tree sizes {size1}"),
            }
            .into());
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(mismatch(size2, "; equal sizes but different roots"))
        };
    }
    let r1 = hash_of(root1, "consistency", "old root")?;
    let r2 = hash_of(root2, "consistency", "new root")?;
    let proof = proof_hashes(proof, "consistency")?;
    let context = || format!("tree size {size1} to {size2}");
    let Some((&first, _)) = proof.split_first() else {
        return Err(AuditError::ProofLength {
            proof: "consistency",
            got: 0,
            expected: 1,
            context: context(),
        }
        .into());
    };
    let (inner, border) = decompose(size1 - 1, size2);
    let shift = size1.trailing_zeros() as usize;
    let inner = inner - shift;
    // Unless the old tree is a complete subtree (then its root is the seed), the proof
    // starts with the hash of the complete subtree the old tree's last leaf ends.
    let (seed, rest) = if size1 == 1 << shift {
        (r1, &proof[..])
    } else {
        (first, &proof[1..])
    };
    if rest.len() != inner + border {
        let start = proof.len() - rest.len();
        return Err(AuditError::ProofLength {
            proof: "consistency",
            got: proof.len(),
            expected: start + inner + border,
            context: context(),
        }
        .into());
    }
    let (low, high) = rest.split_at(inner);
    let mask = (size1 - 1) >> shift;
    let old = chain_border_right(chain_inner_right(seed, low, mask), high);
    if old != r1 {
        return Err(mismatch(size1, "; the old root does not match"));
    }
    let new = chain_border_right(chain_inner(seed, low, mask), high);
    if new != r2 {
        return Err(mismatch(size2, "; the new root does not match"));
    }
    Ok(())
}

/// A proof that one entry is in a tree of a given size: the entry's index, the tree
/// size, and the audit path (from the leaf's sibling up to the root's child).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    index: u64,
    tree_size: u64,
    hashes: Vec<Hash>,
}

impl InclusionProof {
    /// A proof from its parts (for instance, decoded by another system).
    #[must_use]
    pub fn new(index: u64, tree_size: u64, hashes: Vec<Hash>) -> Self {
        Self {
            index,
            tree_size,
            hashes,
        }
    }

    /// The entry's index.
    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The size of the tree the proof is for.
    #[must_use]
    pub fn tree_size(&self) -> u64 {
        self.tree_size
    }

    /// The audit path, bottom-up.
    #[must_use]
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Verifies that `entry` is at this proof's index in the tree whose root is `root`.
    ///
    /// # Errors
    /// As [`verify_inclusion`].
    pub fn verify(&self, entry: &[u8], root: &Hash) -> Result<()> {
        verify_inclusion(
            self.index,
            self.tree_size,
            &super::hash::leaf_hash(entry),
            &self.hashes,
            root,
        )
    }
}

/// A proof that the tree of `old_size` leaves is a prefix of the tree of `new_size`
/// leaves: nothing logged before was changed or removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsistencyProof {
    old_size: u64,
    new_size: u64,
    hashes: Vec<Hash>,
}

impl ConsistencyProof {
    /// A proof from its parts.
    #[must_use]
    pub fn new(old_size: u64, new_size: u64, hashes: Vec<Hash>) -> Self {
        Self {
            old_size,
            new_size,
            hashes,
        }
    }

    /// The older (smaller) tree size.
    #[must_use]
    pub fn old_size(&self) -> u64 {
        self.old_size
    }

    /// The newer tree size.
    #[must_use]
    pub fn new_size(&self) -> u64 {
        self.new_size
    }

    /// The proof hashes, bottom-up.
    #[must_use]
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Verifies the proof between the two roots. A proof from the empty tree is accepted
    /// here only with no hashes and `old_root` the empty root (the low-level
    /// [`verify_consistency`] refuses it, as the RFC 6962 test cases require).
    ///
    /// # Errors
    /// As [`verify_consistency`].
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<()> {
        if self.old_size == 0 {
            if !self.hashes.is_empty() {
                return Err(AuditError::ProofLength {
                    proof: "consistency",
                    got: self.hashes.len(),
                    expected: 0,
                    context: "a proof from the empty tree".into(),
                }
                .into());
            }
            if *old_root != super::hash::EMPTY_ROOT {
                return Err(AuditError::RootMismatch {
                    proof: "consistency",
                    tree_size: 0,
                    detail: "; the old root is not the empty tree's",
                }
                .into());
            }
            return Ok(());
        }
        verify_consistency(
            self.old_size,
            self.new_size,
            &self.hashes,
            old_root,
            new_root,
        )
    }
}
