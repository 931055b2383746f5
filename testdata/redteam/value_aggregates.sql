SELECT district, min(income) FROM citizens GROUP BY district
-- next --
SELECT district, max(income) FROM citizens GROUP BY district
-- next --
SELECT max(income) FROM citizens
-- next --
SELECT district, median(income) FROM citizens GROUP BY district
-- next --
SELECT district, quantile(income, 1.0) FROM citizens GROUP BY district
-- next --
SELECT district, quantile_cont(income, 0.999) FROM citizens GROUP BY district
-- next --
SELECT district, quantile_disc(income, 1.0) FROM citizens GROUP BY district
-- next --
SELECT district, approx_quantile(income, 1.0) FROM citizens GROUP BY district
-- next --
SELECT district, reservoir_quantile(income, 1.0) FROM citizens GROUP BY district
-- next --
SELECT district, mode(income) FROM citizens GROUP BY district
-- next --
SELECT district, mad(income) FROM citizens GROUP BY district
-- next --
SELECT district, string_agg(CAST(income AS VARCHAR), ',') FROM citizens GROUP BY district
-- next --
SELECT district, group_concat(CAST(income AS VARCHAR)) FROM citizens GROUP BY district
-- next --
SELECT district, listagg(CAST(income AS VARCHAR), ',') FROM citizens GROUP BY district
-- next --
SELECT district, list(income) FROM citizens GROUP BY district
-- next --
SELECT district, array_agg(income) FROM citizens GROUP BY district
-- next --
SELECT district, list(person_id) FROM citizens GROUP BY district
-- next --
SELECT district, first(income) FROM citizens GROUP BY district
-- next --
SELECT district, last(income) FROM citizens GROUP BY district
-- next --
SELECT district, any_value(income) FROM citizens GROUP BY district
-- next --
SELECT district, arbitrary(income) FROM citizens GROUP BY district
-- next --
SELECT district, arg_max(person_id, income) FROM citizens GROUP BY district
-- next --
SELECT district, arg_min(income, birth_date) FROM citizens GROUP BY district
-- next --
SELECT district, max_by(income, birth_date) FROM citizens GROUP BY district
-- next --
SELECT district, min_by(income, birth_date) FROM citizens GROUP BY district
-- next --
SELECT district, histogram(income) FROM citizens GROUP BY district
-- next --
SELECT district, bit_or(income) FROM citizens GROUP BY district
-- next --
SELECT district, bit_and(income) FROM citizens GROUP BY district
-- next --
SELECT district, bit_xor(income) FROM citizens GROUP BY district
-- next --
SELECT district, approx_top_k(income, 3) FROM citizens GROUP BY district
-- next --
SELECT district, bool_or(income > 900000000) FROM citizens GROUP BY district
-- next --
SELECT district, product(income) FROM citizens GROUP BY district
-- next --
SELECT district, kurtosis(income) FROM citizens GROUP BY district
-- next --
SELECT district, entropy(income) FROM citizens GROUP BY district
-- next --
SELECT district, fsum(income) FROM citizens GROUP BY district
-- next --
SELECT district, "max"(income) FROM citizens GROUP BY district
-- next --
SELECT district, MAX(income) FROM citizens GROUP BY district
-- next --
SELECT district, Max(income) FROM citizens GROUP BY district
-- next --
SELECT district, "MAX"(income) FROM citizens GROUP BY district
-- next --
SELECT district, system.main.max(income) FROM citizens GROUP BY district
-- next --
SELECT district, main.max(income) FROM citizens GROUP BY district
-- next --
SELECT district, main."max"(income) FROM citizens GROUP BY district
-- next --
SELECT district, system.main."string_agg"(CAST(income AS VARCHAR), ',') FROM citizens GROUP BY district
-- next --
SELECT district, max(DISTINCT income) FROM citizens GROUP BY district
-- next --
SELECT district, -min(-income) FROM citizens GROUP BY district
-- next --
SELECT district, min(income) + 0 AS m FROM citizens GROUP BY district
-- next --
SELECT district, sum(income) - sum(income) + max(income) AS m FROM citizens GROUP BY district
-- next --
SELECT district, list_max(list(income)) FROM citizens GROUP BY district
-- next --
SELECT district, max(c) FROM citizens c GROUP BY district
-- next --
SELECT district, list(c) FROM citizens c GROUP BY district
-- next --
SELECT district, max(person_id) FROM citizens GROUP BY district
-- next --
SELECT district, sum(person_id) FROM citizens GROUP BY district
-- next --
SELECT b.program, max(b.amount) FROM benefits b GROUP BY b.program
-- next --
SELECT b.program, first(c.income) FROM citizens c JOIN benefits b USING (person_id) GROUP BY b.program
-- next --
SELECT district, count(*) FROM citizens GROUP BY district HAVING max(income) > 900000000
-- next --
SELECT district, max(income) OVER () FROM citizens
-- next --
SELECT district, covar_pop(income, birth_date) FROM citizens GROUP BY district
-- next --
SELECT district, regr_intercept(income, birth_date) FROM citizens GROUP BY district
