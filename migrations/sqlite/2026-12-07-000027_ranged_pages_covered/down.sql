DROP INDEX startups_incubator_phase_id;
CREATE INDEX startups_incubator_phase_id ON startups (incubator_id, latest_phase_id, id);
ANALYZE startups_incubator_phase_id;
