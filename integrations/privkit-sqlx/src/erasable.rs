//! Erasable fields on a database: subject keys in `privkit_subject_keys`, handles from
//! the core's cache.

use std::sync::Arc;

use privkit::keyset::SweepReport;
use privkit::retention::{ErasableKeys, SealedSubjectKey, SubjectCipher, SubjectId};

use crate::db::Database;
use crate::keys::{Erasure, Rewrap, SubjectKeyState, SubjectKeyTable, WrappedSubjectKey};
use crate::{Error, Result};

/// The `wrapping_key` column of a subject key wrapped by keyset key `id`.
fn wrapping_name(id: u32) -> String {
    format!("keyset:{id:08x}")
}

fn sealed(k: &WrappedSubjectKey) -> SealedSubjectKey {
    SealedSubjectKey {
        key_id: k.key_id,
        wrapped: k.wrapped.clone(),
    }
}

/// Erasable fields (`privkit::retention::SubjectCipher`) with their subject keys in the
/// database: the async front end of `privkit::retention::ErasableKeys`, which wraps the
/// keys, unwraps them into handles and caches the handles.
///
/// [`cipher`](Self::cipher) costs one `SELECT` the first time a subject is seen (and an
/// `INSERT` for a new one), then nothing: take one handle per row and encrypt every field
/// with it. [`begin_erasure`](Self::begin_erasure) deletes the subject's rows and
/// destroys its key in one transaction, and evicts the handle when it commits.
/// [`rewrap_sweep`](Self::rewrap_sweep) moves subject keys to a rotated wrapping
/// keyset's primary; field ciphertexts are never touched.
///
/// Several processes: each has its own cache. An erasure in one reaches the others'
/// caches only when their handles expire: set a time to live
/// (`ErasableKeys::with_ttl`) no longer than an erasure may take to complete.
#[derive(Clone, Debug)]
pub struct ErasableStore {
    table: SubjectKeyTable,
    keys: Arc<ErasableKeys>,
}

impl ErasableStore {
    /// Subject keys in `db`'s `privkit_subject_keys` (migrated), wrapped and cached by
    /// `keys`.
    #[must_use]
    pub fn new(db: &Database, keys: Arc<ErasableKeys>) -> Self {
        Self {
            table: SubjectKeyTable::new(db),
            keys,
        }
    }

    /// The keys and cache.
    #[must_use]
    pub fn keys(&self) -> &Arc<ErasableKeys> {
        &self.keys
    }

    /// The subject's handle, its key created and stored on first use (a forgotten
    /// subject who returns gets a new key; the old fields stay dead).
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Privkit`] from unwrapping (a key the wrapping keyset
    /// cannot open).
    pub async fn cipher(&self, subject: &SubjectId) -> Result<Arc<SubjectCipher>> {
        self.load(subject, true).await
    }

    /// The handle of a subject that has a key.
    ///
    /// # Errors
    /// [`Error::Privkit`] with `KeyDestroyed` for an erased subject, `UnknownSubject`
    /// for one that never had a key; as [`cipher`](Self::cipher).
    pub async fn existing_cipher(&self, subject: &SubjectId) -> Result<Arc<SubjectCipher>> {
        self.load(subject, false).await
    }

    async fn load(&self, subject: &SubjectId, create: bool) -> Result<Arc<SubjectCipher>> {
        if let Some(c) = self.keys.cached(subject)? {
            return Ok(c);
        }
        let epoch = self.keys.epoch()?;
        let stored = match self.table.get(subject).await? {
            SubjectKeyState::Live(k) => k,
            SubjectKeyState::Destroyed { key_id, .. } if !create => {
                return Err(privkit::Error::KeyDestroyed(key_id).into());
            }
            SubjectKeyState::Unknown if !create => {
                return Err(privkit::Error::UnknownSubject(subject.as_str().to_owned()).into());
            }
            _ => {
                let new = self.keys.new_key(subject)?;
                let wrapping_key = wrapping_name(new.wrapping_key_id()?);
                self.table
                    .insert_if_absent(
                        subject,
                        &WrappedSubjectKey {
                            key_id: new.key_id,
                            wrapped: new.wrapped,
                            wrapping_key,
                        },
                    )
                    .await?
            }
        };
        Ok(self.keys.open(subject, &sealed(&stored), epoch)?)
    }

    /// Starts erasing `subject`: delete its rows with [`Erasure::delete_rows`], then
    /// [`Erasure::commit`] destroys its key in the same transaction and evicts the
    /// cached handle. The handle is evicted now too, so no field of the subject is
    /// encrypted from the cache while the erasure runs.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Privkit`] if the cache lock is poisoned.
    pub async fn begin_erasure(&self, subject: &SubjectId) -> Result<Erasure> {
        self.keys.forget(subject)?;
        Ok(self
            .table
            .begin_erasure(subject)
            .await?
            .evicting(self.keys.clone()))
    }

    /// Re-wraps every live subject key that is not under the wrapping keyset's primary,
    /// `page` keys per query and per transaction (one commit per page), each with a
    /// compare-and-swap update (a key erased or re-wrapped meanwhile is skipped). A page
    /// is written whole or not at all. Resumable by construction: a stopped sweep run
    /// again finds only the keys it had not done. Returns the counts (`failed`: keys the
    /// keyset could not unwrap, left as they were).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a page of 0; [`Error::Database`].
    pub async fn rewrap_sweep(&self, page: u32) -> Result<SweepReport> {
        if page == 0 {
            return Err(Error::InvalidArgument(
                "re-wrap page size must be at least 1 (got 0)".into(),
            ));
        }
        let wrapping = self.keys.wrapping()?;
        let (mut rotated, mut skipped, mut failed) = (0, 0, 0);
        let old_ids: Vec<u32> = wrapping
            .keys()
            .filter(|k| !k.primary)
            .map(|k| k.id)
            .collect();
        for old in old_ids {
            let name = wrapping_name(old);
            let mut after: Option<SubjectId> = None;
            loop {
                let rows = self.table.live_under(&name, after.as_ref(), page).await?;
                // Re-wrap the page in memory, then write it in one transaction.
                let mut items = Vec::with_capacity(rows.len());
                for (subject, k) in &rows {
                    match self.keys.rewrap(subject, &sealed(k)) {
                        Ok(Some(new)) => items.push(Rewrap {
                            subject,
                            key_id: k.key_id,
                            old_wrapping_key: &name,
                            wrapping_key: wrapping_name(new.wrapping_key_id()?),
                            wrapped: new.wrapped,
                        }),
                        Ok(None) => skipped += 1,
                        Err(_) => failed += 1,
                    }
                }
                for done in self.table.rewrap_page(&items).await? {
                    if done {
                        rotated += 1;
                    } else {
                        skipped += 1;
                    }
                }
                if rows.len() < usize::try_from(page).unwrap_or(usize::MAX) {
                    break;
                }
                after = rows.last().map(|(s, _)| s.clone());
            }
        }
        Ok(SweepReport::new(rotated, skipped, failed))
    }
}
