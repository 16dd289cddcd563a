DROP INDEX startup_phases_by_phase;
