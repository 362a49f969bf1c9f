//! Redaction round trips on arbitrary text: the output never contains a redacted value
//! (type tags), and reversible operators restore the original exactly (tokens for
//! e-mail addresses, FF1 for cards and phone numbers; restore and restore_tokens).
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use privkit::detect::{EntityType, Operator, Redactor, Scanner};
use privkit::pseudonym::{Alphabet, FormatPreserving, RootKey, Tokenizer};
use privkit::secret::SecretBytes;

struct Fixture {
    scanner: Scanner,
    tags: Redactor,
    reversible: Redactor,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let fail = |e: privkit::Error| -> ! { panic!("fixture: {e}") };
        let root = RootKey::new(1, &SecretBytes::from_slice(&[9; 32])).unwrap_or_else(|e| fail(e));
        let token = Arc::new(Tokenizer::new(&root, "fuzz-email").unwrap_or_else(|e| fail(e)));
        let ff1 = Arc::new(
            FormatPreserving::new(&root, "fuzz-digits", &Alphabet::Digits)
                .unwrap_or_else(|e| fail(e)),
        );
        Fixture {
            scanner: Scanner::builder()
                .only(&[
                    EntityType::EmailAddress,
                    EntityType::CreditCard,
                    EntityType::PhoneNumber,
                ])
                .build()
                .unwrap_or_else(|e| fail(e)),
            tags: Redactor::new(Operator::TypeTag).unwrap_or_else(|e| fail(e)),
            reversible: Redactor::new(Operator::Token(token.clone()))
                .unwrap_or_else(|e| fail(e))
                .with(EntityType::CreditCard, Operator::Ff1(ff1.clone()))
                .with(EntityType::PhoneNumber, Operator::Ff1(ff1))
                .all_occurrences(false),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fx = fixture();
    let found = fx.scanner.scan(text);
    let tagged = fx
        .tags
        .redact(text, &found)
        .unwrap_or_else(|e| panic!("redact: {e}"));
    for f in &found {
        let value = f.text(text);
        assert!(
            !tagged.text.contains(value),
            "{value:?} left in {:?}",
            tagged.text
        );
    }
    // FF1 refuses values shorter than its minimum; only round-trip what it accepts.
    if let Ok(out) = fx.reversible.redact(text, &found) {
        assert_eq!(
            fx.reversible
                .restore(&out)
                .unwrap_or_else(|e| panic!("restore: {e}")),
            text
        );
        if !text.contains("[pk:") && found.iter().all(|f| f.entity == EntityType::EmailAddress) {
            let back = fx
                .reversible
                .restore_tokens(&out.text)
                .unwrap_or_else(|e| panic!("tokens: {e}"));
            assert_eq!(back, text);
        }
    }
});
