DROP INDEX startups_created_last;
DROP INDEX startups_created_first;
