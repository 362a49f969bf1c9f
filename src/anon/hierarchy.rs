//! Generalization hierarchies: explicit (ARX CSV layout) and built ones.

use std::collections::HashMap;

use crate::{Error, Result};

/// A generalization hierarchy: one row per original value; column `j` is the value generalized to
/// level `j` (column 0 is the value itself). Every row has the same number of levels, and a value
/// at level `j` has exactly one parent at level `j + 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    rows: Vec<Vec<String>>,
    index: HashMap<String, usize>,
}

/// One calendar step of a date hierarchy (see [`Hierarchy::dates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DateLevel {
    /// `YYYY-MM`.
    Month,
    /// `YYYY-Qn`.
    Quarter,
    /// `YYYY`.
    Year,
    /// `YYY0s`, for example `1990s`.
    Decade,
}

impl Hierarchy {
    /// Builds a hierarchy from rows (`value, level1, ..., top`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the offending value when the rows are empty or ragged, a
    /// value appears twice, or a value has two different parents.
    pub fn from_rows<R, V>(rows: impl IntoIterator<Item = R>) -> Result<Self>
    where
        R: IntoIterator<Item = V>,
        V: Into<String>,
    {
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(Into::into).collect())
            .collect();
        Self::validate(rows).map_err(|(_, message)| Error::InvalidArgument(message))
    }

    /// Parses ARX's CSV layout: one row per value, `value;level1;...;*`.
    ///
    /// # Errors
    /// [`Error::Parse`] with the line number on malformed CSV, ragged rows, duplicate values or a
    /// value with two parents.
    pub fn from_csv_str(text: &str, delimiter: char) -> Result<Self> {
        let records = super::text::parse(text, delimiter)?;
        // Read with the wrong delimiter, a `41;30-45;*` file is one column of whole lines:
        // a hierarchy without levels that would then miss every value ("no row for value
        // '41'"). Say so here.
        if let Some(other) = wrong_delimiter(records.iter().map(|r| r.fields.as_slice()), delimiter)
        {
            return Err(Error::Parse {
                line: records.first().map_or(0, |r| r.line),
                message: format!(
                    "every row is a single field containing '{}': the hierarchy looks \
                     delimited by '{}', not '{}' (read it with that delimiter)",
                    other.escape_default(),
                    other.escape_default(),
                    delimiter.escape_default()
                ),
            });
        }
        let lines: Vec<usize> = records.iter().map(|r| r.line).collect();
        let rows = records.into_iter().map(|r| r.fields).collect();
        Self::validate(rows).map_err(|(row, message)| Error::Parse {
            line: lines.get(row).copied().unwrap_or(0),
            message,
        })
    }

    /// Writes the hierarchy in ARX's CSV layout.
    #[must_use]
    pub fn to_csv_string(&self, delimiter: char) -> String {
        let mut out = String::new();
        for row in &self.rows {
            super::text::write_record(&mut out, row.iter().map(String::as_str), delimiter);
        }
        out
    }

    fn validate(rows: Vec<Vec<String>>) -> core::result::Result<Self, (usize, String)> {
        let Some(first) = rows.first() else {
            return Err((0, "a hierarchy needs at least one row".into()));
        };
        let levels = first.len();
        if levels == 0 {
            return Err((0, "a hierarchy row needs at least one value".into()));
        }
        let mut index = HashMap::with_capacity(rows.len());
        let mut parents: Vec<HashMap<&str, &str>> = vec![HashMap::new(); levels.saturating_sub(1)];
        for (i, row) in rows.iter().enumerate() {
            let value = row.first().map_or("", String::as_str);
            if row.len() != levels {
                return Err((
                    i,
                    format!(
                        "value '{value}' has {} levels, expected {levels} (ragged hierarchy)",
                        row.len()
                    ),
                ));
            }
            if index.insert(value.to_string(), i).is_some() {
                return Err((i, format!("value '{value}' appears twice")));
            }
            for (level, pair) in row.windows(2).enumerate() {
                let (child, parent) = (pair[0].as_str(), pair[1].as_str());
                if let Some(map) = parents.get_mut(level) {
                    match map.get(child) {
                        Some(&p) if p != parent => {
                            return Err((
                                i,
                                format!(
                                    "value '{child}' at level {level} has two parents: '{p}' and '{parent}'"
                                ),
                            ));
                        }
                        Some(_) => {}
                        None => {
                            map.insert(child, parent);
                        }
                    }
                }
            }
        }
        drop(parents);
        Ok(Self { rows, index })
    }

    /// Number of levels, including level 0 (the original values).
    #[must_use]
    pub fn levels(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }

    /// Number of original values (rows).
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Always false: a hierarchy has at least one row.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows, each `value, level1, ...`.
    #[must_use]
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// `value` generalized to `level`, or `None` when the value or level is unknown.
    #[must_use]
    pub fn generalize(&self, value: &str, level: usize) -> Option<&str> {
        self.rows
            .get(*self.index.get(value)?)?
            .get(level)
            .map(String::as_str)
    }

    /// Checks that every value in `values` has a row, naming the first missing one.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the missing value; when the hierarchy's rows are
    /// single fields that hold a delimiter (it was built from lines split with the wrong
    /// delimiter), the message says so.
    pub fn check_covers<'a>(
        &self,
        attribute: &str,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Result<()> {
        for v in values {
            if !self.index.contains_key(v) {
                let hint = match wrong_delimiter(self.rows.iter().map(Vec::as_slice), '\0') {
                    Some(d) => format!(
                        "; its rows are single fields containing '{}': it was probably read \
                         with the wrong delimiter (use '{}')",
                        d.escape_default(),
                        d.escape_default()
                    ),
                    None => String::new(),
                };
                return Err(Error::invalid_argument(format!(
                    "hierarchy of '{attribute}' has no row for value '{v}'{hint}"
                )));
            }
        }
        Ok(())
    }

    /// Numeric intervals: each level is a list of ascending cut points; a value `x` goes to the
    /// interval `[a, b)` of consecutive cut points containing it; values below the first cut point
    /// become `<a` and values from the last on `>=b` (bottom and top coding). Each level's cut
    /// points must include the next level's (so intervals nest). A final `*` level is appended.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a value that is not a number, cut points that are not
    /// ascending and finite, or levels that do not nest.
    pub fn numeric_ranges<V: AsRef<str>>(values: &[V], levels: &[Vec<f64>]) -> Result<Self> {
        for (j, cuts) in levels.iter().enumerate() {
            if cuts.is_empty()
                || cuts.iter().any(|c| !c.is_finite())
                || cuts.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(Error::invalid_argument(format!(
                    "cut points of level {} must be finite and strictly ascending",
                    j + 1
                )));
            }
            if let Some(next) = levels.get(j + 1)
                && next.iter().any(|c| !cuts.contains(c))
            {
                return Err(Error::invalid_argument(format!(
                    "level {} has a cut point that level {} lacks: intervals must nest",
                    j + 2,
                    j + 1
                )));
            }
        }
        let mut rows = Vec::new();
        for v in distinct(values) {
            let x: f64 = v
                .trim()
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| Error::invalid_argument(format!("value '{v}' is not a number")))?;
            let mut row = vec![v.to_string()];
            for cuts in levels {
                row.push(interval_label(x, cuts));
            }
            row.push("*".into());
            rows.push(row);
        }
        Self::from_rows(rows)
    }

    /// Fixed-width numeric intervals: level `j` uses intervals of width `widths[j]` starting at
    /// `bottom` and ending at `top` (values below `bottom` and from `top` on are bottom/top coded).
    /// Each width must divide the next.
    ///
    /// # Errors
    /// As [`Hierarchy::numeric_ranges`], plus [`Error::InvalidArgument`] for widths that are not
    /// positive multiples of each other or `bottom >= top`.
    pub fn numeric_intervals<V: AsRef<str>>(
        values: &[V],
        bottom: i64,
        top: i64,
        widths: &[u64],
    ) -> Result<Self> {
        if bottom >= top {
            return Err(Error::invalid_argument("bottom must be below top"));
        }
        let span = top.abs_diff(bottom);
        let mut levels = Vec::new();
        for (j, &w) in widths.iter().enumerate() {
            if w == 0 || widths.get(j + 1).is_some_and(|&n| n % w != 0) || span / w > 1_000_000 {
                return Err(Error::invalid_argument(
                    "widths must be positive, nest, and give at most 10^6 intervals",
                ));
            }
            let mut cuts = Vec::new();
            let mut at = 0u64;
            while at < span {
                cuts.push(bottom as f64 + at as f64);
                at += w;
            }
            cuts.push(top as f64);
            levels.push(cuts);
        }
        Self::numeric_ranges(values, &levels)
    }

    /// Dates in `YYYY-MM-DD` generalized through the given steps (for example month, quarter,
    /// year, decade), then `*`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming a value that is not a `YYYY-MM-DD` date.
    pub fn dates<V: AsRef<str>>(values: &[V], steps: &[DateLevel]) -> Result<Self> {
        let mut rows = Vec::new();
        for v in distinct(values) {
            let (y, m) = parse_date(v).ok_or_else(|| {
                Error::invalid_argument(format!("value '{v}' is not a YYYY-MM-DD date"))
            })?;
            let mut row = vec![v.to_string()];
            for step in steps {
                row.push(match step {
                    DateLevel::Month => format!("{y:04}-{m:02}"),
                    DateLevel::Quarter => format!("{y:04}-Q{}", (m - 1) / 3 + 1),
                    DateLevel::Year => format!("{y:04}"),
                    DateLevel::Decade => format!("{}s", y - y % 10),
                });
            }
            row.push("*".into());
            rows.push(row);
        }
        Self::from_rows(rows)
    }

    /// Masking from the right: level `j` replaces the last `j` characters with `mask` (a zip code
    /// `81675` becomes `8167*`, `816**`, ...), up to the longest value, then `*`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `values` is empty.
    pub fn masking<V: AsRef<str>>(values: &[V], mask: char) -> Result<Self> {
        let values = distinct(values);
        let longest = values.iter().map(|v| v.chars().count()).max().unwrap_or(0);
        let mut rows = Vec::new();
        for v in values {
            let chars: Vec<char> = v.chars().collect();
            let mut row = vec![v.to_string()];
            for j in 1..=longest {
                let keep = chars.len().saturating_sub(j);
                let mut s: String = chars[..keep].iter().collect();
                s.extend(core::iter::repeat_n(mask, chars.len() - keep));
                row.push(s);
            }
            row.push("*".into());
            rows.push(row);
        }
        Self::from_rows(rows)
    }

    /// Ordered grouping: `ordered` lists the values in order; level `j` groups runs of
    /// `group_sizes[0] * ... * group_sizes[j-1]` consecutive values, labelled `first..last`
    /// (or the value itself for a run of one), then `*`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero group size or a repeated value.
    pub fn ordered_grouping<V: AsRef<str>>(ordered: &[V], group_sizes: &[usize]) -> Result<Self> {
        if group_sizes.contains(&0) {
            return Err(Error::invalid_argument("group sizes must be positive"));
        }
        let values: Vec<&str> = ordered.iter().map(AsRef::as_ref).collect();
        let mut rows: Vec<Vec<String>> = values.iter().map(|v| vec![(*v).to_string()]).collect();
        let mut size = 1usize;
        for &g in group_sizes {
            size = size.saturating_mul(g);
            for (i, row) in rows.iter_mut().enumerate() {
                let start = i / size * size;
                let end = (start + size).min(values.len()) - 1;
                row.push(if start == end {
                    values[start].to_string()
                } else {
                    format!("{}..{}", values[start], values[end])
                });
            }
        }
        for row in &mut rows {
            row.push("*".into());
        }
        Self::from_rows(rows)
    }
}

fn distinct<V: AsRef<str>>(values: &[V]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    values
        .iter()
        .map(AsRef::as_ref)
        .filter(|v| seen.insert(*v))
        .collect()
}

fn fmt_num(x: f64) -> String {
    format!("{x}")
}

fn interval_label(x: f64, cuts: &[f64]) -> String {
    let (Some(&first), Some(&last)) = (cuts.first(), cuts.last()) else {
        return "*".into();
    };
    if x < first {
        return format!("<{}", fmt_num(first));
    }
    if x >= last {
        return format!(">={}", fmt_num(last));
    }
    let i = cuts.partition_point(|&c| c <= x);
    match (cuts.get(i.wrapping_sub(1)), cuts.get(i)) {
        (Some(a), Some(b)) => format!("[{}, {})", fmt_num(*a), fmt_num(*b)),
        _ => "*".into(),
    }
}

fn parse_date(v: &str) -> Option<(i32, u32)> {
    let mut parts = v.trim().split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m))
}

/// Delimiters hierarchy files use (ARX writes `;`).
const DELIMITERS: [char; 4] = [';', ',', '\t', '|'];

/// The delimiter, other than `used`, that every row holds when every row is one field:
/// the sign of a file split with the wrong delimiter.
fn wrong_delimiter<'a>(
    mut rows: impl Iterator<Item = &'a [String]> + Clone,
    used: char,
) -> Option<char> {
    if !rows.clone().all(|r| r.len() == 1) {
        return None;
    }
    let first = rows.next()?;
    DELIMITERS
        .into_iter()
        .filter(|&d| d != used)
        .find(|&d| first[0].contains(d) && rows.clone().all(|r| r[0].contains(d)))
}

/// Checks that every hierarchy names an attribute of the table, so that a misspelled
/// attribute is refused instead of leaving its hierarchy unused.
pub(crate) fn check_attributes<'a>(
    hierarchies: &[(String, Hierarchy)],
    attributes: impl Iterator<Item = &'a str> + Clone,
) -> Result<()> {
    for (name, _) in hierarchies {
        if !attributes.clone().any(|a| a == name) {
            let known: Vec<&str> = attributes.clone().collect();
            return Err(Error::invalid_argument(format!(
                "a hierarchy is given for attribute '{name}', which the table does not have \
                 (attributes: {})",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// A hierarchy encoded against one column's dictionary.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    /// `maps[level][code0]`: the code of the generalized value at `level`.
    pub(crate) maps: Vec<Vec<u32>>,
    /// `labels[level][code]`: the generalized value.
    pub(crate) labels: Vec<Vec<String>>,
    /// `up[from][to][code_from]` for `from <= to`: roll-up between levels.
    pub(crate) up: Vec<Vec<Vec<u32>>>,
    /// `leaves[level][code]`: number of hierarchy rows under the generalized value.
    pub(crate) leaves: Vec<Vec<u64>>,
    /// Number of hierarchy rows (the domain size for the loss metric).
    pub(crate) domain: u64,
}

impl Encoded {
    pub(crate) fn new(h: &Hierarchy, attribute: &str, dictionary: &[String]) -> Result<Self> {
        h.check_covers(attribute, dictionary.iter().map(String::as_str))?;
        let levels = h.levels();
        // Roll-up tables hold up to levels^2 / 2 entries per value.
        if levels
            .saturating_mul(levels)
            .saturating_mul(dictionary.len())
            > 1 << 28
        {
            return Err(Error::limit(
                "hierarchy levels squared times distinct values",
                1 << 28,
            ));
        }
        let mut maps = vec![Vec::with_capacity(dictionary.len()); levels];
        let mut labels: Vec<Vec<String>> = vec![Vec::new(); levels];
        let mut lookup: Vec<HashMap<&str, u32>> = vec![HashMap::new(); levels];
        for value in dictionary {
            let row = h.index.get(value.as_str()).and_then(|&i| h.rows.get(i));
            let row = row.ok_or_else(|| {
                Error::invalid_argument(format!("hierarchy of '{attribute}' lacks '{value}'"))
            })?;
            for (level, label) in row.iter().enumerate() {
                let next = u32::try_from(labels[level].len())
                    .map_err(|_| Error::limit("hierarchy labels", u64::from(u32::MAX)))?;
                let code = *lookup[level].entry(label.as_str()).or_insert_with(|| {
                    labels[level].push(label.clone());
                    next
                });
                maps[level].push(code);
            }
        }
        let mut up = Vec::with_capacity(levels);
        for from in 0..levels {
            let mut per_to = Vec::with_capacity(levels);
            for to in 0..levels {
                let mut m = vec![0u32; labels[from].len()];
                if to >= from {
                    for c0 in 0..dictionary.len() {
                        m[maps[from][c0] as usize] = maps[to][c0];
                    }
                }
                per_to.push(m);
            }
            up.push(per_to);
        }
        let mut leaves = Vec::with_capacity(levels);
        for level in 0..levels {
            let mut counts = vec![0u64; labels[level].len()];
            for row in &h.rows {
                if let Some(&code) = row.get(level).and_then(|l| lookup[level].get(l.as_str())) {
                    counts[code as usize] += 1;
                }
            }
            leaves.push(counts);
        }
        drop(lookup);
        Ok(Self {
            maps,
            labels,
            up,
            leaves,
            domain: h.rows.len() as u64,
        })
    }

    pub(crate) fn levels(&self) -> usize {
        self.maps.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_arx_layout() {
        let h = Hierarchy::from_csv_str("a;x;*\nb;x;*\nc;y;*", ';').unwrap();
        assert_eq!(h.levels(), 3);
        assert_eq!(h.generalize("c", 1), Some("y"));
        let again = Hierarchy::from_csv_str(&h.to_csv_string(';'), ';').unwrap();
        assert_eq!(again, h);
    }

    #[test]
    fn fail_two_parents_names_value() {
        let err = Hierarchy::from_csv_str("a;x;*\nb;x;+\n", ';').unwrap_err();
        match err {
            Error::Parse { line, message } => {
                assert_eq!(line, 2);
                assert!(message.contains("'x'"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fail_ragged_names_value() {
        let err = Hierarchy::from_csv_str("a;x;*\nb;*\n", ';').unwrap_err();
        assert!(
            matches!(&err, Error::Parse { line: 2, message } if message.contains("'b'")),
            "{err:?}"
        );
    }

    /// Read with the wrong delimiter, a hierarchy used to load as one level and then
    /// report "has no row for value '41'"; the loader now names the likely delimiter.
    #[test]
    fn fail_wrong_delimiter_is_detected() {
        let text = "41;30-45;*\n17;<30;*\n62;>=45;*\n";
        let err = Hierarchy::from_csv_str(text, ',').unwrap_err();
        match &err {
            Error::Parse { line: 1, message } => assert!(
                message.contains("looks delimited by ';', not ','"),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
        let tabs = Hierarchy::from_csv_str("a\tx\nb\tx\n", ';').unwrap_err();
        assert!(tabs.to_string().contains("delimited by '\\t'"), "{tabs}");
        // Built by hand from wrongly split lines, the coverage check says so too.
        let h = Hierarchy::from_rows([["41;30-45;*"], ["17;<30;*"]]).unwrap();
        let e = h.check_covers("age", ["41"]).unwrap_err().to_string();
        assert!(
            e.contains("no row for value '41'") && e.contains("wrong delimiter (use ';')"),
            "{e}"
        );
        // Single-level hierarchies without delimiters, and mixed rows, are not flagged.
        assert!(Hierarchy::from_csv_str("a\nb\n", ';').is_ok());
        assert!(Hierarchy::from_csv_str("a,b\nc\n", ';').is_ok());
        assert!(Hierarchy::from_csv_str(text, ';').is_ok());
    }

    #[test]
    fn fail_hierarchy_for_missing_attribute() {
        let h = Hierarchy::from_rows([["a", "*"]]).unwrap();
        let given = vec![("age".to_owned(), h.clone()), ("zip".to_owned(), h)];
        assert!(check_attributes(&given, ["age", "zip", "sex"].into_iter()).is_ok());
        let e = check_attributes(&given, ["age", "zipcode"].into_iter())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("attribute 'zip', which the table does not have (attributes: age, zipcode)"),
            "{e}"
        );
    }

    #[test]
    fn fail_missing_value_is_named() {
        let h = Hierarchy::from_rows([["a", "*"]]).unwrap();
        let err = h.check_covers("attr", ["a", "zz"]).unwrap_err();
        assert!(err.to_string().contains("'zz'"));
    }

    #[test]
    fn builds_intervals_dates_masks_groups() {
        let h = Hierarchy::numeric_intervals(&["3", "17", "99", "-1"], 0, 90, &[5, 10]).unwrap();
        assert_eq!(h.generalize("17", 1), Some("[15, 20)"));
        assert_eq!(h.generalize("17", 2), Some("[10, 20)"));
        assert_eq!(h.generalize("99", 1), Some(">=90"));
        assert_eq!(h.generalize("-1", 2), Some("<0"));
        let d = Hierarchy::dates(
            &["1994-05-17"],
            &[
                DateLevel::Month,
                DateLevel::Quarter,
                DateLevel::Year,
                DateLevel::Decade,
            ],
        )
        .unwrap();
        assert_eq!(
            d.rows()[0],
            ["1994-05-17", "1994-05", "1994-Q2", "1994", "1990s", "*"]
        );
        let m = Hierarchy::masking(&["81675", "81677"], '*').unwrap();
        assert_eq!(m.generalize("81675", 2), Some("816**"));
        let g = Hierarchy::ordered_grouping(&["a", "b", "c"], &[2]).unwrap();
        assert_eq!(g.generalize("c", 1), Some("c"));
        assert_eq!(g.generalize("b", 1), Some("a..b"));
        assert!(Hierarchy::dates(&["1994-02-30"], &[DateLevel::Year]).is_err());
        assert!(Hierarchy::numeric_ranges(&["1"], &[vec![0.0, 5.0], vec![0.0, 3.0]]).is_err());
    }
}
