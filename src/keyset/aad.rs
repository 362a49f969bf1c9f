//! Associated data built from labelled context fields.

/// Associated data built from `(label, value)` pairs with an injective encoding.
///
/// Binding a ciphertext to its context (table, column, row id, tenant) stops an attacker
/// who can write to the database from moving a ciphertext to another row or column: it
/// only decrypts with the context it was made for. Building that context by string
/// concatenation is ambiguous (`"ab" + "c"` equals `"a" + "bc"`); this builder writes each
/// label and value with its length (4 bytes, big-endian), so distinct field lists always
/// give distinct bytes.
///
/// # Example
/// ```
/// use privkit::keyset::Aad;
///
/// let a = Aad::new().with("table", "users").with("row", "1");
/// let b = Aad::new().with("table", "users").with("row", "12");
/// assert_ne!(a.as_bytes(), b.as_bytes());
/// assert_ne!(Aad::new().with("ab", "c").as_bytes(), Aad::new().with("a", "bc").as_bytes());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Aad(Vec<u8>);

impl Aad {
    /// Empty associated data.
    #[must_use]
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends the field `label` = `value`.
    ///
    /// # Panics
    /// If a label or value is longer than 4 GiB.
    #[must_use]
    pub fn with(mut self, label: &str, value: impl AsRef<[u8]>) -> Self {
        self.push(label.as_bytes());
        self.push(value.as_ref());
        self
    }

    fn push(&mut self, bytes: &[u8]) {
        #[allow(clippy::expect_used)]
        let len = u32::try_from(bytes.len()).expect("associated data field longer than 4 GiB");
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(bytes);
    }

    /// The encoded bytes, to pass as associated data.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Aad {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
