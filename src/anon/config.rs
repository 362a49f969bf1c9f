//! The one configuration of an anonymization, shared by the lattice search and Mondrian.

use super::hierarchy::Hierarchy;
use super::metric::Metric;
use super::model::PrivacyModel;
use crate::{Error, Result};

/// What to protect and how, for both algorithms: the hierarchies of the quasi-identifiers, the
/// privacy models, and each algorithm's own knobs.
///
/// | setting | [`Anonymizer`](super::Anonymizer) (lattice search) | [`Mondrian`](super::Mondrian) |
/// |---|---|---|
/// | [`hierarchy`](Self::hierarchy) | required for every quasi-identifier | splits categorical quasi-identifiers along it |
/// | [`model`](Self::model) | at least one | at least one |
/// | [`suppression_limit`](Self::suppression_limit) | records that may be suppressed | never suppresses (0 records, within any limit) |
/// | [`metric`](Self::metric) | minimized | not used: every metric is reported |
/// | [`numeric`](Self::numeric) | not used: the hierarchy generalizes | split at medians into ranges |
/// | [`relaxed`](Self::relaxed) | not used | relaxed or strict cuts |
/// | [`threads`](Self::threads) | not used (one thread) | threads for splitting |
///
/// One configuration can therefore run both algorithms on the same data, as ARX's
/// `ARXConfiguration` does.
#[derive(Debug, Clone)]
pub struct AnonymizationConfig {
    pub(crate) hierarchies: Vec<(String, Hierarchy)>,
    pub(crate) models: Vec<PrivacyModel>,
    pub(crate) suppression_limit: f64,
    pub(crate) metric: Metric,
    pub(crate) numeric: Vec<String>,
    pub(crate) relaxed: bool,
    pub(crate) threads: usize,
}

/// The former name of Mondrian's configuration, now the shared [`AnonymizationConfig`].
#[deprecated(
    since = "0.1.0",
    note = "Mondrian and the lattice search share `AnonymizationConfig`"
)]
pub type MondrianConfig = AnonymizationConfig;

impl Default for AnonymizationConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl AnonymizationConfig {
    /// No models, no suppression, [`Metric::Entropy`], strict Mondrian on all available cores.
    #[must_use]
    pub fn new() -> Self {
        Self {
            hierarchies: Vec::new(),
            models: Vec::new(),
            suppression_limit: 0.0,
            metric: Metric::Entropy,
            numeric: Vec::new(),
            relaxed: false,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }

    /// Sets the hierarchy of `attribute` (a quasi-identifier, or a sensitive attribute used by
    /// hierarchical t-closeness), replacing an earlier one. Mondrian splits categorical
    /// quasi-identifiers along its children.
    #[must_use]
    pub fn hierarchy(mut self, attribute: impl Into<String>, hierarchy: Hierarchy) -> Self {
        let attribute = attribute.into();
        self.hierarchies.retain(|(a, _)| *a != attribute);
        self.hierarchies.push((attribute, hierarchy));
        self
    }

    /// Adds a privacy model every equivalence class must satisfy.
    #[must_use]
    pub fn model(mut self, model: PrivacyModel) -> Self {
        self.models.push(model);
        self
    }

    /// The largest fraction of records the lattice search may suppress, in `[0, 1]`.
    #[must_use]
    pub fn suppression_limit(mut self, fraction: f64) -> Self {
        self.suppression_limit = fraction;
        self
    }

    /// The metric the lattice search minimizes.
    #[must_use]
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    /// Mondrian: treats quasi-identifier `attribute` as numeric (split at medians into ranges)
    /// even if it has a hierarchy. A quasi-identifier without a hierarchy is numeric when all
    /// its values parse as finite numbers.
    #[must_use]
    pub fn numeric(mut self, attribute: impl Into<String>) -> Self {
        let attribute = attribute.into();
        if !self.numeric.contains(&attribute) {
            self.numeric.push(attribute);
        }
        self
    }

    /// Mondrian: relaxed cuts, at the median position, so records with the median value may
    /// land on both sides (ranges may overlap). Strict (the default) keeps equal values
    /// together.
    #[must_use]
    pub fn relaxed(mut self, relaxed: bool) -> Self {
        self.relaxed = relaxed;
        self
    }

    /// Mondrian: number of threads (at least 1).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Checks what both algorithms require: a model, and a suppression limit in `[0, 1]`.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.models.is_empty() {
            return Err(Error::invalid_argument(
                "at least one privacy model is required",
            ));
        }
        let limit = self.suppression_limit;
        if !limit.is_finite() || !(0.0..=1.0).contains(&limit) {
            return Err(Error::invalid_argument(format!(
                "suppression limit must be in [0, 1], got {limit}"
            )));
        }
        Ok(())
    }

    /// The hierarchy of `attribute`, if one is set.
    pub(crate) fn hierarchy_of(&self, attribute: &str) -> Option<&Hierarchy> {
        self.hierarchies
            .iter()
            .find(|(a, _)| a == attribute)
            .map(|(_, h)| h)
    }
}
