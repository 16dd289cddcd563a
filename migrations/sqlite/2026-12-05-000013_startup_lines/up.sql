-- Each startup as the whole exports write it: its CSV record and NDJSON line in the startup
-- list, and its rows of the phase history (none, one or more lines, in the order of its
-- phases), rendered when the startup is written, so that the first download after a write reads
-- them rather than rendering 100,000 startups from their rows (`api::v1::startups::lines`).
--
-- A startup's lines in the list hold for every day from `current_from` on (its latest phase
-- start, when it has phases): `current_phase` is the one thing in them that depends on the day,
-- and from that day on it no longer changes. An export for an earlier day renders the startup
-- from its rows. Its phase history holds on any day.
--
-- A table with rowids: a startup's lines run to 1 KB, and a `WITHOUT ROWID` table, which keeps its
-- rows in its key's b-tree, moves what passes 1,002 bytes (on pages of 4 KB) to overflow pages,
-- read one system call each (an export of the startups took 0.52 s that way, 0.14 s this way).
--
-- The triggers below keep the lines true whatever writes: any change to a startup or to a row
-- attached to it deletes its lines in the same statement and names it in
-- `startup_lines_stale`; the writer renders the stale ones before it commits, and an export
-- renders any startup it finds without lines.
CREATE TABLE startup_lines (
    startup_id    TEXT PRIMARY KEY NOT NULL,
    current_from  DATE,
    csv           TEXT NOT NULL,
    ndjson        TEXT NOT NULL,
    phases_csv    TEXT NOT NULL,
    phases_ndjson TEXT NOT NULL
);

CREATE TABLE startup_lines_stale (startup_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
INSERT INTO startup_lines_stale (startup_id) SELECT id FROM startups;

CREATE TRIGGER startup_lines_startup_inserted AFTER INSERT ON startups BEGIN
    DELETE FROM startup_lines WHERE startup_id = NEW.id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.id);
END;
CREATE TRIGGER startup_lines_startup_updated AFTER UPDATE ON startups BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.id);
    DELETE FROM startup_lines WHERE startup_id = NEW.id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.id);
END;
CREATE TRIGGER startup_lines_startup_deleted AFTER DELETE ON startups BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.id);
END;
CREATE TRIGGER startup_lines_startup_phases_inserted AFTER INSERT ON startup_phases BEGIN
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_phases_updated AFTER UPDATE ON startup_phases BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_phases_deleted AFTER DELETE ON startup_phases BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
END;
CREATE TRIGGER startup_lines_startup_incubators_inserted AFTER INSERT ON startup_incubators BEGIN
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_incubators_updated AFTER UPDATE ON startup_incubators BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_incubators_deleted AFTER DELETE ON startup_incubators BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
END;
CREATE TRIGGER startup_lines_startup_sponsors_inserted AFTER INSERT ON startup_sponsors BEGIN
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_sponsors_updated AFTER UPDATE ON startup_sponsors BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_sponsors_deleted AFTER DELETE ON startup_sponsors BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
END;
CREATE TRIGGER startup_lines_startup_tags_inserted AFTER INSERT ON startup_tags BEGIN
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_tags_updated AFTER UPDATE ON startup_tags BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_tags_deleted AFTER DELETE ON startup_tags BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
END;
CREATE TRIGGER startup_lines_startup_events_inserted AFTER INSERT ON startup_events BEGIN
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_events_updated AFTER UPDATE ON startup_events BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
    DELETE FROM startup_lines WHERE startup_id = NEW.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_lines_startup_events_deleted AFTER DELETE ON startup_events BEGIN
    DELETE FROM startup_lines WHERE startup_id = OLD.startup_id;
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
END;
