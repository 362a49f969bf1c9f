//! A [`GroupingEngine`] that evaluates level vectors as GROUP BY queries on a DataFusion table.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use datafusion::arrow::datatypes::{DataType, Int64Type, UInt32Type};
use datafusion::common::{DataFusionError, TableReference};
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::prelude::{Expr, SessionContext, cast, ident, lit};
use privkit::anon::{
    AnonymizationConfig, Anonymizer, AttributeRole, GroupingEngine, GroupingPlan, Groups, Profile,
};
use privkit::{Error, Result};

use crate::code::CodeUdf;

/// A DataFusion error as a privkit error: a privkit error raised inside a function is returned
/// as is, planning errors (an unknown table or column) are invalid arguments, I/O stays I/O.
pub(crate) fn from_datafusion(e: DataFusionError) -> Error {
    match e {
        DataFusionError::External(inner) => match inner.downcast::<Error>() {
            Ok(e) => *e,
            Err(other) => Error::InvalidOperation(format!("query failed: {other}")),
        },
        DataFusionError::IoError(e) => Error::Io(e),
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            from_datafusion(*inner)
        }
        e @ (DataFusionError::Plan(_) | DataFusionError::SchemaError(..)) => {
            Error::InvalidArgument(e.to_string())
        }
        e => Error::InvalidOperation(format!("query failed: {e}")),
    }
}

/// Runs `future` to completion on `runtime` from a fresh thread, so that callers inside an
/// async runtime do not trip over nested `block_on`.
fn block_on<F>(runtime: &tokio::runtime::Runtime, future: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|s| {
        s.spawn(|| runtime.block_on(future))
            .join()
            .map_err(|_| Error::InvalidOperation("query thread panicked".into()))
    })
}

/// An attribute as the engine groups it: its text, and its distinct values in ascending order
/// with their positions in the plan's values (their codes).
#[derive(Debug)]
struct Attribute {
    text: Expr,
    sorted: Vec<(String, usize)>,
}

impl Attribute {
    fn new(name: &str, data_type: &DataType, values: &[String]) -> Self {
        let column = ident(name);
        let text = match data_type {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => column,
            _ => cast(column, DataType::Utf8),
        };
        let mut sorted: Vec<(String, usize)> = values
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, v)| (v, i))
            .collect();
        sorted.sort_unstable();
        Self { text, sorted }
    }

    /// `privkit_code(text, values, codes)` where `codes[i]` is `map` of the code of value `i`.
    fn code(&self, alias: String, map: &[u32]) -> Result<Expr> {
        let pairs = self
            .sorted
            .iter()
            .map(|(v, code)| {
                map.get(*code)
                    .map(|&c| (v.as_str(), c))
                    .ok_or_else(|| Error::InvalidOperation("plan codes out of range".into()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CodeUdf::call(self.text.clone(), &pairs).alias(alias))
    }
}

/// Classes cached by the engine (the search asks for the optimum's classes twice).
const CACHE: usize = 8;

/// Evaluates a level vector as one GROUP BY per sensitive attribute (one when there is none)
/// over the generalized quasi-identifiers of a DataFusion table: the core's
/// [`GroupingEngine`] contract, for a [`GroupingPlan`] compiled against the table's profile.
///
/// The query groups by `privkit_code(quasi-identifier, values, codes)` for each
/// quasi-identifier at its level (the plan's generalized code, looked up in lists that travel
/// in the plan as literals) and, for l-diversity and t-closeness, by the code of the
/// sensitive value, and counts. DataFusion (or Ballista) runs it in parallel over the table's
/// partitions, with whatever memory limit and spilling the session's runtime has; only the
/// classes come back.
pub struct DataFusionEngine {
    ctx: SessionContext,
    runtime: Arc<tokio::runtime::Runtime>,
    table: TableReference,
    /// Per quasi-identifier, per level: the grouping expression.
    qis: Vec<Vec<Expr>>,
    /// Per sensitive attribute: the grouping expression and its histogram offset.
    sensitive: Vec<(Expr, usize)>,
    width: usize,
    rows: u64,
    cache: VecDeque<(Vec<usize>, Arc<Groups>)>,
    queries: usize,
}

impl fmt::Debug for DataFusionEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataFusionEngine")
            .field("table", &self.table)
            .field("quasi_identifiers", &self.qis.len())
            .field("sensitive", &self.sensitive.len())
            .field("rows", &self.rows)
            .field("queries", &self.queries)
            .finish_non_exhaustive()
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    // Timers and I/O: a remote session (Ballista's client) talks gRPC from this runtime.
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("privkit-datafusion")
        .enable_all()
        .build()
        .map_err(Error::Io)
}

/// Value counts of one column as text, sorted by value.
async fn profile_column(df: DataFrame, name: &str) -> Result<Vec<(String, u64)>> {
    let batches = df
        .aggregate(
            vec![cast(ident(name), DataType::Utf8).alias("v")],
            vec![count(lit(1)).alias("n")],
        )
        .map_err(from_datafusion)?
        .collect()
        .await
        .map_err(from_datafusion)?;
    let mut pairs = Vec::new();
    for batch in &batches {
        let values = batch.column(0).as_string::<i32>();
        let counts = batch.column(1).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            if values.is_null(i) {
                return Err(Error::InvalidArgument(format!(
                    "attribute '{name}' has NULL values: fill or remove them first"
                )));
            }
            let n = u64::try_from(counts.value(i))
                .map_err(|_| Error::InvalidOperation("negative count".into()))?;
            pairs.push((values.value(i).to_owned(), n));
        }
    }
    pairs.sort_unstable();
    Ok(pairs)
}

impl DataFusionEngine {
    /// An [`Anonymizer`] over the DataFusion table `table` of `ctx` (a name as SQL reads it;
    /// any registered table: in memory, Parquet, CSV, a view; a Ballista session's table):
    /// `roles` gives the role of each attribute the anonymization uses (others are ignored).
    /// Values are compared as text (`CAST(column AS VARCHAR)`), as in a
    /// [`Table`](privkit::anon::Table) read from CSV.
    ///
    /// Preparing reads the table once per quasi-identifier and sensitive attribute (distinct
    /// values and their counts, the [`Profile`]); every transformation the search evaluates is
    /// then one query per sensitive attribute (one when there is none). The table must not
    /// change meanwhile. The anonymizer's [`apply`](Anonymizer::apply) is refused and its
    /// searches return no table: transform the data with SQL (`privkit_generalize`), as the
    /// crate example shows.
    ///
    /// Queries run on a runtime the engine owns, from a thread of their own: call this and the
    /// search from synchronous code (in an async program, from `spawn_blocking`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown table or attribute, NULL values in an
    /// attribute used, and everything [`Anonymizer::new`] refuses; [`Error::Io`] and
    /// [`Error::InvalidOperation`] for failed queries.
    pub fn anonymizer(
        ctx: &SessionContext,
        table: &str,
        roles: &[(&str, AttributeRole)],
        config: &AnonymizationConfig,
    ) -> Result<Anonymizer<'static>> {
        let table = TableReference::from(table);
        let runtime = Arc::new(runtime()?);
        let used: Vec<(String, AttributeRole)> = roles
            .iter()
            .filter(|(_, r)| {
                matches!(
                    r,
                    AttributeRole::QuasiIdentifying | AttributeRole::Sensitive
                )
            })
            .map(|(n, r)| ((*n).to_owned(), *r))
            .collect();
        if used.is_empty() {
            return Err(Error::InvalidArgument(
                "no quasi-identifying or sensitive attribute given".into(),
            ));
        }
        let (columns, types) = block_on(&runtime, async {
            let df = ctx.table(table.clone()).await.map_err(from_datafusion)?;
            let mut columns = Vec::with_capacity(used.len());
            let mut types = HashMap::with_capacity(used.len());
            for (name, role) in &used {
                let field = df
                    .schema()
                    .field_with_unqualified_name(name)
                    .map_err(from_datafusion)?;
                types.insert(name.clone(), field.data_type().clone());
                columns.push((name.clone(), *role, profile_column(df.clone(), name).await?));
            }
            Ok::<_, Error>((columns, types))
        })??;
        let rows = columns
            .first()
            .map_or(0, |(_, _, values)| values.iter().map(|(_, n)| n).sum());
        let mut profile = Profile::new(rows);
        for (name, role, values) in columns {
            profile = profile.attribute(&name, role, values)?;
        }
        Anonymizer::from_profile(&profile, config, |plan| {
            let engine = Self::new(ctx.clone(), runtime, table, &types, plan)?;
            Ok(Box::new(engine))
        })
    }

    fn new(
        ctx: SessionContext,
        runtime: Arc<tokio::runtime::Runtime>,
        table: TableReference,
        types: &HashMap<String, DataType>,
        plan: &GroupingPlan,
    ) -> Result<Self> {
        let missing = || Error::InvalidOperation("the plan does not fit the profile".into());
        let attribute = |name: &str, values: &[String]| {
            let data_type = types.get(name).ok_or_else(missing)?;
            Ok::<_, Error>(Attribute::new(name, data_type, values))
        };
        let mut qis = Vec::with_capacity(plan.quasi_identifiers().len());
        for (i, name) in plan.quasi_identifiers().iter().enumerate() {
            let a = attribute(name, plan.values(i).ok_or_else(missing)?)?;
            let levels = plan.levels(i).ok_or_else(missing)?;
            let exprs = (0..levels)
                .map(|l| {
                    a.code(
                        format!("__privkit_qi{i}"),
                        plan.codes(i, l).ok_or_else(missing)?,
                    )
                })
                .collect::<Result<Vec<Expr>>>()?;
            qis.push(exprs);
        }
        let mut sensitive = Vec::with_capacity(plan.sensitive_attributes().len());
        for (j, name) in plan.sensitive_attributes().enumerate() {
            let values = plan.sensitive_values(j).ok_or_else(missing)?;
            let n = u32::try_from(values.len()).map_err(|_| Error::LimitExceeded {
                what: "distinct sensitive values",
                limit: u64::from(u32::MAX),
            })?;
            let identity: Vec<u32> = (0..n).collect();
            let expr = attribute(name, values)?.code(format!("__privkit_s{j}"), &identity)?;
            sensitive.push((expr, plan.histogram_offset(j).ok_or_else(missing)?));
        }
        Ok(Self {
            ctx,
            runtime,
            table,
            qis,
            sensitive,
            width: plan.histogram_width(),
            rows: plan.records(),
            cache: VecDeque::new(),
            queries: 0,
        })
    }

    /// Number of GROUP BY queries run so far.
    #[must_use]
    pub fn queries(&self) -> usize {
        self.queries
    }

    /// The query for `levels`, grouping also by sensitive attribute `j` when given:
    /// `SELECT code(qi_0), ..., [code(s_j),] COUNT(1) FROM table GROUP BY 1, 2, ...`.
    async fn query(&self, levels: &[usize], j: Option<usize>) -> Result<Vec<RecordBatch>> {
        let df = self
            .ctx
            .table(self.table.clone())
            .await
            .map_err(from_datafusion)?;
        let mut group = Vec::with_capacity(levels.len() + 1);
        for (exprs, &level) in self.qis.iter().zip(levels) {
            let e = exprs
                .get(level)
                .ok_or_else(|| Error::InvalidArgument("level out of range".into()))?;
            group.push(e.clone());
        }
        if let Some(j) = j {
            group.push(self.sensitive[j].0.clone());
        }
        df.aggregate(group, vec![count(lit(1)).alias("__privkit_n")])
            .map_err(from_datafusion)?
            .collect()
            .await
            .map_err(from_datafusion)
    }

    fn run(&mut self, levels: &[usize], j: Option<usize>) -> Result<Vec<RecordBatch>> {
        self.queries += 1;
        let runtime = Arc::clone(&self.runtime);
        let this = &*self;
        block_on(&runtime, this.query(levels, j))?
    }
}

fn class_limit() -> Error {
    Error::LimitExceeded {
        what: "records in a class",
        limit: u64::from(u32::MAX),
    }
}

fn count_of(batch: &RecordBatch, row: usize) -> Result<u32> {
    let n = batch
        .column(batch.num_columns() - 1)
        .as_primitive::<Int64Type>()
        .value(row);
    u32::try_from(n).map_err(|_| class_limit())
}

impl GroupingEngine for DataFusionEngine {
    fn group(&mut self, levels: &[usize]) -> Result<Arc<Groups>> {
        if levels.len() != self.qis.len() {
            return Err(Error::InvalidArgument(
                "level vector has the wrong length".into(),
            ));
        }
        if let Some((_, g)) = self.cache.iter().find(|(l, _)| l == levels) {
            return Ok(Arc::clone(g));
        }
        let q = self.qis.len();
        let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut keys: Vec<Vec<u32>> = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        let mut hists: Vec<Vec<u32>> = Vec::new();
        let passes: Vec<Option<usize>> = if self.sensitive.is_empty() {
            vec![None]
        } else {
            (0..self.sensitive.len()).map(Some).collect()
        };
        for j in passes {
            let batches = self.run(levels, j)?;
            for batch in &batches {
                let key_columns: Vec<&UInt32Array> = (0..q)
                    .map(|i| batch.column(i).as_primitive::<UInt32Type>())
                    .collect();
                for row in 0..batch.num_rows() {
                    let key: Vec<u32> = key_columns.iter().map(|c| c.value(row)).collect();
                    let n = count_of(batch, row)?;
                    let class = *index.entry(key).or_insert_with_key(|key| {
                        keys.push(key.clone());
                        counts.push(0);
                        hists.push(vec![0; self.width]);
                        keys.len() - 1
                    });
                    if j.is_none_or(|j| j == 0) {
                        counts[class] += u64::from(n);
                    }
                    if let Some(j) = j {
                        let code = batch.column(q).as_primitive::<UInt32Type>().value(row);
                        let cell = self.sensitive[j].1 + code as usize;
                        hists[class][cell] += n;
                    }
                }
            }
        }
        if counts.iter().sum::<u64>() != self.rows {
            return Err(Error::InvalidOperation(
                "the table changed since the anonymizer was prepared".into(),
            ));
        }
        let mut groups = Groups::new(q, self.width);
        for ((key, n), hist) in keys.iter().zip(&counts).zip(&hists) {
            let n = u32::try_from(*n).map_err(|_| class_limit())?;
            groups.push(key, n, hist)?;
        }
        let groups = Arc::new(groups);
        if self.cache.len() == CACHE {
            self.cache.pop_front();
        }
        self.cache.push_back((levels.to_vec(), Arc::clone(&groups)));
        Ok(groups)
    }
}
