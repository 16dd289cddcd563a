-- Startups counted per incubator, latest phase and month that phase started: the settled part
-- of a list filtered by phase within one incubator (`?incubator=…&phase=…`) sums a few hundred
-- of these rows rather than reading one index entry per startup (`db::tallies`). Startups
-- without an incubator or a dated latest phase are not counted: no such filter selects them.
-- Triggers on `startups` keep it, so a write made around the API counts too. A count that
-- falls to 0 keeps its row; reads skip it.
CREATE TABLE incubator_phase_tallies (
    incubator_id    TEXT NOT NULL,
    latest_phase_id TEXT NOT NULL,
    latest_month    TEXT NOT NULL, -- `YYYY-MM` of `startups.latest_phase_start`
    startups        BIGINT NOT NULL,
    PRIMARY KEY (incubator_id, latest_phase_id, latest_month)
) WITHOUT ROWID;

INSERT INTO incubator_phase_tallies (incubator_id, latest_phase_id, latest_month, startups)
    SELECT incubator_id, latest_phase_id, substr(latest_phase_start, 1, 7), count(*)
    FROM startups
    WHERE incubator_id IS NOT NULL
      AND latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1, 2, 3;

-- SQLite has no trigger functions: counting a startup in is written for inserts and updates,
-- counting it out for updates and deletes.
CREATE TRIGGER incubator_phase_tally_in AFTER INSERT ON startups BEGIN
    INSERT INTO incubator_phase_tallies (incubator_id, latest_phase_id, latest_month, startups)
        SELECT NEW.incubator_id, NEW.latest_phase_id, substr(NEW.latest_phase_start, 1, 7), 1
        WHERE NEW.incubator_id IS NOT NULL
          AND NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL
        ON CONFLICT (incubator_id, latest_phase_id, latest_month)
        DO UPDATE SET startups = startups + 1;
END;

CREATE TRIGGER incubator_phase_tally_out AFTER DELETE ON startups BEGIN
    UPDATE incubator_phase_tallies SET startups = startups - 1
        WHERE incubator_id = OLD.incubator_id
          AND latest_phase_id = OLD.latest_phase_id
          AND latest_month = substr(OLD.latest_phase_start, 1, 7);
END;

CREATE TRIGGER incubator_phase_tally_moved
AFTER UPDATE OF incubator_id, latest_phase_id, latest_phase_start ON startups
WHEN OLD.incubator_id IS NOT NEW.incubator_id
  OR OLD.latest_phase_id IS NOT NEW.latest_phase_id
  OR OLD.latest_phase_start IS NOT NEW.latest_phase_start
BEGIN
    UPDATE incubator_phase_tallies SET startups = startups - 1
        WHERE incubator_id = OLD.incubator_id
          AND latest_phase_id = OLD.latest_phase_id
          AND latest_month = substr(OLD.latest_phase_start, 1, 7);
    INSERT INTO incubator_phase_tallies (incubator_id, latest_phase_id, latest_month, startups)
        SELECT NEW.incubator_id, NEW.latest_phase_id, substr(NEW.latest_phase_start, 1, 7), 1
        WHERE NEW.incubator_id IS NOT NULL
          AND NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL
        ON CONFLICT (incubator_id, latest_phase_id, latest_month)
        DO UPDATE SET startups = startups + 1;
END;
