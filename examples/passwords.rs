//! Password storage: register, log in, and upgrade stored hashes when the parameters
//! change (`needs_rehash`), with a pepper kept outside the database.
//!
//! Run: `cargo run --release --example passwords`

use std::collections::HashMap;

use privkit::Error;
use privkit::kdf::{PasswordHasher, PasswordParams};
use privkit::secret::{SecretBytes, SecretString};

/// A stand-in for the user table: user name -> PHC string.
type Db = HashMap<String, String>;

fn register(
    hasher: &PasswordHasher,
    db: &mut Db,
    user: &str,
    password: &SecretString,
) -> privkit::Result<()> {
    let phc = hasher.hash(password)?;
    db.insert(user.to_owned(), phc);
    Ok(())
}

/// Logs `user` in; on success, replaces the stored hash if it was made with older
/// parameters. Returns whether the hash was upgraded.
fn login(
    hasher: &PasswordHasher,
    db: &mut Db,
    user: &str,
    password: &SecretString,
) -> privkit::Result<bool> {
    // Unknown users should cost as much as known ones, or response times reveal which
    // names exist: verify against a dummy hash in that case.
    let stored = match db.get(user) {
        Some(phc) => phc.clone(),
        None => {
            let dummy = hasher.hash(&SecretString::from("dummy"))?;
            let _ = hasher.verify(password, &dummy);
            return Err(Error::VerificationFailed);
        }
    };
    hasher.verify(password, &stored)?;
    if hasher.needs_rehash(&stored)? {
        db.insert(user.to_owned(), hasher.hash(password)?);
        return Ok(true);
    }
    Ok(false)
}

fn main() -> privkit::Result<()> {
    // In production the pepper comes from a secrets manager, never from the database.
    let pepper = SecretBytes::random(32)?;
    let mut db = Db::new();

    // Version 1 of the service: OWASP's minimum.
    let v1 = PasswordHasher::new(PasswordParams::OWASP_MINIMUM)?.with_pepper(pepper.clone())?;
    register(
        &v1,
        &mut db,
        "alice",
        &SecretString::from("correct horse battery staple"),
    )?;
    println!("stored for alice: {}", db["alice"]);

    assert!(!login(
        &v1,
        &mut db,
        "alice",
        &SecretString::from("correct horse battery staple")
    )?);
    match login(&v1, &mut db, "alice", &SecretString::from("Tr0ub4dor&3")) {
        Err(Error::VerificationFailed) => println!("wrong password refused"),
        other => panic!("unexpected: {other:?}"),
    }
    assert!(login(&v1, &mut db, "mallory", &SecretString::from("x")).is_err());

    // Version 2 raises the costs to RFC 9106's second recommendation. Old hashes still
    // verify; each is upgraded at the user's next successful login.
    let v2 = PasswordHasher::new(PasswordParams::RFC9106_SECOND)?.with_pepper(pepper)?;
    let upgraded = login(
        &v2,
        &mut db,
        "alice",
        &SecretString::from("correct horse battery staple"),
    )?;
    println!("upgraded on login: {upgraded}; now stored: {}", db["alice"]);
    assert!(upgraded);
    assert!(!v2.needs_rehash(&db["alice"])?);

    // A stored hash that claims absurd costs is refused before any memory is allocated.
    db.insert(
        "alice".into(),
        db["alice"].replace("m=65536", "m=4294967295"),
    );
    match login(
        &v2,
        &mut db,
        "alice",
        &SecretString::from("correct horse battery staple"),
    ) {
        Err(e @ Error::LimitExceeded { .. }) => println!("tampered hash refused: {e}"),
        other => panic!("unexpected: {other:?}"),
    }
    Ok(())
}
