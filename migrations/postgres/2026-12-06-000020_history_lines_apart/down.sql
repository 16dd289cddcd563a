DROP TRIGGER observation_lines_forget ON metric_lines;
DROP FUNCTION observation_lines_forget();
ALTER TABLE metric_lines
    ADD COLUMN observations_csv TEXT NOT NULL DEFAULT '',
    ADD COLUMN observations_ndjson TEXT NOT NULL DEFAULT '';
UPDATE metric_lines SET observations_csv = o.csv, observations_ndjson = o.ndjson
    FROM observation_lines o WHERE o.metric_id = metric_lines.metric_id;
DROP TABLE observation_lines;

DROP TRIGGER startup_phase_lines_forget ON startup_lines;
DROP FUNCTION startup_phase_lines_forget();
ALTER TABLE startup_lines
    ADD COLUMN phases_csv TEXT NOT NULL DEFAULT '',
    ADD COLUMN phases_ndjson TEXT NOT NULL DEFAULT '';
UPDATE startup_lines SET phases_csv = p.csv, phases_ndjson = p.ndjson
    FROM startup_phase_lines p WHERE p.startup_id = startup_lines.startup_id;
DROP TABLE startup_phase_lines;
