//! privkit inside Apache DataFusion: pseudonymization, encryption and generalization as SQL
//! functions, and the k-anonymity search over any DataFusion table (`datafusion` feature).
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
//! | `privkit_pseudonymize('name', value)` | [`KeyedPseudonymizer::pseudonymize`](crate::pseudonym::KeyedPseudonymizer::pseudonymize) | text |
//! | `privkit_tokenize('name', value)` / `privkit_detokenize('name', token)` | [`Tokenizer`](crate::pseudonym::Tokenizer) (AES-SIV) | text |
//! | `privkit_ff1_encrypt('name', value)` / `privkit_ff1_decrypt('name', value)` | [`FormatPreserving`](crate::pseudonym::FormatPreserving) | text |
//! | `privkit_mask_keep(value, first, last)`, `privkit_mask_email(value)`, `privkit_mask_phone(value, keep)` | [`mask_keep`](crate::pseudonym::mask_keep), ... | text |
//! | `privkit_generalize('hierarchy', value, level)` | [`Hierarchy::generalize`](crate::anon::Hierarchy::generalize) | text |
//! | `privkit_encrypt('keyset', value, 'label', column, ...)` | [`Keyset::encrypt`](crate::envelope::Keyset::encrypt) with [`Aad`](crate::envelope::Aad) `label = column` pairs | binary |
//! | `privkit_decrypt('keyset', ciphertext, 'label', column, ...)` | [`Keyset::decrypt`](crate::envelope::Keyset::decrypt) | binary |
//!
//! Values that are not text are cast to text first (`CAST(x AS VARCHAR)`); `NULL` gives
//! `NULL`. `privkit_encrypt` of a text value gives the ciphertext of
//! [`Encrypted<String>`](crate::envelope::Encrypted); the associated data of each row is
//! `Aad::new().with(label, text of column)...` in argument order.
//!
//! [`DataFusionEngine`] implements the [`GroupingEngine`](crate::anon::GroupingEngine) seam of
//! the k-anonymity search: each transformation is a GROUP BY over the generalized
//! quasi-identifiers (joined with small tables of generalized codes), counting records and,
//! for l-diversity and t-closeness, sensitive values per class. [`DataFusionEngine::anonymizer`]
//! runs the in-memory engine's optimal search, with the same pruning, over any table of a
//! session: Parquet files are streamed, and a session with a memory-limited runtime bounds the
//! aggregation's memory (DataFusion spills grouped aggregations to disk; the tests run the
//! search through an 8 MiB pool, they do not show a spill). The anonymizer holds only the
//! distinct values of the attributes used and the classes of a transformation.
//!
//! # Errors
//! - Planning errors (from `SessionContext::sql`, before any row is read): a name that is
//!   not registered for the function, a name or label that is not a string literal, a
//!   level, mask length or keep count that is not a non-negative integer literal, a level
//!   beyond the hierarchy, the wrong number of arguments.
//! - Execution errors carry the [`Error`](crate::Error) of the in-memory API
//!   (`DataFusionError::External`): a token that does not authenticate, an FF1 value outside
//!   the alphabet, a value missing from a hierarchy, a NULL associated-data column.
//!   `From<DataFusionError> for privkit::Error` unwraps them again.
//! - [`DataFusionEngine::anonymizer`] and the search return
//!   [`Error::InvalidArgument`](crate::Error::InvalidArgument) for unknown tables or
//!   attributes and NULL quasi-identifiers, and what [`Anonymizer::new`](crate::anon::Anonymizer::new) refuses.
//!
//! # Security
//! Key material never appears in SQL: a query names a registered object, and whoever can
//! run queries on a session can use every object registered with it (register per tenant or
//! per role). Error messages may quote a value that failed (as the in-memory APIs do); keep
//! query logs as sensitive as the data. `privkit_detokenize` and `privkit_decrypt` reverse
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
//! use privkit::datafusion::{DataFusionEngine, PrivkitRegistry};
//! use privkit::pseudonym::{KeyRing, KeyedConfig, KeyedPseudonymizer, RootKey};
//! use privkit::secret::SecretBytes;
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
//! ]).map_err(datafusion::error::DataFusionError::from)?;
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
//! # Ok::<(), privkit::Error>(())
//! ```

mod engine;
mod registry;
mod udf;

pub use engine::DataFusionEngine;
pub use registry::PrivkitRegistry;

impl From<::datafusion::error::DataFusionError> for crate::Error {
    /// Unwraps a privkit error raised inside a query; maps planning errors to
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument), I/O errors to
    /// [`Error::Io`](crate::Error::Io) and the rest to
    /// [`Error::InvalidOperation`](crate::Error::InvalidOperation).
    fn from(e: ::datafusion::error::DataFusionError) -> Self {
        engine::from_datafusion(e)
    }
}
