//! The scanner on arbitrary bytes (as lossy UTF-8) and on valid UTF-8: never panics,
//! findings are sorted, disjoint and on character boundaries, and a stream scan of the
//! same text finds the same values.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use privkit::detect::Scanner;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new().unwrap_or_else(|e| panic!("scanner: {e}")))
}

fuzz_target!(|data: &[u8]| {
    let lossy = String::from_utf8_lossy(data);
    let texts = std::str::from_utf8(data).map_or_else(|_| vec![&*lossy], |t| vec![t, &*lossy]);
    for text in texts {
        let found = scanner().scan(text);
        let mut last = 0;
        for f in &found {
            assert!(f.start >= last && f.start < f.end && f.end <= text.len());
            assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            last = f.end;
        }
        let mut streamed = Vec::new();
        let n = scanner()
            .scan_reader(text.as_bytes(), |f| {
                streamed.push(f.value);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("stream: {e}"));
        assert_eq!(n, text.len() as u64);
        let direct: Vec<&str> = found.iter().map(|f| f.text(text)).collect();
        assert_eq!(streamed, direct);
    }
});
