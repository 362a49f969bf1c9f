//! Typed audit events and their canonical binary encoding (the log's leaf data).
//!
//! Events never carry plaintext or key material: keys appear by id, data subjects only
//! as keyed pseudonyms ([`SubjectRef`]), ciphertexts and records by a reference the
//! caller chooses.

use std::fmt;

use hmac::{KeyInit, Mac};
use jiff::Timestamp;
use jiff::civil::Date;
use sha2::Sha256;

use crate::secret::SecretBytes;
use crate::{Error, Result};

/// Version byte opening every encoded event.
pub const EVENT_VERSION: u8 = 1;
/// Domain-separation label of subject pseudonyms.
const SUBJECT_DOMAIN: &[u8] = b"privkit audit subject v1";

/// A data subject as it appears in the log: the first 16 bytes of
/// `HMAC-SHA256(key, "privkit audit subject v1" || 0x00 || subject id)`.
///
/// Without the key, a pseudonym cannot be linked to a subject (not even by trying
/// every customer number); with it, the service finds which of its subjects an event
/// names ([`SubjectPseudonymizer::find`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(into = "String", try_from = "String"))]
pub struct SubjectRef([u8; 16]);

impl SubjectRef {
    /// From its 16 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for SubjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::encoding::hex_encode(&self.0))
    }
}

impl fmt::Debug for SubjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectRef({self})")
    }
}

impl std::str::FromStr for SubjectRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let b = crate::encoding::hex_decode(s)?;
        Ok(Self(b.try_into().map_err(|_| {
            Error::Malformed("a subject pseudonym is 32 hex digits")
        })?))
    }
}

impl From<SubjectRef> for String {
    fn from(s: SubjectRef) -> Self {
        s.to_string()
    }
}

impl TryFrom<String> for SubjectRef {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

/// Turns subject ids into [`SubjectRef`] pseudonyms under a secret key (at least 32
/// bytes). Keep the key apart from the log: whoever holds both can tell which subjects
/// the log names.
pub struct SubjectPseudonymizer {
    mac: hmac::Hmac<Sha256>,
}

impl SubjectPseudonymizer {
    /// A pseudonymizer keyed with `key`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a key shorter than 32 bytes.
    pub fn new(key: &SecretBytes) -> Result<Self> {
        if key.len() < 32 {
            return Err(Error::invalid_argument(
                "subject pseudonym keys are at least 32 bytes",
            ));
        }
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key.expose_secret())
            .map_err(|_| Error::invalid_argument("invalid HMAC key"))?;
        mac.update(SUBJECT_DOMAIN);
        mac.update(&[0]);
        Ok(Self { mac })
    }

    /// The pseudonym of `subject`.
    #[must_use]
    pub fn pseudonym(&self, subject: &str) -> SubjectRef {
        let mut mac = self.mac.clone();
        mac.update(subject.as_bytes());
        let out = mac.finalize().into_bytes();
        let mut r = [0u8; 16];
        r.copy_from_slice(&out[..16]);
        SubjectRef(r)
    }

    /// Which of `subjects` have a pseudonym in `refs`: how a service turns the
    /// pseudonyms of a breach report back into the customers to notify.
    pub fn find<'s, I>(&self, subjects: I, refs: &[SubjectRef]) -> Vec<&'s str>
    where
        I: IntoIterator<Item = &'s str>,
    {
        let set: std::collections::HashSet<&SubjectRef> = refs.iter().collect();
        subjects
            .into_iter()
            .filter(|s| set.contains(&self.pseudonym(s)))
            .collect()
    }
}

impl fmt::Debug for SubjectPseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubjectPseudonymizer([REDACTED])")
    }
}

/// Which key an event is about. Ids only: never key material.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum KeyRef {
    /// A key of a keyset: the keyset's caller-chosen name and the 32-bit key id.
    Keyset {
        /// The keyset's name (`customers.email`).
        keyset: String,
        /// The key id inside the keyset.
        id: u32,
    },
    /// A key-encryption key by its id (a local KEK's name, a KMS key ARN).
    Kek(String),
    /// A data subject's key (crypto-shredding) by its 32-bit id.
    Subject(u32),
}

impl fmt::Display for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRef::Keyset { keyset, id } => write!(f, "keyset `{keyset}` key {id:#010x}"),
            KeyRef::Kek(id) => write!(f, "KEK `{id}`"),
            KeyRef::Subject(id) => write!(f, "subject key {id:#010x}"),
        }
    }
}

macro_rules! byte_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $n:literal => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
        #[non_exhaustive]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            /// The byte that encodes it.
            #[must_use]
            pub const fn code(self) -> u8 { match self { $($name::$v => $n),+ } }
            /// The value a byte encodes.
            ///
            /// # Errors
            /// [`Error::Malformed`] for an unassigned byte.
            pub fn from_code(b: u8) -> Result<Self> {
                match b { $($n => Ok($name::$v),)+ _ => Err(Error::Malformed(concat!("unknown ", stringify!($name), " code"))) }
            }
            /// Its lower-case name.
            #[must_use]
            pub const fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

byte_enum!(
    /// A use of a key.
    KeyOp {
        /// Keyset encryption of a value or record.
        Encrypt = 1 => "encrypt",
        /// Keyset decryption.
        Decrypt = 2 => "decrypt",
        /// Sealing an envelope (a data key used to encrypt).
        Seal = 3 => "seal",
        /// Opening an envelope.
        Open = 4 => "open",
        /// Re-wrapping an envelope's data key under other KEKs.
        Rewrap = 5 => "rewrap",
        /// A KEK wrapping a data key.
        Wrap = 6 => "wrap",
        /// A KEK unwrapping a data key.
        Unwrap = 7 => "unwrap",
    }
);

byte_enum!(
    /// A change in a key's life.
    LifecycleAction {
        /// A key was generated.
        Generate = 1 => "generate",
        /// A new primary key was added (rotation).
        Rotate = 2 => "rotate",
        /// A key became primary.
        Promote = 3 => "promote",
        /// A disabled key was enabled again.
        Enable = 4 => "enable",
        /// A key was disabled.
        Disable = 5 => "disable",
        /// A key's material was destroyed.
        Destroy = 6 => "destroy",
        /// Keys were exported (wrapped).
        Export = 7 => "export",
        /// Keys were imported.
        Import = 8 => "import",
    }
);

byte_enum!(
    /// What happened to a subject's key.
    SubjectKeyAction {
        /// The subject's key was created.
        Created = 1 => "created",
        /// The subject's key was destroyed: the subject's data is erased (Art. 17).
        Erased = 2 => "erased",
    }
);

byte_enum!(
    /// A retention verdict, as `retention::Verdict`.
    RetentionVerdict {
        /// Keep the data.
        Keep = 1 => "keep",
        /// The action is due now.
        ActNow = 2 => "act_now",
        /// The action falls due on a date.
        ActAt = 3 => "act_at",
    }
);

/// Key use: one operation, or many aggregated over a time window.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KeyUsage {
    /// The key.
    pub key: KeyRef,
    /// The operation.
    pub op: KeyOp,
    /// The algorithm's name (`AES-256-GCM`).
    pub algorithm: String,
    /// Number of operations (1 for a single one).
    pub count: u64,
    /// Plaintext bytes processed, in total.
    pub bytes: u64,
    /// For aggregated counts, the window `[start, end)` they were counted in.
    pub window: Option<(Timestamp, Timestamp)>,
    /// The data category (`user.contact.email`), if the caller gave one.
    pub category: Option<String>,
    /// The subject, for a single operation on one subject's data.
    pub subject: Option<SubjectRef>,
    /// A caller-chosen reference to the ciphertext produced or read (a row key, an
    /// object name): what breach scoping lists for a compromised key.
    pub ciphertext: Option<String>,
}

/// A key lifecycle change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KeyLifecycle {
    /// The key.
    pub key: KeyRef,
    /// What happened.
    pub action: LifecycleAction,
    /// The algorithm's name, when one applies.
    pub algorithm: Option<String>,
}

/// A call to a key-encryption key (local or a KMS).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KekCall {
    /// The KEK's id.
    pub kek: String,
    /// [`KeyOp::Wrap`] or [`KeyOp::Unwrap`].
    pub op: KeyOp,
    /// The error, if the call failed (a description without secrets).
    pub error: Option<String>,
}

/// A subject key was created or destroyed; an erasure's log entry is its receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubjectKeyEvent {
    /// The subject.
    pub subject: SubjectRef,
    /// The key's id.
    pub key_id: u32,
    /// Created or erased.
    pub action: SubjectKeyAction,
}

/// A retention decision, in a form independent of the schedule that made it
/// (`retention::Decision::to_audit` builds it).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetentionDecision {
    /// A caller-chosen reference to the record decided.
    pub record: Option<String>,
    /// The record's subject.
    pub subject: Option<SubjectRef>,
    /// The record's category.
    pub category: String,
    /// Keep, act now or act at a date.
    pub verdict: RetentionVerdict,
    /// The action due (`delete`, `anonymize`, ...).
    pub action: Option<String>,
    /// The day it is due.
    pub due: Option<Date>,
    /// The deciding rule's id.
    pub rule: Option<String>,
    /// The deciding legal hold's id.
    pub hold: Option<String>,
    /// The deciding purpose.
    pub purpose: Option<String>,
    /// Whether no rule covers the record (a gap in the schedule).
    pub unregulated: bool,
    /// The human-readable reason.
    pub reason: String,
}

/// Consent granted or withdrawn.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConsentChange {
    /// The subject.
    pub subject: SubjectRef,
    /// The purpose.
    pub purpose: String,
    /// Granted (`true`) or withdrawn.
    pub granted: bool,
    /// When the consent event took effect.
    pub effective: Timestamp,
    /// The version of the consent text.
    pub policy_version: String,
    /// The channel it came through.
    pub source: String,
}

/// A free-form application event. Attribute values are stored as given: put no
/// personal data in them (use `subject` for the subject).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ApplicationEvent {
    /// The event's name (`export.requested`).
    pub name: String,
    /// The subject concerned.
    pub subject: Option<SubjectRef>,
    /// Further attributes, in order.
    pub attributes: Vec<(String, String)>,
}

/// A step of the key-compromise procedure.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum CompromiseStep {
    /// The key was declared compromised.
    Declared,
    /// A new key replaced it as primary.
    Rotated {
        /// The new primary key.
        new_key: KeyRef,
    },
    /// The compromised key was disabled.
    Disabled,
    /// One envelope that used the key was re-wrapped.
    Rewrapped {
        /// The envelope's caller-chosen reference.
        envelope: String,
    },
    /// The procedure finished.
    Completed {
        /// Envelopes re-wrapped.
        rewrapped: u64,
    },
}

/// One logged step of handling a compromised key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KeyCompromise {
    /// The incident's id.
    pub incident: String,
    /// The compromised key.
    pub key: KeyRef,
    /// The step.
    pub step: CompromiseStep,
}

/// What an [`Event`] records.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EventKind {
    /// Key use.
    KeyUsage(KeyUsage),
    /// A key lifecycle change.
    KeyLifecycle(KeyLifecycle),
    /// A KEK call.
    KekCall(KekCall),
    /// A subject key created or erased.
    SubjectKey(SubjectKeyEvent),
    /// A retention decision.
    Retention(RetentionDecision),
    /// A consent change.
    Consent(ConsentChange),
    /// An application event.
    Application(ApplicationEvent),
    /// A step of a key-compromise procedure.
    KeyCompromise(KeyCompromise),
}

/// One audit event: when, by whom (a service or operator, never a subject), for which
/// purpose, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Event {
    /// When it happened.
    pub at: Timestamp,
    /// Who acted (`billing-service`, `ops:alice`).
    pub actor: String,
    /// The purpose of the processing (`billing`).
    pub purpose: Option<String>,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// An event at `at` by `actor`.
    #[must_use]
    pub fn new(at: Timestamp, actor: &str, kind: EventKind) -> Self {
        Self {
            at,
            actor: actor.to_owned(),
            purpose: None,
            kind,
        }
    }

    /// The event with a purpose.
    #[must_use]
    pub fn with_purpose(mut self, purpose: &str) -> Self {
        self.purpose = Some(purpose.to_owned());
        self
    }

    /// The subjects the event names.
    #[must_use]
    pub fn subject(&self) -> Option<SubjectRef> {
        match &self.kind {
            EventKind::KeyUsage(u) => u.subject,
            EventKind::SubjectKey(s) => Some(s.subject),
            EventKind::Retention(r) => r.subject,
            EventKind::Consent(c) => Some(c.subject),
            EventKind::Application(a) => a.subject,
            _ => None,
        }
    }

    /// The key the event is about, if any.
    #[must_use]
    pub fn key(&self) -> Option<KeyRef> {
        match &self.kind {
            EventKind::KeyUsage(u) => Some(u.key.clone()),
            EventKind::KeyLifecycle(l) => Some(l.key.clone()),
            EventKind::KekCall(k) => Some(KeyRef::Kek(k.kek.clone())),
            EventKind::SubjectKey(s) => Some(KeyRef::Subject(s.key_id)),
            EventKind::KeyCompromise(c) => Some(c.key.clone()),
            _ => None,
        }
    }

    /// The data category the event is about, if any.
    #[must_use]
    pub fn category(&self) -> Option<&str> {
        match &self.kind {
            EventKind::KeyUsage(u) => u.category.as_deref(),
            EventKind::Retention(r) => Some(&r.category),
            _ => None,
        }
    }

    /// The canonical binary encoding (`docs/FORMAT.md`, "Audit events"): the bytes the
    /// log stores and hashes.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] for a string over 65,535 bytes or more than 65,535
    /// attributes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut w = Writer(Vec::with_capacity(96));
        w.u8(EVENT_VERSION);
        w.u8(self.kind_code());
        w.ts(self.at);
        w.str(&self.actor)?;
        w.opt_str(self.purpose.as_deref())?;
        match &self.kind {
            EventKind::KeyUsage(u) => {
                w.key(&u.key)?;
                w.u8(u.op.code());
                w.str(&u.algorithm)?;
                w.u64(u.count);
                w.u64(u.bytes);
                match u.window {
                    Some((a, b)) => {
                        w.u8(1);
                        w.ts(a);
                        w.ts(b);
                    }
                    None => w.u8(0),
                }
                w.opt_str(u.category.as_deref())?;
                w.opt_subject(u.subject);
                w.opt_str(u.ciphertext.as_deref())?;
            }
            EventKind::KeyLifecycle(l) => {
                w.key(&l.key)?;
                w.u8(l.action.code());
                w.opt_str(l.algorithm.as_deref())?;
            }
            EventKind::KekCall(k) => {
                w.str(&k.kek)?;
                w.u8(k.op.code());
                w.opt_str(k.error.as_deref())?;
            }
            EventKind::SubjectKey(s) => {
                w.0.extend_from_slice(s.subject.as_bytes());
                w.u32(s.key_id);
                w.u8(s.action.code());
            }
            EventKind::Retention(r) => {
                w.opt_str(r.record.as_deref())?;
                w.opt_subject(r.subject);
                w.str(&r.category)?;
                w.u8(r.verdict.code());
                w.opt_str(r.action.as_deref())?;
                match r.due {
                    Some(d) => {
                        w.u8(1);
                        w.0.extend_from_slice(&d.year().to_be_bytes());
                        w.u8(d.month().unsigned_abs());
                        w.u8(d.day().unsigned_abs());
                    }
                    None => w.u8(0),
                }
                w.opt_str(r.rule.as_deref())?;
                w.opt_str(r.hold.as_deref())?;
                w.opt_str(r.purpose.as_deref())?;
                w.u8(u8::from(r.unregulated));
                w.str(&r.reason)?;
            }
            EventKind::Consent(c) => {
                w.0.extend_from_slice(c.subject.as_bytes());
                w.str(&c.purpose)?;
                w.u8(u8::from(c.granted));
                w.ts(c.effective);
                w.str(&c.policy_version)?;
                w.str(&c.source)?;
            }
            EventKind::Application(a) => {
                w.str(&a.name)?;
                w.opt_subject(a.subject);
                let n = u16::try_from(a.attributes.len())
                    .map_err(|_| Error::limit("attributes of one event", 65_535))?;
                w.0.extend_from_slice(&n.to_be_bytes());
                for (k, v) in &a.attributes {
                    w.str(k)?;
                    w.str(v)?;
                }
            }
            EventKind::KeyCompromise(c) => {
                w.str(&c.incident)?;
                w.key(&c.key)?;
                match &c.step {
                    CompromiseStep::Declared => w.u8(1),
                    CompromiseStep::Rotated { new_key } => {
                        w.u8(2);
                        w.key(new_key)?;
                    }
                    CompromiseStep::Disabled => w.u8(3),
                    CompromiseStep::Rewrapped { envelope } => {
                        w.u8(4);
                        w.str(envelope)?;
                    }
                    CompromiseStep::Completed { rewrapped } => {
                        w.u8(5);
                        w.u64(*rewrapped);
                    }
                }
            }
        }
        Ok(w.0)
    }

    fn kind_code(&self) -> u8 {
        match self.kind {
            EventKind::KeyUsage(_) => 1,
            EventKind::KeyLifecycle(_) => 2,
            EventKind::KekCall(_) => 3,
            EventKind::SubjectKey(_) => 4,
            EventKind::Retention(_) => 5,
            EventKind::Consent(_) => 6,
            EventKind::Application(_) => 7,
            EventKind::KeyCompromise(_) => 8,
        }
    }

    /// Decodes [`encode`](Self::encode)'s bytes; refuses anything else (trailing bytes,
    /// unknown codes, invalid UTF-8), so every event has exactly one encoding.
    ///
    /// # Errors
    /// [`Error::UnsupportedVersion`] for another version byte; [`Error::Malformed`].
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader(bytes);
        let version = r.u8()?;
        if version != EVENT_VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let kind = r.u8()?;
        let at = r.ts()?;
        let actor = r.str()?;
        let purpose = r.opt_str()?;
        let kind = match kind {
            1 => EventKind::KeyUsage(KeyUsage {
                key: r.key()?,
                op: KeyOp::from_code(r.u8()?)?,
                algorithm: r.str()?,
                count: r.u64()?,
                bytes: r.u64()?,
                window: match r.flag()? {
                    true => Some((r.ts()?, r.ts()?)),
                    false => None,
                },
                category: r.opt_str()?,
                subject: r.opt_subject()?,
                ciphertext: r.opt_str()?,
            }),
            2 => EventKind::KeyLifecycle(KeyLifecycle {
                key: r.key()?,
                action: LifecycleAction::from_code(r.u8()?)?,
                algorithm: r.opt_str()?,
            }),
            3 => EventKind::KekCall(KekCall {
                kek: r.str()?,
                op: KeyOp::from_code(r.u8()?)?,
                error: r.opt_str()?,
            }),
            4 => EventKind::SubjectKey(SubjectKeyEvent {
                subject: r.subject()?,
                key_id: r.u32()?,
                action: SubjectKeyAction::from_code(r.u8()?)?,
            }),
            5 => EventKind::Retention(RetentionDecision {
                record: r.opt_str()?,
                subject: r.opt_subject()?,
                category: r.str()?,
                verdict: RetentionVerdict::from_code(r.u8()?)?,
                action: r.opt_str()?,
                due: match r.flag()? {
                    true => {
                        let y = i16::from_be_bytes(r.array()?);
                        let m = r.u8()?;
                        let d = r.u8()?;
                        let (Ok(m), Ok(d)) = (i8::try_from(m), i8::try_from(d)) else {
                            return Err(Error::Malformed("invalid date in event"));
                        };
                        Some(
                            Date::new(y, m, d)
                                .map_err(|_| Error::Malformed("invalid date in event"))?,
                        )
                    }
                    false => None,
                },
                rule: r.opt_str()?,
                hold: r.opt_str()?,
                purpose: r.opt_str()?,
                unregulated: r.flag()?,
                reason: r.str()?,
            }),
            6 => EventKind::Consent(ConsentChange {
                subject: r.subject()?,
                purpose: r.str()?,
                granted: r.flag()?,
                effective: r.ts()?,
                policy_version: r.str()?,
                source: r.str()?,
            }),
            7 => {
                let name = r.str()?;
                let subject = r.opt_subject()?;
                let n = u16::from_be_bytes(r.array()?);
                let mut attributes = Vec::with_capacity(usize::from(n).min(256));
                for _ in 0..n {
                    attributes.push((r.str()?, r.str()?));
                }
                EventKind::Application(ApplicationEvent {
                    name,
                    subject,
                    attributes,
                })
            }
            8 => EventKind::KeyCompromise(KeyCompromise {
                incident: r.str()?,
                key: r.key()?,
                step: match r.u8()? {
                    1 => CompromiseStep::Declared,
                    2 => CompromiseStep::Rotated { new_key: r.key()? },
                    3 => CompromiseStep::Disabled,
                    4 => CompromiseStep::Rewrapped { envelope: r.str()? },
                    5 => CompromiseStep::Completed {
                        rewrapped: r.u64()?,
                    },
                    _ => return Err(Error::Malformed("unknown key-compromise step")),
                },
            }),
            _ => return Err(Error::Malformed("unknown audit event kind")),
        };
        if !r.0.is_empty() {
            return Err(Error::Malformed("trailing bytes after audit event"));
        }
        Ok(Self {
            at,
            actor,
            purpose,
            kind,
        })
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, b: u8) {
        self.0.push(b);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn ts(&mut self, t: Timestamp) {
        self.0.extend_from_slice(&t.as_second().to_be_bytes());
        self.0
            .extend_from_slice(&t.subsec_nanosecond().to_be_bytes());
    }
    fn str(&mut self, s: &str) -> Result<()> {
        let n = u16::try_from(s.len())
            .map_err(|_| Error::limit("string length in an audit event", 65_535))?;
        self.0.extend_from_slice(&n.to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
    fn opt_str(&mut self, s: Option<&str>) -> Result<()> {
        match s {
            Some(s) => {
                self.u8(1);
                self.str(s)
            }
            None => {
                self.u8(0);
                Ok(())
            }
        }
    }
    fn opt_subject(&mut self, s: Option<SubjectRef>) {
        match s {
            Some(s) => {
                self.u8(1);
                self.0.extend_from_slice(s.as_bytes());
            }
            None => self.u8(0),
        }
    }
    fn key(&mut self, k: &KeyRef) -> Result<()> {
        match k {
            KeyRef::Keyset { keyset, id } => {
                self.u8(1);
                self.str(keyset)?;
                self.u32(*id);
            }
            KeyRef::Kek(id) => {
                self.u8(2);
                self.str(id)?;
            }
            KeyRef::Subject(id) => {
                self.u8(3);
                self.u32(*id);
            }
        }
        Ok(())
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.0.len() < n {
            return Err(Error::Malformed("audit event truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn flag(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::Malformed("presence byte must be 0 or 1")),
        }
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn ts(&mut self) -> Result<Timestamp> {
        let s = i64::from_be_bytes(self.array()?);
        let n = i32::from_be_bytes(self.array()?);
        let t = Timestamp::new(s, n).map_err(|_| Error::Malformed("invalid timestamp in event"))?;
        // One encoding per instant: jiff normalizes mixed signs, the format does not.
        if t.as_second() != s || t.subsec_nanosecond() != n {
            return Err(Error::Malformed("non-canonical timestamp in event"));
        }
        Ok(t)
    }
    fn str(&mut self) -> Result<String> {
        let n = u16::from_be_bytes(self.array()?);
        let b = self.take(usize::from(n))?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| Error::Malformed("invalid UTF-8 in audit event"))
    }
    fn opt_str(&mut self) -> Result<Option<String>> {
        if self.flag()? {
            Ok(Some(self.str()?))
        } else {
            Ok(None)
        }
    }
    fn subject(&mut self) -> Result<SubjectRef> {
        Ok(SubjectRef(self.array()?))
    }
    fn opt_subject(&mut self) -> Result<Option<SubjectRef>> {
        if self.flag()? {
            Ok(Some(self.subject()?))
        } else {
            Ok(None)
        }
    }
    fn key(&mut self) -> Result<KeyRef> {
        match self.u8()? {
            1 => Ok(KeyRef::Keyset {
                keyset: self.str()?,
                id: self.u32()?,
            }),
            2 => Ok(KeyRef::Kek(self.str()?)),
            3 => Ok(KeyRef::Subject(self.u32()?)),
            _ => Err(Error::Malformed("unknown key reference kind")),
        }
    }
}
