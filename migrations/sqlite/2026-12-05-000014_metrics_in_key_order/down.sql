CREATE TABLE metrics_by_rowid (
    id          TEXT PRIMARY KEY NOT NULL,
    label       TEXT NOT NULL,
    unit        TEXT NOT NULL,
    startup_id  TEXT REFERENCES startups (id) ON DELETE CASCADE,
    description TEXT
);
INSERT INTO metrics_by_rowid (id, label, unit, startup_id, description)
    SELECT id, label, unit, startup_id, description FROM metrics;

CREATE TABLE observations_by_rowid (
    metric_id  TEXT NOT NULL REFERENCES metrics_by_rowid (id) ON DELETE CASCADE,
    date       DATE NOT NULL,
    start_date DATE CHECK (start_date IS NULL OR start_date <= date),
    value      DOUBLE NOT NULL,
    source_id  TEXT REFERENCES sources (id),
    note       TEXT,
    PRIMARY KEY (metric_id, date)
);
INSERT INTO observations_by_rowid (metric_id, date, start_date, value, source_id, note)
    SELECT metric_id, date, start_date, value, source_id, note FROM observations;

-- The new observations reference the new metrics, renamed below (SQLite renames the reference
-- with the table): dropping the old metrics deletes its rows first, and would cascade that
-- delete to observations that referenced it.
DROP TABLE observations;
DROP TABLE metrics;
ALTER TABLE metrics_by_rowid RENAME TO metrics;
ALTER TABLE observations_by_rowid RENAME TO observations;
CREATE INDEX metrics_startup_id ON metrics (startup_id);
