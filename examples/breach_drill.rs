//! Breach drill: a service writes audit events for a day, a key-encryption key is
//! declared compromised, and the example prints the scope of the breach and the
//! incident report, then verifies the log against its signed checkpoints.
//!
//! Run with `cargo run --example breach_drill`.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use privkit::audit::{
    AggregatingSink, Auditor, CompromiseTarget, DurableLog, EventKind, Incident, KeyOp, KeyRef,
    KeyUsage, LogOptions, LogSink, NoteSigner, Query, SubjectPseudonymizer, handle_key_compromise,
};
use privkit::envelope::{self, KeyEncryptionKey, LocalKek};
use privkit::keyset::{Aad, Keyset};
use privkit::secret::SecretBytes;
use privkit::{Algorithm, Result};

const ORIGIN: &str = "audit.example.com/drill";

/// The documents store: envelopes under a KEK, by reference. Implements the
/// key-compromise steps with privkit's own envelope re-wrap.
struct Documents {
    kek: LocalKek,
    retired: Vec<LocalKek>,
    envelopes: BTreeMap<String, Vec<u8>>,
    generation: u32,
}

impl CompromiseTarget for Documents {
    fn rotate(&mut self, _compromised: &KeyRef) -> Result<KeyRef> {
        self.generation += 1;
        let new = LocalKek::generate(format!("documents-kek-{}", self.generation))?;
        let old = std::mem::replace(&mut self.kek, new);
        self.retired.push(old);
        Ok(KeyRef::Kek(self.kek.kek_id().to_owned()))
    }

    fn rewrap_all(
        &mut self,
        compromised: &KeyRef,
        done: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let old = self
            .retired
            .iter()
            .find(|k| KeyRef::Kek(k.kek_id().to_owned()) == *compromised)
            .ok_or(privkit::Error::NoUsableKey)?;
        for (name, env) in self.envelopes.iter_mut() {
            *env = envelope::rewrap(env, old, &self.kek)?;
            done(name)?;
        }
        Ok(())
    }

    fn disable(&mut self, compromised: &KeyRef) -> Result<()> {
        // The old KEK leaves the service: nothing can be opened under it any more.
        self.retired
            .retain(|k| KeyRef::Kek(k.kek_id().to_owned()) != *compromised);
        Ok(())
    }
}

/// `t + d`, as a privkit error if it leaves jiff's range.
fn after(t: Timestamp, d: SignedDuration) -> Result<Timestamp> {
    t.checked_add(d)
        .map_err(|e| privkit::Error::InvalidArgument(e.to_string()))
}

fn main() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("privkit-breach-drill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (log, _) = DurableLog::open(&dir, LogOptions::new(ORIGIN)?)?;
    let log = Arc::new(log);
    let signer = NoteSigner::generate(ORIGIN)?;
    let verifier = signer.verifier();
    println!("log verifier key: {verifier}");

    // Field encryption is counted per key and minute; document access is logged per
    // operation with a reference to each envelope.
    let day = Timestamp::constant(1_780_272_000, 0); // 2026-06-01T00:00:00Z
    let aggregator = Arc::new(AggregatingSink::starting_at(
        LogSink::new(log.clone()),
        SignedDuration::from_mins(1),
        day,
    )?);
    let subjects = Arc::new(SubjectPseudonymizer::new(&SecretBytes::random(32)?)?);
    let web = Auditor::new(aggregator.clone(), subjects.clone(), "web-frontend")
        .with_purpose("customer-support");
    let docs_auditor = Auditor::new(aggregator.clone(), subjects.clone(), "document-service")
        .with_purpose("contract");

    let emails = Keyset::generate(Algorithm::Aes256Gcm)?;
    let email_use = web.keyset_recorder("customers.email", Some("user.contact.email"));
    let email_counter = email_use.counter(emails.primary_id(), KeyOp::Encrypt, "AES-256-GCM");

    let mut docs = Documents {
        kek: LocalKek::generate("documents-kek-0")?,
        retired: Vec::new(),
        envelopes: BTreeMap::new(),
        generation: 0,
    };
    let mut first_checkpoint = None;
    for minute in 0..24 * 60i64 {
        let now = after(day, SignedDuration::from_mins(minute))?;
        // 20 field encryptions a minute, counted.
        for n in 0..20 {
            let aad = Aad::new()
                .with("table", "customers")
                .with("row", format!("{minute}-{n}"));
            let ct = emails.encrypt(b"someone@example.com", aad.as_bytes())?;
            if let Some(c) = &email_counter {
                c.add(19);
            }
            drop(ct);
        }
        // A contract stored every 10 minutes, for one of 40 customers.
        if minute % 10 == 0 {
            let customer = format!("customer-{}", minute % 400 / 10);
            let name = format!("contracts/{minute}.pdf");
            let body = format!("contract for {customer}");
            let env = envelope::seal(&docs.kek, body.as_bytes(), name.as_bytes())?;
            docs_auditor.record_at(
                now,
                EventKind::KeyUsage(KeyUsage {
                    key: KeyRef::Kek(docs.kek.kek_id().to_owned()),
                    op: KeyOp::Seal,
                    algorithm: "AES-256-GCM".into(),
                    count: 1,
                    bytes: body.len() as u64,
                    window: None,
                    category: Some("user.contract".into()),
                    subject: Some(subjects.pseudonym(&customer)),
                    ciphertext: Some(name.clone()),
                }),
            )?;
            docs.envelopes.insert(name, env);
        }
        aggregator.flush_if_due(now)?;
        if minute == 12 * 60 {
            first_checkpoint = Some(log.sign_checkpoint(&signer)?);
        }
    }
    aggregator.flush(after(day, SignedDuration::from_hours(24))?)?;
    println!("a day of events: {} log entries", log.size());

    // 09:00 the next day: the first KEK is found in a leaked backup.
    let aware = after(day, SignedDuration::from_hours(33))?;
    let compromised = KeyRef::Kek("documents-kek-0".into());
    let security = Auditor::new(aggregator.clone(), subjects.clone(), "security-team")
        .with_clock(|| Timestamp::constant(1_780_393_000, 0));
    let scope = Query::new()
        .key(compromised.clone())
        .scope(log.events(0..log.size()))?;
    println!(
        "scope: {} events, {} envelopes, {} subjects, categories {:?}, actors {:?}",
        scope.events,
        scope.ciphertexts.len(),
        scope.subjects.len(),
        scope.categories,
        scope.by_actor.keys().collect::<Vec<_>>()
    );
    let rewrapped = handle_key_compromise(&mut docs, &security, "INC-2026-001", &compromised)?;
    println!(
        "key-compromise procedure: {rewrapped} envelopes re-wrapped under {}",
        docs.kek.kek_id()
    );
    for (name, env) in &docs.envelopes {
        envelope::open(&docs.kek, env, name.as_bytes())?;
    }

    let checkpoint = log.sign_checkpoint(&signer)?;
    let mut incident = Incident::new(
        "INC-2026-001",
        "a backup containing the documents KEK `documents-kek-0` was exposed",
        aware,
    )?
    .with_scope(&scope);
    incident.contact = Some("dpo@example.com".into());
    incident
        .consequences
        .push("contracts readable by whoever holds the backup".into());
    incident.measures.push(format!(
        "KEK rotated and disabled; {rewrapped} envelopes re-wrapped; every step logged"
    ));
    incident.checkpoint = Some(checkpoint.clone());
    println!(
        "\n{}",
        incident.to_markdown(after(aware, SignedDuration::from_hours(2))?)
    );

    // Anyone with the verifier key checks that the log only grew since noon.
    let cp_old = verifier.verify_checkpoint(first_checkpoint.as_deref().unwrap_or(""), ORIGIN)?;
    let cp_new = verifier.verify_checkpoint(&checkpoint, ORIGIN)?;
    log.consistency_proof(cp_old.size(), cp_new.size())?
        .verify(cp_old.root(), cp_new.root())?;
    let (first_index, _) = scope.entries.first().map(|&i| (i, ())).unwrap_or((0, ()));
    log.inclusion_proof(first_index, cp_new.size())?
        .verify(&log.entry(first_index)?, cp_new.root())?;
    println!(
        "verified: checkpoint {} is consistent with checkpoint {}, and entry {first_index} is in it",
        cp_new.size(),
        cp_old.size()
    );
    println!("files checked: {} entries", log.verify_files()?);
    drop(aggregator);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
