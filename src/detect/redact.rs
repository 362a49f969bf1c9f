//! Operators: what replaces a finding. Reuses `pseudonym`'s keyed pseudonyms,
//! AES-SIV tokens, FF1 and masks.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use hmac::{KeyInit, Mac};
use regex_automata::meta::Regex;

use super::entity::{EntityType, Finding};
use super::scanner::Scanner;
use crate::pseudonym::{FormatPreserving, KeyedPseudonymizer, Tokenizer, mask_keep};
use crate::secret::SecretBytes;
use crate::{Error, Result};

/// The marker that opens a reversible token in redacted text:
/// `[pk:EMAIL_ADDRESS:AQAAAAE...]` (`docs/FORMAT.md`, "Detection token markers").
pub const TOKEN_MARKER: &str = "[pk:";

/// Most distinct values a [`TagScope::Redactor`] remembers; past it, redaction fails
/// with [`Error::LimitExceeded`] rather than reusing or forgetting tags.
pub const MAX_REMEMBERED_VALUES: usize = 1 << 20;

/// What replaces one finding.
#[derive(Clone)]
#[non_exhaustive]
pub enum Operator {
    /// Removes the value.
    Redact,
    /// Replaces the value by this text.
    Replace(String),
    /// Replaces the value by its type: `<EMAIL_ADDRESS>`.
    TypeTag,
    /// Replaces the value by its type and an instance number, the same for equal values
    /// (of one type) within the [`TagScope`]: `<PERSON_1>`, `<PERSON_2>`.
    InstanceTag,
    /// Masks every character but the last `keep_last` with `*` (all of them when the
    /// value is not longer than `keep_last`).
    Mask {
        /// Characters kept at the end.
        keep_last: usize,
    },
    /// A keyed pseudonym (HMAC-SHA256, [`KeyedPseudonymizer`]): consistent, one-way.
    Pseudonym(Arc<KeyedPseudonymizer>),
    /// A reversible AES-SIV token ([`Tokenizer`]) inside a marker naming the type,
    /// `[pk:EMAIL_ADDRESS:<token>]`, so that [`Redactor::restore_tokens`] finds it in
    /// any text later.
    Token(Arc<Tokenizer>),
    /// Format-preserving encryption (FF1, [`FormatPreserving`]): digits stay digits and
    /// separators stay in place, so a card number or a phone number keeps its shape.
    /// Reversible with the [`Redacted`] items ([`Redactor::restore`]).
    Ff1(Arc<FormatPreserving>),
}

impl fmt::Debug for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redact => f.write_str("Redact"),
            Self::Replace(s) => f.debug_tuple("Replace").field(s).finish(),
            Self::TypeTag => f.write_str("TypeTag"),
            Self::InstanceTag => f.write_str("InstanceTag"),
            Self::Mask { keep_last } => f
                .debug_struct("Mask")
                .field("keep_last", keep_last)
                .finish(),
            Self::Pseudonym(p) => f.debug_tuple("Pseudonym").field(p).finish(),
            Self::Token(t) => f.debug_tuple("Token").field(t).finish(),
            Self::Ff1(x) => f.debug_tuple("Ff1").field(x).finish(),
        }
    }
}

/// How long an [`Operator::InstanceTag`] numbering lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TagScope {
    /// Numbers start at 1 in every call: equal values share a tag within one document.
    #[default]
    Document,
    /// Numbers last as long as the [`Redactor`]: a value keeps its tag across documents
    /// (log lines of one service run). The redactor remembers HMACs of the values under
    /// a random key of its own, never the values.
    Redactor,
}

/// One replaced finding in a [`Redacted`] text.
#[derive(Clone, Debug, PartialEq)]
pub struct RedactedItem {
    /// The type of the replaced value.
    pub entity: EntityType,
    /// Byte range of the replacement in [`Redacted::text`].
    pub start: usize,
    /// End of the replacement.
    pub end: usize,
    /// Whether [`Redactor::restore`] can bring the value back (token and FF1).
    pub reversible: bool,
}

/// A redacted text and where its replacements are.
#[derive(Clone, Debug, PartialEq)]
pub struct Redacted {
    /// The text with every finding replaced.
    pub text: String,
    /// The replacements, in order.
    pub items: Vec<RedactedItem>,
}

/// Replaces findings by operators chosen per type.
///
/// ```
/// use privkit::detect::{EntityType, Operator, Redactor, Scanner};
///
/// let scanner = Scanner::new()?;
/// let redactor = Redactor::new(Operator::TypeTag)?
///     .with(EntityType::CreditCard, Operator::Mask { keep_last: 4 });
/// let out = redactor.redact_text(&scanner, "Card 4111 1111 1111 1111, mail ann@example.com")?;
/// assert_eq!(out.text, "Card ***************1111, mail <EMAIL_ADDRESS>");
/// # Ok::<(), privkit::Error>(())
/// ```
pub struct Redactor {
    default: Operator,
    per_entity: HashMap<EntityType, Operator>,
    scope: TagScope,
    all_occurrences: bool,
    tag_key: SecretBytes,
    tags: Mutex<Tags>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("default", &self.default)
            .field("per_entity", &self.per_entity)
            .field("scope", &self.scope)
            .field("all_occurrences", &self.all_occurrences)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Tags {
    numbers: HashMap<(EntityType, [u8; 32]), u64>,
    next: HashMap<EntityType, u64>,
}

impl Tags {
    fn tag(&mut self, entity: &EntityType, mac: [u8; 32]) -> Result<u64> {
        if let Some(n) = self.numbers.get(&(entity.clone(), mac)) {
            return Ok(*n);
        }
        if self.numbers.len() >= MAX_REMEMBERED_VALUES {
            return Err(Error::limit(
                "distinct values a redactor tags",
                MAX_REMEMBERED_VALUES as u64,
            ));
        }
        let next = self.next.entry(entity.clone()).or_insert(0);
        *next += 1;
        self.numbers.insert((entity.clone(), mac), *next);
        Ok(*next)
    }
}

impl Redactor {
    /// A redactor applying `default` to every type.
    ///
    /// # Errors
    /// [`Error::Random`] when the operating system's generator fails (the key under
    /// which instance tags remember values is random).
    pub fn new(default: Operator) -> Result<Self> {
        Ok(Self::with_tag_key(default, SecretBytes::random(32)?))
    }

    fn with_tag_key(default: Operator, tag_key: SecretBytes) -> Self {
        Self {
            default,
            per_entity: HashMap::new(),
            scope: TagScope::Document,
            all_occurrences: true,
            tag_key,
            tags: Mutex::new(Tags::default()),
        }
    }

    /// Applies `operator` to `entity` instead of the default.
    #[must_use]
    pub fn with(mut self, entity: EntityType, operator: Operator) -> Self {
        self.per_entity.insert(entity, operator);
        self
    }

    /// How long instance tags last (default [`TagScope::Document`]).
    #[must_use]
    pub fn tag_scope(mut self, scope: TagScope) -> Self {
        self.scope = scope;
        self
    }

    /// Whether every other occurrence of a redacted value in the same text is replaced
    /// too, even where no recognizer reported it (default `true`): a name found once
    /// ("Ann Lee") is also removed where context was missing, so the output never
    /// contains a value that was redacted. Occurrences inside longer words are replaced
    /// as well, and an occurrence that overlaps a finding (which is replaced anyway) hides
    /// no other value's occurrence inside it. The values are searched as literals: one
    /// substring search per value, linear in the text, for up to 8 distinct values; past
    /// that, one Aho-Corasick pass, in time proportional to the text plus the occurrences.
    /// On a log line it adds about a quarter to the scan's cost.
    #[must_use]
    pub fn all_occurrences(mut self, on: bool) -> Self {
        self.all_occurrences = on;
        self
    }

    /// The operator for `entity`.
    #[must_use]
    pub fn operator(&self, entity: &EntityType) -> &Operator {
        self.per_entity.get(entity).unwrap_or(&self.default)
    }

    /// Scans `text` with `scanner` and redacts what it finds.
    ///
    /// # Errors
    /// As [`redact`](Self::redact).
    pub fn redact_text(&self, scanner: &Scanner, text: &str) -> Result<Redacted> {
        self.redact(text, &scanner.scan(text))
    }

    /// Replaces `findings` (non-overlapping, sorted by start, as a scanner returns them)
    /// in `text`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for findings that overlap, are unsorted or are not
    /// spans of `text`; [`Error::Field`] naming the type when its operator refuses the
    /// value (FF1 on a value with letters, or shorter than FF1's minimum);
    /// [`Error::LimitExceeded`] past [`MAX_REMEMBERED_VALUES`] instance tags.
    pub fn redact(&self, text: &str, findings: &[Finding]) -> Result<Redacted> {
        let mut prev_end = 0;
        for f in findings {
            if f.start < prev_end
                || f.start >= f.end
                || f.end > text.len()
                || !text.is_char_boundary(f.start)
                || !text.is_char_boundary(f.end)
            {
                return Err(Error::invalid_argument(format!(
                    "finding {}..{} of {}: not a sorted, non-overlapping span of the text ({} bytes)",
                    f.start,
                    f.end,
                    f.entity,
                    text.len()
                )));
            }
            prev_end = f.end;
        }
        let all;
        let findings = if self.all_occurrences && !findings.is_empty() {
            all = other_occurrences(text, findings)?;
            &all[..]
        } else {
            findings
        };
        let mut doc_tags = Tags::default();
        let mut out = String::with_capacity(text.len());
        let mut items = Vec::with_capacity(findings.len());
        let mut last = 0;
        for f in findings {
            out.push_str(&text[last..f.start]);
            let value = &text[f.start..f.end];
            let op = self.operator(&f.entity);
            let start = out.len();
            let reversible = matches!(op, Operator::Token(_) | Operator::Ff1(_));
            self.apply(op, &f.entity, value, &mut doc_tags, &mut out)
                .map_err(|e| Error::Field {
                    field: f.entity.name().to_owned(),
                    source: Box::new(e),
                })?;
            items.push(RedactedItem {
                entity: f.entity.clone(),
                start,
                end: out.len(),
                reversible,
            });
            last = f.end;
        }
        out.push_str(&text[last..]);
        Ok(Redacted { text: out, items })
    }

    fn apply(
        &self,
        op: &Operator,
        entity: &EntityType,
        value: &str,
        doc_tags: &mut Tags,
        out: &mut String,
    ) -> Result<()> {
        match op {
            Operator::Redact => {}
            Operator::Replace(s) => out.push_str(s),
            Operator::TypeTag => {
                out.push('<');
                out.push_str(entity.name());
                out.push('>');
            }
            Operator::InstanceTag => {
                let mac = self.mac(value)?;
                let n = match self.scope {
                    TagScope::Document => doc_tags.tag(entity, mac)?,
                    TagScope::Redactor => self
                        .tags
                        .lock()
                        .map_err(|_| Error::InvalidOperation("instance tag table poisoned".into()))?
                        .tag(entity, mac)?,
                };
                out.push('<');
                out.push_str(entity.name());
                out.push('_');
                out.push_str(&n.to_string());
                out.push('>');
            }
            Operator::Mask { keep_last } => out.push_str(&mask_keep(value, 0, *keep_last)),
            Operator::Pseudonym(p) => p.pseudonymize_into(value, out),
            Operator::Token(t) => {
                out.push_str(TOKEN_MARKER);
                out.push_str(entity.name());
                out.push(':');
                out.push_str(&t.tokenize(value.as_bytes())?);
                out.push(']');
            }
            Operator::Ff1(x) => out.push_str(&x.encrypt(value)?),
        }
        Ok(())
    }

    fn mac(&self, value: &str) -> Result<[u8; 32]> {
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.tag_key.expose_secret())
            .map_err(|_| Error::invalid_argument("instance tag key"))?;
        m.update(value.as_bytes());
        Ok(m.finalize().into_bytes().into())
    }

    /// The original text of `redacted`, where every replacement was reversible;
    /// irreversible replacements stay as they are.
    ///
    /// # Errors
    /// [`Error::DecryptionFailed`] for a token that does not authenticate under the
    /// type's tokenizer; [`Error::InvalidArgument`] for items that are not spans of the
    /// text or whose type has no reversible operator in this redactor.
    pub fn restore(&self, redacted: &Redacted) -> Result<String> {
        let text = &redacted.text;
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for item in &redacted.items {
            let span = text
                .get(item.start..item.end)
                .filter(|_| item.start >= last)
                .ok_or_else(|| {
                    Error::invalid_argument("redacted item is not a span of the text")
                })?;
            out.push_str(&text[last..item.start]);
            if item.reversible {
                match self.operator(&item.entity) {
                    Operator::Ff1(x) => out.push_str(&x.decrypt(span)?),
                    Operator::Token(t) => out.push_str(&self.untoken(t, &item.entity, span)?),
                    _ => {
                        return Err(Error::invalid_argument(format!(
                            "{}: no reversible operator in this redactor",
                            item.entity
                        )));
                    }
                }
            } else {
                out.push_str(span);
            }
            last = item.end;
        }
        out.push_str(&text[last..]);
        Ok(out)
    }

    fn untoken(&self, t: &Tokenizer, entity: &EntityType, marker: &str) -> Result<String> {
        let inner = marker
            .strip_prefix(TOKEN_MARKER)
            .and_then(|m| m.strip_suffix(']'))
            .and_then(|m| m.strip_prefix(entity.name()))
            .and_then(|m| m.strip_prefix(':'))
            .ok_or(Error::Malformed("not a token marker of this type"))?;
        t.detokenize_str(inner)
    }

    /// Replaces every token marker `[pk:TYPE:token]` in `text` whose type has a
    /// [`Operator::Token`] operator here by the original value; other text is kept.
    /// For text that went through logs, a database or a copy: no items needed.
    ///
    /// # Errors
    /// [`Error::DecryptionFailed`] for a marker of such a type whose token does not
    /// authenticate (a forged or altered marker is refused, not passed through).
    pub fn restore_tokens(&self, text: &str) -> Result<String> {
        static MARKER: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
        let re = MARKER
            .get_or_init(|| {
                Regex::new(r"\[pk:([A-Z][A-Z0-9_]{0,63}):([A-Za-z0-9_\-]{1,4000})\]").ok()
            })
            .as_ref()
            .ok_or_else(|| Error::invalid_argument("token marker pattern"))?;
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        let mut caps = re.create_captures();
        for m in re.find_iter(text) {
            re.captures(regex_automata::Input::new(text).range(m.range()), &mut caps);
            let (Some(ty), Some(_)) = (caps.get_group(1), caps.get_group(2)) else {
                continue;
            };
            let Ok(entity) = EntityType::from_name(&text[ty.range()]) else {
                continue;
            };
            let Operator::Token(t) = self.operator(&entity) else {
                continue;
            };
            out.push_str(&text[last..m.start()]);
            out.push_str(&self.untoken(t, &entity, &text[m.range()])?);
            last = m.end();
        }
        out.push_str(&text[last..]);
        Ok(out)
    }
}

/// Up to this many distinct values, [`other_occurrences`] searches each value on its own
/// (a substring search per value, linear in the text for each); past it, all values in
/// one pass of an Aho-Corasick automaton. Building even the cheapest automaton costs more
/// than searching a log line a few times over (the automaton build was 60 % of redacting
/// a log line when it was built on every call).
const DIRECT_SEARCH_MAX_VALUES: usize = 8;

/// `findings` plus every other occurrence of their values, sorted, not overlapping
/// (a found span wins over an occurrence; between occurrences, the leftmost and, at one
/// position, the value found first).
///
/// An occurrence that overlaps a finding is not taken, and it hides nothing: another
/// value's occurrence inside it ("1111-2222" inside "78-1111-2222 11", whose tail is a
/// finding) is still found, so that no value is left whole in the redacted text.
fn other_occurrences(text: &str, findings: &[Finding]) -> Result<Vec<Finding>> {
    // The distinct values, in order of first finding. A text with many findings (a whole
    // document) dedups through a set, so that the cost stays linear in the findings.
    let mut values: Vec<(&str, &EntityType, f32)> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for f in findings {
        let v = &text[f.start..f.end];
        let new = if findings.len() <= DIRECT_SEARCH_MAX_VALUES {
            !values.iter().any(|(x, _, _)| *x == v)
        } else {
            seen.insert(v)
        };
        if new {
            values.push((v, &f.entity, f.score));
        }
    }
    let literals: Vec<&str> = values.iter().map(|(v, _, _)| *v).collect();
    let matches = find_literals(
        text,
        &literals,
        findings,
        literals.len() > DIRECT_SEARCH_MAX_VALUES,
    )?;
    let mut all: Vec<Finding> = Vec::with_capacity(findings.len() + matches.len());
    // Merge: the occurrences overlap no finding and no other occurrence.
    let mut i = 0;
    for (start, end, which) in matches {
        while i < findings.len() && findings[i].end <= start {
            all.push(findings[i].clone());
            i += 1;
        }
        let (_, entity, score) = values[which];
        all.push(Finding::new(entity.clone(), start, end, score));
    }
    all.extend_from_slice(&findings[i..]);
    Ok(all)
}

/// Whether `start..end` overlaps one of `findings` (sorted, not overlapping): the end of
/// the first it overlaps.
fn clashes(findings: &[Finding], start: usize, end: usize) -> Option<usize> {
    let i = findings.partition_point(|f| f.end <= start);
    findings.get(i).filter(|f| f.start < end).map(|f| f.end)
}

/// The occurrences of `literals` (non-empty) in `text` that overlap none of `findings`
/// (sorted, not overlapping), chosen from the left: the leftmost such occurrence of any
/// literal (at one position, the literal listed first), then the leftmost after it, and
/// so on; as `(start, end, index of the literal)`.
///
/// Either one substring search per literal (each linear in the text: after an
/// occurrence that overlaps a finding, the literal's next candidate starts past that
/// finding, since every start in between overlaps it too), or, with `automaton`, all
/// occurrences of all literals from one pass of an Aho-Corasick automaton (a
/// non-contiguous NFA, the cheapest kind to build), in time proportional to the text plus
/// the occurrences.
fn find_literals(
    text: &str,
    literals: &[&str],
    findings: &[Finding],
    automaton: bool,
) -> Result<Vec<(usize, usize, usize)>> {
    let mut out = Vec::new();
    if automaton {
        let ac = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .match_kind(MatchKind::Standard)
            .build(literals)
            .map_err(|e| Error::invalid_argument(format!("occurrence search: {e}")))?;
        let mut all: Vec<(usize, usize, usize)> = ac
            .find_overlapping_iter(text)
            .map(|m| (m.start(), m.pattern().as_usize(), m.end()))
            .collect();
        all.sort_unstable();
        let mut pos = 0;
        for (start, which, end) in all {
            if start >= pos && clashes(findings, start, end).is_none() {
                out.push((start, end, which));
                pos = end;
            }
        }
        return Ok(out);
    }
    // The next occurrence of a literal at or after `from` that overlaps no finding.
    let next = |lit: &str, mut from: usize| -> Option<usize> {
        loop {
            let at = text.get(from..)?.find(lit)? + from;
            match clashes(findings, at, at + lit.len()) {
                Some(finding_end) => from = finding_end,
                None => return Some(at),
            }
        }
    };
    // A literal's search resumes only when the chosen occurrences have passed its
    // candidate, always further right: each literal's searches together read the text
    // about once (linear for each of at most DIRECT_SEARCH_MAX_VALUES).
    let mut cand: Vec<Option<usize>> = literals.iter().map(|l| next(l, 0)).collect();
    loop {
        let mut best: Option<(usize, usize)> = None;
        for (j, n) in cand.iter().enumerate() {
            if let Some(at) = *n
                && best.is_none_or(|(b, _)| at < b)
            {
                best = Some((at, j));
            }
        }
        let Some((at, j)) = best else { break };
        let pos = at + literals[j].len();
        out.push((at, pos, j));
        for (k, n) in cand.iter_mut().enumerate() {
            if n.is_some_and(|x| x < pos) {
                *n = next(literals[k], pos);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, by brute force: from left to right, at each position the first
    /// value (in order of first finding) that occurs there and overlaps no finding;
    /// findings kept as they are.
    fn reference(text: &str, findings: &[Finding]) -> Vec<Finding> {
        let mut values: Vec<&Finding> = Vec::new();
        for f in findings {
            if !values
                .iter()
                .any(|v| text[v.start..v.end] == text[f.start..f.end])
            {
                values.push(f);
            }
        }
        let mut out: Vec<Finding> = findings.to_vec();
        let mut pos = 0;
        while pos < text.len() {
            let hit = values.iter().find(|v| {
                let end = pos + (v.end - v.start);
                text[pos..].starts_with(&text[v.start..v.end])
                    && !findings.iter().any(|f| f.start < end && pos < f.end)
            });
            match hit {
                Some(v) => {
                    let end = pos + (v.end - v.start);
                    out.push(Finding::new(v.entity.clone(), pos, end, v.score));
                    pos = end;
                }
                None => pos += text[pos..].chars().next().map_or(1, char::len_utf8),
            }
        }
        out.sort_by_key(|f| f.start);
        out
    }

    /// Sorted, non-overlapping findings on character boundaries of `text`, from cut
    /// points.
    fn findings_of(text: &str, cuts: &[(usize, usize)]) -> Vec<Finding> {
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        let mut out: Vec<Finding> = Vec::new();
        for &(a, len) in cuts {
            let start = bounds[a % bounds.len()];
            let Some(&end) = bounds.iter().find(|&&b| b > start + len % 4) else {
                continue;
            };
            if out.last().is_none_or(|l| l.end <= start) {
                out.push(Finding::new(EntityType::Person, start, end, 0.5));
            }
        }
        out
    }

    proptest! {
        #[test]
        fn occurrences_match_the_definition(
            text in "[abé ]{0,40}",
            mut cuts in proptest::collection::vec((0usize..64, 0usize..8), 0..5),
        ) {
            cuts.sort_unstable();
            let findings = findings_of(&text, &cuts);
            let got = other_occurrences(&text, &findings).expect("occurrences");
            prop_assert_eq!(got, reference(&text, &findings));
        }

        #[test]
        fn both_literal_searches_agree(
            text in "[abé ]{0,60}",
            literals in proptest::collection::vec("[abé ]{1,4}", 1..12),
            mut cuts in proptest::collection::vec((0usize..64, 0usize..8), 0..5),
        ) {
            cuts.sort_unstable();
            let findings = findings_of(&text, &cuts);
            let lits: Vec<&str> = literals.iter().map(String::as_str).collect();
            let direct = find_literals(&text, &lits, &findings, false).expect("direct");
            let automaton = find_literals(&text, &lits, &findings, true).expect("automaton");
            prop_assert_eq!(direct, automaton);
        }
    }

    /// Found by the `detect_redact` fuzz target: an occurrence of one value that
    /// overlaps a finding hid an occurrence of another value inside it, which stayed in
    /// the redacted text.
    #[test]
    fn an_occurrence_overlapping_a_finding_hides_no_other() {
        let text = "a 78-1111-2222 11 b 1111-2222 c 5678-1111-2222 11-1013";
        let f = vec![
            Finding::new(EntityType::PhoneNumber, 2, 17, 0.5),
            Finding::new(EntityType::PhoneNumber, 20, 29, 0.5),
            Finding::new(EntityType::PhoneNumber, 47, 54, 0.5),
        ];
        assert_eq!(&text[2..17], "78-1111-2222 11");
        assert_eq!(&text[47..54], "11-1013");
        for automaton in [false, true] {
            let lits = ["78-1111-2222 11", "1111-2222", "11-1013"];
            let got = find_literals(text, &lits, &f, automaton).expect("occurrences");
            // "78-1111-2222 11" at 34 overlaps the finding at 47; "1111-2222" at 37,
            // inside it, is taken.
            assert_eq!(got, vec![(37, 46, 1)], "automaton: {automaton}");
        }
        let got = other_occurrences(text, &f).expect("occurrences");
        let spans: Vec<(usize, usize)> = got.iter().map(|f| (f.start, f.end)).collect();
        assert_eq!(spans, vec![(2, 17), (20, 29), (37, 46), (47, 54)]);
    }

    #[test]
    fn many_distinct_values_take_the_automaton() {
        let mut text = String::new();
        let mut findings = Vec::new();
        for i in 0..5_000 {
            let start = text.len();
            text.push_str(&format!("user{i}@example.com"));
            findings.push(Finding::new(
                EntityType::EmailAddress,
                start,
                text.len(),
                1.0,
            ));
            text.push_str(" wrote; ");
        }
        // Each value again, unreported, after the reported ones.
        let second = text.len();
        for i in (0..5_000).rev() {
            text.push_str(&format!("(user{i}@example.com) "));
        }
        let got = other_occurrences(&text, &findings).expect("occurrences");
        assert_eq!(got.len(), 10_000);
        assert_eq!(got[..5_000], findings[..]);
        for f in &got[5_000..] {
            assert!(f.start > second);
            // Each occurrence is one whole value, between its parentheses.
            assert_eq!(&text[f.start - 1..f.start], "(");
            assert_eq!(&text[f.end..f.end + 1], ")");
        }
    }

    #[test]
    fn occurrences_inside_words_and_around_findings() {
        let text = "Ann Lee met Ann; Annabel and ann. Ann Lee!";
        let f = vec![Finding::new(EntityType::Person, 0, 7, 0.85)];
        let got = other_occurrences(text, &f).expect("occurrences");
        let spans: Vec<(usize, usize)> = got.iter().map(|f| (f.start, f.end)).collect();
        // Only the full value "Ann Lee" is a value here: its second occurrence is found,
        // the lone "Ann" is not (it was never found).
        assert_eq!(spans, vec![(0, 7), (34, 41)]);
        let f = vec![
            Finding::new(EntityType::Person, 0, 7, 0.85),
            Finding::new(EntityType::Person, 12, 15, 0.6),
        ];
        let got = other_occurrences(text, &f).expect("occurrences");
        let spans: Vec<(usize, usize)> = got.iter().map(|f| (f.start, f.end)).collect();
        // "Ann" now is a value too: inside "Annabel" and at 34, where "Ann Lee" (found
        // first) wins at the same position; case matters ("ann" stays).
        assert_eq!(spans, vec![(0, 7), (12, 15), (17, 20), (34, 41)]);
    }
}
