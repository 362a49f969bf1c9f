//! Retention evaluation throughput: records decided per second on one core.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use jiff::civil::date;
use privkit::retention::{
    ClassId, Facts, HoldScope, LegalBasis, LegalHold, Purpose, PurposeId, PurposeSet, Rule,
    Schedule, Verdict,
};

fn schedule() -> Schedule {
    let mut b = Schedule::builder();
    for (p, basis) in [
        ("billing", LegalBasis::LegalObligation),
        ("support", LegalBasis::Contract),
        ("marketing", LegalBasis::Consent),
        ("security", LegalBasis::LegitimateInterests),
        ("analytics", LegalBasis::Consent),
    ] {
        b = b.purpose(Purpose::new(p).unwrap(), basis);
    }
    let rules = [
        (
            "r-billing",
            "user.billing",
            "billing",
            "P10Y",
            "contract_end",
            "delete",
        ),
        (
            "r-invoice-addr",
            "user.billing.address",
            "billing",
            "P7Y",
            "contract_end",
            "anonymize",
        ),
        (
            "r-support",
            "user",
            "support",
            "P2Y",
            "last_activity",
            "archive",
        ),
        (
            "r-support-tickets",
            "user.support.tickets",
            "support",
            "P3Y",
            "collected",
            "delete",
        ),
        (
            "r-mkt",
            "user.contact",
            "marketing",
            "P30D",
            "consent_withdrawn",
            "delete",
        ),
        (
            "r-mkt-profile",
            "user.profile",
            "marketing",
            "P1Y6M",
            "last_activity",
            "delete",
        ),
        ("r-sec", "device", "security", "P6M", "collected", "delete"),
        (
            "r-sec-logs",
            "device.logs",
            "security",
            "P90D",
            "collected",
            "delete",
        ),
        (
            "r-analytics",
            "user",
            "analytics",
            "P13M",
            "collected",
            "anonymize",
        ),
        (
            "r-closed",
            "user.account",
            "*",
            "P30D",
            "event:account_closed",
            "delete",
        ),
        ("r-default", "*", "*", "P3Y", "collected", "review"),
    ];
    for (id, c, p, per, t, a) in rules {
        b = b.rule(Rule::new(id, c, p, per, t, a).unwrap());
    }
    b.hold(
        LegalHold::new(
            "audit",
            HoldScope::Categories("user.billing.vat".parse().unwrap()),
            "tax audit",
            date(2026, 1, 1),
            Some(date(2026, 12, 31)),
        )
        .unwrap(),
    )
    .build()
    .unwrap()
}

const CATEGORIES: [&str; 12] = [
    "user.billing.invoice",
    "user.billing.address",
    "user.billing.vat",
    "user.support.tickets",
    "user.support.chat",
    "user.contact.email",
    "user.contact.phone",
    "user.profile.name",
    "user.account.settings",
    "device.logs.access",
    "device.fingerprint",
    "other.misc",
];

struct Row {
    class: ClassId,
    purposes: PurposeSet,
    collected: Timestamp,
    last_activity: Option<Timestamp>,
    contract_end: Option<Timestamp>,
    withdrawn: Option<(PurposeId, Timestamp)>,
}

/// A deterministic pseudo-random mix of categories, purpose sets and dates.
fn rows(s: &Schedule, n: usize) -> Vec<Row> {
    let classes: Vec<ClassId> = CATEGORIES.iter().map(|c| s.class_of(c).unwrap()).collect();
    let ids: Vec<PurposeId> = ["billing", "support", "marketing", "security", "analytics"]
        .iter()
        .map(|p| s.purpose_id(p).unwrap())
        .collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let base = 1_262_304_000; // 2010-01-01
    (0..n)
        .map(|_| {
            let r = next();
            let mut purposes = PurposeSet::empty().with(ids[(r % 5) as usize]);
            if r & 0x100 != 0 {
                purposes = purposes.with(ids[((r >> 9) % 5) as usize]);
            }
            let collected = base + i64::try_from((r >> 20) % 500_000_000).unwrap();
            let ts = |s: i64| Timestamp::from_second(s).unwrap();
            Row {
                class: classes[((r >> 12) % 12) as usize],
                purposes,
                collected: ts(collected),
                last_activity: (r & 0x200 != 0).then(|| ts(collected + 86_400 * 200)),
                contract_end: (r & 0x400 != 0).then(|| ts(collected + 86_400 * 900)),
                withdrawn: (r & 0x800 != 0).then(|| (ids[2], ts(collected + 86_400 * 30))),
            }
        })
        .collect()
}

fn facts(row: &Row) -> Facts<'_> {
    let mut f = Facts::new(row.class, row.purposes, row.collected);
    if let Some(t) = row.last_activity {
        f = f.last_activity(t);
    }
    if let Some(t) = row.contract_end {
        f = f.contract_end(t);
    }
    if let Some(w) = &row.withdrawn {
        f = f.consent_withdrawn(std::slice::from_ref(w));
    }
    f
}

fn bench(c: &mut Criterion) {
    let s = schedule();
    let ev = s.evaluator_on(date(2026, 11, 29));
    let mut g = c.benchmark_group("retention");
    for n in [1_000usize, 10_000, 100_000] {
        let data = rows(&s, n);
        g.throughput(Throughput::Elements(n as u64));
        // Baseline: the primitive under every decision, timestamp -> calendar day in the
        // schedule's zone and one comparison with a cut-off.
        let cutoff = date(2020, 1, 1);
        g.bench_with_input(
            BenchmarkId::new("baseline_day_compare", n),
            &data,
            |b, data| {
                b.iter(|| {
                    data.iter()
                        .filter(|r| s.day_of(black_box(r.collected)) <= cutoff)
                        .count()
                });
            },
        );
        g.bench_with_input(BenchmarkId::new("evaluate", n), &data, |b, data| {
            b.iter(|| {
                let mut counts = [0usize; 3];
                for d in ev.evaluate_all(data.iter().map(facts)) {
                    counts[match d.verdict() {
                        Verdict::Keep => 0,
                        Verdict::ActNow => 1,
                        Verdict::ActAt => 2,
                    }] += 1;
                }
                black_box(counts)
            });
        });
        // The same records with one purpose each: no purposes to weigh against each other.
        let single: Vec<Row> = rows(&s, n)
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                let name = ["billing", "support", "security"][i % 3];
                r.purposes = PurposeSet::empty().with(s.purpose_id(name).unwrap());
                r
            })
            .collect();
        g.bench_with_input(
            BenchmarkId::new("evaluate_one_purpose", n),
            &single,
            |b, data| {
                b.iter(|| {
                    ev.evaluate_all(data.iter().map(facts))
                        .filter(|d| d.verdict() == Verdict::ActNow)
                        .count()
                });
            },
        );
        g.bench_with_input(
            BenchmarkId::new("evaluate_with_due_date", n),
            &data,
            |b, data| {
                b.iter(|| {
                    ev.evaluate_all(data.iter().map(facts))
                        .filter_map(|d| d.due())
                        .max()
                });
            },
        );
        g.bench_with_input(BenchmarkId::new("next_change", n), &data, |b, data| {
            b.iter(|| ev.next_change(data.iter().map(facts)));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
