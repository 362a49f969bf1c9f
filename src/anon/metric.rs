//! Information-loss metrics with ARX's definitions.

use super::grouping::Groups;
use super::hierarchy::Encoded;

/// The metric the search minimizes. All are computed for a result (see [`Metrics`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Metric {
    /// Non-monotonic non-uniform entropy (ARX `MetricMDNUNMEntropy`): the non-uniform entropy of
    /// the generalization plus, per attribute, the entropy of the suppressed records' generalized
    /// values, summed over attributes.
    Entropy,
    /// Monotonic non-uniform entropy (ARX `MetricMDNUEntropy`): per attribute
    /// `sum over records of log2(|generalized value| / |original value|)` (counts in the input),
    /// summed over attributes; suppression is not penalized beyond generalization.
    EntropyMonotonic,
    /// Non-monotonic discernibility (ARX `MetricSDNMDiscernability`): `|E|^2` for every
    /// equivalence class kept, `n * |E|` for every suppressed one.
    Discernibility,
    /// Monotonic discernibility DM* (ARX `MetricSDDiscernability`): `sum |E|^2` over all classes.
    DiscernibilityMonotonic,
    /// Average equivalence class size (ARX `MetricSDAECS`): `n / classes`, all suppressed records
    /// counting as one class.
    Aecs,
    /// Precision (ARX `MetricMDNMPrecision`): per attribute
    /// `(kept records * level / height + suppressed records) / n`, arithmetic mean over attributes.
    Precision,
    /// Loss (ARX `MetricMDNMLoss`): per attribute the records' share of the domain covered by
    /// their generalized value (1 when suppressed), normalized to `[0, 1]`; geometric mean
    /// (`prod(1 + x_i)^(1/m) - 1`) over attributes.
    Loss,
}

impl Metric {
    /// Whether the metric never decreases under generalization when `suppression_allowed`.
    pub(crate) fn monotonic(self, suppression_allowed: bool) -> bool {
        !suppression_allowed
            || matches!(self, Self::EntropyMonotonic | Self::DiscernibilityMonotonic)
    }
}

/// Every metric of one transformation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// [`Metric::Entropy`].
    pub entropy: f64,
    /// [`Metric::EntropyMonotonic`].
    pub entropy_monotonic: f64,
    /// [`Metric::Discernibility`].
    pub discernibility: f64,
    /// [`Metric::DiscernibilityMonotonic`].
    pub discernibility_monotonic: f64,
    /// [`Metric::Aecs`].
    pub aecs: f64,
    /// [`Metric::Precision`].
    pub precision: f64,
    /// [`Metric::Loss`].
    pub loss: f64,
}

impl Metrics {
    /// The value of `metric`.
    #[must_use]
    pub fn get(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Entropy => self.entropy,
            Metric::EntropyMonotonic => self.entropy_monotonic,
            Metric::Discernibility => self.discernibility,
            Metric::DiscernibilityMonotonic => self.discernibility_monotonic,
            Metric::Aecs => self.aecs,
            Metric::Precision => self.precision,
            Metric::Loss => self.loss,
        }
    }
}

/// Data-derived constants the metrics need.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) n: u64,
    /// `nu[qi][level]`: monotonic non-uniform entropy of that attribute at that level.
    pub(crate) nu: Vec<Vec<f64>>,
    pub(crate) hierarchies: Vec<Encoded>,
}

impl Context {
    /// `counts[qi][code0]`: number of records with that original value.
    pub(crate) fn new(n: u64, hierarchies: Vec<Encoded>, counts: &[Vec<u64>]) -> Self {
        let mut nu = Vec::with_capacity(hierarchies.len());
        for (h, a) in hierarchies.iter().zip(counts) {
            let mut per_level = Vec::with_capacity(h.levels());
            for (level, map) in h.maps.iter().enumerate() {
                let mut b = vec![0u64; h.labels[level].len()];
                for (c0, &g) in map.iter().enumerate() {
                    b[g as usize] += a[c0];
                }
                let mut value = 0.0;
                for (c0, &g) in map.iter().enumerate() {
                    let (ac, bc) = (a[c0] as f64, b[g as usize] as f64);
                    if ac > 0.0 {
                        value += ac * (bc / ac).log2();
                    }
                }
                per_level.push(value);
            }
            nu.push(per_level);
        }
        Self { n, nu, hierarchies }
    }

    fn entropy_monotonic(&self, levels: &[usize]) -> f64 {
        self.nu
            .iter()
            .zip(levels)
            .map(|(v, &l)| v.get(l).copied().unwrap_or(0.0))
            .sum()
    }

    /// Mean over attributes of `level / height`.
    fn precision_bound(&self, levels: &[usize]) -> f64 {
        self.precision(levels, 0, 1.0)
    }

    /// The value of `metric` for an anonymous transformation to `levels`, when it follows from
    /// the level vector alone: the monotonic entropy always, the entropy and precision when no
    /// record can be suppressed.
    pub(crate) fn value_from_levels(
        &self,
        metric: Metric,
        levels: &[usize],
        suppression: bool,
    ) -> Option<f64> {
        match metric {
            Metric::EntropyMonotonic => Some(self.entropy_monotonic(levels)),
            Metric::Entropy if !suppression => Some(self.entropy_monotonic(levels)),
            Metric::Precision if !suppression => Some(self.precision_bound(levels)),
            _ => None,
        }
    }

    /// A lower bound of `metric` from the level vector alone that never decreases under
    /// generalization, for the metrics that have one.
    pub(crate) fn bound_from_levels(&self, metric: Metric, levels: &[usize]) -> Option<f64> {
        match metric {
            Metric::Entropy | Metric::EntropyMonotonic => Some(self.entropy_monotonic(levels)),
            Metric::Precision => Some(self.precision_bound(levels)),
            _ => None,
        }
    }

    /// The value of `metric` and a lower bound that never decreases under generalization.
    pub(crate) fn value(
        &self,
        metric: Metric,
        levels: &[usize],
        g: &Groups,
        pass: &[bool],
        suppressed: u64,
    ) -> (f64, f64) {
        match metric {
            Metric::Entropy => (
                self.entropy(levels, g, pass),
                self.entropy_monotonic(levels),
            ),
            Metric::EntropyMonotonic => {
                let v = self.entropy_monotonic(levels);
                (v, v)
            }
            Metric::Discernibility => (self.discernibility(g, pass), dm_star(g)),
            Metric::DiscernibilityMonotonic => {
                let v = dm_star(g);
                (v, v)
            }
            Metric::Aecs => (self.aecs(pass), self.aecs_bound(g)),
            Metric::Precision => (
                self.precision(levels, suppressed, self.n as f64),
                self.precision_bound(levels),
            ),
            Metric::Loss => (self.loss(levels, g, Some(pass)), self.loss(levels, g, None)),
        }
    }

    /// The lower bound of [`Context::value`] alone.
    pub(crate) fn bound(&self, metric: Metric, levels: &[usize], g: &Groups) -> f64 {
        match metric {
            Metric::Entropy | Metric::EntropyMonotonic => self.entropy_monotonic(levels),
            Metric::Discernibility | Metric::DiscernibilityMonotonic => dm_star(g),
            Metric::Aecs => self.aecs_bound(g),
            Metric::Precision => self.precision_bound(levels),
            Metric::Loss => self.loss(levels, g, None),
        }
    }

    pub(crate) fn all(
        &self,
        levels: &[usize],
        g: &Groups,
        pass: &[bool],
        suppressed: u64,
    ) -> Metrics {
        Metrics {
            entropy: self.entropy(levels, g, pass),
            entropy_monotonic: self.entropy_monotonic(levels),
            discernibility: self.discernibility(g, pass),
            discernibility_monotonic: dm_star(g),
            aecs: self.aecs(pass),
            precision: self.precision(levels, suppressed, self.n as f64),
            loss: self.loss(levels, g, Some(pass)),
        }
    }

    fn entropy(&self, levels: &[usize], g: &Groups, pass: &[bool]) -> f64 {
        let mut total = self.entropy_monotonic(levels);
        let suppressed: u64 = (0..g.len())
            .filter(|&i| !pass[i])
            .map(|i| u64::from(g.count(i)))
            .sum();
        if suppressed == 0 {
            return total;
        }
        let s = suppressed as f64;
        for (q, (h, &level)) in self.hierarchies.iter().zip(levels).enumerate() {
            let mut counts = vec![0u64; h.labels.get(level).map_or(0, Vec::len)];
            for i in (0..g.len()).filter(|&i| !pass[i]) {
                if let Some(c) = counts.get_mut(g.key(i)[q] as usize) {
                    *c += u64::from(g.count(i));
                }
            }
            total += counts
                .iter()
                .filter(|&&c| c > 0)
                .map(|&c| c as f64 * (s / c as f64).log2())
                .sum::<f64>();
        }
        total
    }

    fn discernibility(&self, g: &Groups, pass: &[bool]) -> f64 {
        let n = self.n as f64;
        (0..g.len())
            .map(|i| {
                let c = f64::from(g.count(i));
                if pass[i] { c * c } else { n * c }
            })
            .sum()
    }

    fn aecs(&self, pass: &[bool]) -> f64 {
        let kept = pass.iter().filter(|&&p| p).count();
        let any_suppressed = pass.iter().any(|&p| !p);
        let classes = kept + usize::from(any_suppressed);
        if classes == 0 {
            0.0
        } else {
            self.n as f64 / classes as f64
        }
    }

    fn aecs_bound(&self, g: &Groups) -> f64 {
        if g.is_empty() {
            0.0
        } else {
            self.n as f64 / g.len() as f64
        }
    }

    /// Precision with `suppressed` records; `n` is the record count (1 with 0 suppressed gives
    /// the level-only bound).
    fn precision(&self, levels: &[usize], suppressed: u64, n: f64) -> f64 {
        let m = self.hierarchies.len();
        if m == 0 || n == 0.0 {
            return 0.0;
        }
        let suppressed = suppressed as f64;
        let kept = (n - suppressed).max(0.0);
        let s: f64 = self
            .hierarchies
            .iter()
            .zip(levels)
            .map(|(h, &l)| {
                let height = h.levels().saturating_sub(1);
                let share = if height == 0 {
                    0.0
                } else {
                    l as f64 / height as f64
                };
                (kept * share + suppressed) / n
            })
            .sum();
        s / m as f64
    }

    /// Loss; with `pass == None`, the bound that ignores suppression.
    fn loss(&self, levels: &[usize], g: &Groups, pass: Option<&[bool]>) -> f64 {
        let m = self.hierarchies.len();
        if m == 0 || self.n == 0 {
            return 0.0;
        }
        let n = self.n as f64;
        let mut product = 1.0f64;
        for (q, (h, &level)) in self.hierarchies.iter().zip(levels).enumerate() {
            let domain = h.domain as f64;
            let leaves = h.leaves.get(level).map_or(&[][..], Vec::as_slice);
            let mut sum = 0.0;
            for i in 0..g.len() {
                let count = f64::from(g.count(i));
                let kept = pass.is_none_or(|p| p[i]);
                sum += if kept {
                    count * leaves.get(g.key(i)[q] as usize).map_or(1.0, |&l| l as f64) / domain
                } else {
                    count
                };
            }
            let min = n / domain;
            let value = if n - min > 0.0 {
                ((sum - min) / (n - min)).max(0.0)
            } else {
                0.0
            };
            product *= (value + 1.0).powf(1.0 / m as f64);
        }
        product - 1.0
    }
}

fn dm_star(g: &Groups) -> f64 {
    (0..g.len())
        .map(|i| f64::from(g.count(i)) * f64::from(g.count(i)))
        .sum()
}
