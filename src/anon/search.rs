//! Grouping engines, full-domain generalization, and the optimal lattice search.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::hierarchy::{Encoded, Hierarchy};
use super::metric::{Context, Metric, Metrics};
use super::model::{Check, PrivacyModel};
use super::table::{AttributeRole, Attributes, Column, Table};
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
/// [`InMemoryEngine`] implements it over a [`Table`]; a query engine can implement it too.
pub trait GroupingEngine: core::fmt::Debug {
    /// The equivalence classes when quasi-identifier `i` is generalized to `levels[i]`, with
    /// generalized codes as in the hierarchies' encoding against the table's dictionaries.
    ///
    /// # Errors
    /// Whatever the engine reports (for example an I/O error of a query engine).
    fn group(&mut self, levels: &[usize]) -> Result<Arc<Groups>>;
}

#[derive(Default)]
struct FxHasher(u64);

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

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

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
    fn new(
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

/// What to protect and how: hierarchies for the quasi-identifiers, privacy models, the record
/// suppression limit and the metric to minimize.
#[derive(Debug, Clone)]
pub struct AnonymizationConfig {
    hierarchies: Vec<(String, Hierarchy)>,
    models: Vec<PrivacyModel>,
    suppression_limit: f64,
    metric: Metric,
}

impl Default for AnonymizationConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl AnonymizationConfig {
    /// No models, no suppression, [`Metric::Entropy`].
    #[must_use]
    pub fn new() -> Self {
        Self {
            hierarchies: Vec::new(),
            models: Vec::new(),
            suppression_limit: 0.0,
            metric: Metric::Entropy,
        }
    }

    /// Sets the hierarchy of `attribute` (a quasi-identifier, or a sensitive attribute used by
    /// hierarchical t-closeness).
    #[must_use]
    pub fn hierarchy(mut self, attribute: impl Into<String>, hierarchy: Hierarchy) -> Self {
        let attribute = attribute.into();
        self.hierarchies.retain(|(a, _)| *a != attribute);
        self.hierarchies.push((attribute, hierarchy));
        self
    }

    /// Adds a privacy model.
    #[must_use]
    pub fn model(mut self, model: PrivacyModel) -> Self {
        self.models.push(model);
        self
    }

    /// The largest fraction of records that may be suppressed, in `[0, 1]`.
    #[must_use]
    pub fn suppression_limit(mut self, fraction: f64) -> Self {
        self.suppression_limit = fraction;
        self
    }

    /// The metric to minimize.
    #[must_use]
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }
}

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

/// The evaluation of one transformation (level vector).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Level of each quasi-identifier, in the order of [`Anonymizer::quasi_identifiers`].
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

struct NodeEval {
    anonymous: bool,
    mono_ok: bool,
    value: f64,
    bound: f64,
}

/// A configuration compiled against a data set's attributes: what a grouping engine needs.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) rows: u64,
    /// Attribute index of each quasi-identifier, in level-vector order.
    pub(crate) qi_columns: Vec<usize>,
    pub(crate) qi_names: Vec<String>,
    /// Each quasi-identifier's hierarchy encoded against its dictionary.
    pub(crate) encoded: Vec<Encoded>,
    /// Records per level-0 code of each quasi-identifier.
    pub(crate) counts: Vec<Vec<u64>>,
    checks: Vec<Check>,
    /// `(attribute index, histogram offset)` of each sensitive attribute the models use.
    pub(crate) sensitive: Vec<(usize, usize)>,
    /// Total histogram width.
    pub(crate) width: usize,
    max_outliers: u64,
}

impl Prepared {
    fn new(table: &impl Attributes, config: &AnonymizationConfig) -> Result<Self> {
        if config.models.is_empty() {
            return Err(Error::invalid_argument(
                "at least one privacy model is required",
            ));
        }
        let limit = config.suppression_limit;
        if !limit.is_finite() || !(0.0..=1.0).contains(&limit) {
            return Err(Error::invalid_argument(
                "suppression limit must be in [0, 1]",
            ));
        }
        super::hierarchy::check_attributes(
            &config.hierarchies,
            (0..table.attribute_count()).map(|i| table.attribute_name(i)),
        )?;
        let mut qi_columns = Vec::new();
        let mut qi_names = Vec::new();
        let mut encoded = Vec::new();
        for i in 0..table.attribute_count() {
            if table.attribute_role(i) != AttributeRole::QuasiIdentifying {
                continue;
            }
            let name = table.attribute_name(i);
            let h = config
                .hierarchies
                .iter()
                .find(|(a, _)| *a == name)
                .ok_or_else(|| {
                    Error::invalid_argument(format!("quasi-identifier '{name}' has no hierarchy"))
                })?;
            encoded.push(Encoded::new(&h.1, name, table.dictionary(i))?);
            qi_columns.push(i);
            qi_names.push(name.to_owned());
        }
        let mut lattice = 1usize;
        for h in &encoded {
            lattice = lattice.saturating_mul(h.levels());
        }
        if lattice > 1 << 24 {
            return Err(Error::limit("transformations in the lattice", 1 << 24));
        }
        let (checks, sensitive, width) = super::model::compile(table, &config.models)?;
        let n = table.record_count();
        // In [0, n] since the limit is in [0, 1].
        #[allow(clippy::cast_possible_truncation)]
        let max_outliers = (limit * n as f64).floor() as u64;
        let counts = qi_columns.iter().map(|&c| table.value_counts(c)).collect();
        Ok(Self {
            rows: n,
            qi_columns,
            qi_names,
            encoded,
            counts,
            checks,
            sensitive,
            width,
            max_outliers,
        })
    }
}

/// Anonymizes one table under one configuration.
#[derive(Debug)]
pub struct Anonymizer<'t> {
    table: Option<&'t Table>,
    qi_columns: Vec<usize>,
    qi_names: Vec<String>,
    heights: Vec<usize>,
    checks: Vec<Check>,
    max_outliers: u64,
    width: usize,
    metric: Metric,
    context: Context,
    engine: Box<dyn GroupingEngine + 't>,
}

impl<'t> Anonymizer<'t> {
    /// Prepares the table: encodes hierarchies and models against the data and groups the records.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a quasi-identifier has no hierarchy or a hierarchy misses
    /// a value (named), a hierarchy names an attribute the table lacks, no model is given, a model names an attribute that is not sensitive, a
    /// parameter is out of range, or the suppression limit is not in `[0, 1]`.
    /// [`Error::LimitExceeded`] when the lattice has more than 2^24 transformations or the
    /// packed class key more than 128 bits.
    pub fn new(table: &'t Table, config: &AnonymizationConfig) -> Result<Self> {
        let parts = Prepared::new(table, config)?;
        let engine = InMemoryEngine::new(
            table,
            &parts.qi_columns,
            &parts.encoded,
            &parts.sensitive,
            parts.width,
        )?;
        Ok(Self::assemble(Some(table), parts, config, Box::new(engine)))
    }

    fn assemble(
        table: Option<&'t Table>,
        parts: Prepared,
        config: &AnonymizationConfig,
        engine: Box<dyn GroupingEngine + 't>,
    ) -> Self {
        let heights: Vec<usize> = parts.encoded.iter().map(Encoded::levels).collect();
        let context = Context::new(parts.rows, parts.encoded, &parts.counts);
        Self {
            table,
            qi_columns: parts.qi_columns,
            qi_names: parts.qi_names,
            heights,
            checks: parts.checks,
            max_outliers: parts.max_outliers,
            width: parts.width,
            metric: config.metric,
            context,
            engine,
        }
    }

    /// Replaces the grouping engine (for example by one that runs queries); it must group the
    /// same records with the same encoding.
    pub fn set_engine(&mut self, engine: Box<dyn GroupingEngine + 't>) {
        self.engine = engine;
    }

    /// Names of the quasi-identifiers, in level-vector order.
    #[must_use]
    pub fn quasi_identifiers(&self) -> &[String] {
        &self.qi_names
    }

    /// Number of levels of each quasi-identifier's hierarchy (including level 0).
    #[must_use]
    pub fn heights(&self) -> &[usize] {
        &self.heights
    }

    /// Number of transformations in the lattice.
    #[must_use]
    pub fn lattice_size(&self) -> usize {
        self.heights.iter().product()
    }

    fn check_levels(&self, levels: &[usize]) -> Result<()> {
        if levels.len() != self.heights.len()
            || levels.iter().zip(&self.heights).any(|(l, h)| l >= h)
        {
            return Err(Error::invalid_argument(
                "level vector does not fit the hierarchies",
            ));
        }
        Ok(())
    }

    /// Per class: (passes all models, passes the models monotonic with suppression).
    fn assess(&self, g: &Groups) -> (Vec<bool>, u64, u64) {
        let mut pass = Vec::with_capacity(g.len());
        let (mut suppressed, mut mono_suppressed) = (0u64, 0u64);
        for i in 0..g.len() {
            let count = u64::from(g.count(i));
            let hist = g.hist(i);
            let mut ok = true;
            let mut mono_ok = true;
            for check in &self.checks {
                if !check.holds(count, hist) {
                    ok = false;
                    if check.monotonic(self.max_outliers > 0) {
                        mono_ok = false;
                        break;
                    }
                }
            }
            if !ok {
                suppressed += count;
            }
            if !mono_ok {
                mono_suppressed += count;
            }
            pass.push(ok);
        }
        (pass, suppressed, mono_suppressed)
    }

    /// Dry run: evaluates one transformation without building the output table.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a level vector that does not fit; engine errors.
    pub fn evaluate(&mut self, levels: &[usize]) -> Result<Evaluation> {
        self.check_levels(levels)?;
        let g = self.group(levels)?;
        let (pass, suppressed, _) = self.assess(&g);
        let anonymous = suppressed <= self.max_outliers;
        let metrics = self.context.all(levels, &g, &pass, suppressed);
        let kept: Vec<u64> = (0..g.len())
            .filter(|&i| pass[i])
            .map(|i| u64::from(g.count(i)))
            .collect();
        let classes = ClassStatistics {
            classes: kept.len(),
            suppressed_classes: g.len() - kept.len(),
            min_size: kept.iter().copied().min().unwrap_or(0),
            max_size: kept.iter().copied().max().unwrap_or(0),
            average_size: if kept.is_empty() {
                0.0
            } else {
                kept.iter().sum::<u64>() as f64 / kept.len() as f64
            },
        };
        Ok(Evaluation {
            levels: levels.to_vec(),
            anonymous,
            suppressed,
            classes,
            metrics,
        })
    }

    /// Groups through the engine and checks the shape of what it returns.
    fn group(&mut self, levels: &[usize]) -> Result<Arc<Groups>> {
        let g = self.engine.group(levels)?;
        if g.qis != self.qi_columns.len() || g.width != self.width {
            return Err(Error::InvalidOperation(
                "grouping engine returned classes of the wrong shape".into(),
            ));
        }
        Ok(g)
    }

    fn eval_node(&mut self, levels: &[usize]) -> Result<NodeEval> {
        let g = self.group(levels)?;
        let (pass, suppressed, mono_suppressed) = self.assess(&g);
        let anonymous = suppressed <= self.max_outliers;
        let (value, bound) = if anonymous {
            self.context
                .value(self.metric, levels, &g, &pass, suppressed)
        } else {
            (f64::INFINITY, self.context.bound(self.metric, levels, &g))
        };
        Ok(NodeEval {
            anonymous,
            mono_ok: mono_suppressed <= self.max_outliers,
            value,
            bound,
        })
    }

    /// Applies a transformation: quasi-identifiers generalized, records of classes that fail the
    /// models suppressed (every quasi-identifier `*`), identifying attributes removed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a level vector that does not fit; engine errors;
    /// [`Error::InvalidOperation`] for an anonymizer over data that is not in memory (a
    /// query engine's table: apply the levels there, for example with SQL).
    pub fn apply(&mut self, levels: &[usize]) -> Result<Table> {
        self.check_levels(levels)?;
        let table = self.table.ok_or_else(|| {
            Error::InvalidOperation(
                "the data is not in memory: apply the transformation in its query engine".into(),
            )
        })?;
        let g = self.group(levels)?;
        let (pass, _, _) = self.assess(&g);
        // Pass flag per generalized key, via the same mixed-radix packing as the engine.
        let q = self.qi_columns.len();
        let mut class_of: FxMap<&[u32], bool> = FxMap::default();
        for (i, &p) in pass.iter().enumerate() {
            class_of.insert(g.key(i), p);
        }
        let mut columns = Vec::with_capacity(table.columns.len());
        let mut keep = vec![true; table.rows];
        let mut key = vec![0u32; q];
        for (row, flag) in keep.iter_mut().enumerate() {
            for (i, &c) in self.qi_columns.iter().enumerate() {
                let code0 = table.columns[c].codes[row] as usize;
                key[i] = self.context.hierarchies[i].maps[levels[i]][code0];
            }
            *flag = class_of.get(key.as_slice()).copied().unwrap_or(false);
        }
        for (c, column) in table.columns.iter().enumerate() {
            if column.role == AttributeRole::Identifying {
                continue;
            }
            match self.qi_columns.iter().position(|&x| x == c) {
                None => columns.push(column.clone()),
                Some(i) => {
                    let h = &self.context.hierarchies[i];
                    let map = &h.maps[levels[i]];
                    let mut dictionary = h.labels[levels[i]].clone();
                    let star = match dictionary.iter().position(|l| l == "*") {
                        Some(p) => p,
                        None => {
                            dictionary.push("*".into());
                            dictionary.len() - 1
                        }
                    };
                    let star = u32::try_from(star)
                        .map_err(|_| Error::limit("labels", u64::from(u32::MAX)))?;
                    let codes = column
                        .codes
                        .iter()
                        .zip(&keep)
                        .map(|(&c0, &k)| if k { map[c0 as usize] } else { star })
                        .collect();
                    columns.push(Column {
                        name: column.name.clone(),
                        role: column.role,
                        dictionary,
                        codes,
                    });
                }
            }
        }
        Ok(Table {
            columns,
            rows: table.rows,
        })
    }

    fn finish(&mut self, best: Option<Vec<usize>>, checked: usize) -> Result<Anonymization> {
        let lattice_size = self.lattice_size();
        match best {
            None => Ok(Anonymization {
                optimum: None,
                table: None,
                checked,
                lattice_size,
            }),
            Some(levels) => {
                let optimum = self.evaluate(&levels)?;
                let table = match self.table {
                    Some(_) => Some(self.apply(&levels)?),
                    None => None,
                };
                Ok(Anonymization {
                    optimum: Some(optimum),
                    table,
                    checked,
                    lattice_size,
                })
            }
        }
    }

    /// Evaluates every transformation and returns the one with the least information loss
    /// (the reference the optimal search is tested against).
    ///
    /// # Errors
    /// Engine errors.
    pub fn exhaustive(&mut self) -> Result<Anonymization> {
        let lattice = Lattice::new(&self.heights);
        let mut best: Option<(f64, Vec<usize>)> = None;
        let mut checked = 0;
        for node in lattice.by_height() {
            let levels = lattice.levels(node);
            let e = self.eval_node(&levels)?;
            checked += 1;
            if e.anonymous && best.as_ref().is_none_or(|(v, _)| e.value < *v) {
                best = Some((e.value, levels));
            }
        }
        self.finish(best.map(|b| b.1), checked)
    }

    /// Finds the transformation with the least information loss that satisfies the models, with
    /// pruning by monotonicity: a Flash-like binary search along paths of the lattice tags
    /// every transformation as satisfying or failing the models that are monotonic (successors
    /// of a satisfying one satisfy, predecessors of a failing one fail); the optimum is then
    /// sought among the satisfying ones, skipping every transformation whose metric lower bound
    /// reaches the best value found.
    ///
    /// # Errors
    /// Engine errors.
    pub fn optimal(&mut self) -> Result<Anonymization> {
        let lattice = Lattice::new(&self.heights);
        let size = lattice.size;
        let suppression = self.max_outliers > 0;
        let all_monotonic = self.checks.iter().all(|c| c.monotonic(suppression));
        let metric_monotonic = self.metric.monotonic(suppression);
        // 0 unknown, 1 satisfies the monotonic models, 2 fails them.
        let mut state = vec![0u8; size];
        let mut evals: Vec<Option<NodeEval>> = (0..size).map(|_| None).collect();
        let order = lattice.by_height();
        let mut checked = 0usize;

        // Phase 1: status of every transformation under the monotonic models.
        for &start in &order {
            if state[start] != 0 {
                continue;
            }
            let mut path = vec![start];
            let mut current = start;
            while let Some(next) = lattice.successors(current).find(|&s| state[s] == 0) {
                path.push(next);
                current = next;
            }
            let (mut lo, mut hi) = (0usize, path.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                let node = path[mid];
                let ok = match state[node] {
                    1 => true,
                    2 => false,
                    _ => {
                        let e = self.eval_node(&lattice.levels(node))?;
                        checked += 1;
                        let ok = e.mono_ok;
                        evals[node] = Some(e);
                        if ok {
                            lattice.tag(node, &mut state, 1, true);
                        } else {
                            lattice.tag(node, &mut state, 2, false);
                        }
                        ok
                    }
                };
                if ok { hi = mid } else { lo = mid + 1 }
            }
        }

        // Phase 2: the optimum among the transformations that satisfy the monotonic models.
        let mut best: Option<(f64, usize)> = None;
        if all_monotonic && metric_monotonic {
            for &node in &order {
                if state[node] != 1 || lattice.predecessors(node).any(|p| state[p] == 1) {
                    continue;
                }
                let value = match &evals[node] {
                    Some(e) => e.value,
                    None if self.metric == Metric::EntropyMonotonic
                        || (self.metric == Metric::Entropy && !suppression) =>
                    {
                        self.context.entropy_monotonic(&lattice.levels(node))
                    }
                    None if self.metric == Metric::Precision && !suppression => {
                        self.context.precision_bound(&lattice.levels(node))
                    }
                    None => {
                        let e = self.eval_node(&lattice.levels(node))?;
                        checked += 1;
                        let v = e.value;
                        evals[node] = Some(e);
                        v
                    }
                };
                if best.is_none_or(|(v, _)| value < v) {
                    best = Some((value, node));
                }
            }
        } else {
            let mut pruned = vec![0u8; size];
            // A lower bound known from the level vector alone orders the candidates: once it
            // reaches the best value, no later candidate can be better.
            let cheap_bound = |context: &Context, levels: &[usize]| match self.metric {
                Metric::Entropy | Metric::EntropyMonotonic => {
                    Some(context.entropy_monotonic(levels))
                }
                Metric::Precision => Some(context.precision_bound(levels)),
                _ => None,
            };
            let has_cheap_bound = matches!(
                self.metric,
                Metric::Entropy | Metric::EntropyMonotonic | Metric::Precision
            );
            let mut candidates: Vec<(f64, usize)> = order
                .iter()
                .filter(|&&n| state[n] == 1)
                .map(|&n| {
                    (
                        cheap_bound(&self.context, &lattice.levels(n)).unwrap_or(0.0),
                        n,
                    )
                })
                .collect();
            candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (cheap, node) in candidates {
                if has_cheap_bound && best.is_some_and(|(b, _)| cheap >= b) {
                    break;
                }
                if pruned[node] != 0 {
                    continue;
                }
                let levels = lattice.levels(node);
                let e = match evals[node].take() {
                    Some(e) => e,
                    None => {
                        checked += 1;
                        self.eval_node(&levels)?
                    }
                };
                if e.anonymous && best.is_none_or(|(v, _)| e.value < v) {
                    best = Some((e.value, node));
                }
                if best.is_some_and(|(v, _)| e.bound >= v) {
                    lattice.tag(node, &mut pruned, 1, true);
                }
            }
        }
        let best = best.map(|(_, node)| lattice.levels(node));
        self.finish(best, checked)
    }
}

/// The full-domain generalization lattice, nodes numbered in mixed radix.
#[derive(Debug)]
struct Lattice {
    heights: Vec<usize>,
    strides: Vec<usize>,
    size: usize,
}

impl Lattice {
    fn new(heights: &[usize]) -> Self {
        let mut strides = vec![1usize; heights.len()];
        for i in (0..heights.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * heights[i + 1];
        }
        Self {
            heights: heights.to_vec(),
            strides,
            size: heights.iter().product(),
        }
    }

    fn level(&self, node: usize, i: usize) -> usize {
        node / self.strides[i] % self.heights[i]
    }

    fn levels(&self, node: usize) -> Vec<usize> {
        (0..self.heights.len())
            .map(|i| self.level(node, i))
            .collect()
    }

    fn by_height(&self) -> Vec<usize> {
        let height = |n: usize| {
            (0..self.heights.len())
                .map(|i| self.level(n, i))
                .sum::<usize>()
        };
        let mut nodes: Vec<(usize, usize)> = (0..self.size).map(|n| (height(n), n)).collect();
        nodes.sort_unstable();
        nodes.into_iter().map(|(_, n)| n).collect()
    }

    fn successors(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.heights.len())
            .filter(move |&i| self.level(node, i) + 1 < self.heights[i])
            .map(move |i| node + self.strides[i])
    }

    fn predecessors(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.heights.len())
            .filter(move |&i| self.level(node, i) > 0)
            .map(move |i| node - self.strides[i])
    }

    /// Sets `state` to `tag` for `node` and every node above it (`up`) or below it.
    fn tag(&self, node: usize, state: &mut [u8], tag: u8, up: bool) {
        let mut stack = vec![node];
        state[node] = tag;
        while let Some(n) = stack.pop() {
            let next: Vec<usize> = if up {
                self.successors(n).collect()
            } else {
                self.predecessors(n).collect()
            };
            for m in next {
                if state[m] != tag {
                    state[m] = tag;
                    stack.push(m);
                }
            }
        }
    }
}
