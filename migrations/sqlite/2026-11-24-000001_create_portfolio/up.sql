-- The portfolio: organisations sponsor startups and own incubators; a startup's phase
-- history, sponsors, tags and events hang off it; metrics carry dated observations.
-- Kept in the portable subset (TEXT, INTEGER, DOUBLE, DATE) shared with PostgreSQL.

CREATE TABLE organisations (
    id      TEXT PRIMARY KEY NOT NULL,
    name    TEXT NOT NULL,
    acronym TEXT,
    kind    TEXT NOT NULL CHECK (kind IN ('ministry', 'agency', 'local_authority', 'other'))
);

CREATE TABLE incubators (
    id          TEXT PRIMARY KEY NOT NULL,
    title       TEXT NOT NULL,
    owner_id    TEXT REFERENCES organisations (id),
    website     TEXT,
    contact     TEXT,
    address     TEXT,
    description TEXT
);
CREATE INDEX incubators_owner_id ON incubators (owner_id);

CREATE TABLE phases (
    id          TEXT PRIMARY KEY NOT NULL,
    label       TEXT NOT NULL,
    position    INTEGER NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('active', 'exit')),
    description TEXT NOT NULL
);

CREATE TABLE startups (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    pitch        TEXT,
    incubator_id TEXT REFERENCES incubators (id),
    link         TEXT,
    repository   TEXT,
    contact      TEXT,
    description  TEXT
);
CREATE INDEX startups_incubator_id ON startups (incubator_id);

CREATE TABLE startup_phases (
    startup_id TEXT NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    phase_id   TEXT NOT NULL REFERENCES phases (id),
    start_date DATE NOT NULL,
    end_date   DATE CHECK (end_date IS NULL OR end_date >= start_date),
    PRIMARY KEY (startup_id, start_date)
);
CREATE INDEX startup_phases_phase_id ON startup_phases (phase_id, startup_id);

CREATE TABLE startup_sponsors (
    startup_id      TEXT NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (startup_id, organisation_id)
);
CREATE INDEX startup_sponsors_organisation_id ON startup_sponsors (organisation_id, startup_id);

-- Free-form labels of a startup: user types and themes.
CREATE TABLE startup_tags (
    startup_id TEXT NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('usertype', 'thematique')),
    value      TEXT NOT NULL,
    PRIMARY KEY (startup_id, kind, value)
);
CREATE INDEX startup_tags_kind_value ON startup_tags (kind, value, startup_id);

CREATE TABLE startup_events (
    startup_id TEXT NOT NULL REFERENCES startups (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    date       DATE NOT NULL,
    comment    TEXT,
    PRIMARY KEY (startup_id, position)
);

-- The documents figures are taken from.
CREATE TABLE sources (
    id        TEXT PRIMARY KEY NOT NULL,
    title     TEXT NOT NULL,
    published DATE,
    kind      TEXT NOT NULL
);

CREATE TABLE metrics (
    id          TEXT PRIMARY KEY NOT NULL,
    label       TEXT NOT NULL,
    unit        TEXT NOT NULL,
    startup_id  TEXT REFERENCES startups (id) ON DELETE CASCADE,
    description TEXT
);
CREATE INDEX metrics_startup_id ON metrics (startup_id);

-- `date` is the day the value holds at; with `start_date` the value covers [start_date, date].
CREATE TABLE observations (
    metric_id  TEXT NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    date       DATE NOT NULL,
    start_date DATE CHECK (start_date IS NULL OR start_date <= date),
    value      DOUBLE NOT NULL,
    source_id  TEXT REFERENCES sources (id),
    note       TEXT,
    PRIMARY KEY (metric_id, date)
);
