-- One row: when the published data last changed, for Last-Modified and conditional requests.
-- Every write that changes the data bumps it in the same transaction.
CREATE TABLE data_revision (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    revision   BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
INSERT INTO data_revision (id, revision, changed_at) VALUES (1, 0, (now() AT TIME ZONE 'utc'));
