//! Pseudonymize a CSV or JSON export by a policy, then re-identify one tokenized column.
//!
//! ```text
//! cargo run --example pseudonymize --features json                       # shipped data
//! cargo run --example pseudonymize --features json -- csv  FILE [POLICY]
//! cargo run --example pseudonymize --features json -- json FILE [POLICY]
//! ```
//!
//! The root key is read as hex from `PRIVKIT_PSEUDONYM_KEY` (32 bytes or more); without
//! it a random key is drawn, so pseudonyms differ between runs. The CSV reader is a
//! minimal one for this example (comma-separated, no quoting).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use privkit::pseudonym::{CompiledPolicy, KeyRing, Policy, RootKey};
use privkit::secret::SecretBytes;
use privkit::{Error, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let policy_path = args
        .get(2)
        .map_or_else(|| data.join("policy.json"), PathBuf::from);
    let policy = Policy::from_json(&std::fs::read_to_string(policy_path)?)?;

    let keys = KeyRing::new(RootKey::new(1, &root_secret()?)?);
    let compiled = policy.compile(&keys)?;

    match (args.first().map(String::as_str), args.get(1)) {
        (Some("csv"), Some(file)) => csv(&compiled, &keys, Path::new(file)),
        (Some("json"), Some(file)) => json(&compiled, &keys, Path::new(file)),
        (None, _) => {
            csv(&compiled, &keys, &data.join("customers.csv"))?;
            json(&compiled, &keys, &data.join("customers.json"))
        }
        _ => Err(Error::InvalidArgument(
            "usage: pseudonymize [csv|json FILE [POLICY]]".into(),
        )),
    }
}

fn root_secret() -> Result<SecretBytes> {
    match std::env::var("PRIVKIT_PSEUDONYM_KEY") {
        Ok(hex) => {
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
                .collect::<std::result::Result<Vec<u8>, _>>()
                .map_err(|_| Error::InvalidArgument("PRIVKIT_PSEUDONYM_KEY is not hex".into()))?;
            Ok(SecretBytes::new(bytes))
        }
        Err(_) => {
            eprintln!("PRIVKIT_PSEUDONYM_KEY not set: using a random root key for this run");
            SecretBytes::random(32)
        }
    }
}

fn csv(policy: &CompiledPolicy, keys: &KeyRing, path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let mut records = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != header.len() {
            return Err(Error::Parse {
                line: i + 2,
                message: format!("{} cells, header has {}", cells.len(), header.len()),
            });
        }
        let record: BTreeMap<String, String> = header
            .iter()
            .zip(cells)
            .map(|(h, c)| ((*h).to_owned(), c.to_owned()))
            .collect();
        records.push(record);
    }
    policy.apply_batch(&mut records)?;

    let columns: Vec<&str> = header
        .iter()
        .copied()
        .filter(|h| records.iter().any(|r| r.contains_key(*h)))
        .collect();
    println!("== {} (pseudonymized) ==", path.display());
    println!("{}", columns.join(","));
    for r in &records {
        let row: Vec<String> = columns
            .iter()
            .map(|c| csv_cell(r.get(*c).map_or("", String::as_str)))
            .collect();
        println!("{}", row.join(","));
    }
    reidentify(keys, records.iter().filter_map(|r| r.get("email").cloned()))
}

/// Quotes a cell that holds a comma or a quote (bucket labels such as `[30, 40)` do).
fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

fn json(policy: &CompiledPolicy, keys: &KeyRing, path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    let mut rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(&text)
        .map_err(|e| Error::Parse {
            line: e.line(),
            message: e.to_string(),
        })?;
    for row in &mut rows {
        policy.apply_json(row)?;
    }
    println!("== {} (pseudonymized) ==", path.display());
    for row in &rows {
        println!("{}", serde_json::Value::Object(row.clone()));
    }
    let emails = rows
        .iter()
        .filter_map(|r| r.get("email").and_then(|v| v.as_str()).map(str::to_owned));
    reidentify(keys, emails)
}

/// Re-identification by the key holder: the `email` column was tokenized, so the key
/// ring turns it back into the addresses.
fn reidentify(keys: &KeyRing, tokens: impl Iterator<Item = String>) -> Result<()> {
    println!("-- re-identified email column (key holder only) --");
    for token in tokens {
        let email = String::from_utf8(keys.detokenize("email", &token)?)
            .map_err(|_| Error::Malformed("email is not UTF-8"))?;
        println!("{token} -> {email}");
    }
    Ok(())
}
