//! Pseudonymize and anonymize a Parquet file with SQL.
//!
//! Writes a small Parquet file of people to a temporary directory, registers privkit's
//! functions with a DataFusion session, replaces e-mail addresses by keyed pseudonyms and
//! card numbers by format-preserving ciphertexts, finds the optimal 3-anonymous
//! generalization of (age, zip) with the search running as GROUP BY queries on the file, and
//! writes the anonymized table with SQL.
//!
//! `cargo run -p privkit-datafusion --example datafusion_sql`

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::error::DataFusionError;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use privkit::anon::{AnonymizationConfig, AttributeRole, Hierarchy, Metric, PrivacyModel};
use privkit::pseudonym::{
    Alphabet, FormatPreserving, KeyRing, KeyedConfig, KeyedPseudonymizer, RootKey,
};
use privkit::secret::SecretBytes;
use privkit_datafusion::{DataFusionEngine, PrivkitRegistry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir =
        std::env::temp_dir().join(format!("privkit-datafusion-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("people.parquet");

    // 1. A Parquet file (in practice: your data lake).
    let ages = ["34", "36", "35", "52", "55", "58", "23", "27", "29", "41"];
    let zips = [
        "81675", "81677", "81670", "81931", "81934", "81939", "80331", "80335", "80339", "81675",
    ];
    let text = |v: Vec<String>| Arc::new(StringArray::from(v)) as ArrayRef;
    let n = ages.len();
    let schema = Arc::new(Schema::new(vec![
        Field::new("email", DataType::Utf8, false),
        Field::new("card", DataType::Utf8, false),
        Field::new("age", DataType::Utf8, false),
        Field::new("zip", DataType::Utf8, false),
        Field::new("diagnosis", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            text((0..n).map(|i| format!("person{i}@example.com")).collect()),
            text(
                (0..n)
                    .map(|i| format!("4111-1111-1111-{:04}", 1000 + i))
                    .collect(),
            ),
            text(ages.iter().map(|s| (*s).to_owned()).collect()),
            text(zips.iter().map(|s| (*s).to_owned()).collect()),
            text(
                (0..n)
                    .map(|i| ["flu", "cold", "asthma"][i % 3].to_owned())
                    .collect(),
            ),
        ],
    )?;
    let mut writer = ArrowWriter::try_new(std::fs::File::create(&input)?, schema, None)?;
    writer.write(&batch)?;
    writer.close()?;

    // 2. Keys and hierarchies, built in Rust and registered by name. SQL never sees a key.
    let keys = KeyRing::new(RootKey::new(1, &SecretBytes::random(32)?)?);
    let age = Hierarchy::numeric_intervals(&ages, 0, 100, &[10, 50])?;
    let zip = Hierarchy::masking(&zips, '*')?;
    let ctx = SessionContext::new();
    PrivkitRegistry::new()
        .with_pseudonymizer(
            "email",
            KeyedPseudonymizer::new(keys.primary(), "email", KeyedConfig::default())?,
        )?
        .with_format_preserving(
            "card",
            FormatPreserving::new(keys.primary(), "card", &Alphabet::Digits)?,
        )?
        .with_hierarchy("age", age.clone())?
        .with_hierarchy("zip", zip.clone())?
        .register(&ctx);
    let runtime = tokio::runtime::Builder::new_multi_thread().build()?;
    runtime.block_on(ctx.register_parquet(
        "people",
        input.to_str().unwrap_or_default(),
        ParquetReadOptions::default(),
    ))?;

    // 3. Pseudonymize with SQL, write Parquet.
    let pseudonymized = runtime.block_on(async {
        let df = ctx
            .sql(
                "SELECT privkit_pseudonymize('email', email) AS email, \
                 privkit_ff1_encrypt('card', card) AS card, age, zip, diagnosis FROM people",
            )
            .await?;
        df.clone()
            .write_parquet(
                dir.join("pseudonymized").to_str().unwrap_or_default(),
                DataFrameWriteOptions::new(),
                None,
            )
            .await?;
        df.limit(0, Some(3))?.collect().await
    })?;
    println!(
        "pseudonymized (first rows):\n{}",
        pretty_format_batches(&pseudonymized)?
    );

    // 4. The optimal 3-anonymous generalization, searched with GROUP BY queries on the file.
    let config = AnonymizationConfig::new()
        .hierarchy("age", age)
        .hierarchy("zip", zip)
        .model(PrivacyModel::KAnonymity { k: 3 })
        .suppression_limit(0.1)
        .metric(Metric::Loss);
    let roles = [
        ("age", AttributeRole::QuasiIdentifying),
        ("zip", AttributeRole::QuasiIdentifying),
        ("diagnosis", AttributeRole::Sensitive),
    ];
    let mut anonymizer = DataFusionEngine::anonymizer(&ctx, "people", &roles, &config)?;
    let result = anonymizer.optimal()?;
    let optimum = result.optimum.ok_or("no 3-anonymous generalization")?;
    println!(
        "optimum: levels {:?} (age, zip), {} records suppressed, {} of {} transformations evaluated",
        optimum.levels, optimum.suppressed, result.checked, result.lattice_size
    );

    // 5. Apply it with SQL: generalize, then suppress the classes smaller than k.
    let (a, z) = (optimum.levels[0], optimum.levels[1]);
    let sql = format!(
        "SELECT age, zip, diagnosis FROM ( \
           SELECT privkit_generalize('age', age, {a}) AS age, privkit_generalize('zip', zip, {z}) AS zip, \
                  diagnosis, COUNT(*) OVER (PARTITION BY privkit_generalize('age', age, {a}), \
                                                        privkit_generalize('zip', zip, {z})) AS class_size \
           FROM people) WHERE class_size >= 3 ORDER BY age, zip"
    );
    let anonymized = runtime.block_on(async {
        let df = ctx.sql(&sql).await?;
        df.clone()
            .write_parquet(
                dir.join("anonymized").to_str().unwrap_or_default(),
                DataFrameWriteOptions::new(),
                None,
            )
            .await?;
        df.collect().await
    })?;
    println!("anonymized:\n{}", pretty_format_batches(&anonymized)?);

    // Unknown names are refused before any row is read.
    let err = runtime
        .block_on(ctx.sql("SELECT privkit_pseudonymize('phone', email) FROM people"))
        .map(|_| ())
        .map_err(|e: DataFusionError| e.to_string());
    println!("unknown name: {err:?}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
