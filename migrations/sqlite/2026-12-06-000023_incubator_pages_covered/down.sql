DROP INDEX startups_incubator;
CREATE INDEX startups_incubator ON startups (incubator_id, id);
ANALYZE startups_incubator;
