package csv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/sandbox/duck"
)

// MaxLineSize is the longest line accepted, in bytes (DuckDB's default max_line_size).
const MaxLineSize = 2 << 20

// Loader loads CSV files. The zero value is ready to use.
type Loader struct {
	// SampleSize is how many rows DuckDB's sniffer reads to infer column types when no schema is
	// expected; 0 keeps DuckDB's default (20,480). It is not used when a schema is expected.
	SampleSize int
}

var _ connectors.Loader = (*Loader)(nil)

const format = connectors.CSV

// Load creates table from the CSV file at path. See connectors.Loader.
func (l *Loader) Load(ctx context.Context, conn *sql.Conn, path, table string, want []connectors.Column) (err error) {
	if l.SampleSize < 0 {
		return fmt.Errorf("csv: sample size must be ≥ 0, got %d", l.SampleSize)
	}
	if want != nil {
		if err := connectors.CheckWant(want); err != nil {
			return fmt.Errorf("csv: %w", err)
		}
	}
	names, err := readHeader(path)
	if err != nil {
		return err
	}
	if err := connectors.CheckColumnNames(format, names); err != nil {
		return err
	}
	if want != nil {
		if err := connectors.CheckSchema(format, names, want); err != nil {
			return err
		}
	}
	defer func() {
		if err != nil {
			dropTable(ctx, conn, table)
		}
	}()
	q := "CREATE TABLE " + duck.Ident(table) + " AS SELECT * FROM " + l.readCSV(path, want, "")
	if _, err := conn.ExecContext(ctx, q); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return l.diagnose(ctx, conn, path, names, want)
	}
	got, rows, err := describe(ctx, conn, table)
	if err != nil {
		return fmt.Errorf("csv: check imported table: %w", err)
	}
	if !sameNames(got, names) {
		return &connectors.InputError{Format: format, Kind: connectors.KindMalformed,
			Detail: fmt.Sprintf("the header has %d columns but the data was read as %d", len(names), len(got))}
	}
	if rows == 0 {
		return &connectors.InputError{Format: format, Kind: connectors.KindEmpty, Detail: "the file has a header but no data rows"}
	}
	return nil
}

// readCSV renders the read_csv call: with cols, no sniffing and exactly those columns; without,
// types are sniffed. rejects, if set, names the rejects tables to fill instead of failing.
func (l *Loader) readCSV(path string, cols []connectors.Column, rejects string) string {
	var b strings.Builder
	b.WriteString("read_csv(" + duck.Quote(path) + ", hive_partitioning=false") // a directory named k=v is not a column
	b.WriteString(`, header=true, delim=',', quote='"', escape='"', comment='', skip=0, encoding='utf-8'`)
	b.WriteString(", strict_mode=true, null_padding=false, max_line_size=" + strconv.Itoa(MaxLineSize))
	if cols != nil {
		b.WriteString(", auto_detect=false, columns={")
		for i, c := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(duck.Quote(c.Name) + ": " + duck.Quote(c.Type))
		}
		b.WriteString("}")
	} else if l.SampleSize > 0 {
		b.WriteString(", sample_size=" + strconv.Itoa(l.SampleSize))
	}
	if rejects != "" {
		b.WriteString(", store_rejects=true, rejects_table=" + duck.Quote(rejects+"_errors") +
			", rejects_scan=" + duck.Quote(rejects+"_scans") + ", rejects_limit=0")
	} else {
		b.WriteString(", ignore_errors=false")
	}
	b.WriteString(")")
	return b.String()
}

// diagnose reads the file again, recording rejects instead of failing, and turns the earliest
// reject into an *InputError. It runs only after the fast path failed.
func (l *Loader) diagnose(ctx context.Context, conn *sql.Conn, path string, names []string, want []connectors.Column) error {
	var buf [8]byte
	_, _ = rand.Read(buf[:])
	rej := "inviso_rejects_" + hex.EncodeToString(buf[:])
	scratch := rej + "_data"
	defer func() {
		c := context.WithoutCancel(ctx)
		for _, t := range []string{scratch, rej + "_errors", rej + "_scans"} {
			_, _ = conn.ExecContext(c, "DROP TABLE IF EXISTS temp."+duck.Ident(t))
		}
	}()
	// Pass 1, structure: quoting, field counts, encoding, line length.
	varchars := make([]connectors.Column, len(names))
	for i, n := range names {
		varchars[i] = connectors.Column{Name: n, Type: "VARCHAR"}
	}
	// Pass 2, values: the wanted or sniffed types.
	passes := []string{l.readCSV(path, varchars, rej), l.readCSV(path, want, rej)}
	for _, src := range passes {
		_, _ = conn.ExecContext(ctx, "DROP TABLE IF EXISTS temp."+duck.Ident(scratch))
		if _, err := conn.ExecContext(ctx, "CREATE TEMP TABLE "+duck.Ident(scratch)+" AS SELECT * FROM "+src); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue // e.g. the sniffer gave up; the other pass may still tell.
		}
		var (
			line      sql.NullInt64
			colIdx    sql.NullInt64
			colName   sql.NullString
			errorType string
		)
		err := conn.QueryRowContext(ctx, "SELECT line, column_idx, column_name, error_type::VARCHAR FROM temp."+
			duck.Ident(rej+"_errors")+" ORDER BY line, byte_position LIMIT 1").Scan(&line, &colIdx, &colName, &errorType)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		e := &connectors.InputError{Format: format, Line: line.Int64}
		// column_name comes from the header, which is schema, not data; prefer it, as
		// column_idx is 0-based for MISSING COLUMNS and 1-based otherwise.
		if colName.Valid && slices.Contains(names, colName.String) {
			e.Column = colName.String
		} else if colIdx.Valid && colIdx.Int64 >= 1 && int(colIdx.Int64) <= len(names) {
			e.Column = names[colIdx.Int64-1]
		}
		switch errorType {
		case "CAST":
			e.Kind = connectors.KindType
			typ := columnType(ctx, conn, scratch, e.Column)
			if want != nil {
				for _, c := range want {
					if c.Name == e.Column {
						typ = c.Type
					}
				}
			}
			if typ != "" {
				e.Detail = "value does not convert to " + typ
			} else {
				e.Detail = "value does not convert to the column's type"
			}
			if want == nil {
				e.Detail += " (type inferred from the first rows)"
			}
		case "MISSING COLUMNS":
			e.Kind = connectors.KindColumnCount
			e.Detail = fmt.Sprintf("line has fewer fields than the header's %d", len(names))
		case "TOO MANY COLUMNS":
			e.Kind = connectors.KindColumnCount
			e.Column = ""
			e.Detail = fmt.Sprintf("line has more fields than the header's %d", len(names))
		case "UNQUOTED VALUE":
			e.Kind = connectors.KindMalformed
			e.Detail = `a quoted field is not closed, or its closing quote is followed by other characters`
		case "LINE SIZE OVER MAXIMUM":
			e.Kind = connectors.KindMalformed
			e.Column = ""
			e.Detail = fmt.Sprintf("line is longer than %d bytes", MaxLineSize)
		case "INVALID ENCODING":
			e.Kind = connectors.KindEncoding
			e.Detail = "field is not valid UTF-8"
		default:
			e.Kind = connectors.KindMalformed
			e.Detail = "the CSV parser could not read this line"
		}
		return e
	}
	return &connectors.InputError{Format: format, Kind: connectors.KindMalformed,
		Detail: "the file could not be read as CSV (comma-delimited, double-quoted, UTF-8, with a header)"}
}

// columnType returns the DuckDB type of column in temp table t, or "" if unknown.
func columnType(ctx context.Context, conn *sql.Conn, t, column string) string {
	var typ string
	err := conn.QueryRowContext(ctx, "SELECT data_type FROM duckdb_columns() WHERE database_name = 'temp' AND table_name = ? AND column_name = ?",
		t, column).Scan(&typ)
	if err != nil {
		return ""
	}
	return typ
}

// describe returns the column names of table (in order) and its row count.
func describe(ctx context.Context, conn *sql.Conn, table string) ([]string, int64, error) {
	rows, err := conn.QueryContext(ctx, "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = current_schema() AND table_name = ? ORDER BY column_index", table)
	if err != nil {
		return nil, 0, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, 0, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+duck.Ident(table)).Scan(&n); err != nil {
		return nil, 0, err
	}
	return names, n, nil
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// dropTable removes table even if ctx was cancelled: all or nothing.
func dropTable(ctx context.Context, conn *sql.Conn, table string) {
	_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+duck.Ident(table))
}

// readHeader reads and splits the first record of the file the way read_csv does with this
// package's dialect. It reads at most MaxLineSize bytes.
func readHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(io.LimitReader(f, MaxLineSize+1), 64<<10)
	if bom, _ := r.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = r.Discard(3)
	}
	if _, err := r.Peek(1); err == io.EOF {
		return nil, &connectors.InputError{Format: format, Kind: connectors.KindEmpty, Detail: "the file is empty"}
	}
	hdrErr := func(k connectors.Kind, d string) error {
		return &connectors.InputError{Format: format, Kind: k, Line: 1, Detail: d}
	}
	var (
		names  []string
		field  []byte
		n      int
		quoted bool // inside a quoted field
		closed bool // a quoted field was closed; only a delimiter or line end may follow
	)
	for {
		c, err := r.ReadByte()
		if err == io.EOF {
			if quoted {
				return nil, hdrErr(connectors.KindMalformed, "the header has an unterminated quoted field")
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv: read header: %w", err)
		}
		if n++; n > MaxLineSize {
			return nil, hdrErr(connectors.KindMalformed, fmt.Sprintf("the header line is longer than %d bytes", MaxLineSize))
		}
		if quoted {
			if c == '"' {
				if next, _ := r.Peek(1); len(next) == 1 && next[0] == '"' {
					_, _ = r.ReadByte()
					n++
					field = append(field, '"')
					continue
				}
				quoted, closed = false, true
				continue
			}
			field = append(field, c)
			continue
		}
		switch {
		case c == ',':
			names = append(names, string(field))
			field, closed = field[:0], false
			continue
		case c == '\n' || c == '\r':
			goto done
		case closed:
			return nil, hdrErr(connectors.KindMalformed, "a quoted header field is followed by other characters")
		case c == '"' && len(field) == 0:
			quoted = true
		default:
			field = append(field, c)
		}
	}
done:
	names = append(names, string(field))
	for _, n := range names {
		if !utf8.ValidString(n) {
			return nil, hdrErr(connectors.KindEncoding, "the header is not valid UTF-8")
		}
	}
	return names, nil
}
