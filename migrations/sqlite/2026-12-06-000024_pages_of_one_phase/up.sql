-- A page of one incubator's startups in some phases, when no startup's latest phase starts
-- after the day asked (always true of today, unless a phase was dated in the future), is an
-- index range: the incubator's startups in the phase, in id order. `startups_incubator` held
-- the phase after the id, so the largest incubator's first page in construction scanned 118
-- index entries to keep 21 at 100,000 generated startups.
CREATE INDEX startups_incubator_phase_id ON startups (incubator_id, latest_phase_id, id);
-- The latest start of a phase of all startups, whether any starts after a day: one probe of
-- this index (`db::startup_list::Shape`).
CREATE INDEX startups_latest_phase_start ON startups (latest_phase_start);
ANALYZE startups_incubator_phase_id;
ANALYZE startups_latest_phase_start;
