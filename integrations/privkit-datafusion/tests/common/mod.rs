//! Helpers shared by the crate's test binaries: temporary directories, Parquet files, Adult as
//! a record batch.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use privkit::anon::{AttributeRole, Table};

#[path = "../../../../tests/common/adult.rs"]
pub(crate) mod adult;

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("privkit-df-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `batches` to one Parquet file.
pub(crate) fn write_parquet(path: &Path, batches: &[RecordBatch]) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batches[0].schema(), None).unwrap();
    for b in batches {
        writer.write(b).unwrap();
    }
    writer.close().unwrap();
}

/// Writes `batch` as `parts` Parquet files in `dir` (a partitioned table).
pub(crate) fn write_parts(dir: &Path, batch: &RecordBatch, parts: usize) {
    let per = batch.num_rows().div_ceil(parts);
    for (p, start) in (0..batch.num_rows()).step_by(per).enumerate() {
        let slice = batch.slice(start, per.min(batch.num_rows() - start));
        write_parquet(&dir.join(format!("part-{p}.parquet")), &[slice]);
    }
}

/// A text column.
pub(crate) fn text_column<S: AsRef<str>>(values: impl Iterator<Item = S>) -> ArrayRef {
    Arc::new(values.map(Some).collect::<StringArray>())
}

/// The first `rows` records of Adult as a record batch of text columns and as an in-memory
/// table.
pub(crate) fn adult_batch(rows: usize) -> (RecordBatch, Table) {
    let text = adult::data("adult.csv").unwrap();
    let (header, mut records) = adult::records(&text);
    records.truncate(rows);
    let fields: Vec<Field> = header
        .iter()
        .map(|h| Field::new(*h, DataType::Utf8, false))
        .collect();
    let columns: Vec<ArrayRef> = (0..header.len())
        .map(|c| text_column(records.iter().map(|r| r[c])))
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    (batch, Table::from_rows(&header, records).unwrap())
}

/// Adult's roles as the searches use them: `occupation` sensitive, every other attribute a
/// quasi-identifier.
pub(crate) fn adult_roles() -> Vec<(&'static str, AttributeRole)> {
    adult::ATTRIBUTES
        .iter()
        .map(|&a| {
            let role = if a == "occupation" {
                AttributeRole::Sensitive
            } else {
                AttributeRole::QuasiIdentifying
            };
            (a, role)
        })
        .collect()
}
