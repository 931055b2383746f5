package workspace

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/inviso/inviso/sandbox/duck"
)

func TestZZProbe(t *testing.T) {
	dir := t.TempDir()
	raw := synthCitizens(t, dir, 2000000)
	ctx := context.Background()
	src := source(t, "citizens", raw, benchRules, "person_id")
	out := filepath.Join(dir, "ws.duckdb")
	t0 := time.Now()
	mustBuild(t, out, Spec{Key: key(t, "x"), Sources: []Source{src}, DuckDB: duck.Config{Threads: 2}})
	t.Logf("build %v", time.Since(t0))
	db, err := duck.Open(ctx, out, duck.Config{})
	if err != nil { t.Fatal(err) }
	defer db.Close()
	for _, s := range []string{
		"SELECT count(*) FROM citizens",
		"SELECT max(n) FROM (SELECT count(*) n FROM citizens GROUP BY person_id)",
		"SELECT count(*), sum(h), bit_xor(h) FROM (SELECT hash(person_id, id_number, phone, birth_date, income) h FROM citizens)",
		"SELECT max(n), sum(n), sum(hs), bit_xor(hx) FROM (SELECT count(*) n, sum(hash(person_id, id_number, phone, birth_date, income)) hs, bit_xor(hash(person_id, id_number, phone, birth_date, income)) hx FROM citizens GROUP BY person_id)",
		"SELECT max(n), sum(n), sum(hs), bit_xor(hx) FROM (SELECT count(*) n, sum(h) hs, bit_xor(h) hx FROM (SELECT person_id, hash(person_id, id_number, phone, birth_date, income) h FROM citizens) GROUP BY person_id)",
		"SELECT count(*) - count(DISTINCT person_id) FROM citizens",
	} {
		for range 2 {
			ts := time.Now()
			rs, err := db.QueryContext(ctx, s)
			if err != nil { t.Fatal(err) }
			for rs.Next() {}
			rs.Close()
			t.Logf("%.90s: %v", s, time.Since(ts))
		}
	}
}
