//! Subject requests: kinds, the law they are made under, deadlines on the calendar,
//! status, identity verification and receipts in the audit log.

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::map::IdentityKind;
use crate::audit::{ApplicationEvent, Auditor, EventKind, SubjectRef};
use crate::retention::{Purpose, SubjectId};
use crate::{Error, Result};

/// The law a request is made under, which sets its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Regime {
    /// GDPR Art. 12(3): one month from receipt, extendable by two further months.
    Gdpr,
    /// CCPA 1798.130(a)(2): 45 days from receipt, extendable once by 45 days.
    Ccpa,
}

impl Regime {
    /// The keyword (`gdpr`, `ccpa`).
    #[must_use]
    pub const fn keyword(self) -> &'static str {
        match self {
            Regime::Gdpr => "gdpr",
            Regime::Ccpa => "ccpa",
        }
    }

    fn period(self) -> Span {
        match self {
            Regime::Gdpr => Span::new().months(1),
            Regime::Ccpa => Span::new().days(45),
        }
    }

    fn extension(self) -> Span {
        match self {
            Regime::Gdpr => Span::new().months(2),
            Regime::Ccpa => Span::new().days(45),
        }
    }

    /// The last day to answer a request received on `received`: GDPR one calendar
    /// month later (a month end clamps: 31 January gives 28 or 29 February), CCPA 45
    /// calendar days later.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a date at the end of jiff's range.
    pub fn deadline(self, received: Date) -> Result<Date> {
        received
            .checked_add(self.period())
            .map_err(|e| Error::InvalidArgument(format!("deadline after {received}: {e}")))
    }

    /// The deadline once extended (GDPR: two further months, counted from the first
    /// deadline; CCPA: 45 further days).
    ///
    /// # Errors
    /// As [`deadline`](Self::deadline).
    pub fn extended_deadline(self, received: Date) -> Result<Date> {
        self.deadline(received)?
            .checked_add(self.extension())
            .map_err(|e| Error::InvalidArgument(format!("deadline after {received}: {e}")))
    }
}

/// What the subject asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// A copy of their data (GDPR Art. 15, CCPA 1798.110).
    Access,
    /// Their provided data in a machine-readable format (GDPR Art. 20).
    Portability,
    /// Correct values (GDPR Art. 16, CCPA 1798.106): `(table, column, new value)`.
    Rectification(Vec<(String, String, String)>),
    /// Erase their data (GDPR Art. 17, CCPA 1798.105).
    Erasure,
    /// Restrict processing to storage (GDPR Art. 18).
    Restriction,
    /// Object to processing for a purpose (GDPR Art. 21).
    Objection(Purpose),
    /// Opt out of the sale and sharing of their data (CCPA 1798.120), from a form or a
    /// Global Privacy Control signal.
    OptOutOfSale {
        /// Whether the request came as a GPC signal (`Sec-GPC: 1`).
        gpc: bool,
    },
}

impl RequestKind {
    /// The keyword (`access`, `opt_out_of_sale`).
    #[must_use]
    pub fn keyword(&self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Portability => "portability",
            RequestKind::Rectification(_) => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Objection(_) => "objection",
            RequestKind::OptOutOfSale { .. } => "opt_out_of_sale",
        }
    }
}

/// The Global Privacy Control signal of an HTTP request (the `Sec-GPC` header,
/// <https://privacycg.github.io/gpc-spec/>): the value `1` is a valid opt-out of sale and
/// sharing under CCPA regulations §7025.
///
/// # Errors
/// [`Error::InvalidArgument`] for a header value other than `1` (the spec defines no
/// other; an absent header is simply no request).
pub fn gpc_signal(header_value: &str) -> Result<RequestKind> {
    if header_value.trim() == "1" {
        Ok(RequestKind::OptOutOfSale { gpc: true })
    } else {
        Err(Error::InvalidArgument(format!(
            "Sec-GPC header `{}`: the only valid value is 1",
            header_value.escape_default()
        )))
    }
}

/// Where a request stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Received, identity not yet verified.
    Received,
    /// The requester's identity is verified; the request can be executed.
    Verified,
    /// Answered.
    Completed,
    /// Refused, with the reason given to the requester.
    Refused(String),
}

impl Status {
    fn keyword(&self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Verified => "verified",
            Status::Completed => "completed",
            Status::Refused(_) => "refused",
        }
    }
}

/// The identities a requester gives, by kind (`email`, `phone`, `customer_id`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Identities(Vec<(IdentityKind, String)>);

impl fmt::Debug for Identities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Identities are personal data: kinds only.
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Identities {
    /// No identities.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an identity of `kind`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an ill-formed kind or an empty value.
    pub fn with(mut self, kind: &str, value: &str) -> Result<Self> {
        if value.trim().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "identity `{kind}`: empty value"
            )));
        }
        self.0.push((IdentityKind::new(kind)?, value.to_owned()));
        Ok(self)
    }

    /// The identities.
    pub fn iter(&self) -> impl Iterator<Item = (&IdentityKind, &str)> {
        self.0.iter().map(|(k, v)| (k, v.as_str()))
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The service's identity verification (GDPR Art. 12(6), CCPA regulations §7060):
/// decide whether the requester is the subject and which subject id they are. privkit
/// does not verify identities itself; it refuses to execute unverified requests.
pub trait IdentityVerifier {
    /// The subject the requester proved to be, or an error saying why not.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`] (or any error) when the requester is not verified.
    fn verify(&self, request: &Request) -> Result<SubjectId>;
}

/// A log entry that proves a step of a request: what was recorded and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The request's id.
    pub request: String,
    /// The step (`received`, `verified`, `extended`, `completed`, `refused`).
    pub step: &'static str,
    /// When.
    pub at: Timestamp,
    /// The log index, if the sink is a log.
    pub log_index: Option<u64>,
}

/// One subject request: kind, law, identities, status, deadline and its receipts.
#[derive(Clone, Debug)]
pub struct Request {
    id: String,
    kind: RequestKind,
    regime: Regime,
    identities: Identities,
    received: Timestamp,
    received_day: Date,
    time_zone: TimeZone,
    deadline: Date,
    extension: Option<String>,
    status: Status,
    subject: Option<SubjectId>,
    receipts: Vec<Receipt>,
}

impl Request {
    /// Records receipt of a request (its receipt is the first in
    /// [`receipts`](Self::receipts)); the deadline runs from `received` as a day in
    /// `time_zone` (the controller's, usually the retention schedule's).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty id or no identities; the sink's (the
    /// request is then not created).
    pub fn receive(
        id: &str,
        kind: RequestKind,
        regime: Regime,
        identities: Identities,
        received: Timestamp,
        time_zone: &TimeZone,
        auditor: &Auditor,
    ) -> Result<Self> {
        if id.trim().is_empty() || id.len() > 128 {
            return Err(Error::InvalidArgument(
                "request id: 1 to 128 bytes required".into(),
            ));
        }
        if identities.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "request `{id}`: at least one identity is required"
            )));
        }
        let received_day = time_zone.to_datetime(received).date();
        let mut request = Self {
            id: id.to_owned(),
            deadline: regime.deadline(received_day)?,
            kind,
            regime,
            identities,
            received,
            received_day,
            time_zone: time_zone.clone(),
            extension: None,
            status: Status::Received,
            subject: None,
            receipts: Vec::new(),
        };
        request.log(auditor, "received", received, Vec::new())?;
        Ok(request)
    }

    fn log(
        &mut self,
        auditor: &Auditor,
        step: &'static str,
        at: Timestamp,
        extra: Vec<(String, String)>,
    ) -> Result<()> {
        let mut attributes = vec![
            ("request".to_owned(), self.id.clone()),
            ("kind".to_owned(), self.kind.keyword().to_owned()),
            ("regime".to_owned(), self.regime.keyword().to_owned()),
            ("deadline".to_owned(), self.deadline.to_string()),
        ];
        attributes.extend(extra);
        let subject: Option<SubjectRef> =
            self.subject.as_ref().map(|s| auditor.subject(s.as_str()));
        let log_index = auditor.record_at(
            at,
            EventKind::Application(ApplicationEvent {
                name: format!("rights.request.{step}"),
                subject,
                attributes,
            }),
        )?;
        self.receipts.push(Receipt {
            request: self.id.clone(),
            step,
            at,
            log_index,
        });
        Ok(())
    }

    /// Verifies the requester through the service's `verifier`; on success the
    /// request is [`Status::Verified`] for that subject.
    ///
    /// # Errors
    /// The verifier's refusal (the request stays received; the refusal is logged);
    /// [`Error::InvalidOperation`] unless the request is received; the sink's.
    pub fn verify(
        &mut self,
        verifier: &dyn IdentityVerifier,
        auditor: &Auditor,
    ) -> Result<&SubjectId> {
        if self.status != Status::Received {
            return Err(Error::InvalidOperation(format!(
                "request `{}` is {}, not received",
                self.id,
                self.status.keyword()
            )));
        }
        match verifier.verify(self) {
            Ok(subject) => {
                self.subject = Some(subject);
                self.status = Status::Verified;
                self.log(auditor, "verified", auditor.now(), Vec::new())?;
                self.subject
                    .as_ref()
                    .ok_or_else(|| Error::InvalidOperation("subject lost".into()))
            }
            Err(e) => {
                self.log(
                    auditor,
                    "verification_failed",
                    auditor.now(),
                    vec![("reason".to_owned(), e.to_string())],
                )?;
                Err(e)
            }
        }
    }

    /// Extends the deadline once, with the reason the requester is told (GDPR
    /// Art. 12(3): complexity and number of requests; CCPA: reasonably necessary).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for a second extension, a finished request, or an
    /// extension after the deadline passed; [`Error::InvalidArgument`] for an empty
    /// reason; the sink's.
    pub fn extend(&mut self, reason: &str, auditor: &Auditor) -> Result<Date> {
        if self.extension.is_some() {
            return Err(Error::InvalidOperation(format!(
                "request `{}`: the deadline can be extended once",
                self.id
            )));
        }
        if matches!(self.status, Status::Completed | Status::Refused(_)) {
            return Err(Error::InvalidOperation(format!(
                "request `{}` is already {}",
                self.id,
                self.status.keyword()
            )));
        }
        if reason.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "extension: a reason is required".into(),
            ));
        }
        let now = auditor.now();
        let today = self.day(now);
        if today > self.deadline {
            return Err(Error::InvalidOperation(format!(
                "request `{}`: the deadline {} has passed; it can no longer be extended",
                self.id, self.deadline
            )));
        }
        self.deadline = self.regime.extended_deadline(self.received_day)?;
        self.extension = Some(reason.to_owned());
        self.log(
            auditor,
            "extended",
            now,
            vec![("reason".to_owned(), reason.to_owned())],
        )?;
        Ok(self.deadline)
    }

    fn day(&self, at: Timestamp) -> Date {
        self.time_zone.to_datetime(at).date()
    }

    /// Marks the request answered, with a summary for the log (counts, never data).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] unless it is verified; the sink's.
    pub fn complete(&mut self, summary: &[(&str, String)], auditor: &Auditor) -> Result<&Receipt> {
        if self.status != Status::Verified {
            return Err(Error::InvalidOperation(format!(
                "request `{}` is {}, not verified",
                self.id,
                self.status.keyword()
            )));
        }
        let now = auditor.now();
        let late = self.day(now) > self.deadline;
        let mut extra: Vec<(String, String)> = summary
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        extra.push(("late".to_owned(), late.to_string()));
        self.status = Status::Completed;
        self.log(auditor, "completed", now, extra)?;
        self.receipts
            .last()
            .ok_or_else(|| Error::InvalidOperation("receipt lost".into()))
    }

    /// Refuses the request with the reason given to the requester (GDPR Art. 12(4)).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for a finished request; the sink's.
    pub fn refuse(&mut self, reason: &str, auditor: &Auditor) -> Result<()> {
        if matches!(self.status, Status::Completed | Status::Refused(_)) {
            return Err(Error::InvalidOperation(format!(
                "request `{}` is already {}",
                self.id,
                self.status.keyword()
            )));
        }
        self.status = Status::Refused(reason.to_owned());
        self.log(
            auditor,
            "refused",
            auditor.now(),
            vec![("reason".to_owned(), reason.to_owned())],
        )
    }

    /// Its id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
    /// What is asked.
    #[must_use]
    pub fn kind(&self) -> &RequestKind {
        &self.kind
    }
    /// Under which law.
    #[must_use]
    pub fn regime(&self) -> Regime {
        self.regime
    }
    /// The identities given.
    #[must_use]
    pub fn identities(&self) -> &Identities {
        &self.identities
    }
    /// When it was received.
    #[must_use]
    pub fn received(&self) -> Timestamp {
        self.received
    }
    /// The last day to answer.
    #[must_use]
    pub fn deadline(&self) -> Date {
        self.deadline
    }
    /// The extension's reason, if extended.
    #[must_use]
    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }
    /// Where it stands.
    #[must_use]
    pub fn status(&self) -> &Status {
        &self.status
    }
    /// The verified subject.
    #[must_use]
    pub fn subject(&self) -> Option<&SubjectId> {
        self.subject.as_ref()
    }
    /// The receipts, in order.
    #[must_use]
    pub fn receipts(&self) -> &[Receipt] {
        &self.receipts
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::civil::date;

    #[test]
    fn deadlines_on_the_calendar() {
        let g = Regime::Gdpr;
        assert_eq!(g.deadline(date(2026, 1, 31)).unwrap(), date(2026, 2, 28));
        assert_eq!(g.deadline(date(2028, 1, 31)).unwrap(), date(2028, 2, 29));
        assert_eq!(g.deadline(date(2026, 3, 15)).unwrap(), date(2026, 4, 15));
        assert_eq!(
            g.extended_deadline(date(2026, 3, 15)).unwrap(),
            date(2026, 6, 15)
        );
        let c = Regime::Ccpa;
        assert_eq!(c.deadline(date(2026, 1, 1)).unwrap(), date(2026, 2, 15));
        assert_eq!(
            c.extended_deadline(date(2026, 1, 1)).unwrap(),
            date(2026, 4, 1)
        );
    }

    #[test]
    fn fail_gpc_values() {
        assert_eq!(
            gpc_signal("1").unwrap(),
            RequestKind::OptOutOfSale { gpc: true }
        );
        assert!(gpc_signal("0").is_err());
        assert!(gpc_signal("yes").is_err());
    }
}
