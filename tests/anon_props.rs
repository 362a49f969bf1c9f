//! Property tests of the k-anonymity engine on small random tables: the optimal search agrees
//! with exhaustive search for every model and metric, dry runs agree with the search, and the
//! text formats round-trip.
#![allow(clippy::unwrap_used, missing_docs)]

use privkit::anon::{
    AnonymizationConfig, Anonymizer, AttributeRole, EmdDistance, EntropyEstimator, Hierarchy,
    Metric, PrivacyModel, Table,
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
