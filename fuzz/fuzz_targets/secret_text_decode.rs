//! Loading secrets from hex and base64 text: never panics; hex agrees with a plain
//! reference decoder (after white space is removed), and base64 round-trips through the
//! standard padded encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privkit::secret::SecretBytes;

fn reference_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    // `u8::from_str_radix` accepts a leading `+`, which is no hex digit: check digits first.
    if digits.is_empty() || digits.len() % 2 != 0 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let hex = SecretBytes::from_hex(&text).ok();
    assert_eq!(
        hex.as_ref().map(|s| s.expose_secret().to_vec()),
        reference_hex(&text)
    );
    if let Ok(secret) = SecretBytes::from_base64(&text) {
        // Canonical: the decoded bytes encode back to the input without white space.
        let stripped: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let again = base64_encode(secret.expose_secret());
        assert_eq!(again, stripped);
    }
});

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
