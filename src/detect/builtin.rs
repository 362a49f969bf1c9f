//! The built-in recognizers: a byte loop (digit runs, capitalized words, glued street
//! names) and one multi-pattern regex pass produce candidates; each candidate goes to
//! the validator of its shape, which may look a bounded distance around it (a title
//! before a name, a street number, a unit after an address).

use std::net::{Ipv4Addr, Ipv6Addr};

use regex_automata::Input;
use regex_automata::meta::Regex;

use super::entity::{BUILTIN, EntityType, Finding};
use super::gazetteer::{
    Gazetteer, STREET_GLUED, STREET_SUFFIXES, TITLES, UNIT_WORDS, W_CITY, W_COUNTRY, W_FIRST,
    W_LEGAL_FORM, W_NRP, W_NRP_FIRST, W_ORG_WORD, W_PLACE_FIRST, W_STOP, W_STREET_PREFIX,
    W_STREET_SUFFIX, W_SURNAME, low_bytes16, pack16, trigram,
};
use super::phone::PhoneMetadata;
use super::{checksum, text};
use crate::{Error, Result};

/// Longest candidate a validator considers, in bytes; longer matches are cut (a
/// URL) or dropped (a digit run). Bounds the work per candidate.
const MAX_CANDIDATE: usize = 4096;
/// How far validators look around a candidate, in bytes.
const LOOK: usize = 96;

/// Words before a bare digit block that make it worth a phone-number validation: these
/// and [`STRONG_PHONE_WORDS`].
const PHONE_WORDS: &[&str] = &["number", "no", "nr", "at", "on"];

/// Phone words that are not also common prepositions ("at", "on"): near a digit run,
/// they make it a phone candidate, and keep it one whatever follows it.
const STRONG_PHONE_WORDS: &[&str] = &[
    "phone",
    "tel",
    "telephone",
    "mobile",
    "cell",
    "call",
    "fax",
    "whatsapp",
    "sms",
    "contact",
    "desk",
    "landline",
];

/// Words right before a demonym that make it a language ("studying English", "in
/// English"): Presidio's NRP is a group of people, not a language.
const LANGUAGE_WORDS: &[&str] = &[
    "speak",
    "speaks",
    "spoke",
    "spoken",
    "speaking",
    "study",
    "studying",
    "studied",
    "learn",
    "learning",
    "learned",
    "learnt",
    "fluent",
    "translated",
    "written",
    "into",
    "in",
    "teach",
    "teaches",
    "teaching",
    "taught",
];

/// Words after a demonym that make it part of a country's name ("Czech Republic").
const COUNTRY_NAME_WORDS: &[&str] = &[
    "republic",
    "kingdom",
    "islands",
    "island",
    "federation",
    "emirates",
    "states",
    "empire",
];

/// Words shortly before capitalized words that introduce a person's name, whatever
/// the name ("My name is Siiri", "Dear Aantje", "regards, Julcsa Kárpáthy"): a name
/// that is in no list is still found after them.
const NAME_CUES: &[&str] = &[
    "name",
    "named",
    "called",
    "i'm",
    "im",
    "dear",
    "hi",
    "hello",
    "hey",
    "regards",
    "sincerely",
    "attn",
    "signed",
    "thanks",
    "cheers",
    "cc",
];

/// Words before two or more capitalized words that make them a name more often than
/// not ("by Szabina Gelencsér", "under Miklós Hajdu", "assistant to Asya Godina").
const WEAK_NAME_CUES: &[&str] = &[
    "by",
    "to",
    "under",
    "with",
    "and",
    "for",
    "ask",
    "met",
    "meet",
    "asked",
    "told",
    "tell",
    "thank",
    "contact",
    "partner",
    "partner's",
    "assistant",
    "songwriter",
    "singer",
    "author",
    "customer",
    "patient",
    "client",
    "employee",
    "colleague",
    "manager",
    "director",
];

/// Words right before capitalized words that make them an organization ("I work for
/// Socrata", "later became Zillow", "a year at Datamarket").
const ORG_CUES_BEFORE: &[&str] = &[
    "for",
    "at",
    "joined",
    "join",
    "joining",
    "became",
    "support",
    "supporting",
    "acquired",
    "employer",
    "company",
];
/// Of [`ORG_CUES_BEFORE`], the prepositions, which need a word before them of
/// [`ORG_CUE_VERBS`] ("work for", "year at").
const ORG_CUE_PREPOSITIONS: &[&str] = &["for", "at"];
const ORG_CUE_VERBS: &[&str] = &[
    "work", "works", "worked", "working", "year", "years", "employed", "intern", "interned", "job",
    "career",
];
/// Words right after capitalized words that make them an organization ("The Avalara
/// office", "the Roadify Transit website", "Coden is a design agency").
const ORG_CUES_AFTER: &[&str] = &[
    "office",
    "offices",
    "website",
    "headquarters",
    "employees",
    "staff",
    "shareholders",
    "stock",
    "shares",
    "resignation",
];
const ORG_CUE_NOUNS: &[&str] = &[
    "company",
    "agency",
    "firm",
    "startup",
    "multinational",
    "corporation",
    "nonprofit",
    "non-profit",
    "business",
    "brand",
    "manufacturer",
    "retailer",
    "bank",
    "provider",
];

/// Words right before three digits that make them a postcode (Iceland, the Faroes).
const ZIP_CUES: &[&str] = &["zip", "zipcode", "postcode", "postal", "code"];

/// Words before a digit run that say it is something else than a phone number (a
/// postcode, a license, an account): the run is not validated as one.
const NOT_PHONE_WORDS: &[&str] = &[
    "zip", "zipcode", "postcode", "postal", "plz", "license", "licence", "driver", "driver's",
    "passport", "iban", "account", "ssn", "suite", "apt", "unit", "box",
];

/// A list of lower-case ASCII words, matched ignoring ASCII case, with the lengths of
/// its words by first byte: most words of a text have a first byte and a length that
/// no word of the list has and are rejected by one bit test instead of a comparison
/// with every word.
struct Words {
    list: &'static [&'static str],
    /// Bit `n` of entry `c`: a word of the list starts with `c` and has `n` bytes
    /// (bit 63: 63 bytes or more).
    lens: [u64; 256],
    /// Bit `c` is set when a word of the list ends with byte `c` (lower case).
    last: [u64; 4],
    /// The words of at most 8 bytes, lower case, as [`text::pack8_lower`] packs them,
    /// sorted, and how many: compared as integers, by binary search.
    short: [u64; WORDS_SHORT],
    shorts: usize,
}

/// The most words of at most 8 bytes a [`Words`] list holds.
const WORDS_SHORT: usize = 64;

impl Words {
    const fn new(list: &'static [&'static str]) -> Self {
        let mut lens = [0u64; 256];
        let mut last = [0u64; 4];
        let mut short = [0u64; WORDS_SHORT];
        let mut shorts = 0;
        let mut i = 0;
        while i < list.len() {
            let b = list[i].as_bytes();
            if !b.is_empty() {
                let c = b[0].to_ascii_lowercase();
                let n = if b.len() < 63 { b.len() } else { 63 };
                lens[c as usize] |= 1 << n;
                let z = b[b.len() - 1].to_ascii_lowercase();
                last[(z / 64) as usize] |= 1 << (z % 64);
                if b.len() <= 8 {
                    let mut x = 0u64;
                    let mut k = 0;
                    while k < b.len() {
                        x |= (b[k].to_ascii_lowercase() as u64) << (8 * k);
                        k += 1;
                    }
                    assert!(shorts < WORDS_SHORT, "a Words list of more short words");
                    short[shorts] = x;
                    shorts += 1;
                }
            }
            i += 1;
        }
        // Insertion sort (a `const fn` has no `sort`), duplicates kept.
        let mut i = 1;
        while i < shorts {
            let x = short[i];
            let mut j = i;
            while j > 0 && short[j - 1] > x {
                short[j] = short[j - 1];
                j -= 1;
            }
            short[j] = x;
            i += 1;
        }
        Self {
            list,
            lens,
            last,
            short,
            shorts,
        }
    }

    /// Whether a word of the list ends with byte `c` (ignoring ASCII case): when not,
    /// no word that ends with it [`has`](Words::has).
    fn may_end(&self, c: u8) -> bool {
        let c = c.to_ascii_lowercase();
        self.last[usize::from(c / 64)] & (1 << (c % 64)) != 0
    }

    /// Whether a word of the list starts with byte `c` (ignoring ASCII case) and has
    /// `len` bytes: when not, no such word [`has`](Words::has).
    fn may_have(&self, c: u8, len: usize) -> bool {
        self.lens[usize::from(c.to_ascii_lowercase())] & (1 << len.min(63)) != 0
    }

    /// Whether `w` is one of the words, ignoring ASCII case.
    fn has(&self, w: &str) -> bool {
        let Some(&c) = w.as_bytes().first() else {
            return false;
        };
        if !self.may_have(c, w.len()) {
            return false;
        }
        match text::pack8_lower(w.as_bytes()) {
            Some(Some(x)) => self
                .short
                .get(..self.shorts)
                .is_some_and(|s| s.binary_search(&x).is_ok()),
            // Longer, outside ASCII (a few street prefixes are: "allée") or with a NUL.
            _ => self.list.iter().any(|x| w.eq_ignore_ascii_case(x)),
        }
    }
}

const PHONE_WORD_SET: Words = Words::new(PHONE_WORDS);
const STRONG_PHONE_WORD_SET: Words = Words::new(STRONG_PHONE_WORDS);
const NOT_PHONE_WORD_SET: Words = Words::new(NOT_PHONE_WORDS);
const ZIP_CUE_SET: Words = Words::new(ZIP_CUES);
const NAME_CUE_SET: Words = Words::new(NAME_CUES);
const WEAK_NAME_CUE_SET: Words = Words::new(WEAK_NAME_CUES);
const LANGUAGE_WORD_SET: Words = Words::new(LANGUAGE_WORDS);
const STREET_PREFIX_SET: Words = Words::new(super::gazetteer::STREET_PREFIXES);
const TITLE_SET: Words = Words::new(TITLES);
const STREET_GLUED_SET: Suffixes = Suffixes::new(STREET_GLUED);

/// A list of suffixes, with the last two bytes of each as bits: most words end in no
/// such pair and are rejected by one bit test instead of a comparison with every
/// suffix.
struct Suffixes {
    list: &'static [&'static str],
    /// Bit `k` (`k` = the second-to-last byte times 256 plus the last): a suffix ends
    /// with these two bytes.
    pairs: [u64; 1024],
    /// A suffix of fewer than two bytes (then every word is compared).
    short: bool,
    /// Bit [`tail3`] of the last three bytes of every suffix, for [`Suffixes::may_end3`].
    tails: [u64; 64],
    /// A suffix of fewer than three bytes (then `may_end3` lets every word through).
    short3: bool,
}

/// A hash of three bytes into `0..4096`, for [`Suffixes::tails`].
const fn tail3(a: u8, b: u8, c: u8) -> usize {
    let x = (a as u32) << 16 | (b as u32) << 8 | c as u32;
    (x.wrapping_mul(0x9E37_79B1) >> 20) as usize
}

impl Suffixes {
    const fn new(list: &'static [&'static str]) -> Self {
        let mut pairs = [0u64; 1024];
        let mut short = false;
        let mut tails = [0u64; 64];
        let mut short3 = false;
        let mut i = 0;
        while i < list.len() {
            let b = list[i].as_bytes();
            let n = b.len();
            if n < 2 {
                short = true;
            } else {
                let k = (b[n - 2] as usize) << 8 | b[n - 1] as usize;
                pairs[k / 64] |= 1 << (k % 64);
            }
            if n < 3 {
                short3 = true;
            } else {
                let k = tail3(b[n - 3], b[n - 2], b[n - 1]);
                tails[k / 64] |= 1 << (k % 64);
            }
            i += 1;
        }
        Self {
            list,
            pairs,
            short,
            tails,
            short3,
        }
    }

    /// Whether `w` ends with one of the suffixes (byte for byte).
    fn ends(&self, w: &str) -> bool {
        self.may_end(w.as_bytes()) && self.list.iter().any(|s| w.ends_with(s))
    }

    /// Whether a suffix may end `w`: its last two bytes end one (or a suffix is
    /// shorter than two bytes).
    fn may_end(&self, w: &[u8]) -> bool {
        if self.short {
            return true;
        }
        let [.., a, b] = w else {
            return false;
        };
        let k = usize::from(*a) << 8 | usize::from(*b);
        self.pairs[k / 64] & (1 << (k % 64)) != 0
    }

    /// As [`Suffixes::may_end`], by the last three bytes (fewer words get through).
    fn may_end3(&self, w: &[u8]) -> bool {
        if self.short3 {
            return true;
        }
        let [.., a, b, c] = w else {
            return false;
        };
        let k = tail3(*a, *b, *c);
        self.tails[k / 64] & (1 << (k % 64)) != 0
    }

    /// The length of the shortest suffix that `w` ends with (byte for byte), if any.
    fn shortest_end(&self, w: &[u8]) -> Option<usize> {
        if !self.may_end(w) {
            return None;
        }
        // The last two bytes first: one comparison of two bytes for most suffixes.
        let last2 = |x: &[u8]| match x {
            [.., a, b] => u16::from_le_bytes([*a, *b]),
            _ => 0,
        };
        let tail = last2(w);
        self.list
            .iter()
            .filter(|s| (s.len() < 2 || last2(s.as_bytes()) == tail) && w.ends_with(s.as_bytes()))
            .map(|s| s.len())
            .min()
    }

    /// [`Suffixes::ends`] of `w` ASCII-lower-cased, without lower-casing it (for an
    /// ASCII `w`; the suffixes are lower case).
    fn ends_ascii_lowered(&self, w: &str) -> bool {
        let b = w.as_bytes();
        if !self.short {
            let [.., x, y] = b else {
                return false;
            };
            let k = usize::from(x.to_ascii_lowercase()) << 8 | usize::from(y.to_ascii_lowercase());
            if self.pairs[k / 64] & (1 << (k % 64)) == 0 {
                return false;
            }
        }
        self.list.iter().any(|s| {
            b.len()
                .checked_sub(s.len())
                .and_then(|i| b.get(i..))
                .is_some_and(|t| t.eq_ignore_ascii_case(s.as_bytes()))
        })
    }
}
const COUNTRY_NAME_WORD_SET: Words = Words::new(COUNTRY_NAME_WORDS);
const ORG_CUE_BEFORE_SET: Words = Words::new(ORG_CUES_BEFORE);
const ORG_CUE_PREPOSITION_SET: Words = Words::new(ORG_CUE_PREPOSITIONS);
const ORG_CUE_VERB_SET: Words = Words::new(ORG_CUE_VERBS);
const ORG_CUE_AFTER_SET: Words = Words::new(ORG_CUES_AFTER);
const ORG_CUE_NOUN_SET: Words = Words::new(ORG_CUE_NOUNS);

/// A set of ASCII bytes, for trimming a word's trailing punctuation byte by byte
/// (`str::trim_end_matches` with an array of `char`s decodes every character from
/// the end and compares it with each one).
struct AsciiSet(u128);

impl AsciiSet {
    const fn new(bytes: &[u8]) -> Self {
        let mut m = 0u128;
        let mut i = 0;
        while i < bytes.len() {
            m |= 1 << (bytes[i] & 0x7F);
            i += 1;
        }
        Self(m)
    }

    fn has(&self, b: u8) -> bool {
        b < 0x80 && self.0 & (1 << b) != 0
    }
}

/// `trim_end_matches` of the characters of an [`AsciiSet`]: the same result, as no
/// byte of a character outside ASCII is an ASCII byte.
trait TrimAscii {
    fn trim_end_in(&self, set: &AsciiSet) -> &str;
}

impl TrimAscii for str {
    fn trim_end_in(&self, set: &AsciiSet) -> &str {
        let b = self.as_bytes();
        let mut n = b.len();
        while n > 0 && set.has(b[n - 1]) {
            n -= 1;
        }
        self.get(..n).unwrap_or(self)
    }
}

/// Punctuation trimmed after a word: `.,;:!?")`.
const WORD_END: AsciiSet = AsciiSet::new(b".,;:!?\")");
/// Punctuation trimmed after a street word: `,;`.
const LIST_END: AsciiSet = AsciiSet::new(b",;");
/// Punctuation trimmed after an address word: `,;.`.
const LIST_DOT_END: AsciiSet = AsciiSet::new(b",;.");
/// Punctuation trimmed after a word of a street name: `.,`.
const DOT_COMMA: AsciiSet = AsciiSet::new(b".,");
/// Punctuation trimmed after a phrase: `.,;:!?`.
const SENTENCE_END: AsciiSet = AsciiSet::new(b".,;:!?");
/// Punctuation trimmed after a name: `.,;:!?"')`.
const NAME_END: AsciiSet = AsciiSet::new(b".,;:!?\"')");
/// Punctuation trimmed after a place name: `.,:;`.
const PLACE_END: AsciiSet = AsciiSet::new(b".,:;");

/// Whether a character after the first of `w` is lower case
/// (`w.chars().skip(1).any(char::is_lowercase)`), by bytes while they are ASCII.
fn lower_after_first(w: &str) -> bool {
    for &c in w.as_bytes().iter().skip(1) {
        if c >= 0x80 {
            return w.chars().skip(1).any(char::is_lowercase);
        }
        if c.is_ascii_lowercase() {
            return true;
        }
    }
    false
}

/// Up to 16 bytes (a word) in one integer, lower-cased and tested for non-ASCII bytes
/// at once: a loop over a word's bytes ends after a number of steps that changes from
/// one word to the next, which costs a mispredicted branch about once per word. The
/// bytes past the word are zero.
#[derive(Clone, Copy)]
struct Bytes16 {
    x: u128,
}

const LO16: u128 = u128::MAX / 0xFF;
const HI16: u128 = LO16 << 7;

impl Bytes16 {
    /// The bytes of `text[start..end]` (`start <= end`), read as 16 bytes from `start`
    /// where the text has them (one load, no copy of a varying length); `None` when
    /// the word is longer than 16 bytes or not inside the text.
    fn at(text: &[u8], start: usize, end: usize) -> Option<Self> {
        let n = end.checked_sub(start)?;
        if n > 16 {
            return None;
        }
        let x = match text.get(start..start + 16) {
            Some(e) => u128::from_le_bytes(<[u8; 16]>::try_from(e).ok()?),
            None => pack16(text.get(start..end)?)?,
        };
        Some(Self {
            x: x & low_bytes16(n),
        })
    }

    /// Whether every byte is ASCII.
    fn is_ascii(self) -> bool {
        self.x & HI16 == 0
    }

    /// The bytes with ASCII capitals lower-cased (`u8::to_ascii_lowercase` of each).
    fn ascii_lowercase(self) -> u128 {
        let y = self.x & !HI16;
        // The top bit of each byte in `A..=Z` (byte-wise sums, no carry between bytes).
        let upper = y.wrapping_add(LO16 * u128::from(0x80 - b'A'))
            & !y.wrapping_add(LO16 * u128::from(0x7F - b'Z'))
            & !self.x
            & HI16;
        self.x | upper >> 2
    }
}

/// Shape of a candidate: which validator it goes to. Order = pattern priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Email,
    Url,
    Www,
    PrivateKey,
    Bearer,
    Jwt,
    AwsKey,
    AwsSecret,
    ApiKey,
    Iban,
    Nino,
    Nie,
    FiscalCode,
    AlnumId,
    Ipv6,
    MonthDate,
    DayMonthDate,
    Weekday,
    Unit,
    Corner,
    Military,
    StreetPrefix,
    StreetGlued,
    Numeric,
    Domain,
    Word,
    LowerWord,
}

/// The patterns of pass 1, one regex. The date, unit, corner and street-prefix patterns
/// open with `(?-u:\b)`: their validators accept only a match at a word start, and
/// without the assertion the lazy DFA also follows every such word starting inside
/// another word ("summary", "trivial"). On the benchmark sentences that took its
/// forward cache from 1.1 MB to 1.8 MB, and the transitions it reads missed the L1
/// cache. These matches start with an ASCII letter, where `\b` holds wherever
/// `text::word_start` does; the one exception is a street prefix written with U+017F
/// (long s, which `(?i:strada)` matches in "ſtrada"), no longer found.
const SHAPES: &[(Shape, &str)] = &[
    (
        Shape::Email,
        r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z][A-Za-z]+",
    ),
    (
        Shape::Url,
        r"(?i-u:https?|ftp|sftp|wss?)://(?-u:[^\x00-\x20\x22'<>\x60{}|\\^\[\]\x7f])+",
    ),
    (
        Shape::Www,
        r"(?i-u:www)\.[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+(?:[/?#](?-u:[^\x00-\x20\x22'<>\x60{}|\\^\[\]\x7f])*)?",
    ),
    (
        Shape::PrivateKey,
        r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY( BLOCK)?-----",
    ),
    (
        Shape::Bearer,
        r"(?i-u:bearer|basic|token)[ \t]+[A-Za-z0-9\-._~+/]{8,}=*",
    ),
    (
        Shape::Jwt,
        r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{0,}",
    ),
    (
        Shape::AwsKey,
        r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}(?-u:\b)",
    ),
    (
        Shape::AwsSecret,
        r"(?i-u:aws_?secret_?(?:access_?)?key)[\x22']?[ \t]*[:=][ \t]*[\x22']?[A-Za-z0-9/+=]{40}",
    ),
    (
        Shape::ApiKey,
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36}[A-Za-z0-9]*|github_pat_[A-Za-z0-9_]{60}[A-Za-z0-9_]*|xox[abposr]-[A-Za-z0-9\-]{10}[A-Za-z0-9\-]*|[sr]k_(?:live|test)_[A-Za-z0-9]{16}[A-Za-z0-9]*|AIza[0-9A-Za-z_\-]{35}|glpat-[A-Za-z0-9_\-]{20})",
    ),
    (
        Shape::Iban,
        r"(?-u:\b)[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]*(?:[ \-][A-Za-z0-9]+)*",
    ),
    (
        Shape::Nino,
        r"(?-u:\b)[A-Za-z]{2}[ ]?[0-9]{2}[ ]?[0-9]{2}[ ]?[0-9]{2}[ ]?[A-Da-d](?-u:\b)",
    ),
    (
        Shape::Nie,
        r"(?-u:\b)[XYZxyz][ \-]?[0-9]{7}[ \-]?[A-Za-z](?-u:\b)",
    ),
    (
        Shape::FiscalCode,
        r"(?-u:\b)[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z](?-u:\b)",
    ),
    (
        Shape::AlnumId,
        r"(?-u:\b)[A-Za-z]{1,2}[0-9]{5}[0-9]*(?-u:\b)",
    ),
    (
        Shape::Ipv6,
        r"(?-u:\b)(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f:.]*|::[0-9A-Fa-f][0-9A-Fa-f:.]*",
    ),
    (
        Shape::MonthDate,
        r"(?-u:\b)(?i-u:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[ ]+[0-9]{1,2}(?:st|nd|rd|th)?(?:,?[ ]+[0-9]{4})?|(?-u:\b)(?i-u:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?[ ]+[0-9]{4}",
    ),
    (
        Shape::DayMonthDate,
        r"(?-u:\b)[0-9]{1,2}(?:st|nd|rd|th)?[ ]+(?:of[ ]+)?(?i-u:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:,?[ ]+[0-9]{4})?",
    ),
    (
        Shape::Weekday,
        r"(?-u:\b)(?i-u:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?-u:\b)",
    ),
    (
        Shape::Unit,
        r"(?-u:\b)(?i-u:apt|apartment|suite|unit|p\.?[ ]?o\.?[ ]?box|psc)\.?,?[ ]+#?[0-9]{1,6}(?-u:\b)",
    ),
    (Shape::Corner, r"(?-u:\b)(?i-u:corner[ ]+of)[ ]"),
    // US military mail (USPS Publication 28, section 225): a ship or a PSC and box,
    // then the FPO/APO/DPO line with its "state" (AA, AE, AP) and ZIP code.
    (
        Shape::Military,
        r"(?-u:\b)(?i-u:(?:usns|usnv|uss|uscgc)[ ][^\n,]{1,40}|(?:psc|unit|cmr)[ ][0-9]{1,5},?[ ]box[ ][0-9]{1,5})[ ]*\n?[ ]*(?i-u:fpo|apo|dpo)[ ](?i-u:aa|ae|ap)[ ][0-9]{5}(?-u:\b)",
    ),
    (
        Shape::StreetPrefix,
        r"(?-u:\b)(?i:via|viale|piazza|piazzale|corso|largo|vicolo|rua|avenida|calle|carrer|camino|paseo|plaza|rue|chemin|allée|impasse|ul\.|ulica|aleja|al\.|strada|bulevar|travessa|praça|rambla|avinguda)[ ]+(?:(?:de|da|do|dos|das|del|di|du|des|la|le|los|las|della|delle|degli|dei)[ ]+)?(?-u:[A-Z\xC3-\xC5])",
    ),
    (
        Shape::StreetGlued,
        r"(?-u:[A-Z\xC3-\xC5][a-z\x80-\xBF\xC3-\xC5]*)(?:straße|strasse|weg|gasse|platz|allee|ring|damm|ufer|vägen|gatan|gränd|vej|gade|allé|katu|tie|kuja|polku|veien|vegen|gata|gate|laan|straat|plein|gracht|singel|utca|ulice|iela|tänav|cesta|stræti|vegur|braut|vænget|stien)[ ]+[0-9]",
    ),
    (
        Shape::Domain,
        r"(?-u:\b)[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z][A-Za-z]+(?-u:\b)",
    ),
];

/// Which built-in types are on, and their settings.
#[derive(Clone, Debug)]
pub(crate) struct BuiltinConfig {
    pub(crate) enabled: Vec<bool>,
    /// Indices into [`PhoneMetadata`] of the regions tried for national numbers.
    pub(crate) phone_regions: Vec<usize>,
}

impl BuiltinConfig {
    fn on(&self, e: &EntityType) -> bool {
        e.builtin_index()
            .is_some_and(|i| self.enabled.get(i).copied().unwrap_or(false))
    }
}

/// The compiled built-in recognizers.
#[derive(Debug)]
pub(crate) struct Builtin {
    /// Every pattern of [`SHAPES`] but [`Shape::StreetGlued`] (see [`glued_candidates`]).
    all: Regex,
    /// The index in [`SHAPES`] of each pattern of `all`.
    ids: Vec<usize>,
    config: BuiltinConfig,
    gaz: &'static Gazetteer,
    /// Whether a type that a capitalized word can start (person, organization, place,
    /// nationality) is on: when none is, words are not looked up at all.
    words: bool,
    /// Whether a type that a run of digits can start is on: when none is, digit runs
    /// are not parsed at all.
    digits: bool,
}

fn build(patterns: &[&str]) -> Result<Regex> {
    Regex::builder()
        .configure(
            Regex::config()
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .utf8_empty(true)
                .hybrid_cache_capacity(8 << 20),
        )
        // Byte classes (`(?-u:...)`) keep the automaton small: Latin letters are matched
        // as UTF-8 bytes (lead bytes C3 to C5 and continuation bytes), so every match
        // still starts and ends on a character boundary of valid UTF-8 (checked by the
        // validators).
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .build_many(patterns)
        .map_err(|e| Error::invalid_argument(format!("built-in pattern: {e}")))
}

impl Builtin {
    pub(crate) fn new(config: BuiltinConfig) -> Result<Self> {
        let ids: Vec<usize> = (0..SHAPES.len()).filter(|&k| k != GLUED).collect();
        let all = build(&ids.iter().map(|&k| SHAPES[k].1).collect::<Vec<_>>())?;
        let words = WORD_TYPES.iter().any(|e| config.on(e));
        let digits = BUILTIN
            .iter()
            .any(|e| !NOT_FROM_DIGITS.contains(e) && config.on(e));
        Ok(Self {
            all,
            ids,
            config,
            gaz: Gazetteer::get(),
            words,
            digits,
        })
    }

    pub(crate) fn config(&self) -> &BuiltinConfig {
        &self.config
    }

    /// Candidates of `text`, validated, appended to `out` (unsorted, may overlap);
    /// `bits` are the word bytes of `text`.
    pub(crate) fn scan(&self, text: &str, bits: &text::WordBits, out: &mut Vec<Finding>) {
        let mut cx = Cx {
            text,
            bits,
            out,
            b: self,
            buf: String::new(),
            buf2: String::new(),
            memo: [(usize::MAX, 0, 0); MEMO],
            next: [(usize::MAX, None); MEMO],
            marked: true,
        };
        // Pass 2, run first: capitalized words and digit runs, the most frequent
        // candidates, by a byte loop (a regex match per word would cost more than the
        // words' checks). It also collects the glued street candidates for pass 1.
        let mut glued = Vec::new();
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match BYTE_CLASS[usize::from(c)] {
                C_DIGIT => {
                    glued_candidates(b, i, &mut glued);
                    let end = numeric_end(b, i);
                    cx.dispatch(Shape::Numeric, i, end);
                    i = end.max(i + 1);
                }
                C_OPEN if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                    let end = numeric_end(b, i);
                    cx.dispatch(Shape::Numeric, i, end);
                    i = end.max(i + 1);
                }
                C_UPPER => {
                    let (end, marked) = word_end(b, i);
                    if end > i {
                        cx.marked = marked;
                        cx.dispatch(Shape::Word, i, end);
                    }
                    i = end.max(i + 1);
                }
                C_WORD => {
                    // The rest of a word that does not start a candidate ("iPhone", "é1").
                    let from = i;
                    i = text::run_end(b, i + 1);
                    // Lower-case demonyms ("we are proud ecuadoreans"): one bit of a
                    // trigram filter rejects almost every word before any lookup.
                    if i - from >= 4
                        && b[from].is_ascii_lowercase()
                        && (from == 0 || !b[from - 1].is_ascii_alphanumeric())
                    {
                        let k = trigram(b[from], b[from + 1], b[from + 2]);
                        if self.gaz.nrp_trigrams[k / 64] & (1 << (k % 64)) != 0 {
                            cx.dispatch(Shape::LowerWord, from, i);
                        }
                    }
                }
                _ => i += 1,
            }
        }
        // Pass 1: the distinctive shapes, one regex, merged with the glued street
        // candidates of pass 2 as if they were one more pattern of it (leftmost start
        // first, then the order of `SHAPES`). A rejected match may hide a shorter one
        // inside it ("token ghp_..." is no bearer header but holds a GitHub token): one
        // more search within the rejected span, so the work stays linear.
        self.pass1(text, &glued, |k, start, end| {
            cx.dispatch(SHAPES[k].0, start, end)
        });
    }

    /// Pass 1: every match, in order, of one regex of all of [`SHAPES`] (the regex and
    /// the glued candidates merged by [`Builtin::leftmost`]), each given to `dispatch`
    /// as `(index in SHAPES, start, end)`; after a rejected one (`false`), the first
    /// match inside it.
    fn pass1(
        &self,
        text: &str,
        glued: &[(usize, usize)],
        mut dispatch: impl FnMut(usize, usize, usize) -> bool,
    ) {
        let mut next = Pass1::default();
        let mut pos = 0;
        while pos < text.len() {
            let Some((k, start, end)) = self.leftmost(text, glued, &mut next, pos, text.len())
            else {
                break;
            };
            if !dispatch(k, start, end) {
                let from = text::ceil_boundary(text, start + 1);
                if from < end
                    && let Some((k, s, e)) =
                        self.leftmost(text, glued, &mut Pass1::default(), from, end)
                {
                    dispatch(k, s, e);
                }
            }
            pos = end.max(text::ceil_boundary(text, start + 1));
        }
    }
}

/// The regex match found last by [`Builtin::leftmost`] and where its search started:
/// still the leftmost match from any later position up to its start.
#[derive(Default)]
struct Pass1 {
    from: Option<usize>,
    found: Option<(usize, usize, usize)>,
}

impl Builtin {
    /// The match that one regex of every pattern of [`SHAPES`] would report searching
    /// `pos..limit` (leftmost-first): the leftmost of the regex's match and of the
    /// glued candidates (`glued`, sorted by start), the earlier pattern of `SHAPES` at
    /// one start. As `(index in SHAPES, start, end)`. `last` remembers the regex's
    /// match for the next call with the same `limit`.
    fn leftmost(
        &self,
        text: &str,
        glued: &[(usize, usize)],
        last: &mut Pass1,
        pos: usize,
        limit: usize,
    ) -> Option<(usize, usize, usize)> {
        let valid =
            last.from.is_some_and(|f| f <= pos) && last.found.is_none_or(|(_, s, _)| s >= pos);
        if !valid {
            last.from = Some(pos);
            last.found = self
                .all
                .search(&Input::new(text).range(pos..limit))
                .map(|m| (self.ids[m.pattern().as_usize()], m.start(), m.end()));
        }
        let first = glued.partition_point(|&(s, _)| s < pos);
        let side = glued
            .get(first..)
            .unwrap_or_default()
            .iter()
            .find(|&&(_, e)| e <= limit)
            .map(|&(s, e)| (GLUED, s, e));
        match (last.found, side) {
            (Some(r), Some(g)) => Some(if (g.1, g.0) < (r.1, r.0) { g } else { r }),
            (r, g) => r.or(g),
        }
    }
}

/// The index of [`Shape::StreetGlued`] in [`SHAPES`]. Its pattern would be the most
/// costly part of the regex of pass 1 (every capitalized word may end in one of 38
/// street types: that more than doubled the lazy DFA's states on the benchmark
/// sentences, 0.5 MB to 1.1 MB of its cache), and
/// every match ends at the first digit after its spaces, so [`glued_candidates`] finds
/// the same matches from the digit runs of pass 2.
const GLUED: usize = 22;
const _: () = assert!(matches!(SHAPES[GLUED].0, Shape::StreetGlued));

/// A byte that `[a-z\x80-\xBF\xC3-\xC5]` of the glued street pattern matches.
fn glued_byte(c: u8) -> bool {
    c.is_ascii_lowercase() || (0x80..=0xBF).contains(&c) || (0xC3..=0xC5).contains(&c)
}

/// Appends to `out` every match of the glued street pattern of [`SHAPES`] that ends at
/// the digit at `digit` (`b[digit - 1]` is a space), as `(start, end)` by start: the
/// pattern is `[A-Z\xC3-\xC5]`, then bytes of [`glued_byte`], then one of
/// [`STREET_GLUED`], spaces and a digit, so a match starts at the capital before the
/// run of such bytes that ends at the spaces, or at a lead byte C3 to C5 inside it,
/// wherever the shortest street type that ends the run still fits after it.
///
/// Every such digit starts a digit run of pass 2: a run never spans a space that
/// follows a letter, except in an extension ("ext 12", "x 12"), which no street type
/// ends. Pass 2 calls this at every digit run; the tests, at every digit.
#[inline]
fn glued_candidates(b: &[u8], digit: usize, out: &mut Vec<(usize, usize)>) {
    if digit == 0 || b[digit - 1] != b' ' {
        return;
    }
    let mut q = digit - 1;
    while q > 0 && b[q - 1] == b' ' {
        q -= 1;
    }
    // Most digits follow no street type: three bytes reject them.
    if STREET_GLUED_SET.may_end3(&b[q.saturating_sub(3)..q]) {
        glued_starts(b, q, digit, out);
    }
}

/// The matches of [`glued_candidates`] whose spaces start at `q`.
#[inline(never)]
fn glued_starts(b: &[u8], q: usize, digit: usize, out: &mut Vec<(usize, usize)>) {
    let mut c0 = q;
    while c0 > 0 && glued_byte(b[c0 - 1]) {
        c0 -= 1;
    }
    let Some(shortest) = STREET_GLUED_SET.shortest_end(&b[c0..q]) else {
        return;
    };
    let end = digit + 1;
    if c0 > 0 && b[c0 - 1].is_ascii_uppercase() {
        out.push((c0 - 1, end));
    }
    // A start `p` needs `p + 1 + shortest <= q`.
    let stop = q.saturating_sub(shortest);
    for (p, &c) in b.iter().enumerate().take(stop).skip(c0) {
        if (0xC3..=0xC5).contains(&c) {
            out.push((p, end));
        }
    }
}

/// Classes of bytes for the candidate loop of [`Builtin::scan`].
const C_OTHER: u8 = 0;
const C_DIGIT: u8 = 1;
/// An ASCII capital, or a UTF-8 lead byte of Latin-1 / Latin Extended-A (C3 to C5).
const C_UPPER: u8 = 2;
/// Any other byte of a word: ASCII lower case, `_`, other non-ASCII bytes.
const C_WORD: u8 = 3;
/// `+` and `(`, which may open a phone number.
const C_OPEN: u8 = 4;

const BYTE_CLASS: [u8; 256] = {
    let mut t = [C_OTHER; 256];
    let mut b: u8 = 0;
    loop {
        t[b as usize] = if b.is_ascii_digit() {
            C_DIGIT
        } else if b.is_ascii_uppercase() || b >= 0xC3 && b <= 0xC5 {
            C_UPPER
        } else if b.is_ascii_lowercase() || b == b'_' || b >= 0x80 {
            C_WORD
        } else if b == b'+' || b == b'(' {
            C_OPEN
        } else {
            C_OTHER
        };
        if b == 255 {
            break;
        }
        b += 1;
    }
    t
};

/// End of a capitalized-word candidate at `i`: ASCII letters, Latin-1 and Latin
/// Extended-A letters (UTF-8 lead bytes C3 to C5 with their continuation bytes),
/// apostrophes and hyphens. Returns `i` when the word is not a candidate; and whether
/// the word has an apostrophe or a hyphen.
fn word_end(b: &[u8], i: usize) -> (usize, bool) {
    let mut j = i;
    let mut marked = false;
    while j < b.len() {
        let c = b[j];
        if c.is_ascii_alphabetic() {
            j = text::letters_end(b, j + 1);
        } else if c == b'\'' || c == b'-' && j > i {
            marked = true;
            j += 1;
        } else if (0xC3..=0xC5).contains(&c)
            && b.get(j + 1).is_some_and(|n| (0x80..=0xBF).contains(n))
        {
            j += 2;
        } else {
            break;
        }
    }
    // A word glued to digits or other scripts is not a name ("GB29", "Ωmega").
    if b.get(j)
        .is_some_and(|c| c.is_ascii_digit() || *c == b'_' || *c >= 0x80)
    {
        return (i, false);
    }
    (j, marked)
}

/// End of the digit run starting at `i` (`+` or `(` may open it): groups of digits
/// joined by one separator (` `, `-`, `.`, `/`, `:`) or parentheses, then an optional
/// extension (`x123`, `ext. 12`, `#4`) and an optional letter (`12345678Z`). The same
/// grammar as `+41 (0)96 471 07 95`, `2/8/1935 12:20`, `345-899-3560x4587`.
fn numeric_end(b: &[u8], i: usize) -> usize {
    let digit = |k: usize| b.get(k).is_some_and(u8::is_ascii_digit);
    let mut j = i;
    if b[j] == b'+' {
        j += 1;
    } else if b[j] == b'(' {
        j += 1;
        if b.get(j) == Some(&b'+') {
            j += 1;
        }
    }
    // ASCII word boundary before the first digit.
    if i > 0 && j == i && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') {
        // Inside a word: skip the whole word.
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        return j.max(i + 1);
    }
    if !digit(j) {
        return i + 1;
    }
    let mut groups = 0;
    loop {
        while digit(j) {
            j += 1;
        }
        groups += 1;
        if groups >= 24 {
            break;
        }
        let c = b.get(j).copied();
        let n1 = b.get(j + 1).copied();
        let next = match (c, n1) {
            (Some(b' ' | b'-' | b'.' | b'/' | b':'), Some(d)) if d.is_ascii_digit() => j + 1,
            (Some(b')'), Some(d)) if d.is_ascii_digit() => j + 1,
            (Some(b')'), Some(b' ' | b'-')) if digit(j + 2) => j + 2,
            (Some(b'('), Some(d)) if d.is_ascii_digit() => j + 1,
            (Some(b' ' | b'-'), Some(b'(')) if digit(j + 2) => j + 2,
            _ => break,
        };
        j = next;
    }
    if b.get(j) == Some(&b')') {
        j += 1;
    }
    // Extension.
    let mut k = j;
    if b.get(k) == Some(&b' ') {
        k += 1;
    }
    let marker = if b[k.min(b.len())..].starts_with(b"ext.") {
        4
    } else if b[k.min(b.len())..].starts_with(b"ext") {
        3
    } else if matches!(b.get(k), Some(b'x' | b'#')) {
        1
    } else {
        0
    };
    if marker > 0 {
        let mut m = k + marker;
        if b.get(m) == Some(&b' ') {
            m += 1;
        }
        let d0 = m;
        while digit(m) && m - d0 < 6 {
            m += 1;
        }
        if m > d0 && !digit(m) {
            return m;
        }
    }
    // A trailing letter (DNI "12345678Z", "12345678-Z"), at a word end.
    let l = if b.get(j) == Some(&b'-') { j + 1 } else { j };
    if b.get(l).is_some_and(u8::is_ascii_alphabetic)
        && !b
            .get(l + 1)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        return l + 1;
    }
    j
}

/// The length of a house number at the start of `w` ("46", "19.", "54a"), when `w`
/// is one: 1 to 4 digits, an optional lower-case letter, an optional dot.
fn house_number(w: &str) -> Option<usize> {
    let b = w.as_bytes();
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = n;
    if b.get(len).is_some_and(u8::is_ascii_lowercase) {
        len += 1;
    }
    if b.get(len) == Some(&b'.') {
        len += 1;
    }
    (len == b.len() || matches!(b.get(len), Some(b',' | b';'))).then_some(len)
}

/// State of one scan.
struct Cx<'a, 'o> {
    text: &'a str,
    /// The word bytes of `text`.
    bits: &'a text::WordBits,
    out: &'o mut Vec<Finding>,
    b: &'a Builtin,
    /// Scratch buffers for lower-cased words.
    buf: String,
    buf2: String,
    /// The gazetteer flags of recently looked-up words of the text, by span: the
    /// checks around a capitalized word look up its neighbours, which are looked up
    /// again when the scan reaches them (direct-mapped by start).
    memo: [(usize, usize, u16); MEMO],
    /// The results of [`text::next_word`] (gap 1) at recent positions, by position:
    /// the checks of one capitalized word ask for the word after it several times.
    next: [(usize, Option<(usize, usize)>); MEMO],
    /// Whether the word pass 2 hands to [`Cx::word`] has an apostrophe or a hyphen
    /// (see [`word_end`]): without, it is no contraction and has no hyphen to split at.
    marked: bool,
}

/// The types that [`Cx::numeric`] never finds: with only these on, digit runs are
/// skipped.
const NOT_FROM_DIGITS: [EntityType; 13] = [
    EntityType::EmailAddress,
    EntityType::Url,
    EntityType::DomainName,
    EntityType::Person,
    EntityType::Organization,
    EntityType::Location,
    EntityType::Nrp,
    EntityType::AwsAccessKey,
    EntityType::AwsSecretKey,
    EntityType::ApiKey,
    EntityType::JsonWebToken,
    EntityType::BearerToken,
    EntityType::PrivateKey,
];

/// The types that [`Cx::word`] finds.
const WORD_TYPES: [EntityType; 4] = [
    EntityType::Nrp,
    EntityType::Organization,
    EntityType::Location,
    EntityType::Person,
];

/// Slots of [`Cx::memo`].
const MEMO: usize = 32;

/// `w` lower-cased into `buf`, a character at a time (`char::to_lowercase`).
fn lower<'b>(buf: &'b mut String, w: &str) -> &'b str {
    buf.clear();
    if w.is_ascii() {
        buf.push_str(w);
        buf.make_ascii_lowercase();
    } else {
        for c in w.chars() {
            match latin_lower(c) {
                Some(l) => buf.push(l),
                None => buf.extend(c.to_lowercase()),
            }
        }
    }
    buf
}

/// The lower case of `c` when it is ASCII, Latin-1 or Latin Extended-A (the letters of
/// most European names) and one character, as `char::to_lowercase` gives it, without
/// its table search; `None` for any other character.
fn latin_lower(c: char) -> Option<char> {
    let u = u32::from(c);
    let l = match u {
        0..=0x7F => return Some(c.to_ascii_lowercase()),
        0xC0..=0xDE if u != 0xD7 => u + 0x20,
        0x80..=0xFF => u,
        // Pairs, capital first: Ā ā ... Į į, Ĳ ĳ ... Ķ ķ, Ŋ ŋ ... Ŷ ŷ.
        0x100..=0x12F | 0x132..=0x137 | 0x14A..=0x177 => u | 1,
        // Pairs, capital odd: Ĺ ĺ ... Ň ň, Ź ź ... Ž ž.
        0x139..=0x148 | 0x179..=0x17E => u + (u & 1),
        0x138 | 0x149 | 0x17F => u,
        0x178 => 0xFF,
        _ => return None,
    };
    char::from_u32(l)
}

impl Cx<'_, '_> {
    fn on(&self, e: &EntityType) -> bool {
        self.b.config.on(e)
    }

    fn push(&mut self, e: EntityType, start: usize, end: usize, score: f32) -> bool {
        if !self.on(&e) || start >= end {
            return false;
        }
        debug_assert!(self.text.is_char_boundary(start) && self.text.is_char_boundary(end));
        self.out.push(Finding::new(e, start, end, score));
        true
    }

    /// The gazetteer flags of the word `start..end` of the text (lower-cased), as
    /// `self.b.gaz.word(lower(.., &self.text[start..end]))`, remembered.
    fn flags_at(&mut self, start: usize, end: usize) -> u16 {
        let slot = start % MEMO;
        if let Some(&(s, e, f)) = self.memo.get(slot)
            && s == start
            && e == end
        {
            return f;
        }
        // Most words: ASCII and at most 16 bytes, lower-cased and looked up as two
        // integers.
        let packed = Bytes16::at(self.text.as_bytes(), start, end).filter(|x| x.is_ascii());
        let f = if let Some(x) = packed {
            self.b.gaz.word_packed(x.ascii_lowercase(), end - start)
        } else {
            self.flags_slow(start, end)
        };
        if let Some(m) = self.memo.get_mut(slot) {
            *m = (start, end, f);
        }
        f
    }

    /// [`Cx::flags_at`] of a word that is not ASCII or longer than 16 bytes.
    fn flags_slow(&mut self, start: usize, end: usize) -> u16 {
        match self.text.get(start..end) {
            // Longer ASCII words, up to 32 bytes (or not ASCII after all), lower-cased
            // on the stack in one pass.
            Some(w) if w.len() <= 32 => {
                let mut buf = [0u8; 32];
                let mut high = 0u8;
                for (d, &c) in buf.iter_mut().zip(w.as_bytes()) {
                    high |= c;
                    *d = c.to_ascii_lowercase();
                }
                if high < 0x80 {
                    self.b
                        .gaz
                        .word_bytes(buf.get(..w.len()).unwrap_or_default())
                } else {
                    self.b.gaz.word(lower(&mut self.buf2, w))
                }
            }
            Some(w) => self.b.gaz.word(lower(&mut self.buf2, w)),
            None => 0,
        }
    }

    /// `text::next_word(self.text, i, 1)`, remembered.
    fn next_word(&mut self, i: usize) -> Option<(usize, usize)> {
        let slot = i % MEMO;
        if let Some(&(k, r)) = self.next.get(slot)
            && k == i
        {
            return r;
        }
        let r = text::next_word(self.text, i, 1);
        if let Some(m) = self.next.get_mut(slot) {
            *m = (i, r);
        }
        r
    }

    /// Whether a word of `set` is among the `window.1` words in the `window.0` bytes
    /// before `start` (`start..end` is the candidate).
    fn set_word_before(
        &self,
        start: usize,
        end: usize,
        window: (usize, usize),
        set: &Words,
    ) -> bool {
        self.bits.any_word_near_starting(
            self.text,
            start,
            end,
            window,
            (0, 0),
            |c, n| set.may_have(c, n),
            |w| set.has(w),
        )
    }

    fn bytes(&self, start: usize, end: usize) -> &[u8] {
        &self.text.as_bytes()[start..end]
    }

    /// Validates one candidate; whether anything was reported.
    fn dispatch(&mut self, shape: Shape, start: usize, mut end: usize) -> bool {
        // Byte-class patterns match UTF-8 bytes: never split a character.
        if !self.text.is_char_boundary(start) || !self.text.is_char_boundary(end) {
            return false;
        }
        if end - start > MAX_CANDIDATE {
            if !matches!(shape, Shape::Url | Shape::Www) {
                return false;
            }
            end = text::floor_boundary(self.text, start + MAX_CANDIDATE);
        }
        match shape {
            Shape::Email => self.email(start, end),
            Shape::Url | Shape::Www => self.url(start, end),
            Shape::PrivateKey => self.private_key(start, end),
            Shape::Bearer => self.bearer(start, end),
            Shape::Jwt => self.push(EntityType::JsonWebToken, start, end, 0.85),
            Shape::AwsKey => self.push(EntityType::AwsAccessKey, start, end, 0.9),
            Shape::AwsSecret => {
                let s = end - 40;
                self.push(EntityType::AwsSecretKey, s, end, 0.9)
            }
            Shape::ApiKey => self.push(EntityType::ApiKey, start, end, 0.85),
            Shape::Iban => self.iban(start, end),
            Shape::Nino => {
                let c = text::alnum(self.bytes(start, end));
                checksum::uk_nino(&c) && self.push(EntityType::UkNino, start, end, 0.5)
            }
            Shape::Nie => {
                let c = text::alnum(self.bytes(start, end));
                checksum::es_nie(&c) && self.push(EntityType::EsNie, start, end, 0.65)
            }
            Shape::FiscalCode => {
                checksum::it_fiscal_code(self.bytes(start, end))
                    && self.push(EntityType::ItFiscalCode, start, end, 0.8)
            }
            Shape::AlnumId => self.push(EntityType::UsDriverLicense, start, end, 0.1),
            Shape::Ipv6 => self.ipv6(start, end),
            Shape::MonthDate | Shape::DayMonthDate => self.month_date(start, end),
            Shape::Weekday => {
                text::word_start(self.text, start)
                    && self.push(EntityType::DateTime, start, end, 0.6)
            }
            Shape::Unit => self.unit(start, end),
            Shape::Corner => self.corner(start, end),
            Shape::Military => self.push(EntityType::StreetAddress, start, end, 0.9),
            Shape::StreetPrefix => self.street_prefix(start, end),
            Shape::StreetGlued => self.street_glued(start, end),
            Shape::Numeric => self.numeric(start, end),
            Shape::Domain => self.domain(start, end),
            Shape::Word => self.word(start, end),
            Shape::LowerWord => self.lower_nrp(start, end),
        }
    }

    fn email(&mut self, start: usize, end: usize) -> bool {
        let s = &self.text[start..end];
        let Some(at) = s.find('@') else { return false };
        let (local, domain) = (&s[..at], &s[at + 1..]);
        if local.len() > 64 || domain.len() > 253 || local.starts_with('.') || local.contains("..")
        {
            return false;
        }
        let tld = domain.rsplit('.').next().unwrap_or("");
        if !text::is_tld(tld) {
            return false;
        }
        self.push(EntityType::EmailAddress, start, end, 0.9)
    }

    fn url(&mut self, start: usize, end: usize) -> bool {
        let end = text::trim_url_end(self.text, start, end);
        let s = &self.text[start..end];
        let host_start = s.find("://").map_or(0, |i| i + 3);
        let rest = &s[host_start..];
        let host_end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
        let host = rest[..host_end].rsplit('@').next().unwrap_or("");
        let ok_host = host.parse::<Ipv4Addr>().is_ok()
            || host.starts_with('[')
            || host.eq_ignore_ascii_case("localhost")
            || host
                .rsplit('.')
                .next()
                .is_some_and(|t| host.contains('.') && text::is_tld(t));
        if !ok_host {
            return false;
        }
        self.push(EntityType::Url, start, end, 0.7)
    }

    fn private_key(&mut self, start: usize, end: usize) -> bool {
        // The block ends at the matching END line, at most 16 KiB later.
        let label = &self.text[start + 11..end - 5];
        let close = format!("-----END {label}-----");
        let limit = text::floor_boundary(self.text, (end + 16 * 1024).min(self.text.len()));
        match self.text[end..limit].find(&close) {
            Some(i) => {
                let stop = end + i + close.len();
                self.push(EntityType::PrivateKey, start, stop, 1.0)
            }
            // A header without its end is still a leaked key (truncated log line).
            None => self.push(EntityType::PrivateKey, start, end, 0.8),
        }
    }

    fn bearer(&mut self, start: usize, end: usize) -> bool {
        let s = &self.text[start..end];
        let space = s.find([' ', '\t']).unwrap_or(0);
        let scheme = &s[..space];
        let tok_start = start + space + s[space..].len() - s[space..].trim_start().len();
        let token = &self.text[tok_start..end];
        let has_digit = token.bytes().any(|b| b.is_ascii_digit());
        let has_upper = token.bytes().any(|b| b.is_ascii_uppercase());
        let has_lower = token.bytes().any(|b| b.is_ascii_lowercase());
        let mixed =
            has_digit && (has_upper || has_lower) || has_upper && has_lower && token.len() >= 20;
        if !mixed || token.len() < 16 && !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            // "Basic"/"token" are words too: require the header name before them.
            let before =
                &self.text[text::floor_boundary(self.text, start.saturating_sub(24))..start];
            if !before.to_ascii_lowercase().contains("authorization") {
                return false;
            }
        }
        self.push(EntityType::BearerToken, tok_start, end, 0.85)
    }

    fn iban(&mut self, start: usize, end: usize) -> bool {
        // The pattern is greedy over groups: take exactly the country's length.
        let bytes = self.bytes(start, end);
        let mut chars = Vec::with_capacity(34);
        let mut stops = Vec::with_capacity(34);
        for (i, &b) in bytes.iter().enumerate() {
            if b.is_ascii_alphanumeric() {
                chars.push(b);
                stops.push(start + i + 1);
            }
        }
        for len in (15..=chars.len().min(34)).rev() {
            if checksum::iban(&chars[..len]) {
                let stop = stops[len - 1];
                // The IBAN must end at a word end.
                if self.text[stop..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
                {
                    continue;
                }
                return self.push(EntityType::IbanCode, start, stop, 0.95);
            }
        }
        false
    }

    fn ipv6(&mut self, start: usize, end: usize) -> bool {
        let mut e = end;
        while e > start && matches!(self.text.as_bytes()[e - 1], b':' | b'.') {
            e -= 1;
        }
        let s = &self.text[start..e];
        if s.parse::<Ipv6Addr>().is_ok() && s.bytes().filter(|&b| b == b':').count() >= 2 {
            // "::" alone or "1::" are valid addresses but not worth a finding.
            if s.bytes().filter(u8::is_ascii_hexdigit).count() >= 3 {
                return self.push(EntityType::IpAddress, start, e, 0.8);
            }
        }
        false
    }

    fn month_date(&mut self, start: usize, end: usize) -> bool {
        if !text::word_start(self.text, start) {
            return false;
        }
        let s = &self.text[start..end];
        let ok = s
            .split([' ', ',', '.'])
            .filter(|w| !w.is_empty() && w.as_bytes()[0].is_ascii_alphabetic())
            .filter(|w| !w.eq_ignore_ascii_case("of"))
            .all(|w| text::month(w).is_some());
        if !ok {
            return false;
        }
        let days_ok = s
            .split([' ', ',', '.'])
            .filter_map(|w| {
                let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                (!digits.is_empty() && digits.len() <= 2).then(|| digits.parse::<u32>().ok())
            })
            .all(|d| d.is_some_and(|d| (1..=31).contains(&d)));
        days_ok && self.push(EntityType::DateTime, start, end, 0.75)
    }

    fn unit(&mut self, start: usize, end: usize) -> bool {
        if !text::word_start(self.text, start) {
            return false;
        }
        let end = self.address_tail(end);
        self.push(EntityType::StreetAddress, start, end, 0.5)
    }

    /// An intersection: "(the) corner of 3744 Retreat Avenue and Władysława Route". The
    /// first street is up to 64 bytes on the line and holds a capital or a digit; the
    /// second is up to four words after "and", to the end of the clause.
    fn corner(&mut self, start: usize, end: usize) -> bool {
        if !text::word_start(self.text, start) || !self.on(&EntityType::StreetAddress) {
            return false;
        }
        let t = self.text;
        let first = if start >= 4 && t.as_bytes()[start - 4..start].eq_ignore_ascii_case(b"the ") {
            start - 4
        } else {
            start
        };
        let line = text::window(t, end, 64);
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let Some(and) = line.find(" and ") else {
            return false;
        };
        let street1 = &line[..and];
        if street1.is_empty()
            || !street1
                .chars()
                .any(|c| c.is_uppercase() || c.is_ascii_digit())
        {
            return false;
        }
        let mut stop = end + and + 5;
        let mut words = 0;
        let mut i = stop;
        while words < 4 {
            let Some((ws, we)) = self.next_word(i).or_else(|| {
                // The first word after "and " starts right at `i`.
                (words == 0).then(|| {
                    let w = &t[i..];
                    let len = w.find(char::is_whitespace).unwrap_or(w.len());
                    (i, i + len)
                })
            }) else {
                break;
            };
            if ws == we {
                break;
            }
            let w = &t[ws..we];
            let core = w.trim_end_in(&WORD_END);
            stop = ws + core.len();
            words += 1;
            if core.len() < w.len() {
                break;
            }
            i = we;
        }
        words > 0 && self.push(EntityType::StreetAddress, first, stop, 0.9)
    }

    fn street_prefix(&mut self, start: usize, end: usize) -> bool {
        if !text::word_start(self.text, start) {
            return false;
        }
        // "Via Roma 131": prefix, up to four words, a house number.
        // From the space before the capital that ended the match.
        let words_start = end - 2;
        // "86036 Rua do Arenque 1634": a building number before the prefix.
        let first = self.leading_number(start).unwrap_or(start);
        let mut i = words_start;
        for _ in 0..5 {
            let Some((ws, we)) = text::next_word(self.text, i, LOOK) else {
                break;
            };
            let w = &self.text[ws..we];
            // `next_word` can return an empty word (fuzzing found one after U+FFFD).
            let Some(&lead) = w.as_bytes().first() else {
                break;
            };
            if lead.is_ascii_digit() {
                let num_end = ws + w.bytes().take_while(|b| b.is_ascii_alphanumeric()).count();
                let stop = self.address_tail(num_end);
                return self.push(EntityType::StreetAddress, first, stop, 0.7);
            }
            i = we;
        }
        false
    }

    fn street_glued(&mut self, start: usize, end: usize) -> bool {
        if !text::word_start(self.text, start) {
            return false;
        }
        // The name before the street type has three letters or more ("Mittelweg",
        // "Algade"): "During 1971", "Spring 2020" are not streets.
        let word_len = self.text[start..end].find(' ').unwrap_or(end - start);
        let lw = lower(&mut self.buf2, &self.text[start..start + word_len]);
        let glued = STREET_GLUED
            .iter()
            .filter(|g| lw.ends_with(*g))
            .map(|g| g.len())
            .max()
            .unwrap_or(0);
        if self.text[start..start + word_len - glued.min(word_len)]
            .chars()
            .count()
            < 3
        {
            return false;
        }
        // The match ends at the first digit of the house number.
        let num_start = end - 1;
        let num_end = num_start
            + self.text[num_start..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
        if num_end - num_start > 5 {
            return false;
        }
        let mut num_end = num_end;
        // "54a", "66."
        if let Some(b) = self.text.as_bytes().get(num_end)
            && b.is_ascii_lowercase()
            && !self
                .text
                .as_bytes()
                .get(num_end + 1)
                .is_some_and(u8::is_ascii_alphabetic)
        {
            num_end += 1;
        }
        let first = self.leading_number(start).unwrap_or(start);
        let stop = self.address_tail(num_end);
        self.push(EntityType::StreetAddress, first, stop, 0.7)
    }

    /// The start of a building number right before `start` ("6750 Koskikatu 25").
    fn leading_number(&self, start: usize) -> Option<usize> {
        let before = &self.text.as_bytes()[start.saturating_sub(12)..start];
        let mut j = before.len();
        if j == 0 || before[j - 1] != b' ' {
            return None;
        }
        j -= 1;
        let digits_end = j;
        while j > 0 && before[j - 1].is_ascii_digit() {
            j -= 1;
        }
        let n = digits_end - j;
        let ok =
            (1..=6).contains(&n) && (j == 0 || matches!(before[j - 1], b' ' | b'\n' | b':' | b','));
        ok.then(|| start - (before.len() - j))
    }

    /// Extends an address over units ("Apt. 864", "Suite 201") and a final
    /// city/region/postcode block that ends in a postcode or a country.
    fn address_tail(&self, end: usize) -> usize {
        let t = self.text;
        let mut stop = end;
        // Units right after.
        loop {
            let rest = text::window(t, stop, 24);
            let trimmed = rest.trim_start_matches([' ', ',']);
            let skip = rest.len() - trimmed.len();
            let word_len = trimmed
                .char_indices()
                .find(|&(_, c)| !c.is_alphabetic())
                .map_or(trimmed.len(), |(k, _)| k);
            let word = text::Lower::new(&trimmed[..word_len]);
            if skip == 0 && !rest.is_empty() || !UNIT_WORDS.contains(&word.as_str()) {
                break;
            }
            let after = &trimmed[word_len..];
            let after_t = after.trim_start_matches(['.', ' ', '#']);
            let n = after_t.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 || n > 6 || after.len() - after_t.len() > 3 {
                break;
            }
            stop += skip + word_len + (after.len() - after_t.len()) + n;
        }
        // A tail of up to 5 segments separated by ",", " " or "\n" ending in a
        // postcode or a country: "\nArtilleros\n, CO\n Uruguay 64677".
        let limit = text::floor_boundary(t, (stop + 2 * LOOK).min(t.len()));
        let mut i = stop;
        let mut best = stop;
        let mut segments = 0;
        while segments < 6 && i < limit {
            let rest = &t[i..limit];
            let trimmed = rest.trim_start_matches([' ', ',', '\n']);
            let sep = &rest[..rest.len() - trimmed.len()];
            // An address written on several lines is reported line by line (the
            // street line, the unit, the town and postcode), as most labelled
            // addresses are.
            if sep.is_empty() || sep.contains('\n') {
                break;
            }
            let seg_start = i + sep.len();
            // One segment: a run of words without separators other than single spaces.
            let seg_len = trimmed
                .char_indices()
                .find(|&(_, c)| c == ',' || c == '\n' || c == '.' || c == ';')
                .map_or(trimmed.len(), |(k, _)| k);
            let seg = trimmed[..seg_len].trim_end();
            if seg.is_empty() || seg.len() > 48 {
                break;
            }
            let seg_end = seg_start + seg.len();
            // Its words, their number and the last, in one pass.
            let (mut words, mut last, mut looks) = (0, "", true);
            for w in seg.split(' ').filter(|w| !w.is_empty()) {
                let c = w.chars().next().unwrap_or(' ');
                looks &= c.is_uppercase() || c.is_ascii_digit() || w == "nan";
                words += 1;
                last = w;
            }
            if !looks || words > 5 {
                break;
            }
            let ends_postcode = last.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                && (3..=10).contains(&last.len());
            if ends_postcode
                || self
                    .b
                    .gaz
                    .countries
                    .contains(text::Lower::new(seg).as_str())
            {
                best = seg_end;
            }
            i = seg_end;
            segments += 1;
        }
        best
    }

    fn numeric(&mut self, start: usize, end: usize) -> bool {
        if !self.b.digits {
            return false;
        }
        let mut found = self.numeric_run(start, end);
        // A house number followed by a street.
        found |= self.number_street(start, end);
        if found {
            return true;
        }
        // Nothing fits the whole run: try its space-separated parts, longest first
        // (a run without a space is one part).
        if !self.bytes(start, end).contains(&b' ') {
            return false;
        }
        let Some(parts) = text::split_spaces(self.text, start, end) else {
            return false;
        };
        if parts.len() < 2 || parts.len() > 12 {
            return false;
        }
        let mut i = 0;
        while i < parts.len() {
            let mut j = parts.len();
            let mut hit = false;
            while j > i {
                if !(i == 0 && j == parts.len()) && self.numeric_run(parts[i].0, parts[j - 1].1) {
                    hit = true;
                    break;
                }
                j -= 1;
            }
            if hit {
                found = true;
                i = j;
            } else {
                i += 1;
            }
        }
        found
    }

    /// "1668 Glyn St", "2046 50 Point Walter Road": a number, capitalized words, a
    /// street type.
    fn number_street(&mut self, start: usize, end: usize) -> bool {
        if !self.on(&EntityType::StreetAddress) {
            return false;
        }
        let run = &self.text[start..end];
        if run.len() > 12 || !run.bytes().all(|b| b.is_ascii_digit() || b == b' ') {
            return false;
        }
        let mut i = end;
        let mut words = 0;
        while let Some((ws, we)) = text::next_word(self.text, i, 2) {
            if ws != i + 1 {
                break;
            }
            // A comma after the street type ends the street ("48 Wellington Road,
            // Manchester").
            let w = self.text[ws..we].trim_end_in(&LIST_END);
            let we = ws + w.len();
            // The first word not capitalized (ASCII) can only be a street type that
            // opens the name; anything else ends the loop below.
            if words == 0
                && w.is_ascii()
                && !w.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            {
                let x = w.trim_end_matches('.');
                if !STREET_PREFIX_SET.has(x)
                    && !["avenue", "boulevard", "bd"]
                        .iter()
                        .any(|p| x.eq_ignore_ascii_case(p))
                {
                    break;
                }
            }
            let lower = text::Lower::new(w.trim_end_matches('.'));
            let first = w.chars().next().unwrap_or(' ');
            if words > 0 && STREET_SUFFIXES.contains(&lower.as_str()) {
                let stop = if w.ends_with('.') {
                    we
                } else {
                    ws + w.trim_end_matches('.').len()
                };
                let stop = self.address_tail(stop);
                return self.push(EntityType::StreetAddress, start, stop, 0.7);
            }
            // "95 Avenue des Tuileries", "12 Rue de la Paix": a street type that opens
            // the name, particles, capitalized words.
            if words == 0
                && (super::gazetteer::STREET_PREFIXES.contains(&lower.as_str())
                    || matches!(lower.as_str(), "avenue" | "boulevard" | "bd"))
            {
                let mut j = we;
                let mut last = None;
                for _ in 0..5 {
                    let Some((a, b)) = self.next_word(j) else {
                        break;
                    };
                    let x = self.text[a..b].trim_end_in(&LIST_DOT_END);
                    let particle = matches!(
                        x,
                        "de" | "du"
                            | "des"
                            | "la"
                            | "le"
                            | "les"
                            | "del"
                            | "di"
                            | "da"
                            | "do"
                            | "dos"
                            | "das"
                            | "della"
                            | "dei"
                            | "degli"
                            | "delle"
                            | "los"
                            | "las"
                    );
                    if x.starts_with(char::is_uppercase) {
                        last = Some(a + x.len());
                    } else if !particle {
                        break;
                    }
                    if x.len() < b - a {
                        break;
                    }
                    j = b;
                }
                if let Some(stop) = last {
                    let stop = self.address_tail(stop);
                    return self.push(EntityType::StreetAddress, start, stop, 0.7);
                }
            }
            // "20789 Allika 46", "233 Erzsébet tér 19.": a building number, the
            // street's name, its house number (the street type is part of the name or
            // absent), at the end of the line or before a unit or a comma.
            if words > 0
                && let Some(num) = house_number(w)
                && self.text[ws + num..]
                    .chars()
                    .next()
                    .is_none_or(|c| matches!(c, '\n' | ',' | ' ' | '\r'))
            {
                let line_end = self.text[ws + num..]
                    .chars()
                    .next()
                    .is_none_or(|c| c != ' ');
                let unit_next = self.next_word(ws + num).is_some_and(|(a, b)| {
                    UNIT_WORDS.contains(
                        &self.text[a..b]
                            .trim_end_in(&DOT_COMMA)
                            .to_ascii_lowercase()
                            .as_str(),
                    )
                });
                if line_end || unit_next {
                    let stop = self.address_tail(ws + num);
                    return self.push(EntityType::StreetAddress, start, stop, 0.55);
                }
            }
            let plain = w
                .trim_end_matches('.')
                .chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '\'');
            if !(first.is_uppercase() || words > 0 && plain && w.chars().count() <= 4)
                || words >= 4
                || self.b.gaz.word(lower.as_str()) & W_STOP != 0
            {
                break;
            }
            words += 1;
            i = we;
        }
        false
    }

    /// Interpretations of one digit run (no splitting).
    fn numeric_run(&mut self, start: usize, end: usize) -> bool {
        let Some(run) = text::NumericRun::parse(&self.text[start..end]) else {
            return false;
        };
        let mut found = false;
        // A card or a dashed SSN is not also tried as a phone number.
        let mut strong = false;
        let digits = run.digits.as_slice();
        let n = digits.len();
        let groups = run.groups.as_slice();
        let seps = run.seps.as_slice();
        let uniform = |set: &[u8]| seps.iter().all(|s| s.len() == 1 && set.contains(&s[0]));
        let same_sep = seps.windows(2).all(|w| w[0] == w[1]);

        if run.letter.is_some() {
            // DNI/NIF: 8 digits and a letter.
            let mut c = [0u8; 9];
            if n == 8
                && let Some(l) = run.letter
            {
                c[..8].copy_from_slice(digits);
                c[8] = l;
            }
            if n == 8 && checksum::es_dni(&c) {
                return self.push(EntityType::EsNif, start, end, 0.65);
            }
            // Not a DNI: drop the letter and read the digits alone.
            return self.numeric_run(start, start + run.letter_at);
        }
        let plain = run.plus.is_none() && !run.paren && run.ext.is_none();

        // IPv4.
        if plain && groups.len() == 4 && uniform(b".") {
            let s = &self.text[start..end];
            if s.parse::<Ipv4Addr>().is_ok() {
                return self.push(EntityType::IpAddress, start, end, 0.7);
            }
        }
        // Dates and times.
        if plain && let Some((stop, score)) = text::date_time(self.text, end, &run) {
            return self.push(EntityType::DateTime, start, stop, score);
        }
        if plain && groups.len() == 1 && n == 4 {
            let year: u32 = run.value(0);
            if (1900..=2099).contains(&year) && !text::negative_year_context(self.text, start) {
                found |= self.push(EntityType::DateTime, start, end, 0.45);
            }
        }
        // US SSN.
        if plain && n == 9 && checksum::ssn(digits) {
            if groups.len() == 3 && run.lens() == [3, 2, 4] && same_sep && uniform(b"- .") {
                let score = if seps[0] == b"-" { 0.6 } else { 0.45 };
                found |= self.push(EntityType::UsSsn, start, end, score);
                strong |= seps[0] == b"-";
            } else if groups.len() == 1 {
                found |= self.push(EntityType::UsSsn, start, end, 0.1);
            }
        }
        // Payment cards: one block, or groups of 4 (Amex 4-6-5, Diners 4-6-4).
        if plain && (12..=19).contains(&n) && checksum::card(digits) {
            let lens = run.lens();
            let grouped = groups.len() == 1
                || same_sep
                    && uniform(b" -")
                    && (lens[..lens.len() - 1].iter().all(|&l| l == 4)
                        || lens == [4, 6, 5]
                        || lens == [4, 6, 4]);
            if grouped {
                found |= self.push(EntityType::CreditCard, start, end, 0.8);
                strong = true;
            }
        }
        if plain
            && n == 10
            && checksum::nhs(digits)
            && (groups.len() == 1 || run.lens() == [3, 3, 4])
        {
            found |= self.push(EntityType::UkNhs, start, end, 0.3);
        }
        if plain && n == 9 && groups.len() == 1 && checksum::bsn(digits) {
            found |= self.push(EntityType::NlBsn, start, end, 0.1);
        }
        if plain
            && n == 11
            && checksum::de_tax_id(digits)
            && (groups.len() == 1 || run.lens() == [2, 3, 3, 3])
        {
            found |= self.push(EntityType::DeTaxId, start, end, 0.3);
        }
        if plain
            && n == 15
            && checksum::fr_nir(digits)
            && (groups.len() == 1 || run.lens() == [1, 2, 2, 2, 3, 3, 2])
        {
            found |= self.push(EntityType::FrNir, start, end, 0.5);
        }
        // Phone numbers: formatted like one, or a bare block with a phone word before.
        // (The cheap conditions first: the word search runs only for runs that could be
        // a phone number.)
        let phone_like = || {
            run.plus.is_some()
                || run.paren
                || run.ext.is_some()
                || groups.len() >= 2
                    && seps
                        .iter()
                        .all(|s| matches!(s.as_slice(), b" " | b"-" | b"." | b"/"))
                || self.bits.any_word_near_starting(
                    self.text,
                    start,
                    end,
                    (32, 3),
                    (0, 0),
                    |c, n| PHONE_WORD_SET.may_have(c, n) || STRONG_PHONE_WORD_SET.may_have(c, n),
                    |w| PHONE_WORD_SET.has(w) || STRONG_PHONE_WORD_SET.has(w),
                )
        };
        let mut found_other = found;
        if !strong
            && (7..=15).contains(&n)
            && self.on(&EntityType::PhoneNumber)
            && phone_like()
            && !self.not_phone(start, end, &run)
            && let Some(score) = self.phone(&run)
        {
            found |= self.push(EntityType::PhoneNumber, start, end, score);
        }
        // Postcodes: 5, 5-4, 4, 3 3, 4-3, 2-3, 5-3 digits. Context decides, or the
        // town before it ("Aalborg 9100", "ARENDAL 4844").
        if plain && !found {
            let lens = run.lens();
            let zip = matches!(
                lens.as_slice(),
                [5] | [4] | [5, 4] | [3, 2] | [4, 3] | [2, 3] | [5, 3]
            ) && (groups.len() == 1 || uniform(b"- "))
                // Three digits (Iceland, the Faroes) only right after a postcode word.
                || lens == [3]
                    && self.set_word_before(start, end, (24, 3), &ZIP_CUE_SET);
            if zip {
                let score = if self.town_before(start) { 0.45 } else { 0.1 };
                found |= self.push(EntityType::ZipCode, start, end, score);
                found_other = found;
            }
        }
        // Driver's licenses: context decides (a phone number is no reason not to try).
        if plain
            && !found_other
            && (7..=13).contains(&n)
            && (groups.len() == 1 || run.lens() == [4, 2, 4])
        {
            found |= self.push(EntityType::UsDriverLicense, start, end, 0.1);
        }
        found
    }

    /// Whether the words around a phone-shaped run say it is something else: a word
    /// of [`NOT_PHONE_WORDS`] before it, or, for digit groups separated by spaces only,
    /// a capitalized word right after it ("636 1812 Rue De La Gare": a building number
    /// and a street), unless a phone word is near.
    fn not_phone(&mut self, start: usize, end: usize, run: &text::NumericRun) -> bool {
        let t = self.text;
        if self.set_word_before(start, end, (32, 3), &NOT_PHONE_WORD_SET) {
            return true;
        }
        let spaces_only = run.plus.is_none()
            && !run.paren
            && run.ext.is_none()
            && run.seps.iter().all(|s| s.as_slice() == b" ");
        if !spaces_only || run.seps.is_empty() {
            return false;
        }
        let capital_after = self
            .next_word(end)
            .is_some_and(|(ws, _)| t[ws..].starts_with(char::is_uppercase));
        capital_after && !self.set_word_before(start, end, (32, 4), &STRONG_PHONE_WORD_SET)
    }

    /// Whether a town stands right before a postcode at `start`: one capitalized word
    /// (or one in capitals, "ARENDAL") that is not a stop word, a month, a unit or a
    /// street word, then one space.
    fn town_before(&mut self, start: usize) -> bool {
        let t = self.text;
        let b = t.as_bytes();
        if start < 4 || b[start - 1] != b' ' {
            return false;
        }
        let we = start - 1;
        let from = text::floor_boundary(t, we.saturating_sub(40));
        let ws = t[from..we]
            .char_indices()
            .rev()
            .find(|&(_, c)| !c.is_alphabetic())
            .map_or(from, |(k, c)| from + k + c.len_utf8());
        let w = &t[ws..we];
        if w.chars().count() < 3 || !w.starts_with(char::is_uppercase) {
            return false;
        }
        // A town in capitals (the postal style, "ARENDAL 4844") or a known city; a
        // capitalized word of another kind is as often a street ("Rua do Arenque 1634").
        let caps = w.chars().all(|c| !c.is_lowercase());
        let lw = lower(&mut self.buf2, w);
        let f = self.b.gaz.word(lw);
        let town = caps || f & W_CITY != 0;
        town && !(f & (W_STOP | W_STREET_SUFFIX | W_STREET_PREFIX) != 0
            || UNIT_WORDS.contains(&lw)
            || text::month(lw).is_some()
            || text::negative_year_context(t, start))
    }

    /// A score for `run` as a phone number, or `None` when no region validates it.
    fn phone(&self, run: &text::NumericRun) -> Option<f32> {
        let m = PhoneMetadata::get();
        let digits = run.digits.as_slice();
        if run.plus.is_some() {
            return m.valid_international(digits).then_some(0.75);
        }
        // International prefix "00" in place of "+" ("0041 ...", "001-518-...").
        if digits.starts_with(b"00") && digits.len() > 9 && m.valid_international(&digits[2..]) {
            return Some(0.65);
        }
        // A bare digit block is a phone number only with context.
        let base = if run.seps.is_empty() { 0.3 } else { 0.55 };
        self.b
            .config
            .phone_regions
            .iter()
            .any(|&r| m.valid_national(r, digits))
            .then_some(base)
    }

    fn domain(&mut self, start: usize, end: usize) -> bool {
        let s = &self.text[start..end];
        let tld = s.rsplit('.').next().unwrap_or("");
        // A file name ("config.json") or a name with an initial ("J.Smith") is not a
        // domain: the TLD must be one, and lower case or all caps.
        let cased = tld.bytes().all(|b| b.is_ascii_lowercase())
            || tld.bytes().all(|b| b.is_ascii_uppercase());
        cased
            && text::is_tld(tld)
            && !text::is_file_extension(tld)
            && self.push(EntityType::DomainName, start, end, 0.55)
    }

    fn word(&mut self, start: usize, end: usize) -> bool {
        if !self.b.words || !text::word_start(self.text, start) {
            return false;
        }
        let w = self.text[start..end].trim_end_matches(['\'', '’', '-']);
        if !w.starts_with(char::is_uppercase) || self.marked && self.contraction(start, w) {
            return false;
        }
        // A possessive is the name it is of: "John's" is looked up, and found, as "John".
        let w = w
            .strip_suffix("'s")
            .or_else(|| w.strip_suffix("’s"))
            .filter(|stem| !stem.is_empty())
            .unwrap_or(w);
        let end = start + w.len();
        let flags = self.flags_at(start, end);
        let mut found = false;
        if self.on(&EntityType::Nrp) {
            found |= self.nrp(start, end, flags);
        }
        if self.on(&EntityType::Organization) {
            found |= self.organization(start, end, flags);
        }
        if flags & W_PLACE_FIRST != 0 && self.on(&EntityType::Location) {
            found |= self.location(start, end, flags);
        }
        if self.on(&EntityType::Person) {
            found |= self.person(start, end, flags);
        }
        found
    }

    /// Whether the word `w` at `start` is a contraction, which names no person, place or
    /// organization: "I'm", "They're", "I've", "I'll", "I'd", "Don't", or a stop word with
    /// "'s" ("It's", "What's"). A name with an apostrophe ("O'Brien", "D'Angelo") or a
    /// possessive ("Thomas's") is none.
    fn contraction(&mut self, start: usize, w: &str) -> bool {
        let b = w.as_bytes();
        let Some(k) = b.iter().position(|&c| c == b'\'' || c == 0xE2) else {
            return false;
        };
        let after = match &b[k..] {
            [b'\'', rest @ ..] | [0xE2, 0x80, 0x99, rest @ ..] => rest,
            _ => return false,
        };
        let stem = &b[..k];
        let is = |s: &[u8]| after.eq_ignore_ascii_case(s);
        if [&b"m"[..], b"d", b"re", b"ve", b"ll"].iter().any(|s| is(s)) {
            true
        } else if is(b"t") {
            stem.last().is_some_and(|n| n.eq_ignore_ascii_case(&b'n'))
        } else {
            is(b"s") && !stem.is_empty() && self.flags_at(start, start + k) & W_STOP != 0
        }
    }

    /// A name that is in no list, by its shape and the words before it: capitalized
    /// words, at most three, with middle initials ("Soib K. Kishiev"), after a word
    /// that introduces a name ([`NAME_CUES`]), or two or more after a weaker one
    /// ([`WEAK_NAME_CUES`]), or any two around a middle initial.
    fn person_by_structure(&mut self, start: usize, end: usize, flags: u16) -> bool {
        let plain = |f: u16| {
            f & (W_STOP
                | W_STREET_SUFFIX
                | W_STREET_PREFIX
                | W_COUNTRY
                | W_CITY
                | W_PLACE_FIRST
                | W_LEGAL_FORM
                | W_ORG_WORD
                | W_NRP
                | W_NRP_FIRST)
                == 0
        };
        if !plain(flags) || text::month(&self.text[start..end]).is_some() {
            return false;
        }
        // The words of the name.
        let mut stop = end;
        let mut words = 1;
        let mut initial = false;
        let mut i = end;
        while words < 3 {
            let Some((ws, we)) = self.next_word(i) else {
                break;
            };
            let w = &self.text[ws..we];
            let mut cs = w.chars();
            let (c0, c1, c2) = (cs.next(), cs.next(), cs.next());
            if c0.is_some_and(char::is_uppercase)
                && (c1.is_none() || c1 == Some('.') && c2.is_none())
            {
                initial = true;
                i = we;
                continue;
            }
            let w = w.trim_end_in(&WORD_END);
            let w = w.strip_suffix("'s").unwrap_or(w);
            let cap = w.starts_with(char::is_uppercase) && lower_after_first(w);
            if !cap || !plain(self.flags_at(ws, ws + w.len())) || text::month(w).is_some() {
                break;
            }
            stop = ws + w.len();
            words += 1;
            i = stop;
        }
        let (mut strong, mut weak) = (false, false);
        if !(initial && words >= 2) {
            self.bits.any_word_near_starting(
                self.text,
                start,
                end,
                (24, 3),
                (0, 0),
                |c, n| {
                    NAME_CUE_SET.may_have(c, n) || words >= 2 && WEAK_NAME_CUE_SET.may_have(c, n)
                },
                |w| {
                    strong |= NAME_CUE_SET.has(w);
                    weak |= words >= 2 && WEAK_NAME_CUE_SET.has(w);
                    strong
                },
            );
        }
        let score = if initial && words >= 2 || strong {
            0.6
        } else if weak {
            0.5
        } else {
            return false;
        };
        self.push(EntityType::Person, start, stop, score)
    }

    /// A demonym or language name: "Icelandic", "New Zealander", "Brazilians".
    fn nrp(&mut self, start: usize, end: usize, flags: u16) -> bool {
        let g = self.b.gaz;
        if flags & W_NRP_FIRST != 0 {
            // The longest phrase of up to three words.
            let mut stop = end;
            let mut best = None;
            for _ in 0..2 {
                let Some((ws, we)) = self.next_word(stop) else {
                    break;
                };
                let w = self.text[ws..we].trim_end_in(&SENTENCE_END);
                if !w.starts_with(char::is_uppercase) {
                    break;
                }
                stop = ws + w.len();
                if g.nrp_phrases
                    .contains(lower(&mut self.buf2, &self.text[start..stop]))
                {
                    best = Some(stop);
                }
            }
            if let Some(stop) = best {
                return self.push(EntityType::Nrp, start, stop, 0.6);
            }
        }
        if flags & W_NRP != 0 {
            return self.nrp_in_context(start, end) && self.push(EntityType::Nrp, start, end, 0.6);
        }
        // A plural ("Brazilians", "Saudis").
        let w = &self.text[start..end];
        if flags == 0 && w.len() >= 5 && w.ends_with('s') && w.is_ascii() {
            let stem = lower(&mut self.buf2, &w[..w.len() - 1]);
            if g.nrp_words.get(stem.as_bytes()) != 0 {
                return self.nrp_in_context(start, end)
                    && self.push(EntityType::Nrp, start, end, 0.55);
            }
        }
        false
    }

    /// A lower-case word that passed the demonym filter: "cambodian", "ecuadoreans".
    fn lower_nrp(&mut self, start: usize, end: usize) -> bool {
        if !self.on(&EntityType::Nrp) {
            return false;
        }
        let g = self.b.gaz;
        let w = &self.text[start..end];
        if !w.bytes().all(|b| b.is_ascii_lowercase()) {
            return false;
        }
        let hit = g.nrp_words.get(w.as_bytes()) != 0
            || w.len() >= 5
                && w.ends_with('s')
                && g.nrp_words.get(&w.as_bytes()[..w.len() - 1]) != 0;
        hit && self.nrp_in_context(start, end) && self.push(EntityType::Nrp, start, end, 0.45)
    }

    /// Whether a demonym at `start..end` names a group of people: not a language
    /// ("studying English"), not part of a country's name ("Czech Republic"), not a
    /// qualifier in parentheses ("Cyprus (Greek)").
    fn nrp_in_context(&mut self, start: usize, end: usize) -> bool {
        let t = self.text;
        let b = t.as_bytes();
        if start > 0 && b[start - 1] == b'(' && b.get(end) == Some(&b')') {
            return false;
        }
        if self.next_word(end).is_some_and(|(ws, we)| {
            let w = t[ws..we].trim_end_in(&SENTENCE_END);
            COUNTRY_NAME_WORD_SET.has(w)
        }) {
            return false;
        }
        !self.set_word_before(start, end, (16, 1), &LANGUAGE_WORD_SET)
    }

    /// An organization: capitalized words before a legal form or an organization word
    /// (the candidate is that last word), a partnership of three surnames ("Davis,
    /// Reynolds and Williamson"), two surnames joined by a hyphen ("Mayo-Walters").
    fn organization(&mut self, start: usize, end: usize, flags: u16) -> bool {
        let t = self.text;
        let w = &t[start..end];
        if flags & (W_LEGAL_FORM | W_ORG_WORD) != 0 {
            // Legal forms of three letters or fewer count when written in capitals or
            // capitalized as a word of their own ("AG", "Inc"), not inside a sentence
            // as an ordinary word.
            let legal = flags & W_LEGAL_FORM != 0;
            let (first, _) = self.capitalized_run_before(start);
            if first < start {
                let mut stop = end;
                // "Inc.", "Ltd.": the dot belongs to the legal form.
                if legal && t.as_bytes().get(end) == Some(&b'.') {
                    stop += 1;
                }
                let score = if legal { 0.8 } else { 0.65 };
                return self.push(EntityType::Organization, first, stop, score);
            }
            return false;
        }
        if flags & W_SURNAME != 0 && t[end..].starts_with(", ") {
            // "Davis, Reynolds and Williamson", "Davis, Reynolds, and Williamson".
            let mut i = end + 2;
            let second = self.next_word(i - 1);
            if let Some((ws, we)) = second {
                let w2 = t[ws..we].trim_end_matches(',');
                let sur2 = w2.starts_with(char::is_uppercase)
                    && self.flags_at(ws, ws + w2.len()) & W_SURNAME != 0;
                i = ws + w2.len();
                let rest = &t[i..];
                let and = [", and ", " and ", " & "]
                    .iter()
                    .find(|a| rest.starts_with(**a))
                    .map(|a| a.len());
                if sur2
                    && let Some(and) = and
                    && let Some((ws3, we3)) = self.next_word(i + and - 1)
                {
                    let w3 = t[ws3..we3].trim_end_in(&NAME_END);
                    if w3.starts_with(char::is_uppercase)
                        && self.flags_at(ws3, ws3 + w3.len()) & W_SURNAME != 0
                    {
                        return self.push(EntityType::Organization, start, ws3 + w3.len(), 0.6);
                    }
                }
            }
        }
        // The first hyphen, by bytes: a word is a few bytes, shorter than `memchr`'s
        // setup.
        let hyphen = if self.marked {
            w.bytes().position(|c| c == b'-')
        } else {
            None
        };
        if flags & (W_FIRST | W_STOP | W_COUNTRY | W_CITY | W_PLACE_FIRST | W_NRP | W_NRP_FIRST)
            == 0
            && hyphen.is_none()
            && let Some(stop) = self.organization_by_cue(start, end)
        {
            return self.push(EntityType::Organization, start, stop, 0.5);
        }
        if flags == 0
            && let Some(k) = hyphen
            && let (a, b) = (&w[..k], &w[k + 1..])
            && !b.bytes().any(|c| c == b'-')
            && a.len() >= 2
            && b.starts_with(char::is_uppercase)
            && self.flags_at(start, start + a.len()) & W_SURNAME != 0
            && self.flags_at(start + a.len() + 1, end) & W_SURNAME != 0
            && self.capitalized_run_before(start).0 == start
        {
            return self.push(EntityType::Organization, start, end, 0.5);
        }
        false
    }

    /// The end of up to three capitalized words from `start..end` that the words
    /// around them make an organization ([`ORG_CUES_BEFORE`], [`ORG_CUES_AFTER`], "is
    /// a ... company"), or `None`.
    fn organization_by_cue(&mut self, start: usize, end: usize) -> Option<usize> {
        let t = self.text;
        let mut stop = end;
        let mut i = end;
        for _ in 0..2 {
            let Some((ws, we)) = self.next_word(i) else {
                break;
            };
            let w = t[ws..we].trim_end_in(&WORD_END);
            let w = w.strip_suffix("'s").unwrap_or(w);
            if !w.starts_with(char::is_uppercase)
                || self.flags_at(ws, ws + w.len()) & (W_STOP | W_COUNTRY) != 0
            {
                break;
            }
            stop = ws + w.len();
            i = stop;
            if w.len() < we - ws {
                break;
            }
        }
        // Only at the first capitalized word of a run: looked at last, as most words
        // have no cue around them.
        (self.has_org_cue(start, stop) && self.capitalized_run_before(start).1 == 0).then_some(stop)
    }

    /// Whether an organization cue stands around the phrase `start..stop`: before it
    /// ("work for X", "became X") or after it ("X office", "X is a design agency").
    fn has_org_cue(&mut self, start: usize, stop: usize) -> bool {
        let t = self.text;
        // Before: "work for X", "became X" (the word right before, after one space).
        // Most words before a capitalized word end in a byte that no cue ends in.
        let b = t.as_bytes();
        let mut e = start;
        while e > 0 && b[e - 1] == b' ' {
            e -= 1;
        }
        let cue_before = t[..start].ends_with(' ')
            && e > 0
            && ORG_CUE_BEFORE_SET.may_end(b[e - 1])
            && text::word_before(t, start - 1).is_some_and(|(ps, pw)| {
                ORG_CUE_BEFORE_SET.has(pw)
                    && (!ORG_CUE_PREPOSITION_SET.has(pw)
                        || ps > 0
                            && text::word_before(t, ps - 1)
                                .is_some_and(|(_, v)| ORG_CUE_VERB_SET.has(v)))
            });
        if cue_before {
            return true;
        }
        // After: "X office", "X is a design agency".
        let Some((a0, b0)) = self.next_word(stop) else {
            return false;
        };
        let w0 = t[a0..b0].trim_end_in(&SENTENCE_END);
        if ORG_CUE_AFTER_SET.has(w0) {
            return true;
        }
        if w0 != "is" {
            return false;
        }
        let mut after: [&str; 3] = ["", "", ""];
        let mut k = 0;
        self.bits.any_word_near(t, b0, b0, (0, 0), (32, 3), |w| {
            after[k] = w;
            k += 1;
            false
        });
        matches!(after[0], "a" | "an")
            && (ORG_CUE_NOUN_SET.has(after[1]) || ORG_CUE_NOUN_SET.has(after[2]))
    }

    /// The start of up to four capitalized words (joined by single spaces, "and" or
    /// "&" allowed between them) right before `start`, and how many; `(start, 0)` when
    /// the word before is not capitalized. Sentence openers ("The") are not part of it.
    fn capitalized_run_before(&mut self, start: usize) -> (usize, usize) {
        let t = self.text;
        let b = t.as_bytes();
        let mut first = start;
        let mut words = 0;
        let mut i = start;
        while words < 4 && i >= 2 && b[i - 1] == b' ' {
            let we = i - 1;
            let mut ws = we;
            while ws > 0
                && (b[ws - 1].is_ascii_alphanumeric()
                    || b[ws - 1] >= 0x80
                    || b[ws - 1] == b'-'
                    || b[ws - 1] == b'\'')
            {
                ws -= 1;
            }
            if ws == we || !t.is_char_boundary(ws) {
                break;
            }
            let w = &t[ws..we];
            let connector = w == "and" || w == "&" || w == "of";
            if connector {
                i = ws;
                continue;
            }
            if !w.starts_with(char::is_uppercase) {
                break;
            }
            if w.len() > 32 {
                break;
            }
            let mut buf = [0u8; 32];
            let lw = &mut buf[..w.len()];
            lw.copy_from_slice(w.as_bytes());
            lw.make_ascii_lowercase();
            let stop_word =
                std::str::from_utf8(lw).is_ok_and(|lw| self.b.gaz.word(lw) & W_STOP != 0);
            if stop_word || text::month(w).is_some() {
                break;
            }
            first = ws;
            words += 1;
            i = ws;
        }
        (first, words)
    }

    /// The longest country or city name of up to `max_place_words` words from the
    /// word `start..end` (of gazetteer `flags`).
    fn location(&mut self, start: usize, end: usize, flags: u16) -> bool {
        let g = self.b.gaz;
        let mut best = None;
        let mut stop = end;
        let mut words = 1;
        loop {
            // One word: its flags say whether it is a country or a city name.
            let (country, city) = if words == 1 {
                (flags & W_COUNTRY != 0, flags & W_CITY != 0)
            } else {
                let name = lower(&mut self.buf, &self.text[start..stop]);
                (g.countries.contains(name), g.cities.contains(name))
            };
            if country {
                best = Some((stop, 0.6));
            } else if city {
                best = Some((stop, 0.45));
            }
            if words >= g.max_place_words {
                break;
            }
            match self.next_word(stop) {
                Some((ws, we)) if self.text[ws..].starts_with(char::is_uppercase) => {
                    stop = ws + self.text[ws..we].trim_end_in(&PLACE_END).len();
                    words += 1;
                }
                _ => break,
            }
        }
        match best {
            Some((stop, score)) => self.push(EntityType::Location, start, stop, score),
            None => false,
        }
    }

    /// Whether a title of [`TITLES`] stands right before `start`.
    fn titled(&self, start: usize) -> bool {
        text::title_before(
            self.text,
            start,
            |c| TITLE_SET.may_end(c),
            |w| TITLE_SET.has(w),
        )
    }

    fn person(&mut self, start: usize, end: usize, flags: u16) -> bool {
        let word = &self.text[start..end];
        if !lower_after_first(word) {
            // All caps ("INFO", "SEINÄJOKI") or a single letter.
            return false;
        }
        if flags & W_STREET_PREFIX != 0 && self.next_word(end).is_some() {
            return false;
        }
        let first = flags & W_FIRST != 0;
        let sur = flags & W_SURNAME != 0;
        if !first && !sur && !self.titled(start) {
            return self.person_by_structure(start, end, flags);
        }
        // Extend over a middle initial and a capitalized surname.
        let mut stop = end;
        let mut extended = false;
        let mut known_surname = false;
        let mut i = end;
        for _ in 0..2 {
            let Some((ws, we)) = self.next_word(i) else {
                break;
            };
            let w = &self.text[ws..we];
            let mut cs = w.chars();
            let (c0, c1, c2) = (cs.next(), cs.next(), cs.next());
            let initial = c0.is_some_and(char::is_uppercase)
                && (c1.is_none() || c1 == Some('.') && c2.is_none());
            if initial {
                i = we;
                continue;
            }
            let w = w.trim_end_in(&NAME_END);
            let cap = w.starts_with(char::is_uppercase) && lower_after_first(w);
            if !cap {
                break;
            }
            let wf = self.flags_at(ws, ws + w.len());
            if wf & (W_STOP | W_STREET_SUFFIX | W_COUNTRY | W_LEGAL_FORM | W_ORG_WORD | W_NRP) != 0
                || wf & W_CITY != 0 && wf & W_SURNAME == 0
            {
                break;
            }
            // An ASCII word is compared as it is (both checks ignore ASCII case).
            let month_or_street = if w.is_ascii() {
                text::month(w).is_some() || STREET_GLUED_SET.ends_ascii_lowered(w)
            } else {
                let wl = lower(&mut self.buf2, w);
                text::month(wl).is_some() || STREET_GLUED_SET.ends(wl)
            };
            if month_or_street {
                break;
            }
            known_surname = wf & W_SURNAME != 0;
            stop = ws + w.len();
            extended = true;
            break;
        }
        let titled = !(first && extended) && self.titled(start);
        let score = match (first, extended, titled) {
            (true, true, _) => 0.85,
            (_, _, true) => 0.8,
            (true, false, _) => 0.6,
            (false, true, false) if sur && known_surname => 0.5,
            (false, false, false) if sur => 0.3,
            _ => return false,
        };
        self.push(EntityType::Person, start, stop, score)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::entity::BUILTIN;
    use super::*;

    /// The built-in recognizers with every type on.
    fn all_on() -> Builtin {
        Builtin::new(BuiltinConfig {
            enabled: vec![true; BUILTIN.len()],
            phone_regions: Vec::new(),
        })
        .unwrap()
    }

    /// Pass 1 as one regex of every pattern of `SHAPES` searches it, accepting or
    /// rejecting each match by `accept`: the matches in order, with the inner ones.
    fn pass1_reference(
        full: &Regex,
        text: &str,
        accept: impl Fn(usize, usize) -> bool,
    ) -> Vec<(usize, usize, usize)> {
        let mut seen = Vec::new();
        let mut pos = 0;
        while let Some(m) = full.search(&Input::new(text).range(pos..)) {
            seen.push((m.pattern().as_usize(), m.start(), m.end()));
            if !accept(m.start(), m.end()) {
                let from = text::ceil_boundary(text, m.start() + 1);
                if from < m.end()
                    && let Some(i) = full.search(&Input::new(text).range(from..m.end()))
                {
                    seen.push((i.pattern().as_usize(), i.start(), i.end()));
                }
            }
            pos = m.end().max(text::ceil_boundary(text, m.start() + 1));
            if pos >= text.len() {
                break;
            }
        }
        seen
    }

    /// The same with the glued street candidates merged into the regex without them.
    fn pass1_merged(
        b: &Builtin,
        text: &str,
        accept: impl Fn(usize, usize) -> bool,
    ) -> Vec<(usize, usize, usize)> {
        let bytes = text.as_bytes();
        let mut glued = Vec::new();
        for i in 0..bytes.len() {
            if bytes[i].is_ascii_digit() {
                glued_candidates(bytes, i, &mut glued);
            }
        }
        let mut seen = Vec::new();
        b.pass1(text, &glued, |k, start, end| {
            seen.push((k, start, end));
            accept(start, end)
        });
        seen
    }

    /// The glued street candidates and the regex without their pattern find, in order,
    /// the matches of one regex of all the patterns, whatever the validators answer.
    #[test]
    fn glued_street_candidates_agree_with_their_pattern() {
        let b = all_on();
        let full = build(&SHAPES.iter().map(|(_, p)| *p).collect::<Vec<_>>()).unwrap();
        let pieces = [
            "Hauptstraße",
            "McStraße",
            "ÄÖstraße",
            "Ringweg",
            "Spring",
            "Alleeweg",
            "Haupt-Straße",
            "xStraße",
            "During",
            "Bredgade",
            "Ülkerstraße",
            "Étiennevej",
            "Vej",
            "ŠKOvej",
            "Åvej",
            "Mayweg",
            "Marktgasse",
            "Møllegade",
            "Strandvägen",
            "Kirchweg.de",
            "Xweg",
            "Ääweg",
            "ÅÅÅgade",
            "ſtrada",
            "Via",
            "Roma",
            "Apt",
            "suite",
            "May",
            "2020",
            "5",
            "12",
            "7a",
            " ",
            "  ",
            ", ",
            ".",
            "\n",
            "ann@x.com",
            "x.com",
            "RSSMRA85T10A562S",
            "corner of",
            "true",
            "GB82WEST12345698765432",
            "Monday",
            "ext",
            "x",
            "(",
            "+41",
            "-",
            "'",
        ];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for n in 0..4000 {
            let mut t = String::new();
            for _ in 0..(n % 12 + 1) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                t.push_str(pieces[usize::try_from(x % pieces.len() as u64).unwrap()]);
                if !x.is_multiple_of(3) {
                    t.push(' ');
                }
            }
            for policy in 0..3u64 {
                let accept = |s: usize, e: usize| match policy {
                    0 => false,
                    1 => true,
                    _ => (s * 31 + e).is_multiple_of(3),
                };
                assert_eq!(
                    pass1_reference(&full, &t, accept),
                    pass1_merged(&b, &t, accept),
                    "{t:?}, policy {policy}"
                );
            }
        }
    }

    /// `Words::has` answers as a scan of its list, for every list.
    #[test]
    fn words_has_agrees_with_the_list() {
        let sets = [
            &PHONE_WORD_SET,
            &STRONG_PHONE_WORD_SET,
            &NOT_PHONE_WORD_SET,
            &ZIP_CUE_SET,
            &NAME_CUE_SET,
            &WEAK_NAME_CUE_SET,
            &LANGUAGE_WORD_SET,
            &STREET_PREFIX_SET,
            &TITLE_SET,
            &ORG_CUE_BEFORE_SET,
            &ORG_CUE_AFTER_SET,
            &ORG_CUE_NOUN_SET,
        ];
        for set in sets {
            let mut probes: Vec<String> = Vec::new();
            for w in set.list {
                probes.push((*w).to_owned());
                probes.push(w.to_uppercase());
                probes.push(format!("{w}s"));
                probes.push(format!("{w}\0"));
                probes.push(w.chars().skip(1).collect());
                probes.push(format!("{}é", &w[..w.len() - 1]));
            }
            probes.extend(
                ["", "a", "\0", "é", "no\0", "mr", "Mr", "MRS", "hello", "x"].map(String::from),
            );
            for p in &probes {
                let want = set.list.iter().any(|x| p.eq_ignore_ascii_case(x));
                assert_eq!(set.has(p), want, "{p:?}");
            }
        }
    }

    #[test]
    fn latin_lower_agrees_with_to_lowercase() {
        for u in 0..0x800u32 {
            let Some(c) = char::from_u32(u) else {
                continue;
            };
            if let Some(l) = latin_lower(c) {
                assert_eq!(
                    c.to_lowercase().collect::<String>(),
                    l.to_string(),
                    "{u:#x}"
                );
            }
        }
        assert_eq!(latin_lower('İ'), None);
        assert_eq!(
            lower(&mut String::new(), "ÁRPÁD Ŀuboš ŸİΣ"),
            "árpád ŀuboš ÿi\u{307}σ"
        );
    }

    /// The byte-wise helpers answer as the `str` methods they stand for.
    #[test]
    fn ascii_helpers_agree_with_the_str_methods() {
        let mut words: Vec<String> = "a A Ab AB É Éa ÉA Aé AÉ A.É A’s K\u{212a} Smith. Smith., \
            Smith\") Smith' Smith'\" Straße Hauptstrasse LINDHOLMSVEJ Lindholmsvej. Gade gade \
            Vägen Allé ALLÉ x.;:!?) ) .. é. Zoë, I J."
            .split(' ')
            .map(str::to_owned)
            .collect();
        words.push(String::new());
        for w in STREET_GLUED {
            assert_eq!(*w, w.to_lowercase(), "suffixes are lower case");
            words.push(format!("Haupt{w}"));
            words.push(format!("Haupt{}", w.to_uppercase()));
        }
        let sets: [(&AsciiSet, &[char]); 7] = [
            (&WORD_END, &['.', ',', ';', ':', '!', '?', '"', ')']),
            (&LIST_END, &[',', ';']),
            (&LIST_DOT_END, &[',', ';', '.']),
            (&DOT_COMMA, &['.', ',']),
            (&SENTENCE_END, &['.', ',', ';', ':', '!', '?']),
            (&NAME_END, &['.', ',', ';', ':', '!', '?', '"', '\'', ')']),
            (&PLACE_END, &['.', ',', ':', ';']),
        ];
        for w in &words {
            assert_eq!(
                lower_after_first(w),
                w.chars().skip(1).any(char::is_lowercase),
                "{w:?}"
            );
            for (set, chars) in &sets {
                assert_eq!(w.trim_end_in(set), w.trim_end_matches(*chars), "{w:?}");
            }
            if w.is_ascii() {
                assert_eq!(
                    STREET_GLUED_SET.ends_ascii_lowered(w),
                    STREET_GLUED_SET.ends(&w.to_ascii_lowercase()),
                    "{w:?}"
                );
            }
        }
        for b in 0..=255u8 {
            assert_eq!(WORD_END.has(b), b".,;:!?\")".contains(&b), "{b}");
        }
        // `Bytes16`: every span of up to 17 bytes of a text, near its end too (where
        // fewer than 16 bytes follow the start), against the byte-wise methods.
        let text = "Ab-Z'q É@[`{ zZ AZaz 0123456789 Smith O'Brien Anne-Marie é ÉTÉ \u{7f}\u{80}";
        let b = text.as_bytes();
        for start in 0..=b.len() {
            for end in start..=(start + 17).min(b.len()) {
                let got = Bytes16::at(b, start, end);
                if end - start > 16 {
                    assert!(got.is_none());
                    continue;
                }
                let x = got.unwrap();
                let w = &b[start..end];
                assert_eq!(x.is_ascii(), w.is_ascii(), "{start}..{end}");
                let mut want = [0u8; 16];
                want[..w.len()].copy_from_slice(&w.to_ascii_lowercase());
                assert_eq!(
                    x.ascii_lowercase(),
                    u128::from_le_bytes(want),
                    "{start}..{end}"
                );
            }
        }
        assert!(Bytes16::at(b, 3, 2).is_none());
        assert!(Bytes16::at(b, b.len(), b.len() + 1).is_none());
        // `word_end` says whether the word has an apostrophe or a hyphen.
        for (w, end, marked) in [
            ("Smith said", 5, false),
            ("O'Brien said", 7, true),
            ("Anne-Marie", 10, true),
            ("Zoë's", 6, true),
            ("Straße", 7, false),
            ("GB29", 0, false),
            ("John'", 5, true),
        ] {
            assert_eq!(word_end(w.as_bytes(), 0), (end, marked), "{w:?}");
        }
    }

    /// The remembered gazetteer flags and next words answer as the lookups they stand
    /// for, in any order of asking, also when positions share a slot (32 bytes apart),
    /// for words of more than 32 bytes and words outside ASCII.
    #[test]
    fn memos_agree_with_the_lookups() {
        let b = all_on();
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fuzz/seeds/detect_scan/memo-slots"
        ))
        .unwrap();
        let bits = text::WordBits::new(&text);
        let mut out = Vec::new();
        let mut cx = Cx {
            text: &text,
            bits: &bits,
            out: &mut out,
            b: &b,
            buf: String::new(),
            buf2: String::new(),
            memo: [(usize::MAX, 0, 0); MEMO],
            next: [(usize::MAX, None); MEMO],
            marked: true,
        };
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        let mut spans = Vec::new();
        for (k, &s) in bounds.iter().enumerate() {
            for &e in bounds.iter().skip(k + 1).take(40) {
                spans.push((s, e));
            }
        }
        // Twice, the second time answered from the memo where it still holds.
        for _ in 0..2 {
            for &(s, e) in spans.iter().chain(spans.iter().rev()) {
                let want = b.gaz.word(lower(&mut String::new(), &text[s..e]));
                assert_eq!(cx.flags_at(s, e), want, "{:?}", &text[s..e]);
            }
            for &i in bounds.iter().chain(bounds.iter().rev()) {
                assert_eq!(cx.next_word(i), text::next_word(&text, i, 1), "at {i}");
            }
        }
    }
}
