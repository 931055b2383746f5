package sqlgate

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestParseForRemembers: a remembered tree is the tree Parse gives, handed out as a copy (the
// caller may change it in place, as template substitution does), per scope, and refusals are
// not remembered.
func TestParseForRemembers(t *testing.T) {
	ctx := context.Background()
	p, err := NewParser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const q = "SELECT district, count(*) FROM citizens GROUP BY district"
	want, err := p.Parse(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.ParseFor(ctx, "alice", q)
	if err != nil {
		t.Fatal(err)
	}
	first.root["select_list"] = nil // a caller changing its copy
	second, err := p.ParseFor(ctx, "alice", q)
	if err != nil {
		t.Fatal(err)
	}
	if p.parsed.len() != 1 {
		t.Fatalf("%d trees remembered, want 1", p.parsed.len())
	}
	a, _ := appendJSON(nil, second.raw)
	b, _ := appendJSON(nil, want.raw)
	if string(a) != string(b) {
		t.Fatalf("remembered tree differs from a fresh parse:\n%s\n%s", a, b)
	}
	if _, err := p.ParseFor(ctx, "bob", q); err != nil {
		t.Fatal(err)
	}
	if p.parsed.len() != 2 {
		t.Fatalf("another scope shares alice's entry: %d entries, want 2", p.parsed.len())
	}
	for range 2 {
		if _, err := p.ParseFor(ctx, "alice", "SELECT FROM WHERE"); err == nil {
			t.Fatal("a syntax error parsed")
		}
	}
	if p.parsed.len() != 2 {
		t.Fatalf("a refused text was remembered: %d entries", p.parsed.len())
	}
}

// TestDeparseForMatchesDeparse: the remembered SQL is what Deparse gives, for the original and
// for a rewritten tree.
func TestDeparseForMatchesDeparse(t *testing.T) {
	ctx := context.Background()
	p := testParser(t)
	for _, q := range []string{
		"SELECT district, count(*) FROM citizens GROUP BY district",
		"SELECT gender, avg(income) FROM citizens WHERE birth_date >= 1980 GROUP BY gender",
	} {
		tree, err := p.Parse(ctx, q)
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
		for _, tr := range []*Tree{tree, rw.Tree()} {
			want, err := p.Deparse(ctx, tr)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // a miss, then a hit
				got, err := p.DeparseFor(ctx, "test-deparse", tr)
				if err != nil || got != want {
					t.Fatalf("DeparseFor = %q, %v; Deparse = %q", got, err, want)
				}
			}
		}
	}
}

// TestMemoBounded: the memo never holds more than its entry and byte limits, and refuses an
// entry too large to share the memo.
func TestMemoBounded(t *testing.T) {
	m := newMemo[string]()
	for i := range memoEntries + 100 {
		m.put(fmt.Sprintf("key-%d", i), "v", 1)
	}
	if n := m.len(); n != memoEntries {
		t.Fatalf("%d entries, limit %d", n, memoEntries)
	}
	big := strings.Repeat("x", memoBytes/32)
	for i := range 64 {
		m.put(fmt.Sprintf("big-%d", i), big, len(big))
	}
	if m.bytes > memoBytes {
		t.Fatalf("%d bytes held, limit %d", m.bytes, memoBytes)
	}
	if _, ok := m.get("big-63"); !ok {
		t.Fatal("the newest entry was evicted")
	}
	m.put("huge", strings.Repeat("y", memoBytes/8), memoBytes/8)
	if _, ok := m.get("huge"); ok {
		t.Fatal("an entry of an eighth of the memo was kept")
	}
	m.put("big-63", "small", 5) // replacing an entry gives its bytes back
	total := 0
	for _, e := range m.m {
		total += e.size
	}
	if total != m.bytes {
		t.Fatalf("byte count %d, entries hold %d", m.bytes, total)
	}
}
