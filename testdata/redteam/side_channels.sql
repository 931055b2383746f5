SELECT district, sum(CAST(district AS INTEGER)) FROM citizens GROUP BY district
-- next --
SELECT sum(CAST(CAST(income AS VARCHAR) || 'x' AS INTEGER)) FROM citizens
-- next --
SELECT sum(CAST(income AS TINYINT)) FROM citizens
-- next --
SELECT district, sum(CAST(CASE WHEN income = 987654321 THEN 1000 ELSE 0 END AS TINYINT)) AS s FROM citizens GROUP BY district
-- next --
SELECT district, sum(CASE WHEN income = 987654321 THEN income * 99999999999 ELSE 0 END) AS s FROM citizens GROUP BY district
-- next --
SELECT count(*) FROM citizens WHERE CAST(CAST(income AS VARCHAR) AS DATE) IS NULL
-- next --
SELECT sum(CAST(error(CAST(income AS VARCHAR)) AS INTEGER)) FROM citizens
-- next --
SELECT district, sum(CASE WHEN income > 900000000 THEN CAST(error(CAST(income AS VARCHAR)) AS INTEGER) ELSE 0 END) FROM citizens GROUP BY district
-- next --
SELECT sum(1 / (income - 987654321)) FROM citizens
-- next --
SELECT sum(income // (income - 987654321)) FROM citizens
-- next --
SELECT sum(income % (income - 987654321)) FROM citizens
-- next --
SELECT count(*) FROM citizens WHERE regexp_matches(CAST(income AS VARCHAR), '^9876')
-- next --
SELECT sum(CAST(regexp_extract(CAST(income AS VARCHAR), '(', 1) AS INTEGER)) FROM citizens
-- next --
SELECT count(strptime(CAST(income AS VARCHAR), '%Y-%m-%d')) FROM citizens
-- next --
SELECT sum(CAST(json_extract(CAST(income AS VARCHAR) || '{', '$.a') AS INTEGER)) FROM citizens
-- next --
SELECT count(CAST(CAST(income AS VARCHAR) AS JSON)) FROM citizens WHERE birth_date = 1900
-- next --
SELECT sum(CAST(CAST(income AS VARCHAR) AS ENUM('a'))) FROM citizens
-- next --
SELECT count(*) FROM citizens WHERE district = CAST(income AS VARCHAR)
-- next --
SELECT district, sum(length(CAST(income AS VARCHAR))) FROM citizens GROUP BY district
-- next --
EXPLAIN SELECT income FROM citizens
-- next --
EXPLAIN ANALYZE SELECT income FROM citizens WHERE birth_date = 1900
-- next --
EXPLAIN (FORMAT JSON) SELECT district, count(*) FROM citizens GROUP BY district
-- next --
SUMMARIZE citizens
-- next --
SUMMARIZE SELECT income FROM citizens
-- next --
DESCRIBE citizens
-- next --
DESCRIBE SELECT * FROM citizens
-- next --
SHOW TABLES
-- next --
SHOW ALL TABLES
-- next --
SELECT stats(income) FROM citizens
-- next --
SELECT district, stats(income) FROM citizens GROUP BY district
-- next --
SELECT district, count(*), stats(max(income)) FROM citizens GROUP BY district
-- next --
SELECT * FROM pragma_storage_info('citizens')
-- next --
SELECT * FROM pragma_table_info('citizens')
-- next --
SELECT * FROM pragma_metadata_info()
-- next --
SELECT * FROM duckdb_databases()
-- next --
SELECT * FROM duckdb_tables()
-- next --
SELECT * FROM duckdb_columns()
-- next --
SELECT * FROM duckdb_functions()
-- next --
SELECT * FROM duckdb_settings()
-- next --
SELECT * FROM duckdb_extensions()
-- next --
SELECT * FROM duckdb_secrets()
-- next --
SELECT * FROM duckdb_temporary_files()
-- next --
SELECT * FROM information_schema.tables
-- next --
SELECT estimated_size, column_count FROM duckdb_tables()
-- next --
SELECT current_setting('enable_external_access')
-- next --
SELECT district, count(*) FROM citizens GROUP BY district HAVING current_setting('threads') IS NOT NULL
-- next --
SELECT current_query()
-- next --
SELECT district, typeof(income), count(*) FROM citizens GROUP BY district, typeof(income)
-- next --
SELECT CASE WHEN birth_date = 1900 AND gender = '女' THEN CAST(district AS INTEGER) ELSE 0 END AS g, count(*) FROM citizens GROUP BY CASE WHEN birth_date = 1900 AND gender = '女' THEN CAST(district AS INTEGER) ELSE 0 END
-- next --
SELECT gender, count(*) FROM citizens WHERE birth_date = 1900 AND CAST(district AS INTEGER) = 1 GROUP BY gender
