//! Randomness: the operating system's generator, behind one function.

use crate::{Error, Result};

/// Fills `dest` with bytes from the operating system's cryptographically secure
/// random number generator.
pub(crate) fn fill(dest: &mut [u8]) -> Result<()> {
    getrandom::fill(dest).map_err(|_| Error::Random)
}

/// A random array of `N` bytes.
pub(crate) fn array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}
