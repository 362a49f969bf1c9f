//! C2SP signed notes (`c2sp.org/signed-note`) with Ed25519 keys, and the transparency-log
//! checkpoint (`c2sp.org/tlog-checkpoint`) and proof (`c2sp.org/tlog-proof`) texts.

use std::fmt;

use base64ct::{Base64, Encoding};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::hash::{HASH_LEN, Hash};
use super::proof::InclusionProof;
use crate::error::AuditError;
use crate::secret::{SecretBytes, SecretString};
use crate::{Error, Result};

/// Signature type byte of Ed25519 note signatures (signed-note, "Signature types").
const ED25519_TYPE: u8 = 0x01;
/// Longest note accepted by the parsers, in bytes.
pub const MAX_NOTE_LEN: usize = 64 * 1024;
/// Most signature lines accepted on one note (the spec asks for at least 16).
pub const MAX_NOTE_SIGNATURES: usize = 64;
/// Most hashes accepted in one proof text (a tree of 2^64 leaves needs at most 64).
const MAX_PROOF_HASHES: usize = 64;
/// First line of a C2SP inclusion proof.
const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// First line of privkit's consistency-proof text.
const CONSISTENCY_HEADER: &str = "privkit.dev/tlog-consistency@v1";

fn parse_err(line: usize, message: impl Into<String>) -> Error {
    Error::Parse {
        line,
        message: message.into(),
    }
}

/// Checks a key name: non-empty, no Unicode white space, no `+`.
fn check_key_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 256
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(Error::invalid_argument(format_args!(
            "note key name `{}` must be 1 to 256 bytes without spaces, `+` or control characters",
            name.escape_default()
        )));
    }
    Ok(())
}

/// `SHA-256(name || 0x0A || 0x01 || public key)[:4]`, big-endian.
fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519_TYPE]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// An Ed25519 key that signs notes (checkpoints) under a key name.
///
/// Not `Clone`: one copy of the signing key. Its seed is zeroized on drop.
pub struct NoteSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl NoteSigner {
    /// A fresh key from the operating system's generator. Use the log's origin as `name`
    /// (a schema-less URL such as `audit.example.com/prod`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid name; [`Error::Random`].
    pub fn generate(name: &str) -> Result<Self> {
        let seed = SecretBytes::random(32)?;
        Self::from_seed(name, &seed)
    }

    /// The key with this 32-byte Ed25519 seed (RFC 8032 private key).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid name or a seed that is not 32 bytes.
    pub fn from_seed(name: &str, seed: &SecretBytes) -> Result<Self> {
        check_key_name(name)?;
        let seed: &[u8; 32] = seed
            .expose_secret()
            .try_into()
            .map_err(|_| Error::invalid_argument("an Ed25519 seed is 32 bytes"))?;
        let key = SigningKey::from_bytes(seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// Parses the Go `note` private key form
    /// `PRIVATE+KEY+<name>+<key id, 8 hex digits>+<base64(0x01 || seed)>`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the string is not of that form, or its key id does
    /// not match the key.
    pub fn from_private_key_string(s: &SecretString) -> Result<Self> {
        let bad = || Error::invalid_argument("not a `PRIVATE+KEY+name+id+key` note signer key");
        let rest = s
            .expose_secret()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(bad)?;
        let (name, id, data) = split_key_string(rest).ok_or_else(bad)?;
        let data = SecretBytes::new(Base64::decode_vec(data).map_err(|_| bad())?);
        let (&ty, seed) = data.expose_secret().split_first().ok_or_else(bad)?;
        if ty != ED25519_TYPE {
            return Err(bad());
        }
        let signer = Self::from_seed(name, &SecretBytes::from_slice(seed))?;
        if signer.id != id {
            return Err(Error::invalid_argument(
                "the key id in the signer key string does not match the key",
            ));
        }
        Ok(signer)
    }

    /// The Go `note` private key string (see [`from_private_key_string`](Self::from_private_key_string)).
    #[must_use]
    pub fn to_private_key_string(&self) -> SecretString {
        let mut data = SecretBytes::zeroed(33);
        let buf = data.expose_secret_mut();
        buf[0] = ED25519_TYPE;
        buf[1..].copy_from_slice(self.key.as_bytes());
        let mut b64 = SecretBytes::zeroed(44);
        let encoded = Base64::encode(data.expose_secret(), b64.expose_secret_mut())
            .map(str::to_owned)
            .map(SecretString::new)
            .unwrap_or_else(|_| SecretString::new(String::new()));
        SecretString::new(format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            encoded.expose_secret()
        ))
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id (first four bytes of the key hash).
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The matching verifier (public key), to give to whoever checks checkpoints.
    #[must_use]
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs `text` (which must end in a newline and hold no control characters but
    /// newlines) and returns the signed note: the text, a blank line, one signature line.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `text` is not valid note text.
    pub fn sign(&self, text: &str) -> Result<String> {
        check_note_text(text).map_err(|e| Error::invalid_argument(e.to_string()))?;
        let sig = self.key.sign(text.as_bytes()).to_bytes();
        let mut blob = Vec::with_capacity(4 + sig.len());
        blob.extend_from_slice(&self.id.to_be_bytes());
        blob.extend_from_slice(&sig);
        Ok(format!(
            "{text}\n\u{2014} {} {}\n",
            self.name,
            Base64::encode_string(&blob)
        ))
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.id))
            .field("key", &"[REDACTED]")
            .finish()
    }
}

fn split_key_string(s: &str) -> Option<(&str, u32, &str)> {
    let (name, rest) = s.split_once('+')?;
    let (id, data) = rest.split_once('+')?;
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((name, u32::from_str_radix(id, 16).ok()?, data))
}

/// A trusted Ed25519 public key with its name: checks signatures on notes and
/// checkpoints. This and a checkpoint are all a verifier needs.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// A verifier for the 32-byte Ed25519 public key `public` under `name`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid name or a public key that is not a
    /// valid point or is of small order (weak).
    pub fn new(name: &str, public: &[u8; 32]) -> Result<Self> {
        check_key_name(name)?;
        let key = VerifyingKey::from_bytes(public)
            .map_err(|_| Error::invalid_argument("not a valid Ed25519 public key"))?;
        if key.is_weak() {
            return Err(Error::invalid_argument(
                "Ed25519 public key of small order refused",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            id: key_id(name, public),
            key,
        })
    }

    /// Parses the Go `note` verifier key form `<name>+<key id>+<base64(0x01 || key)>`
    /// (as [`Display`](fmt::Display) writes it).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the string is not of that form or its key id does
    /// not match the key.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || Error::invalid_argument("not a `name+id+key` note verifier key");
        let (name, id, data) = split_key_string(s).ok_or_else(bad)?;
        let data = Base64::decode_vec(data).map_err(|_| bad())?;
        let (&ty, key) = data.split_first().ok_or_else(bad)?;
        let key: &[u8; 32] = key.try_into().map_err(|_| bad())?;
        if ty != ED25519_TYPE {
            return Err(Error::invalid_argument(format_args!(
                "note verifier key of type {ty:#04x}; only Ed25519 (0x01) is supported"
            )));
        }
        let v = Self::new(name, key)?;
        if v.id != id {
            return Err(Error::invalid_argument(
                "the key id in the verifier key string does not match the key",
            ));
        }
        Ok(v)
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The 32-byte public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Checks a raw Ed25519 signature over `message` (RFC 8032, strict: non-canonical
    /// encodings and small-order keys and points are refused).
    ///
    /// # Errors
    /// [`Error::VerificationFailed`] if it does not verify.
    pub fn verify_signature(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let sig = Signature::from_slice(signature).map_err(|_| Error::VerificationFailed)?;
        self.key
            .verify_strict(message, &sig)
            .map_err(|_| Error::VerificationFailed)
    }

    /// Verifies a signed note and returns its text. Signatures by other keys are
    /// ignored (they may be witnesses' cosignatures), as the spec requires.
    ///
    /// # Errors
    /// [`Error::Parse`] for a note that is not well formed;
    /// [`AuditError::UnknownSigner`] if no signature names this key;
    /// [`AuditError::BadSignature`] if a signature by this key does not verify.
    pub fn verify<'n>(&self, note: &'n str) -> Result<&'n str> {
        let parsed = Note::parse(note)?;
        let mut verified = false;
        for s in parsed.signatures() {
            if s.name != self.name || s.key_id != self.id {
                continue;
            }
            self.verify_signature(parsed.text.as_bytes(), s.signature)
                .map_err(|_| AuditError::BadSignature {
                    name: self.name.clone(),
                    key_id: self.id,
                })?;
            verified = true;
        }
        if !verified {
            let found: Vec<String> = parsed
                .signatures()
                .map(|s| format!("`{}` ({:08x})", s.name, s.key_id))
                .collect();
            return Err(AuditError::UnknownSigner {
                name: self.name.clone(),
                key_id: self.id,
                found: found.join(", "),
            }
            .into());
        }
        Ok(parsed.text)
    }

    /// Verifies a signed checkpoint note and parses it; `origin` must match.
    ///
    /// # Errors
    /// Those of [`verify`](Self::verify) and [`Checkpoint::parse`];
    /// [`AuditError::OriginMismatch`] for a checkpoint of another log.
    pub fn verify_checkpoint(&self, note: &str, origin: &str) -> Result<Checkpoint> {
        let cp = Checkpoint::parse(self.verify(note)?)?;
        if cp.origin != origin {
            return Err(AuditError::OriginMismatch {
                expected: origin.to_owned(),
                found: cp.origin,
            }
            .into());
        }
        Ok(cp)
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = [0u8; 33];
        data[0] = ED25519_TYPE;
        data[1..].copy_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.id,
            Base64::encode_string(&data)
        )
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteVerifier({self})")
    }
}

/// Checks the note-text rules: ends in a newline, UTF-8 (given), no control characters
/// other than newline, bounded length.
fn check_note_text(text: &str) -> Result<()> {
    if text.len() > MAX_NOTE_LEN {
        return Err(Error::limit("note length in bytes", MAX_NOTE_LEN as u64));
    }
    if !text.ends_with('\n') {
        return Err(parse_err(0, "note text must end with a newline"));
    }
    for (i, line) in text.split('\n').enumerate() {
        if line.chars().any(|c| c.is_control()) {
            return Err(parse_err(i + 1, "control character in note"));
        }
    }
    Ok(())
}

/// One signature line of a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoteSignature<'n> {
    /// The key name.
    pub name: &'n str,
    /// The key id (first four bytes of the signature blob).
    pub key_id: u32,
    /// The signature bytes after the key id.
    pub signature: &'n [u8],
}

/// A parsed (not verified) signed note. Its text must not be trusted before a
/// [`NoteVerifier`] has checked it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note<'n> {
    text: &'n str,
    blobs: Vec<(&'n str, u32, Vec<u8>)>,
}

impl<'n> Note<'n> {
    /// Parses a signed note: text ending in a newline, a blank line, then one or more
    /// lines `— <key name> <base64(key id || signature)>`.
    ///
    /// # Errors
    /// [`Error::Parse`] naming the line; [`Error::LimitExceeded`] for a note over
    /// [`MAX_NOTE_LEN`] bytes or with more than [`MAX_NOTE_SIGNATURES`] signatures.
    pub fn parse(note: &'n str) -> Result<Self> {
        check_note_text(note)?;
        // The text ends at the last blank line: the signatures follow it.
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| parse_err(0, "no blank line between note text and signatures"))?;
        let text = &note[..=split];
        let sigs = &note[split + 2..];
        let first_sig_line = text.split('\n').count() + 1;
        let mut blobs = Vec::new();
        for (i, line) in sigs
            .strip_suffix('\n')
            .unwrap_or(sigs)
            .split('\n')
            .enumerate()
        {
            let n = first_sig_line + i;
            if blobs.len() == MAX_NOTE_SIGNATURES {
                return Err(Error::limit(
                    "signatures on one note",
                    MAX_NOTE_SIGNATURES as u64,
                ));
            }
            let rest = line
                .strip_prefix("\u{2014} ")
                .ok_or_else(|| parse_err(n, "signature line must start with `\u{2014} `"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| parse_err(n, "signature line has no key name"))?;
            if name.is_empty() || name.contains('+') {
                return Err(parse_err(n, "invalid key name in signature line"));
            }
            let blob = Base64::decode_vec(b64)
                .map_err(|_| parse_err(n, "signature is not valid base64"))?;
            if blob.len() < 5 {
                return Err(parse_err(n, "signature shorter than a key id"));
            }
            let id = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
            blobs.push((name, id, blob));
        }
        if sigs.is_empty() {
            return Err(parse_err(first_sig_line, "note has no signature lines"));
        }
        Ok(Self { text, blobs })
    }

    /// The note text (including its final newline).
    #[must_use]
    pub fn text(&self) -> &'n str {
        self.text
    }

    /// The signature lines.
    pub fn signatures(&self) -> impl Iterator<Item = NoteSignature<'_>> {
        self.blobs.iter().map(|(name, id, blob)| NoteSignature {
            name,
            key_id: *id,
            signature: &blob[4..],
        })
    }
}

/// A transparency-log checkpoint (`c2sp.org/tlog-checkpoint`): the log's origin, a tree
/// size and the root hash at that size, plus optional extension lines.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint for the tree of `size` leaves with root `root`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty origin or one with control characters.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self> {
        if origin.is_empty() || origin.chars().any(char::is_control) {
            return Err(Error::invalid_argument(
                "checkpoint origin must be non-empty without control characters",
            ));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// Adds an extension line (opaque, non-empty; the spec discourages them, as log
    /// monitors cannot audit them).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty line or one with control characters.
    pub fn with_extension(mut self, line: &str) -> Result<Self> {
        if line.is_empty() || line.chars().any(char::is_control) {
            return Err(Error::invalid_argument(
                "checkpoint extension lines must be non-empty without control characters",
            ));
        }
        self.extensions.push(line.to_owned());
        Ok(self)
    }

    /// The log's origin line.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash at that size.
    #[must_use]
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// The extension lines.
    #[must_use]
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text: origin, size, base64 root, extensions, each ending in a newline.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            Base64::encode_string(&self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Signs the checkpoint: the signed note to publish.
    ///
    /// # Errors
    /// As [`NoteSigner::sign`].
    pub fn sign(&self, signer: &NoteSigner) -> Result<String> {
        signer.sign(&self.to_text())
    }

    /// Parses checkpoint note text (already verified: see
    /// [`NoteVerifier::verify_checkpoint`]).
    ///
    /// # Errors
    /// [`Error::Parse`] naming the line.
    pub fn parse(text: &str) -> Result<Self> {
        check_note_text(text)?;
        let body = &text[..text.len() - 1];
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or("");
        if origin.is_empty() {
            return Err(parse_err(1, "checkpoint origin line is empty"));
        }
        let size = lines
            .next()
            .ok_or_else(|| parse_err(2, "checkpoint has no tree size line"))?;
        let size = parse_decimal(size).ok_or_else(|| {
            parse_err(
                2,
                "tree size must be a decimal number without leading zeros",
            )
        })?;
        let root = lines
            .next()
            .ok_or_else(|| parse_err(3, "checkpoint has no root hash line"))?;
        let root =
            decode_hash(root).ok_or_else(|| parse_err(3, "root is not a base64 SHA-256 hash"))?;
        let mut extensions = Vec::new();
        for (i, line) in lines.enumerate() {
            if line.is_empty() {
                return Err(parse_err(i + 4, "empty checkpoint extension line"));
            }
            extensions.push(line.to_owned());
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn decode_hash(s: &str) -> Option<Hash> {
    let mut out = [0u8; HASH_LEN];
    let d = Base64::decode(s, &mut out).ok()?;
    (d.len() == HASH_LEN).then_some(out)
}

/// An inclusion proof in the C2SP `tlog-proof@v1` text form: the entry's index, the
/// audit path and the signed checkpoint it leads to, verifiable offline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    extra: Option<Vec<u8>>,
    index: u64,
    hashes: Vec<Hash>,
    checkpoint_note: String,
}

impl TlogProof {
    /// Bundles an inclusion proof with the signed checkpoint of the same tree size.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the checkpoint note does not parse or is for another
    /// tree size than the proof.
    pub fn new(
        proof: &InclusionProof,
        checkpoint_note: &str,
        extra: Option<&[u8]>,
    ) -> Result<Self> {
        let note = Note::parse(checkpoint_note)?;
        let cp = Checkpoint::parse(note.text())?;
        if cp.size != proof.tree_size() {
            return Err(Error::invalid_argument(format_args!(
                "proof is for tree size {}, checkpoint for {}",
                proof.tree_size(),
                cp.size
            )));
        }
        Ok(Self {
            extra: extra.map(<[u8]>::to_vec),
            index: proof.index(),
            hashes: proof.hashes().to_vec(),
            checkpoint_note: checkpoint_note.to_owned(),
        })
    }

    /// The entry index.
    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The opaque extra data (unauthenticated).
    #[must_use]
    pub fn extra(&self) -> Option<&[u8]> {
        self.extra.as_deref()
    }

    /// The signed checkpoint, verbatim.
    #[must_use]
    pub fn checkpoint_note(&self) -> &str {
        &self.checkpoint_note
    }

    /// Verifies the checkpoint's signature, its origin, and that `entry` is at this
    /// proof's index in the checkpointed tree. Returns the checkpoint.
    ///
    /// # Errors
    /// Those of [`NoteVerifier::verify_checkpoint`] and [`InclusionProof::verify`].
    pub fn verify(
        &self,
        entry: &[u8],
        verifier: &NoteVerifier,
        origin: &str,
    ) -> Result<Checkpoint> {
        let cp = verifier.verify_checkpoint(&self.checkpoint_note, origin)?;
        InclusionProof::new(self.index, cp.size, self.hashes.clone()).verify(entry, &cp.root)?;
        Ok(cp)
    }

    /// The `tlog-proof@v1` text.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = String::from(TLOG_PROOF_HEADER);
        s.push('\n');
        if let Some(extra) = &self.extra {
            s.push_str("extra ");
            s.push_str(&Base64::encode_string(extra));
            s.push('\n');
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.hashes {
            s.push_str(&Base64::encode_string(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint_note);
        s
    }

    /// Parses the `tlog-proof@v1` text.
    ///
    /// # Errors
    /// [`Error::Parse`] naming the line; [`Error::LimitExceeded`] past 64 hashes or
    /// [`MAX_NOTE_LEN`] bytes.
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() > MAX_NOTE_LEN * 2 {
            return Err(Error::limit(
                "proof length in bytes",
                (MAX_NOTE_LEN * 2) as u64,
            ));
        }
        let (head, checkpoint_note) = text
            .split_once("\n\n")
            .ok_or_else(|| parse_err(0, "no blank line before the checkpoint"))?;
        let mut lines = head.split('\n').enumerate().map(|(i, l)| (i + 1, l));
        if lines.next().map(|(_, l)| l) != Some(TLOG_PROOF_HEADER) {
            return Err(parse_err(
                1,
                format!("first line must be `{TLOG_PROOF_HEADER}`"),
            ));
        }
        let mut next = lines.next();
        let mut extra = None;
        if let Some((n, l)) = next
            && let Some(b64) = l.strip_prefix("extra ")
        {
            extra = Some(Base64::decode_vec(b64).map_err(|_| parse_err(n, "extra is not base64"))?);
            next = lines.next();
        }
        let (n, l) = next.ok_or_else(|| parse_err(2, "no index line"))?;
        let index = l
            .strip_prefix("index ")
            .and_then(parse_decimal)
            .ok_or_else(|| parse_err(n, "expected `index <decimal>`"))?;
        let mut hashes = Vec::new();
        for (n, l) in lines {
            if hashes.len() == MAX_PROOF_HASHES {
                return Err(Error::limit("hashes in one proof", MAX_PROOF_HASHES as u64));
            }
            hashes.push(decode_hash(l).ok_or_else(|| parse_err(n, "not a base64 SHA-256 hash"))?);
        }
        let note = Note::parse(checkpoint_note)?;
        Checkpoint::parse(note.text())?;
        Ok(Self {
            extra,
            index,
            hashes,
            checkpoint_note: checkpoint_note.to_owned(),
        })
    }
}

impl super::proof::ConsistencyProof {
    /// The proof as text: `privkit.dev/tlog-consistency@v1`, `old <size>`,
    /// `new <size>`, then one base64 hash per line (`docs/FORMAT.md`).
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{CONSISTENCY_HEADER}\nold {}\nnew {}\n",
            self.old_size(),
            self.new_size()
        );
        for h in self.hashes() {
            s.push_str(&Base64::encode_string(h));
            s.push('\n');
        }
        s
    }

    /// Parses [`to_text`](Self::to_text)'s form.
    ///
    /// # Errors
    /// [`Error::Parse`] naming the line; [`Error::LimitExceeded`] past 64 hashes.
    pub fn parse(text: &str) -> Result<Self> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| parse_err(0, "proof text must end with a newline"))?;
        let mut lines = body.split('\n').enumerate().map(|(i, l)| (i + 1, l));
        if lines.next().map(|(_, l)| l) != Some(CONSISTENCY_HEADER) {
            return Err(parse_err(
                1,
                format!("first line must be `{CONSISTENCY_HEADER}`"),
            ));
        }
        let mut size = |prefix: &str, n: usize| {
            lines
                .next()
                .and_then(|(_, l)| l.strip_prefix(prefix))
                .and_then(parse_decimal)
                .ok_or_else(|| parse_err(n, format!("expected `{prefix}<decimal>`")))
        };
        let old = size("old ", 2)?;
        let new = size("new ", 3)?;
        let mut hashes = Vec::new();
        for (n, l) in lines {
            if hashes.len() == MAX_PROOF_HASHES {
                return Err(Error::limit("hashes in one proof", MAX_PROOF_HASHES as u64));
            }
            hashes.push(decode_hash(l).ok_or_else(|| parse_err(n, "not a base64 SHA-256 hash"))?);
        }
        Ok(Self::new(old, new, hashes))
    }
}
