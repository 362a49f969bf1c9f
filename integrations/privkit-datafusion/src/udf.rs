//! The `privkit_*` scalar functions: one implementation, vectorized over Arrow arrays.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, BinaryViewArray, LargeBinaryArray,
    LargeStringArray, StringArray, StringBuilder, StringViewArray,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use privkit::keyset::Aad;
use privkit::pseudonym::{mask_email, mask_keep, mask_phone};

use crate::registry::Entries;

type DfResult<T> = datafusion::common::Result<T>;

/// The functions, by what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Pseudonymize,
    Tokenize,
    Detokenize,
    Ff1Encrypt,
    Ff1Decrypt,
    MaskKeep,
    MaskEmail,
    MaskPhone,
    Generalize,
    Encrypt,
    Decrypt,
}

impl Kind {
    pub(crate) const ALL: [Kind; 11] = [
        Kind::Pseudonymize,
        Kind::Tokenize,
        Kind::Detokenize,
        Kind::Ff1Encrypt,
        Kind::Ff1Decrypt,
        Kind::MaskKeep,
        Kind::MaskEmail,
        Kind::MaskPhone,
        Kind::Generalize,
        Kind::Encrypt,
        Kind::Decrypt,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Pseudonymize => "privkit_pseudonymize",
            Kind::Tokenize => "privkit_tokenize",
            Kind::Detokenize => "privkit_detokenize",
            Kind::Ff1Encrypt => "privkit_ff1_encrypt",
            Kind::Ff1Decrypt => "privkit_ff1_decrypt",
            Kind::MaskKeep => "privkit_mask_keep",
            Kind::MaskEmail => "privkit_mask_email",
            Kind::MaskPhone => "privkit_mask_phone",
            Kind::Generalize => "privkit_generalize",
            Kind::Encrypt => "privkit_encrypt",
            Kind::Decrypt => "privkit_decrypt",
        }
    }

    /// Whether argument 0 names a registry entry.
    fn named(self) -> bool {
        !matches!(self, Kind::MaskKeep | Kind::MaskEmail | Kind::MaskPhone)
    }

    /// The value argument's position.
    fn value_at(self) -> usize {
        usize::from(self.named())
    }

    /// Number of arguments, or `None` for the variadic encrypt / decrypt.
    fn arity(self) -> Option<usize> {
        match self {
            Kind::MaskEmail => Some(1),
            Kind::Pseudonymize
            | Kind::Tokenize
            | Kind::Detokenize
            | Kind::Ff1Encrypt
            | Kind::Ff1Decrypt
            | Kind::MaskPhone => Some(2),
            Kind::MaskKeep | Kind::Generalize => Some(3),
            Kind::Encrypt | Kind::Decrypt => None,
        }
    }

    fn returns_binary(self) -> bool {
        matches!(self, Kind::Encrypt | Kind::Decrypt)
    }

    /// Positions of the non-negative integer literals.
    fn integer_args(self) -> &'static [usize] {
        match self {
            Kind::MaskKeep => &[1, 2],
            Kind::MaskPhone => &[1],
            Kind::Generalize => &[2],
            _ => &[],
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Kind::Pseudonymize => "privkit_pseudonymize('name', value)",
            Kind::Tokenize => "privkit_tokenize('name', value)",
            Kind::Detokenize => "privkit_detokenize('name', token)",
            Kind::Ff1Encrypt => "privkit_ff1_encrypt('name', value)",
            Kind::Ff1Decrypt => "privkit_ff1_decrypt('name', value)",
            Kind::MaskKeep => "privkit_mask_keep(value, first, last)",
            Kind::MaskEmail => "privkit_mask_email(value)",
            Kind::MaskPhone => "privkit_mask_phone(value, keep)",
            Kind::Generalize => "privkit_generalize('hierarchy', value, level)",
            Kind::Encrypt => "privkit_encrypt('keyset', value[, 'label', column]...)",
            Kind::Decrypt => "privkit_decrypt('keyset', ciphertext[, 'label', column]...)",
        }
    }
}

/// One `privkit_*` function bound to the entries of one registration.
#[derive(Debug)]
pub(crate) struct PrivkitUdf {
    kind: Kind,
    entries: Arc<Entries>,
    signature: Signature,
}

impl PartialEq for PrivkitUdf {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && Arc::ptr_eq(&self.entries, &other.entries)
    }
}

impl Eq for PrivkitUdf {}

impl Hash for PrivkitUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        std::ptr::hash(Arc::as_ptr(&self.entries), state);
    }
}

pub(crate) fn plan_error(message: String) -> DataFusionError {
    DataFusionError::Plan(message)
}

/// A privkit error raised while a query runs.
pub(crate) fn exec(e: privkit::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

pub(crate) fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_binary(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
    )
}

impl PrivkitUdf {
    pub(crate) fn new(kind: Kind, entries: Arc<Entries>) -> Self {
        Self {
            kind,
            entries,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// Whether `name` is registered for this function.
    fn has(&self, name: &str) -> bool {
        let e = &self.entries;
        match self.kind {
            Kind::Pseudonymize => e.pseudonymizers.contains_key(name),
            Kind::Tokenize | Kind::Detokenize => e.tokenizers.contains_key(name),
            Kind::Ff1Encrypt | Kind::Ff1Decrypt => e.format_preserving.contains_key(name),
            Kind::Generalize => e.hierarchies.contains_key(name),
            Kind::Encrypt | Kind::Decrypt => e.keysets.contains_key(name),
            Kind::MaskKeep | Kind::MaskEmail | Kind::MaskPhone => false,
        }
    }

    fn check_arity(&self, n: usize) -> DfResult<()> {
        let ok = match self.kind.arity() {
            Some(a) => n == a,
            None => n >= 2 && n.is_multiple_of(2),
        };
        if ok {
            Ok(())
        } else {
            Err(plan_error(format!(
                "{} takes {}: got {n} arguments",
                self.kind.name(),
                self.kind.usage()
            )))
        }
    }

    /// Which name or literal the argument at `i` must be: `"name"`, `"label"`, `"integer"`,
    /// `"ciphertext"` or `"value"`.
    fn role(&self, i: usize) -> &'static str {
        if self.kind.named() && i == 0 {
            "name"
        } else if self.kind.integer_args().contains(&i) {
            "integer"
        } else if matches!(self.kind, Kind::Encrypt | Kind::Decrypt)
            && i >= 2
            && i.is_multiple_of(2)
        {
            "label"
        } else if self.kind == Kind::Decrypt && i == 1 {
            "ciphertext"
        } else if self.kind == Kind::Tokenize && i == 1 {
            "bytes"
        } else {
            "value"
        }
    }
}

pub(crate) fn literal_str(v: Option<&ScalarValue>) -> Option<&str> {
    match v? {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s),
        _ => None,
    }
}

fn literal_u64(v: Option<&ScalarValue>) -> Option<u64> {
    let v = v?;
    if v.is_null() {
        return None;
    }
    let i = v.cast_to(&DataType::Int64).ok()?;
    match i {
        ScalarValue::Int64(Some(i)) => u64::try_from(i).ok(),
        _ => None,
    }
}

impl ScalarUDFImpl for PrivkitUdf {
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
                Ok(match self.role(i) {
                    "name" | "label" => DataType::Utf8,
                    "integer" => DataType::Int64,
                    "ciphertext" | "bytes" if is_binary(t) => t.clone(),
                    "ciphertext" => DataType::Binary,
                    _ if is_string(t) => t.clone(),
                    _ if t.is_nested() => {
                        return Err(plan_error(format!(
                            "{}: argument {} of type {t} cannot be used as text",
                            self.kind.name(),
                            i + 1
                        )));
                    }
                    _ => DataType::Utf8,
                })
            })
            .collect()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(if self.kind.returns_binary() {
            DataType::Binary
        } else {
            DataType::Utf8
        })
    }

    /// Planning-time validation of every literal argument.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        let name = self.kind.name();
        self.check_arity(args.arg_fields.len())?;
        let scalar = |i: usize| args.scalar_arguments.get(i).copied().flatten();
        if self.kind.named() {
            let entry = literal_str(scalar(0)).ok_or_else(|| {
                plan_error(format!(
                    "{name}: the first argument must be a string literal naming a registered entry ({})",
                    self.kind.usage()
                ))
            })?;
            if !self.has(entry) {
                return Err(plan_error(format!(
                    "{name}: '{entry}' is not registered for this function"
                )));
            }
        }
        for &i in self.kind.integer_args() {
            let n = literal_u64(scalar(i)).ok_or_else(|| {
                plan_error(format!(
                    "{name}: argument {} must be a non-negative integer literal ({})",
                    i + 1,
                    self.kind.usage()
                ))
            })?;
            if self.kind == Kind::Generalize {
                let h = literal_str(scalar(0))
                    .and_then(|h| self.entries.hierarchies.get(h))
                    .ok_or_else(|| plan_error(format!("{name}: unknown hierarchy")))?;
                if n >= h.levels() as u64 {
                    return Err(plan_error(format!(
                        "{name}: level {n} is out of range: the hierarchy has levels 0 to {}",
                        h.levels().saturating_sub(1)
                    )));
                }
            }
        }
        if matches!(self.kind, Kind::Encrypt | Kind::Decrypt) {
            for i in (2..args.arg_fields.len()).step_by(2) {
                if literal_str(scalar(i)).is_none() {
                    return Err(plan_error(format!(
                        "{name}: argument {} must be a string literal (an associated-data label)",
                        i + 1
                    )));
                }
            }
        }
        let t = self.return_type(&[])?;
        Ok(Arc::new(Field::new(name, t, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let scalar = |i: usize| match args.args.get(i) {
            Some(ColumnarValue::Scalar(s)) => Some(s),
            _ => None,
        };
        let entry = if self.kind.named() {
            literal_str(scalar(0)).ok_or_else(|| {
                DataFusionError::Execution(format!("{}: entry name is not a literal", self.name()))
            })?
        } else {
            ""
        };
        let int = |i: usize| -> DfResult<usize> {
            literal_u64(scalar(i))
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| {
                    DataFusionError::Execution(format!(
                        "{}: argument {} is not an integer literal",
                        self.name(),
                        i + 1
                    ))
                })
        };
        let value = match args.args.get(self.kind.value_at()) {
            Some(v) => v.to_array(n)?,
            None => return Err(DataFusionError::Execution("missing argument".into())),
        };
        let missing =
            || DataFusionError::Execution(format!("{}: '{entry}' is not registered", self.name()));
        let e = &self.entries;
        let out: ArrayRef = match self.kind {
            Kind::Pseudonymize => {
                let p = e.pseudonymizers.get(entry).ok_or_else(missing)?;
                let mut buf = String::new();
                map_str(&value, |v, out| {
                    buf.clear();
                    p.pseudonymize_into(v, &mut buf);
                    out.append_value(&buf);
                    Ok(())
                })?
            }
            Kind::Tokenize => {
                let t = e.tokenizers.get(entry).ok_or_else(missing)?;
                let bytes = Bytes::of(&value)?;
                let mut out = StringBuilder::with_capacity(n, n * 32);
                for i in 0..value.len() {
                    match bytes.get(i) {
                        Some(v) => out.append_value(t.tokenize(v).map_err(exec)?),
                        None => out.append_null(),
                    }
                }
                Arc::new(out.finish())
            }
            Kind::Detokenize => {
                let t = e.tokenizers.get(entry).ok_or_else(missing)?;
                map_str(&value, |v, out| {
                    out.append_value(t.detokenize_str(v).map_err(exec)?);
                    Ok(())
                })?
            }
            Kind::Ff1Encrypt | Kind::Ff1Decrypt => {
                let f = e.format_preserving.get(entry).ok_or_else(missing)?;
                let encrypt = self.kind == Kind::Ff1Encrypt;
                map_str(&value, |v, out| {
                    let r = if encrypt { f.encrypt(v) } else { f.decrypt(v) };
                    out.append_value(r.map_err(exec)?);
                    Ok(())
                })?
            }
            Kind::MaskKeep => {
                let (first, last) = (int(1)?, int(2)?);
                map_str(&value, |v, out| {
                    out.append_value(mask_keep(v, first, last));
                    Ok(())
                })?
            }
            Kind::MaskEmail => map_str(&value, |v, out| {
                out.append_value(mask_email(v).map_err(exec)?);
                Ok(())
            })?,
            Kind::MaskPhone => {
                let keep = int(1)?;
                map_str(&value, |v, out| {
                    out.append_value(mask_phone(v, keep));
                    Ok(())
                })?
            }
            Kind::Generalize => {
                let h = e.hierarchies.get(entry).ok_or_else(missing)?;
                let level = int(2)?;
                map_str(&value, |v, out| {
                    let g = h.generalize(v, level).ok_or_else(|| {
                        exec(privkit::Error::InvalidArgument(format!(
                            "hierarchy '{entry}' lacks '{v}'"
                        )))
                    })?;
                    out.append_value(g);
                    Ok(())
                })?
            }
            Kind::Encrypt | Kind::Decrypt => {
                let k = e.keysets.get(entry).ok_or_else(missing)?;
                let mut labels = Vec::new();
                let mut columns = Vec::new();
                for i in (2..args.args.len()).step_by(2) {
                    let label = literal_str(scalar(i)).ok_or_else(|| {
                        DataFusionError::Execution(format!(
                            "{}: label is not a literal",
                            self.name()
                        ))
                    })?;
                    labels.push(label);
                    let column = match args.args.get(i + 1) {
                        Some(c) => c.to_array(n)?,
                        None => return Err(DataFusionError::Execution("missing column".into())),
                    };
                    columns.push(column);
                }
                let columns = columns
                    .iter()
                    .map(Bytes::of)
                    .collect::<DfResult<Vec<_>>>()?;
                let bytes = Bytes::of(&value)?;
                let mut out = BinaryBuilder::with_capacity(n, n * 48);
                let mut buf = Vec::new();
                for i in 0..value.len() {
                    let Some(v) = bytes.get(i) else {
                        out.append_null();
                        continue;
                    };
                    let mut aad = Aad::new();
                    for (label, column) in labels.iter().zip(&columns) {
                        let a = column.get(i).ok_or_else(|| {
                            DataFusionError::Execution(format!(
                                "{}: associated-data column '{label}' is NULL",
                                self.name()
                            ))
                        })?;
                        aad = aad.with(label, a);
                    }
                    if self.kind == Kind::Encrypt {
                        buf.clear();
                        k.encrypt_to(v, aad.as_bytes(), &mut buf).map_err(exec)?;
                        out.append_value(&buf);
                    } else {
                        out.append_value(k.decrypt(v, aad.as_bytes()).map_err(exec)?);
                    }
                }
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// Maps every non-null string of `value` through `f` into a new string array (nulls stay null).
pub(crate) fn map_str(
    value: &ArrayRef,
    mut f: impl FnMut(&str, &mut StringBuilder) -> DfResult<()>,
) -> DfResult<ArrayRef> {
    let strings = Strs::of(value)?;
    let n = value.len();
    let mut out = StringBuilder::with_capacity(n, n * 24);
    for i in 0..n {
        match strings.get(i) {
            Some(v) => f(v, &mut out)?,
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// A string array of any offset width or layout.
pub(crate) enum Strs<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Strs<'a> {
    pub(crate) fn of(a: &'a ArrayRef) -> DfResult<Self> {
        Ok(match a.data_type() {
            DataType::Utf8 => Strs::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Strs::Large(a.as_string::<i64>()),
            DataType::Utf8View => Strs::View(a.as_string_view()),
            t => {
                return Err(DataFusionError::Execution(format!(
                    "expected a string array, got {t}"
                )));
            }
        })
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strs::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strs::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Strs::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// A string or binary array, read as bytes.
enum Bytes<'a> {
    Str(Strs<'a>),
    Binary(&'a BinaryArray),
    Large(&'a LargeBinaryArray),
    View(&'a BinaryViewArray),
}

impl<'a> Bytes<'a> {
    fn of(a: &'a ArrayRef) -> DfResult<Self> {
        Ok(match a.data_type() {
            DataType::Binary => Bytes::Binary(a.as_binary::<i32>()),
            DataType::LargeBinary => Bytes::Large(a.as_binary::<i64>()),
            DataType::BinaryView => Bytes::View(a.as_binary_view()),
            _ => Bytes::Str(Strs::of(a)?),
        })
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&'a [u8]> {
        match self {
            Bytes::Str(s) => s.get(i).map(str::as_bytes),
            Bytes::Binary(a) => a.is_valid(i).then(|| a.value(i)),
            Bytes::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Bytes::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}
