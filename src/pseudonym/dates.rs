//! Calendar dates: a small proleptic-Gregorian civil date, truncation and per-subject
//! date shifting.

use std::fmt;
use std::str::FromStr;

use super::keyed::HmacSha256;
use super::keys::{Derive, Purpose, RootKey};
use crate::{Error, Result};

/// A calendar date (proleptic Gregorian), years 0 to 9999, written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl Date {
    /// The date `year-month-day`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a year outside 0..=9999 or a day that does not
    /// exist.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self> {
        if !(0..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return Err(Error::invalid_argument("no such date (years 0 to 9999)"));
        }
        Ok(Self { year, month, day })
    }

    /// Year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.year
    }

    /// Month, 1 to 12.
    #[must_use]
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of the month, from 1.
    #[must_use]
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    #[must_use]
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The date `days` days since 1970-01-01.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when that date is outside years 0 to 9999.
    pub fn from_days_since_epoch(days: i64) -> Result<Self> {
        let range = || Error::invalid_argument("date outside years 0 to 9999");
        if days.unsigned_abs() > 4_000_000 {
            return Err(range());
        }
        let (y, m, d) = civil_from_days(days);
        Self::new(
            i32::try_from(y).map_err(|_| range())?,
            u8::try_from(m).map_err(|_| range())?,
            u8::try_from(d).map_err(|_| range())?,
        )
    }

    /// This date plus `days` (which may be negative).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the result is outside years 0 to 9999.
    pub fn add_days(self, days: i64) -> Result<Self> {
        Self::from_days_since_epoch(self.days_since_epoch().saturating_add(days))
    }

    /// The first day of the period containing this date.
    #[must_use]
    pub fn truncate(self, to: DateTruncation) -> Self {
        let (month, day) = match to {
            DateTruncation::Year => (1, 1),
            DateTruncation::Quarter => ((self.month - 1) / 3 * 3 + 1, 1),
            DateTruncation::Month => (self.month, 1),
        };
        Self {
            year: self.year,
            month,
            day,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = Error;

    /// Parses `YYYY-MM-DD` exactly.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid_argument("expected a date as YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let year = i32::try_from(num(0..4)?).map_err(|_| bad())?;
        let month = u8::try_from(num(5..7)?).map_err(|_| bad())?;
        let day = u8::try_from(num(8..10)?).map_err(|_| bad())?;
        Self::new(year, month, day)
    }
}

/// How far [`Date::truncate`] coarsens a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum DateTruncation {
    /// January 1 of the year.
    Year,
    /// The first day of the quarter.
    Quarter,
    /// The first day of the month.
    Month,
}

/// Per-subject date shifting: every date of one subject moves by the same offset, a
/// keyed PRF of the subject id in `[-max_days, -1] ∪ [1, max_days]`, so intervals
/// within a subject's history are kept while subjects move differently.
///
/// The offset is `HMAC-SHA256(k, subject)`'s first 8 bytes as a big-endian integer
/// `r`, reduced modulo `2 * max_days`: `r' < max_days` gives `-(r' + 1)`, otherwise
/// `r' - max_days + 1` (never zero; bias below `2 * max_days / 2^64`).
#[derive(Clone)]
pub struct DateShifter {
    mac: HmacSha256,
    max_days: u32,
}

impl fmt::Debug for DateShifter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DateShifter")
            .field("max_days", &self.max_days)
            .finish_non_exhaustive()
    }
}

impl DateShifter {
    /// Shifts within `±max_days` (1 to 36,500) for `domain` under `root`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty domain or `max_days` out of range.
    pub fn new(root: &RootKey, domain: &str, max_days: u32) -> Result<Self> {
        if !(1..=36_500).contains(&max_days) {
            return Err(Error::invalid_argument("max_days must be 1 to 36500"));
        }
        let key = root.derive(Purpose::DateShift, domain, 32)?;
        Ok(Self {
            mac: HmacSha256::new(key.expose_secret()),
            max_days,
        })
    }

    /// The offset in days for `subject` (never zero).
    #[must_use]
    pub fn offset(&self, subject: &str) -> i64 {
        let mac = self.mac.mac(subject.as_bytes());
        let mut r = [0u8; 8];
        r.copy_from_slice(&mac[..8]);
        let n = u64::from(self.max_days);
        let r = u64::from_be_bytes(r) % (2 * n);
        // r < 2 * 36,500: fits every integer type involved.
        let r = i64::try_from(r).unwrap_or(0);
        let n = i64::from(self.max_days);
        if r < n { -(r + 1) } else { r - n + 1 }
    }

    /// `date` moved by `subject`'s offset.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the result leaves years 0 to 9999.
    pub fn shift(&self, subject: &str, date: Date) -> Result<Date> {
        date.add_days(self.offset(subject))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;
    use crate::secret::SecretBytes;

    #[test]
    fn known_days() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        assert_eq!(Date::new(1969, 12, 31).unwrap().days_since_epoch(), -1);
        assert_eq!(
            Date::from_days_since_epoch(19_782).unwrap().to_string(),
            "2024-02-29"
        );
        assert_eq!(
            "2024-08-17"
                .parse::<Date>()
                .unwrap()
                .truncate(DateTruncation::Quarter)
                .to_string(),
            "2024-07-01"
        );
    }

    #[test]
    fn fail_bad_dates() {
        for s in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "+024-01-01",
            "2024-00-10",
            "abcd-ef-gh",
        ] {
            assert!(s.parse::<Date>().is_err(), "{s}");
        }
        assert!(Date::new(9999, 12, 31).unwrap().add_days(1).is_err());
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -719_528i64..=2_932_896) {
            let d = Date::from_days_since_epoch(days).unwrap();
            prop_assert_eq!(d.days_since_epoch(), days);
            prop_assert_eq!(d.to_string().parse::<Date>().unwrap(), d);
        }

        #[test]
        fn shifts_keep_intervals(subject in ".{0,20}", a in 0i64..20_000, gap in 0i64..5_000) {
            let root = RootKey::new(1, &SecretBytes::from_slice(&[8u8; 32])).unwrap();
            let s = DateShifter::new(&root, "admissions", 30).unwrap();
            let off = s.offset(&subject);
            prop_assert!(off != 0 && off.abs() <= 30);
            let d1 = Date::from_days_since_epoch(a).unwrap();
            let d2 = Date::from_days_since_epoch(a + gap).unwrap();
            let (s1, s2) = (s.shift(&subject, d1).unwrap(), s.shift(&subject, d2).unwrap());
            prop_assert_eq!(s2.days_since_epoch() - s1.days_since_epoch(), gap);
        }
    }

    #[test]
    fn subjects_shift_differently() {
        let root = RootKey::new(1, &SecretBytes::from_slice(&[8u8; 32])).unwrap();
        let s = DateShifter::new(&root, "admissions", 365).unwrap();
        let offsets: std::collections::HashSet<i64> =
            (0..50).map(|i| s.offset(&format!("patient-{i}"))).collect();
        assert!(offsets.len() > 40);
        assert!(DateShifter::new(&root, "admissions", 0).is_err());
    }
}
