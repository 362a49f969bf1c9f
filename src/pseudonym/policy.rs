//! Record policies: which transform applies to which field.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::dates::{Date, DateShifter, DateTruncation};
use super::fpe::{Alphabet, FormatPreserving};
use super::keyed::{KeyedConfig, KeyedPseudonymizer, Normalization};
use super::keys::KeyRing;
use super::mask::{Bucketing, mask_email, mask_keep, mask_phone};
use super::siv::Tokenizer;
use crate::{Error, Result};

/// What a policy does with one field.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "transform", rename_all = "snake_case", deny_unknown_fields)
)]
#[non_exhaustive]
pub enum Transform {
    /// Leave the value as it is.
    Keep,
    /// Remove the field.
    Drop,
    /// Replace the value by a fixed text.
    Redact {
        /// The replacement (default `[REDACTED]`).
        #[cfg_attr(feature = "serde", serde(default = "default_redaction"))]
        replacement: String,
    },
    /// Keyed pseudonym ([`KeyedPseudonymizer`]).
    Keyed {
        /// Pseudonymization domain.
        domain: String,
        /// Key version; the key ring's primary when absent.
        #[cfg_attr(feature = "serde", serde(default))]
        key_version: Option<u32>,
        /// Encoding, length, normalisation.
        #[cfg_attr(feature = "serde", serde(default))]
        config: KeyedConfig,
    },
    /// Reversible token ([`Tokenizer`]).
    Token {
        /// Token domain.
        domain: String,
        /// Key version; the key ring's primary when absent.
        #[cfg_attr(feature = "serde", serde(default))]
        key_version: Option<u32>,
    },
    /// Format-preserving encryption ([`FormatPreserving`]).
    Ff1 {
        /// FF1 domain (the tweak).
        domain: String,
        /// The characters encrypted.
        alphabet: Alphabet,
        /// Key version; the key ring's primary when absent.
        #[cfg_attr(feature = "serde", serde(default))]
        key_version: Option<u32>,
    },
    /// Keep the first and last characters ([`mask_keep`]).
    MaskKeep {
        /// Characters kept at the start.
        #[cfg_attr(feature = "serde", serde(default))]
        first: usize,
        /// Characters kept at the end.
        #[cfg_attr(feature = "serde", serde(default))]
        last: usize,
    },
    /// E-mail mask ([`mask_email`]).
    MaskEmail,
    /// Phone mask ([`mask_phone`]).
    MaskPhone {
        /// Trailing digits kept.
        #[cfg_attr(feature = "serde", serde(default = "default_phone_keep"))]
        keep: usize,
    },
    /// Numeric bucket ([`Bucketing`]).
    Bucket {
        /// The bucketing scheme.
        bucketing: Bucketing,
    },
    /// Date truncation ([`Date::truncate`]); values are `YYYY-MM-DD`.
    TruncateDate {
        /// Year, quarter or month.
        to: DateTruncation,
    },
    /// Per-subject date shift ([`DateShifter`]); the subject is read from the
    /// policy's `subject_field`.
    ShiftDate {
        /// Date-shift domain.
        domain: String,
        /// Largest shift in days.
        max_days: u32,
        /// Normalisation of the subject id before the PRF, so that spellings of one
        /// subject (`"C-1"`, `" c-1"`) shift alike.
        #[cfg_attr(feature = "serde", serde(default))]
        subject_normalization: Normalization,
        /// Key version; the key ring's primary when absent.
        #[cfg_attr(feature = "serde", serde(default))]
        key_version: Option<u32>,
    },
}

#[cfg(feature = "serde")]
fn default_redaction() -> String {
    "[REDACTED]".to_owned()
}

#[cfg(feature = "serde")]
fn default_phone_keep() -> usize {
    4
}

/// What happens to fields the policy does not name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Unlisted {
    /// Remove them (the default: new columns are not shared by accident).
    #[default]
    Drop,
    /// Keep them unchanged.
    Keep,
    /// Fail on them.
    Error,
}

/// A record policy: per field, the transform that applies.
///
/// With the `serde` feature it loads from any serde format, for example JSON:
///
/// ```json
/// { "subject_field": "customer_id",
///   "unlisted": "drop",
///   "fields": {
///     "customer_id": { "transform": "keyed", "domain": "customer", "config": { "length": 32 } },
///     "email":       { "transform": "token", "domain": "email" },
///     "card":        { "transform": "ff1", "domain": "card", "alphabet": "digits" },
///     "age":         { "transform": "bucket", "bucketing": { "scheme": { "fixed_width": 10 }, "top": 90 } },
///     "visit":       { "transform": "shift_date", "domain": "visits", "max_days": 30 } } }
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Policy {
    /// The field holding each record's subject id (read before any transform), for
    /// [`Transform::ShiftDate`].
    #[cfg_attr(feature = "serde", serde(default))]
    pub subject_field: Option<String>,
    /// What happens to fields not named in `fields`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub unlisted: Unlisted,
    /// The transform of each named field.
    pub fields: BTreeMap<String, Transform>,
}

impl Policy {
    /// Parses a policy from JSON.
    ///
    /// # Errors
    /// [`Error::Parse`] with the line of the first problem.
    #[cfg(feature = "json")]
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::Parse {
            line: e.line(),
            message: e.to_string(),
        })
    }

    /// Derives every key the policy needs from `keys`, once.
    ///
    /// # Errors
    /// [`Error::Field`] naming the field whose transform cannot be built (unknown key
    /// version, unsafe pseudonym length, bad alphabet or buckets), or whose
    /// date shift has no `subject_field` to read.
    pub fn compile(&self, keys: &KeyRing) -> Result<CompiledPolicy> {
        let mut fields = HashMap::with_capacity(self.fields.len());
        for (name, t) in &self.fields {
            let compiled = compile_one(t, keys, self.subject_field.is_some())
                .map_err(|e| field_error(name, e))?;
            fields.insert(name.clone(), compiled);
        }
        Ok(CompiledPolicy {
            fields,
            unlisted: self.unlisted,
            subject_field: self.subject_field.clone(),
        })
    }
}

fn field_error(name: &str, e: Error) -> Error {
    Error::Field {
        field: name.to_owned(),
        source: Box::new(e),
    }
}

fn compile_one(t: &Transform, keys: &KeyRing, has_subject: bool) -> Result<Compiled> {
    Ok(match t {
        Transform::Keep => Compiled::Keep,
        Transform::Drop => Compiled::Drop,
        Transform::Redact { replacement } => Compiled::Redact(replacement.clone()),
        Transform::Keyed {
            domain,
            key_version,
            config,
        } => Compiled::Keyed(Box::new(KeyedPseudonymizer::new(
            keys.get_or_primary(*key_version)?,
            domain,
            *config,
        )?)),
        Transform::Token {
            domain,
            key_version,
        } => Compiled::Token(Box::new(Tokenizer::new(
            keys.get_or_primary(*key_version)?,
            domain,
        )?)),
        Transform::Ff1 {
            domain,
            alphabet,
            key_version,
        } => Compiled::Ff1(Box::new(FormatPreserving::new(
            keys.get_or_primary(*key_version)?,
            domain,
            alphabet,
        )?)),
        Transform::MaskKeep { first, last } => Compiled::MaskKeep(*first, *last),
        Transform::MaskEmail => Compiled::MaskEmail,
        Transform::MaskPhone { keep } => Compiled::MaskPhone(*keep),
        Transform::Bucket { bucketing } => {
            bucketing.validate()?;
            Compiled::Bucket(bucketing.clone())
        }
        Transform::TruncateDate { to } => Compiled::TruncateDate(*to),
        Transform::ShiftDate {
            domain,
            max_days,
            subject_normalization,
            key_version,
        } => {
            if !has_subject {
                return Err(Error::invalid_argument(
                    "shift_date needs the policy's subject_field",
                ));
            }
            Compiled::ShiftDate(
                Box::new(DateShifter::new(
                    keys.get_or_primary(*key_version)?,
                    domain,
                    *max_days,
                )?),
                *subject_normalization,
            )
        }
    })
}

#[derive(Debug)]
enum Compiled {
    Keep,
    Drop,
    Redact(String),
    Keyed(Box<KeyedPseudonymizer>),
    Token(Box<Tokenizer>),
    Ff1(Box<FormatPreserving>),
    MaskKeep(usize, usize),
    MaskEmail,
    MaskPhone(usize),
    Bucket(Bucketing),
    TruncateDate(DateTruncation),
    ShiftDate(Box<DateShifter>, Normalization),
}

/// What to do with a field after its transform.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldAction {
    /// Leave the value unchanged.
    Keep,
    /// Replace the value by this text.
    Replace(String),
    /// Remove the field.
    Remove,
}

/// Receives each field of a record; implemented by [`CompiledPolicy`].
pub trait FieldVisitor {
    /// Decides about field `name`. `value` is its text (numbers and booleans as
    /// written), or `None` for a value that is not a scalar (a list, a nested object)
    /// or is null.
    ///
    /// # Errors
    /// [`Error::Field`] naming the field when its value cannot be transformed.
    fn visit(&mut self, name: &str, value: Option<&str>) -> Result<FieldAction>;
}

/// A record type a policy can be applied to: implement this for your own types.
pub trait Record {
    /// The text of field `name`, if present and scalar (used to read the subject id).
    fn field_text(&self, name: &str) -> Option<String>;

    /// Calls `visitor` once per field and applies the returned [`FieldAction`].
    ///
    /// # Errors
    /// The first error `visitor` returns.
    fn visit_fields(&mut self, visitor: &mut dyn FieldVisitor) -> Result<()>;
}

/// A [`Policy`] with its keys derived, ready to apply to many records (and to share
/// between threads).
pub struct CompiledPolicy {
    fields: HashMap<String, Compiled>,
    unlisted: Unlisted,
    subject_field: Option<String>,
}

impl fmt::Debug for CompiledPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.fields.keys().collect();
        names.sort();
        f.debug_struct("CompiledPolicy")
            .field("fields", &names)
            .field("unlisted", &self.unlisted)
            .field("subject_field", &self.subject_field)
            .finish()
    }
}

struct Visitor<'a> {
    policy: &'a CompiledPolicy,
    subject: Option<String>,
}

impl FieldVisitor for Visitor<'_> {
    fn visit(&mut self, name: &str, value: Option<&str>) -> Result<FieldAction> {
        self.policy
            .transform(name, value, self.subject.as_deref())
            .map_err(|e| field_error(name, e))
    }
}

impl CompiledPolicy {
    /// The action for field `name` with text `value` (`None`: not a scalar, or null)
    /// in a record whose subject id is `subject`. Errors are not wrapped with the
    /// field name; [`apply`](Self::apply) does that.
    ///
    /// # Errors
    /// The transform's own error (a value outside an FF1 alphabet, a malformed date
    /// or number), [`Error::InvalidArgument`] for a non-scalar value under a value
    /// transform, an unlisted field under [`Unlisted::Error`], or a date shift
    /// without a subject.
    pub fn transform(
        &self,
        name: &str,
        value: Option<&str>,
        subject: Option<&str>,
    ) -> Result<FieldAction> {
        let Some(t) = self.fields.get(name) else {
            return match self.unlisted {
                Unlisted::Drop => Ok(FieldAction::Remove),
                Unlisted::Keep => Ok(FieldAction::Keep),
                Unlisted::Error => Err(Error::invalid_argument("field not named by the policy")),
            };
        };
        let v = match (t, value) {
            (Compiled::Keep, _) => return Ok(FieldAction::Keep),
            (Compiled::Drop, _) => return Ok(FieldAction::Remove),
            (Compiled::Redact(r), _) => return Ok(FieldAction::Replace(r.clone())),
            (_, None) => {
                return Err(Error::invalid_argument(
                    "value is not a text, number or boolean",
                ));
            }
            (_, Some(v)) => v,
        };
        let out = match t {
            Compiled::Keep | Compiled::Drop | Compiled::Redact(_) => return Ok(FieldAction::Keep),
            Compiled::Keyed(p) => p.pseudonymize(v),
            Compiled::Token(tk) => tk.tokenize(v.as_bytes())?,
            Compiled::Ff1(f) => f.encrypt(v)?,
            Compiled::MaskKeep(first, last) => mask_keep(v, *first, *last),
            Compiled::MaskEmail => mask_email(v)?,
            Compiled::MaskPhone(keep) => mask_phone(v, *keep),
            Compiled::Bucket(b) => {
                let x: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| Error::invalid_argument("not a number"))?;
                b.bucket(x)?
            }
            Compiled::TruncateDate(to) => v.parse::<Date>()?.truncate(*to).to_string(),
            Compiled::ShiftDate(s, norm) => {
                let subject = subject.ok_or_else(|| {
                    Error::invalid_argument("record has no subject id to shift by")
                })?;
                s.shift(&norm.apply(subject), v.parse()?)?.to_string()
            }
        };
        Ok(FieldAction::Replace(out))
    }

    /// Applies the policy to one record.
    ///
    /// # Errors
    /// [`Error::Field`] naming the first field that failed and why.
    pub fn apply<R: Record + ?Sized>(&self, record: &mut R) -> Result<()> {
        let subject = self
            .subject_field
            .as_deref()
            .and_then(|f| record.field_text(f));
        record.visit_fields(&mut Visitor {
            policy: self,
            subject,
        })
    }

    /// Applies the policy to many records, spread over the available cores.
    ///
    /// # Errors
    /// The error of the first failing record (in input order among the chunks).
    pub fn apply_batch<R: Record + Send>(&self, records: &mut [R]) -> Result<()> {
        super::batch::try_for_each_mut(records, |r| self.apply(r))
    }

    /// Applies the policy to a JSON object: strings, numbers and booleans are
    /// transformed as text (a replaced value becomes a JSON string), nulls are kept
    /// under value transforms, nested values only under `keep`, `drop`, `redact`.
    ///
    /// # Errors
    /// [`Error::Field`] naming the first field that failed and why.
    #[cfg(feature = "json")]
    pub fn apply_json(
        &self,
        record: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        self.apply(record)
    }
}

/// One step of a `retain` over a record's fields: asks `visitor` about the field and
/// applies its answer (`replace` writes a new text). After the first error every
/// further field is kept untouched and the error is left in `err`.
fn retain_step<V>(
    visitor: &mut dyn FieldVisitor,
    err: &mut Option<Error>,
    name: &str,
    text: Option<&str>,
    value: &mut V,
    replace: impl FnOnce(&mut V, String),
) -> bool {
    if err.is_some() {
        return true;
    }
    match visitor.visit(name, text) {
        Ok(FieldAction::Keep) => true,
        Ok(FieldAction::Replace(v)) => {
            replace(value, v);
            true
        }
        Ok(FieldAction::Remove) => false,
        Err(e) => {
            *err = Some(e);
            true
        }
    }
}

impl Record for BTreeMap<String, String> {
    fn field_text(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }

    fn visit_fields(&mut self, visitor: &mut dyn FieldVisitor) -> Result<()> {
        let mut err = None;
        self.retain(|name, value| {
            let text = value.clone();
            retain_step(visitor, &mut err, name, Some(&text), value, |v, new| {
                *v = new
            })
        });
        err.map_or(Ok(()), Err)
    }
}

#[cfg(feature = "json")]
impl Record for serde_json::Map<String, serde_json::Value> {
    fn field_text(&self, name: &str) -> Option<String> {
        json_text(self.get(name)?)
    }

    fn visit_fields(&mut self, visitor: &mut dyn FieldVisitor) -> Result<()> {
        let mut err = None;
        self.retain(|name, value| {
            if value.is_null() {
                // Nulls carry nothing to protect: keep them unless the field goes.
                return err.is_some()
                    || !matches!(visitor.visit(name, None), Ok(FieldAction::Remove));
            }
            let text = json_text(value);
            retain_step(visitor, &mut err, name, text.as_deref(), value, |v, new| {
                *v = serde_json::Value::String(new);
            })
        });
        err.map_or(Ok(()), Err)
    }
}

#[cfg(feature = "json")]
fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::pseudonym::{RootKey, token_key_version};
    use crate::secret::SecretBytes;

    fn ring() -> KeyRing {
        KeyRing::new(RootKey::new(1, &SecretBytes::from_slice(&[1u8; 32])).unwrap())
    }

    fn policy() -> Policy {
        let mut fields = BTreeMap::new();
        fields.insert(
            "id".to_owned(),
            Transform::Keyed {
                domain: "customer".into(),
                key_version: None,
                config: KeyedConfig::default(),
            },
        );
        fields.insert(
            "email".to_owned(),
            Transform::Token {
                domain: "email".into(),
                key_version: None,
            },
        );
        fields.insert(
            "card".to_owned(),
            Transform::Ff1 {
                domain: "card".into(),
                alphabet: Alphabet::Digits,
                key_version: None,
            },
        );
        fields.insert(
            "age".to_owned(),
            Transform::Bucket {
                bucketing: Bucketing::fixed_width(10.0).with_top(90.0),
            },
        );
        fields.insert(
            "visit".to_owned(),
            Transform::ShiftDate {
                domain: "visits".into(),
                max_days: 30,
                subject_normalization: Normalization::ALL,
                key_version: None,
            },
        );
        fields.insert(
            "born".to_owned(),
            Transform::TruncateDate {
                to: DateTruncation::Year,
            },
        );
        Policy {
            subject_field: Some("id".into()),
            unlisted: Unlisted::Drop,
            fields,
        }
    }

    fn record(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn applies_per_field() {
        let keys = ring();
        let p = policy().compile(&keys).unwrap();
        let mut r = record(&[
            ("id", "c-1"),
            ("email", "a@example.com"),
            ("card", "4111-1111-1111-1111"),
            ("age", "37"),
            ("visit", "2024-03-10"),
            ("born", "1987-06-05"),
            ("notes", "free text"),
        ]);
        p.apply(&mut r).unwrap();
        assert!(!r.contains_key("notes"));
        assert_eq!(r["age"], "[30, 40)");
        assert_eq!(r["born"], "1987-01-01");
        assert_eq!(r["id"].len(), 32);
        assert_eq!(r["card"].len(), 19);
        assert_eq!(
            keys.detokenize("email", &r["email"]).unwrap(),
            b"a@example.com"
        );
        assert_eq!(token_key_version(&r["email"]).unwrap(), 1);
        let shifted: Date = r["visit"].parse().unwrap();
        let off =
            shifted.days_since_epoch() - "2024-03-10".parse::<Date>().unwrap().days_since_epoch();
        assert!(off != 0 && off.abs() <= 30);

        let mut many: Vec<_> = (0..200)
            .map(|i| record(&[("id", &format!("c-{i}")), ("age", "5")]))
            .collect();
        p.apply_batch(&mut many).unwrap();
        assert!(
            many.iter()
                .all(|r| r["age"] == "[0, 10)" && r["id"].len() == 32)
        );
    }

    #[test]
    fn subject_spellings_shift_alike() {
        let p = policy().compile(&ring()).unwrap();
        let mut a = record(&[("id", "C-1"), ("visit", "2024-03-10")]);
        let mut b = record(&[("id", " c-1 "), ("visit", "2024-03-10")]);
        p.apply(&mut a).unwrap();
        p.apply(&mut b).unwrap();
        assert_eq!(a["visit"], b["visit"]);
        assert_ne!(a["id"], b["id"]); // the keyed field itself has no normalisation here
    }

    #[test]
    fn fail_errors_name_the_field() {
        let p = policy().compile(&ring()).unwrap();
        let mut r = record(&[("id", "c-1"), ("card", "12-34")]);
        let err = p.apply(&mut r).unwrap_err();
        match &err {
            Error::Field { field, source } => {
                assert_eq!(field, "card");
                assert!(matches!(**source, Error::InvalidArgument(_)));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("`card`"));
        let mut r = record(&[("age", "old")]);
        assert!(matches!(p.apply(&mut r), Err(Error::Field { field, .. }) if field == "age"));
        // Date shift without a subject id in the record.
        let mut r = record(&[("visit", "2024-01-01")]);
        assert!(matches!(p.apply(&mut r), Err(Error::Field { field, .. }) if field == "visit"));
    }

    #[test]
    fn fail_compile_names_the_field() {
        let mut p = policy();
        p.fields.insert(
            "short".into(),
            Transform::Keyed {
                domain: "d".into(),
                key_version: None,
                config: KeyedConfig {
                    length: 8,
                    ..KeyedConfig::default()
                },
            },
        );
        assert!(matches!(p.compile(&ring()), Err(Error::Field { field, .. }) if field == "short"));
        let mut p = policy();
        p.fields.insert(
            "old".into(),
            Transform::Token {
                domain: "d".into(),
                key_version: Some(9),
            },
        );
        let err = p.compile(&ring()).unwrap_err();
        assert!(
            matches!(&err, Error::Field { field, source } if field == "old" && matches!(**source, Error::UnknownKeyId(9)))
        );
        let mut p = policy();
        p.subject_field = None;
        assert!(matches!(p.compile(&ring()), Err(Error::Field { field, .. }) if field == "visit"));
    }

    #[cfg(feature = "json")]
    #[test]
    fn json_policy_and_records() {
        let text = r#"{
            "subject_field": "customer_id",
            "unlisted": "keep",
            "fields": {
                "customer_id": { "transform": "keyed", "domain": "customer",
                                 "config": { "encoding": "base32_crockford", "length": 26,
                                             "normalization": { "trim": true } } },
                "email": { "transform": "mask_email" },
                "phone": { "transform": "mask_phone" },
                "name":  { "transform": "redact" },
                "age":   { "transform": "bucket",
                           "bucketing": { "scheme": { "bounds": [0, 18, 65] }, "top": 90 } },
                "tags":  { "transform": "drop" },
                "ssn":   { "transform": "token", "domain": "ssn", "key_version": 1 }
            }
        }"#;
        let policy = Policy::from_json(text).unwrap();
        let compiled = policy.compile(&ring()).unwrap();
        let mut rec: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
            r#"{"customer_id": " c-9 ", "email": "bob@example.org", "phone": "+1 555 0100",
                "name": "Bob", "age": 70, "tags": ["x"], "ssn": null, "country": "NZ"}"#,
        )
        .unwrap();
        compiled.apply_json(&mut rec).unwrap();
        assert_eq!(rec["customer_id"].as_str().unwrap().len(), 26);
        assert_eq!(rec["email"], "b***@example.org");
        assert_eq!(rec["phone"], "+* *** 0100");
        assert_eq!(rec["name"], "[REDACTED]");
        assert_eq!(rec["age"], ">=65");
        assert!(rec.get("tags").is_none());
        assert!(rec["ssn"].is_null());
        assert_eq!(rec["country"], "NZ");

        let bad: std::result::Result<Policy, _> =
            serde_json::from_str(r#"{"fields": {"x": {"transform": "rot13"}}}"#);
        assert!(bad.is_err());
        assert!(matches!(
            Policy::from_json("{\n\"fields\": 3}"),
            Err(Error::Parse { line: 2, .. })
        ));
        let mut nested: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"email": {"a": 1}}"#).unwrap();
        assert!(
            matches!(compiled.apply_json(&mut nested), Err(Error::Field { field, .. }) if field == "email")
        );
    }
}
