DROP TRIGGER startup_lines_forget ON startups;
DROP TRIGGER startup_lines_forget ON startup_phases;
DROP TRIGGER startup_lines_forget ON startup_incubators;
DROP TRIGGER startup_lines_forget ON startup_sponsors;
DROP TRIGGER startup_lines_forget ON startup_tags;
DROP TRIGGER startup_lines_forget ON startup_events;
DROP FUNCTION startup_lines_forget();
DROP TABLE startup_lines_stale;
DROP TABLE startup_lines;
