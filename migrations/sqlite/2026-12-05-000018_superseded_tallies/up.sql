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
) WITHOUT ROWID;

CREATE TABLE superseded_day_tallies (
    phase_id TEXT NOT NULL,
    day      DATE NOT NULL,
    opened   BIGINT NOT NULL,
    closed   BIGINT NOT NULL,
    PRIMARY KEY (phase_id, day)
) WITHOUT ROWID;

INSERT INTO superseded_tallies (phase_id, month, opened, closed)
    SELECT phase_id, month, sum(opened), sum(closed) FROM (
        SELECT phase_id, substr(start_date, 1, 7) AS month, 1 AS opened, 0 AS closed
        FROM startup_phases WHERE next_start > start_date
        UNION ALL
        SELECT phase_id, substr(next_start, 1, 7), 0, 1
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

-- SQLite has no trigger functions: counting a row in is written for inserts and updates,
-- counting it out for updates and deletes.
CREATE TRIGGER superseded_tally_in AFTER INSERT ON startup_phases BEGIN
    INSERT INTO superseded_tallies (phase_id, month, opened, closed)
        SELECT NEW.phase_id, substr(NEW.start_date, 1, 7), 1, 0 WHERE NEW.next_start > NEW.start_date
        ON CONFLICT (phase_id, month) DO UPDATE SET opened = opened + 1;
    INSERT INTO superseded_tallies (phase_id, month, opened, closed)
        SELECT NEW.phase_id, substr(NEW.next_start, 1, 7), 0, 1 WHERE NEW.next_start > NEW.start_date
        ON CONFLICT (phase_id, month) DO UPDATE SET closed = closed + 1;
    INSERT INTO superseded_day_tallies (phase_id, day, opened, closed)
        SELECT NEW.phase_id, NEW.start_date, 1, 0 WHERE NEW.next_start > NEW.start_date
        ON CONFLICT (phase_id, day) DO UPDATE SET opened = opened + 1;
    INSERT INTO superseded_day_tallies (phase_id, day, opened, closed)
        SELECT NEW.phase_id, NEW.next_start, 0, 1 WHERE NEW.next_start > NEW.start_date
        ON CONFLICT (phase_id, day) DO UPDATE SET closed = closed + 1;
END;

CREATE TRIGGER superseded_tally_out AFTER DELETE ON startup_phases BEGIN
    UPDATE superseded_tallies SET opened = opened - 1
        WHERE OLD.next_start > OLD.start_date
          AND phase_id = OLD.phase_id AND month = substr(OLD.start_date, 1, 7);
    UPDATE superseded_tallies SET closed = closed - 1
        WHERE OLD.next_start > OLD.start_date
          AND phase_id = OLD.phase_id AND month = substr(OLD.next_start, 1, 7);
    UPDATE superseded_day_tallies SET opened = opened - 1
        WHERE OLD.next_start > OLD.start_date
          AND phase_id = OLD.phase_id AND day = OLD.start_date;
    UPDATE superseded_day_tallies SET closed = closed - 1
        WHERE OLD.next_start > OLD.start_date
          AND phase_id = OLD.phase_id AND day = OLD.next_start;
END;

CREATE TRIGGER superseded_tally_moved
AFTER UPDATE OF phase_id, start_date, next_start ON startup_phases
WHEN OLD.phase_id IS NOT NEW.phase_id
  OR OLD.start_date IS NOT NEW.start_date
  OR OLD.next_start IS NOT NEW.next_start
BEGIN
    UPDATE superseded_tallies SET opened = opened - 1
        WHERE OLD.next_start > OLD.start_date
          AND phase_id = OLD.phase_id AND month = substr(OLD.start_date, 1, 7);
    UPDATE superseded_tallies SET closed = closed - 1
        WHERE OLD.next_start > OLD.start_date
          AND phase_id = OLD.phase_id AND month = substr(OLD.next_start, 1, 7);
    UPDATE superseded_day_tallies SET opened = opened - 1
        WHERE OLD.next_start > OLD.start_date
          AND phase_id = OLD.phase_id AND day = OLD.start_date;
    UPDATE superseded_day_tallies SET closed = closed - 1
        WHERE OLD.next_start > OLD.start_date
          AND phase_id = OLD.phase_id AND day = OLD.next_start;
    INSERT INTO superseded_tallies (phase_id, month, opened, closed)
        SELECT NEW.phase_id, substr(NEW.start_date, 1, 7), 1, 0 WHERE NEW.next_start > NEW.start_date
        ON CONFLICT (phase_id, month) DO UPDATE SET opened = opened + 1;
    INSERT INTO superseded_tallies (phase_id, month, opened, closed)
        SELECT NEW.phase_id, substr(NEW.next_start, 1, 7), 0, 1 WHERE NEW.next_start > NEW.start_date
        ON CONFLICT (phase_id, month) DO UPDATE SET closed = closed + 1;
    INSERT INTO superseded_day_tallies (phase_id, day, opened, closed)
        SELECT NEW.phase_id, NEW.start_date, 1, 0 WHERE NEW.next_start > NEW.start_date
        ON CONFLICT (phase_id, day) DO UPDATE SET opened = opened + 1;
    INSERT INTO superseded_day_tallies (phase_id, day, opened, closed)
        SELECT NEW.phase_id, NEW.next_start, 0, 1 WHERE NEW.next_start > NEW.start_date
        ON CONFLICT (phase_id, day) DO UPDATE SET closed = closed + 1;
END;
