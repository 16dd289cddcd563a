DROP INDEX startups_incubator_latest_phase;
CREATE INDEX startups_incubator_latest_phase
    ON startups (incubator_id, latest_phase_id, latest_phase_start);
