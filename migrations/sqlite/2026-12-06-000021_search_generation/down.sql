DROP TRIGGER search_generation_update;
DROP TRIGGER search_generation_delete;
DROP TRIGGER search_generation_insert;
DROP TABLE search_generation;
