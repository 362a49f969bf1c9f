//! privkit in DataFusion: the SQL functions (detection and redaction included) give
//! byte-for-byte the results of the in-memory APIs (in-memory tables and Parquet files), bad
//! names and arguments fail at planning time, and the k-anonymity search over DataFusion finds
//! the in-memory engine's optimum on Adult.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use privkit::anon::{
    AnonymizationConfig, Anonymizer, AttributeRole, EmdDistance, Hierarchy, Metric, PrivacyModel,
};
use privkit::detect::{EntityType, Finding, Operator, Redactor, Scanner, char_spans};
use privkit::keyset::{Aad, Encrypted, Keyset};
use privkit::pseudonym::{
    Alphabet, FormatPreserving, KeyRing, KeyedConfig, KeyedPseudonymizer, RootKey, Tokenizer,
    mask_email, mask_keep, mask_phone,
};
use privkit::secret::SecretBytes;
use privkit::{Algorithm, Error};
use privkit_datafusion::{DataFusionEngine, PrivkitRegistry, to_privkit_error};
use proptest::prelude::*;

mod common;
use common::{TempDir, adult, adult_batch, adult_roles, write_parquet};

struct Fixture {
    pseudonymizer: KeyedPseudonymizer,
    tokenizer: Tokenizer,
    ff1: FormatPreserving,
    hierarchy: Hierarchy,
    keyset: Keyset,
}

fn fixture() -> Fixture {
    let keys = KeyRing::new(RootKey::new(7, &SecretBytes::new(vec![42u8; 32])).unwrap());
    let ages: Vec<String> = (0..100).map(|a| a.to_string()).collect();
    Fixture {
        pseudonymizer: KeyedPseudonymizer::new(keys.primary(), "email", KeyedConfig::default())
            .unwrap(),
        tokenizer: Tokenizer::new(keys.primary(), "ssn").unwrap(),
        ff1: FormatPreserving::new(keys.primary(), "card", &Alphabet::Digits).unwrap(),
        hierarchy: Hierarchy::numeric_intervals(&ages, 0, 100, &[10, 50]).unwrap(),
        keyset: Keyset::generate(Algorithm::Aes256Gcm).unwrap(),
    }
}

fn context(f: &Fixture) -> SessionContext {
    let ctx = SessionContext::new();
    register(f, &ctx);
    ctx
}

fn register(f: &Fixture, ctx: &SessionContext) {
    PrivkitRegistry::new()
        .with_pseudonymizer("email", f.pseudonymizer.clone())
        .unwrap()
        .with_tokenizer("ssn", Tokenizer::new(&root(), "ssn").unwrap())
        .unwrap()
        .with_format_preserving(
            "card",
            FormatPreserving::new(&root(), "card", &Alphabet::Digits).unwrap(),
        )
        .unwrap()
        .with_hierarchy("age", f.hierarchy.clone())
        .unwrap()
        .with_keyset("fields", f.keyset.clone())
        .unwrap()
        .register(ctx);
}

fn root() -> RootKey {
    RootKey::new(7, &SecretBytes::new(vec![42u8; 32])).unwrap()
}

/// People: e-mail, SSN, card, phone, age, id; row 3 has a NULL e-mail.
fn people(n: usize) -> RecordBatch {
    let text = |f: &dyn Fn(usize) -> Option<String>| -> ArrayRef {
        Arc::new((0..n).map(f).collect::<StringArray>())
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("email", DataType::Utf8, true),
        Field::new("ssn", DataType::Utf8, false),
        Field::new("card", DataType::Utf8, false),
        Field::new("phone", DataType::Utf8, false),
        Field::new("age", DataType::Utf8, false),
        Field::new("id", DataType::Utf8, false),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            text(&|i| (i != 3).then(|| format!("User{i}@Example.com "))),
            text(&|i| Some(format!("{:03}-{:02}-{:04}", i % 1000, i % 100, i))),
            text(&|i| {
                Some(format!(
                    "4111-{:04}-{:04}-1111",
                    i % 10_000,
                    (i * 7) % 10_000
                ))
            }),
            text(&|i| Some(format!("+44 20 7946 {:04}", i % 10_000))),
            text(&|i| Some(((i * 37) % 100).to_string())),
            text(&|i| Some(i.to_string())),
        ],
    )
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Runs `sql` and returns every column as text or binary values, row order kept.
fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<Vec<Option<Vec<u8>>>>, DataFusionError> {
    let batches = runtime().block_on(async { ctx.sql(sql).await?.collect().await })?;
    let width = batches.first().map_or(0, RecordBatch::num_columns);
    let mut out = vec![Vec::new(); width];
    for batch in &batches {
        for (c, column) in batch.columns().iter().enumerate() {
            for i in 0..column.len() {
                let v = column.is_valid(i).then(|| match column.data_type() {
                    DataType::Binary => column.as_binary::<i32>().value(i).to_vec(),
                    DataType::Utf8View => column.as_string_view().value(i).as_bytes().to_vec(),
                    _ => column.as_string::<i32>().value(i).as_bytes().to_vec(),
                });
                out[c].push(v);
            }
        }
    }
    Ok(out)
}

fn text(column: &[Option<Vec<u8>>]) -> Vec<Option<String>> {
    column
        .iter()
        .map(|v| v.as_ref().map(|b| String::from_utf8(b.clone()).unwrap()))
        .collect()
}

fn column(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let c = batch.column_by_name(name).unwrap().as_string::<i32>();
    (0..c.len())
        .map(|i| c.is_valid(i).then(|| c.value(i).to_owned()))
        .collect()
}

const ALL_FUNCTIONS: &str = "SELECT \
    privkit_pseudonymize('email', email) AS p, \
    privkit_tokenize('ssn', ssn) AS t, \
    privkit_ff1_encrypt('card', card) AS f, \
    privkit_mask_keep(card, 0, 4) AS mk, \
    privkit_mask_email(COALESCE(email, 'x@y')) AS me, \
    privkit_mask_phone(phone, 4) AS mp, \
    privkit_generalize('age', age, 1) AS g1, \
    privkit_generalize('age', age, 2) AS g2 \
    FROM people ORDER BY CAST(id AS BIGINT)";

/// Every text function against the in-memory batch APIs, value for value.
fn check_all_functions(f: &Fixture, ctx: &SessionContext, batch: &RecordBatch) {
    let out = query(ctx, ALL_FUNCTIONS).unwrap();
    let emails = column(batch, "email");
    let present: Vec<&str> = emails.iter().flatten().map(String::as_str).collect();
    let mut expected = f.pseudonymizer.pseudonymize_batch(&present).into_iter();
    let p: Vec<Option<String>> = emails
        .iter()
        .map(|e| e.as_ref().map(|_| expected.next().unwrap()))
        .collect();
    assert_eq!(text(&out[0]), p);
    assert_eq!(text(&out[0])[3], None, "NULL stays NULL");

    let ssn: Vec<String> = column(batch, "ssn").into_iter().flatten().collect();
    let tokens = f.tokenizer.tokenize_batch(&ssn).unwrap();
    assert_eq!(
        text(&out[1]),
        tokens.into_iter().map(Some).collect::<Vec<_>>()
    );

    let cards: Vec<String> = column(batch, "card").into_iter().flatten().collect();
    let enc = f.ff1.encrypt_batch(&cards).unwrap();
    assert_eq!(text(&out[2]), enc.into_iter().map(Some).collect::<Vec<_>>());
    let masked: Vec<Option<String>> = cards.iter().map(|c| Some(mask_keep(c, 0, 4))).collect();
    assert_eq!(text(&out[3]), masked);

    let me: Vec<Option<String>> = emails
        .iter()
        .map(|e| Some(mask_email(e.as_deref().unwrap_or("x@y")).unwrap()))
        .collect();
    assert_eq!(text(&out[4]), me);
    let phones: Vec<Option<String>> = column(batch, "phone")
        .iter()
        .map(|p| Some(mask_phone(p.as_deref().unwrap(), 4)))
        .collect();
    assert_eq!(text(&out[5]), phones);

    let ages = column(batch, "age");
    for (level, col) in [(1, &out[6]), (2, &out[7])] {
        let g: Vec<Option<String>> = ages
            .iter()
            .map(|a| {
                Some(
                    f.hierarchy
                        .generalize(a.as_deref().unwrap(), level)
                        .unwrap()
                        .to_owned(),
                )
            })
            .collect();
        assert_eq!(text(col), g);
    }
}

#[test]
fn sql_equals_in_memory_apis_on_a_memory_table() {
    let f = fixture();
    let ctx = context(&f);
    let batch = people(1000);
    ctx.register_batch("people", batch.clone()).unwrap();
    check_all_functions(&f, &ctx, &batch);
}

#[test]
fn sql_equals_in_memory_apis_on_parquet() {
    let f = fixture();
    let ctx = context(&f);
    let dir = TempDir::new("udf");
    let path = dir.0.join("people.parquet");
    let batch = people(5000);
    // Several batches, several row groups' worth of data.
    let parts: Vec<RecordBatch> = (0..5).map(|i| batch.slice(i * 1000, 1000)).collect();
    write_parquet(&path, &parts);
    runtime()
        .block_on(ctx.register_parquet(
            "people",
            path.to_str().unwrap(),
            ParquetReadOptions::default(),
        ))
        .unwrap();
    check_all_functions(&f, &ctx, &batch);
}

#[test]
fn reversible_functions_round_trip() {
    let f = fixture();
    let ctx = context(&f);
    ctx.register_batch("people", people(300)).unwrap();
    let out = query(
        &ctx,
        "SELECT ssn, privkit_detokenize('ssn', privkit_tokenize('ssn', ssn)), \
         card, privkit_ff1_decrypt('card', privkit_ff1_encrypt('card', card)) FROM people",
    )
    .unwrap();
    assert_eq!(out[0], out[1]);
    assert_eq!(out[2], out[3]);
}

#[test]
fn field_encryption_binds_other_columns() {
    let f = fixture();
    let ctx = context(&f);
    let batch = people(200);
    ctx.register_batch("people", batch.clone()).unwrap();
    let out = query(
        &ctx,
        "SELECT privkit_encrypt('fields', ssn, 'table', 'people', 'id', id) FROM people ORDER BY CAST(id AS BIGINT)",
    )
    .unwrap();
    let ids = column(&batch, "id");
    let ssn = column(&batch, "ssn");
    for (i, ct) in out[0].iter().enumerate() {
        let id = ids[i].as_deref().unwrap();
        let aad = Aad::new().with("table", "people").with("id", id);
        let field = Encrypted::<String>::from_ciphertext(ct.clone().unwrap());
        assert_eq!(
            &field.decrypt(&f.keyset, aad.as_bytes()).unwrap(),
            ssn[i].as_ref().unwrap()
        );
        // Another row's associated data does not open it.
        let other = Aad::new()
            .with("table", "people")
            .with("id", format!("{id}0"));
        assert!(matches!(
            field.decrypt(&f.keyset, other.as_bytes()),
            Err(Error::DecryptionFailed)
        ));
    }
    // Ciphertexts made in memory decrypt in SQL, with the same associated data.
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("ct", DataType::Binary, false),
    ]));
    let cts: Vec<Vec<u8>> = (0..50)
        .map(|i| {
            let aad = Aad::new().with("id", i.to_string());
            Encrypted::encrypt(&f.keyset, &format!("secret {i}"), aad.as_bytes())
                .unwrap()
                .ciphertext()
                .to_vec()
        })
        .collect();
    let ids: Vec<String> = (0..50).map(|i: i32| i.to_string()).collect();
    let sealed = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(ids)),
            Arc::new(datafusion::arrow::array::BinaryArray::from_iter_values(
                &cts,
            )),
        ],
    )
    .unwrap();
    ctx.register_batch("sealed", sealed).unwrap();
    let out = query(
        &ctx,
        "SELECT CAST(privkit_decrypt('fields', ct, 'id', id) AS VARCHAR) FROM sealed ORDER BY CAST(id AS INT)",
    )
    .unwrap();
    let expected: Vec<Option<String>> = (0..50).map(|i| Some(format!("secret {i}"))).collect();
    assert_eq!(text(&out[0]), expected);
    // The wrong label: an execution error that is privkit's opaque decryption failure.
    let err = query(
        &ctx,
        "SELECT privkit_decrypt('fields', ct, 'row', id) FROM sealed",
    )
    .unwrap_err();
    assert!(matches!(to_privkit_error(err), Error::DecryptionFailed));
}

/// Planning errors: `ctx.sql` itself fails, before any data is read.
fn plan_error(ctx: &SessionContext, sql: &str) -> String {
    let err = runtime().block_on(ctx.sql(sql)).map(|_| ()).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(to_privkit_error(err), Error::InvalidArgument(_)),
        "{sql}: {message}"
    );
    message
}

#[test]
fn fail_unknown_names_and_bad_literals_are_planning_errors() {
    let f = fixture();
    let ctx = context(&f);
    ctx.register_batch("people", people(10)).unwrap();
    let m = plan_error(
        &ctx,
        "SELECT privkit_pseudonymize('nope', email) FROM people",
    );
    assert!(m.contains("'nope' is not registered"), "{m}");
    // Each kind has its own namespace: a tokenizer name is not a pseudonymizer.
    plan_error(
        &ctx,
        "SELECT privkit_pseudonymize('ssn', email) FROM people",
    );
    plan_error(&ctx, "SELECT privkit_tokenize('email', ssn) FROM people");
    plan_error(&ctx, "SELECT privkit_detokenize('card', ssn) FROM people");
    plan_error(&ctx, "SELECT privkit_ff1_encrypt('ssn', card) FROM people");
    plan_error(&ctx, "SELECT privkit_encrypt('nope', ssn) FROM people");
    let m = plan_error(&ctx, "SELECT privkit_generalize('zip', age, 1) FROM people");
    assert!(m.contains("'zip' is not registered"), "{m}");
    let m = plan_error(&ctx, "SELECT privkit_generalize('age', age, 4) FROM people");
    assert!(m.contains("out of range"), "{m}");
    plan_error(
        &ctx,
        "SELECT privkit_generalize('age', age, -1) FROM people",
    );
    // Names must be literals: never key material or names from the data.
    plan_error(
        &ctx,
        "SELECT privkit_pseudonymize(email, email) FROM people",
    );
    plan_error(
        &ctx,
        "SELECT privkit_generalize('age', age, CAST(id AS BIGINT)) FROM people",
    );
    plan_error(&ctx, "SELECT privkit_mask_keep(card, id, 4) FROM people");
    plan_error(
        &ctx,
        "SELECT privkit_encrypt('fields', ssn, id, id) FROM people",
    );
    // Arity.
    plan_error(&ctx, "SELECT privkit_pseudonymize('email') FROM people");
    plan_error(&ctx, "SELECT privkit_mask_email(email, 1) FROM people");
    plan_error(
        &ctx,
        "SELECT privkit_encrypt('fields', ssn, 'id') FROM people",
    );
}

#[test]
fn fail_bad_data_is_an_execution_error_with_privkit_error() {
    let f = fixture();
    let ctx = context(&f);
    ctx.register_batch("people", people(10)).unwrap();
    let err = query(
        &ctx,
        "SELECT privkit_detokenize('ssn', 'AQAAAAdub3RhdG9rZW4') FROM people",
    )
    .unwrap_err();
    assert!(matches!(
        to_privkit_error(err),
        Error::DecryptionFailed | Error::Malformed(_)
    ));
    let err = query(
        &ctx,
        "SELECT privkit_ff1_encrypt('card', email) FROM people",
    )
    .unwrap_err();
    assert!(matches!(to_privkit_error(err), Error::InvalidArgument(_)));
    let err = query(
        &ctx,
        "SELECT privkit_generalize('age', age || 'x', 1) FROM people",
    )
    .unwrap_err();
    assert!(matches!(to_privkit_error(err), Error::InvalidArgument(_)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn sql_pseudonyms_and_tokens_equal_in_memory(values in proptest::collection::vec(".{0,40}", 1..40)) {
        let f = fixture();
        let ctx = context(&f);
        let ids: Vec<String> = (0..values.len()).map(|i| i.to_string()).collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("v", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(schema, vec![
            Arc::new(StringArray::from(ids)),
            Arc::new(StringArray::from(values.clone())),
        ]).unwrap();
        ctx.register_batch("t", batch).unwrap();
        let out = query(&ctx, "SELECT privkit_pseudonymize('email', v), privkit_tokenize('ssn', v), \
            privkit_detokenize('ssn', privkit_tokenize('ssn', v)) FROM t ORDER BY CAST(id AS INT)").unwrap();
        let p: Vec<Option<String>> = f.pseudonymizer.pseudonymize_batch(&values).into_iter().map(Some).collect();
        prop_assert_eq!(text(&out[0]), p);
        let t: Vec<Option<String>> = f.tokenizer.tokenize_batch(&values).unwrap().into_iter().map(Some).collect();
        prop_assert_eq!(text(&out[1]), t);
        let back: Vec<Option<String>> = values.iter().cloned().map(Some).collect();
        prop_assert_eq!(text(&out[2]), back);
    }
}

// ---- k-anonymity over DataFusion -------------------------------------------------------------

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The optimal search through DataFusion finds the in-memory optimum: same levels, same
/// suppression, same class statistics and the same metrics (up to summation order).
fn compare_with_in_memory(
    ctx: &SessionContext,
    rows: usize,
    models: Vec<PrivacyModel>,
    suppression: f64,
    metric: Metric,
) {
    let table = "adult";
    let (_, mut memory_table) = adult_batch(rows);
    let mut config = AnonymizationConfig::new()
        .suppression_limit(suppression)
        .metric(metric);
    for m in models {
        config = config.model(m);
    }
    let config = adult::roles(&mut memory_table, config, false).unwrap();
    let expected = Anonymizer::new(&memory_table, &config)
        .unwrap()
        .optimal()
        .unwrap();
    let mut df = DataFusionEngine::anonymizer(ctx, table, &adult_roles(), &config).unwrap();
    let got = df.optimal().unwrap();
    assert!(
        got.table.is_none(),
        "no in-memory output for a DataFusion table"
    );
    assert_eq!(got.lattice_size, expected.lattice_size);
    let (e, g) = (expected.optimum.unwrap(), got.optimum.unwrap());
    assert_eq!(g.levels, e.levels);
    assert_eq!(g.anonymous, e.anonymous);
    assert_eq!(g.suppressed, e.suppressed);
    assert_eq!(g.classes.classes, e.classes.classes);
    assert_eq!(g.classes.suppressed_classes, e.classes.suppressed_classes);
    assert_eq!(
        (g.classes.min_size, g.classes.max_size),
        (e.classes.min_size, e.classes.max_size)
    );
    for m in [
        Metric::Entropy,
        Metric::Loss,
        Metric::Discernibility,
        Metric::Aecs,
        Metric::Precision,
    ] {
        assert!(
            close(g.metrics.get(m), e.metrics.get(m)),
            "{m:?}: {} vs {}",
            g.metrics.get(m),
            e.metrics.get(m)
        );
    }
    // The same pruning: the same number of transformations evaluated.
    assert_eq!(got.checked, expected.checked);
    // Every other level vector evaluates alike too (a sample).
    for levels in [
        vec![0; 8],
        vec![1, 1, 0, 1, 1, 1, 1, 1],
        vec![1, 3, 1, 2, 3, 2, 2, 1],
    ] {
        let levels: Vec<usize> = levels
            .iter()
            .zip(df.heights())
            .map(|(l, h)| (*l).min(h - 1))
            .collect();
        let a = Anonymizer::new(&memory_table, &config)
            .unwrap()
            .evaluate(&levels)
            .unwrap();
        let b = df.evaluate(&levels).unwrap();
        assert_eq!(
            (a.anonymous, a.suppressed, a.classes.classes),
            (b.anonymous, b.suppressed, b.classes.classes)
        );
    }
    assert!(matches!(
        df.apply(&g.levels),
        Err(Error::InvalidOperation(_))
    ));
}

/// Adult has 30,162 records.
const ADULT: usize = 30_162;

fn adult_context(rows: usize) -> SessionContext {
    let (batch, _) = adult_batch(rows);
    let ctx = SessionContext::new();
    ctx.register_batch("adult", batch).unwrap();
    ctx
}

// Each transformation the search evaluates is a query; unoptimized DataFusion takes some 50 ms
// per query on the whole of Adult, so the searches that evaluate over a thousand transformations
// (record suppression) run on the first records only.

#[test]
fn adult_k_anonymity_same_optimum_as_in_memory() {
    let ctx = adult_context(ADULT);
    compare_with_in_memory(
        &ctx,
        ADULT,
        vec![PrivacyModel::KAnonymity { k: 5 }],
        0.0,
        Metric::Loss,
    );
}

#[test]
fn adult_l_diversity_same_optimum_as_in_memory() {
    let ctx = adult_context(ADULT);
    let models = vec![
        PrivacyModel::KAnonymity { k: 3 },
        PrivacyModel::DistinctLDiversity {
            attribute: "occupation".into(),
            l: 3,
        },
    ];
    compare_with_in_memory(&ctx, ADULT, models, 0.0, Metric::Entropy);
}

#[test]
fn adult_t_closeness_same_optimum_as_in_memory() {
    let ctx = adult_context(ADULT);
    let models = vec![PrivacyModel::TCloseness {
        attribute: "occupation".into(),
        t: 0.2,
        distance: EmdDistance::Equal,
    }];
    compare_with_in_memory(&ctx, ADULT, models, 0.0, Metric::Discernibility);
}

#[test]
fn adult_with_suppression_same_optimum_as_in_memory() {
    let rows = 1_000;
    let ctx = adult_context(rows);
    compare_with_in_memory(
        &ctx,
        rows,
        vec![PrivacyModel::KAnonymity { k: 5 }],
        0.02,
        Metric::Loss,
    );
}

/// Adult as Parquet files, read through a session with a memory-limited pool (8 MiB, with the
/// default disk manager for spilling): the same answer.
#[test]
fn adult_from_parquet_with_a_memory_limit() {
    let (batch, _) = adult_batch(ADULT);
    let dir = TempDir::new("adult");
    let path = dir.0.join("adult.parquet");
    let parts: Vec<RecordBatch> = (0..batch.num_rows())
        .step_by(4096)
        .map(|i| batch.slice(i, 4096.min(batch.num_rows() - i)))
        .collect();
    write_parquet(&path, &parts);
    let runtime_env = RuntimeEnvBuilder::new()
        .with_memory_limit(8 << 20, 1.0)
        .build_arc()
        .unwrap();
    let ctx = SessionContext::new_with_config_rt(
        SessionConfig::new().with_target_partitions(2),
        runtime_env,
    );
    runtime()
        .block_on(ctx.register_parquet(
            "adult",
            path.to_str().unwrap(),
            ParquetReadOptions::default(),
        ))
        .unwrap();
    compare_with_in_memory(
        &ctx,
        ADULT,
        vec![PrivacyModel::KAnonymity { k: 10 }],
        0.0,
        Metric::Discernibility,
    );
}

#[test]
fn fail_engine_rejects_unknown_tables_attributes_and_nulls() {
    let (batch, _) = adult_batch(100);
    let ctx = SessionContext::new();
    ctx.register_batch("adult", batch).unwrap();
    let config = AnonymizationConfig::new()
        .hierarchy("age", adult::hierarchy("age").unwrap())
        .model(PrivacyModel::KAnonymity { k: 2 });
    let age = [("age", AttributeRole::QuasiIdentifying)];
    assert!(matches!(
        DataFusionEngine::anonymizer(&ctx, "nope", &age, &config),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        DataFusionEngine::anonymizer(
            &ctx,
            "adult",
            &[("agee", AttributeRole::QuasiIdentifying)],
            &config
        ),
        Err(Error::InvalidArgument(_))
    ));
    // A quasi-identifier without a hierarchy, as in memory.
    assert!(matches!(
        DataFusionEngine::anonymizer(
            &ctx,
            "adult",
            &[("sex", AttributeRole::QuasiIdentifying)],
            &config
        ),
        Err(Error::InvalidArgument(_))
    ));
    let f = fixture();
    ctx.register_batch("people", people(10)).unwrap();
    let config = AnonymizationConfig::new()
        .hierarchy("email", Hierarchy::masking(&["a"], '*').unwrap())
        .model(PrivacyModel::KAnonymity { k: 2 });
    drop(f);
    let err = DataFusionEngine::anonymizer(
        &ctx,
        "people",
        &[("email", AttributeRole::QuasiIdentifying)],
        &config,
    )
    .unwrap_err();
    assert!(err.to_string().contains("NULL"), "{err}");
}

// ---- detection: privkit_detect and privkit_redact ----------------------------------------------

/// Support notes; every 7th row NULL, one non-ASCII template so that character and byte
/// offsets differ.
fn note(i: usize) -> Option<String> {
    (i % 7 != 3).then(|| match i % 5 {
        0 => format!(
            "Ticket {i} from Maria Garcia <maria.garcia{i}@example.com>, card 4111 1111 1111 1111"
        ),
        1 => format!(
            "call +44 20 7946 {:04} or see https://example.org/u/{i}",
            i % 10_000
        ),
        2 => format!("nothing personal in row {i}"),
        3 => format!(
            "login from 10.0.{}.{} by Maria Garcia, IBAN GB82 WEST 1234 5698 7654 32",
            i % 256,
            i % 7
        ),
        _ => format!("Grüße — schreib an jörg{i}@beispiel.de, Zürich"),
    })
}

/// The notes as one table of several batches, the same text as Utf8, LargeUtf8 and
/// Utf8View.
fn notes_table(ctx: &SessionContext, rows: usize, batch_rows: usize) -> Vec<Option<String>> {
    use datafusion::arrow::array::{LargeStringArray, StringViewArray};
    let notes: Vec<Option<String>> = (0..rows).map(note).collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("note", DataType::Utf8, true),
        Field::new("large", DataType::LargeUtf8, true),
        Field::new("view", DataType::Utf8View, true),
    ]));
    let batches: Vec<RecordBatch> = (0..rows)
        .step_by(batch_rows)
        .map(|start| {
            let range = start..(start + batch_rows).min(rows);
            let part = &notes[range.clone()];
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(datafusion::arrow::array::Int64Array::from_iter_values(
                        range.map(|i| i64::try_from(i).unwrap()),
                    )),
                    Arc::new(part.iter().cloned().collect::<StringArray>()),
                    Arc::new(part.iter().cloned().collect::<LargeStringArray>()),
                    Arc::new(part.iter().cloned().collect::<StringViewArray>()),
                ],
            )
            .unwrap()
        })
        .collect();
    assert!(batches.len() > 1);
    let table = datafusion::datasource::MemTable::try_new(schema, vec![batches]).unwrap();
    ctx.register_table("notes", Arc::new(table)).unwrap();
    notes
}

fn redactor() -> Redactor {
    Redactor::new(Operator::InstanceTag)
        .unwrap()
        .with(EntityType::CreditCard, Operator::Mask { keep_last: 4 })
}

fn detection_context(scanner: Scanner) -> SessionContext {
    let ctx = SessionContext::new();
    PrivkitRegistry::new()
        .with_detection(scanner, redactor())
        .register(&ctx);
    ctx
}

/// One finding as SQL returns it: type, start and end in Unicode scalar values, score.
type Row = (String, i64, i64, f32);

/// Runs `sql` whose first column is `privkit_detect`'s list, row order kept.
fn detections(ctx: &SessionContext, sql: &str) -> Vec<Option<Vec<Row>>> {
    use datafusion::arrow::array::{Float32Array, Int64Array, StructArray};
    let batches = runtime()
        .block_on(async { ctx.sql(sql).await?.collect().await })
        .unwrap();
    let mut out = Vec::new();
    for batch in &batches {
        let list = batch.column(0).as_list::<i32>();
        for i in 0..list.len() {
            if list.is_null(i) {
                out.push(None);
                continue;
            }
            let items = list.value(i);
            let items = items.as_any().downcast_ref::<StructArray>().unwrap();
            let types = items
                .column_by_name("entity_type")
                .unwrap()
                .as_string::<i32>();
            let int = |name: &str| {
                items
                    .column_by_name(name)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .clone()
            };
            let (starts, ends) = (int("start"), int("end"));
            let scores = items.column_by_name("score").unwrap();
            let scores = scores.as_any().downcast_ref::<Float32Array>().unwrap();
            out.push(Some(
                (0..items.len())
                    .map(|k| {
                        (
                            types.value(k).to_owned(),
                            starts.value(k),
                            ends.value(k),
                            scores.value(k),
                        )
                    })
                    .collect(),
            ));
        }
    }
    out
}

/// What the in-memory scanner reports for `text`, as `privkit_detect` spells it.
fn expected_rows(scanner: &Scanner, text: &str, only: &[EntityType]) -> Vec<Row> {
    let found: Vec<Finding> = scanner
        .scan(text)
        .into_iter()
        .filter(|f| only.is_empty() || only.contains(&f.entity))
        .collect();
    found
        .iter()
        .zip(char_spans(text, &found))
        .map(|(f, (s, e))| {
            (
                f.entity.name().to_owned(),
                i64::try_from(s).unwrap(),
                i64::try_from(e).unwrap(),
                f.score,
            )
        })
        .collect()
}

#[test]
fn detect_and_redact_equal_the_scanner_row_by_row() {
    let scanner = Scanner::new().unwrap();
    let ctx = detection_context(Scanner::new().unwrap());
    let notes = notes_table(&ctx, 500, 64);
    let expected: Vec<Option<Vec<Row>>> = notes
        .iter()
        .map(|n| n.as_deref().map(|t| expected_rows(&scanner, t, &[])))
        .collect();
    // Not vacuous: most rows have findings, of several types, and some offsets differ from
    // byte offsets.
    let found: Vec<&Row> = expected.iter().flatten().flatten().collect();
    assert!(found.len() > 500, "{}", found.len());
    for t in [
        "PERSON",
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
        "PHONE_NUMBER",
        "IBAN_CODE",
    ] {
        assert!(found.iter().any(|r| r.0 == t), "{t}");
    }
    assert!(notes.iter().any(Option::is_none));
    for column in ["note", "large", "view"] {
        let sql = format!("SELECT privkit_detect({column}) FROM notes ORDER BY id");
        assert_eq!(detections(&ctx, &sql), expected, "{column}");
    }

    let reference = redactor();
    let redacted: Vec<Option<String>> = notes
        .iter()
        .map(|n| {
            n.as_deref()
                .map(|t| reference.redact_text(&scanner, t).unwrap().text)
        })
        .collect();
    assert!(
        redacted
            .iter()
            .flatten()
            .any(|r| r.contains("<EMAIL_ADDRESS_1>"))
    );
    assert!(
        redacted
            .iter()
            .flatten()
            .any(|r| r.contains("***************1111"))
    );
    let out = query(
        &ctx,
        "SELECT privkit_redact(note), privkit_redact(large), privkit_redact(view) \
         FROM notes ORDER BY id",
    )
    .unwrap();
    for column in &out {
        assert_eq!(text(column), redacted);
    }
}

#[test]
fn detect_and_redact_filtered_by_entity_type() {
    let scanner = Scanner::new().unwrap();
    let ctx = detection_context(Scanner::new().unwrap());
    let notes = notes_table(&ctx, 200, 50);
    let only = [EntityType::EmailAddress, EntityType::CreditCard];
    let expected: Vec<Option<Vec<Row>>> = notes
        .iter()
        .map(|n| n.as_deref().map(|t| expected_rows(&scanner, t, &only)))
        .collect();
    assert!(
        expected
            .iter()
            .flatten()
            .flatten()
            .any(|r| r.0 == "CREDIT_CARD")
    );
    assert_eq!(
        detections(
            &ctx,
            "SELECT privkit_detect(note, 'EMAIL_ADDRESS', 'CREDIT_CARD') FROM notes ORDER BY id"
        ),
        expected
    );

    let reference = redactor();
    let redacted: Vec<Option<String>> = notes
        .iter()
        .map(|n| {
            n.as_deref().map(|t| {
                let found: Vec<Finding> = scanner
                    .scan(t)
                    .into_iter()
                    .filter(|f| f.entity == EntityType::EmailAddress)
                    .collect();
                reference.redact(t, &found).unwrap().text
            })
        })
        .collect();
    // Names stay when only e-mail addresses are redacted.
    assert!(
        redacted
            .iter()
            .flatten()
            .any(|r| r.contains("Maria Garcia <<EMAIL"))
    );
    let out = query(
        &ctx,
        "SELECT privkit_redact(note, 'EMAIL_ADDRESS') FROM notes ORDER BY id",
    )
    .unwrap();
    assert_eq!(text(&out[0]), redacted);

    // The list unnests into rows a query filters on: the e-mail findings, by row.
    let batches = runtime()
        .block_on(async {
            ctx.sql(
                "SELECT id, get_field(f, 'start') AS s, get_field(f, 'end') AS e FROM \
                 (SELECT id, unnest(privkit_detect(note)) AS f FROM notes) \
                 WHERE get_field(f, 'entity_type') = 'EMAIL_ADDRESS' ORDER BY id, s",
            )
            .await?
            .collect()
            .await
        })
        .unwrap();
    let mut got = Vec::new();
    for b in &batches {
        let ids = b
            .column(0)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let s = b
            .column(1)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let e = b
            .column(2)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        for k in 0..b.num_rows() {
            got.push((ids.value(k), s.value(k), e.value(k)));
        }
    }
    let want: Vec<(i64, i64, i64)> = notes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| Some((i, n.as_deref()?)))
        .flat_map(|(i, t)| {
            expected_rows(&scanner, t, &[EntityType::EmailAddress])
                .into_iter()
                .map(move |r| (i64::try_from(i).unwrap(), r.1, r.2))
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn fail_bad_detection_arguments_are_planning_errors() {
    let ctx = detection_context(
        Scanner::builder()
            .only(&[EntityType::EmailAddress, EntityType::Person])
            .build()
            .unwrap(),
    );
    notes_table(&ctx, 20, 8);
    for f in ["privkit_detect", "privkit_redact"] {
        let m = plan_error(&ctx, &format!("SELECT {f}() FROM notes"));
        assert!(m.contains("got no arguments"), "{m}");
        let m = plan_error(&ctx, &format!("SELECT {f}(note, 'not a type') FROM notes"));
        assert!(m.contains("upper snake case"), "{m}");
        // A type the registered scanner never reports.
        let m = plan_error(&ctx, &format!("SELECT {f}(note, 'CREDIT_CARD') FROM notes"));
        assert!(m.contains("does not detect 'CREDIT_CARD'"), "{m}");
        // Entity types are literals, never values from the data.
        let m = plan_error(&ctx, &format!("SELECT {f}(note, note) FROM notes"));
        assert!(m.contains("string literal"), "{m}");
        plan_error(&ctx, &format!("SELECT {f}(note, NULL) FROM notes"));
        plan_error(
            &ctx,
            &format!("SELECT {f}(note, 'EMAIL_ADDRESS', 1) FROM notes"),
        );
    }
    // Not registered without `with_detection`.
    let bare = context(&fixture());
    notes_table(&bare, 20, 8);
    plan_error(&bare, "SELECT privkit_redact(note) FROM notes");
}

#[test]
fn fail_an_operator_refusing_a_value_is_an_execution_error() {
    let ctx = SessionContext::new();
    let ff1 = FormatPreserving::new(&root(), "card", &Alphabet::Digits).unwrap();
    let redactor = Redactor::new(Operator::TypeTag)
        .unwrap()
        .with(EntityType::EmailAddress, Operator::Ff1(Arc::new(ff1)));
    PrivkitRegistry::new()
        .with_detection(Scanner::new().unwrap(), redactor)
        .register(&ctx);
    notes_table(&ctx, 20, 8);
    let err = query(&ctx, "SELECT privkit_redact(note) FROM notes").unwrap_err();
    assert!(
        matches!(to_privkit_error(err), Error::Field { .. }),
        "FF1 refuses the letters of an e-mail address"
    );
}

/// Pieces of text the generated notes are made of: findings, near misses and non-ASCII.
const FRAGMENTS: &[&str] = &[
    "ann@example.com",
    "ann@",
    "4111 1111 1111 1111",
    "4111 1111 1111 1112",
    "+44 20 7946 0958",
    "GB82 WEST 1234 5698 7654 32",
    "10.0.0.1",
    "Maria Garcia",
    "call",
    "card",
    "ZIP 94103",
    "Zürich",
    "—",
    "日本",
    " ",
    ", ",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn detect_and_redact_equal_the_scanner_on_generated_notes(
        notes in proptest::collection::vec(
            proptest::option::weighted(
                0.9,
                proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..8)
                    .prop_map(|parts| parts.join(" ")),
            ),
            1..24,
        )
    ) {
        let scanner = Scanner::new().unwrap();
        let ctx = detection_context(Scanner::new().unwrap());
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("note", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(schema, vec![
            Arc::new(datafusion::arrow::array::Int64Array::from_iter_values(
                (0..notes.len()).map(|i| i64::try_from(i).unwrap()),
            )),
            Arc::new(notes.iter().cloned().collect::<StringArray>()),
        ]).unwrap();
        ctx.register_batch("notes", batch).unwrap();
        let expected: Vec<Option<Vec<Row>>> = notes
            .iter()
            .map(|n| n.as_deref().map(|t| expected_rows(&scanner, t, &[])))
            .collect();
        prop_assert_eq!(
            detections(&ctx, "SELECT privkit_detect(note) FROM notes ORDER BY id"),
            expected
        );
        let reference = redactor();
        let redacted: Vec<Option<String>> = notes
            .iter()
            .map(|n| n.as_deref().map(|t| reference.redact_text(&scanner, t).unwrap().text))
            .collect();
        let out = query(&ctx, "SELECT privkit_redact(note) FROM notes ORDER BY id").unwrap();
        prop_assert_eq!(text(&out[0]), redacted);
    }
}
