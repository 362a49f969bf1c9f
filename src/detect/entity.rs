//! Entity types and findings.

use std::fmt;
use std::sync::Arc;

use crate::{Error, Result};

/// The kind of personal data a finding is.
///
/// Names are spelled as Presidio spells them where Presidio has the type
/// ([`name`](Self::name)); [`Custom`](Self::Custom) names the types of your own
/// recognizers.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EntityType {
    /// An e-mail address (`EMAIL_ADDRESS`).
    EmailAddress,
    /// A telephone number valid for its region (`PHONE_NUMBER`).
    PhoneNumber,
    /// A payment card number that passes Luhn and has an issuer prefix (`CREDIT_CARD`).
    CreditCard,
    /// An IBAN with a valid mod-97 check and its country's length (`IBAN_CODE`).
    IbanCode,
    /// A US social security number (`US_SSN`).
    UsSsn,
    /// A US driver's license number, found only with context (`US_DRIVER_LICENSE`).
    UsDriverLicense,
    /// An IPv4 or IPv6 address (`IP_ADDRESS`).
    IpAddress,
    /// A URL with a scheme or a `www.` host (`URL`).
    Url,
    /// A bare domain name with a known top-level domain (`DOMAIN_NAME`).
    DomainName,
    /// A date, a time, a weekday or a year (`DATE_TIME`).
    DateTime,
    /// A person's name (`PERSON`).
    Person,
    /// A street address (`STREET_ADDRESS`).
    StreetAddress,
    /// A postcode, found with context (`ZIP_CODE`).
    ZipCode,
    /// A UK National Insurance number (`UK_NINO`).
    UkNino,
    /// A UK NHS number with its mod-11 check digit (`UK_NHS`).
    UkNhs,
    /// A German tax identification number (Steuer-ID) with its check digit (`DE_TAX_ID`).
    DeTaxId,
    /// A French social security number (NIR) with its key (`FR_NIR`).
    FrNir,
    /// A Spanish DNI / NIF with its check letter (`ES_NIF`).
    EsNif,
    /// A Spanish foreigner identity number with its check letter (`ES_NIE`).
    EsNie,
    /// An Italian codice fiscale with its check character (`IT_FISCAL_CODE`).
    ItFiscalCode,
    /// A Dutch citizen service number (BSN) passing the 11-test, found with context
    /// (`NL_BSN`).
    NlBsn,
    /// An AWS access key id (`AWS_ACCESS_KEY`).
    AwsAccessKey,
    /// An AWS secret access key next to its name (`AWS_SECRET_KEY`).
    AwsSecretKey,
    /// A vendor API key or token with a recognisable prefix: GitHub, Slack, Stripe,
    /// Google (`API_KEY`).
    ApiKey,
    /// A JSON Web Token (`JSON_WEB_TOKEN`).
    JsonWebToken,
    /// The credential of an `Authorization: Bearer` / `Basic` header (`BEARER_TOKEN`).
    BearerToken,
    /// A PEM private-key block (`PRIVATE_KEY`).
    PrivateKey,
    /// A country or a city of at least 15,000 inhabitants, by gazetteer (`LOCATION`).
    Location,
    /// A company or other organization, by structure: capitalized words before a legal
    /// form ("Acme Widgets GmbH", "Hill Inc."), before an organization word ("Abt
    /// Associates"), or a partnership of surnames ("Davis, Reynolds and Williamson")
    /// (`ORGANIZATION`).
    Organization,
    /// A nationality, religious or political group, by the English demonyms and
    /// language names of every country ("Icelandic", "Brazilians") (`NRP`).
    Nrp,
    /// A type of your own recognizer, by its name (upper snake case, as the others).
    Custom(Arc<str>),
}

/// Every built-in type, in the order of [`EntityType`].
pub(crate) const BUILTIN: [EntityType; 30] = [
    EntityType::EmailAddress,
    EntityType::PhoneNumber,
    EntityType::CreditCard,
    EntityType::IbanCode,
    EntityType::UsSsn,
    EntityType::UsDriverLicense,
    EntityType::IpAddress,
    EntityType::Url,
    EntityType::DomainName,
    EntityType::DateTime,
    EntityType::Person,
    EntityType::StreetAddress,
    EntityType::ZipCode,
    EntityType::UkNino,
    EntityType::UkNhs,
    EntityType::DeTaxId,
    EntityType::FrNir,
    EntityType::EsNif,
    EntityType::EsNie,
    EntityType::ItFiscalCode,
    EntityType::NlBsn,
    EntityType::AwsAccessKey,
    EntityType::AwsSecretKey,
    EntityType::ApiKey,
    EntityType::JsonWebToken,
    EntityType::BearerToken,
    EntityType::PrivateKey,
    EntityType::Location,
    EntityType::Organization,
    EntityType::Nrp,
];

impl EntityType {
    /// Every built-in type.
    #[must_use]
    pub fn builtin() -> &'static [EntityType] {
        &BUILTIN
    }

    /// The type's name, as Presidio spells it (`EMAIL_ADDRESS`, `PHONE_NUMBER`, ...).
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::EmailAddress => "EMAIL_ADDRESS",
            Self::PhoneNumber => "PHONE_NUMBER",
            Self::CreditCard => "CREDIT_CARD",
            Self::IbanCode => "IBAN_CODE",
            Self::UsSsn => "US_SSN",
            Self::UsDriverLicense => "US_DRIVER_LICENSE",
            Self::IpAddress => "IP_ADDRESS",
            Self::Url => "URL",
            Self::DomainName => "DOMAIN_NAME",
            Self::DateTime => "DATE_TIME",
            Self::Person => "PERSON",
            Self::StreetAddress => "STREET_ADDRESS",
            Self::ZipCode => "ZIP_CODE",
            Self::UkNino => "UK_NINO",
            Self::UkNhs => "UK_NHS",
            Self::DeTaxId => "DE_TAX_ID",
            Self::FrNir => "FR_NIR",
            Self::EsNif => "ES_NIF",
            Self::EsNie => "ES_NIE",
            Self::ItFiscalCode => "IT_FISCAL_CODE",
            Self::NlBsn => "NL_BSN",
            Self::AwsAccessKey => "AWS_ACCESS_KEY",
            Self::AwsSecretKey => "AWS_SECRET_KEY",
            Self::ApiKey => "API_KEY",
            Self::JsonWebToken => "JSON_WEB_TOKEN",
            Self::BearerToken => "BEARER_TOKEN",
            Self::PrivateKey => "PRIVATE_KEY",
            Self::Location => "LOCATION",
            Self::Organization => "ORGANIZATION",
            Self::Nrp => "NRP",
            Self::Custom(name) => name,
        }
    }

    /// The type named `name` ([`name`](Self::name) of a built-in type), or a
    /// [`Custom`](Self::Custom) type.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a name that is empty or not upper snake case
    /// (`A-Z`, `0-9`, `_`, starting with a letter, at most 64 bytes): such names would
    /// not survive the instance tags and token markers that operators write.
    pub fn from_name(name: &str) -> Result<Self> {
        if let Some(t) = BUILTIN.iter().find(|t| t.name() == name) {
            return Ok(t.clone());
        }
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.as_bytes()[0].is_ascii_uppercase()
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(Error::invalid_argument(format!(
                "entity type name {name:?}: expected upper snake case (A-Z, 0-9, _), 1 to 64 bytes"
            )));
        }
        Ok(Self::Custom(Arc::from(name)))
    }

    /// Index of a built-in type in [`BUILTIN`]; `None` for custom types.
    /// A `match`, not a search: it runs for every candidate the scanner reports.
    pub(crate) fn builtin_index(&self) -> Option<usize> {
        Some(match self {
            Self::EmailAddress => 0,
            Self::PhoneNumber => 1,
            Self::CreditCard => 2,
            Self::IbanCode => 3,
            Self::UsSsn => 4,
            Self::UsDriverLicense => 5,
            Self::IpAddress => 6,
            Self::Url => 7,
            Self::DomainName => 8,
            Self::DateTime => 9,
            Self::Person => 10,
            Self::StreetAddress => 11,
            Self::ZipCode => 12,
            Self::UkNino => 13,
            Self::UkNhs => 14,
            Self::DeTaxId => 15,
            Self::FrNir => 16,
            Self::EsNif => 17,
            Self::EsNie => 18,
            Self::ItFiscalCode => 19,
            Self::NlBsn => 20,
            Self::AwsAccessKey => 21,
            Self::AwsSecretKey => 22,
            Self::ApiKey => 23,
            Self::JsonWebToken => 24,
            Self::BearerToken => 25,
            Self::PrivateKey => 26,
            Self::Location => 27,
            Self::Organization => 28,
            Self::Nrp => 29,
            Self::Custom(_) => return None,
        })
    }
}

impl fmt::Debug for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One piece of personal data found in a text: its type, its span and a score.
///
/// `start..end` are byte offsets into the scanned `&str`, always on character
/// boundaries; [`char_span`](Self::char_span) converts them to offsets in Unicode
/// scalar values (Python string indices).
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// What was found.
    pub entity: EntityType,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Confidence between 0 and 1, after context words were taken into account.
    pub score: f32,
}

impl Finding {
    /// A finding of `entity` at `start..end` with `score` (clamped to `0..=1`).
    #[must_use]
    pub fn new(entity: EntityType, start: usize, end: usize, score: f32) -> Self {
        Self {
            entity,
            start,
            end,
            score: score.clamp(0.0, 1.0),
        }
    }

    /// The found text, or `""` when the span is not a span of `text` (the finding
    /// came from another text).
    #[must_use]
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }

    /// The span as offsets in Unicode scalar values (`chars()`), as Python indexes
    /// strings. Linear in `end`; for many findings of one text use
    /// [`char_spans`](crate::detect::char_spans).
    #[must_use]
    pub fn char_span(&self, text: &str) -> (usize, usize) {
        let start = text.get(..self.start).map_or(0, |s| s.chars().count());
        let len = self.text(text).chars().count();
        (start, start + len)
    }

    /// The number of bytes of the span.
    #[must_use]
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span is empty (never the case for findings of a scanner).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the spans of `self` and `other` share a byte.
    #[must_use]
    pub fn overlaps(&self, other: &Finding) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// The spans of `findings` (sorted by start, as a scanner returns them) as offsets in
/// Unicode scalar values, in one pass over `text`.
#[must_use]
pub fn char_spans(text: &str, findings: &[Finding]) -> Vec<(usize, usize)> {
    // Every byte offset we need, sorted, mapped in one walk.
    let mut offsets: Vec<usize> = findings.iter().flat_map(|f| [f.start, f.end]).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut map = Vec::with_capacity(offsets.len());
    let mut next = offsets.iter().peekable();
    let ends = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()));
    for (chars, i) in ends.enumerate() {
        while let Some(&&o) = next.peek() {
            if o > i {
                break;
            }
            map.push((o, chars));
            next.next();
        }
    }
    let lookup = |o: usize| {
        map.binary_search_by_key(&o, |&(b, _)| b)
            .map_or(0, |i| map[i].1)
    };
    findings
        .iter()
        .map(|f| (lookup(f.start), lookup(f.end)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_index_is_the_position_in_builtin() {
        for (i, e) in BUILTIN.iter().enumerate() {
            assert_eq!(e.builtin_index(), Some(i), "{e:?}");
        }
        assert_eq!(EntityType::Custom(Arc::from("X")).builtin_index(), None);
    }
}
