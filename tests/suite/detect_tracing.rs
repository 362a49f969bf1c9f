//! The `tracing` field formatter redacts messages, fields and span fields before the
//! writer sees them.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use privkit::detect::{Operator, Redactor, Scanner};
use tracing_subscriber::layer::SubscriberExt;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn log_lines_are_redacted_before_the_writer() {
    let scanner = Arc::new(Scanner::new().unwrap());
    let redactor = Arc::new(Redactor::new(Operator::TypeTag).unwrap());
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::registry().with(
        privkit::detect::layer(scanner, redactor)
            .with_ansi(false)
            .without_time()
            .with_writer(move || sink.clone()),
    );
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request", client = "203.0.113.7");
        let _guard = span.enter();
        tracing::info!(
            user = "ann@example.com",
            card = 4111111111111111u64,
            "payment by Maria Garcia"
        );
        tracing::warn!("plain message, nothing to hide");
    });
    let out = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    for secret in [
        "203.0.113.7",
        "ann@example.com",
        "4111111111111111",
        "Maria Garcia",
    ] {
        assert!(!out.contains(secret), "{secret} leaked: {out}");
    }
    assert!(out.contains("payment by <PERSON>"), "{out}");
    assert!(out.contains("user=\"<EMAIL_ADDRESS>\""), "{out}");
    assert!(out.contains("card=<CREDIT_CARD>"), "{out}");
    assert!(out.contains("client=\"<IP_ADDRESS>\""), "{out}");
    assert!(out.contains("plain message, nothing to hide"), "{out}");
}
