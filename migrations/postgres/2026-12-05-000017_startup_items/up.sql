-- Each startup as `/api/v1/startups/{id}` shows it, rendered when it is written, beside its
-- lines (migration 000013), so that a request reads one row rather than ten statements'
-- worth (`api::v1::startups::lines`). Like its line in the list, it holds for every day from
-- `current_from` on (its latest phase start); a request for an earlier day renders it.
--
-- It holds while the startup is not in `startup_lines_stale`: the triggers of migration 000013
-- name a startup there when it or a row attached to it changes, and the one below when what it
-- shows of other rows changes: the id and title of its incubators, the names of its sponsors,
-- its metrics and their observations. Reads check `startup_lines_stale`; the writer renders
-- the stale startups before it commits, as for the lines.
CREATE TABLE startup_items (
    startup_id   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    current_from DATE,
    json         TEXT NOT NULL
);

INSERT INTO startup_lines_stale (startup_id) SELECT id FROM startups ON CONFLICT DO NOTHING;

-- Names stale the startups that show the changed row.
CREATE FUNCTION startup_items_forget() RETURNS trigger AS $$
DECLARE
    old_id TEXT COLLATE "C";
    new_id TEXT COLLATE "C";
BEGIN
    -- The changed row's id; for a metric, the id of its startup.
    IF TG_OP <> 'INSERT' THEN old_id := OLD.id; END IF;
    IF TG_OP <> 'DELETE' THEN new_id := NEW.id; END IF;
    IF TG_TABLE_NAME = 'incubators' THEN
        INSERT INTO startup_lines_stale (startup_id)
            SELECT id FROM startups WHERE incubator_id IN (old_id, new_id)
            UNION SELECT startup_id FROM startup_incubators WHERE incubator_id IN (old_id, new_id)
            ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME = 'organisations' THEN
        INSERT INTO startup_lines_stale (startup_id)
            SELECT startup_id FROM startup_sponsors WHERE organisation_id IN (old_id, new_id)
            ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME = 'metrics' THEN
        IF TG_OP <> 'INSERT' THEN old_id := OLD.startup_id; END IF;
        IF TG_OP <> 'DELETE' THEN new_id := NEW.startup_id; END IF;
        INSERT INTO startup_lines_stale (startup_id)
            SELECT id FROM (VALUES (old_id), (new_id)) AS named (id) WHERE id IS NOT NULL
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Names stale the startup of the metric of the changed observation.
CREATE FUNCTION startup_items_forget_observed() RETURNS trigger AS $$
DECLARE
    old_metric TEXT COLLATE "C";
    new_metric TEXT COLLATE "C";
BEGIN
    IF TG_OP <> 'INSERT' THEN old_metric := OLD.metric_id; END IF;
    IF TG_OP <> 'DELETE' THEN new_metric := NEW.metric_id; END IF;
    INSERT INTO startup_lines_stale (startup_id)
        SELECT startup_id FROM metrics
        WHERE id IN (old_metric, new_metric) AND startup_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER startup_items_forget AFTER UPDATE OF id, title OR DELETE ON incubators
    FOR EACH ROW EXECUTE FUNCTION startup_items_forget();
CREATE TRIGGER startup_items_forget AFTER UPDATE OF id, name, acronym OR DELETE ON organisations
    FOR EACH ROW EXECUTE FUNCTION startup_items_forget();
CREATE TRIGGER startup_items_forget AFTER INSERT OR UPDATE OR DELETE ON metrics
    FOR EACH ROW EXECUTE FUNCTION startup_items_forget();
CREATE TRIGGER startup_items_forget AFTER INSERT OR UPDATE OR DELETE ON observations
    FOR EACH ROW EXECUTE FUNCTION startup_items_forget_observed();
