//! The durable audit log: appends across segments, proofs against signed checkpoints,
//! recovery of a torn tail, and each refusal with its own error.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::PathBuf;

use privkit::audit::{
    Checkpoint, ConsistencyProof, DurableLog, FsyncPolicy, LogOptions, MerkleTree, NoteSigner,
    NoteVerifier, TlogProof, decode_segment,
};
use privkit::secret::SecretBytes;
use privkit::{AuditError, Error};

const ORIGIN: &str = "audit.example.com/test";

struct TempDir(PathBuf);
impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("privkit-audit-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        Self(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, &SecretBytes::from_slice(&[7; 32])).unwrap()
}

fn small_segments() -> LogOptions {
    LogOptions::new(ORIGIN)
        .unwrap()
        .segment_bytes(4096)
        .unwrap()
        .max_entry_len(1024)
        .unwrap()
}

fn entry(i: u64) -> Vec<u8> {
    let mut e = format!("event {i}:").into_bytes();
    e.resize(e.len() + (i % 97) as usize, b'x');
    e
}

fn segments(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut s: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    s.sort();
    s
}

#[test]
fn appends_proofs_and_reopen_across_segments() {
    let tmp = TempDir::new("basic");
    let mut mem = MerkleTree::new();
    {
        let (log, rec) = DurableLog::open(&tmp.0, small_segments()).unwrap();
        assert_eq!(rec.entries, 0);
        for i in 0..300 {
            assert_eq!(log.append(&entry(i)).unwrap(), i);
            mem.push(&entry(i));
        }
        let batch: Vec<Vec<u8>> = (300..700).map(entry).collect();
        assert_eq!(log.append_batch(&batch).unwrap(), 300);
        for e in &batch {
            mem.push(e);
        }
        assert_eq!(log.root(), mem.root());
        assert!(segments(&tmp.0).len() > 5, "small segments roll over");
    }
    let (log, rec) = DurableLog::open(&tmp.0, small_segments()).unwrap();
    assert_eq!(rec.entries, 700);
    assert_eq!(rec.truncated_bytes, 0);
    assert_eq!(log.root(), mem.root());
    assert_eq!(log.verify_files().unwrap(), 700);
    for (i, e) in log.entries(0..700).enumerate() {
        assert_eq!(e.unwrap(), (i as u64, entry(i as u64)));
    }
    assert_eq!(log.entry(513).unwrap(), entry(513));
    assert_eq!(log.entries(650..800).count(), 50);

    let note = log.sign_checkpoint(&signer()).unwrap();
    let verifier = signer().verifier();
    let cp = verifier.verify_checkpoint(&note, ORIGIN).unwrap();
    assert_eq!((cp.size(), *cp.root()), (700, mem.root()));
    for i in [0, 1, 255, 256, 511, 699] {
        let p = log.inclusion_proof(i, 700).unwrap();
        assert_eq!(p, mem.inclusion_proof(i, 700).unwrap());
        p.verify(&entry(i), cp.root()).unwrap();
        // The C2SP proof text carries everything a verifier needs.
        let text = TlogProof::new(&p, &note, None).unwrap().to_text();
        let parsed = TlogProof::parse(&text).unwrap();
        assert_eq!(parsed.verify(&entry(i), &verifier, ORIGIN).unwrap(), cp);
    }
    for old in [1, 2, 100, 333, 699, 700] {
        let p = log.consistency_proof(old, 700).unwrap();
        assert_eq!(p, mem.consistency_proof(old, 700).unwrap());
        p.verify(&log.root_at(old).unwrap(), cp.root()).unwrap();
        let again = ConsistencyProof::parse(&p.to_text()).unwrap();
        assert_eq!(again, p);
    }
    // Every segment decodes with the strict, stand-alone decoder.
    let mut n = 0;
    for s in segments(&tmp.0) {
        let (first, entries) = decode_segment(&fs::read(&s).unwrap(), 1024).unwrap();
        assert_eq!(first, n);
        n += entries.len() as u64;
    }
    assert_eq!(n, 700);
}

#[test]
fn torn_tail_is_cut_and_reported() {
    let tmp = TempDir::new("torn");
    {
        let (log, _) = DurableLog::open(&tmp.0, small_segments()).unwrap();
        for i in 0..10 {
            log.append(&entry(i)).unwrap();
        }
    }
    let last = segments(&tmp.0).pop().unwrap();
    let mut bytes = fs::read(&last).unwrap();
    let good = bytes.len();
    // Half a record: a length prefix and a few bytes of an entry.
    bytes.extend_from_slice(&[0, 0, 0, 40, b'e', b'v']);
    fs::write(&last, &bytes).unwrap();
    let (log, rec) = DurableLog::open(&tmp.0, small_segments()).unwrap();
    assert_eq!((rec.entries, rec.truncated_bytes), (10, 6));
    assert_eq!(fs::metadata(&last).unwrap().len(), good as u64);
    assert_eq!(log.append(&entry(10)).unwrap(), 10);
    drop(log);
    // A zero-filled tail (the file grew, its data never reached the disk) is torn too.
    let mut bytes = fs::read(&last).unwrap();
    bytes.extend_from_slice(&[0; 300]);
    fs::write(&last, &bytes).unwrap();
    let (log, rec) = DurableLog::open(&tmp.0, small_segments()).unwrap();
    assert_eq!((rec.entries, rec.truncated_bytes), (11, 300));
    assert_eq!(log.verify_files().unwrap(), 11);
}

#[test]
fn fail_entry_over_the_limit() {
    let tmp = TempDir::new("limit");
    let (log, _) = DurableLog::open(&tmp.0, small_segments()).unwrap();
    let err = log.append(&[0u8; 1025]).unwrap_err();
    assert!(
        matches!(err, Error::LimitExceeded { limit: 1024, .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "limit exceeded: audit log entry length in bytes (limit 1024)"
    );
    // A batch is refused whole.
    assert!(log.append_batch(&[&[1u8][..], &[0u8; 2000][..]]).is_err());
    assert_eq!(log.size(), 0);
    log.append(&[0u8; 1024]).unwrap();
}

#[test]
fn fail_flipped_byte_in_a_segment() {
    let tmp = TempDir::new("flip");
    {
        let (log, _) = DurableLog::open(&tmp.0, small_segments()).unwrap();
        for i in 0..200 {
            log.append(&entry(i)).unwrap();
        }
    }
    let segs = segments(&tmp.0);
    // In a sealed segment: found by reads and by the full check, naming file and offset.
    let sealed = &segs[1];
    let mut bytes = fs::read(sealed).unwrap();
    bytes[100] ^= 0x20;
    fs::write(sealed, &bytes).unwrap();
    let (log, _) = DurableLog::open(&tmp.0, small_segments()).unwrap();
    let err = log.verify_files().unwrap_err();
    match &err {
        Error::Audit(AuditError::Corrupted { file, reason, .. }) => {
            assert!(file.ends_with(".seg"), "{file}");
            assert!(reason.contains("leaf hash"), "{reason}");
        }
        other => panic!("{other}"),
    }
    assert!(log.entries(0..200).any(|r| r.is_err()));
    drop(log);
    bytes[100] ^= 0x20;
    fs::write(sealed, &bytes).unwrap();
    // In the middle of the active segment: refused at open, never cut as if torn.
    let active = segs.last().unwrap();
    let mut bytes = fs::read(active).unwrap();
    bytes[40] ^= 1;
    fs::write(active, &bytes).unwrap();
    let err = DurableLog::open(&tmp.0, small_segments()).unwrap_err();
    assert!(
        matches!(&err, Error::Audit(AuditError::Corrupted { offset, .. }) if *offset < 200),
        "{err}"
    );
    // A damaged header is named as such.
    let mut h = fs::read(&segs[0]).unwrap();
    h[13] ^= 1;
    assert!(
        decode_segment(&h, 1024)
            .unwrap_err()
            .to_string()
            .contains("header check")
    );
}

#[test]
fn fail_checkpoint_signed_by_another_key() {
    let mut tree = MerkleTree::new();
    tree.push(b"a");
    let cp = Checkpoint::new(ORIGIN, 1, tree.root()).unwrap();
    let other = NoteSigner::from_seed(ORIGIN, &SecretBytes::from_slice(&[8; 32])).unwrap();
    let note = cp.sign(&other).unwrap();
    let err = signer()
        .verifier()
        .verify_checkpoint(&note, ORIGIN)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Audit(AuditError::UnknownSigner { found, .. }) if found.contains(&format!("{:08x}", other.key_id()))),
        "{err}"
    );
    // Same key, altered text: the signature does not verify.
    let good = cp.sign(&signer()).unwrap();
    let forged = good.replacen("\n1\n", "\n2\n", 1);
    assert!(matches!(
        signer().verifier().verify(&forged),
        Err(Error::Audit(AuditError::BadSignature { .. }))
    ));
    // Another log's checkpoint under a trusted key.
    let elsewhere =
        NoteSigner::from_seed("other.example/log", &SecretBytes::from_slice(&[7; 32])).unwrap();
    let cp2 = Checkpoint::new("other.example/log", 1, tree.root()).unwrap();
    let v = elsewhere.verifier();
    assert!(matches!(
        v.verify_checkpoint(&cp2.sign(&elsewhere).unwrap(), ORIGIN),
        Err(Error::Audit(AuditError::OriginMismatch { .. }))
    ));
    // Cosignatures by unknown keys are ignored, as the spec requires.
    let cosigned = format!(
        "{}{}",
        good,
        other
            .sign(&cp.to_text())
            .unwrap()
            .rsplit_once("\n\n")
            .unwrap()
            .1
    );
    assert_eq!(
        signer()
            .verifier()
            .verify_checkpoint(&cosigned, ORIGIN)
            .unwrap(),
        cp
    );
    // Verifier keys round-trip through their text form.
    let v = signer().verifier();
    assert_eq!(NoteVerifier::parse(&v.to_string()).unwrap(), v);
}

#[test]
fn fail_proof_for_a_different_tree() {
    let tmp = TempDir::new("other-tree");
    let (log, _) = DurableLog::open(&tmp.0, small_segments()).unwrap();
    let mut other = MerkleTree::new();
    for i in 0..50 {
        log.append(&entry(i)).unwrap();
        other.push(&entry(i + u64::from(i == 20)));
    }
    let note = log.sign_checkpoint(&signer()).unwrap();
    let cp = signer()
        .verifier()
        .verify_checkpoint(&note, ORIGIN)
        .unwrap();
    let foreign = other.inclusion_proof(3, 50).unwrap();
    let err = foreign.verify(&entry(3), cp.root()).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Audit(AuditError::RootMismatch { tree_size: 50, .. })
        ),
        "{err}"
    );
    let c = other.consistency_proof(30, 50).unwrap();
    assert!(matches!(
        c.verify(&log.root_at(30).unwrap(), cp.root()),
        Err(Error::Audit(AuditError::RootMismatch { .. }))
    ));
    // A proof for a smaller tree checked against this checkpoint.
    let small = log.inclusion_proof(3, 40).unwrap();
    assert!(TlogProof::new(&small, &note, None).is_err());
}

#[test]
fn fail_history_shorter_than_its_checkpoint() {
    let tmp = TempDir::new("history");
    {
        let (log, _) = DurableLog::open(&tmp.0, small_segments()).unwrap();
        for i in 0..20 {
            log.append(&entry(i)).unwrap();
        }
        log.sign_checkpoint(&signer()).unwrap();
    }
    let last = segments(&tmp.0).pop().unwrap();
    let len = fs::metadata(&last).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&last)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let err = DurableLog::open(&tmp.0, small_segments()).unwrap_err();
    assert!(
        matches!(&err, Error::Audit(AuditError::HistoryMismatch(m)) if m.contains("20 entries")),
        "{err}"
    );
}

#[test]
fn group_commit_from_many_threads() {
    let tmp = TempDir::new("group");
    let opts = LogOptions::new(ORIGIN).unwrap().fsync(FsyncPolicy::Always);
    let (log, _) = DurableLog::open(&tmp.0, opts).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let log = &log;
            s.spawn(move || {
                for i in 0..50u8 {
                    log.append(&[t, i]).unwrap();
                }
            });
        }
    });
    assert_eq!(log.size(), 200);
    assert_eq!(log.durable_size(), 200);
    let mut seen: Vec<Vec<u8>> = log.entries(0..200).map(|r| r.unwrap().1).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 200);
}

#[test]
fn fail_rewritten_history_against_its_checkpoint() {
    let tmp = TempDir::new("rewrite");
    let opts = || LogOptions::new(ORIGIN).unwrap();
    {
        let (log, _) = DurableLog::open(&tmp.0, opts()).unwrap();
        for i in 0..10 {
            log.append(format!("entry {i}").as_bytes()).unwrap();
        }
        log.sign_checkpoint(&signer()).unwrap();
    }
    // Someone rewrites entry 3 with a well-formed record (length, entry, leaf hash): the
    // segment checks pass, but the tree no longer has the signed root.
    let seg = segments(&tmp.0).pop().unwrap();
    let bytes = fs::read(&seg).unwrap();
    let (first, mut entries) = decode_segment(&bytes, 65536).unwrap();
    entries[3] = b"entry X".to_vec();
    let mut forged = bytes[..24].to_vec();
    for e in &entries {
        forged.extend_from_slice(&u32::try_from(e.len()).unwrap().to_be_bytes());
        forged.extend_from_slice(e);
        forged.extend_from_slice(&privkit::audit::leaf_hash(e));
    }
    assert_eq!(first, 0);
    fs::write(&seg, &forged).unwrap();
    let err = DurableLog::open(&tmp.0, opts()).unwrap_err();
    assert!(
        matches!(&err, Error::Audit(AuditError::HistoryMismatch(m)) if m.contains("root")),
        "{err}"
    );
}

#[test]
fn on_commit_policy_syncs_at_commit() {
    let tmp = TempDir::new("oncommit");
    let opts = LogOptions::new(ORIGIN)
        .unwrap()
        .fsync(FsyncPolicy::OnCommit);
    let (log, _) = DurableLog::open(&tmp.0, opts).unwrap();
    for i in 0..5 {
        log.append(&entry(i)).unwrap();
    }
    assert_eq!((log.size(), log.durable_size()), (5, 0));
    log.commit().unwrap();
    assert_eq!(log.durable_size(), 5);
    // Signing commits first: the checkpoint covers everything appended.
    log.append(&entry(5)).unwrap();
    let note = log.sign_checkpoint(&signer()).unwrap();
    assert_eq!(
        signer()
            .verifier()
            .verify_checkpoint(&note, ORIGIN)
            .unwrap()
            .size(),
        6
    );
    assert_eq!(
        log.latest_checkpoint().unwrap().as_deref(),
        Some(note.as_str())
    );
    // A signer named after another log is refused.
    let other =
        NoteSigner::from_seed("elsewhere.example/log", &SecretBytes::from_slice(&[1; 32])).unwrap();
    assert!(matches!(
        log.sign_checkpoint(&other),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn concurrent_checkpoints_only_grow() {
    let tmp = TempDir::new("cp-threads");
    let (log, _) = DurableLog::open(&tmp.0, small_segments()).unwrap();
    let s = signer();
    std::thread::scope(|scope| {
        for t in 0..3u64 {
            let (log, s) = (&log, &s);
            scope.spawn(move || {
                for i in 0..20 {
                    log.append(&entry(t * 100 + i)).unwrap();
                    log.sign_checkpoint(s).unwrap();
                }
            });
        }
    });
    let stored = log.latest_checkpoint().unwrap().unwrap();
    let cp = s.verifier().verify_checkpoint(&stored, ORIGIN).unwrap();
    assert_eq!(cp.size(), 60);
    drop(log);
    DurableLog::open(&tmp.0, small_segments()).unwrap();
}
