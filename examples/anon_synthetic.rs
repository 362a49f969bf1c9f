//! Optimal 5-anonymity over a synthetic table with Adult's attributes: `N` records (default
//! 1,000,000) whose every value is drawn independently from Adult's column (same marginals,
//! independent attributes, so many more distinct combinations than Adult) with a fixed-seed
//! generator; 8 quasi-identifiers
//! (occupation sensitive) or all 9 with `--nine`. Prints the timings.
//!
//! `cargo run --release --example anon_synthetic -- [N] [--nine]`

use std::time::Instant;

use privkit::anon::{AnonymizationConfig, Anonymizer, Metric, PrivacyModel, Table};

#[path = "../tests/common/adult.rs"]
mod adult;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let nine = args.iter().any(|a| a == "--nine");
    let text = adult::data("adult.csv")?;
    let (header, source) = adult::records(&text);
    if source.is_empty() {
        return Err("empty data".into());
    }
    let started = Instant::now();
    let rows = adult::synthetic(&source, n);
    let mut table = Table::from_rows(&header, rows)?;
    println!(
        "generated {n} records in {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let config = AnonymizationConfig::new()
        .model(PrivacyModel::KAnonymity { k: 5 })
        .suppression_limit(0.0)
        .metric(Metric::Entropy);
    let config = adult::roles(&mut table, config, nine)?;
    let started = Instant::now();
    let mut anonymizer = Anonymizer::new(&table, &config)?;
    let prepared = started.elapsed();
    let result = anonymizer.optimal()?;
    let total = started.elapsed();
    println!(
        "prepared in {:.0} ms; optimal search (incl. output table) {:.0} ms total, {} of {} transformations checked; levels {:?}",
        prepared.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        result.checked,
        result.lattice_size,
        result.optimum.as_ref().map(|o| &o.levels)
    );
    Ok(())
}
