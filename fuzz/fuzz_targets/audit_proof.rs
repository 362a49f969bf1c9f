//! Proof texts (C2SP tlog-proof, privkit consistency proofs) must never panic; what
//! parses writes back to the same value, and verifying it against a real log never
//! panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::audit::{ConsistencyProof, MerkleTree, NoteSigner, TlogProof};
use privkit::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut tree = MerkleTree::new();
    for i in 0..13u8 {
        tree.push(&[i]);
    }
    if let Ok(p) = TlogProof::parse(text) {
        let again = TlogProof::parse(&p.to_text()).expect("a written proof parses");
        assert_eq!(again, p);
        let signer = NoteSigner::from_seed("fuzz.example/log", &SecretBytes::from_slice(&[9; 32]))
            .expect("signer");
        let _ = p.verify(&[3], &signer.verifier(), "fuzz.example/log");
    }
    if let Ok(p) = ConsistencyProof::parse(text) {
        assert_eq!(
            ConsistencyProof::parse(&p.to_text()).expect("round trip"),
            p
        );
        if let (Ok(old), Ok(new)) = (
            tree.root_at(p.old_size().min(13)),
            tree.root_at(p.new_size().min(13)),
        ) {
            let _ = p.verify(&old, &new);
        }
    }
});
