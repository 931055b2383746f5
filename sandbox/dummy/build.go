package dummy

import (
	"archive/zip"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/inviso/inviso/sandbox/duck"
)

// build makes the file in a temporary directory, streams it to w and removes the directory.
func build(ctx context.Context, w io.Writer, format Format, p *plan, opt Options) (err error) {
	dir, err := os.MkdirTemp(opt.Dir, "inviso-dummy-*")
	if err != nil {
		return fmt.Errorf("dummy: temporary directory: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("dummy: remove temporary directory: %w", rerr)
		}
	}()
	cfg := opt.DuckDB
	if cfg.TempDirectory == "" {
		cfg.TempDirectory = filepath.Join(dir, "spill")
	}
	switch format {
	case FormatDuckDB:
		return buildDuckDB(ctx, w, dir, cfg, p)
	case FormatParquet:
		return buildParquet(ctx, w, dir, cfg, p)
	}
	return invalid("format %q", clip(string(format)))
}

// buildDuckDB writes every table into one database file, then streams the file.
func buildDuckDB(ctx context.Context, w io.Writer, dir string, cfg duck.Config, p *plan) error {
	path := filepath.Join(dir, "dummy.duckdb")
	db, err := duck.Open(ctx, path, cfg)
	if err != nil {
		return fmt.Errorf("dummy: open build instance: %w", err)
	}
	err = fill(ctx, db, p)
	if err == nil {
		_, err = db.ExecContext(ctx, "CHECKPOINT")
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return stream(w, path)
}

// buildParquet fills an in-memory instance whose only reachable files are the Parquet files,
// copies each table to its file, then streams the file or a zip of them.
func buildParquet(ctx context.Context, w io.Writer, dir string, cfg duck.Config, p *plan) error {
	paths := make([]string, len(p.tables))
	for i := range p.tables {
		paths[i] = filepath.Join(dir, "t"+strconv.Itoa(i)+".parquet") // never a caller's name
	}
	cfg.AllowedPaths = paths
	db, err := duck.Open(ctx, "", cfg)
	if err != nil {
		return fmt.Errorf("dummy: open build instance: %w", err)
	}
	err = fill(ctx, db, p)
	for i, t := range p.tables {
		if err != nil {
			break
		}
		q := "COPY " + duck.Ident(t.name) + " TO " + duck.Quote(paths[i]) + " (FORMAT parquet, COMPRESSION zstd)"
		if _, err = db.ExecContext(ctx, q); err != nil {
			err = fmt.Errorf("dummy: write table %q as Parquet: %w", t.name, err)
		}
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if len(p.tables) == 1 {
		return stream(w, paths[0])
	}
	z := zip.NewWriter(w)
	for i, t := range p.tables {
		// No modification time: the same request gives the same archive.
		f, err := z.CreateHeader(&zip.FileHeader{Name: t.name + ".parquet", Method: zip.Store})
		if err != nil {
			return fmt.Errorf("dummy: zip: %w", err)
		}
		if err := stream(f, paths[i]); err != nil {
			return err
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("dummy: zip: %w", err)
	}
	return nil
}

func stream(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dummy: read built file: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("dummy: write: %w", err)
	}
	return nil
}

// fill creates every table with its exact column types and appends the generated rows. Values
// travel as VARCHAR through the appender (never inside SQL text) and DuckDB casts them to the
// column types; only checked type names and quoted identifiers are spliced into SQL.
func fill(ctx context.Context, db *sql.DB, p *plan) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("dummy: connect: %w", err)
	}
	defer conn.Close()
	for ti := range p.tables {
		t := &p.tables[ti]
		defs := make([]string, len(t.cols))
		casts := make([]string, len(t.cols))
		for i, c := range t.cols {
			defs[i] = duck.Ident(c.name) + " " + c.typ.sql
			casts[i] = "CAST(col" + strconv.Itoa(i+1) + " AS " + c.typ.sql + ")"
		}
		if _, err := conn.ExecContext(ctx, "CREATE TABLE "+duck.Ident(t.name)+" ("+strings.Join(defs, ", ")+")"); err != nil {
			// The engine's message names only the schema we sent, never a value.
			return fmt.Errorf("%w: table %q: DuckDB refused the schema: %v", ErrInvalid, clip(t.name), err)
		}
		insert := "INSERT INTO " + duck.Ident(t.name) + " SELECT " + strings.Join(casts, ", ") + " FROM appended_data"
		if err := conn.Raw(func(dc any) error { return appendRows(ctx, dc, insert, t) }); err != nil {
			return fmt.Errorf("dummy: table %q: %w", clip(t.name), err)
		}
	}
	return nil
}

// appendRows generates t's rows into a query appender that runs insert over each batch.
func appendRows(ctx context.Context, dc any, insert string, t *tablePlan) (err error) {
	c, ok := dc.(driver.Conn)
	if !ok {
		return errors.New("not a DuckDB connection")
	}
	vc, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return err
	}
	types := make([]duckdb.TypeInfo, len(t.cols))
	for i := range types {
		types[i] = vc
	}
	a, err := duckdb.NewQueryAppender(c, insert, "", types, nil)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := a.Close(); err == nil {
			err = cerr
		}
	}()
	row := make([]driver.Value, len(t.cols))
	for n := range t.rows {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for i := range t.cols {
			if v, ok := t.cols[i].value(); ok {
				row[i] = v
			} else {
				row[i] = nil
			}
		}
		if err := a.AppendRow(row...); err != nil {
			return err
		}
	}
	return nil
}
