//! What the algorithms return: class statistics, evaluations and search results.

use super::metric::Metrics;
use super::table::Table;

/// Equivalence class statistics of a transformation (suppressed records excluded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassStatistics {
    /// Classes kept.
    pub classes: usize,
    /// Classes suppressed.
    pub suppressed_classes: usize,
    /// Size of the smallest class kept (0 when none).
    pub min_size: u64,
    /// Size of the largest class kept.
    pub max_size: u64,
    /// Average size of the classes kept.
    pub average_size: f64,
}

impl ClassStatistics {
    /// Statistics of classes of sizes `kept` (kept) with `suppressed_classes` more suppressed.
    pub(crate) fn of(kept: &[u64], suppressed_classes: usize) -> Self {
        Self {
            classes: kept.len(),
            suppressed_classes,
            min_size: kept.iter().copied().min().unwrap_or(0),
            max_size: kept.iter().copied().max().unwrap_or(0),
            average_size: if kept.is_empty() {
                0.0
            } else {
                kept.iter().sum::<u64>() as f64 / kept.len() as f64
            },
        }
    }
}

/// The evaluation of one transformation (level vector).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Level of each quasi-identifier, in the order of
    /// [`Anonymizer::quasi_identifiers`](super::Anonymizer::quasi_identifiers).
    pub levels: Vec<usize>,
    /// Whether the privacy models hold within the suppression limit.
    pub anonymous: bool,
    /// Records that had to be suppressed.
    pub suppressed: u64,
    /// Equivalence class statistics.
    pub classes: ClassStatistics,
    /// Every metric.
    pub metrics: Metrics,
}

/// The result of a search.
#[derive(Debug, Clone)]
pub struct Anonymization {
    /// The optimal transformation, or `None` when no transformation satisfies the models.
    pub optimum: Option<Evaluation>,
    /// The transformed table of the optimum (`None` when the data is not in memory, as with a
    /// query engine's table).
    pub table: Option<Table>,
    /// Transformations whose classes were computed.
    pub checked: usize,
    /// Size of the generalization lattice.
    pub lattice_size: usize,
}
