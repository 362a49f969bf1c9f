//! Phone-number validation from libphonenumber's metadata (`data/phone_metadata.tsv`,
//! derived from `PhoneNumberMetadata.xml`): a number is valid for a region when its
//! national significant number fully matches one of the region's number-type patterns
//! (fixed line, mobile, toll free, ...), as libphonenumber's `isValidNumberForRegion`
//! decides. Each region's patterns are compiled once, on first use, into one anchored
//! linear-time regex.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

static METADATA: &str = include_str!("data/phone_metadata.tsv");

struct Territory {
    id: &'static str,
    code: u16,
    national_prefix: &'static str,
    prefix_for_parsing: &'static str,
    patterns: &'static str,
    compiled: OnceLock<Option<Compiled>>,
}

struct Compiled {
    valid: Regex,
    prefix: Option<Regex>,
}

pub(crate) struct PhoneMetadata {
    territories: Vec<Territory>,
    by_code: HashMap<u16, Vec<usize>>,
    by_id: HashMap<&'static str, usize>,
}

impl std::fmt::Debug for PhoneMetadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneMetadata")
            .field("territories", &self.territories.len())
            .finish_non_exhaustive()
    }
}

fn compile(pattern: &str) -> Option<Regex> {
    Regex::builder()
        .syntax(
            regex_automata::util::syntax::Config::new()
                .unicode(false)
                .utf8(false),
        )
        .build(&format!("^(?:{pattern})$"))
        .ok()
}

impl PhoneMetadata {
    pub(crate) fn get() -> &'static PhoneMetadata {
        static M: OnceLock<PhoneMetadata> = OnceLock::new();
        M.get_or_init(|| {
            let mut territories = Vec::new();
            for line in METADATA
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
            {
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() != 5 {
                    continue;
                }
                let Ok(code) = f[1].parse() else { continue };
                territories.push(Territory {
                    id: f[0],
                    code,
                    national_prefix: f[2],
                    prefix_for_parsing: f[3],
                    patterns: f[4],
                    compiled: OnceLock::new(),
                });
            }
            let mut by_code: HashMap<u16, Vec<usize>> = HashMap::new();
            let mut by_id = HashMap::new();
            for (i, t) in territories.iter().enumerate() {
                by_code.entry(t.code).or_default().push(i);
                if t.id != "001" {
                    by_id.insert(t.id, i);
                }
            }
            PhoneMetadata {
                territories,
                by_code,
                by_id,
            }
        })
    }

    /// The index of region `id` (ISO 3166-1 alpha-2, upper case).
    pub(crate) fn region(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    fn compiled(&self, i: usize) -> Option<&Compiled> {
        let t = &self.territories[i];
        t.compiled
            .get_or_init(|| {
                Some(Compiled {
                    valid: compile(t.patterns)?,
                    prefix: (!t.prefix_for_parsing.is_empty())
                        .then(|| compile(t.prefix_for_parsing))
                        .flatten(),
                })
            })
            .as_ref()
    }

    fn matches(&self, i: usize, nsn: &[u8]) -> bool {
        self.compiled(i)
            .is_some_and(|c| c.valid.is_match(Input::new(nsn).anchored(Anchored::Yes)))
    }

    /// Whether national `digits` (trunk prefix included or not) are valid in region `i`.
    pub(crate) fn valid_national(&self, i: usize, digits: &[u8]) -> bool {
        if self.matches(i, digits) {
            return true;
        }
        let t = &self.territories[i];
        // Strip the national prefix for parsing (a pattern, e.g. GB "0|180020"), or the
        // plain national prefix.
        if let Some(c) = self.compiled(i)
            && let Some(p) = &c.prefix
        {
            // Every head that is a whole match of the prefix pattern (they are short).
            return (1..=digits.len().min(8)).any(|k| {
                p.is_match(Input::new(&digits[..k]).anchored(Anchored::Yes))
                    && self.matches(i, &digits[k..])
            });
        }
        !t.national_prefix.is_empty()
            && digits.starts_with(t.national_prefix.as_bytes())
            && self.matches(i, &digits[t.national_prefix.len()..])
    }

    /// Whether `digits` after a `+` (country code first) are a valid number somewhere.
    /// A national prefix written after the country code ("+41 (0)96 ...") is allowed.
    pub(crate) fn valid_international(&self, digits: &[u8]) -> bool {
        for cc_len in 1..=3usize.min(digits.len()) {
            let Some(code) = std::str::from_utf8(&digits[..cc_len])
                .ok()
                .and_then(|s| s.parse::<u16>().ok())
            else {
                continue;
            };
            let Some(regions) = self.by_code.get(&code) else {
                continue;
            };
            let nsn = &digits[cc_len..];
            for &i in regions {
                let t = &self.territories[i];
                if self.matches(i, nsn)
                    || !t.national_prefix.is_empty()
                        && nsn.starts_with(t.national_prefix.as_bytes())
                        && self.matches(i, &nsn[t.national_prefix.len()..])
                {
                    return true;
                }
            }
            // Country codes are a prefix code: only one length can match.
            return false;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn validates_like_libphonenumber() {
        let m = PhoneMetadata::get();
        assert!(m.territories.len() > 240);
        let us = m.region("US").unwrap();
        let gb = m.region("GB").unwrap();
        let de = m.region("DE").unwrap();
        // Example numbers of the metadata itself.
        assert!(m.valid_national(us, b"2015550123"));
        assert!(
            m.valid_national(us, b"12015550123"),
            "with the national prefix 1"
        );
        assert!(!m.valid_national(us, b"0015550123"));
        assert!(m.valid_national(gb, b"02079460958"));
        assert!(m.valid_national(gb, b"07400123456"));
        assert!(!m.valid_national(gb, b"0000000000"));
        assert!(m.valid_national(de, b"030123456"));
        assert!(m.valid_international(b"442079460958"));
        assert!(m.valid_international(b"4915123456789"));
        assert!(m.valid_international(b"41446681800"));
        assert!(
            m.valid_international(b"410446681800"),
            "+41 (0)44 668 18 00"
        );
        assert!(!m.valid_international(b"10000000000"));
        assert!(!m.valid_international(b""));
        assert!(m.region("XX").is_none());
    }
}
