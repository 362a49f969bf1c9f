//! The anonymizer: the facade that compiles a configuration, evaluates transformations through
//! a grouping engine, runs the search algorithms and applies the optimum.

use std::sync::Arc;

use super::config::AnonymizationConfig;
use super::grouping::{FxMap, GroupingEngine, GroupingPlan, Groups, InMemoryEngine};
use super::hierarchy::Encoded;
use super::lattice::Lattice;
use super::metric::{Context, Metric};
use super::model::Check;
use super::profile::Profile;
use super::result::{Anonymization, ClassStatistics, Evaluation};
use super::search::{self, Evaluator, Monotonicity, NodeEval};
use super::table::{AttributeRole, Column, Table};
use crate::{Error, Result};

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
    records: u64,
    metric: Metric,
    context: Context,
    engine: Box<dyn GroupingEngine + 't>,
}

impl<'t> Anonymizer<'t> {
    /// Prepares the table: encodes hierarchies and models against the data and groups the records.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a quasi-identifier has no hierarchy or a hierarchy misses
    /// a value (named), no model is given, a model names an attribute that is not sensitive, a
    /// parameter is out of range, or the suppression limit is not in `[0, 1]`.
    /// [`Error::LimitExceeded`] when the lattice has more than 2^24 transformations or the
    /// packed class key more than 128 bits.
    pub fn new(table: &'t Table, config: &AnonymizationConfig) -> Result<Self> {
        let plan = GroupingPlan::new(table, config)?;
        let sensitive: Vec<(usize, usize)> = plan
            .sensitive
            .iter()
            .map(|s| (s.column, s.offset))
            .collect();
        let engine = InMemoryEngine::build(
            table,
            &plan.qi_columns,
            &plan.encoded,
            &sensitive,
            plan.width,
        )?;
        Ok(Self::assemble(Some(table), plan, config, Box::new(engine)))
    }

    /// An anonymizer over data that is not in memory: `profile` describes its attributes
    /// (names, roles, distinct values and their counts) and the engine `make_engine` builds
    /// from the compiled [`GroupingPlan`] groups its records. Without a table,
    /// [`apply`](Self::apply) is refused and a search returns no table: apply the optimum's
    /// levels where the data is (for example with privkit-datafusion's `privkit_generalize`).
    ///
    /// See [`GroupingEngine`] for the contract and an example.
    ///
    /// # Errors
    /// As [`Anonymizer::new`], and whatever `make_engine` returns.
    pub fn from_profile(
        profile: &Profile,
        config: &AnonymizationConfig,
        make_engine: impl FnOnce(&GroupingPlan) -> Result<Box<dyn GroupingEngine + 't>>,
    ) -> Result<Self> {
        let plan = GroupingPlan::new(profile, config)?;
        let engine = make_engine(&plan)?;
        Ok(Self::assemble(None, plan, config, engine))
    }

    fn assemble(
        table: Option<&'t Table>,
        plan: GroupingPlan,
        config: &AnonymizationConfig,
        engine: Box<dyn GroupingEngine + 't>,
    ) -> Self {
        let heights: Vec<usize> = plan.encoded.iter().map(Encoded::levels).collect();
        let context = Context::new(plan.records, plan.encoded, &plan.counts);
        Self {
            table,
            qi_columns: plan.qi_columns,
            qi_names: plan.qi_names,
            heights,
            checks: plan.checks,
            max_outliers: plan.max_outliers,
            width: plan.width,
            records: plan.records,
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
        let classes = ClassStatistics::of(&kept, g.len() - kept.len());
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
        if g.quasi_identifiers() != self.qi_columns.len() || g.histogram_width() != self.width {
            return Err(Error::InvalidOperation(format!(
                "grouping engine returned classes of {} codes and {} histogram cells, expected {} and {}",
                g.quasi_identifiers(),
                g.histogram_width(),
                self.qi_columns.len(),
                self.width
            )));
        }
        let records = g.records();
        if records != self.records {
            return Err(Error::InvalidOperation(format!(
                "grouping engine returned classes of {records} records, the data has {}",
                self.records
            )));
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
        let (best, checked) = search::exhaustive(&lattice, self)?;
        self.finish(best, checked)
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
        let suppression = self.max_outliers > 0;
        let monotonicity = Monotonicity {
            models: self.checks.iter().all(|c| c.monotonic(suppression)),
            metric: self.metric.monotonic(suppression),
        };
        let (best, checked) = search::optimal(&lattice, monotonicity, self)?;
        self.finish(best, checked)
    }
}

impl Evaluator for Anonymizer<'_> {
    fn evaluate(&mut self, levels: &[usize]) -> Result<NodeEval> {
        self.eval_node(levels)
    }

    fn value_from_levels(&self, levels: &[usize]) -> Option<f64> {
        self.context
            .value_from_levels(self.metric, levels, self.max_outliers > 0)
    }

    fn bound_from_levels(&self, levels: &[usize]) -> Option<f64> {
        self.context.bound_from_levels(self.metric, levels)
    }
}
