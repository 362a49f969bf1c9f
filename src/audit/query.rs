//! Breach scoping: queries over logged events, and the log side of the key-compromise
//! procedure.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::event::{CompromiseStep, Event, EventKind, KeyCompromise, KeyOp, KeyRef, SubjectRef};
use super::sink::Auditor;
use super::store::DurableLog;
use crate::Result;

impl DurableLog {
    /// The log's entries in `range`, decoded as [`Event`]s, with their indices.
    pub fn events(
        &self,
        range: std::ops::Range<u64>,
    ) -> impl Iterator<Item = Result<(u64, Event)>> + '_ {
        self.entries(range)
            .map(|r| r.and_then(|(i, e)| Ok((i, Event::decode(&e)?))))
    }
}

/// A filter over events: a time window, an actor, a key, a subject, a category.
/// Unset criteria match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    from: Option<Timestamp>,
    until: Option<Timestamp>,
    actor: Option<String>,
    key: Option<KeyRef>,
    subject: Option<SubjectRef>,
    category: Option<String>,
}

impl Query {
    /// A query matching every event.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Events at or after `from` and before `until`.
    #[must_use]
    pub fn between(mut self, from: Timestamp, until: Timestamp) -> Self {
        self.from = Some(from);
        self.until = Some(until);
        self
    }

    /// Events at or after `from`.
    #[must_use]
    pub fn since(mut self, from: Timestamp) -> Self {
        self.from = Some(from);
        self
    }

    /// Events by `actor`.
    #[must_use]
    pub fn actor(mut self, actor: &str) -> Self {
        self.actor = Some(actor.to_owned());
        self
    }

    /// Events about `key`.
    #[must_use]
    pub fn key(mut self, key: KeyRef) -> Self {
        self.key = Some(key);
        self
    }

    /// Events naming `subject`.
    #[must_use]
    pub fn subject(mut self, subject: SubjectRef) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Events about `category` or a category below it (`user.contact` matches
    /// `user.contact.email`).
    #[must_use]
    pub fn category(mut self, category: &str) -> Self {
        self.category = Some(category.to_owned());
        self
    }

    /// Whether `event` matches. An aggregated count matches a window if its counting
    /// window overlaps it.
    #[must_use]
    pub fn matches(&self, event: &Event) -> bool {
        let (start, end) = match &event.kind {
            EventKind::KeyUsage(u) => u.window.unwrap_or((event.at, event.at)),
            _ => (event.at, event.at),
        };
        if self.from.is_some_and(|f| end < f) || self.until.is_some_and(|u| start >= u) {
            return false;
        }
        if self.actor.as_ref().is_some_and(|a| *a != event.actor) {
            return false;
        }
        if self.key.is_some() && event.key() != self.key {
            return false;
        }
        if self.subject.is_some() && event.subject() != self.subject {
            return false;
        }
        if let Some(c) = &self.category {
            let Some(ec) = event.category() else {
                return false;
            };
            let below = ec
                .strip_prefix(c.as_str())
                .is_some_and(|r| r.is_empty() || r.starts_with('.'));
            if !below {
                return false;
            }
        }
        true
    }

    /// Runs the query over `events` (for instance [`DurableLog::events`]) and collects
    /// what the matching events touched.
    ///
    /// # Errors
    /// The first error of `events` (a corrupted or undecodable entry).
    pub fn scope<I>(&self, events: I) -> Result<Scope>
    where
        I: IntoIterator<Item = Result<(u64, Event)>>,
    {
        let mut s = Scope::default();
        for item in events {
            let (index, event) = item?;
            if !self.matches(&event) {
                continue;
            }
            s.add(index, &event);
        }
        Ok(s)
    }
}

/// What a set of events touched: keys, subjects, categories, ciphertexts, per actor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Scope {
    /// Matching events.
    pub events: u64,
    /// Their log indices (the evidence: each has an inclusion proof).
    pub entries: Vec<u64>,
    /// Earliest and latest time covered.
    pub first: Option<Timestamp>,
    /// Latest time covered.
    pub last: Option<Timestamp>,
    /// Keys touched.
    pub keys: BTreeSet<KeyRef>,
    /// Subjects named.
    pub subjects: BTreeSet<SubjectRef>,
    /// Data categories touched.
    pub categories: BTreeSet<String>,
    /// Ciphertext references produced or read.
    pub ciphertexts: BTreeSet<String>,
    /// Encryptions (including aggregated counts): an upper bound on records written.
    pub encryptions: u64,
    /// Decryptions and opens (including aggregated counts).
    pub decryptions: u64,
    /// Per actor: keys, subjects and categories touched.
    pub by_actor: BTreeMap<String, ActorScope>,
}

/// What one actor touched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ActorScope {
    /// Matching events by this actor.
    pub events: u64,
    /// Keys.
    pub keys: BTreeSet<KeyRef>,
    /// Subjects.
    pub subjects: BTreeSet<SubjectRef>,
    /// Categories.
    pub categories: BTreeSet<String>,
}

impl Scope {
    fn add(&mut self, index: u64, e: &Event) {
        self.events += 1;
        self.entries.push(index);
        let (start, end) = match &e.kind {
            EventKind::KeyUsage(u) => u.window.unwrap_or((e.at, e.at)),
            _ => (e.at, e.at),
        };
        self.first = Some(self.first.map_or(start, |f| f.min(start)));
        self.last = Some(self.last.map_or(end, |l| l.max(end)));
        let actor = self.by_actor.entry(e.actor.clone()).or_default();
        actor.events += 1;
        if let Some(k) = e.key() {
            actor.keys.insert(k.clone());
            self.keys.insert(k);
        }
        if let Some(s) = e.subject() {
            actor.subjects.insert(s);
            self.subjects.insert(s);
        }
        if let Some(c) = e.category() {
            actor.categories.insert(c.to_owned());
            self.categories.insert(c.to_owned());
        }
        if let EventKind::KeyUsage(u) = &e.kind {
            if let Some(c) = &u.ciphertext {
                self.ciphertexts.insert(c.clone());
            }
            match u.op {
                KeyOp::Encrypt | KeyOp::Seal | KeyOp::Rewrap => self.encryptions += u.count,
                KeyOp::Decrypt | KeyOp::Open => self.decryptions += u.count,
                _ => {}
            }
        }
    }
}

/// The log side of the key-compromise procedure: each step is logged as it is taken,
/// so the incident's record shows what was done and when.
///
/// The steps themselves act on keysets and envelopes: implement [`CompromiseTarget`]
/// for them and run [`handle_key_compromise`], or drive the steps yourself.
#[derive(Debug)]
pub struct CompromiseLog<'a> {
    auditor: &'a Auditor,
    incident: String,
    key: KeyRef,
    rewrapped: u64,
}

impl<'a> CompromiseLog<'a> {
    /// Declares `key` compromised for `incident` (logged).
    ///
    /// # Errors
    /// The sink's.
    pub fn declare(auditor: &'a Auditor, incident: &str, key: KeyRef) -> Result<Self> {
        let log = Self {
            auditor,
            incident: incident.to_owned(),
            key,
            rewrapped: 0,
        };
        log.step(CompromiseStep::Declared)?;
        Ok(log)
    }

    fn step(&self, step: CompromiseStep) -> Result<Option<u64>> {
        self.auditor.record(EventKind::KeyCompromise(KeyCompromise {
            incident: self.incident.clone(),
            key: self.key.clone(),
            step,
        }))
    }

    /// Logs that `new_key` replaced the compromised key as primary.
    ///
    /// # Errors
    /// The sink's.
    pub fn rotated(&self, new_key: KeyRef) -> Result<()> {
        self.step(CompromiseStep::Rotated { new_key }).map(|_| ())
    }

    /// Logs that the compromised key was disabled.
    ///
    /// # Errors
    /// The sink's.
    pub fn disabled(&self) -> Result<()> {
        self.step(CompromiseStep::Disabled).map(|_| ())
    }

    /// Logs that the envelope `envelope` was re-wrapped away from the key.
    ///
    /// # Errors
    /// The sink's.
    pub fn rewrapped(&mut self, envelope: &str) -> Result<()> {
        self.step(CompromiseStep::Rewrapped {
            envelope: envelope.to_owned(),
        })?;
        self.rewrapped += 1;
        Ok(())
    }

    /// Logs the end of the procedure; returns how many envelopes were re-wrapped.
    ///
    /// # Errors
    /// The sink's.
    pub fn complete(self) -> Result<u64> {
        self.step(CompromiseStep::Completed {
            rewrapped: self.rewrapped,
        })?;
        Ok(self.rewrapped)
    }
}

/// What the key-compromise procedure acts on: a keyset or KEK and the envelopes that
/// used it. Implemented by the application (or by privkit's keyset and envelope types
/// once they carry an audit sink).
pub trait CompromiseTarget {
    /// Makes a new key primary in place of `compromised`; returns the new key.
    ///
    /// # Errors
    /// The key store's.
    fn rotate(&mut self, compromised: &KeyRef) -> Result<KeyRef>;

    /// Disables `compromised` so that nothing new is encrypted or opened under it.
    ///
    /// # Errors
    /// The key store's.
    fn disable(&mut self, compromised: &KeyRef) -> Result<()>;

    /// Re-wraps every envelope that used `compromised` under the new key, calling
    /// `done` with each envelope's reference after it is stored.
    ///
    /// # Errors
    /// The store's or `done`'s.
    fn rewrap_all(
        &mut self,
        compromised: &KeyRef,
        done: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()>;
}

/// Runs the key-compromise procedure on `target`: declare, rotate, re-wrap every
/// envelope, disable, complete; each step logged through `auditor` before the next
/// starts. Returns the number of envelopes re-wrapped.
///
/// The old key is disabled after re-wrapping, because re-wrapping must still unwrap
/// data keys with it.
///
/// # Errors
/// The first failing step's error; the log shows how far the procedure got.
pub fn handle_key_compromise(
    target: &mut dyn CompromiseTarget,
    auditor: &Auditor,
    incident: &str,
    key: &KeyRef,
) -> Result<u64> {
    let mut log = CompromiseLog::declare(auditor, incident, key.clone())?;
    let new_key = target.rotate(key)?;
    log.rotated(new_key)?;
    target.rewrap_all(key, &mut |envelope| log.rewrapped(envelope))?;
    target.disable(key)?;
    log.disabled()?;
    log.complete()
}
