DROP TRIGGER search_generation_update ON startups;
DROP TRIGGER search_generation_insert_delete ON startups;
DROP FUNCTION search_generation_bump_on_text();
DROP FUNCTION search_generation_bump();
DROP TABLE search_generation;
