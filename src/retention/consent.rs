//! Consent records and the ledger that answers "may we process this now?".

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

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
///
/// Its keyword ([`as_str`](Self::as_str), [`FromStr`], serde) is `granted` or
/// `withdrawn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum ConsentState {
    /// Consent given (GDPR Art. 7).
    Granted,
    /// Consent withdrawn (Art. 7(3)); processing based on consent stops.
    Withdrawn,
}

impl ConsentState {
    /// The keyword: `granted` or `withdrawn`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ConsentState::Granted => "granted",
            ConsentState::Withdrawn => "withdrawn",
        }
    }
}

impl fmt::Display for ConsentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConsentState {
    type Err = Error;

    /// Parses the keyword `granted` or `withdrawn`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "granted" => Ok(ConsentState::Granted),
            "withdrawn" => Ok(ConsentState::Withdrawn),
            other => Err(Error::invalid_argument(format_args!(
                "consent state `{}` is neither `granted` nor `withdrawn`",
                other.escape_default()
            ))),
        }
    }
}

/// One consent event: who, for what, granted or withdrawn, when, under which version of
/// the policy text, and through which channel.
///
/// With the `serde` feature it (de)serializes as
/// `{"subject", "purpose", "state", "at", "policy_version", "source"}`, `at` in RFC 3339
/// (`2026-03-01T10:00:00Z`); deserializing validates the subject id and the purpose name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RecordDoc", into = "RecordDoc")
)]
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
///
/// A ledger knows the purposes it records consent for, so that a misspelled purpose is
/// an error instead of a silent "no consent".
#[derive(Clone, Debug)]
pub struct ConsentLedger {
    purposes: BTreeSet<Purpose>,
    by_subject: HashMap<Box<str>, HashMap<Box<str>, Vec<ConsentRecord>>>,
}

impl ConsentLedger {
    /// An empty ledger for consent to `purposes`.
    #[must_use]
    pub fn new(purposes: impl IntoIterator<Item = Purpose>) -> Self {
        Self {
            purposes: purposes.into_iter().collect(),
            by_subject: HashMap::new(),
        }
    }

    /// An empty ledger for the purposes of `schedule` that rest on consent.
    #[must_use]
    pub fn for_schedule(schedule: &Schedule) -> Self {
        Self::new(
            schedule
                .purposes()
                .filter(|(_, basis)| *basis == LegalBasis::Consent)
                .map(|(p, _)| p.clone()),
        )
    }

    /// The purposes this ledger records consent for.
    pub fn purposes(&self) -> impl Iterator<Item = &Purpose> {
        self.purposes.iter()
    }

    /// Checks that the ledger records consent for `purpose` (every method that takes a
    /// purpose does so first; stores built on the ledger's purposes call it too).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the purpose, the ledger's purposes and the
    /// closest one when it looks like a typo.
    pub fn check_purpose(&self, purpose: &str) -> Result<()> {
        if self.purposes.iter().any(|p| p.as_str() == purpose) {
            return Ok(());
        }
        let known: Vec<&str> = self.purposes.iter().map(Purpose::as_str).collect();
        let hint = closest(purpose, &known)
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        Err(Error::invalid_argument(format_args!(
            "purpose `{}` is not one this consent ledger records (purposes: {}){hint}",
            purpose.escape_default(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )))
    }

    /// Appends an event.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the record's purpose is not one of the ledger's.
    pub fn record(&mut self, record: ConsentRecord) -> Result<()> {
        self.check_purpose(record.purpose.as_str())?;
        let history = self
            .by_subject
            .entry(record.subject.0.clone())
            .or_default()
            .entry(record.purpose.as_str().into())
            .or_default();
        let at = history.partition_point(|r| r.at <= record.at);
        history.insert(at, record);
        Ok(())
    }

    /// The event in force for `subject` and `purpose` at `at`, if any.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `purpose` is not one of the ledger's.
    pub fn state_at(
        &self,
        subject: &SubjectId,
        purpose: &str,
        at: Timestamp,
    ) -> Result<Option<&ConsentRecord>> {
        self.check_purpose(purpose)?;
        Ok(self.state_unchecked(subject, purpose, at))
    }

    fn state_unchecked(
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
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `purpose` is not one of the ledger's (a
    /// misspelled purpose is refused, not answered "no").
    pub fn may_process(&self, subject: &SubjectId, purpose: &str, at: Timestamp) -> Result<bool> {
        Ok(self
            .state_at(subject, purpose, at)?
            .is_some_and(|r| r.state == ConsentState::Granted))
    }

    /// Whether `schedule` allows processing for `purpose` at `at`: consent must stand if
    /// the purpose rests on consent; other legal bases do not depend on the ledger.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the schedule does not declare `purpose`, or it rests
    /// on consent and the ledger does not record consent for it.
    pub fn may_process_under(
        &self,
        schedule: &Schedule,
        subject: &SubjectId,
        purpose: &str,
        at: Timestamp,
    ) -> Result<bool> {
        match schedule.legal_basis(purpose) {
            Some(LegalBasis::Consent) => self.may_process(subject, purpose, at),
            Some(_) => Ok(true),
            None => Err(Error::invalid_argument(format_args!(
                "purpose `{}` is not declared in the schedule",
                purpose.escape_default()
            ))),
        }
    }

    /// When consent for `purpose` was withdrawn, if it stands withdrawn at `at`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `purpose` is not one of the ledger's.
    pub fn withdrawn_at(
        &self,
        subject: &SubjectId,
        purpose: &str,
        at: Timestamp,
    ) -> Result<Option<Timestamp>> {
        Ok(self
            .state_at(subject, purpose, at)?
            .filter(|r| r.state == ConsentState::Withdrawn)
            .map(|r| r.at))
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
                let when = self
                    .state_unchecked(subject, p.as_str(), at)
                    .filter(|r| r.state == ConsentState::Withdrawn)?
                    .at;
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

    /// Every event, subject by subject and purpose by purpose, each group in time order:
    /// what a store persists ([`record`](Self::record) them back to load a ledger).
    pub fn records(&self) -> impl Iterator<Item = &ConsentRecord> {
        self.by_subject.values().flat_map(|m| m.values().flatten())
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

/// The known name closest to `name` by edit distance, if it is within 2 edits (a typo).
fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = if ca == *cb {
                    prev
                } else {
                    1 + prev.min(cur).min(row[j])
                };
                prev = cur;
            }
        }
        row[b.len()]
    }
    known
        .iter()
        .map(|k| (distance(name, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The serialized form of a [`ConsentRecord`].
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordDoc {
    subject: String,
    purpose: String,
    state: ConsentState,
    at: String,
    policy_version: String,
    source: String,
}

#[cfg(feature = "serde")]
impl TryFrom<RecordDoc> for ConsentRecord {
    type Error = Error;

    fn try_from(d: RecordDoc) -> Result<Self> {
        let at: Timestamp = d.at.parse().map_err(|e: jiff::Error| {
            Error::invalid_argument(format_args!(
                "consent record time `{}` is not an RFC 3339 timestamp: {e}",
                d.at.escape_default()
            ))
        })?;
        Ok(Self::new(
            SubjectId::new(&d.subject)?,
            Purpose::new(&d.purpose)?,
            d.state,
            at,
            &d.policy_version,
            &d.source,
        ))
    }
}

#[cfg(feature = "serde")]
impl From<ConsentRecord> for RecordDoc {
    fn from(r: ConsentRecord) -> Self {
        Self {
            subject: r.subject.as_str().to_owned(),
            purpose: r.purpose.as_str().to_owned(),
            state: r.state,
            at: r.at.to_string(),
            policy_version: r.policy_version.into(),
            source: r.source.into(),
        }
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
        let mut l = ConsentLedger::new([Purpose::new("marketing").unwrap()]);
        let s = SubjectId::new("c-1").unwrap();
        l.record(rec(ConsentState::Withdrawn, "2026-03-01T00:00:00Z"))
            .unwrap();
        l.record(rec(ConsentState::Granted, "2025-01-01T00:00:00Z"))
            .unwrap();
        let may = |s: &SubjectId, at: &str| l.may_process(s, "marketing", ts(at)).unwrap();
        assert!(!may(&s, "2024-12-31T00:00:00Z"));
        assert!(may(&s, "2025-06-01T00:00:00Z"));
        assert!(!may(&s, "2026-03-01T00:00:00Z"));
        assert_eq!(
            l.withdrawn_at(&s, "marketing", ts("2026-04-01T00:00:00Z"))
                .unwrap(),
            Some(ts("2026-03-01T00:00:00Z"))
        );
        assert!(!may(
            &SubjectId::new("other").unwrap(),
            "2025-06-01T00:00:00Z"
        ));
        assert_eq!(l.len(), 2);
        assert_eq!(l.history(&s).count(), 2);
        assert_eq!(l.records().count(), 2);
        // Re-granting ends the withdrawal.
        l.record(rec(ConsentState::Granted, "2026-05-01T00:00:00Z"))
            .unwrap();
        assert_eq!(
            l.withdrawn_at(&s, "marketing", ts("2026-06-01T00:00:00Z"))
                .unwrap(),
            None
        );
        assert_eq!(
            l.state_at(&s, "marketing", ts("2026-06-01T00:00:00Z"))
                .unwrap()
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
        let mut l = ConsentLedger::for_schedule(&schedule);
        let s = SubjectId::new("c-1").unwrap();
        l.record(rec(ConsentState::Granted, "2025-01-01T00:00:00Z"))
            .unwrap();
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
        l.record(rec(ConsentState::Withdrawn, "2026-03-01T10:00:00Z"))
            .unwrap();
        let w = l.withdrawals(&schedule, &s, now);
        assert_eq!(w.len(), 1);
        let d = ev.evaluate(
            &Facts::new(class, purposes, ts("2025-01-01T00:00:00Z")).consent_withdrawn(&w),
        );
        assert_eq!(d.verdict(), Verdict::ActNow);
        assert_eq!(d.due(), Some(date(2026, 3, 31)));
    }

    /// A misspelled purpose used to return `false` ("no consent"); it is refused, named,
    /// and the closest known purpose suggested.
    #[test]
    fn fail_misspelled_purposes() {
        let mut l = ConsentLedger::new([
            Purpose::new("newsletter").unwrap(),
            Purpose::new("marketing").unwrap(),
        ]);
        let s = SubjectId::new("c-1").unwrap();
        let now = ts("2026-01-01T00:00:00Z");
        let e = l.may_process(&s, "newsleter", now).unwrap_err().to_string();
        assert!(
            e.contains("purpose `newsleter` is not one this consent ledger records")
                && e.contains("did you mean `newsletter`?"),
            "{e}"
        );
        let e = l.may_process(&s, "billing", now).unwrap_err().to_string();
        assert!(e.contains("(purposes: marketing, newsletter)"), "{e}");
        assert!(!e.contains("did you mean"), "{e}");
        assert!(l.state_at(&s, "newsleter", now).is_err());
        assert!(l.withdrawn_at(&s, "newsleter", now).is_err());
        let mut r = rec(ConsentState::Granted, "2025-01-01T00:00:00Z");
        r.purpose = Purpose::new("marketin").unwrap();
        let e = l.record(r).unwrap_err().to_string();
        assert!(e.contains("did you mean `marketing`?"), "{e}");
        assert!(l.is_empty());
        assert!(!l.may_process(&s, "newsletter", now).unwrap());
        let e = ConsentLedger::new([])
            .may_process(&s, "x", now)
            .unwrap_err()
            .to_string();
        assert!(e.contains("(purposes: none)"), "{e}");
    }

    #[test]
    fn consent_state_keywords() {
        for state in [ConsentState::Granted, ConsentState::Withdrawn] {
            assert_eq!(state.as_str().parse::<ConsentState>().unwrap(), state);
            assert_eq!(state.to_string(), state.as_str());
        }
        let e = "Granted".parse::<ConsentState>().unwrap_err().to_string();
        assert!(e.contains("`Granted` is neither"), "{e}");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn records_round_trip_through_serde() {
        let r = rec(ConsentState::Withdrawn, "2026-03-01T10:00:00Z");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"subject":"c-1","purpose":"marketing","state":"withdrawn","at":"2026-03-01T10:00:00Z","policy_version":"v3","source":"web"}"#
        );
        assert_eq!(serde_json::from_str::<ConsentRecord>(&json).unwrap(), r);
        assert_eq!(
            serde_json::to_string(&ConsentState::Granted).unwrap(),
            r#""granted""#
        );
        for (bad, needle) in [
            (json.replace("withdrawn", "revoked"), "unknown variant"),
            (
                json.replace("2026-03-01T10:00:00Z", "yesterday"),
                "RFC 3339",
            ),
            (json.replace(r#""c-1""#, r#""""#), "subject id"),
            (json.replace("marketing", "Marketing!"), "purpose"),
            (json.replace(r#","source":"web""#, ""), "source"),
        ] {
            let e = serde_json::from_str::<ConsentRecord>(&bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn fail_bad_subject_ids() {
        assert!(SubjectId::new("").is_err());
        assert!(SubjectId::new("a\nb").is_err());
        assert!(SubjectId::new(&"x".repeat(257)).is_err());
    }
}
