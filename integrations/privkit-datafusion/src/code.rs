//! `privkit_code(value, values, codes)`: the generalized code of a value, with the lookup data
//! in the plan as literal arguments, so that any process that registered the function (a
//! Ballista executor) can evaluate it.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, ListArray, StringArray, UInt32Array, UInt32Builder,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, UInt32Type};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::prelude::lit;

use crate::udf::{Strs, is_string};

type DfResult<T> = datafusion::common::Result<T>;

/// The function's SQL name.
pub(crate) const NAME: &str = "privkit_code";

/// `privkit_code(value, values, codes)`: with `values` a literal list of distinct texts in
/// ascending byte order and `codes` a literal list of as many `UInt32`, the code at the
/// position of `value` in `values`; an execution error for a value that is not in the list
/// (the data changed since the lists were made).
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct CodeUdf {
    signature: Signature,
}

impl CodeUdf {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// `privkit_code(text, values, codes)` for sorted `(value, code)` pairs.
    pub(crate) fn call(text: Expr, pairs: &[(&str, u32)]) -> Expr {
        let values = StringArray::from_iter_values(pairs.iter().map(|p| p.0));
        let codes = UInt32Array::from_iter_values(pairs.iter().map(|p| p.1));
        ScalarUDF::new_from_impl(Self::new()).call(vec![
            text,
            lit(list(Arc::new(values), DataType::Utf8)),
            lit(list(Arc::new(codes), DataType::UInt32)),
        ])
    }
}

/// A one-row list literal holding `values`.
fn list(values: Arc<dyn Array>, item: DataType) -> ScalarValue {
    let field = Arc::new(Field::new_list_field(item, false));
    let offsets = OffsetBuffer::from_lengths([values.len()]);
    ScalarValue::List(Arc::new(ListArray::new(field, offsets, values, None)))
}

fn plan_error(message: &str) -> DataFusionError {
    DataFusionError::Plan(format!("{NAME}(value, values, codes): {message}"))
}

/// The `values` and `codes` lists of a call, checked.
fn lists<'a>(
    values: Option<&'a ScalarValue>,
    codes: Option<&'a ScalarValue>,
) -> DfResult<(StringArray, UInt32Array)> {
    let (Some(ScalarValue::List(values)), Some(ScalarValue::List(codes))) = (values, codes) else {
        return Err(plan_error("values and codes must be list literals"));
    };
    if values.len() != 1 || codes.len() != 1 || values.is_null(0) || codes.is_null(0) {
        return Err(plan_error(
            "values and codes must be non-null list literals",
        ));
    }
    let (values, codes) = (values.value(0), codes.value(0));
    let values = values
        .as_string_opt::<i32>()
        .ok_or_else(|| plan_error("values must be a list of text"))?
        .clone();
    let codes = codes
        .as_primitive_opt::<UInt32Type>()
        .ok_or_else(|| plan_error("codes must be a list of UInt32"))?
        .clone();
    if values.len() != codes.len() || values.null_count() > 0 || codes.null_count() > 0 {
        return Err(plan_error(
            "values and codes must have the same length and no NULL",
        ));
    }
    Ok((values, codes))
}

impl ScalarUDFImpl for CodeUdf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        let [value, values, codes] = arg_types else {
            return Err(plan_error(&format!(
                "takes 3 arguments, got {}",
                arg_types.len()
            )));
        };
        if value.is_nested() {
            return Err(plan_error(&format!("a value of type {value} is not text")));
        }
        let value = if is_string(value) {
            value.clone()
        } else {
            DataType::Utf8
        };
        Ok(vec![value, values.clone(), codes.clone()])
    }

    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::UInt32)
    }

    /// Planning-time validation: literal lists of equal length, values strictly ascending.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        let scalar = |i: usize| args.scalar_arguments.get(i).copied().flatten();
        let (values, _) = lists(scalar(1), scalar(2))?;
        if (1..values.len()).any(|i| values.value(i - 1) >= values.value(i)) {
            return Err(plan_error("values must be distinct and in ascending order"));
        }
        Ok(Arc::new(Field::new(NAME, DataType::UInt32, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let scalar = |i: usize| match args.args.get(i) {
            Some(ColumnarValue::Scalar(s)) => Some(s),
            _ => None,
        };
        let (values, codes) = lists(scalar(1), scalar(2))?;
        let input = match args.args.first() {
            Some(v) => v.to_array(args.number_rows)?,
            None => return Err(plan_error("missing value")),
        };
        let strings = Strs::of(&input)?;
        let mut out = UInt32Builder::with_capacity(input.len());
        for i in 0..input.len() {
            let Some(v) = strings.get(i) else {
                out.append_null();
                continue;
            };
            match binary_search(&values, v) {
                Some(p) => out.append_value(codes.value(p)),
                None => {
                    return Err(DataFusionError::External(Box::new(
                        privkit::Error::InvalidOperation(format!(
                            "{NAME}: value '{v}' is not among the values the plan was made for \
                             (did the table change since the anonymizer was prepared?)"
                        )),
                    )));
                }
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The position of `v` in the ascending `values`.
fn binary_search(values: &StringArray, v: &str) -> Option<usize> {
    let (mut lo, mut hi) = (0usize, values.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match values.value(mid).cmp(v) {
            core::cmp::Ordering::Less => lo = mid + 1,
            core::cmp::Ordering::Greater => hi = mid,
            core::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use datafusion::arrow::array::RecordBatch;
    use datafusion::arrow::datatypes::Schema;
    use datafusion::prelude::{SessionContext, col};

    fn values(v: &[&str]) -> ScalarValue {
        list(Arc::new(StringArray::from(v.to_vec())), DataType::Utf8)
    }

    fn codes(c: &[u32]) -> ScalarValue {
        list(Arc::new(UInt32Array::from(c.to_vec())), DataType::UInt32)
    }

    #[test]
    fn binary_search_finds_every_value_and_nothing_else() {
        let v = StringArray::from(vec!["a", "b", "d", "e"]);
        for (i, x) in ["a", "b", "d", "e"].iter().enumerate() {
            assert_eq!(binary_search(&v, x), Some(i));
        }
        for x in ["", "c", "f", "ab"] {
            assert_eq!(binary_search(&v, x), None);
        }
        assert_eq!(
            binary_search(&StringArray::from(Vec::<&str>::new()), "a"),
            None
        );
    }

    #[test]
    fn fail_lists_that_are_not_literal_text_and_codes_of_one_length() {
        assert!(lists(Some(&values(&["a", "b"])), Some(&codes(&[1, 2]))).is_ok());
        assert!(lists(Some(&values(&["a", "b"])), Some(&codes(&[1]))).is_err());
        assert!(lists(Some(&codes(&[1])), Some(&codes(&[1]))).is_err());
        assert!(lists(Some(&values(&["a"])), Some(&values(&["a"]))).is_err());
        assert!(lists(None, Some(&codes(&[1]))).is_err());
        assert!(
            lists(
                Some(&ScalarValue::Utf8(Some("a".into()))),
                Some(&codes(&[1]))
            )
            .is_err()
        );
    }

    fn run(ctx: &SessionContext, pairs: &[(&str, u32)]) -> datafusion::error::Result<Vec<u32>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let df = runtime.block_on(ctx.table("t"))?;
        let batches = runtime.block_on(
            df.select(vec![CodeUdf::call(col("v"), pairs).alias("c")])?
                .collect(),
        )?;
        Ok(batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<UInt32Type>().values().to_vec())
            .collect())
    }

    #[test]
    fn codes_in_a_query_and_errors_at_planning_and_execution() {
        let ctx = SessionContext::new();
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Utf8, false)]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(vec!["b", "a", "c", "a"]))],
        )
        .unwrap();
        ctx.register_batch("t", batch).unwrap();
        let pairs = [("a", 7), ("b", 8), ("c", 9)];
        assert_eq!(run(&ctx, &pairs).unwrap(), [8, 7, 9, 7]);
        // Unsorted lists are refused when the query is planned.
        let err = run(&ctx, &[("b", 8), ("a", 7), ("c", 9)]).unwrap_err();
        assert!(err.to_string().contains("ascending"), "{err}");
        // A value the lists lack fails the query with a privkit error.
        let err = run(&ctx, &[("a", 7), ("b", 8)]).unwrap_err();
        assert!(
            matches!(crate::to_privkit_error(err), privkit::Error::InvalidOperation(m) if m.contains("'c'"))
        );
    }
}
