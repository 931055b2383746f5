package csv_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/connectors/csv"
	"github.com/inviso/inviso/sandbox/duck"
)

// FuzzCSVLoad feeds arbitrary bytes to the loader: the result is a table or an *InputError,
// never a panic, another error, or a table or rejects table left behind after an error. One
// instance serves every input of a worker, so each iteration is one small import.
func FuzzCSVLoad(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a\n\"x\"\"y\"\n", "a,b\n1\n", "\xef\xbb\xbfa\n1\n", "a,b\r\n1,\"2\r\n3\"\r\n"} {
		f.Add([]byte(s))
	}
	ctx := context.Background()
	file := filepath.Join(f.TempDir(), "in.csv")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		f.Fatal(err)
	}
	db, err := duck.Open(ctx, "", duck.Config{AllowedPaths: []string{file}, Threads: 1, MemoryLimit: "256MB"})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	want := []connectors.Column{{Name: "a", Type: "BIGINT"}, {Name: "b", Type: "VARCHAR"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var w []connectors.Column
		if len(data)%2 == 1 {
			w = want
		}
		start := time.Now()
		err := (&csv.Loader{}).Load(ctx, conn, file, "t", w)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%d-byte input took %v", len(data), d)
		}
		left := tables(t, conn)
		if err == nil {
			if len(left) != 1 {
				t.Fatalf("after success, tables = %v", left)
			}
			if _, err := conn.ExecContext(ctx, "DROP TABLE t"); err != nil {
				t.Fatal(err)
			}
			return
		}
		var ie *connectors.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("err = %v (%T), want *InputError", err, err)
		}
		if len(left) != 0 {
			t.Fatalf("after %v, tables = %v", err, left)
		}
	})
}
