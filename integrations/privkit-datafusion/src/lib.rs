//! privkit inside Apache DataFusion: pseudonymization, encryption, generalization and the
//! detection and redaction of personal data in text as SQL functions, and the k-anonymity
//! search over any DataFusion table, on one machine or on an Apache Ballista cluster.
//!
//! This crate versions on its own and follows DataFusion's releases (DataFusion 55; Rust 1.94);
//! it uses only the public API of [`privkit`].
//!
//! # Use case
//! Pseudonymize, tokenize, encrypt or anonymize tables too large for one process's memory
//! (Parquet files, a lake, a cluster): the query engine streams, parallelizes and spills;
//! privkit supplies the transforms and the search, with the same results as its in-memory
//! APIs.
//!
//! # About
//! [`PrivkitRegistry`] holds named objects the application builds in Rust (keyed
//! pseudonymizers, tokenizers, FF1 ciphers, hierarchies, keysets) and registers them with a
//! `SessionContext` as scalar functions, vectorized over Arrow arrays:
//!
//! | SQL | privkit | returns |
//! |---|---|---|
//! | `privkit_pseudonymize('name', value)` | [`KeyedPseudonymizer::pseudonymize`](privkit::pseudonym::KeyedPseudonymizer::pseudonymize) | text |
//! | `privkit_tokenize('name', value)` / `privkit_detokenize('name', token)` | [`Tokenizer`](privkit::pseudonym::Tokenizer) (AES-SIV) | text |
//! | `privkit_ff1_encrypt('name', value)` / `privkit_ff1_decrypt('name', value)` | [`FormatPreserving`](privkit::pseudonym::FormatPreserving) | text |
//! | `privkit_mask_keep(value, first, last)`, `privkit_mask_email(value)`, `privkit_mask_phone(value, keep)` | [`mask_keep`](privkit::pseudonym::mask_keep), ... | text |
//! | `privkit_generalize('hierarchy', value, level)` | [`Hierarchy::generalize`](privkit::anon::Hierarchy::generalize) | text |
//! | `privkit_encrypt('keyset', value, 'label', column, ...)` | [`Keyset::encrypt`](privkit::keyset::Keyset::encrypt) with [`Aad`](privkit::keyset::Aad) `label = column` pairs | binary |
//! | `privkit_decrypt('keyset', ciphertext, 'label', column, ...)` | [`Keyset::decrypt`](privkit::keyset::Keyset::decrypt) | binary |
//! | `privkit_detect(text[, 'ENTITY_TYPE']...)` | [`Scanner::scan`](privkit::detect::Scanner::scan) | `List<Struct<entity_type: Utf8, start: Int64, end: Int64, score: Float32>>` |
//! | `privkit_redact(text[, 'ENTITY_TYPE']...)` | [`Redactor::redact`](privkit::detect::Redactor::redact) of the scanner's findings | text |
//! | `privkit_code(value, values, codes)` | the code of `value` in the sorted text list `values`, mapped through the list `codes` (what [`DataFusionEngine`] groups by) | `UInt32` |
//!
//! Values that are not text are cast to text first (`CAST(x AS VARCHAR)`); `NULL` gives
//! `NULL`. `privkit_encrypt` of a text value gives the ciphertext of
//! [`Encrypted<String>`](privkit::keyset::Encrypted); the associated data of each row is
//! `Aad::new().with(label, text of column)...` in argument order.
//!
//! [`DataFusionEngine`] implements the core's [`GroupingEngine`](privkit::anon::GroupingEngine)
//! contract: it profiles the table (one `GROUP BY` per attribute used), lets
//! [`Anonymizer::from_profile`](privkit::anon::Anonymizer::from_profile) compile the
//! configuration into a [`GroupingPlan`](privkit::anon::GroupingPlan), and evaluates each
//! transformation as one `GROUP BY` over `privkit_code(quasi-identifier, values, codes)` per
//! quasi-identifier (and per sensitive attribute for l-diversity and t-closeness), counting
//! records. [`DataFusionEngine::anonymizer`] runs the in-memory engine's optimal search, with
//! the same pruning, over any table of a session: Parquet files are streamed, and a session
//! with a memory-limited runtime bounds the aggregation's memory (the tests run the search
//! through an 8 MiB pool; they do not show a spill). The anonymizer holds only the distinct
//! values of the attributes used and the classes of a transformation.
//!
//! # Finding personal data in text columns
//! [`PrivkitRegistry::with_detection`] takes a [`Scanner`](privkit::detect::Scanner)
//! (which types, which recognizers, the score threshold) and a
//! [`Redactor`](privkit::detect::Redactor) (an [`Operator`](privkit::detect::Operator)
//! per type: type tag, instance tag, mask, keyed pseudonym, token, FF1), both configured in
//! Rust, and registers two functions over `Utf8`, `LargeUtf8` and `Utf8View` columns
//! (other types are cast to text; `NULL` gives `NULL`). Each row is one document.
//!
//! - `privkit_detect(text)` returns the row's findings, as [`Scanner::scan`](privkit::detect::Scanner::scan)
//!   reports them (sorted by start, never overlapping), as a list of structs:
//!   `entity_type` (the [`EntityType`](privkit::detect::EntityType) name, `EMAIL_ADDRESS`,
//!   `PERSON`, ...), `start` and `end` in Unicode scalar values from 0, end exclusive (as
//!   Python indexes strings; `substr(text, start + 1, end - start)` is the value), and
//!   `score`. A row without findings gives an empty list. To filter, unnest the list and read
//!   the fields with `get_field`:
//!   ```sql
//!   SELECT id, get_field(f, 'entity_type') AS t, get_field(f, 'score') AS score
//!   FROM (SELECT id, unnest(privkit_detect(note)) AS f FROM tickets)
//!   WHERE get_field(f, 'entity_type') = 'EMAIL_ADDRESS'
//!   ```
//!   (`f['entity_type']` and `cardinality(privkit_detect(note))` need DataFusion's
//!   `nested_expressions` feature, which this crate does not turn on for you.)
//! - `privkit_redact(text)` returns the text with every finding replaced by the
//!   redactor's operators ([`Redactor::redact`](privkit::detect::Redactor::redact)).
//! - Entity-type arguments keep only the findings of those types, chosen among the
//!   scanner's findings after overlaps are resolved: `privkit_redact(note, 'EMAIL_ADDRESS')`
//!   replaces e-mail addresses and leaves names. Each must be a string literal naming a type
//!   the scanner reports ([`Scanner::detects`](privkit::detect::Scanner::detects)).
//!
//! ```
//! use std::sync::Arc;
//! use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray};
//! use datafusion::arrow::datatypes::{DataType, Field, Schema};
//! use datafusion::prelude::SessionContext;
//! use privkit::detect::{EntityType, Operator, Redactor, Scanner};
//! use privkit_datafusion::PrivkitRegistry;
//!
//! let redactor = Redactor::new(Operator::TypeTag)?
//!     .with(EntityType::CreditCard, Operator::Mask { keep_last: 4 });
//! let ctx = SessionContext::new();
//! PrivkitRegistry::new()
//!     .with_detection(Scanner::new()?, redactor)
//!     .register(&ctx);
//! let schema = Arc::new(Schema::new(vec![Field::new("note", DataType::Utf8, true)]));
//! let notes = StringArray::from(vec![
//!     Some("Card 4111 1111 1111 1111, mail ann@example.com"),
//!     None,
//! ]);
//! ctx.register_batch("tickets", RecordBatch::try_new(schema, vec![Arc::new(notes)])?)?;
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! let rows = runtime.block_on(async {
//!     ctx.sql("SELECT privkit_redact(note), privkit_detect(note, 'EMAIL_ADDRESS') FROM tickets")
//!         .await?
//!         .collect()
//!         .await
//! })?;
//! let redacted = rows[0].column(0).as_string::<i32>();
//! assert_eq!(redacted.value(0), "Card ***************1111, mail <EMAIL_ADDRESS>");
//! assert!(redacted.is_null(1));
//! let found = rows[0].column(1).as_list::<i32>().value(0);
//! let found = found.as_struct();
//! assert_eq!(found.len(), 1);
//! assert_eq!(found.column_by_name("entity_type").expect("a field").as_string::<i32>().value(0), "EMAIL_ADDRESS");
//!
//! // A type that is not an entity type fails when the query is planned.
//! assert!(runtime.block_on(ctx.sql("SELECT privkit_detect(note, 'E-MAIL') FROM tickets")).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # On a Ballista cluster
//! Apache Ballista serializes plans and resolves scalar functions by name in every process
//! that plans or runs them. Build a [`PrivkitRegistry`] in each of them (same names, key
//! material from the same key source: each process must hold it) and add its
//! [`udfs`](PrivkitRegistry::udfs) to the client's session (after
//! `SessionContext::remote_with_state`, which replaces the state's functions by Ballista's),
//! to the state the scheduler's session builder returns, and to every executor's function
//! registry (`BallistaFunctionRegistry::scalar_functions`). `privkit_code` carries its lookup data in the plan, as
//! literal arguments: an executor needs nothing but the registered function to run any
//! search, so [`DataFusionEngine::anonymizer`] works unchanged on a remote session. The test
//! `tests/ballista.rs` starts a scheduler and two executors on loopback and checks
//! pseudonymization and the k-anonymity search over a partitioned Parquet table against the
//! in-memory API.
//!
//! # Errors
//! - Planning errors (from `SessionContext::sql`, before any row is read): a name that is
//!   not registered for the function, a name or label that is not a string literal, a
//!   level, mask length or keep count that is not a non-negative integer literal, a level
//!   beyond the hierarchy, the wrong number of arguments, `privkit_code` lists that are not
//!   literals of equal length or not sorted, an entity-type argument of `privkit_detect` or
//!   `privkit_redact` that is not a string literal, not an entity-type name or not reported
//!   by the registered scanner, and those two functions when no
//!   [`with_detection`](PrivkitRegistry::with_detection) was registered.
//! - Execution errors carry the [`Error`](privkit::Error) of the in-memory API
//!   (`DataFusionError::External`): a token that does not authenticate, an FF1 value outside
//!   the alphabet, a value missing from a hierarchy, a NULL associated-data column, an
//!   operator of `privkit_redact` that refuses a value
//!   ([`Error::Field`](privkit::Error::Field): FF1 on letters).
//!   [`to_privkit_error`] unwraps them again.
//! - [`DataFusionEngine::anonymizer`] and the search return
//!   [`Error::InvalidArgument`](privkit::Error::InvalidArgument) for unknown tables or
//!   attributes and NULL values, and what [`Anonymizer::new`](privkit::anon::Anonymizer::new)
//!   refuses.
//!
//! # Security
//! Key material never appears in SQL: a query names a registered object, and whoever can
//! run queries on a session can use every object registered with it (register per tenant or
//! per role). Error messages may quote a value that failed (as the in-memory APIs do); keep
//! query logs as sensitive as the data. The search's plans carry the distinct values of the
//! quasi-identifiers and sensitive attributes as literals: on a cluster they cross the
//! network between client, scheduler and executors like the data itself, so protect those
//! links (TLS) as you protect the data. Detection is a safety net, not a guarantee
//! (the `detect` module's Security section): treat `privkit_redact`'s output as possibly
//! still personal data. `privkit_detokenize` and `privkit_decrypt` reverse
//! the protection: register them only in sessions that may see the original values.
//! Everything in the `pseudonym` and `anon` modules' Security sections applies unchanged.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use datafusion::arrow::array::{Array, RecordBatch, StringArray};
//! use datafusion::arrow::datatypes::{DataType, Field, Schema};
//! use datafusion::prelude::SessionContext;
//! use privkit::anon::{AnonymizationConfig, AttributeRole, Hierarchy, PrivacyModel};
//! use privkit::pseudonym::{KeyRing, KeyedConfig, KeyedPseudonymizer, RootKey};
//! use privkit::secret::SecretBytes;
//! use privkit_datafusion::{DataFusionEngine, PrivkitRegistry};
//!
//! let keys = KeyRing::new(RootKey::new(1, &SecretBytes::random(32)?)?);
//! let emails = KeyedPseudonymizer::new(keys.primary(), "email", KeyedConfig::default())?;
//! let ages = ["34", "36", "35", "52", "55", "58"];
//! let age = Hierarchy::numeric_intervals(&ages, 0, 100, &[10, 50])?;
//!
//! let ctx = SessionContext::new();
//! PrivkitRegistry::new()
//!     .with_pseudonymizer("email", emails.clone())?
//!     .with_hierarchy("age", age.clone())?
//!     .register(&ctx);
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("email", DataType::Utf8, false),
//!     Field::new("age", DataType::Utf8, false),
//! ]));
//! let batch = RecordBatch::try_new(schema, vec![
//!     Arc::new(StringArray::from(vec!["a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org", "f@x.org"])),
//!     Arc::new(StringArray::from(ages.to_vec())),
//! ])?;
//! ctx.register_batch("people", batch)?;
//!
//! // SQL: a pseudonym and a generalized age per row.
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! let rows = runtime.block_on(async {
//!     ctx.sql("SELECT privkit_pseudonymize('email', email) AS p, \
//!              privkit_generalize('age', age, 1) AS a FROM people")
//!         .await?
//!         .collect()
//!         .await
//! })?;
//! let p = rows[0].column(0).as_any().downcast_ref::<StringArray>().expect("text");
//! assert_eq!(p.value(0), emails.pseudonymize("a@x.org"));
//!
//! // Unknown names fail when the query is planned.
//! assert!(runtime.block_on(ctx.sql("SELECT privkit_pseudonymize('nope', email) FROM people")).is_err());
//!
//! // The optimal k-anonymity search, evaluated by GROUP BY queries on the session's table.
//! let config = AnonymizationConfig::new()
//!     .hierarchy("age", age)
//!     .model(PrivacyModel::KAnonymity { k: 3 });
//! let mut anonymizer = DataFusionEngine::anonymizer(
//!     &ctx, "people", &[("age", AttributeRole::QuasiIdentifying)], &config)?;
//! let optimum = anonymizer.optimal()?.optimum.expect("a solution");
//! assert_eq!(optimum.levels, vec![1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod code;
mod detect;
mod engine;
mod registry;
mod udf;

pub use engine::DataFusionEngine;
pub use registry::PrivkitRegistry;

/// A DataFusion error as a privkit error: the privkit error raised inside a function is
/// returned as is; planning errors (an unknown table or column) become
/// [`Error::InvalidArgument`](privkit::Error::InvalidArgument), I/O errors
/// [`Error::Io`](privkit::Error::Io) and the rest
/// [`Error::InvalidOperation`](privkit::Error::InvalidOperation).
///
/// (A `From` impl is not possible outside the core crate; use
/// `.map_err(to_privkit_error)`.)
#[must_use]
pub fn to_privkit_error(e: datafusion::error::DataFusionError) -> privkit::Error {
    engine::from_datafusion(e)
}
