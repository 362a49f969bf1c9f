//! A subject request end to end on a sample SQLite shop database (customers, addresses,
//! orders, support tickets with free text, marketing events): the data map, an access
//! request (the package printed), an erasure request (what was deleted, what was kept
//! and why, residual personal data), and the privacy notice generated from the map.
//!
//! `cargo run -p privkit-sqlx --example subject_request`

mod shop;

use std::sync::Arc;

use privkit::audit::{Auditor, EventKind, MemoryLog, SubjectPseudonymizer};
use privkit::detect::Scanner;
use privkit::retention::SubjectId;
use privkit::rights::{
    Executor, Identities, IdentityVerifier, KeysetCipher, Regime, Request, RequestKind,
};
use privkit::secret::SecretBytes;
use privkit_sqlx::{Database, SqlSource};
use shop::{ADA_EMAIL, BoxError, Shop};

/// The service's identity check: here, a signed-in session whose account holds the
/// e-mail address of the request.
struct SignedIn;

impl IdentityVerifier for SignedIn {
    fn verify(&self, request: &Request) -> privkit::Result<SubjectId> {
        let email = request
            .identities()
            .iter()
            .find(|(k, _)| k.as_str() == "email")
            .map(|(_, v)| v);
        if email == Some(ADA_EMAIL) {
            SubjectId::new("customer-1")
        } else {
            Err(privkit::Error::VerificationFailed)
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("privkit-subject-request-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = Database::connect(&format!("sqlite://{}/shop.db?mode=rwc", dir.display())).await?;
    let shop = Shop::new(16)?;
    shop.create_schema(&db).await?;
    shop.fill(&db).await?;
    println!(
        "data map: {} tables, {} fields, {} purposes, {} recipients (validated against fideslang)",
        shop.map.tables().len(),
        shop.map
            .tables()
            .iter()
            .map(|t| t.fields.len())
            .sum::<usize>(),
        shop.map.schedule().purposes().count(),
        shop.map.processors().len()
    );

    let log = Arc::new(MemoryLog::new());
    let names = Arc::new(SubjectPseudonymizer::new(&SecretBytes::from_slice(
        &[9; 32],
    ))?);
    let auditor = Auditor::new(log.clone(), names, "privacy-desk");
    let source = SqlSource::new(&db);
    let cipher = KeysetCipher::new(&shop.keyset);
    let scanner = Scanner::new()?;
    let exec = Executor::new(&shop.map, &source, &auditor)
        .with_beacon("customers.email", &shop.beacon)
        .with_cipher(&cipher)
        .with_scanner(&scanner);
    let tz = shop.map.schedule().time_zone().clone();

    // 1. Access.
    let ids = Identities::new().with("email", ADA_EMAIL)?;
    let mut access = Request::receive(
        "req-access-1",
        RequestKind::Access,
        Regime::Gdpr,
        ids.clone(),
        auditor.now(),
        &tz,
        &auditor,
    )?;
    access.verify(&SignedIn, &auditor)?;
    println!(
        "\n== access request {} (answer by {}) ==",
        access.id(),
        access.deadline()
    );
    let package = exec.access(&access).await?;
    let json: serde_json::Value = serde_json::from_str(&package.to_json())?;
    println!("{}", serde_json::to_string_pretty(&json)?);
    let rows: usize = package.tables.iter().map(|t| t.rows.len()).sum();
    access.complete(&[("rows", rows.to_string())], &auditor)?;

    // 2. Erasure.
    let mut erasure = Request::receive(
        "req-erase-1",
        RequestKind::Erasure,
        Regime::Gdpr,
        ids,
        auditor.now(),
        &tz,
        &auditor,
    )?;
    erasure.verify(&SignedIn, &auditor)?;
    println!(
        "\n== erasure request {} (answer by {}) ==",
        erasure.id(),
        erasure.deadline()
    );
    let report = exec.erase(&erasure, &[]).await?;
    println!("erased:");
    for o in &report.erased {
        println!(
            "  {}[{}]{}: {}",
            o.table,
            o.key,
            o.field
                .as_deref()
                .map(|f| format!(".{f}"))
                .unwrap_or_default(),
            o.detail
        );
    }
    println!("kept:");
    for o in &report.kept {
        println!(
            "  {}[{}].{}: {}",
            o.table,
            o.key,
            o.field.as_deref().unwrap_or("*"),
            o.detail
        );
    }
    match report.residual.as_deref() {
        Some([]) => println!("residual personal data in the subject's remaining rows: none found"),
        Some(found) => {
            println!("residual personal data:");
            for r in found {
                println!(
                    "  {}[{}].{} {:?}: {}",
                    r.table, r.key, r.field, r.span, r.entity
                );
            }
        }
        None => println!("residual scan: not run"),
    }
    erasure.complete(
        &[
            ("erased", report.erased.len().to_string()),
            ("kept", report.kept.len().to_string()),
        ],
        &auditor,
    )?;

    // 3. The receipts, and the privacy notice from the same map.
    println!("\n== audit receipts ==");
    for e in log.events()? {
        if let EventKind::Application(a) = e.kind {
            let id = a
                .attributes
                .iter()
                .find(|(k, _)| k == "request")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            println!("  {} {} {}", e.at, a.name, id);
        }
    }
    println!(
        "\n== privacy notice (Markdown) ==\n{}",
        shop.map.privacy_notice_markdown()
    );
    db.pool().close().await;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
