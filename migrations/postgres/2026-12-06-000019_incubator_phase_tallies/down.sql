DROP TRIGGER incubator_phase_tally ON startups;
DROP FUNCTION incubator_phase_tally();
DROP TABLE incubator_phase_tallies;
