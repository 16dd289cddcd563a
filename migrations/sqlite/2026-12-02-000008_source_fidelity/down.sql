DROP TABLE startup_incubators;
ALTER TABLE incubators DROP COLUMN hidden;
ALTER TABLE incubators DROP COLUMN source;
ALTER TABLE startups DROP COLUMN source;

PRAGMA defer_foreign_keys = ON;
CREATE TABLE organisations_new AS SELECT * FROM organisations;
DROP TABLE organisations;
CREATE TABLE organisations (
    id      TEXT PRIMARY KEY NOT NULL,
    name    TEXT NOT NULL,
    acronym TEXT,
    kind    TEXT NOT NULL CHECK (kind IN ('ministry', 'agency', 'local_authority', 'other'))
);
INSERT INTO organisations (id, name, acronym, kind)
    SELECT id, name, acronym,
           CASE kind
               WHEN 'administration-centrale' THEN 'ministry'
               WHEN 'operateur' THEN 'agency'
               WHEN 'collectivite-territoriale' THEN 'local_authority'
               ELSE 'other'
           END
    FROM organisations_new;
DROP TABLE organisations_new;

-- Same-day phases cannot be told apart by the older key: all but the first listed go.
CREATE TABLE startup_phases_old (
    startup_id TEXT NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    phase_id   TEXT NOT NULL REFERENCES phases (id),
    start_date DATE NOT NULL,
    end_date   DATE CHECK (end_date IS NULL OR end_date >= start_date),
    next_start DATE,
    PRIMARY KEY (startup_id, start_date)
);
INSERT OR IGNORE INTO startup_phases_old (startup_id, phase_id, start_date, end_date, next_start)
    SELECT startup_id, phase_id, start_date,
           CASE WHEN end_date < start_date THEN NULL ELSE end_date END, next_start
    FROM startup_phases ORDER BY startup_id, position;
DROP TABLE startup_phases;
ALTER TABLE startup_phases_old RENAME TO startup_phases;
CREATE INDEX startup_phases_current ON startup_phases (phase_id, next_start, start_date, startup_id);
