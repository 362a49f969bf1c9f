//! Breach notification: the incident record of GDPR Art. 33 with its deadline, and the
//! report for the supervisory authority (Markdown and JSON).

use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};

use super::event::{KeyRef, SubjectRef};
use super::query::Scope;
use crate::{Error, Result};

/// The notification period of GDPR Art. 33(1): 72 hours from becoming aware.
pub const ART33_DEADLINE: SignedDuration = SignedDuration::from_hours(72);

/// Whether data subjects must be told (Art. 34).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum SubjectNotice {
    /// The breach likely results in a high risk to their rights and freedoms (Art.
    /// 34(1)): tell each listed subject without undue delay.
    Required,
    /// Not required, for the reason given (Art. 34(3): the data was unintelligible to
    /// the attacker, measures removed the high risk, or it would take disproportionate
    /// effort and a public communication is made instead).
    NotRequired(String),
}

/// A personal-data breach as GDPR Art. 33 and 34 want it described.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Incident {
    /// The incident's id.
    pub id: String,
    /// Art. 33(3)(a): the nature of the breach.
    pub nature: String,
    /// When the controller became aware (starts the 72 hours).
    pub aware_at: Timestamp,
    /// When the breach began and ended, as far as known.
    pub period: Option<(Timestamp, Option<Timestamp>)>,
    /// Compromised keys.
    pub keys: Vec<KeyRef>,
    /// Art. 33(3)(a): categories of personal data concerned.
    pub categories: Vec<String>,
    /// Art. 33(3)(a): approximate number of data subjects concerned.
    pub approx_subjects: u64,
    /// Art. 33(3)(a): approximate number of personal-data records concerned.
    pub approx_records: u64,
    /// Art. 33(3)(b): the contact point (DPO).
    pub contact: Option<String>,
    /// Art. 33(3)(c): likely consequences.
    pub consequences: Vec<String>,
    /// Art. 33(3)(d): measures taken or proposed.
    pub measures: Vec<String>,
    /// Art. 34: subjects to notify (pseudonyms; map them back with
    /// [`SubjectPseudonymizer::find`](super::SubjectPseudonymizer::find)).
    pub subjects: Vec<SubjectRef>,
    /// Art. 34: whether subjects must be notified.
    pub notice: SubjectNotice,
    /// The signed log checkpoint the scope was computed at: evidence that the log the
    /// figures come from was not altered afterwards.
    pub checkpoint: Option<String>,
}

impl Incident {
    /// An incident of this nature, of which the controller became aware at `aware_at`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty id or nature.
    pub fn new(id: &str, nature: &str, aware_at: Timestamp) -> Result<Self> {
        if id.trim().is_empty() || nature.trim().is_empty() {
            return Err(Error::invalid_argument(
                "an incident needs an id and a description of its nature",
            ));
        }
        Ok(Self {
            id: id.to_owned(),
            nature: nature.to_owned(),
            aware_at,
            period: None,
            keys: Vec::new(),
            categories: Vec::new(),
            approx_subjects: 0,
            approx_records: 0,
            contact: None,
            consequences: Vec::new(),
            measures: Vec::new(),
            subjects: Vec::new(),
            notice: SubjectNotice::Required,
            checkpoint: None,
        })
    }

    /// The latest time to notify the supervisory authority: 72 hours after awareness
    /// (Art. 33(1); a later notification must give the reasons for the delay).
    #[must_use]
    pub fn deadline(&self) -> Timestamp {
        self.aware_at
            .saturating_add(ART33_DEADLINE)
            .unwrap_or(Timestamp::MAX)
    }

    /// Time left to the deadline at `now` (negative once it has passed).
    #[must_use]
    pub fn time_left(&self, now: Timestamp) -> SignedDuration {
        self.deadline().duration_since(now)
    }

    /// Fills the scope from the events a query found: period, keys, categories,
    /// subjects and approximate counts (subjects: distinct pseudonyms; records:
    /// distinct ciphertext references, or the number of encryptions where uses were
    /// only counted, an upper bound).
    pub fn with_scope(mut self, scope: &Scope) -> Self {
        if let Some(first) = scope.first {
            self.period = Some((first, scope.last));
        }
        for k in &scope.keys {
            if !self.keys.contains(k) {
                self.keys.push(k.clone());
            }
        }
        self.categories = scope.categories.iter().cloned().collect();
        self.subjects = scope.subjects.iter().copied().collect();
        self.approx_subjects = self.subjects.len() as u64;
        self.approx_records = if scope.ciphertexts.is_empty() {
            scope.encryptions
        } else {
            scope.ciphertexts.len() as u64
        };
        self
    }

    /// The report for the supervisory authority, in Markdown, as of `now`.
    #[must_use]
    pub fn to_markdown(&self, now: Timestamp) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Personal data breach {}\n", md(&self.id));
        let left = self.time_left(now);
        let _ = writeln!(s, "- Aware since: {}", self.aware_at);
        let _ = writeln!(
            s,
            "- Notify the supervisory authority by: {} (GDPR Art. 33(1), 72 hours){}",
            self.deadline(),
            if left.is_negative() {
                format!(
                    " - **overdue by {}h**: state the reasons for the delay",
                    left.as_hours().abs()
                )
            } else {
                format!(" - {}h left", left.as_hours())
            }
        );
        if let Some((from, until)) = self.period {
            let until = until.map_or_else(|| "ongoing".to_owned(), |u| u.to_string());
            let _ = writeln!(s, "- Period: {from} to {until}");
        }
        let _ = writeln!(
            s,
            "\n## Nature of the breach (Art. 33(3)(a))\n\n{}\n",
            md(&self.nature)
        );
        let _ = writeln!(
            s,
            "- Compromised keys: {}",
            list(self.keys.iter().map(ToString::to_string))
        );
        let _ = writeln!(
            s,
            "- Categories of personal data: {}",
            list(self.categories.iter().cloned())
        );
        let _ = writeln!(
            s,
            "- Data subjects concerned (approx.): {}",
            self.approx_subjects
        );
        let _ = writeln!(s, "- Records concerned (approx.): {}", self.approx_records);
        let _ = writeln!(
            s,
            "\n## Contact point (Art. 33(3)(b))\n\n{}",
            self.contact.as_deref().map_or("(not given)".to_owned(), md)
        );
        let _ = writeln!(s, "\n## Likely consequences (Art. 33(3)(c))\n");
        bullets(&mut s, &self.consequences);
        let _ = writeln!(s, "\n## Measures taken or proposed (Art. 33(3)(d))\n");
        bullets(&mut s, &self.measures);
        let _ = writeln!(s, "\n## Communication to data subjects (Art. 34)\n");
        match &self.notice {
            SubjectNotice::Required => {
                let _ = writeln!(
                    s,
                    "Required: {} subjects to notify (pseudonyms below; resolve them with the \
                     subject pseudonym key).\n",
                    self.subjects.len()
                );
                for subject in &self.subjects {
                    let _ = writeln!(s, "- `{subject}`");
                }
            }
            SubjectNotice::NotRequired(why) => {
                let _ = writeln!(s, "Not required: {}", md(why));
            }
        }
        if let Some(cp) = &self.checkpoint {
            let _ = writeln!(
                s,
                "\n## Evidence\n\nAudit log checkpoint (signed):\n\n```\n{cp}```"
            );
        }
        s
    }

    /// The report as a JSON object (no dependency on serde).
    #[must_use]
    pub fn to_json(&self) -> String {
        let strings = |v: &mut dyn Iterator<Item = String>| {
            let items: Vec<String> = v.map(|x| json_str(&x)).collect();
            format!("[{}]", items.join(","))
        };
        let mut s = String::from("{");
        let _ = write!(s, "\"id\":{},", json_str(&self.id));
        let _ = write!(s, "\"nature\":{},", json_str(&self.nature));
        let _ = write!(s, "\"aware_at\":{},", json_str(&self.aware_at.to_string()));
        let _ = write!(
            s,
            "\"deadline\":{},",
            json_str(&self.deadline().to_string())
        );
        match self.period {
            Some((a, b)) => {
                let _ = write!(
                    s,
                    "\"period\":{{\"from\":{},\"until\":{}}},",
                    json_str(&a.to_string()),
                    b.map_or_else(|| "null".to_owned(), |b| json_str(&b.to_string()))
                );
            }
            None => s.push_str("\"period\":null,"),
        }
        let _ = write!(
            s,
            "\"keys\":{},",
            strings(&mut self.keys.iter().map(ToString::to_string))
        );
        let _ = write!(
            s,
            "\"categories\":{},",
            strings(&mut self.categories.iter().cloned())
        );
        let _ = write!(s, "\"approx_subjects\":{},", self.approx_subjects);
        let _ = write!(s, "\"approx_records\":{},", self.approx_records);
        let _ = write!(
            s,
            "\"contact\":{},",
            self.contact
                .as_deref()
                .map_or_else(|| "null".to_owned(), json_str)
        );
        let _ = write!(
            s,
            "\"consequences\":{},",
            strings(&mut self.consequences.iter().cloned())
        );
        let _ = write!(
            s,
            "\"measures\":{},",
            strings(&mut self.measures.iter().cloned())
        );
        let _ = write!(
            s,
            "\"subjects\":{},",
            strings(&mut self.subjects.iter().map(ToString::to_string))
        );
        match &self.notice {
            SubjectNotice::Required => s.push_str("\"subject_notice\":{\"required\":true},"),
            SubjectNotice::NotRequired(why) => {
                let _ = write!(
                    s,
                    "\"subject_notice\":{{\"required\":false,\"reason\":{}}},",
                    json_str(why)
                );
            }
        }
        let _ = write!(
            s,
            "\"checkpoint\":{}",
            self.checkpoint
                .as_deref()
                .map_or_else(|| "null".to_owned(), json_str)
        );
        s.push('}');
        s
    }
}

fn md(s: &str) -> String {
    // Keep caller text from opening Markdown structure (headings, HTML).
    s.replace('<', "&lt;").replace('\n', " ")
}

fn list(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.map(|i| md(&i)).collect();
    if v.is_empty() {
        "(none found)".into()
    } else {
        v.join(", ")
    }
}

fn bullets(s: &mut String, items: &[String]) {
    if items.is_empty() {
        s.push_str("(not given)\n");
    }
    for i in items {
        let _ = writeln!(s, "- {}", md(i));
    }
}

/// A JSON string literal.
pub(crate) fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", u32::from(c));
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
