-- The search generation: a counter bumped, in the same transaction, by every write that
-- changes what the full-text search reads (a startup added or removed, its id, name, pitch or
-- description changed). A search index held in memory is current while the generation it was
-- read at is the database's. Once per statement: an import writes thousands of startups.
CREATE TABLE search_generation (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO search_generation (id, generation) VALUES (1, 1);
CREATE FUNCTION search_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- An update bumps it only when some row's searched text (or id) is not what it was.
CREATE FUNCTION search_generation_bump_on_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT id, name, pitch, description FROM new_rows
               EXCEPT SELECT id, name, pitch, description FROM old_rows) THEN
        UPDATE search_generation SET generation = generation + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER search_generation_insert_delete AFTER INSERT OR DELETE ON startups
    FOR EACH STATEMENT EXECUTE FUNCTION search_generation_bump();
CREATE TRIGGER search_generation_update AFTER UPDATE ON startups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_generation_bump_on_text();
