-- The phase rows closed and opened in the days after a day, to its month's end, read by day:
-- `tallies::superseded_by_phase` names every phase, and `phases.id` (collation "C") does not
-- compare with `superseded_day_tallies.phase_id` (the database's collation) in the primary
-- key's order, so PostgreSQL read the whole table, 15,119 rows at 100,000 generated startups
-- (0.9 ms; 0.08 ms by this index).
CREATE INDEX superseded_day_tallies_by_day ON superseded_day_tallies (day) INCLUDE (phase_id, opened, closed);
