//! The plaintext form of an exported keyset (`docs/FORMAT.md` section 6). The sealed
//! forms (under a key-encryption key or a password) are envelope encryption of these bytes
//! and live with the envelopes.

use zeroize::Zeroizing;

use super::keys::{KeyStatus, Keyset};
use crate::backend::{Algorithm, KEY_LEN};
use crate::encoding::Reader;
use crate::secret::SecretBytes;
use crate::{Error, Result};

const KEYSET_MAGIC: [u8; 4] = *b"PKKS";
const KEYSET_VERSION: u8 = 1;
/// Most keys an exported keyset may hold: export refuses more, import refuses more (the
/// format's count field could say 65,535; the bound keeps imports of untrusted bytes
/// small).
pub const MAX_EXPORTED_KEYS: usize = 4096;

fn status_code(status: KeyStatus) -> u8 {
    match status {
        KeyStatus::Enabled => 1,
        KeyStatus::Disabled => 2,
        KeyStatus::Destroyed => 3,
    }
}

impl Keyset {
    /// The keyset (every key, its status and the primary) as plaintext bytes, in the
    /// layout of `docs/FORMAT.md` section 6. Secret: only [`export_sealed`](Self::export_sealed)
    /// calls it.
    pub(crate) fn to_plaintext(&self) -> Result<Zeroizing<Vec<u8>>> {
        let keys: Vec<_> = self.export_material().collect();
        let count = u16::try_from(keys.len())
            .ok()
            .filter(|&n| usize::from(n) <= MAX_EXPORTED_KEYS)
            .ok_or_else(|| {
                Error::limit(
                    "keys per exported keyset",
                    u64::try_from(MAX_EXPORTED_KEYS).unwrap_or(u64::MAX),
                )
            })?;
        let mut out = Zeroizing::new(Vec::with_capacity(11 + keys.len() * (7 + KEY_LEN)));
        out.extend_from_slice(&KEYSET_MAGIC);
        out.push(KEYSET_VERSION);
        out.extend_from_slice(&self.primary_id().to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        for (info, material) in keys {
            out.extend_from_slice(&info.id.to_be_bytes());
            out.push(info.algorithm.id());
            out.push(status_code(info.status));
            match material {
                Some(secret) => {
                    out.push(1);
                    out.extend_from_slice(secret.expose_secret());
                }
                None => out.push(0),
            }
        }
        Ok(out)
    }

    /// Parses the plaintext form written by [`to_plaintext`](Self::to_plaintext).
    pub(crate) fn from_plaintext(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.take(4, "truncated keyset")? != KEYSET_MAGIC {
            return Err(Error::Malformed("not an exported keyset"));
        }
        let version = r.u8("truncated keyset")?;
        if version != KEYSET_VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let primary = r.u32("truncated keyset")?;
        let count = usize::from(r.u16("truncated keyset")?);
        if count == 0 || count > MAX_EXPORTED_KEYS {
            return Err(Error::Malformed("exported keyset key count out of range"));
        }
        let mut keyset: Option<Keyset> = None;
        let mut statuses = Vec::with_capacity(count);
        for _ in 0..count {
            let id = r.u32("truncated keyset")?;
            let algorithm = Algorithm::from_id(r.u8("truncated keyset")?)?;
            let status = match r.u8("truncated keyset")? {
                1 => KeyStatus::Enabled,
                2 => KeyStatus::Disabled,
                3 => KeyStatus::Destroyed,
                _ => return Err(Error::Malformed("unknown key status")),
            };
            let key = match r.u8("truncated keyset")? {
                1 if status != KeyStatus::Destroyed => {
                    SecretBytes::from_slice(r.take(KEY_LEN, "truncated key")?)
                }
                0 if status == KeyStatus::Destroyed => SecretBytes::zeroed(KEY_LEN),
                _ => {
                    return Err(Error::Malformed(
                        "key material does not match the key status",
                    ));
                }
            };
            let inserted = match keyset.as_mut() {
                None => Keyset::from_key(id, algorithm, key).map(|ks| keyset = Some(ks)),
                Some(ks) => ks.insert_key(id, algorithm, key),
            };
            inserted.map_err(|_| Error::Malformed("duplicate or invalid key id"))?;
            statuses.push((id, status));
        }
        if !r.rest().is_empty() {
            return Err(Error::Malformed("trailing bytes after the exported keyset"));
        }
        let mut keyset = keyset.ok_or(Error::Malformed("empty keyset"))?;
        keyset
            .promote(primary)
            .map_err(|_| Error::Malformed("the primary key is missing or not enabled"))?;
        for (id, status) in statuses {
            let applied = match status {
                KeyStatus::Enabled => Ok(()),
                KeyStatus::Disabled => keyset.disable(id),
                KeyStatus::Destroyed => keyset.destroy(id),
            };
            applied.map_err(|_| Error::Malformed("the primary key is not enabled"))?;
        }
        Ok(keyset)
    }
}
