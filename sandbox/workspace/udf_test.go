package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/inviso/inviso/sandbox/duck"
)

// The function gives the pseudonym package's answers on many chunks computed in parallel, NULLs
// included.
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
	if err := registerPseudonym(conn, k); err != nil {
		t.Fatal(err)
	}
	if err := selfTest(ctx, conn, k); err != nil {
		t.Fatal(err)
	}
	const n = 50_000
	rs, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT v, `+pseudonymFunc+`(v) FROM (
		SELECT CASE WHEN i %% 7 = 0 THEN NULL ELSE 'value-' || i || repeat('x', (i %% 20)::INTEGER) END AS v FROM range(%d) r(i))`, n))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	h := k.NewHasher()
	rows := 0
	for rs.Next() {
		var v sql.NullString
		var f sql.NullInt64
		if err := rs.Scan(&v, &f); err != nil {
			t.Fatal(err)
		}
		rows++
		if !v.Valid {
			if f.Valid {
				t.Fatalf("NULL in, not NULL out")
			}
			continue
		}
		want := h.String(v.String)
		if f.Int64 != want || !f.Valid {
			t.Fatalf("%q: got %v, want %d", v.String, f, want)
		}
	}
	if rs.Err() != nil || rows != n {
		t.Fatalf("rows %d, %v", rows, rs.Err())
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
