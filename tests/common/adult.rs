//! Loading the Adult benchmark from `tests/data/adult/` (shared by tests, benches, examples).
#![allow(dead_code)]

use privkit::anon::{AnonymizationConfig, AttributeRole, Hierarchy, Table};

/// Adult's attributes in file order.
pub(crate) const ATTRIBUTES: [&str; 9] = [
    "sex",
    "age",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
    "salary-class",
];

/// The text of a file in the core crate's `tests/data/adult/` (found from the manifest
/// directory of the crate under test: the core at the workspace root, or an integration
/// crate below it).
pub(crate) fn data(name: &str) -> std::io::Result<String> {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = manifest
        .ancestors()
        .map(|d| d.join("tests/data/adult"))
        .find(|d| d.is_dir())
        .ok_or_else(|| std::io::Error::other("tests/data/adult not found"))?;
    std::fs::read_to_string(dir.join(name))
}

/// The header and records of `adult.csv`.
pub(crate) fn records(text: &str) -> (Vec<&str>, Vec<Vec<&str>>) {
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header = lines
        .next()
        .map(|h| h.split(';').collect())
        .unwrap_or_default();
    (header, lines.map(|l| l.split(';').collect()).collect())
}

/// Marks every attribute a quasi-identifier with its standard hierarchy, except `occupation`
/// (sensitive) unless `occupation_qi`.
pub(crate) fn roles(
    table: &mut Table,
    mut config: AnonymizationConfig,
    occupation_qi: bool,
) -> Result<AnonymizationConfig, Box<dyn std::error::Error>> {
    for a in ATTRIBUTES {
        if a == "occupation" && !occupation_qi {
            table.set_role(a, AttributeRole::Sensitive)?;
            continue;
        }
        table.set_role(a, AttributeRole::QuasiIdentifying)?;
        config = config.hierarchy(a, hierarchy(a)?);
    }
    Ok(config)
}

/// The standard hierarchy of `attribute`.
pub(crate) fn hierarchy(attribute: &str) -> Result<Hierarchy, Box<dyn std::error::Error>> {
    Ok(Hierarchy::from_csv_str(
        &data(&format!("adult_hierarchy_{attribute}.csv"))?,
        ';',
    )?)
}

/// `n` synthetic records: every value drawn independently from its column in `source` with a
/// fixed-seed xorshift generator (same marginals, independent attributes).
pub(crate) fn synthetic<'a>(
    source: &'a [Vec<&'a str>],
    n: usize,
) -> impl Iterator<Item = Vec<&'a str>> + 'a {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let width = source.first().map_or(0, Vec::len);
    (0..n).map(move |_| {
        (0..width)
            .map(|column| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = usize::try_from(state % source.len() as u64).unwrap_or(0);
                source[index][column]
            })
            .collect()
    })
}
