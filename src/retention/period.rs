//! Retention periods: whole calendar units, added with `jiff`'s calendar arithmetic.

use std::fmt;
use std::str::FromStr;

use jiff::Span;
use jiff::civil::Date;

use crate::{Error, Result};

/// A retention period in whole calendar units: years, months, weeks and days.
///
/// Written as an ISO 8601 duration (`P7Y`, `P6M`, `P1Y6M`, `P30D`, `P2W`) or in words
/// (`7 years`, `6 months`, `1 year 6 months`, `30 days`); both forms are parsed by `jiff`.
/// Time-of-day units (`PT12H`) and negative periods are refused: retention is counted in
/// calendar days in the schedule's time zone.
///
/// Adding a period is calendar-aware: years and months first, clamping to the end of a
/// shorter month (2024-01-31 + `P1M` is 2024-02-29; 2024-02-29 + `P1Y` is 2025-02-28),
/// then weeks and days. Each unit is at most 1000 years' worth.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    years: i16,
    months: i32,
    weeks: i32,
    days: i32,
}

impl Period {
    /// A period of `years`, `months`, `weeks` and `days`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a unit is negative or above 1000 years' worth.
    pub fn new(years: i64, months: i64, weeks: i64, days: i64) -> Result<Self> {
        let check = |v: i64, max: i64, unit: &str| {
            if (0..=max).contains(&v) {
                Ok(v)
            } else {
                Err(Error::invalid_argument(format_args!(
                    "period: {unit} must be between 0 and {max}"
                )))
            }
        };
        let years = i16::try_from(check(years, 1000, "years")?)
            .map_err(|_| Error::invalid_argument("period: years"))?;
        let months = i32::try_from(check(months, 12_000, "months")?)
            .map_err(|_| Error::invalid_argument("period: months"))?;
        let weeks = i32::try_from(check(weeks, 52_200, "weeks")?)
            .map_err(|_| Error::invalid_argument("period: weeks"))?;
        let days = i32::try_from(check(days, 366_000, "days")?)
            .map_err(|_| Error::invalid_argument("period: days"))?;
        Ok(Self {
            years,
            months,
            weeks,
            days,
        })
    }

    /// A period of `n` years.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n` is above 1000.
    pub fn years(n: u16) -> Result<Self> {
        Self::new(i64::from(n), 0, 0, 0)
    }

    /// A period of `n` months.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n` is above 12,000.
    pub fn months(n: u16) -> Result<Self> {
        Self::new(0, i64::from(n), 0, 0)
    }

    /// A period of `n` days.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n` is above 366,000.
    pub fn days(n: u32) -> Result<Self> {
        Self::new(0, 0, 0, i64::from(n))
    }

    /// Whether the period is zero (act as soon as the trigger happens).
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.years == 0 && self.months == 0 && self.weeks == 0 && self.days == 0
    }

    fn span(&self) -> Span {
        Span::new()
            .years(self.years)
            .months(self.months)
            .weeks(self.weeks)
            .days(self.days)
    }

    /// `date` plus this period, or `None` past the end of `jiff`'s calendar (year 9999).
    ///
    /// Same result as `date.checked_add(span)` in `jiff` (a property test checks it),
    /// computed with a fast path for years and months: the target month is plain
    /// arithmetic and `jiff` supplies its length, which is about three times faster than
    /// general span arithmetic and matters when purposes are compared per record.
    #[must_use]
    pub fn after(&self, date: Date) -> Option<Date> {
        let mut d = date;
        if self.years != 0 || self.months != 0 {
            let month0 = i64::from(date.year()) * 12
                + i64::from(date.month())
                + i64::from(self.years) * 12
                + i64::from(self.months)
                - 1;
            let year = i16::try_from(month0.div_euclid(12)).ok()?;
            let month = i8::try_from(month0.rem_euclid(12) + 1).ok()?;
            let last = Date::new(year, month, 1).ok()?.days_in_month();
            d = Date::new(year, month, date.day().min(last)).ok()?;
        }
        let days = i64::from(self.weeks) * 7 + i64::from(self.days);
        if days != 0 {
            d = d.checked_add(Span::new().try_days(days).ok()?).ok()?;
        }
        Some(d)
    }

    /// The reference: `jiff`'s general span arithmetic.
    #[cfg(test)]
    fn after_reference(&self, date: Date) -> Option<Date> {
        date.checked_add(self.span()).ok()
    }

    /// The last date `d` with `self.after(d) <= day`: the cut-off on or before which a
    /// trigger must have happened for the period to have run out by `day`. `None` if no
    /// representable date qualifies.
    pub(crate) fn cutoff(&self, day: Date) -> Option<Date> {
        // Adding a period is monotone (non-decreasing) in the start date, and clamping
        // to month ends maps at most four start dates onto one end date, so the answer
        // is `day - period` moved forward by at most a few days.
        let mut d = match day.checked_sub(self.span()) {
            Ok(d) => d,
            Err(_) => Date::MIN,
        };
        while self.after(d).is_none_or(|end| end > day) {
            d = d.yesterday().ok()?;
        }
        while let Some(next) = d
            .tomorrow()
            .ok()
            .filter(|n| self.after(*n).is_some_and(|end| end <= day))
        {
            d = next;
        }
        Some(d)
    }
}

impl fmt::Display for Period {
    /// ISO 8601 form, e.g. `P1Y6M`; the zero period is `P0D`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("P0D");
        }
        f.write_str("P")?;
        for (n, unit) in [
            (i64::from(self.years), 'Y'),
            (i64::from(self.months), 'M'),
            (i64::from(self.weeks), 'W'),
            (i64::from(self.days), 'D'),
        ] {
            if n != 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Period({self})")
    }
}

impl FromStr for Period {
    type Err = Error;

    /// Parses `P7Y`, `P1Y6M`, `7 years`, `1 year 6 months`, `30 days`, …
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::invalid_argument(format_args!("period `{}`: {why}", s.escape_default()))
        };
        let span: Span = s
            .trim()
            .parse()
            .map_err(|e: jiff::Error| bad(&e.to_string()))?;
        if span.is_negative() {
            return Err(bad("must not be negative"));
        }
        if span.get_hours() != 0
            || span.get_minutes() != 0
            || span.get_seconds() != 0
            || span.get_milliseconds() != 0
            || span.get_microseconds() != 0
            || span.get_nanoseconds() != 0
        {
            return Err(bad(
                "only years, months, weeks and days are allowed (retention counts calendar days)",
            ));
        }
        Self::new(
            i64::from(span.get_years()),
            i64::from(span.get_months()),
            i64::from(span.get_weeks()),
            i64::from(span.get_days()),
        )
        .map_err(|e| bad(&e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        s.parse().unwrap()
    }

    #[test]
    fn iso_and_words_agree() {
        assert_eq!(p("P7Y"), p("7 years"));
        assert_eq!(p("P6M"), p("6 months"));
        assert_eq!(p("P1Y6M"), p("1 year 6 months"));
        assert_eq!(p("P30D"), p("30 days"));
        assert_eq!(p("P2W"), p("2 weeks"));
        assert_eq!(p("P7Y"), Period::years(7).unwrap());
        assert_eq!(p("P7Y").to_string(), "P7Y");
        assert_eq!(p("1 year 6 months").to_string(), "P1Y6M");
        assert_eq!(p("P0D").to_string(), "P0D");
        assert!(p("P0D").is_zero());
    }

    #[test]
    fn calendar_arithmetic_clamps_month_ends_and_leap_days() {
        assert_eq!(p("P1M").after(date(2024, 1, 31)), Some(date(2024, 2, 29)));
        assert_eq!(p("P1M").after(date(2023, 1, 31)), Some(date(2023, 2, 28)));
        assert_eq!(p("P1Y").after(date(2024, 2, 29)), Some(date(2025, 2, 28)));
        assert_eq!(p("P4Y").after(date(2024, 2, 29)), Some(date(2028, 2, 29)));
        assert_eq!(p("P6M").after(date(2025, 8, 31)), Some(date(2026, 2, 28)));
        assert_eq!(p("P7Y").after(date(9995, 1, 1)), None);
    }

    #[test]
    fn cutoff_handles_clamping() {
        // 2023-01-28..=31 + P1M all end on 2023-02-28.
        assert_eq!(p("P1M").cutoff(date(2023, 2, 28)), Some(date(2023, 1, 31)));
        assert_eq!(p("P1M").cutoff(date(2023, 3, 1)), Some(date(2023, 2, 1)));
        assert_eq!(p("P1Y").cutoff(date(2025, 2, 28)), Some(date(2024, 2, 29)));
        assert_eq!(p("P0D").cutoff(date(2025, 2, 28)), Some(date(2025, 2, 28)));
        assert_eq!(p("P7Y").cutoff(Date::MIN), None);
        // Near the end of the calendar, starts whose end overflows never qualify.
        assert_eq!(p("P1M").cutoff(Date::MAX), Some(date(9999, 11, 30)));
        assert_eq!(p("P0D").cutoff(Date::MAX), Some(Date::MAX));
    }

    #[test]
    fn fail_bad_periods() {
        for bad in [
            "", "7", "PT12H", "P1DT1H", "-P1Y", "12 hours", "P1001Y", "soon", "P1Y ago",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn cutoff_is_exact(y in 0i64..4, m in 0i64..14, d in 0i64..40, day in 0i32..3000) {
            let period = Period::new(y, m, 0, d).unwrap();
            let today = date(2020, 1, 1).checked_add(Span::new().days(day)).unwrap();
            let c = period.cutoff(today).unwrap();
            prop_assert!(period.after(c).unwrap() <= today);
            prop_assert!(period.after(c.tomorrow().unwrap()).unwrap() > today);
        }

        #[test]
        fn fast_path_agrees_with_jiff(y in 0i64..30, m in 0i64..40, w in 0i64..5, d in 0i64..400, day in -20_000i32..20_000) {
            let period = Period::new(y, m, w, d).unwrap();
            let start = date(2000, 1, 1).checked_add(Span::new().days(day)).unwrap();
            prop_assert_eq!(period.after(start), period.after_reference(start));
        }

        #[test]
        fn display_round_trips(y in 0i64..50, m in 0i64..30, w in 0i64..10, d in 0i64..400) {
            let period = Period::new(y, m, w, d).unwrap();
            prop_assert_eq!(period.to_string().parse::<Period>().unwrap(), period);
        }
    }
}
