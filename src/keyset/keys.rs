//! Keysets: managed keys with ids, a primary, statuses, and value encryption.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::audit::{KeyOp, LifecycleAction, UsageCounter, UsageRecorder};
use crate::backend::{AeadKey, Algorithm, KEY_LEN, TAG_LEN};
use crate::encoding::Reader;
use crate::kdf::{Hash, Hkdf};
use crate::secret::SecretBytes;
use crate::{Error, Result, rand};

/// Identifier of a key inside a [`Keyset`]: a random, non-zero 32-bit number, unique
/// within its keyset and stored in every ciphertext made with the key.
pub type KeyId = u32;

/// First byte of a keyset value ciphertext (format version 1).
pub(crate) const VALUE_V1: u8 = 0x01;
/// First byte of a data key wrapped by a keyset (format version 1). Wrapped keys are
/// encrypted under a key derived from the keyset key, never the key itself, so neither
/// kind of ciphertext can pass as the other.
pub(crate) const WRAPPED_KEY_V1: u8 = 0x02;
/// First byte of a field encrypted under a subject key (format version 1, see
/// `retention::SubjectCipher`): the keyset layout, under a key derived from the subject
/// key, so one table of format bytes keeps the kinds apart.
pub(crate) const SUBJECT_FIELD_V1: u8 = 0x03;
/// Bytes before the nonce: format byte, algorithm id, key id.
pub(crate) const PREFIX_LEN: usize = 6;

/// The state of a key in a keyset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum KeyStatus {
    /// Decrypts; encrypts when primary.
    Enabled,
    /// Kept but refused for every operation until enabled again.
    Disabled,
    /// Material wiped. The id is kept so ciphertexts under it fail with
    /// [`Error::KeyDestroyed`] rather than a confusing "unknown key".
    Destroyed,
}

/// Public description of one key of a keyset (no key material).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyInfo {
    /// The key's id.
    pub id: KeyId,
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// Its status.
    pub status: KeyStatus,
    /// Whether it is the primary (the one that encrypts).
    pub primary: bool,
}

/// Per-key nonce generator: a random prefix drawn from the operating system when the key
/// is loaded, followed by a big-endian invocation counter (the deterministic construction
/// of NIST SP 800-38D, section 8.2.1, with a random fixed field).
///
/// 96-bit nonces: 64-bit prefix + 32-bit counter; the key refuses to encrypt once the
/// counter would pass 2^32 (SP 800-38D's limit of 2^32 invocations per key). 192-bit
/// nonces: 128-bit prefix + 64-bit counter, no practical limit.
struct NonceSequence {
    prefix: [u8; 16],
    counter: AtomicU64,
}

impl NonceSequence {
    fn new() -> Result<Self> {
        Ok(Self {
            prefix: rand::array()?,
            counter: AtomicU64::new(0),
        })
    }

    /// Writes the next nonce for `algorithm` into `out` (which has the nonce length).
    fn next(&self, algorithm: Algorithm, out: &mut [u8]) -> Result<()> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        match algorithm.nonce_len() {
            12 => {
                let n = u32::try_from(n)
                    .map_err(|_| Error::limit("messages under one key in this process", 1 << 32))?;
                out[..8].copy_from_slice(&self.prefix[..8]);
                out[8..12].copy_from_slice(&n.to_be_bytes());
            }
            _ => {
                out[..16].copy_from_slice(&self.prefix);
                out[16..24].copy_from_slice(&n.to_be_bytes());
            }
        }
        Ok(())
    }
}

struct Material {
    secret: SecretBytes,
    cipher: AeadKey,
    /// The key that wraps data keys, derived from `secret` on first use (see
    /// [`WRAPPED_KEY_V1`]).
    wrap_cipher: OnceLock<AeadKey>,
    nonces: NonceSequence,
}

impl Material {
    fn new(algorithm: Algorithm, secret: SecretBytes) -> Result<Self> {
        let cipher = AeadKey::new(algorithm, secret.expose_secret())?;
        Ok(Self {
            secret,
            cipher,
            wrap_cipher: OnceLock::new(),
            nonces: NonceSequence::new()?,
        })
    }

    /// The cipher of a format: the key itself for values, a key derived from it for
    /// wrapped data keys. Each nonce sequence value is used once across both.
    fn cipher(&self, format: u8) -> Result<&AeadKey> {
        if format == VALUE_V1 || format == SUBJECT_FIELD_V1 {
            return Ok(&self.cipher);
        }
        if let Some(cipher) = self.wrap_cipher.get() {
            return Ok(cipher);
        }
        let key = Hkdf::extract(Hash::Sha256, b"", self.secret.expose_secret())
            .expand_labeled(&[WRAP_KEY_LABEL], KEY_LEN)?;
        let _ = self
            .wrap_cipher
            .set(AeadKey::new(self.cipher.algorithm(), key.expose_secret())?);
        self.wrap_cipher
            .get()
            .ok_or_else(|| Error::InvalidOperation("wrapping key unavailable".into()))
    }
}

/// HKDF label of the key that wraps data keys (`docs/FORMAT.md`, section 2.1).
const WRAP_KEY_LABEL: &[u8] = b"privkit keyset wrapping key";

#[derive(Clone)]
struct Entry {
    id: KeyId,
    algorithm: Algorithm,
    status: KeyStatus,
    material: Option<Arc<Material>>,
    /// The audit sink's aggregation counters for this key, resolved once when the key
    /// joined an audited keyset (`None`: not audited, or the sink records each use).
    encrypted: Option<Arc<UsageCounter>>,
    decrypted: Option<Arc<UsageCounter>>,
}

/// A set of keys with unique ids and one primary key: authenticated encryption of values
/// (what Tink calls an AEAD primitive) with rotation.
///
/// The primary key encrypts; every enabled key decrypts. A ciphertext names the id of
/// its key, so decryption picks the key directly (never trial decryption).
///
/// Rotation in the order Tink recommends: [`add`](Keyset::add) a key, distribute the
/// keyset to every reader, then [`promote`](Keyset::promote) it; later
/// [`disable`](Keyset::disable) and finally [`destroy`](Keyset::destroy) the old one once
/// nothing depends on it. [`rotate`](Keyset::rotate) does add and promote in one step.
///
/// # Ciphertext layout (format byte `0x01`)
///
/// `0x01 | algorithm id (1) | key id (4, big-endian) | nonce (12 or 24) | ciphertext | tag (16)`
///
/// The associated data given to the AEAD is the caller's. The header is bound without
/// being hashed again: the key id picks the key, the key has exactly one algorithm (a
/// different algorithm byte is rejected), and the format byte picks the key domain (data
/// keys are wrapped under a derived key). See `docs/FORMAT.md`.
///
/// # Nonces and limits
/// Nonces are never chosen by the caller. Each key draws a random prefix when it is
/// created or loaded and counts invocations after it, so nonces never repeat within a
/// process and repeat across processes only if two 64-bit prefixes collide. With 96-bit
/// nonces a key encrypts at most 2^32 messages per process (NIST SP 800-38D), then
/// [`encrypt`](Keyset::encrypt) returns [`Error::LimitExceeded`]: rotate. XChaCha20-Poly1305
/// has no such limit.
///
/// # Audit
/// [`with_audit`](Keyset::with_audit) counts every encryption and decryption per key and
/// records lifecycle changes; with an audit sink, each mutating method's errors include
/// the sink's (the change is then applied but its event was not recorded).
///
/// **Fork:** a child created by `fork()` inherits prefixes and counters. Call
/// [`refresh_nonce_prefixes`](Keyset::refresh_nonce_prefixes) in the child (or load keys
/// after forking) before encrypting there. Clones share each key's nonce counter, so they never repeat a nonce either.
///
/// # Example
/// ```
/// use privkit::{Algorithm, keyset::{Aad, Keyset}};
///
/// let mut keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
/// let aad = Aad::new().with("table", "customers").with("column", "email").with("row", "42");
/// let ct = keyset.encrypt(b"alice@example.com", aad.as_bytes())?;
///
/// let old = keyset.primary_id();
/// keyset.rotate(Algorithm::Aes256Gcm)?;
/// assert_ne!(keyset.primary_id(), old);
/// // Old ciphertexts still decrypt: the key is picked by the id inside the ciphertext.
/// assert_eq!(keyset.decrypt(&ct, aad.as_bytes())?, b"alice@example.com");
/// // The same ciphertext under another row's context is rejected.
/// let other = Aad::new().with("table", "customers").with("column", "email").with("row", "43");
/// assert!(keyset.decrypt(&ct, other.as_bytes()).is_err());
/// # Ok::<(), privkit::Error>(())
/// ```
pub struct Keyset {
    entries: Vec<Entry>,
    primary: KeyId,
    audit: Option<Arc<UsageRecorder>>,
}

impl std::fmt::Debug for Keyset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyset")
            .field("primary", &self.primary)
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Clone for Keyset {
    /// A handle on the same keys: the copies share each key's material and its nonce
    /// counter (the material is reference-counted), so they never repeat a nonce and
    /// cloning cannot fail. Changes made afterwards (rotation, status changes,
    /// [`refresh_nonce_prefixes`](Keyset::refresh_nonce_prefixes)) apply to one copy only;
    /// a destroyed key's material is wiped once no copy holds it any more.
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            primary: self.primary,
            audit: self.audit.clone(),
        }
    }
}

impl Keyset {
    /// A keyset holding one new random key of `algorithm`, which is primary.
    ///
    /// # Errors
    /// [`Error::Random`] if the operating system's generator fails.
    pub fn generate(algorithm: Algorithm) -> Result<Self> {
        let mut keyset = Self {
            entries: Vec::new(),
            primary: 0,
            audit: None,
        };
        keyset.primary = keyset.add_key(algorithm)?;
        Ok(keyset)
    }

    /// A keyset from existing key material (an import, a test vector): one key with the
    /// given id, which becomes primary.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the id is zero or the key is not 32 bytes.
    pub fn from_key(id: KeyId, algorithm: Algorithm, key: SecretBytes) -> Result<Self> {
        let mut keyset = Self {
            entries: Vec::new(),
            primary: id,
            audit: None,
        };
        keyset.insert_key(id, algorithm, key)?;
        Ok(keyset)
    }

    /// The id of the primary key.
    #[must_use]
    pub fn primary_id(&self) -> KeyId {
        self.primary
    }

    /// The keys, in the order they were added.
    pub fn keys(&self) -> impl Iterator<Item = KeyInfo> + '_ {
        self.entries.iter().map(|e| KeyInfo {
            id: e.id,
            algorithm: e.algorithm,
            status: e.status,
            primary: e.id == self.primary,
        })
    }

    /// Information about the key `id`.
    ///
    /// # Errors
    /// [`Error::UnknownKeyId`] if the keyset has no such key.
    pub fn key(&self, id: KeyId) -> Result<KeyInfo> {
        self.keys()
            .find(|k| k.id == id)
            .ok_or_else(|| Error::UnknownKeyId(id))
    }

    /// Adds a new random key of `algorithm`, enabled but not primary, and returns its id.
    ///
    /// # Errors
    /// [`Error::Random`] if the operating system's generator fails.
    pub fn add(&mut self, algorithm: Algorithm) -> Result<KeyId> {
        let id = self.add_key(algorithm)?;
        self.lifecycle(id, LifecycleAction::Generate)?;
        Ok(id)
    }

    /// Adds a new random key, records nothing.
    fn add_key(&mut self, algorithm: Algorithm) -> Result<KeyId> {
        let id = loop {
            let candidate = u32::from_be_bytes(rand::array()?);
            if candidate != 0 && self.position(candidate).is_none() {
                break candidate;
            }
        };
        self.insert_entry(id, algorithm, SecretBytes::random(algorithm.key_len())?)?;
        Ok(id)
    }

    /// Adds existing key material under `id`, enabled but not primary (for imports).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `id` is zero or already used, or the key is not 32 bytes.
    pub fn insert_key(&mut self, id: KeyId, algorithm: Algorithm, key: SecretBytes) -> Result<()> {
        self.insert_entry(id, algorithm, key)?;
        self.lifecycle(id, LifecycleAction::Import)
    }

    fn insert_entry(&mut self, id: KeyId, algorithm: Algorithm, key: SecretBytes) -> Result<()> {
        if id == 0 {
            return Err(Error::invalid_argument("key id 0 is reserved"));
        }
        if self.position(id).is_some() {
            return Err(Error::invalid_argument(format_args!(
                "key id {id:#010x} is already in the keyset"
            )));
        }
        if key.len() != algorithm.key_len() {
            return Err(Error::invalid_argument(format_args!(
                "a key of {} bytes for {algorithm}: its keys are {} bytes",
                key.len(),
                algorithm.key_len()
            )));
        }
        let material = Arc::new(Material::new(algorithm, key)?);
        let (encrypted, decrypted) = self.counters(id, algorithm);
        self.entries.push(Entry {
            id,
            algorithm,
            status: KeyStatus::Enabled,
            material: Some(material),
            encrypted,
            decrypted,
        });
        Ok(())
    }

    /// Adds a new key of `algorithm` and makes it primary. Returns its id.
    ///
    /// # Errors
    /// [`Error::Random`] if the operating system's generator fails.
    pub fn rotate(&mut self, algorithm: Algorithm) -> Result<KeyId> {
        let id = self.add_key(algorithm)?;
        self.primary = id;
        self.lifecycle(id, LifecycleAction::Generate)?;
        self.lifecycle(id, LifecycleAction::Rotate)?;
        Ok(id)
    }

    /// Makes the enabled key `id` primary.
    ///
    /// # Errors
    /// [`Error::UnknownKeyId`], [`Error::KeyDisabled`] or [`Error::KeyDestroyed`].
    pub fn promote(&mut self, id: KeyId) -> Result<()> {
        self.usable(id)?;
        self.primary = id;
        self.lifecycle(id, LifecycleAction::Promote)
    }

    /// Disables key `id`: it neither encrypts nor decrypts until enabled again.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for the primary key, [`Error::UnknownKeyId`],
    /// [`Error::KeyDestroyed`].
    pub fn disable(&mut self, id: KeyId) -> Result<()> {
        self.set_status(id, KeyStatus::Disabled)?;
        self.lifecycle(id, LifecycleAction::Disable)
    }

    /// Enables a disabled key again.
    ///
    /// # Errors
    /// [`Error::UnknownKeyId`], or [`Error::KeyDestroyed`] (destruction is final).
    pub fn enable(&mut self, id: KeyId) -> Result<()> {
        self.set_status(id, KeyStatus::Enabled)?;
        self.lifecycle(id, LifecycleAction::Enable)
    }

    /// Destroys key `id`: its material is wiped from memory and every ciphertext under it
    /// becomes permanently undecryptable (with [`Error::KeyDestroyed`]). The id stays in
    /// the keyset.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for the primary key, [`Error::UnknownKeyId`].
    pub fn destroy(&mut self, id: KeyId) -> Result<()> {
        self.set_status(id, KeyStatus::Destroyed)?;
        self.lifecycle(id, LifecycleAction::Destroy)
    }

    /// Draws new nonce prefixes for every key and restarts their counters. Call it in a
    /// child process after `fork()` before encrypting there.
    ///
    /// # Errors
    /// [`Error::Random`] if the operating system's generator fails.
    pub fn refresh_nonce_prefixes(&mut self) -> Result<()> {
        for entry in &mut self.entries {
            if let Some(m) = entry.material.as_mut() {
                *m = Arc::new(Material::new(entry.algorithm, m.secret.clone())?);
            }
        }
        Ok(())
    }

    /// Encrypts `plaintext` under the primary key, binding `aad` (associated data: for
    /// example table, column and row id, see [`Aad`](super::Aad)).
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when the primary key has used up its nonce budget in this
    /// process or the plaintext is over 64 GiB.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        // Exact capacity for the longest header (24-byte nonce): one allocation, no growth.
        let mut out = Vec::with_capacity(PREFIX_LEN + 24 + plaintext.len() + TAG_LEN);
        self.encrypt_to(plaintext, aad, &mut out)?;
        Ok(out)
    }

    /// Like [`encrypt`](Keyset::encrypt), appending the ciphertext to `out` (no
    /// allocation when `out` has room).
    ///
    /// # Errors
    /// As [`encrypt`](Keyset::encrypt).
    pub fn encrypt_to(&self, plaintext: &[u8], aad: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let entry = self.encrypt_entry(VALUE_V1, plaintext, aad, out)?;
        self.count(
            entry,
            &entry.encrypted,
            KeyOp::Encrypt,
            plaintext.len(),
            None,
        )
    }

    /// Like [`encrypt`](Keyset::encrypt), and records this one use in the keyset's audit
    /// sink as its own event naming `reference` (a row key, an object name), so that a
    /// breach query can list what a key protected. Without an audit sink, as `encrypt`.
    ///
    /// # Errors
    /// As [`encrypt`](Keyset::encrypt); the sink's.
    pub fn encrypt_referenced(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        reference: &str,
    ) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(PREFIX_LEN + 24 + plaintext.len() + TAG_LEN);
        let entry = self.encrypt_entry(VALUE_V1, plaintext, aad, &mut out)?;
        self.count(
            entry,
            &None,
            KeyOp::Encrypt,
            plaintext.len(),
            Some(reference),
        )?;
        Ok(out)
    }

    /// Records key use in the audit sink after a successful operation: one add to the
    /// key's counter, or an event when the sink takes each use (or a reference is given).
    fn count(
        &self,
        entry: &Entry,
        counter: &Option<Arc<UsageCounter>>,
        op: KeyOp,
        bytes: usize,
        reference: Option<&str>,
    ) -> Result<()> {
        if let Some(counter) = counter {
            counter.add(u64::try_from(bytes).unwrap_or(u64::MAX));
            return Ok(());
        }
        match &self.audit {
            Some(recorder) => {
                recorder.used_on(entry.id, op, entry.algorithm.name(), bytes, None, reference)
            }
            None => Ok(()),
        }
    }

    /// Audits this keyset's key use and lifecycle through `recorder`
    /// ([`Auditor::keyset_recorder`](crate::audit::Auditor::keyset_recorder)): every
    /// encryption and decryption is counted per key (one atomic add when the sink
    /// aggregates, as [`AggregatingSink`](crate::audit::AggregatingSink) does), and
    /// `add`, `rotate`, `promote`, `enable`, `disable`, `destroy`, `insert_key`, exports
    /// and imports are recorded as lifecycle events after they succeed. Clones share the
    /// recorder. An operation whose event the sink refuses fails with the sink's error.
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use privkit::audit::{Auditor, EventKind, KeyOp, MemoryLog, SubjectPseudonymizer};
    /// use privkit::keyset::Keyset;
    /// use privkit::secret::SecretBytes;
    ///
    /// let log = Arc::new(MemoryLog::new());
    /// let pseudonyms = Arc::new(SubjectPseudonymizer::new(&SecretBytes::random(32)?)?);
    /// let auditor = Auditor::new(log.clone(), pseudonyms, "billing-service");
    /// let mut keyset = Keyset::generate(Default::default())?
    ///     .with_audit(auditor.keyset_recorder("customers.email", Some("user.contact.email")));
    /// keyset.encrypt(b"ada@example.com", b"row 7")?; // MemoryLog records each use
    /// keyset.rotate(Default::default())?;
    /// let events = log.events()?;
    /// assert!(matches!(&events[0].kind, EventKind::KeyUsage(u) if u.op == KeyOp::Encrypt));
    /// assert!(matches!(&events[1].kind, EventKind::KeyLifecycle(_)));
    /// # Ok::<(), privkit::Error>(())
    /// ```
    #[must_use]
    pub fn with_audit(mut self, recorder: UsageRecorder) -> Self {
        self.audit = Some(Arc::new(recorder));
        for i in 0..self.entries.len() {
            let (id, algorithm) = (self.entries[i].id, self.entries[i].algorithm);
            let (encrypted, decrypted) = self.counters(id, algorithm);
            self.entries[i].encrypted = encrypted;
            self.entries[i].decrypted = decrypted;
        }
        self
    }

    /// The recorder this keyset audits through, if any.
    #[must_use]
    pub fn audit(&self) -> Option<&UsageRecorder> {
        self.audit.as_deref()
    }

    /// The sink's counters for a key (encrypt, decrypt), when audited.
    fn counters(
        &self,
        id: KeyId,
        algorithm: Algorithm,
    ) -> (Option<Arc<UsageCounter>>, Option<Arc<UsageCounter>>) {
        match &self.audit {
            Some(r) => (
                r.counter(id, KeyOp::Encrypt, algorithm.name()),
                r.counter(id, KeyOp::Decrypt, algorithm.name()),
            ),
            None => (None, None),
        }
    }

    /// Records a lifecycle change of key `id`, when audited.
    pub(crate) fn lifecycle(&self, id: KeyId, action: LifecycleAction) -> Result<()> {
        match &self.audit {
            Some(recorder) => {
                let algorithm = self.entry(id).ok().map(|e| e.algorithm.name());
                recorder.lifecycle(id, action, algorithm)
            }
            None => Ok(()),
        }
    }

    /// Decrypts a ciphertext made by [`encrypt`](Keyset::encrypt) with the same `aad`.
    ///
    /// # Errors
    /// [`Error::Malformed`] or [`Error::UnsupportedVersion`] for bytes that are not a
    /// keyset ciphertext; [`Error::UnknownKeyId`], [`Error::KeyDisabled`],
    /// [`Error::KeyDestroyed`] for the key named; [`Error::DecryptionFailed`] for any
    /// authentication failure.
    pub fn decrypt(&self, ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let (plaintext, entry) = self.decrypt_entry(VALUE_V1, ciphertext, aad)?;
        self.count(
            entry,
            &entry.decrypted,
            KeyOp::Decrypt,
            plaintext.len(),
            None,
        )?;
        Ok(plaintext)
    }

    /// Re-encrypts a value ciphertext under the primary key, with the same associated
    /// data, in one call: what a rotation sweep does to each row still under an old key.
    /// Returns `None`, without decrypting, when the ciphertext is already under the
    /// primary (its header names the primary's id), so a sweep can run again over rows it
    /// has done.
    ///
    /// The ciphertext is decrypted and authenticated before anything is encrypted; the
    /// plaintext never leaves this call and is zeroized.
    ///
    /// # Errors
    /// As [`decrypt`](Keyset::decrypt) (a ciphertext under a destroyed key cannot be
    /// rotated any more: [`Error::KeyDestroyed`]) and [`encrypt`](Keyset::encrypt).
    ///
    /// # Example
    /// ```
    /// use privkit::keyset::{self, Keyset};
    ///
    /// let mut keyset = Keyset::generate(Default::default())?;
    /// let ct = keyset.encrypt(b"4111 1111 1111 1111", b"cards.7")?;
    /// let old = keyset.primary_id();
    /// keyset.rotate(Default::default())?;
    /// let rotated = keyset.reencrypt(&ct, b"cards.7")?.expect("was under the old key");
    /// assert_eq!(keyset::inspect(&rotated)?.key_id, keyset.primary_id());
    /// assert!(keyset.reencrypt(&rotated, b"cards.7")?.is_none());
    /// keyset.disable(old)?; // nothing needs it any more
    /// assert_eq!(keyset.decrypt(&rotated, b"cards.7")?, b"4111 1111 1111 1111");
    /// # Ok::<(), privkit::Error>(())
    /// ```
    pub fn reencrypt(&self, ciphertext: &[u8], aad: &[u8]) -> Result<Option<Vec<u8>>> {
        let info = super::inspect(ciphertext)?;
        if info.kind != super::CiphertextKind::Value {
            return Err(Error::Malformed("ciphertext of another kind"));
        }
        if info.key_id == self.primary {
            return Ok(None);
        }
        let plaintext = zeroize::Zeroizing::new(self.decrypt(ciphertext, aad)?);
        self.encrypt(&plaintext, aad).map(Some)
    }

    pub(crate) fn encrypt_domain(
        &self,
        format: u8,
        plaintext: &[u8],
        aad: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        self.encrypt_entry(format, plaintext, aad, out).map(|_| ())
    }

    fn encrypt_entry(
        &self,
        format: u8,
        plaintext: &[u8],
        aad: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<&Entry> {
        let entry = self.entry(self.primary)?;
        let material = self.material(entry)?;
        let algorithm = entry.algorithm;
        if u64::try_from(plaintext.len()).map_or(true, |n| n > algorithm.max_plaintext_len()) {
            return Err(Error::limit(
                "plaintext length",
                algorithm.max_plaintext_len(),
            ));
        }
        let cipher = material.cipher(format)?;
        let nonce_len = algorithm.nonce_len();
        let mut header = [0u8; PREFIX_LEN + 24];
        header[0] = format;
        header[1] = algorithm.id();
        header[2..PREFIX_LEN].copy_from_slice(&entry.id.to_be_bytes());
        let header = &mut header[..PREFIX_LEN + nonce_len];
        material.nonces.next(algorithm, &mut header[PREFIX_LEN..])?;
        out.reserve(header.len() + plaintext.len() + TAG_LEN);
        let start = out.len();
        out.extend_from_slice(header);
        let tag = cipher
            .seal_append(&header[PREFIX_LEN..], aad, plaintext, out)
            .inspect_err(|_| out.truncate(start))?;
        out.extend_from_slice(&tag);
        Ok(entry)
    }

    pub(crate) fn decrypt_domain(
        &self,
        format: u8,
        ciphertext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>> {
        self.decrypt_entry(format, ciphertext, aad).map(|(p, _)| p)
    }

    fn decrypt_entry(
        &self,
        format: u8,
        ciphertext: &[u8],
        aad: &[u8],
    ) -> Result<(Vec<u8>, &Entry)> {
        let mut r = Reader::new(ciphertext);
        let version = r.u8("empty ciphertext")?;
        if version != format {
            return Err(
                if matches!(version, VALUE_V1 | WRAPPED_KEY_V1 | SUBJECT_FIELD_V1) {
                    Error::Malformed("ciphertext of another kind")
                } else {
                    Error::UnsupportedVersion(version)
                },
            );
        }
        let algorithm = Algorithm::from_id(r.u8("truncated header")?)?;
        let id = r.u32("truncated header")?;
        let nonce = r.take(algorithm.nonce_len(), "truncated nonce")?;
        let body = r.rest();
        let Some(ct_len) = body.len().checked_sub(TAG_LEN) else {
            return Err(Error::Malformed("ciphertext shorter than its tag"));
        };
        let entry = self.usable(id)?;
        // The key id picks the key and the key has one algorithm: a ciphertext whose
        // algorithm byte disagrees was altered.
        if entry.algorithm != algorithm {
            return Err(Error::DecryptionFailed);
        }
        let cipher = self.material(entry)?.cipher(format)?;
        let mut out = body[..ct_len].to_vec();
        cipher.open_in_place(nonce, aad, &mut out, &body[ct_len..])?;
        Ok((out, entry))
    }

    /// Sets a fixed nonce prefix on every key and restarts the counters: known-answer
    /// vectors only.
    #[cfg(test)]
    pub(crate) fn set_nonce_prefix_for_vectors(&mut self, prefix: [u8; 16]) {
        for entry in &mut self.entries {
            if let Some(m) = entry.material.as_mut() {
                let mut fresh = Material::new(entry.algorithm, m.secret.clone())
                    .unwrap_or_else(|_| unreachable!("vector keys are valid"));
                fresh.nonces = NonceSequence {
                    prefix,
                    counter: AtomicU64::new(0),
                };
                *m = Arc::new(fresh);
            }
        }
    }

    /// Raw key material of every key, for export (crate-internal).
    pub(crate) fn export_material(
        &self,
    ) -> impl Iterator<Item = (KeyInfo, Option<&SecretBytes>)> + '_ {
        self.entries.iter().map(|e| {
            (
                KeyInfo {
                    id: e.id,
                    algorithm: e.algorithm,
                    status: e.status,
                    primary: e.id == self.primary,
                },
                e.material.as_ref().map(|m| &m.secret),
            )
        })
    }

    fn position(&self, id: KeyId) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    fn entry(&self, id: KeyId) -> Result<&Entry> {
        self.entries
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| Error::UnknownKeyId(id))
    }

    fn usable(&self, id: KeyId) -> Result<&Entry> {
        let entry = self.entry(id)?;
        match entry.status {
            KeyStatus::Enabled => Ok(entry),
            KeyStatus::Disabled => Err(Error::KeyDisabled(id)),
            KeyStatus::Destroyed => Err(Error::KeyDestroyed(id)),
        }
    }

    fn material<'a>(&self, entry: &'a Entry) -> Result<&'a Material> {
        entry
            .material
            .as_deref()
            .ok_or_else(|| Error::KeyDestroyed(entry.id))
    }

    fn set_status(&mut self, id: KeyId, status: KeyStatus) -> Result<()> {
        if id == self.primary && status != KeyStatus::Enabled {
            return Err(Error::InvalidOperation(
                "the primary key must stay enabled: promote another key first".into(),
            ));
        }
        let primary = self.primary;
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or_else(|| Error::UnknownKeyId(id))?;
        debug_assert!(id != primary || status == KeyStatus::Enabled);
        match (entry.status, status) {
            (KeyStatus::Destroyed, KeyStatus::Destroyed) => {}
            (KeyStatus::Destroyed, _) => return Err(Error::KeyDestroyed(id)),
            (_, KeyStatus::Destroyed) => entry.material = None, // drops and zeroizes
            _ => {}
        }
        entry.status = status;
        Ok(())
    }
}
