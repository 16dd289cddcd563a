-- SQLite's migration of this number stores metrics and observations in the order of their keys
-- (`WITHOUT ROWID`). PostgreSQL keeps every table as a heap read through its indexes, and has no
-- lasting equivalent (`CLUSTER` orders a table once, and writes undo it): nothing changes here.
SELECT 1;
