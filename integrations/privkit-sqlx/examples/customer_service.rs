//! The customer service of issue 16 on SQLite, end to end, with the time of each phase:
//! 10,000 customers whose e-mail, name, phone, birth date and postcode are erasable
//! fields (`ErasableStore`: one key per customer, wrapped by a keyset), a card number
//! under the payments keyset, a beacon for lookups by e-mail, lookups, rotation of both
//! keysets (`ColumnSweep` re-encrypts the cards, `ErasableStore::rewrap_sweep` re-wraps
//! the customer keys), a restart that drops everything in memory and reopens the stores,
//! consent recorded and checked, a retention sweep (`privkit::retention`) that erases
//! customers inactive for three years, and the erasure of one customer, checked on a
//! backup of their row.
//!
//! The database lives in a temporary directory, removed at the end.
//!
//! `cargo run --release -p privkit-sqlx --example customer_service`

use std::sync::Arc;
use std::time::Instant;

use privkit::envelope::LocalKek;
use privkit::jiff::{SignedDuration, Timestamp};
use privkit::kdf::RootKey;
use privkit::keyset::{self, Aad, Keyset};
use privkit::pseudonym::{BeaconKeys, Normalization};
use privkit::retention::{
    ConsentRecord, ConsentState, ErasableKeys, Facts, LegalBasis, Purpose, Rule, Schedule,
    SubjectId, Verdict,
};
use privkit::secret::SecretBytes;
use privkit::{Algorithm, Error as CoreError};
use privkit_sqlx::{
    BeaconColumn, ColumnSweep, ConsentStore, Database, EncryptedColumn, ErasableStore, KeysetTable,
};
use sqlx::Row;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CUSTOMERS: i64 = 10_000;
const LOOKUPS: i64 = 1_000;
/// Rows per transaction when writing customers, and per sweep batch.
const BATCH: u32 = 500;
/// The erasable fields, in column order.
const FIELDS: [&str; 5] = ["email", "name", "phone", "birth_date", "postcode"];
const DAY: i64 = 86_400;

/// One customer as the service received it. Deterministic, so that the read-back after
/// the restart compares with what was written.
struct Customer {
    fields: [String; 5],
    card: String,
    /// Days since the customer was last active (a plaintext column: the retention sweep
    /// needs it, and it identifies nobody).
    inactive_days: i64,
}

fn customer(id: i64) -> Customer {
    const FIRST: [&str; 8] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
    ];
    const LAST: [&str; 8] = [
        "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
    ];
    let (f, l) = (FIRST[(id % 8) as usize], LAST[((id / 8) % 8) as usize]);
    Customer {
        fields: [
            format!("{}.{}{id}@example.com", f.to_lowercase(), l.to_lowercase()),
            format!("{f} {l}"),
            format!("+44 20 7946 {:04}", id % 10_000),
            format!("{}-{:02}-{:02}", 1950 + id % 50, 1 + id % 12, 1 + id % 28),
            format!("SW{} {}AA", 1 + id % 20, id % 10),
        ],
        card: format!("4000 0012 {:04} {:04}", id / 10_000, id % 10_000),
        // Spread over 0 to 1,119 days: about 2% beyond three years.
        inactive_days: (id * 7_919) % 1_120,
    }
}

fn subject(id: i64) -> Result<SubjectId, CoreError> {
    SubjectId::new(&format!("customer-{id:05}"))
}

/// Associated data of a field: table, column and row, so that a ciphertext cannot be
/// moved to another row or column.
fn aad(id: i64, column: &str) -> Vec<u8> {
    Aad::new()
        .with("table", "customers")
        .with("column", column)
        .with("row", id.to_string())
        .as_bytes()
        .to_vec()
}

/// Prints a phase's time, per item when it has items.
fn report(phase: &str, started: Instant, items: i64) {
    let ms = started.elapsed().as_secs_f64() * 1e3;
    if items > 0 {
        // Display only: the counts are far below 2^52.
        #[allow(clippy::cast_precision_loss)]
        let per = ms * 1e3 / items as f64;
        println!("{phase:<44} {ms:>9.1} ms  {per:>8.1} µs each ({items})");
    } else {
        println!("{phase:<44} {ms:>9.1} ms");
    }
}

/// What the service gets from its secret manager at start: the key-encryption key that
/// seals its keysets, and the root of its key hierarchy (beacon keys come from it).
struct Secrets {
    kek: SecretBytes,
    root: SecretBytes,
}

/// Everything the running service holds in memory.
struct Service {
    db: Database,
    store: ErasableStore,
    payments: Keyset,
    email: BeaconColumn,
    consent: ConsentStore,
    schedule: Schedule,
}

fn schedule() -> Result<Schedule, CoreError> {
    Schedule::builder()
        .purpose(Purpose::new("service")?, LegalBasis::Contract)
        .purpose(Purpose::new("newsletter")?, LegalBasis::Consent)
        .rule(Rule::new(
            "inactive-accounts",
            "customer",
            "service",
            "3 years",
            "last_activity",
            "delete",
        )?)
        .rule(Rule::new(
            "newsletter-withdrawn",
            "customer",
            "newsletter",
            "1 month",
            "consent_withdrawn",
            "delete",
        )?)
        .build()
}

/// Starts the service on `url`: connects, migrates, loads the latest keysets (creating
/// them on the first start) and opens the stores.
async fn start(url: &str, secrets: &Secrets) -> Result<Service, BoxError> {
    let db = Database::connect(url).await?;
    db.migrate().await?;
    let kek = LocalKek::from_secret(
        "service-kek",
        SecretBytes::from_slice(secrets.kek.expose_secret()),
    )?;
    let keysets = KeysetTable::new(&db);
    let load = async |name: &str| -> Result<Keyset, BoxError> {
        if let Some((_, sealed)) = keysets.latest(name).await? {
            return Ok(Keyset::import_sealed(&sealed, &kek)?);
        }
        let fresh = Keyset::generate(Algorithm::Aes256Gcm)?;
        keysets.save(name, &fresh.export_sealed(&kek)?).await?;
        Ok(fresh)
    };
    let wrapping = load("customer-keys").await?;
    let payments = load("payments").await?;
    let beacons = BeaconKeys::new(
        &RootKey::from_secret(&secrets.root)?
            .tenant("shop")?
            .beacon_key()?,
    );
    // 16 bits: about one false positive per 65,536 rows per lookup; at 10,000 customers
    // almost every beacon is unique to one value, so see privkit::pseudonym's "Beacons"
    // before picking a length for a larger table.
    let email = BeaconColumn::new(
        beacons.standard("customers.email", 16, Normalization::ALL)?,
        "email_beacon",
    )?;
    let schedule = schedule()?;
    Ok(Service {
        store: ErasableStore::new(&db, Arc::new(ErasableKeys::new(wrapping))),
        consent: ConsentStore::for_schedule(&db, &schedule),
        db,
        payments,
        email,
        schedule,
    })
}

/// Saves a rotated keyset as the next version of `name`.
async fn save(
    db: &Database,
    secrets: &Secrets,
    name: &str,
    keyset: &Keyset,
) -> Result<u64, BoxError> {
    let kek = LocalKek::from_secret(
        "service-kek",
        SecretBytes::from_slice(secrets.kek.expose_secret()),
    )?;
    Ok(KeysetTable::new(db)
        .save(name, &keyset.export_sealed(&kek)?)
        .await?)
}

/// The ids of the customers holding `email`: the beacon's candidates, each decrypted
/// with its customer's handle and compared after the beacon's normalization.
async fn find_by_email(s: &Service, email: &str) -> Result<Vec<i64>, BoxError> {
    let rows = EncryptedColumn::new("customers", "id", "email_ct")?;
    let found = s
        .email
        .find_async(&s.db, &rows, email, async |id, ct| {
            let cipher = s.store.existing_cipher(&subject(id)?).await?;
            Ok(cipher.decrypt(ct, &aad(id, "email"))?)
        })
        .await?;
    Ok(found)
}

/// A customer's row as stored: erasable fields, card, last activity.
struct StoredRow {
    fields: Vec<Vec<u8>>,
    card: Vec<u8>,
}

async fn stored(db: &Database, id: i64) -> Result<StoredRow, BoxError> {
    let r = sqlx::query(
        "SELECT email_ct, name_ct, phone_ct, birth_date_ct, postcode_ct, card_ct \
         FROM customers WHERE id = ?1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    Ok(StoredRow {
        fields: (0..5).map(|i| r.try_get(i)).collect::<Result<_, _>>()?,
        card: r.try_get(5)?,
    })
}

/// Decrypts every field of customer `id` and checks it against what was written.
async fn check(s: &Service, id: i64, row: &StoredRow) -> Result<(), BoxError> {
    let want = customer(id);
    let cipher = s.store.existing_cipher(&subject(id)?).await?;
    for ((ct, column), plain) in row.fields.iter().zip(FIELDS).zip(&want.fields) {
        if cipher.decrypt(ct, &aad(id, column))? != plain.as_bytes() {
            return Err(format!("customer {id}: {column} reads back wrong").into());
        }
    }
    if s.payments.decrypt(&row.card, &aad(id, "card"))? != want.card.as_bytes() {
        return Err(format!("customer {id}: card reads back wrong").into());
    }
    Ok(())
}

/// Erases customer `id`: their row deleted and their key destroyed in one transaction.
async fn erase(s: &Service, id: i64) -> Result<(), BoxError> {
    let mut erasure = s.store.begin_erasure(&subject(id)?).await?;
    erasure.delete_rows("customers", "subject").await?;
    let done = erasure.commit().await?;
    if !done.key_destroyed || done.rows_deleted != 1 {
        return Err(format!("customer {id}: erasure did {done:?}").into());
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("privkit-customer-service-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/service.db?mode=rwc", dir.display());
    let result = run(&url).await;
    std::fs::remove_dir_all(&dir)?;
    result
}

async fn run(url: &str) -> Result<(), BoxError> {
    let secrets = Secrets {
        kek: SecretBytes::random(32)?,
        root: SecretBytes::random(32)?,
    };
    let now: Timestamp = "2026-12-01T00:00:00Z".parse()?;
    let total = Instant::now();

    // 1. First start: tables, keysets, stores.
    let t = Instant::now();
    let mut s = start(url, &secrets).await?;
    sqlx::query(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, subject TEXT NOT NULL UNIQUE, \
         email_ct BLOB NOT NULL, name_ct BLOB NOT NULL, phone_ct BLOB NOT NULL, \
         birth_date_ct BLOB NOT NULL, postcode_ct BLOB NOT NULL, card_ct BLOB NOT NULL, \
         last_active_ns INTEGER NOT NULL)",
    )
    .execute(s.db.pool())
    .await?;
    s.email.ensure(&s.db, "customers").await?;
    report("start (migrate, keysets, tables)", t, 0);

    // 2. Sign-ups: a key per customer (one INSERT each, by the store), then the rows in
    // transactions of BATCH (the key inserts come first: on SQLite they would wait for
    // the rows' write lock).
    let t = Instant::now();
    let (mut plain_bytes, mut bytes) = (0usize, 0usize);
    for first in (0..CUSTOMERS).step_by(BATCH as usize) {
        let ids = first..(first + i64::from(BATCH)).min(CUSTOMERS);
        let mut ciphers = Vec::with_capacity(BATCH as usize);
        for id in ids.clone() {
            ciphers.push(s.store.cipher(&subject(id)?).await?);
        }
        let mut tx = s.db.pool().begin().await?;
        for (id, cipher) in ids.zip(&ciphers) {
            let c = customer(id);
            let mut q = sqlx::query(
                "INSERT INTO customers (id, subject, email_ct, name_ct, phone_ct, birth_date_ct, \
                 postcode_ct, card_ct, last_active_ns, email_beacon) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .bind(id)
            .bind(cipher.subject().as_str().to_owned());
            for (plain, column) in c.fields.iter().zip(FIELDS) {
                let ct = cipher.encrypt(plain.as_bytes(), &aad(id, column))?;
                plain_bytes += plain.len();
                bytes += ct.len();
                q = q.bind(ct);
            }
            let last_active = now.checked_sub(SignedDuration::from_secs(c.inactive_days * DAY))?;
            q.bind(s.payments.encrypt(c.card.as_bytes(), &aad(id, "card"))?)
                .bind(last_active.as_nanosecond().try_into().unwrap_or(i64::MIN))
                .bind(s.email.value(&c.fields[0])?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    report("sign-ups (key, 5 erasable fields, card)", t, CUSTOMERS);
    println!("    erasable fields: {bytes} bytes stored for {plain_bytes} bytes of plaintext");

    // 3. Consent: two customers in three subscribe to the newsletter at sign-up; one
    // subscriber in ten withdraws later.
    let t = Instant::now();
    let mut events = 0;
    for id in (0..CUSTOMERS).filter(|id| id % 3 != 0) {
        let who = subject(id)?;
        let signup = now.checked_sub(SignedDuration::from_secs(1_200 * DAY))?;
        let record = async |state, at| {
            s.consent
                .record(&ConsentRecord::new(
                    who.clone(),
                    Purpose::new("newsletter")?,
                    state,
                    at,
                    "privacy-v3",
                    "signup-form",
                ))
                .await
        };
        record(ConsentState::Granted, signup).await?;
        events += 1;
        if id % 10 == 1 {
            record(
                ConsentState::Withdrawn,
                now.checked_sub(SignedDuration::from_secs(60 * DAY))?,
            )
            .await?;
            events += 1;
        }
    }
    report("consent events recorded", t, events);

    // 4. Lookups by e-mail, typed as users type them (case and spaces differ; the
    // beacon's normalization makes them equal).
    let t = Instant::now();
    let mut found = 0;
    for n in 0..LOOKUPS {
        let id = (n * 7_919) % CUSTOMERS;
        let typed = format!("  {}", customer(id).fields[0].to_uppercase());
        let hits = find_by_email(&s, &typed).await?;
        if hits != [id] {
            return Err(format!("lookup of customer {id} found {hits:?}").into());
        }
        found += 1;
    }
    report("lookups by e-mail (beacon, decrypt, filter)", t, found);

    // 5. Rotation. Payments: a new primary, the cards re-encrypted by a resumable sweep,
    // then the old key destroyed and the saved versions that held it pruned. (Copies of
    // those versions in database backups stay readable with the KEK until the backups
    // expire: rotate the KEK on that schedule too.)
    let t = Instant::now();
    let old_card_key = s.payments.primary_id();
    s.payments.rotate(Algorithm::Aes256Gcm)?;
    save(&s.db, &secrets, "payments", &s.payments).await?;
    let sweep = ColumnSweep::new(
        &s.db,
        "payments-2026-12",
        EncryptedColumn::new("customers", "id", "card_ct")?,
        BATCH,
    )?;
    let swept = sweep.run(&s.payments, |id| aad(id, "card")).await?;
    if swept.failed != 0 {
        return Err(format!("card sweep: {swept:?}").into());
    }
    s.payments.destroy(old_card_key)?;
    save(&s.db, &secrets, "payments", &s.payments).await?;
    KeysetTable::new(&s.db).prune("payments", 1).await?;
    report(
        "card rotation sweep (ColumnSweep)",
        t,
        i64::try_from(swept.total())?,
    );
    // Customer keys: a new wrapping primary; keys re-wrapped, fields untouched.
    let t = Instant::now();
    let mut wrapping = s.store.keys().wrapping()?;
    let old_wrapping = wrapping.primary_id();
    wrapping.rotate(Algorithm::Aes256Gcm)?;
    s.store.keys().set_wrapping(wrapping.clone())?;
    save(&s.db, &secrets, "customer-keys", &wrapping).await?;
    let rewrapped = s.store.rewrap_sweep(BATCH).await?;
    if rewrapped.failed != 0 {
        return Err(format!("re-wrap sweep: {rewrapped:?}").into());
    }
    wrapping.destroy(old_wrapping)?;
    s.store.keys().set_wrapping(wrapping.clone())?;
    save(&s.db, &secrets, "customer-keys", &wrapping).await?;
    KeysetTable::new(&s.db).prune("customer-keys", 1).await?;
    report(
        "customer key re-wrap sweep",
        t,
        i64::try_from(rewrapped.total())?,
    );

    // 6. Restart: drop everything in memory but the secrets; reopen; read every customer
    // back (one key query per customer, the first time it is seen).
    s.db.pool().close().await;
    drop(s);
    let t = Instant::now();
    let s = start(url, &secrets).await?;
    report("restart (connect, load keysets)", t, 0);
    let t = Instant::now();
    for id in 0..CUSTOMERS {
        check(&s, id, &stored(&s.db, id).await?).await?;
    }
    report("read back every customer after the restart", t, CUSTOMERS);
    let t = Instant::now();
    for id in 0..CUSTOMERS {
        check(&s, id, &stored(&s.db, id).await?).await?;
    }
    report("read every customer again (handles cached)", t, CUSTOMERS);

    // 7. Consent checks, from the stored ledger.
    let t = Instant::now();
    let (ada, grace, alan) = (subject(1)?, subject(2)?, subject(3)?);
    let answers = (
        s.consent.may_process(&ada, "newsletter", now).await?,
        s.consent.may_process(&grace, "newsletter", now).await?,
        s.consent.may_process(&alan, "newsletter", now).await?,
    );
    if answers != (false, true, false) {
        return Err(format!("consent answers {answers:?}").into());
    }
    // A misspelled purpose is refused, not answered "no".
    if s.consent.may_process(&ada, "newsleter", now).await.is_ok() {
        return Err("a misspelled purpose was answered".into());
    }
    report("consent checks (withdrawn, granted, never)", t, 0);

    // 8. Retention sweep: the schedule decides every customer; those due are erased.
    let t = Instant::now();
    let ledger = s.consent.load_ledger().await?;
    let class = s.schedule.class_of("customer")?;
    let (service, both) = (
        s.schedule.purpose_set(["service"])?,
        s.schedule.purpose_set(["service", "newsletter"])?,
    );
    let evaluator = s.schedule.evaluator(now);
    let rows = sqlx::query("SELECT id, last_active_ns FROM customers ORDER BY id")
        .fetch_all(s.db.pool())
        .await?;
    let mut due = Vec::new();
    for r in &rows {
        let (id, last): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
        let who = subject(id)?;
        let withdrawals = ledger.withdrawals(&s.schedule, &who, now);
        let subscribed = ledger.state_at(&who, "newsletter", now)?.is_some();
        let last = Timestamp::from_nanosecond(i128::from(last))?;
        let facts = Facts::new(class, if subscribed { both } else { service }, last)
            .last_activity(last)
            .consent_withdrawn(&withdrawals);
        if evaluator.evaluate(&facts).verdict() == Verdict::ActNow {
            due.push(id);
        }
    }
    report(
        "retention: decide every customer",
        t,
        i64::try_from(rows.len())?,
    );
    let t = Instant::now();
    for &id in &due {
        erase(&s, id).await?;
    }
    report(
        "retention: erase the customers due",
        t,
        i64::try_from(due.len())?,
    );

    // 9. Erase one customer on request. A backup of their row, taken before, no longer
    // decrypts: their key is destroyed (and a new key, if they come back, is another).
    let t = Instant::now();
    let (gone, kept) = (4_242, 4_243);
    let backup = stored(&s.db, gone).await?;
    erase(&s, gone).await?;
    let e = s.store.existing_cipher(&subject(gone)?).await.err();
    if !matches!(
        e,
        Some(privkit_sqlx::Error::Privkit(CoreError::KeyDestroyed(_)))
    ) {
        return Err(format!("erased customer's key: {e:?}").into());
    }
    let returning = s.store.cipher(&subject(gone)?).await?;
    for (ct, column) in backup.fields.iter().zip(FIELDS) {
        if returning.decrypt(ct, &aad(gone, column)).is_ok() {
            return Err(format!("erased customer's {column} still decrypts").into());
        }
    }
    check(&s, kept, &stored(&s.db, kept).await?).await?;
    report("erasure of one customer, checked", t, 0);
    println!(
        "    customer {gone}: {} erasable fields of a backup no longer decrypt (key {:#010x} destroyed); customer {kept} reads",
        backup.fields.len(),
        keyset::inspect(&backup.fields[0])?.key_id
    );
    let left: i64 = sqlx::query("SELECT COUNT(*) FROM customers")
        .fetch_one(s.db.pool())
        .await?
        .try_get(0)?;
    println!(
        "{CUSTOMERS} customers, {} erased by retention, 1 on request, {left} left",
        due.len()
    );
    report("total", total, 0);
    s.db.pool().close().await;
    Ok(())
}
