DROP INDEX startups_incubator_latest_phase;
DROP INDEX startups_latest_phase;
ALTER TABLE startups DROP COLUMN latest_phase_start;
ALTER TABLE startups DROP COLUMN latest_phase_id;
