//! Accuracy of the scanner on Presidio's labelled synthetic sentences
//! (`tests/data/pii/synth_dataset_v2.json`) and on privkit's own labelled sentences
//! (`tests/data/pii/privkit_sentences.json`), with the span match of issue 17: same type,
//! and the spans overlap by at least half of the longer one.
//!
//! `cargo test --release --features detect --test detect_accuracy -- --nocapture` prints
//! the per-type table next to Presidio's measured precision and recall.

use std::collections::BTreeMap;

use privkit::detect::{Scanner, char_spans};

#[derive(Debug, Clone)]
struct Span {
    entity: String,
    start: usize,
    end: usize,
}

struct Record {
    text: String,
    spans: Vec<Span>,
    template: i64,
}

fn load(path: &str) -> Vec<Record> {
    let full = format!("{}/tests/data/pii/{path}", env!("CARGO_MANIFEST_DIR"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&full).expect("read data")).expect("JSON");
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| Record {
            text: r["full_text"].as_str().expect("full_text").to_owned(),
            template: r["template_id"].as_i64().unwrap_or(0),
            spans: r["spans"]
                .as_array()
                .expect("spans")
                .iter()
                .map(|s| Span {
                    entity: dataset_type(s["entity_type"].as_str().expect("type")).to_owned(),
                    start: usize::try_from(s["start_position"].as_u64().expect("start"))
                        .expect("usize"),
                    end: usize::try_from(s["end_position"].as_u64().expect("end")).expect("usize"),
                })
                .collect(),
        })
        .collect()
}

/// The dataset's name for a type: the dataset says GPE where Presidio says LOCATION, and
/// labels a URL of a bare site (`https://www.x.se/`) as DOMAIN_NAME (presidio-research
/// maps DOMAIN_NAME to URL the same way). Applied to predictions and to the labels of
/// both files, so `privkit_sentences.json` can use the scanner's names.
fn dataset_type(t: &str) -> &str {
    match t {
        "LOCATION" => "GPE",
        "URL" => "DOMAIN_NAME",
        other => other,
    }
}

fn matches(a: &Span, b: &Span) -> bool {
    let overlap = a.end.min(b.end).saturating_sub(a.start.max(b.start));
    let longer = (a.end - a.start).max(b.end - b.start);
    a.entity == b.entity && 2 * overlap >= longer && overlap > 0
}

#[derive(Default, Debug, Clone, Copy)]
struct Counts {
    predicted: usize,
    correct: usize,
    gold: usize,
    found: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        if self.predicted == 0 {
            1.0
        } else {
            self.correct as f64 / self.predicted as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.gold == 0 {
            1.0
        } else {
            self.found as f64 / self.gold as f64
        }
    }
}

fn evaluate(scanner: &Scanner, records: &[&Record]) -> BTreeMap<String, Counts> {
    let mut by_type: BTreeMap<String, Counts> = BTreeMap::new();
    let mut findings = Vec::new();
    for r in records {
        scanner.scan_into(&r.text, &mut findings);
        let predicted: Vec<Span> = findings
            .iter()
            .zip(char_spans(&r.text, &findings))
            .map(|(f, (s, e))| Span {
                entity: dataset_type(f.entity.name()).to_owned(),
                start: s,
                end: e,
            })
            .collect();
        for p in &predicted {
            let c = by_type.entry(p.entity.clone()).or_default();
            c.predicted += 1;
            if r.spans.iter().any(|g| matches(p, g)) {
                c.correct += 1;
            }
        }
        for g in &r.spans {
            let c = by_type.entry(g.entity.clone()).or_default();
            c.gold += 1;
            if predicted.iter().any(|p| matches(p, g)) {
                c.found += 1;
            }
        }
    }
    by_type
}

/// Presidio's precision and recall on the whole file (`tests/data/pii/README.md`).
const PRESIDIO: &[(&str, f64, f64)] = &[
    ("CREDIT_CARD", 1.000, 0.772),
    ("EMAIL_ADDRESS", 1.000, 1.000),
    ("IBAN_CODE", 1.000, 1.000),
    ("IP_ADDRESS", 1.000, 1.000),
    ("US_SSN", 1.000, 1.000),
    ("PHONE_NUMBER", 0.730, 0.587),
    ("PERSON", 0.683, 0.624),
    ("NRP", 0.632, 0.655),
    ("GPE", 0.550, 0.431),
    ("ORGANIZATION", 0.200, 0.432),
    ("DATE_TIME", 0.151, 1.000),
    ("US_DRIVER_LICENSE", 0.033, 0.800),
];

fn table(title: &str, counts: &BTreeMap<String, Counts>) {
    println!("\n{title}");
    println!(
        "| entity | gold | predicted | precision | recall | Presidio precision | Presidio recall |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (t, c) in counts {
        let presidio = PRESIDIO
            .iter()
            .find(|p| p.0 == t)
            .map_or(("-".to_owned(), "-".to_owned()), |p| {
                (format!("{:.3}", p.1), format!("{:.3}", p.2))
            });
        println!(
            "| {t} | {} | {} | {:.3} | {:.3} | {} | {} |",
            c.gold,
            c.predicted,
            c.precision(),
            c.recall(),
            presidio.0,
            presidio.1
        );
    }
}

#[test]
fn presidio_synthetic_sentences() {
    let records = load("synth_dataset_v2.json");
    let scanner = Scanner::new().expect("scanner");
    let all: Vec<&Record> = records.iter().collect();
    let even: Vec<&Record> = records.iter().filter(|r| r.template % 2 == 0).collect();
    let odd: Vec<&Record> = records.iter().filter(|r| r.template % 2 == 1).collect();
    let whole = evaluate(&scanner, &all);
    table("synth_dataset_v2.json, all 1,500 records", &whole);
    enforce(&whole);
    table(
        "development half (even template ids)",
        &evaluate(&scanner, &even),
    );
    table(
        "held-out half (odd template ids)",
        &evaluate(&scanner, &odd),
    );
}

/// Issue 17's targets on the whole file, as (type, least precision, least recall):
/// precision and recall at least Presidio's on every type Presidio detects, precision
/// at least 0.9 where Presidio is weak, recall at least 0.5 on the types Presidio
/// misses. Every target is met; `docs/PERFORMANCE.md` has the measured values.
const FLOORS: &[(&str, f64, f64)] = &[
    // Presidio detects these: precision and recall at least Presidio's.
    ("CREDIT_CARD", 1.000, 0.772),
    ("EMAIL_ADDRESS", 1.000, 1.000),
    ("IBAN_CODE", 1.000, 1.000),
    ("IP_ADDRESS", 1.000, 1.000),
    ("US_SSN", 1.000, 1.000),
    ("GPE", 0.550, 0.431),
    ("PERSON", 0.683, 0.624),
    ("NRP", 0.632, 0.655),
    ("ORGANIZATION", 0.200, 0.432),
    // Presidio is weak here: precision at least 0.9, recall at least Presidio's.
    ("PHONE_NUMBER", 0.900, 0.587),
    ("DATE_TIME", 0.900, 1.000),
    ("US_DRIVER_LICENSE", 0.900, 0.800),
    // Presidio misses these: recall at least 0.5.
    ("DOMAIN_NAME", 0.0, 0.5),
    ("ZIP_CODE", 0.0, 0.5),
    ("STREET_ADDRESS", 0.0, 0.5),
];

/// The counts of every type added up, printed.
fn total(counts: &BTreeMap<String, Counts>) -> Counts {
    let total = counts.values().fold(Counts::default(), |a, c| Counts {
        predicted: a.predicted + c.predicted,
        correct: a.correct + c.correct,
        gold: a.gold + c.gold,
        found: a.found + c.found,
    });
    println!(
        "all types: precision {:.3}, recall {:.3}",
        total.precision(),
        total.recall()
    );
    total
}

fn enforce(counts: &BTreeMap<String, Counts>) {
    let mut failures = Vec::new();
    for &(t, p, r) in FLOORS {
        let c = counts.get(t).copied().unwrap_or_default();
        if c.precision() + 1e-9 < p || c.recall() + 1e-9 < r {
            failures.push(format!(
                "{t}: precision {:.3} (floor {p}), recall {:.3} (floor {r})",
                c.precision(),
                c.recall()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// privkit's own labelled sentences (`tests/data/pii/privkit_sentences.json`, written
/// for this test and never used to tune the recognizers): support tickets and log lines
/// with formats the synthetic file does not have.
#[test]
fn privkit_sentences() {
    let records = load("privkit_sentences.json");
    let scanner = Scanner::new().expect("scanner");
    let all: Vec<&Record> = records.iter().collect();
    let counts = evaluate(&scanner, &all);
    table("privkit_sentences.json (held out)", &counts);
    // Types with checksums or fixed structure: every labelled one found, nothing else.
    for t in [
        "CREDIT_CARD",
        "EMAIL_ADDRESS",
        "IBAN_CODE",
        "US_SSN",
        "IP_ADDRESS",
    ] {
        let c = counts.get(t).copied().unwrap_or_default();
        assert!(c.recall() >= 1.0 && c.precision() >= 1.0, "{t}: {c:?}");
    }
    let total = total(&counts);
    assert!(
        total.precision() >= 0.8 && total.recall() >= 0.8,
        "{total:?}"
    );
}

/// privkit's second set of labelled sentences (`tests/data/pii/privkit_sentences_2.json`),
/// written after the recognizers of NRP, ORGANIZATION and names outside the lists were,
/// and not used to change them: names from many countries, demonyms, organizations,
/// addresses in several national styles, and sentences with no personal data.
#[test]
fn privkit_sentences_2() {
    let records = load("privkit_sentences_2.json");
    let scanner = Scanner::new().expect("scanner");
    let all: Vec<&Record> = records.iter().collect();
    let counts = evaluate(&scanner, &all);
    table("privkit_sentences_2.json (held out)", &counts);
    let total = total(&counts);
    // Measured 0.93 and 0.86 when the file was written; held there.
    assert!(
        total.precision() >= 0.9 && total.recall() >= 0.84,
        "{total:?}"
    );
}
