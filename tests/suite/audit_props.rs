//! Property tests of the audit log: proofs verify for every index and size pair and fail
//! for any other entry; events round-trip through their encoding whatever their strings.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use jiff::Timestamp;
use privkit::audit::{
    ApplicationEvent, Event, EventKind, KeyOp, KeyRef, KeyUsage, MerkleTree, SubjectRef,
    verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn proofs_verify_and_bind_the_entry(size in 1u64..300, a in any::<u64>(), b in any::<u64>()) {
        let mut tree = MerkleTree::new();
        for i in 0..size {
            tree.push(&i.to_le_bytes());
        }
        let new = 1 + b % size;
        let index = a % new;
        let root = tree.root_at(new).unwrap();
        let p = tree.inclusion_proof(index, new).unwrap();
        p.verify(&index.to_le_bytes(), &root).unwrap();
        prop_assert!(p.verify(&(index + 1).to_le_bytes(), &root).is_err());
        let leaf = tree.leaf_hash(index).unwrap();
        prop_assert!(verify_inclusion(index, new, &leaf, p.hashes(), &root).is_ok());
        if new > 1 {
            prop_assert!(verify_inclusion((index + 1) % new, new, &leaf, p.hashes(), &root).is_err());
        }
        let old = 1 + a % new;
        let c = tree.consistency_proof(old, new).unwrap();
        let old_root = tree.root_at(old).unwrap();
        prop_assert!(verify_consistency(old, new, c.hashes(), &old_root, &root).is_ok());
        if old < new {
            // The same proof does not tie the old root to a tree with one entry changed.
            let mut other = MerkleTree::new();
            for i in 0..new {
                other.push(&(i + u64::from(i == new - 1)).to_le_bytes());
            }
            prop_assert!(verify_consistency(old, new, c.hashes(), &old_root, &other.root()).is_err());
        }
    }

    #[test]
    fn events_round_trip(
        actor in ".{0,40}",
        purpose in proptest::option::of(".{0,20}"),
        name in ".{0,30}",
        attrs in proptest::collection::vec((".{0,10}", ".{0,10}"), 0..5),
        secs in -10_000_000_000i64..10_000_000_000,
        nanos in 0i32..1_000_000_000,
        count in any::<u64>(),
        subject in proptest::option::of(any::<[u8; 16]>()),
    ) {
        let at = Timestamp::new(secs, if secs < 0 { -nanos } else { nanos }).unwrap();
        let mut e = Event::new(at, &actor, EventKind::Application(ApplicationEvent {
            name: name.clone(),
            subject: subject.map(SubjectRef::from_bytes),
            attributes: attrs,
        }));
        e.purpose = purpose;
        prop_assert_eq!(Event::decode(&e.encode().unwrap()).unwrap(), e);
        let u = Event::new(at, &actor, EventKind::KeyUsage(KeyUsage {
            key: KeyRef::Keyset { keyset: name, id: count as u32 },
            op: KeyOp::Decrypt,
            algorithm: "AES-256-GCM".into(),
            count,
            bytes: count / 3,
            window: Some((at, at)),
            category: None,
            subject: subject.map(SubjectRef::from_bytes),
            ciphertext: Some(actor.clone()),
        }));
        prop_assert_eq!(Event::decode(&u.encode().unwrap()).unwrap(), u);
    }
}
