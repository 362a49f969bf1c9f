//! Audit events, sinks, retention wiring, breach queries and the incident report.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use privkit::audit::{
    AggregatingSink, ApplicationEvent, Auditor, ChannelSink, CompromiseStep, ConsentChange, Event,
    EventKind, Incident, KekCall, KeyCompromise, KeyLifecycle, KeyOp, KeyRef, KeyUsage,
    LifecycleAction, MemoryLog, Query, RetentionDecision, RetentionVerdict, Sink, SubjectKeyAction,
    SubjectKeyEvent, SubjectNotice, SubjectPseudonymizer, SubjectRef,
};
use privkit::retention::{
    AuditedRecord, ConsentLedger, ConsentRecord, ConsentState, Facts, InMemorySubjectKeyStore,
    LegalBasis, Purpose, Rule, Schedule, SubjectId, SubjectVault,
};
use privkit::secret::SecretBytes;
use privkit::{Error, Result};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn pseudonymizer() -> Arc<SubjectPseudonymizer> {
    Arc::new(SubjectPseudonymizer::new(&SecretBytes::from_slice(&[3; 32])).unwrap())
}

fn every_kind() -> Vec<Event> {
    let s = SubjectRef::from_bytes([9; 16]);
    let key = KeyRef::Keyset {
        keyset: "customers.email".into(),
        id: 0x0102_0304,
    };
    let at = ts("2026-03-01T12:00:00.123456789Z");
    let kinds = vec![
        EventKind::KeyUsage(KeyUsage {
            key: key.clone(),
            op: KeyOp::Encrypt,
            algorithm: "AES-256-GCM".into(),
            count: 1,
            bytes: 64,
            window: None,
            category: Some("user.contact.email".into()),
            subject: Some(s),
            ciphertext: Some("customers/17/email".into()),
        }),
        EventKind::KeyUsage(KeyUsage {
            key: KeyRef::Kek("arn:aws:kms:eu-west-1:1:key/k".into()),
            op: KeyOp::Seal,
            algorithm: "AES-256-GCM".into(),
            count: 1000,
            bytes: 64_000,
            window: Some((ts("2026-03-01T11:00:00Z"), ts("2026-03-01T12:00:00Z"))),
            category: None,
            subject: None,
            ciphertext: None,
        }),
        EventKind::KeyLifecycle(KeyLifecycle {
            key: key.clone(),
            action: LifecycleAction::Rotate,
            algorithm: Some("AES-256-GCM".into()),
        }),
        EventKind::KekCall(KekCall {
            kek: "local-kek".into(),
            op: KeyOp::Unwrap,
            error: Some("throttled".into()),
        }),
        EventKind::SubjectKey(SubjectKeyEvent {
            subject: s,
            key_id: 7,
            action: SubjectKeyAction::Erased,
        }),
        EventKind::Retention(RetentionDecision {
            record: Some("orders/1".into()),
            subject: Some(s),
            category: "user.billing".into(),
            verdict: RetentionVerdict::ActNow,
            action: Some("delete".into()),
            due: Some(jiff::civil::date(2025, 6, 30)),
            rule: Some("invoices".into()),
            hold: None,
            purpose: Some("billing".into()),
            unregulated: false,
            reason: "delete now (due since 2025-06-30)".into(),
        }),
        EventKind::Consent(ConsentChange {
            subject: s,
            purpose: "newsletter".into(),
            granted: false,
            effective: at,
            policy_version: "v3".into(),
            source: "web".into(),
        }),
        EventKind::Application(ApplicationEvent {
            name: "export.requested".into(),
            subject: Some(s),
            attributes: vec![
                ("format".into(), "json".into()),
                ("ü".into(), String::new()),
            ],
        }),
        EventKind::KeyCompromise(KeyCompromise {
            incident: "INC-1".into(),
            key: key.clone(),
            step: CompromiseStep::Rotated {
                new_key: KeyRef::Subject(3),
            },
        }),
        EventKind::KeyCompromise(KeyCompromise {
            incident: "INC-1".into(),
            key,
            step: CompromiseStep::Completed { rewrapped: 12 },
        }),
    ];
    kinds
        .into_iter()
        .map(|k| Event::new(at, "billing-service", k).with_purpose("billing"))
        .collect()
}

#[test]
fn events_round_trip_and_encode_canonically() {
    for e in every_kind() {
        let bytes = e.encode().unwrap();
        assert_eq!(Event::decode(&bytes).unwrap(), e);
        // Every strict prefix is refused; so is a trailing byte.
        for n in 0..bytes.len() {
            assert!(Event::decode(&bytes[..n]).is_err(), "prefix {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(Event::decode(&longer), Err(Error::Malformed(_))));
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert!(matches!(
            Event::decode(&v2),
            Err(Error::UnsupportedVersion(2))
        ));
    }
}

#[cfg(feature = "serde")]
#[test]
fn events_serialize_as_json() {
    for e in every_kind() {
        let json = serde_json::to_string(&e).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
    }
}

#[test]
fn pseudonyms_are_keyed_and_resolvable() {
    let p = pseudonymizer();
    let other = SubjectPseudonymizer::new(&SecretBytes::from_slice(&[4; 32])).unwrap();
    assert_eq!(p.pseudonym("c-1"), p.pseudonym("c-1"));
    assert_ne!(p.pseudonym("c-1"), p.pseudonym("c-2"));
    assert_ne!(p.pseudonym("c-1"), other.pseudonym("c-1"));
    let refs = [p.pseudonym("c-2"), p.pseudonym("c-9")];
    assert_eq!(
        p.find(["c-1", "c-2", "c-3", "c-9"], &refs),
        vec!["c-2", "c-9"]
    );
    let s = p.pseudonym("c-1");
    assert_eq!(s.to_string().parse::<SubjectRef>().unwrap(), s);
    assert!(SubjectPseudonymizer::new(&SecretBytes::from_slice(&[1; 16])).is_err());
}

#[test]
fn aggregating_sink_counts_hot_key_use_per_key_and_window() {
    let log = Arc::new(MemoryLog::new());
    let start = ts("2026-03-01T00:00:00Z");
    let agg = Arc::new(
        AggregatingSink::starting_at(log.clone(), SignedDuration::from_mins(1), start).unwrap(),
    );
    let auditor = Auditor::new(agg.clone(), pseudonymizer(), "api").with_purpose("support");
    let rec = auditor.keyset_recorder("customers.email", Some("user.contact.email"));
    // Resolved once, as a keyset keeps it beside its key.
    let counter = rec.counter(1, KeyOp::Encrypt, "AES-256-GCM").unwrap();
    for _ in 0..1000 {
        counter.add(64);
    }
    for _ in 0..10 {
        rec.used(2, KeyOp::Decrypt, "AES-256-GCM", 100).unwrap();
    }
    // A sealer counts per KEK the same way.
    let kek = auditor
        .usage_counter(
            KeyRef::Kek("documents".into()),
            KeyOp::Seal,
            "AES-256-GCM",
            None,
        )
        .unwrap();
    kek.add(4096);
    assert!(log.events().unwrap().is_empty(), "nothing per operation");
    assert_eq!(agg.flush(ts("2026-03-01T00:01:00Z")).unwrap(), 3);
    let events = log.events().unwrap();
    let usages: Vec<&KeyUsage> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KeyUsage(u) => Some(u),
            _ => None,
        })
        .collect();
    assert_eq!(usages.len(), 3);
    assert!(
        usages
            .iter()
            .any(|u| u.key == KeyRef::Kek("documents".into()) && u.bytes == 4096)
    );
    let enc = usages.iter().find(|u| u.op == KeyOp::Encrypt).unwrap();
    assert_eq!((enc.count, enc.bytes), (1000, 64_000));
    assert_eq!(enc.window, Some((start, ts("2026-03-01T00:01:00Z"))));
    assert_eq!(enc.category.as_deref(), Some("user.contact.email"));
    assert_eq!(events[0].purpose.as_deref(), Some("support"));
    // An empty window emits nothing; a passing event flushes a due window.
    assert_eq!(agg.flush(ts("2026-03-01T00:02:00Z")).unwrap(), 0);
    counter.add(1);
    auditor
        .record_at(
            ts("2026-03-01T00:04:00Z"),
            EventKind::Application(ApplicationEvent {
                name: "tick".into(),
                subject: None,
                attributes: vec![],
            }),
        )
        .unwrap();
    assert_eq!(log.events().unwrap().len(), 5);
}

#[test]
fn non_aggregating_sink_gets_every_use() {
    let log = Arc::new(MemoryLog::new());
    let auditor = Auditor::new(log.clone(), pseudonymizer(), "api");
    let rec = auditor.keyset_recorder("ks", None);
    assert!(rec.counter(1, KeyOp::Encrypt, "AES-256-GCM").is_none());
    rec.used(1, KeyOp::Encrypt, "AES-256-GCM", 5).unwrap();
    rec.used_on(
        1,
        KeyOp::Encrypt,
        "AES-256-GCM",
        5,
        Some(auditor.subject("c-1")),
        Some("t/1"),
    )
    .unwrap();
    rec.lifecycle(1, LifecycleAction::Disable, None).unwrap();
    auditor
        .kek_call("kms-key", KeyOp::Unwrap, Err(&Error::NoUsableKey))
        .unwrap();
    let events = log.events().unwrap();
    assert_eq!(events.len(), 4);
    assert!(matches!(
        &events[3].kind,
        EventKind::KekCall(KekCall { error: Some(e), .. }) if e.contains("no usable key")
    ));
}

#[test]
fn fail_channel_sink_when_full_or_closed() {
    let (sink, rx) = ChannelSink::new(2);
    let e = &every_kind()[0];
    sink.record(e).unwrap();
    sink.record(e).unwrap();
    assert!(matches!(
        sink.record(e),
        Err(Error::LimitExceeded { limit: 2, .. })
    ));
    assert_eq!(rx.try_recv().unwrap(), *e);
    drop(rx);
    assert!(matches!(sink.record(e), Err(Error::InvalidOperation(_))));
}

fn fixed_clock() -> Timestamp {
    Timestamp::constant(1_780_000_000, 0)
}

#[test]
fn retention_consent_and_erasure_are_recorded() -> Result<()> {
    let log = Arc::new(MemoryLog::new());
    let auditor =
        Auditor::new(log.clone(), pseudonymizer(), "retention-sweeper").with_clock(fixed_clock);
    let schedule = Schedule::builder()
        .purpose(Purpose::new("billing")?, LegalBasis::LegalObligation)
        .purpose(Purpose::new("newsletter")?, LegalBasis::Consent)
        .rule(Rule::new(
            "invoices",
            "user.billing",
            "billing",
            "10 years",
            "contract_end",
            "delete",
        )?)
        .build()?;
    let subject = SubjectId::new("customer-42")?;
    let facts = Facts::new(
        schedule.class_of("user.billing.invoice")?,
        schedule.purpose_set(["billing"])?,
        ts("2012-03-01T09:00:00Z"),
    )
    .contract_end(ts("2015-06-30T17:00:00Z"));
    let d = schedule
        .evaluator_on(jiff::civil::date(2026, 1, 15))
        .evaluate_audited(
            &facts,
            &AuditedRecord {
                reference: "invoices/881",
                subject: Some(&subject),
                category: "user.billing.invoice",
            },
            &auditor,
        )?;
    assert_eq!(d.rule().map(|r| r.id()), Some("invoices"));

    let mut ledger = ConsentLedger::new([Purpose::new("newsletter")?]);
    let granted = ConsentRecord::new(
        subject.clone(),
        Purpose::new("newsletter")?,
        ConsentState::Granted,
        ts("2025-01-01T00:00:00Z"),
        "v3",
        "web",
    );
    assert_eq!(ledger.record_audited(granted, &auditor)?, Some(1));
    assert_eq!(ledger.len(), 1);

    let vault = SubjectVault::new(InMemorySubjectKeyStore::new());
    vault.encrypt_audited(&subject, b"42 Main St", b"addr", &auditor)?;
    vault.encrypt_audited(&subject, b"43 Main St", b"addr", &auditor)?;
    let receipt = vault.forget_audited(&subject, &auditor)?.unwrap();
    assert_eq!(receipt.erased_at, fixed_clock());
    assert!(vault.forget_audited(&subject, &auditor)?.is_none());

    let events = log.events()?;
    assert_eq!(
        events.len(),
        4,
        "decision, consent, key created once, erased"
    );
    let EventKind::Retention(r) = &events[0].kind else {
        panic!()
    };
    assert_eq!(r.verdict, RetentionVerdict::ActNow);
    assert_eq!(r.subject, Some(auditor.subject("customer-42")));
    assert!(r.reason.contains("invoices"));
    assert!(
        matches!(&events[2].kind, EventKind::SubjectKey(s) if s.action == SubjectKeyAction::Created)
    );
    // The receipt's log entry has an inclusion proof: the erasure is provable.
    let (tree, entries) = log.snapshot()?;
    let i = receipt.log_index.unwrap();
    tree.inclusion_proof(i, tree.size())?
        .verify(&entries[i as usize], &tree.root())?;
    let EventKind::SubjectKey(s) = Event::decode(&entries[i as usize])?.kind else {
        panic!()
    };
    assert_eq!(
        (s.subject, s.key_id, s.action),
        (receipt.subject, receipt.key_id, SubjectKeyAction::Erased)
    );
    // No subject id in clear anywhere in the log.
    for e in &entries {
        assert!(!e.windows(11).any(|w| w == b"customer-42"));
    }
    Ok(())
}

#[test]
fn breach_queries_and_incident_report() -> Result<()> {
    let log = Arc::new(MemoryLog::new());
    let p = pseudonymizer();
    let key1 = KeyRef::Keyset {
        keyset: "crm".into(),
        id: 1,
    };
    let key2 = KeyRef::Keyset {
        keyset: "crm".into(),
        id: 2,
    };
    let mk = |at: &str, actor: &str, key: &KeyRef, subject: &str, cat: &str, ct: &str| {
        Event::new(
            ts(at),
            actor,
            EventKind::KeyUsage(KeyUsage {
                key: key.clone(),
                op: KeyOp::Encrypt,
                algorithm: "AES-256-GCM".into(),
                count: 1,
                bytes: 10,
                window: None,
                category: Some(cat.into()),
                subject: Some(p.pseudonym(subject)),
                ciphertext: Some(ct.into()),
            }),
        )
    };
    for e in [
        mk(
            "2026-03-01T08:00:00Z",
            "crm-api",
            &key1,
            "c-1",
            "user.contact.email",
            "crm/1/email",
        ),
        mk(
            "2026-03-01T09:00:00Z",
            "crm-api",
            &key1,
            "c-2",
            "user.contact.phone",
            "crm/2/phone",
        ),
        mk(
            "2026-03-01T10:00:00Z",
            "batch",
            &key1,
            "c-3",
            "user.contact.email",
            "crm/3/email",
        ),
        mk(
            "2026-03-01T11:00:00Z",
            "crm-api",
            &key2,
            "c-4",
            "user.billing",
            "crm/4/iban",
        ),
        mk(
            "2026-03-02T08:00:00Z",
            "crm-api",
            &key1,
            "c-5",
            "user.contact.email",
            "crm/5/email",
        ),
    ] {
        log.record(&e)?;
    }
    let events = || {
        log.events()
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, e)| Ok((i as u64, e)))
    };
    let day = Query::new().between(ts("2026-03-01T00:00:00Z"), ts("2026-03-02T00:00:00Z"));
    let s = day.clone().actor("crm-api").scope(events())?;
    assert_eq!(s.events, 3);
    assert_eq!(s.keys.len(), 2);
    assert_eq!(s.by_actor.len(), 1);
    assert_eq!(s.categories.len(), 3);
    let s = Query::new().key(key1.clone()).scope(events())?;
    assert_eq!(
        s.ciphertexts.iter().map(String::as_str).collect::<Vec<_>>(),
        ["crm/1/email", "crm/2/phone", "crm/3/email", "crm/5/email"]
    );
    assert_eq!(s.by_actor["batch"].subjects.len(), 1);
    let s = day.clone().category("user.contact").scope(events())?;
    assert_eq!(s.events, 3);
    assert_eq!(
        Query::new()
            .subject(p.pseudonym("c-4"))
            .scope(events())?
            .entries,
        vec![3]
    );

    let scope = Query::new().key(key1.clone()).scope(events())?;
    let aware = ts("2026-03-02T09:30:00Z");
    let mut incident = Incident::new("INC-7", "key 1 of keyset crm leaked in a log file", aware)?
        .with_scope(&scope);
    incident
        .consequences
        .push("contact details readable by the attacker".into());
    incident
        .measures
        .push("key rotated, disabled, envelopes re-wrapped".into());
    incident.contact = Some("dpo@example.com".into());
    assert_eq!(incident.deadline(), ts("2026-03-05T09:30:00Z"));
    assert_eq!(
        incident.time_left(ts("2026-03-04T09:30:00Z")),
        SignedDuration::from_hours(24)
    );
    assert_eq!((incident.approx_subjects, incident.approx_records), (4, 4));
    assert_eq!(
        p.find(["c-1", "c-2", "c-3", "c-4", "c-5"], &incident.subjects),
        ["c-1", "c-2", "c-3", "c-5"]
    );
    let md = incident.to_markdown(ts("2026-03-02T10:30:00Z"));
    for needle in [
        "2026-03-05T09:30:00Z",
        "71h left",
        "Art. 33(3)(c)",
        "user.contact.phone",
        "Required: 4 subjects",
    ] {
        assert!(md.contains(needle), "{needle} in\n{md}");
    }
    assert!(
        incident
            .to_markdown(ts("2026-03-06T09:30:00Z"))
            .contains("overdue by 24h")
    );
    let json: serde_json::Value = serde_json::from_str(&incident.to_json()).unwrap();
    assert_eq!(json["deadline"], "2026-03-05T09:30:00Z");
    assert_eq!(json["subjects"].as_array().unwrap().len(), 4);
    incident.notice =
        SubjectNotice::NotRequired("data encrypted under an uncompromised key".into());
    let json: serde_json::Value = serde_json::from_str(&incident.to_json()).unwrap();
    assert_eq!(json["subject_notice"]["required"], false);
    Ok(())
}
