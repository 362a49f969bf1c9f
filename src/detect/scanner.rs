//! The scanner: built-in recognizers, your own recognizers, context words, overlap
//! resolution.

use std::collections::HashMap;
use std::fmt;

use regex_automata::meta::Regex;

use super::builtin::{Builtin, BuiltinConfig};
use super::entity::{BUILTIN, EntityType, Finding};
use super::gazetteer::{FxMap, TRIGRAM_BITS, trigram};
use super::text;
use crate::{Error, Result};

/// A source of findings that a [`Scanner`] runs beside its built-in recognizers: a
/// pattern of your own ([`PatternRecognizer`]), a dictionary, an ML model.
///
/// Implementations must be linear (or at least bounded) in the text: a scanner's
/// cost is the sum of its recognizers'. Findings whose span is not on character
/// boundaries of `text`, is empty or out of range are dropped by the scanner.
pub trait Recognizer: Send + Sync + fmt::Debug {
    /// A name for diagnostics.
    fn name(&self) -> &str;

    /// The types this recognizer reports.
    fn entities(&self) -> Vec<EntityType>;

    /// Appends the findings of `text` to `out` (any order; overlaps allowed). The
    /// scanner then applies context words and resolves overlaps.
    fn recognize(&self, text: &str, out: &mut Vec<Finding>);

    /// Words that, near a finding of one of [`entities`](Self::entities), raise its
    /// score (lower case). Merged into the scanner's context words.
    fn context_words(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A check on a matched text (a checksum).
type Validator = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// A recognizer of one entity type by a regular expression, with an optional
/// validator and context words: a customer id, an order number, an internal ticket
/// reference.
///
/// Patterns use the syntax of the `regex` crate and are compiled by a linear-time
/// engine (no backtracking: every pattern runs in time linear in the text).
pub struct PatternRecognizer {
    name: String,
    entity: EntityType,
    regex: Regex,
    score: f32,
    validator: Option<Validator>,
    context: Vec<String>,
}

impl fmt::Debug for PatternRecognizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatternRecognizer")
            .field("name", &self.name)
            .field("entity", &self.entity)
            .field("score", &self.score)
            .field("validator", &self.validator.is_some())
            .finish_non_exhaustive()
    }
}

impl PatternRecognizer {
    /// Findings of `entity` wherever `pattern` matches, with `score`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a pattern that does not compile (or exceeds the
    /// engine's size limit), one that can match the empty string, or a score outside
    /// `0..=1`.
    pub fn new(entity: EntityType, pattern: &str, score: f32) -> Result<Self> {
        if !(0.0..=1.0).contains(&score) {
            return Err(Error::invalid_argument(format!(
                "pattern recognizer score {score}: expected 0 to 1"
            )));
        }
        let regex = Regex::new(pattern)
            .map_err(|e| Error::invalid_argument(format!("pattern {pattern:?}: {e}")))?;
        if regex.is_match("") {
            return Err(Error::invalid_argument(format!(
                "pattern {pattern:?} matches the empty string"
            )));
        }
        Ok(Self {
            name: format!("pattern:{}", entity.name()),
            entity,
            regex,
            score,
            validator: None,
            context: Vec::new(),
        })
    }

    /// Keeps only matches for which `validator` returns `true` (a checksum).
    #[must_use]
    pub fn with_validator(
        mut self,
        validator: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.validator = Some(Box::new(validator));
        self
    }

    /// Words that raise the score of a match near them.
    #[must_use]
    pub fn with_context<S: AsRef<str>>(mut self, words: &[S]) -> Self {
        self.context = words.iter().map(|w| w.as_ref().to_lowercase()).collect();
        self
    }
}

impl Recognizer for PatternRecognizer {
    fn name(&self) -> &str {
        &self.name
    }

    fn entities(&self) -> Vec<EntityType> {
        vec![self.entity.clone()]
    }

    fn recognize(&self, text: &str, out: &mut Vec<Finding>) {
        for m in self.regex.find_iter(text) {
            let s = &text[m.range()];
            if self.validator.as_ref().is_none_or(|v| v(s)) {
                out.push(Finding::new(
                    self.entity.clone(),
                    m.start(),
                    m.end(),
                    self.score,
                ));
            }
        }
    }

    fn context_words(&self) -> Vec<String> {
        self.context.clone()
    }
}

/// How much a context word raises a score, and the least score a finding with
/// context has (Presidio's defaults: 0.35 and 0.4).
const CONTEXT_BOOST: f32 = 0.35;
const CONTEXT_MIN: f32 = 0.4;
/// Context is looked for in this many bytes before a finding (and a third of it after).
const CONTEXT_BYTES: usize = 48;
const CONTEXT_WORDS: usize = 5;

fn default_context(e: &EntityType) -> &'static [&'static str] {
    match e {
        EntityType::PhoneNumber => &[
            "phone",
            "telephone",
            "tel",
            "cell",
            "cellphone",
            "mobile",
            "call",
            "fax",
            "contact",
            "whatsapp",
            "sms",
            "reach",
            "dial",
            "landline",
            "desk",
            "ring",
        ],
        EntityType::CreditCard => &[
            "card",
            "credit",
            "debit",
            "visa",
            "mastercard",
            "amex",
            "cc",
            "payment",
            "pan",
        ],
        EntityType::UsSsn => &["ssn", "ssns", "social", "security"],
        EntityType::UkNhs => &["nhs", "health", "patient"],
        EntityType::NlBsn => &["bsn", "burgerservicenummer", "sofinummer", "sofi"],
        EntityType::DeTaxId => &[
            "steuer",
            "steuerid",
            "steuernummer",
            "identifikationsnummer",
            "idnr",
            "tin",
            "tax",
        ],
        EntityType::FrNir => &["nir", "sécurité", "securite", "sociale", "insee", "sécu"],
        EntityType::EsNif | EntityType::EsNie => &["dni", "nif", "nie", "documento"],
        EntityType::ItFiscalCode => &["codice", "fiscale", "cf"],
        EntityType::UkNino => &["nino", "insurance", "ni"],
        EntityType::UsDriverLicense => &[
            "driver", "drivers", "driver's", "license", "licence", "dl", "permit",
        ],
        EntityType::ZipCode => &["zip", "zipcode", "postcode", "postal", "plz", "cp", "cep"],
        EntityType::IbanCode => &["iban", "account", "bank", "transfer", "wire"],
        EntityType::IpAddress => &[
            "ip", "host", "client", "server", "remote", "src", "dst", "addr",
        ],
        EntityType::Person => &[
            "name", "named", "called", "dear", "hi", "hello", "hey", "says", "said", "asked",
            "told", "customer", "patient", "client", "employee", "mr", "mrs", "ms", "miss", "dr",
            "regards", "attn", "signed",
        ],
        EntityType::StreetAddress => &[
            "address", "live", "lives", "located", "deliver", "shipping", "billing",
        ],
        EntityType::Organization => &[
            "company",
            "corporation",
            "firm",
            "employer",
            "organization",
            "organisation",
            "startup",
            "agency",
            "subsidiary",
            "vendor",
        ],
        EntityType::DateTime => &[
            "date", "dob", "born", "birthday", "since", "founded", "expires", "expiry",
        ],
        _ => &[],
    }
}

/// Builds a [`Scanner`]: which built-in types are on, your recognizers, context words,
/// the score threshold, the regions of national phone numbers.
#[derive(Debug)]
pub struct ScannerBuilder {
    enabled: Vec<bool>,
    regions: Vec<String>,
    custom: Vec<Box<dyn Recognizer>>,
    context: HashMap<EntityType, Vec<String>>,
    min_score: f32,
}

/// Regions whose national phone numbers are recognized by default, in the order they
/// are tried (international numbers with `+` or `00` are recognized for every region).
/// Each region costs one anchored pattern match per phone-like candidate.
pub const DEFAULT_PHONE_REGIONS: &[&str] = &[
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "IE", "PL",
    "PT", "CA", "AU", "IN", "BR",
];

/// The default score threshold: findings below it are not reported.
pub const DEFAULT_MIN_SCORE: f32 = 0.4;

impl Default for ScannerBuilder {
    fn default() -> Self {
        Self {
            enabled: vec![true; BUILTIN.len()],
            regions: DEFAULT_PHONE_REGIONS
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
            custom: Vec::new(),
            context: HashMap::new(),
            min_score: DEFAULT_MIN_SCORE,
        }
    }
}

impl ScannerBuilder {
    /// Only these built-in types (replacing the default of all).
    #[must_use]
    pub fn only(mut self, entities: &[EntityType]) -> Self {
        self.enabled = BUILTIN.iter().map(|e| entities.contains(e)).collect();
        self
    }

    /// Turns these built-in types off.
    #[must_use]
    pub fn without(mut self, entities: &[EntityType]) -> Self {
        for e in entities {
            if let Some(i) = e.builtin_index() {
                self.enabled[i] = false;
            }
        }
        self
    }

    /// Adds a recognizer of your own.
    #[must_use]
    pub fn recognizer(mut self, recognizer: impl Recognizer + 'static) -> Self {
        self.custom.push(Box::new(recognizer));
        self
    }

    /// Adds context words for `entity` (lower case; a word matches a word of the text
    /// that equals it or starts with it: `card` matches `cards`).
    #[must_use]
    pub fn context<S: AsRef<str>>(mut self, entity: EntityType, words: &[S]) -> Self {
        self.context
            .entry(entity)
            .or_default()
            .extend(words.iter().map(|w| w.as_ref().to_lowercase()));
        self
    }

    /// The regions (ISO 3166-1 alpha-2, as `"GB"`) whose national phone numbers are
    /// recognized, in the order they are tried; replaces [`DEFAULT_PHONE_REGIONS`].
    #[must_use]
    pub fn phone_regions<S: AsRef<str>>(mut self, regions: &[S]) -> Self {
        self.regions = regions.iter().map(|r| r.as_ref().to_owned()).collect();
        self
    }

    /// Findings scoring below `min_score` are not reported (default
    /// [`DEFAULT_MIN_SCORE`]).
    #[must_use]
    pub fn min_score(mut self, min_score: f32) -> Self {
        self.min_score = min_score;
        self
    }

    /// The scanner.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a `min_score` outside `0..=1` or a phone region
    /// that libphonenumber's metadata does not have.
    pub fn build(self) -> Result<Scanner> {
        if !(0.0..=1.0).contains(&self.min_score) {
            return Err(Error::invalid_argument(format!(
                "min_score {}: expected 0 to 1",
                self.min_score
            )));
        }
        let meta = super::phone::PhoneMetadata::get();
        let mut regions = Vec::with_capacity(self.regions.len());
        for r in &self.regions {
            let id = meta.region(&r.to_ascii_uppercase()).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "phone region {r:?}: not a region of libphonenumber's metadata (ISO 3166-1 alpha-2)"
                ))
            })?;
            regions.push(id);
        }
        let mut context: HashMap<EntityType, Vec<String>> = HashMap::new();
        for e in BUILTIN.iter() {
            context.insert(
                e.clone(),
                default_context(e).iter().map(|w| (*w).to_owned()).collect(),
            );
        }
        for r in &self.custom {
            let words = r.context_words();
            for e in r.entities() {
                context.entry(e).or_default().extend(words.iter().cloned());
            }
        }
        for (e, words) in self.context {
            context.entry(e).or_default().extend(words);
        }
        let builtin = if self.enabled.iter().any(|&b| b) {
            Some(Builtin::new(BuiltinConfig {
                enabled: self.enabled,
                phone_regions: regions,
            })?)
        } else {
            None
        };
        Ok(Scanner {
            builtin,
            custom: self.custom,
            context: ContextWords::new(context),
            min_score: self.min_score,
        })
    }
}

/// Finds personal data in text. Built once, shared by reference across threads
/// (`Send + Sync`); scanning takes `&self`.
///
/// See the [module documentation](super) for what it finds and how.
#[derive(Debug)]
pub struct Scanner {
    builtin: Option<Builtin>,
    custom: Vec<Box<dyn Recognizer>>,
    context: ContextWords,
    min_score: f32,
}

/// Context words of every type, indexed by word: one lookup per word near a finding,
/// whatever the number of types and words.
#[derive(Debug, Default)]
struct ContextWords {
    /// Lower-cased word to the types it is a context word of.
    words: FxMap<Box<[u8]>, WordTypes>,
    /// Ids of custom types (built-in types use their index in [`BUILTIN`]).
    custom: HashMap<EntityType, u32>,
    /// Whether a type (by id) has any context word.
    has_words: Vec<bool>,
    /// Bit `b0 << 8 | b1` is set for every context word of two bytes `b0 b1`.
    pairs: Vec<u64>,
    /// Bit [`trigram`] is set for the first three bytes of every context word of three
    /// bytes or more: most words of a text are rejected by one of these two bits,
    /// without hashing.
    trigrams: Vec<u64>,
    /// Whether a context word has a single byte (those bypass `pairs`).
    single: bool,
    /// By type id, bit `b` is set when a context word of the type starts with the
    /// (lower-case) byte `b`: a word of the text that starts with another ASCII byte
    /// is no context word of the type, whatever follows.
    first: Vec<[u64; 4]>,
}

/// The types a context word belongs to: ids below 64 as bits, the others listed.
#[derive(Debug, Default)]
struct WordTypes {
    mask: u64,
    more: Vec<u32>,
}

impl WordTypes {
    #[cfg(test)]
    fn contains(&self, id: u32) -> bool {
        if id < 64 {
            self.mask & (1 << id) != 0
        } else {
            self.more.contains(&id)
        }
    }
}

/// The longest context word looked up, in bytes; longer words of the text never match.
const MAX_CONTEXT_WORD: usize = 48;

impl ContextWords {
    fn new(by_type: HashMap<EntityType, Vec<String>>) -> Self {
        let mut cx = ContextWords {
            has_words: vec![false; BUILTIN.len()],
            first: vec![[0; 4]; BUILTIN.len()],
            pairs: vec![0; 1024],
            trigrams: vec![0; TRIGRAM_BITS / 64],
            ..ContextWords::default()
        };
        // Sorted, so that custom ids do not depend on hash order.
        let mut by_type: Vec<_> = by_type.into_iter().collect();
        by_type.sort_by(|a, b| a.0.cmp(&b.0));
        for (e, words) in by_type {
            let id = cx.id_or_insert(&e);
            for w in words {
                if w.is_empty() || w.len() > MAX_CONTEXT_WORD {
                    continue;
                }
                let w = w.to_lowercase();
                if let Some(&b0) = w.as_bytes().first() {
                    cx.first[id as usize][usize::from(b0 / 64)] |= 1 << (b0 % 64);
                }
                match w.as_bytes() {
                    [b0, b1] => {
                        let k = usize::from(*b0) << 8 | usize::from(*b1);
                        cx.pairs[k / 64] |= 1 << (k % 64);
                    }
                    [b0, b1, b2, ..] => {
                        let k = trigram(*b0, *b1, *b2);
                        cx.trigrams[k / 64] |= 1 << (k % 64);
                    }
                    _ => cx.single = true,
                }
                let types = cx
                    .words
                    .entry(w.into_bytes().into_boxed_slice())
                    .or_default();
                if id < 64 {
                    types.mask |= 1 << id;
                } else if !types.more.contains(&id) {
                    types.more.push(id);
                }
                cx.has_words[id as usize] = true;
            }
        }
        cx
    }

    fn id_or_insert(&mut self, e: &EntityType) -> u32 {
        if let Some(i) = e.builtin_index() {
            return u32::try_from(i).unwrap_or(u32::MAX);
        }
        let next = u32::try_from(self.has_words.len()).unwrap_or(u32::MAX);
        let id = *self.custom.entry(e.clone()).or_insert(next);
        if id == next {
            self.has_words.push(false);
            self.first.push([0; 4]);
        }
        id
    }

    fn id(&self, e: &EntityType) -> Option<u32> {
        match e.builtin_index() {
            Some(i) => u32::try_from(i).ok(),
            None => self.custom.get(e).copied(),
        }
    }

    /// Calls `f` with the entries of the context words that `word` of the text is: it
    /// equals one (ignoring case) or starts with one of 3 bytes or more and is at most
    /// two bytes longer ("cards", "phones"), the rule of `text::context_match`.
    fn lookup(&self, word: &str, mut f: impl FnMut(&WordTypes)) {
        let b = word.as_bytes();
        if b.len() > MAX_CONTEXT_WORD + 2 {
            return;
        }
        match b {
            [b0, b1] if b0.is_ascii() && b1.is_ascii() => {
                let k = usize::from(b0.to_ascii_lowercase()) << 8
                    | usize::from(b1.to_ascii_lowercase());
                if self.pairs[k / 64] & (1 << (k % 64)) == 0 {
                    return;
                }
            }
            [b0, b1, b2, ..] if b0.is_ascii() && b1.is_ascii() && b2.is_ascii() => {
                let k = trigram(
                    b0.to_ascii_lowercase(),
                    b1.to_ascii_lowercase(),
                    b2.to_ascii_lowercase(),
                );
                if self.trigrams[k / 64] & (1 << (k % 64)) == 0 {
                    return;
                }
            }
            [_] if !self.single => return,
            _ => {}
        }
        let mut buf = [0u8; MAX_CONTEXT_WORD + 2];
        let lowered: String;
        let (w, boundary): (&[u8], &dyn Fn(usize) -> bool) = if word.is_ascii() {
            let l = &mut buf[..b.len()];
            l.copy_from_slice(b);
            l.make_ascii_lowercase();
            (l, &|_| true)
        } else {
            lowered = word.to_lowercase();
            (lowered.as_bytes(), &|k| lowered.is_char_boundary(k))
        };
        if let Some(t) = self.words.get(w) {
            f(t);
        }
        for cut in 1..=2 {
            if w.len() >= 3 + cut
                && boundary(w.len() - cut)
                && let Some(t) = self.words.get(&w[..w.len() - cut])
            {
                f(t);
            }
        }
    }

    /// Whether `word` of the text is a context word of type `id`.
    #[cfg(test)]
    fn matches(&self, word: &str, id: u32) -> bool {
        let mut hit = false;
        self.lookup(word, |t| hit |= t.contains(id));
        hit
    }

    /// The types (ids below 64, as bits) that have a context word among the words near
    /// `start..end`, and whether a type of id 64 or more has one. Only words whose
    /// first byte is in `first` (see [`ContextWords::first`]) or not ASCII are looked
    /// up: the result is exact for the types whose first bytes `first` holds.
    fn near(
        &self,
        text: &str,
        bits: &text::WordBits,
        start: usize,
        end: usize,
        id: u32,
        first: &[u64; 4],
    ) -> (u64, bool) {
        let mut mask = 0u64;
        let mut more = false;
        bits.any_word_near_starting(
            text,
            start,
            end,
            (CONTEXT_BYTES, CONTEXT_WORDS),
            (CONTEXT_BYTES / 3, 2),
            |b0, _| {
                let b0 = b0.to_ascii_lowercase();
                b0 >= 0x80 || first[usize::from(b0 / 64)] & (1 << (b0 % 64)) != 0
            },
            |w| {
                self.lookup(w, |t| {
                    mask |= t.mask;
                    more |= id >= 64 && t.more.contains(&id);
                });
                false
            },
        );
        (mask, more)
    }
}

impl Scanner {
    /// A builder, starting from every built-in type on.
    #[must_use]
    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// A scanner with every built-in type and the defaults.
    ///
    /// # Errors
    /// None in practice (the built-in patterns compile); the `Result` keeps the door
    /// open for configuration read from elsewhere.
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// The findings in `text`, sorted by start, not overlapping, each at or above the
    /// score threshold.
    #[must_use]
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        self.scan_into(text, &mut out);
        out
    }

    /// As [`scan`](Self::scan), into `out` (cleared first), reusing its allocation.
    pub fn scan_into(&self, text: &str, out: &mut Vec<Finding>) {
        out.clear();
        // The word bytes of the text, for the words around candidates and findings.
        let bits = text::WordBits::new(text);
        if let Some(b) = &self.builtin {
            b.scan(text, &bits, out);
        }
        let builtin_len = out.len();
        for r in &self.custom {
            r.recognize(text, out);
        }
        // Never trust a recognizer's spans.
        let mut k = builtin_len;
        while k < out.len() {
            let f = &out[k];
            let ok = f.start < f.end
                && f.end <= text.len()
                && text.is_char_boundary(f.start)
                && text.is_char_boundary(f.end)
                && f.score.is_finite();
            if ok {
                k += 1;
            } else {
                out.swap_remove(k);
            }
        }
        self.apply_context(text, &bits, out);
        out.retain(|f| f.score >= self.min_score);
        resolve_overlaps(out);
    }

    /// Raises the scores of findings with a context word nearby. Findings of one
    /// span (a digit run read as several types) share one look at the words, which
    /// looks up only the words that can be context words of their types.
    fn apply_context(&self, text: &str, bits: &text::WordBits, out: &mut [Finding]) {
        let cx = &self.context;
        let mut k = 0;
        while k < out.len() {
            let (start, end) = (out[k].start, out[k].end);
            let mut run = k + 1;
            while run < out.len() && out[run].start == start && out[run].end == end {
                run += 1;
            }
            // The first bytes of the context words of the run's types below 64.
            let mut first = [0u64; 4];
            for f in &out[k..run] {
                if let Some(id) = cx.id(&f.entity)
                    && id < 64
                    && cx.has_words.get(id as usize).copied().unwrap_or(false)
                {
                    let t = &cx.first[id as usize];
                    for (a, b) in first.iter_mut().zip(t) {
                        *a |= b;
                    }
                }
            }
            let mut mask = None;
            for f in &mut out[k..run] {
                let Some(id) = cx.id(&f.entity) else {
                    continue;
                };
                if !cx.has_words.get(id as usize).copied().unwrap_or(false) {
                    continue;
                }
                let hit = if id < 64 {
                    let m =
                        *mask.get_or_insert_with(|| cx.near(text, bits, start, end, id, &first).0);
                    m & (1 << id) != 0
                } else {
                    cx.near(text, bits, start, end, id, &cx.first[id as usize])
                        .1
                };
                if hit {
                    f.score = (f.score + CONTEXT_BOOST).clamp(CONTEXT_MIN, 1.0);
                }
            }
            k = run;
        }
    }

    /// The score threshold.
    #[must_use]
    pub fn min_score(&self) -> f32 {
        self.min_score
    }

    /// Whether the built-in type `entity` is on, or a recognizer of the scanner
    /// reports it.
    #[must_use]
    pub fn detects(&self, entity: &EntityType) -> bool {
        let builtin = self.builtin.as_ref().is_some_and(|b| {
            entity
                .builtin_index()
                .is_some_and(|i| b.config().enabled[i])
        });
        builtin || self.custom.iter().any(|r| r.entities().contains(entity))
    }
}

/// Keeps a deterministic set of non-overlapping findings: higher score first, then the
/// longer span, then the earlier start, then the type's order; the result is sorted by
/// start.
fn resolve_overlaps(out: &mut Vec<Finding>) {
    if out.len() < 2 {
        return;
    }
    // By start (longer first): the order of the result, and the order in which a
    // finding inside a longer one of the same type ("Apt. 4" inside "22 Baker Street
    // Apt. 4") merges into it (the longer span, the higher score). The stable order:
    // ties differ only in the score, and merging takes the higher one. Findings of
    // built-in types are sorted as integers (`sort_keys`), the others by comparing them.
    let keys = sort_keys(out);
    if keys.is_none() {
        out.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then(b.end.cmp(&a.end))
                .then_with(|| entity_cmp(&a.entity, &b.entity))
        });
    }
    let mut found = std::mem::take(out);
    // The last finding kept of each type, by index into `merged`.
    let mut last_builtin = [usize::MAX; BUILTIN.len()];
    let mut last_custom: Vec<(EntityType, usize)> = Vec::new();
    let mut merged: Vec<Finding> = Vec::with_capacity(found.len());
    for j in 0..found.len() {
        let i = keys.as_ref().map_or(j, |k| {
            usize::try_from(k[j] & u128::from(u32::MAX)).unwrap_or(j)
        });
        let f = std::mem::replace(&mut found[i], Finding::new(EntityType::Person, 0, 0, 0.0));
        let slot = match f.entity.builtin_index() {
            Some(i) => &mut last_builtin[i],
            None => {
                let k = match last_custom.iter().position(|(e, _)| *e == f.entity) {
                    Some(k) => k,
                    None => {
                        last_custom.push((f.entity.clone(), usize::MAX));
                        last_custom.len() - 1
                    }
                };
                &mut last_custom[k].1
            }
        };
        if let Some(last) = merged.get_mut(*slot)
            && f.start >= last.start
            && f.end <= last.end
        {
            last.score = last.score.max(f.score);
            continue;
        }
        *slot = merged.len();
        merged.push(f);
    }
    // `out` gets its buffer back.
    found.clear();
    *out = found;
    // Then greedily by priority: higher score, longer, earlier, type order. A finding
    // can only clash with findings of its cluster (the run of findings, by start, that
    // overlap one another transitively), so the greedy choice is made cluster by
    // cluster, in the same order as over all findings: most clusters are one finding
    // and cost no sort.
    let priority = |a: &Finding, b: &Finding| {
        b.score
            .total_cmp(&a.score)
            .then(b.len().cmp(&a.len()))
            .then(a.start.cmp(&b.start))
            .then_with(|| entity_cmp(&a.entity, &b.entity))
    };
    let mut keep = vec![true; merged.len()];
    let mut order: Vec<usize> = Vec::new();
    // Kept spans of a large cluster by start, for overlap checks in O(log n).
    let mut spans: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    let mut kept: Vec<(usize, usize)> = Vec::new();
    let mut c0 = 0;
    while c0 < merged.len() {
        let mut reach = merged[c0].end;
        let mut c1 = c0 + 1;
        while c1 < merged.len() && merged[c1].start < reach {
            reach = reach.max(merged[c1].end);
            c1 += 1;
        }
        if c1 - c0 > 1 {
            order.clear();
            order.extend(c0..c1);
            order.sort_unstable_by(|&x, &y| priority(&merged[x], &merged[y]));
            let large = c1 - c0 > 16;
            spans.clear();
            kept.clear();
            for &i in &order {
                let f = &merged[i];
                // Kept spans do not overlap each other, so only the one starting last
                // before f.end can reach into f.
                let clash = if large {
                    spans
                        .range(..f.end)
                        .next_back()
                        .is_some_and(|(_, &end)| end > f.start)
                } else {
                    kept.iter().any(|&(s, e)| s < f.end && e > f.start)
                };
                if clash {
                    keep[i] = false;
                } else if large {
                    spans.insert(f.start, f.end);
                } else {
                    kept.push((f.start, f.end));
                }
            }
        }
        c0 = c1;
    }
    out.extend(
        merged
            .into_iter()
            .zip(keep)
            .filter_map(|(f, k)| k.then_some(f)),
    );
}

/// For findings all of built-in types, with offsets below 2^40 and fewer than 2^32 of
/// them, one integer each that sorts as start, then end descending, then type, then
/// position in `out` (in its low 32 bits), sorted; `None` for others.
fn sort_keys(out: &[Finding]) -> Option<Vec<u128>> {
    const MAX: u128 = (1 << 40) - 1;
    let mut keys = Vec::with_capacity(out.len());
    for (i, f) in out.iter().enumerate() {
        let (start, end) = (u128::try_from(f.start).ok()?, u128::try_from(f.end).ok()?);
        if start > MAX || end > MAX {
            return None;
        }
        let t = u128::try_from(f.entity.builtin_index()?).ok()?;
        let i = u128::from(u32::try_from(i).ok()?);
        keys.push(start << 88 | (MAX - end) << 48 | t << 32 | i);
    }
    // A stable sort, which merges the runs already in order (each pass reports in
    // order); the keys are distinct, so any sort gives this order.
    keys.sort();
    Some(keys)
}

/// The order of [`EntityType`], with built-in types compared by index (no string
/// comparison unless both are custom).
fn entity_cmp(a: &EntityType, b: &EntityType) -> std::cmp::Ordering {
    match (a.builtin_index(), b.builtin_index()) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn f(e: EntityType, s: usize, t: usize, score: f32) -> Finding {
        Finding::new(e, s, t, score)
    }

    #[test]
    fn overlaps_resolve_by_score_then_length() {
        let mut v = vec![
            f(EntityType::PhoneNumber, 0, 10, 0.5),
            f(EntityType::CreditCard, 2, 18, 0.8),
            f(EntityType::Person, 20, 25, 0.6),
            f(EntityType::Location, 20, 30, 0.6),
            f(EntityType::DateTime, 30, 34, 0.3),
        ];
        resolve_overlaps(&mut v);
        let got: Vec<_> = v.iter().map(|f| (f.entity.clone(), f.start)).collect();
        assert_eq!(
            got,
            [
                (EntityType::CreditCard, 2),
                (EntityType::Location, 20),
                (EntityType::DateTime, 30)
            ]
        );
    }

    #[test]
    fn context_index_agrees_with_context_match() {
        let words = ["card", "cc", "phone", "número"];
        let cx = ContextWords::new(HashMap::from([(
            EntityType::CreditCard,
            words.iter().map(|w| (*w).to_owned()).collect(),
        )]));
        let id = cx.id(&EntityType::CreditCard).unwrap();
        for w in [
            "card",
            "Cards",
            "CARDS",
            "cardio",
            "cardiology",
            "cc",
            "ccs",
            "ca",
            "phoned",
            "phonebook",
            "números",
            "x",
        ] {
            let want = words.iter().any(|c| text::context_match(w, c));
            assert_eq!(cx.matches(w, id), want, "{w}");
        }
        // Unicode case folding where `context_match` only folds ASCII.
        assert!(cx.matches("Número", id));
        assert!(!cx.matches("card", cx.id(&EntityType::PhoneNumber).unwrap()));
        assert_eq!(cx.id(&EntityType::Custom("X".into())), None);
    }

    #[test]
    fn fail_bad_configuration() {
        assert!(Scanner::builder().min_score(1.5).build().is_err());
        assert!(Scanner::builder().phone_regions(&["XX"]).build().is_err());
        assert!(PatternRecognizer::new(EntityType::Person, "(", 0.5).is_err());
        assert!(PatternRecognizer::new(EntityType::Person, "a*", 0.5).is_err());
        assert!(PatternRecognizer::new(EntityType::Person, "a", 1.5).is_err());
    }
}
