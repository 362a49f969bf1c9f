//! Mondrian local recoding: outputs re-checked from scratch satisfy the models, every original
//! value lies in its output value, results are deterministic, and risk drops on Adult.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use privkit::anon::{
    AnonymizationConfig, AttributeRole, Hierarchy, Mondrian, MondrianResult, PrivacyModel,
    RiskSummary, Table,
};
use proptest::prelude::*;

use crate::adult;

/// Adult's 8 usual quasi-identifiers: every attribute but `occupation`.
const QIS: [&str; 8] = {
    let a = adult::ATTRIBUTES;
    [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[8]]
};

fn adult_setup(models: &[PrivacyModel], relaxed: bool) -> (Table, AnonymizationConfig) {
    let text = adult::data("adult.csv").unwrap();
    let (header, rows) = adult::records(&text);
    let mut table = Table::from_rows(&header, rows).unwrap();
    let mut config = AnonymizationConfig::new().relaxed(relaxed).numeric("age");
    for a in QIS {
        table.set_role(a, AttributeRole::QuasiIdentifying).unwrap();
        if a != "age" {
            config = config.hierarchy(a, adult::hierarchy(a).unwrap());
        }
    }
    table
        .set_role("occupation", AttributeRole::Sensitive)
        .unwrap();
    for m in models {
        config = config.model(m.clone());
    }
    (table, config)
}

/// Classes of the output by its quasi-identifier values: sizes and sensitive value sets.
fn classes(out: &Table, qis: &[&str], sensitive: Option<&str>) -> Vec<(u64, Vec<String>)> {
    let mut map: HashMap<Vec<&str>, (u64, Vec<String>)> = HashMap::new();
    for r in 0..out.len() {
        let key: Vec<&str> = qis.iter().map(|q| out.value(r, q).unwrap()).collect();
        let e = map.entry(key).or_default();
        e.0 += 1;
        if let Some(s) = sensitive {
            let v = out.value(r, s).unwrap().to_string();
            if !e.1.contains(&v) {
                e.1.push(v);
            }
        }
    }
    map.into_values().collect()
}

/// Whether original value `v` lies in output value `o` (a range, itself, or a hierarchy node).
fn covers(o: &str, v: &str, h: Option<&Hierarchy>) -> bool {
    if o == v {
        return true;
    }
    if let Some(h) = h {
        return (0..h.levels()).any(|l| h.generalize(v, l) == Some(o));
    }
    let Some((lo, hi)) = o
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .and_then(|s| s.split_once('-'))
    else {
        return false;
    };
    let (lo, hi, v): (f64, f64, f64) =
        (lo.parse().unwrap(), hi.parse().unwrap(), v.parse().unwrap());
    lo <= v && v <= hi
}

fn check_output(
    input: &Table,
    result: &MondrianResult,
    qis: &[&str],
    hierarchies: &HashMap<&str, Hierarchy>,
    k: u64,
    l: Option<(&str, usize)>,
) {
    let out = &result.table;
    assert_eq!(out.len(), input.len());
    for r in 0..input.len() {
        for q in qis {
            let (o, v) = (out.value(r, q).unwrap(), input.value(r, q).unwrap());
            assert!(covers(o, v, hierarchies.get(q)), "{q}: {v} not in {o}");
        }
    }
    let cls = classes(out, qis, l.map(|x| x.0));
    // The reported classes are the output's: partitions of equal labels merged.
    assert_eq!(cls.len(), result.classes.classes);
    assert!(result.partitions >= result.classes.classes);
    let sizes = cls.iter().map(|(s, _)| *s);
    assert_eq!(sizes.clone().min(), Some(result.classes.min_size));
    assert_eq!(sizes.max(), Some(result.classes.max_size));
    for (size, values) in &cls {
        assert!(*size >= k, "class of {size} < {k}");
        if let Some((_, l)) = l {
            assert!(
                values.len() >= l,
                "class with {} values < {l}",
                values.len()
            );
        }
    }
    let dm: f64 = cls.iter().map(|(s, _)| (s * s) as f64).sum();
    assert_eq!(dm, result.metrics.discernibility);
    assert_eq!(
        result.metrics.aecs,
        input.len() as f64 / cls.len() as f64,
        "aecs"
    );
}

/// The reported metrics recounted from what a reader of the output sees: the values of the
/// quasi-identifiers, row by row (and, with the `csv` feature, from the CSV text written).
fn recount(out: &[Vec<String>], qis: &[usize]) -> (usize, u64, f64) {
    let mut sizes: HashMap<Vec<&str>, u64> = HashMap::new();
    for row in out {
        *sizes
            .entry(qis.iter().map(|&q| row[q].as_str()).collect())
            .or_default() += 1;
    }
    let min = sizes.values().copied().min().unwrap_or(0);
    let dm = sizes.values().map(|&s| (s * s) as f64).sum();
    (sizes.len(), min, dm)
}

/// Adult, 8 quasi-identifiers, k = 5, relaxed, `age` numeric (the configuration of
/// `examples/anonymize_csv.rs --method mondrian --relaxed --numeric age`): 3,911 partitions
/// whose labels make 3,724 distinct classes with discernibility 393,436 in the output. The
/// result reports the classes as released, equal to a recount from the output.
#[test]
fn adult_metrics_describe_the_output_as_released() {
    let (table, config) = adult_setup(&[PrivacyModel::KAnonymity { k: 5 }], true);
    let result = Mondrian::new(&table, &config).unwrap().run().unwrap();
    let out = &result.table;
    let names: Vec<&str> = out.attribute_names().collect();
    let qis: Vec<usize> = QIS
        .iter()
        .map(|q| names.iter().position(|n| n == q).unwrap())
        .collect();
    let rows: Vec<Vec<String>> = (0..out.len())
        .map(|r| {
            out.row(r)
                .unwrap()
                .iter()
                .map(|v| (*v).to_owned())
                .collect()
        })
        .collect();
    let (classes, min, dm) = recount(&rows, &qis);
    assert_eq!(result.partitions, 3911);
    assert_eq!((classes, dm), (3724, 393_436.0));
    assert_eq!(result.classes.classes, classes);
    assert_eq!(result.classes.min_size, min);
    assert_eq!(result.metrics.discernibility, dm);
    assert_eq!(result.metrics.aecs, table.len() as f64 / classes as f64);
    #[cfg(feature = "csv")]
    {
        // The same from the CSV text the example writes, parsed back.
        let written = Table::from_csv_str(&out.to_csv_string(';'), ';').unwrap();
        let rows: Vec<Vec<String>> = (0..written.len())
            .map(|r| {
                written
                    .row(r)
                    .unwrap()
                    .iter()
                    .map(|v| (*v).to_owned())
                    .collect()
            })
            .collect();
        assert_eq!(recount(&rows, &qis), (classes, min, dm));
    }
}

#[test]
fn adult_k5_strict_and_relaxed() {
    for relaxed in [false, true] {
        let (table, config) = adult_setup(&[PrivacyModel::KAnonymity { k: 5 }], relaxed);
        let result = Mondrian::new(&table, &config).unwrap().run().unwrap();
        let hs: HashMap<&str, Hierarchy> = QIS
            .iter()
            .filter(|&&a| a != "age")
            .map(|&a| (a, adult::hierarchy(a).unwrap()))
            .collect();
        check_output(&table, &result, &QIS, &hs, 5, None);
        assert!(result.classes.min_size >= 5);
        // Risk before and after: the output's highest prosecutor risk is at most 1/5.
        let before = RiskSummary::of(&table, 0.2).unwrap();
        let after = RiskSummary::of(&result.table, 0.2).unwrap();
        assert!(before.prosecutor.highest > after.prosecutor.highest);
        assert!(after.prosecutor.highest <= 0.2);
        assert_eq!(after.sample_uniques, 0.0);
        assert_eq!(after.prosecutor.records_at_risk, 0.0);
        // Local recoding keeps far more classes than the whole-table class.
        assert!(result.classes.classes > 1000, "{:?}", result.classes);
        assert!(result.metrics.loss > 0.0 && result.metrics.loss < 1.0);
    }
}

#[test]
fn adult_l_diversity_and_threads_deterministic() {
    let models = [
        PrivacyModel::KAnonymity { k: 5 },
        PrivacyModel::DistinctLDiversity {
            attribute: "occupation".into(),
            l: 3,
        },
    ];
    let (table, config) = adult_setup(&models, false);
    let one = Mondrian::new(&table, &config.clone().threads(1))
        .unwrap()
        .run()
        .unwrap();
    let four = Mondrian::new(&table, &config.threads(4))
        .unwrap()
        .run()
        .unwrap();
    // Same records, row by row (no `csv` feature needed).
    assert_eq!(one.table.len(), four.table.len());
    for r in 0..one.table.len() {
        assert_eq!(one.table.row(r), four.table.row(r), "row {r}");
    }
    assert_eq!(one.metrics, four.metrics);
    let hs: HashMap<&str, Hierarchy> = QIS
        .iter()
        .filter(|&&a| a != "age")
        .map(|&a| (a, adult::hierarchy(a).unwrap()))
        .collect();
    check_output(&table, &one, &QIS, &hs, 5, Some(("occupation", 3)));
}

#[test]
fn progress_reports_and_cancels() {
    let (table, config) = adult_setup(&[PrivacyModel::KAnonymity { k: 5 }], false);
    let m = Mondrian::new(&table, &config).unwrap();
    let last = AtomicU64::new(0);
    let result = m
        .run_with(
            &|done, total| {
                assert!(done <= total);
                last.fetch_max(done, Ordering::Relaxed);
                ControlFlow::Continue(())
            },
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(last.load(Ordering::Relaxed), table.len() as u64);
    assert_eq!(result.table.len(), table.len());
    let err = m
        .run_with(&|_, _| ControlFlow::Break(()), &AtomicBool::new(false))
        .unwrap_err();
    assert!(matches!(err, privkit::Error::InvalidOperation(_)));
    assert!(
        m.run_with(&|_, _| ControlFlow::Continue(()), &AtomicBool::new(true))
            .is_err()
    );
}

#[test]
fn categorical_splits_follow_the_hierarchy() {
    // Zip hierarchy: 5 digits -> 3-digit prefix -> *. With k = 2, the split is by prefix, and
    // the values of one prefix share their lowest common node.
    let zips = ["13053", "13068", "13053", "14850", "14853", "14850"];
    let h = Hierarchy::from_rows([
        ["13053", "130**", "*"],
        ["13068", "130**", "*"],
        ["14850", "148**", "*"],
        ["14853", "148**", "*"],
    ])
    .unwrap();
    let mut t = Table::from_rows(&["zip"], zips.iter().map(|z| [*z])).unwrap();
    t.set_role("zip", AttributeRole::QuasiIdentifying).unwrap();
    let config = AnonymizationConfig::new()
        .hierarchy("zip", h)
        .model(PrivacyModel::KAnonymity { k: 2 });
    let r = Mondrian::new(&t, &config).unwrap().run().unwrap();
    let out: Vec<&str> = (0..6).map(|i| r.table.value(i, "zip").unwrap()).collect();
    // 13053 x2 could stand alone but 13068 alone could not: children of 130** fail together.
    assert_eq!(out, ["130**", "130**", "130**", "148**", "148**", "148**"]);
    // Discernibility 3^2 + 3^2.
    assert_eq!(r.metrics.discernibility, 18.0);
    assert_eq!(r.metrics.aecs, 3.0);
}

#[test]
fn numeric_strict_vs_relaxed() {
    // Ages 1,2,2,2,3,4 with k = 2: strict cuts at the median 2 (left {1,2,2,2}, right {3,4});
    // then {1,2,2,2} cannot be cut (<= 1 leaves one record) nor {3,4}.
    let ages = ["1", "2", "2", "2", "3", "4"];
    let mut t = Table::from_rows(&["age"], ages.iter().map(|a| [*a])).unwrap();
    t.set_role("age", AttributeRole::QuasiIdentifying).unwrap();
    let strict = AnonymizationConfig::new().model(PrivacyModel::KAnonymity { k: 2 });
    let r = Mondrian::new(&t, &strict).unwrap().run().unwrap();
    let out: Vec<&str> = (0..6).map(|i| r.table.value(i, "age").unwrap()).collect();
    assert_eq!(out, ["[1-2]", "[1-2]", "[1-2]", "[1-2]", "[3-4]", "[3-4]"]);
    // Relaxed: positions 0..3 and 3..6, the median value 2 on both sides (overlapping ranges);
    // neither half can be cut again.
    let r = Mondrian::new(&t, &strict.relaxed(true))
        .unwrap()
        .run()
        .unwrap();
    let out: Vec<&str> = (0..6).map(|i| r.table.value(i, "age").unwrap()).collect();
    assert_eq!(out, ["[1-2]", "[1-2]", "[1-2]", "[2-4]", "[2-4]", "[2-4]"]);
    assert_eq!(r.metrics.discernibility, 18.0);
}

#[test]
fn fail_unsatisfiable_or_bad_config() {
    let mut t = Table::from_rows(&["age", "name"], [["1", "a"], ["x", "b"]]).unwrap();
    t.set_role("age", AttributeRole::QuasiIdentifying).unwrap();
    let config = AnonymizationConfig::new().model(PrivacyModel::KAnonymity { k: 2 });
    // Not numeric and no hierarchy.
    assert!(Mondrian::new(&t, &config).is_err());
    let mut t = Table::from_rows(&["age"], [["1"], ["2"]]).unwrap();
    t.set_role("age", AttributeRole::QuasiIdentifying).unwrap();
    assert!(Mondrian::new(&t, &AnonymizationConfig::new()).is_err());
    let k3 = AnonymizationConfig::new().model(PrivacyModel::KAnonymity { k: 3 });
    assert!(Mondrian::new(&t, &k3).unwrap().run().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn partitions_never_violate_models(
        rows in proptest::collection::vec((0u8..40, 0u8..6, 0u8..4), 12..120),
        k in 2u32..6,
        relaxed in any::<bool>(),
        l in 1u32..3,
    ) {
        let colors = ["red", "green", "blue", "cyan", "pink", "gray"];
        let data: Vec<[String; 3]> = rows
            .iter()
            .map(|&(a, c, s)| [a.to_string(), colors[c as usize].to_string(), format!("s{s}")])
            .collect();
        let mut t = Table::from_rows(&["age", "color", "dis"], &data).unwrap();
        t.set_role("age", AttributeRole::QuasiIdentifying).unwrap();
        t.set_role("color", AttributeRole::QuasiIdentifying).unwrap();
        t.set_role("dis", AttributeRole::Sensitive).unwrap();
        let h = Hierarchy::from_rows(colors.iter().enumerate().map(|(i, c)| {
            [c.to_string(), if i < 3 { "warm".into() } else { "cold".into() }, "*".into()]
        }))
        .unwrap();
        let hs: HashMap<&str, Hierarchy> = [("color", h.clone())].into();
        let config = AnonymizationConfig::new()
            .relaxed(relaxed)
            .hierarchy("color", h)
            .model(PrivacyModel::KAnonymity { k })
            .model(PrivacyModel::DistinctLDiversity { attribute: "dis".into(), l })
            .threads(2);
        let m = Mondrian::new(&t, &config).unwrap();
        match m.run() {
            Ok(r) => check_output(&t, &r, &["age", "color"], &hs, u64::from(k), Some(("dis", l as usize))),
            Err(_) => {
                // Only when the whole table fails.
                let distinct: std::collections::HashSet<u8> = rows.iter().map(|r| r.2).collect();
                prop_assert!(rows.len() < k as usize || distinct.len() < l as usize);
            }
        }
    }
}
