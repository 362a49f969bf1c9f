//! Blind indexes (beacons): short, deliberately colliding HMAC-SHA384 tags of a value,
//! stored beside its ciphertext so that equality lookups find candidate rows.
//!
//! The construction is the AWS Database Encryption SDK's (standard and compound beacons,
//! partitions), so that the same beacon key gives the same beacons in both; the byte
//! level is in `docs/FORMAT.md` ("Beacons").

use std::fmt;

use sha2::block_api::compress512;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::keyed::Normalization;
use crate::kdf::{BeaconKey, Hash, Hkdf};
use crate::secret::SecretBytes;
use crate::{Error, Result};

/// The shortest beacon, in bits.
pub const MIN_BEACON_BITS: u32 = 1;
/// The longest beacon, in bits: 63, so that a beacon fits a signed 64-bit SQL integer
/// (and as in the AWS Database Encryption SDK).
pub const MAX_BEACON_BITS: u32 = 63;
/// The most partitions a standard beacon may have.
pub const MAX_BEACON_PARTITIONS: u16 = 255;

/// HKDF-Expand info prefix of every beacon's HMAC key (the AWS Database Encryption
/// SDK's label, kept so that both derive the same keys).
const KEY_INFO: &[u8] = b"AWS_DBE_SCAN_BEACON";
/// Length of a beacon's HMAC-SHA384 key.
const HMAC_KEY_LEN: usize = 64;
/// Shortest beacon key material [`BeaconKeys::from_secret`] accepts.
const MIN_SECRET_LEN: usize = 32;
/// Longest beacon, compound-part or compound-beacon name, in bytes.
const MAX_NAME_LEN: usize = 255;

/// The key material of a set of beacons (one table, one tenant): each beacon's HMAC key
/// is derived from it by name, so beacons of different names are independent.
///
/// `Debug` prints no key material.
#[derive(Clone)]
pub struct BeaconKeys {
    hkdf: Hkdf,
}

impl fmt::Debug for BeaconKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BeaconKeys([REDACTED])")
    }
}

impl BeaconKeys {
    /// The beacon keys of a node of the key hierarchy
    /// (`root.tenant("acme")?.beacon_key()?`).
    #[must_use]
    pub fn new(key: &BeaconKey) -> Self {
        Self::from_material(key.expose_secret())
    }

    /// Beacon keys from stored key material of at least 32 bytes, for example the
    /// 32-byte beacon key of an AWS Database Encryption SDK branch key: beacons made
    /// from it equal that SDK's.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `secret` is shorter than 32 bytes.
    pub fn from_secret(secret: &SecretBytes) -> Result<Self> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(Error::invalid_argument(format_args!(
                "beacon key material is {} bytes; at least {MIN_SECRET_LEN} are required",
                secret.len()
            )));
        }
        Ok(Self::from_material(secret.expose_secret()))
    }

    /// Any length; only [`from_secret`](Self::from_secret) and [`new`](Self::new) are
    /// public (the DB-ESDK test vectors use 5-byte material).
    fn from_material(material: &[u8]) -> Self {
        Self {
            hkdf: Hkdf::extract(Hash::Sha512, &[], material),
        }
    }

    /// The HMAC-SHA384 state of the beacon named `name`.
    fn mac(&self, name: &str) -> Result<BeaconMac> {
        let mut key = SecretBytes::zeroed(HMAC_KEY_LEN);
        self.hkdf
            .expand_into(&[KEY_INFO, name.as_bytes()], key.expose_secret_mut())?;
        Ok(BeaconMac::new(key.expose_secret()))
    }

    /// The standard beacon `name` (see [`StandardBeacon::new`]).
    ///
    /// # Errors
    /// As [`StandardBeacon::new`].
    pub fn standard(
        &self,
        name: &str,
        bits: u32,
        normalization: Normalization,
    ) -> Result<StandardBeacon> {
        StandardBeacon::new(self, name, bits, normalization)
    }
}

/// SHA-384 initial hash value (FIPS 180-4, section 5.3.4).
const SHA384_IV: [u64; 8] = [
    0xcbbb_9d5d_c105_9ed8,
    0x629a_292a_367c_d507,
    0x9159_015a_3070_dd17,
    0x152f_ecd8_f70e_5939,
    0x6733_2667_ffc0_0b31,
    0x8eb4_4a87_6858_1511,
    0xdb0c_2e0d_64f9_8fa7,
    0x47b5_481d_befa_4fa4,
];

/// HMAC-SHA384 (RFC 2104, RFC 4868) with the keyed inner and outer states computed
/// once, returning only the first 8 bytes of the tag (all a beacon uses).
///
/// A value of up to 110 bytes (111 without a partition byte) then costs two SHA-512
/// compressions, against four for keying `Hmac<Sha384>` afresh per value, and no buffer
/// is copied or zeroized per value.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct BeaconMac {
    inner: [u64; 8],
    outer: [u64; 8],
}

impl BeaconMac {
    fn new(key: &[u8]) -> Self {
        let mut block = [0u8; 128];
        if key.len() > 128 {
            let mut h = SHA384_IV;
            sha512_finish(&mut h, &[key], 0);
            for (o, w) in block.chunks_exact_mut(8).zip(&h[..6]) {
                o.copy_from_slice(&w.to_be_bytes());
            }
            h.zeroize();
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let (mut inner, mut outer) = (SHA384_IV, SHA384_IV);
        let mut pad = [0u8; 128];
        for (p, k) in pad.iter_mut().zip(&block) {
            *p = k ^ 0x36;
        }
        compress512(&mut inner, std::slice::from_ref(&pad));
        for (p, k) in pad.iter_mut().zip(&block) {
            *p = k ^ 0x5c;
        }
        compress512(&mut outer, std::slice::from_ref(&pad));
        pad.zeroize();
        block.zeroize();
        Self { inner, outer }
    }

    /// The first 8 bytes of HMAC-SHA384(`value` || `partition byte` unless 0), as a
    /// big-endian integer.
    fn tag(&self, value: &[u8], partition: u8) -> u64 {
        let suffix = [partition];
        let parts: [&[u8]; 2] = [value, if partition == 0 { &[] } else { &suffix }];
        let mut h = self.inner;
        sha512_finish(&mut h, &parts, 128);
        // The outer message is the 48-byte inner hash: one padded block.
        let mut block = [0u8; 128];
        for (o, w) in block.chunks_exact_mut(8).zip(&h[..6]) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        block[48] = 0x80;
        block[112..].copy_from_slice(&((128u128 + 48) * 8).to_be_bytes());
        let mut o = self.outer;
        compress512(&mut o, std::slice::from_ref(&block));
        o[0]
    }
}

/// Finishes SHA-512/384 over the concatenation of `parts` from state `h`, which has
/// already absorbed `prefix_len` bytes (a multiple of 128).
fn sha512_finish(h: &mut [u64; 8], parts: &[&[u8]], prefix_len: u128) {
    let mut buf = [0u8; 256];
    let mut fill = 0usize;
    let mut total = prefix_len;
    for part in parts {
        total += part.len() as u128;
        let mut rest = *part;
        if fill > 0 {
            let take = rest.len().min(128 - fill);
            buf[fill..fill + take].copy_from_slice(&rest[..take]);
            fill += take;
            rest = &rest[take..];
            if fill < 128 {
                continue;
            }
            let (block, _) = buf.as_chunks::<128>();
            compress512(h, &block[..1]);
        }
        let (blocks, tail) = rest.as_chunks::<128>();
        compress512(h, blocks);
        buf[..tail.len()].copy_from_slice(tail);
        fill = tail.len();
    }
    buf[fill] = 0x80;
    let end = if fill < 112 { 128 } else { 256 };
    buf[fill + 1..end - 16].fill(0);
    buf[end - 16..end].copy_from_slice(&total.wrapping_mul(8).to_be_bytes());
    compress512(h, buf[..end].as_chunks::<128>().0);
    buf.zeroize();
}

/// Appends the low `bits` bits of `value` as `ceil(bits / 4)` lower-case hex digits.
fn push_hex(value: u64, bits: u32, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let chars = bits.div_ceil(4);
    for i in (0..chars).rev() {
        let nibble = (value >> (4 * i)) & 0xf;
        out.push(char::from(HEX[usize::try_from(nibble).unwrap_or(0)]));
    }
}

fn check_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(Error::invalid_argument(format_args!(
            "{what} name `{}` must be 1 to {MAX_NAME_LEN} bytes without control characters",
            name.escape_default()
        )));
    }
    Ok(())
}

/// A standard beacon: the low `bits` bits of HMAC-SHA384 of one normalized value under
/// the beacon's own key, written as `ceil(bits / 4)` hex digits (or as an integer).
///
/// Equal values (after [`Normalization`]) always get equal beacons; unequal values get
/// the same beacon with probability `2^-bits`: that is the point. A lookup by beacon
/// returns every row of the value and, on average, `rows * 2^-bits` others, which
/// decryption then filters out ([`Lookup::matches`]).
///
/// With partitions (`with_partitions`), each row's beacon is computed in one of `p`
/// partitions picked at write time, and a lookup asks for all `p` beacons of the value:
/// a frequent value is then spread over `p` beacon values.
#[derive(Clone)]
pub struct StandardBeacon {
    name: Box<str>,
    bits: u32,
    partitions: u16,
    normalization: Normalization,
    mac: BeaconMac,
}

impl fmt::Debug for StandardBeacon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandardBeacon")
            .field("name", &self.name)
            .field("bits", &self.bits)
            .field("partitions", &self.partitions)
            .field("normalization", &self.normalization)
            .finish_non_exhaustive()
    }
}

impl StandardBeacon {
    /// The beacon `name` (its key is derived from `keys` by this name) of `bits` bits.
    ///
    /// Choose `bits` from the number of distinct values the column will hold
    /// ([`bits_for`](Self::bits_for)): see the module documentation on leakage.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `bits` outside 1 to 63 or a name that is empty,
    /// longer than 255 bytes or holds control characters.
    pub fn new(
        keys: &BeaconKeys,
        name: &str,
        bits: u32,
        normalization: Normalization,
    ) -> Result<Self> {
        check_name("beacon", name)?;
        if !(MIN_BEACON_BITS..=MAX_BEACON_BITS).contains(&bits) {
            return Err(Error::invalid_argument(format_args!(
                "beacon `{}` has {bits} bits; a beacon has {MIN_BEACON_BITS} to \
                 {MAX_BEACON_BITS} bits",
                name.escape_default()
            )));
        }
        Ok(Self {
            name: name.into(),
            bits,
            partitions: 1,
            normalization,
            mac: keys.mac(name)?,
        })
    }

    /// The same beacon spread over `partitions` partitions (1 to 255; 1 is none).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for 0 or more than 255 partitions.
    pub fn with_partitions(mut self, partitions: u16) -> Result<Self> {
        if !(1..=MAX_BEACON_PARTITIONS).contains(&partitions) {
            return Err(Error::invalid_argument(format_args!(
                "beacon `{}`: {partitions} partitions; a beacon has 1 to \
                 {MAX_BEACON_PARTITIONS}",
                self.name.escape_default()
            )));
        }
        self.partitions = partitions;
        Ok(self)
    }

    /// The name (which also selects the key).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The length in bits.
    #[must_use]
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The number of partitions (1: unpartitioned).
    #[must_use]
    pub fn partitions(&self) -> u16 {
        self.partitions
    }

    /// The normalization applied before the MAC.
    #[must_use]
    pub fn normalization(&self) -> Normalization {
        self.normalization
    }

    /// Length of the text form: `ceil(bits / 4)` hex digits.
    #[must_use]
    pub fn text_len(&self) -> usize {
        // At most 16.
        usize::try_from(self.bits.div_ceil(4)).unwrap_or(16)
    }

    fn mask(&self) -> u64 {
        (1u64 << self.bits) - 1
    }

    fn tag_in(&self, normalized: &[u8], partition: u8) -> u64 {
        self.mac.tag(normalized, partition) & self.mask()
    }

    fn check_partition(&self, partition: u16) -> Result<u8> {
        if partition >= self.partitions {
            return Err(Error::invalid_argument(format_args!(
                "beacon `{}` has {} partitions (0 to {}); partition {partition} does not exist",
                self.name.escape_default(),
                self.partitions,
                self.partitions - 1
            )));
        }
        // partition < partitions <= 255.
        Ok(u8::try_from(partition).unwrap_or(u8::MAX))
    }

    /// The beacon of `value` (after normalization) in partition 0, as an integer below
    /// `2^bits`.
    #[must_use]
    pub fn value(&self, value: &str) -> u64 {
        self.tag_in(self.normalization.apply(value).as_bytes(), 0)
    }

    /// The beacon of `value` in partition 0, as hex text (the AWS Database Encryption
    /// SDK's form).
    #[must_use]
    pub fn beacon(&self, value: &str) -> String {
        let mut out = String::with_capacity(self.text_len());
        self.beacon_into(value, &mut out);
        out
    }

    /// Appends [`beacon`](Self::beacon) of `value` to `out`.
    pub fn beacon_into(&self, value: &str, out: &mut String) {
        push_hex(self.value(value), self.bits, out);
    }

    /// The beacon of `value` in `partition`, as an integer.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `partition` is not below
    /// [`partitions`](Self::partitions).
    pub fn value_in(&self, value: &str, partition: u16) -> Result<u64> {
        let p = self.check_partition(partition)?;
        Ok(self.tag_in(self.normalization.apply(value).as_bytes(), p))
    }

    /// The beacon of `value` in `partition`, as hex text.
    ///
    /// # Errors
    /// As [`value_in`](Self::value_in).
    pub fn beacon_in(&self, value: &str, partition: u16) -> Result<String> {
        let mut out = String::with_capacity(self.text_len());
        push_hex(self.value_in(value, partition)?, self.bits, &mut out);
        Ok(out)
    }

    /// The beacon of raw bytes in partition 0 (binary values, or text already
    /// normalized). Without normalization the bytes are used as given; with it they
    /// must be UTF-8 and give the same beacon as [`value`](Self::value) of that text.
    ///
    /// # Errors
    /// [`Error::Malformed`] when normalization is configured and `value` is not UTF-8.
    pub fn value_of_bytes(&self, value: &[u8]) -> Result<u64> {
        if self.normalization.is_none() {
            return Ok(self.tag_in(value, 0));
        }
        let text = std::str::from_utf8(value)
            .map_err(|_| Error::Malformed("value to normalise is not UTF-8"))?;
        Ok(self.value(text))
    }

    /// A random partition for a row being written (uniform over the partitions; always
    /// 0 for an unpartitioned beacon).
    ///
    /// # Errors
    /// [`Error::Random`] if the operating system's generator fails.
    pub fn random_partition(&self) -> Result<u16> {
        if self.partitions == 1 {
            return Ok(0);
        }
        // Rejection sampling over u16 keeps the choice exactly uniform.
        let n = u32::from(self.partitions);
        let zone = (1u32 << 16) - (1u32 << 16) % n;
        loop {
            let r = u32::from(u16::from_be_bytes(crate::rand::array()?));
            if r < zone {
                return Ok(u16::try_from(r % n).unwrap_or(0));
            }
        }
    }

    /// What to ask the database for when looking up rows equal to `value`: its beacon
    /// in every partition, and the normalized value to filter decrypted candidates.
    #[must_use]
    pub fn lookup(&self, value: &str) -> Lookup {
        let normalized = self.normalization.apply(value).into_owned();
        let values: Vec<u64> = (0..self.partitions)
            .map(|p| self.tag_in(normalized.as_bytes(), u8::try_from(p).unwrap_or(u8::MAX)))
            .collect();
        Lookup {
            values,
            bits: self.bits,
            normalized,
            normalization: self.normalization,
        }
    }

    /// The probability that a row whose value differs from the one looked up is
    /// returned anyway: `1 - (1 - 2^-bits)^partitions` (`2^-bits` unpartitioned).
    #[must_use]
    pub fn false_positive_rate(&self) -> f64 {
        let p = 2f64.powi(-i32::try_from(self.bits).unwrap_or(63));
        -(f64::from(self.partitions) * (-p).ln_1p()).exp_m1()
    }

    /// The expected number of false positives a lookup returns from a table of `rows`
    /// rows that do not hold the value looked up.
    #[must_use]
    pub fn expected_false_positives(&self, rows: u64) -> f64 {
        rows as f64 * self.false_positive_rate()
    }

    /// The expected number of *other* distinct values that share the beacon of a given
    /// value in a column of `distinct` distinct values: `(distinct - 1) * 2^-bits`. This
    /// is the ambiguity a beacon keeps; below about 1 the beacon identifies values.
    #[must_use]
    pub fn expected_colliding_values(&self, distinct: u64) -> f64 {
        distinct.saturating_sub(1) as f64 * 2f64.powi(-i32::try_from(self.bits).unwrap_or(63))
    }

    /// The longest beacon that keeps, on average, at least `values_per_beacon` distinct
    /// values on each beacon value of a column of `distinct` distinct values:
    /// `floor(log2(distinct / values_per_beacon))`, at least 1.
    ///
    /// With `values_per_beacon = 2` every beacon value stands, on average, for two
    /// distinct values; a lookup on a table of `rows` rows then returns about
    /// `rows / 2^bits` false positives.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `values_per_beacon` is not a finite number of at
    /// least 1, or `distinct` is below `2 * values_per_beacon` (no beacon of at least 1
    /// bit keeps that many).
    pub fn bits_for(distinct: u64, values_per_beacon: f64) -> Result<u32> {
        if !values_per_beacon.is_finite() || values_per_beacon < 1.0 {
            return Err(Error::invalid_argument(format_args!(
                "values per beacon must be a finite number of at least 1, not {values_per_beacon}"
            )));
        }
        let ratio = distinct as f64 / values_per_beacon;
        if ratio < 2.0 {
            return Err(Error::invalid_argument(format_args!(
                "{distinct} distinct values cannot keep {values_per_beacon} values on each \
                 beacon value with a beacon of at least 1 bit"
            )));
        }
        // ratio >= 2, so log2 >= 1; at most 64 for u64 inputs.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let bits = ratio.log2().floor() as u32;
        Ok(bits.clamp(MIN_BEACON_BITS, MAX_BEACON_BITS))
    }
}

/// An equality lookup: the beacons to ask the database for, and the check that keeps
/// only the true matches among the decrypted candidates.
#[derive(Clone)]
pub struct Lookup {
    values: Vec<u64>,
    bits: u32,
    normalized: String,
    normalization: Normalization,
}

impl fmt::Debug for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value looked up is the plaintext: not printed.
        f.debug_struct("Lookup")
            .field("values", &self.values)
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

impl Lookup {
    /// The beacon of the value in each partition, as integers (one for an unpartitioned
    /// beacon): `WHERE beacon IN (...)`.
    #[must_use]
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// The same beacons as hex text.
    #[must_use]
    pub fn beacons(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|&v| {
                let mut s = String::new();
                push_hex(v, self.bits, &mut s);
                s
            })
            .collect()
    }

    /// Whether a decrypted candidate equals the value looked up (after the beacon's
    /// normalization; compared in constant time for equal lengths). Rows for which this
    /// is false are the beacon's false positives.
    #[must_use]
    pub fn matches(&self, candidate: &str) -> bool {
        let c = self.normalization.apply(candidate);
        c.as_bytes().ct_eq(self.normalized.as_bytes()).into()
    }

    /// [`matches`](Self::matches) for a decrypted byte string: false for bytes that are
    /// not UTF-8 when the beacon normalizes.
    #[must_use]
    pub fn matches_bytes(&self, candidate: &[u8]) -> bool {
        if self.normalization.is_none() {
            return candidate.ct_eq(self.normalized.as_bytes()).into();
        }
        std::str::from_utf8(candidate).is_ok_and(|c| self.matches(c))
    }
}

/// One part of a [`CompoundBeacon`]: a prefix that names it in the compound value, and
/// either a standard beacon of a sensitive field or a non-sensitive value in clear.
#[derive(Clone, Debug)]
pub struct Part {
    name: Box<str>,
    prefix: Box<str>,
    kind: PartKind,
}

#[derive(Clone, Debug)]
enum PartKind {
    /// The part's value is the standard beacon of the field (partition 0).
    Beacon(Box<StandardBeacon>),
    /// The part's value is the field's normalized text, in clear.
    Plain(Normalization),
}

impl Part {
    /// A part made of the standard beacon `beacon` of a sensitive field; the part has
    /// the beacon's name. Its value in the compound is `prefix` and the hex beacon.
    #[must_use]
    pub fn beacon(prefix: &str, beacon: StandardBeacon) -> Self {
        Self {
            name: beacon.name.clone(),
            prefix: prefix.into(),
            kind: PartKind::Beacon(Box::new(beacon)),
        }
    }

    /// A part made of a non-sensitive field stored in clear (a year, a country, a
    /// tenant id): its value in the compound is `prefix` and the normalized text.
    #[must_use]
    pub fn plain(name: &str, prefix: &str, normalization: Normalization) -> Self {
        Self {
            name: name.into(),
            prefix: prefix.into(),
            kind: PartKind::Plain(normalization),
        }
    }

    /// The same part under another name (a beacon part is named after its beacon,
    /// `customers.last_name`; constructors and lookups then use this name).
    #[must_use]
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    /// The part's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The part's prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether the part carries a beacon (else a value in clear).
    #[must_use]
    pub fn is_beacon(&self) -> bool {
        matches!(self.kind, PartKind::Beacon(_))
    }
}

/// The parts of one way to build a compound value, in order, each required or not.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Constructor {
    parts: Vec<(usize, bool)>,
}

/// A compound beacon: several parts joined by a split character, each part written as
/// its prefix and value (`N_7d9bfa40.Y_1984`), so that a lookup can match several
/// fields at once, or a leading subset of them by prefix.
///
/// A row's value is built by the first *constructor* whose required parts the row has,
/// with its optional parts where present. Without explicit constructors there is one,
/// of every part in order, all required.
#[derive(Clone, Debug)]
pub struct CompoundBeacon {
    name: Box<str>,
    split: char,
    parts: Vec<Part>,
    constructors: Vec<Constructor>,
}

/// Builds a [`CompoundBeacon`]; [`build`](Self::build) validates it.
#[derive(Clone, Debug)]
pub struct CompoundBeaconBuilder {
    name: String,
    split: char,
    parts: Vec<Part>,
    constructors: Vec<Vec<(String, bool)>>,
}

impl CompoundBeacon {
    /// Starts a compound beacon `name` whose parts are joined by `split`.
    #[must_use]
    pub fn builder(name: &str, split: char) -> CompoundBeaconBuilder {
        CompoundBeaconBuilder {
            name: name.to_owned(),
            split,
            parts: Vec::new(),
            constructors: Vec::new(),
        }
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The split character.
    #[must_use]
    pub fn split(&self) -> char {
        self.split
    }

    /// The parts.
    #[must_use]
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    fn part_index(&self, name: &str) -> Result<usize> {
        self.parts
            .iter()
            .position(|p| &*p.name == name)
            .ok_or_else(|| {
                Error::invalid_argument(format_args!(
                    "compound beacon `{}` has no part `{}` (parts: {})",
                    self.name,
                    name.escape_default(),
                    self.part_names()
                ))
            })
    }

    fn part_names(&self) -> String {
        self.parts
            .iter()
            .map(|p| &*p.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Resolves `(part name, value)` pairs to part indexes, refusing unknown and
    /// repeated parts.
    fn resolve<'v>(&self, values: &[(&str, &'v str)]) -> Result<Vec<(usize, &'v str)>> {
        let mut out: Vec<(usize, &'v str)> = Vec::with_capacity(values.len());
        for (name, value) in values {
            let i = self.part_index(name)?;
            if out.iter().any(|(j, _)| *j == i) {
                return Err(Error::invalid_argument(format_args!(
                    "compound beacon `{}`: part `{name}` is given twice",
                    self.name
                )));
            }
            out.push((i, value));
        }
        Ok(out)
    }

    /// Appends part `i` with `value` (prefix and beacon or normalized text).
    fn push_part(&self, i: usize, value: &str, out: &mut String) -> Result<()> {
        let part = &self.parts[i];
        out.push_str(&part.prefix);
        match &part.kind {
            PartKind::Beacon(b) => b.beacon_into(value, out),
            PartKind::Plain(norm) => {
                let v = norm.apply(value);
                if v.contains(self.split) {
                    // Names the part, not the value: the value may be personal data.
                    return Err(Error::invalid_argument(format_args!(
                        "compound beacon `{}`: the value of part `{}` contains the split \
                         character '{}'",
                        self.name,
                        part.name,
                        self.split.escape_default()
                    )));
                }
                out.push_str(&v);
            }
        }
        Ok(())
    }

    /// The compound value of a row whose fields are `values` (`(part name, value)`,
    /// in any order; absent fields are left out), or `None` when no constructor's
    /// required parts are all present (the row then has no value for this beacon).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a part name the beacon does not have, a part given
    /// twice, or a value in clear that contains the split character.
    pub fn beacon(&self, values: &[(&str, &str)]) -> Result<Option<String>> {
        let given = self.resolve(values)?;
        let value_of = |i: usize| given.iter().find(|(j, _)| *j == i).map(|(_, v)| *v);
        let Some(c) = self.constructors.iter().find(|c| {
            c.parts
                .iter()
                .all(|&(i, req)| !req || value_of(i).is_some())
        }) else {
            return Ok(None);
        };
        let mut out = String::new();
        for &(i, _) in &c.parts {
            if let Some(v) = value_of(i) {
                if !out.is_empty() {
                    out.push(self.split);
                }
                self.push_part(i, v, &mut out)?;
            }
        }
        Ok(Some(out))
    }

    /// The compound value to look for, from `(part name, value)` pairs **in the order
    /// of a constructor** (optional parts may be skipped). [`BeaconQuery::is_complete`]
    /// says whether they make a whole value (every required part of that constructor);
    /// otherwise match by prefix ([`BeaconQuery::prefix`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown or repeated part, a value in clear with
    /// the split character, or parts that no constructor has in that order (the message
    /// lists the constructors).
    pub fn query(&self, values: &[(&str, &str)]) -> Result<BeaconQuery> {
        let given = self.resolve(values)?;
        if given.is_empty() {
            return Err(Error::invalid_argument(format_args!(
                "compound beacon `{}`: a query needs at least one part",
                self.name
            )));
        }
        let mut found: Option<bool> = None;
        for c in &self.constructors {
            if let Some(complete) = c.accepts(&given) {
                found = Some(found.unwrap_or(false) || complete);
                if complete {
                    break;
                }
            }
        }
        let Some(complete) = found else {
            let shapes: Vec<String> = self.constructors.iter().map(|c| self.shape(c)).collect();
            let asked: Vec<&str> = given.iter().map(|(i, _)| &*self.parts[*i].name).collect();
            return Err(Error::invalid_argument(format_args!(
                "compound beacon `{}`: no constructor starts with the parts {} in this order \
                 (constructors: {})",
                self.name,
                asked.join(", "),
                shapes.join("; ")
            )));
        };
        let mut value = String::new();
        for (n, &(i, v)) in given.iter().enumerate() {
            if n > 0 {
                value.push(self.split);
            }
            self.push_part(i, v, &mut value)?;
        }
        Ok(BeaconQuery {
            value,
            split: self.split,
            complete,
        })
    }

    /// A constructor written as `Name, [Month]` (optional parts in brackets).
    fn shape(&self, c: &Constructor) -> String {
        c.parts
            .iter()
            .map(|&(i, req)| {
                let n = &*self.parts[i].name;
                if req { n.to_owned() } else { format!("[{n}]") }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Constructor {
    /// Whether `given` (part indexes in order) is a subsequence of this constructor that
    /// skips only optional parts before its last given part: `Some(true)` when it also
    /// holds every required part (a whole value), `Some(false)` for a leading part of
    /// one, `None` otherwise.
    fn accepts(&self, given: &[(usize, &str)]) -> Option<bool> {
        let mut pos = 0;
        for &(g, _) in given {
            loop {
                let &(i, req) = self.parts.get(pos)?;
                pos += 1;
                if i == g {
                    break;
                }
                if req {
                    return None;
                }
            }
        }
        Some(self.parts[pos..].iter().all(|&(_, req)| !req))
    }
}

impl CompoundBeaconBuilder {
    /// Adds a part (see [`Part::beacon`], [`Part::plain`]).
    #[must_use]
    pub fn part(mut self, part: Part) -> Self {
        self.parts.push(part);
        self
    }

    /// Adds a constructor: part names in order, each required (`true`) or optional.
    /// Without any, the beacon has one constructor of every part, all required.
    #[must_use]
    pub fn constructor(mut self, parts: &[(&str, bool)]) -> Self {
        self.constructors
            .push(parts.iter().map(|(n, r)| ((*n).to_owned(), *r)).collect());
        self
    }

    /// Validates the compound beacon.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the problem: a bad name, no parts, a split
    /// character that is a hex digit or a control character, two parts with one name,
    /// an empty prefix, a prefix holding the split character, a prefix that begins
    /// another part's prefix (values could not be told apart), a constructor that is
    /// empty, names an unknown part, repeats a part or has no required part.
    pub fn build(self) -> Result<CompoundBeacon> {
        check_name("compound beacon", &self.name)?;
        let name = &self.name;
        if self.split.is_ascii_hexdigit() || self.split.is_control() {
            return Err(Error::invalid_argument(format_args!(
                "compound beacon `{name}`: split character '{}' is a hex digit or a control \
                 character (beacon parts are hex)",
                self.split.escape_default()
            )));
        }
        if self.parts.is_empty() {
            return Err(Error::invalid_argument(format_args!(
                "compound beacon `{name}` has no parts"
            )));
        }
        for (i, p) in self.parts.iter().enumerate() {
            check_name("compound beacon part", &p.name)?;
            if self.parts[..i].iter().any(|q| q.name == p.name) {
                return Err(Error::invalid_argument(format_args!(
                    "compound beacon `{name}` has two parts named `{}`",
                    p.name
                )));
            }
            if p.prefix.is_empty() || p.prefix.contains(self.split) {
                return Err(Error::invalid_argument(format_args!(
                    "compound beacon `{name}`: part `{}` needs a non-empty prefix without the \
                     split character '{}'",
                    p.name,
                    self.split.escape_default()
                )));
            }
        }
        for p in &self.parts {
            for q in &self.parts {
                if !std::ptr::eq(p, q) && q.prefix.starts_with(&*p.prefix) {
                    return Err(Error::invalid_argument(format_args!(
                        "compound beacon `{name}`: part `{}` has prefix `{}`, which begins the \
                         prefix `{}` of part `{}`",
                        p.name, p.prefix, q.prefix, q.name
                    )));
                }
            }
        }
        let index = |n: &str| self.parts.iter().position(|p| &*p.name == n);
        let constructors = if self.constructors.is_empty() {
            vec![Constructor {
                parts: (0..self.parts.len()).map(|i| (i, true)).collect(),
            }]
        } else {
            let mut out = Vec::with_capacity(self.constructors.len());
            for (k, c) in self.constructors.iter().enumerate() {
                if c.is_empty() || !c.iter().any(|(_, req)| *req) {
                    return Err(Error::invalid_argument(format_args!(
                        "compound beacon `{name}`: constructor {k} needs at least one required \
                         part"
                    )));
                }
                let mut parts: Vec<(usize, bool)> = Vec::with_capacity(c.len());
                for (part, req) in c {
                    let Some(i) = index(part) else {
                        return Err(Error::invalid_argument(format_args!(
                            "compound beacon `{name}`: constructor {k} names part `{}`, which \
                             the beacon does not have",
                            part.escape_default()
                        )));
                    };
                    if parts.iter().any(|(j, _)| *j == i) {
                        return Err(Error::invalid_argument(format_args!(
                            "compound beacon `{name}`: constructor {k} names part `{part}` twice"
                        )));
                    }
                    parts.push((i, *req));
                }
                out.push(Constructor { parts });
            }
            out
        };
        Ok(CompoundBeacon {
            name: self.name.into(),
            split: self.split,
            parts: self.parts,
            constructors,
        })
    }
}

/// The value a compound lookup asks for ([`CompoundBeacon::query`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeaconQuery {
    value: String,
    split: char,
    complete: bool,
}

impl BeaconQuery {
    /// The compound value of the parts given: match it by equality when
    /// [`is_complete`](Self::is_complete).
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the parts make a whole value of some constructor (every required part).
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The value followed by the split character: every compound value that starts with
    /// these parts and has more starts with this (`substr(col, 1, n) = prefix`).
    #[must_use]
    pub fn prefix(&self) -> String {
        let mut p = self.value.clone();
        p.push(self.split);
        p
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

    use super::*;
    use crate::encoding::hex_decode;

    /// The AWS Database Encryption SDK's beacon test vectors (HMAC-SHA384), from
    /// `tests/data/vectors/dbesdk_beacons.json` (provenance in the file).
    fn vectors() -> serde_json::Value {
        serde_json::from_str(include_str!("../../tests/data/vectors/dbesdk_beacons.json")).unwrap()
    }

    fn bytes(v: &serde_json::Value) -> Vec<u8> {
        hex_decode(v.as_str().unwrap()).unwrap()
    }

    #[test]
    fn dbesdk_raw_hmac_cases() {
        let doc = vectors();
        let cases = doc["hmac"].as_array().unwrap();
        assert!(cases.len() >= 6);
        for c in cases {
            let mac = BeaconMac::new(&bytes(&c["hmac_key"]));
            let partition = u8::try_from(c["partition"].as_u64().unwrap()).unwrap();
            let tag = mac.tag(&bytes(&c["message"]), partition);
            if let Some(first8) = c["first8"].as_str() {
                assert_eq!(
                    crate::encoding::hex_encode(&tag.to_be_bytes()),
                    first8,
                    "{c}"
                );
            }
            if let Some(byte7) = c["byte7"].as_u64() {
                assert_eq!(tag & 0xff, byte7, "{c}");
            }
            if let (Some(bits), Some(beacon)) = (c["bits"].as_u64(), c["beacon"].as_str()) {
                let bits = u32::try_from(bits).unwrap();
                let mut s = String::new();
                push_hex(tag & ((1u64 << bits) - 1), bits, &mut s);
                assert_eq!(s, beacon, "{c}");
            }
        }
    }

    fn reference(key: &[u8], msg: &[u8]) -> u64 {
        use hmac::{Hmac, KeyInit, Mac};
        let mut m = <Hmac<sha2::Sha384> as KeyInit>::new_from_slice(key).unwrap();
        m.update(msg);
        u64::from_be_bytes(m.finalize().into_bytes()[..8].try_into().unwrap())
    }

    proptest::proptest! {
        /// Keys around the 128-byte block, messages around the one- and two-block
        /// padding boundaries (110/111/112 bytes), with and without a partition byte.
        #[test]
        fn matches_the_hmac_crate(
            key in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            msg in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            partition in proptest::prelude::any::<u8>(),
        ) {
            let mac = BeaconMac::new(&key);
            let mut with = msg.clone();
            if partition != 0 {
                with.push(partition);
            }
            proptest::prop_assert_eq!(mac.tag(&msg, partition), reference(&key, &with));
        }
    }

    #[test]
    fn padding_boundaries_match_the_hmac_crate() {
        for key_len in [0, 1, 64, 127, 128, 129, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            let mac = BeaconMac::new(&key);
            for len in (0..=260).chain([383, 384, 385]) {
                let msg: Vec<u8> = (0..len).map(|i| (i * 13 + 1) as u8).collect();
                assert_eq!(mac.tag(&msg, 0), reference(&key, &msg), "{key_len}/{len}");
                let mut with = msg.clone();
                with.push(9);
                assert_eq!(
                    mac.tag(&msg, 9),
                    reference(&key, &with),
                    "{key_len}/{len}+p"
                );
            }
        }
    }

    #[test]
    fn dbesdk_bytes_to_hex() {
        let doc = vectors();
        let b = &doc["bytes_to_hex"];
        let tag = u64::from_be_bytes(bytes(&b["bytes"]).try_into().unwrap());
        for c in b["cases"].as_array().unwrap() {
            let bits = u32::try_from(c["bits"].as_u64().unwrap()).unwrap();
            let mut s = String::new();
            push_hex(tag & ((1u64 << bits) - 1), bits, &mut s);
            assert_eq!(s, c["hex"].as_str().unwrap(), "bits {bits}");
        }
    }

    fn dbesdk_keys(doc: &serde_json::Value) -> BeaconKeys {
        BeaconKeys::from_material(&bytes(&doc["beacon_key"]))
    }

    #[test]
    fn dbesdk_standard_beacons() {
        let doc = vectors();
        let keys = dbesdk_keys(&doc);
        let cases = doc["standard"].as_array().unwrap();
        assert!(cases.len() >= 15);
        for c in cases {
            let bits = u32::try_from(c["bits"].as_u64().unwrap()).unwrap();
            let b = keys
                .standard(c["name"].as_str().unwrap(), bits, Normalization::NONE)
                .unwrap();
            let value = c["value"].as_str().unwrap();
            assert_eq!(b.beacon(value), c["beacon"].as_str().unwrap(), "{c}");
            assert_eq!(b.beacon(value).len(), b.text_len());
            let lookup = b.lookup(value);
            assert_eq!(lookup.beacons(), vec![b.beacon(value)]);
            assert!(lookup.matches(value));
        }
    }

    #[test]
    fn dbesdk_compound_beacons() {
        let doc = vectors();
        let keys = dbesdk_keys(&doc);
        let std = |name: &str, bits| keys.standard(name, bits, Normalization::NONE).unwrap();
        let c = &doc["compound"];
        let item: Vec<(&str, &str)> = c["item"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
            .collect();
        // The fixtures' beacons: Name and Title are 32-bit standard beacons; Year and
        // Month are signed (plain) parts.
        let name = Part::beacon("N_", std("Name", 32));
        let title = Part::beacon("T_", std("Title", 32));
        let year = Part::plain("Year", "Y_", Normalization::NONE);
        let month = Part::plain("Month", "M_", Normalization::NONE);
        let mixed = CompoundBeacon::builder("Mixed", '.')
            .part(name.clone())
            .part(year.clone())
            .part(title.clone())
            .part(month.clone())
            .constructor(&[("Name", true), ("Year", true)])
            .constructor(&[("Title", true), ("Month", false)])
            .build()
            .unwrap();
        let name_title = CompoundBeacon::builder("NameTitle", '.')
            .part(name.clone())
            .part(title.clone())
            .build()
            .unwrap();
        let year_name = CompoundBeacon::builder("YearName", '.')
            .part(year)
            .part(name)
            .build()
            .unwrap();
        let expect = |k: &str| c["beacons"][k].as_str().unwrap().to_owned();
        // The row's fields that a compound beacon has (unknown names are refused).
        let fields = |b: &CompoundBeacon| -> Vec<(&str, &str)> {
            item.iter()
                .copied()
                .filter(|(k, _)| b.parts().iter().any(|p| p.name() == *k))
                .collect()
        };
        assert_eq!(
            mixed.beacon(&fields(&mixed)).unwrap().unwrap(),
            expect("Mixed")
        );
        assert_eq!(
            name_title.beacon(&fields(&name_title)).unwrap().unwrap(),
            expect("NameTitle")
        );
        assert_eq!(
            year_name.beacon(&fields(&year_name)).unwrap().unwrap(),
            expect("YearName")
        );
        // Without Name, Mixed falls back to its second constructor.
        assert_eq!(
            mixed
                .beacon(&[("Title", "MyTitle"), ("Month", "May")])
                .unwrap()
                .unwrap(),
            format!("T_{}.M_May", &expect("NameTitle")[13..])
        );
        assert_eq!(mixed.beacon(&[("Year", "1984")]).unwrap(), None);
        // Queries on the same parts give the same values.
        let q = name_title
            .query(&[("Name", "MyName"), ("Title", "MyTitle")])
            .unwrap();
        assert!(q.is_complete());
        assert_eq!(q.value(), expect("NameTitle"));
        let q = name_title.query(&[("Name", "MyName")]).unwrap();
        assert!(!q.is_complete());
        assert!(expect("NameTitle").starts_with(&q.prefix()));
        // DB-ESDK refuses these query shapes for Mixed (N_N_, Y_N_, M_T_).
        assert!(
            mixed
                .query(&[("Year", "1984"), ("Name", "MyName")])
                .is_err()
        );
        assert!(mixed.query(&[("Month", "May"), ("Title", "x")]).is_err());
        // ... and accepts these.
        for q in [
            &[("Name", "MyName"), ("Year", "1984")][..],
            &[("Name", "MyName")],
            &[("Title", "foo")],
            &[("Title", "foo"), ("Month", "bar")],
        ] {
            mixed.query(q).unwrap();
        }
        assert!(mixed.query(&[("Title", "foo")]).unwrap().is_complete());
        // A plain part holding the split character is refused (DB-ESDK: "contains the
        // split character").
        let e = year_name
            .beacon(&[("Year", "19.84"), ("Name", "x")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("part `Year`") && e.contains("split character"),
            "{e}"
        );
    }

    #[test]
    fn fail_bad_compound_configurations() {
        let keys = BeaconKeys::from_secret(&SecretBytes::from_slice(&[7; 32])).unwrap();
        let b = |n: &str| keys.standard(n, 16, Normalization::NONE).unwrap();
        // DB-ESDK: "part Title with prefix T_ which is incompatible with part TooBad
        // which has a prefix of T".
        let e = CompoundBeacon::builder("BadPrefix", '.')
            .part(Part::beacon("T_", b("Title")))
            .part(Part::beacon("T", b("TooBad")))
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("prefix `T`, which begins the prefix `T_`"),
            "{e}"
        );
        let cases = [
            CompoundBeacon::builder("x", 'a').part(Part::beacon("A", b("a"))),
            CompoundBeacon::builder("x", '.'),
            CompoundBeacon::builder("x", '.')
                .part(Part::beacon("A", b("a")))
                .part(Part::beacon("B", b("a"))),
            CompoundBeacon::builder("x", '.').part(Part::beacon("", b("a"))),
            CompoundBeacon::builder("x", '.').part(Part::beacon("A.", b("a"))),
            CompoundBeacon::builder("x", '.')
                .part(Part::beacon("A", b("a")))
                .constructor(&[("b", true)]),
            CompoundBeacon::builder("x", '.')
                .part(Part::beacon("A", b("a")))
                .constructor(&[("a", false)]),
            CompoundBeacon::builder("x", '.')
                .part(Part::beacon("A", b("a")))
                .constructor(&[("a", true), ("a", true)]),
            CompoundBeacon::builder("", '.').part(Part::beacon("A", b("a"))),
        ];
        for (i, c) in cases.into_iter().enumerate() {
            assert!(c.build().is_err(), "case {i}");
        }
        let ok = CompoundBeacon::builder("x", '.')
            .part(Part::beacon("A", b("a")))
            .build()
            .unwrap();
        assert!(ok.beacon(&[("nope", "1")]).is_err());
        assert!(ok.beacon(&[("a", "1"), ("a", "2")]).is_err());
        assert_eq!(ok.beacon(&[]).unwrap(), None);
        assert!(ok.query(&[]).is_err());
    }

    #[test]
    fn fail_bad_standard_configurations() {
        assert!(BeaconKeys::from_secret(&SecretBytes::from_slice(&[7; 31])).is_err());
        let keys = BeaconKeys::from_secret(&SecretBytes::from_slice(&[7; 32])).unwrap();
        for bits in [0, 64, 100] {
            let e = keys
                .standard("email", bits, Normalization::NONE)
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("{bits} bits")), "{e}");
        }
        assert!(keys.standard("", 8, Normalization::NONE).is_err());
        let b = keys.standard("email", 8, Normalization::NONE).unwrap();
        assert!(b.clone().with_partitions(0).is_err());
        assert!(b.clone().with_partitions(256).is_err());
        let p = b.with_partitions(3).unwrap();
        assert!(p.beacon_in("x", 3).is_err());
        assert!(p.value_in("x", 2).is_ok());
        assert!(format!("{keys:?}").contains("REDACTED"));
    }

    #[test]
    fn partitions_spread_and_lookups_cover_them() {
        let keys = BeaconKeys::from_secret(&SecretBytes::from_slice(&[7; 32])).unwrap();
        let b = keys
            .standard("email", 24, Normalization::ALL)
            .unwrap()
            .with_partitions(4)
            .unwrap();
        let lookup = b.lookup("Alice@Example.com");
        assert_eq!(lookup.values().len(), 4);
        for p in 0..4 {
            assert_eq!(
                b.value_in("alice@example.com ", p).unwrap(),
                lookup.values()[usize::from(p)]
            );
        }
        assert_eq!(b.value("alice@example.com"), lookup.values()[0]);
        for _ in 0..100 {
            assert!(b.random_partition().unwrap() < 4);
        }
        assert!(lookup.matches(" ALICE@example.com"));
        assert!(!lookup.matches("bob@example.com"));
        assert!(lookup.matches_bytes(b"alice@example.com"));
        assert!(!lookup.matches_bytes(&[0xff]));
        assert!(!format!("{lookup:?}").contains("alice"));
        // 1 - (1 - 2^-24)^4 ~ 4 * 2^-24.
        let fp = b.false_positive_rate();
        assert!((fp / (4.0 * 2f64.powi(-24)) - 1.0).abs() < 1e-6, "{fp}");
    }

    #[test]
    fn leakage_helpers() {
        assert_eq!(StandardBeacon::bits_for(1_000_000, 2.0).unwrap(), 18);
        assert_eq!(StandardBeacon::bits_for(2, 1.0).unwrap(), 1);
        assert!(StandardBeacon::bits_for(3, 2.0).is_err());
        assert!(StandardBeacon::bits_for(100, 0.5).is_err());
        assert!(StandardBeacon::bits_for(100, f64::NAN).is_err());
        assert_eq!(StandardBeacon::bits_for(u64::MAX, 1.0).unwrap(), 63);
        let keys = BeaconKeys::from_secret(&SecretBytes::from_slice(&[7; 32])).unwrap();
        let b = keys.standard("email", 16, Normalization::NONE).unwrap();
        assert!((b.false_positive_rate() - 1.0 / 65536.0).abs() < 1e-15);
        assert!((b.expected_false_positives(655_360) - 10.0).abs() < 1e-9);
        assert!((b.expected_colliding_values(65_537) - 1.0).abs() < 1e-12);
        let bytes = b.value_of_bytes(b"x").unwrap();
        assert_eq!(bytes, b.value("x"));
        let n = keys.standard("email", 16, Normalization::ALL).unwrap();
        assert!(n.value_of_bytes(&[0xff]).is_err());
        assert_eq!(n.value_of_bytes(b"X ").unwrap(), n.value("x"));
    }
}
