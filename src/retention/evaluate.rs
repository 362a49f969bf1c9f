//! Evaluation: record facts in, decisions out.
//!
//! An [`Evaluator`] fixes "today" and precomputes, for every rule, the last trigger day
//! whose period has run out by today (a cut-off). Deciding one record is then a table
//! lookup by category class and purpose plus date comparisons: no allocation, no string
//! handling, and calendar arithmetic only when several purposes must be compared or when
//! the caller asks for a due date.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;

use super::category::Category;
use super::policy::{Action, LegalHold, NO_RULE, Node, Purpose, Rule, Schedule, Trigger};
use crate::{Error, Result};

/// A record's category resolved against one schedule ([`Schedule::classify`]).
///
/// Resolve each distinct category once and reuse the id for every record in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClassId(u32);

/// A purpose declared in a schedule ([`Schedule::purpose_id`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PurposeId(u8);

/// A set of purposes of one schedule ([`Schedule::purpose_set`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PurposeSet(u64);

impl PurposeSet {
    /// The empty set.
    #[must_use]
    pub const fn empty() -> Self {
        Self(0)
    }

    /// This set with `purpose` added.
    #[must_use]
    pub const fn with(self, purpose: PurposeId) -> Self {
        Self(self.0 | (1 << purpose.0))
    }

    /// Whether `purpose` is in the set.
    #[must_use]
    pub const fn contains(self, purpose: PurposeId) -> bool {
        self.0 & (1 << purpose.0) != 0
    }

    /// Whether the set is empty.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A custom event named by a rule's trigger ([`Schedule::event_id`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventId(u16);

/// A legal hold of a schedule ([`Schedule::hold_id`]), for listing in a record's facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HoldId(u16);

/// What the schedule needs to know about one record.
///
/// Built with [`Facts::new`] and the chained setters; it borrows its slices, so
/// building facts for a batch allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    class: ClassId,
    purposes: PurposeSet,
    collected: Timestamp,
    last_activity: Option<Timestamp>,
    contract_end: Option<Timestamp>,
    consent_withdrawn: &'a [(PurposeId, Timestamp)],
    events: &'a [(EventId, Timestamp)],
    holds: &'a [HoldId],
}

impl<'a> Facts<'a> {
    /// A record of category class `class`, held for `purposes`, collected at `collected`.
    #[must_use]
    pub const fn new(class: ClassId, purposes: PurposeSet, collected: Timestamp) -> Self {
        Self {
            class,
            purposes,
            collected,
            last_activity: None,
            contract_end: None,
            consent_withdrawn: &[],
            events: &[],
            holds: &[],
        }
    }

    /// The subject's last activity (without it, `last_activity` rules count from
    /// collection).
    #[must_use]
    pub const fn last_activity(mut self, at: Timestamp) -> Self {
        self.last_activity = Some(at);
        self
    }

    /// The end of the subject's contract (without it, the contract is still running).
    #[must_use]
    pub const fn contract_end(mut self, at: Timestamp) -> Self {
        self.contract_end = Some(at);
        self
    }

    /// Consent withdrawals in force, per purpose (see
    /// [`ConsentLedger::withdrawals`](super::ConsentLedger::withdrawals)).
    #[must_use]
    pub const fn consent_withdrawn(mut self, withdrawals: &'a [(PurposeId, Timestamp)]) -> Self {
        self.consent_withdrawn = withdrawals;
        self
    }

    /// Custom events that have happened.
    #[must_use]
    pub const fn events(mut self, events: &'a [(EventId, Timestamp)]) -> Self {
        self.events = events;
        self
    }

    /// Listed legal holds naming this record.
    #[must_use]
    pub const fn holds(mut self, holds: &'a [HoldId]) -> Self {
        self.holds = holds;
        self
    }
}

impl Schedule {
    /// The class of `category`: the most specific category named by a rule or hold that
    /// contains it (or the root, matched only by `*` rules).
    #[must_use]
    pub fn classify(&self, category: &Category) -> ClassId {
        category
            .prefixes()
            .find_map(|p| self.node_by_name.get(p).copied())
            .map_or(ClassId(0), ClassId)
    }

    /// Parses `category` and returns its class.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `category` is not a valid category name.
    pub fn class_of(&self, category: &str) -> Result<ClassId> {
        Ok(self.classify(&Category::new(category)?))
    }

    /// The id of a declared purpose.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the schedule does not declare `purpose`.
    pub fn purpose_id(&self, purpose: &str) -> Result<PurposeId> {
        self.purposes
            .iter()
            .position(|p| p.name.as_str() == purpose)
            .and_then(|i| u8::try_from(i).ok())
            .map(PurposeId)
            .ok_or_else(|| {
                Error::invalid_argument(format_args!(
                    "purpose `{}` is not declared in the schedule",
                    purpose.escape_default()
                ))
            })
    }

    /// The set of the named purposes.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if one is not declared.
    pub fn purpose_set<'p>(
        &self,
        purposes: impl IntoIterator<Item = &'p str>,
    ) -> Result<PurposeSet> {
        purposes
            .into_iter()
            .try_fold(PurposeSet::empty(), |set, p| {
                Ok(set.with(self.purpose_id(p)?))
            })
    }

    /// The id of a custom event used by some rule's trigger.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if no rule triggers on `event`.
    pub fn event_id(&self, event: &str) -> Result<EventId> {
        self.events
            .iter()
            .position(|e| e.as_str() == event)
            .and_then(|i| u16::try_from(i).ok())
            .map(EventId)
            .ok_or_else(|| {
                Error::invalid_argument(format_args!(
                    "no rule triggers on event `{}`",
                    event.escape_default()
                ))
            })
    }

    /// The id of a legal hold.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the schedule has no hold `hold`.
    pub fn hold_id(&self, hold: &str) -> Result<HoldId> {
        self.holds
            .iter()
            .position(|h| h.id() == hold)
            .and_then(|i| u16::try_from(i).ok())
            .map(HoldId)
            .ok_or_else(|| {
                Error::invalid_argument(format_args!("no legal hold `{}`", hold.escape_default()))
            })
    }

    /// The calendar day of `at` in the schedule's time zone.
    #[must_use]
    pub fn day_of(&self, at: Timestamp) -> Date {
        self.time_zone.to_datetime(at).date()
    }

    /// An evaluator for the day that contains `now` in the schedule's time zone.
    #[must_use]
    pub fn evaluator(&self, now: Timestamp) -> Evaluator<'_> {
        self.evaluator_on(self.day_of(now))
    }

    /// An evaluator for `today`: precomputes per-rule cut-offs and which holds are in force.
    #[must_use]
    pub fn evaluator_on(&self, today: Date) -> Evaluator<'_> {
        let cutoffs: Box<[Option<Date>]> = self
            .rules
            .iter()
            .map(|r| r.period().cutoff(today))
            .collect();
        // In a fixed-offset zone (UTC by default) the calendar day is monotone in the
        // instant, so "trigger day <= cut-off" is "trigger < start of the next day":
        // one timestamp comparison per record instead of a zone conversion.
        let thresholds = self.time_zone.to_fixed_offset().ok().map(|offset| {
            cutoffs
                .iter()
                .map(|c| match c {
                    None => Threshold::Never,
                    Some(c) => match c.tomorrow() {
                        Ok(next) => offset
                            .to_timestamp(next.at(0, 0, 0, 0))
                            .map_or(Threshold::Always, Threshold::Before),
                        Err(_) => Threshold::Always,
                    },
                })
                .collect()
        });
        let hold_in_force: Box<[bool]> = self.holds.iter().map(|h| h.in_force(today)).collect();
        let future = |h: &LegalHold| (h.from() > today).then_some(h.from());
        let node_hold = self
            .nodes
            .iter()
            .map(|n| {
                n.holds
                    .iter()
                    .copied()
                    .find(|&h| hold_in_force.get(usize::from(h)) == Some(&true))
                    .unwrap_or(NO_RULE)
            })
            .collect();
        let node_hold_start = self
            .nodes
            .iter()
            .map(|n| {
                n.holds
                    .iter()
                    .filter_map(|&h| self.holds.get(usize::from(h)).and_then(future))
                    .min()
            })
            .collect();
        Evaluator {
            schedule: self,
            today,
            cutoffs,
            thresholds,
            hold_in_force,
            node_hold,
            node_hold_start,
        }
    }
}

/// Decides records against a [`Schedule`] as of one day.
///
/// Create one per sweep with [`Schedule::evaluator`]; it is cheap to create and
/// `Sync`, so one evaluator can serve several threads.
#[derive(Clone, Debug)]
pub struct Evaluator<'s> {
    schedule: &'s Schedule,
    today: Date,
    cutoffs: Box<[Option<Date>]>,
    /// Per rule, the cut-off as an instant; only for fixed-offset zones.
    thresholds: Option<Box<[Threshold]>>,
    hold_in_force: Box<[bool]>,
    node_hold: Box<[u16]>,
    node_hold_start: Box<[Option<Date>]>,
}

/// A rule's cut-off as an instant: triggers before it have run out their period.
#[derive(Clone, Copy, Debug)]
enum Threshold {
    Never,
    Before(Timestamp),
    Always,
}

/// The kind of a [`Decision`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Keep the data: a hold is in force, a trigger is pending, or no rule applies.
    Keep,
    /// The period has run out: the action is due now.
    ActNow,
    /// The action falls due on [`Decision::due`].
    ActAt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    Hold(u16),
    /// `several`: more than one purpose was weighed.
    Rule {
        rule: u16,
        purpose: u8,
        trigger: Timestamp,
        several: bool,
    },
    Pending {
        rule: u16,
        purpose: u8,
    },
    NoRule {
        purpose: u8,
    },
    NoPurpose,
}

/// The outcome for one record: a [`Verdict`], the rule or hold that decided it, and a
/// [`reason`](Decision::reason) for audit logs (formatted only when displayed).
#[derive(Clone, Copy)]
pub struct Decision<'s> {
    schedule: &'s Schedule,
    verdict: Verdict,
    cause: Cause,
    hold_start: Option<Date>,
}

#[derive(Clone, Copy)]
struct Candidate {
    rule: u16,
    purpose: u8,
    trigger: Timestamp,
    due_now: bool,
}

impl<'s> Evaluator<'s> {
    /// The day this evaluator decides for.
    #[must_use]
    pub fn today(&self) -> Date {
        self.today
    }

    /// The schedule it evaluates.
    #[must_use]
    pub fn schedule(&self) -> &'s Schedule {
        self.schedule
    }

    fn decision(&self, verdict: Verdict, cause: Cause, hold_start: Option<Date>) -> Decision<'s> {
        Decision {
            schedule: self.schedule,
            verdict,
            cause,
            hold_start,
        }
    }

    /// Decides one record. Precedence, in order:
    ///
    /// 1. a legal hold in force (scoped to the record's category or listed in its facts)
    ///    keeps the data;
    /// 2. for each purpose, the rule of the most specific category that covers the record
    ///    decides (a rule for the purpose itself beats a `*` rule of equal specificity);
    /// 3. the data stays while any purpose still needs it: a purpose without a rule, or
    ///    whose trigger has not happened, keeps it; otherwise the purpose whose period
    ///    ends last decides, and on a tie the least destructive action wins.
    ///
    /// A [`ClassId`], [`PurposeId`] or [`HoldId`] from another schedule is never a panic:
    /// an unknown class counts as the root, an unknown purpose as one without a rule, an
    /// unknown hold is ignored.
    #[must_use]
    pub fn evaluate(&self, facts: &Facts<'_>) -> Decision<'s> {
        let s = self.schedule;
        let (class, node) = match usize::try_from(facts.class.0)
            .ok()
            .and_then(|i| s.nodes.get(i).map(|n| (i, n)))
        {
            Some(found) => found,
            None => match s.nodes.first() {
                Some(root) => (0, root),
                None => return self.decision(Verdict::Keep, Cause::NoPurpose, None),
            },
        };
        let held = self.node_hold.get(class).copied().unwrap_or(NO_RULE);
        if held != NO_RULE {
            return self.decision(Verdict::Keep, Cause::Hold(held), None);
        }
        let mut hold_start = self.node_hold_start.get(class).copied().flatten();
        for &HoldId(h) in facts.holds {
            match self.hold_in_force.get(usize::from(h)) {
                Some(true) => return self.decision(Verdict::Keep, Cause::Hold(h), None),
                Some(false) => {
                    if let Some(from) = s.holds.get(usize::from(h)).map(LegalHold::from)
                        && from > self.today
                        && hold_start.is_none_or(|d| from < d)
                    {
                        hold_start = Some(from);
                    }
                }
                None => {}
            }
        }
        if facts.purposes.is_empty() {
            return self.decision(Verdict::Keep, Cause::NoPurpose, hold_start);
        }
        let mut best: Option<Candidate> = None;
        let mut bits = facts.purposes.0;
        while bits != 0 {
            let purpose = u8::try_from(bits.trailing_zeros()).unwrap_or(u8::MAX);
            bits &= bits - 1;
            let rule = node_rule(node, purpose);
            let Some(r) = s.rules.get(usize::from(rule)) else {
                return self.decision(Verdict::Keep, Cause::NoRule { purpose }, hold_start);
            };
            let Some(at) = self.trigger_time(r, rule, purpose, facts) else {
                return self.decision(Verdict::Keep, Cause::Pending { rule, purpose }, hold_start);
            };
            let due_now = self.due_now(rule, at);
            let cand = Candidate {
                rule,
                purpose,
                trigger: at,
                due_now,
            };
            best = Some(match best {
                None => cand,
                Some(b) => self.later(b, cand),
            });
        }
        match best {
            Some(c) => self.decision(
                if c.due_now {
                    Verdict::ActNow
                } else {
                    Verdict::ActAt
                },
                Cause::Rule {
                    rule: c.rule,
                    purpose: c.purpose,
                    trigger: c.trigger,
                    several: facts.purposes.0.count_ones() > 1,
                },
                hold_start,
            ),
            None => self.decision(Verdict::Keep, Cause::NoPurpose, hold_start),
        }
    }

    /// Whether rule `rule`'s period, running from `at`, has run out by today.
    fn due_now(&self, rule: u16, at: Timestamp) -> bool {
        let i = usize::from(rule);
        match &self.thresholds {
            Some(t) => match t.get(i) {
                Some(Threshold::Before(limit)) => at < *limit,
                Some(Threshold::Always) => true,
                Some(Threshold::Never) | None => false,
            },
            None => self
                .cutoffs
                .get(i)
                .copied()
                .flatten()
                .is_some_and(|c| self.schedule.day_of(at) <= c),
        }
    }

    fn trigger_time(&self, r: &Rule, rule: u16, purpose: u8, f: &Facts<'_>) -> Option<Timestamp> {
        match r.trigger() {
            Trigger::Collected => Some(f.collected),
            Trigger::LastActivity => Some(f.last_activity.unwrap_or(f.collected)),
            Trigger::ContractEnd => f.contract_end,
            Trigger::ConsentWithdrawn => f
                .consent_withdrawn
                .iter()
                .find(|(p, _)| p.0 == purpose)
                .map(|&(_, at)| at),
            Trigger::Event(_) => {
                let e = self.schedule.rule_event.get(usize::from(rule)).copied()?;
                f.events.iter().find(|(id, _)| id.0 == e).map(|&(_, at)| at)
            }
        }
    }

    /// Of two purposes' candidates, the one whose period ends last (ties: the less
    /// destructive action, then the first).
    fn later(&self, a: Candidate, b: Candidate) -> Candidate {
        if a.due_now != b.due_now {
            return if a.due_now { b } else { a };
        }
        let rules = &self.schedule.rules;
        let key = |c: &Candidate| {
            let r = rules.get(usize::from(c.rule));
            // `None` (past year 9999) sorts after every date.
            let start = self.schedule.day_of(c.trigger);
            let due = r.map(|r| r.period().after(start).map_or(Date::MAX, |d| d));
            (due, std::cmp::Reverse(r.map(Rule::action)))
        };
        if key(&b) > key(&a) { b } else { a }
    }

    /// Decides every record of `records`, lazily.
    pub fn evaluate_all<'f, I>(&self, records: I) -> impl Iterator<Item = Decision<'s>>
    where
        I: IntoIterator<Item = Facts<'f>>,
    {
        records.into_iter().map(move |f| self.evaluate(&f))
    }

    /// The earliest day after today on which the decision for any of `records` changes
    /// (an action falls due, a hold ends or starts): when to schedule the next sweep.
    /// `None` if no record changes without a new fact.
    pub fn next_change<'f, I>(&self, records: I) -> Option<Date>
    where
        I: IntoIterator<Item = Facts<'f>>,
    {
        records
            .into_iter()
            .filter_map(|f| self.evaluate(&f).next_change())
            .min()
    }
}

fn node_rule(node: &Node, purpose: u8) -> u16 {
    node.rules
        .get(usize::from(purpose))
        .copied()
        .unwrap_or(NO_RULE)
}

impl<'s> Decision<'s> {
    /// Keep, act now or act at a date.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// The action due now or at [`due`](Self::due); `None` when keeping.
    #[must_use]
    pub fn action(&self) -> Option<Action> {
        match self.verdict {
            Verdict::Keep => None,
            _ => self.rule().map(Rule::action),
        }
    }

    /// The day the action is (or was) due; `None` when keeping, or past year 9999.
    /// Computed on each call (calendar arithmetic, tens of nanoseconds).
    #[must_use]
    pub fn due(&self) -> Option<Date> {
        match self.cause {
            Cause::Rule { trigger, .. } => {
                self.rule()?.period().after(self.schedule.day_of(trigger))
            }
            _ => None,
        }
    }

    /// The rule that decided, if a rule did (including a rule whose trigger is pending).
    #[must_use]
    pub fn rule(&self) -> Option<&'s Rule> {
        match self.cause {
            Cause::Rule { rule, .. } | Cause::Pending { rule, .. } => {
                self.schedule.rules.get(usize::from(rule))
            }
            _ => None,
        }
    }

    /// The legal hold that decided, if one did.
    #[must_use]
    pub fn hold(&self) -> Option<&'s LegalHold> {
        match self.cause {
            Cause::Hold(h) => self.schedule.holds.get(usize::from(h)),
            _ => None,
        }
    }

    /// The purpose whose rule decided (or that lacks a rule).
    #[must_use]
    pub fn purpose(&self) -> Option<&'s Purpose> {
        match self.cause {
            Cause::Rule { purpose, .. }
            | Cause::Pending { purpose, .. }
            | Cause::NoRule { purpose } => self
                .schedule
                .purposes
                .get(usize::from(purpose))
                .map(|p| &p.name),
            _ => None,
        }
    }

    /// Whether no rule covers the record (no purpose, or a purpose without a rule for
    /// its category): the data is kept, but the schedule has a gap worth reporting.
    #[must_use]
    pub fn is_unregulated(&self) -> bool {
        matches!(self.cause, Cause::NoRule { .. } | Cause::NoPurpose)
    }

    /// The next day on which this decision changes without new facts: the due day of a
    /// pending action, the day after a hold ends, or the day a hold starts.
    #[must_use]
    pub fn next_change(&self) -> Option<Date> {
        let own = match (self.verdict, self.cause) {
            (Verdict::ActAt, _) => self.due(),
            (_, Cause::Hold(_)) => self.hold()?.until()?.tomorrow().ok(),
            _ => None,
        };
        match (own, self.hold_start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A human-readable reason for audit logs; formats only when displayed.
    #[must_use]
    pub fn reason(&self) -> Reason<'s> {
        Reason(*self)
    }
}

impl fmt::Debug for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decision")
            .field("verdict", &self.verdict)
            .field("action", &self.action())
            .field("due", &self.due())
            .field("rule", &self.rule().map(Rule::id))
            .field("hold", &self.hold().map(LegalHold::id))
            .finish()
    }
}

/// The reason for a [`Decision`], rendered by `Display`.
#[derive(Clone, Copy, Debug)]
pub struct Reason<'s>(Decision<'s>);

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        let s = d.schedule;
        let purpose_name = |p: u8| {
            s.purposes
                .get(usize::from(p))
                .map_or("(unknown purpose)", |p| p.name.as_str())
        };
        let describe_rule = |f: &mut fmt::Formatter<'_>, r: &Rule, p: u8| {
            let basis = s.purposes.get(usize::from(p)).map(|p| p.basis);
            write!(
                f,
                "rule `{}` keeps `{}` for purpose `{}`",
                r.id(),
                r.selector(),
                purpose_name(p)
            )?;
            if let Some(b) = basis {
                write!(f, " ({b}, {})", b.article())?;
            }
            write!(f, " for {} after {}", r.period(), r.trigger().describe())?;
            if let Some(reference) = r.reference() {
                write!(f, " [{reference}]")?;
            }
            Ok(())
        };
        match d.cause {
            Cause::Hold(h) => match s.holds.get(usize::from(h)) {
                Some(hold) => {
                    write!(
                        f,
                        "keep: legal hold `{}` in force since {}",
                        hold.id(),
                        hold.from()
                    )?;
                    match hold.until() {
                        Some(u) => write!(f, " through {u}")?,
                        None => f.write_str(" until lifted")?,
                    }
                    write!(f, ": {}", hold.reason())
                }
                None => f.write_str("keep: legal hold"),
            },
            Cause::Rule {
                rule,
                purpose,
                trigger,
                several,
            } => {
                let Some(r) = s.rules.get(usize::from(rule)) else {
                    return f.write_str("unknown rule");
                };
                match (d.verdict, d.due()) {
                    (Verdict::ActNow, Some(due)) => {
                        write!(f, "{} now (due since {due}): ", r.action())?;
                    }
                    (_, Some(due)) => write!(f, "{} on {due}: ", r.action())?,
                    (_, None) => write!(f, "{} after year 9999: ", r.action())?,
                }
                describe_rule(f, r, purpose)?;
                write!(f, "; {} on {}", r.trigger().describe(), s.day_of(trigger))?;
                if several {
                    f.write_str("; of the record's purposes, this one needs the data longest")?;
                }
                Ok(())
            }
            Cause::Pending { rule, purpose } => {
                let Some(r) = s.rules.get(usize::from(rule)) else {
                    return f.write_str("unknown rule");
                };
                f.write_str("keep: ")?;
                describe_rule(f, r, purpose)?;
                write!(f, "; {} has not happened", r.trigger().describe())
            }
            Cause::NoRule { purpose } => write!(
                f,
                "keep: no rule covers this category for purpose `{}`; the schedule needs one",
                purpose_name(purpose)
            ),
            Cause::NoPurpose => {
                f.write_str("keep: the record names no purpose; review why it is held")
            }
        }
    }
}
