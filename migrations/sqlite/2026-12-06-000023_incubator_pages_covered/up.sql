-- A page of one incubator's startups in one phase reads the incubator's startups in id order
-- and keeps those whose latest phase matches. With `(incubator_id, id)` alone, SQLite read each
-- of them from the table to see its phase: 118 table reads for the first 20 startups in
-- construction of the largest incubator at 100,000 generated startups. Holding the latest phase
-- in the index, it reads from the table only the rows the page keeps (the page went from 5,880
-- to 7,090 requests a second, BENCHMARKS.md). Same first columns: every other use of the old
-- index is served as before.
DROP INDEX startups_incubator;
CREATE INDEX startups_incubator
    ON startups (incubator_id, id, latest_phase_id, latest_phase_start);
ANALYZE startups_incubator;
