SELECT count(*), sum(income) FROM citizens WHERE birth_date = 1900
-- next --
SELECT count(*), avg(income) FROM citizens WHERE birth_date = 1900 AND gender = '女'
-- next --
SELECT count(*), sum(income) FROM citizens WHERE birth_date < 1925
-- next --
SELECT count(*), sum(income) FROM citizens WHERE birth_date BETWEEN 1900 AND 1904
-- next --
SELECT district, sum(income) FROM citizens WHERE birth_date = 1900 GROUP BY district
-- next --
SELECT birth_date, count(*), sum(income) FROM citizens GROUP BY birth_date
-- next --
SELECT birth_date = 1900 AS old, count(*), sum(income) FROM citizens GROUP BY birth_date = 1900
-- next --
SELECT CASE WHEN birth_date = 1900 AND gender = '女' THEN 'x' ELSE 'y' END AS g, count(*), sum(income) FROM citizens GROUP BY CASE WHEN birth_date = 1900 AND gender = '女' THEN 'x' ELSE 'y' END
-- next --
SELECT district, gender, birth_date, avg(income) FROM citizens GROUP BY district, gender, birth_date HAVING count(*) < 10
-- next --
SELECT district, gender, birth_date, count(*) FROM citizens GROUP BY district, gender, birth_date HAVING count(*) BETWEEN 1 AND 3
-- next --
SELECT birth_date, count(*) FROM citizens GROUP BY birth_date ORDER BY count(*) LIMIT 1
-- next --
SELECT birth_date, sum(income) FROM citizens GROUP BY birth_date ORDER BY birth_date LIMIT 1
-- next --
SELECT count(*), sum(income) FROM citizens WHERE person_id = {CANARY_PID}
-- next --
SELECT district, sum(income) FROM citizens WHERE person_id IN ({CANARY_PIDS}) GROUP BY district
-- next --
SELECT avg(income) FROM citizens WHERE person_id = {CANARY_PID} OR district = '端州区'
-- next --
SELECT count(*), sum(income) FROM citizens WHERE person_id < 0
-- next --
SELECT sum(income) FROM citizens WHERE person_id % 2 = 0
-- next --
SELECT sum(income) FROM citizens WHERE hash(person_id) % 2 = 0
-- next --
SELECT sum(income) FROM citizens WHERE md5(CAST(person_id AS VARCHAR)) < '8'
-- next --
SELECT district, count(*) FROM citizens WHERE income > 900000000 GROUP BY district
-- next --
SELECT count(*) FROM citizens WHERE income = 987654321
-- next --
SELECT district, count(*) FROM citizens WHERE birth_date + 0 * person_id = 1900 GROUP BY district
-- next --
SELECT district, count(*) FROM citizens WHERE birth_date = 1900 + (income - income) GROUP BY district
-- next --
SELECT c.district, count(*) FROM citizens c JOIN benefits b ON c.person_id = b.person_id WHERE b.amount = 98765.43 GROUP BY c.district
-- next --
SELECT b.program, sum(b.amount) FROM citizens c JOIN benefits b ON c.person_id = b.person_id WHERE c.birth_date = 1900 GROUP BY b.program
-- next --
SELECT b.program, count(*), sum(b.amount) FROM citizens c JOIN benefits b ON c.person_id = b.person_id WHERE c.birth_date = 1900 AND c.gender = '女' GROUP BY b.program
-- next --
SELECT a.district, count(*) FROM citizens a JOIN citizens b ON a.person_id = b.person_id WHERE b.birth_date = 1900 GROUP BY a.district
-- next --
SELECT district, count(*) FROM citizens WHERE district IN (SELECT district FROM citizens WHERE birth_date = 1900) GROUP BY district
-- next --
SELECT district, sum(income) FROM citizens GROUP BY district HAVING sum(income) > 2000000000
-- next --
SELECT district, sum(income) FROM citizens GROUP BY district
-- next --
SELECT district, sum(income) FROM citizens WHERE birth_date >= 1925 GROUP BY district
-- next --
SELECT district, count(*), sum(income) FROM citizens WHERE NOT (birth_date = 1900 AND gender = '女') GROUP BY district
-- next --
SELECT gender, count(*), sum(income) FROM citizens WHERE district = '封开县' OR birth_date = 1900 GROUP BY gender
-- next --
SELECT gender, count(*), sum(income) FROM citizens WHERE district = '封开县' AND birth_date <> 1900 GROUP BY gender
-- next --
SELECT district, sum(CASE WHEN birth_date = 1900 AND gender = '女' THEN income ELSE 0 END) AS s FROM citizens GROUP BY district
-- next --
SELECT district, avg(CASE WHEN birth_date = 1900 THEN income END) AS a FROM citizens GROUP BY district
-- next --
SELECT gender, sum(CASE WHEN birth_date = 1900 THEN income ELSE 0 END) AS s FROM citizens GROUP BY gender
-- next --
SELECT sum(income * CAST(birth_date = 1900 AND gender = '女' AS INTEGER)) AS s FROM citizens
-- next --
SELECT district, sum(CASE WHEN income > 900000000 THEN 1 ELSE 0 END) AS n FROM citizens GROUP BY district
-- next --
SELECT district, count(CASE WHEN birth_date = 1900 THEN 1 END) AS n FROM citizens GROUP BY district
-- next --
SELECT district, sum(CASE WHEN income > 987654330 THEN income ELSE 0 END) AS s FROM citizens GROUP BY district
-- next --
SELECT b.program, sum(CASE WHEN c.birth_date = 1900 THEN b.amount ELSE 0 END) AS s FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY b.program
-- next --
SELECT district, count(*) FILTER (WHERE birth_date = 1900) FROM citizens GROUP BY district
-- next --
SELECT district, sum(income) FILTER (WHERE gender = '女' AND birth_date = 1900) FROM citizens GROUP BY district
-- next --
SELECT district, var_samp(income) FROM citizens WHERE birth_date = 1900 GROUP BY district
-- next --
SELECT district, count(DISTINCT person_id) FROM citizens WHERE birth_date = 1900 GROUP BY district
-- next --
SELECT district, count(*) AS n FROM citizens GROUP BY district HAVING n < 10
-- next --
SELECT district, sum(CASE WHEN income > 987654340 THEN income ELSE 0 END) AS s FROM citizens GROUP BY district
-- next --
SELECT district, sum(coalesce(CASE WHEN birth_date = 1900 AND gender = '女' THEN income END, 0)) AS s FROM citizens GROUP BY district
-- next --
SELECT gender, sum(CASE WHEN birth_date < 1925 THEN income ELSE 0 END) / sum(CASE WHEN birth_date < 1925 THEN 1 ELSE 0 END) AS a FROM citizens GROUP BY gender
-- next --
SELECT district, avg(income * CAST(birth_date = 1900 AND gender = '女' AS INTEGER)) * count(*) AS s FROM citizens GROUP BY district
-- next --
SELECT district, sum(CASE WHEN gender = '女' AND birth_date = 1900 THEN person_id ELSE 0 END) AS p FROM citizens GROUP BY district
-- next --
SELECT program, sum(amount * CAST(person_id = {CANARY_PID} AS INTEGER)) AS s FROM benefits GROUP BY program
-- next --
SELECT district, count(DISTINCT CASE WHEN birth_date = 1900 THEN person_id END) AS n FROM citizens GROUP BY district
-- next --
SELECT district, stddev_samp(CASE WHEN birth_date = 1900 THEN income END) AS sd FROM citizens GROUP BY district
-- next --
SELECT gender, count(*), sum(income) FROM citizens WHERE district = '封开县' GROUP BY gender
-- next --
SELECT gender, count(*), sum(income) FROM citizens WHERE district = '封开县' AND NOT (birth_date = 1900 AND gender = '女') GROUP BY gender
-- next --
SELECT district, count(*) FROM citizens WHERE birth_date = 1900 AND gender = '女' GROUP BY district
