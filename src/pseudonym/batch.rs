//! Batch helper: one scoped thread per available core over contiguous chunks.

use std::num::NonZeroUsize;
use std::thread;

/// Below this many items a batch runs on the calling thread.
const MIN_PARALLEL: usize = 256;

/// The chunk length that gives each available core one chunk, or `None` when the
/// batch is better run on the calling thread.
fn chunk_len(len: usize, min_parallel: usize) -> Option<usize> {
    let threads = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    (threads > 1 && len >= min_parallel).then(|| len.div_ceil(threads))
}

fn join<R>(handle: thread::ScopedJoinHandle<'_, R>) -> R {
    match handle.join() {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// `items.iter().map(f).collect()`, spread over the available cores.
pub(crate) fn map_chunks<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let Some(chunk) = chunk_len(items.len(), MIN_PARALLEL) else {
        return items.iter().map(f).collect();
    };
    let f = &f;
    thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(join(h));
        }
        out
    })
}

/// `items.iter_mut().try_for_each(f)`, spread over the available cores (records are
/// heavier than single values, so fewer make a batch worth splitting). Every chunk
/// runs to its first error; the error of the earliest failing chunk is returned.
pub(crate) fn try_for_each_mut<T: Send, E: Send>(
    items: &mut [T],
    f: impl Fn(&mut T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    let Some(chunk) = chunk_len(items.len(), MIN_PARALLEL / 4) else {
        return items.iter_mut().try_for_each(f);
    };
    let f = &f;
    thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks_mut(chunk)
            .map(|c| s.spawn(move || c.iter_mut().try_for_each(f)))
            .collect();
        let results: Vec<Result<(), E>> = handles.into_iter().map(join).collect();
        results.into_iter().collect()
    })
}

/// Like [`map_chunks`] for fallible `f`: the first error (in input order) wins.
pub(crate) fn try_map_chunks<T: Sync, U: Send, E: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<U, E> + Sync,
) -> Result<Vec<U>, E> {
    map_chunks(items, f).into_iter().collect()
}
