//! k-anonymity engine on the Adult benchmark: optimal search with 8 and 9 quasi-identifiers,
//! and the raw grouping of one transformation as the baseline.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::anon::{
    AnonymizationConfig, Anonymizer, AttributeRole, Hierarchy, Metric, PrivacyModel, Table,
};

const ATTRIBUTES: [&str; 9] = [
    "sex",
    "age",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
    "salary-class",
];

fn data(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/data/adult/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The first `rows` records of Adult; `occupation` is sensitive unless `nine_qis`.
fn setup(rows: usize, nine_qis: bool) -> (Table, AnonymizationConfig) {
    let text = data("adult.csv");
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let mut table = Table::from_rows(&header, lines.take(rows).map(|l| l.split(';'))).unwrap();
    let mut config = AnonymizationConfig::new()
        .model(PrivacyModel::KAnonymity { k: 5 })
        .suppression_limit(0.0)
        .metric(Metric::Entropy);
    for a in ATTRIBUTES {
        if a == "occupation" && !nine_qis {
            table.set_role(a, AttributeRole::Sensitive).unwrap();
            continue;
        }
        table.set_role(a, AttributeRole::QuasiIdentifying).unwrap();
        let h = Hierarchy::from_csv_str(&data(&format!("adult_hierarchy_{a}.csv")), ';').unwrap();
        config = config.hierarchy(a, h);
    }
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
