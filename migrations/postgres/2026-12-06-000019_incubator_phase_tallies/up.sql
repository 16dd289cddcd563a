-- Startups counted per incubator, latest phase and month that phase started: the settled part
-- of a list filtered by phase within one incubator (`?incubator=…&phase=…`) sums a few hundred
-- of these rows rather than reading one index entry per startup (`db::tallies`). Startups
-- without an incubator or a dated latest phase are not counted: no such filter selects them.
-- A trigger on `startups` keeps it, so a write made around the API counts too. A count that
-- falls to 0 keeps its row; reads skip it.
CREATE TABLE incubator_phase_tallies (
    incubator_id    TEXT NOT NULL,
    latest_phase_id TEXT NOT NULL,
    latest_month    TEXT NOT NULL, -- `YYYY-MM` of `startups.latest_phase_start`
    startups        BIGINT NOT NULL,
    PRIMARY KEY (incubator_id, latest_phase_id, latest_month)
);

INSERT INTO incubator_phase_tallies (incubator_id, latest_phase_id, latest_month, startups)
    SELECT incubator_id, latest_phase_id, to_char(latest_phase_start, 'YYYY-MM'), count(*)
    FROM startups
    WHERE incubator_id IS NOT NULL
      AND latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1, 2, 3;

-- Counts a startup out under its old columns and in under its new ones.
CREATE FUNCTION incubator_phase_tally() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE incubator_phase_tallies SET startups = startups - 1
            WHERE incubator_id = OLD.incubator_id
              AND latest_phase_id = OLD.latest_phase_id
              AND latest_month = to_char(OLD.latest_phase_start, 'YYYY-MM');
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.incubator_id IS NOT NULL
       AND NEW.latest_phase_id IS NOT NULL AND NEW.latest_phase_start IS NOT NULL THEN
        INSERT INTO incubator_phase_tallies
            (incubator_id, latest_phase_id, latest_month, startups)
            VALUES (NEW.incubator_id, NEW.latest_phase_id,
                    to_char(NEW.latest_phase_start, 'YYYY-MM'), 1)
            ON CONFLICT (incubator_id, latest_phase_id, latest_month)
            DO UPDATE SET startups = incubator_phase_tallies.startups + 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER incubator_phase_tally
    AFTER INSERT OR DELETE
    OR UPDATE OF incubator_id, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW EXECUTE FUNCTION incubator_phase_tally();
