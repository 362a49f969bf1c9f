//! Beacons (blind indexes) through the public API: the measured false-positive rate of
//! every length against the expected one on 1,000,000 distinct values, equality lookups
//! over encrypted rows, compound lookups, and properties.
//!
//! The DB-ESDK known answers are unit tests in `src/pseudonym/beacon.rs` (they need a
//! 5-byte beacon key, which the public API refuses).

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::collections::BTreeSet;

use privkit::kdf::RootKey;
use privkit::keyset::Keyset;
use privkit::pseudonym::{
    BeaconKeys, CompoundBeacon, MAX_BEACON_BITS, Normalization, Part, StandardBeacon,
};
use privkit::secret::SecretBytes;
use privkit::{Algorithm, Result};
use proptest::prelude::*;

fn keys() -> BeaconKeys {
    let root = RootKey::from_secret(&SecretBytes::from_slice(&[0x5a; 32])).unwrap();
    BeaconKeys::new(&root.tenant("acme").unwrap().beacon_key().unwrap())
}

/// For each length `b`, the number of pairs of distinct values whose `b`-bit beacons are
/// equal, from their 63-bit beacons. Beacons keep the *low* bits, so after reversing the
/// bits of each value and sorting, the values sharing their low `b` bits are contiguous
/// for every `b` at once.
fn colliding_pairs(full: &[u64]) -> Vec<u64> {
    let mut rev: Vec<u64> = full.iter().map(|v| v.reverse_bits()).collect();
    rev.sort_unstable();
    let mut pairs = vec![0u64; MAX_BEACON_BITS as usize + 1];
    for (b, slot) in pairs.iter_mut().enumerate().skip(1) {
        let shift = 64 - b as u32;
        let mut run = 1u64;
        for w in rev.windows(2) {
            if w[0] >> shift == w[1] >> shift {
                run += 1;
            } else {
                *slot += run * (run - 1) / 2;
                run = 1;
            }
        }
        *slot += run * (run - 1) / 2;
    }
    pairs
}

/// On 1,000,000 distinct values, the measured false-positive rate of every beacon length
/// from 1 to 63 bits is within 3 sigma of the expected `2^-b`.
///
/// The false-positive rate is the probability that a lookup of one value returns one
/// given row of another value: measured as colliding pairs over all pairs. For an
/// ideal (random) function the pair indicators are pairwise independent, so the count of
/// colliding pairs among `M = n(n-1)/2` pairs has mean `M p` and variance `M p (1 - p)`
/// exactly.
#[test]
fn false_positive_rate_of_every_length_is_as_expected() {
    const N: u64 = 1_000_000;
    let keys = keys();
    let full = keys
        .standard("email", MAX_BEACON_BITS, Normalization::NONE)
        .unwrap();
    let values: Vec<u64> = (0..N)
        .map(|i| full.value(&format!("customer-{i}@example.com")))
        .collect();
    // A shorter beacon of the same name is the low bits of the full one: checked on a
    // sample for every length, which lets one pass measure them all.
    for bits in 1..=MAX_BEACON_BITS {
        let short = keys.standard("email", bits, Normalization::NONE).unwrap();
        for i in (0..N).step_by(99_991) {
            let v = short.value(&format!("customer-{i}@example.com"));
            let i = usize::try_from(i).unwrap();
            assert_eq!(v, values[i] & ((1u64 << bits) - 1), "bits {bits}");
        }
    }
    let pairs = colliding_pairs(&values);
    let m = (N * (N - 1) / 2) as f64;
    println!("bits  expected_rate   measured_rate   colliding_pairs  expected_pairs  z");
    for bits in 1..=MAX_BEACON_BITS {
        let beacon = keys.standard("email", bits, Normalization::NONE).unwrap();
        let p = beacon.false_positive_rate();
        let expected = m * p;
        let sigma = (m * p * (1.0 - p)).sqrt();
        let got = pairs[bits as usize] as f64;
        let z = (got - expected) / sigma;
        println!(
            "{bits:>4}  {p:>13.6e}  {:>14.6e}  {:>15}  {expected:>14.1}  {z:+.2}",
            got / m,
            pairs[bits as usize]
        );
        assert!(
            z.abs() <= 3.0,
            "{bits} bits: {got} colliding pairs, expected {expected:.1} (sigma {sigma:.2})"
        );
    }
}

/// A table of encrypted rows with a beacon column: every lookup returns exactly the rows
/// holding the value once decryption filters the beacon's false positives, and short
/// beacons do return false positives to filter.
#[test]
fn equality_lookups_return_exactly_the_matching_rows() -> Result<()> {
    struct Row {
        id: u32,
        ciphertext: Vec<u8>,
        beacon: u64,
        value: String,
    }
    let keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
    let keys = keys();
    for (bits, partitions) in [(8, 1), (10, 4), (16, 1)] {
        let beacon = keys
            .standard("email", bits, Normalization::ALL)?
            .with_partitions(partitions)?;
        // 6,000 rows over 1,500 distinct addresses, written in varied spellings.
        let rows: Vec<Row> = (0..6_000u32)
            .map(|id| {
                let n = (id * 7919) % 1_500;
                let value = match id % 3 {
                    0 => format!("user{n}@example.com"),
                    1 => format!(" User{n}@Example.COM"),
                    _ => format!("user{n}@example.com\t"),
                };
                let partition = beacon.random_partition()?;
                Ok(Row {
                    id,
                    ciphertext: keyset.encrypt(value.as_bytes(), &id.to_be_bytes())?,
                    beacon: beacon.value_in(&value, partition)?,
                    value,
                })
            })
            .collect::<Result<_>>()?;
        let mut candidates_total = 0usize;
        let mut matches_total = 0usize;
        for q in (0..1_600).step_by(7) {
            let query = format!("USER{q}@example.com");
            let lookup = beacon.lookup(&query);
            // The database's part: rows whose beacon is one of the lookup's.
            let candidates: Vec<&Row> = rows
                .iter()
                .filter(|r| lookup.values().contains(&r.beacon))
                .collect();
            // The application's part: decrypt and keep the true matches.
            let mut found = BTreeSet::new();
            for r in &candidates {
                let plain = keyset.decrypt(&r.ciphertext, &r.id.to_be_bytes())?;
                if lookup.matches_bytes(&plain) {
                    found.insert(r.id);
                }
            }
            let truth: BTreeSet<u32> = rows
                .iter()
                .filter(|r| r.value.trim().to_lowercase() == query.to_lowercase())
                .map(|r| r.id)
                .collect();
            assert_eq!(found, truth, "{bits} bits, query {query}");
            if q < 1_500 {
                assert_eq!(truth.len(), 4, "every address has four rows");
            } else {
                assert!(truth.is_empty());
            }
            candidates_total += candidates.len();
            matches_total += found.len();
        }
        let lookups = (0..1_600).step_by(7).count() as f64;
        let false_positives = (candidates_total - matches_total) as f64 / lookups;
        let expected = beacon.expected_false_positives(6_000);
        println!(
            "{bits} bits, {partitions} partitions: {false_positives:.2} false positives per \
             lookup, expected about {expected:.2}"
        );
        if bits <= 10 {
            assert!(false_positives > 1.0, "short beacons must collide");
        }
        // Loose sanity bound (the 3-sigma check is the test above).
        assert!(false_positives < 2.0 * expected + 1.0);
    }
    Ok(())
}

#[test]
fn compound_lookups_by_whole_value_and_by_prefix() -> Result<()> {
    let keys = keys();
    let last = keys.standard("last_name", 12, Normalization::ALL)?;
    let first = keys.standard("first_name", 12, Normalization::ALL)?;
    let by_name = CompoundBeacon::builder("name_country", '.')
        .part(Part::plain("country", "C_", Normalization::ALL))
        .part(Part::beacon("L_", last.clone()))
        .part(Part::beacon("F_", first))
        .constructor(&[
            ("country", true),
            ("last_name", true),
            ("first_name", false),
        ])
        .build()?;
    let people = [
        ("DE", "Müller", "Anna"),
        ("de", "Mu\u{0308}ller ", "Jonas"),
        ("FR", "Müller", "Anna"),
        ("DE", "Schmidt", "Anna"),
    ];
    let stored: Vec<String> = people
        .iter()
        .map(|(c, l, f)| {
            by_name
                .beacon(&[("country", c), ("last_name", l), ("first_name", f)])
                .map(Option::unwrap)
        })
        .collect::<Result<_>>()?;
    assert!(stored[0].starts_with("C_de.L_"), "{}", stored[0]);
    assert_eq!(stored[0].len(), "C_de.L_".len() + 3 + ".F_".len() + 3);
    // Whole value: country, last and first name.
    let q = by_name.query(&[
        ("country", "DE"),
        ("last_name", "MÜLLER"),
        ("first_name", "anna"),
    ])?;
    assert!(q.is_complete());
    assert_eq!(q.value(), stored[0]);
    // Leading parts: every Müller in Germany, whatever the first name (NFD spelling too).
    let q = by_name.query(&[("country", "DE"), ("last_name", "müller")])?;
    assert!(q.is_complete(), "first_name is optional");
    let hits: Vec<usize> = (0..people.len())
        .filter(|&i| stored[i] == q.value() || stored[i].starts_with(&q.prefix()))
        .collect();
    // Rows 0 and 1 (row 1 unless the 12-bit beacons of two first names collide: they
    // do not under this key).
    assert_eq!(hits, vec![0, 1]);
    // The beacon of the last name inside the compound is the standard beacon.
    assert!(stored[0].contains(&format!("L_{}", last.beacon("Müller"))));
    Ok(())
}

proptest! {
    #[test]
    fn text_is_the_hex_of_the_value_and_normalization_holds(
        value in "\\PC{0,40}",
        bits in 1u32..=63,
    ) {
        let keys = keys();
        let b = keys.standard("p", bits, Normalization::ALL).unwrap();
        let v = b.value(&value);
        prop_assert!(v < (1u64 << bits));
        let text = b.beacon(&value);
        prop_assert_eq!(text.len(), b.text_len());
        prop_assert_eq!(u64::from_str_radix(&text, 16).unwrap(), v);
        // Normalization: trimmed, case-folded spellings get the same beacon.
        let spelled = format!("  {}\t", value.to_uppercase());
        prop_assert_eq!(b.beacon(&spelled), b.beacon(&value.to_uppercase()));
        let padded = format!(" {value} ");
        prop_assert!(b.lookup(&value).matches(&padded));
    }

    #[test]
    fn names_give_independent_beacons(value in "[a-z]{1,20}") {
        let keys = keys();
        let a = keys.standard("a", 63, Normalization::NONE).unwrap();
        let b = keys.standard("b", 63, Normalization::NONE).unwrap();
        prop_assert_ne!(a.value(&value), b.value(&value));
    }
}

#[test]
fn bits_for_keeps_values_per_beacon() -> Result<()> {
    let keys = keys();
    for distinct in [1_000u64, 100_000, 10_000_000] {
        let bits = StandardBeacon::bits_for(distinct, 4.0)?;
        let b = keys.standard("x", bits, Normalization::NONE)?;
        let per_beacon = distinct as f64 / 2f64.powi(bits as i32);
        assert!((4.0..8.0).contains(&per_beacon), "{distinct}: {per_beacon}");
        assert!(b.expected_colliding_values(distinct) >= 3.0);
    }
    Ok(())
}
