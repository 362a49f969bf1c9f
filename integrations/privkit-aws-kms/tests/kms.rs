//! AWS KMS key-encryption keys against moto's KMS server on loopback: create keys, seal and
//! open, re-wrap, wrong contexts, an endpoint killed mid-run, and the number of KMS calls
//! for 1,000 concurrent seals with and without the data-key cache.
//!
//! Each test starts its own `moto_server` (see `common/moto.rs`); without it on PATH they
//! print a loud skip message, or fail when `PRIVKIT_REQUIRE_MOTO=1` (as in CI).
#![allow(clippy::unwrap_used)]

#[path = "common/moto.rs"]
mod moto;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use privkit::envelope::{
    self, AsyncKeyEncryptionKey, AsyncOpener, AsyncSealer, AsyncToSync, CacheLimits, KekFuture,
    LocalKek, SyncToAsync,
};
use privkit::secret::{SecretBytes, SecretString};
use privkit::{Algorithm, Error};
use privkit_aws_kms::aws_sdk_kms::primitives::Blob;
use privkit_aws_kms::{KmsKek, kms_encryption_context};

use moto::{ACCESS_KEY, Moto, REGION, Relay, SECRET_KEY};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

fn builder(url: &str, key: &str) -> privkit_aws_kms::KmsKekBuilder {
    KmsKek::builder(key)
        .endpoint_url(url)
        .region(REGION)
        .static_credentials(ACCESS_KEY, SecretString::new(SECRET_KEY.into()))
}

async fn kek(url: &str, key: &str) -> KmsKek {
    builder(url, key).build().await.unwrap()
}

/// Creates a symmetric KMS key through the SDK (CreateKey); returns its id and ARN.
async fn create_key(kek: &KmsKek) -> Result<(String, String), BoxError> {
    let out = kek
        .client()
        .create_key()
        .description("privkit test")
        .send()
        .await?;
    let meta = out.key_metadata().ok_or("no key metadata")?;
    Ok((
        meta.key_id().to_owned(),
        meta.arn().unwrap_or_default().to_owned(),
    ))
}

/// A KEK wrapper that counts the calls reaching the KMS.
struct Counting<K> {
    inner: K,
    wraps: AtomicUsize,
    unwraps: AtomicUsize,
}

impl<K> Counting<K> {
    fn new(inner: K) -> Self {
        Self {
            inner,
            wraps: AtomicUsize::new(0),
            unwraps: AtomicUsize::new(0),
        }
    }
}

impl<K: AsyncKeyEncryptionKey> AsyncKeyEncryptionKey for Counting<K> {
    fn kek_id(&self) -> &str {
        self.inner.kek_id()
    }
    fn wrap_key<'a>(&'a self, key: &'a SecretBytes, context: &'a [u8]) -> KekFuture<'a, Vec<u8>> {
        self.wraps.fetch_add(1, Ordering::SeqCst);
        self.inner.wrap_key(key, context)
    }
    fn unwrap_key<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a [u8],
    ) -> KekFuture<'a, SecretBytes> {
        self.unwraps.fetch_add(1, Ordering::SeqCst);
        self.inner.unwrap_key(wrapped, context)
    }
}

/// Offset of the first wrapped-key entry of a version 3 AES-256-GCM envelope
/// (docs/FORMAT.md section 3.0: magic, version, algorithm, the commitment at 6..38, the
/// 12-byte header nonce, the count).
const FIRST_ENTRY: usize = 38 + 12 + 1;

/// The wrap context of a version 3 envelope, computed from its bytes as docs/FORMAT.md
/// section 3.3 says, and the first wrapped key (section 3.0: the commitment at 6..38, then
/// the header nonce, 12 bytes for these AES-256-GCM envelopes, the count and the entries).
fn wrap_context_and_first_key(env: &[u8]) -> (Vec<u8>, Vec<u8>) {
    assert_eq!(env[4], 3, "a version 3 envelope");
    assert_eq!(env[5], 1, "AES-256-GCM: a 12-byte header nonce");
    let mut ctx = Vec::new();
    for label in [
        &b"privkit envelope wrap"[..],
        &[env[4]],
        &[env[5]],
        &env[6..38],
    ] {
        ctx.extend_from_slice(&u32::try_from(label.len()).unwrap().to_be_bytes());
        ctx.extend_from_slice(label);
    }
    let id_len = usize::from(u16::from_be_bytes([env[FIRST_ENTRY], env[FIRST_ENTRY + 1]]));
    let at = FIRST_ENTRY + 2 + id_len;
    let key_len = usize::from(u16::from_be_bytes([env[at], env[at + 1]]));
    (ctx, env[at + 2..at + 2 + key_len].to_vec())
}

#[test]
fn seal_open_rewrap_aliases_arns_two_regions() {
    let Some(moto) = Moto::start("kms seal/open/rewrap") else {
        return;
    };
    runtime().block_on(async {
        let url = moto.url();
        let admin = kek(&url, "unused").await;
        let (id_a, arn_a) = create_key(&admin).await.unwrap();
        let (id_b, _) = create_key(&admin).await.unwrap();
        admin
            .client()
            .create_alias()
            .alias_name("alias/privkit-orders")
            .target_key_id(&id_a)
            .send()
            .await
            .unwrap();
        // A key in a second region.
        let admin_eu = builder(&url, "unused")
            .region("eu-west-1")
            .build()
            .await
            .unwrap();
        let (_, arn_eu) = create_key(&admin_eu).await.unwrap();

        // Key id, ARN and alias all seal and open.
        for name in [id_a.as_str(), arn_a.as_str(), "alias/privkit-orders"] {
            let k = Arc::new(kek(&url, name).await);
            let env = AsyncSealer::new(k.clone())
                .seal(b"card 4111", b"order-1")
                .await
                .unwrap();
            assert_eq!(
                AsyncOpener::new(k).open(&env, b"order-1").await.unwrap(),
                b"card 4111"
            );
        }

        // Two regions on one envelope: either opens it alone.
        let us = Arc::new(kek(&url, &arn_a).await);
        let eu = Arc::new(
            builder(&url, &arn_eu)
                .region("eu-west-1")
                .build()
                .await
                .unwrap(),
        );
        let env = AsyncSealer::new(us.clone())
            .with_kek(eu.clone())
            .with_algorithm(Algorithm::ChaCha20Poly1305)
            .seal(b"replicated", b"r")
            .await
            .unwrap();
        assert_eq!(
            AsyncOpener::new(eu.clone()).open(&env, b"r").await.unwrap(),
            b"replicated"
        );
        assert_eq!(
            AsyncOpener::new(us.clone()).open(&env, b"r").await.unwrap(),
            b"replicated"
        );

        // Re-wrap from key A to key B: the payload is untouched, B opens it, A no longer can.
        let b = Arc::new(kek(&url, &id_b).await);
        let env = envelope::seal_async(&*us, b"rotate me", b"doc")
            .await
            .unwrap();
        let rewrapped = envelope::rewrap_async(&env, &*us, &*b).await.unwrap();
        // Nonce (12), ciphertext (9), tag (16): byte for byte as they were.
        assert_eq!(env[env.len() - 37..], rewrapped[rewrapped.len() - 37..]);
        assert_eq!(
            envelope::open_async(&*b, &rewrapped, b"doc").await.unwrap(),
            b"rotate me"
        );
        assert!(matches!(
            envelope::open_async(&*us, &rewrapped, b"doc").await,
            Err(Error::NoUsableKey)
        ));

        // The documented encryption-context mapping is what was sent: decrypting the
        // wrapped key with the SDK directly, with that context, gives the data key back.
        let (ctx, wrapped) = wrap_context_and_first_key(&env);
        let out = admin
            .client()
            .decrypt()
            .key_id(&arn_a)
            .ciphertext_blob(Blob::new(wrapped))
            .set_encryption_context(Some(
                kms_encryption_context(&ctx).unwrap().into_iter().collect(),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(out.plaintext().map(|p| p.as_ref().len()), Some(32));
    });
}

#[test]
fn fail_wrong_context_rejected() {
    let Some(moto) = Moto::start("kms wrong context") else {
        return;
    };
    runtime().block_on(async {
        let url = moto.url();
        let admin = kek(&url, "unused").await;
        let (id, _) = create_key(&admin).await.unwrap();
        let k = kek(&url, &id).await;
        let one = envelope::seal_async(&k, b"row one", b"row-1")
            .await
            .unwrap();
        let two = envelope::seal_async(&k, b"row two", b"row-2")
            .await
            .unwrap();

        // The caller's associated data is bound to the payload.
        assert!(matches!(
            envelope::open_async(&k, &one, b"row-2").await,
            Err(Error::DecryptionFailed)
        ));

        // A KMS-wrapped key unwraps only under the encryption context it was made with
        // (KMS answers InvalidCiphertextException, mapped to DecryptionFailed).
        let (ctx_one, wrapped_one) = wrap_context_and_first_key(&one);
        let (ctx_two, _) = wrap_context_and_first_key(&two);
        assert!(k.unwrap_key(&wrapped_one, &ctx_one).await.is_ok());
        assert!(matches!(
            k.unwrap_key(&wrapped_one, &ctx_two).await,
            Err(Error::DecryptionFailed)
        ));

        // Replayed into another envelope (its header swapped in), it is rejected.
        let id_len = usize::from(u16::from_be_bytes([one[FIRST_ENTRY], one[FIRST_ENTRY + 1]]));
        let entries_end = FIRST_ENTRY + 2 + id_len + 2 + wrapped_one.len();
        let mut forged = two[..FIRST_ENTRY].to_vec();
        forged.extend_from_slice(&one[FIRST_ENTRY..entries_end]);
        forged.extend_from_slice(&two[entries_end..]);
        assert_eq!(forged.len(), two.len());
        assert!(matches!(
            envelope::open_async(&k, &forged, b"row-2").await,
            Err(Error::DecryptionFailed)
        ));

        // A different fixed context pair on the KEK does not open it either.
        let tenant = builder(&url, &id)
            .encryption_context("tenant", "acme")
            .build()
            .await
            .unwrap();
        assert!(matches!(
            envelope::open_async(&tenant, &one, b"row-1").await,
            Err(Error::DecryptionFailed)
        ));
        assert!(
            builder(&url, &id)
                .encryption_context("privkit:x", "y")
                .build()
                .await
                .is_err()
        );
    });
}

#[test]
fn fail_endpoint_killed_mid_run_then_restarted() {
    let Some(moto) = Moto::start("kms endpoint killed") else {
        return;
    };
    runtime().block_on(async {
        let relay = Relay::start(moto.addr());
        let port = relay.port;
        let url = relay.url();
        let admin = kek(&url, "unused").await;
        let (id, _) = create_key(&admin).await.unwrap();
        let k = Arc::new(
            builder(&url, &id)
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(10))
                .connect_timeout(Duration::from_secs(2))
                .attempt_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(15))
                .build()
                .await
                .unwrap(),
        );
        let sealer = AsyncSealer::new(k.clone());
        let mut written = Vec::new();
        for i in 0..20u32 {
            let aad = i.to_be_bytes();
            written.push((
                aad,
                sealer
                    .seal(format!("record {i}").as_bytes(), &aad)
                    .await
                    .unwrap(),
            ));
        }

        relay.kill();
        let err = sealer.seal(b"during the outage", b"x").await.unwrap_err();
        let Error::KeyManagement(message) = &err else {
            panic!("expected KeyManagement, got {err:?}");
        };
        assert!(
            message.contains("AWS KMS Encrypt") && message.contains(&id),
            "{message}"
        );
        eprintln!("seal while the endpoint is down: {err}");
        // Opening needs the KMS too: an outage is a KeyManagement error, never
        // DecryptionFailed (which would say the data was tampered with).
        let err = AsyncOpener::new(k.clone())
            .open(&written[0].1, &written[0].0)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::KeyManagement(_)), "{err:?}");

        // The endpoint comes back on the same port: everything written before opens.
        let _relay = Relay::start_on(port, moto.addr());
        let opener = AsyncOpener::new(k.clone());
        for (i, (aad, env)) in written.iter().enumerate() {
            assert_eq!(
                opener.open(env, aad).await.unwrap(),
                format!("record {i}").as_bytes()
            );
        }
        assert!(sealer.seal(b"after", b"y").await.is_ok());
    });
}

/// 1,000 concurrent seals: one KMS call with the cache (single flight), 1,000 without
/// (64 at a time, see below).
#[test]
fn concurrent_seals_kms_calls_with_and_without_cache() {
    let Some(moto) = Moto::start("kms concurrent seals") else {
        return;
    };
    runtime().block_on(async {
        let url = moto.url();
        let admin = kek(&url, "unused").await;
        let (id, _) = create_key(&admin).await.unwrap();
        let limits = CacheLimits::new(10_000, 1 << 30, Duration::from_secs(600)).unwrap();
        for cached in [true, false] {
            let counting = Arc::new(Counting::new(kek(&url, &id).await));
            let mut sealer = AsyncSealer::new(counting.clone());
            if cached {
                sealer = sealer.with_cache(limits);
            }
            // Uncached, every seal is a KMS call. At most 64 of them in flight: moto is one
            // Python process with a listen backlog of 128, and 1,000 simultaneous connection
            // attempts on a loaded machine had SYNs dropped past the client's 3-second
            // connect timeout. Cached, all 1,000 wait on the one fetch at once.
            let in_flight = Arc::new(tokio::sync::Semaphore::new(if cached { 1000 } else { 64 }));
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..1000u32 {
                let sealer = sealer.clone();
                let in_flight = Arc::clone(&in_flight);
                tasks.spawn(async move {
                    let _permit = in_flight.acquire_owned().await.unwrap();
                    let aad = i.to_be_bytes();
                    (aad, sealer.seal(b"concurrent", &aad).await)
                });
            }
            let mut sealed = Vec::new();
            while let Some(done) = tasks.join_next().await {
                let (aad, env) = done.unwrap();
                sealed.push((aad, env.unwrap()));
            }
            let calls = counting.wraps.load(Ordering::SeqCst);
            eprintln!("1000 concurrent seals, cache {cached}: {calls} KMS Encrypt calls");
            assert_eq!(calls, if cached { 1 } else { 1000 });
            // Every one opens (a sample, to keep the test short).
            let opener = AsyncOpener::new(counting.clone());
            for (aad, env) in sealed.iter().step_by(97) {
                assert_eq!(opener.open(env, aad).await.unwrap(), b"concurrent");
            }
        }
    });
}

/// An async KMS KEK used from sync code through a runtime handle, and refused inside one.
#[test]
fn sync_adapter_over_kms() {
    let Some(moto) = Moto::start("kms sync adapter") else {
        return;
    };
    let rt = runtime();
    let url = moto.url();
    let k = rt.block_on(async {
        let admin = kek(&url, "unused").await;
        let (id, _) = create_key(&admin).await.unwrap();
        kek(&url, &id).await
    });
    let sync = AsyncToSync::new(k, rt.handle().clone());
    let env = envelope::seal(&sync, b"from sync code", b"ctx").unwrap();
    assert_eq!(
        envelope::open(&sync, &env, b"ctx").unwrap(),
        b"from sync code"
    );
    // Sync and async openers read the same bytes.
    let back = rt
        .block_on(envelope::open_async(sync.get_ref(), &env, b"ctx"))
        .unwrap();
    assert_eq!(back, b"from sync code");
    // Inside the runtime it refuses instead of deadlocking.
    let inside = rt.block_on(async { envelope::seal(&sync, b"x", b"") });
    assert!(matches!(inside, Err(Error::InvalidOperation(_))));
    // And a local KEK on the async side mixes with the KMS one on one envelope.
    let local = Arc::new(SyncToAsync::new(
        LocalKek::generate("local-backup").unwrap(),
    ));
    let env = rt
        .block_on(
            AsyncSealer::new(local.clone())
                .with_kek(sync.get_ref().clone())
                .seal(b"both", b""),
        )
        .unwrap();
    assert_eq!(
        rt.block_on(AsyncOpener::new(local).open(&env, b""))
            .unwrap(),
        b"both"
    );
}

/// A fake KMS endpoint answering every request with one AWS JSON error (or never, with
/// `None`), counting the requests: for the error mapping, retries and timeouts, which moto
/// cannot produce.
struct FakeKms {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl FakeKms {
    fn start(error_type: Option<&'static str>) -> Self {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut writer = stream;
                    loop {
                        let mut length = 0usize;
                        loop {
                            let mut line = String::new();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            let lower = line.to_ascii_lowercase();
                            if let Some(v) = lower.strip_prefix("content-length:") {
                                length = v.trim().parse().unwrap();
                            }
                            if line == "\r\n" {
                                break;
                            }
                        }
                        let mut body = vec![0; length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        counter.fetch_add(1, Ordering::SeqCst);
                        let Some(error_type) = error_type else {
                            std::thread::sleep(Duration::from_secs(30));
                            return;
                        };
                        let body =
                            format!(r#"{{"__type":"{error_type}","message":"fake {error_type}"}}"#);
                        let status = if error_type == "KMSInternalException" {
                            "500 Internal Server Error"
                        } else {
                            "400 Bad Request"
                        };
                        let response = format!(
                            "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\n\
                             x-amzn-RequestId: fake\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if writer.write_all(response.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// KMS errors map to privkit errors; retries and timeouts follow the builder. No moto
/// needed: a fake endpoint answers.
#[test]
fn fail_kms_errors_retries_and_timeouts() {
    runtime().block_on(async {
        let dek = SecretBytes::from_slice(&[7; 32]);
        for (error, attempts, decryption_failed) in [
            ("InvalidCiphertextException", 1, true),
            ("IncorrectKeyException", 1, true),
            ("ThrottlingException", 3, false),
            ("NotFoundException", 1, false),
            ("KMSInternalException", 2, false),
        ] {
            let fake = FakeKms::start(Some(error));
            let k = builder(&fake.url, "alias/fake")
                .max_attempts(attempts)
                .initial_backoff(Duration::from_millis(1))
                .build()
                .await
                .unwrap();
            let unwrapped = k.unwrap_key(&[1; 64], b"ctx").await;
            if decryption_failed {
                assert!(
                    matches!(unwrapped, Err(Error::DecryptionFailed)),
                    "{error}: {unwrapped:?}"
                );
            } else {
                let Err(Error::KeyManagement(m)) = &unwrapped else {
                    panic!("{error}: {unwrapped:?}");
                };
                assert!(
                    m.contains(error) && m.contains("Decrypt") && m.contains("alias/fake"),
                    "{m}"
                );
                eprintln!("{m}");
            }
            // Retryable errors are retried up to max_attempts; the others are not.
            let retryable = matches!(error, "ThrottlingException" | "KMSInternalException");
            assert_eq!(
                fake.requests(),
                if retryable { attempts as usize } else { 1 },
                "{error}"
            );
            let wrapped = k.wrap_key(&dek, b"ctx").await;
            assert!(matches!(
                wrapped,
                Err(Error::KeyManagement(_)) | Err(Error::DecryptionFailed)
            ));
        }

        // An endpoint that never answers: each attempt times out, then the call fails.
        let fake = FakeKms::start(None);
        let k = builder(&fake.url, "alias/fake")
            .max_attempts(2)
            .initial_backoff(Duration::from_millis(1))
            .attempt_timeout(Duration::from_millis(300))
            .build()
            .await
            .unwrap();
        let err = k.wrap_key(&dek, b"ctx").await.unwrap_err();
        let Error::KeyManagement(m) = &err else {
            panic!("{err:?}")
        };
        assert!(m.contains("timed out"), "{m}");
        assert_eq!(fake.requests(), 2);
        eprintln!("{m}");
    });
}

/// A stream sealed from tokio under a KMS key (a backup): one KMS `Encrypt` for the whole
/// stream, written through a small pipe to a reader that opens it with one KMS `Decrypt`
/// while the writer is still writing; memory stays one segment on each side.
#[test]
fn stream_sealed_under_kms_from_async_code() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(moto) = Moto::start("kms stream") else {
        return;
    };
    runtime().block_on(async {
        let url = moto.url();
        let admin = kek(&url, "unused").await;
        let (_, arn) = create_key(&admin).await.unwrap();
        let kms = Arc::new(Counting::new(kek(&url, &arn).await));
        let len = 3 * 1024 * 1024 + 17;
        let data: Vec<u8> = (0..len).map(|i| u8::try_from(i % 253).unwrap()).collect();
        let (client, server) = tokio::io::duplex(64 * 1024);
        let mut writer = AsyncSealer::new(kms.clone())
            .encrypt_stream(client, b"backup-2026-12-02")
            .await
            .unwrap();
        let input = data.clone();
        let write = tokio::spawn(async move {
            for chunk in input.chunks(100_000) {
                writer.write_all(chunk).await.unwrap();
            }
            writer.shutdown().await.unwrap();
        });
        let mut reader = AsyncOpener::new(kms.clone())
            .decrypt_stream(server, b"backup-2026-12-02")
            .await
            .unwrap();
        let mut out = Vec::with_capacity(len);
        reader.read_to_end(&mut out).await.unwrap();
        write.await.unwrap();
        assert!(out == data, "the stream round-trips");
        assert_eq!(kms.wraps.load(Ordering::SeqCst), 1);
        assert_eq!(kms.unwraps.load(Ordering::SeqCst), 1);
    });
}
