//! Names: data categories, selectors and the short identifiers used for purposes,
//! rules, holds and custom events.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Longest accepted category name, in bytes.
const MAX_CATEGORY_LEN: usize = 256;
/// Deepest accepted category, in segments.
const MAX_DEPTH: usize = 16;
/// Longest accepted identifier or category segment, in bytes.
const MAX_NAME_LEN: usize = 64;

/// Checks a short identifier (purpose, rule id, hold id, event name): 1 to 64 bytes of
/// lowercase ASCII letters, digits, `_`, `-` and `.`.
pub(crate) fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(Error::invalid_argument(format_args!(
            "{kind} `{}` must be 1 to {MAX_NAME_LEN} bytes",
            name.escape_default()
        )));
    }
    if !name.bytes().all(|b| is_segment_byte(b) || b == b'.') {
        return Err(Error::invalid_argument(format_args!(
            "{kind} `{}` may contain only a-z, 0-9, `_`, `-` and `.`",
            name.escape_default()
        )));
    }
    Ok(())
}

fn is_segment_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
}

/// A data category: a dotted hierarchical name such as `user.contact.email`.
///
/// Each segment is 1 to 64 bytes of `a-z`, `0-9`, `_` and `-`; at most 16 segments and
/// 256 bytes in all. A category [contains](Category::contains) itself and every category
/// below it: `user.contact` contains `user.contact.email` but not `user.contacts`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category(Box<str>);

impl Category {
    /// Parses and validates a category name.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a segment is empty, too long or holds a character
    /// outside `a-z0-9_-`, or the name is deeper than 16 segments or longer than 256 bytes.
    pub fn new(name: &str) -> Result<Self> {
        if name.len() > MAX_CATEGORY_LEN {
            return Err(Error::invalid_argument(format_args!(
                "category longer than {MAX_CATEGORY_LEN} bytes"
            )));
        }
        let mut depth = 0;
        for segment in name.split('.') {
            depth += 1;
            if segment.is_empty()
                || segment.len() > MAX_NAME_LEN
                || !segment.bytes().all(is_segment_byte)
            {
                return Err(Error::invalid_argument(format_args!(
                    "category `{}`: every dot-separated segment must be 1 to {MAX_NAME_LEN} \
                     bytes of a-z, 0-9, `_` and `-`",
                    name.escape_default()
                )));
            }
        }
        if depth > MAX_DEPTH {
            return Err(Error::invalid_argument(format_args!(
                "category `{name}` is deeper than {MAX_DEPTH} segments"
            )));
        }
        Ok(Self(name.into()))
    }

    /// The dotted name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Number of segments (`user.contact.email` has depth 3).
    #[must_use]
    pub fn depth(&self) -> usize {
        self.0.split('.').count()
    }

    /// Whether `other` is this category or lies below it (prefix match on whole segments).
    #[must_use]
    pub fn contains(&self, other: &Category) -> bool {
        contains_str(&self.0, &other.0)
    }

    /// This category and each ancestor, most specific first:
    /// `a.b.c`, `a.b`, `a`.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        let s: &str = &self.0;
        std::iter::once(s).chain(s.rmatch_indices('.').map(move |(i, _)| &s[..i]))
    }
}

fn contains_str(outer: &str, inner: &str) -> bool {
    inner.starts_with(outer)
        && (inner.len() == outer.len() || inner.as_bytes().get(outer.len()) == Some(&b'.'))
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Category({:?})", &*self.0)
    }
}

impl FromStr for Category {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

/// Which categories a rule or a legal hold covers: one category and everything below it,
/// or (`*`) every category.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Selector {
    /// Every category (written `*`); the least specific selector.
    Any,
    /// This category and every category below it.
    Category(Category),
}

impl Selector {
    /// How specific the selector is: 0 for `*`, otherwise the category's depth.
    #[must_use]
    pub fn specificity(&self) -> usize {
        match self {
            Selector::Any => 0,
            Selector::Category(c) => c.depth(),
        }
    }

    /// Whether the selector covers `category`.
    #[must_use]
    pub fn matches(&self, category: &Category) -> bool {
        match self {
            Selector::Any => true,
            Selector::Category(c) => c.contains(category),
        }
    }

    /// Whether every category `other` covers is also covered by `self`.
    #[must_use]
    pub fn covers(&self, other: &Selector) -> bool {
        match (self, other) {
            (Selector::Any, _) => true,
            (Selector::Category(_), Selector::Any) => false,
            (Selector::Category(a), Selector::Category(b)) => a.contains(b),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Any => f.write_str("*"),
            Selector::Category(c) => c.fmt(f),
        }
    }
}

impl FromStr for Selector {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if s == "*" {
            Ok(Selector::Any)
        } else {
            Category::new(s).map(Selector::Category)
        }
    }
}

impl From<Category> for Selector {
    fn from(c: Category) -> Self {
        Selector::Category(c)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn c(s: &str) -> Category {
        Category::new(s).unwrap()
    }

    #[test]
    fn prefix_matching_is_on_whole_segments() {
        assert!(c("user.contact").contains(&c("user.contact.email")));
        assert!(c("user.contact").contains(&c("user.contact")));
        assert!(!c("user.contact").contains(&c("user.contacts")));
        assert!(!c("user.contact.email").contains(&c("user.contact")));
        assert!(Selector::Any.matches(&c("x")));
        assert!(Selector::Any.covers(&Selector::Category(c("x"))));
        assert!(!Selector::Category(c("x")).covers(&Selector::Any));
    }

    #[test]
    fn prefixes_most_specific_first() {
        let abc = c("a.b.c");
        let v: Vec<_> = abc.prefixes().collect();
        assert_eq!(v, ["a.b.c", "a.b", "a"]);
        assert_eq!(c("a.b.c").depth(), 3);
    }

    #[test]
    fn fail_bad_categories() {
        for bad in ["", ".", "a.", ".a", "a..b", "A", "a b", "ä", "a.*"] {
            assert!(Category::new(bad).is_err(), "{bad:?}");
        }
        assert!(Category::new(&["a"; 17].join(".")).is_err());
        assert!(Category::new(&"a".repeat(65)).is_err());
    }

    #[test]
    fn fail_bad_names() {
        assert!(check_name("purpose", "").is_err());
        assert!(check_name("purpose", "Billing").is_err());
        assert!(check_name("purpose", &"x".repeat(65)).is_err());
        assert!(check_name("purpose", "billing.eu-2").is_ok());
    }

    proptest! {
        #[test]
        fn contains_agrees_with_segments(a in "[a-c]{1,2}(\\.[a-c]{1,2}){0,3}", b in "[a-c]{1,2}(\\.[a-c]{1,2}){0,3}") {
            let (ca, cb) = (c(&a), c(&b));
            let sa: Vec<_> = a.split('.').collect();
            let sb: Vec<_> = b.split('.').collect();
            prop_assert_eq!(ca.contains(&cb), sb.len() >= sa.len() && sb[..sa.len()] == sa[..]);
            prop_assert_eq!(ca.contains(&cb), cb.prefixes().any(|p| p == a));
        }
    }
}
