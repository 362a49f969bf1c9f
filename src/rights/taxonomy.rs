//! The fideslang taxonomy (data categories, data uses, data subjects), bundled, and the
//! labels a data map is validated against.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::anon::text;
use crate::{Error, Result};

const CATEGORIES: &str = include_str!("data/fideslang/data_categories.csv");
const USES: &str = include_str!("data/fideslang/data_uses.csv");
const SUBJECTS: &str = include_str!("data/fideslang/data_subjects.csv");

/// The attribution the bundled taxonomy's license (CC BY 4.0) asks for; notices
/// rendered from a data map that uses it print this line.
pub const FIDESLANG_ATTRIBUTION: &str = "Labels from the fideslang taxonomy by Ethyca, Inc. \
     (https://github.com/ethyca/fideslang), licensed under CC BY 4.0 \
     (https://creativecommons.org/licenses/by/4.0/).";

/// Which of the three label kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabelKind {
    /// Data categories (`user.contact.email`).
    Category,
    /// Data uses, the purposes (`essential.service.payment_processing`).
    Use,
    /// Data subjects (`customer`).
    Subject,
}

impl LabelKind {
    fn noun(self) -> &'static str {
        match self {
            LabelKind::Category => "data category",
            LabelKind::Use => "data use",
            LabelKind::Subject => "data subject",
        }
    }
}

/// One label of the taxonomy: key, human name, description, parent key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The dotted key (`user.contact.email`).
    pub key: String,
    /// The display name (`Email`).
    pub name: String,
    /// The description, possibly empty.
    pub description: String,
    /// The parent's key, `None` for a top-level label.
    pub parent: Option<String>,
    /// Whether the taxonomy marks the label deprecated (validation refuses it).
    pub deprecated: bool,
}

/// A taxonomy of labels: the bundled fideslang one ([`Taxonomy::fideslang`]), optionally
/// extended with an organization's own labels below existing ones (as fideslang allows).
#[derive(Clone, Debug, Default)]
pub struct Taxonomy {
    labels: [BTreeMap<String, Label>; 3],
    fideslang: bool,
}

fn index(kind: LabelKind) -> usize {
    match kind {
        LabelKind::Category => 0,
        LabelKind::Use => 1,
        LabelKind::Subject => 2,
    }
}

/// Parses one bundled CSV file; `root` is the pseudo-label that heads the file.
fn parse_bundled(csv: &str, root: &str) -> Result<BTreeMap<String, Label>> {
    let records = text::parse(csv, ',')?;
    let (header, rows) = records
        .split_first()
        .ok_or(Error::Malformed("empty taxonomy file"))?;
    let col = |name: &str| {
        header
            .fields
            .iter()
            .position(|f| f == name)
            .ok_or(Error::Malformed("taxonomy file lacks a column"))
    };
    let (key, name, parent, description, deprecated) = (
        col("fides_key")?,
        col("name")?,
        col("parent_key")?,
        col("description")?,
        col("version_deprecated")?,
    );
    let get = |r: &text::Record, i: usize| r.fields.get(i).cloned().unwrap_or_default();
    let mut out = BTreeMap::new();
    for r in rows {
        let k = get(r, key);
        if k == root {
            continue;
        }
        let p = get(r, parent);
        out.insert(
            k.clone(),
            Label {
                key: k,
                name: get(r, name),
                description: get(r, description),
                parent: (!p.is_empty() && p != root).then_some(p),
                deprecated: !get(r, deprecated).is_empty(),
            },
        );
    }
    Ok(out)
}

impl Taxonomy {
    /// The bundled fideslang taxonomy (parsed once per process, then cloned).
    ///
    /// # Errors
    /// None in practice: the bundled files are tested; a damaged build would report
    /// [`Error::Malformed`].
    pub fn fideslang() -> Result<Self> {
        static BUNDLED: OnceLock<std::result::Result<Taxonomy, String>> = OnceLock::new();
        BUNDLED
            .get_or_init(|| {
                Ok(Taxonomy {
                    labels: [
                        parse_bundled(CATEGORIES, "data_category").map_err(|e| e.to_string())?,
                        parse_bundled(USES, "data_use").map_err(|e| e.to_string())?,
                        parse_bundled(SUBJECTS, "data_subject").map_err(|e| e.to_string())?,
                    ],
                    fideslang: true,
                })
            })
            .clone()
            .map_err(|_| Error::Malformed("bundled fideslang taxonomy"))
    }

    /// An empty taxonomy, for maps labelled with an organization's own scheme only.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds an organization's own label `key` below `parent` (which must exist; `None`
    /// for a top-level label).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a key that exists, does not extend its parent's key
    /// (`user.contact.pager` below `user.contact`), or an unknown parent.
    pub fn with_label(
        mut self,
        kind: LabelKind,
        key: &str,
        name: &str,
        parent: Option<&str>,
    ) -> Result<Self> {
        let map = &self.labels[index(kind)];
        if map.contains_key(key) {
            return Err(Error::invalid_argument(format_args!(
                "{} `{key}` already exists",
                kind.noun()
            )));
        }
        if let Some(p) = parent {
            if !map.contains_key(p) {
                return Err(Error::invalid_argument(format_args!(
                    "{} `{key}`: parent `{p}` is not in the taxonomy",
                    kind.noun()
                )));
            }
            if key
                .strip_prefix(p)
                .and_then(|r| r.strip_prefix('.'))
                .is_none_or(str::is_empty)
            {
                return Err(Error::invalid_argument(format_args!(
                    "{} `{key}` does not extend its parent's key `{p}.`",
                    kind.noun()
                )));
            }
        }
        self.labels[index(kind)].insert(
            key.to_owned(),
            Label {
                key: key.to_owned(),
                name: name.to_owned(),
                description: String::new(),
                parent: parent.map(str::to_owned),
                deprecated: false,
            },
        );
        Ok(self)
    }

    /// The label `key` of `kind`.
    #[must_use]
    pub fn get(&self, kind: LabelKind, key: &str) -> Option<&Label> {
        self.labels[index(kind)].get(key)
    }

    /// Every label of `kind`, by key.
    pub fn labels(&self, kind: LabelKind) -> impl Iterator<Item = &Label> {
        self.labels[index(kind)].values()
    }

    /// Whether this taxonomy includes the bundled fideslang labels (renderers then
    /// print [`FIDESLANG_ATTRIBUTION`]).
    #[must_use]
    pub fn is_fideslang(&self) -> bool {
        self.fideslang
    }

    /// The display name of `key`, or the key itself when the taxonomy lacks it.
    #[must_use]
    pub fn name<'a>(&'a self, kind: LabelKind, key: &'a str) -> &'a str {
        self.get(kind, key).map_or(key, |l| l.name.as_str())
    }

    /// Checks that `key` is a current label of `kind`; `what` names the labelled item
    /// in the error (``field `customers.email` ``).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming `what`, the key, and whether it is unknown or
    /// deprecated.
    pub fn check(&self, kind: LabelKind, key: &str, what: &str) -> Result<()> {
        match self.get(kind, key) {
            Some(l) if !l.deprecated => Ok(()),
            Some(_) => Err(Error::invalid_argument(format_args!(
                "{what}: {} `{key}` is deprecated in the taxonomy",
                kind.noun()
            ))),
            None => Err(Error::invalid_argument(format_args!(
                "{what}: `{}` is not a {} of the taxonomy",
                key.escape_default(),
                kind.noun()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bundled_files_parse_completely() {
        let t = Taxonomy::fideslang().unwrap();
        // Line counts of the bundled files minus header and root pseudo-label.
        assert_eq!(t.labels(LabelKind::Category).count(), 85);
        assert_eq!(t.labels(LabelKind::Use).count(), 54);
        assert_eq!(t.labels(LabelKind::Subject).count(), 15);
        let email = t.get(LabelKind::Category, "user.contact.email").unwrap();
        assert_eq!(email.name, "User Contact Email");
        assert_eq!(email.parent.as_deref(), Some("user.contact"));
        assert_eq!(t.get(LabelKind::Category, "user").unwrap().parent, None);
        assert!(
            t.check(LabelKind::Use, "marketing.communications.email", "x")
                .is_ok()
        );
        assert!(t.check(LabelKind::Subject, "customer", "x").is_ok());
    }

    #[test]
    fn fail_unknown_and_misplaced_labels() {
        let t = Taxonomy::fideslang().unwrap();
        let e = t.check(LabelKind::Category, "user.contact.emial", "field `c.e`");
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("field `c.e`: `user.contact.emial`")
        );
        let e = t.clone().with_label(
            LabelKind::Category,
            "user.pager",
            "Pager",
            Some("user.contact"),
        );
        assert!(e.is_err());
        let t = t
            .with_label(
                LabelKind::Category,
                "user.contact.pager",
                "Pager",
                Some("user.contact"),
            )
            .unwrap();
        assert!(
            t.check(LabelKind::Category, "user.contact.pager", "x")
                .is_ok()
        );
    }
}
