//! Crypto-shredding: per-subject data keys, and erasure by destroying the key.
//!
//! This file encrypts with the backend AEAD boundary directly (format below), which the
//! architecture allows every module: a subject ciphertext is one AEAD message under one
//! subject key, and the envelope formats would only add bytes here (a key id that repeats
//! the store's, an algorithm id that cannot vary, a wrapped data key that crypto-shredding
//! must not have, since the subject key itself is what `forget` destroys).
//!
//! Format v1 (documented in `docs/FORMAT.md`):
//! `0x01 || nonce (12 bytes, random) || AES-256-GCM ciphertext || tag (16 bytes)`, with
//! associated data `encode_labels(["privkit retention shred v1", subject id, context])`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use super::consent::SubjectId;
use crate::backend::{AeadKey, Algorithm, KEY_LEN, TAG_LEN};
use crate::kdf::encode_labels;
use crate::secret::SecretBytes;
use crate::{Error, Result, rand};

/// Format version byte of subject ciphertexts.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 1 + NONCE_LEN;
const DOMAIN: &[u8] = b"privkit retention shred v1";
const ALGORITHM: Algorithm = Algorithm::Aes256Gcm;

/// A subject's data key: 32 bytes of key material and a 32-bit id that names it in
/// errors ([`Error::KeyDestroyed`]).
#[derive(Clone)]
pub struct SubjectKey {
    id: u32,
    material: SecretBytes,
}

impl SubjectKey {
    /// Wraps key material held by a store.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `material` is 32 bytes.
    pub fn new(id: u32, material: SecretBytes) -> Result<Self> {
        if material.len() != KEY_LEN {
            return Err(Error::invalid_argument("subject keys are 32 bytes"));
        }
        Ok(Self { id, material })
    }

    /// A fresh random key with a random id.
    ///
    /// # Errors
    /// [`Error::Random`] if the operating system's generator fails.
    pub fn generate() -> Result<Self> {
        Self::new(
            u32::from_be_bytes(rand::array()?),
            SecretBytes::random(KEY_LEN)?,
        )
    }

    /// The key id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The key material.
    #[must_use]
    pub fn material(&self) -> &SecretBytes {
        &self.material
    }
}

impl fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectKey")
            .field("id", &format_args!("{:#010x}", self.id))
            .field("material", &self.material)
            .finish()
    }
}

/// Where per-subject data keys live: a database table, a KMS, an HSM.
///
/// An implementation must make [`destroy`](Self::destroy) final: after it returns, no
/// call may return that key again, and the material must be gone from the store (and,
/// as far as the store controls them, from its replicas and backups).
pub trait SubjectKeyStore {
    /// The subject's live key, creating one if the subject has none (never had one, or
    /// was forgotten: a returning subject gets a new key; old ciphertexts stay dead).
    ///
    /// # Errors
    /// Store failures ([`Error::KeyManagement`], [`Error::Random`]).
    fn get_or_create(&self, subject: &SubjectId) -> Result<SubjectKey>;

    /// The subject's live key.
    ///
    /// # Errors
    /// [`Error::KeyDestroyed`] if the subject's key was destroyed and no new one made;
    /// [`Error::UnknownSubject`] if the subject never had a key; store failures.
    fn get(&self, subject: &SubjectId) -> Result<SubjectKey>;

    /// Destroys the subject's key; returns whether a live key was destroyed.
    ///
    /// # Errors
    /// Store failures; the key must be considered live until this returns `Ok`.
    fn destroy(&self, subject: &SubjectId) -> Result<bool>;
}

#[derive(Debug)]
enum Slot {
    Live(SubjectKey),
    Destroyed(u32),
}

/// A [`SubjectKeyStore`] in process memory, for tests, examples and as a model for real
/// stores. Keys are zeroized when destroyed or dropped. A destroyed key leaves a
/// tombstone (subject id and key id, no material) so that decrypting reports
/// [`Error::KeyDestroyed`]; [`purge_tombstones`](Self::purge_tombstones) removes them.
#[derive(Debug, Default)]
pub struct InMemorySubjectKeyStore {
    slots: Mutex<HashMap<SubjectId, Slot>>,
}

impl InMemorySubjectKeyStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<SubjectId, Slot>>> {
        self.slots
            .lock()
            .map_err(|_| Error::KeyManagement("in-memory key store lock poisoned".into()))
    }

    /// Number of live keys.
    ///
    /// # Errors
    /// [`Error::KeyManagement`] if the store's lock is poisoned.
    pub fn live_keys(&self) -> Result<usize> {
        Ok(self
            .lock()?
            .values()
            .filter(|s| matches!(s, Slot::Live(_)))
            .count())
    }

    /// Removes the tombstones of destroyed keys (their subjects' ciphertexts then fail
    /// with [`Error::UnknownSubject`] instead of [`Error::KeyDestroyed`]).
    ///
    /// # Errors
    /// [`Error::KeyManagement`] if the store's lock is poisoned.
    pub fn purge_tombstones(&self) -> Result<()> {
        self.lock()?.retain(|_, s| matches!(s, Slot::Live(_)));
        Ok(())
    }
}

impl SubjectKeyStore for InMemorySubjectKeyStore {
    fn get_or_create(&self, subject: &SubjectId) -> Result<SubjectKey> {
        let mut slots = self.lock()?;
        if let Some(Slot::Live(key)) = slots.get(subject) {
            return Ok(key.clone());
        }
        let key = SubjectKey::generate()?;
        slots.insert(subject.clone(), Slot::Live(key.clone()));
        Ok(key)
    }

    fn get(&self, subject: &SubjectId) -> Result<SubjectKey> {
        match self.lock()?.get(subject) {
            Some(Slot::Live(key)) => Ok(key.clone()),
            Some(Slot::Destroyed(id)) => Err(Error::KeyDestroyed(*id)),
            None => Err(Error::UnknownSubject(subject.as_str().to_owned())),
        }
    }

    fn destroy(&self, subject: &SubjectId) -> Result<bool> {
        let mut slots = self.lock()?;
        match slots.get_mut(subject) {
            Some(slot @ Slot::Live(_)) => {
                let id = match slot {
                    Slot::Live(key) => key.id,
                    Slot::Destroyed(id) => *id,
                };
                // Dropping the SubjectKey zeroizes its material.
                *slot = Slot::Destroyed(id);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Encrypts each subject's data under that subject's key, and forgets subjects by
/// destroying their keys (crypto-shredding).
///
/// `context` binds a ciphertext to where it is stored (a table and column, a field
/// name): decrypting with another context or another subject fails.
///
/// Nonces are random (96 bits): keep each subject key under 2^32 messages.
#[derive(Debug)]
pub struct SubjectVault<S> {
    store: S,
}

impl<S: SubjectKeyStore> SubjectVault<S> {
    /// A vault over `store`.
    #[must_use]
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The key store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Encrypts `plaintext` for `subject`, creating the subject's key on first use.
    ///
    /// # Errors
    /// Key-store failures; [`Error::Random`]; [`Error::LimitExceeded`] over 64 GiB.
    pub fn encrypt(
        &self,
        subject: &SubjectId,
        plaintext: &[u8],
        context: &[u8],
    ) -> Result<Vec<u8>> {
        let key = self.store.get_or_create(subject)?;
        seal(
            key.material.expose_secret(),
            subject,
            context,
            &rand::array()?,
            plaintext,
        )
    }

    /// Decrypts a ciphertext of `subject`.
    ///
    /// # Errors
    /// [`Error::Malformed`] / [`Error::UnsupportedVersion`] for bytes that are not a
    /// subject ciphertext; [`Error::KeyDestroyed`] once the subject is forgotten;
    /// [`Error::UnknownSubject`] for a subject that never had a key; [`Error::DecryptionFailed`] if the
    /// ciphertext does not authenticate under the subject's key and `context`.
    pub fn decrypt(
        &self,
        subject: &SubjectId,
        ciphertext: &[u8],
        context: &[u8],
    ) -> Result<Vec<u8>> {
        let (nonce, body) = split(ciphertext)?;
        let key = self.store.get(subject)?;
        open(key.material.expose_secret(), subject, context, nonce, body)
    }

    /// Forgets `subject`: destroys its key so that every ciphertext made for it becomes
    /// undecryptable. Returns whether a live key was destroyed. See the module's
    /// Security section for the copies this does not reach.
    ///
    /// # Errors
    /// Key-store failures (the subject is then not forgotten).
    pub fn forget(&self, subject: &SubjectId) -> Result<bool> {
        self.store.destroy(subject)
    }
}

fn aad(subject: &SubjectId, context: &[u8]) -> Result<Vec<u8>> {
    encode_labels(&[DOMAIN, subject.as_str().as_bytes(), context])
}

/// Seals with an explicit nonce (tests and vectors use fixed nonces).
pub(crate) fn seal(
    key: &[u8],
    subject: &SubjectId,
    context: &[u8],
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let aead = AeadKey::new(ALGORITHM, key)?;
    let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
    out.push(VERSION);
    out.extend_from_slice(nonce);
    out.extend_from_slice(plaintext);
    let tag = aead.seal_in_place(nonce, &aad(subject, context)?, &mut out[HEADER_LEN..])?;
    out.extend_from_slice(&tag);
    Ok(out)
}

fn split(ciphertext: &[u8]) -> Result<(&[u8], &[u8])> {
    let (&version, rest) = ciphertext
        .split_first()
        .ok_or(Error::Malformed("empty subject ciphertext"))?;
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(Error::Malformed("subject ciphertext too short"));
    }
    Ok(rest.split_at(NONCE_LEN))
}

fn open(
    key: &[u8],
    subject: &SubjectId,
    context: &[u8],
    nonce: &[u8],
    body: &[u8],
) -> Result<Vec<u8>> {
    let aead = AeadKey::new(ALGORITHM, key)?;
    let (ct, tag) = body.split_at(body.len() - TAG_LEN);
    let mut buf = ct.to_vec();
    match aead.open_in_place(nonce, &aad(subject, context)?, &mut buf, tag) {
        Ok(()) => Ok(buf),
        Err(_) => {
            zeroize::Zeroize::zeroize(&mut buf);
            Err(Error::DecryptionFailed)
        }
    }
}

/// Opens with raw key bytes (vector tests).
#[cfg(test)]
pub(crate) fn open_with_key(
    key: &[u8],
    subject: &SubjectId,
    context: &[u8],
    ct: &[u8],
) -> Result<Vec<u8>> {
    let (nonce, body) = split(ct)?;
    open(key, subject, context, nonce, body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::encoding::hex_decode;
    use proptest::prelude::*;

    fn sid(s: &str) -> SubjectId {
        SubjectId::new(s).unwrap()
    }

    #[test]
    fn forgotten_subject_is_undecryptable_and_others_unaffected() {
        let vault = SubjectVault::new(InMemorySubjectKeyStore::new());
        let (alice, bob) = (sid("alice"), sid("bob"));
        let a1 = vault
            .encrypt(&alice, b"alice@example.com", b"users.email")
            .unwrap();
        let a2 = vault
            .encrypt(&alice, b"+49 30 1234", b"users.phone")
            .unwrap();
        let b1 = vault
            .encrypt(&bob, b"bob@example.com", b"users.email")
            .unwrap();
        assert_eq!(
            vault.decrypt(&alice, &a1, b"users.email").unwrap(),
            b"alice@example.com"
        );
        assert!(vault.forget(&alice).unwrap());
        assert!(!vault.forget(&alice).unwrap());
        for (ct, ctx) in [(&a1, &b"users.email"[..]), (&a2, &b"users.phone"[..])] {
            assert!(matches!(
                vault.decrypt(&alice, ct, ctx),
                Err(Error::KeyDestroyed(_))
            ));
        }
        assert_eq!(
            vault.decrypt(&bob, &b1, b"users.email").unwrap(),
            b"bob@example.com"
        );
        // A returning subject gets a new key; the old data stays dead.
        let a3 = vault.encrypt(&alice, b"new", b"users.email").unwrap();
        assert!(matches!(
            vault.decrypt(&alice, &a1, b"users.email"),
            Err(Error::DecryptionFailed)
        ));
        assert_eq!(vault.decrypt(&alice, &a3, b"users.email").unwrap(), b"new");
        vault.store().purge_tombstones().unwrap();
        assert_eq!(vault.store().live_keys().unwrap(), 2);
    }

    #[test]
    fn fail_wrong_subject_context_or_tampering() {
        let vault = SubjectVault::new(InMemorySubjectKeyStore::new());
        let (alice, bob) = (sid("alice"), sid("bob"));
        vault.encrypt(&bob, b"x", b"").unwrap();
        let ct = vault.encrypt(&alice, b"secret", b"ctx").unwrap();
        assert!(matches!(
            vault.decrypt(&bob, &ct, b"ctx"),
            Err(Error::DecryptionFailed)
        ));
        assert!(matches!(
            vault.decrypt(&alice, &ct, b"other"),
            Err(Error::DecryptionFailed)
        ));
        // A subject that never had a key is named (it used to say "no usable
        // key-encryption key for this envelope").
        let e = vault.decrypt(&sid("carol"), &ct, b"ctx").unwrap_err();
        assert!(
            matches!(&e, Error::UnknownSubject(s) if s == "carol"),
            "{e}"
        );
        assert!(e.to_string().contains("subject `carol` has no key"), "{e}");
        vault.forget(&alice).unwrap();
        vault.store().purge_tombstones().unwrap();
        assert!(matches!(
            vault.decrypt(&alice, &ct, b"ctx"),
            Err(Error::UnknownSubject(_))
        ));
        for i in 0..ct.len() {
            let mut bad = ct.clone();
            bad[i] ^= 1;
            assert!(vault.decrypt(&alice, &bad, b"ctx").is_err(), "byte {i}");
        }
        assert!(matches!(
            vault.decrypt(&alice, &[], b"ctx"),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            vault.decrypt(&alice, &ct[..28], b"ctx"),
            Err(Error::Malformed(_))
        ));
        let mut v2 = ct.clone();
        v2[0] = 2;
        assert!(matches!(
            vault.decrypt(&alice, &v2, b"ctx"),
            Err(Error::UnsupportedVersion(2))
        ));
    }

    #[test]
    fn fail_short_key() {
        assert!(SubjectKey::new(1, SecretBytes::from_slice(&[0; 16])).is_err());
        assert!(format!("{:?}", SubjectKey::generate().unwrap()).contains("REDACTED"));
    }

    #[test]
    fn vectors() {
        let text = include_str!("../../tests/data/vectors/retention_shred.json");
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        let vectors = doc["vectors"].as_array().unwrap();
        assert!(!vectors.is_empty());
        let field = |v: &serde_json::Value, k: &str| hex_decode(v[k].as_str().unwrap()).unwrap();
        for v in vectors {
            let key = field(v, "key");
            let subject = sid(v["subject"].as_str().unwrap());
            let context = field(v, "context");
            let nonce: [u8; 12] = field(v, "nonce").try_into().unwrap();
            let pt = field(v, "plaintext");
            let ct = field(v, "ciphertext");
            assert_eq!(seal(&key, &subject, &context, &nonce, &pt).unwrap(), ct);
            assert_eq!(open_with_key(&key, &subject, &context, &ct).unwrap(), pt);
        }
    }

    proptest! {
        #[test]
        fn round_trip(pt in proptest::collection::vec(any::<u8>(), 0..256), ctx in proptest::collection::vec(any::<u8>(), 0..16)) {
            let vault = SubjectVault::new(InMemorySubjectKeyStore::new());
            let s = sid("s");
            let ct = vault.encrypt(&s, &pt, &ctx).unwrap();
            prop_assert_eq!(ct.len(), pt.len() + 29);
            prop_assert_eq!(vault.decrypt(&s, &ct, &ctx).unwrap(), pt);
        }
    }
}
