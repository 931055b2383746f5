package sqlgate

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
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
			direct: `SELECT district, count(*), sum(least(income, 50000)), count(income) FROM citizens WHERE gender = '女' GROUP BY district ORDER BY district`,
		},
		"variance, no group": {
			sql: "SELECT var_samp(income) AS v, count(DISTINCT person_id) AS people FROM citizens",
			rpu: 1, set: DPSettings{MaxGroups: 1, MaxRows: 1, Seed: 7},
			direct: `SELECT count(*), sum(least(income, 50000)), sum(least(income, 50000) * least(income, 50000)), count(income), count(DISTINCT person_id) FROM citizens`,
		},
		"many rows per person, within the grant's bounds: row by row": {
			sql: "SELECT program, count(*) AS n, sum(amount) AS s FROM benefits GROUP BY program",
			rpu: 3, set: DPSettings{MaxGroups: 3, MaxRows: 1, Seed: 7},
			direct: `SELECT program, count(*), CAST(sum(least(greatest(amount, 0), 400)) * 100 AS BIGINT) FROM benefits GROUP BY program ORDER BY program`,
		},
		"many rows per person, beyond the grant's bounds: per person": {
			sql: "SELECT program, count(*) AS n, sum(amount) AS s FROM benefits GROUP BY program",
			rpu: 4, set: DPSettings{MaxGroups: 3, MaxRows: 1, Seed: 7},
			direct: `SELECT program, count(DISTINCT person_id), count(DISTINCT person_id), sum(s)
				FROM (SELECT program, person_id, least(CAST(sum(least(greatest(amount, 0), 400)) * 100 AS BIGINT), 40000) AS s
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

// TestPlanDPSensitivities: the noise is calibrated to what one person can change: on a table
// with one row per person a person is one row of one group whatever the grant's bounds; on a
// table with several rows, the bounds multiply the clamp bound.
func TestPlanDPSensitivities(t *testing.T) {
	t.Parallel()
	set := DPSettings{MaxGroups: 3, MaxRows: 2}
	one, _, err := planDP(t, "SELECT district, count(*) AS n, sum(income) AS s FROM citizens GROUP BY district", dpSchema(1), set)
	if err != nil {
		t.Fatal(err)
	}
	if one.GroupsPerUnit != 1 || one.PerUnit || one.Measures[0].Sensitivity != 1 || one.Measures[1].Sensitivity != 50000 {
		t.Errorf("one row per person: %+v", one.Measures)
	}
	many, _, err := planDP(t, "SELECT program, count(*) AS n, sum(amount) AS s FROM benefits GROUP BY program", dpSchema(3), set)
	if err != nil {
		t.Fatal(err)
	}
	// amount [0, 400] in cents: 40000 steps; a person has at most 3 rows in all.
	if many.GroupsPerUnit != 3 || many.PerUnit || many.Measures[0].Sensitivity != 3 || many.Measures[1].Sensitivity != 3*40000 || many.Measures[1].Quantum != 0.01 {
		t.Errorf("several rows per person: %+v", many.Measures)
	}
	unset, _, err := planDP(t, "SELECT program, count(*) AS n FROM benefits GROUP BY program", dpSchema(5), DPSettings{})
	if err != nil {
		t.Fatal(err)
	}
	// No bounds set: as the workspace bounds a person (5 rows), row by row.
	if unset.PerUnit || unset.GroupsPerUnit != 5 || unset.UnitCap != 5 || unset.Measures[0].Sensitivity != 5 {
		t.Errorf("unset bounds: %+v", unset)
	}
	tight, _, err := planDP(t, "SELECT program, count(*) AS n, sum(amount) AS s FROM benefits GROUP BY program", dpSchema(3), DPSettings{MaxGroups: 1, MaxRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Bounds tighter than the workspace: per person, one group, one row's worth.
	if !tight.PerUnit || tight.GroupsPerUnit != 1 || tight.Measures[0].Kind != MeasureUnits || tight.Measures[1].Sensitivity != 1 || tight.Measures[2].Sensitivity != 40000 {
		t.Errorf("per person: %+v", tight.Measures)
	}
}

// TestGridOf: integers and decimals are summed exactly; floating point on a power-of-two grid;
// every grid is coarse enough that a sum over the table cannot overflow BIGINT.
func TestGridOf(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		col      Column
		squares  bool
		rows     int64
		quantum  float64
		max      uint64
		contains string
	}{
		"integer":               {Column{Type: "BIGINT", Lo: ptr(-5.5), Hi: ptr(1e6)}, false, 1e7, 1, 1e6, "least(greatest({x}, -5), 1000000)"},
		"integer in bounds":     {Column{Type: "BIGINT", Lo: ptr(0), Hi: ptr(1e6), InBounds: true}, false, 1e7, 1, 1e6, "sum({x})"},
		"integer, huge table":   {Column{Type: "BIGINT", Lo: ptr(0), Hi: ptr(1e12)}, false, 1e8, 1 << 24, 59605, "DOUBLE"},
		"integer squares":       {Column{Type: "INTEGER", Lo: ptr(0), Hi: ptr(1e6)}, true, 1e7, 4, 500001 * 500001, "// 2)"},
		"small integer squares": {Column{Type: "INTEGER", Lo: ptr(0), Hi: ptr(5e4)}, true, 1e7, 1, 50000 * 50000, "least(greatest({x}, 0), 50000) * least"},
		"decimal":               {Column{Type: "DECIMAL(12,2)", Lo: ptr(0), Hi: ptr(1e15)}, false, 1e6, 0.01, 999999999999, "DECIMAL(12, 2)"},
		"double":                {Column{Type: "DOUBLE", Lo: ptr(-1), Hi: ptr(3)}, false, 1e6, 1.0 / (1 << 14), 3 << 14, "DOUBLE"},
	} {
		g := gridOf(c.col, c.squares, c.rows)
		if g.quantum != c.quantum || g.max != c.max || !strings.Contains(g.sum, c.contains) {
			t.Errorf("%s: quantum %g max %d sum %s", name, g.quantum, g.max, g.sum)
		}
		if float64(g.max)*float64(c.rows) > dpSumLimit {
			t.Errorf("%s: %d steps × %d rows can overflow", name, g.max, c.rows)
		}
	}
}
