-- Sealed keysets (privkit's exported-keyset bytes, opaque here), every saved version kept
-- until pruned, so that a restart loads the latest and a failed rotation can go back.
CREATE TABLE privkit_keysets (
    name     TEXT   NOT NULL,
    version  BIGINT NOT NULL,
    sealed   BYTEA  NOT NULL,
    saved_ns BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);
