//! Durable storage: append-only segment files of entries, a post-order file of tree
//! hashes, group commit, crash recovery, and the last signed checkpoint.
//!
//! Layout of a log directory (byte formats in `docs/FORMAT.md`, "Audit log"):
//! - `<first index, 20 digits>.seg`: segments of records `len || entry || leaf hash`;
//! - `tree.nodes`: every complete subtree's hash in post-order, derived from the
//!   segments (rebuilt for the active segment on every open);
//! - `checkpoint`: the last checkpoint the log signed, replaced atomically.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use sha2::{Digest, Sha256};

use super::hash::{CompactRange, HASH_LEN, Hash, leaf_hash, postorder, stored_nodes};
use super::note::{Checkpoint, Note, NoteSigner};
use super::proof::{ConsistencyProof, InclusionProof, NodeSource};
use crate::error::AuditError;
use crate::{Error, Result};

/// Magic bytes opening every segment file.
pub(crate) const SEGMENT_MAGIC: &[u8; 8] = b"PKAUDSEG";
/// Format version of segment and node files.
pub(crate) const FILE_VERSION: u8 = 1;
/// Segment header length: magic, version, 3 reserved bytes, first index, check.
pub(crate) const SEGMENT_HEADER_LEN: usize = 24;
/// Node file header length: magic, version, 7 reserved bytes.
const NODES_HEADER_LEN: u64 = 16;
/// The node file header: magic, version, 7 reserved zero bytes.
const NODES_HEADER: [u8; 16] = *b"PKAUDNOD\x01\0\0\0\0\0\0\0";
/// Bytes a record adds around its entry: the length prefix and the leaf hash.
pub(crate) const RECORD_OVERHEAD: usize = 4 + HASH_LEN;
/// Hard upper bound on [`LogOptions::max_entry_len`].
pub const MAX_ENTRY_LEN: u32 = 16 * 1024 * 1024;
/// Records between two entries of a segment's sparse offset index.
const INDEX_STRIDE: u64 = 256;

const NODES_FILE: &str = "tree.nodes";
const CHECKPOINT_FILE: &str = "checkpoint";

/// When appends reach stable storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FsyncPolicy {
    /// Every append returns only once its entry is on stable storage (`fdatasync`).
    /// Appends from several threads that arrive while a sync runs share the next one
    /// (group commit), and [`DurableLog::append_batch`] syncs once per batch.
    #[default]
    Always,
    /// Appends return once the entry is written to the operating system, which keeps
    /// it across a crash of the process but not of the machine;
    /// [`DurableLog::commit`] makes everything appended so far durable.
    OnCommit,
    /// Sync only when a segment is full, on [`DurableLog::commit`] and before signing a
    /// checkpoint.
    Never,
}

/// Configuration of a [`DurableLog`].
#[derive(Clone, Debug)]
pub struct LogOptions {
    origin: String,
    fsync: FsyncPolicy,
    max_entry_len: u32,
    segment_bytes: u64,
}

impl LogOptions {
    /// Options for the log named `origin` (the first line of its checkpoints, a
    /// schema-less URL such as `audit.example.com/prod`): fsync on every append, entries
    /// up to 64 KiB, segments of 16 MiB.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty origin or one with control characters.
    pub fn new(origin: &str) -> Result<Self> {
        Checkpoint::new(origin, 0, super::hash::EMPTY_ROOT)?;
        Ok(Self {
            origin: origin.to_owned(),
            fsync: FsyncPolicy::Always,
            max_entry_len: 64 * 1024,
            segment_bytes: 16 * 1024 * 1024,
        })
    }

    /// The fsync policy.
    #[must_use]
    pub fn fsync(mut self, policy: FsyncPolicy) -> Self {
        self.fsync = policy;
        self
    }

    /// Largest entry accepted, in bytes (at most [`MAX_ENTRY_LEN`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for 0 or more than [`MAX_ENTRY_LEN`].
    pub fn max_entry_len(mut self, len: u32) -> Result<Self> {
        if len == 0 || len > MAX_ENTRY_LEN {
            return Err(Error::invalid_argument(format_args!(
                "max_entry_len must be 1 to {MAX_ENTRY_LEN} bytes, not {len}"
            )));
        }
        self.max_entry_len = len;
        Ok(self)
    }

    /// Size at which a segment is closed and a new one started, in bytes (at least
    /// 4 KiB; a segment always holds at least one record). Reopening rehashes the last
    /// segment, so this bounds recovery work.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] below 4096.
    pub fn segment_bytes(mut self, bytes: u64) -> Result<Self> {
        if bytes < 4096 {
            return Err(Error::invalid_argument(format_args!(
                "segment_bytes must be at least 4096, not {bytes}"
            )));
        }
        self.segment_bytes = bytes;
        Ok(self)
    }
}

/// What [`DurableLog::open`] found and repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovery {
    /// Entries in the log after opening.
    pub entries: u64,
    /// Bytes of a torn last record cut from the active segment (an append that never
    /// completed, hence was never acknowledged).
    pub truncated_bytes: u64,
    /// Entries whose tree hashes were recomputed from their segment.
    pub rehashed_entries: u64,
}

struct Segment {
    first: u64,
    path: PathBuf,
}

struct Active {
    file: Arc<File>,
    first: u64,
    len: u64,
    offsets: Vec<u64>,
}

struct Inner {
    size: u64,
    durable: u64,
    range: CompactRange,
    active: Active,
    sealed: Vec<Segment>,
    nodes: File,
    syncing: bool,
    failed: Option<String>,
    record_buf: Vec<u8>,
    node_buf: Vec<u8>,
}

/// An append-only audit log on disk: entries in segment files, an RFC 6962 Merkle tree
/// over them, signed checkpoints, inclusion and consistency proofs.
///
/// Memory stays flat in the number of entries: the tree hashes live in `tree.nodes`
/// and proofs read `O(log n)` of them; only the right-most subtree hashes (at most 64)
/// and a sparse offset index (8 bytes per 256 entries of segments read) are held.
///
/// `DurableLog` is `Sync`: share it between threads (in an `Arc`), and concurrent
/// appends are committed together.
pub struct DurableLog {
    dir: PathBuf,
    opts: LogOptions,
    inner: Mutex<Inner>,
    synced: Condvar,
    nodes_read: File,
    nodes_path: PathBuf,
    /// Serialises checkpoint signing, so the stored checkpoint only grows.
    checkpoint_lock: Mutex<()>,
    index_cache: Mutex<HashMap<u64, Arc<Vec<u64>>>>,
}

impl std::fmt::Debug for DurableLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DurableLog")
            .field("dir", &self.dir)
            .field("origin", &self.opts.origin)
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

fn corrupted(path: &Path, offset: u64, reason: impl Into<String>) -> Error {
    AuditError::Corrupted {
        file: path.display().to_string(),
        offset,
        reason: reason.into(),
    }
    .into()
}

fn segment_name(first: u64) -> String {
    format!("{first:020}.seg")
}

pub(crate) fn segment_header(first: u64) -> [u8; SEGMENT_HEADER_LEN] {
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[..8].copy_from_slice(SEGMENT_MAGIC);
    h[8] = FILE_VERSION;
    h[12..20].copy_from_slice(&first.to_be_bytes());
    let check = Sha256::digest(&h[..20]);
    h[20..].copy_from_slice(&check[..4]);
    h
}

/// Checks a segment header; returns the first index it names.
pub(crate) fn parse_segment_header(h: &[u8], path: &Path) -> Result<u64> {
    let h: &[u8; SEGMENT_HEADER_LEN] = h
        .get(..SEGMENT_HEADER_LEN)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| corrupted(path, 0, "segment shorter than its header"))?;
    if &h[..8] != SEGMENT_MAGIC {
        return Err(corrupted(
            path,
            0,
            "not a privkit audit segment (bad magic)",
        ));
    }
    if h[8] != FILE_VERSION {
        return Err(corrupted(
            path,
            8,
            format!("segment format version {} is not supported", h[8]),
        ));
    }
    let check = Sha256::digest(&h[..20]);
    if h[20..] != check[..4] || h[9..12] != [0, 0, 0] {
        return Err(corrupted(
            path,
            0,
            "segment header check bytes do not match",
        ));
    }
    let mut first = [0u8; 8];
    first.copy_from_slice(&h[12..20]);
    Ok(u64::from_be_bytes(first))
}

/// Appends one record (`len || entry || leaf hash`) to `out`.
pub(crate) fn encode_record(entry: &[u8], leaf: &Hash, out: &mut Vec<u8>) {
    // Entries are bounded by `MAX_ENTRY_LEN` before they get here.
    let len = u32::try_from(entry.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(entry);
    out.extend_from_slice(leaf);
}

/// How one record of a segment decoded.
pub(crate) enum RecordRead {
    /// A whole, valid record: the entry and its leaf hash; `next` is the offset after it.
    Entry {
        entry: Vec<u8>,
        leaf: Hash,
        next: usize,
    },
    /// The segment ends here.
    End,
    /// The bytes from here to the end cannot be a complete record (torn write).
    Torn,
    /// A record that is complete but wrong, with what is wrong.
    Bad(String),
}

/// Decodes the record at `at` in a segment's bytes.
pub(crate) fn read_record(buf: &[u8], at: usize, max_len: u32) -> RecordRead {
    let rest = buf.get(at..).unwrap_or(&[]);
    if rest.is_empty() {
        return RecordRead::End;
    }
    if rest.iter().all(|&b| b == 0) {
        // A file extended by the kernel whose data never reached the disk.
        return RecordRead::Torn;
    }
    let Some(len) = rest.get(..4) else {
        return RecordRead::Torn;
    };
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]);
    let total = RECORD_OVERHEAD + len as usize;
    if len > max_len {
        if rest.len() < total {
            return RecordRead::Torn;
        }
        return RecordRead::Bad(format!(
            "record length {len} exceeds the log's entry limit {max_len}"
        ));
    }
    let Some(record) = rest.get(..total) else {
        return RecordRead::Torn;
    };
    let entry = &record[4..4 + len as usize];
    let mut stored = [0u8; HASH_LEN];
    stored.copy_from_slice(&record[4 + len as usize..]);
    let leaf = leaf_hash(entry);
    if leaf != stored {
        return if rest.len() == total {
            // The last record, complete in length but not in content: a torn write.
            RecordRead::Torn
        } else {
            RecordRead::Bad("record's leaf hash does not match its entry".into())
        };
    }
    RecordRead::Entry {
        entry: entry.to_vec(),
        leaf,
        next: at + total,
    }
}

#[cfg(unix)]
fn read_exact_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(f, buf, offset)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// Elsewhere (WASI and other targets without positional reads): a cloned handle, seek
/// and read. Clones may share one file position, so concurrent proofs on such targets
/// must be serialised by the caller.
#[cfg(not(any(unix, windows)))]
fn read_exact_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = f.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn new_segment(dir: &Path, first: u64) -> Result<Active> {
    let path = dir.join(segment_name(first));
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .read(true)
        .open(&path)?;
    file.write_all(&segment_header(first))?;
    file.sync_data()?;
    sync_dir(dir)?;
    Ok(Active {
        file: Arc::new(file),
        first,
        len: SEGMENT_HEADER_LEN as u64,
        offsets: vec![SEGMENT_HEADER_LEN as u64],
    })
}

impl DurableLog {
    /// Opens the log in `dir`, creating the directory and an empty log if needed.
    ///
    /// Recovery: a torn last record of the last segment (an append that never returned)
    /// is cut; the tree hashes of the last segment are recomputed from its records; the
    /// stored checkpoint must match the recovered tree.
    ///
    /// # Errors
    /// [`AuditError::Corrupted`] for a segment whose header or records fail their
    /// checks anywhere but in a torn tail, or segments that do not follow each other;
    /// [`AuditError::HistoryMismatch`] if the log holds fewer entries than, or another
    /// root than, the checkpoint it last signed; [`Error::Io`].
    pub fn open(dir: impl AsRef<Path>, opts: LogOptions) -> Result<(Self, Recovery)> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir)?;
        let mut segs: Vec<(u64, PathBuf)> = Vec::new();
        for e in fs::read_dir(&dir)? {
            let path = e?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if let Some(num) = name.strip_suffix(".seg") {
                let first = num
                    .parse::<u64>()
                    .ok()
                    .filter(|_| num.len() == 20)
                    .ok_or_else(|| corrupted(&path, 0, "segment file name is not 20 digits"))?;
                segs.push((first, path));
            }
        }
        segs.sort();
        let mut recovery = Recovery::default();
        // Sealed segments hold exactly the entries up to the next one's first index.
        let mut sealed = Vec::new();
        let (active_first, active_path) = match segs.pop() {
            Some(last) => last,
            None => {
                let a = new_segment(&dir, 0)?;
                (a.first, dir.join(segment_name(0)))
            }
        };
        for (first, path) in segs {
            sealed.push(Segment { first, path });
        }
        if let Some(s) = sealed.first()
            && s.first != 0
        {
            return Err(corrupted(
                &s.path,
                0,
                "the first segment does not start at entry 0",
            ));
        }
        // The active segment: scan, cut a torn tail.
        let mut bytes = Vec::new();
        File::open(&active_path)?.read_to_end(&mut bytes)?;
        if bytes.len() < SEGMENT_HEADER_LEN && bytes.iter().all(|&b| b == 0) {
            // Created but its header never reached the disk.
            let mut f = OpenOptions::new().write(true).open(&active_path)?;
            f.set_len(0)?;
            f.write_all(&segment_header(active_first))?;
            f.sync_data()?;
            bytes = segment_header(active_first).to_vec();
        }
        if parse_segment_header(&bytes, &active_path)? != active_first {
            return Err(corrupted(
                &active_path,
                12,
                "segment header names another first index than its file name",
            ));
        }
        let mut at = SEGMENT_HEADER_LEN;
        let mut leaves = Vec::new();
        let mut offsets = vec![at as u64];
        loop {
            match read_record(&bytes, at, opts.max_entry_len) {
                RecordRead::Entry { leaf, next, .. } => {
                    leaves.push(leaf);
                    at = next;
                    if (leaves.len() as u64).is_multiple_of(INDEX_STRIDE) {
                        offsets.push(at as u64);
                    }
                }
                RecordRead::End => break,
                RecordRead::Torn => {
                    recovery.truncated_bytes = (bytes.len() - at) as u64;
                    let f = OpenOptions::new().write(true).open(&active_path)?;
                    f.set_len(at as u64)?;
                    f.sync_data()?;
                    break;
                }
                RecordRead::Bad(reason) => {
                    return Err(corrupted(&active_path, at as u64, reason));
                }
            }
        }
        let size = active_first + leaves.len() as u64;
        // The node file: keep what covers whole segments before the active one, rebuild
        // the rest.
        let nodes_path = dir.join(NODES_FILE);
        let mut nodes = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&nodes_path)?;
        let header = NODES_HEADER;
        let flen = nodes.metadata()?.len();
        if flen < NODES_HEADER_LEN {
            nodes.set_len(0)?;
            nodes.write_all(&header)?;
        } else {
            let mut h = [0u8; NODES_HEADER.len()];
            read_exact_at(&nodes, &mut h, 0)?;
            if h != header {
                return Err(corrupted(&nodes_path, 0, "not a privkit audit node file"));
            }
        }
        let have = (nodes.metadata()?.len() - NODES_HEADER_LEN) / HASH_LEN as u64;
        if have < stored_nodes(active_first) {
            // Only a lost write of sealed segments' hashes can cause this: rebuild them.
            return Self::rebuild_all(dir, opts);
        }
        nodes.set_len(NODES_HEADER_LEN + stored_nodes(active_first) * HASH_LEN as u64)?;
        let nodes_read = File::open(&nodes_path)?;
        let mut peaks = Vec::new();
        for (level, index) in CompactRange::peak_ids(active_first) {
            peaks.push(read_node(&nodes_read, &nodes_path, level, index)?);
        }
        let mut range = CompactRange::from_peaks(active_first, peaks)
            .ok_or_else(|| corrupted(&nodes_path, 0, "peak count mismatch"))?;
        let mut node_buf = Vec::new();
        for leaf in &leaves {
            range.push(*leaf, |_, _, h| node_buf.extend_from_slice(h));
        }
        nodes.write_all(&node_buf)?;
        nodes.sync_data()?;
        node_buf.clear();
        recovery.rehashed_entries = leaves.len() as u64;
        recovery.entries = size;
        let file = OpenOptions::new()
            .append(true)
            .read(true)
            .open(&active_path)?;
        let log = Self {
            dir,
            opts,
            inner: Mutex::new(Inner {
                size,
                durable: size,
                range,
                active: Active {
                    file: Arc::new(file),
                    first: active_first,
                    len: at as u64,
                    offsets,
                },
                sealed,
                nodes,
                syncing: false,
                failed: None,
                record_buf: Vec::new(),
                node_buf,
            }),
            synced: Condvar::new(),
            nodes_read,
            nodes_path: nodes_path.clone(),
            checkpoint_lock: Mutex::new(()),
            index_cache: Mutex::new(HashMap::new()),
        };
        log.check_stored_checkpoint()?;
        Ok((log, recovery))
    }

    /// Rebuilds `tree.nodes` from every segment (after a lost write of sealed hashes).
    fn rebuild_all(dir: PathBuf, opts: LogOptions) -> Result<(Self, Recovery)> {
        let path = dir.join(NODES_FILE);
        fs::remove_file(&path)?;
        let mut segs: Vec<PathBuf> = fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "seg"))
            .collect();
        segs.sort();
        let mut f = OpenOptions::new().create(true).append(true).open(&path)?;
        let header = NODES_HEADER;
        f.write_all(&header)?;
        let mut range = CompactRange::new();
        let mut buf = Vec::new();
        // Every segment but the last must be whole; the last is handled by `open`.
        for seg in segs.iter().take(segs.len().saturating_sub(1)) {
            for item in SegmentIter::open(seg, opts.max_entry_len)? {
                let (_, leaf) = item?;
                range.push(leaf, |_, _, h| buf.extend_from_slice(h));
            }
            f.write_all(&buf)?;
            buf.clear();
        }
        f.sync_data()?;
        drop(f);
        let (log, mut rec) = Self::open(dir, opts)?;
        rec.rehashed_entries = rec.entries;
        Ok((log, rec))
    }

    fn check_stored_checkpoint(&self) -> Result<()> {
        let path = self.dir.join(CHECKPOINT_FILE);
        let note = match fs::read_to_string(&path) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let cp = Checkpoint::parse(Note::parse(&note)?.text())?;
        let size = self.size();
        if cp.size() > size {
            return Err(AuditError::HistoryMismatch(format!(
                "the log signed a checkpoint of {} entries but holds {size}",
                cp.size()
            ))
            .into());
        }
        if self.root_at(cp.size())? != *cp.root() {
            return Err(AuditError::HistoryMismatch(format!(
                "the root of the first {} entries differs from the signed checkpoint's",
                cp.size()
            ))
            .into());
        }
        Ok(())
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        let g = self
            .inner
            .lock()
            .map_err(|_| Error::InvalidOperation("audit log lock poisoned".into()))?;
        if let Some(why) = &g.failed {
            return Err(Error::InvalidOperation(format!(
                "audit log refused further appends after a write failure: {why}"
            )));
        }
        Ok(g)
    }

    /// The log's origin.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.opts.origin
    }

    /// The directory holding the log.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of entries appended (durable or not).
    #[must_use]
    pub fn size(&self) -> u64 {
        self.inner.lock().map(|g| g.size).unwrap_or(0)
    }

    /// Appends one entry; returns its index once the fsync policy is satisfied.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] for an entry over the configured length;
    /// [`Error::Io`]; after a failed write or sync every later append fails with
    /// [`Error::InvalidOperation`] (reopen the log to recover).
    pub fn append(&self, entry: &[u8]) -> Result<u64> {
        self.append_batch(&[entry])
    }

    /// Appends entries in order with one write and (under [`FsyncPolicy::Always`]) one
    /// sync; returns the index of the first. Either every entry is refused (limit) or
    /// all are written.
    ///
    /// # Errors
    /// As [`append`](Self::append).
    pub fn append_batch<E: AsRef<[u8]>>(&self, entries: &[E]) -> Result<u64> {
        let max = self.opts.max_entry_len;
        if entries.iter().any(|e| e.as_ref().len() > max as usize) {
            return Err(Error::limit(
                "audit log entry length in bytes",
                u64::from(max),
            ));
        }
        let mut g = self.lock()?;
        let first = g.size;
        if let Err(e) = self.write_entries(&mut g, entries) {
            g.failed = Some(e.to_string());
            return Err(e);
        }
        let end = g.size;
        match self.opts.fsync {
            FsyncPolicy::Always => self.wait_durable(g, end)?,
            FsyncPolicy::OnCommit | FsyncPolicy::Never => drop(g),
        }
        Ok(first)
    }

    fn write_entries<E: AsRef<[u8]>>(&self, g: &mut Inner, entries: &[E]) -> Result<()> {
        g.record_buf.clear();
        g.node_buf.clear();
        let mut pending = 0u64;
        for e in entries {
            let e = e.as_ref();
            let rec_len = (RECORD_OVERHEAD + e.len()) as u64;
            let in_segment = g.size + pending - g.active.first;
            if in_segment > 0
                && g.active.len + g.record_buf.len() as u64 + rec_len > self.opts.segment_bytes
            {
                Self::flush(g, &mut pending)?;
                self.roll(g)?;
            }
            let leaf = leaf_hash(e);
            encode_record(e, &leaf, &mut g.record_buf);
            let Inner {
                range, node_buf, ..
            } = &mut *g;
            range.push(leaf, |_, _, h| node_buf.extend_from_slice(h));
            pending += 1;
            if (g.size + pending - g.active.first).is_multiple_of(INDEX_STRIDE) {
                let off = g.active.len + g.record_buf.len() as u64;
                g.active.offsets.push(off);
            }
        }
        Self::flush(g, &mut pending)
    }

    /// Writes the buffered records and hashes to their files.
    fn flush(g: &mut Inner, pending: &mut u64) -> Result<()> {
        if !g.record_buf.is_empty() {
            (&*g.active.file).write_all(&g.record_buf)?;
            g.active.len += g.record_buf.len() as u64;
            g.record_buf.clear();
        }
        if !g.node_buf.is_empty() {
            g.nodes.write_all(&g.node_buf)?;
            g.node_buf.clear();
        }
        g.size += *pending;
        *pending = 0;
        Ok(())
    }

    /// Seals the active segment (its records and every tree hash so far made durable
    /// first, so a sealed segment's hashes never need rebuilding) and starts a new one.
    fn roll(&self, g: &mut Inner) -> Result<()> {
        g.active.file.sync_data()?;
        g.nodes.sync_data()?;
        let new = new_segment(&self.dir, g.size)?;
        let old = std::mem::replace(&mut g.active, new);
        if let Ok(mut cache) = self.index_cache.lock() {
            cache.insert(old.first, Arc::new(old.offsets));
        }
        g.sealed.push(Segment {
            first: old.first,
            path: self.dir.join(segment_name(old.first)),
        });
        g.durable = g.size;
        Ok(())
    }

    fn wait_durable<'a>(&'a self, mut g: MutexGuard<'a, Inner>, end: u64) -> Result<()> {
        let poisoned = || Error::InvalidOperation("audit log lock poisoned".into());
        loop {
            if g.durable >= end {
                return Ok(());
            }
            if let Some(why) = &g.failed {
                return Err(Error::InvalidOperation(format!(
                    "audit log sync failed: {why}"
                )));
            }
            if g.syncing {
                // Another thread is syncing: its sync may cover us, or the next one will.
                g = self.synced.wait(g).map_err(|_| poisoned())?;
                continue;
            }
            g.syncing = true;
            let target = g.size;
            let file = Arc::clone(&g.active.file);
            drop(g);
            let r = file.sync_data();
            g = self.inner.lock().map_err(|_| poisoned())?;
            g.syncing = false;
            match r {
                Ok(()) => g.durable = g.durable.max(target),
                Err(e) => g.failed = Some(e.to_string()),
            }
            self.synced.notify_all();
        }
    }

    /// Makes every entry appended so far durable (one sync, shared with concurrent
    /// callers).
    ///
    /// # Errors
    /// [`Error::Io`] / [`Error::InvalidOperation`] as for appends.
    pub fn commit(&self) -> Result<()> {
        let g = self.lock()?;
        let end = g.size;
        self.wait_durable(g, end)
    }

    /// Number of entries known to be on stable storage.
    #[must_use]
    pub fn durable_size(&self) -> u64 {
        self.inner.lock().map(|g| g.durable).unwrap_or(0)
    }

    /// Commits, then signs a checkpoint of the durable tree with `signer`, stores it as
    /// the log's latest (atomically: temporary file, sync, rename) and returns the
    /// signed note. The next [`open`](Self::open) refuses a log that no longer
    /// matches it.
    ///
    /// # Errors
    /// As [`commit`](Self::commit); [`Error::InvalidArgument`] if `signer`'s name is not
    /// the log's origin.
    pub fn sign_checkpoint(&self, signer: &NoteSigner) -> Result<String> {
        if signer.name() != self.opts.origin {
            return Err(Error::invalid_argument(format_args!(
                "checkpoint signer `{}` is not named after the log's origin `{}`",
                signer.name(),
                self.opts.origin
            )));
        }
        let _signing = self
            .checkpoint_lock
            .lock()
            .map_err(|_| Error::InvalidOperation("audit log lock poisoned".into()))?;
        self.commit()?;
        let g = self.lock()?;
        let size = g.durable;
        let root = if size == g.size {
            g.range.root()
        } else {
            drop(g);
            self.root_at(size)?
        };
        let note = Checkpoint::new(&self.opts.origin, size, root)?.sign(signer)?;
        let tmp = self.dir.join("checkpoint.tmp");
        {
            let mut f = File::create(&tmp)?;
            f.write_all(note.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, self.dir.join(CHECKPOINT_FILE))?;
        sync_dir(&self.dir)?;
        Ok(note)
    }

    /// The last checkpoint the log signed, if any.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn latest_checkpoint(&self) -> Result<Option<String>> {
        match fs::read_to_string(self.dir.join(CHECKPOINT_FILE)) {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The root hash of the whole log.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.inner
            .lock()
            .map(|g| g.range.root())
            .unwrap_or(super::hash::EMPTY_ROOT)
    }

    /// The root hash of the first `size` entries.
    ///
    /// # Errors
    /// [`AuditError::ProofParameters`] past the log's size; [`Error::Io`].
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        self.root_of(size)
    }

    /// Proof that entry `index` is in the tree of the first `tree_size` entries.
    ///
    /// # Errors
    /// [`AuditError::ProofParameters`] for an index or size outside the log;
    /// [`Error::Io`].
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<InclusionProof> {
        self.prove_inclusion(index, tree_size)
    }

    /// Proof that the first `old_size` entries are a prefix of the first `new_size`.
    ///
    /// # Errors
    /// [`AuditError::ProofParameters`] for sizes outside the log or out of order;
    /// [`Error::Io`].
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<ConsistencyProof> {
        self.prove_consistency(old_size, new_size)
    }

    /// The leaf hash of entry `index`.
    ///
    /// # Errors
    /// [`AuditError::ProofParameters`] past the log; [`Error::Io`].
    pub fn leaf_hash(&self, index: u64) -> Result<Hash> {
        self.leaf(index)
    }

    /// Entry `index`, checked against its record's leaf hash.
    ///
    /// # Errors
    /// [`AuditError::ProofParameters`] past the log; [`AuditError::Corrupted`] for a
    /// record that fails its check; [`Error::Io`].
    pub fn entry(&self, index: u64) -> Result<Vec<u8>> {
        match self.entries(index..index.saturating_add(1)).next() {
            Some(r) => r.map(|(_, e)| e),
            None => Err(AuditError::ProofParameters {
                proof: "inclusion",
                reason: format!("entry {index} is not in a log of size {}", self.size()),
            }
            .into()),
        }
    }

    /// Entries with indices in `range` (clamped to the log), in order, each checked
    /// against its leaf hash, read segment by segment (memory stays flat).
    pub fn entries(&self, range: std::ops::Range<u64>) -> Entries<'_> {
        let (segments, size) = match self.inner.lock() {
            Ok(g) => {
                let mut s: Vec<(u64, PathBuf)> =
                    g.sealed.iter().map(|s| (s.first, s.path.clone())).collect();
                s.push((g.active.first, self.dir.join(segment_name(g.active.first))));
                (s, g.size)
            }
            Err(_) => (Vec::new(), 0),
        };
        Entries {
            log: self,
            segments,
            next: range.start,
            end: range.end.min(size),
            current: None,
        }
    }

    /// Reads every segment and checks every record against its leaf hash and the tree
    /// hashes, and the tree against the stored checkpoint: a full audit of the files.
    ///
    /// # Errors
    /// [`AuditError::Corrupted`] naming the first failing file and offset;
    /// [`AuditError::HistoryMismatch`]; [`Error::Io`].
    pub fn verify_files(&self) -> Result<u64> {
        // Each sealed segment holds exactly the entries up to the next one's first index.
        let bounds: Vec<(u64, PathBuf, u64)> = {
            let g = self.lock()?;
            let mut firsts: Vec<u64> = g.sealed.iter().map(|s| s.first).collect();
            firsts.push(g.active.first);
            g.sealed
                .iter()
                .zip(firsts.iter().skip(1))
                .map(|(s, &next)| (s.first, s.path.clone(), next - s.first))
                .collect()
        };
        for (_, path, expected) in &bounds {
            let mut it = SegmentIter::open(path, self.opts.max_entry_len)?;
            let mut count = 0u64;
            for r in it.by_ref() {
                r?;
                count += 1;
            }
            if count != *expected {
                return Err(corrupted(
                    path,
                    it.offset,
                    format!("sealed segment holds {count} records, {expected} expected"),
                ));
            }
        }
        let mut n = 0u64;
        for item in self.entries(0..u64::MAX) {
            let (i, entry) = item?;
            if leaf_hash(&entry) != self.node(0, i)? {
                return Err(corrupted(
                    &self.dir.join(NODES_FILE),
                    NODES_HEADER_LEN + postorder(0, i) * HASH_LEN as u64,
                    format!("leaf hash of entry {i} differs from its record"),
                ));
            }
            n += 1;
        }
        let mut range = CompactRange::new();
        for i in 0..n {
            range.push(self.node(0, i)?, |_, _, _| {});
        }
        if range.root() != self.root_at(n)? {
            return Err(corrupted(
                &self.dir.join(NODES_FILE),
                NODES_HEADER_LEN,
                "interior tree hashes do not match the leaves",
            ));
        }
        self.check_stored_checkpoint()?;
        Ok(n)
    }

    fn offsets(&self, first: u64, path: &Path) -> Result<Arc<Vec<u64>>> {
        if let Ok(g) = self.inner.lock()
            && g.active.first == first
        {
            return Ok(Arc::new(g.active.offsets.clone()));
        }
        if let Some(o) = self
            .index_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&first).cloned())
        {
            return Ok(o);
        }
        let mut offsets = vec![SEGMENT_HEADER_LEN as u64];
        let mut it = SegmentIter::open(path, self.opts.max_entry_len)?;
        let mut count = 0u64;
        while let Some(r) = it.next() {
            r?;
            count += 1;
            if count.is_multiple_of(INDEX_STRIDE) {
                offsets.push(it.offset);
            }
        }
        let offsets = Arc::new(offsets);
        if let Ok(mut c) = self.index_cache.lock() {
            c.insert(first, Arc::clone(&offsets));
        }
        Ok(offsets)
    }
}

fn read_node(f: &File, path: &Path, level: u32, index: u64) -> Result<Hash> {
    let mut h = [0u8; HASH_LEN];
    let off = NODES_HEADER_LEN + postorder(level, index) * HASH_LEN as u64;
    read_exact_at(f, &mut h, off).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            corrupted(path, off, "node file ends before this tree hash")
        } else {
            e.into()
        }
    })?;
    Ok(h)
}

impl NodeSource for DurableLog {
    fn tree_size(&self) -> u64 {
        self.size()
    }

    fn node(&self, level: u32, index: u64) -> Result<Hash> {
        read_node(&self.nodes_read, &self.nodes_path, level, index)
    }
}

/// Reads one segment's records in order, checking each.
pub(crate) struct SegmentIter {
    path: PathBuf,
    reader: BufReader<File>,
    offset: u64,
    max_len: u32,
}

impl SegmentIter {
    pub(crate) fn open(path: &Path, max_len: u32) -> Result<Self> {
        let mut reader = BufReader::with_capacity(256 * 1024, File::open(path)?);
        let mut h = [0u8; SEGMENT_HEADER_LEN];
        reader
            .read_exact(&mut h)
            .map_err(|_| corrupted(path, 0, "segment shorter than its header"))?;
        parse_segment_header(&h, path)?;
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            offset: SEGMENT_HEADER_LEN as u64,
            max_len,
        })
    }

    fn seek(&mut self, offset: u64) -> Result<()> {
        use std::io::Seek;
        self.reader.seek(io::SeekFrom::Start(offset))?;
        self.offset = offset;
        Ok(())
    }
}

impl Iterator for SegmentIter {
    type Item = Result<(Vec<u8>, Hash)>;

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.offset;
        let mut len = [0u8; 4];
        match self.reader.read(&mut len[..1]) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(e.into())),
        }
        let r = (|| {
            self.reader
                .read_exact(&mut len[1..])
                .map_err(|_| corrupted(&self.path, at, "segment ends inside a record"))?;
            let len = u32::from_be_bytes(len);
            if len > self.max_len {
                return Err(corrupted(
                    &self.path,
                    at,
                    format!(
                        "record length {len} exceeds the log's entry limit {}",
                        self.max_len
                    ),
                ));
            }
            let mut entry = vec![0u8; len as usize];
            let mut stored = [0u8; HASH_LEN];
            self.reader
                .read_exact(&mut entry)
                .and_then(|()| self.reader.read_exact(&mut stored))
                .map_err(|_| corrupted(&self.path, at, "segment ends inside a record"))?;
            let leaf = leaf_hash(&entry);
            if leaf != stored {
                return Err(corrupted(
                    &self.path,
                    at,
                    "record's leaf hash does not match its entry",
                ));
            }
            self.offset = at + (RECORD_OVERHEAD + entry.len()) as u64;
            Ok((entry, leaf))
        })();
        Some(r)
    }
}

/// Iterator over a range of a [`DurableLog`]'s entries: `(index, entry)`.
pub struct Entries<'l> {
    log: &'l DurableLog,
    segments: Vec<(u64, PathBuf)>,
    next: u64,
    end: u64,
    current: Option<SegmentIter>,
}

impl std::fmt::Debug for Entries<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entries")
            .field("next", &self.next)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl Entries<'_> {
    fn position(&mut self) -> Result<()> {
        let at = self
            .segments
            .partition_point(|(first, _)| *first <= self.next);
        let (first, path) = self
            .segments
            .get(at.saturating_sub(1))
            .cloned()
            .ok_or_else(|| Error::InvalidOperation("audit log has no segments".into()))?;
        let offsets = self.log.offsets(first, &path)?;
        let k = (self.next - first) / INDEX_STRIDE;
        let mut it = SegmentIter::open(&path, self.log.opts.max_entry_len)?;
        let start = usize::try_from(k)
            .ok()
            .and_then(|k| offsets.get(k))
            .copied()
            .ok_or_else(|| corrupted(&path, 0, "segment holds fewer records than indexed"))?;
        it.seek(start)?;
        for _ in (first + k * INDEX_STRIDE)..self.next {
            match it.next() {
                Some(r) => {
                    r?;
                }
                None => return Err(corrupted(&path, it.offset, "segment ends early")),
            }
        }
        self.current = Some(it);
        Ok(())
    }
}

impl Iterator for Entries<'_> {
    type Item = Result<(u64, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        // Crossing into the next segment, or the first call: position the reader.
        let boundary = self
            .segments
            .binary_search_by_key(&self.next, |(f, _)| *f)
            .is_ok();
        if (self.current.is_none() || boundary)
            && let Err(e) = self.position()
        {
            self.end = self.next;
            return Some(Err(e));
        }
        let it = self.current.as_mut()?;
        let path = it.path.clone();
        match it.next() {
            Some(Ok((entry, _))) => {
                let i = self.next;
                self.next += 1;
                Some(Ok((i, entry)))
            }
            Some(Err(e)) => {
                self.end = self.next;
                Some(Err(e))
            }
            None => {
                self.end = self.next;
                Some(Err(corrupted(
                    &path,
                    it.offset,
                    "segment ends before the log does",
                )))
            }
        }
    }
}

/// Decodes a whole segment file strictly (for independent tools, tests and fuzzing):
/// the first index its header names and its entries, each checked against its stored
/// leaf hash. A torn tail is an error here; [`DurableLog::open`] is what cuts one.
///
/// # Errors
/// [`AuditError::Corrupted`] (file name `segment`) naming the offset and the check that
/// failed.
pub fn decode_segment(bytes: &[u8], max_entry_len: u32) -> Result<(u64, Vec<Vec<u8>>)> {
    let path = Path::new("segment");
    let first = parse_segment_header(bytes, path)?;
    let mut at = SEGMENT_HEADER_LEN;
    let mut out = Vec::new();
    loop {
        match read_record(bytes, at, max_entry_len) {
            RecordRead::Entry { entry, next, .. } => {
                out.push(entry);
                at = next;
            }
            RecordRead::End => return Ok((first, out)),
            RecordRead::Torn => {
                return Err(corrupted(path, at as u64, "incomplete (torn) last record"));
            }
            RecordRead::Bad(reason) => return Err(corrupted(path, at as u64, reason)),
        }
    }
}
