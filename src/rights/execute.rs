//! Executing requests across the dataset graph: locating a subject's records, access
//! packages, erasure with exceptions, rectification, preferences, residual scans.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use jiff::Timestamp;

use super::map::{DataMap, ErasureStrategy, RowErasure, Table};
use super::request::{Request, RequestKind, Status};
use super::source::{DataSource, FieldCipher, Row, Value};
use crate::audit::{ApplicationEvent, Auditor, EventKind};
use crate::pseudonym::{KeyedPseudonymizer, StandardBeacon, mask_email, mask_keep, mask_phone};
use crate::retention::{
    ConsentLedger, ConsentRecord, ConsentState, ErasureReceipt, Facts, HoldScope, LegalBasis,
    Purpose, SubjectId, SubjectKeyStore, SubjectVault, Verdict,
};
use crate::{Error, Result};

/// Destroys a subject's key (crypto-shredding); [`SubjectVault`] implements it.
pub trait Shredder: Sync {
    /// Destroys `subject`'s key and records it; `None` if there was no live key.
    ///
    /// # Errors
    /// The key store's and the sink's.
    fn shred(&self, subject: &SubjectId, auditor: &Auditor) -> Result<Option<ErasureReceipt>>;
}

impl<S: SubjectKeyStore + Sync> Shredder for SubjectVault<S> {
    fn shred(&self, subject: &SubjectId, auditor: &Auditor) -> Result<Option<ErasureReceipt>> {
        self.forget_audited(subject, auditor)
    }
}

/// Finds and redacts personal data in free text; `detect::Scanner` implements it
/// (feature `detect`).
pub trait TextScanner: Sync {
    /// What was found: entity type name (`EMAIL_ADDRESS`) and byte span.
    fn find(&self, text: &str) -> Vec<(String, Range<usize>)>;
    /// The text with what was found replaced by type tags (`<EMAIL_ADDRESS>`).
    ///
    /// # Errors
    /// The redactor's.
    fn redact(&self, text: &str) -> Result<String>;
}

#[cfg(feature = "detect")]
impl TextScanner for crate::detect::Scanner {
    fn find(&self, text: &str) -> Vec<(String, Range<usize>)> {
        self.scan(text)
            .into_iter()
            .map(|f| (f.entity.name().to_owned(), f.start..f.end))
            .collect()
    }

    fn redact(&self, text: &str) -> Result<String> {
        let redactor = crate::detect::Redactor::new(crate::detect::Operator::TypeTag)?;
        Ok(redactor.redact_text(self, text)?.text)
    }
}

/// Every record of one subject, by table (tables in the order they were reached).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Located {
    /// `(table index in the map, rows)`, rows sorted by primary key.
    pub tables: Vec<(usize, Vec<Row>)>,
    /// The identity values known for the subject: given and found in identity fields.
    pub identifiers: Vec<String>,
}

impl Located {
    /// The number of rows found.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|(_, r)| r.len()).sum()
    }
}

/// One table of an access package.
#[derive(Clone, Debug, PartialEq)]
pub struct PackageTable {
    /// The system.
    pub system: String,
    /// The dataset.
    pub dataset: String,
    /// The table.
    pub table: String,
    /// Where the data came from.
    pub source: String,
    /// The fields included: name, category, purposes.
    pub fields: Vec<(String, String, Vec<String>)>,
    /// The subject's rows: one value per included field, decrypted.
    pub rows: Vec<Vec<Value>>,
}

/// The answer to an access or portability request: the subject's data, decrypted, with
/// categories and purposes; [`to_json`](Self::to_json) gives the machine-readable
/// package.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessPackage {
    /// The request.
    pub request: String,
    /// The subject.
    pub subject: String,
    /// When it was made.
    pub generated_at: Timestamp,
    /// Whether it is a portability package (data the subject provided, processed on
    /// consent or contract).
    pub portability: bool,
    /// Tables with the subject's rows, in the order they were reached.
    pub tables: Vec<PackageTable>,
}

/// What an erasure did to one field of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The table.
    pub table: String,
    /// The row's primary key, as text.
    pub key: String,
    /// The field; `None` for the whole row.
    pub field: Option<String>,
    /// What happened (`deleted`, `null`, `mask`, `pseudonymize`, `crypto_shred`,
    /// `redact`), or why it was kept.
    pub detail: String,
}

/// Personal data left after an erasure in the subject's remaining rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Residual {
    /// The table.
    pub table: String,
    /// The row's primary key, as text.
    pub key: String,
    /// The field.
    pub field: String,
    /// The entity type (`PERSON`), or `IDENTIFIER` for one of the subject's own
    /// identity values.
    pub entity: String,
    /// The byte span in the field's text.
    pub span: Range<usize>,
}

/// The answer to an erasure request: what was erased, what was kept and why, and what
/// personal data remains in free text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErasureReport {
    /// What was erased and how.
    pub erased: Vec<Outcome>,
    /// What was kept, with the reason (a legal hold or a retention rule).
    pub kept: Vec<Outcome>,
    /// The crypto-shredding receipt, if the subject's key was destroyed.
    pub shredded: Option<ErasureReceipt>,
    /// Personal data found afterwards in the subject's remaining rows. `None` when no
    /// scanner was given (nothing was scanned).
    pub residual: Option<Vec<Residual>>,
}

/// Runs verified requests against a [`DataSource`] as a [`DataMap`] describes it, with
/// the service's keys given explicitly: beacons for encrypted identities, a
/// [`FieldCipher`], a pseudonymizer, a [`Shredder`] and a [`TextScanner`].
pub struct Executor<'a, S> {
    map: &'a DataMap,
    source: &'a S,
    auditor: &'a Auditor,
    beacons: HashMap<String, &'a StandardBeacon>,
    cipher: Option<&'a dyn FieldCipher>,
    pseudonymizer: Option<&'a KeyedPseudonymizer>,
    shredder: Option<&'a dyn Shredder>,
    scanner: Option<&'a dyn TextScanner>,
}

impl<S> std::fmt::Debug for Executor<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("tables", &self.map.tables().len())
            .field("beacons", &self.beacons.len())
            .finish_non_exhaustive()
    }
}

fn key_text(v: &Value) -> String {
    v.as_key().unwrap_or_else(|| format!("{v:?}"))
}

fn cmp_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        _ => key_text(a).cmp(&key_text(b)),
    }
}

fn identity_value(s: &str) -> Value {
    s.parse::<i64>()
        .map(Value::Integer)
        .unwrap_or_else(|_| Value::Text(s.to_owned()))
}

fn text_of(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

impl<'a, S: DataSource> Executor<'a, S> {
    /// An executor over `source` as `map` describes it, recording through `auditor`.
    #[must_use]
    pub fn new(map: &'a DataMap, source: &'a S, auditor: &'a Auditor) -> Self {
        Self {
            map,
            source,
            auditor,
            beacons: HashMap::new(),
            cipher: None,
            pseudonymizer: None,
            shredder: None,
            scanner: None,
        }
    }

    /// The beacon of the encrypted identity field `table.field`.
    #[must_use]
    pub fn with_beacon(mut self, field: &str, beacon: &'a StandardBeacon) -> Self {
        self.beacons.insert(field.to_owned(), beacon);
        self
    }

    /// The cipher of the encrypted fields.
    #[must_use]
    pub fn with_cipher(mut self, cipher: &'a dyn FieldCipher) -> Self {
        self.cipher = Some(cipher);
        self
    }

    /// The pseudonymizer for fields erased by `pseudonymize`.
    #[must_use]
    pub fn with_pseudonymizer(mut self, p: &'a KeyedPseudonymizer) -> Self {
        self.pseudonymizer = Some(p);
        self
    }

    /// The shredder for fields erased by `crypto_shred`.
    #[must_use]
    pub fn with_shredder(mut self, s: &'a dyn Shredder) -> Self {
        self.shredder = Some(s);
        self
    }

    /// The scanner for `redact` fields and the residual scan after erasure.
    #[must_use]
    pub fn with_scanner(mut self, s: &'a dyn TextScanner) -> Self {
        self.scanner = Some(s);
        self
    }

    fn cipher(&self, table: &Table, field: &str) -> Result<&'a dyn FieldCipher> {
        self.cipher.ok_or_else(|| {
            Error::InvalidOperation(format!(
                "field `{}.{field}` is encrypted and the executor has no cipher",
                table.name
            ))
        })
    }

    /// The plaintext of field `fi` of `row`, decrypted if the field is encrypted.
    fn plain(&self, table: &Table, fi: usize, row: &Row) -> Result<Value> {
        let f = &table.fields[fi];
        let v = &row[fi];
        if !f.encrypted || v.is_null() {
            return Ok(v.clone());
        }
        let Value::Bytes(ct) = v else {
            return Err(Error::InvalidArgument(format!(
                "field `{}.{}` is encrypted but holds a {} value",
                table.name,
                f.name,
                if matches!(v, Value::Text(_)) {
                    "text"
                } else {
                    "number"
                }
            )));
        };
        let key = &row[self.map.compiled()[self.index(table)].key];
        let pt = self
            .cipher(table, &f.name)?
            .decrypt(&table.name, &f.name, key, ct)?;
        Ok(match String::from_utf8(pt) {
            Ok(s) => Value::Text(s),
            Err(e) => Value::Bytes(e.into_bytes()),
        })
    }

    fn index(&self, table: &Table) -> usize {
        self.map
            .tables()
            .iter()
            .position(|t| t.name == table.name)
            .unwrap_or_default()
    }

    fn check_verified(request: &Request) -> Result<&SubjectId> {
        match (request.status(), request.subject()) {
            (Status::Verified, Some(s)) => Ok(s),
            _ => Err(Error::InvalidOperation(format!(
                "request `{}` is not verified: execute only verified requests",
                request.id()
            ))),
        }
    }

    /// Finds every record of the subject of `request`: rows holding one of its
    /// identities (through beacons for encrypted identities, false positives
    /// filtered by decryption), then, repeatedly, rows whose reference fields point to
    /// rows found.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for an unverified request, an encrypted identity
    /// without a beacon or cipher; the source's and the cipher's.
    pub async fn locate(&self, request: &Request) -> Result<Located> {
        Self::check_verified(request)?;
        let tables = self.map.tables();
        let compiled = self.map.compiled();
        let mut seen: Vec<HashSet<String>> = vec![HashSet::new(); tables.len()];
        let mut found: Vec<Vec<Row>> = vec![Vec::new(); tables.len()];
        let mut order: Vec<usize> = Vec::new();
        let mut frontier: Vec<(usize, Vec<Row>)> = Vec::new();
        let mut identifiers: Vec<String> = Vec::new();
        for (kind, value) in request.identities().iter() {
            identifiers.push(value.to_owned());
            for (ti, t) in tables.iter().enumerate() {
                for (fi, f) in t.fields.iter().enumerate() {
                    if f.identity.as_ref() != Some(kind) {
                        continue;
                    }
                    let rows = if let Some(col) = &f.beacon {
                        let name = format!("{}.{}", t.name, f.name);
                        let beacon = self.beacons.get(&name).ok_or_else(|| {
                            Error::InvalidOperation(format!(
                                "field `{name}` is found by beacon and the executor has no \
                                 beacon for it (with_beacon)"
                            ))
                        })?;
                        let lookup = beacon.lookup(value);
                        let values: Vec<Value> = lookup
                            .values()
                            .iter()
                            .map(|&v| Value::Integer(i64::try_from(v).unwrap_or(i64::MAX)))
                            .collect();
                        let mut keep = Vec::new();
                        for row in self.source.select(t, col, &values).await? {
                            let matches = match self.plain(t, fi, &row)? {
                                Value::Text(s) => lookup.matches(&s),
                                Value::Bytes(b) => lookup.matches_bytes(&b),
                                _ => false,
                            };
                            if matches {
                                keep.push(row);
                            }
                        }
                        keep
                    } else {
                        self.source
                            .select(t, &f.name, &[identity_value(value)])
                            .await?
                    };
                    frontier.push((ti, rows));
                }
            }
        }
        while let Some((ti, rows)) = frontier.pop() {
            let key = compiled[ti].key;
            let fresh: Vec<Row> = rows
                .into_iter()
                .filter(|r| seen[ti].insert(key_text(&r[key])))
                .collect();
            if fresh.is_empty() {
                continue;
            }
            if !order.contains(&ti) {
                order.push(ti);
            }
            for &(rt, rf, col) in &compiled[ti].referrers {
                let values: Vec<Value> = fresh
                    .iter()
                    .map(|r| r[col].clone())
                    .filter(|v| !v.is_null())
                    .collect();
                if values.is_empty() {
                    continue;
                }
                let more = self
                    .source
                    .select(&tables[rt], &tables[rt].fields[rf].name, &values)
                    .await?;
                frontier.push((rt, more));
            }
            found[ti].extend(fresh);
        }
        let mut located = Located::default();
        for ti in order {
            let mut rows = std::mem::take(&mut found[ti]);
            let key = compiled[ti].key;
            rows.sort_by(|a, b| cmp_values(&a[key], &b[key]));
            for row in &rows {
                for (fi, f) in tables[ti].fields.iter().enumerate() {
                    if f.identity.is_some()
                        && let Some(s) = text_of(&self.plain(&tables[ti], fi, row)?)
                        && !identifiers.iter().any(|i| i == s)
                    {
                        identifiers.push(s.to_owned());
                    }
                }
            }
            located.tables.push((ti, rows));
        }
        located.identifiers = identifiers;
        Ok(located)
    }

    /// Answers an access (GDPR Art. 15) or portability (Art. 20) request: every record
    /// of the subject, decrypted; for portability only tables the subject provided and
    /// fields processed on consent or contract. Does not complete the request.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for an unverified request or another kind; as
    /// [`locate`](Self::locate).
    pub async fn access(&self, request: &Request) -> Result<AccessPackage> {
        let portability = match request.kind() {
            RequestKind::Access => false,
            RequestKind::Portability => true,
            other => {
                return Err(Error::InvalidOperation(format!(
                    "request `{}` is a {} request, not access or portability",
                    request.id(),
                    other.keyword()
                )));
            }
        };
        let subject = Self::check_verified(request)?.as_str().to_owned();
        let located = self.locate(request).await?;
        let map = self.map;
        let system_of = |dataset: &str| {
            map.datasets()
                .iter()
                .find(|d| d.key == dataset)
                .map(|d| d.system.clone())
                .unwrap_or_default()
        };
        let mut tables = Vec::new();
        for (ti, rows) in &located.tables {
            let t = &map.tables()[*ti];
            if portability && !t.provided_by_subject {
                continue;
            }
            let included: Vec<usize> = (0..t.fields.len())
                .filter(|&fi| {
                    !portability
                        || map.compiled()[*ti].fields[fi].purposes.iter().any(|p| {
                            matches!(
                                map.legal_basis(p.as_str()),
                                Some(LegalBasis::Consent | LegalBasis::Contract)
                            )
                        })
                })
                .collect();
            if included.is_empty() {
                continue;
            }
            let mut out_rows = Vec::with_capacity(rows.len());
            for row in rows {
                out_rows.push(
                    included
                        .iter()
                        .map(|&fi| self.plain(t, fi, row))
                        .collect::<Result<Vec<_>>>()?,
                );
            }
            tables.push(PackageTable {
                system: system_of(&t.dataset),
                dataset: t.dataset.clone(),
                table: t.name.clone(),
                source: t.source.clone(),
                fields: included
                    .iter()
                    .map(|&fi| {
                        let c = &map.compiled()[*ti].fields[fi];
                        (
                            t.fields[fi].name.clone(),
                            c.category.as_str().to_owned(),
                            c.purposes.iter().map(|p| p.as_str().to_owned()).collect(),
                        )
                    })
                    .collect(),
                rows: out_rows,
            });
        }
        Ok(AccessPackage {
            request: request.id().to_owned(),
            subject,
            generated_at: self.auditor.now(),
            portability,
            tables,
        })
    }

    /// Why field `fi` of `row` must be kept despite an erasure request, if it must: a
    /// legal hold in force over its category or listing the subject (`held`), or a
    /// retention rule of a purpose based on a legal obligation (GDPR Art. 17(3)(b))
    /// that has not run out.
    fn exception(&self, ti: usize, fi: usize, row: &Row, held: &[&str]) -> Result<Option<String>> {
        let map = self.map;
        let schedule = map.schedule();
        let now = self.auditor.now();
        let today = schedule.day_of(now);
        let c = &map.compiled()[ti].fields[fi];
        for h in schedule.holds() {
            if !h.in_force(today) {
                continue;
            }
            let applies = match h.scope() {
                HoldScope::Categories(sel) => sel.matches(&c.category),
                HoldScope::Listed => held.contains(&h.id()),
            };
            if applies {
                return Ok(Some(format!("legal hold `{}`: {}", h.id(), h.reason())));
            }
        }
        let obligations: Vec<&str> = c
            .purposes
            .iter()
            .map(Purpose::as_str)
            .filter(|p| map.legal_basis(p) == Some(LegalBasis::LegalObligation))
            .collect();
        if obligations.is_empty() {
            return Ok(None);
        }
        let t = &map.tables()[ti];
        let collected = match t
            .collected_at
            .as_ref()
            .and_then(|col| t.fields.iter().position(|f| &f.name == col))
            .map(|i| &row[i])
        {
            Some(Value::Integer(secs)) => Timestamp::from_second(*secs).map_err(|e| {
                Error::InvalidArgument(format!("{}.collected_at {secs}: {e}", t.name))
            })?,
            Some(Value::Text(s)) => s.parse().map_err(|e: jiff::Error| {
                Error::InvalidArgument(format!("{}.collected_at `{s}`: {e}", t.name))
            })?,
            _ => now,
        };
        let purposes = schedule.purpose_set(obligations.iter().copied())?;
        let facts = Facts::new(schedule.classify(&c.category), purposes, collected);
        let d = schedule.evaluator_on(today).evaluate(&facts);
        Ok(match d.verdict() {
            Verdict::ActNow => None,
            _ => {
                let rule = d.rule().map_or(String::new(), |r| {
                    let reference = r.reference().map(|x| format!("; {x}")).unwrap_or_default();
                    format!(
                        " under rule `{}` ({}{reference})",
                        r.id(),
                        super::notice::rule_words(r)
                    )
                });
                let until = d
                    .due()
                    .map_or("until its trigger".to_owned(), |d| format!("until {d}"));
                Some(format!(
                    "retained {until}{rule} for `{}`, a legal obligation (GDPR Art. 17(3)(b))",
                    d.purpose().map_or(obligations[0], Purpose::as_str)
                ))
            }
        })
    }

    /// The replacement value of an erased field.
    fn replacement(
        &self,
        t: &Table,
        fi: usize,
        row: &Row,
        strategy: ErasureStrategy,
    ) -> Result<Value> {
        let f = &t.fields[fi];
        let key = &row[self.map.compiled()[self.index(t)].key];
        let plain = self.plain(t, fi, row)?;
        let Some(text) = text_of(&plain).map(str::to_owned) else {
            return Ok(Value::Null);
        };
        let new = match strategy {
            ErasureStrategy::Delete | ErasureStrategy::Null | ErasureStrategy::CryptoShred => {
                return Ok(Value::Null);
            }
            ErasureStrategy::Mask => {
                if f.category.starts_with("user.contact.email") {
                    mask_email(&text).unwrap_or_else(|_| mask_keep(&text, 0, 0))
                } else if f.category.starts_with("user.contact.phone_number")
                    || f.category.starts_with("user.financial")
                {
                    mask_phone(&text, 4)
                } else {
                    mask_keep(&text, 0, 0)
                }
            }
            ErasureStrategy::Pseudonymize => self
                .pseudonymizer
                .ok_or_else(|| {
                    Error::InvalidOperation(format!(
                        "field `{}.{}` is erased by pseudonymize and the executor has no \
                         pseudonymizer",
                        t.name, f.name
                    ))
                })?
                .pseudonymize(&text),
            ErasureStrategy::Redact => self
                .scanner
                .ok_or_else(|| {
                    Error::InvalidOperation(format!(
                        "field `{}.{}` is erased by redact and the executor has no scanner",
                        t.name, f.name
                    ))
                })?
                .redact(&text)?,
        };
        if f.encrypted {
            let ct = self
                .cipher(t, &f.name)?
                .encrypt(&t.name, &f.name, key, new.as_bytes())?;
            Ok(Value::Bytes(ct))
        } else {
            Ok(Value::Text(new))
        }
    }

    /// Answers an erasure request (GDPR Art. 17, CCPA 1798.105): per field, the map's
    /// strategy unless a legal hold or a legal-obligation retention rule keeps it;
    /// rows of tables that erase by row go when every field goes; the subject's key is
    /// destroyed if a field is crypto-shredded; then the subject's remaining rows are
    /// scanned for personal data (free-text fields with the scanner, every text field
    /// for the subject's own identifiers). `held` lists the listed holds that name
    /// this subject. Does not complete the request.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for an unverified request or another kind, or a
    /// strategy whose tool (cipher, pseudonymizer, shredder, scanner) is missing
    /// (checked before anything changes); the source's (a source that fails midway
    /// leaves the rows before the failure changed: run it again, it is idempotent).
    pub async fn erase(&self, request: &Request, held: &[&str]) -> Result<ErasureReport> {
        if *request.kind() != RequestKind::Erasure {
            return Err(Error::InvalidOperation(format!(
                "request `{}` is a {} request, not erasure",
                request.id(),
                request.kind().keyword()
            )));
        }
        let subject = Self::check_verified(request)?.clone();
        let located = self.locate(request).await?;
        let map = self.map;
        self.check_tools(&located)?;
        let mut report = ErasureReport::default();
        let mut shred = false;
        let mut remaining: Vec<(usize, Vec<Value>)> = Vec::new();
        // Tables reached last (referring tables) first: children before parents.
        for (ti, rows) in located.tables.iter().rev() {
            let t = &map.tables()[*ti];
            let ct = &map.compiled()[*ti];
            let mut keys_left = Vec::new();
            for row in rows {
                let key = &row[ct.key];
                let kt = key_text(key);
                let mut changes: Vec<(String, Value)> = Vec::new();
                let mut erased = Vec::new();
                let mut all_deleted = true;
                for (fi, f) in t.fields.iter().enumerate() {
                    if let Some(why) = self.exception(*ti, fi, row, held)? {
                        all_deleted = false;
                        report.kept.push(Outcome {
                            table: t.name.clone(),
                            key: kt.clone(),
                            field: Some(f.name.clone()),
                            detail: why,
                        });
                        continue;
                    }
                    let strategy = ct.fields[fi].strategy;
                    if strategy != ErasureStrategy::Delete {
                        all_deleted = false;
                    }
                    if fi == ct.key {
                        continue;
                    }
                    if row[fi].is_null() && strategy != ErasureStrategy::CryptoShred {
                        continue;
                    }
                    if strategy == ErasureStrategy::CryptoShred {
                        shred = true;
                    } else {
                        changes.push((f.name.clone(), self.replacement(t, fi, row, strategy)?));
                    }
                    if let Some(b) = &f.beacon {
                        changes.push((b.clone(), Value::Null));
                    }
                    erased.push((f.name.clone(), strategy));
                }
                if all_deleted && t.rows == RowErasure::Delete {
                    self.source.delete(t, key).await?;
                    report.erased.push(Outcome {
                        table: t.name.clone(),
                        key: kt,
                        field: None,
                        detail: "deleted".into(),
                    });
                    continue;
                }
                if !changes.is_empty() {
                    self.source.update(t, key, &changes).await?;
                }
                for (field, strategy) in erased {
                    report.erased.push(Outcome {
                        table: t.name.clone(),
                        key: kt.clone(),
                        field: Some(field),
                        detail: strategy.keyword().to_owned(),
                    });
                }
                keys_left.push(key.clone());
            }
            if !keys_left.is_empty() {
                remaining.push((*ti, keys_left));
            }
        }
        if shred && let Some(s) = self.shredder {
            report.shredded = s.shred(&subject, self.auditor)?;
        }
        report.residual = match self.scanner {
            None => None,
            Some(scanner) => Some(
                self.residual(&remaining, &located.identifiers, scanner)
                    .await?,
            ),
        };
        Ok(report)
    }

    /// Refuses, before anything changes, an erasure whose strategies need a tool the
    /// executor lacks.
    fn check_tools(&self, located: &Located) -> Result<()> {
        for (ti, _) in &located.tables {
            let t = &self.map.tables()[*ti];
            for (fi, f) in t.fields.iter().enumerate() {
                let strategy = self.map.compiled()[*ti].fields[fi].strategy;
                let missing = match strategy {
                    ErasureStrategy::CryptoShred if self.shredder.is_none() => Some("shredder"),
                    ErasureStrategy::Pseudonymize if self.pseudonymizer.is_none() => {
                        Some("pseudonymizer")
                    }
                    ErasureStrategy::Redact if self.scanner.is_none() => Some("scanner"),
                    ErasureStrategy::Mask
                    | ErasureStrategy::Pseudonymize
                    | ErasureStrategy::Redact
                        if f.encrypted && self.cipher.is_none() =>
                    {
                        Some("cipher")
                    }
                    _ => None,
                };
                if let Some(tool) = missing {
                    return Err(Error::InvalidOperation(format!(
                        "field `{}.{}` is erased by {strategy} and the executor has no {tool}; \
                         nothing was changed",
                        t.name, f.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// Scans the subject's remaining rows: free-text fields with `scanner`, every text
    /// field for the subject's identifiers.
    async fn residual(
        &self,
        remaining: &[(usize, Vec<Value>)],
        identifiers: &[String],
        scanner: &dyn TextScanner,
    ) -> Result<Vec<Residual>> {
        let mut out = Vec::new();
        for (ti, keys) in remaining {
            let t = &self.map.tables()[*ti];
            let ct = &self.map.compiled()[*ti];
            for row in self.source.select(t, &t.primary_key, keys).await? {
                let kt = key_text(&row[ct.key]);
                for (fi, f) in t.fields.iter().enumerate() {
                    let value = match self.plain(t, fi, &row) {
                        Ok(v) => v,
                        // Crypto-shredded: unreadable is what erasure wanted.
                        Err(Error::KeyDestroyed(_) | Error::DecryptionFailed) => continue,
                        Err(e) => return Err(e),
                    };
                    let Some(text) = text_of(&value) else {
                        continue;
                    };
                    let lower = text.to_lowercase();
                    for id in identifiers {
                        let id_l = id.to_lowercase();
                        if let Some(start) = lower.find(&id_l)
                            && fi != ct.key
                        {
                            out.push(Residual {
                                table: t.name.clone(),
                                key: kt.clone(),
                                field: f.name.clone(),
                                entity: "IDENTIFIER".into(),
                                span: start..start + id_l.len(),
                            });
                        }
                    }
                    if f.free_text {
                        for (entity, span) in scanner.find(text) {
                            out.push(Residual {
                                table: t.name.clone(),
                                key: kt.clone(),
                                field: f.name.clone(),
                                entity,
                                span,
                            });
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Answers a rectification request (GDPR Art. 16): sets each `(table, column,
    /// value)` on every row of the subject in that table (encrypting encrypted fields).
    /// Returns the number of rows changed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a table or column the map lacks, or a primary key
    /// or beacon-indexed column (change those through the application); as
    /// [`locate`](Self::locate).
    pub async fn rectify(&self, request: &Request) -> Result<usize> {
        let RequestKind::Rectification(changes) = request.kind() else {
            return Err(Error::InvalidOperation(format!(
                "request `{}` is a {} request, not rectification",
                request.id(),
                request.kind().keyword()
            )));
        };
        let map = self.map;
        let mut plan = Vec::new();
        for (table, column, value) in changes {
            let t = map.table(table).ok_or_else(|| {
                Error::InvalidArgument(format!("rectification: no table `{table}` in the map"))
            })?;
            let fi = t
                .fields
                .iter()
                .position(|f| &f.name == column)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!("rectification: no field `{table}.{column}`"))
                })?;
            if t.primary_key == *column || t.fields[fi].beacon.is_some() {
                return Err(Error::InvalidArgument(format!(
                    "rectification of `{table}.{column}`: a key or beacon-indexed identity is \
                     changed through the application, which keeps its index"
                )));
            }
            plan.push((self.index(t), fi, value));
        }
        let located = self.locate(request).await?;
        let mut changed = 0;
        for (ti, fi, value) in plan {
            let t = &map.tables()[ti];
            let f = &t.fields[fi];
            let key_index = map.compiled()[ti].key;
            for (_, rows) in located.tables.iter().filter(|(x, _)| *x == ti) {
                for row in rows {
                    let key = &row[key_index];
                    let v = if f.encrypted {
                        Value::Bytes(self.cipher(t, &f.name)?.encrypt(
                            &t.name,
                            &f.name,
                            key,
                            value.as_bytes(),
                        )?)
                    } else {
                        Value::Text(value.clone())
                    };
                    self.source.update(t, key, &[(f.name.clone(), v)]).await?;
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }
}

/// Applies a restriction (GDPR Art. 18), objection (Art. 21) or opt-out of sale and
/// sharing (CCPA 1798.120, GPC): purposes the consent ledger records are withdrawn there,
/// the others are returned to stop, each step recorded in the audit log. The purposes:
/// - restriction: every purpose except those based on a legal obligation;
/// - objection: the purpose objected to, if based on legitimate interests or a public
///   task, or a marketing use (direct marketing, Art. 21(2)-(3));
/// - opt-out: every purpose for which a recipient that buys (`sold`) or receives for
///   cross-context advertising (`shared`) gets data.
///
/// # Errors
/// [`Error::InvalidOperation`] for an unverified request, another kind, or an
/// objection Art. 21 does not cover (the message is the reason to give); the ledger's
/// and the sink's.
pub fn apply_preference(
    map: &DataMap,
    request: &Request,
    ledger: &mut ConsentLedger,
    policy_version: &str,
    auditor: &Auditor,
) -> Result<Preference> {
    let subject = match (request.status(), request.subject()) {
        (Status::Verified, Some(s)) => s.clone(),
        _ => {
            return Err(Error::InvalidOperation(format!(
                "request `{}` is not verified",
                request.id()
            )));
        }
    };
    let schedule = map.schedule();
    let purposes: Vec<Purpose> = match request.kind() {
        RequestKind::Restriction => schedule
            .purposes()
            .filter(|(_, b)| *b != LegalBasis::LegalObligation)
            .map(|(p, _)| p.clone())
            .collect(),
        RequestKind::Objection(p) => match schedule.legal_basis(p.as_str()) {
            None => {
                return Err(Error::InvalidArgument(format!(
                    "objection to `{p}`: not a declared purpose"
                )));
            }
            Some(LegalBasis::LegitimateInterests | LegalBasis::PublicTask) => vec![p.clone()],
            Some(_) if p.as_str().starts_with("marketing") => vec![p.clone()],
            Some(b) => {
                return Err(Error::InvalidOperation(format!(
                    "objection to `{p}`: its basis is {b} ({}); GDPR Art. 21 covers \
                     processing on legitimate interests, a public task, and direct marketing",
                    b.article()
                )));
            }
        },
        RequestKind::OptOutOfSale { .. } => {
            let mut out: Vec<Purpose> = Vec::new();
            for r in map.processors().iter().filter(|r| r.sold || r.shared) {
                for name in &r.purposes {
                    let p = Purpose::new(name)?;
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            out
        }
        other => {
            return Err(Error::InvalidOperation(format!(
                "request `{}` is a {} request, not a preference",
                request.id(),
                other.keyword()
            )));
        }
    };
    let at = auditor.now();
    let source = format!("request:{}", request.id());
    let mut outcome = Preference::default();
    for p in purposes {
        if ledger.check_purpose(p.as_str()).is_ok() {
            ledger.record_audited(
                ConsentRecord::new(
                    subject.clone(),
                    p.clone(),
                    ConsentState::Withdrawn,
                    at,
                    policy_version,
                    &source,
                ),
                auditor,
            )?;
            outcome.withdrawn.push(p);
        } else {
            auditor.record_at(
                at,
                EventKind::Application(ApplicationEvent {
                    name: "rights.preference.stop".into(),
                    subject: Some(auditor.subject(subject.as_str())),
                    attributes: vec![
                        ("request".into(), request.id().to_owned()),
                        ("kind".into(), request.kind().keyword().to_owned()),
                        ("purpose".into(), p.as_str().to_owned()),
                    ],
                }),
            )?;
            outcome.stop.push(p);
        }
    }
    Ok(outcome)
}

/// What [`apply_preference`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preference {
    /// Purposes withdrawn in the consent ledger (those it records: consent-based).
    pub withdrawn: Vec<Purpose>,
    /// Purposes on other bases that the service must stop for this subject by its own
    /// flag (restriction of contract processing, objection to legitimate interests);
    /// each is recorded in the audit log as `rights.preference.stop`.
    pub stop: Vec<Purpose>,
}
