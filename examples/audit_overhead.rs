//! Instruction-count harness for the cost of auditing hot key use: runs `N` keyset
//! encryptions of 64 bytes with no sink (`none`), through a keyset audited with the
//! aggregating sink (`audited`: `Keyset::with_audit`, the counter kept beside the key), or
//! through `UsageRecorder::used` (`lookup`, the path for callers that count themselves).
//!
//! Timings on a loaded machine are noisy; instruction counts are not. Run each variant
//! at two sizes under callgrind and divide the difference by the difference in `N`:
//! `valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/audit_overhead counter 20000`
//! (build it with `cargo build --profile bench --example audit_overhead`).

use std::hint::black_box;
use std::sync::Arc;

use jiff::SignedDuration;
use privkit::audit::{AggregatingSink, Auditor, KeyOp, MemoryLog, SubjectPseudonymizer};
use privkit::keyset::Keyset;
use privkit::secret::SecretBytes;
use privkit::{Algorithm, Error, Result};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_else(|| "none".into());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let plain = Keyset::generate(Algorithm::Aes256Gcm)?;
    let sink = Arc::new(AggregatingSink::new(
        Arc::new(MemoryLog::new()),
        SignedDuration::from_mins(1),
    )?);
    let auditor = Auditor::new(
        sink,
        Arc::new(SubjectPseudonymizer::new(&SecretBytes::random(32)?)?),
        "overhead",
    );
    let recorder = auditor.keyset_recorder("customers.email", None);
    let audited = plain
        .clone()
        .with_audit(auditor.keyset_recorder("customers.email", None));
    let keyset = if variant == "audited" {
        &audited
    } else {
        &plain
    };
    let id = keyset.primary_id();
    let counter = recorder
        .counter(id, KeyOp::Encrypt, "AES-256-GCM")
        .ok_or_else(|| Error::InvalidOperation("no counter".into()))?;
    let pt = [0x42u8; 64];
    let aad = b"table=customers;column=email;row=17";
    for _ in 0..n {
        let ct = keyset.encrypt(black_box(&pt), black_box(aad))?;
        if variant == "lookup" {
            recorder.used(id, KeyOp::Encrypt, "AES-256-GCM", pt.len())?;
        }
        black_box(ct);
    }
    println!(
        "{variant}: {n} encryptions, counted {:?} (lookup) {:?} (audited keyset)",
        counter.get(),
        audited
            .audit()
            .and_then(|r| r.counter(id, KeyOp::Encrypt, "AES-256-GCM"))
            .map(|c| c.get())
    );
    Ok(())
}
