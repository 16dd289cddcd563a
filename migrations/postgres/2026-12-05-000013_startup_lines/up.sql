-- Each startup as the whole exports write it: its CSV record and NDJSON line in the startup
-- list, and its rows of the phase history (none, one or more lines, in the order of its
-- phases), rendered when the startup is written, so that the first download after a write reads
-- them rather than rendering 100,000 startups from their rows (`api::v1::startups::lines`).
--
-- A startup's lines in the list hold for every day from `current_from` on (its latest phase
-- start, when it has phases): `current_phase` is the one thing in them that depends on the day,
-- and from that day on it no longer changes. An export for an earlier day renders the startup
-- from its rows. Its phase history holds on any day.
--
-- The triggers below keep the lines true whatever writes: any change to a startup or to a row
-- attached to it deletes its lines in the same statement and names it in
-- `startup_lines_stale`; the writer renders the stale ones before it commits, and an export
-- renders any startup it finds without lines.
CREATE TABLE startup_lines (
    startup_id    TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    current_from  DATE,
    csv           TEXT NOT NULL,
    ndjson        TEXT NOT NULL,
    phases_csv    TEXT NOT NULL,
    phases_ndjson TEXT NOT NULL
);

CREATE TABLE startup_lines_stale (startup_id TEXT COLLATE "C" PRIMARY KEY NOT NULL);
INSERT INTO startup_lines_stale (startup_id) SELECT id FROM startups;

-- Forgets the lines of the startup a row names: `id` on `startups`, `startup_id` elsewhere.
CREATE FUNCTION startup_lines_forget() RETURNS trigger AS $$
DECLARE
    old_id TEXT COLLATE "C";
    new_id TEXT COLLATE "C";
BEGIN
    IF TG_TABLE_NAME = 'startups' THEN
        IF TG_OP <> 'INSERT' THEN old_id := OLD.id; END IF;
        IF TG_OP <> 'DELETE' THEN new_id := NEW.id; END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN old_id := OLD.startup_id; END IF;
        IF TG_OP <> 'DELETE' THEN new_id := NEW.startup_id; END IF;
    END IF;
    DELETE FROM startup_lines WHERE startup_id IN (old_id, new_id);
    INSERT INTO startup_lines_stale (startup_id)
        SELECT id FROM (VALUES (old_id), (new_id)) AS named (id) WHERE id IS NOT NULL
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER startup_lines_forget AFTER INSERT OR UPDATE OR DELETE ON startups
    FOR EACH ROW EXECUTE FUNCTION startup_lines_forget();
CREATE TRIGGER startup_lines_forget AFTER INSERT OR UPDATE OR DELETE ON startup_phases
    FOR EACH ROW EXECUTE FUNCTION startup_lines_forget();
CREATE TRIGGER startup_lines_forget AFTER INSERT OR UPDATE OR DELETE ON startup_incubators
    FOR EACH ROW EXECUTE FUNCTION startup_lines_forget();
CREATE TRIGGER startup_lines_forget AFTER INSERT OR UPDATE OR DELETE ON startup_sponsors
    FOR EACH ROW EXECUTE FUNCTION startup_lines_forget();
CREATE TRIGGER startup_lines_forget AFTER INSERT OR UPDATE OR DELETE ON startup_tags
    FOR EACH ROW EXECUTE FUNCTION startup_lines_forget();
CREATE TRIGGER startup_lines_forget AFTER INSERT OR UPDATE OR DELETE ON startup_events
    FOR EACH ROW EXECUTE FUNCTION startup_lines_forget();
