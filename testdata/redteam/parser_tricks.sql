SELECT district, count(*) FROM citizens GROUP BY district -- trailing comment
-- next --
SELECT /* hidden */ income FROM citizens
-- next --
SELECT district, count(*) FROM citizens GROUP BY district /* ; SELECT * FROM citizens */
-- next --
SELECT district, count(*) FROM citizens
-- GROUP BY district
GROUP BY district, person_id
-- next --
SELECT count(*) FROM citizens; SELECT * FROM citizens
-- next --
SELECT * FROM citizens; SELECT count(*) FROM citizens
-- next --
SELECT count(*) FROM citizens; CALL enable_logging()
-- next --
SELECT count(*) FROM citizens; COPY citizens TO '/tmp/inviso-redteam-stacked.csv'
-- next --
SELECT count(*) FROM citizens;;
-- next --
SELECT count(*) FROM citizens;{U+3000}SELECT * FROM citizens
-- next --
SELECT count(*) FROM citizens{U+0000}; SELECT * FROM citizens
-- next --
SELECT count(*) FROM citizens WHERE district = '{0xFF}'
-- next --
SELECT{U+00A0}income{U+00A0}FROM{U+00A0}citizens
-- next --
SELECT{U+2003}income{U+2003}FROM{U+2003}citizens
-- next --
SELECT{U+200B}income{U+200B}FROM{U+200B}citizens
-- next --
SELECT{U+3000}income{U+3000}FROM{U+3000}citizens
-- next --
SELECT{U+FEFF}income{U+FEFF}FROM{U+FEFF}citizens
-- next --
{U+FEFF}SELECT * FROM citizens
-- next --
COPY{U+200B}citizens{U+200B}TO{U+200B}'/tmp/inviso-redteam-zwsp.csv'
-- next --
SELECT{U+200B}max(income){U+200B}FROM{U+200B}citizens
-- next --
SELECT district, count(*) FROM citizens GROUP BY district{U+200B}, person_id
-- next --
sElEcT InCoMe FrOm CiTiZeNs
-- next --
SELECT "INCOME" FROM "CITIZENS"
-- next --
SELECT "income" FROM "citizens"
-- next --
SELECT "Person_Id" AS "district", count(*) FROM citizens GROUP BY "Person_Id"
-- next --
SELECT district, count(*) AS __inviso_units FROM citizens GROUP BY district
-- next --
SELECT district, count(*) AS "__INVISO_UNITS" FROM citizens GROUP BY district
-- next --
SELECT district, 1000000 AS __inviso_units FROM citizens WHERE birth_date = 1900 GROUP BY district
-- next --
SELECT COLUMNS('.*') FROM citizens
-- next --
SELECT COLUMNS('inc.*') FROM citizens
-- next --
SELECT COLUMNS(c -> c LIKE '%id%') FROM citizens
-- next --
SELECT district, max(COLUMNS('income')) FROM citizens GROUP BY district
-- next --
SELECT district, sum(COLUMNS('income|person_id')) FROM citizens GROUP BY district
-- next --
SELECT * EXCLUDE (district) FROM citizens
-- next --
SELECT * REPLACE (income + 0 AS income) FROM citizens
-- next --
SELECT citizens.* FROM citizens
-- next --
SELECT #1, #5 FROM citizens
-- next --
SELECT district, count(*) FROM citizens GROUP BY #1
-- next --
SELECT district, count(*) FROM citizens GROUP BY 1
-- next --
SELECT c FROM citizens c
-- next --
SELECT citizens FROM citizens
-- next --
SELECT district, min(c) FROM citizens c GROUP BY district
-- next --
SELECT district, count(*) FROM citizens GROUP BY ALL
-- next --
SELECT district, income FROM citizens GROUP BY ALL
-- next --
SELECT district, income FROM citizens ORDER BY ALL
-- next --
FROM citizens SELECT income
-- next --
FROM citizens SELECT district, max(income) GROUP BY district
-- next --
VALUES (1), (2)
-- next --
SELECT * FROM (VALUES (1)) t(x)
-- next --
SELECT count(*), sum(income) FROM citizens JOIN (VALUES ({CANARY_PID})) v(pid) ON citizens.person_id = v.pid
-- next --
PIVOT citizens ON district USING sum(income)
-- next --
PIVOT citizens ON person_id USING max(income)
-- next --
SELECT * FROM (PIVOT citizens ON gender USING max(income) GROUP BY district)
-- next --
UNPIVOT citizens ON income INTO NAME k VALUE v
-- next --
SELECT district, count(*) FROM citizens GROUP BY district UNION ALL SELECT district, count(*) FROM citizens WHERE birth_date = 1900 GROUP BY district
-- next --
SELECT district, count(*) FROM citizens GROUP BY district EXCEPT SELECT district, count(*) FROM citizens WHERE birth_date >= 1925 GROUP BY district
-- next --
SELECT district FROM citizens INTERSECT SELECT district FROM citizens WHERE birth_date = 1900
-- next --
SELECT district, count(*) FROM citizens GROUP BY district UNION BY NAME SELECT income AS district, 1 FROM citizens
-- next --
SELECT (SELECT max(income) FROM citizens) AS m
-- next --
SELECT count(*) FROM (SELECT * FROM citizens) t
-- next --
SELECT district, count(*) FROM citizens WHERE income = (SELECT max(income) FROM citizens) GROUP BY district
-- next --
SELECT EXISTS (SELECT 1 FROM citizens WHERE income = 987654321) AS e
-- next --
SELECT district, count(*) FROM citizens WHERE EXISTS (SELECT 1 FROM citizens WHERE income = 987654321) GROUP BY district
-- next --
SELECT count(*) FROM citizens c, LATERAL (SELECT c.income) t
-- next --
WITH t AS (SELECT * FROM citizens) SELECT * FROM t
-- next --
WITH citizens AS (SELECT CAST(income AS VARCHAR) AS district, person_id FROM citizens) SELECT district, count(*) FROM citizens GROUP BY district
-- next --
WITH d AS MATERIALIZED (SELECT income FROM citizens) SELECT count(*) FROM d
-- next --
SELECT district, count(*) OVER (PARTITION BY district) FROM citizens
-- next --
SELECT district, sum(income) OVER (ORDER BY income ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM citizens
-- next --
SELECT district, count(*), rank() OVER (ORDER BY count(*)) FROM citizens GROUP BY district
-- next --
SELECT district, sum(sum(income)) OVER () FROM citizens GROUP BY district
-- next --
SELECT district, lag(income) OVER (ORDER BY income) FROM citizens
-- next --
SELECT district, income FROM citizens QUALIFY row_number() OVER (PARTITION BY district ORDER BY income DESC) = 1
-- next --
SELECT district, count(*) FROM citizens GROUP BY district QUALIFY count(*) < 10
-- next --
SELECT district, gender, count(*) FROM citizens GROUP BY GROUPING SETS ((district), (district, gender))
-- next --
SELECT district, gender, birth_date, count(*) FROM citizens GROUP BY CUBE (district, gender, birth_date)
-- next --
SELECT district, gender, count(*) FROM citizens GROUP BY ROLLUP (district, gender)
-- next --
SELECT DISTINCT ON (district) district, income FROM citizens ORDER BY district, income DESC
-- next --
SELECT count(*), sum(income) FROM citizens USING SAMPLE 1 ROWS
-- next --
SELECT count(*), avg(income) FROM citizens USING SAMPLE 10% (bernoulli)
-- next --
SELECT count(*), sum(income) FROM citizens TABLESAMPLE reservoir(3 ROWS)
-- next --
SELECT district, count(*) FROM citizens GROUP BY district LIMIT (SELECT count(*) FROM citizens WHERE income > 900000000)
-- next --
SELECT district, count(*) FROM citizens GROUP BY district LIMIT 1 + 1
-- next --
SELECT district, count(*) FROM citizens GROUP BY district LIMIT 10%
-- next --
SELECT district, count(*) FROM citizens GROUP BY district LIMIT 3 OFFSET 7
-- next --
SELECT district, count(*) FROM citizens GROUP BY district ORDER BY max(income) DESC LIMIT 1
-- next --
SELECT district, count(*) FROM citizens GROUP BY district ORDER BY sum(CASE WHEN birth_date = 1900 THEN income ELSE 0 END) DESC LIMIT 1
-- next --
SELECT district FROM citizens ORDER BY income DESC LIMIT 1
-- next --
SELECT count(*) FROM citizens WHERE district = ?
-- next --
SELECT count(*) FROM citizens WHERE district = $1
-- next --
SELECT district, list_transform(list(income), x -> x + 0) FROM citizens GROUP BY district
-- next --
SELECT [income] AS l FROM citizens
-- next --
SELECT {'a': income} AS s FROM citizens
-- next --
SELECT count(*) FROM memory.main.citizens
-- next --
SELECT count(*) FROM main.citizens
-- next --
SELECT c.district, sum(b.amount) FROM citizens AS b JOIN benefits AS c ON b.person_id = c.person_id GROUP BY c.district
-- next --
SELECT c.program, max(b.income) FROM citizens AS b JOIN benefits AS c ON b.person_id = c.person_id GROUP BY c.program
-- next --
SELECT count(*) FROM citizens c NATURAL JOIN benefits b
-- next --
SELECT count(*) FROM citizens c LEFT JOIN benefits b USING (person_id)
-- next --
SELECT count(*) FROM citizens c POSITIONAL JOIN benefits b
-- next --
SELECT count(*) FROM citizens c ASOF JOIN benefits b ON c.person_id >= b.person_id
-- next --
SELECT count(*) FROM citizens c ANTI JOIN benefits b USING (person_id)
-- next --
SELECT count(*) FROM citizens c JOIN benefits b ON c.person_id = b.person_id OR true
-- next --
SELECT c.district, count(*) FROM citizens c JOIN benefits b ON c.district = b.program GROUP BY c.district
-- next --
SELECT district, sum(income ORDER BY income) FROM citizens GROUP BY district
-- next --
SELECT district, count(*) FROM citizens WHERE district LIKE '%' GROUP BY district
-- next --
SELECT CAST(income AS VARCHAR) AS s, count(*) FROM citizens GROUP BY s
-- next --
SELECT income AS district, count(*) FROM citizens GROUP BY district
-- next --
SELECT district AS income, sum(income) FROM citizens GROUP BY district
-- next --
SELECT district, count(*) FROM citizens GROUP BY district, (SELECT 1)
-- next --
SELECT district, count(*) FROM citizens GROUP BY district ORDER BY 1 LIMIT 18446744073709551615
-- next --
SELECT U&"\0069ncome" FROM citizens
-- next --
SELECT district, count(*) FROM citizens AT (VERSION => 1) GROUP BY district
-- next --
SELECT "district", count(*) FROM "citizens" GROUP BY "DISTRICT"
