//! The registry of named keys, pseudonymizers and hierarchies the SQL functions refer to.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;

use privkit::anon::Hierarchy;
use privkit::detect::{Redactor, Scanner};
use privkit::keyset::Keyset;
use privkit::pseudonym::{FormatPreserving, KeyedPseudonymizer, Tokenizer};
use privkit::{Error, Result};

use crate::code::CodeUdf;
use crate::detect::{DetectKind, DetectUdf, Detection};
use crate::udf::{Kind, PrivkitUdf};

/// What the functions look up by name; shared (behind an `Arc`) by every function of one
/// registration.
#[derive(Debug, Default)]
pub(crate) struct Entries {
    pub(crate) pseudonymizers: BTreeMap<String, KeyedPseudonymizer>,
    pub(crate) tokenizers: BTreeMap<String, Tokenizer>,
    pub(crate) format_preserving: BTreeMap<String, FormatPreserving>,
    pub(crate) hierarchies: BTreeMap<String, Hierarchy>,
    pub(crate) keysets: BTreeMap<String, Keyset>,
}

/// Named pseudonymizers, tokenizers, FF1 ciphers, hierarchies and keysets, and a detection
/// scanner and redactor, built in Rust by the application and registered with a DataFusion
/// session as the `privkit_*` SQL functions.
///
/// SQL names the objects by string literal (`privkit_pseudonymize('email', email)`); key
/// material never appears in a query. Each kind has its own namespace. A name that is not
/// registered, or a literal argument out of range, fails when the query is planned.
#[derive(Debug, Default)]
pub struct PrivkitRegistry {
    entries: Entries,
    detection: Option<Detection>,
}

fn check_name(name: &str) -> Result<String> {
    if name.is_empty() {
        return Err(Error::InvalidArgument(
            "a registry name must not be empty".into(),
        ));
    }
    Ok(name.to_owned())
}

impl PrivkitRegistry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the keyed pseudonymizer used by `privkit_pseudonymize(name, value)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name.
    pub fn with_pseudonymizer(mut self, name: &str, p: KeyedPseudonymizer) -> Result<Self> {
        self.entries.pseudonymizers.insert(check_name(name)?, p);
        Ok(self)
    }

    /// Registers the tokenizer used by `privkit_tokenize(name, value)` and
    /// `privkit_detokenize(name, token)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name.
    pub fn with_tokenizer(mut self, name: &str, t: Tokenizer) -> Result<Self> {
        self.entries.tokenizers.insert(check_name(name)?, t);
        Ok(self)
    }

    /// Registers the FF1 cipher used by `privkit_ff1_encrypt(name, value)` and
    /// `privkit_ff1_decrypt(name, value)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name.
    pub fn with_format_preserving(mut self, name: &str, f: FormatPreserving) -> Result<Self> {
        self.entries.format_preserving.insert(check_name(name)?, f);
        Ok(self)
    }

    /// Registers the hierarchy used by `privkit_generalize(name, value, level)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name.
    pub fn with_hierarchy(mut self, name: &str, h: Hierarchy) -> Result<Self> {
        self.entries.hierarchies.insert(check_name(name)?, h);
        Ok(self)
    }

    /// Registers the keyset used by `privkit_encrypt(name, value, label, column, ...)` and
    /// `privkit_decrypt(name, ciphertext, label, column, ...)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name.
    pub fn with_keyset(mut self, name: &str, k: Keyset) -> Result<Self> {
        self.entries.keysets.insert(check_name(name)?, k);
        Ok(self)
    }

    /// Registers `privkit_detect(text[, 'ENTITY_TYPE']...)` and
    /// `privkit_redact(text[, 'ENTITY_TYPE']...)` over `scanner` (what is found) and
    /// `redactor` (what replaces it, an [`Operator`](privkit::detect::Operator) per type).
    /// Without this call the two functions are not registered. A second call replaces
    /// the first.
    ///
    /// Each row is one document: with [`TagScope::Document`](privkit::detect::TagScope)
    /// instance tags restart at `<PERSON_1>` in every row; with
    /// [`TagScope::Redactor`](privkit::detect::TagScope) they last for the registration,
    /// and which value gets which number depends on the order in which the engine's
    /// partitions run.
    #[must_use]
    pub fn with_detection(mut self, scanner: Scanner, redactor: Redactor) -> Self {
        self.detection = Some(Detection { scanner, redactor });
        self
    }

    /// The `privkit_*` scalar functions over this registry (and `privkit_code`, which the
    /// k-anonymity search groups by; `privkit_detect` and `privkit_redact` after
    /// [`with_detection`](Self::with_detection)), for a `SessionStateBuilder::with_scalar_functions`, a
    /// Ballista scheduler's session builder or an executor's function registry.
    #[must_use]
    pub fn udfs(self) -> Vec<Arc<ScalarUDF>> {
        let entries = Arc::new(self.entries);
        let detection = self.detection.map(Arc::new);
        let detect = detection.iter().flat_map(|d| {
            DetectKind::ALL.iter().map(|&kind| {
                Arc::new(ScalarUDF::new_from_impl(DetectUdf::new(
                    kind,
                    Arc::clone(d),
                )))
            })
        });
        Kind::ALL
            .iter()
            .map(|&kind| {
                Arc::new(ScalarUDF::new_from_impl(PrivkitUdf::new(
                    kind,
                    Arc::clone(&entries),
                )))
            })
            .chain([Arc::new(ScalarUDF::new_from_impl(CodeUdf::new()))])
            .chain(detect)
            .collect()
    }

    /// Registers the `privkit_*` functions with `ctx` (replacing any of the same name).
    pub fn register(self, ctx: &SessionContext) {
        for udf in self.udfs() {
            ctx.register_udf(udf.as_ref().clone());
        }
    }

    /// Registers the `privkit_*` functions with any DataFusion function registry (a
    /// `SessionState`, such as the one a Ballista scheduler's session builder returns).
    /// Ballista's executor registry (`BallistaFunctionRegistry`) refuses registration: insert
    /// [`udfs`](Self::udfs) into its `scalar_functions` map by name instead.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] when the registry refuses a function.
    pub fn register_with(self, registry: &mut dyn FunctionRegistry) -> Result<()> {
        for udf in self.udfs() {
            registry
                .register_udf(udf)
                .map_err(|e| Error::InvalidOperation(format!("registering a function: {e}")))?;
        }
        Ok(())
    }
}
