-- Real content trees kept as their files have them (see the SQLite migration of the same name
-- for the reasons): phase rows numbered in the source's order, organisation types as the data
-- names them, each imported record's front matter kept as JSON, hidden incubators, and the
-- co-incubators a startup lists beside its incubator.

ALTER TABLE startup_phases ADD COLUMN position INTEGER;
UPDATE startup_phases SET position = numbered.position
    FROM (SELECT startup_id, start_date,
                 CAST(ROW_NUMBER() OVER (PARTITION BY startup_id ORDER BY start_date) - 1 AS INTEGER)
                     AS position
          FROM startup_phases) AS numbered
    WHERE numbered.startup_id = startup_phases.startup_id
      AND numbered.start_date = startup_phases.start_date;
ALTER TABLE startup_phases ALTER COLUMN position SET NOT NULL;
ALTER TABLE startup_phases DROP CONSTRAINT startup_phases_pkey;
ALTER TABLE startup_phases ADD PRIMARY KEY (startup_id, position);
-- What the older key gave: a startup's phases by start, for the joins on "phase on a day".
CREATE INDEX startup_phases_startup_start ON startup_phases (startup_id, start_date);
ALTER TABLE startup_phases DROP CONSTRAINT startup_phases_check;

ALTER TABLE organisations DROP CONSTRAINT organisations_kind_check;
UPDATE organisations SET kind = CASE kind
    WHEN 'ministry' THEN 'administration-centrale'
    WHEN 'agency' THEN 'operateur'
    WHEN 'local_authority' THEN 'collectivite-territoriale'
    ELSE 'autre'
END;

ALTER TABLE organisations ADD COLUMN source TEXT;
ALTER TABLE startups ADD COLUMN source TEXT;
ALTER TABLE incubators ADD COLUMN source TEXT, ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE startup_incubators (
    startup_id   TEXT COLLATE "C" NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    incubator_id TEXT COLLATE "C" NOT NULL REFERENCES incubators (id),
    PRIMARY KEY (startup_id, position)
);
CREATE INDEX startup_incubators_incubator ON startup_incubators (incubator_id, startup_id);
