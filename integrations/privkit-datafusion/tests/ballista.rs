//! privkit on an Apache Ballista 55 cluster on loopback: a scheduler and two executors (Ballista's
//! scheduler and executor crates, each listening on a port of its own on localhost), a client
//! session connected to the scheduler over gRPC, and Parquet tables split over several files.
//!
//! Every process builds its own `PrivkitRegistry` from the same key bytes and registers its
//! functions: the client to plan, the scheduler's session builder to decode the client's plans,
//! each executor's function registry to decode and run its tasks. Plans cross gRPC as protobuf,
//! so an executor runs the functions it registered itself, never the client's objects.
//!
//! Checked against the in-memory APIs: keyed pseudonyms, tokens, generalizations and
//! `privkit_redact` row by row, and the optimal k-anonymity search on Adult (same levels,
//! suppression, classes, metrics and number of transformations evaluated). An executor that
//! lacks the functions fails the query instead of running something else.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::BallistaCodec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::utils::default_session_builder;
use ballista_core::{ConfigProducer, RuntimeProducer};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use privkit::anon::{AnonymizationConfig, Anonymizer, Metric, PrivacyModel};
use privkit::detect::{Operator, Redactor, Scanner};
use privkit::pseudonym::{KeyRing, KeyedConfig, KeyedPseudonymizer, RootKey, Tokenizer};
use privkit::secret::SecretBytes;
use privkit_datafusion::{DataFusionEngine, PrivkitRegistry};

mod common;
use common::{TempDir, adult, adult_batch, adult_roles, text_column, write_parts};

/// The key material every process of the cluster loads (in production: from the same KMS or
/// secret store; here fixed bytes).
fn root() -> RootKey {
    RootKey::new(3, &SecretBytes::new(vec![7u8; 32])).unwrap()
}

fn pseudonymizer() -> KeyedPseudonymizer {
    let keys = KeyRing::new(root());
    KeyedPseudonymizer::new(keys.primary(), "email", KeyedConfig::default()).unwrap()
}

/// What each process registers: built anew in every process, from the key material alone.
fn privkit_udfs() -> Vec<Arc<ScalarUDF>> {
    registry().udfs()
}

fn registry() -> PrivkitRegistry {
    PrivkitRegistry::new()
        .with_pseudonymizer("email", pseudonymizer())
        .unwrap()
        .with_tokenizer("ssn", Tokenizer::new(&root(), "ssn").unwrap())
        .unwrap()
        .with_hierarchy("age", adult::hierarchy("age").unwrap())
        .unwrap()
        .with_detection(Scanner::new().unwrap(), redactor())
}

fn redactor() -> Redactor {
    Redactor::new(Operator::TypeTag).unwrap()
}

/// A scheduler and two executors on loopback; the executors register `executor_udfs`.
struct Cluster {
    runtime: tokio::runtime::Runtime,
    url: String,
}

impl Cluster {
    fn start(executor_udfs: fn() -> Vec<Arc<ScalarUDF>>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let url = runtime.block_on(async {
            let config_producer: ConfigProducer = Arc::new(SessionConfig::new_with_ballista);
            // The scheduler decodes the client's logical plans: it resolves privkit's
            // functions by name in the session its builder makes.
            let session_builder = Arc::new(|config: SessionConfig| {
                let mut state = default_session_builder(config)?;
                registry()
                    .register_with(&mut state)
                    .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
                Ok(state)
            });
            let address = ballista_scheduler::standalone::new_standalone_scheduler_with_builder(
                session_builder,
                Arc::clone(&config_producer),
                BallistaCodec::default(),
            )
            .await
            .unwrap();
            let scheduler = format!("http://localhost:{}", address.port());
            for _ in 0..2 {
                let mut client = None;
                for _ in 0..100 {
                    if let Ok(c) = SchedulerGrpcClient::connect(scheduler.clone()).await {
                        client = Some(c);
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                let client = client.expect("the scheduler answers");
                let runtime_producer: RuntimeProducer =
                    Arc::new(|_: &SessionConfig| Ok(Arc::new(RuntimeEnv::default())));
                let mut registry = BallistaFunctionRegistry::default();
                for udf in executor_udfs() {
                    registry.scalar_functions.insert(udf.name().to_owned(), udf);
                }
                ballista_executor::new_standalone_executor_from_builder(
                    client,
                    2,
                    Arc::clone(&config_producer),
                    runtime_producer,
                    BallistaCodec::default(),
                    registry,
                )
                .await
                .unwrap();
            }
            format!("df://localhost:{}", address.port())
        });
        Self { runtime, url }
    }

    /// A client session on the cluster, with privkit's functions for planning.
    fn client(&self) -> SessionContext {
        self.runtime.block_on(async {
            let state = SessionStateBuilder::new()
                .with_default_features()
                .with_config(SessionConfig::new_with_ballista().with_target_partitions(4))
                .build();
            // After `remote_with_state`, which replaces the state's function list by
            // Ballista's.
            let ctx = SessionContext::remote_with_state(&self.url, state)
                .await
                .unwrap();
            for udf in privkit_udfs() {
                ctx.register_udf(udf.as_ref().clone());
            }
            ctx
        })
    }

    fn sql(&self, ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Vec<RecordBatch>> {
        self.runtime
            .block_on(async { ctx.sql(sql).await?.collect().await })
    }

    fn register_parquet(&self, ctx: &SessionContext, name: &str, dir: &Path) {
        self.runtime
            .block_on(ctx.register_parquet(
                name,
                dir.to_str().unwrap(),
                ParquetReadOptions::default(),
            ))
            .unwrap();
    }
}

fn strings(batches: &[RecordBatch], column: usize) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let c = b.column(column);
            (0..c.len())
                .map(|i| match c.data_type() {
                    DataType::Utf8View => c.as_string_view().value(i).to_owned(),
                    _ => c.as_string::<i32>().value(i).to_owned(),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn pseudonymization_and_k_anonymity_on_ballista_equal_the_in_memory_api() {
    let cluster = Cluster::start(privkit_udfs);
    let ctx = cluster.client();

    // Pseudonyms, tokens and generalizations of 20,000 rows in 8 Parquet files.
    let n = 20_000;
    let people = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("email", DataType::Utf8, false),
            Field::new("ssn", DataType::Utf8, false),
            Field::new("age", DataType::Utf8, false),
        ])),
        vec![
            text_column((0..n).map(|i| i.to_string())),
            text_column((0..n).map(|i| format!("user{i}@example.org"))),
            text_column((0..n).map(|i| format!("{:03}-{:02}-{:04}", i % 1000, i % 100, i))),
            text_column((0..n).map(|i| (17 + i % 74).to_string())),
        ],
    )
    .unwrap();
    let dir = TempDir::new("people");
    write_parts(&dir.0, &people, 8);
    cluster.register_parquet(&ctx, "people", &dir.0);
    let out = cluster
        .sql(
            &ctx,
            "SELECT id, privkit_pseudonymize('email', email), privkit_tokenize('ssn', ssn), \
             privkit_generalize('age', age, 2), privkit_redact('mail ' || email || ' ok') \
             FROM people",
        )
        .unwrap();
    let (ids, pseudonyms, tokens, ages, redacted) = (
        strings(&out, 0),
        strings(&out, 1),
        strings(&out, 2),
        strings(&out, 3),
        strings(&out, 4),
    );
    assert_eq!(ids.len(), n);
    let p = pseudonymizer();
    let t = Tokenizer::new(&root(), "ssn").unwrap();
    let h = adult::hierarchy("age").unwrap();
    let (scanner, redactor) = (Scanner::new().unwrap(), redactor());
    for (k, id) in ids.iter().enumerate() {
        let i: usize = id.parse().unwrap();
        assert_eq!(
            pseudonyms[k],
            p.pseudonymize(&format!("user{i}@example.org"))
        );
        let ssn = format!("{:03}-{:02}-{:04}", i % 1000, i % 100, i);
        assert_eq!(t.detokenize_str(&tokens[k]).unwrap(), ssn);
        assert_eq!(
            Some(ages[k].as_str()),
            h.generalize(&(17 + i % 74).to_string(), 2)
        );
        let note = format!("mail user{i}@example.org ok");
        assert_eq!(
            redacted[k],
            redactor.redact_text(&scanner, &note).unwrap().text
        );
    }

    // The optimal search on Adult in 6 Parquet files: every transformation a Ballista job.
    let (batch, mut table) = adult_batch(usize::MAX);
    let dir = TempDir::new("adult");
    write_parts(&dir.0, &batch, 6);
    cluster.register_parquet(&ctx, "adult", &dir.0);
    let roles = adult_roles();
    // One search (k = 5, loss): each transformation costs a Ballista job of two stages, so the
    // l-diversity and t-closeness searches run on a local session only (tests/datafusion.rs),
    // through the same engine.
    {
        let config = AnonymizationConfig::new()
            .metric(Metric::Loss)
            .model(PrivacyModel::KAnonymity { k: 5 });
        let config = adult::roles(&mut table, config, false).unwrap();
        let expected = Anonymizer::new(&table, &config).unwrap().optimal().unwrap();
        let started = std::time::Instant::now();
        let mut remote = DataFusionEngine::anonymizer(&ctx, "adult", &roles, &config).unwrap();
        let got = remote.optimal().unwrap();
        eprintln!(
            "Ballista search: {} transformations evaluated in {:.1} s",
            got.checked,
            started.elapsed().as_secs_f64()
        );
        let (e, g) = (expected.optimum.unwrap(), got.optimum.unwrap());
        assert_eq!(g.levels, e.levels);
        assert_eq!((g.anonymous, g.suppressed), (e.anonymous, e.suppressed));
        assert_eq!(g.classes, e.classes);
        for m in [
            Metric::Entropy,
            Metric::Loss,
            Metric::Discernibility,
            Metric::Aecs,
        ] {
            let (a, b) = (g.metrics.get(m), e.metrics.get(m));
            assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                "{m:?}: {a} vs {b}"
            );
        }
        assert_eq!(got.checked, expected.checked);
        assert_eq!(got.lattice_size, expected.lattice_size);
    }
}

/// Executors with Ballista's functions only: the scheduler plans privkit's functions, but the
/// executors cannot decode them, and the query fails (it does not fall back to the client).
#[test]
fn fail_executors_without_privkit_functions_refuse_the_plan() {
    let cluster = Cluster::start(Vec::new);
    let ctx = cluster.client();
    let dir = TempDir::new("bare");
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(
            "email",
            DataType::Utf8,
            false,
        )])),
        vec![text_column((0..100).map(|i| format!("u{i}@example.org")))],
    )
    .unwrap();
    write_parts(&dir.0, &batch, 2);
    cluster.register_parquet(&ctx, "people", &dir.0);
    let err = cluster
        .sql(
            &ctx,
            "SELECT privkit_pseudonymize('email', email) FROM people",
        )
        .unwrap_err();
    assert!(err.to_string().contains("privkit_pseudonymize"), "{err}");
}
