-- Startups counted as they are written, for the portfolio's figures (`/stats`, `/phases`, the
-- landing page): per incubator and month of creation, and per latest phase and month it
-- started. A few thousand rows, whatever the size of the portfolio, stand for one index
-- entry per startup; `db::tallies` adds the days of the current month from `startups`.
-- A trigger on `startups` keeps them, so a write made around the API counts too.
--
-- `''` stands for a missing incubator or creation day: key columns are never NULL, so that
-- each key has one row. A count that falls to 0 keeps its row; reads skip it.
CREATE TABLE creation_tallies (
    incubator_id  TEXT NOT NULL,
    created_month TEXT NOT NULL, -- `YYYY-MM` of `startups.created_on`
    startups      BIGINT NOT NULL,
    PRIMARY KEY (incubator_id, created_month)
);

-- Startups whose latest phase is dated; the others are in no phase on any day.
CREATE TABLE latest_phase_tallies (
    latest_phase_id TEXT NOT NULL,
    latest_month    TEXT NOT NULL, -- `YYYY-MM` of `startups.latest_phase_start`
    startups        BIGINT NOT NULL,
    PRIMARY KEY (latest_phase_id, latest_month)
);

INSERT INTO creation_tallies (incubator_id, created_month, startups)
    SELECT coalesce(incubator_id, ''), coalesce(to_char(created_on, 'YYYY-MM'), ''), count(*)
    FROM startups GROUP BY 1, 2;
INSERT INTO latest_phase_tallies (latest_phase_id, latest_month, startups)
    SELECT latest_phase_id, to_char(latest_phase_start, 'YYYY-MM'), count(*)
    FROM startups
    WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1, 2;

-- Counts a startup out under its old columns and in under its new ones.
CREATE FUNCTION startups_tally() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE creation_tallies SET startups = startups - 1
            WHERE incubator_id = coalesce(OLD.incubator_id, '')
              AND created_month = coalesce(to_char(OLD.created_on, 'YYYY-MM'), '');
        UPDATE latest_phase_tallies SET startups = startups - 1
            WHERE latest_phase_id = OLD.latest_phase_id
              AND latest_month = to_char(OLD.latest_phase_start, 'YYYY-MM');
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO creation_tallies (incubator_id, created_month, startups)
            VALUES (coalesce(NEW.incubator_id, ''),
                    coalesce(to_char(NEW.created_on, 'YYYY-MM'), ''), 1)
            ON CONFLICT (incubator_id, created_month)
            DO UPDATE SET startups = creation_tallies.startups + 1;
        IF NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL THEN
            INSERT INTO latest_phase_tallies (latest_phase_id, latest_month, startups)
                VALUES (NEW.latest_phase_id, to_char(NEW.latest_phase_start, 'YYYY-MM'), 1)
                ON CONFLICT (latest_phase_id, latest_month)
                DO UPDATE SET startups = latest_phase_tallies.startups + 1;
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER startups_tally
    AFTER INSERT OR DELETE
    OR UPDATE OF incubator_id, created_on, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW EXECUTE FUNCTION startups_tally();
