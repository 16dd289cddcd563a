DROP TRIGGER incubator_phase_tally_moved;
DROP TRIGGER incubator_phase_tally_out;
DROP TRIGGER incubator_phase_tally_in;
DROP TABLE incubator_phase_tallies;
