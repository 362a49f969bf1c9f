//! Load a retention schedule from TOML, decide a batch of records with reasons, record a
//! consent withdrawal, and forget one subject by destroying its key.
//!
//! Run with `cargo run --example retention --features toml`.

use jiff::Timestamp;
use privkit::retention::{
    ConsentLedger, ConsentRecord, ConsentState, Facts, InMemorySubjectKeyStore, Purpose, Schedule,
    SubjectId, SubjectVault,
};

fn at(s: &str) -> privkit::Result<Timestamp> {
    s.parse()
        .map_err(|e: jiff::Error| privkit::Error::InvalidArgument(e.to_string()))
}

fn main() -> privkit::Result<()> {
    let schedule = Schedule::from_toml(include_str!("data/retention.toml"))?;
    println!(
        "schedule: {} purposes, {} rules, {} holds",
        schedule.purposes().count(),
        schedule.rules().len(),
        schedule.holds().len()
    );

    // Consent: Bob withdrew his newsletter consent.
    let mut ledger = ConsentLedger::for_schedule(&schedule);
    let (alice, bob) = (SubjectId::new("c-1001")?, SubjectId::new("c-1002")?);
    for (who, state, when) in [
        (&alice, ConsentState::Granted, "2024-02-01T10:00:00Z"),
        (&bob, ConsentState::Granted, "2024-03-05T08:00:00Z"),
        (&bob, ConsentState::Withdrawn, "2026-10-20T19:30:00Z"),
    ] {
        ledger.record(ConsentRecord::new(
            who.clone(),
            Purpose::new("newsletter")?,
            state,
            at(when)?,
            "privacy-2024-01",
            "web",
        ))?;
    }
    let now = at("2026-11-29T03:00:00Z")?;
    println!(
        "may we e-mail bob? {}",
        ledger.may_process(&bob, "newsletter", now)?
    );
    let bob_withdrawals = ledger.withdrawals(&schedule, &bob, now);

    // A batch of records. Resolve categories and purposes once, then decide.
    let case = [schedule.hold_id("case-4711")?];
    let closed = [(
        schedule.event_id("account_closed")?,
        at("2026-11-10T00:00:00Z")?,
    )];
    let records = [
        (
            "alice invoice 2014",
            Facts::new(
                schedule.class_of("user.billing.invoice")?,
                schedule.purpose_set(["billing"])?,
                at("2014-05-01T12:00:00Z")?,
            )
            .contract_end(at("2016-04-30T00:00:00Z")?),
        ),
        (
            "alice VAT return 2015",
            Facts::new(
                schedule.class_of("user.billing.vat")?,
                schedule.purpose_set(["billing"])?,
                at("2015-01-10T12:00:00Z")?,
            )
            .contract_end(at("2016-04-30T00:00:00Z")?),
        ),
        (
            "bob e-mail address",
            Facts::new(
                schedule.class_of("user.contact.email")?,
                schedule.purpose_set(["newsletter", "support"])?,
                at("2024-03-05T08:00:00Z")?,
            )
            .last_activity(at("2024-09-01T00:00:00Z")?)
            .consent_withdrawn(&bob_withdrawals),
        ),
        (
            "carol support ticket",
            Facts::new(
                schedule.class_of("user.support.ticket")?,
                schedule.purpose_set(["support"])?,
                at("2025-11-02T09:00:00Z")?,
            )
            .holds(&case),
        ),
        (
            "dave account settings",
            Facts::new(
                schedule.class_of("user.account.settings")?,
                schedule.purpose_set(["support"])?,
                at("2023-01-01T00:00:00Z")?,
            )
            .events(&closed),
        ),
        (
            "router access log",
            Facts::new(
                schedule.class_of("device.logs.access")?,
                schedule.purpose_set(["security"])?,
                at("2026-10-01T00:00:00Z")?,
            ),
        ),
    ];

    let evaluator = schedule.evaluator(now);
    println!("\ndecisions on {}:", evaluator.today());
    for (name, facts) in &records {
        let d = evaluator.evaluate(facts);
        println!("- {name}: {:?}\n    {}", d.verdict(), d.reason());
    }
    println!(
        "next sweep: {:?}",
        evaluator.next_change(records.iter().map(|(_, f)| *f))
    );

    // Crypto-shredding: each subject's data under its own key; forget Bob.
    let vault = SubjectVault::new(InMemorySubjectKeyStore::new());
    let alice_mail = vault.encrypt(&alice, b"alice@example.com", b"users.email")?;
    let bob_mail = vault.encrypt(&bob, b"bob@example.com", b"users.email")?;
    vault.forget(&bob)?;
    println!("\nforgot bob");
    match vault.decrypt(&bob, &bob_mail, b"users.email") {
        Ok(_) => println!("bob's e-mail: still readable (unexpected)"),
        Err(e) => println!("bob's e-mail: {e}"),
    }
    let alice_plain = vault.decrypt(&alice, &alice_mail, b"users.email")?;
    println!("alice's e-mail: {}", String::from_utf8_lossy(&alice_plain));
    Ok(())
}
