//! Randomness: the operating system's generator, and a per-thread generator seeded from
//! it for the per-message material of envelopes.
//!
//! [`fill`] asks the operating system every time: long-term keys, key ids and nonce
//! prefixes come from it. [`fill_message`] serves the per-message data key, salt and nonce
//! prefix of envelopes and streams, where one system call per message cost more than the
//! rest of sealing a small message (docs/PERFORMANCE.md); its construction and why it is
//! as strong as the operating system's generator for this use are in docs/SECURITY.md
//! ("Per-message randomness").

use std::cell::RefCell;

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, Result};

/// Fills `dest` with bytes from the operating system's cryptographically secure
/// random number generator.
pub(crate) fn fill(dest: &mut [u8]) -> Result<()> {
    getrandom::fill(dest).map_err(|_| Error::Random)
}

/// A random array of `N` bytes from the operating system.
pub(crate) fn array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// Bytes the thread generator hands out before it draws a new seed from the operating
/// system (as rand's `ThreadRng`).
const RESEED_AFTER: u64 = 64 * 1024;
/// Keystream bytes made per refill: four ChaCha20 blocks (one pass of the AVX2 backend).
const REFILL: usize = 256;
/// Of each refill, the first bytes replace the key (fast key erasure).
const KEY: usize = 32;

/// A fast-key-erasure generator (D. J. Bernstein, "Fast-key-erasure random-number
/// generators", 2017) on ChaCha20: each refill runs ChaCha20 under the current key with
/// nonce 0 for [`REFILL`] bytes, of which the first 32 become the next key (the old one is
/// gone) and the rest are handed out once each and wiped as they are. A copy of the state
/// reveals no earlier output. It is seeded with 32 bytes from the operating system, again
/// after [`RESEED_AFTER`] bytes, and whenever the process id differs from the one it was
/// seeded in (a child after `fork()` never repeats its parent's output).
#[derive(Zeroize, ZeroizeOnDrop)]
struct ThreadGenerator {
    key: [u8; KEY],
    buffer: [u8; REFILL - KEY],
    /// Unused bytes of `buffer` start here.
    pos: usize,
    /// Bytes handed out since the last seed.
    since_seed: u64,
    pid: u32,
}

impl ThreadGenerator {
    fn seeded(pid: u32) -> Result<Self> {
        let mut generator = Self {
            key: array()?,
            buffer: [0u8; REFILL - KEY],
            pos: REFILL - KEY,
            since_seed: 0,
            pid,
        };
        generator.refill();
        Ok(generator)
    }

    fn refill(&mut self) {
        let mut block = [0u8; REFILL];
        let mut cipher = ChaCha20::new(&self.key.into(), &[0u8; 12].into());
        cipher.apply_keystream(&mut block);
        self.key.copy_from_slice(&block[..KEY]);
        self.buffer.copy_from_slice(&block[KEY..]);
        self.pos = 0;
        block.zeroize();
    }

    fn fill(&mut self, mut dest: &mut [u8]) {
        while !dest.is_empty() {
            if self.pos == self.buffer.len() {
                self.refill();
            }
            let n = dest.len().min(self.buffer.len() - self.pos);
            let (now, rest) = dest.split_at_mut(n);
            let source = &mut self.buffer[self.pos..self.pos + n];
            now.copy_from_slice(source);
            source.zeroize();
            self.pos += n;
            dest = rest;
        }
    }
}

thread_local! {
    static GENERATOR: RefCell<Option<ThreadGenerator>> = const { RefCell::new(None) };
}

/// Fills `dest` (per-message material: data keys, salts, nonce prefixes) from this
/// thread's generator, seeding it from the operating system first when it is new, has
/// handed out [`RESEED_AFTER`] bytes, or runs in another process than the one that seeded
/// it.
pub(crate) fn fill_message(dest: &mut [u8]) -> Result<()> {
    let pid = std::process::id();
    let len = u64::try_from(dest.len()).unwrap_or(u64::MAX);
    GENERATOR.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            // Re-entered (cannot happen from privkit's own code): the OS serves it.
            return fill(dest);
        };
        let fresh = match slot.as_ref() {
            Some(g) => g.pid != pid || g.since_seed.saturating_add(len) > RESEED_AFTER,
            None => true,
        };
        if fresh {
            *slot = Some(ThreadGenerator::seeded(pid)?);
        }
        let Some(generator) = slot.as_mut() else {
            return fill(dest);
        };
        generator.fill(dest);
        generator.since_seed = generator.since_seed.saturating_add(len);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_generator_is_fast_key_erasure_chacha20() {
        // Known answer: RFC 8439's ChaCha20 with key k, nonce 0 and counter 0 gives the
        // first block; its first 32 bytes are the next key and the rest the output.
        let key = [7u8; 32];
        let mut g = ThreadGenerator {
            key,
            buffer: [0u8; REFILL - KEY],
            pos: REFILL - KEY,
            since_seed: 0,
            pid: 1,
        };
        let mut out = [0u8; 300];
        g.fill(&mut out);
        let mut stream = [0u8; 2 * REFILL];
        ChaCha20::new(&key.into(), &[0u8; 12].into()).apply_keystream(&mut stream[..REFILL]);
        let mut next = [0u8; 32];
        next.copy_from_slice(&stream[..32]);
        ChaCha20::new(&next.into(), &[0u8; 12].into()).apply_keystream(&mut stream[REFILL..]);
        assert_eq!(&out[..REFILL - KEY], &stream[KEY..REFILL]);
        assert_eq!(
            &out[REFILL - KEY..],
            &stream[REFILL + KEY..REFILL + KEY + 76]
        );
        // Handed-out bytes are wiped from the buffer.
        assert!(g.buffer[..76].iter().all(|&b| b == 0));
    }

    #[test]
    fn fill_message_differs_between_calls_and_threads() -> Result<()> {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        fill_message(&mut a)?;
        fill_message(&mut b)?;
        assert_ne!(a, b);
        let c = std::thread::spawn(|| {
            let mut c = [0u8; 32];
            fill_message(&mut c).map(|()| c)
        })
        .join()
        .map_err(|_| Error::Random)??;
        assert_ne!(a, c);
        assert_ne!(b, c);
        Ok(())
    }

    #[test]
    fn fill_message_reseeds_after_its_budget_and_in_another_process() -> Result<()> {
        let mut buf = vec![0u8; 1000];
        for _ in 0..(RESEED_AFTER / 1000 + 2) {
            fill_message(&mut buf)?;
        }
        GENERATOR.with(|cell| {
            let slot = cell.borrow();
            let g = slot.as_ref().ok_or(Error::Random)?;
            assert!(g.since_seed <= RESEED_AFTER);
            Ok::<(), Error>(())
        })?;
        // A generator recorded under another process id (what a child after fork() sees)
        // is replaced by a fresh seed, not continued.
        GENERATOR.with(|cell| {
            if let Some(g) = cell.borrow_mut().as_mut() {
                g.pid = g.pid.wrapping_add(1);
            }
        });
        let key_before = GENERATOR.with(|cell| cell.borrow().as_ref().map(|g| g.key));
        fill_message(&mut buf[..16])?;
        GENERATOR.with(|cell| {
            let slot = cell.borrow();
            let g = slot.as_ref().ok_or(Error::Random)?;
            assert_eq!(g.pid, std::process::id());
            assert_eq!(g.since_seed, 16);
            assert_ne!(Some(g.key), key_before);
            Ok(())
        })
    }
}
