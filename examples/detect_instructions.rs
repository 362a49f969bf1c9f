//! One input of the detection benchmark (`benches/detect.rs`), scanned a given number
//! of times by the scanner or by the benchmark's baseline regex, inside a function that
//! callgrind can isolate: instruction counts per byte do not depend on the machine's
//! load, so the two rows compare even when the benchmark's times are noisy.
//!
//! ```text
//! cargo build --release --features detect --example detect_instructions
//! valgrind --tool=callgrind --toggle-collect='detect_instructions::measured' \
//!     target/release/examples/detect_instructions scanner sentences 131072 10
//! ```
//!
//! Arguments: `scanner` or `baseline`, `sentences` or `log_lines`, the size in bytes,
//! the number of scans, and optionally the only types the scanner looks for, by name
//! and comma-separated (`EMAIL_ADDRESS,IP_ADDRESS`). One scan before the measured ones
//! warms the lazy DFAs (as criterion's warm-up does). Prints the bytes scanned and the
//! findings of one scan; divide callgrind's instruction count by the bytes.

use std::hint::black_box;

use privkit::detect::{EntityType, Scanner};
use privkit::{Error, Result};
use regex_automata::meta::Regex;

#[path = "../benches/detect_support/inputs.rs"]
mod inputs;

#[inline(never)]
fn measured(scan: &dyn Fn(&str) -> usize, text: &str, times: usize) -> usize {
    let mut n = 0;
    for _ in 0..times {
        n = scan(black_box(text));
    }
    n
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        Error::InvalidArgument(
            "usage: scanner|baseline sentences|log_lines SIZE TIMES [TYPES]".into(),
        )
    };
    let (which, input, size, times, only) = match args.as_slice() {
        [w, i, s, t] => (w, i, s, t, None),
        [w, i, s, t, o] => (w, i, s, t, Some(o)),
        _ => return Err(usage()),
    };
    let size: usize = size.parse().map_err(|_| usage())?;
    let times: usize = times.parse().map_err(|_| usage())?;
    let source = match input.as_str() {
        "sentences" => inputs::sentences(),
        "log_lines" => inputs::log_lines(20_000),
        _ => return Err(usage()),
    };
    let text = inputs::cut(&source, size);
    let scanner = match only {
        None => Scanner::new()?,
        Some(names) => {
            let mut types = Vec::new();
            for name in names.split(',') {
                let t = EntityType::builtin()
                    .iter()
                    .find(|e| e.name() == name)
                    .ok_or_else(|| Error::InvalidArgument(format!("no built-in type {name}")))?;
                types.push(t.clone());
            }
            Scanner::builder().only(&types).build()?
        }
    };
    let baseline = Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
    let found = match which.as_str() {
        "scanner" => {
            let out = std::cell::RefCell::new(Vec::new());
            let f = |t: &str| {
                let mut o = out.borrow_mut();
                scanner.scan_into(t, &mut o);
                o.len()
            };
            f(text);
            measured(&f, text, times)
        }
        "baseline" => {
            let f = |t: &str| baseline.find_iter(t).count();
            f(text);
            measured(&f, text, times)
        }
        _ => return Err(usage()),
    };
    println!(
        "{} bytes x {times} scans, {found} findings per scan",
        text.len()
    );
    Ok(())
}
