//! Check digits and structural rules of the identifiers the scanner validates. Each
//! function takes the identifier's characters without separators (ASCII) and answers
//! whether it is well-formed; they never panic, whatever the input.

/// Luhn (ISO/IEC 7812-1 annex B) over ASCII digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// A payment card number: 12 to 19 digits, Luhn, and the prefix and length of a card
/// scheme (ISO/IEC 7812 issuer identification numbers as the schemes publish them).
pub(crate) fn card(digits: &[u8]) -> bool {
    let n = digits.len();
    if !(12..=19).contains(&n) || !luhn(digits) {
        return false;
    }
    let prefix = |k: usize| -> u32 {
        digits[..k]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let p1 = prefix(1);
    let p2 = prefix(2);
    let p3 = prefix(3);
    let p4 = prefix(4);
    let p6 = prefix(6);
    match p1 {
        // Visa: 4, 13 to 19 digits.
        4 => (13..=19).contains(&n),
        // Mastercard 51-55 and 2221-2720 (16); Mir 2200-2204 (16 to 19).
        5 if (51..=55).contains(&p2) => n == 16,
        2 if (2221..=2720).contains(&p4) => n == 16,
        2 if (2200..=2204).contains(&p4) => (16..=19).contains(&n),
        // JCB 2131 and 1800 (15 digits).
        2 | 1 if p4 == 2131 || p4 == 1800 => n == 15,
        // American Express 34, 37 (15).
        3 if p2 == 34 || p2 == 37 => n == 15,
        // JCB 3528-3589 (16 to 19).
        3 if (3528..=3589).contains(&p4) => (16..=19).contains(&n),
        // Diners Club 300-305, 3095, 36, 38, 39 (14 to 19).
        3 if (300..=305).contains(&p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39 => {
            (14..=19).contains(&n)
        }
        // Discover 6011, 644-649, 65, 622126-622925; UnionPay 62; Maestro 50, 56-69;
        // RuPay 60, 65, 81, 82.
        6 if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 => (16..=19).contains(&n),
        6 if (622_126..=622_925).contains(&p6) || p2 == 62 => (16..=19).contains(&n),
        6 => (12..=19).contains(&n),
        5 if p2 == 50 || (56..=59).contains(&p2) => (12..=19).contains(&n),
        8 if p2 == 81 || p2 == 82 => n == 16,
        _ => false,
    }
}

/// The IBAN length of each country (SWIFT IBAN Registry), or `None` for a country
/// without IBANs.
fn iban_length(country: [u8; 2]) -> Option<usize> {
    const LENGTHS: &[(&[u8; 2], usize)] = &[
        (b"AD", 24),
        (b"AE", 23),
        (b"AL", 28),
        (b"AT", 20),
        (b"AZ", 28),
        (b"BA", 20),
        (b"BE", 16),
        (b"BG", 22),
        (b"BH", 22),
        (b"BI", 27),
        (b"BR", 29),
        (b"BY", 28),
        (b"CH", 21),
        (b"CR", 22),
        (b"CY", 28),
        (b"CZ", 24),
        (b"DE", 22),
        (b"DJ", 27),
        (b"DK", 18),
        (b"DO", 28),
        (b"EE", 20),
        (b"EG", 29),
        (b"ES", 24),
        (b"FI", 18),
        (b"FK", 18),
        (b"FO", 18),
        (b"FR", 27),
        (b"GB", 22),
        (b"GE", 22),
        (b"GI", 23),
        (b"GL", 18),
        (b"GR", 27),
        (b"GT", 28),
        (b"HR", 21),
        (b"HU", 28),
        (b"IE", 22),
        (b"IL", 23),
        (b"IQ", 23),
        (b"IS", 26),
        (b"IT", 27),
        (b"JO", 30),
        (b"KW", 30),
        (b"KZ", 20),
        (b"LB", 28),
        (b"LC", 32),
        (b"LI", 21),
        (b"LT", 20),
        (b"LU", 20),
        (b"LV", 21),
        (b"LY", 25),
        (b"MC", 27),
        (b"MD", 24),
        (b"ME", 22),
        (b"MK", 19),
        (b"MN", 20),
        (b"MR", 27),
        (b"MT", 31),
        (b"MU", 30),
        (b"NI", 28),
        (b"NL", 18),
        (b"NO", 15),
        (b"OM", 23),
        (b"PK", 24),
        (b"PL", 28),
        (b"PS", 29),
        (b"PT", 25),
        (b"QA", 29),
        (b"RO", 24),
        (b"RS", 22),
        (b"RU", 33),
        (b"SA", 24),
        (b"SC", 31),
        (b"SD", 18),
        (b"SE", 24),
        (b"SI", 19),
        (b"SK", 24),
        (b"SM", 27),
        (b"SO", 23),
        (b"ST", 25),
        (b"SV", 28),
        (b"TL", 23),
        (b"TN", 24),
        (b"TR", 26),
        (b"UA", 29),
        (b"VA", 22),
        (b"VG", 24),
        (b"XK", 20),
        (b"YE", 30),
    ];
    LENGTHS
        .binary_search_by(|(c, _)| c.as_slice().cmp(country.as_slice()))
        .ok()
        .map(|i| LENGTHS[i].1)
}

/// An IBAN (ISO 13616): country code, two check digits, the country's length, and the
/// ISO 7064 MOD 97-10 check over the rearranged characters. Case-insensitive.
pub(crate) fn iban(chars: &[u8]) -> bool {
    if chars.len() < 15 || chars.len() > 34 || !chars.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let country = [chars[0].to_ascii_uppercase(), chars[1].to_ascii_uppercase()];
    if !country.iter().all(u8::is_ascii_uppercase)
        || !chars[2].is_ascii_digit()
        || !chars[3].is_ascii_digit()
    {
        return false;
    }
    if iban_length(country) != Some(chars.len()) {
        return false;
    }
    let mut rem = 0u32;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        let c = c.to_ascii_uppercase();
        if c.is_ascii_digit() {
            rem = (rem * 10 + u32::from(c - b'0')) % 97;
        } else {
            let v = u32::from(c - b'A') + 10;
            rem = (rem * 100 + v) % 97;
        }
    }
    rem == 1
}

/// A US social security number (SSA rules since the 2011 randomization): area not
/// 000, 666 or 900-999; group not 00; serial not 0000; and not one of the numbers the
/// SSA lists as misused in advertising (078-05-1120, 219-09-9999).
pub(crate) fn ssn(d: &[u8]) -> bool {
    if d.len() != 9 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let area = &d[..3];
    if area == b"000" || area == b"666" || area[0] == b'9' {
        return false;
    }
    if &d[3..5] == b"00" || &d[5..] == b"0000" {
        return false;
    }
    if d == b"078051120" || d == b"219099999" {
        return false;
    }
    // Nine equal digits and the ascending run are placeholders, not numbers.
    !(d.iter().all(|&c| c == d[0]) || d == b"123456789")
}

/// A UK NHS number: 10 digits, weights 10 to 2, check digit `11 - sum mod 11` (11
/// meaning 0, 10 invalid), per the NHS Data Dictionary.
pub(crate) fn nhs(d: &[u8]) -> bool {
    if d.len() != 10 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = d[..9]
        .iter()
        .zip((2..=10u32).rev())
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == u32::from(d[9] - b'0') && !d.iter().all(|&c| c == d[0])
}

/// A Dutch BSN: 9 digits passing the "11-proef" (weights 9..2 and -1).
pub(crate) fn bsn(d: &[u8]) -> bool {
    if d.len() != 9 || !d.iter().all(u8::is_ascii_digit) || d.iter().all(|&c| c == b'0') {
        return false;
    }
    let sum: i32 = d[..8]
        .iter()
        .zip((2..=9i32).rev())
        .map(|(c, w)| i32::from(c - b'0') * w)
        .sum::<i32>()
        - i32::from(d[8] - b'0');
    sum % 11 == 0
}

/// A German Steuer-ID (steuerliche Identifikationsnummer): 11 digits, the first not 0;
/// among the first 10 exactly one digit repeats (twice, or three times since 2016) and
/// the others appear once; the last is the ISO 7064 MOD 11,10 check digit.
pub(crate) fn de_tax_id(d: &[u8]) -> bool {
    if d.len() != 11 || !d.iter().all(u8::is_ascii_digit) || d[0] == b'0' {
        return false;
    }
    let mut counts = [0u8; 10];
    for c in &d[..10] {
        counts[usize::from(c - b'0')] += 1;
    }
    let repeated: Vec<u8> = counts.iter().copied().filter(|&c| c > 1).collect();
    if !matches!(repeated.as_slice(), [2] | [3]) {
        return false;
    }
    let mut product = 10u32;
    for c in &d[..10] {
        let mut sum = (u32::from(c - b'0') + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = match 11 - product {
        10 => 0,
        c => c,
    };
    check == u32::from(d[10] - b'0')
}

/// A French NIR (numéro de sécurité sociale): sex digit 1-4 or 7-8, year, month 01-12
/// (or 20-42, 50-99 for unknown months), department (digits, or `2A`/`2B` for
/// Corsica), commune, order, and the key `97 - (number mod 97)`.
pub(crate) fn fr_nir(c: &[u8]) -> bool {
    if c.len() != 15 {
        return false;
    }
    let upper: Vec<u8> = c.iter().map(u8::to_ascii_uppercase).collect();
    // Corsica: the key is computed with department 2A read as 19 and 2B as 18.
    let body: Vec<u8> = match &upper[5..7] {
        b"2A" => [&upper[..5], b"19", &upper[7..13]].concat(),
        b"2B" => [&upper[..5], b"18", &upper[7..13]].concat(),
        _ => upper[..13].to_vec(),
    };
    if !body.iter().all(u8::is_ascii_digit) || !upper[13..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !matches!(body[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    let month = u32::from(body[3] - b'0') * 10 + u32::from(body[4] - b'0');
    if !((1..=12).contains(&month) || (20..=42).contains(&month) || month >= 50) {
        return false;
    }
    let number = body
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    let key = u64::from(upper[13] - b'0') * 10 + u64::from(upper[14] - b'0');
    97 - number % 97 == key
}

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// A Spanish DNI / NIF: 8 digits and the letter `TRWAGMYFPDXBNJZSQVHLCKE[n mod 23]`.
pub(crate) fn es_dni(c: &[u8]) -> bool {
    if c.len() != 9 || !c[..8].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = c[..8]
        .iter()
        .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
    DNI_LETTERS[n % 23] == c[8].to_ascii_uppercase()
}

/// A Spanish NIE: `X`, `Y` or `Z` (read as 0, 1, 2), 7 digits and the DNI letter.
pub(crate) fn es_nie(c: &[u8]) -> bool {
    if c.len() != 9 {
        return false;
    }
    let lead = match c[0].to_ascii_uppercase() {
        b'X' => b'0',
        b'Y' => b'1',
        b'Z' => b'2',
        _ => return false,
    };
    let mut dni = [0u8; 9];
    dni[0] = lead;
    dni[1..].copy_from_slice(&c[1..]);
    es_dni(&dni)
}

/// An Italian codice fiscale (16 characters, DM 23/12/1976): surname and name letters,
/// year, month letter, day (+40 for women), municipality code, with digits possibly
/// replaced by `LMNPQRSTUV` (omocodia), and the check character.
pub(crate) fn it_fiscal_code(c: &[u8]) -> bool {
    if c.len() != 16 || !c.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let u: Vec<u8> = c.iter().map(u8::to_ascii_uppercase).collect();
    // Positions that are digits, or omocodia letters standing for digits.
    let numeric = [6, 7, 9, 10, 12, 13, 14];
    let omocodia = |b: u8| b.is_ascii_digit() || b"LMNPQRSTUV".contains(&b);
    if !u[..6].iter().all(u8::is_ascii_uppercase)
        || !numeric.iter().all(|&i| omocodia(u[i]))
        || !b"ABCDEHLMPRST".contains(&u[8])
        || !u[11].is_ascii_uppercase()
        || !u[15].is_ascii_uppercase()
    {
        return false;
    }
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let value = |b: u8, odd: bool| -> u32 {
        let i = if b.is_ascii_digit() {
            b - b'0'
        } else {
            b - b'A'
        };
        if odd {
            ODD[usize::from(i)]
        } else {
            u32::from(i)
        }
    };
    let sum: u32 = u[..15]
        .iter()
        .enumerate()
        .map(|(i, &b)| value(b, i % 2 == 0))
        .sum();
    let expected = b'A' + u8::try_from(sum % 26).unwrap_or(0);
    expected == u[15]
}

/// A UK National Insurance number: two prefix letters (neither D, F, I, Q, U, V; the
/// second not O; not BG, GB, KN, NK, NT, TN, ZZ), six digits, suffix A to D (HMRC
/// National Insurance Manual NIM39110).
pub(crate) fn uk_nino(c: &[u8]) -> bool {
    if c.len() != 9 {
        return false;
    }
    let u: Vec<u8> = c.iter().map(u8::to_ascii_uppercase).collect();
    let (a, b) = (u[0], u[1]);
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() {
        return false;
    }
    if b"DFIQUV".contains(&a) || b"DFIOQUV".contains(&b) {
        return false;
    }
    if [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"]
        .iter()
        .any(|p| p[..] == u[..2])
    {
        return false;
    }
    u[2..8].iter().all(u8::is_ascii_digit) && (b'A'..=b'D').contains(&u[8])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn luhn_and_cards() {
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b"79927398710"));
        assert!(card(b"4111111111111111"));
        assert!(card(b"5555555555554444"));
        assert!(card(b"378282246310005"));
        assert!(!card(b"4111111111111112"));
        assert!(!card(b"1234567812345670"), "Luhn-valid, no scheme");
        assert!(!card(b""));
        assert!(!card(b"4x11111111111111"));
    }

    #[test]
    fn known_answers() {
        let data: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/detect_checksums.json")).unwrap();
        type Check = fn(&[u8]) -> bool;
        let checks: [(&str, Check); 11] = [
            ("iban", iban),
            ("nhs", nhs),
            ("bsn", bsn),
            ("de_tax_id", de_tax_id),
            ("fr_nir", fr_nir),
            ("es_dni", es_dni),
            ("es_nie", es_nie),
            ("it_fiscal_code", it_fiscal_code),
            ("uk_nino", uk_nino),
            ("us_ssn", ssn),
            ("card", card),
        ];
        let mut n = 0;
        for (name, check) in checks {
            let set = &data[name];
            for v in set["valid"].as_array().unwrap() {
                let v = v.as_str().unwrap();
                assert!(check(v.as_bytes()), "{name}: {v} should be valid");
                n += 1;
            }
            for v in set["invalid"].as_array().unwrap() {
                let v = v.as_str().unwrap();
                assert!(!check(v.as_bytes()), "{name}: {v} should be invalid");
                n += 1;
            }
        }
        assert!(n > 80, "{n} known answers");
    }

    #[test]
    fn iban_country_lengths_are_sorted() {
        assert_eq!(iban_length(*b"GB"), Some(22));
        assert_eq!(iban_length(*b"NO"), Some(15));
        assert_eq!(iban_length(*b"US"), None);
    }

    #[test]
    fn never_panics_on_short_or_odd_input() {
        for input in [
            &b""[..],
            b"1",
            b"\xff\xfe",
            b"AA",
            b"2A2B2A2B2A2B2A2",
            b"ZZZZZZZZZZZZZZZZ",
        ] {
            let _ = (
                luhn(input),
                card(input),
                iban(input),
                ssn(input),
                nhs(input),
                bsn(input),
                de_tax_id(input),
                fr_nir(input),
                es_dni(input),
                es_nie(input),
                it_fiscal_code(input),
                uk_nino(input),
            );
        }
    }
}
