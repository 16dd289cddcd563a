-- Startups counted as they are written, without the month: the figures of today's portfolio
-- (`/stats` and `/phases` without `as_of`, a list filtered by phase within one incubator) read
-- a few dozen of these rows, where summing the monthly tallies (migrations 000016 and 000019)
-- grouped a few thousand. The monthly ones stay for a day in the past.
--
-- `''` stands for a missing incubator or creation day, as in the monthly tallies. A count that
-- falls to 0 keeps its row; reads skip it. A trigger on `startups` keeps both, so a write made
-- around the API counts too.
CREATE TABLE creation_totals (
    incubator_id TEXT NOT NULL,
    created_year TEXT NOT NULL, -- `YYYY` of `startups.created_on`
    startups     BIGINT NOT NULL,
    PRIMARY KEY (incubator_id, created_year)
);

-- Startups whose latest phase is dated; the others are in no phase on any day.
CREATE TABLE latest_phase_totals (
    incubator_id    TEXT NOT NULL,
    latest_phase_id TEXT NOT NULL,
    startups        BIGINT NOT NULL,
    -- A list's total reads the index alone.
    PRIMARY KEY (incubator_id, latest_phase_id) INCLUDE (startups)
);

INSERT INTO creation_totals (incubator_id, created_year, startups)
    SELECT coalesce(incubator_id, ''), coalesce(to_char(created_on, 'YYYY'), ''), count(*)
    FROM startups GROUP BY 1, 2;
INSERT INTO latest_phase_totals (incubator_id, latest_phase_id, startups)
    SELECT coalesce(incubator_id, ''), latest_phase_id, count(*)
    FROM startups
    WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1, 2;

-- Counts a startup out under its old columns and in under its new ones.
CREATE FUNCTION startups_total() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE creation_totals SET startups = startups - 1
            WHERE incubator_id = coalesce(OLD.incubator_id, '')
              AND created_year = coalesce(to_char(OLD.created_on, 'YYYY'), '');
        UPDATE latest_phase_totals SET startups = startups - 1
            WHERE incubator_id = coalesce(OLD.incubator_id, '')
              AND latest_phase_id = OLD.latest_phase_id
              AND OLD.latest_phase_start IS NOT NULL;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO creation_totals (incubator_id, created_year, startups)
            VALUES (coalesce(NEW.incubator_id, ''),
                    coalesce(to_char(NEW.created_on, 'YYYY'), ''), 1)
            ON CONFLICT (incubator_id, created_year)
            DO UPDATE SET startups = creation_totals.startups + 1;
        IF NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL THEN
            INSERT INTO latest_phase_totals (incubator_id, latest_phase_id, startups)
                VALUES (coalesce(NEW.incubator_id, ''), NEW.latest_phase_id, 1)
                ON CONFLICT (incubator_id, latest_phase_id)
                DO UPDATE SET startups = latest_phase_totals.startups + 1;
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER startups_total
    AFTER INSERT OR DELETE
    OR UPDATE OF incubator_id, created_on, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW EXECUTE FUNCTION startups_total();
