package parquet

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/sandbox/duck"
)

// Loader loads Parquet files. The zero value is ready to use.
type Loader struct{}

var _ connectors.Loader = (*Loader)(nil)

const format = connectors.Parquet

// Load creates table from the Parquet file at path. See connectors.Loader.
func (l *Loader) Load(ctx context.Context, conn *sql.Conn, path, table string, want []connectors.Column) (err error) {
	if want != nil {
		if err := connectors.CheckWant(want); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	if st.Size() == 0 {
		return &connectors.InputError{Format: format, Kind: connectors.KindEmpty, Detail: "the file is empty"}
	}
	src := "read_parquet(" + duck.Quote(path) + ", hive_partitioning=false)" // a directory named k=v is not a column
	got, err := connectors.Describe(ctx, conn, "DESCRIBE SELECT * FROM "+src)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &connectors.InputError{Format: format, Kind: connectors.KindMalformed,
			Detail: "not a Parquet file, or its footer is damaged (truncated upload?)"}
	}
	// DuckDB renames duplicate names (a, A → a, A_1); the footer's own names are checked.
	raw, err := topLevelNames(ctx, conn, path)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &connectors.InputError{Format: format, Kind: connectors.KindMalformed, Detail: "the file's schema could not be read"}
	}
	if err := connectors.CheckColumnNames(format, raw); err != nil {
		return err
	}
	names := make([]string, len(got))
	for i, c := range got {
		names[i] = c.Name
	}
	if len(raw) != len(names) {
		return &connectors.InputError{Format: format, Kind: connectors.KindMalformed, Detail: "the file's schema could not be read"}
	}
	if want != nil {
		if err := connectors.CheckSchema(format, names, want); err != nil {
			return err
		}
	}
	var casts []connectors.Column // wanted columns whose file type differs
	sel := "*"
	if want != nil {
		parts := make([]string, len(want))
		for i, c := range want {
			id := duck.Ident(c.Name)
			if strings.EqualFold(got[i].Type, c.Type) {
				parts[i] = id
				continue
			}
			casts = append(casts, c)
			parts[i] = "CAST(" + id + " AS " + c.Type + ") AS " + id
		}
		sel = strings.Join(parts, ", ")
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+duck.Ident(table))
		}
	}()
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+duck.Ident(table)+" AS SELECT "+sel+" FROM "+src); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return diagnose(ctx, conn, path, casts)
	}
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+duck.Ident(table)).Scan(&n); err != nil {
		return fmt.Errorf("parquet: count rows: %w", err)
	}
	if n == 0 {
		return &connectors.InputError{Format: format, Kind: connectors.KindEmpty, Detail: "the file has no rows"}
	}
	return nil
}

// diagnose finds the first row whose value does not convert; otherwise the file is damaged.
func diagnose(ctx context.Context, conn *sql.Conn, path string, casts []connectors.Column) error {
	src := "read_parquet(" + duck.Quote(path) + ", hive_partitioning=false, file_row_number=true)"
	var first *connectors.InputError
	for _, c := range casts {
		id := duck.Ident(c.Name)
		var row sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT min(file_row_number) FROM "+src+" WHERE "+id+" IS NOT NULL AND TRY_CAST("+id+" AS "+c.Type+") IS NULL").Scan(&row)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			break // the file itself cannot be read
		}
		if row.Valid && (first == nil || row.Int64+1 < first.Line) {
			first = &connectors.InputError{Format: format, Kind: connectors.KindType, Line: row.Int64 + 1, Column: c.Name,
				Detail: "value does not convert to " + c.Type}
		}
	}
	if first != nil {
		return first
	}
	return &connectors.InputError{Format: format, Kind: connectors.KindMalformed,
		Detail: "the file is damaged: a page or column chunk could not be read"}
}

// topLevelNames returns the names of the top-level columns as stored in the footer.
func topLevelNames(ctx context.Context, conn *sql.Conn, path string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT name, coalesce(num_children, 0) FROM parquet_schema("+duck.Quote(path)+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type node struct {
		name     string
		children int64
	}
	var nodes []node
	for rows.Next() {
		var n node
		if err := rows.Scan(&n.name, &n.children); err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("no schema")
	}
	// Depth-first order: the root, then each top-level column followed by its subtree.
	var skip func(i int) int
	skip = func(i int) int {
		if i >= len(nodes) {
			return i
		}
		n := nodes[i].children
		i++
		for k := int64(0); k < n && i < len(nodes); k++ {
			i = skip(i)
		}
		return i
	}
	var names []string
	for i, k := 1, int64(0); k < nodes[0].children && i < len(nodes); k++ {
		names = append(names, nodes[i].name)
		i = skip(i)
	}
	return names, nil
}
