//! Schedule parsing (TOML and JSON) must never panic; whatever parses must survive a
//! JSON round trip unchanged and evaluate without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::retention::{Facts, Schedule};

fn check(schedule: &Schedule) {
    let text = serde_json::to_string(schedule).expect("a schedule serializes");
    let again: Schedule = serde_json::from_str(&text).expect("a serialized schedule parses");
    assert_eq!(again.rules(), schedule.rules());
    assert_eq!(again.holds(), schedule.holds());
    let purposes = schedule
        .purpose_set(schedule.purposes().map(|(p, _)| p.as_str()))
        .expect("declared purposes resolve");
    let day = jiff::civil::date(2026, 1, 1);
    let evaluator = schedule.evaluator_on(day);
    let collected = jiff::Timestamp::UNIX_EPOCH;
    for rule in schedule.rules() {
        if let privkit::retention::Selector::Category(c) = rule.selector() {
            let d = evaluator.evaluate(&Facts::new(schedule.classify(c), purposes, collected));
            let _ = d.reason().to_string();
            let _ = d.next_change();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(schedule) = Schedule::from_toml(text) {
            check(&schedule);
        }
    }
    if let Ok(schedule) = serde_json::from_slice::<Schedule>(data) {
        check(&schedule);
    }
});
