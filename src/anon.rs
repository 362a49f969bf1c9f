//! k-anonymity engine: tables, generalization hierarchies, privacy models, metrics and an
//! optimal full-domain generalization search, following the ARX Data Anonymization Tool.
//!
//! # Use case
//! Publishing or sharing a table of records about people (a census extract, a clinical data
//! set) so that no record can be singled out by its quasi-identifiers (age, zip code, sex...)
//! and, where required, so that classes do not reveal a sensitive attribute.
//!
//! # About
//! - [`Table`]: records with an [`AttributeRole`] per attribute; every column dictionary-encoded.
//! - [`Hierarchy`]: explicit (ARX's CSV layout `value;level1;...;*`) or built (numeric
//!   intervals, dates, masking, ordered grouping); validated.
//! - [`PrivacyModel`]: k-anonymity; distinct, entropy (Shannon or Grassberger) and
//!   recursive-(c,l) l-diversity; t-closeness with equal, ordered or hierarchical ground distance.
//! - [`Metric`]: non-uniform entropy (monotonic and not), discernibility (monotonic and not),
//!   average equivalence class size, precision, loss — ARX's definitions.
//! - [`AnonymizationConfig`]: one configuration for both algorithms (hierarchies, models,
//!   suppression limit and metric of the search, Mondrian's numeric attributes, relaxed cuts
//!   and threads).
//! - [`Anonymizer`]: full-domain generalization with a record suppression limit; an optimal
//!   search with monotonicity pruning ([`Anonymizer::optimal`]), the exhaustive reference
//!   ([`Anonymizer::exhaustive`]) and a dry run of one level vector ([`Anonymizer::evaluate`]).
//! - [`GroupingEngine`]: the one seam between the search and the records, as in ARX: an engine
//!   receives a [`GroupingPlan`] (the quasi-identifiers' values and generalized codes per
//!   level, the sensitive attributes' histogram cells) and returns [`Groups`].
//!   [`InMemoryEngine`] implements it over a [`Table`]; a query engine implements it over
//!   data described by a [`Profile`] ([`Anonymizer::from_profile`]), as privkit-datafusion
//!   does with GROUP BY queries.
//! - [`Mondrian`]: multidimensional local recoding (LeFevre et al. 2006, strict or relaxed):
//!   numeric quasi-identifiers split at medians into `[lo-hi]` ranges, categorical ones along
//!   their hierarchy; every partition satisfies the models; [`MondrianMetrics`] with the
//!   search's definitions of discernibility, average class size and loss, over the classes as
//!   released (partitions whose generalized values print the same are one class). Compact
//!   `u32` codes, work spread over threads, a [`Progress`] callback and cancellation.
//! - [`RiskSummary`]: sample-based prosecutor, journalist and marketer re-identification risk
//!   (highest, average, records at risk, sample uniques) of any table, before or after.
//!
//! # Errors
//! [`Error::Parse`](crate::Error::Parse) with a line number for malformed CSV or hierarchy
//! files; [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming the offending value
//! for a hierarchy that misses a value of the data, maps a value to two parents or is ragged,
//! and for invalid parameters.
//!
//! # Security
//! k-anonymity and its refinements limit re-identification and attribute disclosure for the
//! chosen quasi-identifiers only; they are not differential privacy. Choosing the
//! quasi-identifiers is the publisher's responsibility. This module is pure computation and
//! uses no cryptography.
//!
//! # Example
//! ```
//! use privkit::anon::{AnonymizationConfig, Anonymizer, AttributeRole, Hierarchy, Metric, PrivacyModel, Table};
//!
//! let table = Table::from_rows(
//!     &["age", "zip", "disease"],
//!     [
//!         ["34", "81675", "flu"], ["36", "81677", "cold"], ["35", "81670", "flu"],
//!         ["52", "81931", "cancer"], ["55", "81934", "flu"], ["58", "81939", "cold"],
//!     ],
//! )?;
//! let mut table = table;
//! table.set_role("age", AttributeRole::QuasiIdentifying)?;
//! table.set_role("zip", AttributeRole::QuasiIdentifying)?;
//! table.set_role("disease", AttributeRole::Sensitive)?;
//! let ages: Vec<&str> = ["34", "36", "35", "52", "55", "58"].to_vec();
//! let zips = ["81675", "81677", "81670", "81931", "81934", "81939"];
//! let config = AnonymizationConfig::new()
//!     .hierarchy("age", Hierarchy::numeric_intervals(&ages, 0, 100, &[10, 50])?)
//!     .hierarchy("zip", Hierarchy::masking(&zips, '*')?)
//!     .model(PrivacyModel::KAnonymity { k: 3 })
//!     .model(PrivacyModel::DistinctLDiversity { attribute: "disease".into(), l: 2 })
//!     .metric(Metric::Loss);
//! let mut anonymizer = Anonymizer::new(&table, &config)?;
//! let result = anonymizer.optimal()?;
//! let optimum = result.optimum.expect("a solution exists");
//! assert!(optimum.anonymous);
//! let output = result.table.expect("table");
//! assert_eq!(output.value(0, "age"), Some("[30, 40)"));
//!
//! // Local recoding of the same table, and the risk it removes.
//! // One configuration type serves both algorithms.
//! use privkit::anon::{Mondrian, RiskSummary};
//! let local = AnonymizationConfig::new()
//!     .hierarchy("zip", Hierarchy::masking(&zips, '*')?)
//!     .numeric("age")
//!     .model(PrivacyModel::KAnonymity { k: 3 });
//! let result = Mondrian::new(&table, &local)?.run()?;
//! assert_eq!(result.table.value(0, "age"), Some("[34-36]"));
//! let before = RiskSummary::of(&table, 0.2)?;
//! let after = RiskSummary::of(&result.table, 0.2)?;
//! assert_eq!((before.prosecutor.highest, after.prosecutor.highest), (1.0, 1.0 / 3.0));
//! # Ok::<(), privkit::Error>(())
//! ```

mod anonymizer;
mod config;
mod grouping;
mod hierarchy;
mod lattice;
mod metric;
mod model;
mod mondrian;
mod profile;
mod result;
mod risk;
mod search;
mod table;
pub(crate) mod text;

pub use anonymizer::Anonymizer;
#[allow(deprecated)]
pub use config::{AnonymizationConfig, MondrianConfig};
pub use grouping::{GroupingEngine, GroupingPlan, Groups, InMemoryEngine};
pub use hierarchy::{DateLevel, Hierarchy};
pub use metric::{Metric, Metrics};
pub use model::{EmdDistance, EntropyEstimator, PrivacyModel};
pub use mondrian::{Mondrian, MondrianMetrics, MondrianResult, Progress};
pub use profile::{AttributeProfile, Profile};
pub use result::{Anonymization, ClassStatistics, Evaluation};
pub use risk::{AttackerRisk, RiskSummary};
pub use table::{AttributeRole, Table};
