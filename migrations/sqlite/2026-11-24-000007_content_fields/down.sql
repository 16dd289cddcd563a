CREATE TABLE startup_tags_old (
    startup_id TEXT NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('usertype', 'thematique')),
    value      TEXT NOT NULL,
    PRIMARY KEY (startup_id, kind, value)
);
INSERT INTO startup_tags_old (startup_id, kind, value)
    SELECT startup_id, kind, value FROM startup_tags WHERE kind <> 'techno';
DROP TABLE startup_tags;
ALTER TABLE startup_tags_old RENAME TO startup_tags;
CREATE INDEX startup_tags_kind_value ON startup_tags (kind, value, startup_id);

ALTER TABLE startups DROP COLUMN accessibility_status;
ALTER TABLE startups DROP COLUMN stats_url;
