package workspace

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/inviso/inviso/sandbox/duck"
)

// maskRef is the mask treatment written in Go over code points, the reference for maskExpr.
func maskRef(s string, kf, kl int, mc string) string {
	r := []rune(s)
	if len(r) <= kf+kl {
		return strings.Repeat(mc, len(r))
	}
	return string(r[:kf]) + strings.Repeat(mc, len(r)-kf-kl) + string(r[len(r)-kl:])
}

// FuzzMask checks DuckDB's evaluation of the mask expression against maskRef on any valid UTF-8
// text: characters are code points, never bytes, and nothing beyond keep_first/keep_last survives.
func FuzzMask(f *testing.F) {
	for _, s := range []string{"", "a", "13800138000", "张三丰", "欧阳娜娜", "🇨🇳🇨🇳", "e\u0301tude", "a\x00b", "O'Brien", "\u200b\ufeff"} {
		f.Add(s, uint8(3), uint8(4))
		f.Add(s, uint8(1), uint8(0))
	}
	ctx := context.Background()
	db, err := duck.Open(ctx, "", duck.Config{Threads: 1})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	f.Fuzz(func(t *testing.T, s string, first, last uint8) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		kf, kl := int(first%8), int(last%8)
		for _, mc := range []string{"*", "○"} {
			var got sql.NullString
			q := "SELECT " + maskExpr("s.v", kf, kl, mc) + " FROM (SELECT ?::VARCHAR AS v) s"
			if err := db.QueryRowContext(ctx, q, s).Scan(&got); err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			if want := maskRef(s, kf, kl, mc); !got.Valid || got.String != want {
				t.Fatalf("mask(%q, %d, %d, %q) = %q, want %q", s, kf, kl, mc, got.String, want)
			}
		}
	})
}
