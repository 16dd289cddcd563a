DROP TRIGGER startups_tally_latest_phase;
DROP TRIGGER startups_tally_creation;
DROP TRIGGER startups_tally_out;
DROP TRIGGER startups_tally_in;
DROP TABLE latest_phase_tallies;
DROP TABLE creation_tallies;
