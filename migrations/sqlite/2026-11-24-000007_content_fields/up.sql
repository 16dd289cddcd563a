-- Fields of the beta.gouv.fr content tree the model lacked: where a startup publishes its
-- statistics, its declared accessibility compliance, and its technologies (a third kind of tag).
ALTER TABLE startups ADD COLUMN stats_url TEXT;
ALTER TABLE startups ADD COLUMN accessibility_status TEXT;

-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the new kind.
CREATE TABLE startup_tags_new (
    startup_id TEXT NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('usertype', 'thematique', 'techno')),
    value      TEXT NOT NULL,
    PRIMARY KEY (startup_id, kind, value)
);
INSERT INTO startup_tags_new (startup_id, kind, value)
    SELECT startup_id, kind, value FROM startup_tags;
DROP TABLE startup_tags;
ALTER TABLE startup_tags_new RENAME TO startup_tags;
CREATE INDEX startup_tags_kind_value ON startup_tags (kind, value, startup_id);
