package ndjson

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/sandbox/duck"
)

// MaxLineSize is the longest line accepted, in bytes.
const MaxLineSize = 16 << 20

// Loader loads newline-delimited JSON files. The zero value is ready to use.
type Loader struct {
	// SampleSize is how many lines DuckDB reads to infer columns and types when no schema is
	// expected; 0 keeps DuckDB's default (20,480).
	SampleSize int
}

var _ connectors.Loader = (*Loader)(nil)

const format = connectors.NDJSON

// Load creates table from the NDJSON file at path. See connectors.Loader.
func (l *Loader) Load(ctx context.Context, conn *sql.Conn, path, table string, want []connectors.Column) (err error) {
	if l.SampleSize < 0 {
		return fmt.Errorf("ndjson: sample size must be ≥ 0, got %d", l.SampleSize)
	}
	if want != nil {
		if err := connectors.CheckWant(want); err != nil {
			return fmt.Errorf("ndjson: %w", err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("ndjson: %w", err)
	}
	if st.Size() == 0 {
		return &connectors.InputError{Format: format, Kind: connectors.KindEmpty, Detail: "the file is empty"}
	}
	opts := ", format='newline_delimited', records=true, hive_partitioning=false, maximum_object_size=" + strconv.Itoa(MaxLineSize)
	if l.SampleSize > 0 {
		opts += ", sample_size=" + strconv.Itoa(l.SampleSize)
	}
	sniffed := "read_json(" + duck.Quote(path) + opts + ")"
	inferred, err := connectors.Describe(ctx, conn, "DESCRIBE SELECT * FROM "+sniffed)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return diagnose(ctx, conn, path, nil, err)
	}
	// DuckDB renames clashing keys ("a" and "A" become a and A_1) and empty ones, so the raw
	// keys of the sample are checked too.
	keys, err := sampleKeys(path, l.sample())
	if err != nil {
		return fmt.Errorf("ndjson: %w", err)
	}
	if keys != nil {
		if err := connectors.CheckColumnNames(format, keys); err != nil {
			return err
		}
	}
	names := make([]string, len(inferred))
	for i, c := range inferred {
		names[i] = c.Name
	}
	if err := connectors.CheckColumnNames(format, names); err != nil {
		return err
	}
	src, cols := sniffed, inferred
	if want != nil {
		if err := connectors.CheckSchema(format, names, want); err != nil {
			return err
		}
		parts := make([]string, len(want))
		for i, c := range want {
			parts[i] = duck.Quote(c.Name) + ": " + duck.Quote(c.Type)
		}
		src = "read_json(" + duck.Quote(path) + opts + ", auto_detect=false, columns={" + strings.Join(parts, ", ") + "})"
		cols = want
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+duck.Ident(table))
		}
	}()
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+duck.Ident(table)+" AS SELECT * FROM "+src); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return diagnose(ctx, conn, path, cols, err)
	}
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+duck.Ident(table)).Scan(&n); err != nil {
		return fmt.Errorf("ndjson: count rows: %w", err)
	}
	if n == 0 {
		return &connectors.InputError{Format: format, Kind: connectors.KindEmpty, Detail: "the file has no records"}
	}
	return nil
}

// engineLine extracts only the line number from a DuckDB JSON transform error.
var engineLine = regexp.MustCompile(`JSON transform error in file .*?, in line ([0-9]+):`)

// diagnose turns a failed read into an *InputError without using the engine's message text.
func diagnose(ctx context.Context, conn *sql.Conn, path string, cols []connectors.Column, engineErr error) error {
	if e, err := scan(path); err != nil {
		return fmt.Errorf("ndjson: %w", err)
	} else if e != nil {
		return e
	}
	if cols == nil {
		// Well-formed objects, yet the sample could not be read.
		return &connectors.InputError{Format: format, Kind: connectors.KindMalformed, Detail: "the records could not be read as a table"}
	}
	e := &connectors.InputError{Format: format, Kind: connectors.KindType, Detail: "a value does not convert to its column's type"}
	// The engine's line number is only a hint (it is sometimes a record count or the start of a
	// block), so search forward from just before it, then from the start.
	start := int64(1)
	if m := engineLine.FindStringSubmatch(engineErr.Error()); m != nil {
		if n, err := strconv.ParseInt(m[1], 10, 64); err == nil && n > 2 {
			start = n - 1
		}
	}
	for _, from := range []int64{start, 1} {
		line, col, err := firstBadValue(ctx, conn, path, from, cols)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return e
		}
		if line > 0 {
			e.Line, e.Column, e.Detail = line, col.Name, "value does not convert to "+col.Type
			return e
		}
		if from == 1 {
			break
		}
	}
	return e
}

// firstBadValue tests lines from line `from` on, in batches, for a value that is present but does
// not convert to its column's type. Lines travel as a bound parameter and TRY_CAST never raises,
// so no value can reach an error message.
func firstBadValue(ctx context.Context, conn *sql.Conn, path string, from int64, cols []connectors.Column) (int64, connectors.Column, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, connectors.Column{}, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var conds []string
	for i, c := range cols {
		p := duck.Quote("$." + strconv.Quote(c.Name))
		conds = append(conds, fmt.Sprintf("WHEN coalesce(json_type(j, %s) <> 'NULL', false) AND TRY_CAST(j -> %s AS %s) IS NULL THEN %d", p, p, c.Type, i+1))
	}
	q := "SELECT idx, col FROM (SELECT idx, CASE " + strings.Join(conds, " ") + " ELSE 0 END AS col FROM (SELECT unnest(l)::JSON AS j, generate_subscripts(l, 1) AS idx FROM (SELECT string_split(?, chr(10)) AS l))) WHERE col > 0 ORDER BY idx LIMIT 1"
	var (
		batch   []string
		lineNos []int64
		size    int
	)
	flush := func() (int64, connectors.Column, error) {
		defer func() { batch, lineNos, size = batch[:0], lineNos[:0], 0 }()
		if len(batch) == 0 {
			return 0, connectors.Column{}, nil
		}
		var idx, col int64
		err := conn.QueryRowContext(ctx, q, strings.Join(batch, "\n")).Scan(&idx, &col)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, connectors.Column{}, nil
		}
		if err != nil || idx < 1 || int(idx) > len(lineNos) || col < 1 || int(col) > len(cols) {
			return 0, connectors.Column{}, fmt.Errorf("search for the failing value failed")
		}
		return lineNos[idx-1], cols[col-1], nil
	}
	for line := int64(1); ; line++ {
		text, err := readLine(r)
		if err != nil && (err != io.EOF || text == nil) {
			if err == io.EOF {
				break
			}
			return 0, connectors.Column{}, err
		}
		t := bytes.TrimSpace(text)
		if line < from || len(t) == 0 {
			continue
		}
		batch = append(batch, string(t))
		lineNos = append(lineNos, line)
		if size += len(t); size > 8<<20 || len(batch) >= 8192 {
			if n, c, err := flush(); err != nil || n > 0 {
				return n, c, err
			}
		}
	}
	return flush()
}

func (l *Loader) sample() int {
	if l.SampleSize > 0 {
		return l.SampleSize
	}
	return 20480
}

// sampleKeys returns the keys of the first n records in order of first appearance, or nil if a
// record in the sample is not a well-formed object (the read reports that). A key repeated
// within one object is returned twice, so CheckColumnNames refuses it.
func sampleKeys(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var keys []string
	seen := map[string]bool{}
	for records := 0; records < n; {
		text, err := readLine(r)
		if err == errLong {
			return nil, nil
		}
		if err != nil && (err != io.EOF || text == nil) {
			if err == io.EOF {
				break
			}
			return nil, err
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		records++
		d := json.NewDecoder(bytes.NewReader(text))
		if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
			return nil, nil
		}
		inObject := map[string]bool{}
		for d.More() {
			tok, err := d.Token()
			if err != nil {
				return nil, nil
			}
			k, _ := tok.(string)
			if inObject[k] {
				return append(keys, k), nil
			}
			inObject[k] = true
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return nil, nil
			}
		}
	}
	return keys, nil
}

// scan finds the first line that is not UTF-8, not JSON, or not an object. Blank lines are
// skipped, as read_json skips them.
func scan(path string) (*connectors.InputError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var records int64
	for line := int64(1); ; line++ {
		text, err := readLine(r)
		if err == io.EOF && text == nil {
			break
		}
		if err != nil && err != io.EOF {
			if err == errLong {
				return &connectors.InputError{Format: format, Kind: connectors.KindMalformed, Line: line,
					Detail: fmt.Sprintf("line is longer than %d bytes", MaxLineSize)}, nil
			}
			return nil, err
		}
		t := bytes.TrimSpace(text)
		if len(t) == 0 {
			continue
		}
		records++
		bad := func(k connectors.Kind, d string) (*connectors.InputError, error) {
			return &connectors.InputError{Format: format, Kind: k, Line: line, Detail: d}, nil
		}
		switch {
		case !utf8.Valid(t):
			return bad(connectors.KindEncoding, "line is not valid UTF-8")
		case !json.Valid(t):
			return bad(connectors.KindMalformed, "line is not valid JSON")
		case t[0] != '{':
			return bad(connectors.KindMalformed, "line is not a JSON object")
		}
	}
	if records == 0 {
		return &connectors.InputError{Format: format, Kind: connectors.KindEmpty, Detail: "the file has no records"}, nil
	}
	return nil, nil
}

var errLong = fmt.Errorf("line too long")

// readLine returns the next line without its terminator, at most MaxLineSize bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > MaxLineSize+1 {
			return nil, errLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(buf) == 0 {
			return nil, io.EOF
		}
		return bytes.TrimRight(buf, "\r\n"), err
	}
}
