//! FF1 on untrusted values and alphabets: never panics; what encrypts decrypts back,
//! with the same length and the separators in place.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::pseudonym::{Alphabet, FormatPreserving, RootKey};
use privkit::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (alphabet, value) = match selector % 4 {
        0 => (Alphabet::Digits, &*text),
        1 => (Alphabet::LowerAlnum, &*text),
        2 => (Alphabet::UpperAlnum, &*text),
        _ => match text.split_once('|') {
            Some((a, v)) => (Alphabet::Custom(a.to_owned()), v),
            None => return,
        },
    };
    let Ok(root) = RootKey::new(1, &SecretBytes::from_slice(&[3; 32])) else {
        return;
    };
    let Ok(fpe) = FormatPreserving::new(&root, "fuzz", &alphabet) else {
        return;
    };
    if let Ok(ct) = fpe.encrypt(value) {
        assert_eq!(ct.chars().count(), value.chars().count());
        assert_eq!(fpe.decrypt(&ct).ok().as_deref(), Some(value));
    }
    let _ = fpe.decrypt(value);
});
