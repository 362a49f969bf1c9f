//! Word lists: given names and surnames (US Census 1990), countries and cities
//! (GeoNames), street types. Parsed once per process into hash sets; the data is
//! immutable, so sharing it is not a registry. Provenance: `src/detect/data/PROVENANCE.md`.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// FxHash (rustc's hasher): fast for short keys. The sets are fixed at load time, so
/// text being scanned cannot degrade them (lookups never insert).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash set with [`FxHasher`].
pub(crate) type FxSet<T> = HashSet<T, BuildHasherDefault<FxHasher>>;

static FIRST_NAMES: &str = include_str!("data/first_names.txt");
static SURNAMES: &str = include_str!("data/surnames.txt");
static COUNTRIES: &str = include_str!("data/countries.txt");
static CITIES: &str = include_str!("data/cities.txt");

/// The parsed lists; keys are lower case (Unicode simple lower case).
#[derive(Debug)]
pub(crate) struct Gazetteer {
    pub(crate) first_names: FxSet<&'static str>,
    pub(crate) surnames: FxSet<&'static str>,
    /// Lower-cased country names, single and multi-word.
    pub(crate) countries: FxSet<String>,
    /// Lower-cased city names.
    pub(crate) cities: FxSet<String>,
    /// The first word of every country and city, lower case: most capitalized words
    /// are rejected by one lookup.
    pub(crate) place_first_words: FxSet<String>,
    /// Longest country or city name in words, to bound look-ahead.
    pub(crate) max_place_words: usize,
}

fn lines(s: &'static str) -> impl Iterator<Item = &'static str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

impl Gazetteer {
    pub(crate) fn get() -> &'static Gazetteer {
        static G: OnceLock<Gazetteer> = OnceLock::new();
        G.get_or_init(|| {
            let first_names: FxSet<&str> = lines(FIRST_NAMES)
                .filter(|n| !STOP_WORDS.contains(n))
                .collect();
            let surnames = lines(SURNAMES)
                .filter(|n| !STOP_WORDS.contains(n))
                .collect();
            let countries: FxSet<String> = lines(COUNTRIES).map(str::to_lowercase).collect();
            let cities: FxSet<String> = lines(CITIES).map(str::to_lowercase).collect();
            let place_first_words = countries
                .iter()
                .chain(&cities)
                .filter_map(|n| n.split(' ').next().map(str::to_owned))
                .collect();
            let max_place_words = countries
                .iter()
                .chain(&cities)
                .map(|n| n.split(' ').count())
                .max()
                .unwrap_or(1)
                .min(4);
            Gazetteer {
                first_names,
                surnames,
                countries,
                cities,
                place_first_words,
                max_place_words,
            }
        })
    }
}

/// English words that the Census lists also hold as names ("will", "may", "long"):
/// they are not names unless context says so. Kept short on purpose: every entry
/// here costs recall on the people who carry the name.
pub(crate) const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "all",
    "also",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "best",
    "but",
    "by",
    "call",
    "can",
    "card",
    "case",
    "cash",
    "center",
    "church",
    "city",
    "close",
    "could",
    "county",
    "court",
    "date",
    "day",
    "dear",
    "do",
    "does",
    "done",
    "down",
    "each",
    "east",
    "else",
    "even",
    "every",
    "few",
    "fine",
    "for",
    "free",
    "from",
    "full",
    "get",
    "good",
    "green",
    "had",
    "has",
    "have",
    "he",
    "her",
    "here",
    "high",
    "him",
    "his",
    "home",
    "hope",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "king",
    "know",
    "last",
    "less",
    "like",
    "little",
    "long",
    "lot",
    "love",
    "made",
    "main",
    "man",
    "many",
    "may",
    "me",
    "more",
    "most",
    "much",
    "must",
    "my",
    "name",
    "new",
    "next",
    "nice",
    "no",
    "north",
    "not",
    "now",
    "of",
    "off",
    "old",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "park",
    "people",
    "phone",
    "please",
    "post",
    "price",
    "rich",
    "right",
    "road",
    "said",
    "same",
    "see",
    "she",
    "should",
    "so",
    "some",
    "south",
    "star",
    "still",
    "street",
    "such",
    "summer",
    "sun",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "this",
    "those",
    "time",
    "to",
    "today",
    "too",
    "under",
    "up",
    "upon",
    "us",
    "very",
    "was",
    "way",
    "we",
    "well",
    "were",
    "west",
    "what",
    "when",
    "where",
    "which",
    "while",
    "white",
    "who",
    "why",
    "will",
    "winter",
    "with",
    "would",
    "yes",
    "yet",
    "you",
    "young",
    "your",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mr",
    "mrs",
    "ms",
    "dr",
    "miss",
    "apt",
    "suite",
    "unit",
    "box",
];

/// Titles before a name (`Mr.`, `Dr`), lower case without the dot.
pub(crate) const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "madam", "mme", "mlle", "herr",
    "frau", "sr", "sra", "srta", "sig", "signora", "don", "doña",
];

/// Street types written as a separate word after the street's name (USPS Publication 28
/// appendix C1 primary suffixes, their standard abbreviations, and UK and Commonwealth
/// usage), lower case.
pub(crate) const STREET_SUFFIXES: &[&str] = &[
    "alley",
    "aly",
    "avenue",
    "ave",
    "av",
    "bend",
    "blvd",
    "boulevard",
    "bridge",
    "brg",
    "bypass",
    "causeway",
    "circle",
    "cir",
    "close",
    "common",
    "corner",
    "course",
    "court",
    "ct",
    "cove",
    "creek",
    "crescent",
    "cres",
    "crest",
    "crossing",
    "drive",
    "dr",
    "drives",
    "esplanade",
    "estate",
    "estates",
    "expressway",
    "expy",
    "freeway",
    "fwy",
    "gardens",
    "gate",
    "glen",
    "grove",
    "greens",
    "heights",
    "highway",
    "hwy",
    "hill",
    "lane",
    "ln",
    "loop",
    "mall",
    "manor",
    "meadows",
    "mews",
    "parade",
    "parkway",
    "pkwy",
    "pass",
    "path",
    "pike",
    "place",
    "pl",
    "plaza",
    "promenade",
    "rd",
    "ridge",
    "road",
    "row",
    "run",
    "square",
    "sq",
    "st",
    "str",
    "street",
    "terrace",
    "ter",
    "trail",
    "trl",
    "turnpike",
    "tpke",
    "view",
    "vista",
    "walk",
    "way",
    "wharf",
    "wynd",
];

/// Street types that open the address ("Via Roma 131", "Rue de Rivoli 5"), lower case:
/// not given names there, whatever the Census lists say. The same words as the
/// street-prefix pattern of `builtin.rs`.
pub(crate) const STREET_PREFIXES: &[&str] = &[
    "via", "viale", "piazza", "piazzale", "corso", "largo", "vicolo", "rua", "avenida", "calle",
    "carrer", "camino", "paseo", "plaza", "rue", "chemin", "allée", "impasse", "ulica", "aleja",
    "strada", "bulevar", "travessa", "praça", "rambla", "avinguda",
];

/// Street types glued to the end of the street's name ("Hauptstraße", "Hammarvägen",
/// "Koskikatu"), lower case.
pub(crate) const STREET_GLUED: &[&str] = &[
    "straße", "strasse", "weg", "gasse", "platz", "allee", "ring", "damm", "ufer", "vägen",
    "gatan", "gränd", "vej", "gade", "allé", "katu", "tie", "kuja", "polku", "veien", "vegen",
    "gata", "gate", "laan", "straat", "plein", "gracht", "singel", "utca", "ulice", "iela",
    "tänav", "cesta",
];

/// Words after a street and number that continue the address, lower case.
pub(crate) const UNIT_WORDS: &[&str] = &[
    "apt",
    "apartment",
    "suite",
    "ste",
    "unit",
    "flat",
    "floor",
    "fl",
    "box",
    "room",
    "bldg",
    "building",
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn lists_load_and_are_lower_case() {
        let g = Gazetteer::get();
        assert!(g.first_names.len() > 5_000, "{}", g.first_names.len());
        assert!(g.surnames.len() > 80_000, "{}", g.surnames.len());
        assert!(g.first_names.contains("mary"));
        assert!(g.surnames.contains("smith"));
        assert!(!g.first_names.contains("will"), "stop words are removed");
        assert!(g.countries.contains("new zealand"));
        assert!(g.cities.contains("toronto"));
        assert!(g.max_place_words >= 2);
        for n in g.first_names.iter().chain(&g.surnames) {
            assert_eq!(n.to_lowercase(), *n);
        }
    }
}
