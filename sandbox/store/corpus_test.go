package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/sandbox/fault"
)

// TestImportCorpus imports every file of testdata/import: good files become versions, bad files
// are refused with the kind (and line) their name gives, without echoing what is on that line.
func TestImportCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../testdata/import/*.*")
	if err != nil {
		t.Fatal(err)
	}
	formats := map[string]connectors.Format{".csv": connectors.CSV, ".parquet": connectors.Parquet, ".ndjson": connectors.NDJSON, ".arrow": connectors.ArrowIPC}
	n := 0
	for _, path := range files {
		format, ok := formats[filepath.Ext(path)]
		if !ok {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			v, err := f.imp(format, strings.NewReader(string(body)), false)
			if strings.HasPrefix(name, "good") {
				if err != nil || v.Rows == 0 {
					t.Fatalf("good file refused: %v", err)
				}
				return
			}
			var ie *connectors.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want an input error, got %v", err)
			}
			if !strings.HasPrefix(name, string(ie.Kind)) {
				t.Fatalf("kind %s, want the prefix of %s", ie.Kind, name)
			}
			if i := strings.Index(name, "_line"); i >= 0 {
				if want := "line " + name[i+5:]; !strings.Contains(ie.Error(), want) {
					t.Fatalf("error %q does not name %s", ie.Error(), want)
				}
			}
			msg := fault.Public(err).Message + fmt.Sprint(fault.Public(err).Reasons)
			for _, planted := range []string{"13800138000", "鼎湖区,200", "garbage"} {
				if strings.Contains(msg, planted) {
					t.Fatalf("error echoes %q: %s", planted, msg)
				}
			}
			if staging, files := f.leftovers(t); len(staging)+len(files) != 0 {
				t.Fatalf("refusal left %v %v", staging, files)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d corpus files", n)
	}
}
