//! Pseudonymization vectors (`tests/data/vectors/pseudonym.json`, generated
//! independently from docs/FORMAT.md) and cross-module properties.

#![allow(clippy::unwrap_used)]

use privkit::pseudonym::{
    Alphabet, Date, DateShifter, Encoding, FormatPreserving, KeyRing, KeyedConfig,
    KeyedPseudonymizer, Normalization, RootKey, Tokenizer, token_key_version,
};
use privkit::secret::SecretBytes;
use proptest::prelude::*;
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../data/vectors/pseudonym.json")).unwrap()
}

fn root(v: &Value) -> RootKey {
    let secret = hex::decode(v["root"].as_str().unwrap()).unwrap();
    let version = u32::try_from(v["version"].as_u64().unwrap()).unwrap();
    RootKey::new(version, &SecretBytes::new(secret)).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

#[test]
fn keyed_vectors() {
    let doc = vectors();
    let cases = doc["keyed"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let c = &case["config"];
        let n = &c["normalization"];
        let config = KeyedConfig {
            encoding: match s(&c["encoding"]) {
                "hex" => Encoding::Hex,
                "base32_crockford" => Encoding::Base32Crockford,
                "base64_url" => Encoding::Base64Url,
                "decimal" => Encoding::Decimal,
                other => panic!("unknown encoding {other}"),
            },
            length: usize::try_from(c["length"].as_u64().unwrap()).unwrap(),
            normalization: Normalization {
                trim: n["trim"].as_bool().unwrap(),
                case_fold: n["case_fold"].as_bool().unwrap(),
                nfc: n["nfc"].as_bool().unwrap(),
            },
            version_prefix: c["version_prefix"].as_bool().unwrap(),
        };
        let p = KeyedPseudonymizer::new(&root(case), s(&case["domain"]), config).unwrap();
        let input = s(&case["input"]);
        assert_eq!(p.pseudonymize(input), s(&case["pseudonym"]), "{case}");
        let normalized = config.normalization.apply(input);
        assert_eq!(hex::encode(p.mac(normalized.as_bytes())), s(&case["mac"]));
    }
}

#[test]
fn token_vectors() {
    let doc = vectors();
    for case in doc["tokens"].as_array().unwrap() {
        let t = Tokenizer::new(&root(case), s(&case["domain"])).unwrap();
        let plaintext = hex::decode(s(&case["plaintext"])).unwrap();
        assert_eq!(t.tokenize(&plaintext).unwrap(), s(&case["token"]));
        assert_eq!(t.detokenize(s(&case["token"])).unwrap(), plaintext);
        assert_eq!(
            u64::from(token_key_version(s(&case["token"])).unwrap()),
            case["version"].as_u64().unwrap()
        );
    }
}

#[test]
fn ff1_vectors() {
    let doc = vectors();
    for case in doc["ff1"].as_array().unwrap() {
        let alphabet = match s(&case["alphabet"]) {
            "digits" => Alphabet::Digits,
            "lower_alnum" => Alphabet::LowerAlnum,
            "upper_alnum" => Alphabet::UpperAlnum,
            other => panic!("unknown alphabet {other}"),
        };
        let f = FormatPreserving::new(&root(case), s(&case["domain"]), &alphabet).unwrap();
        assert_eq!(
            f.encrypt(s(&case["plaintext"])).unwrap(),
            s(&case["ciphertext"])
        );
        assert_eq!(
            f.decrypt(s(&case["ciphertext"])).unwrap(),
            s(&case["plaintext"])
        );
    }
}

#[test]
fn date_shift_vectors() {
    let doc = vectors();
    for case in doc["date_shift"].as_array().unwrap() {
        let max = u32::try_from(case["max_days"].as_u64().unwrap()).unwrap();
        let d = DateShifter::new(&root(case), s(&case["domain"]), max).unwrap();
        assert_eq!(
            d.offset(s(&case["subject"])),
            case["offset"].as_i64().unwrap()
        );
    }
}

#[test]
fn migration_from_old_to_new_key() {
    // The documented migration: detokenize with the ring (any version), re-tokenize
    // with the primary.
    let old = RootKey::new(1, &SecretBytes::from_slice(&[1; 32])).unwrap();
    let new = RootKey::new(2, &SecretBytes::from_slice(&[2; 32])).unwrap();
    let old_tokens: Vec<String> = ["a", "b"]
        .iter()
        .map(|v| {
            Tokenizer::new(&old, "ssn")
                .unwrap()
                .tokenize(v.as_bytes())
                .unwrap()
        })
        .collect();
    let mut ring = KeyRing::new(new);
    ring.add(old).unwrap();
    let current = Tokenizer::new(ring.primary(), "ssn").unwrap();
    for (t, v) in old_tokens.iter().zip(["a", "b"]) {
        let value = ring.detokenize("ssn", t).unwrap();
        let migrated = current.tokenize(&value).unwrap();
        assert_eq!(token_key_version(&migrated).unwrap(), 2);
        assert_eq!(current.detokenize(&migrated).unwrap(), v.as_bytes());
    }
}

/// Child side of `pseudonyms_stable_across_processes`: prints the pseudonym and token
/// when run by the parent test, does nothing otherwise.
#[test]
fn child_prints_pseudonym() {
    if std::env::var_os("PRIVKIT_PSEUDONYM_CHILD").is_none() {
        return;
    }
    let root = RootKey::new(3, &SecretBytes::from_slice(&[6; 32])).unwrap();
    let p = KeyedPseudonymizer::new(&root, "d", KeyedConfig::default()).unwrap();
    let t = Tokenizer::new(&root, "d").unwrap();
    println!(
        "CHILD {} {}",
        p.pseudonymize("value"),
        t.tokenize(b"value").unwrap()
    );
}

#[test]
fn pseudonyms_stable_across_processes_spawned() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "pseudonym::child_prints_pseudonym",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PRIVKIT_PSEUDONYM_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // libtest may print its "test ... " prefix on the same line.
    let line = stdout
        .lines()
        .find_map(|l| l.find("CHILD ").map(|i| &l[i..]))
        .unwrap();
    let root = RootKey::new(3, &SecretBytes::from_slice(&[6; 32])).unwrap();
    let p = KeyedPseudonymizer::new(&root, "d", KeyedConfig::default()).unwrap();
    let t = Tokenizer::new(&root, "d").unwrap();
    let want = format!(
        "CHILD {} {}",
        p.pseudonymize("value"),
        t.tokenize(b"value").unwrap()
    );
    assert_eq!(line, want);
}

#[test]
fn pseudonyms_stable_across_processes() {
    // The same root, domain and value give the same pseudonym in every process: the
    // vectors above pin the bytes; here two independently built instances agree.
    let secret = SecretBytes::from_slice(&[9; 32]);
    let a = KeyedPseudonymizer::new(
        &RootKey::new(1, &secret).unwrap(),
        "d",
        KeyedConfig::default(),
    );
    let b = KeyedPseudonymizer::new(
        &RootKey::new(1, &secret).unwrap(),
        "d",
        KeyedConfig::default(),
    );
    assert_eq!(a.unwrap().pseudonymize("v"), b.unwrap().pseudonymize("v"));
}

proptest! {
    #[test]
    fn ff1_card_numbers_round_trip(digits in "[0-9]{16}") {
        let root = RootKey::new(1, &SecretBytes::from_slice(&[4; 32])).unwrap();
        let f = FormatPreserving::new(&root, "card", &Alphabet::Digits).unwrap();
        let card = format!("{}-{}-{}-{}", &digits[..4], &digits[4..8], &digits[8..12], &digits[12..]);
        let ct = f.encrypt(&card).unwrap();
        prop_assert_eq!(ct.len(), 19);
        let shaped = ct
            .chars()
            .enumerate()
            .all(|(i, c)| if [4, 9, 14].contains(&i) { c == '-' } else { c.is_ascii_digit() });
        prop_assert!(shaped);
        prop_assert_eq!(f.decrypt(&ct).unwrap(), card);
    }

    #[test]
    fn token_text_round_trip(value in ".{0,64}") {
        let root = RootKey::new(5, &SecretBytes::from_slice(&[4; 32])).unwrap();
        let t = Tokenizer::new(&root, "notes").unwrap();
        let token = t.tokenize(value.as_bytes()).unwrap();
        prop_assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        prop_assert_eq!(t.detokenize_str(&token).unwrap(), value);
    }

    #[test]
    fn fail_decoding_garbage_never_panics(text in ".{0,80}") {
        let root = RootKey::new(5, &SecretBytes::from_slice(&[4; 32])).unwrap();
        let t = Tokenizer::new(&root, "notes").unwrap();
        prop_assert!(t.detokenize(&text).is_err());
        prop_assert!(text.parse::<Date>().is_err() || text.len() == 10);
    }
}
