//! Property tests of the k-anonymity engine on small random tables: the optimal search agrees
//! with exhaustive search for every model and metric, dry runs agree with the search, and the
//! text formats round-trip.
#![allow(clippy::unwrap_used, missing_docs)]

use privkit::anon::{
    AnonymizationConfig, Anonymizer, AttributeRole, EmdDistance, EntropyEstimator, Hierarchy,
    InMemoryEngine, Metric, PrivacyModel, Profile, Table,
};
use proptest::prelude::*;

const METRICS: [Metric; 7] = [
    Metric::Entropy,
    Metric::EntropyMonotonic,
    Metric::Discernibility,
    Metric::DiscernibilityMonotonic,
    Metric::Aecs,
    Metric::Precision,
    Metric::Loss,
];

fn model(choice: u8, param: u8) -> PrivacyModel {
    let attribute = "s".to_string();
    match choice % 8 {
        0 => PrivacyModel::KAnonymity {
            k: u32::from(param % 6) + 1,
        },
        1 => PrivacyModel::DistinctLDiversity {
            attribute,
            l: u32::from(param % 3) + 1,
        },
        2 => PrivacyModel::EntropyLDiversity {
            attribute,
            l: 1.0 + f64::from(param % 4) / 2.0,
            estimator: EntropyEstimator::Shannon,
        },
        3 => PrivacyModel::EntropyLDiversity {
            attribute,
            l: 1.0 + f64::from(param % 4) / 2.0,
            estimator: EntropyEstimator::Grassberger,
        },
        4 => PrivacyModel::RecursiveCLDiversity {
            attribute,
            c: 1.0 + f64::from(param % 5),
            l: u32::from(param % 3) + 1,
        },
        5 => PrivacyModel::TCloseness {
            attribute,
            t: f64::from(param % 10) / 10.0,
            distance: EmdDistance::Equal,
        },
        6 => PrivacyModel::TCloseness {
            attribute,
            t: f64::from(param % 10) / 10.0,
            distance: EmdDistance::Ordered,
        },
        _ => PrivacyModel::TCloseness {
            attribute,
            t: f64::from(param % 10) / 10.0,
            distance: EmdDistance::Hierarchical(
                Hierarchy::ordered_grouping(&["0", "1", "2", "3"], &[2]).unwrap(),
            ),
        },
    }
}

fn table(rows: &[(u8, u8, u8, u8)]) -> Table {
    let rows: Vec<[String; 4]> = rows
        .iter()
        .map(|&(a, b, z, s)| {
            [
                format!("{}", a % 40),
                format!("{}", b % 5),
                format!("{:03}", z % 30),
                format!("{}", s % 4),
            ]
        })
        .collect();
    let mut t = Table::from_rows(&["age", "b", "zip", "s"], rows).unwrap();
    for q in ["age", "b", "zip"] {
        t.set_role(q, AttributeRole::QuasiIdentifying).unwrap();
    }
    t.set_role("s", AttributeRole::Sensitive).unwrap();
    t
}

fn config(t: &Table, models: &[(u8, u8)], suppression: f64, metric: Metric) -> AnonymizationConfig {
    let ages = t.distinct_values("age").unwrap().to_vec();
    let bs = t.distinct_values("b").unwrap().to_vec();
    let zips = t.distinct_values("zip").unwrap().to_vec();
    let mut c = AnonymizationConfig::new()
        .hierarchy(
            "age",
            Hierarchy::numeric_intervals(&ages, 0, 40, &[5, 10, 20]).unwrap(),
        )
        .hierarchy(
            "b",
            Hierarchy::ordered_grouping(&["0", "1", "2", "3", "4"], &[2]).unwrap(),
        )
        .hierarchy("zip", Hierarchy::masking(&zips, '*').unwrap())
        .suppression_limit(suppression)
        .metric(metric);
    let _ = bs;
    for &(m, p) in models {
        c = c.model(model(m, p));
    }
    c
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn optimal_equals_exhaustive(
        rows in proptest::collection::vec(any::<(u8, u8, u8, u8)>(), 1..120),
        models in proptest::collection::vec((any::<u8>(), any::<u8>()), 1..3),
        suppression in prop_oneof![Just(0.0), Just(0.05), Just(0.2)],
        metric in 0usize..7,
    ) {
        let t = table(&rows);
        let metric = METRICS[metric];
        let c = config(&t, &models, suppression, metric);
        let mut a = Anonymizer::new(&t, &c).unwrap();
        let optimal = a.optimal().unwrap();
        let exhaustive = a.exhaustive().unwrap();
        match (&optimal.optimum, &exhaustive.optimum) {
            (None, None) => {}
            (Some(o), Some(e)) => {
                prop_assert!(close(o.metrics.get(metric), e.metrics.get(metric)), "{:?} vs {:?}", o, e);
                prop_assert!(o.anonymous);
                // The dry run of the chosen levels reports the same.
                let again = a.evaluate(&o.levels).unwrap();
                prop_assert_eq!(&again, o);
                let out = optimal.table.as_ref().unwrap();
                prop_assert_eq!(out.len(), t.len());
            }
            (o, e) => prop_assert!(false, "optimal {:?} exhaustive {:?}", o, e),
        }
    }

    #[test]
    fn hierarchy_csv_round_trips(values in proptest::collection::hash_set("[a-z;\" ]{0,6}", 1..20)) {
        let values: Vec<String> = values.into_iter().collect();
        let h = Hierarchy::masking(&values, '*').unwrap();
        let again = Hierarchy::from_csv_str(&h.to_csv_string(';'), ';').unwrap();
        prop_assert_eq!(again, h);
    }

    #[test]
    fn metrics_of_more_generalization_are_not_smaller(rows in proptest::collection::vec(any::<(u8, u8, u8, u8)>(), 1..80)) {
        // Without suppression every metric is monotonic under generalization.
        let t = table(&rows);
        let c = config(&t, &[(0, 0)], 0.0, Metric::Entropy);
        let mut a = Anonymizer::new(&t, &c).unwrap();
        let low = a.evaluate(&[1, 0, 2]).unwrap().metrics;
        let high = a.evaluate(&[2, 1, 3]).unwrap().metrics;
        for m in METRICS {
            prop_assert!(high.get(m) >= low.get(m) - 1e-9, "{:?}: {} < {}", m, high.get(m), low.get(m));
        }
    }
}

#[cfg(feature = "csv")]
proptest! {
    #[test]
    fn table_csv_round_trips(cells in proptest::collection::vec(proptest::collection::vec("[a-z,\"\n ]{0,5}", 3), 0..20)) {
        let t = Table::from_rows(&["x", "y", "z"], cells.clone()).unwrap();
        let again = Table::from_csv_str(&t.to_csv_string(','), ',').unwrap();
        prop_assert_eq!(again.len(), t.len());
        for r in 0..t.len() {
            prop_assert_eq!(again.row(r), t.row(r));
        }
    }
}

#[test]
fn fail_unknown_sensitive_and_missing_hierarchy() {
    let t = table(&[(1, 1, 1, 1)]);
    let c = AnonymizationConfig::new().model(PrivacyModel::KAnonymity { k: 2 });
    assert!(
        Anonymizer::new(&t, &c).is_err(),
        "quasi-identifiers without hierarchies"
    );
    let c = config(&t, &[], 0.0, Metric::Loss);
    assert!(Anonymizer::new(&t, &c).is_err(), "no model");
    let c = config(&t, &[(0, 1)], 1.5, Metric::Loss);
    assert!(
        Anonymizer::new(&t, &c).is_err(),
        "suppression limit above 1"
    );
    let c = config(&t, &[(0, 1)], 0.0, Metric::Loss).model(PrivacyModel::DistinctLDiversity {
        attribute: "age".into(),
        l: 2,
    });
    assert!(
        Anonymizer::new(&t, &c).is_err(),
        "l-diversity on a quasi-identifier"
    );
}

#[test]
fn fail_hierarchy_missing_a_value_names_it() {
    let t = table(&[(1, 1, 1, 1), (2, 2, 2, 2)]);
    let c = config(&t, &[(0, 1)], 0.0, Metric::Loss)
        .hierarchy("b", Hierarchy::from_rows([["1", "*"]]).unwrap());
    let err = Anonymizer::new(&t, &c).unwrap_err();
    assert!(err.to_string().contains("'2'"), "{err}");
}

#[test]
fn no_solution_is_reported() {
    let t = table(&[(1, 1, 1, 1), (2, 2, 2, 2)]);
    let c = config(&t, &[(0, 2)], 0.0, Metric::Loss);
    let mut a = Anonymizer::new(&t, &c).unwrap();
    let r = a.optimal().unwrap();
    assert!(r.optimum.is_none() && r.table.is_none());
}

#[derive(Debug)]
struct WrongShape;

impl privkit::anon::GroupingEngine for WrongShape {
    fn group(
        &mut self,
        _levels: &[usize],
    ) -> privkit::Result<std::sync::Arc<privkit::anon::Groups>> {
        Ok(std::sync::Arc::new(privkit::anon::Groups::new(1, 0)))
    }
}

#[test]
fn fail_engine_with_wrong_shape_is_reported() {
    let t = table(&[(1, 1, 1, 1), (2, 2, 2, 2)]);
    let c = config(&t, &[(0, 1)], 0.0, Metric::Loss);
    let mut a = Anonymizer::new(&t, &c).unwrap();
    a.set_engine(Box::new(WrongShape));
    assert!(matches!(
        a.optimal(),
        Err(privkit::Error::InvalidOperation(_))
    ));
    assert!(a.evaluate(&[0, 0, 0]).is_err());
}

/// An engine whose classes lose a record: the anonymizer notices.
#[derive(Debug)]
struct LosesARecord(privkit::anon::InMemoryEngine);

impl privkit::anon::GroupingEngine for LosesARecord {
    fn group(
        &mut self,
        levels: &[usize],
    ) -> privkit::Result<std::sync::Arc<privkit::anon::Groups>> {
        let g = self.0.group(levels)?;
        let mut out = privkit::anon::Groups::new(g.quasi_identifiers(), g.histogram_width());
        for i in 0..g.len() {
            let n = g.class_count(i).unwrap() - u32::from(i == 0);
            out.push(g.class_key(i).unwrap(), n, g.class_histogram(i).unwrap())?;
        }
        Ok(std::sync::Arc::new(out))
    }
}

#[test]
fn fail_engine_losing_records_is_reported() {
    let t = table(&[(1, 1, 1, 1), (2, 2, 2, 2), (3, 3, 3, 3)]);
    let c = config(&t, &[(0, 1)], 0.0, Metric::Loss);
    let profile = Profile::of(&t);
    let mut a = Anonymizer::from_profile(&profile, &c, |plan| {
        Ok(Box::new(LosesARecord(InMemoryEngine::new(&t, plan)?)))
    })
    .unwrap();
    let err = a.evaluate(&[0, 0, 0]).unwrap_err();
    assert!(err.to_string().contains("2 records"), "{err}");
}

#[test]
fn fail_in_memory_engine_for_another_table() {
    let t = table(&[(1, 1, 1, 1), (2, 2, 2, 2), (3, 3, 3, 3)]);
    let other = table(&[(1, 1, 1, 1), (2, 2, 2, 2), (4, 3, 3, 3)]);
    let c = config(&t, &[(0, 1)], 0.0, Metric::Loss);
    let err = Anonymizer::from_profile(&Profile::of(&t), &c, |plan| {
        Ok(Box::new(InMemoryEngine::new(&other, plan)?))
    })
    .unwrap_err();
    assert!(matches!(err, privkit::Error::InvalidArgument(_)), "{err}");
    let fewer = table(&[(1, 1, 1, 1), (2, 2, 2, 2)]);
    assert!(
        Anonymizer::from_profile(&Profile::of(&t), &c, |plan| Ok(Box::new(
            InMemoryEngine::new(&fewer, plan)?
        )))
        .is_err()
    );
}

#[test]
fn fail_profiles_that_do_not_add_up() {
    let qi = AttributeRole::QuasiIdentifying;
    assert!(
        Profile::new(3)
            .attribute("a", qi, [("x", 1), ("y", 2)])
            .is_ok()
    );
    // Counts short of the records (a NULL), a zero count, a repeated value, a repeated name.
    assert!(
        Profile::new(3)
            .attribute("a", qi, [("x", 1), ("y", 1)])
            .is_err()
    );
    assert!(
        Profile::new(3)
            .attribute("a", qi, [("x", 3), ("y", 0)])
            .is_err()
    );
    assert!(
        Profile::new(3)
            .attribute("a", qi, [("x", 1), ("x", 2)])
            .is_err()
    );
    assert!(Profile::new(3).attribute("", qi, [("x", 3)]).is_err());
    let p = Profile::new(3).attribute("a", qi, [("x", 3)]).unwrap();
    assert!(p.attribute("a", qi, [("x", 3)]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// The plan an engine receives describes the in-memory grouping: every record's class key
    /// is its values' codes mapped through the plan, and the classes of a profile-built
    /// anonymizer over the in-memory engine are the classes of `Anonymizer::new`.
    #[test]
    fn plan_codes_describe_the_classes(
        rows in proptest::collection::vec((0u8..40, 0u8..5, 0u8..30, 0u8..4), 1..40),
        levels in (0usize..4, 0usize..3, 0usize..4),
        models in proptest::collection::vec((0u8..8, 0u8..20), 1..3),
    ) {
        let t = table(&rows);
        let c = config(&t, &models, 0.1, Metric::Loss);
        let mut direct = Anonymizer::new(&t, &c).unwrap();
        let levels = [levels.0, levels.1, levels.2];
        let levels: Vec<usize> = levels.iter().zip(direct.heights()).map(|(l, h)| l % h).collect();
        let mut seen = None;
        let mut via = Anonymizer::from_profile(&Profile::of(&t), &c, |plan| {
            let mut engine = InMemoryEngine::new(&t, plan)?;
            let g = privkit::anon::GroupingEngine::group(&mut engine, &levels)?;
            // Recompute every record's key from the plan alone.
            let mut expected = std::collections::HashMap::<Vec<u32>, u32>::new();
            for r in 0..t.len() {
                let key: Vec<u32> = plan.quasi_identifiers().iter().enumerate().map(|(i, name)| {
                    let v = t.value(r, name).unwrap();
                    let code = plan.values(i).unwrap().iter().position(|x| x == v).unwrap();
                    plan.codes(i, levels[i]).unwrap()[code]
                }).collect();
                *expected.entry(key).or_default() += 1;
            }
            let got: std::collections::HashMap<Vec<u32>, u32> = (0..g.len())
                .map(|i| (g.class_key(i).unwrap().to_vec(), g.class_count(i).unwrap()))
                .collect();
            seen = Some(expected == got);
            Ok(Box::new(engine))
        }).unwrap();
        prop_assert_eq!(seen, Some(true));
        prop_assert_eq!(direct.evaluate(&levels).unwrap(), via.evaluate(&levels).unwrap());
        let (a, b) = (direct.optimal().unwrap(), via.optimal().unwrap());
        prop_assert_eq!(a.optimum, b.optimum);
        prop_assert_eq!(a.checked, b.checked);
        prop_assert!(b.table.is_none());
    }
}
