package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// parseSeeds are documents parseValue must read as ast.ValueFromReader does, besides the
// policy inputs in testdata/input.
var parseSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-1.5e+10`, `18446744073709551615`, `1E400`, `""`,
	`{"a":1,"a":2}`, `{"a":{"b":[1,{"c":null}]},"a":"x"}`,
	`{"s":"\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t","t":"端州区","u":"\ud800"}`,
	" {\n\t\"a\" : [ 1 , 2 ] , \"b\" : { } } ",
	`{"a":1} x`, `{"a":}`, `{"a" 1}`, `[1,]`, `"abc`, `tru`, "\"\xff\"", `{"a":1}{}`,
}

// TestParseValueMatchesOPA: parseValue makes the value OPA's own reader makes of every valid
// document, and refuses every invalid one.
func TestParseValueMatchesOPA(t *testing.T) {
	t.Parallel()
	docs := parseSeeds
	files, _ := filepath.Glob(filepath.Join("testdata", "input", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	for _, d := range docs {
		checkParse(t, []byte(d))
	}
	// A large object with a repeated key is read through the map index.
	big := map[string]int{}
	var buf bytes.Buffer
	buf.WriteString("{")
	for i := range 100 {
		k := string(rune('a' + i%40))
		big[k] = i
		if i > 0 {
			buf.WriteString(",")
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteString(":")
		buf.WriteString(string(rune('0' + i%10)))
	}
	buf.WriteString("}")
	checkParse(t, buf.Bytes())
}

func checkParse(t *testing.T, b []byte) {
	t.Helper()
	got, err := parseValue(b)
	if !json.Valid(b) {
		if err == nil {
			t.Fatalf("%q: parsed as %v, want an error", b, got)
		}
		return
	}
	want, werr := ast.ValueFromReader(bytes.NewReader(b))
	if werr != nil {
		t.Fatalf("%q: OPA cannot read it: %v", b, werr)
	}
	if err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	if ast.Compare(got, want) != 0 || got.Hash() != want.Hash() || got.String() != want.String() {
		t.Fatalf("%q:\n got %v\nwant %v", b, got, want)
	}
}

func FuzzParseValue(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "input", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkParse(t, b)
	})
}
