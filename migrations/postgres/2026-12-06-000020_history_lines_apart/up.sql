-- The lines of the phase history and of the observations, each in a table of their own,
-- apart from the lines of the startup and metric lists (migrations 000013 and 000015). An
-- export reads the pages of the table that holds its lines: the phase history of 100,000
-- startups is 12 MB, which the lines stored beside it made 110 MB to read.
--
-- A startup has its phase lines exactly when it has its list lines: the writer stores both,
-- and deleting the lines of the list, which every trigger of migration 000013 does, deletes
-- its phase lines too. The same holds for a metric's observation lines.
CREATE TABLE startup_phase_lines (
    startup_id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    csv        TEXT NOT NULL,
    ndjson     TEXT NOT NULL
);
INSERT INTO startup_phase_lines (startup_id, csv, ndjson)
    SELECT startup_id, phases_csv, phases_ndjson FROM startup_lines ORDER BY startup_id;
ALTER TABLE startup_lines DROP COLUMN phases_csv, DROP COLUMN phases_ndjson;
-- A dropped column's bytes stay in each row until it is rewritten: rewrite them all.
CLUSTER startup_lines USING startup_lines_pkey;

CREATE FUNCTION startup_phase_lines_forget() RETURNS trigger AS $$
BEGIN
    DELETE FROM startup_phase_lines WHERE startup_id = OLD.startup_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER startup_phase_lines_forget AFTER DELETE ON startup_lines
    FOR EACH ROW EXECUTE FUNCTION startup_phase_lines_forget();

CREATE TABLE observation_lines (
    metric_id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    csv       TEXT NOT NULL,
    ndjson    TEXT NOT NULL
);
INSERT INTO observation_lines (metric_id, csv, ndjson)
    SELECT metric_id, observations_csv, observations_ndjson FROM metric_lines ORDER BY metric_id;
ALTER TABLE metric_lines DROP COLUMN observations_csv, DROP COLUMN observations_ndjson;
CLUSTER metric_lines USING metric_lines_pkey;

CREATE FUNCTION observation_lines_forget() RETURNS trigger AS $$
BEGIN
    DELETE FROM observation_lines WHERE metric_id = OLD.metric_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER observation_lines_forget AFTER DELETE ON metric_lines
    FOR EACH ROW EXECUTE FUNCTION observation_lines_forget();
