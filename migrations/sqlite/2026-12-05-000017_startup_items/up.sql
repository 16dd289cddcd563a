-- Each startup as `/api/v1/startups/{id}` shows it, rendered when it is written, beside its
-- lines (migration 000013), so that a request reads one row rather than ten statements'
-- worth (`api::v1::startups::lines`). Like its line in the list, it holds for every day from
-- `current_from` on (its latest phase start); a request for an earlier day renders it.
--
-- It holds while the startup is not in `startup_lines_stale`: the triggers of migration 000013
-- name a startup there when it or a row attached to it changes, and those below when what it
-- shows of other rows changes: the id and title of its incubators, the names of its sponsors,
-- its metrics and their observations. Reads check `startup_lines_stale`; the writer renders
-- the stale startups before it commits, as for the lines.
CREATE TABLE startup_items (
    startup_id   TEXT PRIMARY KEY NOT NULL,
    current_from DATE,
    json         TEXT NOT NULL
);

INSERT OR IGNORE INTO startup_lines_stale (startup_id) SELECT id FROM startups;

CREATE TRIGGER startup_items_incubator_updated AFTER UPDATE OF id, title ON incubators BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id)
        SELECT id FROM startups WHERE incubator_id IN (OLD.id, NEW.id)
        UNION SELECT startup_id FROM startup_incubators WHERE incubator_id IN (OLD.id, NEW.id);
END;
CREATE TRIGGER startup_items_incubator_deleted AFTER DELETE ON incubators BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id)
        SELECT id FROM startups WHERE incubator_id = OLD.id
        UNION SELECT startup_id FROM startup_incubators WHERE incubator_id = OLD.id;
END;
CREATE TRIGGER startup_items_organisation_updated
AFTER UPDATE OF id, name, acronym ON organisations BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id)
        SELECT startup_id FROM startup_sponsors WHERE organisation_id IN (OLD.id, NEW.id);
END;
CREATE TRIGGER startup_items_organisation_deleted AFTER DELETE ON organisations BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id)
        SELECT startup_id FROM startup_sponsors WHERE organisation_id = OLD.id;
END;
CREATE TRIGGER startup_items_metric_inserted AFTER INSERT ON metrics
WHEN NEW.startup_id IS NOT NULL BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (NEW.startup_id);
END;
CREATE TRIGGER startup_items_metric_updated AFTER UPDATE ON metrics BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id)
        SELECT startup_id FROM (SELECT OLD.startup_id AS startup_id UNION SELECT NEW.startup_id)
        WHERE startup_id IS NOT NULL;
END;
CREATE TRIGGER startup_items_metric_deleted AFTER DELETE ON metrics
WHEN OLD.startup_id IS NOT NULL BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id) VALUES (OLD.startup_id);
END;
CREATE TRIGGER startup_items_observation_inserted AFTER INSERT ON observations BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id)
        SELECT startup_id FROM metrics WHERE id = NEW.metric_id AND startup_id IS NOT NULL;
END;
CREATE TRIGGER startup_items_observation_updated AFTER UPDATE ON observations BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id)
        SELECT startup_id FROM metrics
        WHERE id IN (OLD.metric_id, NEW.metric_id) AND startup_id IS NOT NULL;
END;
CREATE TRIGGER startup_items_observation_deleted AFTER DELETE ON observations BEGIN
    INSERT OR IGNORE INTO startup_lines_stale (startup_id)
        SELECT startup_id FROM metrics WHERE id = OLD.metric_id AND startup_id IS NOT NULL;
END;
