#!/usr/bin/env python3
"""Argon2id at privkit's presets with argon2-cffi (the reference C implementation,
phc-winner-argon2, through argon2-cffi-bindings), for comparison with
`cargo bench --bench kdf`. Run on the same machine, right after the Rust bench:

    pip install argon2-cffi && python3 benches/argon2_cffi.py

Reports, over N calls (after 2 warm-up calls), the median and minimum wall time, the
process CPU time (all threads) and minor page faults per call, of `hash_secret_raw`
(as the `raw_argon2_crate` row) and of `PasswordHasher.hash` (salt generation + PHC
encoding, as the `privkit_hash_*` rows). CPU time compares with `benches/argon2_cpu.rs`.
"""
import os
import resource
import statistics
import time
import importlib.metadata as md

from argon2 import PasswordHasher
from argon2.low_level import Type, hash_secret_raw

PRESETS = [("owasp_m19MiB_t2_p1", 19456, 2, 1), ("rfc9106_m64MiB_t3_p4", 65536, 3, 4)]
N = int(os.environ.get("N", "30"))


def timed(f):
    for _ in range(2):
        f()
    samples = []
    c0, r0 = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(N):
        t0 = time.perf_counter()
        f()
        samples.append((time.perf_counter() - t0) * 1000)
    cpu = (time.process_time() - c0) * 1000 / N
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) // N
    return statistics.median(samples), min(samples), cpu, faults


def main():
    print("argon2-cffi %s, argon2-cffi-bindings %s, %d cores, N=%d"
          % (md.version("argon2-cffi"), md.version("argon2-cffi-bindings"), os.cpu_count(), N))
    pw, salt = b"correct horse battery staple", bytes([2] * 16)
    for name, m, t, p in PRESETS:
        raw = timed(lambda: hash_secret_raw(pw, salt, time_cost=t, memory_cost=m,
                                            parallelism=p, hash_len=32, type=Type.ID))
        ph = PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, hash_len=32, salt_len=16)
        phc = timed(lambda: ph.hash(pw))
        for label, r in (("hash_secret_raw", raw), ("PasswordHasher.hash", phc)):
            print("%-22s %-20s wall median %7.2f ms  min %7.2f ms  cpu %7.2f ms  minor faults/hash %d"
                  % (name, label, r[0], r[1], r[2], r[3]))


if __name__ == "__main__":
    main()
