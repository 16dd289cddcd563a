-- The audit log, which is also the change feed: one row per resource a write created, changed
-- or deleted, numbered in the order the writes committed. `state` is the resource's new JSON
-- document; NULL for a deletion (a tombstone).
CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at          TIMESTAMP NOT NULL,
    token       TEXT NOT NULL,
    resource    TEXT NOT NULL,
    resource_id TEXT NOT NULL,
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
