//! Sample-based re-identification risk (prosecutor, journalist, marketer) of a table's
//! quasi-identifiers, as ARX's `RiskModelSampleBasedReidentificationRisk` and El Emam define them.

use std::collections::HashMap;

use super::table::{AttributeRole, Table};
use crate::{Error, Result};

/// Re-identification risk of one attacker model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttackerRisk {
    /// Highest risk of any record.
    pub highest: f64,
    /// Average risk over all records.
    pub average: f64,
    /// Fraction of records whose risk is strictly above the threshold.
    pub records_at_risk: f64,
}

/// Sample-based re-identification risk of a table.
///
/// With equivalence classes (records equal on every quasi-identifier) of sizes `f_j`, `n`
/// records and `c` classes, a record in class `j` has risk `1 / f_j`:
/// - prosecutor (the attacker knows the target is in the table): highest `1 / min f_j`,
///   average `c / n`, records at risk the fraction with `1 / f_j > threshold`;
/// - journalist (the target is in a larger population): without a population table the
///   population class sizes are estimated by the sample's, so the sample-based journalist risk
///   equals the prosecutor risk (an upper bound, as in ARX without a population model);
/// - marketer (re-identify as many records as possible): the expected fraction of records
///   re-identified, `c / n`.
///
/// Sample uniques are the fraction of records alone in their class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskSummary {
    /// Records.
    pub records: u64,
    /// Equivalence classes.
    pub classes: u64,
    /// The threshold used for records at risk.
    pub threshold: f64,
    /// Prosecutor risk.
    pub prosecutor: AttackerRisk,
    /// Journalist risk (sample-based: equal to the prosecutor risk).
    pub journalist: AttackerRisk,
    /// Marketer risk: expected fraction of records re-identified.
    pub marketer: f64,
    /// Fraction of records unique on their quasi-identifiers.
    pub sample_uniques: f64,
}

impl RiskSummary {
    /// The risk of `table` with its [`AttributeRole::QuasiIdentifying`] attributes as the
    /// quasi-identifiers; `threshold` (in `[0, 1]`) sets the records at risk.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the table has no quasi-identifier or `threshold` is not
    /// in `[0, 1]`.
    pub fn of(table: &Table, threshold: f64) -> Result<Self> {
        let qis: Vec<usize> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.role == AttributeRole::QuasiIdentifying)
            .map(|(i, _)| i)
            .collect();
        if qis.is_empty() {
            return Err(Error::invalid_argument(
                "risk needs at least one quasi-identifier",
            ));
        }
        Self::from_class_sizes(class_sizes(table, &qis), threshold)
    }

    /// The risk of a table whose equivalence classes have the given sizes (zero sizes ignored).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `threshold` is not in `[0, 1]`.
    pub fn from_class_sizes(sizes: impl IntoIterator<Item = u64>, threshold: f64) -> Result<Self> {
        if !threshold.is_finite() || !(0.0..=1.0).contains(&threshold) {
            return Err(Error::invalid_argument("risk threshold must be in [0, 1]"));
        }
        let (mut n, mut c, mut min, mut uniques, mut at_risk) = (0u64, 0u64, u64::MAX, 0u64, 0u64);
        for f in sizes.into_iter().filter(|&f| f > 0) {
            n += f;
            c += 1;
            min = min.min(f);
            if f == 1 {
                uniques += 1;
            }
            if 1.0 / f as f64 > threshold {
                at_risk += f;
            }
        }
        let ratio = |a: u64| if n == 0 { 0.0 } else { a as f64 / n as f64 };
        let prosecutor = AttackerRisk {
            highest: if c == 0 { 0.0 } else { 1.0 / min as f64 },
            average: ratio(c),
            records_at_risk: ratio(at_risk),
        };
        Ok(Self {
            records: n,
            classes: c,
            threshold,
            prosecutor,
            journalist: prosecutor,
            marketer: ratio(c),
            sample_uniques: ratio(uniques),
        })
    }
}

/// Sizes of the classes of equal codes over `columns`, no per-record allocation: records are
/// hashed by a packed key when it fits 128 bits, else sorted by index.
fn class_sizes(table: &Table, columns: &[usize]) -> Vec<u64> {
    let cols: Vec<&[u32]> = columns
        .iter()
        .filter_map(|&c| table.columns.get(c))
        .map(|c| c.codes.as_slice())
        .collect();
    let bits: Vec<u32> = columns
        .iter()
        .filter_map(|&c| table.columns.get(c))
        .map(|c| bits_for(c.dictionary.len()))
        .collect();
    let total: u32 = bits.iter().sum();
    if total <= 128 {
        let mut counts: HashMap<u128, u64> = HashMap::new();
        for row in 0..table.rows {
            let mut key = 0u128;
            for (codes, &b) in cols.iter().zip(&bits) {
                key = (key << b) | u128::from(codes[row]);
            }
            *counts.entry(key).or_insert(0) += 1;
        }
        return counts.into_values().collect();
    }
    sorted_sizes(&cols, table.rows)
}

/// Class sizes by sorting record indices; for keys wider than 128 bits.
fn sorted_sizes(cols: &[&[u32]], rows: usize) -> Vec<u64> {
    let mut order: Vec<usize> = (0..rows).collect();
    let cmp = |a: &usize, b: &usize| {
        cols.iter()
            .map(|codes| codes[*a].cmp(&codes[*b]))
            .find(|o| o.is_ne())
            .unwrap_or(core::cmp::Ordering::Equal)
    };
    order.sort_unstable_by(cmp);
    let mut sizes = Vec::new();
    let mut run = 0u64;
    for (i, r) in order.iter().enumerate() {
        if i > 0 && cmp(&order[i - 1], r).is_ne() {
            sizes.push(run);
            run = 0;
        }
        run += 1;
    }
    if run > 0 {
        sizes.push(run);
    }
    sizes
}

fn bits_for(distinct: usize) -> u32 {
    usize::BITS - distinct.saturating_sub(1).leading_zeros()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn table() -> Table {
        // Classes on (age, sex): (30,m) x3, (40,f) x2, (50,m) x1, (60,f) x1 -> n = 7, c = 4.
        let mut t = Table::from_rows(
            &["age", "sex", "disease"],
            [
                ["30", "m", "flu"],
                ["30", "m", "cold"],
                ["40", "f", "flu"],
                ["30", "m", "flu"],
                ["50", "m", "cancer"],
                ["40", "f", "cold"],
                ["60", "f", "flu"],
            ],
        )
        .unwrap();
        t.set_role("age", AttributeRole::QuasiIdentifying).unwrap();
        t.set_role("sex", AttributeRole::QuasiIdentifying).unwrap();
        t
    }

    #[test]
    fn hand_computed_risks() {
        let r = RiskSummary::of(&table(), 0.4).unwrap();
        assert_eq!((r.records, r.classes), (7, 4));
        // Highest: smallest class has 1 record -> 1/1.
        assert_eq!(r.prosecutor.highest, 1.0);
        // Average: sum over records of 1/f = 3*(1/3) + 2*(1/2) + 1 + 1 = 4 = c; 4/7.
        assert!((r.prosecutor.average - 4.0 / 7.0).abs() < 1e-12);
        // Risk > 0.4: classes of size 2 (0.5) and 1 (1.0): 2 + 1 + 1 = 4 of 7 records.
        assert!((r.prosecutor.records_at_risk - 4.0 / 7.0).abs() < 1e-12);
        // Uniques: (50,m) and (60,f): 2 of 7.
        assert!((r.sample_uniques - 2.0 / 7.0).abs() < 1e-12);
        assert_eq!(r.journalist, r.prosecutor);
        assert!((r.marketer - 4.0 / 7.0).abs() < 1e-12);
        // Threshold 0.5 is not exceeded by the size-2 classes: only the 2 uniques.
        let r = RiskSummary::of(&table(), 0.5).unwrap();
        assert!((r.prosecutor.records_at_risk - 2.0 / 7.0).abs() < 1e-12);
    }

    #[test]
    fn one_qi_and_sorted_path_agree() {
        // Only age: classes 30 x3, 40 x2, 50, 60: same as above.
        let mut t = table();
        t.set_role("sex", AttributeRole::Insensitive).unwrap();
        let r = RiskSummary::of(&t, 0.4).unwrap();
        assert_eq!(r.classes, 4);
        let cols: Vec<&[u32]> = t.columns.iter().map(|c| c.codes.as_slice()).collect();
        let mut sorted = sorted_sizes(&cols[..2], t.rows);
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 1, 2, 3]);
        // With the sensitive column too every record but two (30,m,flu) is alone.
        let mut all = sorted_sizes(&cols, t.rows);
        all.sort_unstable();
        assert_eq!(all, [1, 1, 1, 1, 1, 2]);
    }

    #[test]
    fn k_anonymous_sizes() {
        // Classes 5, 5, 10: highest 1/5, average 3/20, no uniques, none above 0.2.
        let r = RiskSummary::from_class_sizes([5, 5, 10], 0.2).unwrap();
        assert!((r.prosecutor.highest - 0.2).abs() < 1e-12);
        assert!((r.prosecutor.average - 0.15).abs() < 1e-12);
        assert_eq!(r.prosecutor.records_at_risk, 0.0);
        assert_eq!(r.sample_uniques, 0.0);
    }

    #[test]
    fn fail_bad_threshold_or_no_qi() {
        assert!(RiskSummary::from_class_sizes([1], 1.5).is_err());
        assert!(RiskSummary::from_class_sizes([1], f64::NAN).is_err());
        let t = Table::from_rows(&["a"], [["x"]]).unwrap();
        assert!(RiskSummary::of(&t, 0.5).is_err());
    }
}
