//! Mondrian multidimensional local recoding (LeFevre, DeWitt, Ramakrishnan 2006), strict and
//! relaxed, with the privacy models of [`PrivacyModel`] as the allowable-cut test.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::config::AnonymizationConfig;
use super::hierarchy::Encoded;
use super::model::{Check, compile};
use super::result::ClassStatistics;
use super::table::{AttributeRole, Column, Table};
use crate::{Error, Result};

/// Partitions larger than this are split on another thread while threads remain.
const PARALLEL_MIN: usize = 16_384;

/// Utility of a Mondrian output, with the definitions of the optimal search's [`Metric`]s
/// (no record is suppressed, so discernibility and DM* coincide), over the equivalence classes
/// as released: partitions whose generalized values are the same text in every
/// quasi-identifier are one class to anyone reading the output, and count as one.
///
/// [`Metric`]: super::Metric
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MondrianMetrics {
    /// Discernibility: `sum |E|^2` over the released classes.
    pub discernibility: f64,
    /// Average equivalence class size `n / classes` over the released classes.
    pub aecs: f64,
    /// Loss: per attribute the records' share of the domain covered by their generalized value
    /// (for numeric ranges, the distinct values of the column within the range), normalized to
    /// `[0, 1]`; geometric mean over attributes.
    pub loss: f64,
}

/// The result of [`Mondrian::run`].
#[derive(Debug, Clone)]
pub struct MondrianResult {
    /// The recoded table: quasi-identifiers replaced by `[lo-hi]` ranges (the value itself when
    /// a partition holds one value) or the lowest common hierarchy node; identifying attributes
    /// removed.
    pub table: Table,
    /// Statistics of the equivalence classes as released (partitions with the same
    /// generalized values merged).
    pub classes: ClassStatistics,
    /// Partitions Mondrian cut the records into (at least `classes.classes`: partitions whose
    /// generalized values print the same are one released class).
    pub partitions: usize,
    /// Utility metrics.
    pub metrics: MondrianMetrics,
}

/// One quasi-identifier, compactly coded.
#[derive(Debug)]
enum Qi<'t> {
    Numeric {
        /// Original codes of the column.
        codes: &'t [u32],
        /// `rank[code]`: position of the value among the sorted distinct values.
        rank: Vec<u32>,
        /// Values and texts by rank.
        values: Vec<f64>,
        texts: Vec<&'t str>,
    },
    Categorical {
        codes: &'t [u32],
        enc: Encoded,
    },
}

impl Qi<'_> {
    /// The key of `row` the split works on at the current state: its rank (numeric) or its
    /// node at `level` (categorical).
    fn key(&self, row: u32, level: u32) -> u32 {
        let row = row as usize;
        match self {
            Self::Numeric { codes, rank, .. } => rank[codes[row] as usize],
            Self::Categorical { codes, enc } => enc.maps[level as usize][codes[row] as usize],
        }
    }

    /// The generalization `[a, b]` of a partition: rank range, or (level, node).
    fn summarize(&self, rows: &[u32]) -> [u32; 2] {
        match self {
            Self::Numeric { .. } => rows.iter().fold([u32::MAX, 0], |[lo, hi], &r| {
                let k = self.key(r, 0);
                [lo.min(k), hi.max(k)]
            }),
            Self::Categorical { enc, .. } => {
                let first = rows.first().copied().unwrap_or(0);
                for level in 0..enc.levels() {
                    let l = u32::try_from(level).unwrap_or(u32::MAX);
                    let node = self.key(first, l);
                    if rows.iter().all(|&r| self.key(r, l) == node) {
                        return [l, node];
                    }
                }
                [0, 0]
            }
        }
    }

    /// Normalized width of a generalization in `[0, 1]`, and the leaves it covers with the
    /// domain size (for the loss metric).
    fn width(&self, g: [u32; 2]) -> (f64, f64, f64) {
        match self {
            Self::Numeric { values, .. } => {
                let (lo, hi) = (g[0] as usize, g[1] as usize);
                let span =
                    values.last().copied().unwrap_or(0.0) - values.first().copied().unwrap_or(0.0);
                let w = if span > 0.0 {
                    (values[hi] - values[lo]) / span
                } else {
                    0.0
                };
                (w, (hi - lo + 1) as f64, values.len() as f64)
            }
            Self::Categorical { enc, .. } => {
                let leaves = enc.leaves[g[0] as usize][g[1] as usize] as f64;
                let domain = enc.domain as f64;
                let w = if domain > 1.0 {
                    (leaves - 1.0) / (domain - 1.0)
                } else {
                    0.0
                };
                (w, leaves, domain)
            }
        }
    }

    fn label(&self, g: [u32; 2]) -> String {
        match self {
            Self::Numeric { texts, .. } => {
                let (lo, hi) = (texts[g[0] as usize], texts[g[1] as usize]);
                if g[0] == g[1] {
                    lo.to_string()
                } else {
                    format!("[{lo}-{hi}]")
                }
            }
            Self::Categorical { enc, .. } => enc.labels[g[0] as usize][g[1] as usize].clone(),
        }
    }
}

/// Finished partitions: their lengths in `order` and their generalizations (`m` per partition).
#[derive(Debug, Default)]
struct Out {
    lens: Vec<usize>,
    gens: Vec<[u32; 2]>,
}

impl Out {
    fn append(&mut self, mut other: Self) {
        self.lens.append(&mut other.lens);
        self.gens.append(&mut other.gens);
    }
}

/// Progress callback: `(records in finished partitions, total records)`; returning
/// [`ControlFlow::Break`] cancels the run.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) -> ControlFlow<()> + Sync);

/// Mondrian on one table under one configuration.
#[derive(Debug)]
pub struct Mondrian<'t> {
    table: &'t Table,
    qi_columns: Vec<usize>,
    qis: Vec<Qi<'t>>,
    checks: Vec<Check>,
    sensitive: Vec<(usize, usize)>,
    width: usize,
    relaxed: bool,
    threads: usize,
}

struct Run<'r, 't> {
    m: &'r Mondrian<'t>,
    progress: Progress<'r>,
    cancel: &'r AtomicBool,
    done: AtomicU64,
    step: u64,
}

impl<'t> Mondrian<'t> {
    /// Prepares the table: codes numeric quasi-identifiers by rank and encodes hierarchies and
    /// models against the data.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when there is no quasi-identifier or no model, a
    /// quasi-identifier has no hierarchy and is not numeric, a hierarchy misses a value or
    /// names an attribute the table lacks, a model
    /// names an attribute that is not sensitive or a parameter is out of range.
    pub fn new(table: &'t Table, config: &AnonymizationConfig) -> Result<Self> {
        config.validate()?;
        super::hierarchy::check_attributes(
            &config.hierarchies,
            table.columns.iter().map(|c| c.name.as_str()),
        )?;
        let mut qi_columns = Vec::new();
        let mut qis = Vec::new();
        for (i, column) in table.columns.iter().enumerate() {
            if column.role != AttributeRole::QuasiIdentifying {
                continue;
            }
            let qi = match config.hierarchy_of(&column.name) {
                Some(h) if !config.numeric.contains(&column.name) => Qi::Categorical {
                    codes: &column.codes,
                    enc: Encoded::new(h, &column.name, &column.dictionary)?,
                },
                _ => numeric(column)?,
            };
            qi_columns.push(i);
            qis.push(qi);
        }
        if qis.is_empty() {
            return Err(Error::invalid_argument(
                "Mondrian needs at least one quasi-identifier",
            ));
        }
        let (checks, sensitive, width) = compile(table, &config.models)?;
        Ok(Self {
            table,
            qi_columns,
            qis,
            checks,
            sensitive,
            width,
            relaxed: config.relaxed,
            threads: config.threads,
        })
    }

    /// Runs Mondrian to completion.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] when the whole table does not satisfy the models.
    pub fn run(&self) -> Result<MondrianResult> {
        self.run_with(&|_, _| ControlFlow::Continue(()), &AtomicBool::new(false))
    }

    /// Runs Mondrian, calling `progress` about every percent of records placed in a final
    /// partition; setting `cancel` or `progress` returning [`ControlFlow::Break`] stops the run.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] when the whole table does not satisfy the models or the run
    /// was cancelled.
    pub fn run_with(&self, progress: Progress<'_>, cancel: &AtomicBool) -> Result<MondrianResult> {
        let n = self.table.rows;
        let mut order: Vec<u32> = (0..u32::try_from(n)
            .map_err(|_| Error::limit("records", u64::from(u32::MAX)))?)
            .collect();
        if !self.allowable(&order) {
            return Err(Error::InvalidOperation(
                "the whole table does not satisfy the privacy models".into(),
            ));
        }
        let run = Run {
            m: self,
            progress,
            cancel,
            done: AtomicU64::new(0),
            step: (n as u64 / 100).max(1),
        };
        let depth = usize::BITS - self.threads.saturating_sub(1).leading_zeros();
        let out = run.split(&mut order, depth);
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::InvalidOperation("Mondrian was cancelled".into()));
        }
        self.output(&order, &out)
    }

    /// Whether a candidate partition satisfies every model.
    fn allowable(&self, rows: &[u32]) -> bool {
        let count = rows.len() as u64;
        if self.width == 0 {
            return self.checks.iter().all(|c| c.holds(count, &[]));
        }
        let mut hist = vec![0u32; self.width];
        for &(col, offset) in &self.sensitive {
            let codes = &self.table.columns[col].codes;
            for &r in rows {
                hist[offset + codes[r as usize] as usize] += 1;
            }
        }
        self.checks.iter().all(|c| c.holds(count, &hist))
    }

    fn output(&self, order: &[u32], out: &Out) -> Result<MondrianResult> {
        let m = self.qis.len();
        let n = self.table.rows;
        let partitions = out.lens.len();
        let mut columns = Vec::with_capacity(self.table.columns.len());
        let mut loss_product = 1.0f64;
        // The released label code of every partition in every quasi-identifier.
        let mut keys = vec![0u32; partitions * m];
        for (c, column) in self.table.columns.iter().enumerate() {
            if column.role == AttributeRole::Identifying {
                continue;
            }
            let Some(q) = self.qi_columns.iter().position(|&x| x == c) else {
                columns.push(column.clone());
                continue;
            };
            let qi = &self.qis[q];
            let mut codes = vec![0u32; n];
            let mut dictionary = Vec::new();
            let mut lookup: HashMap<String, u32> = HashMap::new();
            let (mut start, mut sum, mut domain) = (0usize, 0.0f64, 1.0f64);
            for (p, &len) in out.lens.iter().enumerate() {
                let g = out.gens[p * m + q];
                let label = qi.label(g);
                let next = u32::try_from(dictionary.len())
                    .map_err(|_| Error::limit("labels", u64::from(u32::MAX)))?;
                let code = *lookup.entry(label).or_insert_with_key(|l| {
                    dictionary.push(l.clone());
                    next
                });
                keys[p * m + q] = code;
                for &r in &order[start..start + len] {
                    codes[r as usize] = code;
                }
                let (_, leaves, d) = qi.width(g);
                sum += len as f64 * leaves / d;
                domain = d;
                start += len;
            }
            let (nf, min) = (n as f64, n as f64 / domain);
            let value = if nf - min > 0.0 {
                ((sum - min) / (nf - min)).max(0.0)
            } else {
                0.0
            };
            loss_product *= (value + 1.0).powf(1.0 / m as f64);
            columns.push(Column {
                name: column.name.clone(),
                role: column.role,
                dictionary,
                codes,
            });
        }
        let sizes = released_sizes(&keys, m, &out.lens);
        debug_assert!(self.released_classes_allowable(order, &keys, m, &out.lens));
        let classes = ClassStatistics::of(&sizes, 0);
        let metrics = MondrianMetrics {
            discernibility: sizes.iter().map(|&s| (s * s) as f64).sum(),
            aecs: if sizes.is_empty() {
                0.0
            } else {
                n as f64 / sizes.len() as f64
            },
            loss: loss_product - 1.0,
        };
        Ok(MondrianResult {
            table: Table { columns, rows: n },
            classes,
            partitions,
            metrics,
        })
    }

    /// Whether every released class (partitions of equal keys merged) satisfies the models, as
    /// the monotonicity of every model under merging guarantees.
    fn released_classes_allowable(
        &self,
        order: &[u32],
        keys: &[u32],
        m: usize,
        lens: &[usize],
    ) -> bool {
        let mut rows: HashMap<&[u32], Vec<u32>> = HashMap::new();
        let mut start = 0;
        for (p, &len) in lens.iter().enumerate() {
            rows.entry(&keys[p * m..(p + 1) * m])
                .or_default()
                .extend_from_slice(&order[start..start + len]);
            start += len;
        }
        rows.values().all(|r| self.allowable(r))
    }
}

/// The sizes of the released classes: partitions (of lengths `lens`) with equal keys (`m`
/// label codes each, concatenated) merged, in order of first partition.
fn released_sizes(keys: &[u32], m: usize, lens: &[usize]) -> Vec<u64> {
    let mut index: HashMap<&[u32], usize> = HashMap::with_capacity(lens.len());
    let mut sizes: Vec<u64> = Vec::new();
    for (p, &len) in lens.iter().enumerate() {
        let class = *index.entry(&keys[p * m..(p + 1) * m]).or_insert_with(|| {
            sizes.push(0);
            sizes.len() - 1
        });
        sizes[class] += len as u64;
    }
    sizes
}

fn numeric(column: &Column) -> Result<Qi<'_>> {
    let mut parsed: Vec<(f64, &str, usize)> = Vec::with_capacity(column.dictionary.len());
    for (code, text) in column.dictionary.iter().enumerate() {
        let v: f64 = text
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "quasi-identifier '{}' has no hierarchy and value '{text}' is not numeric",
                    column.name
                ))
            })?;
        parsed.push((v, text, code));
    }
    parsed.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let mut rank = vec![0u32; parsed.len()];
    for (r, &(_, _, code)) in parsed.iter().enumerate() {
        rank[code] = u32::try_from(r).map_err(|_| Error::limit("values", u64::from(u32::MAX)))?;
    }
    Ok(Qi::Numeric {
        codes: &column.codes,
        rank,
        values: parsed.iter().map(|p| p.0).collect(),
        texts: parsed.iter().map(|p| p.1).collect(),
    })
}

/// Moves the rows satisfying `left` to the front; returns their number.
fn partition_in_place(rows: &mut [u32], left: impl Fn(u32) -> bool) -> usize {
    let mut i = 0;
    for j in 0..rows.len() {
        if left(rows[j]) {
            rows.swap(i, j);
            i += 1;
        }
    }
    i
}

impl Run<'_, '_> {
    /// Splits `rows` recursively; `threads_log` halves of thread budget remain.
    fn split(&self, rows: &mut [u32], threads_log: u32) -> Out {
        let mut out = Out::default();
        if self.cancel.load(Ordering::Relaxed) {
            return out;
        }
        let m = self.m;
        let gens: Vec<[u32; 2]> = m.qis.iter().map(|q| q.summarize(rows)).collect();
        let mut dims: Vec<(f64, usize)> = gens
            .iter()
            .zip(&m.qis)
            .enumerate()
            .map(|(d, (&g, q))| (q.width(g).0, d))
            .collect();
        // Widest first; ties by attribute order, for determinism.
        dims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, d) in &dims {
            if let Some(cuts) = self.cut(rows, d, gens[d]) {
                return self.recurse(rows, &cuts, threads_log);
            }
        }
        self.finish(rows.len(), gens, &mut out);
        out
    }

    /// Tries to cut along dimension `d`; on success `rows` is reordered and the lengths of the
    /// parts are returned.
    fn cut(&self, rows: &mut [u32], d: usize, g: [u32; 2]) -> Option<Vec<usize>> {
        let m = self.m;
        let qi = &m.qis[d];
        match qi {
            Qi::Numeric { .. } => {
                if g[0] == g[1] {
                    return None;
                }
                let mid = rows.len() / 2;
                if m.relaxed {
                    rows.select_nth_unstable_by_key(mid, |&r| (qi.key(r, 0), r));
                    let (a, b) = rows.split_at(mid);
                    return (m.allowable(a) && m.allowable(b)).then(|| vec![mid, rows.len() - mid]);
                }
                let (_, median, _) = rows.select_nth_unstable_by_key(mid, |&r| qi.key(r, 0));
                let median = qi.key(*median, 0);
                // Values <= median go left; if that leaves the right empty, values < median.
                let split = if median < g[1] { median } else { median - 1 };
                let left = partition_in_place(rows, |r| qi.key(r, 0) <= split);
                let (a, b) = rows.split_at(left);
                (!a.is_empty() && !b.is_empty() && m.allowable(a) && m.allowable(b))
                    .then(|| vec![left, rows.len() - left])
            }
            Qi::Categorical { .. } => {
                if g[0] == 0 {
                    return None;
                }
                let child = g[0] - 1;
                let Qi::Categorical { enc, .. } = qi else {
                    return None;
                };
                // Stable counting sort by the node at the child level.
                let nodes = enc.labels[child as usize].len();
                let mut counts = vec![0usize; nodes + 1];
                for &r in rows.iter() {
                    counts[qi.key(r, child) as usize + 1] += 1;
                }
                let lens: Vec<usize> = counts.iter().copied().filter(|&c| c > 0).collect();
                for i in 1..counts.len() {
                    counts[i] += counts[i - 1];
                }
                let mut sorted = vec![0u32; rows.len()];
                for &r in rows.iter() {
                    let slot = &mut counts[qi.key(r, child) as usize];
                    sorted[*slot] = r;
                    *slot += 1;
                }
                rows.copy_from_slice(&sorted);
                let mut start = 0;
                for &len in &lens {
                    if !m.allowable(&rows[start..start + len]) {
                        return None;
                    }
                    start += len;
                }
                Some(lens)
            }
        }
    }

    fn recurse(&self, rows: &mut [u32], lens: &[usize], threads_log: u32) -> Out {
        let mut parts = Vec::with_capacity(lens.len());
        let mut rest = rows;
        for &len in lens {
            let (a, b) = rest.split_at_mut(len);
            parts.push(a);
            rest = b;
        }
        let mut out = Out::default();
        if threads_log == 0 || parts.iter().map(|p| p.len()).sum::<usize>() < PARALLEL_MIN {
            for p in parts {
                out.append(self.split(p, threads_log));
            }
            return out;
        }
        let next = threads_log - 1;
        let results: Vec<Out> = std::thread::scope(|s| {
            let mut handles = Vec::new();
            let mut last = None;
            let count = parts.len();
            for (i, p) in parts.into_iter().enumerate() {
                if i + 1 == count {
                    last = Some(p);
                } else {
                    handles.push(s.spawn(move || self.split(p, next)));
                }
            }
            let tail = last.map(|p| self.split(p, next)).unwrap_or_default();
            let mut results: Vec<Out> = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect();
            results.push(tail);
            results
        });
        for r in results {
            out.append(r);
        }
        out
    }

    fn finish(&self, len: usize, gens: Vec<[u32; 2]>, out: &mut Out) {
        out.lens.push(len);
        out.gens.extend(gens);
        let before = self.done.fetch_add(len as u64, Ordering::Relaxed);
        let after = before + len as u64;
        let total = self.m.table.rows as u64;
        if (before / self.step != after / self.step || after == total)
            && (self.progress)(after, total).is_break()
        {
            self.cancel.store(true, Ordering::Relaxed);
        }
    }
}
