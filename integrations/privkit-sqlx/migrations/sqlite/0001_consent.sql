-- privkit consent ledger (privkit::retention::ConsentRecord): one row per consent event.
-- `seq` orders events recorded at the same instant: the later one counts.
CREATE TABLE privkit_consent (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    subject        TEXT    NOT NULL,
    purpose        TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('granted', 'withdrawn')),
    at_ns          INTEGER NOT NULL,
    policy_version TEXT    NOT NULL,
    source         TEXT    NOT NULL
);
CREATE INDEX privkit_consent_lookup ON privkit_consent (subject, purpose, at_ns, seq);
