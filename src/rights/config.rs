//! The data map as a document (feature `serde`): TOML (feature `toml`) and JSON (feature
//! `json`) with line numbers in errors.

use serde::Deserialize;

use super::map::{
    Controller, DataMap, DataMapParts, Dataset, ErasureRule, Field, IdentityKind, Processor,
    RowErasure, System, Table, bare,
};
use super::taxonomy::Taxonomy;
use crate::retention::{Schedule, Selector};
use crate::{Error, Result};

/// The only document version this build reads.
const DOC_VERSION: u32 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapDoc {
    #[serde(default)]
    version: Option<u32>,
    controller: ControllerDoc,
    retention: Schedule,
    #[serde(default)]
    erasure: Vec<ErasureDoc>,
    #[serde(default)]
    systems: Vec<SystemDoc>,
    #[serde(default)]
    datasets: Vec<DatasetDoc>,
    #[serde(default)]
    tables: Vec<TableDoc>,
    #[serde(default)]
    processors: Vec<ProcessorDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControllerDoc {
    name: String,
    contact: String,
    #[serde(default)]
    dpo: Option<String>,
    #[serde(default)]
    security: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErasureDoc {
    categories: String,
    strategy: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemDoc {
    key: String,
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetDoc {
    key: String,
    system: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableDoc {
    dataset: String,
    name: String,
    primary_key: String,
    subjects: Vec<String>,
    #[serde(default)]
    purposes: Vec<String>,
    source: String,
    #[serde(default)]
    provided_by_subject: bool,
    #[serde(default)]
    rows: Option<String>,
    #[serde(default)]
    collected_at: Option<String>,
    #[serde(default)]
    fields: Vec<FieldDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldDoc {
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    purposes: Vec<String>,
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    beacon: Option<String>,
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    references: Option<String>,
    #[serde(default)]
    free_text: bool,
    #[serde(default)]
    erase: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcessorDoc {
    name: String,
    role: String,
    #[serde(default)]
    contract: String,
    country: String,
    #[serde(default)]
    transfer: Option<String>,
    purposes: Vec<String>,
    categories: Vec<String>,
    #[serde(default)]
    sold: bool,
    #[serde(default)]
    shared: bool,
}

/// Parses a keyword value, naming where it is on failure.
fn keyword<T: std::str::FromStr<Err = Error>>(at: &str, s: &str) -> Result<T> {
    s.parse()
        .map_err(|e| Error::InvalidArgument(format!("{at}: {}", bare(&e))))
}

impl MapDoc {
    fn into_map(self, taxonomy: Taxonomy) -> Result<DataMap> {
        match self.version {
            Some(DOC_VERSION) => {}
            Some(v) => {
                return Err(Error::InvalidArgument(format!(
                    "version {v}: this build reads data map version {DOC_VERSION}"
                )));
            }
            None => {
                return Err(Error::InvalidArgument(format!(
                    "version: required (this build reads version {DOC_VERSION})"
                )));
            }
        }
        let erasure = self
            .erasure
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let at = format!("erasure[{i}]");
                Ok(ErasureRule {
                    categories: keyword::<Selector>(&at, &e.categories)?,
                    strategy: keyword(&at, &e.strategy)?,
                })
            })
            .collect::<Result<_>>()?;
        let tables = self
            .tables
            .into_iter()
            .enumerate()
            .map(|(ti, t)| {
                let fields = t
                    .fields
                    .into_iter()
                    .enumerate()
                    .map(|(fi, f)| {
                        let at =
                            format!("field `{}.{}` (tables[{ti}].fields[{fi}])", t.name, f.name);
                        Ok(Field {
                            identity: f
                                .identity
                                .as_deref()
                                .map(IdentityKind::new)
                                .transpose()
                                .map_err(|e| {
                                    Error::InvalidArgument(format!("{at}: {}", bare(&e)))
                                })?,
                            erase: f.erase.as_deref().map(|s| keyword(&at, s)).transpose()?,
                            name: f.name,
                            category: f.category,
                            purposes: f.purposes,
                            beacon: f.beacon,
                            encrypted: f.encrypted,
                            references: f.references,
                            free_text: f.free_text,
                        })
                    })
                    .collect::<Result<_>>()?;
                let at = format!("table `{}` (tables[{ti}])", t.name);
                Ok(Table {
                    rows: t
                        .rows
                        .as_deref()
                        .map(|s| keyword(&at, s))
                        .transpose()?
                        .unwrap_or(RowErasure::Update),
                    dataset: t.dataset,
                    name: t.name,
                    primary_key: t.primary_key,
                    subjects: t.subjects,
                    purposes: t.purposes,
                    source: t.source,
                    provided_by_subject: t.provided_by_subject,
                    collected_at: t.collected_at,
                    fields,
                })
            })
            .collect::<Result<_>>()?;
        let processors = self
            .processors
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let at = format!("processor `{}` (processors[{i}])", r.name);
                Ok(Processor {
                    role: Some(keyword(&at, &r.role)?),
                    transfer: r.transfer.as_deref().map(|s| keyword(&at, s)).transpose()?,
                    name: r.name,
                    contract: r.contract,
                    country: r.country,
                    purposes: r.purposes,
                    categories: r.categories,
                    sold: r.sold,
                    shared: r.shared,
                })
            })
            .collect::<Result<_>>()?;
        let parts = DataMapParts {
            controller: Controller {
                name: self.controller.name,
                contact: self.controller.contact,
                dpo: self.controller.dpo,
                security: self.controller.security,
            },
            systems: self
                .systems
                .into_iter()
                .map(|s| System {
                    key: s.key,
                    name: s.name,
                    description: s.description,
                })
                .collect(),
            datasets: self
                .datasets
                .into_iter()
                .map(|d| Dataset {
                    key: d.key,
                    system: d.system,
                    description: d.description,
                })
                .collect(),
            tables,
            processors,
            erasure,
        };
        DataMap::new(parts, self.retention, taxonomy)
    }
}

impl DataMap {
    /// Parses and validates a data map written in TOML (see
    /// `examples/data/shop_map.toml` in the repository), labels checked against
    /// `taxonomy` (usually [`Taxonomy::fideslang`]).
    ///
    /// # Errors
    /// [`Error::Parse`] with the line for TOML syntax errors, unknown or missing
    /// fields, values that do not validate (the line of the entry's `[[tables]]`,
    /// `[[tables.fields]]`, `[[processors]]` or `[[erasure]]` header) and the first
    /// validation problem; the message names the field and lists every problem.
    #[cfg(feature = "toml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
    pub fn from_toml(text: &str, taxonomy: Taxonomy) -> Result<Self> {
        let doc: MapDoc = toml::from_str(text).map_err(|e| Error::Parse {
            line: e.span().map_or(0, |span| {
                crate::retention::config::line_of(text, span.start)
            }),
            message: e.message().to_owned(),
        })?;
        doc.into_map(taxonomy).map_err(|e| match e {
            Error::InvalidArgument(message) => Error::Parse {
                line: locate(text, &message).unwrap_or(1),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates a data map written in JSON (the same document as
    /// [`from_toml`](Self::from_toml)).
    ///
    /// # Errors
    /// [`Error::Parse`] with the line for JSON that does not parse or does not fit the
    /// document; [`Error::InvalidArgument`] for validation problems, naming each field
    /// (`tables[0].fields[1]`).
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn from_json(text: &str, taxonomy: Taxonomy) -> Result<Self> {
        let doc: MapDoc = serde_json::from_str(text).map_err(|e| Error::Parse {
            line: e.line(),
            message: e.to_string(),
        })?;
        doc.into_map(taxonomy)
    }
}

/// The line of the entry the first `(tables[i].fields[j])`-style location in `message`
/// names, when entries are written as `[[...]]` tables.
#[cfg(feature = "toml")]
fn locate(text: &str, message: &str) -> Option<usize> {
    let index_after = |s: &str, key: &str| -> Option<usize> {
        let rest = &s[s.find(key)? + key.len()..];
        rest[..rest.find(']')?].parse().ok()
    };
    let headers = |name: &str| -> Vec<usize> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| {
                let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                l.strip_prefix("[[")
                    .and_then(|r| r.strip_prefix(name))
                    .is_some_and(|r| r.starts_with("]]"))
            })
            .map(|(n, _)| n + 1)
            .collect()
    };
    if let Some(ti) = index_after(message, "(tables[") {
        let tables = headers("tables");
        let start = *tables.get(ti)?;
        let end = tables.get(ti + 1).copied().unwrap_or(usize::MAX);
        if let Some(fi) = index_after(message, &format!("(tables[{ti}].fields[")) {
            return headers("tables.fields")
                .into_iter()
                .filter(|&l| l > start && l < end)
                .nth(fi);
        }
        return Some(start);
    }
    for array in ["processors", "erasure", "datasets", "systems"] {
        if let Some(i) = index_after(message, &format!("{array}[")) {
            return headers(array).get(i).copied();
        }
    }
    None
}
