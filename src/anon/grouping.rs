//! The grouping engine contract and the in-memory engine.
//!
//! The search sees the records only through [`GroupingEngine::group`]: "the equivalence
//! classes when every quasi-identifier is generalized to this level". [`GroupingPlan`] is what
//! an engine is told to compute, compiled from an [`AnonymizationConfig`] against the data's
//! attributes; [`Groups`] is what it returns. [`InMemoryEngine`] implements the contract over a
//! [`Table`]; a query engine (privkit-datafusion's GROUP BY engine) implements it over data
//! that is not in memory.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::config::AnonymizationConfig;
use super::hierarchy::Encoded;
use super::model::{Check, compile};
use super::table::{AttributeRole, Attributes, Table};
use crate::{Error, Result};

/// Equivalence classes of one transformation: for every class its generalized quasi-identifier
/// codes, its record count, and its histograms of the sensitive attributes (concatenated).
#[derive(Debug, Clone, Default)]
pub struct Groups {
    qis: usize,
    width: usize,
    keys: Vec<u32>,
    counts: Vec<u32>,
    hists: Vec<u32>,
}

impl Groups {
    /// Empty groups for `quasi_identifiers` key codes and `histogram_width` histogram cells.
    #[must_use]
    pub fn new(quasi_identifiers: usize, histogram_width: usize) -> Self {
        Self {
            qis: quasi_identifiers,
            width: histogram_width,
            ..Self::default()
        }
    }

    /// Appends a class.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `key` or `histogram` has the wrong length.
    pub fn push(&mut self, key: &[u32], count: u32, histogram: &[u32]) -> Result<()> {
        if key.len() != self.qis || histogram.len() != self.width {
            return Err(Error::invalid_argument(
                "class key or histogram has the wrong length",
            ));
        }
        self.keys.extend_from_slice(key);
        self.counts.push(count);
        self.hists.extend_from_slice(histogram);
        Ok(())
    }

    /// Number of classes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether there are no classes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Number of quasi-identifier codes per class key.
    #[must_use]
    pub fn quasi_identifiers(&self) -> usize {
        self.qis
    }

    /// Number of histogram cells per class.
    #[must_use]
    pub fn histogram_width(&self) -> usize {
        self.width
    }

    /// The generalized quasi-identifier codes of class `i`, if there is one.
    #[must_use]
    pub fn class_key(&self, i: usize) -> Option<&[u32]> {
        self.keys.get(i * self.qis..(i + 1) * self.qis)
    }

    /// The record count of class `i`, if there is one.
    #[must_use]
    pub fn class_count(&self, i: usize) -> Option<u32> {
        self.counts.get(i).copied()
    }

    /// The sensitive-value histogram of class `i`, if there is one.
    #[must_use]
    pub fn class_histogram(&self, i: usize) -> Option<&[u32]> {
        self.hists.get(i * self.width..(i + 1) * self.width)
    }

    /// Total records over all classes.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    pub(crate) fn key(&self, i: usize) -> &[u32] {
        &self.keys[i * self.qis..(i + 1) * self.qis]
    }

    pub(crate) fn count(&self, i: usize) -> u32 {
        self.counts[i]
    }

    pub(crate) fn hist(&self, i: usize) -> &[u32] {
        &self.hists[i * self.width..(i + 1) * self.width]
    }
}

/// The one seam between the search and the data: "group the records under this level vector".
///
/// An engine is built for one [`GroupingPlan`] and groups the records it holds:
/// for `levels`, every record falls into the class keyed by
/// `[plan.codes(0, levels[0])[c_0], ..., plan.codes(q-1, levels[q-1])[c_q-1]]`, where `c_i` is
/// the index of the record's value of quasi-identifier `i` in `plan.values(i)`; a class
/// holds its record count and, for every sensitive attribute `j` of the plan, the count of
/// each of its values `v` (index in `plan.sensitive_values(j)`) in histogram cell
/// `plan.histogram_offset(j) + v`. Classes may come in any order, each key once.
///
/// [`InMemoryEngine`] implements it over a [`Table`]; privkit-datafusion's engine implements
/// it as GROUP BY queries. The [`Anonymizer`](super::Anonymizer) checks the shape of every
/// answer and that its classes hold every record of the plan.
///
/// # Example
/// An engine that counts the groupings asked of it and delegates to the in-memory engine:
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use privkit::anon::{
///     AnonymizationConfig, Anonymizer, AttributeRole, GroupingEngine, Groups, Hierarchy,
///     InMemoryEngine, PrivacyModel, Profile, Table,
/// };
///
/// #[derive(Debug)]
/// struct Counting<'a> {
///     inner: InMemoryEngine,
///     calls: &'a AtomicUsize,
/// }
///
/// impl GroupingEngine for Counting<'_> {
///     fn group(&mut self, levels: &[usize]) -> privkit::Result<Arc<Groups>> {
///         self.calls.fetch_add(1, Ordering::Relaxed);
///         self.inner.group(levels)
///     }
/// }
///
/// let mut table = Table::from_rows(&["age"], [["34"], ["36"], ["35"], ["52"], ["55"], ["58"]])?;
/// table.set_role("age", AttributeRole::QuasiIdentifying)?;
/// let ages = ["34", "36", "35", "52", "55", "58"];
/// let config = AnonymizationConfig::new()
///     .hierarchy("age", Hierarchy::numeric_intervals(&ages, 0, 100, &[10, 50])?)
///     .model(PrivacyModel::KAnonymity { k: 3 });
/// let calls = AtomicUsize::new(0);
/// let mut anonymizer = Anonymizer::from_profile(&Profile::of(&table), &config, |plan| {
///     // The plan lists the quasi-identifiers, their values and their codes per level.
///     assert_eq!(plan.quasi_identifiers(), ["age"]);
///     assert_eq!(plan.codes(0, 1), Some(&[0, 0, 0, 1, 1, 1][..]));
///     Ok(Box::new(Counting { inner: InMemoryEngine::new(&table, plan)?, calls: &calls }))
/// })?;
/// let optimum = anonymizer.optimal()?.optimum.expect("a solution");
/// assert_eq!(optimum.levels, [1]);
/// assert!(calls.load(Ordering::Relaxed) > 0);
/// # Ok::<(), privkit::Error>(())
/// ```
pub trait GroupingEngine: core::fmt::Debug {
    /// The equivalence classes when quasi-identifier `i` is generalized to `levels[i]`, keyed
    /// by the codes of the engine's [`GroupingPlan`].
    ///
    /// # Errors
    /// Whatever the engine reports (for example an I/O error of a query engine).
    fn group(&mut self, levels: &[usize]) -> Result<Arc<Groups>>;
}

#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u128(&mut self, v: u128) {
        let bytes = v.to_le_bytes();
        let (mut lo, mut hi) = ([0u8; 8], [0u8; 8]);
        lo.copy_from_slice(&bytes[..8]);
        hi.copy_from_slice(&bytes[8..]);
        self.write_u64(u64::from_le_bytes(lo));
        self.write_u64(u64::from_le_bytes(hi));
    }
}

/// A hash map with a fast, non-cryptographic hash of integer keys (the keys are codes).
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The in-memory grouping engine: dictionary codes, per-level roll-up maps, a `u128` packed key
/// per class, and a bounded cache of earlier groupings to roll up from (a transformation is
/// computed from the cached, less generalized transformation with the fewest classes).
#[derive(Debug)]
pub struct InMemoryEngine {
    up: Vec<Vec<Vec<Vec<u32>>>>,
    shifts: Vec<u32>,
    base: Arc<Groups>,
    cache: FxMap<usize, (Vec<usize>, Arc<Groups>)>,
    order: VecDeque<usize>,
    radices: Vec<usize>,
    cached_words: usize,
    budget_words: usize,
    dense: Vec<u32>,
    narrow: bool,
    index64: FxMap<u64, u32>,
    assign: Vec<u32>,
    first: Vec<u32>,
}

impl InMemoryEngine {
    /// The engine over `table` for `plan`, which must have been compiled against this table's
    /// attributes (by [`Anonymizer::new`](super::Anonymizer::new), or by
    /// [`Anonymizer::from_profile`](super::Anonymizer::from_profile) with [`Profile::of`](super::Profile::of)
    /// the table); groups the records once at level 0.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the plan names an attribute the table lacks or was
    /// compiled against other values or another number of records; [`Error::LimitExceeded`]
    /// when the packed class key needs more than 128 bits.
    pub fn new(table: &Table, plan: &GroupingPlan) -> Result<Self> {
        let columns = plan.columns_in(table)?;
        let (qi_columns, sensitive) = columns.split_at(plan.qi_names.len());
        let sensitive: Vec<(usize, usize)> = sensitive
            .iter()
            .zip(&plan.sensitive)
            .map(|(&c, s)| (c, s.offset))
            .collect();
        Self::build(table, qi_columns, &plan.encoded, &sensitive, plan.width)
    }

    pub(crate) fn build(
        table: &Table,
        qi_columns: &[usize],
        hierarchies: &[Encoded],
        sensitive: &[(usize, usize)],
        width: usize,
    ) -> Result<Self> {
        let mut shifts = Vec::with_capacity(qi_columns.len());
        let mut bits_total = 0u32;
        for h in hierarchies {
            let size = h.labels.first().map_or(1, Vec::len).max(2);
            let bits = usize::BITS - (size - 1).leading_zeros();
            shifts.push(bits_total);
            bits_total += bits;
        }
        if bits_total > 128 {
            return Err(Error::limit("bits of a packed quasi-identifier key", 128));
        }
        let q = qi_columns.len();
        let mut index: FxMap<u128, u32> = FxMap::default();
        let mut base = Groups::new(q, width);
        let mut key = vec![0u32; q];
        for row in 0..table.rows {
            let mut packed = 0u128;
            for (i, &c) in qi_columns.iter().enumerate() {
                let code = table.columns[c].codes[row];
                key[i] = code;
                packed |= u128::from(code) << shifts[i];
            }
            let next = u32::try_from(base.len())
                .map_err(|_| Error::limit("classes", u64::from(u32::MAX)))?;
            let class = *index.entry(packed).or_insert_with(|| {
                base.keys.extend_from_slice(&key);
                base.counts.push(0);
                base.hists.extend(core::iter::repeat_n(0, width));
                next
            }) as usize;
            base.counts[class] += 1;
            for &(column, offset) in sensitive {
                let code = table.columns[column].codes[row] as usize;
                base.hists[class * width + offset + code] += 1;
            }
        }
        let up = hierarchies.iter().map(|h| h.up.clone()).collect();
        Ok(Self {
            up,
            shifts,
            base: Arc::new(base),
            cache: FxMap::default(),
            radices: hierarchies.iter().map(Encoded::levels).collect(),
            order: VecDeque::new(),
            cached_words: 0,
            budget_words: 32 << 20,
            dense: Vec::new(),
            narrow: bits_total <= 64,
            index64: FxMap::default(),
            assign: Vec::new(),
            first: Vec::new(),
        })
    }

    fn roll_up(
        &mut self,
        from_levels: &[usize],
        from: &Groups,
        levels: &[usize],
    ) -> Result<Groups> {
        let q = from.qis;
        let width = from.width;
        let mut out = Groups::new(q, width);
        let maps: Vec<&[u32]> = (0..q)
            .map(|i| self.up[i][from_levels[i]][levels[i]].as_slice())
            .collect();
        // Mixed-radix index of the generalized key when the key space is small: a dense table
        // instead of a hash map.
        let mut space = 1usize;
        for (up, &level) in self.up.iter().zip(levels) {
            space = space.saturating_mul(up[level][level].len().max(1));
        }
        // Pass 1: the target class of every source class; `first[t]` is a representative.
        let mut assign = core::mem::take(&mut self.assign);
        let mut first = core::mem::take(&mut self.first);
        assign.clear();
        first.clear();
        if space <= DENSE_LIMIT && space <= from.len().saturating_mul(16).max(1 << 16) {
            if self.dense.len() < space {
                self.dense.resize(space, u32::MAX);
            }
            // Only attributes with more than one generalized value contribute to the index.
            let active: Vec<(usize, usize, &[u32])> = (0..q)
                .map(|i| (i, self.up[i][levels[i]][levels[i]].len().max(1), maps[i]))
                .filter(|&(_, radix, _)| radix > 1)
                .collect();
            let mut touched: Vec<usize> = Vec::new();
            for (c, key) in from
                .keys
                .chunks_exact(q.max(1))
                .enumerate()
                .take(from.len())
            {
                let mut index = 0usize;
                for &(i, radix, map) in &active {
                    index = index * radix + map[key[i] as usize] as usize;
                }
                let slot = &mut self.dense[index];
                if *slot == u32::MAX {
                    *slot = narrow(first.len())?;
                    first.push(narrow(c)?);
                    touched.push(index);
                }
                assign.push(*slot);
            }
            for index in touched {
                self.dense[index] = u32::MAX;
            }
        } else if self.narrow {
            let mut index = core::mem::take(&mut self.index64);
            index.clear();
            let shifts = &self.shifts;
            let pack = |key: &[u32]| {
                (0..q).fold(0u64, |p, i| {
                    p | u64::from(maps[i][key[i] as usize]) << shifts[i]
                })
            };
            let result = assign_hashed(from, q, &mut index, pack, &mut assign, &mut first);
            self.index64 = index;
            result?;
        } else {
            let mut index: FxMap<u128, u32> = FxMap::default();
            let shifts = &self.shifts;
            let pack = |key: &[u32]| {
                (0..q).fold(0u128, |p, i| {
                    p | u128::from(maps[i][key[i] as usize]) << shifts[i]
                })
            };
            assign_hashed(from, q, &mut index, pack, &mut assign, &mut first)?;
        }
        // Pass 2: keys, counts and histograms, allocated once.
        let classes = first.len();
        out.keys.reserve_exact(classes * q);
        let (assign, first) = (assign, first);
        for &c in &first {
            let key = &from.keys[c as usize * q..(c as usize + 1) * q];
            out.keys
                .extend(key.iter().zip(&maps).map(|(&k, m)| m[k as usize]));
        }
        out.counts = vec![0; classes];
        for (&t, &n) in assign.iter().zip(&from.counts) {
            out.counts[t as usize] += n;
        }
        if width > 0 {
            out.hists = vec![0; classes * width];
            for (c, &t) in assign.iter().enumerate() {
                let src = &from.hists[c * width..(c + 1) * width];
                let dst = &mut out.hists[t as usize * width..(t as usize + 1) * width];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
        self.assign = assign;
        self.first = first;
        Ok(out)
    }
}

/// Pass 1 of a roll-up through a hash map of packed keys.
fn assign_hashed<K: Copy + Eq + core::hash::Hash>(
    from: &Groups,
    q: usize,
    index: &mut FxMap<K, u32>,
    pack: impl Fn(&[u32]) -> K,
    assign: &mut Vec<u32>,
    first: &mut Vec<u32>,
) -> Result<()> {
    index.reserve(from.len());
    for (c, key) in from
        .keys
        .chunks_exact(q.max(1))
        .enumerate()
        .take(from.len())
    {
        let next = narrow(first.len())?;
        let c = narrow(c)?;
        let slot = *index.entry(pack(key)).or_insert_with(|| {
            first.push(c);
            next
        });
        assign.push(slot);
    }
    Ok(())
}

fn narrow(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::limit("equivalence classes", u64::from(u32::MAX)))
}

/// Largest key space grouped through a dense table (entries of 4 bytes).
const DENSE_LIMIT: usize = 1 << 22;

impl GroupingEngine for InMemoryEngine {
    fn group(&mut self, levels: &[usize]) -> Result<Arc<Groups>> {
        if levels.len() != self.shifts.len() {
            return Err(Error::invalid_argument("level vector has the wrong length"));
        }
        if levels.iter().all(|&l| l == 0) {
            return Ok(Arc::clone(&self.base));
        }
        let id = |levels: &[usize]| {
            levels
                .iter()
                .zip(&self.radices)
                .fold(0usize, |a, (l, r)| a * r + l)
        };
        let node = id(levels);
        if let Some((_, g)) = self.cache.get(&node) {
            return Ok(Arc::clone(g));
        }
        // Best source: the cached less-generalized transformation with the fewest classes.
        let mut best: (usize, usize) = (usize::MAX, self.base.len());
        let mut stride = 1usize;
        for i in (0..levels.len()).rev() {
            if levels[i] > 0
                && let Some((_, g)) = self.cache.get(&(node - stride))
                && g.len() < best.1
            {
                best = (node - stride, g.len());
            }
            stride *= self.radices[i];
        }
        if best.0 == usize::MAX && self.cache.len() <= 4096 {
            for (&k, (l, g)) in &self.cache {
                if g.len() < best.1 && l.iter().zip(levels).all(|(a, b)| a <= b) {
                    best = (k, g.len());
                }
            }
        }
        let (source_levels, source) = match self.cache.get(&best.0) {
            Some((l, g)) => (l.clone(), Arc::clone(g)),
            None => (vec![0; levels.len()], Arc::clone(&self.base)),
        };
        let groups = Arc::new(self.roll_up(&source_levels, &source, levels)?);
        let words = groups.keys.len() + groups.counts.len() + groups.hists.len();
        if words <= self.budget_words / 4 {
            while self.cached_words + words > self.budget_words {
                let Some(old) = self.order.pop_front() else {
                    break;
                };
                if let Some((_, g)) = self.cache.remove(&old) {
                    self.cached_words -= g.keys.len() + g.counts.len() + g.hists.len();
                }
            }
            self.cached_words += words;
            self.order.push_back(node);
            self.cache
                .insert(node, (levels.to_vec(), Arc::clone(&groups)));
        }
        Ok(groups)
    }
}

/// A sensitive attribute of a [`GroupingPlan`].
#[derive(Debug)]
pub(crate) struct SensitiveSlot {
    pub(crate) column: usize,
    pub(crate) name: String,
    pub(crate) values: Vec<String>,
    pub(crate) offset: usize,
}

/// What a [`GroupingEngine`] computes: a configuration compiled against a data set's
/// attributes. For every quasi-identifier, in level-vector order: its name, its distinct values
/// (a value's index is its code), and for every level the generalized code of each value
/// (with the labels the codes stand for); for every sensitive attribute the models use: its
/// name, its distinct values and where its histogram cells start.
///
/// Built by [`Anonymizer::new`](super::Anonymizer::new) and
/// [`Anonymizer::from_profile`](super::Anonymizer::from_profile), which hands it to the engine
/// it builds. Accessors return `None` for an index out of range.
#[derive(Debug)]
pub struct GroupingPlan {
    pub(crate) records: u64,
    /// Attribute index of each quasi-identifier, in level-vector order.
    pub(crate) qi_columns: Vec<usize>,
    pub(crate) qi_names: Vec<String>,
    pub(crate) qi_values: Vec<Vec<String>>,
    /// Each quasi-identifier's hierarchy encoded against its values.
    pub(crate) encoded: Vec<Encoded>,
    /// Records per value of each quasi-identifier.
    pub(crate) counts: Vec<Vec<u64>>,
    pub(crate) checks: Vec<Check>,
    pub(crate) sensitive: Vec<SensitiveSlot>,
    /// Total histogram width.
    pub(crate) width: usize,
    pub(crate) max_outliers: u64,
}

impl GroupingPlan {
    /// Compiles `config` against `data`'s attributes.
    pub(crate) fn new(data: &impl Attributes, config: &AnonymizationConfig) -> Result<Self> {
        config.validate()?;
        super::hierarchy::check_attributes(
            &config.hierarchies,
            (0..data.attribute_count()).map(|i| data.attribute_name(i)),
        )?;
        let limit = config.suppression_limit;
        let mut qi_columns = Vec::new();
        let mut qi_names = Vec::new();
        let mut qi_values = Vec::new();
        let mut encoded = Vec::new();
        for i in 0..data.attribute_count() {
            if data.attribute_role(i) != AttributeRole::QuasiIdentifying {
                continue;
            }
            let name = data.attribute_name(i);
            let h = config.hierarchy_of(name).ok_or_else(|| {
                Error::invalid_argument(format!("quasi-identifier '{name}' has no hierarchy"))
            })?;
            encoded.push(Encoded::new(h, name, data.dictionary(i))?);
            qi_columns.push(i);
            qi_names.push(name.to_owned());
            qi_values.push(data.dictionary(i).to_vec());
        }
        let mut lattice = 1usize;
        for h in &encoded {
            lattice = lattice.saturating_mul(h.levels());
        }
        if lattice > 1 << 24 {
            return Err(Error::limit("transformations in the lattice", 1 << 24));
        }
        let (checks, sensitive, width) = compile(data, &config.models)?;
        let sensitive = sensitive
            .into_iter()
            .map(|(column, offset)| SensitiveSlot {
                column,
                name: data.attribute_name(column).to_owned(),
                values: data.dictionary(column).to_vec(),
                offset,
            })
            .collect();
        let n = data.record_count();
        // In [0, n] since the limit is in [0, 1].
        #[allow(clippy::cast_possible_truncation)]
        let max_outliers = (limit * n as f64).floor() as u64;
        let counts = qi_columns.iter().map(|&c| data.value_counts(c)).collect();
        Ok(Self {
            records: n,
            qi_columns,
            qi_names,
            qi_values,
            encoded,
            counts,
            checks,
            sensitive,
            width,
            max_outliers,
        })
    }

    /// Number of records the classes must hold.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Names of the quasi-identifiers, in level-vector order.
    #[must_use]
    pub fn quasi_identifiers(&self) -> &[String] {
        &self.qi_names
    }

    /// The distinct values of quasi-identifier `qi`: value `c` has code `c`.
    #[must_use]
    pub fn values(&self, qi: usize) -> Option<&[String]> {
        self.qi_values.get(qi).map(Vec::as_slice)
    }

    /// Number of levels of quasi-identifier `qi`'s hierarchy (level 0 included).
    #[must_use]
    pub fn levels(&self, qi: usize) -> Option<usize> {
        self.encoded.get(qi).map(Encoded::levels)
    }

    /// The generalized code at `level` of each value of quasi-identifier `qi` (indexed by the
    /// value's code): the codes of class keys.
    #[must_use]
    pub fn codes(&self, qi: usize, level: usize) -> Option<&[u32]> {
        self.encoded
            .get(qi)
            .and_then(|e| e.maps.get(level))
            .map(Vec::as_slice)
    }

    /// The generalized values at `level` of quasi-identifier `qi`, indexed by generalized code.
    #[must_use]
    pub fn labels(&self, qi: usize, level: usize) -> Option<&[String]> {
        self.encoded
            .get(qi)
            .and_then(|e| e.labels.get(level))
            .map(Vec::as_slice)
    }

    /// Names of the sensitive attributes whose histograms the classes carry.
    pub fn sensitive_attributes(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.sensitive.iter().map(|s| s.name.as_str())
    }

    /// The distinct values of sensitive attribute `j`: value `v` counts in histogram cell
    /// [`histogram_offset(j)`](Self::histogram_offset) `+ v`.
    #[must_use]
    pub fn sensitive_values(&self, j: usize) -> Option<&[String]> {
        self.sensitive.get(j).map(|s| s.values.as_slice())
    }

    /// The first histogram cell of sensitive attribute `j`.
    #[must_use]
    pub fn histogram_offset(&self, j: usize) -> Option<usize> {
        self.sensitive.get(j).map(|s| s.offset)
    }

    /// Histogram cells per class, over all sensitive attributes.
    #[must_use]
    pub fn histogram_width(&self) -> usize {
        self.width
    }

    /// The column of `table` of every quasi-identifier, then of every sensitive attribute,
    /// checking that the plan was compiled against this table.
    fn columns_in(&self, table: &Table) -> Result<Vec<usize>> {
        if table.record_count() != self.records {
            return Err(Error::invalid_argument(format!(
                "the plan is for {} records, the table has {}",
                self.records,
                table.record_count()
            )));
        }
        let names = self
            .qi_names
            .iter()
            .zip(&self.qi_values)
            .chain(self.sensitive.iter().map(|s| (&s.name, &s.values)));
        names
            .map(|(name, values)| {
                let c = table.require_attribute(name)?;
                if table.dictionary(c) != values.as_slice() {
                    return Err(Error::invalid_argument(format!(
                        "attribute '{name}' has other values than the plan was compiled against"
                    )));
                }
                Ok(c)
            })
            .collect()
    }
}
