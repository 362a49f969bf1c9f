//! Data-map loading (TOML and JSON) must never panic; whatever loads must render its
//! notices and records of processing without panicking, and the HTML notice must hold
//! no unescaped markup from the document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::rights::{DataMap, Taxonomy};

fn check(map: &DataMap) {
    let html = map.privacy_notice_html();
    assert!(!html.contains("<script"), "unescaped markup in the notice");
    let _ = map.privacy_notice_markdown();
    let _ = map.records_of_processing_csv();
    let json = map.records_of_processing_json();
    serde_json::from_str::<serde_json::Value>(&json).expect("records of processing are JSON");
    let _ = map.ccpa_disclosure_markdown();
}

fuzz_target!(|data: &[u8]| {
    let Ok(taxonomy) = Taxonomy::fideslang() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(map) = DataMap::from_toml(text, taxonomy.clone()) {
            check(&map);
        }
        if let Ok(map) = DataMap::from_json(text, taxonomy) {
            check(&map);
        }
    }
});
