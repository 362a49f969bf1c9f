//! Encrypt and decrypt files of any size with a streaming envelope under a local
//! key-encryption key, in constant memory, with a progress report on long runs.
//!
//! ```sh
//! cargo run --release --example encrypt_file -- encrypt INPUT OUTPUT --key KEY_FILE
//! cargo run --release --example encrypt_file -- decrypt INPUT OUTPUT --key KEY_FILE
//! cargo run --release --example encrypt_file -- selftest SIZE_MIB [--key KEY_FILE]
//! ```
//!
//! The key file holds a 32-byte key in hex; `encrypt` creates it where `--key` says if it
//! does not exist yet (keep it outside any repository). `selftest` uses a key that lives
//! only in memory unless `--key` names one, and streams SIZE_MIB MiB of generated data
//! through encryption into a temporary file and back through decryption, comparing as it
//! goes: run it under `/usr/bin/time -v` to see that peak memory does not depend on the
//! size.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use privkit::Algorithm;
use privkit::envelope::{LocalKek, Opener, Sealer};
use privkit::keyset::Keyset;
use privkit::secret::SecretBytes;

const AAD: &[u8] = b"privkit encrypt_file example v1";

fn load_or_create_kek(path: &Path) -> Result<LocalKek, Box<dyn std::error::Error>> {
    let key = if path.exists() {
        let text = std::fs::read_to_string(path)?;
        let text = text.trim();
        let bytes: Result<Vec<u8>, _> = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2).unwrap_or("zz"), 16))
            .collect();
        SecretBytes::new(bytes?)
    } else {
        let key = SecretBytes::random(32)?;
        let hex: String = key
            .expose_secret()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(path, hex + "\n")?;
        eprintln!("created key-encryption key in {}", path.display());
        key
    };
    Ok(LocalKek::new(
        "file-kek",
        Keyset::from_key(1, Algorithm::Aes256Gcm, key)?,
    )?)
}

/// Copies `from` to `to`, reporting progress on standard error every 256 MiB.
fn copy_with_progress(
    from: &mut impl Read,
    to: &mut impl Write,
    total: Option<u64>,
    what: &str,
) -> io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let (mut done, mut next_report, start) = (0u64, 256u64 << 20, Instant::now());
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        done += n as u64;
        if done >= next_report {
            let secs = start.elapsed().as_secs_f64().max(1e-9);
            let pct = total
                .map(|t| format!(" ({:.0} %)", 100.0 * done as f64 / t.max(1) as f64))
                .unwrap_or_default();
            eprintln!(
                "{what}: {} MiB{pct}, {:.0} MiB/s",
                done >> 20,
                (done >> 20) as f64 / secs
            );
            next_report += 256 << 20;
        }
    }
    Ok(done)
}

/// A temporary file removed when dropped, also when the selftest fails half-way (a full
/// disk, say).
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Deterministic data, produced on the fly (xorshift), so selftest needs no input file.
struct Generated {
    state: u64,
    left: u64,
}

impl Generated {
    fn new(len: u64) -> Self {
        Self {
            state: 0x9e37_79b9_7f4a_7c15,
            left: len,
        }
    }
    fn next_byte(&mut self) -> u8 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 56) as u8
    }
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = out
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for b in &mut out[..n] {
            *b = self.next_byte();
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A writer that checks what it receives against the generator.
struct Verify(Generated, u64);

impl Write for Verify {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        for &b in data {
            if b != self.0.next_byte() {
                return Err(io::Error::other(format!("mismatch at byte {}", self.1)));
            }
            self.1 += 1;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let key_path = args
        .iter()
        .position(|a| a == "--key")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let selftest = args.first().is_some_and(|a| a == "selftest");
    let kek = std::sync::Arc::new(match &key_path {
        Some(path) if args.first().is_some_and(|a| a == "decrypt") && !path.exists() => {
            return Err(format!("no key file at {}", path.display()).into());
        }
        Some(path) => load_or_create_kek(path)?,
        None if selftest => LocalKek::generate("file-kek")?,
        None => return Err("encrypt and decrypt need --key KEY_FILE".into()),
    });
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--key"))
        .map(|(_, a)| a)
        .collect();
    let start = Instant::now();
    match positional.as_slice() {
        [cmd, input, output] if cmd.as_str() == "encrypt" => {
            let total = std::fs::metadata(input.as_str())?.len();
            let mut from = BufReader::new(File::open(input.as_str())?);
            let mut writer = Sealer::new(kek)
                .encrypt_stream(BufWriter::new(File::create(output.as_str())?), AAD)?;
            let n = copy_with_progress(&mut from, &mut writer, Some(total), "encrypt")?;
            writer.finish()?.flush()?;
            eprintln!("encrypted {n} bytes in {:.2?}", start.elapsed());
        }
        [cmd, input, output] if cmd.as_str() == "decrypt" => {
            let mut reader = Opener::new(kek)
                .decrypt_stream(BufReader::new(File::open(input.as_str())?), AAD)?;
            let tmp = PathBuf::from(format!("{output}.partial"));
            let mut to = BufWriter::new(File::create(&tmp)?);
            let n = copy_with_progress(&mut reader, &mut to, None, "decrypt")?;
            to.flush()?;
            // Only a stream that authenticated to its end becomes the output file.
            std::fs::rename(&tmp, output.as_str())?;
            eprintln!("decrypted {n} bytes in {:.2?}", start.elapsed());
        }
        [cmd, size] if cmd.as_str() == "selftest" => {
            let bytes = size
                .parse::<u64>()?
                .checked_mul(1 << 20)
                .ok_or("SIZE_MIB too large")?;
            let temp = TempFile(
                std::env::temp_dir().join(format!("privkit-selftest-{}.pkst", std::process::id())),
            );
            let path = &temp.0;
            let mut writer = Sealer::new(kek.clone())
                .encrypt_stream(BufWriter::new(File::create(path)?), AAD)?;
            copy_with_progress(
                &mut Generated::new(bytes),
                &mut writer,
                Some(bytes),
                "encrypt",
            )?;
            writer.finish()?.flush()?;
            let sealed = std::fs::metadata(path)?.len();
            let mut reader =
                Opener::new(kek).decrypt_stream(BufReader::new(File::open(path)?), AAD)?;
            let mut verify = Verify(Generated::new(bytes), 0);
            let n = copy_with_progress(&mut reader, &mut verify, Some(bytes), "decrypt")?;
            drop(temp);
            if n != bytes {
                return Err(format!("decrypted {n} bytes, expected {bytes}").into());
            }
            println!(
                "selftest: {} MiB encrypted to {sealed} bytes and decrypted, all bytes match, in {:.2?}",
                bytes >> 20,
                start.elapsed()
            );
        }
        _ => {
            eprintln!(
                "usage: encrypt_file (encrypt|decrypt) INPUT OUTPUT [--key FILE] | selftest SIZE_MIB [--key FILE]"
            );
            std::process::exit(2);
        }
    }
    Ok(())
}
