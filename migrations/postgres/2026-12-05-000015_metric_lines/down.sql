DROP TRIGGER metric_lines_forget ON metrics;
DROP TRIGGER metric_lines_forget ON observations;
DROP FUNCTION metric_lines_forget();
DROP TABLE metric_lines_stale;
DROP TABLE metric_lines;
