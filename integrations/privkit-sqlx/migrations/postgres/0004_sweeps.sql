-- Rotation sweeps over table columns: where each named sweep is and what it did, written
-- in the same transaction as each batch of re-encrypted rows.
CREATE TABLE privkit_sweeps (
    name TEXT PRIMARY KEY,
    cursor_key BIGINT,
    rotated BIGINT NOT NULL,
    skipped BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    updated_ns BIGINT NOT NULL
);
