//! Small text helpers shared by the validators: char boundaries, words around a
//! position, digit runs, dates. Every function is bounded: it looks at most a fixed
//! number of bytes from where it starts.

/// The largest char boundary `<= i` (and `<= text.len()`).
pub(crate) fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary `>= i` (and `<= text.len()`).
pub(crate) fn ceil_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// At most `len` bytes of `text` from `from` (a char boundary), cut at a char boundary.
pub(crate) fn window(text: &str, from: usize, len: usize) -> &str {
    &text[from..floor_boundary(text, from.saturating_add(len))]
}

/// The ASCII alphanumeric bytes of `b`, separators dropped.
pub(crate) fn alnum(b: &[u8]) -> Vec<u8> {
    b.iter()
        .copied()
        .filter(u8::is_ascii_alphanumeric)
        .collect()
}

/// Whether `start` begins a word: the character before it is not alphanumeric.
pub(crate) fn word_start(text: &str, start: usize) -> bool {
    match start.checked_sub(1).map(|i| text.as_bytes()[i]) {
        None => return true,
        Some(c) if c < 0x80 => return !(c.is_ascii_alphanumeric() || c == b'_'),
        Some(_) => {}
    }
    !text[..start]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The next word after `i` (skipping at most `max_gap` bytes of spaces), as a byte
/// range; a word is a run of non-whitespace characters, at most 64 bytes.
///
/// Looks at no more than `max_gap + 65` bytes: a longer gap or word is no word.
pub(crate) fn next_word(text: &str, i: usize, max_gap: usize) -> Option<(usize, usize)> {
    let rest = text.get(i..)?.as_bytes();
    let gap = rest
        .iter()
        .take(max_gap.saturating_add(1))
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    if gap == 0 || gap > max_gap || gap == rest.len() {
        return None;
    }
    let ws = i + gap;
    // The word ends at the first white-space character; past 64 bytes it is too long.
    let mut k = ws;
    let limit = ws + 65;
    let b = text.as_bytes();
    while k < b.len() && k < limit {
        let c = b[k];
        if c < 0x80 {
            if c.is_ascii_whitespace() || c == 0x0B {
                break;
            }
            k += 1;
        } else {
            let ch = text[k..].chars().next().unwrap_or(' ');
            if ch.is_whitespace() {
                break;
            }
            k += ch.len_utf8();
        }
    }
    if k - ws > 64 {
        return None;
    }
    Some((ws, k))
}

/// A word lower-cased: on the stack when it is ASCII and at most 64 bytes (the words
/// that [`next_word`] returns), else in a `String`.
pub(crate) enum Lower {
    Inline([u8; 64], usize),
    Heap(String),
}

impl Lower {
    pub(crate) fn new(w: &str) -> Self {
        if w.len() <= 64 && w.is_ascii() {
            let mut b = [0u8; 64];
            b[..w.len()].copy_from_slice(w.as_bytes());
            b[..w.len()].make_ascii_lowercase();
            Lower::Inline(b, w.len())
        } else {
            Lower::Heap(w.to_lowercase())
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // ASCII by construction.
            Lower::Inline(b, n) => std::str::from_utf8(&b[..*n]).unwrap_or(""),
            Lower::Heap(s) => s,
        }
    }
}

/// The word (letters, digits, apostrophes) that ends at byte `end` of `text` (after
/// skipping spaces before `end`), as its start and text; at most 32 bytes back.
pub(crate) fn word_before(text: &str, end: usize) -> Option<(usize, &str)> {
    let b = text.as_bytes();
    let mut e = end.min(b.len());
    while e > 0 && b[e - 1] == b' ' {
        e -= 1;
    }
    let mut s = e;
    while s > 0 && e - s < 32 && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'\'') {
        s -= 1;
    }
    (s < e && (s == 0 || !b[s - 1].is_ascii_alphanumeric())).then(|| (s, &text[s..e]))
}

/// The space-separated parts of `start..end`; `None` when there are more than 24.
pub(crate) fn split_spaces(
    text: &str,
    start: usize,
    end: usize,
) -> Option<Small<(usize, usize), MAX_GROUPS>> {
    let mut parts = Small::default();
    let mut s = start;
    for (k, b) in text.as_bytes()[start..end].iter().enumerate() {
        if *b == b' ' {
            if s < start + k && !parts.push((s, start + k)) {
                return None;
            }
            s = start + k + 1;
        }
    }
    if s < end && !parts.push((s, end)) {
        return None;
    }
    Some(parts)
}

/// Whether a title ("Mr.", "Dr") stands right before `start`: the title, an optional
/// dot, one space. Titles are at most 7 bytes. `may_end` refuses a last byte that no
/// title ends with, before the word is looked for (most words before a name).
pub(crate) fn title_before(
    text: &str,
    start: usize,
    may_end: impl Fn(u8) -> bool,
    is_title: impl Fn(&str) -> bool,
) -> bool {
    let b = text.as_bytes();
    // Quick rejects: most words are not preceded by a space and a letter or a dot.
    if start < 3 || b[start - 1] != b' ' {
        return false;
    }
    let mut e = start - 1;
    if b[e - 1] == b'.' {
        e -= 1;
    }
    if !(b[e - 1].is_ascii_alphabetic() || b[e - 1] >= 0x80) || !may_end(b[e - 1]) {
        return false;
    }
    let from = floor_boundary(text, start.saturating_sub(12));
    // A word of ASCII letters (most): the bytes before `e`, without decoding.
    let mut k = e;
    while k > from && b[k - 1].is_ascii_alphabetic() {
        k -= 1;
    }
    if k == from || b[k - 1] < 0x80 {
        let w = &text[k..e];
        return !w.is_empty() && is_title(w);
    }
    let before = &text[from..e];
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !c.is_alphabetic())
        .map_or(0, |(k, c)| k + c.len_utf8());
    // The window holds at least three bytes before any title (of at most 7 bytes), so
    // a word that it cuts is longer than every title.
    let w = &before[word_start..];
    !w.is_empty() && is_title(w)
}

/// Word bytes of ASCII: alphanumeric and the apostrophe.
const ASCII_WORD: [bool; 128] = {
    let mut t = [false; 128];
    let mut c: u8 = 0;
    while c < 128 {
        t[c as usize] = c.is_ascii_alphanumeric() || c == b'\'';
        c += 1;
    }
    t
};

/// Whether the character that starts at byte `i` of `text` (a char boundary) belongs to
/// a word (alphanumeric or an apostrophe), and its length. ASCII by table.
#[inline]
fn word_char_at(text: &str, i: usize) -> (bool, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        return (ASCII_WORD[usize::from(b)], 1);
    }
    let c = text[i..].chars().next().unwrap_or(' ');
    (latin_alphanumeric(c), c.len_utf8())
}

/// `c.is_alphanumeric()`, without its table search for the letters of Latin-1 and
/// Latin Extended-A (all of `U+00C0..=U+017F` but `×` and `÷`), those of most European
/// names.
fn latin_alphanumeric(c: char) -> bool {
    match u32::from(c) {
        0xD7 | 0xF7 => false,
        0xC0..=0x17F => true,
        _ => c.is_alphanumeric(),
    }
}

/// The start of the character that ends at byte `j` of `text` (`j` a char boundary,
/// `j > 0`).
#[inline]
fn char_start_before(text: &str, j: usize) -> usize {
    let b = text.as_bytes();
    let mut i = j - 1;
    while i > 0 && (0x80..0xC0).contains(&b[i]) {
        i -= 1;
    }
    i
}

/// The word bytes of a text as bits (bit `i` for byte `i`: the byte belongs to an
/// alphanumeric character or an apostrophe), computed once per scan so that
/// [`WordBits::any_word_near`] finds the words around a position by bit operations
/// instead of walking and classifying every byte again for every finding.
#[derive(Debug)]
pub(crate) struct WordBits {
    bits: Vec<u64>,
}

impl WordBits {
    pub(crate) fn new(text: &str) -> Self {
        let b = text.as_bytes();
        // One spare word, so that a range read never goes past the end.
        let mut bits = vec![0u64; b.len() / 64 + 2];
        for (n, block) in b.chunks(64).enumerate() {
            let mut high = 0u64;
            let m = bits_by_eight(block, |x| {
                high |= x;
                ascii_word_bits(x)
            });
            bits[n] |= m;
            if high & HI != 0 {
                // Characters outside ASCII: all their bytes have the bit of the
                // character (which may reach into the next block).
                let end = n * 64 + block.len();
                let mut i = floor_boundary(text, n * 64);
                // The bytes of the block outside ASCII, as bits: the loop jumps from
                // one to the next over the ASCII bytes between them.
                let mut rest_high = high_bits(block);
                while i < end {
                    if b[i] < 0x80 {
                        rest_high &= !low_bits(i - n * 64);
                        if rest_high == 0 {
                            break;
                        }
                        i = n * 64 + trailing(rest_high);
                        continue;
                    }
                    let (w, len) = word_char_at(text, i);
                    if w {
                        for k in i..i + len {
                            bits[k / 64] |= 1 << (k % 64);
                        }
                    }
                    i += len;
                }
            }
        }
        Self { bits }
    }

    fn get(&self, i: usize) -> bool {
        self.bits[i / 64] & (1 << (i % 64)) != 0
    }

    /// The bits of bytes `from..to` (`to - from <= 64`), bit 0 for byte `from`.
    fn range(&self, from: usize, to: usize) -> u64 {
        let (w, off) = (from / 64, from % 64);
        let mut m = self.bits[w] >> off;
        if off > 0 {
            m |= self.bits[w + 1] << (64 - off);
        }
        m & low_bits(to - from)
    }

    /// [`any_word_near`] of `text` (the text these bits are of): the same words, in
    /// the same order, with the same results.
    pub(crate) fn any_word_near<'a>(
        &self,
        text: &'a str,
        start: usize,
        end: usize,
        window_before: (usize, usize),
        window_after: (usize, usize),
        pred: impl FnMut(&'a str) -> bool,
    ) -> bool {
        self.any_word_near_starting(
            text,
            start,
            end,
            window_before,
            window_after,
            |_, _| true,
            pred,
        )
    }

    /// As [`WordBits::any_word_near`] with `|w| keep(w's first byte, w.len()) &&
    /// pred(w)`, but the words that `keep` refuses cost a few bit operations: no
    /// string is made of them. The windows walk the starts of the words (a run of set
    /// bits starts where the bit before is clear).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn any_word_near_starting<'a>(
        &self,
        text: &'a str,
        start: usize,
        end: usize,
        window_before: (usize, usize),
        window_after: (usize, usize),
        keep: impl Fn(u8, usize) -> bool,
        mut pred: impl FnMut(&'a str) -> bool,
    ) -> bool {
        let ((before, before_max), (after, after_max)) = (window_before, window_after);
        let from = floor_boundary(text, start.saturating_sub(before));
        let to = floor_boundary(text, end.saturating_add(after));
        if start - from > 64 || to.saturating_sub(end) > 64 || end > text.len() {
            return any_word_near(text, start, end, window_before, window_after, |w| {
                w.as_bytes().first().is_some_and(|&b| keep(b, w.len())) && pred(w)
            });
        }
        let b = text.as_bytes();
        // The length of the run of set bits of `m` from bit `s` (`m` has no bit at or
        // above the window's length, so the run ends inside it).
        let run = |m: u64, s: usize| trailing(!(m >> s));
        // Before: from `start` backwards, a word per step.
        if before_max > 0 {
            let m = self.range(from, start);
            // A word cut by the window's start is not a word of the window.
            let cut = from > 0 && self.get(from - 1);
            let mut starts = m & !(m << 1);
            let mut seen = 0;
            while seen < before_max && starts != 0 {
                let s = bit_len(starts) - 1;
                starts &= !(1 << s);
                if s == 0 && cut {
                    break;
                }
                seen += 1;
                let we = s + run(m, s);
                if keep(b[from + s], we - s) && pred(&text[from + s..from + we]) {
                    return true;
                }
            }
        }
        // After: from `end` forwards.
        if after_max == 0 {
            return false;
        }
        let n = to - end;
        let m = self.range(end, to);
        let cut = to < text.len() && self.get(to);
        let mut starts = m & !(m << 1);
        let mut seen = 0;
        while seen < after_max && starts != 0 {
            let s = trailing(starts);
            starts &= starts - 1;
            let we = s + run(m, s);
            if we == n && cut {
                break;
            }
            seen += 1;
            if keep(b[end + s], we - s) && pred(&text[end + s..end + we]) {
                return true;
            }
        }
        false
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The top bit of each byte of `x` that is ASCII alphanumeric or `extra` (ASCII).
fn ascii_alnum_or(x: u64, extra: u8) -> u64 {
    // Byte-wise range tests on the low 7 bits (no carry crosses a byte).
    let y = x & !HI;
    let at_least = |v: u64, lo: u64| v.wrapping_add(LO * (0x80 - lo)) & HI;
    let above = |v: u64, hi: u64| v.wrapping_add(LO * (0x7F - hi)) & HI;
    let digit = at_least(y, 0x30) & !above(y, 0x39);
    let extra = !((y ^ (LO * u64::from(extra))).wrapping_add(LO * 0x7F)) & HI;
    (digit | extra | ascii_letters(x)) & !(x & HI)
}

/// The top bit of each byte of `x` that is an ASCII letter.
#[inline(always)]
fn ascii_letters(x: u64) -> u64 {
    // Byte-wise range tests on the low 7 bits, lower-cased (no carry crosses a byte).
    let l = (x & !HI) | (LO * 0x20);
    l.wrapping_add(LO * (0x80 - 0x61)) & !l.wrapping_add(LO * (0x7F - 0x7A)) & !x & HI
}

/// The word bytes (ASCII alphanumeric or `'`) of the 8 bytes of `x` (little-endian) as
/// the 8 low bits, bit `k` for byte `k`; bytes outside ASCII are not word bytes here.
fn ascii_word_bits(x: u64) -> u64 {
    gather_top_bits(ascii_alnum_or(x, b'\''))
}

/// The first byte of `b` at or after `i` that is ASCII and neither alphanumeric nor
/// `_` (`b.len()` when there is none): the end of a run of word bytes as the byte loop
/// of the built-in scan classifies them. Eight bytes at a time, so that a word ends
/// without a branch per byte.
pub(crate) fn run_end(b: &[u8], mut i: usize) -> usize {
    while let Some(e) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(e).unwrap_or([0; 8]));
        let stop = !(ascii_alnum_or(x, b'_') | x) & HI;
        if stop != 0 {
            return i + trailing(stop) / 8;
        }
        i += 8;
    }
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
        i += 1;
    }
    i
}

/// The first byte of `b` at or after `i` that is not an ASCII letter (`b.len()` when
/// there is none). Eight bytes at a time, so that a word of up to 8 letters ends
/// without a mispredicted branch at its last letter.
pub(crate) fn letters_end(b: &[u8], mut i: usize) -> usize {
    while let Some(e) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(e).unwrap_or([0; 8]));
        let stop = !ascii_letters(x) & HI;
        if stop != 0 {
            return i + trailing(stop) / 8;
        }
        i += 8;
    }
    while i < b.len() && b[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

/// Bit `k` is set when byte `k` of `block` (at most 64 bytes) is outside ASCII.
fn high_bits(block: &[u8]) -> u64 {
    bits_by_eight(block, gather_top_bits)
}

/// The top bit of each byte of `x`, gathered into the low 8 bits (byte `k`'s in bit `k`).
fn gather_top_bits(x: u64) -> u64 {
    ((x >> 7) & LO).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The bits of `block` (at most 64 bytes) that `bits` gives for each 8 of its bytes (read
/// little-endian, the last ones padded with zeros; its low 8 bits, one per byte), bit `k`
/// for byte `k`.
#[inline]
fn bits_by_eight(block: &[u8], mut bits: impl FnMut(u64) -> u64) -> u64 {
    let mut m = 0;
    let eights = block.chunks_exact(8);
    let rest = eights.remainder();
    let mut shift = 0;
    for e in eights {
        m |= bits(u64::from_le_bytes(<[u8; 8]>::try_from(e).unwrap_or([0; 8]))) << shift;
        shift += 8;
    }
    if !rest.is_empty() {
        let mut e = [0u8; 8];
        e[..rest.len()].copy_from_slice(rest);
        m |= bits(u64::from_le_bytes(e)) << shift;
    }
    m
}

/// A word of 1 to 8 bytes packed little-endian into an integer (zero bytes after it);
/// `None` when it is empty or longer. Read with two overlapping loads of four bytes (or
/// three single bytes), not a step per byte.
pub(crate) fn pack8(w: &[u8]) -> Option<u64> {
    let n = w.len();
    Some(match *w {
        [] => return None,
        [a, b, c, d, ..] if n <= 8 => {
            let lo = u64::from(u32::from_le_bytes([a, b, c, d]));
            let hi = match w.get(n - 4..) {
                Some(&[e, f, g, h]) => u64::from(u32::from_le_bytes([e, f, g, h])),
                _ => 0,
            };
            lo | hi << (8 * (n - 4))
        }
        [a, .., z] if n <= 3 => {
            u64::from(a) | u64::from(w[n / 2]) << (8 * (n / 2)) | u64::from(z) << (8 * (n - 1))
        }
        [a] => u64::from(a),
        _ => return None,
    })
}

/// The 8 bytes of `x` with their ASCII capitals (0x41..=0x5A) lowered, other bytes as
/// they are (byte-wise range tests on the low 7 bits: no carry crosses a byte).
fn ascii_capitals_lowered(x: u64) -> u64 {
    let y = x & !HI;
    let upper = y.wrapping_add(LO * (0x80 - 0x41)) & !y.wrapping_add(LO * (0x7F - 0x5A)) & !x & HI;
    x | upper >> 2
}

/// A word of 1 to 8 bytes, its ASCII capitals lowered, packed little-endian into an
/// integer (zero bytes after it): `Some(Some(x))`; `Some(None)` when a byte is outside
/// ASCII or NUL (which no word list holds, and which the packing would confuse with its
/// padding); `None` when it is empty or longer than 8 bytes ([`pack8`]).
pub(crate) fn pack8_lower(w: &[u8]) -> Option<Option<u64>> {
    let n = w.len();
    let x = pack8(w)?;
    // The padding bytes set, a zero byte is a NUL of the word.
    let v = x | u64::MAX
        .checked_shl(u32::try_from(8 * n).unwrap_or(64))
        .unwrap_or(0);
    let nul = v.wrapping_sub(LO) & !v & HI;
    if (x | nul) & HI != 0 {
        return Some(None);
    }
    Some(Some(ascii_capitals_lowered(x)))
}

/// The `n` lowest bits (`n <= 64`).
fn low_bits(n: usize) -> u64 {
    u64::MAX
        .checked_shr(u32::try_from(64 - n.min(64)).unwrap_or(64))
        .unwrap_or(0)
}

/// One more than the index of the highest set bit of `x`, 0 for 0.
fn bit_len(x: u64) -> usize {
    usize::try_from(u64::BITS - x.leading_zeros()).unwrap_or(0)
}

/// The index of the lowest set bit of `x` (64 for 0).
fn trailing(x: u64) -> usize {
    usize::try_from(x.trailing_zeros()).unwrap_or(64)
}

/// Whether `pred` holds for one of the `before_max` words in the `before` bytes before
/// `start` or one of the `after_max` words in the `after` bytes after `end` (a word is a
/// run of alphanumeric characters and apostrophes; one cut by the window is skipped).
/// Walks the bytes once, nearest word first; allocates nothing.
pub(crate) fn any_word_near<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    (before, before_max): (usize, usize),
    (after, after_max): (usize, usize),
    mut pred: impl FnMut(&'a str) -> bool,
) -> bool {
    let b = text.as_bytes();
    // Whether the character ending at `j` is a word character, and where it starts.
    let back = |j: usize| -> (bool, usize) {
        let c = b[j - 1];
        if c < 0x80 {
            (ASCII_WORD[usize::from(c)], j - 1)
        } else {
            let i = char_start_before(text, j);
            (word_char_at(text, i).0, i)
        }
    };
    // Before: from `start` backwards.
    let from = floor_boundary(text, start.saturating_sub(before));
    let mut j = start;
    let mut seen = 0;
    while seen < before_max && j > from {
        let (w, i) = back(j);
        if !w {
            j = i;
            continue;
        }
        // A word ends at `j`: find where it starts.
        let word_end = j;
        let mut k = i;
        while k > from {
            let (w, p) = back(k);
            if !w {
                break;
            }
            k = p;
        }
        // A word cut by the window's start is not a word of the window.
        if k == from && from > 0 && back(from).0 {
            break;
        }
        if pred(&text[k..word_end]) {
            return true;
        }
        seen += 1;
        j = k;
    }
    // After: from `end` forwards.
    let to = floor_boundary(text, end.saturating_add(after));
    let fwd = |i: usize| -> (bool, usize) {
        let c = b[i];
        if c < 0x80 {
            (ASCII_WORD[usize::from(c)], 1)
        } else {
            word_char_at(text, i)
        }
    };
    let mut i = end;
    let mut seen = 0;
    while seen < after_max && i < to {
        let (w, len) = fwd(i);
        if !w {
            i += len;
            continue;
        }
        let word_start = i;
        while i < to {
            let (w, len) = fwd(i);
            if !w {
                break;
            }
            i += len;
        }
        // Cut by the window's end.
        if i == to && to < text.len() && fwd(to).0 {
            break;
        }
        if pred(&text[word_start..i]) {
            return true;
        }
        seen += 1;
    }
    false
}

/// Whether `word` is the context word `c` (lower case), ignoring ASCII case, or starts
/// with it and is at most two bytes longer ("cards", "phones"; `c` of 3 bytes or more).
/// The scanner's context index implements this rule by lookups; this is its reference.
#[cfg(test)]
pub(crate) fn context_match(word: &str, c: &str) -> bool {
    let (w, cb) = (word.as_bytes(), c.as_bytes());
    w.len() >= cb.len()
        && w[..cb.len()].eq_ignore_ascii_case(cb)
        && (w.len() == cb.len() || cb.len() >= 3 && w.len() <= cb.len() + 2)
}

/// Top-level domains accepted in e-mail addresses, URLs and domain names: the
/// country-code TLDs (GeoNames country info) and the generic ones in common use.
pub(crate) fn is_tld(tld: &str) -> bool {
    /// Generic TLDs, sorted (binary search).
    const GENERIC: &[&str] = &[
        "academy",
        "aero",
        "agency",
        "ai",
        "app",
        "arpa",
        "art",
        "asia",
        "bank",
        "biz",
        "blog",
        "cat",
        "center",
        "click",
        "cloud",
        "club",
        "codes",
        "com",
        "company",
        "coop",
        "design",
        "dev",
        "digital",
        "edu",
        "email",
        "eu",
        "events",
        "example",
        "finance",
        "global",
        "gmbh",
        "gov",
        "group",
        "health",
        "help",
        "host",
        "inc",
        "info",
        "institute",
        "insurance",
        "int",
        "internal",
        "invalid",
        "io",
        "jobs",
        "law",
        "legal",
        "life",
        "link",
        "live",
        "llc",
        "local",
        "localhost",
        "ltd",
        "market",
        "me",
        "media",
        "mil",
        "mobi",
        "money",
        "museum",
        "name",
        "net",
        "network",
        "news",
        "onion",
        "online",
        "org",
        "page",
        "pro",
        "run",
        "school",
        "services",
        "shop",
        "site",
        "social",
        "software",
        "solutions",
        "space",
        "store",
        "studio",
        "systems",
        "team",
        "tech",
        "tel",
        "test",
        "today",
        "top",
        "travel",
        "tv",
        "university",
        "website",
        "works",
        "world",
        "xyz",
        "zone",
    ];
    const CC: &str = "ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo bq br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh er es et fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk um us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw";
    /// Bit `(a - 'a') * 26 + (b - 'a')` for every country-code TLD `ab`.
    const CC_BITS: [u64; 11] = {
        let mut bits = [0u64; 11];
        let b = CC.as_bytes();
        let mut i = 0;
        while i + 1 < b.len() {
            let k = (b[i] - b'a') as usize * 26 + (b[i + 1] - b'a') as usize;
            bits[k / 64] |= 1 << (k % 64);
            i += 3;
        }
        bits
    };
    let t = tld.as_bytes();
    if t.len() < 2 || t.len() > 63 || !t.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    if let [a, b] = t {
        let k = usize::from(a.to_ascii_lowercase() - b'a') * 26
            + usize::from(b.to_ascii_lowercase() - b'a');
        return CC_BITS[k / 64] & (1 << (k % 64)) != 0;
    }
    let mut buf = [0u8; 63];
    let lower = &mut buf[..t.len()];
    lower.copy_from_slice(t);
    lower.make_ascii_lowercase();
    GENERIC
        .binary_search_by(|g| g.as_bytes().cmp(lower))
        .is_ok()
}

/// Country-code TLDs that are more often file extensions in logs and tickets.
pub(crate) fn is_file_extension(tld: &str) -> bool {
    [
        "md", "rs", "py", "sh", "pm", "so", "ps", "cs", "db", "gz", "js", "ts", "sql", "log", "txt",
    ]
    .iter()
    .any(|e| tld.eq_ignore_ascii_case(e))
}

/// Trims punctuation that ends a sentence rather than a URL, and a closing
/// parenthesis without its opening one.
pub(crate) fn trim_url_end(text: &str, start: usize, end: usize) -> usize {
    let b = text.as_bytes();
    let mut e = end;
    while e > start {
        match b[e - 1] {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'"' => e -= 1,
            b')' => {
                let s = &text[start..e];
                if s.matches('(').count() < s.matches(')').count() {
                    e -= 1;
                } else {
                    break;
                }
            }
            _ => break,
        }
    }
    e
}

/// The month number of a month name or its abbreviation ("Sep", "sept.", "March").
pub(crate) fn month(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let w = word.trim_end_matches('.');
    if w.len() < 3 || w.len() > 9 || !w.is_ascii() {
        return None;
    }
    // Every month name and abbreviation starts with the three letters of one of
    // these (`| 0x20` lowers ASCII capitals and turns no other byte into a letter).
    let b = w.as_bytes();
    if !matches!(
        [b[0] | 0x20, b[1] | 0x20, b[2] | 0x20],
        [b'j', b'a', b'n']
            | [b'f', b'e', b'b']
            | [b'm', b'a', b'r']
            | [b'a', b'p', b'r']
            | [b'm', b'a', b'y']
            | [b'j', b'u', b'n']
            | [b'j', b'u', b'l']
            | [b'a', b'u', b'g']
            | [b's', b'e', b'p']
            | [b'o', b'c', b't']
            | [b'n', b'o', b'v']
            | [b'd', b'e', b'c']
    ) {
        return None;
    }
    let mut buf = [0u8; 9];
    let lower = &mut buf[..w.len()];
    lower.copy_from_slice(w.as_bytes());
    lower.make_ascii_lowercase();
    let lower: &[u8] = lower;
    for (i, m) in MONTHS.iter().enumerate() {
        let m = m.as_bytes();
        if m == lower || (lower.len() == 3 && m.starts_with(lower)) || (lower == b"sept" && i == 8)
        {
            return u32::try_from(i + 1).ok();
        }
    }
    None
}

/// A vector of at most `N` elements stored inline: the digit runs and word lists of
/// one candidate, without allocating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Small<T: Copy + Default, const N: usize> {
    items: [T; N],
    /// At most 255 elements: the lists are short, and the type is copied around.
    len: u8,
}

impl<T: Copy + Default, const N: usize> Default for Small<T, N> {
    fn default() -> Self {
        Self {
            items: [T::default(); N],
            len: 0,
        }
    }
}

impl<T: Copy + Default, const N: usize> Small<T, N> {
    /// Appends `v`; `false` (and nothing appended) when full.
    #[must_use]
    pub(crate) fn push(&mut self, v: T) -> bool {
        let i = usize::from(self.len);
        match self.len.checked_add(1) {
            Some(next) if i < N => {
                self.items[i] = v;
                self.len = next;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        &self.items[..usize::from(self.len)]
    }
}

impl<T: Copy + Default, const N: usize> std::ops::Deref for Small<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for Small<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize, const M: usize> PartialEq<[T; M]>
    for Small<T, N>
{
    fn eq(&self, other: &[T; M]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize, const M: usize> PartialEq<&[T; M]>
    for Small<T, N>
{
    fn eq(&self, other: &&[T; M]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// Most digit groups of a run (the candidate loop stops at 24).
pub(crate) const MAX_GROUPS: usize = 24;
/// Most digits of a run that is interpreted.
pub(crate) const MAX_DIGITS: usize = 40;

/// The bytes between two digit groups (`-`, ` (`, `)`, `) `).
pub(crate) type Sep = Small<u8, 4>;

/// A run of digit groups with their separators, as the numeric shape matches it:
/// `+41 (0)96 471 07 95`, `2/8/1935`, `345-899-3560x4587`, `12345678Z`. Stored inline.
#[derive(Debug)]
pub(crate) struct NumericRun {
    /// All digits of the groups (not of the extension).
    pub(crate) digits: Small<u8, MAX_DIGITS>,
    /// The lengths of the digit groups, in digits.
    pub(crate) groups: Small<u8, MAX_GROUPS>,
    /// The separator bytes between consecutive groups.
    pub(crate) seps: Small<Sep, MAX_GROUPS>,
    pub(crate) plus: Option<usize>,
    pub(crate) paren: bool,
    pub(crate) ext: Option<(usize, usize)>,
    pub(crate) letter: Option<u8>,
    /// Offset of the letter (or of the `-` before it).
    pub(crate) letter_at: usize,
}

impl NumericRun {
    /// `None` when `s` has no digit group, more than [`MAX_DIGITS`] digits, more than
    /// [`MAX_GROUPS`] groups or a separator of more than 4 bytes.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let mut run = NumericRun {
            digits: Small::default(),
            groups: Small::default(),
            seps: Small::default(),
            plus: None,
            paren: false,
            ext: None,
            letter: None,
            letter_at: b.len(),
        };
        let mut i = 0;
        let mut sep = Sep::default();
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_digit() {
                let g = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if run.ext.is_some() {
                    run.ext = Some((g, i));
                    continue;
                }
                if !run.groups.is_empty() && !run.seps.push(std::mem::take(&mut sep)) {
                    return None;
                }
                // At most MAX_DIGITS (40) digits in all, checked below.
                let len = u8::try_from(i - g).unwrap_or(u8::MAX);
                if !run.groups.push(len) {
                    return None;
                }
                for &d in &b[g..i] {
                    if !run.digits.push(d) {
                        return None;
                    }
                }
                continue;
            }
            match c {
                b'+' if run.groups.is_empty() => run.plus = Some(i),
                b'(' | b')' => {
                    run.paren = true;
                    if !sep.push(c) {
                        return None;
                    }
                }
                b'x' | b'#' | b'e'
                    if !run.groups.is_empty()
                        && s[i..].bytes().take(6).any(|d| d.is_ascii_digit()) =>
                {
                    // "x123", "ext. 123", "#12"
                    let rest = &s[i..];
                    let skip = rest
                        .find(|ch: char| ch.is_ascii_digit())
                        .unwrap_or(rest.len());
                    run.ext = Some((i, i));
                    i += skip;
                    continue;
                }
                _ if c.is_ascii_alphabetic() => {
                    run.letter = Some(c);
                    run.letter_at = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
                    if !sep.is_empty() && sep != b"-" {
                        return None;
                    }
                    break;
                }
                _ => {
                    if !sep.push(c) {
                        return None;
                    }
                }
            }
            i += 1;
        }
        if run.groups.is_empty() {
            return None;
        }
        Some(run)
    }

    /// The lengths of the digit groups.
    pub(crate) fn lens(&self) -> Small<u8, MAX_GROUPS> {
        self.groups
    }

    /// Group `i` as a number (saturating; groups are short).
    pub(crate) fn value(&self, i: usize) -> u32 {
        let start: usize = self.groups[..i].iter().map(|&l| usize::from(l)).sum();
        let len = usize::from(self.groups[i]);
        let mut v = 0u32;
        for d in &self.digits[start..start + len] {
            v = v.saturating_mul(10).saturating_add(u32::from(d - b'0'));
        }
        v
    }
}

fn valid_time(h: u32, m: u32, s: Option<u32>) -> bool {
    h <= 23 && m <= 59 && s.is_none_or(|s| s <= 60)
}

fn valid_date(y: u32, m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && (1..=31).contains(&d) && y <= 2999
}

/// A date, a time or both in `start..end` (the run already parsed), extended over a
/// following `T10:00:00Z`, ` am`/` pm` or time zone; the end and a score.
pub(crate) fn date_time(text: &str, end: usize, run: &NumericRun) -> Option<(usize, f32)> {
    // Borrowed, not copied: this runs for every digit run.
    let lens = run.groups.as_slice();
    let seps = run.seps.as_slice();
    let v = |i: usize| run.value(i);
    let mut date_groups = 0;
    let mut score = 0.0f32;
    // Y-M-D
    if lens.len() >= 3
        && lens[0] == 4
        && lens[1] <= 2
        && lens[2] <= 2
        && seps[0] == seps[1]
        && matches!(seps[0].as_slice(), b"-" | b"/" | b".")
        && valid_date(v(0), v(1), v(2))
    {
        date_groups = 3;
        score = 0.8;
    } else if lens.len() >= 3
        && lens[0] <= 2
        && lens[1] <= 2
        && (lens[2] == 4 || lens[2] == 2 && seps[0] == b"/")
        && seps[0] == seps[1]
        && matches!(seps[0].as_slice(), b"-" | b"/" | b".")
        && (valid_date(v(2), v(0), v(1)) || valid_date(v(2), v(1), v(0)))
    {
        date_groups = 3;
        score = if lens[2] == 4 { 0.7 } else { 0.5 };
    }
    let mut g = date_groups;
    // A time: H:M or H:M:S, after a space when a date came first.
    let time_at = |g: usize| -> Option<usize> {
        if lens.len() >= g + 2
            && (g == 0 || seps[g - 1] == b" ")
            && lens[g] <= 2
            && lens[g + 1] == 2
            && seps[g] == b":"
        {
            let secs =
                (lens.len() >= g + 3 && seps[g + 1] == b":" && lens[g + 2] == 2).then(|| v(g + 2));
            if valid_time(v(g), v(g + 1), secs) {
                return Some(if secs.is_some() { 3 } else { 2 });
            }
        }
        None
    };
    if let Some(n) = time_at(g) {
        g += n;
        score = score.max(0.6);
        // Fractional seconds "12:00:00.123".
        if lens.len() > g && seps[g - 1] == b"." && n == 3 {
            g += 1;
        }
    }
    if g == 0 || g != lens.len() {
        return None;
    }
    let mut stop = end;
    let rest = window(text, end, 16);
    let rb = rest.as_bytes();
    if date_groups == 3 && g == 3 && rb.first() == Some(&b'T') {
        // ISO 8601 "T10:00:00(.123)(Z|+01:00)"
        let t = rb[1..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || matches!(b, b':' | b'.'))
            .count();
        if t >= 5 {
            stop += 1 + t;
        }
    }
    let rest = window(text, stop, 8);
    let rb = rest.as_bytes();
    if rb.first() == Some(&b'Z') && !rb.get(1).is_some_and(u8::is_ascii_alphanumeric) {
        stop += 1;
    } else if matches!(rb.first(), Some(b'+' | b'-'))
        && rb.len() >= 5
        && rb[1..3].iter().all(u8::is_ascii_digit)
        && g > date_groups
    {
        let z = if rb[3] == b':' { 6 } else { 5 };
        if rb.len() >= z && rb[z - 2..z].iter().all(u8::is_ascii_digit) {
            stop += z;
        }
    } else if g > date_groups {
        // At most 8 bytes, lower-cased on the stack.
        let mut lower = [0u8; 8];
        let lower = &mut lower[..rb.len().min(8)];
        lower.copy_from_slice(&rb[..lower.len()]);
        lower.make_ascii_lowercase();
        let lower: &[u8] = lower;
        for suffix in [" am", " pm", "am", "pm", " a.m.", " p.m."] {
            if lower.starts_with(suffix.as_bytes())
                && !lower
                    .get(suffix.len())
                    .is_some_and(u8::is_ascii_alphanumeric)
            {
                stop += suffix.len();
                break;
            }
        }
    }
    Some((stop, score))
}

/// Whether the word before a four-digit number says it is not a year ("ZIP 1980",
/// "Apt. 2001", "$1999", "#2004").
pub(crate) fn negative_year_context(text: &str, start: usize) -> bool {
    let from = floor_boundary(text, start.saturating_sub(12));
    let before = text[from..start].trim_end();
    if before.ends_with(['$', '€', '£', '#', '¥']) {
        return true;
    }
    let w = before
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("");
    [
        "zip", "postcode", "code", "apt", "suite", "unit", "box", "room", "no", "nr", "pin", "ext",
        "usd", "eur", "gbp", "chf",
    ]
    .iter()
    .any(|k| w.eq_ignore_ascii_case(k))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A text with words across 64-byte blocks, apostrophes, characters of two and
    /// three bytes (letters and not), a word longer than 64 bytes and white space of
    /// every kind.
    fn tricky_text() -> String {
        let mut t = String::from("my name is  Ana, ok. Zoë's café\u{2014}naïve 12/3 ok'd ");
        t.push_str("ααα βββ 123\tx\u{0B}y\u{85}z\u{A0}w\u{3000}v ");
        t.push_str(&"a".repeat(70));
        t.push_str(" €5 x\u{2019}s 日本語 end");
        t
    }

    #[test]
    fn word_bits_agree_with_the_byte_walk() {
        let t = tricky_text();
        let bits = WordBits::new(&t);
        let bounds: Vec<usize> = (0..=t.len()).filter(|&i| t.is_char_boundary(i)).collect();
        for &start in &bounds {
            for &end in bounds.iter().filter(|&&e| e >= start).take(12) {
                for before in [(48, 5), (24, 3), (16, 1), (0, 0), (70, 9)] {
                    for after in [(16, 2), (32, 3), (0, 0), (3, 1)] {
                        let (mut a, mut b) = (Vec::new(), Vec::new());
                        any_word_near(&t, start, end, before, after, |w| {
                            a.push(w);
                            false
                        });
                        bits.any_word_near(&t, start, end, before, after, |w| {
                            b.push(w);
                            false
                        });
                        assert_eq!(a, b, "{start}..{end} {before:?} {after:?}");
                        // Filtered by first byte, and stopped at a word.
                        let keep = |c: u8, n: usize| c & 3 != 0 && n != 2;
                        let (mut a, mut b) = (Vec::new(), Vec::new());
                        let ra = any_word_near(&t, start, end, before, after, |w| {
                            keep(w.as_bytes()[0], w.len()) && {
                                a.push(w);
                                w.len() == 3
                            }
                        });
                        let rb =
                            bits.any_word_near_starting(&t, start, end, before, after, keep, |w| {
                                b.push(w);
                                w.len() == 3
                            });
                        assert_eq!((ra, a), (rb, b), "{start}..{end} {before:?} {after:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn pack8_lower_packs_the_lowered_bytes() {
        let t = "aB@[`{Zz MARY-O'Brien\u{e9}X 1\u{0}23 SmithsonianS\u{0}";
        let b = t.as_bytes();
        for start in 0..=b.len() {
            for end in start..=b.len() {
                let w = &b[start..end];
                let want = if w.is_empty() || w.len() > 8 {
                    None
                } else if !w.is_ascii() || w.contains(&0) {
                    Some(None)
                } else {
                    let mut e = [0u8; 8];
                    e[..w.len()].copy_from_slice(&w.to_ascii_lowercase());
                    Some(Some(u64::from_le_bytes(e)))
                };
                assert_eq!(pack8_lower(w), want, "{start}..{end}");
            }
        }
    }

    #[test]
    fn ascii_word_bits_classify_every_byte() {
        for c in 0..=255u8 {
            for k in 0..8 {
                let mut e = [b'-'; 8];
                e[k] = c;
                let want = c < 0x80 && ASCII_WORD[usize::from(c)];
                let got = ascii_word_bits(u64::from_le_bytes(e)) >> k & 1 == 1;
                assert_eq!(got, want, "byte {c:#x} at {k}");
            }
        }
    }

    /// Every byte at every place of a 19-byte run that `end` crosses, from every start:
    /// `end` stops where the byte rule `stops` first holds.
    fn check_scan_end(end: fn(&[u8], usize) -> usize, stops: fn(u8) -> bool, run: &[u8; 19]) {
        let reference = |b: &[u8], i: usize| (i..b.len()).find(|&k| stops(b[k])).unwrap_or(b.len());
        for c in 0..=255u8 {
            for k in 0..19 {
                let mut b = *run;
                b[k] = c;
                for i in 0..=b.len() {
                    assert_eq!(end(&b, i), reference(&b, i), "byte {c:#x} at {k} from {i}");
                }
            }
        }
    }

    #[test]
    fn latin_alphanumeric_agrees_with_is_alphanumeric() {
        for u in 0..0x800u32 {
            if let Some(c) = char::from_u32(u) {
                assert_eq!(latin_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
            }
        }
    }

    /// `high_bits` of every block length up to 64, with six byte values (ASCII and not)
    /// at every place, against the byte rule.
    #[test]
    fn high_bits_agrees_with_the_byte_rule() {
        let reference = |b: &[u8]| {
            b.iter()
                .enumerate()
                .fold(0u64, |m, (k, &c)| m | u64::from(c >> 7) << k)
        };
        let mut block = [0u8; 64];
        for ((k, c), letter) in block.iter_mut().enumerate().zip((b'a'..=b'z').cycle()) {
            *c = if k % 5 == 0 { 0xC3 } else { letter };
        }
        for n in 0..=64 {
            for k in 0..n {
                for c in [0x00, 0x41, 0x7F, 0x80, 0xA9, 0xFF] {
                    let mut b = block;
                    b[k] = c;
                    assert_eq!(
                        high_bits(&b[..n]),
                        reference(&b[..n]),
                        "{n} bytes, {c:#x} at {k}"
                    );
                }
            }
        }
    }

    #[test]
    fn run_end_agrees_with_the_byte_rule() {
        check_scan_end(
            run_end,
            |c| c < 0x80 && !(c.is_ascii_alphanumeric() || c == b'_'),
            b"aZ_09\xC3\xA9bcdefghijklm",
        );
        assert_eq!(run_end(b"", 0), 0);
        assert_eq!(run_end(b"abc def", 0), 3);
    }

    #[test]
    fn letters_end_agrees_with_the_byte_rule() {
        check_scan_end(
            letters_end,
            |c| !c.is_ascii_alphabetic(),
            b"aZazAZbcdefghijklmn",
        );
        assert_eq!(letters_end(b"", 0), 0);
        assert_eq!(letters_end(b"Smith's", 1), 5);
    }

    /// `next_word` as it was before it scanned bytes (read to the next white space).
    fn next_word_reference(text: &str, i: usize, max_gap: usize) -> Option<(usize, usize)> {
        let rest = text.get(i..)?;
        let trimmed = rest.trim_start_matches([' ', '\t']);
        let gap = rest.len() - trimmed.len();
        if gap == 0 || gap > max_gap || trimmed.is_empty() {
            return None;
        }
        let len = trimmed
            .char_indices()
            .find(|&(_, c)| c.is_whitespace())
            .map_or(trimmed.len(), |(k, _)| k);
        (len <= 64).then_some((i + gap, i + gap + len))
    }

    #[test]
    fn next_word_agrees_with_the_reference() {
        let mut t = tricky_text() + "  \t  last";
        // Words around the 64-byte limit, the last cut by the end of the text.
        for (c, n) in [
            ("b", 63),
            ("c", 64),
            ("d", 65),
            ("e", 71),
            ("f", 72),
            ("g", 66),
        ] {
            t.push(' ');
            t.push_str(&c.repeat(n));
        }
        for i in 0..=t.len() + 1 {
            for gap in [0, 1, 2, 3, 96] {
                assert_eq!(
                    next_word(&t, i, gap),
                    next_word_reference(&t, i, gap),
                    "{i} {gap}"
                );
            }
        }
    }

    #[test]
    fn numeric_runs() {
        let r = NumericRun::parse("+41 (0)96 471 07 95").unwrap();
        assert_eq!(r.digits, b"410964710795");
        assert!(r.plus.is_some() && r.paren);
        let r = NumericRun::parse("345-899-3560x4587").unwrap();
        assert_eq!(r.digits, b"3458993560");
        assert!(r.ext.is_some());
        let r = NumericRun::parse("12345678Z").unwrap();
        assert_eq!(r.letter, Some(b'Z'));
        assert_eq!(r.letter_at, 8);
        assert_eq!(NumericRun::parse("2/8/1935").unwrap().lens(), [1, 1, 4]);
    }

    #[test]
    fn dates() {
        let t = "on 2000-04-16 11:34:35 and 2/8/1935 at 12:20pm, 2020-01-01T10:00:00Z.";
        let check = |s: &str, want: &str| {
            let start = t.find(s).unwrap();
            let run = NumericRun::parse(s).unwrap();
            let (stop, _) = date_time(t, start + s.len(), &run).unwrap();
            assert_eq!(&t[start..stop], want);
        };
        check("2000-04-16 11:34:35", "2000-04-16 11:34:35");
        check("2/8/1935", "2/8/1935");
        check("12:20", "12:20pm");
        check("2020-01-01", "2020-01-01T10:00:00Z");
        let run = NumericRun::parse("13/13/2020").unwrap();
        assert!(date_time("13/13/2020", 10, &run).is_none());
    }

    #[test]
    fn words_and_boundaries() {
        let t = "my name is  Ana, ok";
        assert!(any_word_near(t, 12, 15, (20, 3), (0, 0), |w| w == "name"));
        assert!(!any_word_near(t, 12, 15, (20, 1), (0, 0), |w| w == "name"));
        assert!(any_word_near(t, 12, 15, (0, 0), (5, 1), |w| w == "ok"));
        assert!(
            !any_word_near(t, 12, 15, (0, 0), (3, 1), |w| w == "o"),
            "cut word"
        );
        assert!(context_match("Cards", "card") && !context_match("cardiology", "card"));
        assert_eq!(next_word(t, 10, 2), Some((12, 16)));
        let mr = |w: &str| w.eq_ignore_ascii_case("mr");
        assert!(title_before("Dear Mr. Smith", 9, |_| true, mr));
        assert!(title_before("Dear Mr. Smith", 9, |c| c == b'r', mr));
        assert!(!title_before("Dear Mr. Smith", 9, |c| c != b'r', mr));
        assert!(!title_before("Smith", 0, |_| true, mr));
        assert_eq!(floor_boundary("é", 1), 0);
        assert_eq!(window("aé", 0, 2), "a");
        assert!(is_tld("com") && is_tld("UK") && !is_tld("json"));
        assert!(is_tld("zw") && is_tld("ad") && is_tld("Museum") && !is_tld("zz"));
        assert!(!is_tld("c1") && !is_tld("é") && !is_tld(""));
        assert_eq!(month("Sept."), Some(9));
        assert_eq!(month("ma"), None);
        let names = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        for (i, n) in names.iter().enumerate() {
            let want = u32::try_from(i + 1).ok();
            assert_eq!(month(n), want, "{n}");
            assert_eq!(month(&n.to_uppercase()), want, "{n}");
            assert_eq!(month(&format!("{}.", &n[..3])), want, "{n}");
            if let Some(four) = n.get(..4) {
                let want = (n.len() == 4 || i == 8).then_some(want).flatten();
                assert_eq!(month(four), want, "{n}");
            }
        }
        for w in [
            "Mary",
            "Smith",
            "Jane",
            "Marc",
            "Ma",
            "Jun1",
            "J@n",
            "Octopus",
            "Mayday",
            "Decembers",
        ] {
            assert_eq!(month(w), None, "{w}");
        }
        assert_eq!(trim_url_end("(see http://a.com/x).", 5, 21), 19);
    }
}
