DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['startups', 'startup_phases', 'startup_incubators',
                             'startup_sponsors', 'startup_tags', 'startup_events'] LOOP
        EXECUTE format('DROP TRIGGER startup_lines_forget_out ON %I', t);
        EXECUTE format('DROP TRIGGER startup_lines_forget_in ON %I', t);
        EXECUTE format('DROP TRIGGER startup_lines_forget ON %I', t);
        EXECUTE format('CREATE TRIGGER startup_lines_forget AFTER INSERT OR UPDATE OR DELETE ON %I
                            FOR EACH ROW EXECUTE FUNCTION startup_lines_forget()', t);
    END LOOP;
END
$$;
DROP FUNCTION startup_lines_forget_rows();
DROP FUNCTION startup_lines_forget_startups();

DROP TRIGGER superseded_counted_out ON startup_phases;
DROP TRIGGER superseded_counted_in ON startup_phases;
DROP FUNCTION superseded_counted();
DROP TRIGGER startups_counted_out ON startups;
DROP TRIGGER startups_counted_in ON startups;
DROP FUNCTION startups_counted();

DROP TRIGGER superseded_tally ON startup_phases;
DROP TRIGGER startups_total ON startups;
DROP TRIGGER incubator_phase_tally ON startups;
DROP TRIGGER startups_tally ON startups;

CREATE TRIGGER startups_tally
    AFTER INSERT OR DELETE
    OR UPDATE OF incubator_id, created_on, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW EXECUTE FUNCTION startups_tally();
CREATE TRIGGER incubator_phase_tally
    AFTER INSERT OR DELETE
    OR UPDATE OF incubator_id, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW EXECUTE FUNCTION incubator_phase_tally();
CREATE TRIGGER startups_total
    AFTER INSERT OR DELETE
    OR UPDATE OF incubator_id, created_on, latest_phase_id, latest_phase_start ON startups
    FOR EACH ROW EXECUTE FUNCTION startups_total();
CREATE TRIGGER superseded_tally
    AFTER INSERT OR DELETE OR UPDATE OF phase_id, start_date, next_start ON startup_phases
    FOR EACH ROW EXECUTE FUNCTION superseded_tally();
