-- Fields of the beta.gouv.fr content tree the model lacked: where a startup publishes its
-- statistics, its declared accessibility compliance, and its technologies (a third kind of tag).
ALTER TABLE startups ADD COLUMN stats_url TEXT, ADD COLUMN accessibility_status TEXT;

ALTER TABLE startup_tags DROP CONSTRAINT startup_tags_kind_check;
ALTER TABLE startup_tags ADD CONSTRAINT startup_tags_kind_check
    CHECK (kind IN ('usertype', 'thematique', 'techno'));
