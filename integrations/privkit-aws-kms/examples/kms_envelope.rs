//! Envelope encryption under an AWS KMS key.
//!
//! Against AWS (default credential chain and region; needs kms:Encrypt and kms:Decrypt):
//!
//! ```text
//! cargo run -p privkit-aws-kms --example kms_envelope -- arn:aws:kms:eu-west-1:111122223333:key/...
//! ```
//!
//! Against a local KMS endpoint such as moto (`moto_server -p 5000`); without a key id the
//! example creates a key there first (dummy credentials and us-east-1 are used unless the
//! environment sets others):
//!
//! ```text
//! cargo run -p privkit-aws-kms --example kms_envelope -- --endpoint http://127.0.0.1:5000
//! ```

use std::time::Duration;

use privkit::envelope::{AsyncOpener, AsyncSealer, CacheLimits};
use privkit::secret::SecretString;
use privkit_aws_kms::{KmsKek, KmsKekBuilder};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn usage() -> BoxError {
    "usage: kms_envelope [--endpoint URL] [--region REGION] [KEY_ID | ARN | alias/NAME]".into()
}

fn main() -> Result<(), BoxError> {
    let mut endpoint = None;
    let mut region = None;
    let mut key_id = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--endpoint" => endpoint = Some(args.next().ok_or_else(usage)?),
            "--region" => region = Some(args.next().ok_or_else(usage)?),
            "-h" | "--help" => return Err(usage()),
            _ if key_id.is_none() => key_id = Some(arg),
            _ => return Err(usage()),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(endpoint, region, key_id))
}

fn configure(key: &str, endpoint: Option<&str>, region: Option<&str>) -> KmsKekBuilder {
    let mut builder = KmsKek::builder(key)
        .timeout(Duration::from_secs(10))
        .max_attempts(3);
    if let Some(region) = region {
        builder = builder.region(region);
    }
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            // A local test endpoint: dummy credentials.
            builder = builder.static_credentials("testing", SecretString::new("testing".into()));
        }
        if region.is_none() && std::env::var_os("AWS_REGION").is_none() {
            builder = builder.region("us-east-1");
        }
    }
    builder
}

async fn run(
    endpoint: Option<String>,
    region: Option<String>,
    key_id: Option<String>,
) -> Result<(), BoxError> {
    let (endpoint, region) = (endpoint.as_deref(), region.as_deref());
    let key_id = match key_id {
        Some(id) => id,
        None if endpoint.is_some() => {
            let admin = configure("unused", endpoint, region).build().await?;
            let created = admin
                .client()
                .create_key()
                .description("privkit kms_envelope example")
                .send()
                .await?;
            let id = created
                .key_metadata()
                .map(|m| m.key_id().to_owned())
                .ok_or("CreateKey returned no key")?;
            println!("created KMS key {id} at {}", endpoint.unwrap_or_default());
            id
        }
        None => return Err(usage()),
    };

    let kek = std::sync::Arc::new(configure(&key_id, endpoint, region).build().await?);
    // Reuse a data key for up to 1,000 messages or 5 minutes: one KMS call, not 1,000.
    let sealer = AsyncSealer::new(kek.clone()).with_cache(CacheLimits::new(
        1000,
        1 << 30,
        Duration::from_secs(300),
    )?);
    let opener = AsyncOpener::new(kek);

    let record = br#"{"customer": 42, "iban": "DE89370400440532013000"}"#;
    let envelope = sealer.seal(record, b"customers/42").await?;
    println!(
        "sealed {} bytes into a {}-byte envelope under {key_id}",
        record.len(),
        envelope.len()
    );
    let opened = opener.open(&envelope, b"customers/42").await?;
    assert_eq!(opened, record);
    println!("opened: {}", String::from_utf8_lossy(&opened));
    match opener.open(&envelope, b"customers/43").await {
        Err(e) => println!("with another record's context: {e}"),
        Ok(_) => return Err("opened under the wrong context".into()),
    }
    Ok(())
}
