DELETE FROM startup_tags WHERE kind = 'techno';
ALTER TABLE startup_tags DROP CONSTRAINT startup_tags_kind_check;
ALTER TABLE startup_tags ADD CONSTRAINT startup_tags_kind_check
    CHECK (kind IN ('usertype', 'thematique'));

ALTER TABLE startups DROP COLUMN accessibility_status, DROP COLUMN stats_url;
