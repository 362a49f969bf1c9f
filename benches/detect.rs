//! Detection throughput (`Throughput::Bytes`): the scanner with every built-in
//! recognizer on Presidio's synthetic sentences and on synthetic service log lines,
//! several sizes, against a baseline row of one compiled regex (an e-mail pattern, the
//! same engine) over the same bytes, so the cost of all recognizers reads as a ratio.
//!
//! `redact_*`: [`Redactor::redact_text`] line by line (each log line or sentence is one
//! text, as a log layer or a SQL function sees them), against scanning the same lines
//! alone, so the cost of redaction on top of detection reads as a ratio.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use privkit::detect::{Operator, Redactor, Scanner};
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
        // The first MiB (or all) of the text as texts of 4 KiB, each scanned once per
        // iteration: the same text of 4 KiB scanned again and again (the row above)
        // runs about twice as fast, as the branch predictor learns its branches.
        let t = cut(text, 1024 * 1024);
        let pieces = pieces(t, 4 * 1024);
        g.throughput(Throughput::Bytes(t.len() as u64));
        let mut out = Vec::new();
        g.bench_with_input(
            BenchmarkId::new("scanner_all_recognizers_4KiB_texts", t.len()),
            &pieces,
            |b, pieces| {
                b.iter(|| {
                    let mut n = 0;
                    for p in pieces {
                        scanner.scan_into(black_box(p), &mut out);
                        n += out.len();
                    }
                    n
                });
            },
        );
        g.finish();
    }
}

/// `text` cut into pieces of at most `len` bytes at character boundaries.
fn pieces(text: &str, len: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let p = cut(rest, len);
        let p = if p.is_empty() {
            // A character longer than `len` bytes cannot be: `len` is 4 KiB.
            rest
        } else {
            p
        };
        out.push(p);
        rest = &rest[p.len()..];
    }
    out
}

fn redact(c: &mut Criterion) {
    let scanner = Scanner::new().unwrap_or_else(|e| panic!("{e}"));
    let redactor = Redactor::new(Operator::TypeTag).unwrap_or_else(|e| panic!("{e}"));
    let inputs = [("sentences", sentences()), ("log_lines", log_lines(20_000))];
    for (name, text) in &inputs {
        let mut g = c.benchmark_group(format!("redact_{name}"));
        g.sample_size(20);
        let t = cut(text, 64 * 1024);
        let lines: Vec<&str> = t.lines().collect();
        g.throughput(Throughput::Bytes(t.len() as u64));
        let mut out = Vec::new();
        g.bench_with_input(
            BenchmarkId::new("scan_per_line", t.len()),
            &lines,
            |b, l| {
                b.iter(|| {
                    let mut n = 0;
                    for line in l {
                        scanner.scan_into(black_box(line), &mut out);
                        n += out.len();
                    }
                    n
                });
            },
        );
        g.bench_with_input(
            BenchmarkId::new("redact_text_per_line", t.len()),
            &lines,
            |b, l| {
                b.iter(|| {
                    let mut n = 0;
                    for line in l {
                        let r = redactor
                            .redact_text(&scanner, black_box(line))
                            .unwrap_or_else(|e| panic!("{e}"));
                        n += r.text.len();
                    }
                    n
                });
            },
        );
        g.finish();
    }
}

criterion_group!(benches, bench, redact);
criterion_main!(benches);
