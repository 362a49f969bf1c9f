-- Per-subject data keys, wrapped: `wrapped` is opaque bytes made by the core (a subject key
-- sealed under a keyset or a key-encryption key named by `wrapping_key`). Destroying a key
-- clears `wrapped` and keeps the row as a tombstone, so that reads report "destroyed".
CREATE TABLE privkit_subject_keys (
    subject      TEXT   NOT NULL PRIMARY KEY,
    key_id       BIGINT NOT NULL,
    wrapped      BLOB,
    wrapping_key TEXT   NOT NULL,
    created_ns   BIGINT NOT NULL,
    destroyed_ns BIGINT,
    CHECK ((wrapped IS NULL) = (destroyed_ns IS NOT NULL))
);
-- Re-wrap sweeps find the live keys still under an old wrapping key.
CREATE INDEX privkit_subject_keys_wrapping ON privkit_subject_keys (wrapping_key)
    WHERE wrapped IS NOT NULL;
