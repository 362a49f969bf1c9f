//! AWS KMS key-encryption keys for [privkit](https://docs.rs/privkit) envelopes and
//! streams: [`KmsKek`] wraps data keys with KMS `Encrypt` / `Decrypt`, binding the
//! envelope's wrap context as the KMS encryption context ([`kms_encryption_context`]).
//!
//! # Use case
//! Envelope encryption whose key-encryption key never leaves AWS KMS, from async code:
//! [`AsyncSealer`](privkit::envelope::AsyncSealer) seals records (with a data-key cache, one
//! KMS call per data key rather than per record) and streams of any size
//! ([`AsyncSealer::encrypt_stream`](privkit::envelope::AsyncSealer::encrypt_stream)), and
//! [`AsyncOpener`](privkit::envelope::AsyncOpener) opens them.
//!
//! # How it works
//! [`KmsKek`] implements privkit's [`AsyncKeyEncryptionKey`]: wrapping is one KMS
//! `Encrypt` of the 32-byte data key, unwrapping one KMS `Decrypt`, each with the envelope's
//! wrap context as encryption context (`docs/FORMAT.md` section 11 of privkit).
//!
//! # Errors
//! Every function returns [`privkit::Error`]: wrong keys or contexts are
//! [`Error::DecryptionFailed`], everything else the service reports is
//! [`Error::KeyManagement`] naming the operation, the key and the cause.
//!
//! # Security
//! See [`KmsKek`]: no key material in errors; the SDK's own buffers are not zeroized; the
//! encryption context is logged by CloudTrail and holds no secret.
//!
//! # Example
//! ```
//! let map = privkit_aws_kms::kms_encryption_context(b"\x00\x01")?;
//! assert_eq!(map["privkit:wrap-context"], "AAE");
//! # Ok::<(), privkit::Error>(())
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use base64ct::{Base64UrlUnpadded, Encoding};
use privkit::envelope::{AsyncKeyEncryptionKey, KekFuture, MAX_KEK_ID_LEN};
use privkit::secret::{SecretBytes, SecretString};
use privkit::{Error, Result};

/// The AWS SDK for KMS that [`KmsKek`] uses (to create keys, or build a client for
/// [`KmsKek::from_client`], with exactly the version this crate links).
pub use aws_sdk_kms;

/// The encryption-context key under which [`KmsKek`] passes the wrap context.
const CONTEXT_KEY: &str = "privkit:wrap-context";
/// Longest context [`KmsKek`] accepts (its base64url encoding stays well inside KMS's
/// 8,192-character limit on a whole encryption context).
const MAX_CONTEXT_LEN: usize = 4096;
/// Longest backend message copied into an error.
const MAX_MESSAGE_LEN: usize = 200;

/// The AWS KMS encryption context [`KmsKek`] sends for a wrap `context` (the wrap context
/// of an envelope, `docs/FORMAT.md` section 3.3), without the pairs added with
/// [`KmsKekBuilder::encryption_context`]: one pair, key `privkit:wrap-context`, value the
/// unpadded base64url encoding (RFC 4648 section 5) of the context bytes.
///
/// KMS binds the encryption context to the ciphertext as associated data: a wrapped key
/// decrypts only with the same context, so it cannot be replayed into another envelope.
/// The context is logged in clear by AWS CloudTrail; it holds no secret (the key
/// commitment of the envelope header, and in versions 1 and 2 its salt).
///
/// # Errors
/// [`Error::InvalidArgument`] for a context over 4,096 bytes.
///
/// # Example
/// ```
/// let map = privkit_aws_kms::kms_encryption_context(b"\x00\x01")?;
/// assert_eq!(map["privkit:wrap-context"], "AAE");
/// # Ok::<(), privkit::Error>(())
/// ```
pub fn kms_encryption_context(context: &[u8]) -> Result<BTreeMap<String, String>> {
    if context.len() > MAX_CONTEXT_LEN {
        return Err(invalid_argument("a KMS wrap context is at most 4096 bytes"));
    }
    Ok(BTreeMap::from([(
        CONTEXT_KEY.to_owned(),
        Base64UrlUnpadded::encode_string(context),
    )]))
}

/// A key-encryption key in AWS KMS.
///
/// # Use case
/// Envelope encryption whose key-encryption key never leaves AWS KMS: each envelope's
/// data key is wrapped by KMS `Encrypt` and unwrapped by KMS `Decrypt`, so IAM, key
/// policies, CloudTrail and key disabling or deletion govern every envelope. Put it in an
/// [`AsyncSealer`](privkit::envelope::AsyncSealer) with a cache so that busy writers make one KMS call
/// per data key, not one per message.
///
/// # About
/// - The key is named by a key id, key ARN, alias name (`alias/orders`) or alias ARN; that
///   string is the KEK id stored in envelopes unless [`KmsKekBuilder::kek_id`] sets
///   another. Every `Decrypt` names the key, so a wrapped key made under another KMS key
///   is refused. KMS resolves an alias at each call: after re-pointing an alias, open
///   older envelopes with a `KmsKek` for the old key's ARN whose KEK id is the alias.
/// - The envelope's wrap context (version, algorithm and key commitment, and the salt of
///   version 1 and 2 envelopes: `docs/FORMAT.md` section 3.3) is the KMS encryption context, as [`kms_encryption_context`] maps it, so
///   a wrapped key cannot be replayed into another envelope. The caller's per-message
///   associated data is bound to the payload, not to the wrapped key (with a cache one
///   data key serves many messages).
/// - Several `KmsKek`s (keys in two regions, say) go on one envelope through
///   [`AsyncSealer::with_kek`](privkit::envelope::AsyncSealer::with_kek); any one of them opens it.
///   Wrapping calls the KEKs one after the other.
/// - Configuration comes from the AWS default chain (environment, shared config and
///   credentials files, web identity, ECS and EC2 metadata) unless the builder sets it.
///   This build of `aws-config` leaves out SSO and `credential_process` profiles (enable
///   `aws-config`'s `sso` or `credentials-process` feature in your own `Cargo.toml` to
///   get them). Timeouts and retries: [`KmsKekBuilder`].
/// - From sync code, wrap it in [`AsyncToSync`](privkit::envelope::AsyncToSync).
///
/// # Errors
/// KMS `InvalidCiphertextException` and `IncorrectKeyException` (a wrong key, a wrong
/// context, a damaged wrapped key) are [`Error::DecryptionFailed`]. Everything else is
/// [`Error::KeyManagement`] naming the operation, the key and the cause: the endpoint
/// unreachable, a timeout, throttling left after the configured retries, missing
/// credentials, a disabled or unknown key, access denied. An outage is therefore never
/// reported as tampering.
///
/// # Security
/// - Error messages carry KMS error codes and messages, key ids and transport errors,
///   never key material.
/// - The data key travels to KMS inside the SDK's request buffers and comes back in its
///   response buffers; privkit zeroizes its own copies (the unwrapped key is moved into
///   [`SecretBytes`] without a copy), but not the buffers the SDK and its HTTP stack
///   allocate.
/// - The encryption context is logged in clear by CloudTrail; it holds no secret.
///
/// # Example
/// ```no_run
/// use privkit::envelope::{AsyncOpener, AsyncSealer, CacheLimits};
/// use privkit_aws_kms::KmsKek;
/// use std::time::Duration;
///
/// # async fn demo() -> Result<(), privkit::Error> {
/// let kek = std::sync::Arc::new(
///     KmsKek::builder("arn:aws:kms:eu-west-1:111122223333:alias/orders")
///         .timeout(Duration::from_secs(5))
///         .max_attempts(3)
///         .build()
///         .await?,
/// );
/// let sealer = AsyncSealer::new(kek.clone())
///     .with_cache(CacheLimits::new(10_000, 1 << 30, Duration::from_secs(300))?);
/// let envelope = sealer.seal(b"order 1234", b"orders/1234").await?;
/// assert_eq!(AsyncOpener::new(kek).open(&envelope, b"orders/1234").await?, b"order 1234");
/// # Ok(())
/// # }
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct KmsKek {
    client: aws_sdk_kms::Client,
    key_id: String,
    kek_id: String,
    context: BTreeMap<String, String>,
}

/// Configures a [`KmsKek`]: region, endpoint, credentials, timeouts, retries.
///
/// Anything not set comes from the AWS default chain (environment, shared config and
/// credentials files, web identity, ECS and EC2 instance metadata), as `aws-config` loads
/// it.
#[derive(Debug)]
pub struct KmsKekBuilder {
    key_id: String,
    kek_id: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
    credentials: Option<(String, SecretString)>,
    operation_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_attempts: Option<u32>,
    initial_backoff: Option<Duration>,
    context: BTreeMap<String, String>,
}

impl KmsKek {
    /// A builder for the KMS key `key_id` (key id, key ARN, alias name or alias ARN).
    pub fn builder(key_id: impl Into<String>) -> KmsKekBuilder {
        KmsKekBuilder {
            key_id: key_id.into(),
            kek_id: None,
            region: None,
            endpoint_url: None,
            credentials: None,
            operation_timeout: None,
            attempt_timeout: None,
            connect_timeout: None,
            max_attempts: None,
            initial_backoff: None,
            context: BTreeMap::new(),
        }
    }

    /// A KEK for `key_id` that calls KMS through an existing client.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `key_id` is empty or over
    /// [`MAX_KEK_ID_LEN`](privkit::envelope::MAX_KEK_ID_LEN) bytes.
    pub fn from_client(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Result<Self> {
        let key_id = key_id.into();
        check_id(&key_id)?;
        Ok(Self {
            client,
            kek_id: key_id.clone(),
            key_id,
            context: BTreeMap::new(),
        })
    }

    /// The KMS client (for example to create or describe keys).
    #[must_use]
    pub fn client(&self) -> &aws_sdk_kms::Client {
        &self.client
    }

    /// The KMS key this KEK calls (as configured: id, ARN or alias).
    #[must_use]
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn encryption_context(
        &self,
        context: &[u8],
    ) -> Result<std::collections::HashMap<String, String>> {
        let mut map: std::collections::HashMap<_, _> = self.context.clone().into_iter().collect();
        map.extend(kms_encryption_context(context)?);
        Ok(map)
    }

    fn error<E>(&self, operation: &str, e: &SdkError<E>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let what = match e {
            SdkError::ServiceError(service) => {
                let err = service.err();
                let code = err.code().unwrap_or("unknown error");
                if matches!(code, "InvalidCiphertextException" | "IncorrectKeyException") {
                    return Error::DecryptionFailed;
                }
                match err.message() {
                    Some(m) => format!("{code}: {}", truncate(m)),
                    None => code.to_owned(),
                }
            }
            SdkError::TimeoutError(_) => {
                "timed out (attempt or call timeout, retries included)".to_owned()
            }
            SdkError::DispatchFailure(d) => {
                let kind = if d.is_timeout() {
                    "timed out"
                } else if d.is_io() {
                    "endpoint unreachable (I/O error)"
                } else if d.is_user() {
                    "request rejected by the client configuration"
                } else {
                    "request could not be sent"
                };
                format!("{kind}: {}", truncate(&error_chain(e)))
            }
            SdkError::ResponseError(_) => "unreadable response".to_owned(),
            SdkError::ConstructionFailure(_) => format!(
                "request could not be built (region or credentials missing?): {}",
                truncate(&error_chain(e))
            ),
            _ => "unknown SDK error".to_owned(),
        };
        Error::KeyManagement(format!(
            "AWS KMS {operation} with key {}: {what}",
            self.key_id
        ))
    }
}

/// `e` and its sources, joined by `: ` (no request or response bodies: no key material).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(MAX_MESSAGE_LEN) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn check_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_KEK_ID_LEN {
        return Err(invalid_argument("KMS key ids are 1 to 2048 bytes"));
    }
    Ok(())
}

impl KmsKekBuilder {
    /// The id stored in envelopes for this KEK (default: the key id as given).
    #[must_use]
    pub fn kek_id(mut self, id: impl Into<String>) -> Self {
        self.kek_id = Some(id.into());
        self
    }

    /// The AWS region (default: from the environment or config files).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Calls KMS at `url` instead of the regional AWS endpoint (a VPC endpoint, or a local
    /// test server such as `http://127.0.0.1:5000`).
    #[must_use]
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Uses these static credentials instead of the default chain.
    #[must_use]
    pub fn static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: SecretString,
    ) -> Self {
        self.credentials = Some((access_key_id.into(), secret_access_key));
        self
    }

    /// Bounds a whole KMS call, retries included (default: none).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Bounds each attempt of a KMS call (default: none).
    #[must_use]
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Bounds connection set-up (the SDK's default is 3.1 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Most attempts per KMS call, first one included (the SDK's standard retry mode,
    /// default 3; 1 turns retries off). Throttling and transient errors are retried
    /// with exponential backoff and jitter.
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// The first retry's backoff (default 1 s in the SDK's standard mode).
    #[must_use]
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = Some(backoff);
        self
    }

    /// Adds a fixed pair to every encryption context this KEK sends (say
    /// `tenant=acme`, for key policies and CloudTrail); unwrapping needs the same pairs.
    /// Keys starting `privkit:` or `aws` are reserved.
    #[must_use]
    pub fn encryption_context(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.context.insert(key.into(), value.into());
        self
    }

    /// Loads the AWS configuration and builds the KEK (no call to KMS is made).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a key or KEK id that is empty or over
    /// [`MAX_KEK_ID_LEN`](privkit::envelope::MAX_KEK_ID_LEN) bytes, or a reserved
    /// encryption-context key.
    pub async fn build(self) -> Result<KmsKek> {
        check_id(&self.key_id)?;
        let kek_id = self.kek_id.unwrap_or_else(|| self.key_id.clone());
        check_id(&kek_id)?;
        if self
            .context
            .keys()
            .any(|k| k.starts_with("privkit:") || k.to_ascii_lowercase().starts_with("aws"))
        {
            return Err(invalid_argument(
                "encryption-context keys starting with `privkit:` or `aws` are reserved",
            ));
        }
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = self.region {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(url) = self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some((id, secret)) = self.credentials {
            loader = loader.credentials_provider(aws_sdk_kms::config::Credentials::new(
                id,
                secret.expose_secret(),
                None,
                None,
                "privkit-static",
            ));
        }
        let mut timeouts = aws_config::timeout::TimeoutConfig::builder();
        if let Some(t) = self.operation_timeout {
            timeouts = timeouts.operation_timeout(t);
        }
        if let Some(t) = self.attempt_timeout {
            timeouts = timeouts.operation_attempt_timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            timeouts = timeouts.connect_timeout(t);
        }
        loader = loader.timeout_config(timeouts.build());
        let mut retry = aws_config::retry::RetryConfig::standard();
        if let Some(n) = self.max_attempts {
            retry = retry.with_max_attempts(n);
        }
        if let Some(b) = self.initial_backoff {
            retry = retry.with_initial_backoff(b);
        }
        loader = loader.retry_config(retry);
        let config = loader.load().await;
        Ok(KmsKek {
            client: aws_sdk_kms::Client::new(&config),
            key_id: self.key_id,
            kek_id,
            context: self.context,
        })
    }
}

impl AsyncKeyEncryptionKey for KmsKek {
    fn kek_id(&self) -> &str {
        &self.kek_id
    }

    fn wrap_key<'a>(
        &'a self,
        data_key: &'a SecretBytes,
        context: &'a [u8],
    ) -> KekFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let output = self
                .client
                .encrypt()
                .key_id(&self.key_id)
                .plaintext(Blob::new(data_key.expose_secret().to_vec()))
                .set_encryption_context(Some(self.encryption_context(context)?))
                .send()
                .await
                .map_err(|e| self.error("Encrypt", &e))?;
            output.ciphertext_blob.map(Blob::into_inner).ok_or_else(|| {
                Error::KeyManagement(format!(
                    "AWS KMS Encrypt with key {}: no ciphertext in the response",
                    self.key_id
                ))
            })
        })
    }

    fn unwrap_key<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a [u8],
    ) -> KekFuture<'a, SecretBytes> {
        Box::pin(async move {
            let output = self
                .client
                .decrypt()
                .key_id(&self.key_id)
                .ciphertext_blob(Blob::new(wrapped))
                .set_encryption_context(Some(self.encryption_context(context)?))
                .send()
                .await
                .map_err(|e| self.error("Decrypt", &e))?;
            output
                .plaintext
                .map(|p| SecretBytes::new(p.into_inner()))
                .ok_or(Error::DecryptionFailed)
        })
    }
}

fn invalid_argument(message: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(message.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kms_context_vectors() {
        let text = include_str!("../tests/data/kms_context.json");
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        let vectors = doc["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 3);
        for v in vectors {
            let context = hex::decode(v["wrap_context"].as_str().unwrap()).unwrap();
            let expected: BTreeMap<String, String> =
                serde_json::from_value(v["encryption_context"].clone()).unwrap();
            assert_eq!(kms_encryption_context(&context).unwrap(), expected);
        }
        // The first is an envelope's wrap context, as the envelope code builds it.
        let first = hex::decode(vectors[0]["wrap_context"].as_str().unwrap()).unwrap();
        let salt: Vec<u8> = (0..32).collect();
        let commitment: Vec<u8> = (32..64).collect();
        let ours = privkit::kdf::encode_labels(&[
            b"privkit envelope wrap",
            &[1],
            &[1],
            &salt,
            &commitment,
        ])
        .unwrap();
        assert_eq!(ours, first);
    }

    #[test]
    fn fail_oversized_context_and_ids() {
        assert!(kms_encryption_context(&[0; 4096]).is_ok());
        assert!(matches!(
            kms_encryption_context(&[0; 4097]),
            Err(Error::InvalidArgument(_))
        ));
        assert!(check_id("").is_err());
        assert!(check_id(&"k".repeat(2049)).is_err());
        assert!(check_id("alias/orders").is_ok());
    }

    #[test]
    fn truncates_on_char_boundaries() {
        let long = "é".repeat(500);
        assert_eq!(truncate(&long).chars().count(), MAX_MESSAGE_LEN);
        assert_eq!(truncate("short"), "short");
    }
}
