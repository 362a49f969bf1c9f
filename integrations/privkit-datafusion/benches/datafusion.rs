//! privkit in DataFusion at 10 million rows.
//!
//! - `pseudonymize/*`: keyed pseudonyms of one text column of a Parquet file through SQL
//!   (`privkit_pseudonymize`, results streamed and dropped), against the in-memory batch API
//!   (`pseudonymize_batch`) on the same values already in memory, the raw HMAC-SHA256 on one core
//!   (the primitive underneath) and the Parquet scan alone.
//! - `kanon_check/*`: one k-anonymity evaluation (GROUP BY over 8 generalized quasi-identifiers
//!   and a sensitive attribute, then the models) of Adult synthesized to the size (independent
//!   columns drawn from Adult's records), from Parquet.
//!
//! - `redact/*`: `privkit_redact` over a text column of log lines in memory (a `MemTable`
//!   of 8,192-row batches, one partition, so one core), against `Redactor::redact_text` with
//!   the same scanner configuration on the same strings directly: the ratio is what the SQL
//!   layer adds to detection.
//!
//! Each iteration at 10 M rows takes seconds: the sample size is 10 (criterion's minimum).
//! Files are generated once under `privkit-bench-datafusion/` in the workspace's target
//! directory (`CARGO_TARGET_DIR` when set) and reused.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::SessionConfig;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures_util::StreamExt;
use privkit::anon::{AnonymizationConfig, AttributeRole, Metric, PrivacyModel};
use privkit::detect::{Operator, Redactor, Scanner};
use privkit::pseudonym::{KeyRing, KeyedConfig, KeyedPseudonymizer, RootKey};
use privkit::secret::SecretBytes;
use privkit_datafusion::{DataFusionEngine, PrivkitRegistry};

#[path = "../../../tests/common/adult.rs"]
mod adult;

const BATCH: usize = 65_536;

fn dir() -> PathBuf {
    // The workspace's target directory (or `CARGO_TARGET_DIR`), never the source tree.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let d = target.join("privkit-bench-datafusion");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn email(i: usize) -> String {
    format!("user{i}.name@example{}.com", i % 1000)
}

/// Writes `rows` rows to `path` unless it exists, batch by batch.
fn write_parquet(
    path: &Path,
    schema: Arc<Schema>,
    rows: usize,
    batch: impl Fn(usize, usize) -> Vec<ArrayRef>,
) {
    if path.exists() {
        return;
    }
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp).unwrap();
    let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), None).unwrap();
    let mut start = 0;
    while start < rows {
        let end = (start + BATCH).min(rows);
        let b = RecordBatch::try_new(Arc::clone(&schema), batch(start, end)).unwrap();
        writer.write(&b).unwrap();
        start = end;
    }
    writer.close().unwrap();
    std::fs::rename(tmp, path).unwrap();
}

fn emails_parquet(rows: usize) -> PathBuf {
    let path = dir().join(format!("emails_{rows}.parquet"));
    let schema = Arc::new(Schema::new(vec![Field::new(
        "email",
        DataType::Utf8,
        false,
    )]));
    write_parquet(&path, schema, rows, |s, e| {
        vec![Arc::new((s..e).map(|i| Some(email(i))).collect::<StringArray>()) as ArrayRef]
    });
    path
}

fn adult_parquet(rows: usize) -> PathBuf {
    let path = dir().join(format!("adult_{rows}.parquet"));
    let text = adult::data("adult.csv").unwrap();
    let (header, records) = adult::records(&text);
    let schema = Arc::new(Schema::new(
        header
            .iter()
            .map(|h| Field::new(*h, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let synthetic: std::cell::RefCell<Box<dyn Iterator<Item = Vec<&str>>>> =
        std::cell::RefCell::new(Box::new(adult::synthetic(&records, rows)));
    write_parquet(&path, schema, rows, |s, e| {
        let chunk: Vec<Vec<&str>> = synthetic.borrow_mut().by_ref().take(e - s).collect();
        (0..header.len())
            .map(|c| {
                Arc::new(chunk.iter().map(|r| Some(r[c])).collect::<StringArray>()) as ArrayRef
            })
            .collect()
    });
    path
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().build().unwrap()
}

/// Runs `sql` and counts the rows it streams, dropping the batches.
async fn stream_rows(ctx: &SessionContext, sql: &str) -> usize {
    let mut stream = ctx.sql(sql).await.unwrap().execute_stream().await.unwrap();
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        rows += batch.unwrap().num_rows();
    }
    rows
}

fn pseudonymize(c: &mut Criterion) {
    let keys = KeyRing::new(RootKey::new(1, &SecretBytes::new(vec![7u8; 32])).unwrap());
    let p = KeyedPseudonymizer::new(keys.primary(), "email", KeyedConfig::default()).unwrap();
    let rt = runtime();
    let mut group = c.benchmark_group("pseudonymize");
    group.sample_size(10);
    for rows in [1_000_000usize, 10_000_000] {
        let path = emails_parquet(rows);
        let ctx = SessionContext::new();
        PrivkitRegistry::new()
            .with_pseudonymizer("email", p.clone())
            .unwrap()
            .register(&ctx);
        rt.block_on(ctx.register_parquet(
            "emails",
            path.to_str().unwrap(),
            ParquetReadOptions::default(),
        ))
        .unwrap();
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(BenchmarkId::new("sql_parquet", rows), |b| {
            b.iter(|| {
                let n = rt.block_on(stream_rows(
                    &ctx,
                    "SELECT privkit_pseudonymize('email', email) FROM emails",
                ));
                assert_eq!(n, rows);
            });
        });
        group.bench_function(BenchmarkId::new("parquet_scan_only", rows), |b| {
            b.iter(|| {
                let n = rt.block_on(stream_rows(&ctx, "SELECT email FROM emails"));
                assert_eq!(n, rows);
            });
        });
        let values: Vec<String> = (0..rows).map(email).collect();
        group.bench_function(BenchmarkId::new("in_memory_batch", rows), |b| {
            b.iter(|| p.pseudonymize_batch(&values));
        });
        group.bench_function(BenchmarkId::new("raw_hmac_one_core", rows), |b| {
            b.iter(|| {
                values
                    .iter()
                    .map(|v| p.mac(v.as_bytes())[0])
                    .fold(0u8, |a, x| a ^ x)
            });
        });
    }
    group.finish();
}

fn kanon_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("kanon_check");
    group.sample_size(10);
    for rows in [1_000_000usize, 10_000_000] {
        let path = adult_parquet(rows);
        let ctx = SessionContext::new();
        runtime()
            .block_on(ctx.register_parquet(
                "adult",
                path.to_str().unwrap(),
                ParquetReadOptions::default(),
            ))
            .unwrap();
        let mut config = AnonymizationConfig::new()
            .model(PrivacyModel::KAnonymity { k: 5 })
            .model(PrivacyModel::DistinctLDiversity {
                attribute: "occupation".into(),
                l: 2,
            })
            .suppression_limit(0.02)
            .metric(Metric::Entropy);
        let mut roles = Vec::new();
        for a in adult::ATTRIBUTES {
            if a == "occupation" {
                roles.push((a, AttributeRole::Sensitive));
            } else {
                roles.push((a, AttributeRole::QuasiIdentifying));
                config = config.hierarchy(a, adult::hierarchy(a).unwrap());
            }
        }
        let mut anonymizer = DataFusionEngine::anonymizer(&ctx, "adult", &roles, &config).unwrap();
        // 18 level vectors of similar cost, taken in turn: more than the engine caches (8), so
        // every iteration runs its query.
        let mut levels = Vec::new();
        for e in 1..4 {
            for w in 0..3 {
                for s in 0..2 {
                    levels.push(vec![1, 2, 1, 1, e, 1, w, s]);
                }
            }
        }
        let mut turn = 0usize;
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(BenchmarkId::new("datafusion_parquet_evaluate", rows), |b| {
            b.iter(|| {
                turn += 1;
                anonymizer.evaluate(&levels[turn % levels.len()]).unwrap()
            });
        });
    }
    group.finish();
}

/// Service log lines, half of them with personal data (e-mail and IP, card).
fn log_line(i: usize) -> String {
    let t = i % 60;
    match i % 4 {
        0 => format!(
            "2026-03-01T12:00:{t:02}Z INFO login ok user=user{i}@example.org ip=10.0.{}.{}",
            i % 256,
            i % 200
        ),
        1 => format!(
            "2026-03-01T12:00:{t:02}Z WARN payment declined card=4111 1111 1111 1111 order={i}"
        ),
        2 => format!(
            "2026-03-01T12:00:{t:02}Z DEBUG cache hit key=session:{i} took {}ms",
            i % 97
        ),
        _ => format!("2026-03-01T12:00:{t:02}Z INFO GET /api/v1/items/{i} status=200"),
    }
}

fn redact(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("redact");
    group.sample_size(10);
    let scanner = Scanner::new().unwrap();
    let redactor = Redactor::new(Operator::TypeTag).unwrap();
    for rows in [1_000usize, 10_000, 100_000] {
        let lines: Vec<String> = (0..rows).map(log_line).collect();
        let bytes: usize = lines.iter().map(String::len).sum();
        let schema = Arc::new(Schema::new(vec![Field::new("line", DataType::Utf8, false)]));
        let batches: Vec<RecordBatch> = lines
            .chunks(8192)
            .map(|chunk| {
                let column: ArrayRef = Arc::new(StringArray::from_iter_values(chunk));
                RecordBatch::try_new(Arc::clone(&schema), vec![column]).unwrap()
            })
            .collect();
        let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
        PrivkitRegistry::new()
            .with_detection(
                Scanner::new().unwrap(),
                Redactor::new(Operator::TypeTag).unwrap(),
            )
            .register(&ctx);
        ctx.register_table(
            "logs",
            Arc::new(MemTable::try_new(schema, vec![batches]).unwrap()),
        )
        .unwrap();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(BenchmarkId::new("sql_privkit_redact", rows), |b| {
            b.iter(|| {
                let n = rt.block_on(stream_rows(&ctx, "SELECT privkit_redact(line) FROM logs"));
                assert_eq!(n, rows);
            });
        });
        group.bench_function(BenchmarkId::new("redactor_direct", rows), |b| {
            b.iter(|| {
                lines
                    .iter()
                    .map(|l| redactor.redact_text(&scanner, l).unwrap().text.len())
                    .sum::<usize>()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, pseudonymize, kanon_check, redact);
criterion_main!(benches);
