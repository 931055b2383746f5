package sqlgate

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
)

// TestAppendJSONMatchesMarshal: the tree encoder writes what json.Marshal writes, once both are
// decoded, for parsed trees and for strings that need escaping.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	t.Parallel()
	p := testParser(t)
	values := map[string]any{
		"escapes": map[string]any{"s": "a\"b\\c\n\r\t\x00\x1f\x7f é 端州区 \u2028", "invalid": "a\xffb\xc3", "n": json.Number("-1.5e+10")},
		"scalars": []any{nil, true, false, "", json.Number("18446744073709551615"), map[string]any{}, []any{}},
	}
	for _, q := range []string{
		benchSQL,
		"SELECT district, count(*) FROM citizens WHERE gender = '女' AND birth_date >= 1980 GROUP BY district ORDER BY 1 LIMIT 5",
		`SELECT "dis""trict", count(*) FROM citizens WHERE district = 'it''s \ "q"' GROUP BY 1`,
	} {
		tree, err := p.Parse(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		values[q] = tree.raw
	}
	for name, v := range values {
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(got) {
			t.Fatalf("%s: invalid JSON: %s", name, got)
		}
		if !reflect.DeepEqual(decode(t, got), decode(t, want)) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestAppendJSONRefuses(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{
		"float":          1.5,
		"struct":         struct{}{},
		"nested int":     map[string]any{"a": []any{1}},
		"bad number":     json.Number(`1,"x":2`),
		"empty number":   json.Number(""),
		"typed map":      map[string]string{},
		"typed slice":    []string{},
		"number in list": []any{json.Number("1}")},
	} {
		if b, err := appendJSON(nil, v); err == nil {
			t.Errorf("%s: encoded as %s, want an error", name, b)
		}
	}
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// FuzzAppendString: any string encodes to valid JSON that decodes to what json.Marshal's
// encoding decodes to.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\n\u2028", "a\xffb", "端州区"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		want, _ := json.Marshal(s)
		var g, w string
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, got, err)
		}
		if err := json.Unmarshal(want, &w); err != nil || g != w {
			t.Fatalf("%q: got %q, want %q", s, g, w)
		}
	})
}
