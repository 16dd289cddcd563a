-- What analysts sort, filter and search on.
--
-- `created_on` (start of the first phase) and `next_start` (start of the following phase) are
-- derived from the phase history and rewritten with it in the same transaction; they exist so
-- that sorting by creation and "phase on a date" are index range scans.

ALTER TABLE startups ADD COLUMN created_on DATE;
ALTER TABLE startups ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc');
UPDATE startups SET created_on = (
    SELECT MIN(start_date) FROM startup_phases WHERE startup_phases.startup_id = startups.id
);
-- Names sort bytewise, as in SQLite, so both backends list the same pages in the same order.
ALTER TABLE startups ALTER COLUMN name TYPE TEXT COLLATE "C";
CREATE INDEX startups_name ON startups (name, id);
CREATE INDEX startups_created_on ON startups (created_on, id);
CREATE INDEX startups_updated_at ON startups (updated_at, id);

ALTER TABLE startup_phases ADD COLUMN next_start DATE;
UPDATE startup_phases SET next_start = (
    SELECT MIN(later.start_date) FROM startup_phases AS later
    WHERE later.startup_id = startup_phases.startup_id
      AND later.start_date > startup_phases.start_date
);
-- "In phase P on day D" is `start_date <= D AND (next_start IS NULL OR next_start > D)`: both
-- branches of the OR are ranges of this index, which also covers the startup id.
DROP INDEX startup_phases_phase_id;
CREATE INDEX startup_phases_current ON startup_phases (phase_id, next_start, start_date, startup_id);
DROP INDEX startups_incubator_id;
CREATE INDEX startups_incubator ON startups (incubator_id, id);

-- Full-text search over name, pitch and description, accent- and case-insensitive.
-- unaccent() is not immutable (its dictionary can change), so an immutable wrapper pinned to
-- the dictionary lets the search vector be a stored, indexed column.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE FUNCTION betadata_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
ALTER TABLE startups ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', betadata_unaccent(name)), 'A')
    || setweight(to_tsvector('simple', betadata_unaccent(coalesce(pitch, ''))), 'B')
    || setweight(to_tsvector('simple', betadata_unaccent(coalesce(description, ''))), 'C')
) STORED;
CREATE INDEX startups_search ON startups USING gin (search);
