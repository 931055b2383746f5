package load

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/duck"
)

// TestRunSuite runs the suite on a real DuckDB table, with a gated way that counts its calls:
// every query runs every way (warm-up plus repetitions), medians and ratios are filled in, and
// the report writes as Markdown and JSON.
func TestRunSuite(t *testing.T) {
	ctx := context.Background()
	db, err := duck.Open(ctx, "", duck.Config{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE people AS SELECT i AS person_id, ['端州区','鼎湖区'][1 + i % 2] AS district, CASE WHEN i % 3 = 0 THEN '女' ELSE '男' END AS gender,
		1950 + i % 50 AS birth_date, i * 10 AS income FROM range(5000) r(i);
		CREATE TABLE payments AS SELECT i % 5000 AS person_id, ['低保','养老'][1 + i % 2] AS program, i % 700 AS amount FROM range(12000) r(i)`); err != nil {
		t.Fatal(err)
	}
	calls := 0
	gated := func(ctx context.Context, q string) error {
		calls++
		return drainRows(db.QueryContext(ctx, q))
	}
	// Without a benefits table the two queries over it are left out.
	rows, err := RunSuite(ctx, SuiteConfig{Table: "people", Reps: 1, Raw: db, Gated: gated})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(SuiteQueries)-2 || calls != (len(SuiteQueries)-2)*2 {
		t.Fatalf("without benefits: %d rows, %d gated calls; want %d and %d", len(rows), calls, len(SuiteQueries)-2, (len(SuiteQueries)-2)*2)
	}
	calls = 0
	rows, err = RunSuite(ctx, SuiteConfig{Table: "people", Benefits: "payments", Reps: 3, Raw: db, Gated: gated})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(SuiteQueries) || calls != len(SuiteQueries)*4 || rows[len(rows)-1].Query != "join_by_program" {
		t.Fatalf("%d rows, %d gated calls; want %d and %d", len(rows), calls, len(SuiteQueries), len(SuiteQueries)*4)
	}
	for _, r := range rows {
		if r.RawMS <= 0 || r.GatedMS <= 0 || r.GatedRaw <= 0 || r.HTTPMS != 0 {
			t.Errorf("row %+v", r)
		}
	}
	rep := &SuiteReport{Rows: 5000, Reps: 3, Queries: rows}
	var md, js bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil || !strings.Contains(md.String(), "| count_by_district |") {
		t.Fatalf("markdown: %v\n%s", err, md.String())
	}
	var back SuiteReport
	if err := rep.WriteJSON(&js); err != nil || json.Unmarshal(js.Bytes(), &back) != nil || len(back.Queries) != len(rows) {
		t.Fatalf("json: %v\n%s", err, js.String())
	}
}
