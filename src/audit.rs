//! Accountability: a tamper-evident audit log of key use and privacy decisions.
//!
//! (Module documentation is completed below as the module grows.)

mod event;
mod hash;
mod incident;
mod note;
mod proof;
mod query;
mod sink;
mod store;
mod tree;

pub use event::{
    ApplicationEvent, CompromiseStep, ConsentChange, EVENT_VERSION, Event, EventKind, KekCall,
    KeyCompromise, KeyLifecycle, KeyOp, KeyRef, KeyUsage, LifecycleAction, RetentionDecision,
    RetentionVerdict, SubjectKeyAction, SubjectKeyEvent, SubjectPseudonymizer, SubjectRef,
};
pub use hash::{EMPTY_ROOT, HASH_LEN, Hash, leaf_hash, node_hash};
pub use incident::{ART33_DEADLINE, Incident, SubjectNotice};
pub use note::{
    Checkpoint, MAX_NOTE_LEN, MAX_NOTE_SIGNATURES, Note, NoteSignature, NoteSigner, NoteVerifier,
    TlogProof,
};
pub use proof::{
    ConsistencyProof, InclusionProof, root_from_inclusion, verify_consistency, verify_inclusion,
};
pub use query::{ActorScope, CompromiseLog, CompromiseTarget, Query, Scope, handle_key_compromise};
pub use sink::{
    AggregatingSink, Auditor, ChannelSink, LogSink, MemoryLog, Sink, UsageCounter, UsageKey,
    UsageRecorder,
};
pub use store::{
    DurableLog, Entries, FsyncPolicy, LogOptions, MAX_ENTRY_LEN, Recovery, decode_segment,
};
pub use tree::MerkleTree;
