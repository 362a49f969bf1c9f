//! Password-derived key-encryption keys (docs/FORMAT.md, section 8 "Password-derived keys"):
//! vectors from an independent implementation (argon2-cffi + Python HKDF).
#![allow(clippy::unwrap_used)]

use privkit::Error;
use privkit::kdf::{PasswordKekParams, VerifyLimits};
use privkit::secret::SecretString;
use serde_json::Value;

fn doc() -> Value {
    serde_json::from_str(include_str!("../data/vectors/password_kek.json")).unwrap()
}

#[test]
fn password_kek_vectors() {
    let doc = doc();
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 4);
    for t in tests {
        let encoded = hex::decode(t["encoded"].as_str().unwrap()).unwrap();
        let params = PasswordKekParams::from_bytes(&encoded, &VerifyLimits::default()).unwrap();
        assert_eq!(params.to_bytes(), encoded, "canonical re-encoding");
        let password = SecretString::from(t["password"].as_str().unwrap());
        let kek = params.derive(&password).unwrap();
        assert_eq!(
            hex::encode(kek.expose_secret()),
            t["kek"].as_str().unwrap(),
            "{t}"
        );
    }
}

#[test]
fn fail_password_kek_encodings() {
    let doc = doc();
    let fails = doc["fail"].as_array().unwrap();
    assert_eq!(fails.len(), 10);
    for t in fails {
        let encoded = hex::decode(t["encoded"].as_str().unwrap()).unwrap();
        let err = PasswordKekParams::from_bytes(&encoded, &VerifyLimits::default()).unwrap_err();
        let name = match err {
            Error::UnsupportedVersion(_) => "UnsupportedVersion",
            Error::UnsupportedAlgorithm(_) => "UnsupportedAlgorithm",
            Error::LimitExceeded { .. } => "LimitExceeded",
            Error::Malformed(_) => "Malformed",
            ref other => panic!("unexpected {other}"),
        };
        assert_eq!(name, t["error"].as_str().unwrap(), "{t}");
    }
}
