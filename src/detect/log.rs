//! A `tracing-subscriber` field formatter that redacts personal data in log messages
//! and fields before any writer sees them (feature `tracing`).

use std::fmt::{self, Write as _};
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

use super::redact::Redactor;
use super::scanner::Scanner;

/// What is written instead of a value whose redaction failed (an operator refused it):
/// the value itself is never written.
pub const REDACTION_FAILED: &str = "<REDACTION_FAILED>";

/// Formats the fields of events and spans like `tracing-subscriber`'s default
/// (`message`, then `name=value` pairs), with every value scanned and redacted first.
///
/// Plug it into a `fmt` layer (its full or compact format) with
/// [`fmt_fields`](tracing_subscriber::fmt::Layer::fmt_fields), or use [`layer`]:
///
/// ```
/// use std::sync::Arc;
/// use privkit::detect::{Operator, Redactor, Scanner};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let scanner = Arc::new(Scanner::new()?);
/// let redactor = Arc::new(Redactor::new(Operator::TypeTag)?);
/// let subscriber = tracing_subscriber::registry()
///     .with(privkit::detect::layer(scanner, redactor).with_writer(std::io::sink));
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!(user = "ann@example.com", "login from 203.0.113.7");
///     // written: ... login from <IP_ADDRESS> user="<EMAIL_ADDRESS>"
/// });
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RedactingFields {
    scanner: Arc<Scanner>,
    redactor: Arc<Redactor>,
}

impl RedactingFields {
    /// Fields redacted by `redactor` where `scanner` finds personal data.
    #[must_use]
    pub fn new(scanner: Arc<Scanner>, redactor: Arc<Redactor>) -> Self {
        Self { scanner, redactor }
    }

    fn redact(&self, value: &str) -> String {
        self.redactor
            .redact_text(&self.scanner, value)
            .map_or_else(|_| REDACTION_FAILED.to_owned(), |r| r.text)
    }
}

/// A `tracing-subscriber` `fmt` layer whose fields go through [`RedactingFields`].
#[must_use]
pub fn layer<S>(
    scanner: Arc<Scanner>,
    redactor: Arc<Redactor>,
) -> tracing_subscriber::fmt::Layer<S, RedactingFields>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer().fmt_fields(RedactingFields::new(scanner, redactor))
}

struct Visitor<'a, 'w> {
    fields: &'a RedactingFields,
    writer: &'a mut Writer<'w>,
    result: fmt::Result,
    first: bool,
}

impl Visitor<'_, '_> {
    fn write(&mut self, field: &Field, value: &str, quote: bool) {
        if self.result.is_err() {
            return;
        }
        let redacted = self.fields.redact(value);
        let sep = if self.first { "" } else { " " };
        self.first = false;
        let name = field.name();
        self.result = if name == "message" {
            write!(self.writer, "{sep}{redacted}")
        } else if quote {
            write!(
                self.writer,
                "{sep}{}={redacted:?}",
                name.trim_start_matches("r#")
            )
        } else {
            write!(
                self.writer,
                "{sep}{}={redacted}",
                name.trim_start_matches("r#")
            )
        };
    }
}

impl Visit for Visitor<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write(field, value, field.name() != "message");
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut s = String::new();
        if write!(s, "{value:?}").is_err() {
            s = REDACTION_FAILED.to_owned();
        }
        self.write(field, &s, false);
    }
}

impl<'w> FormatFields<'w> for RedactingFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut v = Visitor {
            fields: self,
            writer: &mut writer,
            result: Ok(()),
            first: true,
        };
        fields.record(&mut v);
        v.result
    }
}
