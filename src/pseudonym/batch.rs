//! Batch helper: one scoped thread per available core over contiguous chunks.

use std::num::NonZeroUsize;
use std::thread;

/// Below this many items a batch runs on the calling thread.
const MIN_PARALLEL: usize = 256;

/// `items.iter().map(f).collect()`, spread over the available cores.
pub(crate) fn map_chunks<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    if threads == 1 || items.len() < MIN_PARALLEL {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// Like [`map_chunks`] for fallible `f`: the first error (in input order) wins.
pub(crate) fn try_map_chunks<T: Sync, U: Send, E: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<U, E> + Sync,
) -> Result<Vec<U>, E> {
    map_chunks(items, f).into_iter().collect()
}
