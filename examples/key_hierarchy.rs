//! A key hierarchy: one root key, per-tenant branches, per-purpose and per-subject keys,
//! delegation of one tenant's branch, and a key-encryption key from a password.
//!
//! Run: `cargo run --release --example key_hierarchy`

use privkit::kdf::{PasswordKekParams, PasswordParams, RootKey, SubKey, VerifyLimits};
use privkit::secret::SecretString;

fn main() -> privkit::Result<()> {
    // The root secret lives in a KMS or secrets manager; everything below is derived.
    let (root, root_secret) = RootKey::generate()?;
    println!("root secret: {} bytes (store it safely)", root_secret.len());

    let acme = root.tenant("acme")?;
    let billing_key = acme.purpose("billing")?.encryption_key()?;
    let analytics_pseudonyms = acme.purpose("analytics")?.pseudonym_key()?;
    let alice_key = acme.subject("user-42")?.encryption_key()?;
    println!("acme/billing: {billing_key:?}, acme/analytics: {analytics_pseudonyms:?}");

    // Derivation is deterministic: the same path gives the same key...
    let again = RootKey::from_secret(&root_secret)?
        .tenant("acme")?
        .subject("user-42")?
        .encryption_key()?;
    assert_eq!(alice_key, again);
    // ...and different paths give unrelated keys, even with confusable identifiers.
    assert_ne!(
        root.tenant("ab")?.purpose("c")?.encryption_key()?,
        root.tenant("a")?.purpose("bc")?.encryption_key()?
    );

    // Delegation: a service that serves only acme gets acme's secret, not the root.
    let acme_service = SubKey::from_secret(&acme.to_secret())?;
    assert_eq!(
        acme_service.subject("user-42")?.encryption_key()?,
        alice_key
    );

    // Crypto-shredding a subject: stop deriving (and delete any stored copy of) its
    // key; data encrypted only under it becomes unreadable.

    // A key-encryption key from a password, for an offline backup. The parameters
    // (costs and salt) are stored next to the backup.
    let kek_params = PasswordKekParams::generate(PasswordParams::OWASP_MINIMUM)?;
    let stored = kek_params.to_bytes();
    let kek = kek_params.derive(&SecretString::from("a long backup passphrase"))?;
    let reread = PasswordKekParams::from_bytes(&stored, &VerifyLimits::default())?;
    assert_eq!(
        reread.derive(&SecretString::from("a long backup passphrase"))?,
        kek
    );
    println!(
        "password KEK parameters: {} bytes stored alongside",
        stored.len()
    );
    Ok(())
}
