//! Keysets, sealers and openers feeding the audit log: usage counted per key (aggregated
//! or per use), lifecycle events, every KEK call, references for breach scoping, failing
//! sinks failing the operation, and the key-compromise procedure over local KEKs.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use privkit::audit::{
    AggregatingSink, Auditor, Event, EventKind, KeyOp, KeyRef, LifecycleAction, MemoryLog, Query,
    Sink, SubjectPseudonymizer, handle_key_compromise,
};
use privkit::envelope::{self, CacheLimits, CompromisedLocalKek, LocalKek, Opener, Sealer};
use privkit::keyset::Keyset;
use privkit::secret::SecretBytes;
use privkit::{Algorithm, Error, Result};

fn auditor(sink: Arc<dyn Sink>) -> Auditor {
    let pseudonyms = SubjectPseudonymizer::new(&SecretBytes::from_slice(&[7; 32])).unwrap();
    Auditor::new(sink, Arc::new(pseudonyms), "orders-service")
}

fn usage(events: &[Event]) -> Vec<(KeyRef, KeyOp, u64, u64)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KeyUsage(u) => Some((u.key.clone(), u.op, u.count, u.bytes)),
            _ => None,
        })
        .collect()
}

#[test]
fn keyset_use_is_aggregated_per_key_and_lifecycle_is_logged() -> Result<()> {
    let log = Arc::new(MemoryLog::new());
    let start = Timestamp::UNIX_EPOCH;
    let sink = Arc::new(AggregatingSink::starting_at(
        log.clone(),
        SignedDuration::from_mins(1),
        start,
    )?);
    let auditor = auditor(sink.clone());
    let mut keyset = Keyset::generate(Algorithm::Aes256Gcm)?
        .with_audit(auditor.keyset_recorder("customers.email", Some("user.contact.email")));
    let first = keyset.primary_id();
    let cts: Vec<_> = (0..100)
        .map(|i| keyset.encrypt(&[0u8; 40], format!("row {i}").as_bytes()))
        .collect::<Result<_>>()?;
    for (i, ct) in cts.iter().enumerate().take(30) {
        keyset.decrypt(ct, format!("row {i}").as_bytes())?;
    }
    // A failed decryption is not counted.
    assert!(keyset.decrypt(&cts[0], b"another row").is_err());
    // Hot-path use made no event yet: it is counted.
    assert!(log.events()?.is_empty());
    let second = keyset.rotate(Algorithm::Aes256Gcm)?;
    keyset.disable(first)?;
    keyset.destroy(first)?;
    sink.flush(start.checked_add(SignedDuration::from_mins(2)).unwrap())?;
    let events = log.events()?;
    let lifecycle: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KeyLifecycle(l) => Some((l.key.clone(), l.action)),
            _ => None,
        })
        .collect();
    let key = |id| KeyRef::Keyset {
        keyset: "customers.email".into(),
        id,
    };
    assert_eq!(
        lifecycle,
        [
            (key(second), LifecycleAction::Generate),
            (key(second), LifecycleAction::Rotate),
            (key(first), LifecycleAction::Disable),
            (key(first), LifecycleAction::Destroy),
        ]
    );
    let mut counted = usage(&events);
    counted.sort_by_key(|u| u.1);
    assert_eq!(
        counted,
        [
            (key(first), KeyOp::Encrypt, 100, 4000),
            (key(first), KeyOp::Decrypt, 30, 1200),
        ]
    );
    // A reference makes the use an event of its own: breach scoping lists it.
    keyset.encrypt_referenced(b"x", b"row 9", "orders/9/email")?;
    let scope = Query::new().key(key(second)).scope(
        log.events()?
            .into_iter()
            .enumerate()
            .map(|(i, e)| Ok((i as u64, e))),
    )?;
    assert!(scope.ciphertexts.contains("orders/9/email"));
    Ok(())
}

#[test]
fn sealers_and_openers_record_kek_calls_and_use() -> Result<()> {
    let log = Arc::new(MemoryLog::new());
    let auditor = auditor(log.clone());
    let eu = Arc::new(LocalKek::generate("eu-kek")?);
    let us = Arc::new(LocalKek::generate("us-kek")?);
    let sealer = Sealer::new(eu.clone())
        .with_kek(us.clone())
        .with_cache(CacheLimits::new(10, 1 << 20, Duration::from_secs(60))?)
        .with_audit(auditor.clone(), Some("user.document"));
    let envelopes: Vec<_> = (0..5)
        .map(|_| sealer.seal(b"invoice", b"ctx"))
        .collect::<Result<_>>()?;
    let envelope = sealer.seal_referenced("invoices/2026/7", b"invoice 7", b"ctx")?;
    let opener = Opener::new(us.clone()).with_audit(auditor.clone(), Some("user.document"));
    assert_eq!(opener.open(&envelopes[0], b"ctx")?, b"invoice");
    let target = LocalKek::generate("archive-kek")?;
    let rewrapped = opener.rewrap(&envelope, &[&target])?;
    assert_eq!(envelope::open(&target, &rewrapped, b"ctx")?, b"invoice 7");
    let events = log.events()?;
    let calls: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KekCall(c) => Some((c.kek.clone(), c.op, c.error.is_none())),
            _ => None,
        })
        .collect();
    // One cached data key: wrapped once by each KEK; then one unwrap to open, one unwrap
    // and one wrap to re-wrap.
    let call = |k: &str, op| (k.to_owned(), op, true);
    assert_eq!(
        calls,
        [
            call("eu-kek", KeyOp::Wrap),
            call("us-kek", KeyOp::Wrap),
            call("us-kek", KeyOp::Unwrap),
            call("us-kek", KeyOp::Unwrap),
            call("archive-kek", KeyOp::Wrap),
        ]
    );
    // MemoryLog does not aggregate: every message is a use of each KEK.
    let seals = usage(&events)
        .into_iter()
        .filter(|u| u.1 == KeyOp::Seal)
        .count();
    assert_eq!(seals, 12);
    let scope = Query::new().key(KeyRef::Kek("eu-kek".into())).scope(
        events
            .into_iter()
            .enumerate()
            .map(|(i, e)| Ok((i as u64, e))),
    )?;
    assert!(scope.ciphertexts.contains("invoices/2026/7"));
    assert!(scope.categories.contains("user.document"));
    Ok(())
}

#[test]
fn async_sealers_record_the_same() -> Result<()> {
    let log = Arc::new(MemoryLog::new());
    let auditor = auditor(log.clone());
    let kek = Arc::new(envelope::SyncToAsync::new(LocalKek::generate("kms-key")?));
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    rt.block_on(async {
        let sealer = envelope::AsyncSealer::new(kek.clone()).with_audit(auditor.clone(), None);
        let sealed = sealer.seal(b"payload", b"a").await?;
        let opener = envelope::AsyncOpener::new(kek).with_audit(auditor, None);
        assert_eq!(opener.open(&sealed, b"a").await?, b"payload");
        Ok::<_, Error>(())
    })?;
    let ops: Vec<_> = log
        .events()?
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::KekCall(c) => Some(c.op),
            EventKind::KeyUsage(u) => Some(u.op),
            _ => None,
        })
        .collect();
    assert_eq!(ops, [KeyOp::Wrap, KeyOp::Seal, KeyOp::Unwrap, KeyOp::Open]);
    Ok(())
}

/// A sink that refuses everything once told to.
struct Failing(AtomicBool);

impl Sink for Failing {
    fn record(&self, _: &Event) -> Result<Option<u64>> {
        if self.0.load(Ordering::SeqCst) {
            return Err(Error::KeyManagement("audit store unreachable".into()));
        }
        Ok(None)
    }
}

#[test]
fn fail_a_refusing_sink_fails_the_operation() -> Result<()> {
    let sink = Arc::new(Failing(AtomicBool::new(false)));
    let auditor = auditor(sink.clone());
    let mut keyset =
        Keyset::generate(Algorithm::Aes256Gcm)?.with_audit(auditor.keyset_recorder("k", None));
    let kek = Arc::new(LocalKek::generate("kek")?);
    let sealer = Sealer::new(kek.clone()).with_audit(auditor, None);
    keyset.encrypt(b"x", b"")?;
    sealer.seal(b"x", b"")?;
    sink.0.store(true, Ordering::SeqCst);
    assert!(matches!(
        keyset.encrypt(b"x", b""),
        Err(Error::KeyManagement(_))
    ));
    assert!(matches!(
        sealer.seal(b"x", b""),
        Err(Error::KeyManagement(_))
    ));
    // A lifecycle change is applied, and its unrecorded event reported.
    let before = keyset.primary_id();
    assert!(keyset.rotate(Algorithm::Aes256Gcm).is_err());
    assert_ne!(keyset.primary_id(), before);
    Ok(())
}

#[test]
fn key_compromise_of_a_local_kek_rewraps_what_it_wrapped() -> Result<()> {
    let mut kek = LocalKek::generate("documents")?;
    let mut store = BTreeMap::new();
    for i in 0..4 {
        let name = format!("doc-{i}");
        let sealed = envelope::seal(&kek, name.as_bytes(), b"")?;
        store.insert(name, sealed);
    }
    let compromised = KeyRef::Keyset {
        keyset: "documents".into(),
        id: kek.keyset().primary_id(),
    };
    // One envelope already under a later key is left alone.
    let later = kek.keyset_mut().rotate(Algorithm::Aes256Gcm)?;
    store.insert("doc-new".into(), envelope::seal(&kek, b"doc-new", b"")?);
    kek.keyset_mut().promote(later)?;

    let log = Arc::new(MemoryLog::new());
    let auditor = auditor(log.clone());
    let mut target = CompromisedLocalKek::new(&mut kek, &mut store);
    assert_eq!(
        handle_key_compromise(&mut target, &auditor, "INC-2026-12", &compromised)?,
        4
    );
    let KeyRef::Keyset { id: old, .. } = compromised else {
        unreachable!()
    };
    assert!(matches!(
        kek.keyset().key(old)?.status,
        privkit::keyset::KeyStatus::Disabled
    ));
    for (name, sealed) in &store {
        assert_eq!(envelope::open(&kek, sealed, b"")?, name.as_bytes());
    }
    // Declared, rotated, four re-wraps, disabled, completed.
    assert_eq!(log.events()?.len(), 1 + 1 + 4 + 1 + 1);
    Ok(())
}
