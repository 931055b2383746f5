package workspace

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inviso/inviso/crypto/pseudonym"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/rules"
)

// Errors of Build, to be tested with errors.Is.
var (
	// ErrInvalidSpec means the spec cannot be built as it is: a bad table name, a rule the
	// builder cannot apply, a raw file whose schema is not the one the rules were resolved on.
	ErrInvalidSpec = errors.New("workspace: invalid spec")
	// ErrVerify means the finished workspace is not what the spec asks for; it is not published.
	ErrVerify = errors.New("workspace: verification failed")
)

// Source is one raw dataset version that becomes one workspace table.
type Source struct {
	// Table is the table's name in the workspace (the dataset name): a plain identifier.
	Table string
	// Path is the raw version file. It is attached read-only, never written.
	Path string
	// Columns are every column of the version, in order, with their effective rules
	// (rules.Resolve output). Exactly one is the privacy unit.
	Columns []rules.Effective
	// Consent, if not nil, keeps only the rows of subjects whose consent covers the scenario.
	Consent *Consent
}

// Consent is a consent filter: a row is kept only if the raw value of its privacy unit is the
// subject of a consent whose purpose is one of Purposes and whose valid_until ≥ ValidThrough.
type Consent struct {
	// Path is a DuckDB file with a table consents(subject VARCHAR, purpose VARCHAR,
	// valid_until TIMESTAMPTZ). It is attached read-only.
	Path string
	// Purposes are the purposes that cover the scenario; at least one.
	Purposes []string
	// ValidThrough is the instant a consent must still be valid at (e.g. the grant's expiry).
	ValidThrough time.Time
}

// Spec is what a workspace is built from.
type Spec struct {
	// Key is the grant's pseudonym key; the zero Key is refused.
	Key pseudonym.Key
	// Sources are the tables of the workspace, one per raw version.
	Sources []Source
	// DuckDB limits the build instance (memory, threads, temp directory). Its paths and
	// read-only flag are set by Build.
	DuckDB duck.Config
}

// Table describes one workspace table.
type Table struct {
	Name string
	// Rows is the table's row count.
	Rows int64
	// MaxRowsPerUnit is the largest number of rows of one privacy unit (0 for an empty table).
	// count(*)/MaxRowsPerUnit is a lower bound on the distinct units of any set of its rows.
	MaxRowsPerUnit int64
	// ExcludedByConsent is the number of rows left out for want of a covering, valid consent.
	ExcludedByConsent int64
	// ExcludedNoUnit is the number of rows left out because their privacy unit was NULL: such
	// rows belong to nobody the release gate can count, so they never enter a workspace.
	ExcludedNoUnit int64
	// Columns is the table's schema as jobs see it, in order.
	Columns []Column
}

// Column is a workspace column.
type Column struct {
	Name  string
	Type  string // DuckDB type in the workspace
	Class rules.Class
	Usage rules.Usage
	Unit  bool // the privacy unit: a BIGINT pseudonym
	// Lo and Hi are an aggregate_only column's clamp bounds, for differential privacy.
	Lo, Hi *float64
	// InBounds is true when every value of an aggregate_only column already lies within
	// [Lo, Hi] (checked when the workspace is built; it never changes after): clamping it is
	// then a no-op that differential privacy can skip.
	InBounds bool
}

// Result is a finished workspace.
type Result struct {
	// Digest is the content digest of the workspace ("sha256:…"); see the package doc.
	Digest string
	// Tables are the workspace's tables, in the order of the spec's sources.
	Tables []Table
}

// rawTable is the one table of every raw version file (store.Table; a constant here so that this
// package does not depend on the store and the catalog behind it).
const rawTable = "data"

// identifier is what a workspace table name may look like.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// plan is one source, checked and compiled.
type plan struct {
	src     Source
	path    string // absolute
	consent string // absolute, "" without consent
	cols    []column
	unit    rules.Effective
	dropped []string
}

// Build materializes the workspace described by spec into the DuckDB file out, replacing it
// atomically: the file is built under a temporary name in out's directory, verified, synced and
// renamed. A failed build leaves no file at out (and an existing one untouched).
func Build(ctx context.Context, out string, spec Spec) (Result, error) {
	plans, err := compile(spec)
	if err != nil {
		return Result{}, err
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return Result{}, fmt.Errorf("workspace: %w", err)
	}
	for _, p := range plans {
		if p.path == out || p.consent == out {
			return Result{}, fmt.Errorf("%w: the workspace would overwrite an input file", ErrInvalidSpec)
		}
	}
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+"."+randomHex()+".building")
	defer removeDB(tmp) // no-op once renamed

	res, err := build(ctx, tmp, spec, plans)
	if err != nil {
		return Result{}, err
	}
	if err := duck.Publish(tmp, out); err != nil {
		return Result{}, fmt.Errorf("workspace: publish: %w", err)
	}
	return res, nil
}

// compile checks the spec and turns every source into SQL, before anything touches a disk.
func compile(spec Spec) ([]plan, error) {
	if spec.Key.IsZero() {
		return nil, fmt.Errorf("%w: no pseudonym key", ErrInvalidSpec)
	}
	if len(spec.Sources) == 0 {
		return nil, fmt.Errorf("%w: no sources", ErrInvalidSpec)
	}
	seen := map[string]bool{}
	plans := make([]plan, 0, len(spec.Sources))
	for _, src := range spec.Sources {
		if !identifier.MatchString(src.Table) {
			return nil, fmt.Errorf("%w: table name %q is not a plain identifier", ErrInvalidSpec, src.Table)
		}
		if seen[strings.ToLower(src.Table)] {
			return nil, fmt.Errorf("%w: table %q appears twice", ErrInvalidSpec, src.Table)
		}
		seen[strings.ToLower(src.Table)] = true
		p := plan{src: src}
		var err error
		if p.path, err = absFile(src.Path); err != nil {
			return nil, fmt.Errorf("%w: table %s: raw file: %v", ErrInvalidSpec, src.Table, err)
		}
		if c := src.Consent; c != nil {
			if p.consent, err = absFile(c.Path); err != nil {
				return nil, fmt.Errorf("%w: table %s: consent file: %v", ErrInvalidSpec, src.Table, err)
			}
			if len(c.Purposes) == 0 {
				return nil, fmt.Errorf("%w: table %s: a consent filter needs at least one purpose", ErrInvalidSpec, src.Table)
			}
			if c.ValidThrough.IsZero() {
				return nil, fmt.Errorf("%w: table %s: a consent filter needs the instant consents must be valid through", ErrInvalidSpec, src.Table)
			}
		}
		units := 0
		names := map[string]bool{}
		for _, e := range src.Columns {
			if names[strings.ToLower(e.Column.Name)] {
				return nil, fmt.Errorf("%w: table %s: column %q appears twice", ErrInvalidSpec, src.Table, e.Column.Name)
			}
			names[strings.ToLower(e.Column.Name)] = true
			if e.Unit {
				units++
				p.unit = e
			}
			if !e.Present() {
				p.dropped = append(p.dropped, e.Column.Name)
				continue
			}
			c, err := treat(e)
			if err != nil {
				return nil, fmt.Errorf("table %s: %w", src.Table, err)
			}
			p.cols = append(p.cols, c)
		}
		if units != 1 {
			return nil, fmt.Errorf("%w: table %s: want exactly one privacy unit column, got %d", ErrInvalidSpec, src.Table, units)
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func absFile(p string) (string, error) {
	if p == "" {
		return "", errors.New("no path")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", errors.New("not found")
	}
	if !st.Mode().IsRegular() {
		return "", errors.New("not a regular file")
	}
	return abs, nil
}

// allowedPaths are the only files the build instance may touch besides its own database: the
// raw and consent files, and their WAL names. DuckDB looks for "<file>.wal" when attaching, even
// read-only, and refuses the ATTACH under lockdown unless that path is allowed too.
func allowedPaths(plans []plan) []string {
	var paths []string
	for _, p := range plans {
		for _, f := range []string{p.path, p.consent} {
			if f != "" && !slices.Contains(paths, f) {
				paths = append(paths, f, f+".wal")
			}
		}
	}
	return paths
}

// build does the work in a fresh locked instance whose database is tmp.
func build(ctx context.Context, tmp string, spec Spec, plans []plan) (Result, error) {
	cfg := spec.DuckDB
	cfg.ReadOnly = false
	cfg.AllowedPaths = allowedPaths(plans)
	db, err := duck.Open(ctx, tmp, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("workspace: open: %w", ctx.Err())
		}
		return Result{}, fmt.Errorf("workspace: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return Result{}, engine(ctx, "connect", err)
	}
	defer conn.Close()
	if err := registerPseudonym(conn, spec.Key); err != nil {
		return Result{}, engine(ctx, "register the pseudonym function", err)
	}
	if err := selfTest(ctx, conn, spec.Key); err != nil {
		if errors.Is(err, ErrVerify) {
			return Result{}, err
		}
		return Result{}, engine(ctx, "check the pseudonym function", err)
	}

	res := Result{Tables: make([]Table, 0, len(plans))}
	for i, p := range plans {
		t, err := materialize(ctx, conn, i, p)
		if err != nil {
			return Result{}, err
		}
		res.Tables = append(res.Tables, t)
	}
	if err := verify(ctx, conn, plans); err != nil {
		return Result{}, err
	}
	if res.Digest, err = digest(ctx, conn, res.Tables); err != nil {
		return Result{}, err
	}
	if _, err := conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return Result{}, engine(ctx, "checkpoint", err)
	}
	if err := conn.Close(); err != nil {
		return Result{}, engine(ctx, "close", err)
	}
	if err := db.Close(); err != nil {
		return Result{}, engine(ctx, "close", err)
	}
	if _, err := os.Stat(tmp + ".wal"); err == nil {
		return Result{}, fmt.Errorf("%w: a write-ahead log is left after the checkpoint", ErrVerify)
	}
	return res, nil
}

// materialize builds one table in one pass over the raw version.
func materialize(ctx context.Context, conn *sql.Conn, i int, p plan) (Table, error) {
	name := p.src.Table
	fail := func(op string, err error) (Table, error) {
		return Table{}, engine(ctx, "table "+name+": "+op, err)
	}
	src := "src" + strconv.Itoa(i)
	if _, err := conn.ExecContext(ctx, "ATTACH "+duck.Quote(p.path)+" AS "+src+" (READ_ONLY)"); err != nil {
		return fail("attach the raw version", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE IF EXISTS "+src)
	if err := checkSchema(ctx, conn, src, rawTable, p.src.Columns); err != nil {
		return Table{}, fmt.Errorf("table %s: %w", name, err)
	}

	unit := "s." + duck.Ident(p.unit.Column.Name)
	where := unit + " IS NOT NULL"
	if c := p.src.Consent; c != nil {
		cs := "consent" + strconv.Itoa(i)
		if _, err := conn.ExecContext(ctx, "ATTACH "+duck.Quote(p.consent)+" AS "+cs+" (READ_ONLY)"); err != nil {
			return fail("attach the consent registry", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE IF EXISTS "+cs)
		if err := checkConsents(ctx, conn, cs); err != nil {
			return Table{}, fmt.Errorf("table %s: %w", name, err)
		}
		purposes := make([]string, len(c.Purposes))
		for j, pu := range c.Purposes {
			purposes[j] = duck.Quote(pu)
		}
		where += " AND " + textOf(unit, normType(p.unit.Column.Type)) + " IN (SELECT subject FROM " + cs +
			".consents WHERE subject IS NOT NULL AND purpose IN (" + strings.Join(purposes, ", ") +
			") AND valid_until >= CAST(" + duck.Quote(c.ValidThrough.UTC().Format("2006-01-02 15:04:05.999999")+"+00") + " AS TIMESTAMPTZ))"
	}

	// Raw row counts, for the exclusion counts. count(*) of a whole table is answered from its
	// metadata; only a consent filter needs a scan of the unit column to separate the rows left
	// out for want of a unit from those left out for want of consent.
	var total, withUnit int64
	countQ := "SELECT count(*), -1 FROM " + src + "." + rawTable
	if p.src.Consent != nil {
		countQ = "SELECT count(*), count(" + duck.Ident(p.unit.Column.Name) + ") FROM " + src + "." + rawTable
	}
	if err := conn.QueryRowContext(ctx, countQ).Scan(&total, &withUnit); err != nil {
		return fail("count the raw rows", err)
	}

	exprs := make([]string, len(p.cols))
	for j, c := range p.cols {
		exprs[j] = c.expr + " AS " + duck.Ident(c.Name)
	}
	q := "CREATE TABLE main." + duck.Ident(name) + " AS SELECT " + strings.Join(exprs, ", ") +
		" FROM " + src + "." + rawTable + " AS s WHERE " + where
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fail("materialize", err)
	}

	t := Table{Name: name}
	for _, c := range p.cols {
		t.Columns = append(t.Columns, c.Column)
	}
	var err error
	if t.Rows, t.MaxRowsPerUnit, err = rowsPerUnit(ctx, conn, name, p.unit.Column.Name); err != nil {
		return fail("count rows per unit", err)
	}
	for i, c := range t.Columns {
		if c.Lo == nil || c.Hi == nil {
			continue
		}
		// Compared in the column's own type (a DOUBLE round trip could turn a value one step
		// past a bound into the bound); bounds the type cannot hold are simply not claimed.
		lo, hi := strconv.FormatFloat(*c.Lo, 'f', -1, 64), strconv.FormatFloat(*c.Hi, 'f', -1, 64)
		var outside sql.NullInt64
		q := fmt.Sprintf("SELECT count(*) FILTER (WHERE %[1]s < TRY_CAST('%[3]s' AS %[4]s) OR %[1]s > TRY_CAST('%[5]s' AS %[4]s) OR TRY_CAST('%[3]s' AS %[4]s) IS NULL OR TRY_CAST('%[5]s' AS %[4]s) IS NULL) FROM main.%[2]s",
			duck.Ident(c.Name), duck.Ident(name), lo, c.Type, hi)
		if err := conn.QueryRowContext(ctx, q).Scan(&outside); err != nil {
			return fail("check bounds", err)
		}
		t.Columns[i].InBounds = outside.Valid && outside.Int64 == 0
	}
	if p.src.Consent == nil {
		withUnit = t.Rows // the only filter was "unit IS NOT NULL"
	}
	t.ExcludedNoUnit = total - withUnit
	t.ExcludedByConsent = withUnit - t.Rows
	if t.ExcludedNoUnit < 0 || t.ExcludedByConsent < 0 {
		return Table{}, fmt.Errorf("%w: table %s: row counts do not add up", ErrVerify, name)
	}
	return t, nil
}

// rowsPerUnit counts a workspace table's rows and the largest number of rows of one unit. A
// table with one row per unit (the common case: a register keyed by person) is recognised by
// count(*) = count(DISTINCT unit), which DuckDB computes faster than the grouping it avoids.
func rowsPerUnit(ctx context.Context, conn *sql.Conn, table, unit string) (rows, maxPerUnit int64, err error) {
	t, u := "main."+duck.Ident(table), duck.Ident(unit)
	var distinct int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*), count(DISTINCT "+u+") FROM "+t).Scan(&rows, &distinct); err != nil {
		return 0, 0, err
	}
	switch {
	case rows == 0:
		return 0, 0, nil
	case rows == distinct:
		return rows, 1, nil
	}
	err = conn.QueryRowContext(ctx, "SELECT max(n) FROM (SELECT count(*) AS n FROM "+t+" GROUP BY "+u+")").Scan(&maxPerUnit)
	return rows, maxPerUnit, err
}

// checkSchema refuses a raw table whose columns are not exactly the ones the rules were
// resolved on (names and types, in order): the rules would not describe what is attached.
func checkSchema(ctx context.Context, conn *sql.Conn, catalog, table string, want []rules.Effective) error {
	got, err := columnsOf(ctx, conn, catalog, table)
	if err != nil {
		return engine(ctx, "read the raw schema", err)
	}
	if len(got) != len(want) {
		return fmt.Errorf("%w: the raw version has %d columns, the rules describe %d", ErrInvalidSpec, len(got), len(want))
	}
	for i, e := range want {
		if got[i].Name != e.Column.Name || got[i].Type != normType(e.Column.Type) {
			return fmt.Errorf("%w: raw column %d is %q %s, the rules describe %q %s", ErrInvalidSpec, i+1, got[i].Name, got[i].Type, e.Column.Name, e.Column.Type)
		}
	}
	return nil
}

func checkConsents(ctx context.Context, conn *sql.Conn, catalog string) error {
	got, err := columnsOf(ctx, conn, catalog, "consents")
	if err != nil {
		return engine(ctx, "read the consent schema", err)
	}
	want := map[string]string{"subject": "VARCHAR", "purpose": "VARCHAR", "valid_until": "TIMESTAMP WITH TIME ZONE"}
	found := 0
	for _, c := range got {
		if t, ok := want[c.Name]; ok {
			if c.Type != t {
				return fmt.Errorf("%w: consents.%s is %s, want %s", ErrInvalidSpec, c.Name, c.Type, t)
			}
			found++
		}
	}
	if found != len(want) {
		return fmt.Errorf("%w: the consent registry has no table consents(subject VARCHAR, purpose VARCHAR, valid_until TIMESTAMPTZ)", ErrInvalidSpec)
	}
	return nil
}

type nameType struct{ Name, Type string }

func columnsOf(ctx context.Context, conn *sql.Conn, catalog, table string) ([]nameType, error) {
	rs, err := conn.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_catalog = ? AND table_schema = 'main' AND table_name = ? ORDER BY ordinal_position`, catalog, table)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var cols []nameType
	for rs.Next() {
		var c nameType
		if err := rs.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rs.Err()
}

// verify proves, on the finished database, that it holds exactly the planned tables and columns
// (names and types), that no column a rule drops exists, that no raw file is still attached and
// that nothing but tables was created.
func verify(ctx context.Context, conn *sql.Conn, plans []plan) error {
	var self string
	if err := conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&self); err != nil {
		return engine(ctx, "verify", err)
	}
	var others int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_databases() WHERE NOT internal AND database_name <> ?", self).Scan(&others); err != nil {
		return engine(ctx, "verify", err)
	}
	if others != 0 {
		return fmt.Errorf("%w: %d other database(s) still attached", ErrVerify, others)
	}
	var tables []string
	rs, err := conn.QueryContext(ctx, "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1", self)
	if err != nil {
		return engine(ctx, "verify", err)
	}
	for rs.Next() {
		var n string
		if err := rs.Scan(&n); err != nil {
			rs.Close()
			return engine(ctx, "verify", err)
		}
		tables = append(tables, n)
	}
	rs.Close()
	want := make([]string, len(plans))
	for i, p := range plans {
		want[i] = "main." + p.src.Table
	}
	slices.Sort(want)
	if !slices.Equal(tables, want) {
		return fmt.Errorf("%w: the workspace holds tables %q, want %q", ErrVerify, tables, want)
	}
	var extra int
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM duckdb_views() WHERE database_name = $1 AND NOT internal)
		+ (SELECT count(*) FROM duckdb_functions() WHERE database_name = $1 AND NOT internal AND function_type IN ('macro', 'table_macro'))
		+ (SELECT count(*) FROM duckdb_sequences() WHERE database_name = $1)`, self).Scan(&extra); err != nil {
		return engine(ctx, "verify", err)
	}
	if extra != 0 {
		return fmt.Errorf("%w: the workspace holds %d views, macros or sequences", ErrVerify, extra)
	}
	for _, p := range plans {
		got, err := columnsOf(ctx, conn, self, p.src.Table)
		if err != nil {
			return engine(ctx, "verify", err)
		}
		if len(got) != len(p.cols) {
			return fmt.Errorf("%w: table %s has %d columns, want %d", ErrVerify, p.src.Table, len(got), len(p.cols))
		}
		for i, c := range p.cols {
			if got[i].Name != c.Name || got[i].Type != c.Type {
				return fmt.Errorf("%w: table %s column %d is %q %s, want %q %s", ErrVerify, p.src.Table, i+1, got[i].Name, got[i].Type, c.Name, c.Type)
			}
			if (c.Unit || strings.Contains(c.expr, pseudonymFunc+"(")) && c.Type != "BIGINT" {
				return fmt.Errorf("%w: table %s column %q should be a BIGINT pseudonym", ErrVerify, p.src.Table, c.Name)
			}
		}
		for _, d := range p.dropped {
			for _, g := range got {
				if strings.EqualFold(g.Name, d) {
					return fmt.Errorf("%w: table %s holds column %q, which its rules drop", ErrVerify, p.src.Table, d)
				}
			}
		}
	}
	return nil
}

// digest computes the content digest described in the package doc.
func digest(ctx context.Context, conn *sql.Conn, tables []Table) (string, error) {
	sorted := slices.Clone(tables)
	slices.SortFunc(sorted, func(a, b Table) int { return strings.Compare(a.Name, b.Name) })
	h := sha256.New()
	fmt.Fprintf(h, "inviso/workspace-digest/v1\n")
	for _, t := range sorted {
		fmt.Fprintf(h, "table %q rows %d max_rows_per_unit %d excluded_by_consent %d excluded_no_unit %d\n",
			t.Name, t.Rows, t.MaxRowsPerUnit, t.ExcludedByConsent, t.ExcludedNoUnit)
		ids := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			fmt.Fprintf(h, "column %q %q %q %q %t\n", c.Name, c.Type, c.Class, c.Usage, c.Unit)
			ids[i] = duck.Ident(c.Name)
		}
		var n, sum, xor string
		err := conn.QueryRowContext(ctx, "SELECT count(*)::VARCHAR, coalesce(sum(h), 0)::VARCHAR, coalesce(bit_xor(h), 0)::VARCHAR FROM (SELECT hash("+
			strings.Join(ids, ", ")+") AS h FROM main."+duck.Ident(t.Name)+")").Scan(&n, &sum, &xor)
		if err != nil {
			return "", engine(ctx, "digest "+t.Name, err)
		}
		fmt.Fprintf(h, "rows %s sum %s xor %s\n", n, sum, xor)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// removeDB removes a database file and what DuckDB keeps next to it.
func removeDB(path string) {
	os.Remove(path)
	os.Remove(path + ".wal")
	os.RemoveAll(path + ".tmp")
}

func randomHex() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// engineError is a DuckDB failure during a build. Its text names the operation and DuckDB's error
// class only: engine messages can quote row values, and a build reads raw data.
type engineError struct {
	op    string
	cause error
}

func (e *engineError) Error() string {
	class := "error"
	msg := e.cause.Error()
	if i := strings.Index(msg, " Error:"); i > 0 && i < 40 && !strings.ContainsAny(msg[:i], `"'`) {
		class = msg[:i+len(" Error")]
	}
	return "workspace: " + e.op + ": " + class + " (details withheld: engine messages can quote values)"
}

func (e *engineError) Unwrap() error { return e.cause }

// engine wraps an engine error; a cancelled context is reported as such.
func engine(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("workspace: %s: %w", op, ctx.Err())
	}
	return &engineError{op: op, cause: err}
}
