-- A page of one incubator's startups in some phases, in id order, whose items are stored lines
-- reads the ids alone (`db::startup_list::ranged`): with the start of the latest phase in the
-- index, which the page checks is set, the index answers it without reading the table's rows.
-- At 100,000 generated startups, the largest incubator's first page in construction read 21
-- rows of `startups` for nothing but that check.
DROP INDEX startups_incubator_phase_id;
CREATE INDEX startups_incubator_phase_id
    ON startups (incubator_id, latest_phase_id, id, latest_phase_start);
ANALYZE startups_incubator_phase_id;
