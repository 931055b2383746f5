package synth

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "github.com/duckdb/duckdb-go/v2"
)

// writeAll writes both tables in format f into a fresh directory.
func writeAll(t *testing.T, f Format, cfg Config) (dir string, rows map[Table]int64) {
	t.Helper()
	dir = t.TempDir()
	rows = map[Table]int64{}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tb := range Tables() {
		path, n, err := WriteFile(context.Background(), dir, mem, tb, f, cfg)
		if err != nil {
			t.Fatalf("WriteFile(%s, %s): %v", tb, f, err)
		}
		if want := filepath.Join(dir, FileName(tb, f)); path != want {
			t.Fatalf("WriteFile path = %q, want %q", path, want)
		}
		rows[tb] = n
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("directory holds %d entries, want the 2 tables (no temporary files)", len(entries))
	}
	return dir, rows
}

func openDuckDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// describe returns "name TYPE" for each column of a query.
func describe(t *testing.T, db *sql.DB, from string) []string {
	t.Helper()
	rows, err := db.Query("DESCRIBE SELECT * FROM " + from)
	if err != nil {
		t.Fatalf("describe %s: %v", from, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v %v", vals[0], vals[1]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

const (
	citizensSQLTypes = "person_id VARCHAR, name VARCHAR, id_number VARCHAR, phone VARCHAR, gender VARCHAR, birth_date DATE, district VARCHAR, income BIGINT, diagnosis_code VARCHAR"
	benefitsSQLTypes = "person_id VARCHAR, program VARCHAR, amount DECIMAL(12,2), paid_on DATE"
)

// TestDuckDBReadsFiles reads every written file back with DuckDB and checks
// types, row counts, NULLs and the link between the tables.
func TestDuckDBReadsFiles(t *testing.T) {
	t.Parallel()
	cfg := Config{Rows: 20_000, Seed: 9}
	tests := map[Format]struct {
		// read returns the FROM clause reading a table.
		read func(path string, table Table) string
		// types are the column types DuckDB reports for the citizens and
		// benefits tables read with read.
		citizens, benefits string
	}{
		CSV: {
			// CSV carries no types: the importer states them, and DuckDB must
			// parse every field under them (store_rejects off: any bad field
			// fails the query).
			read: func(path string, table Table) string {
				types := citizensSQLTypes
				if table == Benefits {
					types = benefitsSQLTypes
				}
				var cols []string
				for _, c := range strings.Split(types, ", ") {
					name, typ, _ := strings.Cut(c, " ")
					cols = append(cols, fmt.Sprintf("'%s': '%s'", name, typ))
				}
				return fmt.Sprintf("read_csv('%s', header = true, columns = {%s})", path, strings.Join(cols, ", "))
			},
			citizens: citizensSQLTypes, benefits: benefitsSQLTypes,
		},
		Parquet: {
			read:     func(path string, _ Table) string { return fmt.Sprintf("read_parquet('%s')", path) },
			citizens: citizensSQLTypes, benefits: benefitsSQLTypes,
		},
		NDJSON: {
			// JSON numbers have no scale; DuckDB infers DOUBLE for amounts.
			read: func(path string, _ Table) string {
				return fmt.Sprintf("read_json('%s', format = 'newline_delimited')", path)
			},
			citizens: citizensSQLTypes, benefits: "person_id VARCHAR, program VARCHAR, amount DOUBLE, paid_on DATE",
		},
	}
	for f, tc := range tests {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			dir, rows := writeAll(t, f, cfg)
			db := openDuckDB(t)
			cit := tc.read(filepath.Join(dir, FileName(Citizens, f)), Citizens)
			ben := tc.read(filepath.Join(dir, FileName(Benefits, f)), Benefits)
			if got := strings.Join(describe(t, db, cit), ", "); got != tc.citizens {
				t.Errorf("citizens types:\n got %s\nwant %s", got, tc.citizens)
			}
			if got := strings.Join(describe(t, db, ben), ", "); got != tc.benefits {
				t.Errorf("benefits types:\n got %s\nwant %s", got, tc.benefits)
			}

			var n, distinct, nullIncome, nullDiag, badBirth int64
			q := fmt.Sprintf(`SELECT count(*), count(DISTINCT person_id),
				count(*) FILTER (income IS NULL), count(*) FILTER (diagnosis_code IS NULL),
				count(*) FILTER (strftime(birth_date, '%%Y%%m%%d') <> substr(id_number, 7, 8))
				FROM %s`, cit)
			if err := db.QueryRow(q).Scan(&n, &distinct, &nullIncome, &nullDiag, &badBirth); err != nil {
				t.Fatalf("query citizens: %v", err)
			}
			if n != int64(cfg.Rows) || n != rows[Citizens] || distinct != n {
				t.Errorf("citizens: %d rows, %d distinct person_id; want %d", n, distinct, cfg.Rows)
			}
			if nullIncome == 0 || nullIncome > n/20 || nullDiag < n/2 || nullDiag > n*7/10 {
				t.Errorf("NULLs: %d income, %d diagnosis_code of %d", nullIncome, nullDiag, n)
			}
			if badBirth != 0 {
				t.Errorf("%d id_number values disagree with birth_date", badBirth)
			}

			var bn, orphans int64
			var total float64
			q = fmt.Sprintf(`SELECT count(*), count(*) FILTER (c.person_id IS NULL), sum(b.amount)::DOUBLE
				FROM %s b LEFT JOIN %s c USING (person_id)`, ben, cit)
			if err := db.QueryRow(q).Scan(&bn, &orphans, &total); err != nil {
				t.Fatalf("query benefits: %v", err)
			}
			if bn != rows[Benefits] || orphans != 0 || total <= 0 {
				t.Errorf("benefits: %d rows (Write said %d), %d orphans, total %.2f", bn, rows[Benefits], orphans, total)
			}
		})
	}
}

// TestFormatsAgree checks that every format holds the same values: DuckDB
// reads CSV, Parquet and NDJSON, and the Arrow stream is decoded by arrow-go.
func TestFormatsAgree(t *testing.T) {
	t.Parallel()
	cfg := Config{Rows: 3_000, Seed: 21}
	db := openDuckDB(t)
	fingerprint := func(from string) string {
		t.Helper()
		var s string
		q := fmt.Sprintf(`SELECT string_agg(concat_ws('|', person_id, name, id_number, phone, gender,
			birth_date::VARCHAR, district, coalesce(income::VARCHAR, 'NULL'), coalesce(diagnosis_code, 'NULL')), E'\n')
			FROM %s`, from)
		if err := db.QueryRow(q).Scan(&s); err != nil {
			t.Fatalf("fingerprint %s: %v", from, err)
		}
		return s
	}
	csvDir, _ := writeAll(t, CSV, cfg)
	pqDir, _ := writeAll(t, Parquet, cfg)
	jsDir, _ := writeAll(t, NDJSON, cfg)
	want := fingerprint(fmt.Sprintf("read_csv('%s', all_varchar = true)", filepath.Join(csvDir, "citizens.csv")))
	for name, from := range map[string]string{
		"parquet": fmt.Sprintf("read_parquet('%s')", filepath.Join(pqDir, "citizens.parquet")),
		"ndjson":  fmt.Sprintf("read_json('%s', format = 'newline_delimited')", filepath.Join(jsDir, "citizens.ndjson")),
	} {
		if got := fingerprint(from); got != want {
			t.Errorf("%s citizens differ from CSV", name)
		}
	}
	if lines := strings.Count(want, "\n") + 1; lines != cfg.Rows {
		t.Fatalf("fingerprint has %d rows", lines)
	}

	// Arrow IPC stream: decode and rebuild the same fingerprint.
	arDir, rows := writeAll(t, Arrow, cfg)
	for _, tb := range Tables() {
		got := readArrowStream(t, filepath.Join(arDir, FileName(tb, Arrow)), tb)
		if got.rows != rows[tb] {
			t.Errorf("%s stream holds %d rows, WriteFile said %d", tb, got.rows, rows[tb])
		}
		if tb == Citizens && strings.Join(got.lines, "\n") != want {
			t.Errorf("arrow citizens differ from CSV")
		}
	}
}

type streamContents struct {
	rows  int64
	lines []string
}

func readArrowStream(t *testing.T, path string, tb Table) streamContents {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := ipc.NewReader(f, ipc.WithAllocator(mem))
	if err != nil {
		t.Fatalf("ipc.NewReader(%s): %v", path, err)
	}
	defer r.Release()
	want, _ := Schema(tb)
	if !r.Schema().Equal(want) {
		t.Fatalf("stream schema %s, want %s", r.Schema(), want)
	}
	var out streamContents
	for r.Next() {
		rec := r.RecordBatch()
		out.rows += rec.NumRows()
		if tb != Citizens {
			continue
		}
		for i := range int(rec.NumRows()) {
			var fields []string
			for c, col := range rec.Columns() {
				switch {
				case col.IsNull(i):
					fields = append(fields, "NULL")
				case c == 5:
					fields = append(fields, col.(*array.Date32).Value(i).FormattedString())
				default:
					fields = append(fields, col.ValueStr(i))
				}
			}
			out.lines = append(out.lines, strings.Join(fields, "|"))
		}
	}
	if err := r.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out
}
