//! Typed encrypted fields.

use std::marker::PhantomData;

use super::keys::Keyset;
use crate::{Error, Result, encoding};

/// A value type that can be stored in an [`Encrypted`] field: how it becomes plaintext
/// bytes and back.
///
/// Implemented for `String`, `Vec<u8>`, `bool` and the fixed-width integers (big-endian,
/// so every value of a type has the same ciphertext length).
pub trait FieldValue: Sized {
    /// The plaintext bytes of the value.
    fn to_plaintext(&self) -> Vec<u8>;
    /// The value from its plaintext bytes.
    ///
    /// # Errors
    /// [`Error::Malformed`] when the bytes are not an encoding of this type.
    fn from_plaintext(bytes: Vec<u8>) -> Result<Self>;
}

impl FieldValue for Vec<u8> {
    fn to_plaintext(&self) -> Vec<u8> {
        self.clone()
    }
    fn from_plaintext(bytes: Vec<u8>) -> Result<Self> {
        Ok(bytes)
    }
}

impl FieldValue for String {
    fn to_plaintext(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
    fn from_plaintext(bytes: Vec<u8>) -> Result<Self> {
        String::from_utf8(bytes).map_err(|_| Error::Malformed("encrypted field is not UTF-8"))
    }
}

impl FieldValue for bool {
    fn to_plaintext(&self) -> Vec<u8> {
        vec![u8::from(*self)]
    }
    fn from_plaintext(bytes: Vec<u8>) -> Result<Self> {
        match bytes.as_slice() {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => Err(Error::Malformed("encrypted field is not a bool")),
        }
    }
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn to_plaintext(&self) -> Vec<u8> {
                self.to_be_bytes().to_vec()
            }
            fn from_plaintext(bytes: Vec<u8>) -> Result<Self> {
                let arr = bytes.try_into().map_err(|_| Error::Malformed("encrypted field has the wrong width"))?;
                Ok(<$t>::from_be_bytes(arr))
            }
        }
    )*};
}
int_field!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);

/// A field stored encrypted: a [`Keyset`] ciphertext of a `T`.
///
/// With the `serde` feature it serializes as an unpadded base64url string, so a struct
/// can keep its sensitive fields encrypted at rest in JSON, a document store or a
/// message, while the rest stays queryable. Pass associated data that names the slot
/// (record id and field name) so a ciphertext cannot be moved to another record.
///
/// # Example
/// ```
/// use privkit::{Algorithm, keyset::{Aad, Encrypted, Keyset}};
///
/// let keyset = Keyset::generate(Algorithm::Aes256Gcm)?;
/// let aad = Aad::new().with("customer", "c-1001").with("field", "phone");
/// let phone: Encrypted<String> = Encrypted::encrypt(&keyset, &"+44 20 7946 0958".to_string(), aad.as_bytes())?;
/// assert_eq!(phone.decrypt(&keyset, aad.as_bytes())?, "+44 20 7946 0958");
/// # Ok::<(), privkit::Error>(())
/// ```
pub struct Encrypted<T> {
    ciphertext: Vec<u8>,
    _value: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Encrypted<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Encrypted")
            .field(&encoding::base64url_encode(&self.ciphertext))
            .finish()
    }
}

impl<T> Clone for Encrypted<T> {
    fn clone(&self) -> Self {
        Self::from_ciphertext(self.ciphertext.clone())
    }
}

impl<T> PartialEq for Encrypted<T> {
    fn eq(&self, other: &Self) -> bool {
        self.ciphertext == other.ciphertext
    }
}

impl<T> Eq for Encrypted<T> {}

impl<T: FieldValue> Encrypted<T> {
    /// Encrypts `value` under the keyset's primary key, binding `aad`.
    ///
    /// # Errors
    /// As [`Keyset::encrypt`].
    pub fn encrypt(keyset: &Keyset, value: &T, aad: &[u8]) -> Result<Self> {
        let plaintext = zeroize::Zeroizing::new(value.to_plaintext());
        Ok(Self::from_ciphertext(keyset.encrypt(&plaintext, aad)?))
    }

    /// Decrypts the field.
    ///
    /// # Errors
    /// As [`Keyset::decrypt`], and [`Error::Malformed`] if the plaintext is not a `T`.
    pub fn decrypt(&self, keyset: &Keyset, aad: &[u8]) -> Result<T> {
        T::from_plaintext(keyset.decrypt(&self.ciphertext, aad)?)
    }
}

impl<T> Encrypted<T> {
    /// Wraps an existing keyset ciphertext (nothing is checked until decryption).
    #[must_use]
    pub fn from_ciphertext(ciphertext: Vec<u8>) -> Self {
        Self {
            ciphertext,
            _value: PhantomData,
        }
    }

    /// The keyset ciphertext.
    #[must_use]
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The unpadded base64url text form (what serde writes).
    #[must_use]
    pub fn to_base64url(&self) -> String {
        encoding::base64url_encode(&self.ciphertext)
    }

    /// Parses the text form.
    ///
    /// # Errors
    /// [`Error::Malformed`] for text that is not canonical unpadded base64url.
    pub fn from_base64url(text: &str) -> Result<Self> {
        Ok(Self::from_ciphertext(encoding::base64url_decode(text)?))
    }
}

#[cfg(feature = "serde")]
impl<T> serde::Serialize for Encrypted<T> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> core::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64url())
    }
}

#[cfg(feature = "serde")]
impl<'de, T> serde::Deserialize<'de> for Encrypted<T> {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> core::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_base64url(&text).map_err(serde::de::Error::custom)
    }
}
