//! Audit wiring of retention: decisions, consent changes and subject-key lifecycle
//! recorded through an [`Auditor`] given explicitly (no global sink).

use jiff::Timestamp;

use std::sync::Arc;

use super::consent::{ConsentLedger, ConsentRecord, ConsentState, SubjectId};
use super::erasable::{ErasableVault, SealedKeyStore, SubjectCipher};
use super::evaluate::{Decision, Evaluator, Facts, Verdict};
use super::shred::{SubjectKeyStore, SubjectVault};
use crate::audit::{
    Auditor, ConsentChange, EventKind, RetentionDecision, RetentionVerdict, SubjectKeyAction,
    SubjectKeyEvent, SubjectRef,
};
use crate::{Error, Result};

/// Which record a decision is about, for the audit log: a caller-chosen reference (a
/// table and primary key), the subject (logged as a pseudonym) and the category.
#[derive(Clone, Copy, Debug)]
pub struct AuditedRecord<'a> {
    /// The record's reference (`orders/8812`).
    pub reference: &'a str,
    /// Its subject, if it has one.
    pub subject: Option<&'a SubjectId>,
    /// Its category (`user.billing.invoice`).
    pub category: &'a str,
}

impl Decision<'_> {
    /// The decision in the audit log's schedule-independent form: rule, hold and
    /// purpose by name, the reason as text.
    #[must_use]
    pub fn to_audit(
        &self,
        category: &str,
        record: Option<&str>,
        subject: Option<SubjectRef>,
    ) -> RetentionDecision {
        RetentionDecision {
            record: record.map(str::to_owned),
            subject,
            category: category.to_owned(),
            verdict: match self.verdict() {
                Verdict::Keep => RetentionVerdict::Keep,
                Verdict::ActNow => RetentionVerdict::ActNow,
                Verdict::ActAt => RetentionVerdict::ActAt,
            },
            action: self.action().map(|a| a.to_string()),
            due: self.due(),
            rule: self.rule().map(|r| r.id().to_owned()),
            hold: self.hold().map(|h| h.id().to_owned()),
            purpose: self.purpose().map(|p| p.as_str().to_owned()),
            unregulated: self.is_unregulated(),
            reason: self.reason().to_string(),
        }
    }
}

impl<'s> Evaluator<'s> {
    /// Decides one record and records the decision through `auditor` (one event per
    /// call, with the reason). Evaluation itself stays pure; only the recording does
    /// I/O, through the auditor's sink.
    ///
    /// # Errors
    /// The sink's: the decision is returned only once it is recorded.
    pub fn evaluate_audited(
        &self,
        facts: &Facts<'_>,
        record: &AuditedRecord<'_>,
        auditor: &Auditor,
    ) -> Result<Decision<'s>> {
        let decision = self.evaluate(facts);
        let subject = record.subject.map(|s| auditor.subject(s.as_str()));
        auditor.record(EventKind::Retention(decision.to_audit(
            record.category,
            Some(record.reference),
            subject,
        )))?;
        Ok(decision)
    }
}

impl ConsentRecord {
    /// The consent event in the audit log's form, the subject pseudonymized.
    #[must_use]
    pub fn to_audit(&self, auditor: &Auditor) -> ConsentChange {
        ConsentChange {
            subject: auditor.subject(self.subject().as_str()),
            purpose: self.purpose().as_str().to_owned(),
            granted: self.state() == ConsentState::Granted,
            effective: self.at(),
            policy_version: self.policy_version().to_owned(),
            source: self.source().to_owned(),
        }
    }
}

impl ConsentLedger {
    /// Records `record` in the audit log, then in the ledger: a consent change the log
    /// cannot take is not applied, and a change the ledger refuses (a purpose it does not
    /// know) is not logged. Returns the log index, if the sink is a log.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a purpose the ledger
    /// does not know; the sink's (the ledger is then unchanged).
    pub fn record_audited(
        &mut self,
        record: ConsentRecord,
        auditor: &Auditor,
    ) -> Result<Option<u64>> {
        self.check_purpose(record.purpose().as_str())?;
        let index = auditor.record(EventKind::Consent(record.to_audit(auditor)))?;
        self.record(record)?;
        Ok(index)
    }
}

/// Proof that a subject's key was destroyed: who, which key, when, and where the log
/// holds the event (an inclusion proof for that index makes the receipt verifiable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureReceipt {
    /// The subject's pseudonym.
    pub subject: SubjectRef,
    /// The destroyed key's id.
    pub key_id: u32,
    /// When it was destroyed.
    pub erased_at: Timestamp,
    /// The log index of the erasure event, if the sink is a log.
    pub log_index: Option<u64>,
}

impl<S: SubjectKeyStore> SubjectVault<S> {
    /// [`encrypt`](Self::encrypt), recording the creation of the subject's key when
    /// this call creates it.
    ///
    /// # Errors
    /// As `encrypt`; the sink's (the ciphertext is then not returned).
    pub fn encrypt_audited(
        &self,
        subject: &SubjectId,
        plaintext: &[u8],
        context: &[u8],
        auditor: &Auditor,
    ) -> Result<Vec<u8>> {
        match self.store().get(subject) {
            Ok(_) => {}
            Err(Error::UnknownSubject(_) | Error::KeyDestroyed(_)) => {
                let key = self.store().get_or_create(subject)?;
                auditor.record(EventKind::SubjectKey(SubjectKeyEvent {
                    subject: auditor.subject(subject.as_str()),
                    key_id: key.id(),
                    action: SubjectKeyAction::Created,
                }))?;
            }
            Err(e) => return Err(e),
        }
        self.encrypt(subject, plaintext, context)
    }

    /// [`forget`](Self::forget), recording the erasure; returns the receipt, or `None`
    /// if the subject had no live key (nothing was destroyed, nothing is logged).
    ///
    /// The key is destroyed before the event is recorded: if recording fails, the
    /// subject is forgotten all the same and the error says the receipt is missing.
    ///
    /// # Errors
    /// Key-store failures (the subject is then not forgotten); the sink's.
    pub fn forget_audited(
        &self,
        subject: &SubjectId,
        auditor: &Auditor,
    ) -> Result<Option<ErasureReceipt>> {
        let key_id = match self.store().get(subject) {
            Ok(k) => k.id(),
            Err(Error::UnknownSubject(_) | Error::KeyDestroyed(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        if !self.forget(subject)? {
            return Ok(None);
        }
        erasure_receipt(subject, key_id, auditor).map(Some)
    }
}

impl<S: SealedKeyStore> ErasableVault<S> {
    /// [`cipher`](Self::cipher), recording the creation of the subject's key when this
    /// call creates it.
    ///
    /// # Errors
    /// As `cipher`; the sink's (the handle is then not returned, but the key stays
    /// stored: the next call finds it and records nothing).
    pub fn cipher_audited(
        &self,
        subject: &SubjectId,
        auditor: &Auditor,
    ) -> Result<Arc<SubjectCipher>> {
        let (cipher, created) = self.cipher_inner(subject, true)?;
        if created {
            auditor.record(EventKind::SubjectKey(SubjectKeyEvent {
                subject: auditor.subject(subject.as_str()),
                key_id: cipher.key_id(),
                action: SubjectKeyAction::Created,
            }))?;
        }
        Ok(cipher)
    }

    /// [`forget`](Self::forget), recording the erasure; returns the receipt, or `None`
    /// if the subject had no live key (nothing destroyed, nothing logged).
    ///
    /// The key is destroyed before the event is recorded: if recording fails, the
    /// subject is forgotten all the same and the error says the receipt is missing.
    ///
    /// # Errors
    /// The store's (the subject is then not forgotten); the sink's.
    pub fn forget_audited(
        &self,
        subject: &SubjectId,
        auditor: &Auditor,
    ) -> Result<Option<ErasureReceipt>> {
        let Some(key_id) = self.forget(subject)? else {
            return Ok(None);
        };
        erasure_receipt(subject, key_id, auditor).map(Some)
    }
}

/// Records the erasure of `subject`'s key `key_id` and returns its receipt.
fn erasure_receipt(subject: &SubjectId, key_id: u32, auditor: &Auditor) -> Result<ErasureReceipt> {
    let erased_at = auditor.now();
    let pseudonym = auditor.subject(subject.as_str());
    let log_index = auditor.record_at(
        erased_at,
        EventKind::SubjectKey(SubjectKeyEvent {
            subject: pseudonym,
            key_id,
            action: SubjectKeyAction::Erased,
        }),
    )?;
    Ok(ErasureReceipt {
        subject: pseudonym,
        key_id,
        erased_at,
        log_index,
    })
}
