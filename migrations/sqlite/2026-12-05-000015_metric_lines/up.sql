-- Each metric as the whole exports write it: its CSV record and NDJSON line in the metric list
-- (with its latest observation), and its observations as `/api/v1/observations` writes them,
-- rendered when the metric or one of its observations is written, as `startup_lines` are for
-- the startups (migration 000013; `api::v1::metrics::lines`). Nothing in them depends on the
-- day. Triggers forget a metric's lines whenever it or one of its observations changes.
CREATE TABLE metric_lines (
    metric_id           TEXT PRIMARY KEY NOT NULL,
    csv                 TEXT NOT NULL,
    ndjson              TEXT NOT NULL,
    observations_csv    TEXT NOT NULL,
    observations_ndjson TEXT NOT NULL
);

CREATE TABLE metric_lines_stale (metric_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
INSERT INTO metric_lines_stale (metric_id) SELECT id FROM metrics;

CREATE TRIGGER metric_lines_metrics_inserted AFTER INSERT ON metrics BEGIN
    DELETE FROM metric_lines WHERE metric_id = NEW.id;
    INSERT OR IGNORE INTO metric_lines_stale (metric_id) VALUES (NEW.id);
END;
CREATE TRIGGER metric_lines_metrics_updated AFTER UPDATE ON metrics BEGIN
    DELETE FROM metric_lines WHERE metric_id = OLD.id;
    INSERT OR IGNORE INTO metric_lines_stale (metric_id) VALUES (OLD.id);
    DELETE FROM metric_lines WHERE metric_id = NEW.id;
    INSERT OR IGNORE INTO metric_lines_stale (metric_id) VALUES (NEW.id);
END;
CREATE TRIGGER metric_lines_metrics_deleted AFTER DELETE ON metrics BEGIN
    DELETE FROM metric_lines WHERE metric_id = OLD.id;
    INSERT OR IGNORE INTO metric_lines_stale (metric_id) VALUES (OLD.id);
END;
CREATE TRIGGER metric_lines_observations_inserted AFTER INSERT ON observations BEGIN
    DELETE FROM metric_lines WHERE metric_id = NEW.metric_id;
    INSERT OR IGNORE INTO metric_lines_stale (metric_id) VALUES (NEW.metric_id);
END;
CREATE TRIGGER metric_lines_observations_updated AFTER UPDATE ON observations BEGIN
    DELETE FROM metric_lines WHERE metric_id = OLD.metric_id;
    INSERT OR IGNORE INTO metric_lines_stale (metric_id) VALUES (OLD.metric_id);
    DELETE FROM metric_lines WHERE metric_id = NEW.metric_id;
    INSERT OR IGNORE INTO metric_lines_stale (metric_id) VALUES (NEW.metric_id);
END;
CREATE TRIGGER metric_lines_observations_deleted AFTER DELETE ON observations BEGIN
    DELETE FROM metric_lines WHERE metric_id = OLD.metric_id;
    INSERT OR IGNORE INTO metric_lines_stale (metric_id) VALUES (OLD.metric_id);
END;
