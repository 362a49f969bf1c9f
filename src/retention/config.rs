//! Serde configuration (feature `serde`): a schedule as a document of purposes, rules
//! and holds, every value a string parsed by the same code as the Rust API. TOML
//! parsing with line numbers is behind the `toml` feature.

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::policy::{HoldScope, LegalBasis, LegalHold, Purpose, Rule, Schedule, bare};
use crate::{Error, Result};

/// The only document version this build reads and writes.
const DOC_VERSION: u32 = 1;

/// An entry of the document: its array (`"rules"`) and index.
type Entry = (&'static str, usize);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleDoc {
    /// Required: a document without it is refused (it would otherwise be read as
    /// whatever this build's version is).
    #[serde(default)]
    version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time_zone: Option<String>,
    #[serde(default)]
    purposes: Vec<PurposeDoc>,
    #[serde(default)]
    rules: Vec<RuleDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    holds: Vec<HoldDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PurposeDoc {
    name: String,
    basis: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    id: String,
    categories: String,
    purpose: String,
    period: String,
    trigger: String,
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldDoc {
    id: String,
    /// Absent: the hold applies only to records that list it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    categories: Option<String>,
    reason: String,
    from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<String>,
}

fn parse_time_zone(name: &str) -> Result<TimeZone> {
    if name == "UTC" || name == "Z" {
        return Ok(TimeZone::UTC);
    }
    if let Some(offset) = parse_offset(name) {
        return Ok(TimeZone::fixed(offset));
    }
    TimeZone::get(name).map_err(|_| {
        Error::invalid_argument(format_args!(
            "time_zone `{}`: not UTC, not an offset like +02:00, and not in the time zone \
             database (enable privkit's `tzdb` feature for IANA names)",
            name.escape_default()
        ))
    })
}

fn parse_offset(s: &str) -> Option<Offset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

fn format_time_zone(tz: &TimeZone) -> Option<String> {
    if let Some(name) = tz.iana_name() {
        return Some(name.to_owned());
    }
    let secs = tz.to_fixed_offset().ok()?.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.unsigned_abs();
    Some(format!("{sign}{:02}:{:02}", secs / 3600, secs % 3600 / 60))
}

fn parse_date(field: &str, s: &str) -> Result<Date> {
    s.parse().map_err(|e: jiff::Error| {
        Error::invalid_argument(format_args!(
            "{field} `{}` is not a date like 2026-01-31: {e}",
            s.escape_default()
        ))
    })
}

impl ScheduleDoc {
    fn into_schedule(self) -> Result<Schedule> {
        self.into_located().map_err(|(_, e)| e)
    }

    /// Like `into_schedule`, but an error in one entry also says which entry
    /// (`("rules", 2)`), so the TOML reader can turn it into a line number.
    fn into_located(self) -> Result<Schedule, (Option<Entry>, Error)> {
        match self.version {
            Some(DOC_VERSION) => {}
            Some(v) => {
                return Err((
                    None,
                    Error::invalid_argument(format_args!(
                        "schedule version {v} is not supported (this build reads version \
                         {DOC_VERSION})"
                    )),
                ));
            }
            None => {
                return Err((
                    None,
                    Error::invalid_argument(format_args!(
                        "schedule document has no `version`: add `version = {DOC_VERSION}` \
                         (the document version this build reads)"
                    )),
                ));
            }
        }
        let mut b = Schedule::builder();
        if let Some(tz) = &self.time_zone {
            b = b.time_zone(parse_time_zone(tz).map_err(|e| (None, e))?);
        }
        for (i, p) in self.purposes.iter().enumerate() {
            let at = |e: Error| {
                let message = format!("purposes[{i}]: {}", bare(&e));
                (Some(("purposes", i)), Error::InvalidArgument(message))
            };
            let name = Purpose::new(&p.name).map_err(at)?;
            let basis: LegalBasis = p.basis.parse().map_err(at)?;
            b = b.purpose_described(name, basis, p.description.as_deref());
        }
        for (i, r) in self.rules.iter().enumerate() {
            let mut rule = Rule::new(
                &r.id,
                &r.categories,
                &r.purpose,
                &r.period,
                &r.trigger,
                &r.action,
            )
            .map_err(|e| {
                let message = format!("rules[{i}]: {}", bare(&e));
                (Some(("rules", i)), Error::InvalidArgument(message))
            })?;
            if let Some(reference) = &r.reference {
                rule = rule.with_reference(reference);
            }
            b = b.rule(rule);
        }
        for (i, h) in self.holds.iter().enumerate() {
            let at = |e: Error| {
                let message = format!("holds[{i}] (`{}`): {}", h.id.escape_default(), bare(&e));
                (Some(("holds", i)), Error::InvalidArgument(message))
            };
            let scope = match &h.categories {
                Some(sel) => HoldScope::Categories(sel.parse().map_err(at)?),
                None => HoldScope::Listed,
            };
            let from = parse_date("from", &h.from).map_err(at)?;
            let until = match &h.until {
                Some(u) => Some(parse_date("until", u).map_err(at)?),
                None => None,
            };
            b = b.hold(LegalHold::new(&h.id, scope, &h.reason, from, until).map_err(at)?);
        }
        b.build().map_err(|e| (None, e))
    }

    fn from_schedule(s: &Schedule) -> Self {
        Self {
            version: Some(DOC_VERSION),
            time_zone: format_time_zone(&s.time_zone),
            purposes: s
                .purposes
                .iter()
                .map(|p| PurposeDoc {
                    name: p.name.to_string(),
                    basis: p.basis.to_string(),
                    description: p.description.as_deref().map(str::to_owned),
                })
                .collect(),
            rules: s
                .rules
                .iter()
                .map(|r| RuleDoc {
                    id: r.id().to_owned(),
                    categories: r.selector().to_string(),
                    purpose: r
                        .purpose()
                        .map_or_else(|| "*".to_owned(), ToString::to_string),
                    period: r.period().to_string(),
                    trigger: r.trigger().to_string(),
                    action: r.action().to_string(),
                    reference: r.reference().map(str::to_owned),
                })
                .collect(),
            holds: s
                .holds
                .iter()
                .map(|h| HoldDoc {
                    id: h.id().to_owned(),
                    categories: match h.scope() {
                        HoldScope::Categories(sel) => Some(sel.to_string()),
                        HoldScope::Listed => None,
                    },
                    reason: h.reason().to_owned(),
                    from: h.from().to_string(),
                    until: h.until().map(|d| d.to_string()),
                })
                .collect(),
        }
    }
}

impl Serialize for Schedule {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        ScheduleDoc::from_schedule(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Schedule {
    /// Deserializes and validates; validation errors name the offending entry
    /// (`rules[2]: rule `x`: …`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        ScheduleDoc::deserialize(deserializer)?
            .into_schedule()
            .map_err(|e| serde::de::Error::custom(bare(&e)))
    }
}

#[cfg(feature = "toml")]
impl Schedule {
    /// Parses and validates a schedule written in TOML (see `examples/data/retention.toml`).
    ///
    /// # Errors
    /// - [`Error::Parse`] with the line for TOML syntax errors and unknown or missing
    ///   fields, and for a value that does not validate in an entry written as a
    ///   `[[rules]]` / `[[purposes]]` / `[[holds]]` table: the line is the entry's header
    ///   and the message names it (`rules[2]: rule `x`: period `P7X`: …`);
    /// - [`Error::InvalidArgument`] for schedule-level problems, which name every rule
    ///   involved (see [`ScheduleBuilder::build`](super::ScheduleBuilder::build)).
    pub fn from_toml(text: &str) -> Result<Self> {
        let doc: ScheduleDoc = toml::from_str(text).map_err(|e| Error::Parse {
            line: e.span().map_or(0, |span| line_of(text, span.start)),
            message: e.message().to_owned(),
        })?;
        doc.into_located().map_err(|(entry, e)| {
            match (entry.and_then(|(array, i)| header_line(text, array, i)), e) {
                (Some(line), Error::InvalidArgument(message)) => Error::Parse { line, message },
                (_, e) => e,
            }
        })
    }
}

/// The line of the `i`-th `[[array]]` header, when entries are written as tables.
#[cfg(feature = "toml")]
fn header_line(text: &str, array: &str, i: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            l.strip_prefix("[[")
                .and_then(|rest| rest.strip_prefix(array))
                .is_some_and(|rest| rest.starts_with("]]"))
        })
        .nth(i)
        .map(|(n, _)| n + 1)
}

/// One-based line number of byte `offset` in `text`.
#[cfg(feature = "toml")]
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const JSON: &str = r#"{
        "version": 1,
        "time_zone": "+01:00",
        "purposes": [
            {"name": "billing", "basis": "legal_obligation"},
            {"name": "marketing", "basis": "consent", "description": "newsletter"}
        ],
        "rules": [
            {"id": "invoices", "categories": "user.billing", "purpose": "billing",
             "period": "10 years", "trigger": "contract_end", "action": "delete",
             "reference": "HGB §257"},
            {"id": "newsletter", "categories": "user.contact", "purpose": "marketing",
             "period": "P0D", "trigger": "consent_withdrawn", "action": "delete"}
        ],
        "holds": [
            {"id": "audit", "categories": "user.billing", "reason": "tax audit",
             "from": "2026-01-01", "until": "2026-12-31"},
            {"id": "case-1", "reason": "litigation", "from": "2026-02-01"}
        ]
    }"#;

    #[test]
    fn json_round_trip() {
        let s: Schedule = serde_json::from_str(JSON).unwrap();
        assert_eq!(s.rules().len(), 2);
        assert_eq!(s.rules()[0].period().to_string(), "P10Y");
        assert_eq!(s.holds()[1].scope(), &HoldScope::Listed);
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains(r#""time_zone":"+01:00""#), "{text}");
        let again: Schedule = serde_json::from_str(&text).unwrap();
        assert_eq!(again.rules(), s.rules());
        assert_eq!(again.holds(), s.holds());
        assert_eq!(
            again.purposes().collect::<Vec<_>>(),
            s.purposes().collect::<Vec<_>>()
        );
    }

    #[test]
    fn fail_json_errors_point_at_the_rule() {
        let bad = JSON.replace("\"10 years\"", "\"ten years\"");
        let e = serde_json::from_str::<Schedule>(&bad)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("rules[0]: rule `invoices`: period `ten years`"),
            "{e}"
        );
        let mut doc: serde_json::Value = serde_json::from_str(JSON).unwrap();
        doc["rules"][1]["categories"] = "user.billing".into();
        doc["rules"][1]["purpose"] = "billing".into();
        doc["rules"][1]["trigger"] = "contract_end".into();
        let e = serde_json::from_value::<Schedule>(doc)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("rule `invoices` (rules[0]) and rule `newsletter` (rules[1]) contradict"),
            "{e}"
        );
        let bad = JSON.replace("\"from\": \"2026-02-01\"", "\"from\": \"Feb 1\"");
        let e = serde_json::from_str::<Schedule>(&bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds[1] (`case-1`): from `Feb 1`"), "{e}");
        let bad = JSON.replace("\"time_zone\"", "\"timezone\"");
        assert!(serde_json::from_str::<Schedule>(&bad).is_err());
        let bad = JSON.replace("\"+01:00\"", "\"Mars/Olympus\"");
        let e = serde_json::from_str::<Schedule>(&bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("time_zone `Mars/Olympus`"), "{e}");
    }

    /// A document without `version`, and one without rules, used to be accepted.
    #[test]
    fn fail_missing_version_and_empty_schedules() {
        let e = serde_json::from_str::<Schedule>(&JSON.replace(r#""version": 1,"#, ""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `version`"), "{e}");
        let e =
            serde_json::from_str::<Schedule>(&JSON.replace(r#""version": 1"#, r#""version": 2"#))
                .unwrap_err()
                .to_string();
        assert!(e.contains("version 2 is not supported"), "{e}");
        for empty in [
            r#"{"version": 1}"#,
            r#"{"version": 1, "purposes": [], "rules": []}"#,
        ] {
            let e = serde_json::from_str::<Schedule>(empty)
                .unwrap_err()
                .to_string();
            assert!(e.contains("it has no rules"), "{e}");
        }
        let e = serde_json::from_str::<Schedule>("{}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `version`"), "{e}");
        let e = Schedule::builder().build().unwrap_err().to_string();
        assert!(e.contains("it has no rules"), "{e}");
    }

    #[cfg(feature = "tzdb")]
    #[test]
    fn iana_zones_with_tzdb() {
        let text = JSON.replace("\"+01:00\"", "\"Europe/Berlin\"");
        let s: Schedule = serde_json::from_str(&text).unwrap();
        assert_eq!(s.time_zone().iana_name(), Some("Europe/Berlin"));
        assert!(serde_json::to_string(&s).unwrap().contains("Europe/Berlin"));
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+02:00").unwrap().seconds(), 7200);
        assert_eq!(parse_offset("-05:30").unwrap().seconds(), -19800);
        assert!(parse_offset("+2").is_none());
        assert!(parse_offset("+24:00").is_none());
        assert!(parse_offset("02:00").is_none());
    }

    #[cfg(feature = "toml")]
    #[test]
    fn toml_parses_and_fail_reports_lines() {
        let text = r#"
version = 1
time_zone = "UTC"

[[purposes]]
name = "billing"
basis = "legal_obligation"

[[rules]]
id = "invoices"
categories = "user.billing"
purpose = "billing"
period = "P10Y"
trigger = "contract_end"
action = "delete"
"#;
        let s = Schedule::from_toml(text).unwrap();
        assert_eq!(s.rules()[0].id(), "invoices");
        let bad = text.replace("action = \"delete\"", "action = \"delete\"\nkeep = true");
        match Schedule::from_toml(&bad) {
            Err(Error::Parse { line, message }) => {
                assert_eq!(line, 16, "{message}");
                assert!(message.contains("keep"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let bad = text.replace("P10Y", "P10X");
        match Schedule::from_toml(&bad) {
            // Line 9 is the rule's `[[rules]]` header.
            Err(Error::Parse { line: 9, message }) => {
                assert!(
                    message.contains("rules[0]: rule `invoices`: period `P10X`"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            header_line("[[a]]\n [[ rules ]] # x\n[[rules]]", "rules", 1),
            Some(3)
        );
        assert_eq!(header_line("rules = []", "rules", 0), None);
    }
}
