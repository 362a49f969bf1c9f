#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod anon;
mod backend;
#[cfg(feature = "datafusion")]
#[cfg_attr(docsrs, doc(cfg(feature = "datafusion")))]
pub mod datafusion;
#[cfg(feature = "detect")]
#[cfg_attr(docsrs, doc(cfg(feature = "detect")))]
pub mod detect;
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
