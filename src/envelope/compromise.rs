//! The key-compromise procedure for envelopes under a [`LocalKek`]: rotate its keyset,
//! re-wrap every stored envelope whose data key the compromised key wrapped, disable the
//! key, each step logged ([`audit::handle_key_compromise`](crate::audit::handle_key_compromise)).

use std::collections::BTreeMap;

use super::header::ParsedEnvelope;
use super::kek::{KeyEncryptionKey, LocalKek};
use super::seal::rewrap;
use crate::audit::{CompromiseTarget, KeyRef};
use crate::keyset::KeyId;
use crate::{Algorithm, Error, Result};

/// Where envelopes are kept, by reference (a row key, an object name), for procedures
/// that must visit every one of them (re-wrapping after a key compromise).
pub trait EnvelopeStore {
    /// The references of every stored envelope.
    ///
    /// # Errors
    /// The store's.
    fn references(&self) -> Result<Vec<String>>;

    /// The envelope stored under `reference`.
    ///
    /// # Errors
    /// The store's.
    fn load(&self, reference: &str) -> Result<Vec<u8>>;

    /// Replaces the envelope stored under `reference`.
    ///
    /// # Errors
    /// The store's.
    fn store(&mut self, reference: &str, envelope: Vec<u8>) -> Result<()>;
}

impl EnvelopeStore for BTreeMap<String, Vec<u8>> {
    fn references(&self) -> Result<Vec<String>> {
        Ok(self.keys().cloned().collect())
    }
    fn load(&self, reference: &str) -> Result<Vec<u8>> {
        self.get(reference)
            .cloned()
            .ok_or_else(|| Error::invalid_argument(format_args!("no envelope `{reference}`")))
    }
    fn store(&mut self, reference: &str, envelope: Vec<u8>) -> Result<()> {
        self.insert(reference.to_owned(), envelope);
        Ok(())
    }
}

/// A key of a [`LocalKek`]'s keyset declared compromised, and the envelopes it may have
/// wrapped: the [`CompromiseTarget`] that
/// [`handle_key_compromise`](crate::audit::handle_key_compromise) runs.
///
/// `rotate` adds a new primary key to the KEK's keyset; `rewrap_all` re-wraps, under the
/// new key, every stored envelope whose wrapped key for this KEK names the compromised
/// key (others are left alone and not reported); `disable` then disables the
/// compromised key, so nothing opens under it any more. The compromised key is named as
/// [`KeyRef::Keyset`] with the KEK's id as keyset name.
///
/// # Example
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::Arc;
/// use privkit::audit::{handle_key_compromise, Auditor, KeyRef, MemoryLog, SubjectPseudonymizer};
/// use privkit::envelope::{self, CompromisedLocalKek, KeyEncryptionKey, LocalKek};
/// use privkit::secret::SecretBytes;
///
/// let mut kek = LocalKek::generate("documents")?;
/// let mut store = BTreeMap::new();
/// store.insert("doc-1".to_string(), envelope::seal(&kek, b"minutes", b"doc-1")?);
/// let compromised = KeyRef::Keyset { keyset: kek.kek_id().to_owned(), id: kek.keyset().primary_id() };
///
/// let log = Arc::new(MemoryLog::new());
/// let auditor = Auditor::new(log.clone(), Arc::new(SubjectPseudonymizer::new(&SecretBytes::random(32)?)?), "security-team");
/// let mut target = CompromisedLocalKek::new(&mut kek, &mut store);
/// assert_eq!(handle_key_compromise(&mut target, &auditor, "INC-7", &compromised)?, 1);
/// // The envelope opens under the new key; the old key is disabled.
/// assert_eq!(envelope::open(&kek, &store["doc-1"], b"doc-1")?, b"minutes");
/// assert_eq!(log.events()?.len(), 5); // declared, rotated, re-wrapped, disabled, completed
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Debug)]
pub struct CompromisedLocalKek<'a, S: EnvelopeStore> {
    kek: &'a mut LocalKek,
    store: &'a mut S,
}

impl<'a, S: EnvelopeStore> CompromisedLocalKek<'a, S> {
    /// The procedure's target: `kek` and the envelopes in `store`.
    pub fn new(kek: &'a mut LocalKek, store: &'a mut S) -> Self {
        Self { kek, store }
    }

    /// The keyset key id `compromised` names, if it is a key of this KEK.
    fn key_id(&self, compromised: &KeyRef) -> Result<KeyId> {
        match compromised {
            KeyRef::Keyset { keyset, id } if keyset == self.kek.kek_id() => Ok(*id),
            other => Err(Error::invalid_argument(format_args!(
                "{other} is not a key of local KEK `{}`",
                self.kek.kek_id()
            ))),
        }
    }

    /// Whether `envelope`'s wrapped key for this KEK was made by keyset key `id` (a
    /// local KEK's wrapped key names its key in bytes 2..6: `docs/FORMAT.md` 2.1).
    fn wrapped_by(&self, envelope: &[u8], id: KeyId) -> Result<bool> {
        let parsed = ParsedEnvelope::parse(envelope, &Default::default())?;
        let kek_id = self.kek.kek_id();
        Ok(parsed
            .header
            .candidates(std::slice::from_ref(&kek_id), |k| k)
            .any(|(_, wrapped)| wrapped.get(2..6) == Some(&id.to_be_bytes()[..])))
    }
}

impl<S: EnvelopeStore> CompromiseTarget for CompromisedLocalKek<'_, S> {
    fn rotate(&mut self, compromised: &KeyRef) -> Result<KeyRef> {
        let old = self.key_id(compromised)?;
        let algorithm = self
            .kek
            .keyset()
            .key(old)
            .map_or(Algorithm::default(), |k| k.algorithm);
        let new = self.kek.keyset_mut().rotate(algorithm)?;
        Ok(KeyRef::Keyset {
            keyset: self.kek.kek_id().to_owned(),
            id: new,
        })
    }

    fn rewrap_all(
        &mut self,
        compromised: &KeyRef,
        done: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let old = self.key_id(compromised)?;
        for reference in self.store.references()? {
            let envelope = self.store.load(&reference)?;
            if !self.wrapped_by(&envelope, old)? {
                continue;
            }
            // The KEK still holds the old key (enabled) to unwrap, and wraps under its
            // new primary.
            let rewrapped = rewrap(&envelope, &*self.kek, &*self.kek)?;
            self.store.store(&reference, rewrapped)?;
            done(&reference)?;
        }
        Ok(())
    }

    fn disable(&mut self, compromised: &KeyRef) -> Result<()> {
        let old = self.key_id(compromised)?;
        self.kek.keyset_mut().disable(old)
    }
}
