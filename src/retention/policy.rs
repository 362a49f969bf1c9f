//! Policy types (purposes, legal bases, triggers, actions, rules, holds) and the
//! validated, precompiled [`Schedule`].

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::category::{Category, Selector, check_name};
use super::period::Period;
use crate::{Error, Result};

/// Most purposes one schedule may declare (a record's purposes are a 64-bit set).
pub(crate) const MAX_PURPOSES: usize = 64;
/// Most rules, and most holds, one schedule may hold.
pub(crate) const MAX_ENTRIES: usize = 4096;
/// Marks "no rule" in the per-node rule tables.
pub(crate) const NO_RULE: u16 = u16::MAX;

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Box<str>);

        impl $name {
            #[doc = concat!("Validates a ", $kind, ": 1 to 64 bytes of `a-z`, `0-9`, `_`, `-` and `.`.")]
            ///
            /// # Errors
            /// [`Error::InvalidArgument`] for an empty, overlong or ill-formed name.
            pub fn new(name: &str) -> Result<Self> {
                check_name($kind, name)?;
                Ok(Self(name.into()))
            }

            /// The name.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), &*self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::new(s)
            }
        }
    };
}

name_type!(
    /// A processing purpose (`billing`, `marketing.newsletter`), declared in a schedule
    /// with its legal basis.
    Purpose,
    "purpose"
);
name_type!(
    /// A named custom event that can trigger a rule (`account_closed`).
    EventName,
    "event name"
);

/// The six lawful bases for processing of GDPR Art. 6(1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LegalBasis {
    /// (a) The data subject has given consent (`consent`).
    Consent,
    /// (b) Necessary for a contract with the data subject (`contract`).
    Contract,
    /// (c) Necessary for a legal obligation of the controller (`legal_obligation`).
    LegalObligation,
    /// (d) Necessary to protect vital interests (`vital_interests`).
    VitalInterests,
    /// (e) A task in the public interest or official authority (`public_task`).
    PublicTask,
    /// (f) Legitimate interests of the controller or a third party (`legitimate_interests`).
    LegitimateInterests,
}

impl LegalBasis {
    /// All six bases, in the order of Art. 6(1).
    pub const ALL: [LegalBasis; 6] = [
        LegalBasis::Consent,
        LegalBasis::Contract,
        LegalBasis::LegalObligation,
        LegalBasis::VitalInterests,
        LegalBasis::PublicTask,
        LegalBasis::LegitimateInterests,
    ];

    /// The configuration keyword (`legal_obligation`).
    #[must_use]
    pub const fn keyword(self) -> &'static str {
        match self {
            LegalBasis::Consent => "consent",
            LegalBasis::Contract => "contract",
            LegalBasis::LegalObligation => "legal_obligation",
            LegalBasis::VitalInterests => "vital_interests",
            LegalBasis::PublicTask => "public_task",
            LegalBasis::LegitimateInterests => "legitimate_interests",
        }
    }

    /// The citation, e.g. `GDPR Art. 6(1)(c)`.
    #[must_use]
    pub const fn article(self) -> &'static str {
        match self {
            LegalBasis::Consent => "GDPR Art. 6(1)(a)",
            LegalBasis::Contract => "GDPR Art. 6(1)(b)",
            LegalBasis::LegalObligation => "GDPR Art. 6(1)(c)",
            LegalBasis::VitalInterests => "GDPR Art. 6(1)(d)",
            LegalBasis::PublicTask => "GDPR Art. 6(1)(e)",
            LegalBasis::LegitimateInterests => "GDPR Art. 6(1)(f)",
        }
    }
}

impl fmt::Display for LegalBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

impl FromStr for LegalBasis {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        from_keyword(&LegalBasis::ALL, LegalBasis::keyword, "legal basis", s)
    }
}

/// The member of `all` whose keyword is `s`.
fn from_keyword<T: Copy>(
    all: &[T],
    keyword: fn(T) -> &'static str,
    what: &str,
    s: &str,
) -> Result<T> {
    all.iter()
        .copied()
        .find(|&v| keyword(v) == s)
        .ok_or_else(|| {
            let expected: Vec<&str> = all.iter().map(|&v| keyword(v)).collect();
            Error::invalid_argument(format_args!(
                "{what} `{}`: expected one of {}",
                s.escape_default(),
                expected.join(", ")
            ))
        })
}

/// The event from which a rule's period runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// When the data was collected (`collected`).
    Collected,
    /// The subject's last activity (`last_activity`); a record with none counts from
    /// collection.
    LastActivity,
    /// The end of the contract (`contract_end`); pending while the contract runs.
    ContractEnd,
    /// Withdrawal of consent for the purpose being evaluated (`consent_withdrawn`);
    /// pending while consent stands. Only for purposes based on consent.
    ConsentWithdrawn,
    /// A named custom event (`event:account_closed`); pending until it happens.
    Event(EventName),
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Collected => f.write_str("collected"),
            Trigger::LastActivity => f.write_str("last_activity"),
            Trigger::ContractEnd => f.write_str("contract_end"),
            Trigger::ConsentWithdrawn => f.write_str("consent_withdrawn"),
            Trigger::Event(e) => write!(f, "event:{e}"),
        }
    }
}

impl Trigger {
    /// Words for audit messages (`contract end`).
    pub(crate) fn describe(&self) -> &str {
        match self {
            Trigger::Collected => "collection",
            Trigger::LastActivity => "last activity",
            Trigger::ContractEnd => "contract end",
            Trigger::ConsentWithdrawn => "consent withdrawal",
            Trigger::Event(e) => e.as_str(),
        }
    }
}

impl FromStr for Trigger {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "collected" => Trigger::Collected,
            "last_activity" => Trigger::LastActivity,
            "contract_end" => Trigger::ContractEnd,
            "consent_withdrawn" => Trigger::ConsentWithdrawn,
            other => match other.strip_prefix("event:") {
                Some(name) => Trigger::Event(EventName::new(name)?),
                None => {
                    return Err(Error::invalid_argument(format_args!(
                        "trigger `{}`: expected collected, last_activity, contract_end, \
                         consent_withdrawn or event:NAME",
                        s.escape_default()
                    )));
                }
            },
        })
    }
}

/// What to do with data once its period has run out.
///
/// When purposes with different actions fall due on the same day, the least destructive
/// action wins; the order is the declaration order here (`Review` < … < `Delete`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Flag for a human decision (`review`).
    Review,
    /// Move to restricted archival storage (`archive`).
    Archive,
    /// Replace direct identifiers with pseudonyms (`pseudonymize`).
    Pseudonymize,
    /// Anonymize irreversibly (`anonymize`).
    Anonymize,
    /// Erase, for example by crypto-shredding (`delete`).
    Delete,
}

impl Action {
    /// All actions, least destructive first.
    pub const ALL: [Action; 5] = [
        Action::Review,
        Action::Archive,
        Action::Pseudonymize,
        Action::Anonymize,
        Action::Delete,
    ];

    /// The configuration keyword.
    #[must_use]
    pub const fn keyword(self) -> &'static str {
        match self {
            Action::Review => "review",
            Action::Archive => "archive",
            Action::Pseudonymize => "pseudonymize",
            Action::Anonymize => "anonymize",
            Action::Delete => "delete",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

impl FromStr for Action {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        from_keyword(&Action::ALL, Action::keyword, "action", s)
    }
}

/// One retention rule: data in `categories`, held for `purpose`, is kept for `period`
/// after `trigger`, then `action` is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    id: Box<str>,
    selector: Selector,
    purpose: Option<Purpose>,
    period: Period,
    trigger: Trigger,
    action: Action,
    reference: Option<Box<str>>,
}

impl Rule {
    /// A rule from its textual parts, as written in a configuration file:
    /// `Rule::new("invoices", "user.billing", "billing", "P10Y", "contract_end", "delete")`.
    /// `categories` is a category (matching it and everything below) or `*`; `purpose`
    /// is a declared purpose or `*` (any purpose without a rule of its own here).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the rule and the part that does not parse.
    pub fn new(
        id: &str,
        categories: &str,
        purpose: &str,
        period: &str,
        trigger: &str,
        action: &str,
    ) -> Result<Self> {
        check_name("rule id", id)?;
        let ctx = |e: Error| Error::invalid_argument(format_args!("rule `{id}`: {}", bare(&e)));
        Ok(Self {
            id: id.into(),
            selector: categories.parse().map_err(ctx)?,
            purpose: match purpose {
                "*" => None,
                p => Some(p.parse().map_err(ctx)?),
            },
            period: period.parse().map_err(ctx)?,
            trigger: trigger.parse().map_err(ctx)?,
            action: action.parse().map_err(ctx)?,
            reference: None,
        })
    }

    /// Attaches a legal or internal reference (`HGB §257`) quoted in reasons.
    #[must_use]
    pub fn with_reference(mut self, reference: &str) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// The rule's identifier.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The categories it covers.
    #[must_use]
    pub fn selector(&self) -> &Selector {
        &self.selector
    }
    /// The purpose it serves; `None` for `*`.
    #[must_use]
    pub fn purpose(&self) -> Option<&Purpose> {
        self.purpose.as_ref()
    }
    /// How long data is kept after the trigger.
    #[must_use]
    pub fn period(&self) -> Period {
        self.period
    }
    /// The event the period runs from.
    #[must_use]
    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }
    /// What is due when the period has run out.
    #[must_use]
    pub fn action(&self) -> Action {
        self.action
    }
    /// The reference, if any.
    #[must_use]
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }

    fn purpose_text(&self) -> &str {
        self.purpose.as_ref().map_or("*", Purpose::as_str)
    }
}

/// The message of an `InvalidArgument` without its prefix, for re-wrapping.
pub(crate) fn bare(e: &Error) -> String {
    match e {
        Error::InvalidArgument(m) => m.clone(),
        other => other.to_string(),
    }
}

/// Which records a legal hold covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldScope {
    /// Every record in these categories.
    Categories(Selector),
    /// Only records that name the hold in their facts (for example one customer's data
    /// under litigation).
    Listed,
}

/// A legal hold (litigation hold, regulator's order, GDPR Art. 17(3)(e) / Art. 18):
/// while in force, covered data is kept whatever the rules say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalHold {
    id: Box<str>,
    scope: HoldScope,
    reason: Box<str>,
    from: Date,
    until: Option<Date>,
}

impl LegalHold {
    /// A hold in force from `from` through `until` (both inclusive, in the schedule's
    /// time zone); `until: None` holds until lifted.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an ill-formed id or an empty reason.
    pub fn new(
        id: &str,
        scope: HoldScope,
        reason: &str,
        from: Date,
        until: Option<Date>,
    ) -> Result<Self> {
        check_name("hold id", id)?;
        if reason.trim().is_empty() {
            return Err(Error::invalid_argument(format_args!(
                "hold `{id}`: a reason is required"
            )));
        }
        Ok(Self {
            id: id.into(),
            scope,
            reason: reason.into(),
            from,
            until,
        })
    }

    /// The hold's identifier.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
    /// What it covers.
    #[must_use]
    pub fn scope(&self) -> &HoldScope {
        &self.scope
    }
    /// Why it exists.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// First day in force.
    #[must_use]
    pub fn from(&self) -> Date {
        self.from
    }
    /// Last day in force, if it has an end.
    #[must_use]
    pub fn until(&self) -> Option<Date> {
        self.until
    }
    /// Whether the hold is in force on `day`.
    #[must_use]
    pub fn in_force(&self, day: Date) -> bool {
        self.from <= day && self.until.is_none_or(|u| day <= u)
    }
}

/// A purpose declared in a schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PurposeDecl {
    pub(crate) name: Purpose,
    pub(crate) basis: LegalBasis,
    pub(crate) description: Option<Box<str>>,
}

/// Builds a [`Schedule`]; [`build`](ScheduleBuilder::build) validates it.
#[derive(Clone, Debug, Default)]
pub struct ScheduleBuilder {
    time_zone: Option<TimeZone>,
    purposes: Vec<PurposeDecl>,
    rules: Vec<Rule>,
    holds: Vec<LegalHold>,
}

impl ScheduleBuilder {
    /// The time zone in which timestamps become calendar days (default UTC).
    #[must_use]
    pub fn time_zone(mut self, tz: TimeZone) -> Self {
        self.time_zone = Some(tz);
        self
    }

    /// Declares a purpose and its legal basis.
    #[must_use]
    pub fn purpose(self, name: Purpose, basis: LegalBasis) -> Self {
        self.purpose_described(name, basis, None)
    }

    /// Declares a purpose with a description for audit output.
    #[must_use]
    pub fn purpose_described(
        mut self,
        name: Purpose,
        basis: LegalBasis,
        description: Option<&str>,
    ) -> Self {
        self.purposes.push(PurposeDecl {
            name,
            basis,
            description: description.map(Into::into),
        });
        self
    }

    /// Adds a rule.
    #[must_use]
    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Adds a legal hold.
    #[must_use]
    pub fn hold(mut self, hold: LegalHold) -> Self {
        self.holds.push(hold);
        self
    }

    /// Validates the schedule and precompiles its category index.
    ///
    /// # Errors
    /// - [`Error::LimitExceeded`] for more than 64 purposes, 4096 rules or 4096 holds
    ///   (validation compares rules pairwise, so the bound keeps loading fast).
    /// - [`Error::InvalidArgument`] listing every problem found, each naming the rules
    ///   or holds involved (`rule `a` (rules[0])`): duplicate ids or purposes, rules for
    ///   undeclared purposes, two rules for the same categories and purpose
    ///   (contradictory, or a duplicate that can never apply), a `*`-purpose rule that
    ///   every declared purpose overrides, a consent-withdrawn trigger on a purpose not
    ///   based on consent, a hold that ends before it starts, a schedule without rules.
    pub fn build(self) -> Result<Schedule> {
        if self.purposes.len() > MAX_PURPOSES {
            return Err(Error::limit(
                "purposes in a retention schedule",
                MAX_PURPOSES as u64,
            ));
        }
        if self.rules.len() > MAX_ENTRIES || self.holds.len() > MAX_ENTRIES {
            return Err(Error::limit(
                "rules or holds in a retention schedule",
                MAX_ENTRIES as u64,
            ));
        }
        let problems = validate(&self.purposes, &self.rules, &self.holds);
        if !problems.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "retention schedule refused: {}",
                problems.join("; ")
            )));
        }
        Ok(Schedule::compile(
            self.time_zone.unwrap_or(TimeZone::UTC),
            self.purposes,
            self.rules,
            self.holds,
        ))
    }
}

fn rule_ref(rules: &[Rule], i: usize) -> String {
    format!("rule `{}` (rules[{i}])", rules[i].id)
}

fn validate(purposes: &[PurposeDecl], rules: &[Rule], holds: &[LegalHold]) -> Vec<String> {
    let mut problems = Vec::new();
    if rules.is_empty() {
        problems.push(
            "it has no rules, so it would decide nothing: every record would be kept and \
             flagged as unregulated (add at least one rule)"
                .to_owned(),
        );
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, p) in purposes.iter().enumerate() {
        if let Some(j) = seen.insert(p.name.as_str(), i) {
            problems.push(format!(
                "purpose `{}` is declared twice (purposes[{j}] and purposes[{i}])",
                p.name
            ));
        }
    }
    let basis = |p: &Purpose| purposes.iter().find(|d| &d.name == p).map(|d| d.basis);
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, r) in rules.iter().enumerate() {
        if let Some(j) = ids.insert(&r.id, i) {
            problems.push(format!("rules[{j}] and rules[{i}] share the id `{}`", r.id));
        }
        match (&r.purpose, &r.trigger) {
            (Some(p), trigger) => match basis(p) {
                None => problems.push(format!(
                    "{}: purpose `{p}` is not declared",
                    rule_ref(rules, i)
                )),
                Some(b) if *trigger == Trigger::ConsentWithdrawn && b != LegalBasis::Consent => {
                    problems.push(format!(
                        "{}: triggers on consent withdrawal, but purpose `{p}` rests on {b} \
                         ({}), not consent, so the trigger can never fire",
                        rule_ref(rules, i),
                        b.article()
                    ));
                }
                Some(_) => {}
            },
            (None, Trigger::ConsentWithdrawn)
                if !purposes.iter().any(|d| d.basis == LegalBasis::Consent) =>
            {
                problems.push(format!(
                    "{}: triggers on consent withdrawal, but no declared purpose rests on \
                     consent, so the trigger can never fire",
                    rule_ref(rules, i)
                ));
            }
            (None, _) => {}
        }
    }
    for i in 0..rules.len() {
        for j in i + 1..rules.len() {
            let (a, b) = (&rules[i], &rules[j]);
            if a.selector != b.selector || a.purpose != b.purpose {
                continue;
            }
            let same = a.period == b.period && a.trigger == b.trigger && a.action == b.action;
            if same {
                problems.push(format!(
                    "{} duplicates {} (categories `{}`, purpose `{}`): the later can never apply",
                    rule_ref(rules, j),
                    rule_ref(rules, i),
                    a.selector,
                    a.purpose_text()
                ));
            } else {
                problems.push(format!(
                    "{} and {} contradict: both cover categories `{}` for purpose `{}` but say \
                     {} after {} then {} versus {} after {} then {}",
                    rule_ref(rules, i),
                    rule_ref(rules, j),
                    a.selector,
                    a.purpose_text(),
                    a.period,
                    a.trigger,
                    a.action,
                    b.period,
                    b.trigger,
                    b.action
                ));
            }
        }
    }
    for (i, r) in rules.iter().enumerate() {
        if r.purpose.is_none()
            && purposes.iter().all(|d| {
                rules
                    .iter()
                    .any(|o| o.selector == r.selector && o.purpose.as_ref() == Some(&d.name))
            })
        {
            problems.push(format!(
                "{}: unreachable: every declared purpose has its own rule for categories `{}`",
                rule_ref(rules, i),
                r.selector
            ));
        }
    }
    let mut hold_ids: HashMap<&str, usize> = HashMap::new();
    for (i, h) in holds.iter().enumerate() {
        if let Some(j) = hold_ids.insert(&h.id, i) {
            problems.push(format!("holds[{j}] and holds[{i}] share the id `{}`", h.id));
        }
        if let Some(until) = h.until
            && until < h.from
        {
            problems.push(format!(
                "hold `{}` (holds[{i}]): ends on {until}, before it starts on {}",
                h.id, h.from
            ));
        }
    }
    problems
}

/// One node of the category index: a selector named by some rule or hold.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// For each purpose id, the rule that decides it here (`NO_RULE` if none).
    pub(crate) rules: Box<[u16]>,
    /// Holds scoped to categories covering this node.
    pub(crate) holds: Box<[u16]>,
}

/// A validated retention schedule with its precompiled category index.
///
/// Build one with [`Schedule::builder`] or, with the `serde` feature, deserialize it
/// (JSON, TOML via [`Schedule::from_toml`] with the `toml` feature). See the
/// [module documentation](crate::retention) for the precedence rules.
#[derive(Clone)]
pub struct Schedule {
    pub(crate) time_zone: TimeZone,
    pub(crate) purposes: Vec<PurposeDecl>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) holds: Vec<LegalHold>,
    /// Custom event names used by the rules, in first-use order.
    pub(crate) events: Vec<EventName>,
    /// Node 0 is the root (`*`); the others are categories named by rules or holds.
    pub(crate) nodes: Vec<Node>,
    pub(crate) node_by_name: HashMap<Box<str>, u32>,
    /// Per rule: the index into `events` for `Trigger::Event` rules.
    pub(crate) rule_event: Vec<u16>,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schedule")
            .field(
                "time_zone",
                &self.time_zone.iana_name().unwrap_or("(fixed)"),
            )
            .field("purposes", &self.purposes.len())
            .field("rules", &self.rules.len())
            .field("holds", &self.holds.len())
            .finish_non_exhaustive()
    }
}

impl Schedule {
    /// Starts an empty schedule.
    #[must_use]
    pub fn builder() -> ScheduleBuilder {
        ScheduleBuilder::default()
    }

    fn compile(
        time_zone: TimeZone,
        purposes: Vec<PurposeDecl>,
        rules: Vec<Rule>,
        holds: Vec<LegalHold>,
    ) -> Self {
        // Nodes: root plus every category named by a rule or a scoped hold.
        let mut names: Vec<&Category> = rules
            .iter()
            .map(|r| &r.selector)
            .chain(holds.iter().filter_map(|h| match &h.scope {
                HoldScope::Categories(s) => Some(s),
                HoldScope::Listed => None,
            }))
            .filter_map(|s| match s {
                Selector::Category(c) => Some(c),
                Selector::Any => None,
            })
            .collect();
        names.sort();
        names.dedup();
        let mut node_by_name: HashMap<Box<str>, u32> = HashMap::new();
        let mut node_cat: Vec<Option<&Category>> = vec![None];
        for c in names {
            let id = u32::try_from(node_cat.len()).unwrap_or(u32::MAX);
            node_by_name.insert(c.as_str().into(), id);
            node_cat.push(Some(c));
        }
        // (selector, purpose) -> rule; unique after validation. `None` is `*`.
        let by_selector: HashMap<(Option<&str>, Option<&str>), u16> = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let sel = match &r.selector {
                    Selector::Any => None,
                    Selector::Category(c) => Some(c.as_str()),
                };
                Some((
                    (sel, r.purpose.as_ref().map(Purpose::as_str)),
                    u16::try_from(i).ok()?,
                ))
            })
            .collect();
        let covers = |sel: &Selector, node: Option<&Category>| match (sel, node) {
            (Selector::Any, _) => true,
            (Selector::Category(_), None) => false,
            (Selector::Category(s), Some(c)) => s.contains(c),
        };
        let nodes = node_cat
            .iter()
            .map(|&cat| {
                // Ancestor chain of this node, most specific first, ending at `*`:
                // the most specific selector decides; at the same selector a rule for
                // the purpose itself beats a `*` rule.
                let chain: Vec<Option<&str>> = cat
                    .map(|c| {
                        c.prefixes()
                            .filter(|p| node_by_name.contains_key(*p))
                            .map(Some)
                            .collect()
                    })
                    .unwrap_or_default();
                let table = purposes
                    .iter()
                    .map(|p| {
                        chain
                            .iter()
                            .chain(std::iter::once(&None))
                            .find_map(|sel| {
                                by_selector
                                    .get(&(*sel, Some(p.name.as_str())))
                                    .or_else(|| by_selector.get(&(*sel, None)))
                            })
                            .copied()
                            .unwrap_or(NO_RULE)
                    })
                    .collect();
                let holds = holds
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| matches!(&h.scope, HoldScope::Categories(s) if covers(s, cat)))
                    .filter_map(|(i, _)| u16::try_from(i).ok())
                    .collect();
                Node {
                    rules: table,
                    holds,
                }
            })
            .collect();
        let mut events: Vec<EventName> = Vec::new();
        let rule_event = rules
            .iter()
            .map(|r| match &r.trigger {
                Trigger::Event(e) => {
                    let i = events.iter().position(|x| x == e).unwrap_or_else(|| {
                        events.push(e.clone());
                        events.len() - 1
                    });
                    u16::try_from(i).unwrap_or(NO_RULE)
                }
                _ => NO_RULE,
            })
            .collect();
        Self {
            time_zone,
            purposes,
            rules,
            holds,
            events,
            nodes,
            node_by_name,
            rule_event,
        }
    }

    /// The time zone in which timestamps become calendar days.
    #[must_use]
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// The rules, in declaration order.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The legal holds, in declaration order.
    #[must_use]
    pub fn holds(&self) -> &[LegalHold] {
        &self.holds
    }

    /// The declared purposes with their legal bases, in declaration order.
    pub fn purposes(&self) -> impl Iterator<Item = (&Purpose, LegalBasis)> {
        self.purposes.iter().map(|p| (&p.name, p.basis))
    }

    /// The legal basis declared for `purpose`.
    #[must_use]
    pub fn legal_basis(&self, purpose: &str) -> Option<LegalBasis> {
        self.purposes
            .iter()
            .find(|p| p.name.as_str() == purpose)
            .map(|p| p.basis)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::civil::date;

    fn base() -> ScheduleBuilder {
        Schedule::builder()
            .purpose(
                Purpose::new("billing").unwrap(),
                LegalBasis::LegalObligation,
            )
            .purpose(Purpose::new("marketing").unwrap(), LegalBasis::Consent)
    }

    fn rule(id: &str, cat: &str, purpose: &str, period: &str, trigger: &str) -> Rule {
        Rule::new(id, cat, purpose, period, trigger, "delete").unwrap()
    }

    fn refused(b: ScheduleBuilder) -> String {
        match b.build() {
            Err(Error::InvalidArgument(m)) => m,
            other => panic!("expected refusal, got {other:?}"),
        }
    }

    #[test]
    fn keywords_round_trip() {
        for b in LegalBasis::ALL {
            assert_eq!(b.keyword().parse::<LegalBasis>().unwrap(), b);
        }
        for t in [
            "collected",
            "last_activity",
            "contract_end",
            "consent_withdrawn",
            "event:x",
        ] {
            assert_eq!(t.parse::<Trigger>().unwrap().to_string(), t);
        }
        for a in ["review", "archive", "pseudonymize", "anonymize", "delete"] {
            assert_eq!(a.parse::<Action>().unwrap().to_string(), a);
        }
    }

    #[test]
    fn fail_contradictory_rules_named() {
        let m = refused(
            base()
                .rule(rule("a", "user", "billing", "P7Y", "collected"))
                .rule(rule("b", "user", "billing", "P10Y", "collected")),
        );
        assert!(
            m.contains("rule `a` (rules[0]) and rule `b` (rules[1]) contradict"),
            "{m}"
        );
    }

    #[test]
    fn fail_duplicate_rule_is_unreachable() {
        let m = refused(
            base()
                .rule(rule("a", "user", "billing", "P7Y", "collected"))
                .rule(rule("b", "user", "billing", "P7Y", "collected")),
        );
        assert!(m.contains("rule `b` (rules[1]) duplicates rule `a`"), "{m}");
    }

    #[test]
    fn fail_shadowed_wildcard_purpose() {
        let m = refused(
            base()
                .rule(rule("a", "user", "billing", "P7Y", "collected"))
                .rule(rule("b", "user", "marketing", "P1Y", "collected"))
                .rule(rule("c", "user", "*", "P1Y", "collected")),
        );
        assert!(m.contains("rule `c` (rules[2]): unreachable"), "{m}");
    }

    #[test]
    fn fail_consent_trigger_on_non_consent_purpose() {
        let m = refused(base().rule(rule("a", "user", "billing", "P0D", "consent_withdrawn")));
        assert!(
            m.contains("rule `a` (rules[0]): triggers on consent withdrawal"),
            "{m}"
        );
        assert!(
            base()
                .rule(rule("a", "user", "marketing", "P0D", "consent_withdrawn"))
                .build()
                .is_ok()
        );
    }

    #[test]
    fn fail_undeclared_purpose_duplicate_ids_and_bad_hold() {
        let hold = LegalHold::new(
            "h",
            HoldScope::Listed,
            "case 1",
            date(2026, 2, 1),
            Some(date(2026, 1, 1)),
        )
        .unwrap();
        let m = refused(
            base()
                .rule(rule("a", "user", "support", "P1Y", "collected"))
                .rule(rule("a", "device", "billing", "P1Y", "collected"))
                .hold(hold),
        );
        assert!(
            m.contains("rule `a` (rules[0]): purpose `support` is not declared"),
            "{m}"
        );
        assert!(m.contains("rules[0] and rules[1] share the id `a`"), "{m}");
        assert!(m.contains("hold `h` (holds[0]): ends on 2026-01-01"), "{m}");
    }

    #[test]
    fn fail_too_many_rules() {
        let mut b = base();
        for i in 0..=MAX_ENTRIES {
            b = b.rule(rule(
                &format!("r{i}"),
                &format!("c{i}"),
                "billing",
                "P1Y",
                "collected",
            ));
        }
        assert!(matches!(
            b.build(),
            Err(Error::LimitExceeded { limit: 4096, .. })
        ));
    }

    #[test]
    fn fail_too_many_purposes() {
        let mut b = Schedule::builder();
        for i in 0..65 {
            b = b.purpose(
                Purpose::new(&format!("p{i}")).unwrap(),
                LegalBasis::Contract,
            );
        }
        assert!(matches!(b.build(), Err(Error::LimitExceeded { .. })));
    }

    #[test]
    fn fail_rule_parts_name_the_rule() {
        let e = Rule::new("r1", "user", "billing", "P7X", "collected", "delete").unwrap_err();
        assert!(e.to_string().contains("rule `r1`: period `P7X`"), "{e}");
        let e = Rule::new("r1", "user", "billing", "P7Y", "collected", "shred").unwrap_err();
        assert!(e.to_string().contains("rule `r1`: action `shred`"), "{e}");
    }
}
