-- Each metric as the whole exports write it: its CSV record and NDJSON line in the metric list
-- (with its latest observation), and its observations as `/api/v1/observations` writes them,
-- rendered when the metric or one of its observations is written, as `startup_lines` are for
-- the startups (migration 000013; `api::v1::metrics::lines`). Nothing in them depends on the
-- day. Triggers forget a metric's lines whenever it or one of its observations changes.
CREATE TABLE metric_lines (
    metric_id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    csv                 TEXT NOT NULL,
    ndjson              TEXT NOT NULL,
    observations_csv    TEXT NOT NULL,
    observations_ndjson TEXT NOT NULL
);

CREATE TABLE metric_lines_stale (metric_id TEXT COLLATE "C" PRIMARY KEY NOT NULL);
INSERT INTO metric_lines_stale (metric_id) SELECT id FROM metrics;

-- Forgets the lines of the metric a row names: `id` on `metrics`, `metric_id` on `observations`.
CREATE FUNCTION metric_lines_forget() RETURNS trigger AS $$
DECLARE
    old_id TEXT COLLATE "C";
    new_id TEXT COLLATE "C";
BEGIN
    IF TG_TABLE_NAME = 'metrics' THEN
        IF TG_OP <> 'INSERT' THEN old_id := OLD.id; END IF;
        IF TG_OP <> 'DELETE' THEN new_id := NEW.id; END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN old_id := OLD.metric_id; END IF;
        IF TG_OP <> 'DELETE' THEN new_id := NEW.metric_id; END IF;
    END IF;
    DELETE FROM metric_lines WHERE metric_id IN (old_id, new_id);
    INSERT INTO metric_lines_stale (metric_id)
        SELECT id FROM (VALUES (old_id), (new_id)) AS named (id) WHERE id IS NOT NULL
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER metric_lines_forget AFTER INSERT OR UPDATE OR DELETE ON metrics
    FOR EACH ROW EXECUTE FUNCTION metric_lines_forget();
CREATE TRIGGER metric_lines_forget AFTER INSERT OR UPDATE OR DELETE ON observations
    FOR EACH ROW EXECUTE FUNCTION metric_lines_forget();
