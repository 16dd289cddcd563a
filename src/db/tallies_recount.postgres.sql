-- Every table of counts (`db::tallies::TABLES`) counted again from `startups` and
-- `startup_phases`: the backfill of migrations 000016, 000018, 000019 and 000025. Run by
-- `db::tallies::counted_after` at the end of a load whose rows the triggers did not count.
-- DELETE rather than TRUNCATE: readers keep the counts committed before until the load commits.
DELETE FROM creation_tallies;
INSERT INTO creation_tallies (incubator_id, created_month, startups)
    SELECT coalesce(incubator_id, ''), coalesce(to_char(created_on, 'YYYY-MM'), ''), count(*)
    FROM startups GROUP BY 1, 2;

DELETE FROM latest_phase_tallies;
INSERT INTO latest_phase_tallies (latest_phase_id, latest_month, startups)
    SELECT latest_phase_id, to_char(latest_phase_start, 'YYYY-MM'), count(*)
    FROM startups
    WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1, 2;

DELETE FROM incubator_phase_tallies;
INSERT INTO incubator_phase_tallies (incubator_id, latest_phase_id, latest_month, startups)
    SELECT incubator_id, latest_phase_id, to_char(latest_phase_start, 'YYYY-MM'), count(*)
    FROM startups
    WHERE incubator_id IS NOT NULL
      AND latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1, 2, 3;

DELETE FROM superseded_tallies;
INSERT INTO superseded_tallies (phase_id, month, opened, closed)
    SELECT phase_id, month, sum(opened), sum(closed) FROM (
        SELECT phase_id, to_char(start_date, 'YYYY-MM') AS month, 1 AS opened, 0 AS closed
        FROM startup_phases WHERE next_start > start_date
        UNION ALL
        SELECT phase_id, to_char(next_start, 'YYYY-MM'), 0, 1
        FROM startup_phases WHERE next_start > start_date
    ) AS moves GROUP BY phase_id, month;

DELETE FROM superseded_day_tallies;
INSERT INTO superseded_day_tallies (phase_id, day, opened, closed)
    SELECT phase_id, day, sum(opened), sum(closed) FROM (
        SELECT phase_id, start_date AS day, 1 AS opened, 0 AS closed
        FROM startup_phases WHERE next_start > start_date
        UNION ALL
        SELECT phase_id, next_start, 0, 1
        FROM startup_phases WHERE next_start > start_date
    ) AS moves GROUP BY phase_id, day;

DELETE FROM incubator_totals;
INSERT INTO incubator_totals (incubator_id, startups)
    SELECT coalesce(incubator_id, ''), count(*) FROM startups GROUP BY 1;

DELETE FROM creation_year_totals;
INSERT INTO creation_year_totals (created_year, startups)
    SELECT coalesce(to_char(created_on, 'YYYY'), ''), count(*) FROM startups GROUP BY 1;

DELETE FROM latest_phase_totals;
INSERT INTO latest_phase_totals (latest_phase_id, startups)
    SELECT latest_phase_id, count(*)
    FROM startups
    WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1;

DELETE FROM incubator_phase_totals;
INSERT INTO incubator_phase_totals (incubator_id, latest_phase_id, startups)
    SELECT coalesce(incubator_id, ''), latest_phase_id, count(*)
    FROM startups
    WHERE latest_phase_id IS NOT NULL AND latest_phase_start IS NOT NULL
    GROUP BY 1, 2;
