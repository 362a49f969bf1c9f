//! Retention evaluation: precedence, triggers, holds, bulk evaluation and invariants.
#![allow(clippy::unwrap_used, missing_docs)]

use jiff::Timestamp;
use jiff::civil::{Date, date};
use jiff::tz::{Offset, TimeZone};
use privkit::retention::{
    Action, Facts, HoldScope, LegalBasis, LegalHold, Purpose, PurposeSet, Rule, Schedule, Verdict,
};
use proptest::prelude::*;

fn at(d: Date) -> Timestamp {
    TimeZone::UTC.to_timestamp(d.at(12, 0, 0, 0)).unwrap()
}

fn rule(id: &str, cats: &str, purpose: &str, period: &str, trigger: &str, action: &str) -> Rule {
    Rule::new(id, cats, purpose, period, trigger, action).unwrap()
}

fn schedule() -> Schedule {
    schedule_in(TimeZone::UTC)
}

fn schedule_in(tz: TimeZone) -> Schedule {
    Schedule::builder()
        .time_zone(tz)
        .purpose(
            Purpose::new("billing").unwrap(),
            LegalBasis::LegalObligation,
        )
        .purpose(Purpose::new("marketing").unwrap(), LegalBasis::Consent)
        .purpose(Purpose::new("support").unwrap(), LegalBasis::Contract)
        .purpose(Purpose::new("research").unwrap(), LegalBasis::PublicTask)
        .rule(
            rule(
                "billing",
                "user.billing",
                "billing",
                "P10Y",
                "contract_end",
                "delete",
            )
            .with_reference("HGB §257"),
        )
        .rule(rule(
            "mkt",
            "user",
            "marketing",
            "P0D",
            "consent_withdrawn",
            "delete",
        ))
        .rule(rule(
            "support",
            "user",
            "support",
            "P2Y",
            "last_activity",
            "archive",
        ))
        .rule(rule(
            "support-same",
            "user.billing",
            "support",
            "P10Y",
            "contract_end",
            "review",
        ))
        .rule(rule(
            "user-any",
            "user",
            "*",
            "P5Y",
            "collected",
            "anonymize",
        ))
        .rule(rule(
            "deep-any",
            "user.billing.card",
            "*",
            "P1Y",
            "collected",
            "delete",
        ))
        .rule(rule(
            "closed",
            "device",
            "*",
            "P30D",
            "event:account_closed",
            "delete",
        ))
        .hold(
            LegalHold::new(
                "audit",
                HoldScope::Categories("user.billing.vat".parse().unwrap()),
                "tax audit 2026",
                date(2026, 1, 1),
                Some(date(2026, 6, 30)),
            )
            .unwrap(),
        )
        .hold(
            LegalHold::new(
                "case-17",
                HoldScope::Listed,
                "litigation",
                date(2026, 9, 1),
                None,
            )
            .unwrap(),
        )
        .build()
        .unwrap()
}

#[test]
fn legal_hold_always_wins() {
    let s = schedule();
    let billing = s.purpose_set(["billing"]).unwrap();
    let vat = s.class_of("user.billing.vat.returns").unwrap();
    let f = Facts::new(vat, billing, at(date(2000, 1, 1))).contract_end(at(date(2001, 1, 1)));
    let d = s.evaluator_on(date(2026, 3, 1)).evaluate(&f);
    assert_eq!(d.verdict(), Verdict::Keep);
    assert_eq!(d.hold().unwrap().id(), "audit");
    assert_eq!(d.action(), None);
    assert_eq!(d.next_change(), Some(date(2026, 7, 1)));
    assert!(d.reason().to_string().contains("legal hold `audit`"));
    // The day after the hold ends, the rule acts.
    let d = s.evaluator_on(date(2026, 7, 1)).evaluate(&f);
    assert_eq!(d.verdict(), Verdict::ActNow);
    assert_eq!(d.rule().unwrap().id(), "billing");

    // A listed hold applies only to records that name it, from its first day.
    let case = [s.hold_id("case-17").unwrap()];
    let listed = f.holds(&case);
    assert_eq!(
        s.evaluator_on(date(2026, 8, 31))
            .evaluate(&listed)
            .verdict(),
        Verdict::ActNow
    );
    let d = s.evaluator_on(date(2026, 9, 1)).evaluate(&listed);
    assert_eq!(d.verdict(), Verdict::Keep);
    assert_eq!(d.hold().unwrap().id(), "case-17");
    assert_eq!(d.next_change(), None);
}

#[test]
fn future_hold_start_is_a_change_date() {
    let s = schedule();
    let support = s.purpose_set(["support"]).unwrap();
    let case = [s.hold_id("case-17").unwrap()];
    let class = s.class_of("user.profile").unwrap();
    let f = Facts::new(class, support, at(date(2026, 1, 1))).holds(&case);
    let d = s.evaluator_on(date(2026, 2, 1)).evaluate(&f);
    assert_eq!(d.verdict(), Verdict::ActAt);
    assert_eq!(d.due(), Some(date(2028, 1, 1)));
    assert_eq!(d.next_change(), Some(date(2026, 9, 1)));
}

#[test]
fn most_specific_category_then_own_purpose_wins() {
    let s = schedule();
    let ev = s.evaluator_on(date(2026, 1, 1));
    let research = s.purpose_set(["research"]).unwrap();
    let billing = s.purpose_set(["billing"]).unwrap();
    let collected = at(date(2024, 1, 1));
    // `user.billing.card` has a `*` rule: deeper category beats `billing` on `user.billing`.
    let card = s.class_of("user.billing.card.pan").unwrap();
    let d = ev.evaluate(&Facts::new(card, billing, collected));
    assert_eq!(d.rule().unwrap().id(), "deep-any");
    assert_eq!(d.verdict(), Verdict::ActNow);
    // On `user.billing` itself, the billing rule beats the inherited `*` rule.
    let inv = s.class_of("user.billing.invoice").unwrap();
    let d = ev.evaluate(&Facts::new(inv, billing, collected));
    assert_eq!(d.rule().unwrap().id(), "billing");
    assert_eq!(d.verdict(), Verdict::Keep, "contract has not ended");
    assert!(d.reason().to_string().contains("[HGB §257]"));
    // A purpose with no own rule falls back to `*` on the nearest category.
    let d = ev.evaluate(&Facts::new(inv, research, collected));
    assert_eq!(d.rule().unwrap().id(), "user-any");
    assert_eq!(d.due(), Some(date(2029, 1, 1)));
    assert_eq!(d.action(), Some(Action::Anonymize));
}

#[test]
fn data_stays_while_any_purpose_needs_it() {
    let s = schedule();
    let ev = s.evaluator_on(date(2026, 1, 1));
    let inv = s.class_of("user.billing.invoice").unwrap();
    let both = s.purpose_set(["billing", "support"]).unwrap();
    let f = Facts::new(inv, both, at(date(2010, 1, 1)));
    // billing's contract_end trigger is pending: keep, whatever support says.
    let d = ev.evaluate(&f);
    assert_eq!(d.verdict(), Verdict::Keep);
    assert_eq!(d.rule().unwrap().id(), "billing");
    assert!(
        d.reason()
            .to_string()
            .contains("contract end has not happened")
    );
    // Contract ended 2020-03-01: billing runs to 2030-03-01, support-same too (tie):
    // the least destructive action (review) wins.
    let f = f.contract_end(at(date(2020, 3, 1)));
    let d = ev.evaluate(&f);
    assert_eq!(d.verdict(), Verdict::ActAt);
    assert_eq!(d.due(), Some(date(2030, 3, 1)));
    assert_eq!(d.action(), Some(Action::Review));
    assert_eq!(d.rule().unwrap().id(), "support-same");

    // Different periods: the later one decides.
    let profile = s.class_of("user.profile").unwrap();
    let two = s.purpose_set(["support", "research"]).unwrap();
    let d = ev.evaluate(&Facts::new(profile, two, at(date(2023, 6, 1))));
    assert_eq!(d.rule().unwrap().id(), "user-any");
    assert_eq!(d.due(), Some(date(2028, 6, 1)));
    // One due now, one not: the one not yet due decides.
    let d = ev.evaluate(
        &Facts::new(profile, two, at(date(2023, 6, 1))).last_activity(at(date(2023, 7, 1))),
    );
    assert_eq!(d.verdict(), Verdict::ActAt);
}

#[test]
fn triggers() {
    let s = schedule();
    let ev = s.evaluator_on(date(2026, 1, 1));
    let support = s.purpose_set(["support"]).unwrap();
    let profile = s.class_of("user.profile").unwrap();
    // last_activity falls back to collection.
    let d = ev.evaluate(&Facts::new(profile, support, at(date(2023, 1, 1))));
    assert_eq!(
        (d.verdict(), d.due()),
        (Verdict::ActNow, Some(date(2025, 1, 1)))
    );
    let d = ev.evaluate(
        &Facts::new(profile, support, at(date(2023, 1, 1))).last_activity(at(date(2025, 2, 3))),
    );
    assert_eq!(
        (d.verdict(), d.due()),
        (Verdict::ActAt, Some(date(2027, 2, 3)))
    );
    // Custom events.
    let device = s.class_of("device.phone").unwrap();
    let d = ev.evaluate(&Facts::new(device, support, at(date(2020, 1, 1))));
    assert_eq!(d.verdict(), Verdict::Keep);
    let closed = [(
        s.event_id("account_closed").unwrap(),
        at(date(2025, 12, 15)),
    )];
    let d = ev.evaluate(&Facts::new(device, support, at(date(2020, 1, 1))).events(&closed));
    assert_eq!(
        (d.verdict(), d.due()),
        (Verdict::ActAt, Some(date(2026, 1, 14)))
    );
    assert!(s.event_id("nope").is_err());
}

#[test]
fn unregulated_records_are_kept_and_flagged() {
    let s = schedule();
    let ev = s.evaluator_on(date(2026, 1, 1));
    let other = s.class_of("vendor.contact").unwrap();
    let d = ev.evaluate(&Facts::new(
        other,
        s.purpose_set(["billing"]).unwrap(),
        at(date(2000, 1, 1)),
    ));
    assert_eq!(d.verdict(), Verdict::Keep);
    assert!(d.is_unregulated());
    assert!(d.reason().to_string().contains("no rule covers"));
    let d = ev.evaluate(&Facts::new(
        other,
        PurposeSet::empty(),
        at(date(2000, 1, 1)),
    ));
    assert!(d.is_unregulated());
    assert!(d.reason().to_string().contains("names no purpose"));
}

#[test]
fn ids_from_another_schedule_do_not_panic() {
    let big = schedule();
    let small = Schedule::builder()
        .purpose(
            Purpose::new("logs").unwrap(),
            LegalBasis::LegitimateInterests,
        )
        .rule(rule("logs", "logs", "logs", "P1D", "collected", "delete"))
        .build()
        .unwrap();
    let ev = small.evaluator_on(date(2026, 1, 1));
    let case = [big.hold_id("case-17").unwrap()];
    let withdrawn = [(big.purpose_id("research").unwrap(), at(date(2025, 1, 1)))];
    let f = Facts::new(
        big.class_of("user.billing.card").unwrap(),
        big.purpose_set(["research", "marketing"]).unwrap(),
        at(date(2020, 1, 1)),
    )
    .holds(&case)
    .consent_withdrawn(&withdrawn);
    let d = ev.evaluate(&f);
    assert_eq!(d.verdict(), Verdict::Keep);
    assert!(d.is_unregulated());
    let _ = d.reason().to_string();
}

#[test]
fn time_zone_decides_the_day() {
    let zone = |tz: TimeZone| {
        Schedule::builder()
            .time_zone(tz)
            .purpose(
                Purpose::new("logs").unwrap(),
                LegalBasis::LegitimateInterests,
            )
            .rule(rule("logs", "*", "logs", "P1D", "collected", "delete"))
            .build()
            .unwrap()
    };
    let late = "2025-12-31T23:30:00Z".parse::<Timestamp>().unwrap();
    let utc = zone(TimeZone::UTC);
    let plus2 = zone(TimeZone::fixed(Offset::from_hours(2).unwrap()));
    let run = |s: &Schedule| {
        let f = Facts::new(
            s.class_of("x").unwrap(),
            s.purpose_set(["logs"]).unwrap(),
            late,
        );
        s.evaluator(late).evaluate(&f).due()
    };
    assert_eq!(run(&utc), Some(date(2026, 1, 1)));
    assert_eq!(run(&plus2), Some(date(2026, 1, 2)));
}

#[test]
fn bulk_evaluation_and_next_sweep() {
    let s = schedule();
    let ev = s.evaluator_on(date(2026, 1, 1));
    let support = s.purpose_set(["support"]).unwrap();
    let class = s.class_of("user.profile").unwrap();
    let days = [
        date(2022, 1, 1),
        date(2024, 5, 7),
        date(2025, 3, 9),
        date(2024, 2, 29),
    ];
    let facts: Vec<Facts<'_>> = days
        .iter()
        .map(|&d| Facts::new(class, support, at(d)))
        .collect();
    let decisions: Vec<_> = ev.evaluate_all(facts.iter().copied()).collect();
    assert_eq!(decisions.len(), 4);
    assert_eq!(decisions[0].verdict(), Verdict::ActNow);
    assert_eq!(
        ev.next_change(facts.iter().copied()),
        Some(date(2026, 2, 28))
    );
    assert_eq!(ev.next_change(std::iter::empty()), None);
}

proptest! {
    #[test]
    fn verdicts_agree_with_due_dates(
        purposes in 0u64..16,
        collected in 0i64..8000,
        activity in proptest::option::of(0i64..400),
        contract in proptest::option::of(0i64..3000),
        today in 0i64..10_000,
        category in 0usize..6,
        offset_minutes in -720i32..840,
        hour in 0i8..24,
    ) {
        let s = schedule_in(TimeZone::fixed(Offset::from_seconds(offset_minutes * 60).unwrap()));
        let base = date(2005, 1, 1);
        let day = |n: i64| base.checked_add(jiff::Span::new().days(n)).unwrap();
        let cats = ["user.billing.invoice", "user.billing.card", "user.billing.vat", "user.x", "device.y", "z"];
        let class = s.class_of(cats[category]).unwrap();
        let names = ["billing", "marketing", "support", "research"];
        let set = s.purpose_set((0..4).filter(|i| purposes & (1 << i) != 0).map(|i| names[i])).unwrap();
        let collected_at = TimeZone::UTC.to_timestamp(day(collected).at(hour, 0, 0, 0)).unwrap();
        let mut f = Facts::new(class, set, collected_at);
        if let Some(a) = activity { f = f.last_activity(at(day(collected + a))); }
        if let Some(c) = contract { f = f.contract_end(at(day(collected + c))); }
        let today = day(today);
        let d = s.evaluator_on(today).evaluate(&f);
        match d.verdict() {
            Verdict::ActNow => {
                prop_assert!(d.due().unwrap() <= today);
                prop_assert!(d.action().is_some());
            }
            Verdict::ActAt => {
                let due = d.due().unwrap();
                prop_assert!(due > today);
                prop_assert!(d.next_change().unwrap() > today);
                // On the due day (no hold starts in between) the same record is due.
                if d.next_change() == Some(due) {
                    let later = s.evaluator_on(due).evaluate(&f);
                    prop_assert_eq!(later.verdict(), Verdict::ActNow);
                    prop_assert_eq!(later.due(), Some(due));
                }
            }
            Verdict::Keep => prop_assert!(d.action().is_none()),
        }
        if let Some(next) = d.next_change() { prop_assert!(next > today); }
    }
}

#[cfg(feature = "toml")]
#[test]
fn example_schedule_loads() {
    let s = Schedule::from_toml(include_str!("../../examples/data/retention.toml")).unwrap();
    assert_eq!(s.rules().len(), 6);
    assert_eq!(s.legal_basis("newsletter"), Some(LegalBasis::Consent));
    let broken =
        include_str!("../../examples/data/retention.toml").replace("\"P90D\"", "\"90 minutes\"");
    let e = Schedule::from_toml(&broken).unwrap_err().to_string();
    assert!(
        e.contains("rules[3]: rule `access-logs`: period `90 minutes`"),
        "{e}"
    );
}

#[cfg(feature = "tzdb")]
#[test]
fn iana_zone_across_daylight_saving() {
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let s = Schedule::builder()
        .time_zone(berlin)
        .purpose(
            Purpose::new("logs").unwrap(),
            LegalBasis::LegitimateInterests,
        )
        .rule(rule("logs", "*", "logs", "P1M", "collected", "delete"))
        .build()
        .unwrap();
    // 2026-03-28T23:30Z is 00:30 on 2026-03-29 in Berlin (CET, +01:00), the night
    // clocks go forward; one month later is 2026-04-29 in Berlin.
    let t = "2026-03-28T23:30:00Z".parse::<Timestamp>().unwrap();
    let f = Facts::new(
        s.class_of("x").unwrap(),
        s.purpose_set(["logs"]).unwrap(),
        t,
    );
    assert_eq!(s.day_of(t), date(2026, 3, 29));
    let d = s.evaluator_on(date(2026, 4, 28)).evaluate(&f);
    assert_eq!(
        (d.verdict(), d.due()),
        (Verdict::ActAt, Some(date(2026, 4, 29)))
    );
    // 2026-04-28T22:30Z is already 2026-04-29 in Berlin (CEST, +02:00).
    let now = "2026-04-28T22:30:00Z".parse::<Timestamp>().unwrap();
    assert_eq!(s.evaluator(now).evaluate(&f).verdict(), Verdict::ActNow);
}

#[test]
fn evaluator_is_shareable_across_threads() {
    fn assert_sync<T: Send + Sync>() {}
    assert_sync::<Schedule>();
    assert_sync::<privkit::retention::Evaluator<'static>>();
    assert_sync::<privkit::retention::Decision<'static>>();
}

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn schedules_round_trip_through_json(
        bases in proptest::collection::vec(0usize..6, 1..5),
        rules in proptest::collection::vec(
            (0usize..5, 0usize..6, 0i64..12, 0i64..24, 0i64..60, 0usize..4, 0usize..5),
            0..12,
        ),
        hold in proptest::option::of((0usize..5, 0i64..400, proptest::option::of(0i64..400))),
    ) {
        let selectors = ["*", "user", "user.contact", "user.contact.email", "device"];
        let triggers = ["collected", "last_activity", "contract_end", "event:closed"];
        let actions = ["review", "archive", "pseudonymize", "anonymize", "delete"];
        let names: Vec<String> = (0..bases.len()).map(|i| format!("p{i}")).collect();
        let mut b = Schedule::builder();
        for (name, &basis) in names.iter().zip(&bases) {
            b = b.purpose(Purpose::new(name).unwrap(), LegalBasis::ALL[basis]);
        }
        let mut seen = std::collections::HashSet::new();
        for (i, &(sel, purpose, y, m, d, t, a)) in rules.iter().enumerate() {
            let purpose = names.get(purpose).map_or("*", String::as_str);
            if !seen.insert((sel, purpose)) {
                continue;
            }
            let period = format!("P{y}Y{m}M{d}D");
            b = b.rule(
                Rule::new(&format!("r{i}"), selectors[sel], purpose, &period, triggers[t], actions[a])
                    .unwrap(),
            );
        }
        if let Some((sel, from, len)) = hold {
            let from = date(2020, 1, 1).checked_add(jiff::Span::new().days(from)).unwrap();
            let until = len.map(|n| from.checked_add(jiff::Span::new().days(n)).unwrap());
            let scope = match sel {
                0 => HoldScope::Listed,
                n => HoldScope::Categories(selectors[n].parse().unwrap()),
            };
            b = b.hold(LegalHold::new("h", scope, "reason", from, until).unwrap());
        }
        let built = b.build();
        // The only refusal left after de-duplication: a `*` rule every purpose overrides.
        prop_assume!(built.is_ok());
        let s = built.unwrap();
        let text = serde_json::to_string(&s).unwrap();
        let again: Schedule = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(again.rules(), s.rules());
        prop_assert_eq!(again.holds(), s.holds());
        prop_assert_eq!(again.purposes().collect::<Vec<_>>(), s.purposes().collect::<Vec<_>>());
        let all = s.purpose_set(names.iter().map(String::as_str)).unwrap();
        let on = date(2026, 1, 1);
        for cat in ["user.contact.email.x", "user.name", "device.a", "other"] {
            let f = Facts::new(s.class_of(cat).unwrap(), all, at(date(2019, 6, 30)));
            let (x, y) = (s.evaluator_on(on).evaluate(&f), again.evaluator_on(on).evaluate(&f));
            prop_assert_eq!(x.verdict(), y.verdict());
            prop_assert_eq!(x.due(), y.due());
            prop_assert_eq!(x.rule().map(Rule::id), y.rule().map(Rule::id));
            prop_assert_eq!(x.reason().to_string(), y.reason().to_string());
        }
    }
}
