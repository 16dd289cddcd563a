DROP TRIGGER startups_total ON startups;
DROP FUNCTION startups_total();
DROP TABLE latest_phase_totals;
DROP TABLE creation_totals;
