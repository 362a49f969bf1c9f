//! Rotation sweeps: re-encrypting stored rows under the primary key, resumably.

use super::keys::Keyset;
use crate::{Error, Result};

/// Where a rotation sweep is: after which row key. Persist it with the rows a batch
/// changed (in the same transaction) and a stopped sweep resumes where it committed.
///
/// Row keys are whatever orders the rows (an integer primary key, a `(tenant, id)`
/// pair); the sweep visits them in increasing order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SweepCursor<K> {
    after: Option<K>,
}

impl<K> SweepCursor<K> {
    /// The start: before every row.
    #[must_use]
    pub fn start() -> Self {
        Self { after: None }
    }

    /// After the row `key` (what a persisted cursor is restored as).
    #[must_use]
    pub fn after(key: K) -> Self {
        Self { after: Some(key) }
    }

    /// The last row key done, `None` at the start.
    #[must_use]
    pub fn last(&self) -> Option<&K> {
        self.after.as_ref()
    }
}

impl<K> Default for SweepCursor<K> {
    fn default() -> Self {
        Self::start()
    }
}

/// How many rows a sweep rotated, skipped (already under the primary key) and could not
/// rotate (the ciphertext did not decrypt: a destroyed or unknown key, altered bytes,
/// the wrong associated data). Counts are cumulative across resumptions when the caller
/// persists them with the cursor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SweepReport {
    /// Rows re-encrypted under the primary key.
    pub rotated: u64,
    /// Rows already under the primary key.
    pub skipped: u64,
    /// Rows that failed to decrypt (left as they were).
    pub failed: u64,
}

impl SweepReport {
    /// A report with these counts (a persisted report restored).
    #[must_use]
    pub fn new(rotated: u64, skipped: u64, failed: u64) -> Self {
        Self {
            rotated,
            skipped,
            failed,
        }
    }

    /// Rows visited.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.rotated + self.skipped + self.failed
    }
}

/// What to do with one row.
#[derive(Debug)]
#[non_exhaustive]
pub enum RowOutcome {
    /// Store this ciphertext in place of the row's (it is under the primary key).
    Rotated(Vec<u8>),
    /// The row is already under the primary key: leave it.
    Skipped,
    /// The row did not decrypt: leave it, and look at the error (counted in
    /// [`SweepReport::failed`]).
    Failed(Error),
}

/// A rotation sweep over rows in key order: each row's ciphertext is re-encrypted under
/// the keyset's primary key ([`Keyset::reencrypt`]), rows already under it are skipped,
/// and rows that do not decrypt are counted and passed over, so one bad row does not stop
/// the sweep.
///
/// The sweep does no I/O. The caller reads a batch of rows after
/// [`cursor`](Self::cursor), stores the [`Rotated`](RowOutcome::Rotated) ciphertexts
/// and, in the same transaction, the cursor and report; after a crash it resumes with
/// [`resume`](Self::resume) from what it committed. A row written meanwhile by the
/// application is already under the primary key, and a row visited twice is skipped, so
/// a resumed sweep never rotates anything twice. `privkit-sqlx` implements this loop
/// over a table column.
///
/// # Example
/// ```
/// use privkit::keyset::{Keyset, RotationSweep, RowOutcome, SweepCursor};
///
/// let mut keyset = Keyset::generate(Default::default())?;
/// let mut rows: Vec<(u64, Vec<u8>)> = (0..10u64)
///     .map(|id| Ok((id, keyset.encrypt(format!("card {id}").as_bytes(), &id.to_be_bytes())?)))
///     .collect::<privkit::Result<_>>()?;
/// keyset.rotate(Default::default())?;
///
/// // First run: stops after four rows (a deploy, a crash); the cursor was persisted.
/// let mut sweep = RotationSweep::new(&keyset, SweepCursor::start());
/// for (id, ct) in rows.iter_mut().take(4) {
///     if let RowOutcome::Rotated(new) = sweep.row(*id, ct, &id.to_be_bytes())? {
///         *ct = new;
///     }
/// }
/// let (cursor, report) = (sweep.cursor().clone(), sweep.report());
///
/// // Second run resumes after row 3.
/// let mut sweep = RotationSweep::resume(&keyset, cursor, report);
/// let start = sweep.cursor().last().map_or(0, |k| k + 1);
/// for (id, ct) in rows.iter_mut().filter(|(id, _)| *id >= start) {
///     if let RowOutcome::Rotated(new) = sweep.row(*id, ct, &id.to_be_bytes())? {
///         *ct = new;
///     }
/// }
/// assert_eq!(sweep.report().rotated, 10);
/// assert!(rows.iter().all(|(_, ct)| privkit::keyset::inspect(ct).map(|i| i.key_id).ok() == Some(keyset.primary_id())));
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Debug)]
pub struct RotationSweep<'k, K> {
    keyset: &'k Keyset,
    cursor: SweepCursor<K>,
    report: SweepReport,
}

impl<'k, K: Ord + Clone> RotationSweep<'k, K> {
    /// A sweep from `cursor` with an empty report.
    #[must_use]
    pub fn new(keyset: &'k Keyset, cursor: SweepCursor<K>) -> Self {
        Self::resume(keyset, cursor, SweepReport::default())
    }

    /// A sweep resumed from a persisted cursor and report.
    #[must_use]
    pub fn resume(keyset: &'k Keyset, cursor: SweepCursor<K>, report: SweepReport) -> Self {
        Self {
            keyset,
            cursor,
            report,
        }
    }

    /// Handles the row `key` holding `ciphertext` (a keyset value made with `aad`), and
    /// moves the cursor past it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `key` is not after the cursor (rows must come in
    /// increasing key order, or resuming would skip some); the row's own failures are
    /// [`RowOutcome::Failed`], not errors.
    pub fn row(&mut self, key: K, ciphertext: &[u8], aad: &[u8]) -> Result<RowOutcome> {
        if self.cursor.after.as_ref().is_some_and(|last| key <= *last) {
            return Err(Error::invalid_argument(
                "rotation sweep: row keys must increase (this row is not after the cursor)",
            ));
        }
        let outcome = match self.keyset.reencrypt(ciphertext, aad) {
            Ok(Some(ct)) => {
                self.report.rotated += 1;
                RowOutcome::Rotated(ct)
            }
            Ok(None) => {
                self.report.skipped += 1;
                RowOutcome::Skipped
            }
            Err(e) => {
                self.report.failed += 1;
                RowOutcome::Failed(e)
            }
        };
        self.cursor.after = Some(key);
        Ok(outcome)
    }

    /// The cursor: after the last row handled.
    #[must_use]
    pub fn cursor(&self) -> &SweepCursor<K> {
        &self.cursor
    }

    /// The counts so far.
    #[must_use]
    pub fn report(&self) -> SweepReport {
        self.report
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Algorithm;
    use proptest::prelude::*;

    #[test]
    fn rotates_skips_and_counts_failures() {
        let mut keyset = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
        let old = keyset.primary_id();
        let a = keyset.encrypt(b"a", b"1").unwrap();
        keyset.rotate(Algorithm::ChaCha20Poly1305).unwrap();
        let b = keyset.encrypt(b"b", b"2").unwrap();
        let mut sweep = RotationSweep::new(&keyset, SweepCursor::start());
        let RowOutcome::Rotated(a2) = sweep.row(1, &a, b"1").unwrap() else {
            panic!("not rotated")
        };
        assert_eq!(keyset.decrypt(&a2, b"1").unwrap(), b"a");
        assert!(matches!(
            sweep.row(2, &b, b"2").unwrap(),
            RowOutcome::Skipped
        ));
        // The wrong associated data: a failure, counted, not an error of the sweep.
        assert!(matches!(
            sweep.row(3, &a, b"wrong").unwrap(),
            RowOutcome::Failed(Error::DecryptionFailed)
        ));
        assert_eq!(sweep.report(), SweepReport::new(1, 1, 1));
        assert_eq!(sweep.cursor().last(), Some(&3));
        // After the old key is destroyed its rows cannot be rotated: named.
        let mut keyset = keyset;
        keyset.destroy(old).unwrap();
        let mut sweep = RotationSweep::new(&keyset, SweepCursor::start());
        assert!(matches!(
            sweep.row(1, &a, b"1").unwrap(),
            RowOutcome::Failed(Error::KeyDestroyed(id)) if id == old
        ));
    }

    #[test]
    fn fail_rows_out_of_order() {
        let keyset = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
        let ct = keyset.encrypt(b"x", b"").unwrap();
        let mut sweep = RotationSweep::new(&keyset, SweepCursor::after(5));
        assert!(matches!(
            sweep.row(5, &ct, b""),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            sweep.row(4, &ct, b""),
            Err(Error::InvalidArgument(_))
        ));
        assert_eq!(sweep.report().total(), 0);
        assert!(matches!(
            sweep.row(6, &ct, b"").unwrap(),
            RowOutcome::Skipped
        ));
    }

    #[test]
    fn fail_reencrypt_of_another_kind() {
        let keyset = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
        let mut wrapped = Vec::new();
        keyset
            .encrypt_domain(super::super::WRAPPED_KEY_V1, &[1; 32], b"", &mut wrapped)
            .unwrap();
        assert!(matches!(
            keyset.reencrypt(&wrapped, b""),
            Err(Error::Malformed("ciphertext of another kind"))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        /// However a sweep is cut into runs, every row ends under the primary key with its
        /// plaintext, and the counts add up.
        #[test]
        fn resumed_sweeps_rotate_every_row_once(cuts in proptest::collection::vec(0usize..30, 0..4), n in 1usize..30) {
            let mut keyset = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
            let mut rows: Vec<Vec<u8>> = (0..n).map(|i| keyset.encrypt(&i.to_be_bytes(), b"t").unwrap()).collect();
            keyset.rotate(Algorithm::Aes256Gcm).unwrap();
            let (mut cursor, mut report) = (SweepCursor::start(), SweepReport::default());
            let mut stops: Vec<usize> = cuts.into_iter().map(|c| c % n).collect();
            stops.sort_unstable();
            stops.push(n);
            for stop in stops {
                let mut sweep = RotationSweep::resume(&keyset, cursor.clone(), report);
                let from = cursor.last().map_or(0, |k: &usize| k + 1);
                for (i, ct) in rows.iter_mut().enumerate().take(stop).skip(from) {
                    if let RowOutcome::Rotated(new) = sweep.row(i, ct, b"t").unwrap() {
                        *ct = new;
                    }
                }
                cursor = sweep.cursor().clone();
                report = sweep.report();
            }
            prop_assert_eq!(report, SweepReport::new(n as u64, 0, 0));
            for (i, ct) in rows.iter().enumerate() {
                prop_assert_eq!(crate::keyset::inspect(ct).unwrap().key_id, keyset.primary_id());
                prop_assert_eq!(keyset.decrypt(ct, b"t").unwrap(), i.to_be_bytes());
            }
        }
    }
}
