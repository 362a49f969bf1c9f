//! Table CSV loading never panics; a loaded table writes back to an equal table; a small
//! anonymization over it with masking hierarchies never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::anon::{
    AnonymizationConfig, Anonymizer, AttributeRole, Hierarchy, PrivacyModel, Table,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut table) = Table::from_csv_str(text, ',') else {
        return;
    };
    let again = Table::from_csv_str(&table.to_csv_string(','), ',').expect("round trip");
    assert_eq!(again.len(), table.len());
    for row in 0..table.len() {
        assert_eq!(again.row(row), table.row(row));
    }
    let names: Vec<String> = table
        .attribute_names()
        .take(2)
        .map(str::to_string)
        .collect();
    let mut config = AnonymizationConfig::new()
        .model(PrivacyModel::KAnonymity { k: 2 })
        .suppression_limit(0.1);
    for name in &names {
        let values = table.distinct_values(name).expect("attribute").to_vec();
        let Ok(h) = Hierarchy::masking(&values, '*') else {
            return;
        };
        table
            .set_role(name, AttributeRole::QuasiIdentifying)
            .expect("attribute");
        config = config.hierarchy(name.clone(), h);
    }
    if let Ok(mut anonymizer) = Anonymizer::new(&table, &config) {
        if anonymizer.lattice_size() <= 4096 {
            let _ = anonymizer.optimal();
        }
    }
});
