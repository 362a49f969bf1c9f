//! Anonymizes a CSV file with the optimal full-domain generalization search (the default) or
//! Mondrian local recoding (`--method mondrian`).
//!
//! ```text
//! cargo run --release --features csv --example anonymize_csv -- --input FILE [--delimiter ';']
//!   --hierarchy ATTR=FILE ... [--sensitive ATTR] [--k K]
//!   [--l-diversity distinct:L|entropy:L|grassberger:L|recursive:C:L]
//!   [--t-closeness equal:T|ordered:T|hierarchical:T] --suppression FRACTION
//!   --metric entropy|entropy-monotonic|discernibility|discernibility-monotonic|loss --output FILE
//!   [--method optimal|mondrian] [--numeric ATTR ...] [--relaxed] [--risk]
//! ```
//!
//! Attributes with a hierarchy are quasi-identifiers, except the one named by `--sensitive`;
//! with `--method mondrian`, `--numeric ATTR` adds a numeric quasi-identifier split at medians
//! (no hierarchy needed), `--relaxed` selects relaxed Mondrian, and `--suppression`/`--metric`
//! are not needed. All other attributes are insensitive. `--risk` adds the sample-based
//! re-identification risk (threshold 0.2) of the input and the output as `"risk"` in the JSON.
//! Prints timings, then one JSON object as the last line; exits with status 2 when no
//! transformation satisfies the models.

use std::process::ExitCode;
use std::time::Instant;

use privkit::Error;
use privkit::anon::{
    AnonymizationConfig, Anonymizer, AttackerRisk, AttributeRole, EmdDistance, EntropyEstimator,
    Hierarchy, Metric, Mondrian, PrivacyModel, RiskSummary, Table,
};

struct Args {
    input: String,
    delimiter: char,
    hierarchies: Vec<(String, String)>,
    sensitive: Option<String>,
    k: Option<u32>,
    l_diversity: Option<String>,
    t_closeness: Option<String>,
    suppression: f64,
    metric: Metric,
    output: String,
    mondrian: bool,
    numeric: Vec<String>,
    relaxed: bool,
    risk: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut input, mut output, mut suppression, mut metric) = (None, None, None, None);
    let mut args = Args {
        input: String::new(),
        delimiter: ';',
        hierarchies: Vec::new(),
        sensitive: None,
        k: None,
        l_diversity: None,
        t_closeness: None,
        suppression: 0.0,
        metric: Metric::Entropy,
        output: String::new(),
        mondrian: false,
        numeric: Vec::new(),
        relaxed: false,
        risk: false,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--input" => input = Some(value()?),
            "--output" => output = Some(value()?),
            "--delimiter" => {
                let v = value()?;
                let mut chars = v.chars();
                args.delimiter = match (chars.next(), chars.next()) {
                    (Some(c), None) => c,
                    _ => return Err("--delimiter takes one character".into()),
                };
            }
            "--hierarchy" => {
                let v = value()?;
                let (a, f) = v.split_once('=').ok_or("--hierarchy takes ATTR=FILE")?;
                args.hierarchies.push((a.to_string(), f.to_string()));
            }
            "--sensitive" => args.sensitive = Some(value()?),
            "--k" => {
                args.k = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--k takes a positive integer")?,
                )
            }
            "--l-diversity" => args.l_diversity = Some(value()?),
            "--t-closeness" => args.t_closeness = Some(value()?),
            "--suppression" => {
                suppression = Some(
                    value()?
                        .parse::<f64>()
                        .map_err(|_| "--suppression takes a fraction")?,
                )
            }
            "--metric" => {
                metric = Some(match value()?.as_str() {
                    "entropy" => Metric::Entropy,
                    "entropy-monotonic" => Metric::EntropyMonotonic,
                    "discernibility" => Metric::Discernibility,
                    "discernibility-monotonic" => Metric::DiscernibilityMonotonic,
                    "loss" => Metric::Loss,
                    other => return Err(format!("unknown metric '{other}'")),
                })
            }
            "--method" => {
                args.mondrian = match value()?.as_str() {
                    "optimal" => false,
                    "mondrian" => true,
                    other => return Err(format!("unknown method '{other}'")),
                }
            }
            "--numeric" => args.numeric.push(value()?),
            "--relaxed" => args.relaxed = true,
            "--risk" => args.risk = true,
            other => return Err(format!("unknown flag '{other}'")),
        }
    }
    args.input = input.ok_or("--input is required")?;
    args.output = output.ok_or("--output is required")?;
    if args.mondrian {
        args.suppression = suppression.unwrap_or(0.0);
        args.metric = metric.unwrap_or(Metric::Loss);
    } else {
        args.suppression = suppression.ok_or("--suppression is required")?;
        args.metric = metric.ok_or("--metric is required")?;
    }
    if args.k.is_none() && args.l_diversity.is_none() && args.t_closeness.is_none() {
        return Err(
            "at least one privacy model (--k, --l-diversity, --t-closeness) is required".into(),
        );
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{what}: '{s}' is not a valid number"))
}

fn models(args: &Args, hierarchies: &[(String, Hierarchy)]) -> Result<Vec<PrivacyModel>, String> {
    let mut models = Vec::new();
    if let Some(k) = args.k {
        models.push(PrivacyModel::KAnonymity { k });
    }
    let sensitive = || {
        args.sensitive
            .clone()
            .ok_or_else(|| "--sensitive is required for l-diversity and t-closeness".to_string())
    };
    if let Some(spec) = &args.l_diversity {
        let parts: Vec<&str> = spec.split(':').collect();
        let attribute = sensitive()?;
        models.push(match parts.as_slice() {
            ["distinct", l] => PrivacyModel::DistinctLDiversity {
                attribute,
                l: number(l, "l")?,
            },
            ["entropy", l] => PrivacyModel::EntropyLDiversity {
                attribute,
                l: number(l, "l")?,
                estimator: EntropyEstimator::Shannon,
            },
            ["grassberger", l] => PrivacyModel::EntropyLDiversity {
                attribute,
                l: number(l, "l")?,
                estimator: EntropyEstimator::Grassberger,
            },
            ["recursive", c, l] => PrivacyModel::RecursiveCLDiversity {
                attribute,
                c: number(c, "c")?,
                l: number(l, "l")?,
            },
            _ => return Err(format!("bad --l-diversity '{spec}'")),
        });
    }
    if let Some(spec) = &args.t_closeness {
        let (kind, t) = spec
            .split_once(':')
            .ok_or_else(|| format!("bad --t-closeness '{spec}'"))?;
        let attribute = sensitive()?;
        let distance = match kind {
            "equal" => EmdDistance::Equal,
            "ordered" => EmdDistance::Ordered,
            "hierarchical" => EmdDistance::Hierarchical(
                hierarchies
                    .iter()
                    .find(|(a, _)| *a == attribute)
                    .map(|(_, h)| h.clone())
                    .ok_or(
                        "hierarchical t-closeness needs a hierarchy for the sensitive attribute",
                    )?,
            ),
            _ => return Err(format!("bad --t-closeness '{spec}'")),
        };
        models.push(PrivacyModel::TCloseness {
            attribute,
            t: number(t, "t")?,
            distance,
        });
    }
    Ok(models)
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn json_number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".into()
    }
}

fn run() -> Result<ExitCode, String> {
    let args = parse_args()?;
    let started = Instant::now();
    let text = std::fs::read_to_string(&args.input).map_err(|e| format!("{}: {e}", args.input))?;
    let mut table =
        Table::from_csv_str(&text, args.delimiter).map_err(|e| format!("{}: {e}", args.input))?;
    // One configuration for both methods: each uses the settings that apply to it.
    let mut config = AnonymizationConfig::new()
        .suppression_limit(args.suppression)
        .metric(args.metric)
        .relaxed(args.relaxed);
    let mut hierarchies = Vec::new();
    for (attribute, file) in &args.hierarchies {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        let h =
            Hierarchy::from_csv_str(&text, args.delimiter).map_err(|e| format!("{file}: {e}"))?;
        let role = if Some(attribute) == args.sensitive.as_ref() {
            AttributeRole::Sensitive
        } else {
            AttributeRole::QuasiIdentifying
        };
        table.set_role(attribute, role).map_err(|e| e.to_string())?;
        config = config.hierarchy(attribute.clone(), h.clone());
        hierarchies.push((attribute.clone(), h));
    }
    if let Some(s) = &args.sensitive {
        table
            .set_role(s, AttributeRole::Sensitive)
            .map_err(|e| e.to_string())?;
    }
    for attribute in &args.numeric {
        table
            .set_role(attribute, AttributeRole::QuasiIdentifying)
            .map_err(|e| e.to_string())?;
        config = config.numeric(attribute.clone());
    }
    for m in models(&args, &hierarchies)? {
        config = config.model(m);
    }
    println!(
        "loaded {} records in {:.1} ms",
        table.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    if args.mondrian {
        return mondrian(&args, &table, &config);
    }
    let search = Instant::now();
    let mut anonymizer = Anonymizer::new(&table, &config).map_err(|e| e.to_string())?;
    println!("prepared in {:.1} ms", search.elapsed().as_secs_f64() * 1e3);
    let result = anonymizer.optimal().map_err(|e| e.to_string())?;
    let millis = search.elapsed().as_secs_f64() * 1e3;
    println!(
        "searched {} of {} transformations in {millis:.1} ms",
        result.checked, result.lattice_size
    );
    let Some(optimum) = &result.optimum else {
        println!(
            "{{\"levels\": null, \"suppressed\": null, \"metrics\": null, \"checked\": {}, \"millis\": {}}}",
            result.checked,
            json_number(millis)
        );
        return Ok(ExitCode::from(2));
    };
    if let Some(output) = &result.table {
        std::fs::write(&args.output, output.to_csv_string(args.delimiter))
            .map_err(|e| format!("{}: {e}", args.output))?;
    }
    let levels: Vec<String> = anonymizer
        .quasi_identifiers()
        .iter()
        .zip(&optimum.levels)
        .map(|(a, l)| format!("{}: {l}", json_string(a)))
        .collect();
    let m = &optimum.metrics;
    let entropy = if args.metric == Metric::EntropyMonotonic {
        m.entropy_monotonic
    } else {
        m.entropy
    };
    let discernibility = if args.metric == Metric::DiscernibilityMonotonic {
        m.discernibility_monotonic
    } else {
        m.discernibility
    };
    let risk = if args.risk {
        let output = result.table.as_ref().ok_or("no output table")?;
        format!(", \"risk\": {}", risk_json(&table, output)?)
    } else {
        String::new()
    };
    println!(
        "{{\"levels\": {{{}}}, \"suppressed\": {}, \"metrics\": {{\"entropy\": {}, \"discernibility\": {}, \"aecs\": {}, \"precision\": {}, \"loss\": {}}}, \"checked\": {}, \"millis\": {}{risk}}}",
        levels.join(", "),
        optimum.suppressed,
        json_number(entropy),
        json_number(discernibility),
        json_number(m.aecs),
        json_number(m.precision),
        json_number(m.loss),
        result.checked,
        json_number(millis)
    );
    Ok(ExitCode::SUCCESS)
}

fn mondrian(args: &Args, table: &Table, config: &AnonymizationConfig) -> Result<ExitCode, String> {
    let started = Instant::now();
    let result = match Mondrian::new(table, config).and_then(|m| m.run()) {
        Ok(result) => result,
        Err(Error::InvalidOperation(message)) => {
            println!("{message}");
            println!(
                "{{\"method\": \"mondrian\", \"partitions\": null, \"classes\": null, \"metrics\": null, \"millis\": {}}}",
                json_number(started.elapsed().as_secs_f64() * 1e3)
            );
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.to_string()),
    };
    let millis = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "Mondrian: {} partitions, {} equivalence classes as released, in {millis:.1} ms",
        result.partitions, result.classes.classes
    );
    std::fs::write(&args.output, result.table.to_csv_string(args.delimiter))
        .map_err(|e| format!("{}: {e}", args.output))?;
    let risk = if args.risk {
        format!(", \"risk\": {}", risk_json(table, &result.table)?)
    } else {
        String::new()
    };
    let m = &result.metrics;
    println!(
        "{{\"method\": \"mondrian\", \"partitions\": {}, \"classes\": {}, \"min_size\": {}, \"metrics\": {{\"discernibility\": {}, \"aecs\": {}, \"loss\": {}}}, \"millis\": {}{risk}}}",
        result.partitions,
        result.classes.classes,
        result.classes.min_size,
        json_number(m.discernibility),
        json_number(m.aecs),
        json_number(m.loss),
        json_number(millis)
    );
    Ok(ExitCode::SUCCESS)
}

/// Risk of the input and the output, as a JSON object `{"before": ..., "after": ...}`.
fn risk_json(input: &Table, output: &Table) -> Result<String, String> {
    let one = |t: &Table| -> Result<String, String> {
        let r = RiskSummary::of(t, 0.2).map_err(|e| e.to_string())?;
        let attacker = |a: &AttackerRisk| {
            format!(
                "{{\"highest\": {}, \"average\": {}, \"records_at_risk\": {}}}",
                json_number(a.highest),
                json_number(a.average),
                json_number(a.records_at_risk)
            )
        };
        Ok(format!(
            "{{\"threshold\": {}, \"classes\": {}, \"prosecutor\": {}, \"journalist\": {}, \"marketer\": {}, \"sample_uniques\": {}}}",
            json_number(r.threshold),
            r.classes,
            attacker(&r.prosecutor),
            attacker(&r.journalist),
            json_number(r.marketer),
            json_number(r.sample_uniques)
        ))
    };
    Ok(format!(
        "{{\"before\": {}, \"after\": {}}}",
        one(input)?,
        one(output)?
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
