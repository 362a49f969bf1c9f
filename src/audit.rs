//! Accountability: a tamper-evident audit log of key use and privacy decisions, and
//! breach scoping on top of it.
//!
//! # Use case
//! When a breach happens, a service must tell the supervisory authority within 72 hours
//! (GDPR Art. 33) which data, which subjects and which keys are concerned, and since
//! when, and be able to show that its records were not edited afterwards. This module
//! records key use, key lifecycle, crypto-shredding, retention decisions and consent
//! changes as typed [`Event`]s, appends them to a Merkle-tree log whose history cannot be
//! rewritten without detection, and answers the breach questions from it.
//!
//! # About
//! - **Events** ([`Event`], [`EventKind`]) never carry plaintext or key material: keys
//!   appear by id ([`KeyRef`]), subjects only as keyed pseudonyms ([`SubjectRef`], from a
//!   [`SubjectPseudonymizer`]), ciphertexts and records by a reference the caller
//!   chooses. Each has one canonical binary encoding ([`Event::encode`]); with feature
//!   `serde` they also serialize.
//! - **Sinks** ([`Sink`]) receive events; components are given one explicitly through an
//!   [`Auditor`] (sink, pseudonymizer, actor, purpose, clock): no global. The default for
//!   hot paths, [`AggregatingSink`], counts key use per key, operation and context in
//!   lock-free [`UsageCounter`]s and flushes one [`KeyUsage`] event per key and window;
//!   other events pass through. [`LogSink`] appends to a [`DurableLog`], [`MemoryLog`]
//!   keeps a log in memory, [`ChannelSink`] hands events to another thread or an async
//!   task (sinks are synchronous, so the async envelope front ends call the same trait).
//! - **The log** is an RFC 6962 Merkle tree (leaf hash `SHA-256(0x00 || entry)`, node
//!   hash `SHA-256(0x01 || left || right)`): [`MerkleTree`] in memory, [`DurableLog`] on
//!   disk. [`InclusionProof`]s show an entry is in the tree, [`ConsistencyProof`]s that a
//!   later tree extends an earlier one. A [`Checkpoint`] (C2SP `tlog-checkpoint`) signed
//!   with Ed25519 as a C2SP signed note ([`NoteSigner`]) commits to a size and root; a
//!   verifier needs only the [`NoteVerifier`] (public key) and the checkpoint.
//!   [`TlogProof`] is the C2SP `tlog-proof` text: entry index, proof and checkpoint in
//!   one offline-verifiable file.
//! - **Durable storage**: [`DurableLog`] appends records to segment files, keeps the
//!   tree hashes in a post-order file (proofs read `O(log n)` hashes, memory stays flat),
//!   syncs by [`FsyncPolicy`] with group commit, cuts a torn last record on open, and
//!   refuses to open if it holds less than, or something else than, its last signed
//!   checkpoint.
//! - **Breach readiness**: a [`Query`] (time window, actor, key, subject, category)
//!   collects a [`Scope`] (keys, subjects, categories, ciphertext references, per actor);
//!   an [`Incident`] computes the Art. 33 deadline, holds the Art. 33(3) content and the
//!   Art. 34 subjects, and renders a Markdown or JSON report;
//!   [`handle_key_compromise`] runs rotate, re-wrap, disable over a
//!   [`CompromiseTarget`], logging each step ([`CompromiseLog`]).
//! - The byte formats (events, segments, tree file, checkpoint and proof texts) are in
//!   `docs/FORMAT.md`, "Audit log", with vectors in `tests/data/vectors/audit.json`.
//!
//! Retention records through the same seam: `Evaluator::evaluate_audited`,
//! `ConsentLedger::record_audited`, `SubjectVault::encrypt_audited` and
//! `SubjectVault::forget_audited` (which returns an erasure receipt).
//!
//! # Wiring keysets, sealers and openers
//! A keyset holds an optional [`UsageRecorder`] ([`Auditor::keyset_recorder`], named
//! after the keyset and its data category). When a key is added or loaded it resolves
//! [`UsageRecorder::counter`] once per operation it performs and keeps the
//! `Option<Arc<UsageCounter>>` beside the key; after each successful operation it calls
//! `counter.add(plaintext_len)` (one relaxed atomic add), or, when the sink returned no
//! counter, [`UsageRecorder::used`]. Lifecycle changes call
//! [`UsageRecorder::lifecycle`] after they succeed. Sealers and openers hold an
//! [`Auditor`]: they resolve [`Auditor::usage_counter`] once per KEK
//! ([`KeyRef::Kek`], with [`KeyOp::Seal`], [`KeyOp::Open`] or [`KeyOp::Rewrap`]) and
//! count the same way, record each KEK call with [`Auditor::kek_call`], and record a
//! single use with [`Auditor::key_used`] when the caller passes an envelope reference
//! (breach scoping by ciphertext). A failing sink fails the operation (fail closed).
//!
//! # Errors
//! Refusals of the log are [`Error::Audit`](crate::Error::Audit) with an
//! [`AuditError`](crate::AuditError) that names what is wrong: a proof of the wrong
//! length or for another tree ([`ProofLength`](crate::AuditError::ProofLength),
//! [`RootMismatch`](crate::AuditError::RootMismatch)), a checkpoint signed by another key
//! or with a bad signature ([`UnknownSigner`](crate::AuditError::UnknownSigner),
//! [`BadSignature`](crate::AuditError::BadSignature)), a damaged file
//! ([`Corrupted`](crate::AuditError::Corrupted), with file and offset), a history that no
//! longer matches its checkpoint ([`HistoryMismatch`](crate::AuditError::HistoryMismatch)).
//! An entry over the configured size is [`Error::LimitExceeded`](crate::Error::LimitExceeded);
//! note and proof texts that do not parse are [`Error::Parse`](crate::Error::Parse) with
//! the line; events that do not decode are [`Error::Malformed`](crate::Error::Malformed).
//!
//! # Security
//! - A signed checkpoint proves what the log held at that size, to anyone with the
//!   public key. It does not stop the log's operator from showing different
//!   checkpoints to different people (a split view): publish checkpoints to witnesses
//!   or auditors who compare them, and keep the previous checkpoint you saw to check
//!   consistency against. See `docs/SECURITY.md`, "Audit log".
//! - The log proves that recorded events were not changed or removed; it cannot prove
//!   that an event was recorded at all, nor that its content (time, actor) is true.
//! - Subject pseudonyms are as strong as their key: keep the pseudonym key away from
//!   whoever reads the log, and rotate it only with a plan (old pseudonyms stop
//!   matching).
//! - Free-form fields (actor, references, application attributes) are stored as given:
//!   never put personal data or secrets in them.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use privkit::audit::{
//!     Auditor, EventKind, KeyOp, MemoryLog, NoteSigner, Query, SubjectKeyAction,
//!     SubjectKeyEvent, SubjectPseudonymizer,
//! };
//! use privkit::secret::SecretBytes;
//!
//! let log = Arc::new(MemoryLog::new());
//! let subjects = Arc::new(SubjectPseudonymizer::new(&SecretBytes::random(32)?)?);
//! let auditor = Auditor::new(log.clone(), subjects, "billing-service");
//!
//! // Record an event: the subject appears only as a pseudonym.
//! auditor.record(EventKind::SubjectKey(SubjectKeyEvent {
//!     subject: auditor.subject("customer-42"),
//!     key_id: 7,
//!     action: SubjectKeyAction::Erased,
//! }))?;
//! auditor.keyset_recorder("customers.email", Some("user.contact.email"))
//!     .used(1, KeyOp::Encrypt, "AES-256-GCM", 64)?;
//!
//! // Sign a checkpoint; a verifier with the public key checks an entry's inclusion.
//! let signer = NoteSigner::generate("audit.example.com/billing")?;
//! let (tree, entries) = log.snapshot()?;
//! let note = privkit::audit::Checkpoint::new("audit.example.com/billing", tree.size(), tree.root())?
//!     .sign(&signer)?;
//! let checkpoint = signer.verifier().verify_checkpoint(&note, "audit.example.com/billing")?;
//! tree.inclusion_proof(0, checkpoint.size())?.verify(&entries[0], checkpoint.root())?;
//!
//! // Which subjects did billing-service touch?
//! let scope = Query::new().actor("billing-service")
//!     .scope(log.events()?.into_iter().enumerate().map(|(i, e)| Ok((i as u64, e))))?;
//! assert_eq!(scope.subjects.len(), 1);
//! # Ok::<(), privkit::Error>(())
//! ```
//!
//! A durable log with group commit, and a proof in the C2SP text form:
//! ```
//! use privkit::audit::{DurableLog, FsyncPolicy, LogOptions, NoteSigner, TlogProof};
//!
//! let dir = std::env::temp_dir().join(format!("privkit-doc-audit-{}", std::process::id()));
//! let origin = "audit.example.com/prod";
//! let (log, recovery) = DurableLog::open(&dir, LogOptions::new(origin)?.fsync(FsyncPolicy::Always))?;
//! assert_eq!(recovery.truncated_bytes, 0);
//! let first = log.append_batch(&[b"event one".as_slice(), b"event two"])?; // one fsync
//! let signer = NoteSigner::generate(origin)?;
//! let note = log.sign_checkpoint(&signer)?;
//! let proof = TlogProof::new(&log.inclusion_proof(first + 1, log.size())?, &note, None)?;
//! let text = proof.to_text(); // store beside the entry, or hand to an auditor
//! TlogProof::parse(&text)?.verify(b"event two", &signer.verifier(), origin)?;
//! # drop(log);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), privkit::Error>(())
//! ```

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
