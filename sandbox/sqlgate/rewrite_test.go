package sqlgate

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/duck"
)

// workspace builds a small workspace-like database: citizens with one row per person and
// benefits with several, both keyed by a BIGINT pseudonym.
func workspace(t *testing.T) *sql.DB {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ws.duckdb")
	db, err := duck.Open(ctx, path, duck.Config{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE citizens AS SELECT (i * 7919) % 100003 AS person_id,
			['端州区','鼎湖区','高要区','四会市'][1 + (i % 4)] AS district,
			CASE WHEN i % 3 = 0 THEN '女' ELSE '男' END AS gender,
			1930 + 5 * (i % 17) AS birth_date, (i * 37) % 90000 AS income
		 FROM range(1, 3000) r(i)`,
		`CREATE TABLE benefits AS SELECT (i % 1500 * 7919) % 100003 AS person_id,
			['低保','医疗救助','高龄津贴'][1 + (i % 3)] AS program, (i % 500)::DECIMAL(12,2) AS amount
		 FROM range(1, 4000) r(i)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	ro, err := duck.Open(ctx, path, duck.Config{ReadOnly: true, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	return ro
}

func rows(t *testing.T, db *sql.DB, q string) [][]string {
	t.Helper()
	rs, err := db.Query(q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		rs.Scan(ptrs...)
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	return out
}

// TestRewriteShortcutEqualsNaive runs many generated queries through the shortcut rewrite and
// the naive count(DISTINCT unit) rewrite: the released groups must be identical.
func TestRewriteShortcutEqualsNaive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := testParser(t)
	db := workspace(t)
	s := Schema{}
	for name, tb := range schema {
		cp := Table{Columns: tb.Columns, MaxRowsPerUnit: 1}
		if name == "benefits" {
			cp.MaxRowsPerUnit = 3
		}
		s[name] = cp
	}
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"district", "gender", "birth_date"}
	aggs := []string{"count(*)", "avg(income)", "sum(income)", "count(DISTINCT district)"}
	filters := []string{"", "WHERE gender = '女'", "WHERE birth_date BETWEEN 1950 AND 1990", "WHERE income > 45000", "WHERE district IN ('端州区', '四会市') AND income < 20000"}
	for i := 0; i < 60; i++ {
		var q string
		if i%5 == 4 {
			q = "SELECT b.program, count(*) AS n, sum(b.amount) FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY b.program"
			switch i % 3 {
			case 1:
				q = "SELECT program, count(*) AS n, sum(amount) FROM benefits GROUP BY program ORDER BY program"
			case 2:
				q = "SELECT program, count(*) FROM benefits WHERE amount > 480 GROUP BY program ORDER BY program"
			}
			if i%2 == 0 && i%3 == 0 {
				q = "SELECT c.district, b.program, count(*) FROM citizens c JOIN benefits b ON c.person_id = b.person_id WHERE c.gender = '男' GROUP BY c.district, b.program"
			}
		} else {
			k1, k2 := keys[rng.IntN(3)], keys[rng.IntN(3)]
			group := k1
			if k2 != k1 && rng.IntN(2) == 0 {
				group = k1 + ", " + k2
			}
			q = fmt.Sprintf("SELECT %s, %s FROM citizens %s GROUP BY %s ORDER BY %s",
				group, aggs[rng.IntN(len(aggs))], filters[rng.IntN(len(filters))], group, group)
		}
		tree, err := p.Parse(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		a, err := p.Analyse(tree, s)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var got [2][][]string
		for j, naive := range []bool{false, true} {
			rw, err := p.rewrite(tree, a, s, naive)
			if err != nil {
				t.Fatal(err)
			}
			got[j] = release(t, p, db, rw, 10)
		}
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Fatalf("shortcut and naive rewrites differ for %s\n%v\n%v", q, got[0], got[1])
		}
	}
}

// release does what the sandbox does with a rewritten query: run it, keep groups whose units
// reach k (k·RowsPerUnit when the units are a row bound), and fall back to the exact query when
// a group falls short of the bound.
func release(t *testing.T, p *Parser, db *sql.DB, rw *Rewritten, k int64) [][]string {
	t.Helper()
	ctx := context.Background()
	text, err := p.Deparse(ctx, rw.Tree())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, UnitsColumn) {
		t.Fatalf("rewritten query lacks the units column: %s", text)
	}
	bound := k
	if rw.RowsPerUnit > 1 {
		bound *= rw.RowsPerUnit
	}
	short := rows(t, db, fmt.Sprintf("SELECT count(*) FROM (%s) WHERE %s < %d", text, UnitsColumn, bound))
	if rw.RowsPerUnit > 1 && short[0][0] != "0" {
		if text, err = p.Deparse(ctx, rw.Fallback); err != nil {
			t.Fatal(err)
		}
		bound = k
	}
	return rows(t, db, fmt.Sprintf("SELECT * EXCLUDE (%s) FROM (%s) WHERE %s >= %d", UnitsColumn, text, UnitsColumn, bound))
}

func TestRewriteLiftsLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := testParser(t)
	tree, err := p.Parse(ctx, "SELECT district, count(*) AS n FROM citizens GROUP BY district ORDER BY n DESC LIMIT 3 OFFSET 1")
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.Analyse(tree, schema)
	if err != nil {
		t.Fatal(err)
	}
	rw, err := p.Rewrite(tree, a, schema)
	if err != nil {
		t.Fatal(err)
	}
	sqlText, _ := p.Deparse(ctx, rw.Tree())
	if rw.Limit != 3 || rw.Offset != 1 || strings.Contains(strings.ToUpper(sqlText), "LIMIT") {
		t.Fatalf("limit %d offset %d sql %s", rw.Limit, rw.Offset, sqlText)
	}
	if !strings.Contains(sqlText, "count(DISTINCT citizens.person_id)") {
		t.Fatalf("unit count: %s", sqlText)
	}
}

// TestRowBoundFallsBackOnShortGroups: with several rows per person, a group short of k·m rows
// triggers the exact query, and the result equals the naive rewrite's.
func TestRowBoundFallsBackOnShortGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := testParser(t)
	db := workspace(t)
	s := Schema{"benefits": {Columns: schema["benefits"].Columns, MaxRowsPerUnit: 3}, "citizens": {Columns: schema["citizens"].Columns, MaxRowsPerUnit: 1}}
	for _, q := range []string{
		"SELECT b.program, count(*), avg(c.income) FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY b.program ORDER BY b.program",
		"SELECT c.district, b.program, count(*) FROM citizens c JOIN benefits b USING (person_id) WHERE b.amount > 490 GROUP BY c.district, b.program ORDER BY 1, 2",
		"SELECT program, count(*) FROM benefits WHERE amount > 495 GROUP BY program ORDER BY program", // short groups: fallback
		"SELECT program, count(*) FROM benefits GROUP BY program ORDER BY program",                    // large groups: bound suffices
	} {
		tree, err := p.Parse(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		a, err := p.Analyse(tree, s)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := p.Rewrite(tree, a, s)
		if err != nil {
			t.Fatal(err)
		}
		if fast.RowsPerUnit != 3 || fast.Fallback == nil {
			t.Fatalf("row bound not used: %+v", fast)
		}
		naive, _ := p.rewrite(tree, a, s, true)
		if got, want := release(t, p, db, fast, 10), release(t, p, db, naive, 10); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\nbound+fallback %v\nnaive          %v", q, got, want)
		}
	}
}
