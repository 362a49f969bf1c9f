//! Key hierarchy vectors (docs/FORMAT.md, section 7 "Key hierarchy"), made by an independent
//! Python implementation (scripts/key_hierarchy_vectors.py).
#![allow(clippy::unwrap_used)]

use privkit::kdf::{RootKey, SubKey};
use privkit::secret::SecretBytes;
use serde_json::Value;

enum At<'a> {
    Root(&'a RootKey),
    Sub(Box<SubKey>),
}

#[test]
fn key_hierarchy_vectors() {
    let doc: Value =
        serde_json::from_str(include_str!("../data/vectors/key_hierarchy.json")).unwrap();
    let secret = SecretBytes::new(hex::decode(doc["root_secret"].as_str().unwrap()).unwrap());
    let root = RootKey::from_secret(&secret).unwrap();
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 12);
    for t in tests {
        let mut at = At::Root(&root);
        for step in t["path"].as_array().unwrap() {
            let (level, id) = (step[0].as_str().unwrap(), step[1].as_str().unwrap());
            let next = match (&at, level) {
                (At::Root(r), "tenant") => r.tenant(id),
                (At::Root(r), "purpose") => r.purpose(id),
                (At::Root(r), "subject") => r.subject(id),
                (At::Sub(s), "tenant") => s.tenant(id),
                (At::Sub(s), "purpose") => s.purpose(id),
                (At::Sub(s), "subject") => s.subject(id),
                _ => panic!("unknown level {level}"),
            };
            at = At::Sub(Box::new(next.unwrap()));
        }
        let key: [u8; 32] = match (&at, t["key"].as_str().unwrap()) {
            (At::Root(r), "aead") => *r.encryption_key().unwrap().expose_secret(),
            (At::Root(r), "pseudonym") => *r.pseudonym_key().unwrap().expose_secret(),
            (At::Root(r), "kek") => *r.wrapping_key().unwrap().expose_secret(),
            (At::Root(r), "beacon") => *r.beacon_key().unwrap().expose_secret(),
            (At::Sub(s), "aead") => *s.encryption_key().unwrap().expose_secret(),
            (At::Sub(s), "pseudonym") => *s.pseudonym_key().unwrap().expose_secret(),
            (At::Sub(s), "kek") => *s.wrapping_key().unwrap().expose_secret(),
            (At::Sub(s), "beacon") => *s.beacon_key().unwrap().expose_secret(),
            (_, other) => panic!("unknown key type {other}"),
        };
        assert_eq!(hex::encode(key), t["output"].as_str().unwrap(), "{t}");
    }
}
