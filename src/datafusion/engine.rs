//! A [`GroupingEngine`] that evaluates level vectors as GROUP BY queries on a DataFusion table.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use ::datafusion::arrow::array::{Array, AsArray, RecordBatch, UInt32Array, UInt32Builder};
use ::datafusion::arrow::datatypes::{DataType, Int64Type, UInt32Type};
use ::datafusion::common::{DataFusionError, TableReference};
use ::datafusion::dataframe::DataFrame;
use ::datafusion::functions_aggregate::expr_fn::count;
use ::datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use ::datafusion::prelude::{Expr, SessionContext, cast, ident, lit};

use super::udf::Strs;

use crate::anon::{AnonymizationConfig, Anonymizer, AttributeRole, GroupingEngine, Groups};
use crate::anon::{Prepared, Profile, ProfileColumn};
use crate::{Error, Result};

/// A DataFusion error as a privkit error: a privkit error raised inside a function is returned
/// as is, planning errors (an unknown table or column) are invalid arguments, I/O stays I/O.
pub(crate) fn from_datafusion(e: DataFusionError) -> Error {
    match e {
        DataFusionError::External(inner) => match inner.downcast::<Error>() {
            Ok(e) => *e,
            Err(other) => Error::InvalidOperation(format!("query failed: {other}")),
        },
        DataFusionError::IoError(e) => Error::Io(e),
        DataFusionError::Context(_, inner) => from_datafusion(*inner),
        e @ (DataFusionError::Plan(_) | DataFusionError::SchemaError(..)) => {
            Error::invalid_argument(e)
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

/// The generalized code of a value: a hash lookup of its level-0 code, then the roll-up map of
/// one level. Private to one engine (never registered with a session).
#[derive(Debug)]
struct CodeOf {
    name: String,
    codes: Arc<HashMap<String, u32>>,
    map: Arc<Vec<u32>>,
    signature: Signature,
}

impl PartialEq for CodeOf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.map, &other.map)
    }
}

impl Eq for CodeOf {}

impl std::hash::Hash for CodeOf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        std::ptr::hash(Arc::as_ptr(&self.map), state);
    }
}

impl ScalarUDFImpl for CodeOf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> ::datafusion::common::Result<DataType> {
        Ok(DataType::UInt32)
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> ::datafusion::common::Result<ColumnarValue> {
        let values = match args.args.first() {
            Some(v) => v.to_array(args.number_rows)?,
            None => return Err(DataFusionError::Execution("missing argument".into())),
        };
        let strings = Strs::of(&values)?;
        let mut out = UInt32Builder::with_capacity(values.len());
        for i in 0..values.len() {
            let code = strings
                .get(i)
                .and_then(|v| self.codes.get(v))
                .and_then(|&c| self.map.get(c as usize));
            match code {
                Some(&c) => out.append_value(c),
                None => {
                    return Err(DataFusionError::External(Box::new(
                        Error::InvalidOperation(
                            "the table changed since the anonymizer was prepared".into(),
                        ),
                    )));
                }
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// An attribute as the engine groups it: its text expression and its lookup of level-0 codes.
#[derive(Debug)]
struct Attribute {
    text: Expr,
    codes: Arc<HashMap<String, u32>>,
}

impl Attribute {
    fn new(name: &str, data_type: &DataType, dictionary: &[String]) -> Result<Self> {
        let column = ident(name);
        let text = match data_type {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => column,
            _ => cast(column, DataType::Utf8),
        };
        let mut codes = HashMap::with_capacity(dictionary.len());
        for (i, v) in dictionary.iter().enumerate() {
            let i = u32::try_from(i)
                .map_err(|_| Error::limit("distinct values", u64::from(u32::MAX)))?;
            codes.insert(v.clone(), i);
        }
        Ok(Self {
            text,
            codes: Arc::new(codes),
        })
    }

    /// `code(text)` under `map` (level-0 code to generalized code).
    fn code(&self, name: String, map: Arc<Vec<u32>>) -> Expr {
        ScalarUDF::new_from_impl(CodeOf {
            name: name.clone(),
            codes: Arc::clone(&self.codes),
            map,
            signature: Signature::any(1, Volatility::Immutable),
        })
        .call(vec![self.text.clone()])
        .alias(name)
    }
}

/// Classes cached by the engine (the search asks for the optimum's classes twice).
const CACHE: usize = 8;

/// Evaluates a level vector as one GROUP BY per sensitive attribute (one when there is none)
/// over the generalized quasi-identifiers of a DataFusion table.
///
/// The query groups by each quasi-identifier generalized to its level (as the code the
/// in-memory engine uses: a vectorized lookup of the value's code and of its roll-up, a
/// function private to the engine) and, for l-diversity and t-closeness, by the code of the
/// sensitive value, and counts. DataFusion runs it in parallel over the table's partitions, with whatever memory
/// limit and spilling the session's runtime has; only the classes come back.
pub struct DataFusionEngine {
    ctx: SessionContext,
    runtime: Arc<tokio::runtime::Runtime>,
    table: TableReference,
    /// Per quasi-identifier: the attribute and its roll-up map (level-0 code to code) per level.
    qis: Vec<(Attribute, Vec<Arc<Vec<u32>>>)>,
    /// Per sensitive attribute: the attribute, its histogram offset, the identity map.
    sensitive: Vec<(Attribute, usize, Arc<Vec<u32>>)>,
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
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("privkit-datafusion")
        .build()
        .map_err(Error::Io)
}

/// Value counts of one column as text, sorted by value.
async fn profile_column(df: DataFrame, name: &str) -> Result<(Vec<String>, Vec<u64>)> {
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
                return Err(Error::invalid_argument(format!(
                    "attribute '{name}' has NULL values: fill or remove them first"
                )));
            }
            let n = u64::try_from(counts.value(i))
                .map_err(|_| Error::InvalidOperation("negative count".into()))?;
            pairs.push((values.value(i).to_owned(), n));
        }
    }
    pairs.sort_unstable();
    Ok(pairs.into_iter().unzip())
}

impl DataFusionEngine {
    /// An [`Anonymizer`] over the DataFusion table `table` of `ctx` (a name as SQL reads it;
    /// any registered table: in memory, Parquet, CSV, a view): `roles` gives the role of
    /// each attribute the anonymization uses (others are ignored). Values are compared as
    /// text (`CAST(column AS VARCHAR)`), as in a [`Table`](crate::anon::Table) read from CSV.
    ///
    /// Preparing reads the table once per quasi-identifier and sensitive attribute (distinct
    /// values and their counts); every transformation the search evaluates is then one query
    /// per sensitive attribute (one when there is none). The table must not change meanwhile.
    /// The anonymizer's [`apply`](Anonymizer::apply) is refused and its searches return no
    /// table: transform the data with SQL (`privkit_generalize`), as the module example shows.
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
            return Err(Error::invalid_argument(
                "no quasi-identifying or sensitive attribute given",
            ));
        }
        let profile = block_on(&runtime, async {
            let df = ctx.table(table.clone()).await.map_err(from_datafusion)?;
            let mut columns = Vec::with_capacity(used.len());
            let mut types = Vec::with_capacity(used.len());
            for (name, role) in &used {
                let field = df
                    .schema()
                    .field_with_unqualified_name(name)
                    .map_err(from_datafusion)?;
                types.push(field.data_type().clone());
                let (dictionary, counts) = profile_column(df.clone(), name).await?;
                columns.push(ProfileColumn {
                    name: name.clone(),
                    role: *role,
                    dictionary,
                    counts,
                });
            }
            Ok::<_, Error>((columns, types))
        })??;
        let (profile, types) = profile;
        let rows = profile.first().map_or(0, |c| c.counts.iter().sum());
        let profile = Profile {
            rows,
            columns: profile,
        };
        Anonymizer::from_attributes(&profile, config, |prepared| {
            let engine = Self::new(ctx.clone(), runtime, table, &profile, &types, prepared)?;
            Ok(Box::new(engine))
        })
    }

    fn new(
        ctx: SessionContext,
        runtime: Arc<tokio::runtime::Runtime>,
        table: TableReference,
        profile: &Profile,
        types: &[DataType],
        prepared: &Prepared,
    ) -> Result<Self> {
        let attribute = |c: usize| {
            let column = &profile.columns[c];
            Attribute::new(&column.name, &types[c], &column.dictionary)
        };
        let mut qis = Vec::with_capacity(prepared.qi_columns.len());
        for (&c, enc) in prepared.qi_columns.iter().zip(&prepared.encoded) {
            let maps = enc.maps.iter().map(|m| Arc::new(m.clone())).collect();
            qis.push((attribute(c)?, maps));
        }
        let mut sensitive = Vec::with_capacity(prepared.sensitive.len());
        for &(c, offset) in &prepared.sensitive {
            let n = u32::try_from(profile.columns[c].dictionary.len())
                .map_err(|_| Error::limit("distinct sensitive values", u64::from(u32::MAX)))?;
            sensitive.push((attribute(c)?, offset, Arc::new((0..n).collect())));
        }
        Ok(Self {
            ctx,
            runtime,
            table,
            qis,
            sensitive,
            width: prepared.width,
            rows: profile.rows,
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
        let mut group: Vec<Expr> = self
            .qis
            .iter()
            .zip(levels)
            .enumerate()
            .map(|(i, ((a, maps), &level))| {
                a.code(
                    format!("__privkit_qi{i}_l{level}"),
                    Arc::clone(&maps[level]),
                )
            })
            .collect();
        if let Some(j) = j {
            let (a, _, identity) = &self.sensitive[j];
            group.push(a.code(format!("__privkit_s{j}"), Arc::clone(identity)));
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

fn count_of(batch: &RecordBatch, row: usize) -> Result<u32> {
    let n = batch
        .column(batch.num_columns() - 1)
        .as_primitive::<Int64Type>()
        .value(row);
    u32::try_from(n).map_err(|_| Error::limit("records in a class", u64::from(u32::MAX)))
}

impl GroupingEngine for DataFusionEngine {
    fn group(&mut self, levels: &[usize]) -> Result<Arc<Groups>> {
        if levels.len() != self.qis.len() {
            return Err(Error::invalid_argument("level vector has the wrong length"));
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
            let n = u32::try_from(*n)
                .map_err(|_| Error::limit("records in a class", u64::from(u32::MAX)))?;
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
