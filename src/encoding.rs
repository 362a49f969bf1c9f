//! Encodings: text encodings of binary values (hex, unpadded base64url), and a
//! bounds-checked reader and length-prefixed writer for the binary formats.

use crate::{Error, Result};

#[allow(dead_code)]
const HEX: &[u8; 16] = b"0123456789abcdef";
const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Lower-case hexadecimal.
#[allow(dead_code)] // used by vector tests and the pseudonym module
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

/// Decodes hexadecimal (either case).
#[allow(dead_code)] // used by vector tests and the pseudonym module
pub(crate) fn hex_decode(s: &str) -> Result<Vec<u8>> {
    fn nibble(c: u8) -> Result<u8> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(Error::Malformed("invalid hexadecimal digit")),
        }
    }
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return Err(Error::Malformed("odd-length hexadecimal"));
    }
    s.chunks_exact(2)
        .map(|p| Ok((nibble(p[0])? << 4) | nibble(p[1])?))
        .collect()
}

/// Unpadded base64url (RFC 4648, section 5).
pub(crate) fn base64url_encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3f;
            s.push(char::from(B64URL[idx as usize]));
        }
    }
    s
}

/// Decodes unpadded base64url; refuses padding, other alphabets and non-canonical
/// trailing bits, so every value has exactly one accepted encoding.
pub(crate) fn base64url_decode(s: &str) -> Result<Vec<u8>> {
    fn value(c: u8) -> Result<u32> {
        match c {
            b'A'..=b'Z' => Ok(u32::from(c - b'A')),
            b'a'..=b'z' => Ok(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Ok(u32::from(c - b'0') + 52),
            b'-' => Ok(62),
            b'_' => Ok(63),
            _ => Err(Error::Malformed("invalid base64url character")),
        }
    }
    let s = s.as_bytes();
    if s.len() % 4 == 1 {
        return Err(Error::Malformed("invalid base64url length"));
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        let produced = chunk.len() - 1;
        out.extend_from_slice(&bytes[1..=produced]);
        // Bits below the last produced byte must be zero (canonical encoding).
        let unused_mask = match produced {
            1 => 0xffff,
            2 => 0xff,
            _ => 0,
        };
        if n & unused_mask != 0 {
            return Err(Error::Malformed("non-canonical base64url"));
        }
    }
    Ok(out)
}

/// A cursor over untrusted bytes. Every read is bounds-checked and fails with
/// [`Error::Malformed`]; nothing here panics.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or_else(|| Error::Malformed(what))?;
        let out = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| Error::Malformed(what))?;
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos = self.bytes.len();
        out
    }
}

/// Appends `bytes` preceded by its length as a big-endian `u16`.
pub(crate) fn put_u16_prefixed(out: &mut Vec<u8>, bytes: &[u8], what: &'static str) -> Result<()> {
    let len = u16::try_from(bytes.len()).map_err(|_| Error::limit(what, u64::from(u16::MAX)))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() -> Result<()> {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url_encode(plain.as_bytes()), enc);
            assert_eq!(base64url_decode(enc)?, plain.as_bytes());
        }
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        Ok(())
    }

    #[test]
    fn fail_non_canonical() {
        assert!(base64url_decode("Zh").is_err());
        assert!(base64url_decode("Zg==").is_err());
        assert!(base64url_decode("Z").is_err());
        assert!(hex_decode("abc").is_err());
        assert!(hex_decode("zz").is_err());
    }

    #[test]
    fn hex_round_trip() -> Result<()> {
        let data: Vec<u8> = (0..=255).collect();
        assert_eq!(hex_decode(&hex_encode(&data))?, data);
        Ok(())
    }
}
