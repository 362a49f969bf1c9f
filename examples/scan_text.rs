//! Scan a JSON array of `{"full_text": ...}` records for personal data, as the accuracy
//! check of `tests/detect_accuracy.rs` and Presidio's evaluation format expect.
//!
//! ```text
//! cargo run --release --example scan_text --features detect -- \
//!     --input tests/data/pii/synth_dataset_v2.json --output spans.jsonl
//! ```
//!
//! Writes one line per record, in order:
//! `{"spans": [{"entity_type": T, "start": S, "end": E, "score": X}]}` with `start`/`end`
//! in Unicode scalar values (Python string indices). Entity type names are Presidio's:
//! `EMAIL_ADDRESS`, `PHONE_NUMBER`, `CREDIT_CARD`, `IBAN_CODE`, `US_SSN`,
//! `US_DRIVER_LICENSE`, `IP_ADDRESS`, `URL`, `DOMAIN_NAME`, `DATE_TIME`, `PERSON`,
//! `STREET_ADDRESS`, `ZIP_CODE`, `LOCATION`, `UK_NINO`, `UK_NHS`, `DE_TAX_ID`, `FR_NIR`,
//! `ES_NIF`, `ES_NIE`, `IT_FISCAL_CODE`, `NL_BSN`, `AWS_ACCESS_KEY`, `AWS_SECRET_KEY`,
//! `API_KEY`, `JSON_WEB_TOKEN`, `BEARER_TOKEN`, `PRIVATE_KEY`, `ORGANIZATION`, `NRP` (the list is
//! `privkit::detect::EntityType::builtin()`). Prints characters per second to standard
//! error.

use std::io::{BufWriter, Write};
use std::time::Instant;

use privkit::detect::{Scanner, char_spans};
use privkit::{Error, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| Error::InvalidArgument(format!("missing {name} FILE")))
    };
    let (input, output) = (arg("--input")?, arg("--output")?);
    let records: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&input)?)
        .map_err(|e| Error::InvalidArgument(format!("{input}: {e}")))?;
    let records = records
        .as_array()
        .ok_or_else(|| Error::InvalidArgument(format!("{input}: not a JSON array")))?;
    let texts: Vec<&str> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.get("full_text")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| Error::InvalidArgument(format!("record {i}: no full_text string")))
        })
        .collect::<Result<_>>()?;

    let scanner = Scanner::new()?;
    let mut out = BufWriter::new(std::fs::File::create(&output)?);
    let (mut chars, mut scanning) = (0usize, std::time::Duration::ZERO);
    let mut findings = Vec::new();
    for text in texts {
        let t = Instant::now();
        scanner.scan_into(text, &mut findings);
        scanning += t.elapsed();
        chars += text.chars().count();
        let spans: Vec<serde_json::Value> = findings
            .iter()
            .zip(char_spans(text, &findings))
            .map(|(f, (s, e))| {
                serde_json::json!({
                    "entity_type": f.entity.name(),
                    "start": s,
                    "end": e,
                    "score": (f64::from(f.score) * 1000.0).round() / 1000.0,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::json!({ "spans": spans }))?;
    }
    out.flush()?;
    let secs = scanning.as_secs_f64().max(1e-9);
    eprintln!(
        "{chars} characters in {:.3} s of scanning: {:.0} characters/s",
        secs,
        chars as f64 / secs
    );
    Ok(())
}
