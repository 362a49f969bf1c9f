//! Memory of the durable audit log as it grows: appends `N` entries (default 1,000,000)
//! in batches of 10,000 with one fsync each, printing the process's resident memory
//! every tenth of the way, then times inclusion and consistency proofs at the end.
//!
//! Run optimised, with the directory on the disk you want to measure:
//! `cargo run --profile bench --example audit_scale -- 10000000 /tmp/audit-scale`
//! (10 million entries of 100 bytes take about 1.8 GB on disk; the directory is removed
//! at the end).

use std::time::Instant;

use privkit::Result;
use privkit::audit::{DurableLog, FsyncPolicy, LogOptions};

/// Resident and peak resident memory in KiB, from `/proc/self/status` (Linux).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("privkit-audit-scale-{}", std::process::id()))
        });
    let _ = std::fs::remove_dir_all(&dir);
    let opts = LogOptions::new("audit.example.com/scale")?
        .fsync(FsyncPolicy::Always)
        .segment_bytes(64 * 1024 * 1024)?;
    let (log, _) = DurableLog::open(&dir, opts)?;
    let batch: Vec<Vec<u8>> = (0..10_000u64)
        .map(|i| format!("{i:0100}").into_bytes())
        .collect();
    let started = Instant::now();
    let mut next_report = n / 10;
    while log.size() < n {
        let k = usize::try_from((n - log.size()).min(10_000)).unwrap_or(10_000);
        log.append_batch(&batch[..k])?;
        if log.size() >= next_report {
            let (rss, peak) = memory();
            println!(
                "{:>10} entries  {:>8.1} s  {:>9.0} entries/s  RSS {:>6} KiB  peak {:>6} KiB",
                log.size(),
                started.elapsed().as_secs_f64(),
                log.size() as f64 / started.elapsed().as_secs_f64(),
                rss,
                peak
            );
            next_report += n / 10;
        }
    }
    let size = log.size();
    let t = Instant::now();
    let mut hashes = 0;
    for i in 0..1000u64 {
        hashes += log.inclusion_proof(i * (size / 1000), size)?.hashes().len();
    }
    println!(
        "1000 inclusion proofs at size {size}: {:.1} µs each, {} hashes each",
        t.elapsed().as_secs_f64() * 1e3,
        hashes / 1000
    );
    let t = Instant::now();
    for i in 1..=1000u64 {
        log.consistency_proof(i * (size / 1000), size)?;
    }
    println!(
        "1000 consistency proofs at size {size}: {:.1} µs each",
        t.elapsed().as_secs_f64() * 1e3
    );
    let (rss, peak) = memory();
    println!("final RSS {rss} KiB, peak {peak} KiB");
    drop(log);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
