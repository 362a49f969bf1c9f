//! Tables of records with attribute roles and dictionary-encoded columns.

use std::collections::HashMap;

use crate::{Error, Result};

/// What an attribute is to the anonymization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttributeRole {
    /// Directly identifying (a name, an e-mail address): removed from the output.
    Identifying,
    /// Quasi-identifying: generalized with a hierarchy until the privacy models hold.
    QuasiIdentifying,
    /// Sensitive: kept as is; l-diversity and t-closeness protect it.
    Sensitive,
    /// Insensitive: kept as is.
    Insensitive,
}

/// One dictionary-encoded column.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) role: AttributeRole,
    /// Distinct values in order of first appearance.
    pub(crate) dictionary: Vec<String>,
    /// One code per record, an index into `dictionary`.
    pub(crate) codes: Vec<u32>,
}

/// A table of records, each a string per attribute, stored column-wise with every column
/// dictionary-encoded (`u32` codes). Every attribute starts out [`AttributeRole::Insensitive`].
#[derive(Debug, Clone)]
pub struct Table {
    pub(crate) columns: Vec<Column>,
    pub(crate) rows: usize,
}

impl Table {
    /// Builds a table from a header and rows of values.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the header is empty or has a duplicate name, and
    /// [`Error::Parse`] (with the one-based row number, header excluded) when a row has the wrong
    /// number of values. [`Error::LimitExceeded`] beyond `u32::MAX` records.
    pub fn from_rows<H, R, V>(header: &[H], rows: impl IntoIterator<Item = R>) -> Result<Self>
    where
        H: AsRef<str>,
        R: IntoIterator<Item = V>,
        V: AsRef<str>,
    {
        let mut builder = Builder::new(header.iter().map(|h| h.as_ref().to_string()).collect())?;
        for (i, row) in rows.into_iter().enumerate() {
            builder.push(row, i + 1)?;
        }
        Ok(builder.finish())
    }

    /// Parses delimiter-separated text whose first record is the header (RFC 4180 quoting with
    /// `"`; empty lines are skipped).
    ///
    /// # Errors
    /// [`Error::Parse`] with the line number on malformed input (unterminated quote, wrong number
    /// of fields), [`Error::InvalidArgument`] for an empty input or a duplicate attribute name.
    #[cfg(feature = "csv")]
    pub fn from_csv_str(text: &str, delimiter: char) -> Result<Self> {
        let mut records = super::text::parse(text, delimiter)?.into_iter();
        let header = records.next().ok_or_else(|| Error::Parse {
            line: 1,
            message: "missing header".into(),
        })?;
        let mut builder = Builder::new(header.fields)?;
        for record in records {
            builder.push(record.fields, record.line)?;
        }
        Ok(builder.finish())
    }

    /// Reads delimiter-separated text from `reader`; see [`Table::from_csv_str`].
    ///
    /// # Errors
    /// As [`Table::from_csv_str`], plus [`Error::Io`] and [`Error::Parse`] for invalid UTF-8.
    #[cfg(feature = "csv")]
    pub fn from_csv_reader(mut reader: impl std::io::Read, delimiter: char) -> Result<Self> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        let text = String::from_utf8(bytes).map_err(|_| Error::Parse {
            line: 0,
            message: "input is not UTF-8".into(),
        })?;
        Self::from_csv_str(&text, delimiter)
    }

    /// Writes the table as delimiter-separated text with a header line.
    #[cfg(feature = "csv")]
    #[must_use]
    pub fn to_csv_string(&self, delimiter: char) -> String {
        let mut out = String::new();
        super::text::write_record(
            &mut out,
            self.columns.iter().map(|c| c.name.as_str()),
            delimiter,
        );
        for row in 0..self.rows {
            super::text::write_record(
                &mut out,
                self.columns.iter().map(|c| c.value(row)),
                delimiter,
            );
        }
        out
    }

    /// Sets the role of attribute `name`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when there is no such attribute.
    pub fn set_role(&mut self, name: &str, role: AttributeRole) -> Result<()> {
        let index = self.require(name)?;
        if let Some(column) = self.columns.get_mut(index) {
            column.role = role;
        }
        Ok(())
    }

    /// The role of attribute `name`, if it exists.
    #[must_use]
    pub fn role(&self, name: &str) -> Option<AttributeRole> {
        self.index_of(name)
            .and_then(|i| self.columns.get(i))
            .map(|c| c.role)
    }

    /// Number of records.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the table has no records.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Attribute names in column order.
    pub fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }

    /// The value of attribute `name` in record `row`.
    #[must_use]
    pub fn value(&self, row: usize, name: &str) -> Option<&str> {
        let column = self.columns.get(self.index_of(name)?)?;
        if row < self.rows {
            Some(column.value(row))
        } else {
            None
        }
    }

    /// The distinct values of attribute `name` in order of first appearance.
    #[must_use]
    pub fn distinct_values(&self, name: &str) -> Option<&[String]> {
        self.columns
            .get(self.index_of(name)?)
            .map(|c| c.dictionary.as_slice())
    }

    /// Record `row` as a vector of values in column order.
    #[must_use]
    pub fn row(&self, row: usize) -> Option<Vec<&str>> {
        (row < self.rows).then(|| self.columns.iter().map(|c| c.value(row)).collect())
    }

    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub(crate) fn require(&self, name: &str) -> Result<usize> {
        self.index_of(name)
            .ok_or_else(|| Error::invalid_argument(format!("no attribute named '{name}'")))
    }
}

/// What the search and the models need to know of a data set's attributes, without its records:
/// names, roles, dictionaries and value counts. A [`Table`] has it; so does a summary computed by
/// a query engine.
pub(crate) trait Attributes {
    /// Number of attributes.
    fn attribute_count(&self) -> usize;
    /// Number of records.
    fn record_count(&self) -> u64;
    fn attribute_name(&self, c: usize) -> &str;
    fn attribute_role(&self, c: usize) -> AttributeRole;
    /// Distinct values; codes index into it.
    fn dictionary(&self, c: usize) -> &[String];
    /// Records per dictionary entry.
    fn value_counts(&self, c: usize) -> Vec<u64>;

    fn find(&self, name: &str) -> Option<usize> {
        (0..self.attribute_count()).find(|&c| self.attribute_name(c) == name)
    }

    fn require_attribute(&self, name: &str) -> Result<usize> {
        self.find(name)
            .ok_or_else(|| Error::invalid_argument(format!("no attribute named '{name}'")))
    }
}

impl Attributes for Table {
    fn attribute_count(&self) -> usize {
        self.columns.len()
    }
    fn record_count(&self) -> u64 {
        self.rows as u64
    }
    fn attribute_name(&self, c: usize) -> &str {
        &self.columns[c].name
    }
    fn attribute_role(&self, c: usize) -> AttributeRole {
        self.columns[c].role
    }
    fn dictionary(&self, c: usize) -> &[String] {
        &self.columns[c].dictionary
    }
    fn value_counts(&self, c: usize) -> Vec<u64> {
        let col = &self.columns[c];
        let mut counts = vec![0u64; col.dictionary.len()];
        for &code in &col.codes {
            counts[code as usize] += 1;
        }
        counts
    }
}

impl Column {
    pub(crate) fn value(&self, row: usize) -> &str {
        self.codes
            .get(row)
            .and_then(|&c| self.dictionary.get(c as usize))
            .map_or("", String::as_str)
    }
}

/// Column-wise builder with one dictionary per column.
#[derive(Debug)]
pub(crate) struct Builder {
    columns: Vec<Column>,
    lookup: Vec<HashMap<String, u32>>,
    rows: usize,
}

impl Builder {
    pub(crate) fn new(names: Vec<String>) -> Result<Self> {
        if names.is_empty() {
            return Err(Error::invalid_argument(
                "a table needs at least one attribute",
            ));
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(Error::invalid_argument(format!(
                    "duplicate attribute name '{n}'"
                )));
            }
        }
        let lookup = names.iter().map(|_| HashMap::new()).collect();
        let columns = names
            .into_iter()
            .map(|name| Column {
                name,
                role: AttributeRole::Insensitive,
                dictionary: Vec::new(),
                codes: Vec::new(),
            })
            .collect();
        Ok(Self {
            columns,
            lookup,
            rows: 0,
        })
    }

    pub(crate) fn push<V: AsRef<str>>(
        &mut self,
        row: impl IntoIterator<Item = V>,
        line: usize,
    ) -> Result<()> {
        if u32::try_from(self.rows).is_err() {
            return Err(Error::limit("records in a table", u64::from(u32::MAX)));
        }
        let width = self.columns.len();
        let mut n = 0usize;
        for value in row {
            let value = value.as_ref();
            let (Some(column), Some(lookup)) = (self.columns.get_mut(n), self.lookup.get_mut(n))
            else {
                return Err(Error::Parse {
                    line,
                    message: format!("more than {width} values"),
                });
            };
            let code = match lookup.get(value) {
                Some(&code) => code,
                None => {
                    let code = u32::try_from(column.dictionary.len()).map_err(|_| {
                        Error::limit("distinct values in a column", u64::from(u32::MAX))
                    })?;
                    lookup.insert(value.to_string(), code);
                    column.dictionary.push(value.to_string());
                    code
                }
            };
            column.codes.push(code);
            n += 1;
        }
        if n != width {
            for column in &mut self.columns[..n] {
                column.codes.pop();
            }
            return Err(Error::Parse {
                line,
                message: format!("expected {width} values, found {n}"),
            });
        }
        self.rows += 1;
        Ok(())
    }

    pub(crate) fn finish(self) -> Table {
        Table {
            columns: self.columns,
            rows: self.rows,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn encodes_columns() {
        let t = Table::from_rows(&["a", "b"], [["x", "1"], ["y", "1"], ["x", "2"]]).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.distinct_values("a").unwrap(), ["x", "y"]);
        assert_eq!(t.value(2, "b"), Some("2"));
        assert_eq!(t.role("a"), Some(AttributeRole::Insensitive));
    }

    #[test]
    fn fail_ragged_row_names_row() {
        let err = Table::from_rows(&["a", "b"], [vec!["x", "1"], vec!["y"]]).unwrap_err();
        assert!(matches!(err, Error::Parse { line: 2, .. }));
        let err = Table::from_rows(&["a"], [vec!["x", "1"]]).unwrap_err();
        assert!(matches!(err, Error::Parse { line: 1, .. }));
    }

    #[test]
    fn fail_duplicate_header() {
        assert!(Table::from_rows(&["a", "a"], Vec::<Vec<&str>>::new()).is_err());
    }

    #[cfg(feature = "csv")]
    #[test]
    fn fail_csv_wrong_field_count_reports_line() {
        let err = Table::from_csv_str("a;b\n1;2\n\n3\n", ';').unwrap_err();
        assert!(matches!(err, Error::Parse { line: 4, .. }), "{err:?}");
    }

    #[cfg(feature = "csv")]
    #[test]
    fn csv_round_trip() {
        let t = Table::from_csv_str("a,b\n\"x,1\",2\n", ',').unwrap();
        let again = Table::from_csv_str(&t.to_csv_string(','), ',').unwrap();
        assert_eq!(again.value(0, "a"), Some("x,1"));
    }
}
