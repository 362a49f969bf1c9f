//! `privkit::rights::DataSource` on the application's own tables, SQLite and PostgreSQL.

use std::future::Future;

use privkit::rights::{DataSource, Row, Table, Value};
use sqlx::any::{AnyArguments, AnyTypeInfoKind};
use sqlx::query::Query;
use sqlx::{Any, Row as _, ValueRef as _};

use crate::db::{Database, check_identifier};

/// The application's tables as a [`DataSource`] for subject requests
/// (`privkit::rights::Executor`): rows selected by one column's values, updated and
/// deleted by primary key, on the [`Database`]'s pool.
///
/// Statements are built from the map's table and column names, checked again here as
/// `[a-z_][a-z0-9_]*`; every value is bound. Only the columns the data map lists are
/// read. Values map as: integers (`INTEGER`, `BIGINT`, booleans) to `Value::Integer`,
/// `REAL`/`DOUBLE PRECISION` to `Value::Real`, text to `Value::Text`, `BLOB`/`BYTEA` to
/// `Value::Bytes`, NULL to `Value::Null`. Each update or delete is its own statement;
/// an erasure interrupted midway is completed by running it again.
#[derive(Clone, Debug)]
pub struct SqlSource {
    db: Database,
}

impl SqlSource {
    /// A source over `db`'s tables.
    #[must_use]
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }
}

fn failed(e: impl std::error::Error + Send + Sync + 'static) -> privkit::Error {
    privkit::Error::Io(std::io::Error::other(e))
}

fn refused(e: crate::Error) -> privkit::Error {
    match e {
        crate::Error::Privkit(p) => p,
        crate::Error::InvalidArgument(m) => privkit::Error::InvalidArgument(m),
        other => failed(other),
    }
}

fn bind<'q>(q: Query<'q, Any, AnyArguments<'q>>, v: &Value) -> Query<'q, Any, AnyArguments<'q>> {
    match v {
        Value::Null => q.bind(Option::<String>::None),
        Value::Integer(i) => q.bind(*i),
        Value::Real(r) => q.bind(*r),
        Value::Text(s) => q.bind(s.clone()),
        Value::Bytes(b) => q.bind(b.clone()),
    }
}

fn decode(row: &sqlx::any::AnyRow, i: usize) -> privkit::Result<Value> {
    let raw = row.try_get_raw(i).map_err(failed)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::Null => Value::Null,
        AnyTypeInfoKind::Bool => {
            Value::Integer(i64::from(row.try_get::<bool, _>(i).map_err(failed)?))
        }
        AnyTypeInfoKind::SmallInt => {
            Value::Integer(i64::from(row.try_get::<i16, _>(i).map_err(failed)?))
        }
        AnyTypeInfoKind::Integer => {
            Value::Integer(i64::from(row.try_get::<i32, _>(i).map_err(failed)?))
        }
        AnyTypeInfoKind::BigInt => Value::Integer(row.try_get::<i64, _>(i).map_err(failed)?),
        AnyTypeInfoKind::Real => Value::Real(f64::from(row.try_get::<f32, _>(i).map_err(failed)?)),
        AnyTypeInfoKind::Double => Value::Real(row.try_get::<f64, _>(i).map_err(failed)?),
        AnyTypeInfoKind::Text => Value::Text(row.try_get::<String, _>(i).map_err(failed)?),
        AnyTypeInfoKind::Blob => Value::Bytes(row.try_get::<Vec<u8>, _>(i).map_err(failed)?),
    })
}

/// Checks the table's and `columns`' names.
fn check<'a>(table: &Table, columns: impl IntoIterator<Item = &'a str>) -> privkit::Result<()> {
    check_identifier("table", &table.name).map_err(refused)?;
    for c in columns {
        check_identifier("column", c).map_err(refused)?;
    }
    Ok(())
}

impl SqlSource {
    async fn select_rows(
        &self,
        table: &Table,
        column: &str,
        values: &[Value],
    ) -> privkit::Result<Vec<Row>> {
        check(
            table,
            table.fields.iter().map(|f| f.name.as_str()).chain([column]),
        )?;
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let columns: Vec<&str> = table.fields.iter().map(|f| f.name.as_str()).collect();
        let marks: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {} FROM {} WHERE {column} IN ({})",
            columns.join(", "),
            table.name,
            marks.join(", ")
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query(&sql);
        for v in values {
            q = bind(q, v);
        }
        let rows = q.fetch_all(self.db.pool()).await.map_err(failed)?;
        rows.iter()
            .map(|r| (0..columns.len()).map(|i| decode(r, i)).collect())
            .collect()
    }

    async fn update_row(
        &self,
        table: &Table,
        key: &Value,
        changes: &[(String, Value)],
    ) -> privkit::Result<()> {
        check(
            table,
            changes
                .iter()
                .map(|(c, _)| c.as_str())
                .chain([table.primary_key.as_str()]),
        )?;
        if changes.is_empty() {
            return Ok(());
        }
        // NULL is written as a literal: a typed NULL parameter does not assign to a
        // BYTEA column on PostgreSQL.
        let mut n = 0;
        let sets: Vec<String> = changes
            .iter()
            .map(|(c, v)| {
                if v.is_null() {
                    format!("{c} = NULL")
                } else {
                    n += 1;
                    format!("{c} = ${n}")
                }
            })
            .collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE {} = ${}",
            table.name,
            sets.join(", "),
            table.primary_key,
            n + 1
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query(&sql);
        for (_, v) in changes.iter().filter(|(_, v)| !v.is_null()) {
            q = bind(q, v);
        }
        q = bind(q, key);
        q.execute(self.db.pool()).await.map_err(failed)?;
        Ok(())
    }

    async fn delete_row(&self, table: &Table, key: &Value) -> privkit::Result<()> {
        check(table, [table.primary_key.as_str()])?;
        let sql = format!(
            "DELETE FROM {} WHERE {} = $1",
            table.name, table.primary_key
        );
        let sql = self.db.sql(&sql);
        bind(sqlx::query(&sql), key)
            .execute(self.db.pool())
            .await
            .map_err(failed)?;
        Ok(())
    }
}

impl DataSource for SqlSource {
    fn select(
        &self,
        table: &Table,
        column: &str,
        values: &[Value],
    ) -> impl Future<Output = privkit::Result<Vec<Row>>> + Send {
        self.select_rows(table, column, values)
    }

    fn update(
        &self,
        table: &Table,
        key: &Value,
        changes: &[(String, Value)],
    ) -> impl Future<Output = privkit::Result<()>> + Send {
        self.update_row(table, key, changes)
    }

    fn delete(
        &self,
        table: &Table,
        key: &Value,
    ) -> impl Future<Output = privkit::Result<()>> + Send {
        self.delete_row(table, key)
    }
}
