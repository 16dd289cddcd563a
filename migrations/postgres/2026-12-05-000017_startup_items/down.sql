DROP TRIGGER startup_items_forget ON observations;
DROP TRIGGER startup_items_forget ON metrics;
DROP TRIGGER startup_items_forget ON organisations;
DROP TRIGGER startup_items_forget ON incubators;
DROP FUNCTION startup_items_forget_observed();
DROP FUNCTION startup_items_forget();
DROP TABLE startup_items;
