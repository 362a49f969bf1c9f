//! Detection throughput (`Throughput::Bytes`): the scanner with every built-in
//! recognizer on Presidio's synthetic sentences and on synthetic service log lines,
//! several sizes, against a baseline row of one compiled regex (an e-mail pattern, the
//! same engine) over the same bytes, so the cost of all recognizers reads as a ratio.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::detect::Scanner;
use regex_automata::meta::Regex;

#[path = "detect_support/inputs.rs"]
mod inputs;
use inputs::{cut, log_lines, sentences};

fn bench(c: &mut Criterion) {
    let scanner = Scanner::new().unwrap_or_else(|e| panic!("{e}"));
    let baseline = Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
        .unwrap_or_else(|e| panic!("{e}"));
    let inputs = [("sentences", sentences()), ("log_lines", log_lines(20_000))];
    for (name, text) in &inputs {
        let mut g = c.benchmark_group(format!("detect_{name}"));
        g.sample_size(20);
        for size in [4 * 1024, 64 * 1024, 1024 * 1024] {
            let t = cut(text, size);
            g.throughput(Throughput::Bytes(t.len() as u64));
            g.bench_with_input(
                BenchmarkId::new("baseline_one_regex", t.len()),
                t,
                |b, t| {
                    b.iter(|| baseline.find_iter(black_box(t)).count());
                },
            );
            let mut out = Vec::new();
            g.bench_with_input(
                BenchmarkId::new("scanner_all_recognizers", t.len()),
                t,
                |b, t| {
                    b.iter(|| {
                        scanner.scan_into(black_box(t), &mut out);
                        out.len()
                    });
                },
            );
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
