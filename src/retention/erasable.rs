//! Erasable fields: every field of a subject encrypted under that subject's key, the
//! subject keys wrapped by a keyset, handles cached, erasure by destroying the key.
//!
//! Layering: this is retention (layer 3), beside [`SubjectVault`](super::SubjectVault),
//! because it is about subjects (a [`SubjectId`], a store of their keys, forgetting
//! them); it uses the keyset (layer 2) for both of its ciphertexts, the field (format byte
//! `0x03`) and the wrapped subject key (format byte `0x02`), so nonces, headers, limits and
//! [`keyset::inspect`] are the keyset's. Formats: `docs/FORMAT.md` section 9.1.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use super::consent::SubjectId;
use crate::backend::{Algorithm, KEY_LEN};
use crate::kdf::{Hash, Hkdf, encode_labels};
use crate::keyset::{self, CiphertextKind, KeyId, Keyset, SUBJECT_FIELD_V1, WRAPPED_KEY_V1};

use crate::{Error, Result, rand};

/// Handles an [`ErasableKeys`] caches unless told otherwise.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

const WRAP_DOMAIN: &[u8] = b"privkit erasable subject key v1";
const FIELD_KEY_DOMAIN: &[u8] = b"privkit erasable field key v1";
/// Plaintext of a wrapped subject key: algorithm id, then the key.
const SEALED_PLAINTEXT_LEN: usize = 1 + KEY_LEN;

/// A subject key as a store keeps it: its id and its material wrapped by a keyset
/// (`docs/FORMAT.md` section 9.1). Not secret: useless without the wrapping keyset.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSubjectKey {
    /// The subject key's id (non-zero; written in every field under the key).
    pub key_id: u32,
    /// The wrapped key (a keyset ciphertext of format `0x02`).
    pub wrapped: Vec<u8>,
}

impl SealedSubjectKey {
    /// The id of the keyset key that wraps it, read from the wrapped bytes (rotation
    /// sweeps re-wrap the keys whose wrapping key is not the keyset's primary).
    ///
    /// # Errors
    /// As [`keyset::inspect`]; [`Error::Malformed`] if the bytes are not a wrapped key.
    pub fn wrapping_key_id(&self) -> Result<KeyId> {
        let info = keyset::inspect(&self.wrapped)?;
        if info.kind != CiphertextKind::WrappedKey {
            return Err(Error::Malformed("sealed subject key is not a wrapped key"));
        }
        Ok(info.key_id)
    }
}

impl fmt::Debug for SealedSubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSubjectKey")
            .field("key_id", &format_args!("{:#010x}", self.key_id))
            .field("wrapped_len", &self.wrapped.len())
            .finish()
    }
}

/// One subject's field cipher: encrypts and decrypts any number of that subject's
/// fields without going back to the key store. Get it from an [`ErasableVault`] (or, for
/// an async store, from [`ErasableKeys`]) once per row and use it for every field.
///
/// Field ciphertexts (`docs/FORMAT.md` section 9.1) have the keyset value layout with
/// format byte `0x03` and the subject key's id; the AEAD key is derived from the subject
/// key and the subject id, so a field cannot be passed off as another subject's or as a
/// keyset value. Nonces are the keyset's (a random prefix per handle and a counter).
pub struct SubjectCipher {
    subject: SubjectId,
    key_id: u32,
    fields: Keyset,
}

impl fmt::Debug for SubjectCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectCipher")
            .field("subject", &self.subject)
            .field("key_id", &format_args!("{:#010x}", self.key_id))
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl SubjectCipher {
    fn new(subject: &SubjectId, key_id: u32, algorithm: Algorithm, key: &[u8]) -> Result<Self> {
        let field_key = Hkdf::extract(Hash::Sha256, b"", key)
            .expand_labeled(&[FIELD_KEY_DOMAIN, subject.as_str().as_bytes()], KEY_LEN)?;
        Ok(Self {
            subject: subject.clone(),
            key_id,
            fields: Keyset::from_key(key_id, algorithm, field_key)?,
        })
    }

    /// The subject.
    #[must_use]
    pub fn subject(&self) -> &SubjectId {
        &self.subject
    }

    /// The subject key's id.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Encrypts one field, binding `aad` (say table, column and row id:
    /// [`Aad`](crate::keyset::Aad)).
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] over 64 GiB or past 2^32 fields under one handle (the
    /// keyset's nonce budget).
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(keyset_overhead() + plaintext.len());
        self.encrypt_to(plaintext, aad, &mut out)?;
        Ok(out)
    }

    /// As [`encrypt`](Self::encrypt), appending to `out`.
    ///
    /// # Errors
    /// As [`encrypt`](Self::encrypt).
    pub fn encrypt_to(&self, plaintext: &[u8], aad: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.fields
            .encrypt_domain(SUBJECT_FIELD_V1, plaintext, aad, out)
    }

    /// Decrypts a field of this subject made with the same `aad`.
    ///
    /// # Errors
    /// [`Error::Malformed`] / [`Error::UnsupportedVersion`] / [`Error::UnsupportedAlgorithm`]
    /// for bytes that are not a field; [`Error::DecryptionFailed`] for a field that does
    /// not authenticate under this subject's key and `aad`, including a field under
    /// another key (another subject's, or this subject's key from before it was
    /// forgotten).
    pub fn decrypt(&self, ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let info = keyset::inspect(ciphertext)?;
        if info.kind != CiphertextKind::SubjectField {
            return Err(Error::Malformed("not an erasable field ciphertext"));
        }
        if info.key_id != self.key_id {
            return Err(Error::DecryptionFailed);
        }
        self.fields
            .decrypt_domain(SUBJECT_FIELD_V1, ciphertext, aad)
    }
}

const fn keyset_overhead() -> usize {
    6 + 24 + crate::backend::TAG_LEN
}

/// Handle cache: least recently used out first, entries older than the time to live
/// reloaded. `evictions` counts removals so that a load that raced one does not cache
/// a handle of a subject forgotten meanwhile.
struct Cache {
    capacity: usize,
    ttl: Option<Duration>,
    tick: u64,
    evictions: u64,
    slots: HashMap<SubjectId, Slot>,
    order: BTreeMap<u64, SubjectId>,
}

struct Slot {
    cipher: Arc<SubjectCipher>,
    tick: u64,
    loaded: Instant,
}

impl Cache {
    fn get(&mut self, subject: &SubjectId) -> Option<Arc<SubjectCipher>> {
        let slot = self.slots.get_mut(subject)?;
        if self.ttl.is_some_and(|ttl| slot.loaded.elapsed() > ttl) {
            self.remove(subject);
            return None;
        }
        self.tick += 1;
        self.order.remove(&slot.tick);
        slot.tick = self.tick;
        self.order.insert(self.tick, subject.clone());
        Some(slot.cipher.clone())
    }

    fn insert(&mut self, epoch: u64, cipher: Arc<SubjectCipher>) {
        if self.capacity == 0 || epoch != self.evictions {
            return;
        }
        let subject = cipher.subject.clone();
        if let Some(old) = self.slots.remove(&subject) {
            self.order.remove(&old.tick);
        }
        while self.slots.len() >= self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.slots.remove(&oldest);
        }
        self.tick += 1;
        self.order.insert(self.tick, subject.clone());
        self.slots.insert(
            subject,
            Slot {
                cipher,
                tick: self.tick,
                loaded: Instant::now(),
            },
        );
    }

    fn remove(&mut self, subject: &SubjectId) {
        self.evictions += 1;
        if let Some(slot) = self.slots.remove(subject) {
            self.order.remove(&slot.tick);
        }
    }
}

/// The key half of erasable fields, without I/O: makes subject keys and wraps them under
/// a keyset, unwraps stored ones into [`SubjectCipher`] handles kept in a bounded cache,
/// re-wraps them after the keyset rotates, and forgets cached handles.
///
/// [`ErasableVault`] puts it in front of a synchronous [`SealedKeyStore`];
/// `privkit-sqlx`'s erasable store puts it in front of a database. Share one per
/// process (it is `Sync`; clone an `Arc`).
///
/// # Cache
/// At most `capacity` handles ([`DEFAULT_CACHE_CAPACITY`]), least recently used evicted
/// first; with a time to live ([`with_ttl`](Self::with_ttl)) a handle older than that is
/// reloaded from the store, which bounds how long another process's erasure takes to
/// reach this one. [`forget`](Self::forget) evicts at once.
pub struct ErasableKeys {
    wrapping: RwLock<Keyset>,
    algorithm: Algorithm,
    cache: Mutex<Cache>,
}

impl fmt::Debug for ErasableKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErasableKeys")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl ErasableKeys {
    /// Subject keys wrapped by `wrapping` (its primary wraps new ones, every enabled key
    /// unwraps), fields under AES-256-GCM, [`DEFAULT_CACHE_CAPACITY`] handles, no time to
    /// live.
    #[must_use]
    pub fn new(wrapping: Keyset) -> Self {
        Self {
            wrapping: RwLock::new(wrapping),
            algorithm: Algorithm::Aes256Gcm,
            cache: Mutex::new(Cache {
                capacity: DEFAULT_CACHE_CAPACITY,
                ttl: None,
                tick: 0,
                evictions: 0,
                slots: HashMap::new(),
                order: BTreeMap::new(),
            }),
        }
    }

    /// At most `capacity` cached handles (0: no cache, every handle from the store).
    #[must_use]
    pub fn with_cache_capacity(self, capacity: usize) -> Self {
        if let Ok(mut c) = self.cache.lock() {
            c.capacity = capacity;
        }
        self
    }

    /// Cached handles are reloaded once older than `ttl`.
    #[must_use]
    pub fn with_ttl(self, ttl: Duration) -> Self {
        if let Ok(mut c) = self.cache.lock() {
            c.ttl = Some(ttl);
        }
        self
    }

    /// New subject keys (and the fields under them) use `algorithm`; existing keys keep
    /// theirs.
    #[must_use]
    pub fn with_field_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    fn cache(&self) -> Result<MutexGuard<'_, Cache>> {
        self.cache
            .lock()
            .map_err(|_| Error::KeyManagement("erasable key cache lock poisoned".into()))
    }

    fn keyset(&self) -> Result<std::sync::RwLockReadGuard<'_, Keyset>> {
        self.wrapping
            .read()
            .map_err(|_| Error::KeyManagement("wrapping keyset lock poisoned".into()))
    }

    /// Replaces the wrapping keyset (after it was rotated and saved): new subject keys
    /// are wrapped by its primary, and [`rewrap`](Self::rewrap) moves old ones to it.
    ///
    /// # Errors
    /// [`Error::KeyManagement`] if a lock is poisoned.
    pub fn set_wrapping(&self, keyset: Keyset) -> Result<()> {
        *self
            .wrapping
            .write()
            .map_err(|_| Error::KeyManagement("wrapping keyset lock poisoned".into()))? = keyset;
        Ok(())
    }

    /// A copy of the wrapping keyset (a handle on the same keys).
    ///
    /// # Errors
    /// [`Error::KeyManagement`] if a lock is poisoned.
    pub fn wrapping(&self) -> Result<Keyset> {
        Ok(self.keyset()?.clone())
    }

    /// The cached handle of `subject`, if any.
    ///
    /// # Errors
    /// [`Error::KeyManagement`] if a lock is poisoned.
    pub fn cached(&self, subject: &SubjectId) -> Result<Option<Arc<SubjectCipher>>> {
        Ok(self.cache()?.get(subject))
    }

    /// The cache's epoch: read it before fetching a key from the store and pass it to
    /// [`open`](Self::open), which then caches the handle only if nothing was forgotten
    /// in between (so a concurrent erasure is never undone by a cache fill).
    ///
    /// # Errors
    /// [`Error::KeyManagement`] if a lock is poisoned.
    pub fn epoch(&self) -> Result<u64> {
        Ok(self.cache()?.evictions)
    }

    /// A new random subject key for `subject`, wrapped by the primary of the wrapping
    /// keyset, ready to be stored (if another writer stored one first, open theirs).
    ///
    /// # Errors
    /// [`Error::Random`]; the keyset's.
    pub fn new_key(&self, subject: &SubjectId) -> Result<SealedSubjectKey> {
        let key_id = loop {
            let id = u32::from_be_bytes(rand::array()?);
            if id != 0 {
                break id;
            }
        };
        let mut plaintext = zeroize::Zeroizing::new([0u8; SEALED_PLAINTEXT_LEN]);
        plaintext[0] = self.algorithm.id();
        rand::fill(&mut plaintext[1..])?;
        let mut wrapped = Vec::new();
        self.keyset()?.encrypt_domain(
            WRAPPED_KEY_V1,
            plaintext.as_slice(),
            &wrap_context(subject, key_id)?,
            &mut wrapped,
        )?;
        Ok(SealedSubjectKey { key_id, wrapped })
    }

    /// Unwraps `sealed` (the subject's stored key) into a handle and caches it, unless
    /// something was forgotten since `epoch` ([`epoch`](Self::epoch)).
    ///
    /// # Errors
    /// [`Error::DecryptionFailed`] if the sealed key is not this subject's or was
    /// altered; the wrapping keyset's key errors ([`Error::UnknownKeyId`],
    /// [`Error::KeyDestroyed`], ...); [`Error::Malformed`] for a sealed key whose
    /// plaintext is not an algorithm and a 32-byte key.
    pub fn open(
        &self,
        subject: &SubjectId,
        sealed: &SealedSubjectKey,
        epoch: u64,
    ) -> Result<Arc<SubjectCipher>> {
        let cipher = Arc::new(self.unwrap(subject, sealed)?);
        self.cache()?.insert(epoch, cipher.clone());
        Ok(cipher)
    }

    fn unwrap(&self, subject: &SubjectId, sealed: &SealedSubjectKey) -> Result<SubjectCipher> {
        if sealed.key_id == 0 {
            return Err(Error::Malformed("subject key id 0"));
        }
        let plaintext = zeroize::Zeroizing::new(self.keyset()?.decrypt_domain(
            WRAPPED_KEY_V1,
            &sealed.wrapped,
            &wrap_context(subject, sealed.key_id)?,
        )?);
        if plaintext.len() != SEALED_PLAINTEXT_LEN {
            return Err(Error::Malformed("sealed subject key is not 33 bytes"));
        }
        let algorithm = Algorithm::from_id(plaintext[0])?;
        SubjectCipher::new(subject, sealed.key_id, algorithm, &plaintext[1..])
    }

    /// Re-wraps `sealed` under the wrapping keyset's primary, or `None` if it already is
    /// (no decryption then). The subject key, and so every field under it, is unchanged.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn rewrap(
        &self,
        subject: &SubjectId,
        sealed: &SealedSubjectKey,
    ) -> Result<Option<SealedSubjectKey>> {
        let keyset = self.keyset()?;
        if sealed.wrapping_key_id()? == keyset.primary_id() {
            return Ok(None);
        }
        let context = wrap_context(subject, sealed.key_id)?;
        let plaintext = zeroize::Zeroizing::new(keyset.decrypt_domain(
            WRAPPED_KEY_V1,
            &sealed.wrapped,
            &context,
        )?);
        let mut wrapped = Vec::new();
        keyset.encrypt_domain(WRAPPED_KEY_V1, &plaintext, &context, &mut wrapped)?;
        Ok(Some(SealedSubjectKey {
            key_id: sealed.key_id,
            wrapped,
        }))
    }

    /// Evicts `subject`'s handle (call it when the subject is forgotten; the vaults do).
    ///
    /// # Errors
    /// [`Error::KeyManagement`] if a lock is poisoned.
    pub fn forget(&self, subject: &SubjectId) -> Result<()> {
        self.cache()?.remove(subject);
        Ok(())
    }

    /// Number of cached handles.
    ///
    /// # Errors
    /// [`Error::KeyManagement`] if a lock is poisoned.
    pub fn cached_len(&self) -> Result<usize> {
        Ok(self.cache()?.slots.len())
    }
}

/// Associated data of a wrapped subject key: `docs/FORMAT.md` section 9.1.
fn wrap_context(subject: &SubjectId, key_id: u32) -> Result<Vec<u8>> {
    encode_labels(&[
        WRAP_DOMAIN,
        subject.as_str().as_bytes(),
        &key_id.to_be_bytes(),
    ])
}

/// What a [`SealedKeyStore`] holds for a subject.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealedKeyState {
    /// A live key.
    Live(SealedSubjectKey),
    /// The subject was forgotten; the id of the destroyed key.
    Destroyed(u32),
    /// The subject never had a key.
    Unknown,
}

/// Where wrapped subject keys live, for [`ErasableVault`]: a table, a file, memory.
///
/// As with [`SubjectKeyStore`](super::SubjectKeyStore), [`destroy`](Self::destroy) must
/// be final. The keys are stored wrapped, so the store never sees key material.
pub trait SealedKeyStore {
    /// What the store holds for `subject`.
    ///
    /// # Errors
    /// Store failures.
    fn get(&self, subject: &SubjectId) -> Result<SealedKeyState>;

    /// Stores `key` unless the subject has a live key (a tombstone is replaced), and
    /// returns the live key stored afterwards (`key`, or the one another writer stored
    /// first).
    ///
    /// # Errors
    /// Store failures.
    fn insert_if_absent(
        &self,
        subject: &SubjectId,
        key: SealedSubjectKey,
    ) -> Result<SealedSubjectKey>;

    /// Replaces the subject's live key `expected` with `replacement` (same key id, new
    /// wrapping) if it is still stored as `expected`; returns whether it was replaced.
    ///
    /// # Errors
    /// Store failures.
    fn replace(
        &self,
        subject: &SubjectId,
        expected: &SealedSubjectKey,
        replacement: SealedSubjectKey,
    ) -> Result<bool>;

    /// Destroys the subject's live key; returns its id, or `None` if it had none.
    ///
    /// # Errors
    /// Store failures; the key is live until this returns `Ok`.
    fn destroy(&self, subject: &SubjectId) -> Result<Option<u32>>;

    /// Up to `limit` live keys in subject order after `after` (pages of a re-wrap sweep).
    ///
    /// # Errors
    /// Store failures.
    fn live_after(
        &self,
        after: Option<&SubjectId>,
        limit: usize,
    ) -> Result<Vec<(SubjectId, SealedSubjectKey)>>;
}

/// A [`SealedKeyStore`] in process memory (tests, examples, a model for real stores).
#[derive(Debug, Default)]
pub struct InMemorySealedKeyStore {
    keys: Mutex<BTreeMap<SubjectId, SealedKeyState>>,
}

impl InMemorySealedKeyStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<SubjectId, SealedKeyState>>> {
        self.keys
            .lock()
            .map_err(|_| Error::KeyManagement("in-memory key store lock poisoned".into()))
    }
}

impl SealedKeyStore for InMemorySealedKeyStore {
    fn get(&self, subject: &SubjectId) -> Result<SealedKeyState> {
        Ok(self
            .lock()?
            .get(subject)
            .cloned()
            .unwrap_or(SealedKeyState::Unknown))
    }

    fn insert_if_absent(
        &self,
        subject: &SubjectId,
        key: SealedSubjectKey,
    ) -> Result<SealedSubjectKey> {
        let mut keys = self.lock()?;
        if let Some(SealedKeyState::Live(k)) = keys.get(subject) {
            return Ok(k.clone());
        }
        keys.insert(subject.clone(), SealedKeyState::Live(key.clone()));
        Ok(key)
    }

    fn replace(
        &self,
        subject: &SubjectId,
        expected: &SealedSubjectKey,
        replacement: SealedSubjectKey,
    ) -> Result<bool> {
        let mut keys = self.lock()?;
        match keys.get_mut(subject) {
            Some(slot @ SealedKeyState::Live(_))
                if *slot == SealedKeyState::Live(expected.clone()) =>
            {
                *slot = SealedKeyState::Live(replacement);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn destroy(&self, subject: &SubjectId) -> Result<Option<u32>> {
        let mut keys = self.lock()?;
        match keys.get(subject) {
            Some(SealedKeyState::Live(k)) => {
                let id = k.key_id;
                keys.insert(subject.clone(), SealedKeyState::Destroyed(id));
                Ok(Some(id))
            }
            _ => Ok(None),
        }
    }

    fn live_after(
        &self,
        after: Option<&SubjectId>,
        limit: usize,
    ) -> Result<Vec<(SubjectId, SealedSubjectKey)>> {
        let keys = self.lock()?;
        let range = match after {
            Some(a) => keys
                .range::<SubjectId, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)),
            None => keys.range::<SubjectId, _>(..),
        };
        Ok(range
            .filter_map(|(s, k)| match k {
                SealedKeyState::Live(k) => Some((s.clone(), k.clone())),
                _ => None,
            })
            .take(limit)
            .collect())
    }
}

/// Erasable fields over a synchronous store: [`cipher`](Self::cipher) gives a subject's
/// handle (from the cache, or unwrapped from the store, or made and stored on first
/// use), [`forget`](Self::forget) destroys the subject's key and evicts the handle, and
/// [`rewrap_sweep`](Self::rewrap_sweep) moves subject keys to the wrapping keyset's
/// primary after a rotation without touching any field.
///
/// # Example
/// ```
/// use privkit::Error;
/// use privkit::keyset::{Aad, Keyset};
/// use privkit::retention::{ErasableKeys, ErasableVault, InMemorySealedKeyStore, SubjectId};
///
/// let mut wrapping = Keyset::generate(Default::default())?;
/// let vault = ErasableVault::new(ErasableKeys::new(wrapping.clone()), InMemorySealedKeyStore::new());
/// let ada = SubjectId::new("customer-42")?;
///
/// let cipher = vault.cipher(&ada)?; // one store access per subject, then cached
/// let row = Aad::new().with("table", "customers").with("row", "42");
/// let email = cipher.encrypt(b"ada@example.com", row.clone().with("column", "email").as_bytes())?;
/// let phone = cipher.encrypt(b"+44 20 7946 0958", row.clone().with("column", "phone").as_bytes())?;
///
/// // Rotate the wrapping keyset: subject keys are re-wrapped, fields untouched.
/// wrapping.rotate(Default::default())?;
/// vault.keys().set_wrapping(wrapping)?;
/// let (_, report) = vault.rewrap_sweep(None, 100)?;
/// assert_eq!(report.rotated, 1);
/// assert_eq!(vault.cipher(&ada)?.decrypt(&email, row.clone().with("column", "email").as_bytes())?, b"ada@example.com");
///
/// // Forget: every field of the subject is gone.
/// vault.forget(&ada)?;
/// assert!(matches!(vault.decrypt(&ada, &phone, row.with("column", "phone").as_bytes()), Err(Error::KeyDestroyed(_))));
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Debug)]
pub struct ErasableVault<S> {
    keys: ErasableKeys,
    store: S,
}

impl<S: SealedKeyStore> ErasableVault<S> {
    /// A vault of `keys` over `store`.
    #[must_use]
    pub fn new(keys: ErasableKeys, store: S) -> Self {
        Self { keys, store }
    }

    /// The keys and cache.
    #[must_use]
    pub fn keys(&self) -> &ErasableKeys {
        &self.keys
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The subject's handle, creating and storing the subject's key on first use (a
    /// forgotten subject who returns gets a new key; old fields stay dead).
    ///
    /// # Errors
    /// The store's; as [`ErasableKeys::open`].
    pub fn cipher(&self, subject: &SubjectId) -> Result<Arc<SubjectCipher>> {
        self.cipher_inner(subject, true).map(|(c, _)| c)
    }

    /// The handle of a subject that has a key, without creating one.
    ///
    /// # Errors
    /// [`Error::KeyDestroyed`] for a forgotten subject; [`Error::UnknownSubject`] for a
    /// subject that never had a key; the store's; as [`ErasableKeys::open`].
    pub fn existing_cipher(&self, subject: &SubjectId) -> Result<Arc<SubjectCipher>> {
        self.cipher_inner(subject, false).map(|(c, _)| c)
    }

    /// The handle, and whether this call created the subject's key.
    pub(crate) fn cipher_inner(
        &self,
        subject: &SubjectId,
        create: bool,
    ) -> Result<(Arc<SubjectCipher>, bool)> {
        if let Some(c) = self.keys.cached(subject)? {
            return Ok((c, false));
        }
        let epoch = self.keys.epoch()?;
        let (sealed, created) = match self.store.get(subject)? {
            SealedKeyState::Live(k) => (k, false),
            SealedKeyState::Destroyed(id) if !create => return Err(Error::KeyDestroyed(id)),
            SealedKeyState::Unknown if !create => {
                return Err(Error::UnknownSubject(subject.as_str().to_owned()));
            }
            _ => {
                let new = self.keys.new_key(subject)?;
                let stored = self.store.insert_if_absent(subject, new.clone())?;
                let created = stored == new;
                (stored, created)
            }
        };
        Ok((self.keys.open(subject, &sealed, epoch)?, created))
    }

    /// Encrypts one field of `subject` (for several fields of a row, take the
    /// [`cipher`](Self::cipher) once).
    ///
    /// # Errors
    /// As [`cipher`](Self::cipher) and [`SubjectCipher::encrypt`].
    pub fn encrypt(&self, subject: &SubjectId, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        self.cipher(subject)?.encrypt(plaintext, aad)
    }

    /// Decrypts one field of `subject`.
    ///
    /// # Errors
    /// As [`existing_cipher`](Self::existing_cipher) and [`SubjectCipher::decrypt`].
    pub fn decrypt(&self, subject: &SubjectId, ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        self.existing_cipher(subject)?.decrypt(ciphertext, aad)
    }

    /// Forgets `subject`: destroys its key in the store and evicts its handle, so that
    /// every field ever encrypted for it, in every copy and backup of the rows, is
    /// undecryptable. Returns the destroyed key's id (`None`: it had no live key).
    ///
    /// # Errors
    /// The store's (the subject is then not forgotten).
    pub fn forget(&self, subject: &SubjectId) -> Result<Option<u32>> {
        self.keys.forget(subject)?;
        let destroyed = self.store.destroy(subject)?;
        self.keys.forget(subject)?;
        Ok(destroyed)
    }

    /// Re-wraps up to `limit` subject keys after `after` (a persisted cursor, `None` at
    /// the start) under the wrapping keyset's primary. Returns the cursor to persist
    /// (`None` once every key was visited) and the counts: rotated, skipped (already
    /// under the primary, or changed meanwhile by another writer) and failed (a key that
    /// does not unwrap). Field ciphertexts are not touched.
    ///
    /// # Errors
    /// The store's.
    pub fn rewrap_sweep(
        &self,
        after: Option<&SubjectId>,
        limit: usize,
    ) -> Result<(Option<SubjectId>, keyset::SweepReport)> {
        let page = self.store.live_after(after, limit)?;
        let (mut rotated, mut skipped, mut failed) = (0, 0, 0);
        for (subject, sealed) in &page {
            match self.keys.rewrap(subject, sealed) {
                Ok(Some(new)) => {
                    if self.store.replace(subject, sealed, new)? {
                        rotated += 1;
                    } else {
                        skipped += 1;
                    }
                }
                Ok(None) => skipped += 1,
                Err(_) => failed += 1,
            }
        }
        let next = if page.len() < limit {
            None
        } else {
            page.last().map(|(s, _)| s.clone())
        };
        Ok((next, keyset::SweepReport::new(rotated, skipped, failed)))
    }
}

/// A field and a sealed subject key from raw parts, for vectors: the field under
/// subject key `key` with nonce prefix `prefix` (the first field of a handle).
#[cfg(test)]
pub(crate) fn vector_field(
    subject: &SubjectId,
    key_id: u32,
    key: &[u8],
    prefix: [u8; 16],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let mut c = SubjectCipher::new(subject, key_id, Algorithm::Aes256Gcm, key)?;
    c.fields.set_nonce_prefix_for_vectors(prefix);
    c.encrypt(plaintext, aad)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::backend::AeadKey;
    use crate::encoding::hex_decode;
    use crate::secret::SecretBytes;
    use proptest::prelude::*;

    fn sid(s: &str) -> SubjectId {
        SubjectId::new(s).unwrap()
    }

    fn vault() -> ErasableVault<InMemorySealedKeyStore> {
        let wrapping = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
        ErasableVault::new(ErasableKeys::new(wrapping), InMemorySealedKeyStore::new())
    }

    #[test]
    fn forget_kills_every_field_and_evicts() {
        let v = vault();
        let (ada, bob) = (sid("ada"), sid("bob"));
        let c = v.cipher(&ada).unwrap();
        let email = c.encrypt(b"ada@example.com", b"email").unwrap();
        let phone = c.encrypt(b"+1 555", b"phone").unwrap();
        let b = v.encrypt(&bob, b"bob@example.com", b"email").unwrap();
        assert_eq!(v.keys().cached_len().unwrap(), 2);
        assert_eq!(v.forget(&ada).unwrap(), Some(c.key_id()));
        assert_eq!(v.keys().cached_len().unwrap(), 1);
        for (ct, aad) in [(&email, &b"email"[..]), (&phone, &b"phone"[..])] {
            assert!(
                matches!(v.decrypt(&ada, ct, aad), Err(Error::KeyDestroyed(id)) if id == c.key_id())
            );
        }
        assert_eq!(v.decrypt(&bob, &b, b"email").unwrap(), b"bob@example.com");
        // A returning subject gets a new key; old fields stay dead.
        let again = v.cipher(&ada).unwrap();
        assert_ne!(again.key_id(), c.key_id());
        assert!(matches!(
            again.decrypt(&email, b"email"),
            Err(Error::DecryptionFailed)
        ));
        assert_eq!(v.forget(&sid("nobody")).unwrap(), None);
    }

    #[test]
    fn one_store_access_per_subject() {
        #[derive(Default)]
        struct Counting {
            inner: InMemorySealedKeyStore,
            gets: std::sync::atomic::AtomicUsize,
        }
        impl SealedKeyStore for Counting {
            fn get(&self, s: &SubjectId) -> Result<SealedKeyState> {
                self.gets.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.inner.get(s)
            }
            fn insert_if_absent(
                &self,
                s: &SubjectId,
                k: SealedSubjectKey,
            ) -> Result<SealedSubjectKey> {
                self.inner.insert_if_absent(s, k)
            }
            fn replace(
                &self,
                s: &SubjectId,
                e: &SealedSubjectKey,
                r: SealedSubjectKey,
            ) -> Result<bool> {
                self.inner.replace(s, e, r)
            }
            fn destroy(&self, s: &SubjectId) -> Result<Option<u32>> {
                self.inner.destroy(s)
            }
            fn live_after(
                &self,
                a: Option<&SubjectId>,
                l: usize,
            ) -> Result<Vec<(SubjectId, SealedSubjectKey)>> {
                self.inner.live_after(a, l)
            }
        }
        let keys = ErasableKeys::new(Keyset::generate(Algorithm::Aes256Gcm).unwrap())
            .with_cache_capacity(2);
        let v = ErasableVault::new(keys, Counting::default());
        let gets =
            |v: &ErasableVault<Counting>| v.store().gets.load(std::sync::atomic::Ordering::Relaxed);
        for _ in 0..10 {
            v.encrypt(&sid("a"), b"x", b"").unwrap();
        }
        assert_eq!(gets(&v), 1);
        v.cipher(&sid("b")).unwrap();
        v.cipher(&sid("a")).unwrap(); // a is now the most recent
        v.cipher(&sid("c")).unwrap(); // evicts b
        assert_eq!(v.keys().cached_len().unwrap(), 2);
        let before = gets(&v);
        v.cipher(&sid("a")).unwrap();
        assert_eq!(gets(&v), before);
        v.cipher(&sid("b")).unwrap();
        assert_eq!(gets(&v), before + 1);
        // No cache: every handle from the store.
        let keys = ErasableKeys::new(Keyset::generate(Algorithm::Aes256Gcm).unwrap())
            .with_cache_capacity(0);
        let v = ErasableVault::new(keys, Counting::default());
        v.cipher(&sid("a")).unwrap();
        v.cipher(&sid("a")).unwrap();
        assert_eq!(gets(&v), 2);
        // A time to live reloads.
        let keys = ErasableKeys::new(Keyset::generate(Algorithm::Aes256Gcm).unwrap())
            .with_ttl(Duration::ZERO);
        let v = ErasableVault::new(keys, Counting::default());
        v.cipher(&sid("a")).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        v.cipher(&sid("a")).unwrap();
        assert_eq!(gets(&v), 2);
    }

    #[test]
    fn rotation_rewraps_keys_not_fields() {
        let mut wrapping = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
        let v = ErasableVault::new(
            ErasableKeys::new(wrapping.clone()),
            InMemorySealedKeyStore::new(),
        );
        let subjects: Vec<_> = (0..25).map(|i| sid(&format!("s{i:02}"))).collect();
        let fields: Vec<_> = subjects
            .iter()
            .map(|s| v.encrypt(s, s.as_str().as_bytes(), b"f").unwrap())
            .collect();
        let old = wrapping.primary_id();
        wrapping.rotate(Algorithm::Aes256Gcm).unwrap();
        v.keys().set_wrapping(wrapping.clone()).unwrap();
        let (mut cursor, mut total) = (None, keyset::SweepReport::default());
        loop {
            let (next, r) = v.rewrap_sweep(cursor.as_ref(), 10).unwrap();
            total = keyset::SweepReport::new(
                total.rotated + r.rotated,
                total.skipped + r.skipped,
                total.failed + r.failed,
            );
            match next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        assert_eq!(total, keyset::SweepReport::new(25, 0, 0));
        // Run again: nothing to do.
        assert_eq!(
            v.rewrap_sweep(None, 100).unwrap().1,
            keyset::SweepReport::new(0, 25, 0)
        );
        // The old wrapping key can go; every field still decrypts (from the store, not the cache).
        wrapping.disable(old).unwrap();
        let fresh = ErasableVault::new(ErasableKeys::new(wrapping), InMemorySealedKeyStore::new());
        for (s, k) in v.store().live_after(None, 100).unwrap() {
            fresh.store().insert_if_absent(&s, k).unwrap();
        }
        for (s, f) in subjects.iter().zip(&fields) {
            assert_eq!(fresh.decrypt(s, f, b"f").unwrap(), s.as_str().as_bytes());
        }
    }

    #[test]
    fn fail_wrong_subject_aad_kind_or_tampering() {
        let v = vault();
        let (ada, bob) = (sid("ada"), sid("bob"));
        let ct = v.encrypt(&ada, b"secret", b"ctx").unwrap();
        v.cipher(&bob).unwrap();
        assert!(matches!(
            v.decrypt(&bob, &ct, b"ctx"),
            Err(Error::DecryptionFailed)
        ));
        assert!(matches!(
            v.decrypt(&ada, &ct, b"other"),
            Err(Error::DecryptionFailed)
        ));
        let e = v.decrypt(&sid("carol"), &ct, b"ctx").unwrap_err();
        assert!(
            matches!(&e, Error::UnknownSubject(s) if s == "carol"),
            "{e}"
        );
        for i in 0..ct.len() {
            let mut bad = ct.clone();
            bad[i] ^= 1;
            assert!(v.decrypt(&ada, &bad, b"ctx").is_err(), "byte {i}");
        }
        let value = Keyset::generate(Algorithm::Aes256Gcm)
            .unwrap()
            .encrypt(b"x", b"ctx")
            .unwrap();
        assert!(matches!(
            v.decrypt(&ada, &value, b"ctx"),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            v.decrypt(&ada, &[], b"ctx"),
            Err(Error::Malformed(_))
        ));
        // A sealed key moved to another subject does not unwrap.
        let SealedKeyState::Live(k) = v.store().get(&ada).unwrap() else {
            panic!()
        };
        assert!(matches!(
            v.keys().open(&bob, &k, 0),
            Err(Error::DecryptionFailed)
        ));
        let zero = SealedSubjectKey {
            key_id: 0,
            wrapped: k.wrapped.clone(),
        };
        assert!(matches!(
            v.keys().open(&ada, &zero, 0),
            Err(Error::Malformed(_))
        ));
        assert!(format!("{:?}", v.cipher(&ada).unwrap()).contains("REDACTED"));
    }

    #[test]
    fn a_load_racing_a_forget_is_not_cached() {
        let v = vault();
        let ada = sid("ada");
        v.cipher(&ada).unwrap();
        let SealedKeyState::Live(k) = v.store().get(&ada).unwrap() else {
            panic!()
        };
        let epoch = v.keys().epoch().unwrap();
        v.forget(&ada).unwrap();
        v.keys().open(&ada, &k, epoch).unwrap();
        assert!(v.keys().cached(&ada).unwrap().is_none());
    }

    /// The vectors of `docs/FORMAT.md` 9.1, checked against the raw primitives
    /// (an independent decoder: HKDF and AES-GCM, no keyset code).
    #[test]
    fn vectors() {
        let text = include_str!("../../tests/data/vectors/erasable_field.json");
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        let h = |v: &serde_json::Value| hex_decode(v.as_str().unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let subject = sid(case["subject"].as_str().unwrap());
            let key_id = u32::try_from(case["subject_key_id"].as_u64().unwrap()).unwrap();
            let key = h(&case["subject_key"]);
            let (plaintext, aad, field) =
                (h(&case["plaintext"]), h(&case["aad"]), h(&case["field"]));
            // Independent decoding of the field.
            assert_eq!(field[0], 0x03);
            assert_eq!(field[1], 1);
            assert_eq!(u32::from_be_bytes(field[2..6].try_into().unwrap()), key_id);
            let fk = Hkdf::extract(Hash::Sha256, b"", &key)
                .expand(
                    &encode_labels(&[FIELD_KEY_DOMAIN, subject.as_str().as_bytes()]).unwrap(),
                    32,
                )
                .unwrap();
            assert_eq!(fk.expose_secret(), h(&case["field_key"]).as_slice());
            let aead = AeadKey::new(Algorithm::Aes256Gcm, fk.expose_secret()).unwrap();
            let (body, tag) = field[18..].split_at(field.len() - 18 - 16);
            let mut buf = body.to_vec();
            aead.open_in_place(&field[6..18], &aad, &mut buf, tag)
                .unwrap();
            assert_eq!(buf, plaintext);
            // The library writes the same bytes with the vector's nonce prefix.
            let prefix: [u8; 16] = h(&case["nonce_prefix"]).try_into().unwrap();
            assert_eq!(
                vector_field(&subject, key_id, &key, prefix, &plaintext, &aad).unwrap(),
                field
            );
            // The sealed subject key unwraps under the wrapping key with the context.
            let wk = h(&case["wrapping_key"]);
            let wrapping = Keyset::from_key(
                u32::try_from(case["wrapping_key_id"].as_u64().unwrap()).unwrap(),
                Algorithm::Aes256Gcm,
                SecretBytes::from_slice(&wk),
            )
            .unwrap();
            let sealed = SealedSubjectKey {
                key_id,
                wrapped: h(&case["sealed"]),
            };
            let keys = ErasableKeys::new(wrapping);
            let c = keys.open(&subject, &sealed, 0).unwrap();
            assert_eq!(c.decrypt(&field, &aad).unwrap(), plaintext);
            assert_eq!(
                wrap_context(&subject, key_id).unwrap(),
                h(&case["wrap_aad"])
            );
        }
    }

    /// Prints the vectors (run with `--ignored --nocapture` to regenerate the file).
    #[test]
    #[ignore = "generates tests/data/vectors/erasable_field.json"]
    fn generate_vectors() {
        let cases = [
            (
                "customer-42",
                0x0102_0304u32,
                [0x11u8; 32],
                "ada@example.com",
                "customers.email.42",
            ),
            (
                "customer-7",
                0xdead_beef,
                [0x22; 32],
                "",
                "customers.phone.7",
            ),
        ];
        let mut out = Vec::new();
        for (subject, key_id, key, plaintext, aad) in cases {
            let s = sid(subject);
            let prefix = [0x5a; 16];
            let field = vector_field(
                &s,
                key_id,
                &key,
                prefix,
                plaintext.as_bytes(),
                aad.as_bytes(),
            )
            .unwrap();
            let fk = Hkdf::extract(Hash::Sha256, b"", &key)
                .expand_labeled(&[FIELD_KEY_DOMAIN, subject.as_bytes()], 32)
                .unwrap();
            let mut wrapping = Keyset::from_key(
                0x0a0b_0c0d,
                Algorithm::Aes256Gcm,
                SecretBytes::from_slice(&[0x33; 32]),
            )
            .unwrap();
            wrapping.set_nonce_prefix_for_vectors([0x6b; 16]);
            let mut sealed_pt = vec![1u8];
            sealed_pt.extend_from_slice(&key);
            let mut sealed = Vec::new();
            wrapping
                .encrypt_domain(
                    WRAPPED_KEY_V1,
                    &sealed_pt,
                    &wrap_context(&s, key_id).unwrap(),
                    &mut sealed,
                )
                .unwrap();
            let hx = crate::encoding::hex_encode;
            out.push(serde_json::json!({
                "subject": subject, "subject_key_id": key_id, "subject_key": hx(&key),
                "field_key": hx(fk.expose_secret()), "nonce_prefix": hx(&prefix),
                "plaintext": hx(plaintext.as_bytes()), "aad": hx(aad.as_bytes()), "field": hx(&field),
                "wrapping_key_id": 0x0a0b_0c0d_u32, "wrapping_key": hx(&[0x33; 32]),
                "wrap_aad": hx(&wrap_context(&s, key_id).unwrap()), "sealed": hx(&sealed),
            }));
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"cases": out})).unwrap()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn round_trip(plaintext in proptest::collection::vec(any::<u8>(), 0..200), aad in proptest::collection::vec(any::<u8>(), 0..40)) {
            let v = vault();
            let s = sid("p");
            let ct = v.encrypt(&s, &plaintext, &aad).unwrap();
            prop_assert_eq!(ct.len(), plaintext.len() + 34);
            prop_assert_eq!(v.decrypt(&s, &ct, &aad).unwrap(), plaintext);
        }
    }
}
