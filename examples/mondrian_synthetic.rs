//! Mondrian 5-anonymity on Adult (`--adult`) or on a synthetic table with Adult's attributes:
//! `N` records (default 1,000,000), every value drawn independently from Adult's column with a
//! fixed-seed generator; 8 quasi-identifiers (`age` numeric, the others along their
//! hierarchies), `occupation` sensitive. Prints timings, utility and risk.
//!
//! `cargo run --release --example mondrian_synthetic -- [N | --adult] [--relaxed] [--threads T]`

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use privkit::anon::{
    AnonymizationConfig, AttributeRole, Mondrian, PrivacyModel, RiskSummary, Table,
};

#[path = "../tests/common/adult.rs"]
mod adult;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let threads = args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1))
        .and_then(|t| t.parse().ok());
    let text = adult::data("adult.csv")?;
    let (header, source) = adult::records(&text);
    if source.is_empty() {
        return Err("empty data".into());
    }
    let started = Instant::now();
    let mut table = if args.iter().any(|a| a == "--adult") {
        Table::from_rows(&header, source)?
    } else {
        Table::from_rows(&header, adult::synthetic(&source, n))?
    };
    println!(
        "loaded {} records in {:.0} ms",
        table.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let mut config = AnonymizationConfig::new()
        .model(PrivacyModel::KAnonymity { k: 5 })
        .relaxed(args.iter().any(|a| a == "--relaxed"))
        .numeric("age");
    if let Some(t) = threads {
        config = config.threads(t);
    }
    for a in adult::ATTRIBUTES {
        if a == "occupation" {
            table.set_role(a, AttributeRole::Sensitive)?;
            continue;
        }
        table.set_role(a, AttributeRole::QuasiIdentifying)?;
        if a != "age" {
            config = config.hierarchy(a, adult::hierarchy(a)?);
        }
    }
    let started = Instant::now();
    let mondrian = Mondrian::new(&table, &config)?;
    let prepared = started.elapsed();
    let reports = AtomicU64::new(0);
    let result = mondrian.run_with(
        &|_, _| {
            reports.fetch_add(1, Ordering::Relaxed);
            ControlFlow::Continue(())
        },
        &AtomicBool::new(false),
    )?;
    let total = started.elapsed();
    println!(
        "prepared in {:.0} ms; Mondrian (incl. output table) {:.0} ms total; {} progress reports",
        prepared.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        reports.load(Ordering::Relaxed)
    );
    println!(
        "partitions {}, released classes {}, min size {}, discernibility {}, aecs {:.3}, loss {:.4}",
        result.partitions,
        result.classes.classes,
        result.classes.min_size,
        result.metrics.discernibility,
        result.metrics.aecs,
        result.metrics.loss
    );
    let started = Instant::now();
    let before = RiskSummary::of(&table, 0.2)?;
    let after = RiskSummary::of(&result.table, 0.2)?;
    println!(
        "risk in {:.0} ms: prosecutor highest {:.4} -> {:.4}, average {:.4} -> {:.4}, uniques {:.4} -> {:.4}",
        started.elapsed().as_secs_f64() * 1e3,
        before.prosecutor.highest,
        after.prosecutor.highest,
        before.prosecutor.average,
        after.prosecutor.average,
        before.sample_uniques,
        after.sample_uniques
    );
    Ok(())
}
