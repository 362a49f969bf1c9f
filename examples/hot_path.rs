//! Instruction-count harness for the encryption hot paths (issue 20): runs `N` operations
//! of one variant so that callgrind can count what privkit adds to the raw primitive.
//!
//! Variants: `raw` (RustCrypto AES-256-GCM: allocate, copy, encrypt in place, append the
//! tag; the least work of any API that returns a new ciphertext), `keyset` (a 64-byte
//! `Keyset::encrypt`), `seal` (a 64-byte envelope under a local KEK with a fresh data key),
//! `cached` (the same with the data-key cache), `pseudonym` and `hmac` (a 16-byte keyed
//! pseudonym against `Hmac::<Sha256>::new_from_slice` + finalize). Run each at two counts
//! and divide the difference by the difference in `N`:
//!
//! `cargo build --profile bench --example hot_path`, then
//! `valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/hot_path seal 20000`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use privkit::envelope::{CacheLimits, LocalKek, Sealer};
use privkit::keyset::Keyset;
use privkit::pseudonym::{KeyedConfig, KeyedPseudonymizer, RootKey};
use privkit::secret::SecretBytes;
use privkit::{Algorithm, Error, Result};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_else(|| "keyset".into());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let pt = [0x42u8; 64];
    let aad = b"table=customers;column=email;row=17";
    let raw = Aes256Gcm::new_from_slice(&[7u8; 32]).map_err(|_| Error::Random)?;
    let nonce = Nonce::from([1u8; 12]);
    let keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
    let kek = Arc::new(LocalKek::generate("hot-path")?);
    let sealer = Sealer::new(kek.clone());
    let cached = Sealer::new(kek).with_cache(CacheLimits::new(
        1 << 32,
        1 << 50,
        Duration::from_secs(3600),
    )?);
    let root = RootKey::new(1, &SecretBytes::from_slice(&[9u8; 32]))?;
    let pseudonyms = KeyedPseudonymizer::new(&root, "email", KeyedConfig::default())?;
    let key = [9u8; 32];
    let value = b"alice@example.co";
    for _ in 0..n {
        match variant.as_str() {
            "raw" => {
                let mut out = Vec::with_capacity(pt.len() + 16);
                out.extend_from_slice(black_box(&pt));
                let tag = raw
                    .encrypt_inout_detached(&nonce, black_box(aad), out.as_mut_slice().into())
                    .map_err(|_| Error::DecryptionFailed)?;
                out.extend_from_slice(&tag);
                black_box(out);
            }
            "keyset" => {
                black_box(keyset.encrypt(black_box(&pt), black_box(aad))?);
            }
            "seal" => {
                black_box(sealer.seal(black_box(&pt), black_box(aad))?);
            }
            "cached" => {
                black_box(cached.seal(black_box(&pt), black_box(aad))?);
            }
            "pseudonym" => {
                black_box(pseudonyms.pseudonymize_bytes(black_box(value))?);
            }
            "hmac" => {
                let mut h = <Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(black_box(&key))
                    .map_err(|_| Error::Random)?;
                h.update(black_box(value));
                black_box(h.finalize().into_bytes());
            }
            other => {
                return Err(Error::InvalidOperation(format!("unknown variant {other}")));
            }
        }
    }
    println!("{variant}: {n}");
    Ok(())
}
