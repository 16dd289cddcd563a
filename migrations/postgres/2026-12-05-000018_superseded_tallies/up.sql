-- The phase rows that are not their startup's latest, counted as they are written, for the
-- phase counts of a past day (`/stats?as_of=`, `/phases?as_of=`): a row is current on day D
-- when `start_date <= D < next_start`, so the rows current on D are those opened by D (their
-- start) less those closed by D (the next phase's start), among the rows with
-- `next_start > start_date` (no other row is ever current). Counted per phase and month, and
-- per phase and day for the days of D's own month (`db::tallies::superseded_by_phase`).
-- Triggers on `startup_phases` keep them, so a write made around the API counts too. A count
-- that falls to 0 keeps its row.
CREATE TABLE superseded_tallies (
    phase_id TEXT NOT NULL,
    month    TEXT NOT NULL, -- `YYYY-MM`
    opened   BIGINT NOT NULL,
    closed   BIGINT NOT NULL,
    PRIMARY KEY (phase_id, month)
);

CREATE TABLE superseded_day_tallies (
    phase_id TEXT NOT NULL,
    day      DATE NOT NULL,
    opened   BIGINT NOT NULL,
    closed   BIGINT NOT NULL,
    PRIMARY KEY (phase_id, day)
);

INSERT INTO superseded_tallies (phase_id, month, opened, closed)
    SELECT phase_id, month, sum(opened), sum(closed) FROM (
        SELECT phase_id, to_char(start_date, 'YYYY-MM') AS month, 1 AS opened, 0 AS closed
        FROM startup_phases WHERE next_start > start_date
        UNION ALL
        SELECT phase_id, to_char(next_start, 'YYYY-MM'), 0, 1
        FROM startup_phases WHERE next_start > start_date
    ) AS moves GROUP BY phase_id, month;
INSERT INTO superseded_day_tallies (phase_id, day, opened, closed)
    SELECT phase_id, day, sum(opened), sum(closed) FROM (
        SELECT phase_id, start_date AS day, 1 AS opened, 0 AS closed
        FROM startup_phases WHERE next_start > start_date
        UNION ALL
        SELECT phase_id, next_start, 0, 1
        FROM startup_phases WHERE next_start > start_date
    ) AS moves GROUP BY phase_id, day;

-- Counts a phase row out under its old columns and in under its new ones.
CREATE FUNCTION superseded_tally() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
      IF OLD.next_start > OLD.start_date THEN
        UPDATE superseded_tallies SET opened = opened - 1
            WHERE phase_id = OLD.phase_id AND month = to_char(OLD.start_date, 'YYYY-MM');
        UPDATE superseded_tallies SET closed = closed - 1
            WHERE phase_id = OLD.phase_id AND month = to_char(OLD.next_start, 'YYYY-MM');
        UPDATE superseded_day_tallies SET opened = opened - 1
            WHERE phase_id = OLD.phase_id AND day = OLD.start_date;
        UPDATE superseded_day_tallies SET closed = closed - 1
            WHERE phase_id = OLD.phase_id AND day = OLD.next_start;
      END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
      IF NEW.next_start > NEW.start_date THEN
        INSERT INTO superseded_tallies AS t (phase_id, month, opened, closed)
            VALUES (NEW.phase_id, to_char(NEW.start_date, 'YYYY-MM'), 1, 0)
            ON CONFLICT (phase_id, month) DO UPDATE SET opened = t.opened + 1;
        INSERT INTO superseded_tallies AS t (phase_id, month, opened, closed)
            VALUES (NEW.phase_id, to_char(NEW.next_start, 'YYYY-MM'), 0, 1)
            ON CONFLICT (phase_id, month) DO UPDATE SET closed = t.closed + 1;
        INSERT INTO superseded_day_tallies AS t (phase_id, day, opened, closed)
            VALUES (NEW.phase_id, NEW.start_date, 1, 0)
            ON CONFLICT (phase_id, day) DO UPDATE SET opened = t.opened + 1;
        INSERT INTO superseded_day_tallies AS t (phase_id, day, opened, closed)
            VALUES (NEW.phase_id, NEW.next_start, 0, 1)
            ON CONFLICT (phase_id, day) DO UPDATE SET closed = t.closed + 1;
      END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER superseded_tally
    AFTER INSERT OR DELETE OR UPDATE OF phase_id, start_date, next_start ON startup_phases
    FOR EACH ROW EXECUTE FUNCTION superseded_tally();
