package sqlgate

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

func ptr(f float64) *float64 { return &f }

// dpSchema is the test schema with clamp bounds: income [0, 50000] (grid step 1: sums are
// exact), amount [0, 400] (a decimal: grid step 2^-7).
func dpSchema(rowsPerUnit int64) Schema {
	s := Schema{}
	for name, tb := range schema {
		cols := map[string]Column{}
		for cn, c := range tb.Columns {
			switch cn {
			case "income":
				c.Lo, c.Hi = ptr(0), ptr(50000)
			case "amount":
				c.Lo, c.Hi = ptr(0), ptr(400)
			}
			cols[cn] = c
		}
		s[name] = Table{Columns: cols, MaxRowsPerUnit: 1}
	}
	b := s["benefits"]
	b.MaxRowsPerUnit = rowsPerUnit
	s["benefits"] = b
	return s
}

func planDP(t *testing.T, q string, s Schema, set DPSettings) (*DPPlan, string, error) {
	t.Helper()
	ctx := context.Background()
	p := testParser(t)
	tree, err := p.Parse(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	a, err := p.Analyse(tree, s)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	plan, err := p.PlanDP(ctx, tree, a, s, set)
	if err != nil {
		return nil, "", err
	}
	text, err := p.Deparse(ctx, plan.Tree())
	if err != nil {
		t.Fatal(err)
	}
	return plan, text, nil
}

// TestPlanDPMeasures runs DP plans on a real workspace and compares every measure with the
// same quantity computed directly: the plan must count, sum and bound what it says it does.
func TestPlanDPMeasures(t *testing.T) {
	t.Parallel()
	db := workspace(t)
	cases := map[string]struct {
		sql    string
		rpu    int64
		set    DPSettings
		direct string // the measures, computed without the planner, in the plan's column order
	}{
		"one row per person": {
			sql: "SELECT district, count(*) AS n, sum(income) AS s, avg(income) AS a FROM citizens WHERE gender = '女' GROUP BY district",
			rpu: 1, set: DPSettings{MaxGroups: 1, MaxRows: 1, Seed: 7},
			direct: `SELECT district, count(*), count(*), sum(least(income, 50000)), count(income) FROM citizens WHERE gender = '女' GROUP BY district ORDER BY district`,
		},
		"variance, no group": {
			sql: "SELECT var_samp(income) AS v, count(DISTINCT person_id) AS people FROM citizens",
			rpu: 1, set: DPSettings{MaxGroups: 1, MaxRows: 1, Seed: 7},
			direct: `SELECT count(*), sum(least(income, 50000)), sum(least(income, 50000) * least(income, 50000)), count(income) FROM citizens`,
		},
		"many rows per person, every group kept": {
			sql: "SELECT program, count(*) AS n, sum(amount) AS s FROM benefits GROUP BY program",
			rpu: 3, set: DPSettings{MaxGroups: 3, MaxRows: 1, Seed: 7},
			direct: `SELECT program, count(DISTINCT person_id), count(DISTINCT person_id),
				sum(s) FROM (SELECT program, person_id, least(sum(round(least(greatest(amount::DOUBLE, 0), 400) * 128)::BIGINT), 51200) AS s
				FROM benefits GROUP BY program, person_id) GROUP BY program ORDER BY program`,
		},
		"join on the unit": {
			sql: "SELECT c.district, count(*) AS n FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY c.district",
			rpu: 3, set: DPSettings{MaxGroups: 1, MaxRows: 2, Seed: 7},
			direct: `SELECT district, count(*), sum(least(r, 2)) FROM (SELECT c.district, c.person_id, count(*) AS r
				FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY ALL) GROUP BY district ORDER BY district`,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, text, err := planDP(t, c.sql, dpSchema(c.rpu), c.set)
			if err != nil {
				t.Fatal(err)
			}
			got, want := rows(t, db, text), rows(t, db, c.direct)
			if len(got) == 0 || !reflect.DeepEqual(got, want) {
				t.Fatalf("plan measures differ from the direct computation\nplan:   %v\ndirect: %v\n%s", got, want, text)
			}
		})
	}
}

// TestPlanDPBoundsGroupsPerUnit checks the contribution bound across groups: with one group per
// person, the units of all groups add up to the people, each counted once.
func TestPlanDPBoundsGroupsPerUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := duck.Open(ctx, "", duck.Config{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Each of 1000 people has one row in each of three programs.
	if _, err := db.ExecContext(ctx, `CREATE TABLE benefits AS SELECT i % 1000 AS person_id,
		['低保','医疗救助','高龄津贴'][1 + (i % 3)] AS program, 1.0::DECIMAL(12,2) AS amount FROM range(0, 3000) r(i)`); err != nil {
		t.Fatal(err)
	}
	_, text, err := planDP(t, "SELECT program, count(DISTINCT person_id) AS people FROM benefits GROUP BY program", dpSchema(3), DPSettings{MaxGroups: 1, MaxRows: 1, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, r := range rows(t, db, text) {
		var n int
		fmt.Sscan(r[1], &n)
		total += n
	}
	people := rows(t, db, "SELECT count(DISTINCT person_id) FROM benefits")[0][0]
	if fmt.Sprint(total) != people {
		t.Fatalf("units over groups %d, people %s: a person counted in more than one group", total, people)
	}
	// A different seed picks other groups for some people, but never more than one each.
	_, text2, _ := planDP(t, "SELECT program, count(DISTINCT person_id) AS people FROM benefits GROUP BY program", dpSchema(3), DPSettings{MaxGroups: 1, MaxRows: 1, Seed: 12})
	if len(rows(t, db, text)) != 3 || reflect.DeepEqual(rows(t, db, text), rows(t, db, text2)) {
		t.Error("two seeds chose the same group for every person")
	}
}

func TestPlanDPRefusals(t *testing.T) {
	t.Parallel()
	noBounds := dpSchema(1)
	c := noBounds["citizens"].Columns["income"]
	c.Lo, c.Hi = nil, nil
	noBounds["citizens"].Columns["income"] = c
	set := DPSettings{MaxGroups: 1, MaxRows: 1}
	for name, q := range map[string]struct {
		sql string
		s   Schema
	}{
		"distinct other":  {"SELECT count(DISTINCT district) FROM citizens", dpSchema(1)},
		"order by":        {"SELECT district, count(*) FROM citizens GROUP BY district ORDER BY district", dpSchema(1)},
		"limit":           {"SELECT district, count(*) FROM citizens GROUP BY district LIMIT 2", dpSchema(1)},
		"having":          {"SELECT district, count(*) FROM citizens GROUP BY district HAVING count(*) > 5", dpSchema(1)},
		"no bounds":       {"SELECT district, sum(income) FROM citizens GROUP BY district", noBounds},
		"computed output": {"SELECT district, sum(income) / 2 FROM citizens GROUP BY district", dpSchema(1)},
		"distinct sum":    {"SELECT sum(DISTINCT income) FROM citizens", dpSchema(1)},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := planDP(t, q.sql, q.s, set)
			var f *fault.Error
			if !errors.As(err, &f) || len(f.Reasons) == 0 || f.Reasons[0].Code != "dp_unsupported" {
				t.Fatalf("want a dp_unsupported refusal, got %v", err)
			}
		})
	}
}
