-- Startups counted as they are written, without the month: today's figures (`/stats` and
-- `/phases` without `as_of`, the total of a list filtered by phase within one incubator) read
-- these few dozen rows, where summing the monthly tallies (migrations 000016 and 000019)
-- grouped a few thousand. The monthly tallies stay for a day in the past.
--
-- `''` stands for a missing incubator or creation day, as in the monthly tallies. A count that
-- falls to 0 keeps its row; reads skip it. Triggers on `startups` keep them all, so a write
-- made around the API counts too.
CREATE TABLE incubator_totals (
    incubator_id TEXT PRIMARY KEY NOT NULL,
    startups     BIGINT NOT NULL
) WITHOUT ROWID;

CREATE TABLE creation_year_totals (
    created_year TEXT PRIMARY KEY NOT NULL, -- `YYYY` of `startups.created_on`
    startups     BIGINT NOT NULL
) WITHOUT ROWID;

-- Startups whose latest phase is dated; the others are in no phase on any day.
CREATE TABLE latest_phase_totals (
    latest_phase_id TEXT PRIMARY KEY NOT NULL,
    startups        BIGINT NOT NULL
) WITHOUT ROWID;

-- The same per incubator, for a list's total.
CREATE TABLE incubator_phase_totals (
    incubator_id    TEXT NOT NULL,
    latest_phase_id TEXT NOT NULL,
    startups        BIGINT NOT NULL,
    PRIMARY KEY (incubator_id, latest_phase_id)
) WITHOUT ROWID;

INSERT INTO incubator_totals (incubator_id, startups)
    SELECT coalesce(incubator_id, ''), count(*) FROM startups GROUP BY 1;
INSERT INTO creation_year_totals (created_year, startups)
    SELECT coalesce(substr(created_on, 1, 4), ''), count(*) FROM startups GROUP BY 1;
INSERT INTO latest_phase_totals (latest_phase_id, startups)
    SELECT latest_phase_id, count(*)
    FROM startups
    WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1;
INSERT INTO incubator_phase_totals (incubator_id, latest_phase_id, startups)
    SELECT coalesce(incubator_id, ''), latest_phase_id, count(*)
    FROM startups
    WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1, 2;

-- SQLite has no trigger functions: counting a startup in is written for inserts and updates,
-- counting it out for updates and deletes.
CREATE TRIGGER startups_total_in AFTER INSERT ON startups BEGIN
    INSERT INTO incubator_totals (incubator_id, startups)
        VALUES (coalesce(NEW.incubator_id, ''), 1)
        ON CONFLICT (incubator_id) DO UPDATE SET startups = startups + 1;
    INSERT INTO creation_year_totals (created_year, startups)
        VALUES (coalesce(substr(NEW.created_on, 1, 4), ''), 1)
        ON CONFLICT (created_year) DO UPDATE SET startups = startups + 1;
    INSERT INTO latest_phase_totals (latest_phase_id, startups)
        SELECT NEW.latest_phase_id, 1
        WHERE NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL
        ON CONFLICT (latest_phase_id) DO UPDATE SET startups = startups + 1;
    INSERT INTO incubator_phase_totals (incubator_id, latest_phase_id, startups)
        SELECT coalesce(NEW.incubator_id, ''), NEW.latest_phase_id, 1
        WHERE NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL
        ON CONFLICT (incubator_id, latest_phase_id) DO UPDATE SET startups = startups + 1;
END;

CREATE TRIGGER startups_total_out AFTER DELETE ON startups BEGIN
    UPDATE incubator_totals SET startups = startups - 1
        WHERE incubator_id = coalesce(OLD.incubator_id, '');
    UPDATE creation_year_totals SET startups = startups - 1
        WHERE created_year = coalesce(substr(OLD.created_on, 1, 4), '');
    UPDATE latest_phase_totals SET startups = startups - 1
        WHERE latest_phase_id = OLD.latest_phase_id AND OLD.latest_phase_start IS NOT NULL;
    UPDATE incubator_phase_totals SET startups = startups - 1
        WHERE incubator_id = coalesce(OLD.incubator_id, '')
          AND latest_phase_id = OLD.latest_phase_id
          AND OLD.latest_phase_start IS NOT NULL;
END;

CREATE TRIGGER startups_total_creation AFTER UPDATE OF incubator_id, created_on ON startups
WHEN OLD.incubator_id IS NOT NEW.incubator_id OR OLD.created_on IS NOT NEW.created_on
BEGIN
    UPDATE incubator_totals SET startups = startups - 1
        WHERE incubator_id = coalesce(OLD.incubator_id, '');
    INSERT INTO incubator_totals (incubator_id, startups)
        VALUES (coalesce(NEW.incubator_id, ''), 1)
        ON CONFLICT (incubator_id) DO UPDATE SET startups = startups + 1;
    UPDATE creation_year_totals SET startups = startups - 1
        WHERE created_year = coalesce(substr(OLD.created_on, 1, 4), '');
    INSERT INTO creation_year_totals (created_year, startups)
        VALUES (coalesce(substr(NEW.created_on, 1, 4), ''), 1)
        ON CONFLICT (created_year) DO UPDATE SET startups = startups + 1;
END;

CREATE TRIGGER startups_total_latest_phase
AFTER UPDATE OF incubator_id, latest_phase_id, latest_phase_start ON startups
WHEN OLD.incubator_id IS NOT NEW.incubator_id
  OR OLD.latest_phase_id IS NOT NEW.latest_phase_id
  OR OLD.latest_phase_start IS NOT NEW.latest_phase_start
BEGIN
    UPDATE latest_phase_totals SET startups = startups - 1
        WHERE latest_phase_id = OLD.latest_phase_id AND OLD.latest_phase_start IS NOT NULL;
    INSERT INTO latest_phase_totals (latest_phase_id, startups)
        SELECT NEW.latest_phase_id, 1
        WHERE NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL
        ON CONFLICT (latest_phase_id) DO UPDATE SET startups = startups + 1;
    UPDATE incubator_phase_totals SET startups = startups - 1
        WHERE incubator_id = coalesce(OLD.incubator_id, '')
          AND latest_phase_id = OLD.latest_phase_id
          AND OLD.latest_phase_start IS NOT NULL;
    INSERT INTO incubator_phase_totals (incubator_id, latest_phase_id, startups)
        SELECT coalesce(NEW.incubator_id, ''), NEW.latest_phase_id, 1
        WHERE NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL
        ON CONFLICT (incubator_id, latest_phase_id) DO UPDATE SET startups = startups + 1;
END;

-- What starts or closes after today, read by month or by day: few rows, each range read by
-- its own index (today's figures, `db::stats`).
CREATE INDEX latest_phase_tallies_month ON latest_phase_tallies (latest_month);
CREATE INDEX superseded_tallies_month ON superseded_tallies (month);
CREATE INDEX superseded_day_tallies_day ON superseded_day_tallies (day);
