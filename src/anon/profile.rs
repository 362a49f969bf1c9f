//! Profiles: what the search needs to know of a data set that is not in memory.

use super::table::{AttributeRole, Attributes, Table};
use crate::{Error, Result};

/// One attribute of a [`Profile`]: its name, role, distinct values and records per value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeProfile {
    name: String,
    role: AttributeRole,
    values: Vec<String>,
    counts: Vec<u64>,
}

impl AttributeProfile {
    /// The attribute's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The attribute's role.
    #[must_use]
    pub fn role(&self) -> AttributeRole {
        self.role
    }

    /// The distinct values, in the order the codes of a [`GroupingPlan`](super::GroupingPlan)
    /// refer to (value `i` has code `i`).
    #[must_use]
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Records per value, in the order of [`values`](Self::values).
    #[must_use]
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }
}

/// The attributes of a data set without its records: the number of records and, for each
/// attribute the anonymization uses, its role, its distinct values and how many records hold
/// each. A query engine computes it with one `GROUP BY` per attribute; [`Profile::of`] takes it
/// from a [`Table`]. [`Anonymizer::from_profile`](super::Anonymizer::from_profile) compiles a
/// configuration against it for a [`GroupingEngine`](super::GroupingEngine) that holds the
/// records.
///
/// # Example
/// ```
/// use privkit::anon::{AttributeRole, Profile};
///
/// let profile = Profile::new(5)
///     .attribute("age", AttributeRole::QuasiIdentifying, [("34", 2), ("35", 3)])?
///     .attribute("disease", AttributeRole::Sensitive, [("flu", 4), ("cold", 1)])?;
/// assert_eq!(profile.records(), 5);
/// assert_eq!(profile.attributes()[1].values(), ["flu", "cold"]);
/// // Every record has exactly one value of every attribute.
/// assert!(Profile::new(5).attribute("zip", AttributeRole::QuasiIdentifying, [("81675", 4)]).is_err());
/// # Ok::<(), privkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    records: u64,
    attributes: Vec<AttributeProfile>,
}

impl Profile {
    /// A profile of `records` records and no attributes yet.
    #[must_use]
    pub fn new(records: u64) -> Self {
        Self {
            records,
            attributes: Vec::new(),
        }
    }

    /// Adds an attribute with its distinct values and the number of records holding each.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the attribute when its name is empty or already used,
    /// a value appears twice or has a count of 0, or the counts do not add up to the number of
    /// records (a record without a value, such as SQL's NULL, cannot be anonymized).
    /// [`Error::LimitExceeded`] beyond `u32::MAX` distinct values.
    pub fn attribute<V: Into<String>>(
        mut self,
        name: &str,
        role: AttributeRole,
        values: impl IntoIterator<Item = (V, u64)>,
    ) -> Result<Self> {
        if name.is_empty() {
            return Err(Error::invalid_argument(
                "an attribute name must not be empty",
            ));
        }
        if self.attributes.iter().any(|a| a.name == name) {
            return Err(Error::invalid_argument(format!(
                "duplicate attribute name '{name}'"
            )));
        }
        let (values, counts): (Vec<String>, Vec<u64>) =
            values.into_iter().map(|(v, n)| (v.into(), n)).unzip();
        if u32::try_from(values.len()).is_err() {
            return Err(Error::limit(
                "distinct values of an attribute",
                u64::from(u32::MAX),
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(values.len());
        for (v, &n) in values.iter().zip(&counts) {
            if !seen.insert(v.as_str()) {
                return Err(Error::invalid_argument(format!(
                    "attribute '{name}': value '{v}' appears twice"
                )));
            }
            if n == 0 {
                return Err(Error::invalid_argument(format!(
                    "attribute '{name}': value '{v}' has a count of 0"
                )));
            }
        }
        let total = counts
            .iter()
            .try_fold(0u64, |a, &n| a.checked_add(n))
            .ok_or_else(|| Error::limit("records", u64::MAX))?;
        if total != self.records {
            return Err(Error::invalid_argument(format!(
                "attribute '{name}': the counts add up to {total} records, the profile has {}",
                self.records
            )));
        }
        self.attributes.push(AttributeProfile {
            name: name.to_owned(),
            role,
            values,
            counts,
        });
        Ok(self)
    }

    /// The profile of a table: every attribute with its role and dictionary.
    #[must_use]
    pub fn of(table: &Table) -> Self {
        let attributes = (0..table.attribute_count())
            .map(|c| AttributeProfile {
                name: table.attribute_name(c).to_owned(),
                role: table.attribute_role(c),
                values: table.dictionary(c).to_vec(),
                counts: table.value_counts(c),
            })
            .collect();
        Self {
            records: table.record_count(),
            attributes,
        }
    }

    /// Number of records.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The attributes, in the order they were added.
    #[must_use]
    pub fn attributes(&self) -> &[AttributeProfile] {
        &self.attributes
    }
}

impl Attributes for Profile {
    fn attribute_count(&self) -> usize {
        self.attributes.len()
    }
    fn record_count(&self) -> u64 {
        self.records
    }
    fn attribute_name(&self, c: usize) -> &str {
        &self.attributes[c].name
    }
    fn attribute_role(&self, c: usize) -> AttributeRole {
        self.attributes[c].role
    }
    fn dictionary(&self, c: usize) -> &[String] {
        &self.attributes[c].values
    }
    fn value_counts(&self, c: usize) -> Vec<u64> {
        self.attributes[c].counts.clone()
    }
}
