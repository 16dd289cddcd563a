DROP TRIGGER superseded_tally_moved;
DROP TRIGGER superseded_tally_out;
DROP TRIGGER superseded_tally_in;
DROP TABLE superseded_day_tallies;
DROP TABLE superseded_tallies;
