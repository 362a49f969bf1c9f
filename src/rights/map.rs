//! The data map: controller, systems, datasets, tables and fields with their labels,
//! purposes, retention, recipients; validated as a whole.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use super::taxonomy::{LabelKind, Taxonomy};
use crate::retention::{Category, LegalBasis, Purpose, Schedule, Selector};
use crate::{Error, Result};

/// Most tables, and most fields per table, one map may hold.
pub const MAX_TABLES: usize = 1024;
/// Most fields one table may hold.
pub const MAX_FIELDS: usize = 1024;

macro_rules! keyword_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident = $kw:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The configuration keyword.
            #[must_use]
            pub const fn keyword(self) -> &'static str {
                match self {
                    $($name::$variant => $kw),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.keyword())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                $name::ALL.iter().copied().find(|v| v.keyword() == s).ok_or_else(|| {
                    let all: Vec<&str> = $name::ALL.iter().map(|v| v.keyword()).collect();
                    Error::invalid_argument(format_args!(
                        "{} `{}`: expected one of {}",
                        $what,
                        s.escape_default(),
                        all.join(", ")
                    ))
                })
            }
        }
    };
}

keyword_enum!(
    /// How a field is erased when an erasure request reaches it and no exception
    /// applies.
    ErasureStrategy, "erasure strategy", {
        /// Delete the value; the row goes when every field of it is deleted and the
        /// table erases by row (`delete`).
        Delete = "delete",
        /// Set the column to NULL (`null`).
        Null = "null",
        /// Replace by a mask keeping a few characters (`mask`): e-mail domain, last four
        /// digits of phone and card numbers.
        Mask = "mask",
        /// Replace by a keyed pseudonym (`pseudonymize`); needs a pseudonymizer.
        Pseudonymize = "pseudonymize",
        /// Leave the ciphertext and destroy the subject's key (`crypto_shred`); needs a
        /// shredder and an encrypted field.
        CryptoShred = "crypto_shred",
        /// Redact the personal data the detector finds in free text (`redact`); needs a
        /// scanner and a free-text field.
        Redact = "redact",
    }
);

keyword_enum!(
    /// The basis for transferring personal data outside the EEA (GDPR Chapter V).
    TransferBasis, "transfer basis", {
        /// The recipient is inside the EEA: no transfer (`none`).
        None = "none",
        /// An adequacy decision, Art. 45 (`adequacy`).
        Adequacy = "adequacy",
        /// Standard contractual clauses, Art. 46(2)(c) (`scc`).
        StandardContractualClauses = "scc",
        /// Binding corporate rules, Art. 47 (`bcr`).
        BindingCorporateRules = "bcr",
        /// A derogation for a specific situation, Art. 49 (`derogation`).
        Derogation = "derogation",
    }
);

impl TransferBasis {
    /// The citation (`GDPR Art. 46(2)(c)`), empty for [`TransferBasis::None`].
    #[must_use]
    pub const fn article(self) -> &'static str {
        match self {
            TransferBasis::None => "",
            TransferBasis::Adequacy => "GDPR Art. 45",
            TransferBasis::StandardContractualClauses => "GDPR Art. 46(2)(c)",
            TransferBasis::BindingCorporateRules => "GDPR Art. 47",
            TransferBasis::Derogation => "GDPR Art. 49",
        }
    }
}

keyword_enum!(
    /// What a recipient is to the controller.
    RecipientRole, "recipient role", {
        /// Processes on the controller's behalf under a contract, Art. 28 (`processor`).
        Processor = "processor",
        /// Receives data for its own purposes (`third_party`).
        ThirdParty = "third_party",
    }
);

keyword_enum!(
    /// How an erasure treats a table's rows.
    #[derive(Default)]
    RowErasure, "row erasure", {
        /// Delete a row whose every field is erased by deletion (`delete`); otherwise
        /// update its fields.
        Delete = "delete",
        /// Never delete rows; update fields only (`update`, the default).
        #[default]
        Update = "update",
    }
);

/// The countries of the European Economic Area (ISO 3166-1 alpha-2), inside which no
/// transfer basis is needed.
pub const EEA_COUNTRIES: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// A kind of identity by which a subject is found (`email`, `phone`, `customer_id`, or
/// an organization's own: 1 to 32 bytes of `a-z`, `0-9`, `_`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityKind(Box<str>);

impl IdentityKind {
    /// Validates an identity kind.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty, overlong or ill-formed name.
    pub fn new(kind: &str) -> Result<Self> {
        if kind.is_empty()
            || kind.len() > 32
            || !kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::invalid_argument(format_args!(
                "identity kind `{}`: 1 to 32 bytes of a-z, 0-9 and _",
                kind.escape_default()
            )));
        }
        Ok(Self(kind.into()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdentityKind({:?})", &*self.0)
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who is responsible: the controller's name and contact, the data protection officer,
/// and the security measures (Art. 30(1)(a), (g)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Controller {
    /// The controller's name.
    pub name: String,
    /// Where subjects send requests (an address, e-mail or web form).
    pub contact: String,
    /// The data protection officer's contact, if one is appointed.
    pub dpo: Option<String>,
    /// A general description of the technical and organizational security measures.
    pub security: Option<String>,
}

/// A system (an application or service) that holds datasets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct System {
    /// Its key (`shop`).
    pub key: String,
    /// Its display name.
    pub name: String,
    /// What it does.
    pub description: String,
}

/// A dataset (a database, a bucket) of a system.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dataset {
    /// Its key (`shop_db`).
    pub key: String,
    /// The system holding it.
    pub system: String,
    /// What it holds.
    pub description: String,
}

/// A field (column) of a table and its labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Field {
    /// The column name.
    pub name: String,
    /// Its fideslang data category (`user.contact.email`).
    pub category: String,
    /// Purposes (data uses) it is processed for; empty: the table's.
    pub purposes: Vec<String>,
    /// The identity it holds, if a subject can be found by it.
    pub identity: Option<IdentityKind>,
    /// The column holding its beacon (blind index), for an encrypted identity.
    pub beacon: Option<String>,
    /// Whether the column holds ciphertext (decrypted through a
    /// [`FieldCipher`](super::FieldCipher)).
    pub encrypted: bool,
    /// The `table.column` this field refers to: the subject of the row found there is
    /// the subject of this row.
    pub references: Option<String>,
    /// Whether the column is free text (scanned for residual personal data after an
    /// erasure).
    pub free_text: bool,
    /// This field's erasure strategy; `None`: the map's erasure rule for its category.
    pub erase: Option<ErasureStrategy>,
}

/// A table (collection) of a dataset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The dataset holding it.
    pub dataset: String,
    /// Its name, unique in the map.
    pub name: String,
    /// The primary-key column (also listed among the fields).
    pub primary_key: String,
    /// The data subjects whose data it holds (fideslang subjects).
    pub subjects: Vec<String>,
    /// The default purposes of its fields.
    pub purposes: Vec<String>,
    /// Where its data comes from (`the customer`, `payment provider`), for the CCPA
    /// disclosure and for portability (data the subject provided).
    pub source: String,
    /// Whether the data was provided by the subject (GDPR Art. 20 portability covers it).
    pub provided_by_subject: bool,
    /// How an erasure treats its rows.
    pub rows: RowErasure,
    /// The column holding when the row was collected (for retention exceptions), if any.
    pub collected_at: Option<String>,
    /// Its fields.
    pub fields: Vec<Field>,
}

/// A recipient (vendor) of personal data: contract, country, transfer basis, and what
/// it receives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Processor {
    /// Its name.
    pub name: String,
    /// Processor or third party.
    pub role: Option<RecipientRole>,
    /// The contract (Art. 28(3) data processing agreement) by reference.
    pub contract: String,
    /// Its country (ISO 3166-1 alpha-2).
    pub country: String,
    /// The transfer basis when outside the EEA.
    pub transfer: Option<TransferBasis>,
    /// The purposes for which it receives data.
    pub purposes: Vec<String>,
    /// The categories it receives (a category covers those below it).
    pub categories: Vec<String>,
    /// Whether disclosing to it is a "sale" under CCPA 1798.140(ad).
    pub sold: bool,
    /// Whether disclosing to it is "sharing" (cross-context behavioral advertising)
    /// under CCPA 1798.140(ah).
    pub shared: bool,
}

/// The erasure strategy for a category and everything below it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureRule {
    /// The categories (`user.contact`, or `*`).
    pub categories: Selector,
    /// What erasing them means.
    pub strategy: ErasureStrategy,
}

/// The parts of a data map before validation; [`DataMap::new`] validates them.
#[derive(Clone, Debug, Default)]
pub struct DataMapParts {
    /// The controller.
    pub controller: Controller,
    /// Systems.
    pub systems: Vec<System>,
    /// Datasets.
    pub datasets: Vec<Dataset>,
    /// Tables.
    pub tables: Vec<Table>,
    /// Recipients.
    pub processors: Vec<Processor>,
    /// Erasure strategies by category.
    pub erasure: Vec<ErasureRule>,
}

/// A validated data map: every field categorized, every purpose declared with a legal
/// basis and covered by a retention rule, every recipient with a contract (and a
/// transfer basis outside the EEA), every reference resolved.
#[derive(Clone, Debug)]
pub struct DataMap {
    parts: DataMapParts,
    schedule: Schedule,
    taxonomy: Taxonomy,
    compiled: Vec<CompiledTable>,
    by_name: HashMap<String, usize>,
}

/// Per-table facts resolved once.
#[derive(Clone, Debug)]
pub(crate) struct CompiledTable {
    /// The primary key's index among the fields.
    pub(crate) key: usize,
    /// Per field: its category, purposes and erasure strategy.
    pub(crate) fields: Vec<CompiledField>,
    /// Fields of other tables referring to this one: (table, field, our field index).
    pub(crate) referrers: Vec<(usize, usize, usize)>,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledField {
    pub(crate) category: Category,
    pub(crate) purposes: Vec<Purpose>,
    pub(crate) strategy: ErasureStrategy,
}

fn check_column(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(format_args!(
            "{what} `{}` is not an identifier of the form [a-z_][a-z0-9_]* (at most 63 bytes)",
            name.escape_default()
        )))
    }
}

/// The message of an `InvalidArgument` without its prefix.
pub(crate) fn bare(e: &Error) -> String {
    match e {
        Error::InvalidArgument(m) => m.clone(),
        other => other.to_string(),
    }
}

/// Collects validation problems; `Err` lists them all.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, r: Result<()>) {
        if let Err(e) = r {
            self.0.push(bare(&e));
        }
    }
    fn say(&mut self, m: String) {
        self.0.push(m);
    }
}

impl DataMap {
    /// Validates `parts` against `taxonomy` (labels) and `schedule` (purposes with
    /// their legal bases, retention rules, legal holds).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] listing every problem, each naming the item
    /// (``field `customers.email` (tables[0].fields[1])``); [`Error::LimitExceeded`] for
    /// more than [`MAX_TABLES`] tables or [`MAX_FIELDS`] fields in a table.
    pub fn new(parts: DataMapParts, schedule: Schedule, taxonomy: Taxonomy) -> Result<Self> {
        if parts.tables.len() > MAX_TABLES {
            return Err(Error::limit("tables in a data map", MAX_TABLES as u64));
        }
        if parts.tables.iter().any(|t| t.fields.len() > MAX_FIELDS) {
            return Err(Error::limit("fields in a table", MAX_FIELDS as u64));
        }
        let mut p = Problems::default();
        if parts.controller.name.trim().is_empty() {
            p.say("controller: a name is required (GDPR Art. 13(1)(a))".into());
        }
        if parts.controller.contact.trim().is_empty() {
            p.say("controller: a contact for requests is required (GDPR Art. 13(1)(a))".into());
        }
        for (purpose, _) in schedule.purposes() {
            p.push(taxonomy.check(
                LabelKind::Use,
                purpose.as_str(),
                &format!("purpose `{purpose}`"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, s) in parts.systems.iter().enumerate() {
            if s.key.is_empty() || !seen.insert(s.key.as_str()) {
                p.say(format!(
                    "systems[{i}]: key `{}` is empty or repeated",
                    s.key
                ));
            }
        }
        let mut datasets = BTreeSet::new();
        for (i, d) in parts.datasets.iter().enumerate() {
            if d.key.is_empty() || !datasets.insert(d.key.as_str()) {
                p.say(format!(
                    "datasets[{i}]: key `{}` is empty or repeated",
                    d.key
                ));
            }
            if !seen.contains(d.system.as_str()) {
                p.say(format!(
                    "dataset `{}` (datasets[{i}]): system `{}` is not declared",
                    d.key, d.system
                ));
            }
        }
        let mut by_name = HashMap::new();
        for (ti, t) in parts.tables.iter().enumerate() {
            p.push(check_column(&format!("tables[{ti}]: table name"), &t.name));
            if by_name.insert(t.name.clone(), ti).is_some() {
                p.say(format!(
                    "table `{}` (tables[{ti}]) is declared twice",
                    t.name
                ));
            }
            if !datasets.contains(t.dataset.as_str()) {
                p.say(format!(
                    "table `{}` (tables[{ti}]): dataset `{}` is not declared",
                    t.name, t.dataset
                ));
            }
        }
        let erasure_for = |category: &Category| {
            parts
                .erasure
                .iter()
                .filter(|r| r.categories.matches(category))
                .max_by_key(|r| r.categories.specificity())
                .map(|r| r.strategy)
        };
        let mut compiled = Vec::with_capacity(parts.tables.len());
        for (ti, t) in parts.tables.iter().enumerate() {
            let tw = format!("table `{}` (tables[{ti}])", t.name);
            if t.subjects.is_empty() {
                p.say(format!("{tw}: no data subjects"));
            }
            for s in &t.subjects {
                p.push(taxonomy.check(LabelKind::Subject, s, &tw));
            }
            if t.source.trim().is_empty() {
                p.say(format!("{tw}: no source (where its data comes from)"));
            }
            let mut names = BTreeSet::new();
            let mut fields = Vec::with_capacity(t.fields.len());
            let mut key = None;
            for (fi, f) in t.fields.iter().enumerate() {
                let fw = format!("field `{}.{}` (tables[{ti}].fields[{fi}])", t.name, f.name);
                p.push(check_column(&fw, &f.name));
                if !names.insert(f.name.as_str()) {
                    p.say(format!("{fw}: declared twice"));
                }
                if f.name == t.primary_key {
                    key = Some(fi);
                }
                if f.category.is_empty() {
                    p.say(format!("{fw}: no data category"));
                    continue;
                }
                let category = match taxonomy
                    .check(LabelKind::Category, &f.category, &fw)
                    .and_then(|()| Category::new(&f.category))
                {
                    Ok(c) => c,
                    Err(e) => {
                        p.push(Err(e));
                        continue;
                    }
                };
                let purpose_names = if f.purposes.is_empty() {
                    &t.purposes
                } else {
                    &f.purposes
                };
                if purpose_names.is_empty() {
                    p.say(format!(
                        "{fw}: no purpose (neither the field's nor the table's)"
                    ));
                }
                let mut purposes = Vec::new();
                for name in purpose_names {
                    match schedule.legal_basis(name) {
                        None => p.say(format!(
                            "{fw}: purpose `{name}` is not declared with a legal basis"
                        )),
                        Some(_) => {
                            if !covered(&schedule, &category, name) {
                                p.say(format!(
                                    "{fw}: category `{category}` for purpose `{name}` is not \
                                     covered by any retention rule"
                                ));
                            }
                            if let Ok(pu) = Purpose::new(name) {
                                purposes.push(pu);
                            }
                        }
                    }
                }
                let strategy = f.erase.or_else(|| erasure_for(&category));
                let strategy = match strategy {
                    Some(s) => s,
                    None => {
                        p.say(format!(
                            "{fw}: no erasure strategy (the field's `erase` or an erasure \
                             rule for `{category}`)"
                        ));
                        ErasureStrategy::Null
                    }
                };
                if strategy == ErasureStrategy::CryptoShred && !f.encrypted {
                    p.say(format!("{fw}: crypto_shred needs an encrypted field"));
                }
                if strategy == ErasureStrategy::Redact && !f.free_text {
                    p.say(format!("{fw}: redact needs a free-text field"));
                }
                if f.identity.is_some() && f.encrypted && f.beacon.is_none() {
                    p.say(format!(
                        "{fw}: an encrypted identity needs a beacon column to be found by"
                    ));
                }
                if let Some(b) = &f.beacon {
                    p.push(check_column(&format!("{fw}: beacon column"), b));
                    if !f.encrypted {
                        p.say(format!(
                            "{fw}: a beacon column belongs to an encrypted field"
                        ));
                    }
                }
                if let Some(r) = &f.references {
                    match r.split_once('.') {
                        Some((rt, rc)) => match by_name.get(rt).map(|&i| &parts.tables[i]) {
                            Some(target) if target.fields.iter().any(|x| x.name == rc) => {}
                            Some(_) => p.say(format!("{fw}: references `{r}`: no such field")),
                            None => p.say(format!("{fw}: references `{r}`: no such table")),
                        },
                        None => p.say(format!("{fw}: references `{r}`: expected table.column")),
                    }
                }
                fields.push(CompiledField {
                    category,
                    purposes,
                    strategy,
                });
            }
            if let Some(c) = &t.collected_at
                && !t.fields.iter().any(|f| &f.name == c)
            {
                p.say(format!("{tw}: collected_at column `{c}` is not a field"));
            }
            match key {
                Some(k) if fields.len() == t.fields.len() => compiled.push(CompiledTable {
                    key: k,
                    fields,
                    referrers: Vec::new(),
                }),
                Some(_) => {}
                None => p.say(format!(
                    "{tw}: primary key `{}` is not one of its fields",
                    t.primary_key
                )),
            }
        }
        if !parts
            .tables
            .iter()
            .flat_map(|t| &t.fields)
            .any(|f| f.identity.is_some())
        {
            p.say("no field holds an identity: no subject could be found".into());
        }
        for (i, r) in parts.processors.iter().enumerate() {
            let rw = format!("processor `{}` (processors[{i}])", r.name);
            if r.name.trim().is_empty() {
                p.say(format!("{rw}: a name is required"));
            }
            if r.contract.trim().is_empty() {
                p.say(format!("{rw}: no contract (GDPR Art. 28(3))"));
            }
            if r.role.is_none() {
                p.say(format!("{rw}: no role (processor or third_party)"));
            }
            let in_eea = EEA_COUNTRIES.contains(&r.country.as_str());
            if r.country.len() != 2 || !r.country.bytes().all(|b| b.is_ascii_uppercase()) {
                p.say(format!(
                    "{rw}: country `{}` is not an ISO 3166-1 alpha-2 code",
                    r.country.escape_default()
                ));
            } else {
                match r.transfer {
                    None if !in_eea => p.say(format!(
                        "{rw}: in `{}`, outside the EEA: a transfer basis is required \
                         (GDPR Art. 44-49)",
                        r.country
                    )),
                    Some(TransferBasis::None) if !in_eea => p.say(format!(
                        "{rw}: in `{}`, outside the EEA: transfer basis `none` is not one",
                        r.country
                    )),
                    _ => {}
                }
            }
            if r.purposes.is_empty() || r.categories.is_empty() {
                p.say(format!(
                    "{rw}: list the purposes and categories it receives"
                ));
            }
            for name in &r.purposes {
                if schedule.legal_basis(name).is_none() {
                    p.say(format!(
                        "{rw}: purpose `{name}` is not declared with a legal basis"
                    ));
                }
            }
            for c in &r.categories {
                p.push(taxonomy.check(LabelKind::Category, c, &rw));
            }
        }
        if !p.0.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "data map: {} problem{}: {}",
                p.0.len(),
                if p.0.len() == 1 { "" } else { "s" },
                p.0.join("; ")
            )));
        }
        // Reference edges: the referring field's table lists under the target.
        for (ti, t) in parts.tables.iter().enumerate() {
            for (fi, f) in t.fields.iter().enumerate() {
                if let Some((rt, rc)) = f.references.as_deref().and_then(|r| r.split_once('.')) {
                    let target = by_name[rt];
                    let col = parts.tables[target]
                        .fields
                        .iter()
                        .position(|x| x.name == rc)
                        .unwrap_or_default();
                    compiled[target].referrers.push((ti, fi, col));
                }
            }
        }
        Ok(Self {
            parts,
            schedule,
            taxonomy,
            compiled,
            by_name,
        })
    }

    /// The controller.
    #[must_use]
    pub fn controller(&self) -> &Controller {
        &self.parts.controller
    }
    /// The systems.
    #[must_use]
    pub fn systems(&self) -> &[System] {
        &self.parts.systems
    }
    /// The datasets.
    #[must_use]
    pub fn datasets(&self) -> &[Dataset] {
        &self.parts.datasets
    }
    /// The tables.
    #[must_use]
    pub fn tables(&self) -> &[Table] {
        &self.parts.tables
    }
    /// The table named `name`.
    #[must_use]
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.by_name.get(name).map(|&i| &self.parts.tables[i])
    }
    /// The recipients.
    #[must_use]
    pub fn processors(&self) -> &[Processor] {
        &self.parts.processors
    }
    /// The erasure rules.
    #[must_use]
    pub fn erasure_rules(&self) -> &[ErasureRule] {
        &self.parts.erasure
    }
    /// The retention schedule (purposes, legal bases, rules, holds).
    #[must_use]
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }
    /// The taxonomy the labels were validated against.
    #[must_use]
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }
    /// The parts, for editing and validating again.
    #[must_use]
    pub fn into_parts(self) -> (DataMapParts, Schedule, Taxonomy) {
        (self.parts, self.schedule, self.taxonomy)
    }
    /// The legal basis of a declared purpose.
    #[must_use]
    pub fn legal_basis(&self, purpose: &str) -> Option<LegalBasis> {
        self.schedule.legal_basis(purpose)
    }
    /// The erasure strategy that applies to `table.field`.
    #[must_use]
    pub fn strategy(&self, table: &str, field: &str) -> Option<ErasureStrategy> {
        let ti = *self.by_name.get(table)?;
        let fi = self.parts.tables[ti]
            .fields
            .iter()
            .position(|f| f.name == field)?;
        Some(self.compiled[ti].fields[fi].strategy)
    }
    pub(crate) fn compiled(&self) -> &[CompiledTable] {
        &self.compiled
    }
    /// Every category the map collects, with the tables' sources, sorted.
    pub(crate) fn categories(&self) -> BTreeSet<&str> {
        self.parts
            .tables
            .iter()
            .flat_map(|t| &t.fields)
            .map(|f| f.category.as_str())
            .collect()
    }
}

/// Whether some retention rule governs `category` held for `purpose`.
pub(crate) fn covered(schedule: &Schedule, category: &Category, purpose: &str) -> bool {
    schedule.rules().iter().any(|r| {
        r.selector().matches(category) && r.purpose().is_none_or(|p| p.as_str() == purpose)
    })
}
