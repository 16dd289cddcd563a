-- The phase history filtered by phase (`/phase-history?phase=…`), read in its order (startup,
-- then position): without it, every page sorted all the rows of that phase (91 ms for 20 rows
-- of one phase at 100,000 startups on SQLite, 2 ms with it).
CREATE INDEX startup_phases_by_phase ON startup_phases (phase_id, startup_id, position);
