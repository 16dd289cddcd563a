-- Each startup's latest phase: the phase row with the greatest start, and that start.
--
-- Like `created_on` and `next_start` (migration 000002), both are derived from the phase
-- history and rewritten with it in the same transaction. They split "current phase on day D"
-- into two exact, disjoint parts: a startup whose latest phase started by D is in that phase on
-- D (an index range here); any other one is in the phase of its row with
-- `start_date <= D < next_start` (a range of `startup_phases_current`, empty for today unless
-- phases are dated in the future).

ALTER TABLE startups ADD COLUMN latest_phase_id TEXT COLLATE "C";
ALTER TABLE startups ADD COLUMN latest_phase_start DATE;
UPDATE startups SET latest_phase_start = (
    SELECT MAX(start_date) FROM startup_phases WHERE startup_phases.startup_id = startups.id
);
UPDATE startups SET latest_phase_id = (
    SELECT phase_id FROM startup_phases
    WHERE startup_phases.startup_id = startups.id
      AND startup_phases.start_date = startups.latest_phase_start
);
CREATE INDEX startups_latest_phase ON startups (latest_phase_id, latest_phase_start);
CREATE INDEX startups_incubator_latest_phase
    ON startups (incubator_id, latest_phase_id, latest_phase_start);
