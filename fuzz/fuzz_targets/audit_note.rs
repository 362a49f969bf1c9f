//! Signed-note and checkpoint parsing must never panic; a checkpoint that parses writes
//! back to the same text (one encoding per checkpoint), and verification against a fixed
//! key only ever returns an error for notes it did not sign.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::audit::{Checkpoint, Note, NoteSigner};
use privkit::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cp) = Checkpoint::parse(text) {
        assert_eq!(cp.to_text(), text);
    }
    if let Ok(note) = Note::parse(text) {
        let _ = Checkpoint::parse(note.text());
        for s in note.signatures() {
            assert!(!s.name.is_empty());
        }
    }
    let signer = NoteSigner::from_seed("fuzz.example/log", &SecretBytes::from_slice(&[9; 32]))
        .expect("signer");
    let _ = signer
        .verifier()
        .verify_checkpoint(text, "fuzz.example/log");
});
