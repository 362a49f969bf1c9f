//! Accountability: a tamper-evident audit log of key use and privacy decisions.
//!
//! (Module documentation is completed below as the module grows.)

mod hash;
mod note;
mod proof;
mod store;
mod tree;

pub use hash::{EMPTY_ROOT, HASH_LEN, Hash, leaf_hash, node_hash};
pub use note::{
    Checkpoint, MAX_NOTE_LEN, MAX_NOTE_SIGNATURES, Note, NoteSignature, NoteSigner, NoteVerifier,
    TlogProof,
};
pub use proof::{
    ConsistencyProof, InclusionProof, root_from_inclusion, verify_consistency, verify_inclusion,
};
pub use store::{
    DurableLog, Entries, FsyncPolicy, LogOptions, MAX_ENTRY_LEN, Recovery, decode_segment,
};
pub use tree::MerkleTree;
