//! Finding personal data in text and logs, and redacting it.
//!
//! # Use case
//! A service knows the personal data in its own columns; it does not know the e-mail
//! address a customer pasted into a support ticket, the card number in a log line, the
//! name in a free-text note. [`Scanner`] finds them in `&str`, in streams of any size
//! ([`Scanner::scan_reader`]), in JSON documents (`scan_json`, feature `json`) and in
//! `tracing` events before any writer sees them ([`RedactingFields`], feature
//! `tracing`); [`Redactor`] replaces what was found, reusing `pseudonym`'s operators.
//! That is where data minimization and breach scoping start.
//!
//! # How it works
//! - **Two passes for every built-in type.** One byte loop finds the most frequent
//!   *candidates* (digit runs, capitalized words, street names glued to their type before
//!   a number), and a single multi-pattern regex (regex-automata's meta engine: lazy DFA,
//!   no backtracking) the other shapes of about twenty: e-mail, URL, IBAN-like and ID-like
//!   tokens, key prefixes, month names. Each candidate goes to the validator of its shape
//!   only: Luhn and issuer ranges for cards, mod-97 and per-country length for IBANs,
//!   the SSA rules for SSNs, libphonenumber's metadata (number-type patterns per region, compiled once)
//!   for phone numbers, check digits for NHS, BSN, Steuer-ID, NIR, DNI/NIE and codice fiscale, the
//!   US Census name lists and GeoNames places for names and locations, street-type words
//!   and house numbers for addresses, company legal forms (cleanco) and organization
//!   words for organizations, demonyms and language names (world-countries) for NRP.
//!   Names in no list are found by the words that introduce them ("My name is", "Dear")
//!   and around middle initials; organizations by cue words ("work for", "office"). A
//!   possessive is looked up as its name ("John's"); a contraction ("I'm", "It's") is
//!   never a name, place or organization. Validators look a bounded distance around their
//!   candidate, so the whole scan is linear in the text.
//! - **Context.** Words shortly before (or after) a finding raise its score by 0.35, to
//!   at least 0.4, as Presidio's context enhancer does: "card 4111…", "NHS no.
//!   943 476 5919", "ZIP 94103". Types that are only numbers (BSN, NHS, Steuer-ID,
//!   postcodes, driver's licenses, bare 9-digit SSNs) score below the default threshold
//!   ([`DEFAULT_MIN_SCORE`]) unless context is present.
//! - **Overlaps** are resolved deterministically: the higher score wins, then the
//!   longer span, then the earlier start, then the type's order in [`EntityType`].
//!   Findings are sorted by start and never overlap; spans are byte offsets on
//!   character boundaries ([`char_spans`] converts to Unicode scalar offsets).
//! - **Your recognizers** implement [`Recognizer`] (an ML model, a dictionary) or are a
//!   [`PatternRecognizer`] (a customer-id pattern with a validator and context words),
//!   added per scanner with [`ScannerBuilder::recognizer`]; there is no global
//!   registry.
//! - **Operators** ([`Operator`]): remove, replace, type tag (`<EMAIL_ADDRESS>`),
//!   instance tag (`<PERSON_1>`, per document or per redactor), mask keeping the last
//!   characters, keyed pseudonym, reversible AES-SIV token in a findable marker
//!   (`[pk:EMAIL_ADDRESS:…]`, [`Redactor::restore_tokens`]), FF1 keeping the format of
//!   cards and phone numbers ([`Redactor::restore`]). By default every other occurrence
//!   of a redacted value is replaced too ([`Redactor::all_occurrences`]).
//!
//! Types reported, with Presidio's names: see [`EntityType`] (`EMAIL_ADDRESS`,
//! `PHONE_NUMBER`, `CREDIT_CARD`, `IBAN_CODE`, `US_SSN`, `US_DRIVER_LICENSE`,
//! `IP_ADDRESS`, `URL`, `DOMAIN_NAME`, `DATE_TIME`, `PERSON`, `STREET_ADDRESS`,
//! `ZIP_CODE`, `LOCATION`, `UK_NINO`, `UK_NHS`, `DE_TAX_ID`, `FR_NIR`, `ES_NIF`, `ES_NIE`,
//! `IT_FISCAL_CODE`, `NL_BSN`, `AWS_ACCESS_KEY`, `AWS_SECRET_KEY`, `API_KEY`,
//! `JSON_WEB_TOKEN`, `BEARER_TOKEN`, `PRIVATE_KEY`, `ORGANIZATION`, `NRP`).
//!
//! # Errors
//! Scanning text never fails. Building fails with
//! [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a pattern that does
//! not compile, a score outside `0..=1` or an unknown phone region. Redaction fails with
//! [`Error::Field`](crate::Error::Field) naming the type whose operator refused a value
//! (FF1 on letters), [`Error::DecryptionFailed`](crate::Error::DecryptionFailed) for a
//! token that does not authenticate when restoring. Streams fail with
//! [`Error::Parse`](crate::Error::Parse) naming the line of invalid UTF-8, and
//! [`Error::Io`](crate::Error::Io).
//!
//! # Security
//! Detection is a safety net, not a guarantee: it misses what it has no pattern,
//! checksum or word list for (names from outside the lists without context, free-form
//! addresses, identifiers of countries not covered, data split across fields or
//! encoded), and it reports some false positives. `docs/SECURITY.md` ("What detection
//! can miss") lists the known gaps. Treat redacted text as still possibly personal
//! data. Every pattern runs in linear time, so hostile input cannot make a scan slow
//! out of proportion to its size; spans are always on character boundaries.
//! Tokens and FF1 are reversible by whoever holds the root key; instance tags and
//! keyed pseudonyms are consistent, which links records by value.
//!
//! # Example
//! ```
//! use privkit::detect::{EntityType, Operator, Redactor, Scanner};
//!
//! let scanner = Scanner::new()?;
//! let text = "Ticket from Maria Garcia <maria.garcia@example.com>, card 4111 1111 1111 1111";
//! let found = scanner.scan(text);
//! let types: Vec<&str> = found.iter().map(|f| f.entity.name()).collect();
//! assert_eq!(types, ["PERSON", "EMAIL_ADDRESS", "CREDIT_CARD"]);
//! assert_eq!(found[1].text(text), "maria.garcia@example.com");
//!
//! let redactor = Redactor::new(Operator::InstanceTag)?
//!     .with(EntityType::CreditCard, Operator::Mask { keep_last: 4 });
//! let out = redactor.redact(text, &found)?;
//! assert_eq!(
//!     out.text,
//!     "Ticket from <PERSON_1> <<EMAIL_ADDRESS_1>>, card ***************1111"
//! );
//! # Ok::<(), privkit::Error>(())
//! ```

mod builtin;
mod checksum;
mod entity;
mod gazetteer;
#[cfg(feature = "json")]
mod json;
#[cfg(feature = "tracing")]
mod log;
mod phone;
mod redact;
mod scanner;
mod stream;
mod text;

pub use entity::{EntityType, Finding, char_spans};
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use json::{JsonFinding, MAX_JSON_DEPTH};
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use log::{REDACTION_FAILED, RedactingFields, layer};
pub use redact::{
    MAX_REMEMBERED_VALUES, Operator, Redacted, RedactedItem, Redactor, TOKEN_MARKER, TagScope,
};
pub use scanner::{
    DEFAULT_MIN_SCORE, DEFAULT_PHONE_REGIONS, PatternRecognizer, Recognizer, Scanner,
    ScannerBuilder,
};
pub use stream::StreamFinding;
