-- The tallies and totals of migrations 000016, 000018, 000019 and 000025 count the rows an
-- INSERT or a DELETE writes once per statement, from its transition table, where they counted
-- once per row; the stored lines of migration 000013 are forgotten the same way. A load writes
-- its startups and their phases a few hundred to a statement: per row, each of the few rows of
-- counts was updated once per startup, and inside one transaction PostgreSQL walks every
-- version of a row that it cannot prune yet on each update, so a first import grew with the
-- square of the tree. An UPDATE is still counted per row: a trigger with transition tables
-- cannot name its columns, and one that fired on every update of `startups` would cost more
-- than it saves. SQLite updates rows in place and keeps its row triggers.
--
-- A trigger per statement fires at the end of the statement, as an AFTER trigger per row does:
-- what a statement changed is counted, and its lines forgotten, before the next statement runs.
--
-- Per statement, a load inside one transaction still updates each row of counts once a batch.
-- So an import sets `betadata.counting` to `deferred` for its transaction
-- (`db::tallies::counted_after`): the triggers that count skip it, and it counts every table
-- again from the rows before it commits, with the migrations' backfill statements. Every other
-- writer is counted as it writes.
--
-- One function for both events: `changed` is the statement's new rows for an INSERT and its
-- old rows for a DELETE, counted in or out by `step`.

DROP TRIGGER startups_tally ON startups;
DROP TRIGGER incubator_phase_tally ON startups;
DROP TRIGGER startups_total ON startups;
DROP TRIGGER superseded_tally ON startup_phases;

CREATE TRIGGER startups_tally
    AFTER UPDATE OF incubator_id, created_on, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW
    WHEN (current_setting('betadata.counting', true) IS DISTINCT FROM 'deferred')
    EXECUTE FUNCTION startups_tally();
CREATE TRIGGER incubator_phase_tally
    AFTER UPDATE OF incubator_id, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW
    WHEN (current_setting('betadata.counting', true) IS DISTINCT FROM 'deferred')
    EXECUTE FUNCTION incubator_phase_tally();
CREATE TRIGGER startups_total
    AFTER UPDATE OF incubator_id, created_on, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW
    WHEN (current_setting('betadata.counting', true) IS DISTINCT FROM 'deferred')
    EXECUTE FUNCTION startups_total();
CREATE TRIGGER superseded_tally
    AFTER UPDATE OF phase_id, start_date, next_start ON startup_phases
    FOR EACH ROW
    WHEN (current_setting('betadata.counting', true) IS DISTINCT FROM 'deferred')
    EXECUTE FUNCTION superseded_tally();

CREATE FUNCTION startups_counted() RETURNS trigger AS $$
DECLARE
    step BIGINT := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    INSERT INTO creation_tallies AS t (incubator_id, created_month, startups)
        SELECT coalesce(incubator_id, ''), coalesce(to_char(created_on, 'YYYY-MM'), ''),
               step * count(*)
        FROM changed GROUP BY 1, 2
        ON CONFLICT (incubator_id, created_month)
        DO UPDATE SET startups = t.startups + excluded.startups;
    INSERT INTO latest_phase_tallies AS t (latest_phase_id, latest_month, startups)
        SELECT latest_phase_id, to_char(latest_phase_start, 'YYYY-MM'), step * count(*)
        FROM changed
        WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
        GROUP BY 1, 2
        ON CONFLICT (latest_phase_id, latest_month)
        DO UPDATE SET startups = t.startups + excluded.startups;
    INSERT INTO incubator_phase_tallies AS t
        (incubator_id, latest_phase_id, latest_month, startups)
        SELECT incubator_id, latest_phase_id, to_char(latest_phase_start, 'YYYY-MM'),
               step * count(*)
        FROM changed
        WHERE incubator_id IS NOT NULL
          AND latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
        GROUP BY 1, 2, 3
        ON CONFLICT (incubator_id, latest_phase_id, latest_month)
        DO UPDATE SET startups = t.startups + excluded.startups;
    INSERT INTO incubator_totals AS t (incubator_id, startups)
        SELECT coalesce(incubator_id, ''), step * count(*) FROM changed GROUP BY 1
        ON CONFLICT (incubator_id) DO UPDATE SET startups = t.startups + excluded.startups;
    INSERT INTO creation_year_totals AS t (created_year, startups)
        SELECT coalesce(to_char(created_on, 'YYYY'), ''), step * count(*) FROM changed GROUP BY 1
        ON CONFLICT (created_year) DO UPDATE SET startups = t.startups + excluded.startups;
    INSERT INTO latest_phase_totals AS t (latest_phase_id, startups)
        SELECT latest_phase_id, step * count(*)
        FROM changed
        WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
        GROUP BY 1
        ON CONFLICT (latest_phase_id) DO UPDATE SET startups = t.startups + excluded.startups;
    INSERT INTO incubator_phase_totals AS t (incubator_id, latest_phase_id, startups)
        SELECT coalesce(incubator_id, ''), latest_phase_id, step * count(*)
        FROM changed
        WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
        GROUP BY 1, 2
        ON CONFLICT (incubator_id, latest_phase_id)
        DO UPDATE SET startups = t.startups + excluded.startups;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER startups_counted_in
    AFTER INSERT ON startups REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT
    WHEN (current_setting('betadata.counting', true) IS DISTINCT FROM 'deferred')
    EXECUTE FUNCTION startups_counted();
CREATE TRIGGER startups_counted_out
    AFTER DELETE ON startups REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT
    WHEN (current_setting('betadata.counting', true) IS DISTINCT FROM 'deferred')
    EXECUTE FUNCTION startups_counted();

CREATE FUNCTION superseded_counted() RETURNS trigger AS $$
DECLARE
    step BIGINT := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    INSERT INTO superseded_tallies AS t (phase_id, month, opened, closed)
        SELECT phase_id, month, step * sum(opened), step * sum(closed) FROM (
            SELECT phase_id, to_char(start_date, 'YYYY-MM') AS month, 1 AS opened, 0 AS closed
            FROM changed WHERE next_start > start_date
            UNION ALL
            SELECT phase_id, to_char(next_start, 'YYYY-MM'), 0, 1
            FROM changed WHERE next_start > start_date
        ) AS moves GROUP BY phase_id, month
        ON CONFLICT (phase_id, month)
        DO UPDATE SET opened = t.opened + excluded.opened, closed = t.closed + excluded.closed;
    INSERT INTO superseded_day_tallies AS t (phase_id, day, opened, closed)
        SELECT phase_id, day, step * sum(opened), step * sum(closed) FROM (
            SELECT phase_id, start_date AS day, 1 AS opened, 0 AS closed
            FROM changed WHERE next_start > start_date
            UNION ALL
            SELECT phase_id, next_start, 0, 1
            FROM changed WHERE next_start > start_date
        ) AS moves GROUP BY phase_id, day
        ON CONFLICT (phase_id, day)
        DO UPDATE SET opened = t.opened + excluded.opened, closed = t.closed + excluded.closed;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER superseded_counted_in
    AFTER INSERT ON startup_phases REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT
    WHEN (current_setting('betadata.counting', true) IS DISTINCT FROM 'deferred')
    EXECUTE FUNCTION superseded_counted();
CREATE TRIGGER superseded_counted_out
    AFTER DELETE ON startup_phases REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT
    WHEN (current_setting('betadata.counting', true) IS DISTINCT FROM 'deferred')
    EXECUTE FUNCTION superseded_counted();

-- Forgets the lines of the startups an INSERT or a DELETE names and marks them stale, as
-- `startup_lines_forget` does for one row: `id` on `startups`, `startup_id` elsewhere.
CREATE FUNCTION startup_lines_forget_startups() RETURNS trigger AS $$
BEGIN
    DELETE FROM startup_lines WHERE startup_id IN (SELECT id FROM changed);
    INSERT INTO startup_lines_stale (startup_id)
        SELECT DISTINCT id FROM changed ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION startup_lines_forget_rows() RETURNS trigger AS $$
BEGIN
    DELETE FROM startup_lines WHERE startup_id IN (SELECT startup_id FROM changed);
    INSERT INTO startup_lines_stale (startup_id)
        SELECT DISTINCT startup_id FROM changed ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- `startups` names its startup in `id`, the tables of its relations in `startup_id`.
DO $$
DECLARE
    t TEXT;
    forget TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['startups', 'startup_phases', 'startup_incubators',
                             'startup_sponsors', 'startup_tags', 'startup_events'] LOOP
        forget := CASE t WHEN 'startups' THEN 'startup_lines_forget_startups'
                         ELSE 'startup_lines_forget_rows' END;
        EXECUTE format('DROP TRIGGER startup_lines_forget ON %I', t);
        EXECUTE format('CREATE TRIGGER startup_lines_forget AFTER UPDATE ON %I
                            FOR EACH ROW EXECUTE FUNCTION startup_lines_forget()', t);
        EXECUTE format('CREATE TRIGGER startup_lines_forget_in AFTER INSERT ON %I
                            REFERENCING NEW TABLE AS changed
                            FOR EACH STATEMENT EXECUTE FUNCTION %I()', t, forget);
        EXECUTE format('CREATE TRIGGER startup_lines_forget_out AFTER DELETE ON %I
                            REFERENCING OLD TABLE AS changed
                            FOR EACH STATEMENT EXECUTE FUNCTION %I()', t, forget);
    END LOOP;
END
$$;
