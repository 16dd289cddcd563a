-- A page of one incubator's startups in some phases, when no startup's latest phase starts
-- after the day asked (always true of today, unless a phase was dated in the future), is an
-- index range: the incubator's startups in the phase, in id order. Through
-- `startups_incubator` PostgreSQL read 118 rows from the table to keep 21 (the largest
-- incubator's first page in construction at 100,000 generated startups: 0.46 ms; 0.15 ms
-- through this index).
CREATE INDEX startups_incubator_phase_id ON startups (incubator_id, latest_phase_id, id);
-- The latest start of a phase of all startups, whether any starts after a day: one probe of
-- this index (`db::startup_list::Shape`).
CREATE INDEX startups_latest_phase_start ON startups (latest_phase_start);
-- The sums of the tallies read the index alone: 139 monthly rows of the largest incubator in
-- one phase were 96 table pages (0.29 ms; 0.08 ms from the index).
ALTER TABLE incubator_phase_tallies
    DROP CONSTRAINT incubator_phase_tallies_pkey,
    ADD PRIMARY KEY (incubator_id, latest_phase_id, latest_month) INCLUDE (startups);
ANALYZE startups;
ANALYZE incubator_phase_tallies;
