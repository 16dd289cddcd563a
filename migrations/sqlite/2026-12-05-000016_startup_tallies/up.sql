-- Startups counted as they are written, for the portfolio's figures (`/stats`, `/phases`, the
-- landing page): per incubator and month of creation, and per latest phase and month it
-- started. A few thousand rows, whatever the size of the portfolio, stand for one index
-- entry per startup; `db::tallies` adds the days of the current month from `startups`.
-- Triggers on `startups` keep them, so a write made around the API counts too.
--
-- `''` stands for a missing incubator or creation day: key columns are never NULL, so that
-- each key has one row. A count that falls to 0 keeps its row; reads skip it.
CREATE TABLE creation_tallies (
    incubator_id  TEXT NOT NULL,
    created_month TEXT NOT NULL, -- `YYYY-MM` of `startups.created_on`
    startups      BIGINT NOT NULL,
    PRIMARY KEY (incubator_id, created_month)
) WITHOUT ROWID;

-- Startups whose latest phase is dated; the others are in no phase on any day.
CREATE TABLE latest_phase_tallies (
    latest_phase_id TEXT NOT NULL,
    latest_month    TEXT NOT NULL, -- `YYYY-MM` of `startups.latest_phase_start`
    startups        BIGINT NOT NULL,
    PRIMARY KEY (latest_phase_id, latest_month)
) WITHOUT ROWID;

INSERT INTO creation_tallies (incubator_id, created_month, startups)
    SELECT coalesce(incubator_id, ''), coalesce(substr(created_on, 1, 7), ''), count(*)
    FROM startups GROUP BY 1, 2;
INSERT INTO latest_phase_tallies (latest_phase_id, latest_month, startups)
    SELECT latest_phase_id, substr(latest_phase_start, 1, 7), count(*)
    FROM startups
    WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1, 2;

-- SQLite has no trigger functions: counting a startup in is written for inserts and updates,
-- counting it out for updates and deletes.
CREATE TRIGGER startups_tally_in AFTER INSERT ON startups BEGIN
    INSERT INTO creation_tallies (incubator_id, created_month, startups)
        VALUES (coalesce(NEW.incubator_id, ''), coalesce(substr(NEW.created_on, 1, 7), ''), 1)
        ON CONFLICT (incubator_id, created_month) DO UPDATE SET startups = startups + 1;
    INSERT INTO latest_phase_tallies (latest_phase_id, latest_month, startups)
        SELECT NEW.latest_phase_id, substr(NEW.latest_phase_start, 1, 7), 1
        WHERE NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL
        ON CONFLICT (latest_phase_id, latest_month) DO UPDATE SET startups = startups + 1;
END;

CREATE TRIGGER startups_tally_out AFTER DELETE ON startups BEGIN
    UPDATE creation_tallies SET startups = startups - 1
        WHERE incubator_id = coalesce(OLD.incubator_id, '')
          AND created_month = coalesce(substr(OLD.created_on, 1, 7), '');
    UPDATE latest_phase_tallies SET startups = startups - 1
        WHERE latest_phase_id = OLD.latest_phase_id
          AND latest_month = substr(OLD.latest_phase_start, 1, 7);
END;

CREATE TRIGGER startups_tally_creation AFTER UPDATE OF incubator_id, created_on ON startups
WHEN OLD.incubator_id IS NOT NEW.incubator_id OR OLD.created_on IS NOT NEW.created_on
BEGIN
    UPDATE creation_tallies SET startups = startups - 1
        WHERE incubator_id = coalesce(OLD.incubator_id, '')
          AND created_month = coalesce(substr(OLD.created_on, 1, 7), '');
    INSERT INTO creation_tallies (incubator_id, created_month, startups)
        VALUES (coalesce(NEW.incubator_id, ''), coalesce(substr(NEW.created_on, 1, 7), ''), 1)
        ON CONFLICT (incubator_id, created_month) DO UPDATE SET startups = startups + 1;
END;

CREATE TRIGGER startups_tally_latest_phase
AFTER UPDATE OF latest_phase_id, latest_phase_start ON startups
WHEN OLD.latest_phase_id IS NOT NEW.latest_phase_id
  OR OLD.latest_phase_start IS NOT NEW.latest_phase_start
BEGIN
    UPDATE latest_phase_tallies SET startups = startups - 1
        WHERE latest_phase_id = OLD.latest_phase_id
          AND latest_month = substr(OLD.latest_phase_start, 1, 7);
    INSERT INTO latest_phase_tallies (latest_phase_id, latest_month, startups)
        SELECT NEW.latest_phase_id, substr(NEW.latest_phase_start, 1, 7), 1
        WHERE NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL
        ON CONFLICT (latest_phase_id, latest_month) DO UPDATE SET startups = startups + 1;
END;
