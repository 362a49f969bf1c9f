//! Scanning and redacting streams of any size over `BufRead`, chunk by chunk, with an
//! overlap so that entities straddling a chunk boundary are found whole.

use std::io::{BufRead, Write};

use super::entity::Finding;
use super::redact::Redactor;
use super::scanner::Scanner;
use super::text;
use crate::{Error, Result};

/// Text scanned per step, before the overlap (bytes).
const CHUNK: usize = 64 * 1024;
/// Bytes kept back at the end of each step and scanned again with the next chunk: more
/// than the longest finding (a private-key block is looked for over 16 KiB).
const OVERLAP: usize = 20 * 1024;
/// Bytes before the cut kept for the context words of the next step's findings.
const CONTEXT: usize = 64;
/// A single line longer than this is scanned in pieces of this size.
const MAX_LINE: usize = 1024 * 1024;

/// A finding in a stream: offsets are from the start of the stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamFinding {
    /// The finding, with `start`/`end` as byte offsets in the whole stream.
    pub finding: Finding,
    /// The found text.
    pub value: String,
}

/// Reads `reader` window by window and calls `step(window, final_start, final_end,
/// findings)` where `findings` are the scanner's findings inside
/// `final_start..final_end` (window offsets) and `window[final_start..final_end]` is
/// text no later step will see again. Returns the number of bytes read.
fn windows<R: BufRead>(
    scanner: &Scanner,
    mut reader: R,
    mut step: impl FnMut(&str, u64, usize, usize, &[Finding]) -> Result<()>,
) -> Result<u64> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + OVERLAP + CONTEXT);
    // Window offset of the first byte not yet handed out (after the context prefix).
    let mut fresh = 0usize;
    // Stream offset of buf[0].
    let mut base = 0u64;
    let mut line_no = 1usize;
    let mut findings = Vec::new();
    let mut eof = false;
    while !eof {
        while buf.len() < CHUNK + OVERLAP {
            let before = buf.len();
            let n = read_line_bounded(&mut reader, &mut buf)?;
            if n == 0 {
                eof = true;
                break;
            }
            // Validate the new bytes now to report the line of a UTF-8 error.
            if let Err(e) = std::str::from_utf8(&buf[before..]) {
                // An incomplete character at a MAX_LINE cut is completed by the next read.
                if e.error_len().is_some() || buf[before..].ends_with(b"\n") {
                    return Err(Error::Parse {
                        line: line_no,
                        message: format!(
                            "invalid UTF-8 at byte {} of the stream",
                            base + (before + e.valid_up_to()) as u64
                        ),
                    });
                }
            }
            line_no += buf[before..].iter().filter(|&&b| b == b'\n').count();
        }
        let valid = match std::str::from_utf8(&buf) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_none() && !eof => e.valid_up_to(),
            Err(e) => {
                return Err(Error::Parse {
                    line: line_no,
                    message: format!(
                        "invalid UTF-8 at byte {} of the stream",
                        base + e.valid_up_to() as u64
                    ),
                });
            }
        };
        let window = std::str::from_utf8(&buf[..valid]).map_err(|_| Error::Malformed("UTF-8"))?;
        scanner.scan_into(window, &mut findings);
        // Everything is final at the end of the stream; otherwise keep OVERLAP back,
        // and any finding that reaches into it.
        let mut cut = if eof {
            window.len()
        } else {
            text::floor_boundary(window, window.len().saturating_sub(OVERLAP))
        };
        if let Some(f) = findings.iter().find(|f| f.start < cut && f.end > cut) {
            cut = f.start;
        }
        let cut = cut.max(fresh);
        let done: Vec<Finding> = findings
            .iter()
            .filter(|f| f.start >= fresh && f.end <= cut)
            .cloned()
            .collect();
        step(window, base, fresh, cut, &done)?;
        // Keep a context prefix before the cut.
        let keep_from = text::floor_boundary(window, cut.saturating_sub(CONTEXT));
        buf.drain(..keep_from);
        base += keep_from as u64;
        fresh = cut - keep_from;
    }
    Ok(base + buf.len() as u64)
}

/// Reads one line (or `MAX_LINE` bytes of a longer one) into `buf`.
fn read_line_bounded<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> Result<usize> {
    let mut total = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if available.is_empty() {
            return Ok(total);
        }
        let room = MAX_LINE - total;
        let (take, done) = match available.iter().take(room).position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len().min(room), available.len() >= room),
        };
        buf.extend_from_slice(&available[..take]);
        reader.consume(take);
        total += take;
        if done || total >= MAX_LINE {
            return Ok(total);
        }
    }
}

impl Scanner {
    /// Scans a stream of UTF-8 text of any size with bounded memory (about 100 KiB plus
    /// the longest line up to 1 MiB) and calls `on_finding` for each finding in stream
    /// order, offsets counted from the start of the stream. Entities that straddle the
    /// boundary of two reads are found whole. Returns the number of bytes read.
    ///
    /// # Errors
    /// [`Error::Io`] from the reader; [`Error::Parse`] naming the line and byte of
    /// invalid UTF-8 (nothing after it is scanned); any error `on_finding` returns.
    pub fn scan_reader<R: BufRead>(
        &self,
        reader: R,
        mut on_finding: impl FnMut(StreamFinding) -> Result<()>,
    ) -> Result<u64> {
        windows(self, reader, |window, base, _, _, found| {
            for f in found {
                let mut g = f.clone();
                g.start += usize::try_from(base)
                    .map_err(|_| Error::limit("stream offset", usize::MAX as u64))?;
                g.end = g.start + f.len();
                on_finding(StreamFinding {
                    finding: g,
                    value: window[f.start..f.end].to_owned(),
                })?;
            }
            Ok(())
        })
    }
}

impl Redactor {
    /// Copies `reader` to `writer` with every finding of `scanner` redacted, in bounded
    /// memory (as [`Scanner::scan_reader`]). Instance tags follow the redactor's
    /// [`TagScope`](super::TagScope); "all occurrences" applies within each chunk of
    /// about 64 KiB. Returns the number of findings redacted.
    ///
    /// # Errors
    /// As [`Scanner::scan_reader`] and [`Redactor::redact`]; [`Error::Io`] from the
    /// writer. Output written before an error stays written.
    pub fn redact_stream<R: BufRead, W: Write>(
        &self,
        scanner: &Scanner,
        reader: R,
        mut writer: W,
    ) -> Result<u64> {
        let mut count = 0u64;
        windows(scanner, reader, |window, _, from, to, found| {
            let part = &window[from..to];
            let shifted: Vec<Finding> = found
                .iter()
                .map(|f| Finding::new(f.entity.clone(), f.start - from, f.end - from, f.score))
                .collect();
            let out = self.redact(part, &shifted)?;
            count += out.items.len() as u64;
            writer.write_all(out.text.as_bytes())?;
            Ok(())
        })?;
        writer.flush()?;
        Ok(count)
    }
}
