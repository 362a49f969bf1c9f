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
    !text[..start]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The next word after `i` (skipping at most `max_gap` bytes of spaces), as a byte
/// range; a word is a run of non-whitespace characters, at most 64 bytes.
pub(crate) fn next_word(text: &str, i: usize, max_gap: usize) -> Option<(usize, usize)> {
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
    if len > 64 {
        return None;
    }
    Some((i + gap, i + gap + len))
}

/// The space-separated parts of `start..end`.
pub(crate) fn split_spaces(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut s = start;
    for (k, b) in text.as_bytes()[start..end].iter().enumerate() {
        if *b == b' ' {
            if s < start + k {
                parts.push((s, start + k));
            }
            s = start + k + 1;
        }
    }
    if s < end {
        parts.push((s, end));
    }
    parts
}

/// Whether a title ("Mr.", "Dr") stands right before `start`.
pub(crate) fn title_before(text: &str, start: usize, titles: &[&str]) -> bool {
    let from = floor_boundary(text, start.saturating_sub(10));
    let before = &text[from..start];
    let Some(b) = before.strip_suffix(' ') else {
        return false;
    };
    let b = b.strip_suffix('.').unwrap_or(b);
    let word_start = b
        .char_indices()
        .rev()
        .find(|&(_, c)| !c.is_alphabetic())
        .map_or(0, |(k, c)| k + c.len_utf8());
    let w = &b[word_start..];
    !w.is_empty() && titles.iter().any(|t| w.eq_ignore_ascii_case(t))
}

/// Whether `pred` holds for one of the `before_max` words in the `before` bytes before
/// `start` or one of the `after_max` words in the `after` bytes after `end` (a word is a
/// run of alphanumeric characters and apostrophes; one cut by the window is skipped).
/// Allocates nothing.
pub(crate) fn any_word_near(
    text: &str,
    start: usize,
    end: usize,
    (before, before_max): (usize, usize),
    (after, after_max): (usize, usize),
    pred: impl Fn(&str) -> bool,
) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '\'';
    let from = floor_boundary(text, start.saturating_sub(before));
    let cut_first = from > 0 && text[..from].chars().next_back().is_some_and(is_word);
    let window = &text[from..start];
    let mut words = window
        .split(|c: char| !is_word(c))
        .filter(|w| !w.is_empty());
    if cut_first && window.starts_with(is_word) {
        words.next();
    }
    // Nearest first: walk from the end.
    if words.rev().take(before_max).any(&pred) {
        return true;
    }
    let to = floor_boundary(text, end.saturating_add(after));
    let cut_last = to < text.len() && text[to..].chars().next().is_some_and(is_word);
    let window = &text[end..to];
    let mut words: Vec<&str> = window
        .split(|c: char| !is_word(c))
        .filter(|w| !w.is_empty())
        .take(after_max + 1)
        .collect();
    if cut_last && window.ends_with(is_word) && words.len() <= after_max + 1 {
        words.pop();
    }
    words.into_iter().take(after_max).any(pred)
}

/// Whether `word` is the context word `c` (lower case), ignoring ASCII case, or starts
/// with it and is at most two bytes longer ("cards", "phones"; `c` of 3 bytes or more).
pub(crate) fn context_match(word: &str, c: &str) -> bool {
    let (w, cb) = (word.as_bytes(), c.as_bytes());
    w.len() >= cb.len()
        && w[..cb.len()].eq_ignore_ascii_case(cb)
        && (w.len() == cb.len() || cb.len() >= 3 && w.len() <= cb.len() + 2)
}

/// Top-level domains accepted in e-mail addresses, URLs and domain names: the
/// country-code TLDs (GeoNames country info) and the generic ones in common use.
pub(crate) fn is_tld(tld: &str) -> bool {
    const GENERIC: &[&str] = &[
        "com",
        "org",
        "net",
        "edu",
        "gov",
        "mil",
        "int",
        "info",
        "biz",
        "name",
        "pro",
        "aero",
        "coop",
        "museum",
        "mobi",
        "asia",
        "tel",
        "travel",
        "jobs",
        "cat",
        "eu",
        "app",
        "dev",
        "cloud",
        "online",
        "site",
        "shop",
        "store",
        "xyz",
        "tech",
        "blog",
        "news",
        "live",
        "top",
        "club",
        "website",
        "space",
        "email",
        "digital",
        "agency",
        "company",
        "solutions",
        "services",
        "systems",
        "network",
        "media",
        "group",
        "global",
        "world",
        "today",
        "life",
        "io",
        "ai",
        "me",
        "tv",
        "page",
        "health",
        "bank",
        "law",
        "legal",
        "finance",
        "money",
        "insurance",
        "market",
        "ltd",
        "inc",
        "llc",
        "gmbh",
        "art",
        "design",
        "studio",
        "academy",
        "school",
        "university",
        "institute",
        "center",
        "events",
        "social",
        "team",
        "works",
        "zone",
        "link",
        "click",
        "help",
        "host",
        "run",
        "codes",
        "software",
        "onion",
        "local",
        "internal",
        "example",
        "test",
        "invalid",
        "localhost",
        "arpa",
    ];
    const CC: &str = "ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo bq br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh er es et fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk um us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw";
    if tld.len() < 2 || tld.len() > 63 {
        return false;
    }
    let lower = tld.to_ascii_lowercase();
    if lower.len() == 2 {
        return CC.split(' ').any(|c| c == lower);
    }
    GENERIC.contains(&lower.as_str())
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
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    for (i, m) in MONTHS.iter().enumerate() {
        if *m == w || (w.len() == 3 && m.starts_with(&w)) || (w == "sept" && i == 8) {
            return u32::try_from(i + 1).ok();
        }
    }
    None
}

/// A run of digit groups with their separators, as the numeric shape matches it:
/// `+41 (0)96 471 07 95`, `2/8/1935`, `345-899-3560x4587`, `12345678Z`.
#[derive(Debug)]
pub(crate) struct NumericRun {
    /// All digits of the groups (not of the extension).
    pub(crate) digits: Vec<u8>,
    /// Byte ranges of the digit groups, relative to the run.
    pub(crate) groups: Vec<(usize, usize)>,
    /// The separator bytes between consecutive groups.
    pub(crate) seps: Vec<Vec<u8>>,
    pub(crate) plus: Option<usize>,
    pub(crate) paren: bool,
    pub(crate) ext: Option<(usize, usize)>,
    pub(crate) letter: Option<u8>,
    /// Offset of the letter (or of the `-` before it).
    pub(crate) letter_at: usize,
}

impl NumericRun {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let mut run = NumericRun {
            digits: Vec::new(),
            groups: Vec::new(),
            seps: Vec::new(),
            plus: None,
            paren: false,
            ext: None,
            letter: None,
            letter_at: b.len(),
        };
        let mut i = 0;
        let mut sep = Vec::new();
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
                if !run.groups.is_empty() {
                    run.seps.push(std::mem::take(&mut sep));
                }
                run.groups.push((g, i));
                run.digits.extend_from_slice(&b[g..i]);
                continue;
            }
            match c {
                b'+' if run.groups.is_empty() => run.plus = Some(i),
                b'(' | b')' => {
                    run.paren = true;
                    sep.push(c);
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
                _ => sep.push(c),
            }
            i += 1;
        }
        if run.groups.is_empty() || run.digits.len() > 40 {
            return None;
        }
        Some(run)
    }

    /// The lengths of the digit groups.
    pub(crate) fn lens(&self) -> Vec<usize> {
        self.groups.iter().map(|(s, e)| e - s).collect()
    }

    /// Group `i` as a number (saturating; groups are short).
    pub(crate) fn value(&self, i: usize) -> u32 {
        let mut v = 0u32;
        let (s, e) = self.groups[i];
        let start = self.group_digit_offset(i);
        for d in &self.digits[start..start + (e - s)] {
            v = v.saturating_mul(10).saturating_add(u32::from(d - b'0'));
        }
        v
    }

    fn group_digit_offset(&self, i: usize) -> usize {
        self.groups[..i].iter().map(|(s, e)| e - s).sum()
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
    let lens = run.lens();
    let seps: Vec<&[u8]> = run.seps.iter().map(Vec::as_slice).collect();
    let v = |i: usize| run.value(i);
    let mut date_groups = 0;
    let mut score = 0.0f32;
    // Y-M-D
    if lens.len() >= 3
        && lens[0] == 4
        && lens[1] <= 2
        && lens[2] <= 2
        && seps[0] == seps[1]
        && matches!(seps[0], b"-" | b"/" | b".")
        && valid_date(v(0), v(1), v(2))
    {
        date_groups = 3;
        score = 0.8;
    } else if lens.len() >= 3
        && lens[0] <= 2
        && lens[1] <= 2
        && (lens[2] == 4 || lens[2] == 2 && seps[0] == b"/")
        && seps[0] == seps[1]
        && matches!(seps[0], b"-" | b"/" | b".")
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
    } else {
        let lower = rest.to_ascii_lowercase();
        for suffix in [" am", " pm", "am", "pm", " a.m.", " p.m."] {
            if g > date_groups
                && lower.starts_with(suffix)
                && !lower[suffix.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
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
        .unwrap_or("")
        .to_ascii_lowercase();
    [
        "zip", "postcode", "code", "apt", "suite", "unit", "box", "room", "no", "nr", "pin", "ext",
        "usd", "eur", "gbp", "chf",
    ]
    .contains(&w.as_str())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

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
        assert!(title_before("Dear Mr. Smith", 9, &["mr"]));
        assert!(!title_before("Smith", 0, &["mr"]));
        assert_eq!(floor_boundary("é", 1), 0);
        assert_eq!(window("aé", 0, 2), "a");
        assert!(is_tld("com") && is_tld("UK") && !is_tld("json"));
        assert_eq!(month("Sept."), Some(9));
        assert_eq!(month("ma"), None);
        assert_eq!(trim_url_end("(see http://a.com/x).", 5, 21), 19);
    }
}
