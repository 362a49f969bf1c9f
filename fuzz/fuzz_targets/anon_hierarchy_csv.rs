//! Hierarchy CSV parsing never panics; what parses writes back to an equal hierarchy, and
//! encoding it against its own values works.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::anon::Hierarchy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(h) = Hierarchy::from_csv_str(text, ';') {
        let again = Hierarchy::from_csv_str(&h.to_csv_string(';'), ';').expect("round trip");
        assert_eq!(again, h);
        let values: Vec<&str> = h.rows().iter().map(|r| r[0].as_str()).collect();
        h.check_covers("a", values).expect("covers its own values");
    }
});
