-- The audit log, which is also the change feed: one row per resource a write created, changed
-- or deleted, numbered in the order the writes committed (each write holds the data revision's
-- row lock from before it takes a number until it commits). `state` is the resource's new JSON
-- document; NULL for a deletion (a tombstone).
CREATE TABLE changes (
    seq         BIGSERIAL PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    token       TEXT NOT NULL,
    resource    TEXT COLLATE "C" NOT NULL,
    resource_id TEXT COLLATE "C" NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    state       TEXT
);
CREATE INDEX changes_resource ON changes (resource, resource_id, seq);

-- Responses to POSTs sent with an `Idempotency-Key`, replayed when the same token sends the
-- same key again.
CREATE TABLE idempotency_keys (
    token        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    location     TEXT,
    body         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (token, key)
);
