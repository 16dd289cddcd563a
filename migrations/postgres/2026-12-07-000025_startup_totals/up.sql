-- Startups counted as they are written, without the month: today's figures (`/stats` and
-- `/phases` without `as_of`, the total of a list filtered by phase within one incubator) read
-- these few dozen rows, where summing the monthly tallies (migrations 000016 and 000019)
-- grouped a few thousand. The monthly tallies stay for a day in the past.
--
-- `''` stands for a missing incubator or creation day, as in the monthly tallies. A count that
-- falls to 0 keeps its row; reads skip it. A trigger on `startups` keeps them all, so a write
-- made around the API counts too.
CREATE TABLE incubator_totals (
    incubator_id TEXT PRIMARY KEY,
    startups     BIGINT NOT NULL
);

CREATE TABLE creation_year_totals (
    created_year TEXT PRIMARY KEY, -- `YYYY` of `startups.created_on`
    startups     BIGINT NOT NULL
);

-- Startups whose latest phase is dated; the others are in no phase on any day.
CREATE TABLE latest_phase_totals (
    latest_phase_id TEXT PRIMARY KEY,
    startups        BIGINT NOT NULL
);

-- The same per incubator: a list's total reads the index alone.
CREATE TABLE incubator_phase_totals (
    incubator_id    TEXT NOT NULL,
    latest_phase_id TEXT NOT NULL,
    startups        BIGINT NOT NULL,
    PRIMARY KEY (incubator_id, latest_phase_id) INCLUDE (startups)
);

INSERT INTO incubator_totals (incubator_id, startups)
    SELECT coalesce(incubator_id, ''), count(*) FROM startups GROUP BY 1;
INSERT INTO creation_year_totals (created_year, startups)
    SELECT coalesce(to_char(created_on, 'YYYY'), ''), count(*) FROM startups GROUP BY 1;
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

-- Counts a startup out under its old columns and in under its new ones.
CREATE FUNCTION startups_total() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE incubator_totals SET startups = startups - 1
            WHERE incubator_id = coalesce(OLD.incubator_id, '');
        UPDATE creation_year_totals SET startups = startups - 1
            WHERE created_year = coalesce(to_char(OLD.created_on, 'YYYY'), '');
        IF OLD.latest_phase_start IS NOT NULL THEN
            UPDATE latest_phase_totals SET startups = startups - 1
                WHERE latest_phase_id = OLD.latest_phase_id;
            UPDATE incubator_phase_totals SET startups = startups - 1
                WHERE incubator_id = coalesce(OLD.incubator_id, '')
                  AND latest_phase_id = OLD.latest_phase_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO incubator_totals (incubator_id, startups)
            VALUES (coalesce(NEW.incubator_id, ''), 1)
            ON CONFLICT (incubator_id)
            DO UPDATE SET startups = incubator_totals.startups + 1;
        INSERT INTO creation_year_totals (created_year, startups)
            VALUES (coalesce(to_char(NEW.created_on, 'YYYY'), ''), 1)
            ON CONFLICT (created_year)
            DO UPDATE SET startups = creation_year_totals.startups + 1;
        IF NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL THEN
            INSERT INTO latest_phase_totals (latest_phase_id, startups)
                VALUES (NEW.latest_phase_id, 1)
                ON CONFLICT (latest_phase_id)
                DO UPDATE SET startups = latest_phase_totals.startups + 1;
            INSERT INTO incubator_phase_totals (incubator_id, latest_phase_id, startups)
                VALUES (coalesce(NEW.incubator_id, ''), NEW.latest_phase_id, 1)
                ON CONFLICT (incubator_id, latest_phase_id)
                DO UPDATE SET startups = incubator_phase_totals.startups + 1;
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER startups_total
    AFTER INSERT OR DELETE
    OR UPDATE OF incubator_id, created_on, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW EXECUTE FUNCTION startups_total();

-- What starts or closes in the months after today: few rows, each range read by its own
-- index (today's figures, `db::stats`), where a filter on the month alone read every row of a
-- table keyed by phase first. The days have theirs (migration 000022).
CREATE INDEX latest_phase_tallies_month ON latest_phase_tallies (latest_month);
CREATE INDEX superseded_tallies_month ON superseded_tallies (month);
