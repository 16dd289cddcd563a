-- Real content trees kept as their files have them.
--
-- 1. A startup's phase history keeps the source's order: rows are numbered by `position`, so
--    two phases may start on the same day, overlap, or end before they start; every oddity is
--    reported by the importer, none is dropped. `next_start` keeps its meaning ("the day this
--    row stops being current"): a row tied on its start with an earlier-listed row is never
--    current, which the rule of beta.gouv.fr says (latest start, first listed on a tie), and is
--    written with `next_start = start_date`.
-- 2. An organisation's `kind` is the type the data uses (`administration-centrale`, `operateur`,
--    `autre`, `service-deconcentre`…), not a closed list of our own.
-- 3. `source` keeps each imported record's front matter and body as JSON, for the fields the
--    model does not hold and for the exact text beta.gouv.fr's own files print.
-- 4. `hidden` incubators stay out of the public lists, as upstream hides them.
-- 5. Co-incubation: the incubators a startup's file lists under `incubators:` beside its
--    `incubator`, in the file's order; the startup is found under each.

CREATE TABLE startup_phases_new (
    startup_id TEXT NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    phase_id   TEXT NOT NULL REFERENCES phases (id),
    start_date DATE NOT NULL,
    end_date   DATE,
    next_start DATE,
    PRIMARY KEY (startup_id, position)
);
INSERT INTO startup_phases_new (startup_id, position, phase_id, start_date, end_date, next_start)
    SELECT startup_id,
           (SELECT COUNT(*) FROM startup_phases AS earlier
             WHERE earlier.startup_id = startup_phases.startup_id
               AND earlier.start_date < startup_phases.start_date),
           phase_id, start_date, end_date, next_start
    FROM startup_phases;
DROP TABLE startup_phases;
ALTER TABLE startup_phases_new RENAME TO startup_phases;
CREATE INDEX startup_phases_current ON startup_phases (phase_id, next_start, start_date, startup_id);
-- What the older key gave: a startup's phases by start, for the joins on "phase on a day".
CREATE INDEX startup_phases_startup_start ON startup_phases (startup_id, start_date);

-- `organisations` is referenced by incubators and sponsors: rebuilt in place, with the foreign
-- keys checked once at commit, when every row is back.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE organisations_old AS SELECT * FROM organisations;
DROP TABLE organisations;
CREATE TABLE organisations (
    id      TEXT PRIMARY KEY NOT NULL,
    name    TEXT NOT NULL,
    acronym TEXT,
    kind    TEXT NOT NULL,
    source  TEXT
);
INSERT INTO organisations (id, name, acronym, kind)
    SELECT id, name, acronym,
           CASE kind
               WHEN 'ministry' THEN 'administration-centrale'
               WHEN 'agency' THEN 'operateur'
               WHEN 'local_authority' THEN 'collectivite-territoriale'
               ELSE 'autre'
           END
    FROM organisations_old;
DROP TABLE organisations_old;

ALTER TABLE startups ADD COLUMN source TEXT;
ALTER TABLE incubators ADD COLUMN source TEXT;
ALTER TABLE incubators ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE startup_incubators (
    startup_id   TEXT NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    incubator_id TEXT NOT NULL REFERENCES incubators (id),
    PRIMARY KEY (startup_id, position)
);
CREATE INDEX startup_incubators_incubator ON startup_incubators (incubator_id, startup_id);
