use std::fmt;

use argon2::{Argon2, Block};
use base64ct::{Base64Unpadded, Encoding};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::secret::{SecretBytes, SecretString};
use crate::{Error, Result, rand};

/// Length of the salt of every hash privkit creates (RFC 9106, section 3.1: 128 bits).
pub(crate) const SALT_LEN: usize = 16;
/// Length of the tag (hash output) of every hash privkit creates (RFC 9106: 256 bits).
const HASH_LEN: usize = 32;

/// Argon2id cost parameters.
///
/// Construct them from a preset ([`OWASP_MINIMUM`](Self::OWASP_MINIMUM),
/// [`RFC9106_SECOND`](Self::RFC9106_SECOND)) or with [`new`](Self::new), which refuses
/// costs below [the safe minimum](Self::new).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PasswordParams {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl PasswordParams {
    /// OWASP's minimum for Argon2id: m = 19 MiB, t = 2, p = 1.
    ///
    /// Source: OWASP Password Storage Cheat Sheet, section "Argon2id"
    /// (<https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id>).
    pub const OWASP_MINIMUM: Self = Self {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// RFC 9106's second recommended option, for memory-constrained settings:
    /// m = 64 MiB, t = 3, p = 4.
    ///
    /// Source: RFC 9106, section 4 "Parameter Choice", second recommended option
    /// (<https://www.rfc-editor.org/rfc/rfc9106#section-4>). Its first option is
    /// m = 2 GiB, t = 1, p = 4.
    pub const RFC9106_SECOND: Self = Self {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };

    /// Smallest memory cost [`new`](Self::new) accepts, in KiB (7 MiB: the smallest
    /// memory in OWASP's list of equivalent Argon2id configurations).
    pub const MIN_MEMORY_KIB: u32 = 7 * 1024;

    /// Smallest memory × passes product [`new`](Self::new) accepts, in KiB
    /// (7 MiB × 5 passes, the weakest configuration OWASP lists as equivalent).
    pub const MIN_WORK_KIB: u64 = 7 * 1024 * 5;

    /// Largest parallelism [`new`](Self::new) accepts.
    pub const MAX_PARALLELISM: u32 = 64;

    /// Custom Argon2id parameters: memory `m_kib` in KiB, `t` passes, `p` lanes.
    ///
    /// They must be at least as strong as OWASP's weakest listed configuration:
    /// `m_kib >= 7168` (7 MiB), `m_kib * t >= 35840` (7 MiB × 5 passes), `t >= 1`, and
    /// `1 <= p <= 64` with at least 8 KiB per lane.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the parameters are below these minimums.
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self> {
        if m_kib < Self::MIN_MEMORY_KIB {
            return Err(Error::invalid_argument(format_args!(
                "Argon2id memory {m_kib} KiB is below the minimum of {} KiB",
                Self::MIN_MEMORY_KIB
            )));
        }
        if t == 0 || u64::from(m_kib) * u64::from(t) < Self::MIN_WORK_KIB {
            return Err(Error::invalid_argument(format_args!(
                "Argon2id memory x passes ({m_kib} KiB x {t}) is below the minimum of {} KiB",
                Self::MIN_WORK_KIB
            )));
        }
        if p == 0 || p > Self::MAX_PARALLELISM {
            return Err(Error::invalid_argument(format_args!(
                "Argon2id parallelism {p} is outside 1..={}",
                Self::MAX_PARALLELISM
            )));
        }
        // m_kib >= 7168 >= 8 * 64 blocks, so every lane has at least 8 blocks.
        Ok(Self { m_kib, t, p })
    }

    /// Memory cost in KiB (`m`).
    #[must_use]
    pub const fn memory_kib(&self) -> u32 {
        self.m_kib
    }

    /// Number of passes over memory (`t`).
    #[must_use]
    pub const fn time_cost(&self) -> u32 {
        self.t
    }

    /// Number of lanes (`p`).
    #[must_use]
    pub const fn parallelism(&self) -> u32 {
        self.p
    }
}

/// Ceilings on the costs a stored PHC string may claim.
///
/// Stored hashes are untrusted input: whoever can write to the user table can plant
/// `m=4294967295`. Verification checks every claimed cost against these limits after
/// parsing and *before* allocating anything, and fails with
/// [`Error::LimitExceeded`].
///
/// The defaults admit both presets with room for growth: memory up to 256 MiB, up to 16
/// passes, up to 16 lanes, memory × passes up to 1 GiB (about half a second on one
/// core of a 2020s server), salts of 8 to 64 bytes and hashes of 16 to 64 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyLimits {
    /// Largest memory cost in KiB.
    pub max_memory_kib: u32,
    /// Largest number of passes.
    pub max_time_cost: u32,
    /// Largest number of lanes.
    pub max_parallelism: u32,
    /// Largest memory × passes product, in KiB.
    pub max_work_kib: u64,
    /// Largest salt, in bytes (the smallest is Argon2's 8 bytes).
    pub max_salt_len: usize,
    /// Smallest hash (tag) length, in bytes.
    pub min_hash_len: usize,
    /// Largest hash (tag) length, in bytes.
    pub max_hash_len: usize,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        Self {
            max_memory_kib: 256 * 1024,
            max_time_cost: 16,
            max_parallelism: 16,
            max_work_kib: 1024 * 1024,
            max_salt_len: 64,
            min_hash_len: 16,
            max_hash_len: 64,
        }
    }
}

impl VerifyLimits {
    /// Checks claimed costs against the limits, before anything is allocated.
    pub(crate) fn check_costs(&self, m_kib: u32, t: u32, p: u32) -> Result<()> {
        if m_kib > self.max_memory_kib {
            return Err(Error::limit(
                "Argon2 memory (KiB)",
                self.max_memory_kib.into(),
            ));
        }
        if t > self.max_time_cost {
            return Err(Error::limit("Argon2 passes", self.max_time_cost.into()));
        }
        if p > self.max_parallelism {
            return Err(Error::limit("Argon2 lanes", self.max_parallelism.into()));
        }
        if u64::from(m_kib) * u64::from(t) > self.max_work_kib {
            return Err(Error::limit(
                "Argon2 memory x passes (KiB)",
                self.max_work_kib,
            ));
        }
        Ok(())
    }
}

/// Longest PHC string the parser looks at; longer input is refused unread.
const MAX_PHC_LEN: usize = 512;

/// Smallest salt Argon2 accepts.
const MIN_SALT_LEN: usize = 8;
/// Pepper length bounds, in bytes.
const MIN_PEPPER_LEN: usize = 16;
const MAX_PEPPER_LEN: usize = 64;

/// The Argon2 variant named in a PHC string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    Argon2d,
    Argon2i,
    Argon2id,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Argon2d => "argon2d",
            Variant::Argon2i => "argon2i",
            Variant::Argon2id => "argon2id",
        }
    }

    fn to_argon2(self) -> argon2::Algorithm {
        match self {
            Variant::Argon2d => argon2::Algorithm::Argon2d,
            Variant::Argon2i => argon2::Algorithm::Argon2i,
            Variant::Argon2id => argon2::Algorithm::Argon2id,
        }
    }
}

/// A parsed PHC string: `$argon2id$v=19$m=...,t=...,p=...$salt$hash`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Phc {
    pub(crate) variant: Variant,
    /// 0x10 or 0x13.
    pub(crate) version: u32,
    pub(crate) m_kib: u32,
    pub(crate) t: u32,
    pub(crate) p: u32,
    pub(crate) salt: Vec<u8>,
    pub(crate) hash: Vec<u8>,
}

/// A canonical decimal `u32`: 1 to 10 digits, no sign, no leading zero.
fn decimal(s: &str) -> Result<u32> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 10 || !b.iter().all(u8::is_ascii_digit) {
        return Err(Error::Malformed("PHC parameter is not a decimal number"));
    }
    if b.len() > 1 && b[0] == b'0' {
        return Err(Error::Malformed("PHC parameter has a leading zero"));
    }
    s.parse()
        .map_err(|_| Error::Malformed("PHC parameter out of range"))
}

/// Decodes a B64 field (standard alphabet, no padding) after checking its encoded
/// length against `max` decoded bytes.
fn b64_field(s: &str, max: usize, what: &'static str) -> Result<Vec<u8>> {
    // Unpadded base64 of n bytes has ceil(4n/3) characters.
    let max_chars = (max * 4).div_ceil(3);
    if s.len() > max_chars {
        return Err(Error::limit(what, u64::try_from(max).unwrap_or(u64::MAX)));
    }
    Base64Unpadded::decode_vec(s).map_err(|_| Error::Malformed("PHC field is not valid B64"))
}

impl Phc {
    /// Parses and checks a PHC string against `limits`. Nothing here allocates more than
    /// the (bounded) salt and hash.
    pub(crate) fn parse(s: &str, limits: &VerifyLimits) -> Result<Self> {
        if s.len() > MAX_PHC_LEN {
            return Err(Error::limit("PHC string length", MAX_PHC_LEN as u64));
        }
        let mut fields = s.split('$');
        if fields.next() != Some("") {
            return Err(Error::Malformed("PHC string does not start with '$'"));
        }
        let variant = match fields.next() {
            Some("argon2id") => Variant::Argon2id,
            Some("argon2i") => Variant::Argon2i,
            Some("argon2d") => Variant::Argon2d,
            _ => {
                return Err(Error::Malformed(
                    "PHC string does not name an Argon2 variant",
                ));
            }
        };
        let mut field = fields
            .next()
            .ok_or(Error::Malformed("PHC string truncated"))?;
        // The version is optional; when absent it is 0x10 (as in the reference code).
        let version = if let Some(v) = field.strip_prefix("v=") {
            field = fields
                .next()
                .ok_or(Error::Malformed("PHC string truncated"))?;
            match decimal(v)? {
                v @ (0x10 | 0x13) => v,
                v => {
                    return Err(Error::UnsupportedVersion(
                        u8::try_from(v).unwrap_or(u8::MAX),
                    ));
                }
            }
        } else {
            0x10
        };
        let mut params = field.split(',');
        let mut param = |name: &str| -> Result<u32> {
            let kv = params
                .next()
                .ok_or(Error::Malformed("PHC string lacks m, t or p"))?;
            match kv.split_once('=') {
                Some((k, v)) if k == name => decimal(v),
                _ => Err(Error::Malformed(
                    "PHC parameters must be exactly m, t, p in that order",
                )),
            }
        };
        let (m_kib, t, p) = (param("m")?, param("t")?, param("p")?);
        if params.next().is_some() {
            return Err(Error::Malformed(
                "PHC string has parameters other than m, t, p",
            ));
        }
        let salt = fields
            .next()
            .ok_or(Error::Malformed("PHC string has no salt"))?;
        let hash = fields
            .next()
            .ok_or(Error::Malformed("PHC string has no hash"))?;
        if fields.next().is_some() {
            return Err(Error::Malformed("PHC string has trailing fields"));
        }
        // Costs first: they are what could exhaust the machine.
        if t == 0 || p == 0 {
            return Err(Error::Malformed(
                "Argon2 costs below the algorithm's minimum",
            ));
        }
        limits.check_costs(m_kib, t, p)?;
        if u64::from(m_kib) < 8 * u64::from(p) {
            return Err(Error::Malformed("Argon2 memory below 8 KiB per lane"));
        }
        let salt = b64_field(salt, limits.max_salt_len, "Argon2 salt length")?;
        let hash = b64_field(hash, limits.max_hash_len, "Argon2 hash length")?;
        if salt.len() < MIN_SALT_LEN {
            return Err(Error::Malformed("Argon2 salt shorter than 8 bytes"));
        }
        if hash.len() < limits.min_hash_len {
            return Err(Error::Malformed("Argon2 hash shorter than the minimum"));
        }
        Ok(Self {
            variant,
            version,
            m_kib,
            t,
            p,
            salt,
            hash,
        })
    }

    /// The canonical PHC string (version always written).
    pub(crate) fn encode(&self) -> String {
        format!(
            "${}$v={}$m={},t={},p={}${}${}",
            self.variant.name(),
            self.version,
            self.m_kib,
            self.t,
            self.p,
            Base64Unpadded::encode_string(&self.salt),
            Base64Unpadded::encode_string(&self.hash),
        )
    }
}

/// Raw Argon2 inputs, for the crate's own callers (password hashing, password-derived
/// keys, known-answer tests).
pub(crate) struct Raw<'a> {
    pub(crate) variant: Variant,
    pub(crate) version: u32,
    pub(crate) m_kib: u32,
    pub(crate) t: u32,
    pub(crate) p: u32,
    pub(crate) secret: Option<&'a [u8]>,
    pub(crate) ad: &'a [u8],
}

/// Memory for Argon2: either allocated per call or kept between calls. Always zeroed
/// after use, on success and on error alike.
pub(crate) struct Memory {
    blocks: Vec<Block>,
    /// How many leading blocks may hold password-dependent state: 0 at rest. Only a
    /// panic inside Argon2 leaves it non-zero, and then `Drop` zeroes them.
    dirty: usize,
}

impl Memory {
    pub(crate) const fn new() -> Self {
        Self {
            blocks: Vec::new(),
            dirty: 0,
        }
    }

    /// Runs `f` over `blocks` zero-initialised blocks, then zeroes them.
    fn with_blocks<T>(&mut self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        if self.blocks.len() < blocks {
            // The old allocation (if any) is all zeros at rest, so growing leaks nothing.
            self.blocks.resize(blocks, Block::new());
        }
        self.dirty = blocks;
        let mem = &mut self.blocks[..blocks];
        let out = f(mem);
        for block in mem.iter_mut() {
            block.zeroize();
        }
        self.dirty = 0;
        out
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        for block in self.blocks.iter_mut().take(self.dirty) {
            block.zeroize();
        }
    }
}

impl Raw<'_> {
    /// Argon2 of `password` and `salt` into `out`, using `memory`.
    pub(crate) fn compute(
        &self,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
        memory: &mut Memory,
    ) -> Result<()> {
        let bad = |e: argon2::Error| Error::invalid_argument(format_args!("Argon2: {e}"));
        let mut builder = argon2::ParamsBuilder::new();
        builder
            .m_cost(self.m_kib)
            .t_cost(self.t)
            .p_cost(self.p)
            .output_len(out.len());
        if !self.ad.is_empty() {
            builder.data(argon2::AssociatedData::new(self.ad).map_err(bad)?);
        }
        let params = builder.build().map_err(bad)?;
        let version = match self.version {
            0x10 => argon2::Version::V0x10,
            0x13 => argon2::Version::V0x13,
            v => {
                return Err(Error::UnsupportedVersion(
                    u8::try_from(v).unwrap_or(u8::MAX),
                ));
            }
        };
        let argon = match self.secret {
            Some(secret) => {
                Argon2::new_with_secret(secret, self.variant.to_argon2(), version, params)
                    .map_err(bad)?
            }
            None => Argon2::new(self.variant.to_argon2(), version, params),
        };
        let blocks = argon.params().block_count();
        memory
            .with_blocks(blocks, |mem| {
                argon.hash_password_into_with_memory(password, salt, out, mem)
            })
            .map_err(bad)
    }
}

/// Argon2id password hashing with PHC strings.
///
/// `&self` methods allocate Argon2's memory per call and zero it afterwards, so one
/// hasher can be shared between threads. For a worker that hashes many passwords in a
/// row, [`reusing_memory`](Self::reusing_memory) gives a [`ReusingPasswordHasher`]
/// that keeps the block between calls.
#[derive(Clone)]
pub struct PasswordHasher {
    params: PasswordParams,
    pepper: Option<SecretBytes>,
    limits: VerifyLimits,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .field("pepper", &self.pepper.as_ref().map(|_| "[REDACTED]"))
            .field("limits", &self.limits)
            .finish()
    }
}

impl PasswordHasher {
    /// Length of the salt of every hash this hasher creates, in bytes (RFC 9106,
    /// section 3.1: 128 bits).
    pub const SALT_LEN: usize = SALT_LEN;

    /// Length of the hash (tag) of every hash this hasher creates, in bytes (256 bits).
    pub const HASH_LEN: usize = HASH_LEN;

    /// Longest stored PHC string [`verify`](Self::verify) reads; longer strings are
    /// refused unread with [`Error::LimitExceeded`].
    pub const MAX_PHC_LEN: usize = MAX_PHC_LEN;

    /// A hasher that creates hashes with `params` and verifies any Argon2 PHC string
    /// within the default [`VerifyLimits`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `params` exceed the default limits (the hasher
    /// would create hashes it then refuses to verify).
    pub fn new(params: PasswordParams) -> Result<Self> {
        Self::new_with_limits(params, VerifyLimits::default())
    }

    /// A hasher with `params` and custom verification `limits`, for costs beyond the
    /// default limits (for example RFC 9106's first option, m = 2 GiB).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `params` exceed `limits`.
    pub fn new_with_limits(params: PasswordParams, limits: VerifyLimits) -> Result<Self> {
        Self {
            params,
            pepper: None,
            limits,
        }
        .with_limits(limits)
    }

    /// Adds a pepper: a secret kept outside the database (in a KMS, a secrets
    /// manager, the environment), fed to Argon2 as its secret input `K`. A stolen
    /// database is then useless for offline guessing without the pepper too.
    ///
    /// Hashes made with a pepper verify only with the same pepper, and PHC strings do
    /// not record whether one was used.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless the pepper is 16 to 64 bytes long.
    pub fn with_pepper(mut self, pepper: SecretBytes) -> Result<Self> {
        if !(MIN_PEPPER_LEN..=MAX_PEPPER_LEN).contains(&pepper.len()) {
            return Err(Error::invalid_argument(format_args!(
                "pepper must be {MIN_PEPPER_LEN} to {MAX_PEPPER_LEN} bytes"
            )));
        }
        self.pepper = Some(pepper);
        Ok(self)
    }

    /// Replaces the verification limits.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the hasher's own parameters exceed `limits`.
    pub fn with_limits(mut self, limits: VerifyLimits) -> Result<Self> {
        let p = self.params;
        let fits = limits.check_costs(p.m_kib, p.t, p.p).is_ok()
            && SALT_LEN <= limits.max_salt_len
            && (limits.min_hash_len..=limits.max_hash_len).contains(&HASH_LEN);
        if !fits {
            return Err(Error::invalid_argument(
                "password hashing parameters exceed the verification limits",
            ));
        }
        self.limits = limits;
        Ok(self)
    }

    /// The parameters new hashes are made with.
    #[must_use]
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// The limits stored hashes are checked against.
    #[must_use]
    pub fn limits(&self) -> VerifyLimits {
        self.limits
    }

    /// A hasher with the same configuration that keeps Argon2's memory between calls.
    #[must_use]
    pub fn reusing_memory(&self) -> ReusingPasswordHasher {
        ReusingPasswordHasher {
            hasher: self.clone(),
            memory: Memory::new(),
        }
    }

    /// Hashes `password` with a fresh random salt into a PHC string
    /// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
    ///
    /// # Errors
    /// [`Error::Random`] if the system's random generator fails.
    pub fn hash(&self, password: &SecretString) -> Result<String> {
        self.hash_with(password, &mut Memory::new())
    }

    /// Checks `password` against the stored PHC string `phc`.
    ///
    /// Accepts Argon2id, Argon2i and Argon2d, versions 0x13 and 0x10 (so that hashes
    /// from older systems keep working until [`needs_rehash`](Self::needs_rehash)
    /// replaces them).
    ///
    /// # Errors
    /// - [`Error::VerificationFailed`] if the password (or the pepper) is wrong.
    /// - [`Error::Malformed`] or [`Error::UnsupportedVersion`] if `phc` is not an
    ///   Argon2 PHC string this parser reads.
    /// - [`Error::LimitExceeded`] if `phc` claims costs or lengths over the limits;
    ///   nothing is allocated or computed in that case.
    pub fn verify(&self, password: &SecretString, phc: &str) -> Result<()> {
        self.verify_with(password, phc, &mut Memory::new())
    }

    /// Whether the stored hash `phc` should be replaced by a new hash of the same
    /// password (call after a successful [`verify`](Self::verify), while the password
    /// is at hand): true unless it is Argon2id version 0x13 with exactly this hasher's
    /// parameters, a salt of at least 16 bytes and a 32-byte hash.
    ///
    /// # Errors
    /// As [`verify`](Self::verify) for a malformed or over-limit `phc`.
    pub fn needs_rehash(&self, phc: &str) -> Result<bool> {
        let phc = Phc::parse(phc, &self.limits)?;
        let current = phc.variant == Variant::Argon2id
            && phc.version == 0x13
            && phc.m_kib == self.params.m_kib
            && phc.t == self.params.t
            && phc.p == self.params.p
            && phc.salt.len() >= SALT_LEN
            && phc.hash.len() == HASH_LEN;
        Ok(!current)
    }

    fn raw(&self, variant: Variant, version: u32, m_kib: u32, t: u32, p: u32) -> Raw<'_> {
        Raw {
            variant,
            version,
            m_kib,
            t,
            p,
            secret: self.pepper.as_ref().map(SecretBytes::expose_secret),
            ad: &[],
        }
    }

    fn hash_with(&self, password: &SecretString, memory: &mut Memory) -> Result<String> {
        let salt = rand::array::<SALT_LEN>()?;
        let mut out = SecretBytes::zeroed(HASH_LEN);
        let p = self.params;
        self.raw(Variant::Argon2id, 0x13, p.m_kib, p.t, p.p)
            .compute(
                password.expose_secret().as_bytes(),
                &salt,
                out.expose_secret_mut(),
                memory,
            )?;
        Ok(Phc {
            variant: Variant::Argon2id,
            version: 0x13,
            m_kib: p.m_kib,
            t: p.t,
            p: p.p,
            salt: salt.to_vec(),
            hash: out.expose_secret().to_vec(),
        }
        .encode())
    }

    fn verify_with(&self, password: &SecretString, phc: &str, memory: &mut Memory) -> Result<()> {
        let phc = Phc::parse(phc, &self.limits)?;
        let mut out = SecretBytes::zeroed(phc.hash.len());
        self.raw(phc.variant, phc.version, phc.m_kib, phc.t, phc.p)
            .compute(
                password.expose_secret().as_bytes(),
                &phc.salt,
                out.expose_secret_mut(),
                memory,
            )?;
        if bool::from(out.expose_secret().ct_eq(&phc.hash)) {
            Ok(())
        } else {
            Err(Error::VerificationFailed)
        }
    }
}

/// A [`PasswordHasher`] that keeps Argon2's memory block between calls, for a worker
/// thread that hashes and verifies one password after another.
///
/// Allocating tens of MiB per hash costs page faults; keeping the block avoids them.
/// The block is zeroed after every hash and verification (and on drop), so no
/// password's Argon2 state outlives its call or reaches the next one. It grows to the
/// largest cost seen, which the [`VerifyLimits`] bound.
///
/// Methods take `&mut self`: keep one per thread.
pub struct ReusingPasswordHasher {
    hasher: PasswordHasher,
    memory: Memory,
}

impl fmt::Debug for ReusingPasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReusingPasswordHasher")
            .field("hasher", &self.hasher)
            .field("memory_blocks", &self.memory.blocks.len())
            .finish()
    }
}

impl ReusingPasswordHasher {
    /// See [`PasswordHasher::hash`].
    ///
    /// # Errors
    /// As [`PasswordHasher::hash`].
    pub fn hash(&mut self, password: &SecretString) -> Result<String> {
        self.hasher.hash_with(password, &mut self.memory)
    }

    /// See [`PasswordHasher::verify`].
    ///
    /// # Errors
    /// As [`PasswordHasher::verify`].
    pub fn verify(&mut self, password: &SecretString, phc: &str) -> Result<()> {
        self.hasher.verify_with(password, phc, &mut self.memory)
    }

    /// See [`PasswordHasher::needs_rehash`].
    ///
    /// # Errors
    /// As [`PasswordHasher::needs_rehash`].
    pub fn needs_rehash(&self, phc: &str) -> Result<bool> {
        self.hasher.needs_rehash(phc)
    }

    /// The underlying hasher.
    #[must_use]
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }
}

/// Fuzzing hook: parses `s` with default limits and, if it parses, checks that the
/// canonical re-encoding parses to the same value.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz_parse_phc(s: &str) {
    if let Ok(phc) = Phc::parse(s, &VerifyLimits::default()) {
        let again = Phc::parse(&phc.encode(), &VerifyLimits::default());
        assert_eq!(again.ok().as_ref(), Some(&phc));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(PasswordParams::new(8 * 1024, 5, 1).unwrap()).unwrap()
    }

    #[test]
    fn rfc9106_argon2id_vector() {
        // RFC 9106, section 5.3 (Argon2id): see tests/data/argon2/rfc9106.json.
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/argon2/rfc9106.json")).unwrap();
        let h = |k: &str| hex::decode(doc[k].as_str().unwrap()).unwrap();
        let n = |k: &str| u32::try_from(doc[k].as_u64().unwrap()).unwrap();
        let (secret, ad) = (h("secret"), h("ad"));
        let raw = Raw {
            variant: Variant::Argon2id,
            version: n("version"),
            m_kib: n("m_kib"),
            t: n("t"),
            p: n("p"),
            secret: Some(&secret),
            ad: &ad,
        };
        let want = h("tag");
        let mut out = vec![0u8; want.len()];
        let mut memory = Memory::new();
        raw.compute(&h("password"), &h("salt"), &mut out, &mut memory)
            .unwrap();
        assert_eq!(out, want);
        // The block was zeroed after use.
        assert_eq!(memory.dirty, 0);
        assert!(
            memory
                .blocks
                .iter()
                .all(|b| b.as_ref().iter().all(|w| *w == 0))
        );
        // Reusing the (zeroed) memory gives the same answer.
        let mut again = vec![0u8; want.len()];
        raw.compute(&h("password"), &h("salt"), &mut again, &mut memory)
            .unwrap();
        assert_eq!(again, want);
    }

    #[test]
    fn round_trip_and_wrong_password() {
        let hasher = cheap();
        let phc = hasher.hash(&"correct horse".into()).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=8192,t=5,p=1$"));
        hasher.verify(&"correct horse".into(), &phc).unwrap();
        assert!(matches!(
            hasher.verify(&"correct horsf".into(), &phc),
            Err(Error::VerificationFailed)
        ));
        let mut reusing = hasher.reusing_memory();
        reusing.verify(&"correct horse".into(), &phc).unwrap();
        let phc2 = reusing.hash(&"correct horse".into()).unwrap();
        assert_ne!(phc, phc2, "fresh salt every time");
        hasher.verify(&"correct horse".into(), &phc2).unwrap();
    }

    #[test]
    fn pepper_is_required_to_verify() {
        let plain = cheap();
        let peppered = cheap()
            .with_pepper(SecretBytes::from_slice(&[7u8; 32]))
            .unwrap();
        let phc = peppered.hash(&"pw".into()).unwrap();
        peppered.verify(&"pw".into(), &phc).unwrap();
        assert!(matches!(
            plain.verify(&"pw".into(), &phc),
            Err(Error::VerificationFailed)
        ));
        let other = cheap()
            .with_pepper(SecretBytes::from_slice(&[8u8; 32]))
            .unwrap();
        assert!(matches!(
            other.verify(&"pw".into(), &phc),
            Err(Error::VerificationFailed)
        ));
        assert!(format!("{peppered:?}").contains("[REDACTED]"));
    }

    #[test]
    fn fail_short_or_long_pepper() {
        assert!(
            cheap()
                .with_pepper(SecretBytes::from_slice(&[1; 15]))
                .is_err()
        );
        assert!(
            cheap()
                .with_pepper(SecretBytes::from_slice(&[1; 65]))
                .is_err()
        );
    }

    #[test]
    fn needs_rehash_on_parameter_change() {
        let old = cheap();
        let phc = old.hash(&"pw".into()).unwrap();
        assert!(!old.needs_rehash(&phc).unwrap());
        let new = PasswordHasher::new(PasswordParams::new(8 * 1024, 6, 1).unwrap()).unwrap();
        assert!(new.needs_rehash(&phc).unwrap());
        // Argon2i and version 0x10 always need a rehash.
        let argon2i = phc.replace("$argon2id$", "$argon2i$");
        assert!(old.needs_rehash(&argon2i).unwrap());
        let v16 = phc.replace("$v=19$", "$v=16$");
        assert!(old.needs_rehash(&v16).unwrap());
    }

    #[test]
    fn fail_params_below_minimum() {
        assert!(PasswordParams::new(7 * 1024 - 1, 10, 1).is_err());
        assert!(PasswordParams::new(7 * 1024, 4, 1).is_err());
        assert!(PasswordParams::new(19 * 1024, 0, 1).is_err());
        assert!(PasswordParams::new(19 * 1024, 2, 0).is_err());
        assert!(PasswordParams::new(19 * 1024, 2, 65).is_err());
        assert!(PasswordParams::new(19 * 1024, 2, 1).is_ok());
        for preset in [
            PasswordParams::OWASP_MINIMUM,
            PasswordParams::RFC9106_SECOND,
        ] {
            let p = preset;
            assert_eq!(
                PasswordParams::new(p.memory_kib(), p.time_cost(), p.parallelism()).unwrap(),
                p
            );
            PasswordHasher::new(p).unwrap();
        }
    }

    #[test]
    fn fail_params_over_limits() {
        let big = PasswordParams::new(512 * 1024, 2, 1).unwrap();
        assert!(PasswordHasher::new(big).is_err());
        let limits = VerifyLimits {
            max_memory_kib: 1024 * 1024,
            ..VerifyLimits::default()
        };
        let hasher = PasswordHasher::new(PasswordParams::OWASP_MINIMUM)
            .unwrap()
            .with_limits(limits);
        assert!(hasher.is_ok());
        let hasher = PasswordHasher::new_with_limits(big, limits).unwrap();
        assert_eq!(hasher.params(), big);
        assert!(
            PasswordHasher::new(PasswordParams::OWASP_MINIMUM)
                .unwrap()
                .with_limits(VerifyLimits {
                    max_memory_kib: 1024,
                    ..VerifyLimits::default()
                })
                .is_err()
        );
    }

    proptest::proptest! {
        #[test]
        fn phc_encode_parse_round_trip(
            variant in 0u8..3,
            v19 in proptest::bool::ANY,
            m_kib in 8u32..=262_144,
            t in 1u32..=4,
            p in 1u32..=16,
            salt in proptest::collection::vec(proptest::num::u8::ANY, 8..=64),
            hash in proptest::collection::vec(proptest::num::u8::ANY, 16..=64),
        ) {
            let phc = Phc {
                variant: [Variant::Argon2d, Variant::Argon2i, Variant::Argon2id][usize::from(variant)],
                version: if v19 { 0x13 } else { 0x10 },
                m_kib: m_kib.max(8 * p),
                t,
                p,
                salt,
                hash,
            };
            let encoded = phc.encode();
            proptest::prop_assert!(encoded.len() <= MAX_PHC_LEN);
            proptest::prop_assert_eq!(Phc::parse(&encoded, &VerifyLimits::default()).unwrap(), phc);
        }
    }

    const GOOD: &str = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$\
                        MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI";

    #[test]
    fn parse_canonical_round_trip() {
        let phc = Phc::parse(GOOD, &VerifyLimits::default()).unwrap();
        assert_eq!((phc.m_kib, phc.t, phc.p, phc.version), (65536, 3, 4, 0x13));
        assert_eq!(phc.salt, b"somesaltsomesalt");
        assert_eq!(phc.encode(), GOOD);
        let no_version = GOOD.replace("$v=19", "");
        assert_eq!(
            Phc::parse(&no_version, &VerifyLimits::default())
                .unwrap()
                .version,
            0x10
        );
    }

    #[test]
    fn fail_absurd_costs_are_limit_errors() {
        let l = VerifyLimits::default();
        for bad in [
            GOOD.replace("m=65536", "m=4294967295"),
            GOOD.replace("t=3", "t=4294967295"),
            GOOD.replace("p=4", "p=16777215"),
            GOOD.replace("m=65536,t=3", "m=262144,t=16"),
            GOOD.replace("c29tZXNhbHRzb21lc2FsdA", &"A".repeat(200)),
            GOOD.replace("MTIz", &"A".repeat(200)),
            format!("{GOOD}{}", "A".repeat(MAX_PHC_LEN)),
        ] {
            assert!(
                matches!(Phc::parse(&bad, &l), Err(Error::LimitExceeded { .. })),
                "{bad}"
            );
            assert!(matches!(
                cheap().verify(&"pw".into(), &bad),
                Err(Error::LimitExceeded { .. })
            ));
        }
    }

    #[test]
    fn fail_malformed() {
        let l = VerifyLimits::default();
        for bad in [
            "",
            "$",
            "argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=16,r=8,p=1$c29tZXNhbHQ$aGFzaA",
            "$argon2id$v=19$t=3,m=65536,p=4$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=65536,t=3$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=65536,t=3,p=4,keyid=AAAA$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=065536,t=3,p=4$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=+65536,t=3,p=4$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=99999999999,t=3,p=4$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=65536,t=0,p=4$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=31,t=3,p=4$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21l$aGFzaA",
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA==",
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA$x",
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21l",
            "$argon2id$v=19$m=65536,t=3,p=4$c2 9tZXNhbHRzb21l$aGFzaGhhc2hoYXNoaGFzaA",
        ] {
            assert!(
                matches!(Phc::parse(bad, &l), Err(Error::Malformed(_))),
                "{bad}"
            );
        }
        let v = GOOD.replace("v=19", "v=20");
        assert!(matches!(
            Phc::parse(&v, &l),
            Err(Error::UnsupportedVersion(20))
        ));
    }
}
