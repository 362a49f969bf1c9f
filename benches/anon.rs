//! k-anonymity engine on the Adult benchmark: optimal search with 8 and 9 quasi-identifiers,
//! Mondrian local recoding (strict and relaxed, 8 quasi-identifiers, `age` numeric), and the raw
//! grouping of one transformation as the baseline.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::anon::{AnonymizationConfig, Anonymizer, Metric, Mondrian, PrivacyModel, Table};

#[path = "../tests/common/adult.rs"]
mod adult;

/// The first `rows` records of Adult; `occupation` is sensitive unless `nine_qis`.
fn setup(rows: usize, nine_qis: bool) -> (Table, AnonymizationConfig) {
    let text = adult::data("adult.csv").unwrap();
    let (header, records) = adult::records(&text);
    let mut table = Table::from_rows(&header, records.into_iter().take(rows)).unwrap();
    let config = AnonymizationConfig::new()
        .model(PrivacyModel::KAnonymity { k: 5 })
        .suppression_limit(0.0)
        .metric(Metric::Entropy);
    let config = adult::roles(&mut table, config, nine_qis).unwrap();
    (table, config)
}

/// Mondrian's configuration for [`setup`]'s 8 quasi-identifiers: `age` numeric.
fn mondrian_config(relaxed: bool) -> AnonymizationConfig {
    let mut config = AnonymizationConfig::new()
        .model(PrivacyModel::KAnonymity { k: 5 })
        .relaxed(relaxed)
        .numeric("age");
    for a in adult::ATTRIBUTES {
        if a != "age" && a != "occupation" {
            config = config.hierarchy(a, adult::hierarchy(a).unwrap());
        }
    }
    config
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("anon_adult_k5");
    for rows in [7_500usize, 15_000, 30_162] {
        for (name, nine) in [("optimal_8qi", false), ("optimal_9qi", true)] {
            let (table, config) = setup(rows, nine);
            group.throughput(Throughput::Elements(table.len() as u64));
            group.bench_with_input(BenchmarkId::new(name, rows), &rows, |b, _| {
                b.iter(|| {
                    let mut anonymizer = Anonymizer::new(&table, &config).unwrap();
                    anonymizer.optimal().unwrap()
                });
            });
        }
        for (name, relaxed) in [
            ("mondrian_strict_8qi", false),
            ("mondrian_relaxed_8qi", true),
        ] {
            let (table, _) = setup(rows, false);
            let config = mondrian_config(relaxed);
            group.throughput(Throughput::Elements(table.len() as u64));
            group.bench_with_input(BenchmarkId::new(name, rows), &rows, |b, _| {
                b.iter(|| Mondrian::new(&table, &config).unwrap().run().unwrap());
            });
        }
        // Baseline: prepare (dictionary grouping) plus the dry run of one level vector.
        let (table, config) = setup(rows, false);
        group.throughput(Throughput::Elements(table.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("baseline_group_one_transformation", rows),
            &rows,
            |b, _| {
                b.iter(|| {
                    let mut anonymizer = Anonymizer::new(&table, &config).unwrap();
                    anonymizer.evaluate(&[1, 1, 1, 1, 3, 2, 2, 1]).unwrap()
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
