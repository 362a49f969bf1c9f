//! Integration tests of `privkit::detect`: each built-in type, context, overlaps,
//! custom recognizers, operators and their round trips, streams, JSON, and the
//! linear-time guarantee on near-miss input.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use privkit::detect::{
    EntityType, Finding, Operator, PatternRecognizer, Recognizer, Redactor, Scanner, TagScope,
    char_spans,
};
use privkit::pseudonym::{
    Alphabet, Encoding, FormatPreserving, KeyedConfig, KeyedPseudonymizer, Normalization, RootKey,
    Tokenizer,
};
use privkit::secret::SecretBytes;
use proptest::prelude::*;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new().unwrap())
}

/// (type, text) of every finding.
fn found(text: &str) -> Vec<(String, String)> {
    scanner()
        .scan(text)
        .iter()
        .map(|f| (f.entity.name().to_owned(), f.text(text).to_owned()))
        .collect()
}

fn has(text: &str, entity: &str, value: &str) -> bool {
    found(text).iter().any(|(t, v)| t == entity && v == value)
}

#[track_caller]
fn assert_found(text: &str, entity: &str, value: &str) {
    assert!(
        has(text, entity, value),
        "{entity} {value:?} in {text:?}: got {:?}",
        found(text)
    );
}

#[track_caller]
fn assert_none(text: &str, entity: &str) {
    let f = found(text);
    assert!(
        !f.iter().any(|(t, _)| t == entity),
        "no {entity} in {text:?}: got {f:?}"
    );
}

/// Found by the `detect_scan` fuzz target: a street prefix ("ulica") followed by a word
/// that `next_word` returned empty (after U+FFFD) indexed its first byte.
#[test]
fn fail_street_prefix_before_an_empty_word_does_not_panic() {
    let data = b"4111 11ex.141*ulica N\xf7BK ((\x00\x00\x00*----BEGIN \n";
    let text = String::from_utf8_lossy(data);
    let f = found(&text);
    assert!(!f.iter().any(|(t, _)| t == "STREET_ADDRESS"), "{f:?}");
}

#[test]
fn emails_urls_domains_ips() {
    assert_found(
        "write to ann.lee+news@mail.example.co.uk today",
        "EMAIL_ADDRESS",
        "ann.lee+news@mail.example.co.uk",
    );
    assert_found(
        "see https://example.com/a/b?x=1#top.",
        "URL",
        "https://example.com/a/b?x=1#top",
    );
    assert_found(
        "(docs at http://example.org/x)",
        "URL",
        "http://example.org/x",
    );
    assert_found(
        "visit www.example.net/pricing now",
        "URL",
        "www.example.net/pricing",
    );
    assert_found(
        "the host example-shop.de was down",
        "DOMAIN_NAME",
        "example-shop.de",
    );
    assert_found("from 203.0.113.7 port 22", "IP_ADDRESS", "203.0.113.7");
    assert_found(
        "peer 2001:db8::8a2e:370:7334 left",
        "IP_ADDRESS",
        "2001:db8::8a2e:370:7334",
    );
    assert_none("open config.json and main.rs", "DOMAIN_NAME");
    assert_none("version 1.2.3.4.5 shipped", "IP_ADDRESS");
    assert_none("address 999.1.1.1 is not one", "IP_ADDRESS");
    assert_none(
        "user@localhost is not an address we report",
        "EMAIL_ADDRESS",
    );
}

#[test]
fn cards_ibans_ssns() {
    assert_found(
        "card 4111 1111 1111 1111 expired",
        "CREDIT_CARD",
        "4111 1111 1111 1111",
    );
    assert_found("amex 3782-822463-10005", "CREDIT_CARD", "3782-822463-10005");
    assert_found(
        "paid with 5555555555554444.",
        "CREDIT_CARD",
        "5555555555554444",
    );
    assert_none("card 4111 1111 1111 1112 expired", "CREDIT_CARD");
    assert_none("order 1234567812345670", "CREDIT_CARD");
    assert_found(
        "IBAN GB29 NWBK 6016 1331 9268 19 please",
        "IBAN_CODE",
        "GB29 NWBK 6016 1331 9268 19",
    );
    assert_found(
        "to DE89370400440532013000.",
        "IBAN_CODE",
        "DE89370400440532013000",
    );
    assert_none("to DE89370400440532013001.", "IBAN_CODE");
    assert_found("SSN 536-90-4399 on file", "US_SSN", "536-90-4399");
    assert_none("SSN 666-90-4399 on file", "US_SSN");
    assert_none("SSN 536-00-4399 on file", "US_SSN");
    // A bare 9-digit number is an SSN only with context.
    assert_found("ssn: 536904399", "US_SSN", "536904399");
    assert_none("order 536904399 shipped", "US_SSN");
}

#[test]
fn phones() {
    assert_found(
        "call +44 20 7946 0958 now",
        "PHONE_NUMBER",
        "+44 20 7946 0958",
    );
    assert_found("call (415) 555-0132 now", "PHONE_NUMBER", "(415) 555-0132");
    assert_found("Tel: 030 901820", "PHONE_NUMBER", "030 901820");
    assert_found(
        "mobile +49 151 23456789",
        "PHONE_NUMBER",
        "+49 151 23456789",
    );
    assert_found("desk 212-555-0187x204", "PHONE_NUMBER", "212-555-0187x204");
    assert_none("+1 000 000 0000", "PHONE_NUMBER");
    assert_none("it costs 1234567 dollars", "PHONE_NUMBER");
}

#[test]
fn dates_and_times() {
    assert_found(
        "on 2024-01-15 06:00:01 the job ran",
        "DATE_TIME",
        "2024-01-15 06:00:01",
    );
    assert_found(
        "at 2020-01-01T10:00:00Z exactly",
        "DATE_TIME",
        "2020-01-01T10:00:00Z",
    );
    assert_found("born 14/07/1985 in", "DATE_TIME", "14/07/1985");
    assert_found("due March 3, 2024.", "DATE_TIME", "March 3, 2024");
    assert_found("due 3rd of March 2024.", "DATE_TIME", "3rd of March 2024");
    assert_found("see you on friday", "DATE_TIME", "friday");
    assert_found("at 10:42pm we left", "DATE_TIME", "10:42pm");
    assert_found("founded in 1977 by", "DATE_TIME", "1977");
    assert_none("13/13/2020 is no date", "DATE_TIME");
    assert_none("it cost $1999 last year", "DATE_TIME");
    assert_none("mayday, may I?", "DATE_TIME");
}

#[test]
fn national_identifiers_need_their_check_digits() {
    assert_found("NHS number 943 476 5919", "UK_NHS", "943 476 5919");
    assert_none("NHS number 943 476 5918", "UK_NHS");
    assert_none("ref 9434765919", "UK_NHS"); // valid, but no context
    assert_found("NINO AB 12 34 56 C", "UK_NINO", "AB 12 34 56 C");
    assert_none("code QQ123456C", "UK_NINO");
    assert_found("Steuer-ID 11234567890", "DE_TAX_ID", "11234567890");
    assert_found(
        "NIR 2 95 10 99 126 111 93",
        "FR_NIR",
        "2 95 10 99 126 111 93",
    );
    assert_none("NIR 2 95 10 99 126 111 99", "FR_NIR");
    assert_found("DNI 11111111H", "ES_NIF", "11111111H");
    assert_none("DNI 11111111T", "ES_NIF");
    assert_found("NIE X1111111G", "ES_NIE", "X1111111G");
    assert_found(
        "codice fiscale RCCMNL83S18D969H",
        "IT_FISCAL_CODE",
        "RCCMNL83S18D969H",
    );
    assert_none("codice fiscale RCCMNL83S18D969A", "IT_FISCAL_CODE");
    assert_found("BSN 111222333", "NL_BSN", "111222333");
    assert_none("BSN 111252333", "NL_BSN");
    assert_found("driver's license D4281937", "US_DRIVER_LICENSE", "D4281937");
    assert_none("part D4281937 in stock", "US_DRIVER_LICENSE");
    assert_found("ZIP code 94103", "ZIP_CODE", "94103");
    assert_none("room 94103 is big", "ZIP_CODE");
}

#[test]
fn secrets_in_logs() {
    assert_found(
        "key=AKIAIOSFODNN7EXAMPLE region=eu",
        "AWS_ACCESS_KEY",
        "AKIAIOSFODNN7EXAMPLE",
    );
    assert_found(
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SECRET_KEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    assert_found(
        "Authorization: Bearer mF_9.B5f-4.1JqM7gR2xYz0QpL",
        "BEARER_TOKEN",
        "mF_9.B5f-4.1JqM7gR2xYz0QpL",
    );
    assert_found(
        "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "BEARER_TOKEN",
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
    );
    assert_none("a basic understanding of the system", "BEARER_TOKEN");
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    assert_found(&format!("token={jwt}"), "JSON_WEB_TOKEN", jwt);
    let gh = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
    assert_found(&format!("GITHUB_TOKEN={gh}"), "API_KEY", gh);
    let pem = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----";
    assert_found(&format!("dump:\n{pem}\nend"), "PRIVATE_KEY", pem);
}

#[test]
fn names_addresses_locations() {
    assert_found("Customer Maria Garcia called.", "PERSON", "Maria Garcia");
    assert_found("Dear Mr. Okafor, thanks", "PERSON", "Okafor");
    assert_found(
        "signed by Ruth R Montez yesterday",
        "PERSON",
        "Ruth R Montez",
    );
    assert_found(
        "Ship to 1600 Pennsylvania Avenue today",
        "STREET_ADDRESS",
        "1600 Pennsylvania Avenue",
    );
    assert_found(
        "Adresse: Hauptstraße 5, bitte",
        "STREET_ADDRESS",
        "Hauptstraße 5",
    );
    assert_found(
        "Send it to Via Garibaldi 12 soon",
        "STREET_ADDRESS",
        "Via Garibaldi 12",
    );
    assert_found(
        "at 22 Baker Street Apt. 4 upstairs",
        "STREET_ADDRESS",
        "22 Baker Street Apt. 4",
    );
    assert_found(
        "offices in New Zealand and Canada",
        "LOCATION",
        "New Zealand",
    );
    assert_none("The report is due.", "PERSON");
}

/// A contraction after a name cue was a name: "Hi, I'm Anna. I'm flying" reported
/// "I'm" as a PERSON (five times in Presidio's sentences).
#[test]
fn fail_contractions_are_not_names() {
    let text = "Hi, I'm Anna. I'm flying to Oslo. They're late, It's fine, Don't wait, I've paid, I'd say, I'll call, What's new, Where’s Tom";
    let persons: Vec<String> = found(text)
        .into_iter()
        .filter(|(t, _)| t == "PERSON")
        .map(|(_, v)| v)
        .collect();
    assert!(persons.contains(&"Anna".to_owned()), "{persons:?}");
    for p in &persons {
        assert!(
            !p.contains(['\'', '’']),
            "a contraction as a name: {persons:?}"
        );
    }
    // Apostrophes in names, and possessives, are no contractions.
    assert_found("Dear Mr. O'Brien, thanks", "PERSON", "O'Brien");
    assert_found("I met John's sister", "PERSON", "John");
}

#[test]
fn a_pattern_inside_a_word_does_not_hide_the_next_word() {
    // The street prefix "rue" inside "true" once matched "rue H" and "rue A" across
    // the space, and the rejected match hid the candidate that starts the next word.
    assert_found(
        "It is true Hauptstraße 5, bitte",
        "STREET_ADDRESS",
        "Hauptstraße 5",
    );
    assert_found("true Apt 5 upstairs", "STREET_ADDRESS", "Apt 5");
    assert_found(
        "summary Via Garibaldi 12 soon",
        "STREET_ADDRESS",
        "Via Garibaldi 12",
    );
}

#[test]
fn overlaps_are_resolved_and_sorted() {
    let text = "mail ann@example.com, card 4111111111111111, ip 10.0.0.1";
    let f = scanner().scan(text);
    for w in f.windows(2) {
        assert!(w[0].end <= w[1].start, "{f:?}");
    }
    // The domain inside the e-mail address is not reported on its own.
    assert!(
        !f.iter().any(|x| x.entity == EntityType::DomainName),
        "{f:?}"
    );
}

#[test]
fn char_spans_are_python_indices() {
    let text = "Grüße an José: josé.ü@example.com? nein: jose@example.com";
    let f = scanner().scan(text);
    let spans = char_spans(text, &f);
    for (x, (s, e)) in f.iter().zip(&spans) {
        let by_chars: String = text.chars().skip(*s).take(e - s).collect();
        assert_eq!(by_chars, x.text(text));
        assert_eq!(x.char_span(text), (*s, *e));
    }
}

#[derive(Debug)]
struct Shouting;

impl Recognizer for Shouting {
    fn name(&self) -> &str {
        "shouting"
    }
    fn entities(&self) -> Vec<EntityType> {
        vec![EntityType::from_name("SHOUT").unwrap()]
    }
    fn recognize(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(i) = text.find("HEY") {
            out.push(Finding::new(self.entities()[0].clone(), i, i + 3, 0.9));
        }
        // Broken spans are dropped by the scanner, never trusted.
        out.push(Finding::new(self.entities()[0].clone(), 1, 2, 0.9));
        out.push(Finding::new(self.entities()[0].clone(), 5, 1000, 0.9));
    }
}

#[test]
fn custom_recognizers_and_context() {
    let customer = EntityType::from_name("CUSTOMER_ID").unwrap();
    let s = Scanner::builder()
        .only(&[EntityType::EmailAddress])
        .recognizer(
            PatternRecognizer::new(customer.clone(), r"\bCUS-[0-9]{6}\b", 0.3)
                .unwrap()
                .with_validator(|m| m.ends_with(|c: char| c != '0'))
                .with_context(&["customer"]),
        )
        .recognizer(Shouting)
        .build()
        .unwrap();
    let text = "éHEY customer CUS-123456 and CUS-654321 and CUS-000000, x@example.com";
    let f = s.scan(text);
    let names: Vec<(&str, &str)> = f.iter().map(|x| (x.entity.name(), x.text(text))).collect();
    assert_eq!(
        names,
        [
            ("SHOUT", "HEY"),
            ("CUSTOMER_ID", "CUS-123456"),
            ("CUSTOMER_ID", "CUS-654321"),
            ("EMAIL_ADDRESS", "x@example.com")
        ]
    );
    // Without its context word the pattern's own score (0.3) is below the threshold.
    assert!(
        s.scan("order CUS-123456")
            .iter()
            .all(|f| f.entity != customer)
    );
    assert!(s.detects(&customer) && !s.detects(&EntityType::Person));
    assert!(EntityType::from_name("lower").is_err());
    assert!(EntityType::from_name("").is_err());
    assert_eq!(EntityType::from_name("US_SSN").unwrap(), EntityType::UsSsn);
}

fn root() -> RootKey {
    RootKey::new(1, &SecretBytes::from_slice(&[7u8; 32])).unwrap()
}

#[test]
fn operators_and_round_trips() {
    let text =
        "Ann Lee (ann@example.com) paid with 4111-1111-1111-1111; Ann Lee again, ann@example.com";
    let found = scanner().scan(text);
    let tokens = Arc::new(Tokenizer::new(&root(), "detect-email").unwrap());
    let ff1 = Arc::new(FormatPreserving::new(&root(), "detect-card", &Alphabet::Digits).unwrap());
    let redactor = Redactor::new(Operator::InstanceTag)
        .unwrap()
        .with(EntityType::EmailAddress, Operator::Token(tokens))
        .with(EntityType::CreditCard, Operator::Ff1(ff1));
    let out = redactor.redact(text, &found).unwrap();
    assert!(
        !out.text.contains("ann@example.com") && !out.text.contains("Ann Lee"),
        "{}",
        out.text
    );
    assert!(
        out.text.starts_with("<PERSON_1> ([pk:EMAIL_ADDRESS:"),
        "{}",
        out.text
    );
    assert!(out.text.contains("; <PERSON_1> again"), "{}", out.text);
    let card = &out
        .items
        .iter()
        .find(|i| i.entity == EntityType::CreditCard)
        .unwrap();
    let enc = &out.text[card.start..card.end];
    assert_eq!(enc.len(), 19);
    assert_eq!(enc.matches('-').count(), 3);
    assert_ne!(enc, "4111-1111-1111-1111");
    // FF1 and tokens come back; instance tags do not.
    let restored = redactor.restore(&out).unwrap();
    assert_eq!(
        restored,
        "<PERSON_1> (ann@example.com) paid with 4111-1111-1111-1111; <PERSON_1> again, ann@example.com"
    );
    // Tokens are found again in any text, without the items.
    let copied = format!("log: {}", out.text);
    assert!(
        redactor
            .restore_tokens(&copied)
            .unwrap()
            .contains("(ann@example.com) paid")
    );
    // A forged marker is refused, not passed through.
    let forged = out
        .text
        .replacen("[pk:EMAIL_ADDRESS:A", "[pk:EMAIL_ADDRESS:B", 1);
    assert!(redactor.restore_tokens(&forged).is_err());
}

#[test]
fn mask_pseudonym_replace_redact() {
    let text = "call +44 20 7946 0958 or mail bo@example.com";
    let f = scanner().scan(text);
    let config = KeyedConfig {
        encoding: Encoding::Hex,
        length: 16,
        normalization: Normalization::ALL,
        version_prefix: false,
    };
    let p = Arc::new(KeyedPseudonymizer::new(&root(), "detect-email", config).unwrap());
    let r = Redactor::new(Operator::Redact)
        .unwrap()
        .with(EntityType::PhoneNumber, Operator::Mask { keep_last: 4 })
        .with(EntityType::EmailAddress, Operator::Pseudonym(p.clone()));
    let out = r.redact(text, &f).unwrap();
    assert_eq!(
        out.text,
        format!(
            "call ************0958 or mail {}",
            p.pseudonymize("bo@example.com")
        )
    );
    let r = Redactor::new(Operator::Replace("[removed]".into())).unwrap();
    assert_eq!(
        r.redact(text, &f).unwrap().text,
        "call [removed] or mail [removed]"
    );
    let r = Redactor::new(Operator::Redact).unwrap();
    assert_eq!(r.redact(text, &f).unwrap().text, "call  or mail ");
}

#[test]
fn instance_tags_per_document_or_per_redactor() {
    let doc = Redactor::new(Operator::InstanceTag).unwrap();
    let life = Redactor::new(Operator::InstanceTag)
        .unwrap()
        .tag_scope(TagScope::Redactor);
    let a = "mail a@example.com";
    let b = "mail b@example.com and a@example.com";
    assert_eq!(
        doc.redact_text(scanner(), a).unwrap().text,
        "mail <EMAIL_ADDRESS_1>"
    );
    assert_eq!(
        doc.redact_text(scanner(), b).unwrap().text,
        "mail <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>"
    );
    assert_eq!(
        life.redact_text(scanner(), a).unwrap().text,
        "mail <EMAIL_ADDRESS_1>"
    );
    assert_eq!(
        life.redact_text(scanner(), b).unwrap().text,
        "mail <EMAIL_ADDRESS_2> and <EMAIL_ADDRESS_1>"
    );
}

#[test]
fn fail_redaction_inputs() {
    let r = Redactor::new(Operator::TypeTag).unwrap();
    let text = "abc é def";
    let bad = [
        vec![Finding::new(EntityType::Person, 4, 5, 0.9)], // inside 'é'
        vec![Finding::new(EntityType::Person, 0, 100, 0.9)],
        vec![Finding::new(EntityType::Person, 2, 2, 0.9)],
        vec![
            Finding::new(EntityType::Person, 0, 3, 0.9),
            Finding::new(EntityType::Person, 1, 3, 0.9),
        ],
    ];
    for findings in bad {
        assert!(r.redact(text, &findings).is_err(), "{findings:?}");
    }
    // FF1 refuses letters: the error names the type.
    let ff1 = Arc::new(FormatPreserving::new(&root(), "x", &Alphabet::Digits).unwrap());
    let r = Redactor::new(Operator::Ff1(ff1)).unwrap();
    let err = r
        .redact_text(scanner(), "mail ann@example.com")
        .unwrap_err();
    assert!(err.to_string().contains("EMAIL_ADDRESS"), "{err}");
}

#[test]
fn streams_find_entities_across_chunk_boundaries() {
    // Lines that put e-mail addresses and cards across every 64 KiB boundary.
    let mut text = String::new();
    let mut expected = Vec::new();
    let mut i = 0;
    while text.len() < 140 * 1024 {
        let line = format!(
            "line {i} padding padding padding, mail user{i}@example.com card 4111 1111 1111 1111 done\n"
        );
        expected.push(format!("user{i}@example.com"));
        text.push_str(&line);
        i += 1;
    }
    let mut emails = Vec::new();
    let mut cards = 0;
    let n = scanner()
        .scan_reader(Cursor::new(text.as_bytes()), |f| {
            assert_eq!(&text[f.finding.start..f.finding.end], f.value);
            match f.finding.entity {
                EntityType::EmailAddress => emails.push(f.value),
                EntityType::CreditCard => cards += 1,
                _ => {}
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(n, text.len() as u64);
    assert_eq!(emails, expected);
    assert_eq!(cards, expected.len());

    // "All occurrences" works per chunk in a stream; compare without it.
    let r = Redactor::new(Operator::TypeTag)
        .unwrap()
        .all_occurrences(false);
    let mut out = Vec::new();
    let count = r
        .redact_stream(scanner(), Cursor::new(text.as_bytes()), &mut out)
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(count, scanner().scan(&text).len() as u64);
    assert_eq!(out, r.redact_text(scanner(), &text).unwrap().text);
}

#[test]
fn fail_stream_with_invalid_utf8() {
    let mut data = b"fine line\nsecond \xff line\n".to_vec();
    data.extend_from_slice(b"third\n");
    let err = scanner()
        .scan_reader(Cursor::new(data), |_| Ok(()))
        .unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn json_documents() {
    let doc: serde_json::Value = serde_json::json!({
        "ticket": {"from": "ann@example.com", "notes": ["call +44 20 7946 0958", 4111111111111111u64]},
        "a/b": "ip 203.0.113.7",
        "count": 3,
    });
    let found = scanner().scan_json(&doc).unwrap();
    let paths: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.path.as_str(), f.finding.entity.name()))
        .collect();
    assert_eq!(
        paths,
        [
            ("/a~1b", "IP_ADDRESS"),
            ("/ticket/from", "EMAIL_ADDRESS"),
            ("/ticket/notes/0", "PHONE_NUMBER"),
            ("/ticket/notes/1", "CREDIT_CARD"),
        ]
    );
    let mut doc = doc;
    let r = Redactor::new(Operator::TypeTag).unwrap();
    assert_eq!(r.redact_json(scanner(), &mut doc).unwrap(), 4);
    assert_eq!(doc["ticket"]["notes"][1], "<CREDIT_CARD>");
    assert_eq!(doc["count"], 3);
    // Nesting beyond the limit is refused.
    let mut deep = serde_json::json!("x");
    for _ in 0..200 {
        deep = serde_json::json!([deep]);
    }
    assert!(scanner().scan_json(&deep).is_err());
}

/// Near-miss input (almost-cards, almost-emails, digit runs, capitalized words, street
/// words) against plain prose of the same size, in the same test: the ratio of the two
/// times, never an absolute time. The factor is generous so that a loaded machine does
/// not make it flaky; a backtracking engine would be orders of magnitude off.
#[test]
fn near_misses_scan_in_linear_time() {
    let near = [
        "4111 1111 1111 111 ",
        "user@ ",
        "@example ",
        "192.168.1. ",
        "1.2.3.4.5.6 ",
        "+44 20 ",
        "12/13/ ",
        "GB29 NWBK ",
        "AKIA ",
        "eyJhbGciOi. ",
        "Mr. ",
        "Street ",
        "Via ",
        "Apt. ",
        "2024-13-45 ",
        "Maria ",
        "::: ",
        "(((( ",
        "---- ",
        "1-2-3-4-5-6-7-8-9 ",
        "Basic ",
        "00000000000000000000 ",
        "aaaa.bbbb.cccc ",
        "https:// ",
        "-----BEGIN ",
    ];
    // Ordinary prose: some capitalized words and numbers, as support tickets have.
    let plain = "The quick brown fox met the team in the morning and we waited 20 minutes for \
                 the report. Then Sam sent 3 files to the group before the meeting on Monday. ";
    let size = 10 * 1024 * 1024;
    let fill = |parts: &[&str]| {
        let mut s = String::with_capacity(size + 100);
        let mut i = 0;
        while s.len() < size {
            s.push_str(parts[i % parts.len()]);
            i += 1;
        }
        s
    };
    let near_text = fill(&near);
    let plain_text = fill(&[plain]);
    let time = |t: &str| {
        let mut out = Vec::new();
        (0..2)
            .map(|_| {
                let start = std::time::Instant::now();
                scanner().scan_into(t, &mut out);
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let (p, n) = (time(&plain_text), time(&near_text));
    println!(
        "10 MiB plain: {p:.3} s, near misses: {n:.3} s, ratio {:.1}",
        n / p
    );
    assert!(n < 20.0 * p, "near misses {n:.3} s vs plain {p:.3} s");
}

fn entity_values() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop::sample::select(vec![
        ("EMAIL_ADDRESS", "ann.lee@example.com"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
        ("IBAN_CODE", "DE89370400440532013000"),
        ("US_SSN", "536-90-4399"),
        ("IP_ADDRESS", "203.0.113.7"),
        ("PHONE_NUMBER", "+44 20 7946 0958"),
        ("URL", "https://example.com/x"),
        ("PERSON", "Maria Garcia"),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Spans are on char boundaries, sorted, not overlapping, whatever the input.
    #[test]
    fn spans_on_char_boundaries(text in "\\PC{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        for t in [text, String::from_utf8_lossy(&bytes).into_owned()] {
            let f = scanner().scan(&t);
            let mut last = 0;
            for x in &f {
                prop_assert!(t.is_char_boundary(x.start) && t.is_char_boundary(x.end));
                prop_assert!(x.start >= last && x.start < x.end && x.end <= t.len());
                last = x.end;
            }
        }
    }

    /// A redacted output never contains a value it redacted.
    #[test]
    fn redacted_output_never_contains_the_value(
        before in "[a-z ,.;:!?()éü]{0,40}",
        after in "[a-z ,.;:!?()éü]{0,40}",
        (entity, value) in entity_values(),
        op in 0..4usize,
    ) {
        let text = format!("{before} {value} {after} {value}");
        let operator = [
            Operator::TypeTag,
            Operator::InstanceTag,
            Operator::Redact,
            Operator::Mask { keep_last: 4 },
        ][op].clone();
        let r = Redactor::new(operator).unwrap();
        let found = scanner().scan(&text);
        prop_assert!(found.iter().any(|f| f.entity.name() == entity), "{entity} in {text:?}: {found:?}");
        let out = r.redact(&text, &found).unwrap();
        for f in &found {
            prop_assert!(!out.text.contains(f.text(&text)), "{:?} in {:?}", f.text(&text), out.text);
        }
    }
}
