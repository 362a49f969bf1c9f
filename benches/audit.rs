//! The audit log against the primitives underneath it.
//!
//! Run: `cargo bench --bench audit`. Rows, each group with its baseline:
//! - `tree_append`: appending entries to the in-memory Merkle tree (a leaf hash, and on
//!   average one node hash, per entry) against `raw_sha256` of the same bytes.
//! - `durable_append`: `DurableLog::append_batch` with `FsyncPolicy::Always` (one
//!   `fdatasync` per batch) of 100 to 10,000 events of 120 bytes; throughput in events/s.
//!   `raw_write_fsync` writes the same bytes to a file and syncs it, nothing else.
//! - `proof`: inclusion and consistency proofs from a durable log (hashes read from the
//!   tree file) and their verification, at several log sizes: O(log n).
//! - `checkpoint`: signing and verifying a checkpoint note against raw Ed25519
//!   (`ed25519-dalek`) signing and strict verification of the same text.
//! - `keyset_encrypt_64`: `Keyset::encrypt` of 64 bytes alone, with the aggregating
//!   sink's counter resolved once (as a keyset keeps it beside its key), and through
//!   `UsageRecorder::used` (a cached lookup per call).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signer, SigningKey};
use jiff::SignedDuration;
use privkit::audit::{
    AggregatingSink, Auditor, Checkpoint, DurableLog, FsyncPolicy, KeyOp, LogOptions, MemoryLog,
    MerkleTree, NoteSigner, SubjectPseudonymizer,
};
use privkit::keyset::Keyset;
use privkit::secret::SecretBytes;
use privkit::{Algorithm, Result};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "audit.example.com/bench";

fn tmp(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("privkit-bench-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

fn tree_append(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit/tree_append");
    for size in [64usize, 256, 1024] {
        let entry = vec![0x5au8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("raw_sha256", size), &entry, |b, e| {
            b.iter(|| Sha256::digest(black_box(e)));
        });
        g.bench_with_input(
            BenchmarkId::new("merkle_tree_push", size),
            &entry,
            |b, e| {
                let mut tree = MerkleTree::new();
                b.iter(|| {
                    // Bounded memory: start over every million entries.
                    if tree.size() == 1 << 20 {
                        tree = MerkleTree::new();
                    }
                    tree.push(black_box(e))
                });
            },
        );
    }
    g.finish();
}

fn durable_append(c: &mut Criterion) -> Result<()> {
    let mut g = c.benchmark_group("audit/durable_append");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for batch in [100usize, 1000, 10_000] {
        let entries: Vec<Vec<u8>> = (0..batch)
            .map(|i| format!("{i:0120}").into_bytes())
            .collect();
        g.throughput(Throughput::Elements(batch as u64));
        let dir = tmp(&format!("raw{batch}"));
        std::fs::create_dir_all(&dir)?;
        let mut file = std::fs::File::create(dir.join("raw"))?;
        let joined: Vec<u8> = entries.iter().flat_map(|e| e.iter().copied()).collect();
        g.bench_function(BenchmarkId::new("raw_write_fsync", batch), |b| {
            b.iter(|| {
                use std::io::Write;
                file.write_all(&joined).expect("write");
                file.sync_data().expect("sync");
            });
        });
        drop(file);
        std::fs::remove_dir_all(&dir)?;
        let dir = tmp(&format!("log{batch}"));
        let (log, _) = DurableLog::open(&dir, LogOptions::new(ORIGIN)?.fsync(FsyncPolicy::Always))?;
        g.bench_function(BenchmarkId::new("append_batch_fsync", batch), |b| {
            b.iter(|| log.append_batch(black_box(&entries)).expect("append"));
        });
        drop(log);
        std::fs::remove_dir_all(&dir)?;
    }
    g.finish();
    Ok(())
}

fn proofs(c: &mut Criterion) -> Result<()> {
    let mut g = c.benchmark_group("audit/proof");
    for size in [1_000u64, 100_000, 1_000_000] {
        let dir = tmp(&format!("proof{size}"));
        let (log, _) = DurableLog::open(&dir, LogOptions::new(ORIGIN)?.fsync(FsyncPolicy::Never))?;
        let entries: Vec<Vec<u8>> = (0..10_000u64).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut n = 0;
        while n < size {
            let k = (size - n).min(10_000);
            log.append_batch(&entries[..k as usize])?;
            n += k;
        }
        let root = log.root();
        let index = size / 3;
        let entry = log.entry(index)?;
        g.bench_function(BenchmarkId::new("inclusion_proof", size), |b| {
            b.iter(|| log.inclusion_proof(black_box(index), size).expect("proof"));
        });
        let proof = log.inclusion_proof(index, size)?;
        g.bench_function(BenchmarkId::new("inclusion_verify", size), |b| {
            b.iter(|| proof.verify(black_box(&entry), &root).expect("verify"));
        });
        let old = size / 2 + 1;
        g.bench_function(BenchmarkId::new("consistency_proof", size), |b| {
            b.iter(|| log.consistency_proof(black_box(old), size).expect("proof"));
        });
        let cproof = log.consistency_proof(old, size)?;
        let old_root = log.root_at(old)?;
        g.bench_function(BenchmarkId::new("consistency_verify", size), |b| {
            b.iter(|| cproof.verify(black_box(&old_root), &root).expect("verify"));
        });
        drop(log);
        std::fs::remove_dir_all(&dir)?;
    }
    g.finish();
    Ok(())
}

fn checkpoint(c: &mut Criterion) -> Result<()> {
    let mut g = c.benchmark_group("audit/checkpoint");
    let seed = [0x11u8; 32];
    let signer = NoteSigner::from_seed(ORIGIN, &SecretBytes::from_slice(&seed))?;
    let verifier = signer.verifier();
    let cp = Checkpoint::new(ORIGIN, 20_852_163, [7u8; 32])?;
    let text = cp.to_text();
    let note = cp.sign(&signer)?;
    let raw = SigningKey::from_bytes(&seed);
    let raw_vk = raw.verifying_key();
    let raw_sig = raw.sign(text.as_bytes());
    g.bench_function("raw_ed25519_sign", |b| {
        b.iter(|| raw.sign(black_box(text.as_bytes())))
    });
    g.bench_function("checkpoint_sign", |b| {
        b.iter(|| cp.sign(black_box(&signer)).expect("sign"))
    });
    g.bench_function("raw_ed25519_verify_strict", |b| {
        b.iter(|| {
            raw_vk
                .verify_strict(black_box(text.as_bytes()), &raw_sig)
                .expect("verify")
        });
    });
    g.bench_function("checkpoint_verify", |b| {
        b.iter(|| {
            verifier
                .verify_checkpoint(black_box(&note), ORIGIN)
                .expect("verify")
        });
    });
    g.finish();
    Ok(())
}

fn keyset_encrypt(c: &mut Criterion) -> Result<()> {
    let mut g = c.benchmark_group("audit/keyset_encrypt_64");
    g.throughput(Throughput::Bytes(64));
    let keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
    let pt = [0x42u8; 64];
    let aad = b"table=customers;column=email;row=17";
    let log = Arc::new(MemoryLog::new());
    let sink = Arc::new(AggregatingSink::new(log, SignedDuration::from_mins(1))?);
    let auditor = Auditor::new(
        sink,
        Arc::new(SubjectPseudonymizer::new(&SecretBytes::random(32)?)?),
        "bench",
    );
    let recorder = auditor.keyset_recorder("customers.email", Some("user.contact.email"));
    let id = keyset.primary_id();
    let counter = recorder
        .counter(id, KeyOp::Encrypt, "AES-256-GCM")
        .expect("the aggregating sink returns counters");
    g.bench_function("no_sink", |b| {
        b.iter(|| keyset.encrypt(black_box(&pt), black_box(aad)).expect("enc"));
    });
    g.bench_function("aggregating_counter", |b| {
        b.iter(|| {
            let ct = keyset.encrypt(black_box(&pt), black_box(aad)).expect("enc");
            counter.add(pt.len() as u64);
            ct
        });
    });
    g.bench_function("aggregating_recorder_lookup", |b| {
        b.iter(|| {
            let ct = keyset.encrypt(black_box(&pt), black_box(aad)).expect("enc");
            recorder
                .used(id, KeyOp::Encrypt, "AES-256-GCM", pt.len())
                .expect("count");
            ct
        });
    });
    g.finish();
    Ok(())
}

fn all(c: &mut Criterion) {
    tree_append(c);
    durable_append(c).expect("durable_append");
    proofs(c).expect("proofs");
    checkpoint(c).expect("checkpoint");
    keyset_encrypt(c).expect("keyset_encrypt");
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = all
}
criterion_main!(benches);
