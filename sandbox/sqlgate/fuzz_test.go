package sqlgate

import (
	"context"
	"errors"
	"testing"

	"github.com/inviso/inviso/sandbox/fault"
)

// FuzzAnalyse: any text is either refused with a coded error or analysed and rewritten, and a
// rewritten query always carries the units column. It must never panic.
func FuzzAnalyse(f *testing.F) {
	for _, s := range []string{
		"SELECT district, count(*) FROM citizens GROUP BY district",
		"SELECT c.district, avg(income) FROM citizens c JOIN benefits b USING (person_id) GROUP BY c.district",
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT max(income) FROM citizens",
		"WITH x AS (SELECT 1) SELECT * FROM x",
		"SELECT district FROM citizens WHERE income > 5 ORDER BY 1 LIMIT 2",
		"SELECT\u00a0district FROM citizens",
	} {
		f.Add(s)
	}
	p := testParser(f)
	f.Fuzz(func(t *testing.T, q string) {
		ctx := context.Background()
		tree, err := p.Parse(ctx, q)
		if err != nil {
			var fe *fault.Error
			if !errors.As(err, &fe) {
				t.Fatalf("uncoded parse error: %v", err)
			}
			return
		}
		a, err := p.Analyse(tree, schema)
		if err != nil {
			var fe *fault.Error
			if !errors.As(err, &fe) {
				t.Fatalf("uncoded analysis error: %v", err)
			}
			return
		}
		if len(a.instances) == 0 {
			return
		}
		rw, err := p.Rewrite(tree, a, schema)
		if err != nil {
			return
		}
		if _, err := p.Deparse(ctx, rw.Tree()); err != nil {
			return // a tree DuckDB cannot print back is never run
		}
	})
}
