package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/inviso/inviso/sandbox/duck"
)

// Both ways of writing results give the pseudonym package's answers on many chunks computed in
// parallel, NULLs included, and the fast way is the one in use with this driver version.
func TestPseudonymFunction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := duck.Open(ctx, "", duck.Config{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	k := key(t, "udf")
	fast, err := newPseudonymUDF(k)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := newPseudonymUDF(k)
	if err != nil {
		t.Fatal(err)
	}
	slow.slowOnly = true
	if err := duckdb.RegisterScalarUDF(conn, "p_fast", fast); err != nil {
		t.Fatal(err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "p_slow", slow); err != nil {
		t.Fatal(err)
	}
	if err := registerPseudonym(conn, k); err != nil {
		t.Fatal(err)
	}
	if err := selfTest(ctx, conn, k); err != nil {
		t.Fatal(err)
	}
	const n = 50_000
	rs, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT v, p_fast(v), p_slow(v) FROM (
		SELECT CASE WHEN i %% 7 = 0 THEN NULL ELSE 'value-' || i || repeat('x', (i %% 20)::INTEGER) END AS v FROM range(%d) r(i))`, n))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	h := k.NewHasher()
	rows := 0
	for rs.Next() {
		var v sql.NullString
		var f, s sql.NullInt64
		if err := rs.Scan(&v, &f, &s); err != nil {
			t.Fatal(err)
		}
		rows++
		if !v.Valid {
			if f.Valid || s.Valid {
				t.Fatalf("NULL in, not NULL out")
			}
			continue
		}
		want := h.String(v.String)
		if f.Int64 != want || s.Int64 != want || !f.Valid || !s.Valid {
			t.Fatalf("%q: fast %v, slow %v, want %d", v.String, f, s, want)
		}
	}
	if rs.Err() != nil || rows != n {
		t.Fatalf("rows %d, %v", rows, rs.Err())
	}
	if fast.fastChunks.Load() < n/2048 {
		t.Errorf("the fast path ran on %d chunks: the driver's vector layout changed", fast.fastChunks.Load())
	}
	if slow.fastChunks.Load() != 0 {
		t.Error("the slow function took the fast path")
	}
}

// The self-test refuses a function that does not compute this key's pseudonyms.
func TestSelfTestFailsClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := duck.Open(ctx, "", duck.Config{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := registerPseudonym(conn, key(t, "other")); err != nil {
		t.Fatal(err)
	}
	if err := selfTest(ctx, conn, key(t, "this")); !errors.Is(err, ErrVerify) {
		t.Fatalf("selfTest = %v, want ErrVerify", err)
	}
}
