DROP TRIGGER observation_lines_forget;
ALTER TABLE metric_lines ADD COLUMN observations_csv TEXT NOT NULL DEFAULT '';
ALTER TABLE metric_lines ADD COLUMN observations_ndjson TEXT NOT NULL DEFAULT '';
UPDATE metric_lines SET
    observations_csv = (SELECT csv FROM observation_lines o WHERE o.metric_id = metric_lines.metric_id),
    observations_ndjson = (SELECT ndjson FROM observation_lines o WHERE o.metric_id = metric_lines.metric_id)
    WHERE metric_id IN (SELECT metric_id FROM observation_lines);
DROP TABLE observation_lines;

DROP TRIGGER startup_phase_lines_forget;
ALTER TABLE startup_lines ADD COLUMN phases_csv TEXT NOT NULL DEFAULT '';
ALTER TABLE startup_lines ADD COLUMN phases_ndjson TEXT NOT NULL DEFAULT '';
UPDATE startup_lines SET
    phases_csv = (SELECT csv FROM startup_phase_lines p WHERE p.startup_id = startup_lines.startup_id),
    phases_ndjson = (SELECT ndjson FROM startup_phase_lines p WHERE p.startup_id = startup_lines.startup_id)
    WHERE startup_id IN (SELECT startup_id FROM startup_phase_lines);
DROP TABLE startup_phase_lines;
