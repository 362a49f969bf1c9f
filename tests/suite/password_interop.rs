//! Argon2 interoperability: PHC strings from the reference C implementation (through
//! argon2-cffi) verify with privkit, and wrong passwords are refused.
#![allow(clippy::unwrap_used)]

use privkit::Error;
use privkit::kdf::{PasswordHasher, PasswordParams};
use privkit::secret::SecretString;
use serde_json::Value;

#[test]
fn argon2_cffi_fixtures_verify() {
    let doc: Value = serde_json::from_str(include_str!("../data/argon2/argon2_cffi.json")).unwrap();
    let hasher = PasswordHasher::new(PasswordParams::OWASP_MINIMUM).unwrap();
    let mut reusing = hasher.reusing_memory();
    let tests = doc["tests"].as_array().unwrap();
    assert!(tests.len() >= 20);
    for t in tests {
        let phc = t["phc"].as_str().unwrap();
        let password = SecretString::from(t["password"].as_str().unwrap());
        let plain = hasher.verify(&password, phc);
        let reused = reusing.verify(&password, phc);
        if t["valid"].as_bool().unwrap() {
            plain.unwrap_or_else(|e| panic!("{phc}: {e}"));
            reused.unwrap_or_else(|e| panic!("{phc}: {e}"));
            // Their hashes never match our parameters exactly except the RFC 9106 profile.
            let expect_rehash = !phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$");
            assert_eq!(hasher.needs_rehash(phc).unwrap(), expect_rehash, "{phc}");
        } else {
            assert!(matches!(plain, Err(Error::VerificationFailed)), "{phc}");
            assert!(matches!(reused, Err(Error::VerificationFailed)), "{phc}");
        }
    }
}

#[test]
fn fail_absurd_stored_costs_fail_fast() {
    let hasher = PasswordHasher::new(PasswordParams::OWASP_MINIMUM).unwrap();
    let pw = SecretString::from("password");
    let base = "$argon2id$v=19$m=1024,t=2,p=1$buS5L8qvwxonq9ddiwRCtw$\
                BLvlHT64UlCNUQPD1YLn+fup9Ly1rWPxetNnS1ulmwI";
    for bad in [
        base.replace("m=1024", "m=4294967295"),
        base.replace("m=1024", "m=4194304"),
        base.replace("t=2", "t=4294967295"),
        base.replace("p=1", "p=16777215"),
        base.replace("buS5L8qvwxonq9ddiwRCtw", &"A".repeat(400)),
    ] {
        let err = hasher.verify(&pw, &bad).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { .. }), "{bad}: {err}");
        assert!(hasher.needs_rehash(&bad).is_err());
    }
}
