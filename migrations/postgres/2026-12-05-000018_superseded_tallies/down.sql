DROP TRIGGER superseded_tally ON startup_phases;
DROP FUNCTION superseded_tally();
DROP TABLE superseded_day_tallies;
DROP TABLE superseded_tallies;
