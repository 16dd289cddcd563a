DROP TABLE startup_incubators;
ALTER TABLE incubators DROP COLUMN hidden, DROP COLUMN source;
ALTER TABLE startups DROP COLUMN source;
ALTER TABLE organisations DROP COLUMN source;

UPDATE organisations SET kind = CASE kind
    WHEN 'administration-centrale' THEN 'ministry'
    WHEN 'operateur' THEN 'agency'
    WHEN 'collectivite-territoriale' THEN 'local_authority'
    ELSE 'other'
END;
ALTER TABLE organisations ADD CONSTRAINT organisations_kind_check
    CHECK (kind IN ('ministry', 'agency', 'local_authority', 'other'));

-- Same-day phases cannot be told apart by the older key: all but the first listed go.
DELETE FROM startup_phases AS later USING startup_phases AS earlier
    WHERE later.startup_id = earlier.startup_id
      AND later.start_date = earlier.start_date
      AND later.position > earlier.position;
UPDATE startup_phases SET end_date = NULL WHERE end_date < start_date;
ALTER TABLE startup_phases ADD CONSTRAINT startup_phases_check
    CHECK (end_date IS NULL OR end_date >= start_date);
DROP INDEX startup_phases_startup_start;
ALTER TABLE startup_phases DROP CONSTRAINT startup_phases_pkey;
ALTER TABLE startup_phases ADD PRIMARY KEY (startup_id, start_date);
ALTER TABLE startup_phases DROP COLUMN position;
