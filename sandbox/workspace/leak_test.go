package workspace

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/store"
)

// citizensRules treats every non-public synth citizens column: two hashed identifiers, a mask,
// two generalizations, a text mapping, a drop; gender and district are kept as dimensions.
const synthCitizensRules = `{"columns": {
	"person_id":      {"class": "identifier", "treatment": "hash", "usage": "join_only"},
	"name":           {"class": "identifier", "treatment": "drop"},
	"id_number":      {"class": "identifier", "treatment": "hash"},
	"phone":          {"class": "identifier", "treatment": "mask", "params": {"keep_first": 3, "keep_last": 4}},
	"gender":         {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"},
	"birth_date":     {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"to": "year", "width": 5}},
	"district":       {"class": "quasi_identifier", "treatment": "keep", "usage": "dimension"},
	"income":         {"class": "sensitive", "treatment": "generalize", "usage": "aggregate_only", "params": {"width": 10000, "lo": 0, "hi": 1000000}},
	"diagnosis_code": {"class": "sensitive", "treatment": "generalize", "usage": "dimension", "params": {"map": {"J45": "respiratory", "J44": "respiratory", "E11": "metabolic", "I10": "circulatory"}, "default": "other"}}
}}`

// synthCitizens generates n synthetic citizens as Parquet and loads them into a raw version file
// the way the store does (read_parquet into table data, in a locked instance).
func synthCitizens(tb testing.TB, dir string, n int) string {
	tb.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	pq, _, err := synth.WriteFile(ctx, dir, mem, synth.Citizens, synth.Parquet, synth.Config{Rows: n, Seed: 7})
	if err != nil {
		tb.Fatal(err)
	}
	mem.AssertSize(tb, 0)
	raw := filepath.Join(dir, "citizens-raw.duckdb")
	db, err := duck.Open(ctx, raw, duck.Config{AllowedPaths: []string{pq}})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+store.Table+" AS SELECT * FROM read_parquet("+duck.Quote(pq)+")"); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		tb.Fatal(err)
	}
	if err := os.Remove(pq); err != nil {
		tb.Fatal(err)
	}
	return raw
}

// TestNoRawValueInWorkspace builds a workspace from synthetic citizens and looks for every raw
// value of every identifying column (person ids, names, resident ID numbers, phones, birth dates,
// diagnosis codes) in every cell of the workspace and in the bytes of its file.
func TestNoRawValueInWorkspace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	raw := synthCitizens(t, dir, synth.MinRows)
	out := filepath.Join(dir, "ws.duckdb")
	mustBuild(t, out, Spec{Key: key(t, "leak"), Sources: []Source{source(t, "citizens", raw, synthCitizensRules, "person_id")}})

	// Raw values, by column.
	secret := map[string]bool{}
	var long []string // values long enough to look for as substrings and bytes
	for _, r := range tableRows(t, raw, store.Table) {
		// person_id, name, id_number, phone, gender, birth_date, district, income, diagnosis_code
		for _, i := range []int{0, 1, 2, 3, 5, 8} {
			v := r[i]
			if v == "NULL" || secret[v] {
				continue
			}
			secret[v] = true
			if len(v) >= 6 {
				long = append(long, v)
			}
		}
	}
	if len(secret) < 4*synth.MinRows {
		t.Fatalf("only %d distinct raw values collected", len(secret))
	}

	// Every cell, as text.
	db := openRO(t, out)
	var cells strings.Builder
	nCells := 0
	for _, r := range rowsOf(t, db, "citizens") {
		for _, c := range r {
			if secret[c] {
				t.Errorf("a raw value appears as a workspace cell: %q", c)
			}
			cells.WriteString(c)
			cells.WriteByte('\n')
			nCells++
		}
	}
	db.Close()
	if nCells != 8*synth.MinRows { // 9 columns, name dropped
		t.Fatalf("scanned %d cells, want %d", nCells, 8*synth.MinRows)
	}
	all := cells.String()
	file, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range long {
		if strings.Contains(all, v) {
			t.Errorf("a raw value appears inside a workspace cell: %q", v)
		}
		if bytes.Contains(file, []byte(v)) {
			t.Errorf("a raw value appears in the workspace file's bytes: %q", v)
		}
	}

	// Control: the same byte scan finds raw values in the raw file, and kept values (district
	// names) in the workspace file, so a clean result above is not the scanner's blindness.
	rawBytes, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, v := range long {
		if bytes.Contains(rawBytes, []byte(v)) {
			found++
		}
	}
	t.Logf("%d distinct raw values; %d long ones, %d of them found in the raw file, none in the workspace", len(secret), len(long), found)
	if found < len(long)/2 {
		t.Errorf("control: only %d of %d raw values found in the raw file's bytes", found, len(long))
	}
	if !bytes.Contains(file, []byte("端州区")) {
		t.Error("control: a kept district name is not in the workspace file's bytes")
	}
}
