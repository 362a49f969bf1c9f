//! Consent records and the ledger that answers "may we process this now?".

use std::collections::HashMap;
use std::fmt;

use jiff::Timestamp;

use super::evaluate::PurposeId;
use super::policy::{LegalBasis, Purpose, Schedule};
use crate::{Error, Result};

/// Longest accepted subject identifier, in bytes.
const MAX_SUBJECT_LEN: usize = 256;

/// Identifies a data subject (a customer number, an account id): 1 to 256 bytes of
/// UTF-8 without control characters. Prefer an internal id to an e-mail address: the id
/// appears in key stores and consent ledgers.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectId(Box<str>);

impl SubjectId {
    /// Validates a subject identifier.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty or overlong id or one with control
    /// characters.
    pub fn new(id: &str) -> Result<Self> {
        if id.is_empty() || id.len() > MAX_SUBJECT_LEN || id.chars().any(char::is_control) {
            return Err(Error::invalid_argument(format_args!(
                "subject id must be 1 to {MAX_SUBJECT_LEN} bytes without control characters"
            )));
        }
        Ok(Self(id.into()))
    }

    /// The identifier.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectId({:?})", &*self.0)
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a consent record grants or withdraws consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConsentState {
    /// Consent given (GDPR Art. 7).
    Granted,
    /// Consent withdrawn (Art. 7(3)); processing based on consent stops.
    Withdrawn,
}

/// One consent event: who, for what, granted or withdrawn, when, under which version of
/// the policy text, and through which channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    subject: SubjectId,
    purpose: Purpose,
    state: ConsentState,
    at: Timestamp,
    policy_version: Box<str>,
    source: Box<str>,
}

impl ConsentRecord {
    /// A consent event. `policy_version` names the consent text shown (`privacy-2026-03`),
    /// `source` the channel (`web-signup`, `support-call`).
    #[must_use]
    pub fn new(
        subject: SubjectId,
        purpose: Purpose,
        state: ConsentState,
        at: Timestamp,
        policy_version: &str,
        source: &str,
    ) -> Self {
        Self {
            subject,
            purpose,
            state,
            at,
            policy_version: policy_version.into(),
            source: source.into(),
        }
    }

    /// The data subject.
    #[must_use]
    pub fn subject(&self) -> &SubjectId {
        &self.subject
    }
    /// The purpose consented to.
    #[must_use]
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }
    /// Granted or withdrawn.
    #[must_use]
    pub fn state(&self) -> ConsentState {
        self.state
    }
    /// When.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        self.at
    }
    /// The version of the consent text.
    #[must_use]
    pub fn policy_version(&self) -> &str {
        &self.policy_version
    }
    /// The channel the event came through.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// An append-only history of consent events per subject and purpose.
///
/// The state at a time is the latest event at or before it; events may be recorded out
/// of order, and of two events at the same instant the one recorded later counts.
#[derive(Clone, Debug, Default)]
pub struct ConsentLedger {
    by_subject: HashMap<Box<str>, HashMap<Box<str>, Vec<ConsentRecord>>>,
}

impl ConsentLedger {
    /// An empty ledger.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event.
    pub fn record(&mut self, record: ConsentRecord) {
        let history = self
            .by_subject
            .entry(record.subject.0.clone())
            .or_default()
            .entry(record.purpose.as_str().into())
            .or_default();
        let at = history.partition_point(|r| r.at <= record.at);
        history.insert(at, record);
    }

    /// The event in force for `subject` and `purpose` at `at`, if any.
    #[must_use]
    pub fn state_at(
        &self,
        subject: &SubjectId,
        purpose: &str,
        at: Timestamp,
    ) -> Option<&ConsentRecord> {
        let history = self.by_subject.get(subject.as_str())?.get(purpose)?;
        let n = history.partition_point(|r| r.at <= at);
        n.checked_sub(1).and_then(|i| history.get(i))
    }

    /// Whether consent for `purpose` stands for `subject` at `at` (granted and not
    /// withdrawn since). This answers only the consent question: purposes resting on
    /// another legal basis do not need consent (see [`Self::may_process_under`]).
    #[must_use]
    pub fn may_process(&self, subject: &SubjectId, purpose: &str, at: Timestamp) -> bool {
        self.state_at(subject, purpose, at)
            .is_some_and(|r| r.state == ConsentState::Granted)
    }

    /// Whether `schedule` allows processing for `purpose` at `at`: consent must stand if
    /// the purpose rests on consent; other legal bases do not depend on the ledger.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the schedule does not declare `purpose`.
    pub fn may_process_under(
        &self,
        schedule: &Schedule,
        subject: &SubjectId,
        purpose: &str,
        at: Timestamp,
    ) -> Result<bool> {
        match schedule.legal_basis(purpose) {
            Some(LegalBasis::Consent) => Ok(self.may_process(subject, purpose, at)),
            Some(_) => Ok(true),
            None => Err(Error::invalid_argument(format_args!(
                "purpose `{}` is not declared in the schedule",
                purpose.escape_default()
            ))),
        }
    }

    /// When consent for `purpose` was withdrawn, if it stands withdrawn at `at`.
    #[must_use]
    pub fn withdrawn_at(
        &self,
        subject: &SubjectId,
        purpose: &str,
        at: Timestamp,
    ) -> Option<Timestamp> {
        self.state_at(subject, purpose, at)
            .filter(|r| r.state == ConsentState::Withdrawn)
            .map(|r| r.at)
    }

    /// The withdrawals in force at `at` for every consent-based purpose of `schedule`,
    /// ready for [`Facts::consent_withdrawn`](super::Facts::consent_withdrawn): this is how
    /// a withdrawal starts the `consent_withdrawn` trigger.
    #[must_use]
    pub fn withdrawals(
        &self,
        schedule: &Schedule,
        subject: &SubjectId,
        at: Timestamp,
    ) -> Vec<(PurposeId, Timestamp)> {
        schedule
            .purposes()
            .filter(|(_, basis)| *basis == LegalBasis::Consent)
            .filter_map(|(p, _)| {
                let when = self.withdrawn_at(subject, p.as_str(), at)?;
                Some((schedule.purpose_id(p.as_str()).ok()?, when))
            })
            .collect()
    }

    /// Every event for `subject`, grouped by purpose, each group in time order.
    pub fn history(&self, subject: &SubjectId) -> impl Iterator<Item = &ConsentRecord> {
        self.by_subject
            .get(subject.as_str())
            .into_iter()
            .flat_map(|m| m.values().flatten())
    }

    /// Number of events recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_subject
            .values()
            .flat_map(|m| m.values())
            .map(Vec::len)
            .sum()
    }

    /// Whether the ledger is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_subject.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::retention::{Facts, Rule, Verdict};
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn rec(state: ConsentState, at: &str) -> ConsentRecord {
        ConsentRecord::new(
            SubjectId::new("c-1").unwrap(),
            Purpose::new("marketing").unwrap(),
            state,
            ts(at),
            "v3",
            "web",
        )
    }

    #[test]
    fn ledger_answers_at_any_time() {
        let mut l = ConsentLedger::new();
        let s = SubjectId::new("c-1").unwrap();
        l.record(rec(ConsentState::Withdrawn, "2026-03-01T00:00:00Z"));
        l.record(rec(ConsentState::Granted, "2025-01-01T00:00:00Z"));
        assert!(!l.may_process(&s, "marketing", ts("2024-12-31T00:00:00Z")));
        assert!(l.may_process(&s, "marketing", ts("2025-06-01T00:00:00Z")));
        assert!(!l.may_process(&s, "marketing", ts("2026-03-01T00:00:00Z")));
        assert_eq!(
            l.withdrawn_at(&s, "marketing", ts("2026-04-01T00:00:00Z")),
            Some(ts("2026-03-01T00:00:00Z"))
        );
        assert!(!l.may_process(&s, "billing", ts("2026-01-01T00:00:00Z")));
        assert!(!l.may_process(
            &SubjectId::new("other").unwrap(),
            "marketing",
            ts("2025-06-01T00:00:00Z")
        ));
        assert_eq!(l.len(), 2);
        assert_eq!(l.history(&s).count(), 2);
        // Re-granting ends the withdrawal.
        l.record(rec(ConsentState::Granted, "2026-05-01T00:00:00Z"));
        assert_eq!(
            l.withdrawn_at(&s, "marketing", ts("2026-06-01T00:00:00Z")),
            None
        );
        assert_eq!(
            l.state_at(&s, "marketing", ts("2026-06-01T00:00:00Z"))
                .unwrap()
                .policy_version(),
            "v3"
        );
    }

    #[test]
    fn withdrawal_feeds_the_trigger() {
        let schedule = Schedule::builder()
            .purpose(Purpose::new("marketing").unwrap(), LegalBasis::Consent)
            .purpose(Purpose::new("billing").unwrap(), LegalBasis::Contract)
            .rule(
                Rule::new(
                    "m",
                    "user",
                    "marketing",
                    "P30D",
                    "consent_withdrawn",
                    "delete",
                )
                .unwrap(),
            )
            .build()
            .unwrap();
        let mut l = ConsentLedger::new();
        let s = SubjectId::new("c-1").unwrap();
        l.record(rec(ConsentState::Granted, "2025-01-01T00:00:00Z"));
        let now = ts("2026-04-15T00:00:00Z");
        assert!(l.may_process_under(&schedule, &s, "billing", now).unwrap());
        assert!(l.may_process_under(&schedule, &s, "support", now).is_err());
        let class = schedule.class_of("user.email").unwrap();
        let purposes = schedule.purpose_set(["marketing"]).unwrap();
        let ev = schedule.evaluator(now);
        let w = l.withdrawals(&schedule, &s, now);
        let d = ev.evaluate(
            &Facts::new(class, purposes, ts("2025-01-01T00:00:00Z")).consent_withdrawn(&w),
        );
        assert_eq!(d.verdict(), Verdict::Keep);
        l.record(rec(ConsentState::Withdrawn, "2026-03-01T10:00:00Z"));
        let w = l.withdrawals(&schedule, &s, now);
        assert_eq!(w.len(), 1);
        let d = ev.evaluate(
            &Facts::new(class, purposes, ts("2025-01-01T00:00:00Z")).consent_withdrawn(&w),
        );
        assert_eq!(d.verdict(), Verdict::ActNow);
        assert_eq!(d.due(), Some(date(2026, 3, 31)));
    }

    #[test]
    fn fail_bad_subject_ids() {
        assert!(SubjectId::new("").is_err());
        assert!(SubjectId::new("a\nb").is_err());
        assert!(SubjectId::new(&"x".repeat(257)).is_err());
    }
}
