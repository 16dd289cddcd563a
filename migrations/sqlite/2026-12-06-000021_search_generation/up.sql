-- The search generation: a counter bumped, in the same transaction, by every write that
-- changes what the full-text search reads (a startup added or removed, its name, pitch or
-- description changed). A search index held in memory is current while the generation it was
-- read at is the database's.
CREATE TABLE search_generation (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO search_generation (id, generation) VALUES (1, 1);
CREATE TRIGGER search_generation_insert AFTER INSERT ON startups BEGIN
    UPDATE search_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_delete AFTER DELETE ON startups BEGIN
    UPDATE search_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_update AFTER UPDATE OF name, pitch, description ON startups
WHEN old.name IS NOT new.name OR old.pitch IS NOT new.pitch
    OR old.description IS NOT new.description BEGIN
    UPDATE search_generation SET generation = generation + 1 WHERE id = 1;
END;
