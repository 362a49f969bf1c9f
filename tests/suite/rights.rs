//! Data map, requests, execution and notices over the shop fixture
//! (`tests/data/rights/shop_map.toml`) in a `MemorySource`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use privkit::Algorithm;
use privkit::Error;
use privkit::audit::{Auditor, EventKind, MemoryLog, SubjectPseudonymizer};
use privkit::detect::Scanner;
use privkit::jiff::Timestamp;
use privkit::jiff::civil::date;
use privkit::keyset::Keyset;
use privkit::pseudonym::{BeaconKeys, Normalization, StandardBeacon};
use privkit::retention::{
    ConsentLedger, InMemorySubjectKeyStore, Purpose, SubjectId, SubjectVault,
};
use privkit::rights::*;
use privkit::secret::SecretBytes;

const MAP: &str = include_str!("../data/rights/shop_map.toml");

fn map() -> DataMap {
    DataMap::from_toml(MAP, Taxonomy::fideslang().unwrap()).unwrap()
}

fn now() -> Timestamp {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

struct Fixture {
    map: DataMap,
    db: MemorySource,
    keyset: Keyset,
    beacon: StandardBeacon,
    log: Arc<MemoryLog>,
    auditor: Auditor,
}

const ADA_EMAIL: &str = "ada@example.com";
const ADA_PHONE: &str = "+44 20 7946 0958";
const ADA_CARD: &str = "4111111111111111";

/// Customers 1 (Ada, the subject) and 2 (Bob); a 1-bit e-mail beacon, so that Bob's
/// row is a false-positive candidate half the time and must be filtered.
fn fixture() -> Fixture {
    let map = map();
    let keyset = Keyset::generate(Algorithm::Aes256Gcm).unwrap();
    let keys = BeaconKeys::from_secret(&SecretBytes::from_slice(&[7; 32])).unwrap();
    let beacon = keys
        .standard("customers.email", 1, Normalization::ALL)
        .unwrap();
    let db = MemorySource::new();
    db.create_table(
        "customers",
        &["id", "name", "email", "email_beacon", "phone"],
    )
    .unwrap();
    db.create_table(
        "addresses",
        &["id", "customer_id", "street", "city", "postal_code"],
    )
    .unwrap();
    db.create_table(
        "orders",
        &[
            "id",
            "customer_id",
            "placed_at",
            "total_cents",
            "card_number",
            "delivery_note",
        ],
    )
    .unwrap();
    db.create_table("support_tickets", &["id", "customer_id", "body"])
        .unwrap();
    db.create_table("marketing_events", &["id", "customer_id", "event"])
        .unwrap();
    let cipher = KeysetCipher::new(&keyset);
    let t = |s: &str| Value::Text(s.into());
    for (id, name, email, phone) in [
        (1, "Ada Lovelace", ADA_EMAIL, ADA_PHONE),
        (2, "Bob Smith", "bob@example.com", "+44 20 7946 0000"),
    ] {
        let ct = cipher
            .encrypt("customers", "email", &Value::Integer(id), email.as_bytes())
            .unwrap();
        let b = i64::try_from(beacon.value(email)).unwrap();
        db.insert(
            "customers",
            vec![
                Value::Integer(id),
                t(name),
                Value::Bytes(ct),
                Value::Integer(b),
                t(phone),
            ],
        )
        .unwrap();
    }
    let i = Value::Integer;
    db.insert(
        "addresses",
        vec![
            i(10),
            i(1),
            t("12 Crescent Road"),
            t("London"),
            t("NW1 4RY"),
        ],
    )
    .unwrap();
    db.insert(
        "addresses",
        vec![i(11), i(2), t("3 High Street"), t("Leeds"), t("LS1 1AA")],
    )
    .unwrap();
    db.insert(
        "orders",
        vec![
            i(100),
            i(1),
            t("2025-11-02T10:00:00Z"),
            i(4599),
            t(ADA_CARD),
            t("Leave with the neighbour, call +44 20 7946 0958"),
        ],
    )
    .unwrap();
    db.insert(
        "orders",
        vec![
            i(101),
            i(2),
            t("2025-12-01T09:00:00Z"),
            i(1250),
            t("5555555555554444"),
            Value::Null,
        ],
    )
    .unwrap();
    db.insert(
        "support_tickets",
        vec![
            i(200),
            i(1),
            t("Please update my e-mail, it is ada@example.com"),
        ],
    )
    .unwrap();
    db.insert(
        "support_tickets",
        vec![i(201), i(2), t("Where is my parcel?")],
    )
    .unwrap();
    db.insert(
        "marketing_events",
        vec![i(300), i(1), t("opened newsletter 2026-02")],
    )
    .unwrap();
    db.insert(
        "marketing_events",
        vec![i(301), i(1), t("clicked ad shoes")],
    )
    .unwrap();
    let log = Arc::new(MemoryLog::new());
    let names = Arc::new(SubjectPseudonymizer::new(&SecretBytes::from_slice(&[9; 32])).unwrap());
    let auditor = Auditor::new(log.clone(), names, "privacy-desk").with_clock(now);
    Fixture {
        map,
        db,
        keyset,
        beacon,
        log,
        auditor,
    }
}

struct ById;
impl IdentityVerifier for ById {
    fn verify(&self, _: &Request) -> privkit::Result<SubjectId> {
        SubjectId::new("customer-1")
    }
}

struct Refuse;
impl IdentityVerifier for Refuse {
    fn verify(&self, _: &Request) -> privkit::Result<SubjectId> {
        Err(Error::VerificationFailed)
    }
}

fn request(f: &Fixture, kind: RequestKind, ids: Identities) -> Request {
    let mut r = Request::receive(
        "req-1",
        kind,
        Regime::Gdpr,
        ids,
        now(),
        f.map.schedule().time_zone(),
        &f.auditor,
    )
    .unwrap();
    r.verify(&ById, &f.auditor).unwrap();
    r
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn email_only() -> Identities {
    Identities::new().with("email", ADA_EMAIL).unwrap()
}

#[test]
fn access_package_is_exactly_the_subjects_rows() {
    let f = fixture();
    let cipher = KeysetCipher::new(&f.keyset);
    let exec = Executor::new(&f.map, &f.db, &f.auditor)
        .with_beacon("customers.email", &f.beacon)
        .with_cipher(&cipher);
    let r = request(&f, RequestKind::Access, email_only());
    let package = block_on(exec.access(&r)).unwrap();
    let t = |s: &str| Value::Text(s.into());
    let i = Value::Integer;
    // Derived by hand from the fixture: Ada's rows, decrypted, in map field order.
    let expected: Vec<(&str, Vec<Vec<Value>>)> = vec![
        (
            "customers",
            vec![vec![i(1), t("Ada Lovelace"), t(ADA_EMAIL), t(ADA_PHONE)]],
        ),
        (
            "addresses",
            vec![vec![
                i(10),
                i(1),
                t("12 Crescent Road"),
                t("London"),
                t("NW1 4RY"),
            ]],
        ),
        (
            "orders",
            vec![vec![
                i(100),
                i(1),
                t("2025-11-02T10:00:00Z"),
                i(4599),
                t(ADA_CARD),
                t("Leave with the neighbour, call +44 20 7946 0958"),
            ]],
        ),
        (
            "support_tickets",
            vec![vec![
                i(200),
                i(1),
                t("Please update my e-mail, it is ada@example.com"),
            ]],
        ),
        (
            "marketing_events",
            vec![
                vec![i(300), i(1), t("opened newsletter 2026-02")],
                vec![i(301), i(1), t("clicked ad shoes")],
            ],
        ),
    ];
    let mut got: Vec<(&str, Vec<Vec<Value>>)> = package
        .tables
        .iter()
        .map(|t| (t.table.as_str(), t.rows.clone()))
        .collect();
    got.sort_by_key(|(n, _)| expected.iter().position(|(e, _)| e == n));
    assert_eq!(got, expected);
    assert_eq!(package.tables[0].fields[2].1, "user.contact.email");
    let json: serde_json::Value = serde_json::from_str(&package.to_json()).unwrap();
    assert_eq!(json["format"], "privkit.access/1");
    assert_eq!(json["tables"][0]["rows"][0]["email"], ADA_EMAIL);
    assert!(!package.to_json().contains("bob@example.com"));
}

#[test]
fn every_identity_finds_the_same_records() {
    let f = fixture();
    let cipher = KeysetCipher::new(&f.keyset);
    let exec = Executor::new(&f.map, &f.db, &f.auditor)
        .with_beacon("customers.email", &f.beacon)
        .with_cipher(&cipher);
    let by_email = block_on(exec.locate(&request(&f, RequestKind::Access, email_only()))).unwrap();
    for ids in [
        Identities::new().with("phone", ADA_PHONE).unwrap(),
        Identities::new().with("customer_id", "1").unwrap(),
    ] {
        let other = block_on(exec.locate(&request(&f, RequestKind::Access, ids))).unwrap();
        assert_eq!(other.tables, by_email.tables);
    }
    assert_eq!(by_email.rows(), 6);
    // The identities found in identity fields join the given ones.
    assert!(by_email.identifiers.iter().any(|i| i == ADA_PHONE));
}

#[test]
fn erasure_leaves_no_email_phone_or_card() {
    let f = fixture();
    let cipher = KeysetCipher::new(&f.keyset);
    let scanner = Scanner::new().unwrap();
    let exec = Executor::new(&f.map, &f.db, &f.auditor)
        .with_beacon("customers.email", &f.beacon)
        .with_cipher(&cipher)
        .with_scanner(&scanner);
    let mut r = request(&f, RequestKind::Erasure, email_only());
    let report = block_on(exec.erase(&r, &[])).unwrap();
    // Ada's customer, address, ticket and marketing rows are gone; Bob's are not.
    for (table, left) in [
        ("customers", 1),
        ("addresses", 1),
        ("support_tickets", 1),
        ("marketing_events", 0),
        ("orders", 2),
    ] {
        assert_eq!(f.db.rows(table).unwrap().len(), left, "{table}");
    }
    // The order is kept under the invoices rule (legal obligation) with reasons.
    let kept: Vec<_> = report.kept.iter().filter(|k| k.table == "orders").collect();
    assert_eq!(kept.len(), 4);
    assert!(
        kept[0].detail.contains("rule `invoices`"),
        "{}",
        kept[0].detail
    );
    assert!(
        kept[0].detail.contains("until 2035-11-02"),
        "{}",
        kept[0].detail
    );
    let erased: Vec<_> = report
        .erased
        .iter()
        .map(|o| (o.table.as_str(), o.field.as_deref(), o.detail.as_str()))
        .collect();
    assert!(erased.contains(&("orders", Some("card_number"), "mask")));
    assert!(erased.contains(&("orders", Some("delivery_note"), "redact")));
    assert!(erased.contains(&("customers", None, "deleted")));
    // No query and no scan finds Ada's e-mail, phone or card.
    let phone_digits: String = ADA_PHONE.chars().filter(char::is_ascii_digit).collect();
    for table in [
        "customers",
        "addresses",
        "orders",
        "support_tickets",
        "marketing_events",
    ] {
        for row in f.db.rows(table).unwrap() {
            for v in row {
                if let Value::Text(s) = v {
                    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
                    assert!(
                        !s.contains(ADA_EMAIL) && !s.contains(ADA_CARD),
                        "{table}: {s}"
                    );
                    assert!(!digits.contains(&phone_digits[2..]), "{table}: {s}");
                }
            }
        }
    }
    let order =
        f.db.rows("orders")
            .unwrap()
            .into_iter()
            .find(|r| r[0] == Value::Integer(100))
            .unwrap();
    assert_eq!(order[4], Value::Text("************1111".into()));
    assert_eq!(report.residual.as_deref(), Some(&[][..]));
    let again = block_on(exec.locate(&r)).unwrap();
    assert_eq!(again.rows(), 0, "the e-mail finds nothing any more");
    r.complete(&[("erased", report.erased.len().to_string())], &f.auditor)
        .unwrap();
    let names: Vec<String> = f
        .log
        .events()
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Application(a) => Some(a.name),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        [
            "rights.request.received",
            "rights.request.verified",
            "rights.request.completed"
        ]
    );
}

#[test]
fn listed_hold_keeps_and_residual_scan_reports() {
    let f = fixture();
    let cipher = KeysetCipher::new(&f.keyset);
    let scanner = Scanner::new().unwrap();
    let exec = Executor::new(&f.map, &f.db, &f.auditor)
        .with_beacon("customers.email", &f.beacon)
        .with_cipher(&cipher)
        .with_scanner(&scanner);
    let r = request(&f, RequestKind::Erasure, email_only());
    let report = block_on(exec.erase(&r, &["chargeback"])).unwrap();
    assert!(report.erased.is_empty());
    assert!(
        report
            .kept
            .iter()
            .all(|k| k.detail.contains("legal hold `chargeback`"))
    );
    let residual = report.residual.unwrap();
    let ticket: Vec<&str> = residual
        .iter()
        .filter(|x| x.table == "support_tickets")
        .map(|x| x.entity.as_str())
        .collect();
    assert!(
        ticket.contains(&"IDENTIFIER") && ticket.contains(&"EMAIL_ADDRESS"),
        "{ticket:?}"
    );
}

#[test]
fn crypto_shred_destroys_the_subjects_key() {
    let (mut parts, schedule, taxonomy) = map().into_parts();
    let customers = parts
        .tables
        .iter_mut()
        .find(|t| t.name == "customers")
        .unwrap();
    customers.rows = RowErasure::Update;
    customers.fields[2].erase = Some(ErasureStrategy::CryptoShred);
    let map = DataMap::new(parts, schedule, taxonomy).unwrap();
    let f = fixture();
    let vault = SubjectVault::new(InMemorySubjectKeyStore::new());
    let ada = SubjectId::new("customer-1").unwrap();
    let stored = vault.encrypt(&ada, b"x", b"y").unwrap();
    let cipher = KeysetCipher::new(&f.keyset);
    let scanner = Scanner::new().unwrap();
    let exec = Executor::new(&map, &f.db, &f.auditor)
        .with_beacon("customers.email", &f.beacon)
        .with_cipher(&cipher)
        .with_scanner(&scanner)
        .with_shredder(&vault);
    let r = request(&f, RequestKind::Erasure, email_only());
    let report = block_on(exec.erase(&r, &[])).unwrap();
    assert!(report.shredded.is_some());
    assert!(matches!(
        vault.decrypt(&ada, &stored, b"y"),
        Err(Error::KeyDestroyed(_))
    ));
    // The customer row stays (update), its e-mail ciphertext unreadable, its beacon gone.
    let row =
        f.db.rows("customers")
            .unwrap()
            .into_iter()
            .find(|r| r[0] == Value::Integer(1))
            .unwrap();
    assert!(matches!(row[2], Value::Bytes(_)) && row[3].is_null());
    // Without a shredder the executor refuses instead of skipping.
    let f = fixture();
    let cipher = KeysetCipher::new(&f.keyset);
    let exec = Executor::new(&map, &f.db, &f.auditor)
        .with_beacon("customers.email", &f.beacon)
        .with_cipher(&cipher)
        .with_scanner(&scanner);
    let e = block_on(exec.erase(&request(&f, RequestKind::Erasure, email_only()), &[]));
    assert!(
        matches!(&e, Err(Error::InvalidOperation(m)) if m.contains("no shredder")),
        "{e:?}"
    );
    // ... before changing anything.
    assert_eq!(f.db.rows("marketing_events").unwrap().len(), 2);
}

#[test]
fn portability_rectification_and_preferences() {
    let f = fixture();
    let cipher = KeysetCipher::new(&f.keyset);
    let exec = Executor::new(&f.map, &f.db, &f.auditor)
        .with_beacon("customers.email", &f.beacon)
        .with_cipher(&cipher);
    let p = block_on(exec.access(&request(&f, RequestKind::Portability, email_only()))).unwrap();
    let tables: Vec<&str> = p.tables.iter().map(|t| t.table.as_str()).collect();
    // Marketing events were not provided by the subject; orders' fields on a legal
    // obligation are not portable, only the card and note (contract) are.
    assert!(!tables.contains(&"marketing_events"));
    let orders = p.tables.iter().find(|t| t.table == "orders").unwrap();
    let names: Vec<&str> = orders.fields.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["card_number", "delivery_note"]);

    let kind = RequestKind::Rectification(vec![(
        "addresses".into(),
        "city".into(),
        "Cambridge".into(),
    )]);
    assert_eq!(
        block_on(exec.rectify(&request(&f, kind, email_only()))).unwrap(),
        1
    );
    assert!(
        f.db.rows("addresses")
            .unwrap()
            .iter()
            .any(|r| r[3] == Value::Text("Cambridge".into()))
    );

    let mut ledger = ConsentLedger::for_schedule(f.map.schedule());
    let gpc = gpc_signal("1").unwrap();
    let out = apply_preference(
        &f.map,
        &request(&f, gpc, email_only()),
        &mut ledger,
        "v1",
        &f.auditor,
    )
    .unwrap();
    assert_eq!(
        out.withdrawn,
        [Purpose::new("marketing.advertising.third_party.targeted").unwrap()]
    );
    assert!(out.stop.is_empty());
    let ada = SubjectId::new("customer-1").unwrap();
    assert!(
        !ledger
            .may_process(&ada, "marketing.advertising.third_party.targeted", now())
            .unwrap()
    );
    let objection = RequestKind::Objection(Purpose::new("essential.service").unwrap());
    let e = apply_preference(
        &f.map,
        &request(&f, objection, email_only()),
        &mut ledger,
        "v1",
        &f.auditor,
    );
    assert!(matches!(e, Err(Error::InvalidOperation(m)) if m.contains("Art. 6(1)(b)")));
    let restriction = apply_preference(
        &f.map,
        &request(&f, RequestKind::Restriction, email_only()),
        &mut ledger,
        "v1",
        &f.auditor,
    )
    .unwrap();
    // Every purpose but the legal obligation: two in the ledger, three to stop.
    assert_eq!(
        (restriction.withdrawn.len(), restriction.stop.len()),
        (2, 3)
    );
}

#[test]
fn fail_unverified_and_refused_requests() {
    let f = fixture();
    let exec = Executor::new(&f.map, &f.db, &f.auditor);
    let mut r = Request::receive(
        "r",
        RequestKind::Access,
        Regime::Ccpa,
        email_only(),
        now(),
        f.map.schedule().time_zone(),
        &f.auditor,
    )
    .unwrap();
    assert_eq!(r.deadline(), date(2026, 4, 24));
    assert!(matches!(
        block_on(exec.access(&r)),
        Err(Error::InvalidOperation(_))
    ));
    assert!(matches!(
        r.verify(&Refuse, &f.auditor),
        Err(Error::VerificationFailed)
    ));
    assert_eq!(*r.status(), Status::Received);
    assert_eq!(
        r.extend("many requests", &f.auditor).unwrap(),
        date(2026, 6, 8)
    );
    assert!(r.extend("again", &f.auditor).is_err());
    r.refuse("identity not verified", &f.auditor).unwrap();
    assert_eq!(
        r.receipts().iter().map(|x| x.step).collect::<Vec<_>>(),
        ["received", "verification_failed", "extended", "refused"]
    );
    // An encrypted identity without its beacon is refused, not skipped.
    let r = request(&f, RequestKind::Access, email_only());
    assert!(
        matches!(block_on(exec.locate(&r)), Err(Error::InvalidOperation(m)) if m.contains("beacon"))
    );
}

#[test]
fn fail_map_validation_names_the_field_and_line() {
    let t = || Taxonomy::fideslang().unwrap();
    let cases = [
        (
            "category = \"user.contact.email\"\nidentity",
            "category = \"user.contact.emial\"\nidentity",
            "field `customers.email` (tables[0].fields[2]): `user.contact.emial` is not a data category",
            137,
        ),
        (
            "purposes = [\"essential.service\", \"marketing.communications.email\"]",
            "purposes = [\"essential.service\", \"marketing.unknown\"]",
            "purpose `marketing.unknown` is not declared with a legal basis",
            137,
        ),
        (
            "contract = \"DPA of 2025-03-01\"\n",
            "",
            "processor `PayCo` (processors[0]): no contract (GDPR Art. 28(3))",
            0,
        ),
        (
            "transfer = \"scc\"\npurposes = [\"marketing.communications.email\"]",
            "purposes = [\"marketing.communications.email\"]",
            "outside the EEA: a transfer basis is required",
            0,
        ),
        (
            "name = \"phone\"\ncategory = \"user.contact.phone_number\"",
            "name = \"phone\"",
            "field `customers.phone` (tables[0].fields[3]): no data category",
            145,
        ),
    ];
    for (from, to, needle, line) in cases {
        assert!(MAP.contains(from), "{from}");
        let text = MAP.replacen(from, to, 1);
        match DataMap::from_toml(&text, t()) {
            Err(Error::Parse { line: l, message }) => {
                assert!(message.contains(needle), "{message}");
                if line > 0 {
                    assert_eq!(l, line, "{message}");
                }
            }
            other => panic!("{needle}: {other:?}"),
        }
    }
    // A category no retention rule covers for its purpose.
    let text = MAP.replacen(
        "categories = \"*\"\npurpose = \"marketing.communications.email\"",
        "categories = \"user.name\"\npurpose = \"marketing.communications.email\"",
        1,
    );
    let e = DataMap::from_toml(&text, t()).unwrap_err().to_string();
    assert!(e.contains("category `user.contact.email` for purpose `marketing.communications.email` is not covered by any retention rule"), "{e}");
    // Syntax errors carry the line.
    assert!(matches!(
        DataMap::from_toml("version = 1\n[controller\n", t()),
        Err(Error::Parse { line: 2, .. })
    ));
    assert!(matches!(
        DataMap::from_json("{\n\"version\": 1,\n x}", t()),
        Err(Error::Parse { line: 3, .. })
    ));
}

#[test]
fn json_map_is_the_same_map() {
    let toml_value: toml::Value = toml::from_str(MAP).unwrap();
    let json = serde_json::to_string_pretty(&toml_value).unwrap();
    let from_json = DataMap::from_json(&json, Taxonomy::fideslang().unwrap()).unwrap();
    assert_eq!(from_json.tables(), map().tables());
    assert_eq!(from_json.processors(), map().processors());
    assert_eq!(
        from_json.privacy_notice_markdown(),
        map().privacy_notice_markdown()
    );
}

#[test]
fn notice_follows_the_retention_schedule() {
    let md = map().privacy_notice_markdown();
    assert!(
        md.contains("Keeping invoices") || md.contains("Legal Obligation"),
        "{md}"
    );
    assert!(
        md.contains("kept 10 years after collection, then deleted"),
        "{md}"
    );
    assert!(md.contains("AdNetwork (shared)"), "{md}");
    assert!(md.contains("Labels from the fideslang taxonomy"));
    let changed = MAP.replacen("period = \"P10Y\"", "period = \"P6Y\"", 1);
    let md2 = DataMap::from_toml(&changed, Taxonomy::fideslang().unwrap())
        .unwrap()
        .privacy_notice_markdown();
    assert!(
        !md2.contains("kept 10 years after collection")
            && md2.contains("kept 6 years after collection, then deleted")
    );
    let ropa = map().records_of_processing_csv();
    assert!(
        ropa.contains("essential.legal_obligation,legal_obligation"),
        "{ropa}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&map().records_of_processing_json()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 6);
    assert_eq!(json[3]["recipients"].as_array().unwrap().len(), 0);
    assert!(
        json[4]["transfers"][0]
            .as_str()
            .unwrap()
            .contains("46(2)(c)")
    );
    let ccpa = map().ccpa_disclosure_markdown();
    assert!(ccpa.contains("Sources: you, when you register"), "{ccpa}");
}

#[test]
fn notice_escapes_text_from_the_map() {
    let (mut parts, schedule, taxonomy) = map().into_parts();
    parts.controller.name = "<script>alert(1)</script> & *Co*".into();
    let map = DataMap::new(parts, schedule, taxonomy).unwrap();
    let html = map.privacy_notice_html();
    assert!(
        !html.contains("<script>")
            && html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; *Co*")
    );
    let md = map.privacy_notice_markdown();
    assert!(
        md.contains("\\<script\\>") && md.contains("\\*Co\\*"),
        "{md}"
    );
}
