-- The bearer tokens of the write API. Only the SHA-256 of a token is kept (hex), never the
-- token itself, which `betadata token create` prints once. Revoked tokens stay, so that their
-- names (quoted by the audit log) are never given to another token.
CREATE TABLE tokens (
    id           BIGSERIAL PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL CHECK (scope = 'admin' OR scope LIKE 'incubator:_%'),
    hash         TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    -- The last day the token is valid on (UTC); no date: it does not expire.
    expires_on   DATE,
    revoked_at   TIMESTAMP,
    last_used_at TIMESTAMP
);
