SELECT * FROM citizens
-- next --
SELECT * FROM benefits
-- next --
FROM citizens
-- next --
TABLE citizens
-- next --
SELECT person_id, income FROM citizens
-- next --
SELECT person_id FROM citizens
-- next --
SELECT income FROM citizens
-- next --
SELECT district, gender, birth_date, income FROM citizens
-- next --
SELECT income FROM citizens WHERE birth_date = 1900
-- next --
SELECT income FROM citizens LIMIT 10
-- next --
SELECT DISTINCT person_id FROM citizens
-- next --
SELECT DISTINCT income FROM citizens
-- next --
SELECT DISTINCT district, income FROM citizens
-- next --
SELECT person_id, count(*) FROM citizens GROUP BY person_id
-- next --
SELECT income, count(*) FROM citizens GROUP BY income
-- next --
SELECT amount, count(*) FROM benefits GROUP BY amount
-- next --
SELECT hash(person_id) AS h, count(*) FROM citizens GROUP BY hash(person_id)
-- next --
SELECT md5(CAST(person_id AS VARCHAR)) AS h, count(*) FROM citizens GROUP BY md5(CAST(person_id AS VARCHAR))
-- next --
SELECT person_id % 1000 AS bucket, count(*) FROM citizens GROUP BY person_id % 1000
-- next --
SELECT round(income, -1) AS r, count(*) FROM citizens GROUP BY round(income, -1)
-- next --
SELECT income + 0 AS i, count(*) FROM citizens GROUP BY income + 0
-- next --
SELECT district, count(*) FROM citizens GROUP BY district, person_id
-- next --
SELECT district, sum(income) FROM citizens GROUP BY district, person_id
-- next --
SELECT district, avg(income) FROM citizens GROUP BY district, income
-- next --
SELECT program, count(*) FROM benefits GROUP BY program, person_id
-- next --
SELECT district, gender, birth_date, count(*), sum(income) FROM citizens GROUP BY district, gender, birth_date
-- next --
SELECT c.district, c.gender, c.birth_date, b.program, count(*), sum(b.amount) FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY c.district, c.gender, c.birth_date, b.program
-- next --
SELECT c.person_id, b.amount FROM citizens c JOIN benefits b USING (person_id)
-- next --
SELECT person_id, amount FROM benefits ORDER BY amount DESC LIMIT 5
-- next --
SELECT name, phone, id_number FROM citizens
-- next --
SELECT phone, count(*) FROM citizens GROUP BY phone
-- next --
SELECT id_number FROM citizens
-- next --
SELECT count(*), person_id FROM citizens GROUP BY person_id HAVING count(*) >= 1
-- next --
SELECT 1 AS one, income FROM citizens
-- next --
SELECT CAST(income AS VARCHAR) || district AS s FROM citizens
-- next --
SELECT district, count(*), income FROM citizens GROUP BY district, income
-- next --
SELECT row_number() OVER () AS n, income FROM citizens
-- next --
SELECT district, person_id FROM citizens GROUP BY ALL
-- next --
SELECT b.program, b.amount, count(*) FROM benefits b GROUP BY b.program, b.amount
-- next --
SELECT district, count(*) FROM citizens GROUP BY district, income
-- next --
SELECT c.x, count(*) FROM citizens c(x) GROUP BY c.x
-- next --
SELECT d, count(*) FROM citizens AS t(pid, d) GROUP BY d
