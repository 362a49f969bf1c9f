//! privkit's integration tests, as one test binary: one compile and link instead of 22
//! binaries against the same dependencies (building the core's test targets took 127 s of CPU
//! instead of 175 s). Each module is one former `tests/<name>.rs`; run one with
//! `cargo test -p privkit --all-features --test suite <module>::`.
#![allow(missing_docs)]

#[path = "../common/adult.rs"]
mod adult;

mod anon_adult;
mod anon_mondrian;
mod anon_props;
mod audit_crash;
mod audit_events;
mod audit_log;
mod audit_props;
mod audit_vectors;
mod audit_wiring;
mod beacon;
#[cfg(all(feature = "detect", feature = "json"))]
mod detect;
#[cfg(feature = "detect")]
mod detect_accuracy;
#[cfg(feature = "tracing")]
mod detect_tracing;
mod envelope;
mod hkdf_vectors;
mod key_hierarchy;
mod password_interop;
mod password_kek;
mod pseudonym;
mod retention;
#[cfg(all(feature = "toml", feature = "json", feature = "detect"))]
mod rights;
mod stream;
mod stream_async;
