DROP TRIGGER search_generation_bump ON startups;
DROP FUNCTION search_generation_bump();
DROP TABLE search_generation;
