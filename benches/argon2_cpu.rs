//! Argon2id CPU time and page faults per hash, at both presets: the raw `argon2` crate,
//! privkit's plain hasher and its memory-reusing hasher. Criterion reports wall time,
//! which a loaded machine inflates; CPU time (user + system, from `/proc/self/stat`,
//! 10 ms ticks over N hashes) and minor page faults are what reusing the memory block
//! changes. Linux only. Compare with `python3 benches/argon2_cffi.py` (same columns).
//!
//! Run: `N=20 cargo bench --bench argon2_cpu`
#![allow(clippy::unwrap_used, missing_docs, clippy::cast_possible_truncation)]

use privkit::kdf::{PasswordHasher, PasswordParams};
use privkit::secret::SecretString;
use std::time::Instant;
fn stat() -> (f64, f64, u64) {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<&str> = s.rsplit_once(") ").unwrap().1.split(' ').collect();
    // Fields after "(comm) ": state is field 3, minflt 10, utime 14, stime 15 (proc(5)).
    let t = |i: usize| f[i].parse::<f64>().unwrap() / 100.0;
    (t(11), t(12), f[7].parse().unwrap())
}
fn main() {
    let n: u32 = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let pw = SecretString::from("correct horse battery staple");
    for (name, p) in [
        ("owasp", PasswordParams::OWASP_MINIMUM),
        ("rfc9106_second", PasswordParams::RFC9106_SECOND),
    ] {
        let h = PasswordHasher::new(p).unwrap();
        let params =
            argon2::Params::new(p.memory_kib(), p.time_cost(), p.parallelism(), Some(32)).unwrap();
        let raw = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut r = h.reusing_memory();
        let _ = r.hash(&pw);
        let _ = h.hash(&pw);
        let run = |label: &str, f: &mut dyn FnMut()| {
            let (u0, s0, m0) = stat();
            let w0 = Instant::now();
            for _ in 0..n {
                f();
            }
            let w = w0.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
            let (u1, s1, m1) = stat();
            println!(
                "{name:15} {label:28} wall {w:7.2} ms  cpu {:7.2} ms (user {:6.2} sys {:6.2})  minor faults/hash {}",
                ((u1 - u0) + (s1 - s0)) * 1000.0 / f64::from(n),
                (u1 - u0) * 1000.0 / f64::from(n),
                (s1 - s0) * 1000.0 / f64::from(n),
                (m1 - m0) / u64::from(n)
            );
        };
        let mut out = [0u8; 32];
        run("raw argon2 crate", &mut || {
            raw.hash_password_into(b"correct horse battery staple", &[2u8; 16], &mut out)
                .unwrap()
        });
        run("privkit plain", &mut || {
            h.hash(&pw).unwrap();
        });
        run("privkit reusing memory", &mut || {
            r.hash(&pw).unwrap();
        });
    }
}
