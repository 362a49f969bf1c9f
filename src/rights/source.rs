//! The seam to the data: values, rows, the [`DataSource`] trait a store implements, an
//! in-memory source, and the [`FieldCipher`] hook for encrypted columns.

use std::collections::HashMap;
use std::future::Future;
use std::sync::RwLock;

use super::map::Table;
use crate::keyset::{Aad, Keyset};
use crate::{Error, Result};

/// A column value as a source returns it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (ciphertext, blobs).
    Bytes(Vec<u8>),
}

impl Value {
    /// The value as text for comparisons and AAD: integers in decimal, text as is;
    /// `None` for NULL, reals and bytes.
    #[must_use]
    pub fn as_key(&self) -> Option<String> {
        match self {
            Value::Integer(i) => Some(i.to_string()),
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// Whether the value is NULL.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// One row: the values of the table's fields, in the map's field order.
pub type Row = Vec<Value>;

/// Where a subject's data lives: one implementation per store (the `privkit-sqlx` crate
/// implements it for SQLite and PostgreSQL).
///
/// The executor asks for rows by one column's values, and updates and deletes rows by
/// primary key. It reads only the columns the map names, so a source never returns
/// unmapped data. The trait is async because real sources are (databases, HTTP APIs of
/// processors); a synchronous source returns ready futures (see [`MemorySource`]).
/// Implementations bind every value as a parameter; table and column names come from
/// the validated map (`[a-z_][a-z0-9_]*`).
pub trait DataSource: Sync {
    /// The rows of `table` whose `column` equals one of `values` (each row: the table's
    /// fields in map order).
    ///
    /// # Errors
    /// The store's ([`Error::Io`] wrapping it).
    fn select(
        &self,
        table: &Table,
        column: &str,
        values: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send;

    /// Sets `changes` (column, new value) on the row of `table` whose primary key is
    /// `key`.
    ///
    /// # Errors
    /// The store's.
    fn update(
        &self,
        table: &Table,
        key: &Value,
        changes: &[(String, Value)],
    ) -> impl Future<Output = Result<()>> + Send;

    /// Deletes the row of `table` whose primary key is `key`.
    ///
    /// # Errors
    /// The store's.
    fn delete(&self, table: &Table, key: &Value) -> impl Future<Output = Result<()>> + Send;
}

/// Decrypts and encrypts the map's encrypted fields. The service supplies it: the keys
/// are its own ([`KeysetCipher`] for a [`Keyset`] with row-bound AAD ships).
pub trait FieldCipher: Sync {
    /// The plaintext of `ciphertext` in `table.column` of the row with primary key
    /// `row`.
    ///
    /// # Errors
    /// [`Error::DecryptionFailed`] for anything that does not authenticate,
    /// [`Error::KeyDestroyed`] after crypto-shredding.
    fn decrypt(&self, table: &str, column: &str, row: &Value, ciphertext: &[u8])
    -> Result<Vec<u8>>;

    /// The ciphertext of `plaintext` for `table.column` of row `row`.
    ///
    /// # Errors
    /// The cipher's.
    fn encrypt(&self, table: &str, column: &str, row: &Value, plaintext: &[u8]) -> Result<Vec<u8>>;
}

/// A [`FieldCipher`] over a [`Keyset`], every value bound to its row by the AAD
/// `table`, `column`, `row` (the row's primary key in decimal or as text).
#[derive(Debug)]
pub struct KeysetCipher<'k> {
    keyset: &'k Keyset,
}

impl<'k> KeysetCipher<'k> {
    /// Encrypts and decrypts with `keyset`.
    #[must_use]
    pub fn new(keyset: &'k Keyset) -> Self {
        Self { keyset }
    }

    /// The AAD of `table.column` in row `row`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a key that is NULL, real or bytes.
    pub fn aad(table: &str, column: &str, row: &Value) -> Result<Aad> {
        let row = row.as_key().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{table}.{column}: row key {row:?} is not an integer or text"
            ))
        })?;
        Ok(Aad::new()
            .with("table", table)
            .with("column", column)
            .with("row", &row))
    }
}

impl FieldCipher for KeysetCipher<'_> {
    fn decrypt(
        &self,
        table: &str,
        column: &str,
        row: &Value,
        ciphertext: &[u8],
    ) -> Result<Vec<u8>> {
        let aad = Self::aad(table, column, row)?;
        self.keyset.decrypt(ciphertext, aad.as_bytes())
    }

    fn encrypt(&self, table: &str, column: &str, row: &Value, plaintext: &[u8]) -> Result<Vec<u8>> {
        let aad = Self::aad(table, column, row)?;
        self.keyset.encrypt(plaintext, aad.as_bytes())
    }
}

/// Tables in memory with a hash index on every column: a real [`DataSource`] for
/// tests, examples, caches and benchmarks. Lookups cost one hash probe per value.
#[derive(Debug, Default)]
pub struct MemorySource {
    tables: RwLock<HashMap<String, MemoryTable>>,
}

#[derive(Debug, Default)]
struct MemoryTable {
    columns: Vec<String>,
    /// Row slots; `None` after deletion.
    rows: Vec<Option<Row>>,
    /// Per column: text key of the value -> row slots.
    index: Vec<HashMap<IndexKey, Vec<usize>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum IndexKey {
    Integer(i64),
    Text(String),
    Bytes(Vec<u8>),
}

fn index_key(v: &Value) -> Option<IndexKey> {
    match v {
        Value::Integer(i) => Some(IndexKey::Integer(*i)),
        Value::Text(s) => Some(IndexKey::Text(s.clone())),
        Value::Bytes(b) => Some(IndexKey::Bytes(b.clone())),
        Value::Null | Value::Real(_) => None,
    }
}

fn poisoned() -> Error {
    Error::InvalidOperation("memory source lock poisoned".into())
}

impl MemorySource {
    /// An empty source.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates (or replaces) table `name` with `columns`.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] if the lock is poisoned.
    pub fn create_table(&self, name: &str, columns: &[&str]) -> Result<()> {
        let mut g = self.tables.write().map_err(|_| poisoned())?;
        g.insert(
            name.to_owned(),
            MemoryTable {
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                rows: Vec::new(),
                index: vec![HashMap::new(); columns.len()],
            },
        );
        Ok(())
    }

    /// Inserts a row (values in the order of the table's columns).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown table or a row of the wrong width.
    pub fn insert(&self, table: &str, row: Row) -> Result<()> {
        let mut g = self.tables.write().map_err(|_| poisoned())?;
        let t = g
            .get_mut(table)
            .ok_or_else(|| Error::InvalidArgument(format!("memory source: no table `{table}`")))?;
        if row.len() != t.columns.len() {
            return Err(Error::InvalidArgument(format!(
                "memory source: table `{table}` has {} columns, the row {}",
                t.columns.len(),
                row.len()
            )));
        }
        let slot = t.rows.len();
        for (c, v) in row.iter().enumerate() {
            if let Some(k) = index_key(v) {
                t.index[c].entry(k).or_default().push(slot);
            }
        }
        t.rows.push(Some(row));
        Ok(())
    }

    /// Every live row of `table`, in the table's column order.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown table.
    pub fn rows(&self, table: &str) -> Result<Vec<Row>> {
        let g = self.tables.read().map_err(|_| poisoned())?;
        let t = g
            .get(table)
            .ok_or_else(|| Error::InvalidArgument(format!("memory source: no table `{table}`")))?;
        Ok(t.rows.iter().flatten().cloned().collect())
    }

    fn column(t: &MemoryTable, table: &str, column: &str) -> Result<usize> {
        t.columns.iter().position(|c| c == column).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "memory source: table `{table}` has no column `{column}`"
            ))
        })
    }

    fn slots(t: &MemoryTable, table: &Table, column: &str, values: &[Value]) -> Result<Vec<usize>> {
        let c = Self::column(t, &table.name, column)?;
        let mut slots: Vec<usize> = values
            .iter()
            .filter_map(index_key)
            .filter_map(|k| t.index[c].get(&k))
            .flatten()
            .copied()
            .filter(|&s| t.rows[s].is_some())
            .collect();
        slots.sort_unstable();
        slots.dedup();
        Ok(slots)
    }

    fn select_now(&self, table: &Table, column: &str, values: &[Value]) -> Result<Vec<Row>> {
        let g = self.tables.read().map_err(|_| poisoned())?;
        let t = g.get(&table.name).ok_or_else(|| {
            Error::InvalidArgument(format!("memory source: no table `{}`", table.name))
        })?;
        let cols = table
            .fields
            .iter()
            .map(|f| Self::column(t, &table.name, &f.name))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::slots(t, table, column, values)?
            .into_iter()
            .filter_map(|s| t.rows[s].as_ref())
            .map(|r| cols.iter().map(|&c| r[c].clone()).collect())
            .collect())
    }

    fn change_now(
        &self,
        table: &Table,
        key: &Value,
        changes: Option<&[(String, Value)]>,
    ) -> Result<()> {
        let mut g = self.tables.write().map_err(|_| poisoned())?;
        let t = g.get_mut(&table.name).ok_or_else(|| {
            Error::InvalidArgument(format!("memory source: no table `{}`", table.name))
        })?;
        let slots = Self::slots(t, table, &table.primary_key, std::slice::from_ref(key))?;
        let targets = match changes {
            Some(ch) => ch
                .iter()
                .map(|(c, v)| Ok((Self::column(t, &table.name, c)?, v.clone())))
                .collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        for s in slots {
            let Some(row) = t.rows[s].as_mut() else {
                continue;
            };
            if changes.is_none() {
                for (c, v) in row.iter().enumerate() {
                    if let Some(k) = index_key(v)
                        && let Some(list) = t.index[c].get_mut(&k)
                    {
                        list.retain(|&x| x != s);
                    }
                }
                t.rows[s] = None;
                continue;
            }
            for (c, v) in &targets {
                if let Some(k) = index_key(&row[*c])
                    && let Some(list) = t.index[*c].get_mut(&k)
                {
                    list.retain(|&x| x != s);
                }
                if let Some(k) = index_key(v) {
                    t.index[*c].entry(k).or_default().push(s);
                }
                row[*c] = v.clone();
            }
        }
        Ok(())
    }
}

impl DataSource for MemorySource {
    fn select(
        &self,
        table: &Table,
        column: &str,
        values: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        std::future::ready(self.select_now(table, column, values))
    }

    fn update(
        &self,
        table: &Table,
        key: &Value,
        changes: &[(String, Value)],
    ) -> impl Future<Output = Result<()>> + Send {
        std::future::ready(self.change_now(table, key, Some(changes)))
    }

    fn delete(&self, table: &Table, key: &Value) -> impl Future<Output = Result<()>> + Send {
        std::future::ready(self.change_now(table, key, None))
    }
}
