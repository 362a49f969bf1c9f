//! Inputs shared by `benches/detect.rs` and `examples/detect_instructions.rs`: Presidio's
//! synthetic sentences and deterministic service log lines.

/// The `full_text` of every record of the dataset, joined by newlines.
pub(crate) fn sentences() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pii/synth_dataset_v2.json"
    );
    let data = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: serde_json::Value = serde_json::from_str(&data).unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    for r in v.as_array().map(Vec::as_slice).unwrap_or_default() {
        out.push_str(r["full_text"].as_str().unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Service log lines: timestamps, levels, paths, ids, durations, and now and then an
/// IP address, an e-mail address, a card number or a token (deterministic).
pub(crate) fn log_lines(n: usize) -> String {
    let paths = [
        "/api/v1/orders",
        "/api/v1/users/me",
        "/healthz",
        "/static/app.js",
        "/login",
    ];
    let mut out = String::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let ms = x % 900;
        let status = [200, 200, 200, 201, 304, 404, 500][usize::try_from(x % 7).unwrap_or(0)];
        let path = paths[usize::try_from((x >> 8) % 5).unwrap_or(0)];
        out.push_str(&format!(
            "2024-03-{:02}T{:02}:{:02}:{:02}.{:03}Z INFO http request_id={:016x} method=GET path={path}/{} status={status} duration_ms={ms}",
            1 + i % 28,
            i % 24,
            i % 60,
            (i * 7) % 60,
            i % 1000,
            x,
            x % 100_000,
        ));
        match i % 10 {
            0 => out.push_str(&format!(" client_ip=203.0.113.{}", x % 250)),
            3 => out.push_str(&format!(" user=user{}@example.com", x % 1000)),
            6 => out.push_str(" note=\"paid with 4111 1111 1111 1111\""),
            8 => out.push_str(" upstream=10.1.2.3:8443 retries=2"),
            _ => out.push_str(" cache=hit bytes=5120"),
        }
        out.push('\n');
    }
    out
}

/// The longest prefix of `s` of at most `len` bytes that ends on a character boundary.
pub(crate) fn cut(s: &str, len: usize) -> &str {
    let mut end = len.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
