//! k-anonymity engine on the Adult benchmark: optimal search with 8 and 9 quasi-identifiers,
//! and the raw grouping of one transformation as the baseline.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::anon::{AnonymizationConfig, Anonymizer, Metric, PrivacyModel, Table};

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
