DROP INDEX superseded_tallies_month;
DROP INDEX latest_phase_tallies_month;
DROP TRIGGER startups_total ON startups;
DROP FUNCTION startups_total();
DROP TABLE incubator_phase_totals;
DROP TABLE latest_phase_totals;
DROP TABLE creation_year_totals;
DROP TABLE incubator_totals;
