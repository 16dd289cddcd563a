ALTER TABLE incubator_phase_tallies
    DROP CONSTRAINT incubator_phase_tallies_pkey,
    ADD PRIMARY KEY (incubator_id, latest_phase_id, latest_month);
DROP INDEX startups_latest_phase_start;
DROP INDEX startups_incubator_phase_id;
