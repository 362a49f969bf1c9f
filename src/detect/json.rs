//! Walking JSON documents: every string value is scanned, findings carry the value's
//! JSON Pointer (RFC 6901).

use serde_json::Value;

use super::entity::Finding;
use super::redact::Redactor;
use super::scanner::Scanner;
use crate::Result;

/// A finding in a string value of a JSON document.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonFinding {
    /// JSON Pointer (RFC 6901) of the string value: `/customers/0/note`.
    pub path: String,
    /// The finding; offsets are into the string value.
    pub finding: Finding,
}

/// Deepest nesting walked; deeper values are reported as one error rather than
/// overflowing the stack.
pub const MAX_JSON_DEPTH: usize = 128;

fn pointer_push(path: &mut String, key: &str) {
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

fn check_depth(depth: usize) -> Result<()> {
    if depth > MAX_JSON_DEPTH {
        return Err(crate::Error::limit(
            "JSON nesting depth",
            MAX_JSON_DEPTH as u64,
        ));
    }
    Ok(())
}

fn walk(
    value: &Value,
    path: &mut String,
    depth: usize,
    f: &mut dyn FnMut(&str, &str) -> Result<()>,
) -> Result<()> {
    check_depth(depth)?;
    match value {
        Value::String(s) => f(path, s)?,
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = path.len();
                pointer_push(path, &i.to_string());
                walk(v, path, depth + 1, f)?;
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                pointer_push(path, k);
                walk(v, path, depth + 1, f)?;
                path.truncate(len);
            }
        }
        Value::Number(n) => {
            // A card or phone number stored as a JSON number is still one.
            f(path, &n.to_string())?;
        }
        Value::Null | Value::Bool(_) => {}
    }
    Ok(())
}

fn walk_mut(
    value: &mut Value,
    depth: usize,
    f: &mut dyn FnMut(&str) -> Result<Option<String>>,
) -> Result<()> {
    check_depth(depth)?;
    match value {
        Value::String(s) => {
            if let Some(new) = f(s)? {
                *s = new;
            }
        }
        Value::Array(items) => {
            for v in items {
                walk_mut(v, depth + 1, f)?;
            }
        }
        Value::Object(map) => {
            for (_, v) in map.iter_mut() {
                walk_mut(v, depth + 1, f)?;
            }
        }
        Value::Number(n) => {
            if let Some(new) = f(&n.to_string())? {
                *value = Value::String(new);
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
    Ok(())
}

impl Scanner {
    /// The findings in every string (and number) value of `document`, in document
    /// order, each with its value's JSON Pointer. Object keys are not scanned.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`](crate::Error::LimitExceeded) for a document nested
    /// deeper than [`MAX_JSON_DEPTH`].
    pub fn scan_json(&self, document: &Value) -> Result<Vec<JsonFinding>> {
        let mut out = Vec::new();
        let mut findings = Vec::new();
        walk(document, &mut String::new(), 0, &mut |path, s| {
            self.scan_into(s, &mut findings);
            out.extend(findings.drain(..).map(|finding| JsonFinding {
                path: path.to_owned(),
                finding,
            }));
            Ok(())
        })?;
        Ok(out)
    }
}

impl Redactor {
    /// Redacts every string value of `document` in place (a number with a finding
    /// becomes a string); returns the number of values changed.
    ///
    /// # Errors
    /// As [`Scanner::scan_json`] and [`Redactor::redact`].
    pub fn redact_json(&self, scanner: &Scanner, document: &mut Value) -> Result<usize> {
        let mut changed = 0;
        let mut findings = Vec::new();
        walk_mut(document, 0, &mut |s| {
            scanner.scan_into(s, &mut findings);
            if findings.is_empty() {
                return Ok(None);
            }
            changed += 1;
            Ok(Some(self.redact(s, &findings)?.text))
        })?;
        Ok(changed)
    }
}
