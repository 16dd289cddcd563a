-- What analysts sort, filter and search on.
--
-- `created_on` (start of the first phase) and `next_start` (start of the following phase) are
-- derived from the phase history and rewritten with it in the same transaction; they exist so
-- that sorting by creation and "phase on a date" are index range scans.

ALTER TABLE startups ADD COLUMN created_on DATE;
ALTER TABLE startups ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE startups SET updated_at = CURRENT_TIMESTAMP;
UPDATE startups SET created_on = (
    SELECT MIN(start_date) FROM startup_phases WHERE startup_phases.startup_id = startups.id
);
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
CREATE VIRTUAL TABLE startups_search USING fts5 (
    name, pitch, description,
    content = 'startups', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO startups_search (rowid, name, pitch, description)
    SELECT rowid, name, pitch, description FROM startups;
CREATE TRIGGER startups_search_insert AFTER INSERT ON startups BEGIN
    INSERT INTO startups_search (rowid, name, pitch, description)
        VALUES (new.rowid, new.name, new.pitch, new.description);
END;
CREATE TRIGGER startups_search_delete AFTER DELETE ON startups BEGIN
    INSERT INTO startups_search (startups_search, rowid, name, pitch, description)
        VALUES ('delete', old.rowid, old.name, old.pitch, old.description);
END;
CREATE TRIGGER startups_search_update AFTER UPDATE OF name, pitch, description ON startups BEGIN
    INSERT INTO startups_search (startups_search, rowid, name, pitch, description)
        VALUES ('delete', old.rowid, old.name, old.pitch, old.description);
    INSERT INTO startups_search (rowid, name, pitch, description)
        VALUES (new.rowid, new.name, new.pitch, new.description);
END;
