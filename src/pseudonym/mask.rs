//! Masking and generalizing single values: partial masks, e-mail and phone masks,
//! numeric buckets.

use crate::{Error, Result};

/// The character masks are drawn with.
pub const MASK_CHAR: char = '*';

/// Keeps the first `first` and last `last` characters of `value` and replaces the
/// others by [`MASK_CHAR`], one for one. When `first + last` would reveal the whole
/// value, every character is masked.
#[must_use]
pub fn mask_keep(value: &str, first: usize, last: usize) -> String {
    let n = value.chars().count();
    if first.saturating_add(last) >= n {
        return MASK_CHAR.to_string().repeat(n);
    }
    value
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i < first || i >= n - last {
                c
            } else {
                MASK_CHAR
            }
        })
        .collect()
}

/// Masks the local part of an e-mail address except its first character, with a
/// fixed three mask characters (so the length is not revealed), and keeps the domain:
/// `alice.smith@example.com` becomes `a***@example.com`.
///
/// # Errors
/// [`Error::InvalidArgument`] when `value` has no `@` or an empty local part.
pub fn mask_email(value: &str) -> Result<String> {
    let (local, domain) = value
        .rsplit_once('@')
        .ok_or_else(|| Error::invalid_argument("not an e-mail address: no '@'"))?;
    let first = local
        .chars()
        .next()
        .ok_or_else(|| Error::invalid_argument("not an e-mail address: empty local part"))?;
    Ok(format!("{first}{MASK_CHAR}{MASK_CHAR}{MASK_CHAR}@{domain}"))
}

/// Masks every digit of a phone number except the last `keep` digits, keeping
/// separators and a leading `+`: `+44 20 7946 0958` with `keep = 4` becomes
/// `+** ** **** 0958`.
#[must_use]
pub fn mask_phone(value: &str, keep: usize) -> String {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0usize;
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + keep > digits { c } else { MASK_CHAR }
            } else {
                c
            }
        })
        .collect()
}

/// Numeric generalization: which interval a number falls into.
///
/// Labels are half-open intervals `[lo, hi)`; with top or bottom coding, values at or
/// above `top` become `>=top` and values below `bottom` become `<bottom`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Bucketing {
    /// How the range between `bottom` and `top` is cut.
    pub scheme: BucketScheme,
    /// Top coding: values at or above are reported as `>=top`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub top: Option<f64>,
    /// Bottom coding: values below are reported as `<bottom`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub bottom: Option<f64>,
}

/// How [`Bucketing`] cuts the number line.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum BucketScheme {
    /// Intervals of `width` starting at multiples of `width` (from 0).
    FixedWidth(f64),
    /// Intervals between consecutive bounds (strictly increasing); values outside the
    /// first and last bound become `<first` and `>=last`.
    Bounds(Vec<f64>),
}

impl Bucketing {
    /// Fixed-width intervals.
    #[must_use]
    pub fn fixed_width(width: f64) -> Self {
        Self {
            scheme: BucketScheme::FixedWidth(width),
            top: None,
            bottom: None,
        }
    }

    /// Intervals between the given bounds.
    #[must_use]
    pub fn bounds(bounds: Vec<f64>) -> Self {
        Self {
            scheme: BucketScheme::Bounds(bounds),
            top: None,
            bottom: None,
        }
    }

    /// With top coding at `top`.
    #[must_use]
    pub fn with_top(mut self, top: f64) -> Self {
        self.top = Some(top);
        self
    }

    /// With bottom coding at `bottom`.
    #[must_use]
    pub fn with_bottom(mut self, bottom: f64) -> Self {
        self.bottom = Some(bottom);
        self
    }

    /// Checks the scheme: a positive finite width, or finite, strictly increasing
    /// bounds (at least two); finite top and bottom with `bottom < top`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming what is wrong.
    pub fn validate(&self) -> Result<()> {
        match &self.scheme {
            BucketScheme::FixedWidth(w) if !(w.is_finite() && *w > 0.0) => {
                return Err(Error::invalid_argument(
                    "bucket width must be positive and finite",
                ));
            }
            BucketScheme::Bounds(b)
                if b.len() < 2
                    || b.iter().any(|x| !x.is_finite())
                    || b.windows(2).any(|w| w[0] >= w[1]) =>
            {
                return Err(Error::invalid_argument(
                    "bucket bounds must be at least two finite, strictly increasing numbers",
                ));
            }
            _ => {}
        }
        if self.top.is_some_and(|t| !t.is_finite()) || self.bottom.is_some_and(|b| !b.is_finite()) {
            return Err(Error::invalid_argument(
                "top and bottom codes must be finite",
            ));
        }
        if let (Some(b), Some(t)) = (self.bottom, self.top)
            && b >= t
        {
            return Err(Error::invalid_argument(
                "bottom code must be below top code",
            ));
        }
        Ok(())
    }

    /// The label of the bucket `value` falls into.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a NaN or infinite value, or a scheme that
    /// [`validate`](Self::validate) refuses.
    pub fn bucket(&self, value: f64) -> Result<String> {
        self.validate()?;
        if !value.is_finite() {
            return Err(Error::invalid_argument("cannot bucket a non-finite number"));
        }
        if let Some(t) = self.top
            && value >= t
        {
            return Ok(format!(">={t}"));
        }
        if let Some(b) = self.bottom
            && value < b
        {
            return Ok(format!("<{b}"));
        }
        Ok(match &self.scheme {
            BucketScheme::FixedWidth(w) => {
                let lo = (value / w).floor() * w;
                let hi = lo + w;
                format!("[{lo}, {})", self.top.map_or(hi, |t| hi.min(t)))
            }
            BucketScheme::Bounds(bounds) => {
                let i = bounds.partition_point(|b| *b <= value);
                match (i.checked_sub(1).map(|j| bounds[j]), bounds.get(i)) {
                    (None, _) => format!("<{}", bounds[0]),
                    (Some(last), None) => format!(">={last}"),
                    (Some(lo), Some(hi)) => format!("[{lo}, {hi})"),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_keep("4111111111111111", 0, 4), "************1111");
        assert_eq!(mask_keep("Zoë Smith", 2, 1), "Zo******h");
        assert_eq!(mask_keep("abc", 2, 1), "***");
        assert_eq!(
            mask_email("alice.smith@example.com").unwrap(),
            "a***@example.com"
        );
        assert_eq!(mask_phone("+44 20 7946 0958", 4), "+** ** **** 0958");
        assert_eq!(mask_phone("12", 4), "12");
    }

    #[test]
    fn fail_bad_email() {
        assert!(mask_email("no-at-sign").is_err());
        assert!(mask_email("@example.com").is_err());
    }

    #[test]
    fn buckets() {
        let ages = Bucketing::fixed_width(10.0)
            .with_top(90.0)
            .with_bottom(18.0);
        assert_eq!(ages.bucket(37.0).unwrap(), "[30, 40)");
        assert_eq!(ages.bucket(30.0).unwrap(), "[30, 40)");
        assert_eq!(ages.bucket(95.0).unwrap(), ">=90");
        assert_eq!(ages.bucket(85.0).unwrap(), "[80, 90)");
        assert_eq!(ages.bucket(12.0).unwrap(), "<18");
        assert_eq!(Bucketing::fixed_width(5.0).bucket(-3.0).unwrap(), "[-5, 0)");
        let income = Bucketing::bounds(vec![0.0, 20_000.0, 50_000.0, 100_000.0]);
        assert_eq!(income.bucket(25_000.0).unwrap(), "[20000, 50000)");
        assert_eq!(income.bucket(100_000.0).unwrap(), ">=100000");
        assert_eq!(income.bucket(-1.0).unwrap(), "<0");
    }

    #[test]
    fn fail_bad_buckets() {
        assert!(Bucketing::fixed_width(0.0).bucket(1.0).is_err());
        assert!(Bucketing::fixed_width(f64::NAN).bucket(1.0).is_err());
        assert!(Bucketing::bounds(vec![1.0, 1.0]).bucket(1.0).is_err());
        assert!(Bucketing::bounds(vec![1.0]).bucket(1.0).is_err());
        assert!(
            Bucketing::fixed_width(1.0)
                .with_top(1.0)
                .with_bottom(2.0)
                .bucket(1.0)
                .is_err()
        );
        assert!(Bucketing::fixed_width(1.0).bucket(f64::INFINITY).is_err());
    }
}
