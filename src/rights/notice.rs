//! Transparency rendered from the data map and its retention schedule: the privacy
//! notice (Markdown, HTML), the Records of Processing Activities (CSV, JSON), the CCPA
//! disclosure, and the access package as JSON.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::execute::AccessPackage;
use super::map::{DataMap, RecipientRole, TransferBasis};
use super::source::Value;
use super::taxonomy::{FIDESLANG_ATTRIBUTION, LabelKind};
use crate::anon::text;
use crate::retention::{Category, LegalBasis, Rule, Selector};
use base64ct::Encoding as _;

/// A block of a rendered document.
enum Block {
    Heading(u8, String),
    Para(String),
    List(Vec<String>),
}

fn basis_words(b: LegalBasis) -> &'static str {
    match b {
        LegalBasis::Consent => "your consent",
        LegalBasis::Contract => "our contract with you",
        LegalBasis::LegalObligation => "a legal obligation",
        LegalBasis::VitalInterests => "vital interests",
        LegalBasis::PublicTask => "a task in the public interest",
        LegalBasis::LegitimateInterests => "our legitimate interests",
    }
}

/// `P10Y6M` as `10 years 6 months`.
fn period_words(iso: &str) -> String {
    if iso == "P0D" {
        return "no time".into();
    }
    let mut out = Vec::new();
    let mut n = String::new();
    for c in iso.trim_start_matches('P').chars() {
        if c.is_ascii_digit() {
            n.push(c);
            continue;
        }
        let unit = match c {
            'Y' => "year",
            'M' => "month",
            'W' => "week",
            _ => "day",
        };
        let plural = if n == "1" { "" } else { "s" };
        out.push(format!("{n} {unit}{plural}"));
        n.clear();
    }
    out.join(" ")
}

/// The rule that governs `category` for `purpose`: the most specific selector, a rule
/// for the purpose itself before a `*` rule (the schedule's precedence).
fn governing<'m>(map: &'m DataMap, category: &str, purpose: &str) -> Option<&'m Rule> {
    let c = Category::new(category).ok()?;
    map.schedule()
        .rules()
        .iter()
        .filter(|r| r.selector().matches(&c))
        .filter(|r| r.purpose().is_none_or(|p| p.as_str() == purpose))
        .max_by_key(|r| (r.selector().specificity(), r.purpose().is_some()))
}

/// `10 years after collection, then deleted`; `until consent withdrawal, then deleted`
/// for a zero period.
pub(crate) fn rule_words(r: &Rule) -> String {
    let then = match r.action().keyword() {
        "review" => "reviewed",
        "archive" => "archived",
        "pseudonymize" => "pseudonymized",
        "anonymize" => "anonymized",
        _ => "deleted",
    };
    if r.period().is_zero() {
        format!("until {}, then {then}", r.trigger().describe())
    } else {
        format!(
            "{} after {}, then {then}",
            period_words(&r.period().to_string()),
            r.trigger().describe()
        )
    }
}

/// `(category, purpose)` pairs the map collects, in table and field order.
fn uses(map: &DataMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in map.tables() {
        for f in &t.fields {
            let purposes = if f.purposes.is_empty() {
                &t.purposes
            } else {
                &f.purposes
            };
            for p in purposes {
                let pair = (f.category.clone(), p.clone());
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
    }
    out
}

fn recipient_words(map: &DataMap, r: &super::map::Processor) -> String {
    let role = match r.role {
        Some(RecipientRole::ThirdParty) => "third party",
        _ => "processor",
    };
    let transfer = match r.transfer {
        Some(t) if t != TransferBasis::None => {
            format!("; transfer basis: {} ({})", t.keyword(), t.article())
        }
        _ => String::new(),
    };
    let _ = map;
    format!("{} ({role}, {}{transfer})", r.name, r.country)
}

fn recipient_receives(r: &super::map::Processor, category: &str) -> bool {
    let Ok(c) = Category::new(category) else {
        return false;
    };
    r.categories
        .iter()
        .filter_map(|s| s.parse::<Selector>().ok())
        .any(|s| s.matches(&c))
}

/// The categories sold or shared (CCPA), with the recipients.
fn sold_or_shared(map: &DataMap) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for c in map.categories() {
        let who: Vec<String> = map
            .processors()
            .iter()
            .filter(|r| (r.sold || r.shared) && recipient_receives(r, c))
            .map(|r| {
                let how = match (r.sold, r.shared) {
                    (true, true) => "sold and shared",
                    (true, false) => "sold",
                    _ => "shared",
                };
                format!("{} ({how})", r.name)
            })
            .collect();
        if !who.is_empty() {
            out.push((c.to_owned(), who));
        }
    }
    out
}

fn category_name(map: &DataMap, c: &str) -> String {
    format!("{} (`{c}`)", map.taxonomy().name(LabelKind::Category, c))
}

fn notice_blocks(map: &DataMap) -> Vec<Block> {
    let ctl = map.controller();
    let mut b = vec![Block::Heading(1, format!("Privacy notice of {}", ctl.name))];
    let mut who = format!(
        "{} is the controller of your personal data. Contact: {}.",
        ctl.name, ctl.contact
    );
    if let Some(dpo) = &ctl.dpo {
        let _ = write!(who, " Data protection officer: {dpo}.");
    }
    b.push(Block::Para(who));
    b.push(Block::Heading(
        2,
        "What we process, why, and for how long".into(),
    ));
    let pairs = uses(map);
    for (purpose, basis) in map.schedule().purposes() {
        let p = purpose.as_str();
        b.push(Block::Heading(
            3,
            format!("{} (`{p}`)", map.taxonomy().name(LabelKind::Use, p)),
        ));
        let own = map
            .schedule()
            .purposes
            .iter()
            .find(|d| d.name.as_str() == p)
            .and_then(|d| d.description.as_deref());
        let described = own.map(str::to_owned).or_else(|| {
            map.taxonomy()
                .get(LabelKind::Use, p)
                .map(|l| l.description.clone())
        });
        if let Some(d) = described.filter(|d| !d.is_empty()) {
            b.push(Block::Para(d));
        }
        b.push(Block::Para(format!(
            "Legal basis: {} ({}).",
            basis_words(basis),
            basis.article()
        )));
        let items: Vec<String> = pairs
            .iter()
            .filter(|(_, q)| q == p)
            .map(|(c, _)| {
                let kept = governing(map, c, p).map_or("no retention rule".into(), rule_words);
                format!("{}: kept {kept}", category_name(map, c))
            })
            .collect();
        if !items.is_empty() {
            b.push(Block::List(items));
        }
        let to: Vec<String> = map
            .processors()
            .iter()
            .filter(|r| r.purposes.iter().any(|x| x == p))
            .map(|r| recipient_words(map, r))
            .collect();
        if !to.is_empty() {
            b.push(Block::Para(format!("Recipients: {}.", to.join("; "))));
        }
    }
    let holds: Vec<String> = map
        .schedule()
        .holds()
        .iter()
        .filter(|h| matches!(h.scope(), crate::retention::HoldScope::Categories(_)))
        .map(|h| format!("{} (from {})", h.reason(), h.from()))
        .collect();
    if !holds.is_empty() {
        b.push(Block::Para(format!(
            "Some data is kept longer while a legal hold is in force: {}.",
            holds.join("; ")
        )));
    }
    b.push(Block::Heading(2, "Where the data comes from".into()));
    let sources: BTreeSet<&str> = map.tables().iter().map(|t| t.source.as_str()).collect();
    b.push(Block::List(
        sources.into_iter().map(str::to_owned).collect(),
    ));
    if !map.processors().is_empty() {
        b.push(Block::Heading(2, "Recipients and transfers".into()));
        b.push(Block::List(
            map.processors()
                .iter()
                .map(|r| {
                    let cats: Vec<String> =
                        r.categories.iter().map(|c| category_name(map, c)).collect();
                    format!("{}: {}", recipient_words(map, r), cats.join(", "))
                })
                .collect(),
        ));
    }
    b.push(Block::Heading(2, "Your rights".into()));
    b.push(Block::List(vec![
        "Access a copy of your data (GDPR Art. 15) and receive the data you provided in a machine-readable format (Art. 20).".into(),
        "Have inaccurate data corrected (Art. 16) and your data erased (Art. 17), except what the law requires us to keep.".into(),
        "Restrict processing (Art. 18) and object to processing based on legitimate interests or for direct marketing (Art. 21).".into(),
        "Withdraw consent at any time (Art. 7(3)), without affecting earlier processing.".into(),
        "Complain to a supervisory authority (Art. 77).".into(),
        format!("We answer within one month, extendable by two months for complex requests; write to {}.", ctl.contact),
    ]));
    b.extend(ccpa_blocks(map));
    if map.taxonomy().is_fideslang() {
        b.push(Block::Para(FIDESLANG_ATTRIBUTION.into()));
    }
    b
}

fn ccpa_blocks(map: &DataMap) -> Vec<Block> {
    let mut b = vec![Block::Heading(2, "California residents (CCPA)".into())];
    b.push(Block::Para("Categories of personal information we collect, their sources, purposes and how long we keep each:".into()));
    let pairs = uses(map);
    let mut items = Vec::new();
    for c in map.categories() {
        let sources: BTreeSet<&str> = map
            .tables()
            .iter()
            .filter(|t| t.fields.iter().any(|f| f.category == c))
            .map(|t| t.source.as_str())
            .collect();
        let purposes: Vec<&str> = pairs
            .iter()
            .filter(|(x, _)| x == c)
            .map(|(_, p)| p.as_str())
            .collect();
        let kept: Vec<String> = purposes
            .iter()
            .map(|p| {
                governing(map, c, p).map_or_else(
                    || format!("{p}: no rule"),
                    |r| format!("{p}: {}", rule_words(r)),
                )
            })
            .collect();
        items.push(format!(
            "{}. Sources: {}. Purposes: {}. Retention: {}.",
            category_name(map, c),
            sources.into_iter().collect::<Vec<_>>().join(", "),
            purposes.join(", "),
            kept.join("; ")
        ));
    }
    b.push(Block::List(items));
    let sold = sold_or_shared(map);
    if sold.is_empty() {
        b.push(Block::Para(
            "We do not sell or share personal information.".into(),
        ));
    } else {
        b.push(Block::Para("Categories sold or shared (you may opt out, also with a Global Privacy Control signal, which we honor):".into()));
        b.push(Block::List(
            sold.into_iter()
                .map(|(c, who)| format!("{}: {}", category_name(map, &c), who.join(", ")))
                .collect(),
        ));
    }
    b.push(Block::Para("You may know, delete and correct your personal information and opt out of its sale or sharing; we answer within 45 days, extendable by 45 days, and do not discriminate against you for exercising these rights.".into()));
    b
}

fn md_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Markdown text with `inline code` kept and everything else escaped.
fn md_text(s: &str, out: &mut String) {
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 && !part.contains('\n') {
            out.push('`');
            out.push_str(part);
            out.push('`');
        } else {
            md_escape(part, out);
        }
    }
}

pub(crate) fn html_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn html_text(s: &str, out: &mut String) {
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            html_escape(part, out);
            out.push_str("</code>");
        } else {
            html_escape(part, out);
        }
    }
}

fn to_markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Heading(n, t) => {
                out.push_str(&"#".repeat(usize::from(*n)));
                out.push(' ');
                md_text(t, &mut out);
                out.push_str("\n\n");
            }
            Block::Para(t) => {
                md_text(t, &mut out);
                out.push_str("\n\n");
            }
            Block::List(items) => {
                for i in items {
                    out.push_str("- ");
                    md_text(i, &mut out);
                    out.push('\n');
                }
                out.push('\n');
            }
        }
    }
    out
}

fn to_html(title: &str, blocks: &[Block]) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>");
    html_escape(title, &mut out);
    out.push_str("</title></head>\n<body>\n");
    for b in blocks {
        match b {
            Block::Heading(n, t) => {
                let _ = write!(out, "<h{n}>");
                html_text(t, &mut out);
                let _ = writeln!(out, "</h{n}>");
            }
            Block::Para(t) => {
                out.push_str("<p>");
                html_text(t, &mut out);
                out.push_str("</p>\n");
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for i in items {
                    out.push_str("<li>");
                    html_text(i, &mut out);
                    out.push_str("</li>\n");
                }
                out.push_str("</ul>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Appends `s` as a JSON string.
pub(crate) fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_list<'a>(items: impl Iterator<Item = &'a str>, out: &mut String) {
    out.push('[');
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(s, out);
    }
    out.push(']');
}

fn json_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Real(r) if r.is_finite() => {
            let _ = write!(out, "{r}");
        }
        Value::Real(_) => out.push_str("null"),
        Value::Text(s) => json_string(s, out),
        Value::Bytes(b) => {
            out.push_str("{\"base64\":");
            json_string(&base64ct::Base64::encode_string(b), out);
            out.push('}');
        }
    }
}

impl AccessPackage {
    /// The package as JSON (`"format": "privkit.access/1"`): request, subject, time,
    /// and per table its system, dataset, source, fields (name, category, purposes) and
    /// rows as objects keyed by field name. Bytes are `{"base64": "..."}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"format\":\"privkit.access/1\",\"request\":");
        json_string(&self.request, &mut out);
        out.push_str(",\"subject\":");
        json_string(&self.subject, &mut out);
        out.push_str(",\"generated_at\":");
        json_string(&self.generated_at.to_string(), &mut out);
        let _ = write!(out, ",\"portability\":{},\"tables\":[", self.portability);
        for (ti, t) in self.tables.iter().enumerate() {
            if ti > 0 {
                out.push(',');
            }
            out.push_str("{\"system\":");
            json_string(&t.system, &mut out);
            out.push_str(",\"dataset\":");
            json_string(&t.dataset, &mut out);
            out.push_str(",\"table\":");
            json_string(&t.table, &mut out);
            out.push_str(",\"source\":");
            json_string(&t.source, &mut out);
            out.push_str(",\"fields\":[");
            for (fi, (name, category, purposes)) in t.fields.iter().enumerate() {
                if fi > 0 {
                    out.push(',');
                }
                out.push_str("{\"name\":");
                json_string(name, &mut out);
                out.push_str(",\"category\":");
                json_string(category, &mut out);
                out.push_str(",\"purposes\":");
                json_list(purposes.iter().map(String::as_str), &mut out);
                out.push('}');
            }
            out.push_str("],\"rows\":[");
            for (ri, row) in t.rows.iter().enumerate() {
                if ri > 0 {
                    out.push(',');
                }
                out.push('{');
                for (vi, (v, (name, _, _))) in row.iter().zip(&t.fields).enumerate() {
                    if vi > 0 {
                        out.push(',');
                    }
                    json_string(name, &mut out);
                    out.push(':');
                    json_value(v, &mut out);
                }
                out.push('}');
            }
            out.push_str("]}");
        }
        out.push_str("]}");
        out
    }
}

/// One processing activity of the Records of Processing Activities (GDPR Art. 30(1)):
/// one per purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    /// (a) The controller and its contact.
    pub controller: String,
    /// (b) The purpose (data use key).
    pub purpose: String,
    /// The legal basis (keyword).
    pub basis: String,
    /// (c) The categories of data subjects.
    pub subjects: Vec<String>,
    /// (c) The categories of personal data.
    pub categories: Vec<String>,
    /// (d) The recipients.
    pub recipients: Vec<String>,
    /// (e) Transfers to third countries with their basis.
    pub transfers: Vec<String>,
    /// (f) The time limits for erasure, per category.
    pub retention: Vec<String>,
    /// (g) The security measures.
    pub security: String,
}

/// Turns a CSV cell that a spreadsheet would run as a formula into text.
fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

impl DataMap {
    /// The privacy notice (GDPR Art. 13-14, CCPA notice at collection) as Markdown:
    /// controller, purposes with legal basis, categories with their retention from the
    /// schedule, recipients and transfers, sources, rights, the CCPA disclosure. Text
    /// from the map is escaped.
    #[must_use]
    pub fn privacy_notice_markdown(&self) -> String {
        to_markdown(&notice_blocks(self))
    }

    /// The same notice as a standalone HTML document, every text escaped.
    #[must_use]
    pub fn privacy_notice_html(&self) -> String {
        to_html(
            &format!("Privacy notice of {}", self.controller().name),
            &notice_blocks(self),
        )
    }

    /// The CCPA disclosure alone (categories collected, sources, purposes, categories
    /// sold or shared, retention per category), as Markdown.
    #[must_use]
    pub fn ccpa_disclosure_markdown(&self) -> String {
        to_markdown(&ccpa_blocks(self))
    }

    /// The Records of Processing Activities (Art. 30(1)), one activity per purpose.
    #[must_use]
    pub fn records_of_processing(&self) -> Vec<Activity> {
        let ctl = self.controller();
        let pairs = uses(self);
        self.schedule()
            .purposes()
            .map(|(p, basis)| {
                let p = p.as_str();
                let categories: Vec<String> = pairs
                    .iter()
                    .filter(|(_, q)| q == p)
                    .map(|(c, _)| c.clone())
                    .collect();
                let subjects: BTreeSet<String> = self
                    .tables()
                    .iter()
                    .filter(|t| {
                        t.fields.iter().any(|f| {
                            let ps = if f.purposes.is_empty() {
                                &t.purposes
                            } else {
                                &f.purposes
                            };
                            ps.iter().any(|x| x == p)
                        })
                    })
                    .flat_map(|t| t.subjects.iter().cloned())
                    .collect();
                let to: Vec<&super::map::Processor> = self
                    .processors()
                    .iter()
                    .filter(|r| r.purposes.iter().any(|x| x == p))
                    .collect();
                Activity {
                    controller: format!("{} <{}>", ctl.name, ctl.contact),
                    purpose: p.to_owned(),
                    basis: basis.keyword().to_owned(),
                    subjects: subjects.into_iter().collect(),
                    retention: categories
                        .iter()
                        .map(|c| {
                            format!(
                                "{c}: {}",
                                governing(self, c, p).map_or("no rule".into(), rule_words)
                            )
                        })
                        .collect(),
                    categories,
                    recipients: to
                        .iter()
                        .map(|r| format!("{} ({})", r.name, r.contract))
                        .collect(),
                    transfers: to
                        .iter()
                        .filter(|r| r.transfer.is_some_and(|t| t != TransferBasis::None))
                        .map(|r| {
                            let t = r.transfer.unwrap_or(TransferBasis::None);
                            format!("{} to {}: {}", r.name, r.country, t.article())
                        })
                        .collect(),
                    security: ctl.security.clone().unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The Records of Processing Activities as CSV (a header, one row per purpose,
    /// lists joined by ` | `; cells a spreadsheet would evaluate are prefixed by `'`).
    #[must_use]
    pub fn records_of_processing_csv(&self) -> String {
        let mut out = String::new();
        let header = [
            "controller",
            "purpose",
            "legal_basis",
            "data_subjects",
            "categories",
            "recipients",
            "transfers",
            "retention",
            "security",
        ];
        text::write_record(&mut out, header.iter().copied(), ',');
        for a in self.records_of_processing() {
            let cells = [
                csv_cell(&a.controller),
                csv_cell(&a.purpose),
                csv_cell(&a.basis),
                csv_cell(&a.subjects.join(" | ")),
                csv_cell(&a.categories.join(" | ")),
                csv_cell(&a.recipients.join(" | ")),
                csv_cell(&a.transfers.join(" | ")),
                csv_cell(&a.retention.join(" | ")),
                csv_cell(&a.security),
            ];
            text::write_record(&mut out, cells.iter().map(String::as_str), ',');
        }
        out
    }

    /// The Records of Processing Activities as JSON (an array of activities with the
    /// fields of [`Activity`]).
    #[must_use]
    pub fn records_of_processing_json(&self) -> String {
        let mut out = String::from("[");
        for (i, a) in self.records_of_processing().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"controller\":");
            json_string(&a.controller, &mut out);
            out.push_str(",\"purpose\":");
            json_string(&a.purpose, &mut out);
            out.push_str(",\"legal_basis\":");
            json_string(&a.basis, &mut out);
            for (name, list) in [
                ("data_subjects", &a.subjects),
                ("categories", &a.categories),
                ("recipients", &a.recipients),
                ("transfers", &a.transfers),
                ("retention", &a.retention),
            ] {
                let _ = write!(out, ",\"{name}\":");
                json_list(list.iter().map(String::as_str), &mut out);
            }
            out.push_str(",\"security\":");
            json_string(&a.security, &mut out);
            out.push('}');
        }
        out.push(']');
        out
    }
}
