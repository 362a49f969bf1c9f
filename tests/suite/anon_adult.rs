//! The k-anonymity engine on the Adult benchmark: the optimal search finds the optimum that
//! exhaustive search over every transformation finds, and outputs satisfy the models when
//! re-checked from scratch.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation, missing_docs)]

use std::collections::HashMap;

use privkit::anon::{
    AnonymizationConfig, Anonymizer, EmdDistance, EntropyEstimator, Hierarchy, Metric,
    PrivacyModel, Table,
};

use crate::adult;

fn adult_table() -> Table {
    let text = adult::data("adult.csv").unwrap();
    let (header, rows) = adult::records(&text);
    Table::from_rows(&header, rows).unwrap()
}

fn hierarchy(attribute: &str) -> Hierarchy {
    adult::hierarchy(attribute).unwrap()
}

/// Adult with the 8 usual quasi-identifiers and `occupation` sensitive.
fn setup(
    models: Vec<PrivacyModel>,
    suppression: f64,
    metric: Metric,
) -> (Table, AnonymizationConfig) {
    let mut table = adult_table();
    let mut config = AnonymizationConfig::new()
        .suppression_limit(suppression)
        .metric(metric);
    for m in models {
        config = config.model(m);
    }
    let config = adult::roles(&mut table, config, false).unwrap();
    (table, config)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Re-checks an output table from scratch, from its strings only.
fn recheck(
    output: &Table,
    models: &[PrivacyModel],
    original: &Table,
    max_suppressed: u64,
    qis: &[String],
) {
    let mut classes: HashMap<Vec<&str>, Vec<&str>> = HashMap::new();
    let mut suppressed = 0u64;
    for row in 0..output.len() {
        let key: Vec<&str> = qis.iter().map(|q| output.value(row, q).unwrap()).collect();
        classes
            .entry(key)
            .or_default()
            .push(output.value(row, "occupation").unwrap());
    }
    let top: Vec<&str> = vec!["*"; qis.len()];
    let global: Vec<&str> = (0..original.len())
        .map(|r| original.value(r, "occupation").unwrap())
        .collect();
    for (key, sensitive) in &classes {
        let holds = models.iter().all(|m| holds(m, sensitive, &global));
        if !holds {
            assert_eq!(*key, top, "a class that fails the models is not suppressed");
            suppressed += sensitive.len() as u64;
        }
    }
    assert!(
        suppressed <= max_suppressed,
        "suppressed {suppressed} > {max_suppressed}"
    );
}

fn counts<'a>(values: &[&'a str]) -> HashMap<&'a str, f64> {
    let mut m = HashMap::new();
    for v in values {
        *m.entry(*v).or_insert(0.0) += 1.0;
    }
    m
}

/// psi(x / 2) for a positive integer x, by the exact finite sums.
fn psi_half(x: f64) -> f64 {
    const EULER: f64 = 0.577_215_664_901_532_9;
    let x = x as u64;
    if x.is_multiple_of(2) {
        -EULER + (1..x / 2).map(|k| 1.0 / k as f64).sum::<f64>()
    } else {
        -EULER - 2.0 * std::f64::consts::LN_2
            + (1..=x / 2).map(|k| 2.0 / (2 * k - 1) as f64).sum::<f64>()
    }
}

fn holds(model: &PrivacyModel, values: &[&str], global: &[&str]) -> bool {
    let n = values.len() as f64;
    let c = counts(values);
    match model {
        PrivacyModel::KAnonymity { k } => values.len() >= *k as usize,
        PrivacyModel::DistinctLDiversity { l, .. } => c.len() >= *l as usize,
        PrivacyModel::EntropyLDiversity { l, estimator, .. } => {
            let h = match estimator {
                EntropyEstimator::Shannon => {
                    -c.values().map(|f| f / n * (f / n).log2()).sum::<f64>()
                }
                _ => {
                    // Grassberger: log n - sum n_i G(n_i) / n, G(m) = psi(m) + (-1)^m/2 (psi((m+1)/2) - psi(m/2)).
                    let g = |m: f64| {
                        let sign = if (m as u64).is_multiple_of(2) {
                            1.0
                        } else {
                            -1.0
                        };
                        psi_half(2.0 * m) + sign * 0.5 * (psi_half(m + 1.0) - psi_half(m))
                    };
                    (n.ln() - c.values().map(|&f| f * g(f)).sum::<f64>() / n)
                        / std::f64::consts::LN_2
                }
            };
            c.len() as f64 >= l.ceil() && h >= l.log2() - 1e-12
        }
        PrivacyModel::RecursiveCLDiversity { c: cc, l, .. } => {
            let mut f: Vec<f64> = c.values().copied().collect();
            f.sort_by(|a, b| b.total_cmp(a));
            f.len() >= *l as usize && f[0] < cc * f[*l as usize - 1..].iter().sum::<f64>()
        }
        PrivacyModel::TCloseness {
            t,
            distance: EmdDistance::Equal,
            ..
        } => {
            let g = counts(global);
            let total = global.len() as f64;
            let d: f64 = g
                .iter()
                .map(|(v, p)| (p / total - c.get(v).copied().unwrap_or(0.0) / n).abs())
                .sum();
            d / 2.0 <= t + 1e-12
        }
        _ => true,
    }
}

fn compare(models: Vec<PrivacyModel>, suppression: f64, metric: Metric) {
    let (table, config) = setup(models.clone(), suppression, metric);
    let mut anonymizer = Anonymizer::new(&table, &config).unwrap();
    let optimal = anonymizer.optimal().unwrap();
    let exhaustive = anonymizer.exhaustive().unwrap();
    assert_eq!(exhaustive.checked, 4320);
    match (&optimal.optimum, &exhaustive.optimum) {
        (None, None) => {}
        (Some(o), Some(e)) => {
            let (a, b) = (o.metrics.get(metric), e.metrics.get(metric));
            assert!(
                close(a, b),
                "{models:?} {suppression} {metric:?}: optimal {a} at {:?}, exhaustive {b} at {:?}",
                o.levels,
                e.levels
            );
            assert!(o.anonymous);
            let max = (suppression * table.len() as f64).floor() as u64;
            assert!(o.suppressed <= max);
            let output = optimal.table.as_ref().unwrap();
            assert_eq!(output.len(), table.len());
            recheck(output, &models, &table, max, anonymizer.quasi_identifiers());
        }
        (o, e) => panic!("{models:?} {suppression}: optimal {o:?} vs exhaustive {e:?}"),
    }
    assert!(optimal.checked <= 4320);
}

fn occupation() -> String {
    "occupation".to_string()
}

#[test]
fn k_anonymity_optimum_equals_exhaustive() {
    let metrics = [
        Metric::Entropy,
        Metric::Discernibility,
        Metric::Loss,
        Metric::EntropyMonotonic,
    ];
    for (i, k) in [2u32, 5, 10, 100].into_iter().enumerate() {
        for suppression in [0.0, 0.04] {
            compare(
                vec![PrivacyModel::KAnonymity { k }],
                suppression,
                metrics[i],
            );
        }
    }
}

#[test]
fn l_diversity_optimum_equals_exhaustive() {
    let models = [
        PrivacyModel::DistinctLDiversity {
            attribute: occupation(),
            l: 5,
        },
        PrivacyModel::EntropyLDiversity {
            attribute: occupation(),
            l: 4.0,
            estimator: EntropyEstimator::Shannon,
        },
        PrivacyModel::EntropyLDiversity {
            attribute: occupation(),
            l: 5.0,
            estimator: EntropyEstimator::Grassberger,
        },
        PrivacyModel::RecursiveCLDiversity {
            attribute: occupation(),
            c: 4.0,
            l: 3,
        },
    ];
    for (i, m) in models.into_iter().enumerate() {
        let suppression = if i % 2 == 0 { 0.04 } else { 0.0 };
        compare(
            vec![PrivacyModel::KAnonymity { k: 5 }, m],
            suppression,
            Metric::Entropy,
        );
    }
}

#[test]
fn t_closeness_optimum_equals_exhaustive() {
    let models = [
        (EmdDistance::Equal, 0.2),
        (EmdDistance::Ordered, 0.2),
        (EmdDistance::Hierarchical(hierarchy("occupation")), 0.2),
    ];
    for (i, (distance, t)) in models.into_iter().enumerate() {
        let suppression = if i == 1 { 0.0 } else { 0.04 };
        compare(
            vec![PrivacyModel::TCloseness {
                attribute: occupation(),
                t,
                distance,
            }],
            suppression,
            if i == 2 {
                Metric::Loss
            } else {
                Metric::Discernibility
            },
        );
    }
}

fn parse_model(spec: &str) -> PrivacyModel {
    let (kind, value) = spec.split_once(':').unwrap();
    let x: f64 = value.parse().unwrap();
    let attribute = occupation();
    let t_closeness = |distance| PrivacyModel::TCloseness {
        attribute: occupation(),
        t: x,
        distance,
    };
    let entropy = |estimator| PrivacyModel::EntropyLDiversity {
        attribute: occupation(),
        l: x,
        estimator,
    };
    match kind {
        "k" => PrivacyModel::KAnonymity { k: x as u32 },
        "t-ordered" => t_closeness(EmdDistance::Ordered),
        "t-equal" => t_closeness(EmdDistance::Equal),
        "l-shannon" => entropy(EntropyEstimator::Shannon),
        "l-grassberger" => entropy(EntropyEstimator::Grassberger),
        "l-distinct" => PrivacyModel::DistinctLDiversity {
            attribute,
            l: x as u32,
        },
        other => panic!("unknown model {other}"),
    }
}

/// The optimum (level vector and information loss) equals ARX's for the cases of ARX's own tests.
#[test]
fn arx_known_answers() {
    let cases: serde_json::Value =
        serde_json::from_str(&adult::data("arx_known_answers.json").unwrap()).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let models: Vec<PrivacyModel> = case["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| parse_model(m.as_str().unwrap()))
            .collect();
        let metric = match case["metric"].as_str().unwrap() {
            "entropy" => Metric::Entropy,
            "discernibility-monotonic" => Metric::DiscernibilityMonotonic,
            other => panic!("unknown metric {other}"),
        };
        let (table, config) = setup(models, case["suppression"].as_f64().unwrap(), metric);
        let result = Anonymizer::new(&table, &config).unwrap().optimal().unwrap();
        match (&result.optimum, case["expected"].as_f64()) {
            (None, None) => {}
            (Some(o), Some(expected)) => {
                let levels: Vec<usize> = case["levels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_u64().unwrap() as usize)
                    .collect();
                assert_eq!(o.levels, levels, "{case}");
                assert!(
                    close(o.metrics.get(metric), expected),
                    "{case}: {}",
                    o.metrics.get(metric)
                );
            }
            (o, e) => panic!("{case}: got {o:?}, expected {e:?}"),
        }
    }
}
