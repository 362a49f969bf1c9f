//! Token decoding on untrusted text: never panics; whatever decodes re-encodes to the
//! same token (tokens are deterministic and their base64url canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::pseudonym::{KeyRing, RootKey, Tokenizer, token_key_version};
use privkit::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let Ok(root) = RootKey::new(1, &SecretBytes::from_slice(&[7; 32])) else {
        return;
    };
    let Ok(tokenizer) = Tokenizer::new(&root, "fuzz") else {
        return;
    };
    let ring = KeyRing::new(root);
    let _ = tokenizer.detokenize_bytes(data);
    let text = String::from_utf8_lossy(data);
    let _ = token_key_version(&text);
    let _ = ring.detokenize("fuzz", &text);
    if let Ok(value) = tokenizer.detokenize(&text) {
        assert_eq!(tokenizer.tokenize(&value).ok().as_deref(), Some(&*text));
    }
});
