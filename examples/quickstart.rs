//! The README's first command: encrypt a customer record's sensitive fields under a
//! rotating keyset, rotate, decrypt old and new; seal a document in an envelope and
//! re-wrap it under a new key-encryption key.
//!
//! Run with `cargo run --example quickstart`.

use std::sync::Arc;

use privkit::Algorithm;
use privkit::envelope::{KeyEncryptionKey, LocalKek, Opener, Sealer};
use privkit::keyset::{Aad, Keyset};

struct Customer {
    id: u64,
    name: &'static str,
    email: &'static str,
    iban: &'static str,
}

/// Associated data naming the slot a ciphertext belongs to.
fn slot(column: &str, id: u64) -> Aad {
    Aad::new()
        .with("table", "customers")
        .with("column", column)
        .with("row", id.to_string())
}

fn main() -> Result<(), privkit::Error> {
    // 1. Field-level encryption under a keyset.
    let mut keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
    let alice = Customer {
        id: 1001,
        name: "Alice",
        email: "alice@example.com",
        iban: "DE89 3704 0044 0532 0130 00",
    };
    let email_v1 = keyset.encrypt(alice.email.as_bytes(), slot("email", alice.id).as_bytes())?;
    let iban_v1 = keyset.encrypt(alice.iban.as_bytes(), slot("iban", alice.id).as_bytes())?;
    println!(
        "customer {} ({}): email -> {} bytes, iban -> {} bytes under key {:#010x}",
        alice.id,
        alice.name,
        email_v1.len(),
        iban_v1.len(),
        keyset.primary_id()
    );

    // A ciphertext moved to another row or column does not decrypt.
    let moved = keyset.decrypt(&email_v1, slot("email", 1002).as_bytes());
    println!(
        "email ciphertext moved to row 1002: {}",
        moved.err().map(|e| e.to_string()).unwrap_or_default()
    );

    // 2. Rotate: the new key encrypts, the old one still decrypts.
    let old = keyset.primary_id();
    let new = keyset.rotate(Algorithm::Aes256Gcm)?;
    let email_v2 = keyset.encrypt(alice.email.as_bytes(), slot("email", alice.id).as_bytes())?;
    println!("rotated {old:#010x} -> {new:#010x}");
    for (label, ct) in [("old", &email_v1), ("new", &email_v2)] {
        let pt = keyset.decrypt(ct, slot("email", alice.id).as_bytes())?;
        println!(
            "decrypt {label} ciphertext: {}",
            String::from_utf8_lossy(&pt)
        );
    }

    // Once every old ciphertext is re-encrypted, retire the old key.
    let reencrypted = keyset.encrypt(
        &keyset.decrypt(&iban_v1, slot("iban", alice.id).as_bytes())?,
        slot("iban", alice.id).as_bytes(),
    )?;
    keyset.disable(old)?;
    keyset.destroy(old)?;
    println!(
        "after destroying {old:#010x}: old email ciphertext -> {}",
        keyset
            .decrypt(&email_v1, slot("email", alice.id).as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    );
    assert_eq!(
        keyset.decrypt(&reencrypted, slot("iban", alice.id).as_bytes())?,
        alice.iban.as_bytes()
    );

    // 3. Envelope encryption of a document, under two key-encryption keys.
    let kek_2026 = Arc::new(LocalKek::generate("documents/2026")?);
    let escrow = Arc::new(LocalKek::generate("escrow")?);
    let document = b"Board minutes, 2026-11-29: approve the retention schedule.";
    let sealer = Sealer::new(kek_2026.clone()).with_kek(escrow.clone());
    let envelope = sealer.seal(document, b"doc-7")?;
    println!(
        "sealed {} bytes into an envelope of {} bytes",
        document.len(),
        envelope.len()
    );

    // 4. Re-wrap under next year's key without decrypting the payload.
    let kek_2027 = LocalKek::generate("documents/2027")?;
    let rewrapped = Opener::new(kek_2026.clone()).rewrap(&envelope, &[&kek_2027, &*escrow])?;
    let payload_len = document.len() + 16 + 12;
    assert_eq!(
        envelope[envelope.len() - payload_len..],
        rewrapped[rewrapped.len() - payload_len..]
    );
    println!(
        "re-wrapped from {} to {}: payload bytes unchanged",
        kek_2026.kek_id(),
        kek_2027.kek_id()
    );
    let opened = Opener::new(kek_2027).open(&rewrapped, b"doc-7")?;
    println!(
        "opened with the new key: {}",
        String::from_utf8_lossy(&opened)
    );
    let stale = Opener::new(kek_2026).open(&rewrapped, b"doc-7");
    println!(
        "old key on the re-wrapped envelope: {}",
        stale.err().map(|e| e.to_string()).unwrap_or_default()
    );
    Ok(())
}
