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

impl FxHasher {
    fn add(&mut self, x: u64) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(K);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        // The last 1 to 7 bytes as one word, with their number (words are short, so
        // most keys are all tail).
        if let Some(x) = super::text::pack8(chunks.remainder()) {
            self.add(x ^ (chunks.remainder().len() as u64) << 56);
        }
    }

    fn finish(&self) -> u64 {
        // The high bits of the last product depend on every bit before them: rotated
        // down, they choose the bucket (as rustc-hash 2 does).
        self.0.rotate_left(26)
    }
}

/// A hash set with [`FxHasher`].
pub(crate) type FxSet<T> = HashSet<T, BuildHasherDefault<FxHasher>>;
/// A hash map with [`FxHasher`].
pub(crate) type FxMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;

static FIRST_NAMES: &str = include_str!("data/first_names.txt");
static SURNAMES: &str = include_str!("data/surnames.txt");
static COUNTRIES: &str = include_str!("data/countries.txt");
static CITIES: &str = include_str!("data/cities.txt");
static NRP: &str = include_str!("data/nrp.txt");
static LEGAL_FORMS: &str = include_str!("data/org_legal_forms.txt");

/// The parsed lists; keys are lower case (Unicode simple lower case).
#[derive(Debug)]
pub(crate) struct Gazetteer {
    /// Lower-cased country names, single and multi-word.
    pub(crate) countries: FxSet<String>,
    /// Lower-cased city names.
    pub(crate) cities: FxSet<String>,
    /// Longest country or city name in words, to bound look-ahead.
    pub(crate) max_place_words: usize,
    /// Every word of the lists above and of the word tables below, lower case, with
    /// what it is ([`W_FIRST`], [`W_SURNAME`], ...): one lookup per capitalized word.
    /// Keyed by bytes, so that a word lower-cased on the stack needs no UTF-8 check.
    pub(crate) words: WordTable,
    /// Demonyms and language names of more than one word ("new zealander").
    pub(crate) nrp_phrases: FxSet<String>,
    /// Bit [`trigram`] of the first three bytes of every one-word NRP name: lower-case
    /// words of a text are rejected by one bit before any lookup.
    pub(crate) nrp_trigrams: Vec<u64>,
    /// The one-word NRP names alone (the words with [`W_NRP`]), a table small enough
    /// to stay in the caches: every lower-case word that passes `nrp_trigrams` is
    /// looked up in it.
    pub(crate) nrp_words: WordTable,
}

/// Size of the trigram filters, in bits.
pub(crate) const TRIGRAM_BITS: usize = 1 << 16;

/// The filter bit of three (lower-case) bytes.
pub(crate) fn trigram(b0: u8, b1: u8, b2: u8) -> usize {
    let h = (u32::from(b0) << 16 | u32::from(b1) << 8 | u32::from(b2)).wrapping_mul(0x9E37_79B1);
    (h >> 16) as usize % TRIGRAM_BITS
}

/// A given name (`first_names`).
pub(crate) const W_FIRST: u16 = 1;
/// A surname (`surnames`).
pub(crate) const W_SURNAME: u16 = 1 << 1;
/// The first word of a country or city name.
pub(crate) const W_PLACE_FIRST: u16 = 1 << 2;
/// A one-word country name.
pub(crate) const W_COUNTRY: u16 = 1 << 3;
/// A one-word city name.
pub(crate) const W_CITY: u16 = 1 << 4;
/// A word of [`STOP_WORDS`].
pub(crate) const W_STOP: u16 = 1 << 5;
/// A word of [`STREET_SUFFIXES`].
pub(crate) const W_STREET_SUFFIX: u16 = 1 << 6;
/// A word of [`STREET_PREFIXES`].
pub(crate) const W_STREET_PREFIX: u16 = 1 << 7;
/// A one-word demonym or language name (`nrp.txt`).
pub(crate) const W_NRP: u16 = 1 << 8;
/// The first word of a demonym of several words.
pub(crate) const W_NRP_FIRST: u16 = 1 << 9;
/// A legal form of companies (`org_legal_forms.txt`), without its final dot.
pub(crate) const W_LEGAL_FORM: u16 = 1 << 10;
/// A word of [`ORG_WORDS`].
pub(crate) const W_ORG_WORD: u16 = 1 << 11;

impl Gazetteer {
    /// What `lower` (a lower-cased word) is, as `W_*` bits; 0 for none.
    pub(crate) fn word(&self, lower: &str) -> u16 {
        self.word_bytes(lower.as_bytes())
    }

    /// As [`Gazetteer::word`], of the bytes of a lower-cased word.
    pub(crate) fn word_bytes(&self, lower: &[u8]) -> u16 {
        self.words.get(lower)
    }

    /// As [`Gazetteer::word`], of a lower-cased word of `n` bytes (1 to 16) packed
    /// little-endian into `x`, zero after them.
    pub(crate) fn word_packed(&self, x: u128, n: usize) -> u16 {
        self.words.get_packed(x, n)
    }
}

/// A fixed map from words to flags, laid out for look-ups that miss the caches: one
/// 8-byte slot per word in an open-addressing table (linear probing, at most half
/// full), holding 16 bits of the word's hash, its length and its flags, and the
/// words' bytes one after another in one arena. A word that is not in the table is
/// rejected by the slots alone (a wrong word passes the hash bits and the length in
/// about one probe of 300,000), so most look-ups read one cache line; a word that is
/// in it reads one more, in the arena. The map it replaced (`HashMap<Box<[u8]>, u16>`)
/// read a control byte, a bucket and the boxed key: three lines in 9 MB against one or
/// two in 3 MB.
#[derive(Debug, Default)]
pub(crate) struct WordTable {
    /// Bits 0..24: offset in `arena`; 24..32: length; 32..48: flags; 48..64: the hash's
    /// top 16 bits. 0 is an empty slot (no word is empty).
    slots: Vec<u64>,
    arena: Vec<u8>,
    mask: usize,
    /// Words held.
    len: usize,
}

/// The longest word a [`WordTable`] holds (its length has 8 bits).
const WORD_TABLE_MAX_LEN: usize = 255;
/// The bits of a slot that a look-up compares before the word: hash bits and length.
const SLOT_KEY: u64 = 0xFFFF_0000_FF00_0000;

/// The bytes of `w` (at most 16) packed little-endian into an integer, zero after
/// them; `None` when `w` is longer.
pub(crate) fn pack16(w: &[u8]) -> Option<u128> {
    let mut buf = [0u8; 16];
    buf.get_mut(..w.len())?.copy_from_slice(w);
    Some(u128::from_le_bytes(buf))
}

/// The mask of the low `n` bytes of a `u128` (`n` at most 16).
pub(crate) fn low_bytes16(n: usize) -> u128 {
    u128::MAX
        .checked_shr(u32::try_from(128 - 8 * n.min(16)).unwrap_or(128))
        .unwrap_or(0)
}

/// The hash of a word: of up to 16 bytes, [`packed_hash`] of them; longer, [`FxHasher`].
fn word_hash(w: &[u8]) -> u64 {
    if let Some(x) = pack16(w) {
        return packed_hash(x, w.len());
    }
    let mut h = FxHasher::default();
    h.write(w);
    // Mix every bit into the low ones, which choose the slot.
    let x = h.finish();
    let x = (x ^ (x >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

/// The hash of a word of `n` bytes (at most 16), packed little-endian into `x` with zero
/// bytes after it: two multiplications, no step per byte, so that a look-up from bytes
/// already in a register (`WordTable::get_packed`) costs no loop whose end depends on
/// the word's length.
#[inline]
fn packed_hash(x: u128, n: usize) -> u64 {
    let lo = u64::try_from(x & u128::from(u64::MAX)).unwrap_or(0);
    let hi = u64::try_from(x >> 64).unwrap_or(0);
    let a = lo.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let b = (hi ^ (n as u64) << 56).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    let x = a ^ b.rotate_left(32);
    let x = (x ^ (x >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

impl WordTable {
    /// An empty table for at most `n` words.
    fn with_capacity(n: usize) -> Self {
        let size = (2 * n.max(1)).next_power_of_two();
        WordTable {
            slots: vec![0; size],
            arena: Vec::with_capacity(8 * n),
            mask: size - 1,
            len: 0,
        }
    }

    /// Adds `flags` to those of `w` (inserting it); `false`, and nothing changed, when
    /// `w` is empty or longer than 255 bytes, or the table or its arena is full.
    fn add(&mut self, w: &[u8], flags: u16) -> bool {
        if w.is_empty() || w.len() > WORD_TABLE_MAX_LEN {
            return false;
        }
        let (i, want) = match self.probe(w) {
            Ok(i) => {
                self.slots[i] |= u64::from(flags) << 32;
                return true;
            }
            Err(free) => free,
        };
        // At most half full, so that look-ups stay short.
        let off = self.arena.len();
        if 2 * (self.len + 1) > self.slots.len() || off + w.len() >= 1 << 24 {
            return false;
        }
        self.len += 1;
        self.arena.extend_from_slice(w);
        self.slots[i] = want | u64::from(flags) << 32 | off as u64;
        true
    }

    /// Where `w` (not empty, at most 255 bytes) is: `Ok(slot)`, or `Err((the empty
    /// slot that ends its probe, the slot's key bits for it))`. The table is at most
    /// half full, so an empty slot always ends the probe.
    #[inline]
    fn probe(&self, w: &[u8]) -> Result<usize, (usize, u64)> {
        self.probe_by(word_hash(w), w.len(), |s| self.key(s) == Some(w))
    }

    /// [`WordTable::probe`] of a word of hash `h` and `len` bytes, `is_key` telling
    /// whether a slot of that hash and length holds it.
    #[inline]
    fn probe_by(
        &self,
        h: u64,
        len: usize,
        is_key: impl Fn(u64) -> bool,
    ) -> Result<usize, (usize, u64)> {
        // The hash bits and the length, as they sit in a slot.
        let want = (h >> 48) << 48 | (len as u64) << 24;
        let mut i = usize::try_from(h & self.mask as u64).unwrap_or(0);
        loop {
            let s = self.slots.get(i).copied().unwrap_or(0);
            if s == 0 {
                return Err((i, want));
            }
            if s & SLOT_KEY == want && is_key(s) {
                return Ok(i);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// As [`WordTable::get`] of the `n` bytes (1 to 16) packed little-endian into `x`,
    /// zero after them: the word is hashed and compared as two integers.
    #[inline]
    pub(crate) fn get_packed(&self, x: u128, n: usize) -> u16 {
        if n == 0 || n > 16 {
            return 0;
        }
        let keep = low_bytes16(n);
        let is_key = |s: u64| {
            let Ok(off) = usize::try_from(s & 0xFF_FFFF) else {
                return false;
            };
            match self.arena.get(off..off + 16) {
                Some(e) => {
                    u128::from_le_bytes(<[u8; 16]>::try_from(e).unwrap_or([0; 16])) & keep == x
                }
                None => self.key(s) == x.to_le_bytes().get(..n),
            }
        };
        match self.probe_by(packed_hash(x, n), n, is_key) {
            Ok(i) => u16::try_from(self.slots[i] >> 32 & 0xFFFF).unwrap_or(0),
            Err(_) => 0,
        }
    }

    /// The word of a slot, from the arena.
    #[inline]
    fn key(&self, s: u64) -> Option<&[u8]> {
        let off = usize::try_from(s & 0xFF_FFFF).ok()?;
        let len = usize::try_from(s >> 24 & 0xFF).ok()?;
        self.arena.get(off..off.checked_add(len)?)
    }

    /// The flags of `w`; 0 when it is not in the table.
    #[inline]
    pub(crate) fn get(&self, w: &[u8]) -> u16 {
        if w.is_empty() || w.len() > WORD_TABLE_MAX_LEN {
            return 0;
        }
        match self.probe(w) {
            Ok(i) => u16::try_from(self.slots[i] >> 32 & 0xFFFF).unwrap_or(0),
            Err(_) => 0,
        }
    }

    /// Every word and its flags (in no particular order).
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], u16)> {
        self.slots
            .iter()
            .filter(|&&s| s != 0)
            .filter_map(|&s| Some((self.key(s)?, u16::try_from(s >> 32 & 0xFFFF).ok()?)))
    }
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
            let surnames: FxSet<&str> = lines(SURNAMES)
                .filter(|n| !STOP_WORDS.contains(n))
                .collect();
            let countries: FxSet<String> = lines(COUNTRIES).map(str::to_lowercase).collect();
            let cities: FxSet<String> = lines(CITIES).map(str::to_lowercase).collect();
            let place_first_words: FxSet<String> = countries
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
            // At most one entry per word of the lists.
            let capacity = first_names.len()
                + surnames.len()
                + place_first_words.len()
                + countries.len()
                + cities.len()
                + STOP_WORDS.len()
                + STREET_SUFFIXES.len()
                + STREET_PREFIXES.len()
                + lines(NRP).count()
                + lines(LEGAL_FORMS).count()
                + ORG_WORDS.len();
            let mut words = WordTable::with_capacity(capacity);
            // The lists are part of the crate and hold no empty or overlong word (the
            // tests, built with debug assertions, check that none was refused).
            let mut refused = 0usize;
            let mut add = |w: &str, bit: u16| {
                refused += usize::from(!words.add(w.as_bytes(), bit));
            };
            for w in &first_names {
                add(w, W_FIRST);
            }
            for w in &surnames {
                add(w, W_SURNAME);
            }
            for w in &place_first_words {
                add(w, W_PLACE_FIRST);
            }
            for w in countries.iter().filter(|w| !w.contains(' ')) {
                add(w, W_COUNTRY);
            }
            for w in cities.iter().filter(|w| !w.contains(' ')) {
                add(w, W_CITY);
            }
            for w in STOP_WORDS {
                add(w, W_STOP);
            }
            for w in STREET_SUFFIXES {
                add(w, W_STREET_SUFFIX);
            }
            for w in STREET_PREFIXES {
                add(w, W_STREET_PREFIX);
            }
            let mut nrp_phrases = FxSet::default();
            let mut nrp_trigrams = vec![0u64; TRIGRAM_BITS / 64];
            let mut nrp_words = WordTable::with_capacity(lines(NRP).count());
            let mut nrp_refused = 0usize;
            for n in lines(NRP) {
                match n.split_once(' ') {
                    Some((first, _)) => {
                        add(first, W_NRP_FIRST);
                        nrp_phrases.insert(n.to_owned());
                    }
                    None => {
                        add(n, W_NRP);
                        nrp_refused += usize::from(!nrp_words.add(n.as_bytes(), W_NRP));
                        if let [b0, b1, b2, ..] = n.as_bytes() {
                            let k = trigram(*b0, *b1, *b2);
                            nrp_trigrams[k / 64] |= 1 << (k % 64);
                        }
                    }
                }
            }
            for f in lines(LEGAL_FORMS) {
                add(f.strip_suffix('.').unwrap_or(f), W_LEGAL_FORM);
            }
            for w in ORG_WORDS {
                add(w, W_ORG_WORD);
            }
            debug_assert_eq!(refused, 0, "every word of the lists fits the table");
            debug_assert_eq!(nrp_refused, 0, "every NRP name fits its table");

            Gazetteer {
                countries,
                cities,
                max_place_words,
                words,
                nrp_phrases,
                nrp_words,
                nrp_trigrams,
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

/// Words that end the names of organizations ("Abt Associates", "Wolfram Research"),
/// lower case: privkit's own list of common designators (not legal forms, which come
/// from `org_legal_forms.txt`).
pub(crate) const ORG_WORDS: &[&str] = &[
    "associates",
    "bancorp",
    "bank",
    "biosciences",
    "bioscience",
    "consultants",
    "consulting",
    "enterprises",
    "foundation",
    "group",
    "holdings",
    "industries",
    "institute",
    "insurance",
    "investments",
    "laboratories",
    "labs",
    "logistics",
    "partners",
    "pharmaceuticals",
    "research",
    "solutions",
    "systems",
    "technologies",
    "therapeutics",
    "ventures",
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
    "tänav", "cesta", "stræti", "vegur", "braut", "vænget", "stien",
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
    fn word_table_agrees_with_a_map() {
        let mut map: FxMap<Vec<u8>, u16> = FxMap::default();
        let mut t = WordTable::with_capacity(30_000);
        for i in 0..30_000u32 {
            // Repeated words (i % 20_000) merge their flags, as in the lists.
            let w = format!(
                "w{}x{}",
                i % 20_000 * 7919 % 100_003,
                "é".repeat((i % 5) as usize)
            );
            let f = 1u16 << (i % 12);
            *map.entry(w.clone().into_bytes()).or_default() |= f;
            assert!(t.add(w.as_bytes(), f));
        }
        assert!(t.add(&[b'a'; 255], 7));
        map.insert(vec![b'a'; 255], 7);
        assert_eq!(t.iter().count(), map.len());
        for (k, &f) in &map {
            assert_eq!(t.get(k), f, "{:?}", std::str::from_utf8(k));
        }
        for (k, f) in t.iter() {
            assert_eq!(map.get(k), Some(&f));
        }
        for i in 0..20_000u32 {
            assert_eq!(t.get(format!("w{i}y").as_bytes()), 0);
        }
        // Packed look-ups (words of 1 to 16 bytes) answer as `get`, the words near the
        // end of the arena (read without 16 bytes after them) included.
        let packed = |w: &[u8]| pack16(w).unwrap();
        let mut tried = 0;
        for (k, &f) in &map {
            if k.len() <= 16 {
                assert_eq!(
                    t.get_packed(packed(k), k.len()),
                    f,
                    "{:?}",
                    std::str::from_utf8(k)
                );
                // A prefix of the word (a different length) or one more byte is not it.
                let short = &k[..k.len() - 1];
                assert_eq!(t.get_packed(packed(short), short.len()), t.get(short));
                if k.len() < 16 {
                    let mut long = k.clone();
                    long.push(b'q');
                    assert_eq!(t.get_packed(packed(&long), long.len()), t.get(&long));
                }
                tried += 1;
            }
        }
        assert!(tried > 10_000, "{tried}");
        assert_eq!(t.get_packed(0, 0), 0);
        assert_eq!(t.get_packed(u128::MAX, 17), 0);
        assert_eq!(t.get(b""), 0);
        assert_eq!(t.get(&[b'a'; 256]), 0);
        assert_eq!(t.get(&[b'a'; 254]), 0);
        // Refused: an empty word, a word of 256 bytes, more words than the capacity.
        assert!(!t.add(b"", 1));
        assert!(!t.add(&[b'b'; 256], 1));
        let mut small = WordTable::with_capacity(4);
        let added = (0..100)
            .filter(|i| small.add(format!("{i}").as_bytes(), 1))
            .count();
        assert_eq!(added, 4);
        assert_eq!(small.get(b"0"), 1);
        // An arena of 4 bytes: no word has 16 bytes after its start.
        for w in [&b"0"[..], b"3", b"12", b"4"] {
            assert_eq!(small.get_packed(packed(w), w.len()), small.get(w), "{w:?}");
        }
    }

    /// The hash spreads the words of the lists: linear probes stay short (a weak
    /// mix of the last bytes once gave 0.77 slots on average and 45 at most).
    #[test]
    fn word_table_probes_stay_short() {
        let t = &Gazetteer::get().words;
        let (mut total, mut n, mut longest) = (0usize, 0usize, 0usize);
        for (w, _) in t.iter() {
            let home = usize::try_from(word_hash(w)).unwrap() & t.mask;
            let i = t.probe(w).unwrap();
            let d = (i + t.slots.len() - home) & t.mask;
            total += d;
            n += 1;
            longest = longest.max(d);
        }
        let mean = total as f64 / n as f64;
        assert!(
            mean < 0.3 && longest <= 12,
            "mean {mean:.3}, longest {longest}"
        );
    }

    #[test]
    fn lists_load_and_are_lower_case() {
        let g = Gazetteer::get();
        assert!(g.words.iter().count() > 100_000);
        let count = |bit: u16| g.words.iter().filter(|&(_, f)| f & bit != 0).count();
        assert!(count(W_FIRST) > 5_000, "{}", count(W_FIRST));
        assert!(count(W_SURNAME) > 80_000, "{}", count(W_SURNAME));
        assert!(g.word("mary") & W_FIRST != 0);
        assert!(g.word("smith") & W_SURNAME != 0);
        assert_eq!(
            g.word("will") & (W_FIRST | W_SURNAME),
            0,
            "stop words are removed"
        );
        assert!(g.word("will") & W_STOP != 0);
        assert!(g.word("new") & W_PLACE_FIRST != 0);
        assert!(g.word("france") & W_COUNTRY != 0);
        assert!(g.word("toronto") & W_CITY != 0);
        assert!(g.word("avenue") & W_STREET_SUFFIX != 0);
        assert!(g.word("via") & W_STREET_PREFIX != 0);
        assert!(g.word("icelandic") & W_NRP != 0);
        // The NRP table holds exactly the words with W_NRP.
        let nrp: Vec<_> = g.words.iter().filter(|&(_, f)| f & W_NRP != 0).collect();
        assert_eq!(g.nrp_words.iter().count(), nrp.len());
        assert!(nrp.iter().all(|(w, _)| g.nrp_words.get(w) == W_NRP));
        assert!(g.word("new") & W_NRP_FIRST != 0 && g.nrp_phrases.contains("new zealander"));
        assert!(g.word("gmbh") & W_LEGAL_FORM != 0 && g.word("inc") & W_LEGAL_FORM != 0);
        assert!(g.word("associates") & W_ORG_WORD != 0);
        assert!(g.countries.contains("new zealand"));
        assert!(g.cities.contains("toronto"));
        assert!(g.max_place_words >= 2);
        for (n, _) in g.words.iter() {
            let n = std::str::from_utf8(n).unwrap();
            assert_eq!(n.to_lowercase(), n);
        }
        // `text::title_before` relies on titles of at most 7 bytes.
        assert!(TITLES.iter().all(|t| t.len() <= 7));
    }
}
