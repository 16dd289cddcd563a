DROP TRIGGER startups_total_latest_phase;
DROP TRIGGER startups_total_creation;
DROP TRIGGER startups_total_out;
DROP TRIGGER startups_total_in;
DROP TABLE latest_phase_totals;
DROP TABLE creation_totals;
