-- The change feed says who wrote each change by role, not by the token's name, which is the
-- operators' own: `import` (the command line), `admin` (an admin token) or `incubator` (a token
-- of one incubator). The token's name stays in `token`, for the operators' audit.
ALTER TABLE changes ADD COLUMN author TEXT NOT NULL DEFAULT 'admin';
UPDATE changes SET author = 'import' WHERE token = 'import';
UPDATE changes SET author = 'incubator'
    WHERE token IN (SELECT name FROM tokens WHERE scope LIKE 'incubator:%');
