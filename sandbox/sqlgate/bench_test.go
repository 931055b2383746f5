package sqlgate

import (
	"context"
	"testing"
)

// benchSQL is the gate benchmark's query (sandbox.BenchmarkGate uses the same): a join of two
// tables, grouped, with a count and an average.
const benchSQL = "SELECT b.program, count(*) AS n, avg(c.income) FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY b.program"

// BenchmarkGate times each stage of the gate but the policy decision (which the policy
// package's BenchmarkDecide measures): parse, analyse, rewrite, deparse, and all four in a row.
func BenchmarkGate(b *testing.B) {
	ctx := context.Background()
	p := testParser(b)
	tree, err := p.Parse(ctx, benchSQL)
	if err != nil {
		b.Fatal(err)
	}
	a, err := p.Analyse(tree, schema)
	if err != nil {
		b.Fatal(err)
	}
	rw, err := p.Rewrite(tree, a, schema)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.Parse(ctx, benchSQL); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("analyse", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.Analyse(tree, schema); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rewrite", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.Rewrite(tree, a, schema); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("deparse", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.Deparse(ctx, rw.Tree()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			t, err := p.Parse(ctx, benchSQL)
			if err != nil {
				b.Fatal(err)
			}
			a, err := p.Analyse(t, schema)
			if err != nil {
				b.Fatal(err)
			}
			rw, err := p.Rewrite(t, a, schema)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Deparse(ctx, rw.Tree()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
