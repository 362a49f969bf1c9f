//! Privacy models and their per-equivalence-class checks, following ARX's definitions.

use super::hierarchy::{Encoded, Hierarchy};
use super::table::{AttributeRole, Attributes};
use crate::{Error, Result};

/// How entropy l-diversity estimates the entropy of a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntropyEstimator {
    /// Plug-in Shannon entropy `log2(n) - sum(n_i log2 n_i) / n`.
    Shannon,
    /// Grassberger's estimator: `ln n` and `ln n_i` replaced by `G(n_i)`, with
    /// `G(m) = psi(m) + (-1)^m / 2 * (psi((m+1)/2) - psi(m/2))` (Grassberger 2003); converted
    /// to bits. Not monotonic under generalization, so it never prunes the search. It agrees
    /// with ARX's published Adult results without suppression but not with two of them with
    /// suppression (see `tests/data/adult/README.md`).
    Grassberger,
}

/// The ground distance of t-closeness's earth mover's distance.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EmdDistance {
    /// Every pair of distinct values is at distance 1: half the L1 distance.
    Equal,
    /// Values ordered naturally (numerically when all parse as numbers, otherwise
    /// lexicographically); distance `|i - j| / (m - 1)`.
    Ordered,
    /// Distance by the level of the lowest common ancestor in this hierarchy of the sensitive
    /// attribute.
    Hierarchical(Hierarchy),
}

/// A privacy model. Any combination may be required at once.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PrivacyModel {
    /// Every equivalence class has at least `k` records.
    KAnonymity {
        /// Minimal class size.
        k: u32,
    },
    /// Every class has at least `l` distinct values of `attribute`.
    DistinctLDiversity {
        /// The sensitive attribute.
        attribute: String,
        /// Minimal number of distinct values.
        l: u32,
    },
    /// Every class has at least `ceil(l)` distinct values and entropy (bits) at least `log2(l)`.
    EntropyLDiversity {
        /// The sensitive attribute.
        attribute: String,
        /// The parameter `l` (greater than or equal to 1).
        l: f64,
        /// Entropy estimator.
        estimator: EntropyEstimator,
    },
    /// Recursive-(c,l)-diversity: with frequencies `r_1 >= ... >= r_m`, `m >= l` and
    /// `r_1 < c * (r_l + ... + r_m)`.
    RecursiveCLDiversity {
        /// The sensitive attribute.
        attribute: String,
        /// The parameter `c` (positive).
        c: f64,
        /// The parameter `l` (at least 1).
        l: u32,
    },
    /// The distribution of `attribute` in every class is within earth mover's distance `t` of
    /// its distribution in the whole table.
    TCloseness {
        /// The sensitive attribute.
        attribute: String,
        /// Threshold in `[0, 1]`.
        t: f64,
        /// Ground distance.
        distance: EmdDistance,
    },
}

/// Compiled models: checks, `(column, histogram offset)` per sensitive attribute, width.
pub(crate) type Compiled = (Vec<Check>, Vec<(usize, usize)>, usize);

/// Compiles `models` against `table`: the checks, the `(column, histogram offset)` of every
/// sensitive attribute used, and the total histogram width.
pub(crate) fn compile(table: &impl Attributes, models: &[PrivacyModel]) -> Result<Compiled> {
    // Sensitive attributes used by the models, each with a histogram slot.
    let mut sensitive: Vec<(usize, usize)> = Vec::new();
    let mut width = 0usize;
    let mut checks = Vec::new();
    for model in models {
        let offset = match model.attribute() {
            None => 0,
            Some(name) => {
                let c = table.require_attribute(name)?;
                if table.attribute_role(c) != AttributeRole::Sensitive {
                    return Err(Error::invalid_argument(format!(
                        "attribute '{name}' is not sensitive"
                    )));
                }
                match sensitive.iter().find(|(col, _)| *col == c) {
                    Some(&(_, off)) => off,
                    None => {
                        let off = width;
                        sensitive.push((c, off));
                        width += table.dictionary(c).len();
                        off
                    }
                }
            }
        };
        let (dictionary, global) = match model.attribute().and_then(|a| table.find(a)) {
            Some(c) => (table.dictionary(c), table.value_counts(c)),
            None => (&[][..], Vec::new()),
        };
        checks.push(Check::new(model, offset, dictionary, &global)?);
    }
    Ok((checks, sensitive, width))
}

impl PrivacyModel {
    pub(crate) fn attribute(&self) -> Option<&str> {
        match self {
            Self::KAnonymity { .. } => None,
            Self::DistinctLDiversity { attribute, .. }
            | Self::EntropyLDiversity { attribute, .. }
            | Self::RecursiveCLDiversity { attribute, .. }
            | Self::TCloseness { attribute, .. } => Some(attribute),
        }
    }
}

/// A model compiled against the data: a per-class predicate.
#[derive(Debug, Clone)]
pub(crate) enum Check {
    K(u64),
    Distinct {
        offset: usize,
        width: usize,
        l: usize,
    },
    Entropy {
        offset: usize,
        width: usize,
        min: usize,
        log_l: f64,
        grassberger: bool,
    },
    Recursive {
        offset: usize,
        width: usize,
        c: f64,
        l: usize,
    },
    TEqual {
        offset: usize,
        global: Vec<f64>,
        t: f64,
    },
    TOrdered {
        offset: usize,
        global: Vec<f64>,
        order: Vec<usize>,
        t: f64,
    },
    THier {
        offset: usize,
        global: Vec<f64>,
        parents: Vec<Vec<u32>>,
        sizes: Vec<usize>,
        t: f64,
    },
}

impl Check {
    /// Builds the check; `offset`/`width` locate the attribute's histogram, `global` holds its
    /// value counts in the whole table and `dictionary` its values.
    pub(crate) fn new(
        model: &PrivacyModel,
        offset: usize,
        dictionary: &[String],
        global: &[u64],
    ) -> Result<Self> {
        let width = dictionary.len();
        let total: u64 = global.iter().sum();
        let distribution = || -> Vec<f64> {
            global
                .iter()
                .map(|&g| {
                    if total == 0 {
                        0.0
                    } else {
                        g as f64 / total as f64
                    }
                })
                .collect()
        };
        Ok(match model {
            PrivacyModel::KAnonymity { k } => {
                if *k == 0 {
                    return Err(Error::invalid_argument("k must be at least 1"));
                }
                Self::K(u64::from(*k))
            }
            PrivacyModel::DistinctLDiversity { l, .. } => {
                if *l == 0 {
                    return Err(Error::invalid_argument("l must be at least 1"));
                }
                Self::Distinct {
                    offset,
                    width,
                    l: *l as usize,
                }
            }
            PrivacyModel::EntropyLDiversity { l, estimator, .. } => {
                if !l.is_finite() || *l < 1.0 || *l > 1e9 {
                    return Err(Error::invalid_argument(
                        "entropy l must be a number in [1, 1e9]",
                    ));
                }
                // `l` is validated to [1, 1e9], so the ceiling fits.
                #[allow(clippy::cast_possible_truncation)]
                let min = usize::try_from(l.ceil() as u64)
                    .map_err(|_| Error::invalid_argument("l too large"))?;
                Self::Entropy {
                    offset,
                    width,
                    min,
                    log_l: l.log2(),
                    grassberger: *estimator == EntropyEstimator::Grassberger,
                }
            }
            PrivacyModel::RecursiveCLDiversity { c, l, .. } => {
                if *l == 0 || !c.is_finite() || *c <= 0.0 {
                    return Err(Error::invalid_argument(
                        "recursive-(c,l): l >= 1 and c > 0 required",
                    ));
                }
                Self::Recursive {
                    offset,
                    width,
                    c: *c,
                    l: *l as usize,
                }
            }
            PrivacyModel::TCloseness {
                t,
                distance,
                attribute,
            } => {
                if !t.is_finite() || !(0.0..=1.0).contains(t) {
                    return Err(Error::invalid_argument("t must be in [0, 1]"));
                }
                let global = distribution();
                match distance {
                    EmdDistance::Equal => Self::TEqual {
                        offset,
                        global,
                        t: *t,
                    },
                    EmdDistance::Ordered => Self::TOrdered {
                        offset,
                        global,
                        order: natural_order(dictionary),
                        t: *t,
                    },
                    EmdDistance::Hierarchical(h) => {
                        let enc = Encoded::new(h, attribute, dictionary)?;
                        let sizes: Vec<usize> = enc.labels.iter().map(Vec::len).collect();
                        Self::THier {
                            offset,
                            global,
                            parents: parents_from_tree(&enc.maps, &sizes),
                            sizes,
                            t: *t,
                        }
                    }
                }
            }
        })
    }

    /// Whether the model is monotonic under generalization: without suppression, merging two
    /// passing classes gives a passing class; with suppression, merging a passing class with
    /// any class does. The Grassberger estimator is not monotonic even without suppression
    /// (one record estimates more entropy than two records of one value).
    pub(crate) fn monotonic(&self, suppression: bool) -> bool {
        match self {
            Self::K(_) | Self::Distinct { .. } => true,
            Self::Entropy {
                grassberger: true, ..
            } => false,
            _ => !suppression,
        }
    }

    /// Whether a class with `count` records and sensitive histograms `hist` satisfies the model.
    pub(crate) fn holds(&self, count: u64, hist: &[u32]) -> bool {
        match self {
            Self::K(k) => count >= *k,
            Self::Distinct { offset, width, l } => {
                slice(hist, *offset, *width)
                    .iter()
                    .filter(|&&f| f > 0)
                    .count()
                    >= *l
            }
            Self::Entropy {
                offset,
                width,
                min,
                log_l,
                grassberger,
            } => {
                let h = slice(hist, *offset, *width);
                if h.iter().filter(|&&f| f > 0).count() < *min {
                    return false;
                }
                let entropy = if *grassberger {
                    grassberger_bits(h)
                } else {
                    shannon_bits(h)
                };
                entropy >= *log_l
            }
            Self::Recursive {
                offset,
                width,
                c,
                l,
            } => {
                let mut f: Vec<u32> = slice(hist, *offset, *width)
                    .iter()
                    .copied()
                    .filter(|&f| f > 0)
                    .collect();
                if f.len() < *l {
                    return false;
                }
                f.sort_unstable();
                let tail: f64 = f[..=f.len() - *l].iter().map(|&x| f64::from(x)).sum();
                f.last().is_some_and(|&top| f64::from(top) < c * tail)
            }
            Self::TEqual { offset, global, t } => {
                let q = slice(hist, *offset, global.len());
                let n = count as f64;
                let d: f64 = global
                    .iter()
                    .zip(q)
                    .map(|(p, &c)| (f64::from(c) / n - p).abs())
                    .sum();
                d / 2.0 <= *t
            }
            Self::TOrdered {
                offset,
                global,
                order,
                t,
            } => {
                let q = slice(hist, *offset, global.len());
                let n = count as f64;
                let threshold = t * (global.len() as f64 - 1.0);
                let (mut sum, mut distance) = (0.0f64, 0.0f64);
                for &v in order {
                    sum += q.get(v).map_or(0.0, |&c| f64::from(c) / n)
                        - global.get(v).copied().unwrap_or(0.0);
                    distance += sum.abs();
                    if distance > threshold {
                        return false;
                    }
                }
                true
            }
            Self::THier {
                offset,
                global,
                parents,
                sizes,
                t,
            } => {
                hierarchical_emd(
                    slice(hist, *offset, global.len()),
                    count,
                    global,
                    parents,
                    sizes,
                ) <= *t
            }
        }
    }
}

fn slice(hist: &[u32], offset: usize, width: usize) -> &[u32] {
    hist.get(offset..offset + width).unwrap_or(&[])
}

/// For each level `l >= 1`, the parent (a level-`l` code) of every level-`l-1` code.
pub(crate) fn parents_from_tree(tree: &[Vec<u32>], sizes: &[usize]) -> Vec<Vec<u32>> {
    (1..tree.len())
        .map(|level| {
            let mut parent_of = vec![0u32; sizes.get(level - 1).copied().unwrap_or(0)];
            for (v0, &child) in tree[level - 1].iter().enumerate() {
                if let (Some(slot), Some(&p)) =
                    (parent_of.get_mut(child as usize), tree[level].get(v0))
                {
                    *slot = p;
                }
            }
            parent_of
        })
        .collect()
}

/// Hierarchical EMD as ARX computes it: for every inner node at level `j` of a hierarchy of
/// height `H`, `j / H * min(positive extra, negative extra)` of its children.
pub(crate) fn hierarchical_emd(
    q: &[u32],
    count: u64,
    global: &[f64],
    parents: &[Vec<u32>],
    sizes: &[usize],
) -> f64 {
    let height = parents.len();
    if height == 0 || count == 0 {
        return 0.0;
    }
    let n = count as f64;
    // One buffer: the current level's net extras, then positive and negative sums per parent.
    let widest = sizes.iter().copied().max().unwrap_or(0).max(global.len());
    let mut buf = vec![0.0f64; 3 * widest];
    let (extra, rest) = buf.split_at_mut(widest);
    let (pos, neg) = rest.split_at_mut(widest);
    for (v, (e, p)) in extra.iter_mut().zip(global).enumerate() {
        *e = p - q.get(v).map_or(0.0, |&c| f64::from(c) / n);
    }
    let mut children = global.len();
    let mut cost = 0.0;
    for (level, parent_of) in (1..=height).zip(parents) {
        let size = sizes.get(level).copied().unwrap_or(0).min(widest);
        pos[..size].fill(0.0);
        neg[..size].fill(0.0);
        for (&e, &p) in extra[..children].iter().zip(parent_of) {
            let p = p as usize;
            if p >= size {
                continue;
            }
            if e > 0.0 {
                pos[p] += e;
            } else {
                neg[p] -= e;
            }
        }
        let weight = level as f64 / height as f64;
        for p in 0..size {
            cost += weight * pos[p].min(neg[p]);
            extra[p] = pos[p] - neg[p];
        }
        children = size;
    }
    cost
}

fn shannon_bits(h: &[u32]) -> f64 {
    let total: f64 = h.iter().map(|&f| f64::from(f)).sum();
    let sum: f64 = h
        .iter()
        .filter(|&&f| f > 0)
        .map(|&f| f64::from(f) * f64::from(f).log2())
        .sum();
    total.log2() - sum / total
}

fn grassberger_bits(h: &[u32]) -> f64 {
    let total: f64 = h.iter().map(|&f| f64::from(f)).sum();
    let sum: f64 = h
        .iter()
        .filter(|&&f| f > 0)
        .map(|&f| f64::from(f) * grassberger_g_small(f))
        .sum();
    (total.ln() - sum / total) / core::f64::consts::LN_2
}

/// [`grassberger_g`] from a table for small counts (a pure function's values, computed once).
fn grassberger_g_small(n: u32) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..4096)
            .map(|n| if n == 0 { 0.0 } else { grassberger_g(n) })
            .collect()
    });
    table
        .get(n as usize)
        .copied()
        .unwrap_or_else(|| grassberger_g(n))
}

/// `G(n) = psi(n) + (-1)^n / 2 * (psi((n+1)/2) - psi(n/2))`.
pub(crate) fn grassberger_g(n: u32) -> f64 {
    let x = f64::from(n);
    let sign = if n.is_multiple_of(2) { 1.0 } else { -1.0 };
    digamma(x) + sign * 0.5 * (digamma((x + 1.0) / 2.0) - digamma(x / 2.0))
}

/// Digamma for positive arguments (recurrence to x >= 10, then the asymptotic series).
pub(crate) fn digamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    result + x.ln()
        - 0.5 / x
        - f * (1.0 / 12.0
            - f * (1.0 / 120.0 - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f * (1.0 / 132.0)))))
}

/// Natural order: numeric when every value parses as a finite number, else lexicographic.
pub(crate) fn natural_order(dictionary: &[String]) -> Vec<usize> {
    let numbers: Option<Vec<f64>> = dictionary
        .iter()
        .map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    let mut order: Vec<usize> = (0..dictionary.len()).collect();
    match numbers {
        Some(n) => order.sort_by(|&a, &b| n[a].total_cmp(&n[b])),
        None => order.sort_by(|&a, &b| dictionary[a].cmp(&dictionary[b])),
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_known_values() {
        // psi(1) = -gamma, psi(1/2) = -gamma - 2 ln 2.
        let gamma = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + gamma).abs() < 1e-12);
        assert!((digamma(0.5) + gamma + 2.0 * core::f64::consts::LN_2).abs() < 1e-12);
    }

    #[test]
    fn shannon_of_uniform_is_log2_m() {
        assert!((shannon_bits(&[3, 3, 3, 3]) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn recursive_cl_matches_definition() {
        // r = 5,3,2 with l = 2: 5 < c * (3 + 2) iff c > 1.
        let fail = Check::Recursive {
            offset: 0,
            width: 3,
            c: 1.0,
            l: 2,
        };
        let pass = Check::Recursive {
            offset: 0,
            width: 3,
            c: 1.1,
            l: 2,
        };
        assert!(!fail.holds(10, &[2, 5, 3]));
        assert!(pass.holds(10, &[2, 5, 3]));
    }

    #[test]
    fn hierarchical_emd_of_identical_distribution_is_zero() {
        let tree = vec![vec![0, 1, 2], vec![0, 0, 1], vec![0, 0, 0]];
        let global = [0.5, 0.25, 0.25];
        let parents = parents_from_tree(&tree, &[3, 2, 1]);
        assert!(hierarchical_emd(&[2, 1, 1], 4, &global, &parents, &[3, 2, 1]).abs() < 1e-12);
        // All mass on one leaf of the first subtree: moves of 0.25 inside (level 1/2) and 0.25 across.
        let d = hierarchical_emd(&[4, 0, 0], 4, &global, &parents, &[3, 2, 1]);
        assert!((d - (0.5 * 0.25 + 0.25)).abs() < 1e-12, "{d}");
    }
}
