//! Crash safety of the durable audit log: a child process (this test binary, re-invoked)
//! appends with fsync and group commit and prints each acknowledged append; the parent
//! kills it with SIGKILL at random moments, reopens the log, and checks that every
//! acknowledged entry is there, byte for byte, and that every proof verifies.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::never_loop
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use privkit::audit::{DurableLog, FsyncPolicy, LogOptions, NoteSigner};
use privkit::secret::SecretBytes;

const ORIGIN: &str = "audit.example.com/crash";
const CHILD_ENV: &str = "PRIVKIT_AUDIT_CRASH_CHILD";
const KILLS: usize = 60;

fn options() -> LogOptions {
    // Small segments, so that kills also land during segment roll-overs.
    LogOptions::new(ORIGIN)
        .unwrap()
        .fsync(FsyncPolicy::Always)
        .segment_bytes(16 * 1024)
        .unwrap()
        .max_entry_len(4096)
        .unwrap()
}

fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, &SecretBytes::from_slice(&[42; 32])).unwrap()
}

/// The entry appended by thread `t` as its `n`-th: the parent regenerates it from the
/// acknowledgement line and checks it byte for byte.
fn entry(t: u64, n: u64) -> Vec<u8> {
    let mut e = format!("crash-test thread {t} append {n};").into_bytes();
    e.resize(
        e.len() + ((t * 1000 + n).wrapping_mul(2654435761) % 300) as usize,
        b'.',
    );
    e
}

/// Parses an entry back to its (thread, append) numbers, checking its padding.
fn parse_entry(e: &[u8]) -> (u64, u64) {
    let s = std::str::from_utf8(e).unwrap();
    let head = s.split(';').next().unwrap();
    let mut w = head.split(' ').skip(2);
    let t = w.next().unwrap().parse().unwrap();
    let n = w.nth(1).unwrap().parse().unwrap();
    assert_eq!(e, entry(t, n), "entry is whole");
    (t, n)
}

/// xorshift64*: random kill times without a dependency; the seed is printed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The child: appends until killed. Three threads append concurrently (their fsyncs
/// are group-committed); thread 0 appends batches of 1 to 17 entries, the others single
/// entries. Every append is printed as `ack <index> <thread> <n>` after it returned.
/// Checkpoints are signed now and then. Numbering resumes after the entries already in
/// the log, so that every entry of the log stays unique.
fn child(dir: &str) {
    let (log, _) = DurableLog::open(dir, options()).unwrap();
    let resume = log.size();
    let log = std::sync::Arc::new(log);
    let out = std::sync::Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let mut handles = Vec::new();
    for t in 0..3u64 {
        let (log, out) = (log.clone(), out.clone());
        handles.push(std::thread::spawn(move || {
            let mut n = resume * 100;
            let mut rounds = 0u64;
            loop {
                let batch = if t == 0 { 1 + (rounds % 17) } else { 1 };
                let entries: Vec<Vec<u8>> = (n..n + batch).map(|k| entry(t, k)).collect();
                let first = log.append_batch(&entries).unwrap();
                let mut o = out.lock().unwrap();
                for k in 0..batch {
                    writeln!(o, "ack {} {t} {}", first + k, n + k).unwrap();
                }
                o.flush().unwrap();
                drop(o);
                n += batch;
                rounds += 1;
                if t == 0 && rounds.is_multiple_of(40) {
                    log.sign_checkpoint(&signer()).unwrap();
                }
            }
        }));
    }
    // The threads append until the parent kills the process.
    for h in handles {
        let _ = h.join();
    }
}

#[test]
fn acknowledged_entries_survive_sigkill() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
        return;
    }
    let dir = std::env::temp_dir().join(format!("privkit-audit-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed:#x}");
    let mut rng = Rng(seed);
    let exe = std::env::current_exe().unwrap();
    let verifier = signer().verifier();
    let started = Instant::now();
    let mut acked_total = 0u64;
    let mut prev_size = 0u64;
    let mut prev_root = privkit::audit::EMPTY_ROOT;
    let mut cuts = 0u64;
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "audit_crash::acknowledged_entries_survive_sigkill",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut acked = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("ack ") {
                    let v: Vec<u64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
                    acked.push((v[0], v[1], v[2]));
                }
            }
            acked
        });
        // Kill at a random moment: from during start-up to well into appending.
        std::thread::sleep(Duration::from_micros(5_000 + rng.next() % 80_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let acked = reader.join().unwrap();

        let (log, rec) = DurableLog::open(&dir, options()).unwrap();
        cuts += u64::from(rec.truncated_bytes > 0);
        let size = log.size();
        for &(i, t, n) in &acked {
            assert!(
                i < size,
                "round {round}: acknowledged entry {i} lost (size {size})"
            );
            assert_eq!(
                log.entry(i).unwrap(),
                entry(t, n),
                "round {round}: entry {i}"
            );
        }
        // Every entry written this round, acknowledged or not, is whole.
        for r in log.entries(prev_size..size) {
            parse_entry(&r.unwrap().1);
        }
        // Proofs against a freshly signed checkpoint: inclusion of this round's
        // acknowledged entries and consistency with the tree seen before this round.
        let note = log.sign_checkpoint(&signer()).unwrap();
        let cp = verifier.verify_checkpoint(&note, ORIGIN).unwrap();
        assert_eq!(cp.size(), size);
        for &(i, t, n) in &acked {
            log.inclusion_proof(i, size)
                .unwrap()
                .verify(&entry(t, n), cp.root())
                .unwrap();
        }
        log.consistency_proof(prev_size, size)
            .unwrap()
            .verify(&prev_root, cp.root())
            .unwrap();
        prev_size = size;
        prev_root = *cp.root();
        acked_total += acked.len() as u64;
    }
    let (log, _) = DurableLog::open(&dir, options()).unwrap();
    assert_eq!(log.verify_files().unwrap(), prev_size);
    eprintln!(
        "{KILLS} kills, {acked_total} acknowledged appends, {prev_size} entries, \
         {cuts} torn tails cut, {:?}",
        started.elapsed()
    );
    assert!(acked_total > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
