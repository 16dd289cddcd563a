DROP TRIGGER startups_tally ON startups;
DROP FUNCTION startups_tally();
DROP TABLE latest_phase_tallies;
DROP TABLE creation_tallies;
