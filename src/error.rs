//! The crate's one error type.
//!
//! # Use case
//! Every fallible function in privkit returns [`Result<T, Error>`](crate::Result).
//!
//! # About
//! [`Error`] is `#[non_exhaustive]`: new variants may appear in minor releases, so match on
//! the ones you handle and keep a wildcard arm.
//!
//! # Security
//! Every authentication or decryption failure is reported as the single opaque variant
//! [`Error::DecryptionFailed`]. It never says which key, which check or which byte failed,
//! so an attacker who submits forged ciphertexts learns nothing beyond "rejected" (no
//! padding-oracle or partitioning-oracle side channel through error values).
//!
//! Errors that describe *public* structure (an unknown format version, a key id that is
//! not in the keyset, a length over a configured limit) are distinct variants: they are
//! decided from bytes an attacker already knows, before any secret is used.
//!
//! # Example
//! ```
//! use privkit::{Error, keyset::Keyset};
//!
//! let keyset = Keyset::generate(Default::default())?;
//! // Structure is checked first, with a specific error...
//! assert!(matches!(keyset.decrypt(&[0x01, 0x01], b""), Err(Error::Malformed(_))));
//! // ...but any authentication failure is one opaque error.
//! let mut ct = keyset.encrypt(b"secret", b"row 1")?;
//! assert!(matches!(keyset.decrypt(&ct, b"row 2"), Err(Error::DecryptionFailed)));
//! let last = ct.len() - 1;
//! ct[last] ^= 1;
//! assert!(matches!(keyset.decrypt(&ct, b"row 1"), Err(Error::DecryptionFailed)));
//! # Ok::<(), privkit::Error>(())
//! ```

use std::fmt;

/// The error type of every fallible privkit operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Authentication or decryption failed. Deliberately opaque: the ciphertext, its
    /// associated data or the key is wrong, and nothing more is revealed.
    #[error("decryption failed")]
    DecryptionFailed,

    /// The input is not a well-formed encoding of what was expected (too short, wrong
    /// magic, inconsistent length fields). Decided before any key is used.
    #[error("malformed input: {0}")]
    Malformed(&'static str),

    /// The format version byte names a version this build does not read.
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u8),

    /// The algorithm identifier is not one this build implements.
    #[error("unsupported algorithm identifier {0}")]
    UnsupportedAlgorithm(u16),

    /// The ciphertext names a key id that the keyset does not hold.
    #[error("no key with id {0:#010x} in the keyset")]
    UnknownKeyId(u32),

    /// The key exists but is disabled; re-enable it to use it.
    #[error("key {0:#010x} is disabled")]
    KeyDisabled(u32),

    /// The key was destroyed: its material is gone and what it protected cannot be
    /// recovered (this is how crypto-shredding erases data).
    #[error("key {0:#010x} was destroyed")]
    KeyDestroyed(u32),

    /// None of the key-encryption keys available could unwrap a data key of this
    /// envelope (no wrapped key names a key-encryption key we hold).
    #[error("no usable key-encryption key for this envelope")]
    NoUsableKey,

    /// A subject-key store holds no key for this data subject, live or destroyed:
    /// nothing was ever encrypted for the subject under this store (a wrong subject id,
    /// or another store), or the record of its destroyed key was purged.
    #[error(
        "subject `{0}` has no key in this store: nothing was encrypted for it here, or the \
         record of its destroyed key was purged"
    )]
    UnknownSubject(String),

    /// The operation would exceed a safety limit (a per-key message limit, a decoder
    /// limit on untrusted input, a cost limit on a password hash).
    #[error("limit exceeded: {what} (limit {limit})")]
    LimitExceeded {
        /// What was limited.
        what: &'static str,
        /// The limit in force.
        limit: u64,
    },

    /// A caller-supplied argument or configuration is invalid. Never caused by
    /// untrusted ciphertext.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// An operation that the state of an object forbids (for example disabling the
    /// primary key of a keyset).
    #[error("invalid operation: {0}")]
    InvalidOperation(String),

    /// A password or MAC did not verify.
    #[error("verification failed")]
    VerificationFailed,

    /// Text input (CSV, hierarchy file, policy document) could not be parsed.
    #[error("parse error at line {line}: {message}")]
    Parse {
        /// One-based line number, or 0 when not applicable.
        line: usize,
        /// What was wrong.
        message: String,
    },

    /// A key-management backend (a KMS, a key store) reported an error.
    #[error("key management error: {0}")]
    KeyManagement(String),

    /// The operating system's random number generator failed.
    #[error("random number generator failure")]
    Random,

    /// An I/O error from an underlying reader or writer.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// The audit log refused a proof, a checkpoint or a stored record;
    /// [`AuditError`] says which check failed and on what.
    #[error("audit log: {0}")]
    Audit(#[from] AuditError),

    /// Transforming one field of a record failed; `source` says why. Raised by
    /// record policies so that the failing field is named.
    #[error("field `{field}`: {source}")]
    Field {
        /// The field's name.
        field: String,
        /// The underlying error.
        source: Box<Error>,
    },
}

impl Error {
    pub(crate) fn invalid_argument(message: impl fmt::Display) -> Self {
        Self::InvalidArgument(message.to_string())
    }

    pub(crate) fn limit(what: &'static str, limit: u64) -> Self {
        Self::LimitExceeded { what, limit }
    }
}

/// Why the audit log refused something (see [`Error::Audit`]).
///
/// Proofs, checkpoints and log files are public data, so these errors say precisely what
/// did not match: nothing secret can leak through them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A proof has the wrong number of hashes for the sizes and index it claims.
    #[error("{proof} proof has {got} hashes; {expected} expected for {context}")]
    ProofLength {
        /// `inclusion` or `consistency`.
        proof: &'static str,
        /// Hashes given.
        got: usize,
        /// Hashes a proof for these parameters has.
        expected: usize,
        /// The parameters (`leaf 3 of tree size 8`, `tree size 5 to 8`).
        context: String,
    },
    /// A proof's parameters are impossible (index beyond the tree, sizes going backwards,
    /// a hash that is not 32 bytes).
    #[error("invalid {proof} proof: {reason}")]
    ProofParameters {
        /// `inclusion` or `consistency`.
        proof: &'static str,
        /// What is impossible.
        reason: String,
    },
    /// A proof is well formed but does not lead to the root it is checked against: it is
    /// a proof for a different tree (or entry), or the tree was rewritten.
    #[error("{proof} proof does not match the root of tree size {tree_size}{detail}")]
    RootMismatch {
        /// `inclusion` or `consistency`.
        proof: &'static str,
        /// Size of the tree whose root did not match.
        tree_size: u64,
        /// Which root (for a consistency proof: `; the old root does not match`).
        detail: &'static str,
    },
    /// A checkpoint carries no signature by the trusted key (it was signed by another
    /// key, or by none).
    #[error(
        "no signature by trusted key `{name}` (key id {key_id:08x}) on the note; signed by: {found}"
    )]
    UnknownSigner {
        /// The trusted key's name.
        name: String,
        /// The trusted key's id.
        key_id: u32,
        /// The key names and ids that did sign, or `nobody`.
        found: String,
    },
    /// A signature by the trusted key (name and id match) does not verify over the note
    /// text: the text or the signature was altered.
    #[error("signature by trusted key `{name}` (key id {key_id:08x}) does not verify")]
    BadSignature {
        /// The trusted key's name.
        name: String,
        /// The trusted key's id.
        key_id: u32,
    },
    /// A checkpoint names another log than the one expected.
    #[error("checkpoint origin `{found}` is not the expected `{expected}`")]
    OriginMismatch {
        /// The origin expected.
        expected: String,
        /// The origin found.
        found: String,
    },
    /// A log file failed a check while being read: a flipped byte, a record cut in the
    /// middle of a segment, files that do not fit together.
    #[error("log file `{file}` corrupted at byte {offset}: {reason}")]
    Corrupted {
        /// The file.
        file: String,
        /// Byte offset of the failing record or header.
        offset: u64,
        /// What check failed.
        reason: String,
    },
    /// Reopening the log found fewer entries than a checkpoint it signed, or a root that
    /// differs from the signed one: acknowledged history is missing or was rewritten.
    #[error("log history does not match its signed checkpoint: {0}")]
    HistoryMismatch(String),
}

/// `Result` with privkit's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
