//! Finding personal data in text and logs.
//!
//! (Module documentation is completed with the operators.)

mod builtin;
mod checksum;
mod entity;
mod gazetteer;
mod scanner;
mod text;

pub use entity::{EntityType, Finding, char_spans};
pub use scanner::{
    DEFAULT_MIN_SCORE, DEFAULT_PHONE_REGIONS, PatternRecognizer, Recognizer, Scanner,
    ScannerBuilder,
};
