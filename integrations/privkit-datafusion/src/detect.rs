//! `privkit_detect` and `privkit_redact`: the core's [`Scanner`] and [`Redactor`] over
//! text columns.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float32Array, Int64Array, ListArray, StringBuilder, StructArray,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use privkit::detect::{EntityType, Finding, Redactor, Scanner, char_spans};

use crate::udf::{Strs, exec, is_string, literal_str, map_str, plan_error};

type DfResult<T> = datafusion::common::Result<T>;

/// The scanner and redactor of one registration, shared by both functions.
#[derive(Debug)]
pub(crate) struct Detection {
    pub(crate) scanner: Scanner,
    pub(crate) redactor: Redactor,
}

/// Which of the two functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DetectKind {
    Detect,
    Redact,
}

impl DetectKind {
    pub(crate) const ALL: [DetectKind; 2] = [DetectKind::Detect, DetectKind::Redact];

    fn name(self) -> &'static str {
        match self {
            DetectKind::Detect => "privkit_detect",
            DetectKind::Redact => "privkit_redact",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            DetectKind::Detect => "privkit_detect(text[, 'ENTITY_TYPE']...)",
            DetectKind::Redact => "privkit_redact(text[, 'ENTITY_TYPE']...)",
        }
    }
}

/// The fields of one finding in `privkit_detect`'s result.
fn finding_fields() -> Fields {
    Fields::from(vec![
        Field::new("entity_type", DataType::Utf8, false),
        Field::new("start", DataType::Int64, false),
        Field::new("end", DataType::Int64, false),
        Field::new("score", DataType::Float32, false),
    ])
}

fn list_item() -> FieldRef {
    Arc::new(Field::new_list_field(
        DataType::Struct(finding_fields()),
        true,
    ))
}

/// One detection function bound to the scanner and redactor of one registration.
#[derive(Debug)]
pub(crate) struct DetectUdf {
    kind: DetectKind,
    detection: Arc<Detection>,
    signature: Signature,
}

impl PartialEq for DetectUdf {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && Arc::ptr_eq(&self.detection, &other.detection)
    }
}

impl Eq for DetectUdf {}

impl Hash for DetectUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        std::ptr::hash(Arc::as_ptr(&self.detection), state);
    }
}

impl DetectUdf {
    pub(crate) fn new(kind: DetectKind, detection: Arc<Detection>) -> Self {
        Self {
            kind,
            detection,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    fn check_arity(&self, n: usize) -> DfResult<()> {
        if n == 0 {
            return Err(plan_error(format!(
                "{} takes {}: got no arguments",
                self.kind.name(),
                self.kind.usage()
            )));
        }
        Ok(())
    }

    /// The entity type named by the literal `v` (argument `i`, 0-based), if the scanner
    /// reports it.
    fn entity(&self, i: usize, v: Option<&str>) -> Result<EntityType, String> {
        let name = self.kind.name();
        let v = v.ok_or_else(|| {
            format!(
                "{name}: argument {} must be a string literal naming an entity type ({})",
                i + 1,
                self.kind.usage()
            )
        })?;
        let entity = EntityType::from_name(v).map_err(|e| format!("{name}: {e}"))?;
        if !self.detection.scanner.detects(&entity) {
            return Err(format!(
                "{name}: the registered scanner does not detect '{v}'"
            ));
        }
        Ok(entity)
    }
}

/// Keeps the findings of the listed types (all of them when `only` is empty).
fn keep(findings: &mut Vec<Finding>, only: &[EntityType]) {
    if !only.is_empty() {
        findings.retain(|f| only.contains(&f.entity));
    }
}

fn offset(n: usize) -> DfResult<i64> {
    i64::try_from(n)
        .map_err(|_| DataFusionError::Execution(format!("privkit_detect: offset {n} exceeds i64")))
}

impl ScalarUDFImpl for DetectUdf {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        self.check_arity(arg_types.len())?;
        arg_types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i > 0 {
                    Ok(DataType::Utf8)
                } else if is_string(t) {
                    Ok(t.clone())
                } else if t.is_nested() {
                    Err(plan_error(format!(
                        "{}: argument 1 of type {t} cannot be used as text",
                        self.kind.name()
                    )))
                } else {
                    Ok(DataType::Utf8)
                }
            })
            .collect()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(match self.kind {
            DetectKind::Detect => DataType::List(list_item()),
            DetectKind::Redact => DataType::Utf8,
        })
    }

    /// Planning-time validation of the entity-type literals.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        self.check_arity(args.arg_fields.len())?;
        for i in 1..args.arg_fields.len() {
            let v = literal_str(args.scalar_arguments.get(i).copied().flatten());
            self.entity(i, v).map_err(plan_error)?;
        }
        let t = self.return_type(&[])?;
        Ok(Arc::new(Field::new(self.kind.name(), t, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let mut only = Vec::with_capacity(args.args.len().saturating_sub(1));
        for (i, a) in args.args.iter().enumerate().skip(1) {
            let v = match a {
                ColumnarValue::Scalar(s) => literal_str(Some(s)),
                ColumnarValue::Array(_) => None,
            };
            only.push(self.entity(i, v).map_err(DataFusionError::Execution)?);
        }
        let value = match args.args.first() {
            Some(v) => v.to_array(n)?,
            None => return Err(DataFusionError::Execution("missing argument".into())),
        };
        let d = &self.detection;
        let mut findings = Vec::new();
        let out: ArrayRef = match self.kind {
            DetectKind::Redact => map_str(&value, |v, out| {
                d.scanner.scan_into(v, &mut findings);
                keep(&mut findings, &only);
                out.append_value(d.redactor.redact(v, &findings).map_err(exec)?.text);
                Ok(())
            })?,
            DetectKind::Detect => detect(d, &value, &only)?,
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// The findings of every row as a list of `{entity_type, start, end, score}` structs,
/// offsets in Unicode scalar values; NULL for a NULL row.
fn detect(d: &Detection, value: &ArrayRef, only: &[EntityType]) -> DfResult<ArrayRef> {
    let strings = Strs::of(value)?;
    let n = value.len();
    let mut types = StringBuilder::new();
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    let mut scores = Vec::new();
    let mut lengths = Vec::with_capacity(n);
    let mut valid = Vec::with_capacity(n);
    let mut findings = Vec::new();
    for i in 0..n {
        let Some(text) = strings.get(i) else {
            lengths.push(0);
            valid.push(false);
            continue;
        };
        d.scanner.scan_into(text, &mut findings);
        keep(&mut findings, only);
        for (f, (s, e)) in findings.iter().zip(char_spans(text, &findings)) {
            types.append_value(f.entity.name());
            starts.push(offset(s)?);
            ends.push(offset(e)?);
            scores.push(f.score);
        }
        lengths.push(findings.len());
        valid.push(true);
    }
    if i32::try_from(starts.len()).is_err() {
        return Err(DataFusionError::Execution(format!(
            "privkit_detect: {} findings in one batch exceed a list's i32 offsets; use smaller batches",
            starts.len()
        )));
    }
    let items = StructArray::try_new(
        finding_fields(),
        vec![
            Arc::new(types.finish()),
            Arc::new(Int64Array::from(starts)),
            Arc::new(Int64Array::from(ends)),
            Arc::new(Float32Array::from(scores)),
        ],
        None,
    )?;
    let list = ListArray::try_new(
        list_item(),
        OffsetBuffer::from_lengths(lengths),
        Arc::new(items),
        Some(NullBuffer::from(valid)),
    )?;
    Ok(Arc::new(list))
}
