#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod anon;
mod backend;
#[cfg(feature = "datafusion")]
#[cfg_attr(docsrs, doc(cfg(feature = "datafusion")))]
pub mod datafusion;
mod encoding;
pub mod envelope;
pub mod error;
pub mod kdf;
pub mod pseudonym;
mod rand;
pub mod retention;
pub mod secret;

pub use backend::{Algorithm, Backend};
pub use error::{Error, Result};
/// The `jiff` crate, whose date and time types privkit's API takes (`jiff::Timestamp`,
/// `jiff::civil::Date`, `jiff::tz::TimeZone`): use this re-export so your version
/// always matches privkit's.
pub use jiff;
