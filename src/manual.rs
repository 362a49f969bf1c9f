//! The design documentation: why privkit is built as it is, and what its bytes are.
//!
//! These pages are the repository's `docs/` files, rendered here so that they can be read
//! next to the API:
//!
//! - [`security`]: the threat model, what each module protects against and what it does
//!   not (pseudonym linkability, small FPE domains, what k, l and t promise, retention).
//! - [`formats`]: every wire format, byte for byte, precisely enough for an independent
//!   decoder; known-answer vectors are in `tests/data/vectors/`.
//!
//! Performance measurements (which backend on which processor, build costs) are in the
//! repository's `docs/PERFORMANCE.md`, with the commands that reproduce them.
//!
//! # Example
//! Nothing to run: this module holds documentation only.
//! ```
//! # Ok::<(), privkit::Error>(())
//! ```

#[doc = include_str!("../docs/SECURITY.md")]
pub mod security {}

#[doc = include_str!("../docs/FORMAT.md")]
pub mod formats {}
