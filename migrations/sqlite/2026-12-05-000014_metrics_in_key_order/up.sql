-- Metrics and observations stored in the order of their keys (`WITHOUT ROWID`): a table with a
-- rowid keeps its rows in the order they were written and finds them through its key's index,
-- so a whole export, read in key order, fetched each row from another page of the file. At
-- 100,000 startups (84,799 metrics, 1,000,000 observations written in the generator's order),
-- the whole metrics CSV took 0.66 s and the observations CSV 1.04 s; stored in key order, 0.35 s
-- and 0.78 s, the same bytes (BENCHMARKS.md). No other table references a rowid of these.
CREATE TABLE metrics_by_key (
    id          TEXT PRIMARY KEY NOT NULL,
    label       TEXT NOT NULL,
    unit        TEXT NOT NULL,
    startup_id  TEXT REFERENCES startups (id) ON DELETE CASCADE,
    description TEXT
) WITHOUT ROWID;
INSERT INTO metrics_by_key (id, label, unit, startup_id, description)
    SELECT id, label, unit, startup_id, description FROM metrics;

CREATE TABLE observations_by_key (
    metric_id  TEXT NOT NULL REFERENCES metrics_by_key (id) ON DELETE CASCADE,
    date       DATE NOT NULL,
    start_date DATE CHECK (start_date IS NULL OR start_date <= date),
    value      DOUBLE NOT NULL,
    source_id  TEXT REFERENCES sources (id),
    note       TEXT,
    PRIMARY KEY (metric_id, date)
) WITHOUT ROWID;
INSERT INTO observations_by_key (metric_id, date, start_date, value, source_id, note)
    SELECT metric_id, date, start_date, value, source_id, note FROM observations;

-- The new observations reference the new metrics, renamed below (SQLite renames the reference
-- with the table): dropping the old metrics deletes its rows first, and would cascade that
-- delete to observations that referenced it.
DROP TABLE observations;
DROP TABLE metrics;
ALTER TABLE metrics_by_key RENAME TO metrics;
ALTER TABLE observations_by_key RENAME TO observations;
CREATE INDEX metrics_startup_id ON metrics (startup_id);
ANALYZE metrics;
ANALYZE observations;
