SELECT district, count(*) FROM citizens GROUP BY district
-- next --
SELECT gender, count(*), avg(income) FROM citizens GROUP BY gender
-- next --
SELECT birth_date, count(*), avg(income) FROM citizens GROUP BY birth_date
-- next --
SELECT district, gender, count(*) AS n, avg(income) AS mean_income FROM citizens GROUP BY district, gender ORDER BY district, gender
-- next --
SELECT count(*), avg(income), stddev_samp(income) FROM citizens
-- next --
SELECT district, count(*) FROM citizens WHERE gender = '女' GROUP BY district ORDER BY district LIMIT 5
-- next --
SELECT district, sum(income) AS total FROM citizens GROUP BY district HAVING count(*) >= 50 ORDER BY total DESC
-- next --
SELECT b.program, count(*), sum(b.amount), count(DISTINCT c.person_id) FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY b.program
-- next --
SELECT c.district, b.program, count(*), avg(b.amount) FROM citizens c JOIN benefits b USING (person_id) GROUP BY c.district, b.program
-- next --
SELECT program, count(*), var_samp(amount) FROM benefits GROUP BY program
