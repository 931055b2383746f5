package duck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// ErrLockdown means an instance could not be locked down; it is never handed out.
var ErrLockdown = errors.New("duckdb lockdown failed")

// Config is how an instance is limited. The zero value is safe: no file but the database itself
// is reachable, external access is off and the configuration is locked.
type Config struct {
	// MemoryLimit is DuckDB's memory_limit (e.g. "2GB"); empty keeps DuckDB's default.
	MemoryLimit string
	// Threads is DuckDB's thread count; 0 keeps DuckDB's default (one per core).
	Threads int
	// ReadOnly opens the database file with access_mode=read_only.
	ReadOnly bool
	// AllowedPaths are the only files besides the database the instance may read or write.
	AllowedPaths []string
	// TempDirectory is where DuckDB may spill; empty keeps DuckDB's default (<db>.tmp).
	TempDirectory string
	// NoFiles disables the local file system once the database is open: not even the
	// database's own file can then be read as a file (read_blob/read_text would otherwise
	// return its raw bytes, since DuckDB always allows its own file). Queries cannot spill to
	// disk, so they must fit MemoryLimit.
	NoFiles bool
}

// Validate refuses settings that could not be applied safely.
func (c Config) Validate() error {
	if c.Threads < 0 {
		return fmt.Errorf("threads must be ≥ 0, got %d", c.Threads)
	}
	if c.MemoryLimit != "" && !validMemoryLimit(c.MemoryLimit) {
		return fmt.Errorf("memory limit %q: want a number and a unit, e.g. 4GB or 512MiB", c.MemoryLimit)
	}
	for _, p := range c.AllowedPaths {
		if p == "" || strings.ContainsAny(p, "\x00") {
			return fmt.Errorf("allowed path %q is not a usable path", p)
		}
	}
	return nil
}

func validMemoryLimit(s string) bool {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 {
		return false
	}
	if _, err := strconv.ParseFloat(s[:i], 64); err != nil {
		return false
	}
	switch strings.ToUpper(strings.TrimSpace(s[i:])) {
	case "B", "KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB":
		return true
	}
	return false
}

// Open opens the DuckDB database at path ("" for in-memory) and locks it down as cfg says.
// The returned handle may hold several connections; all share the locked instance.
func Open(ctx context.Context, path string, cfg Config) (*sql.DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLockdown, err)
	}
	q := url.Values{}
	if cfg.ReadOnly {
		q.Set("access_mode", "read_only")
	}
	dsn := path
	if len(q) > 0 {
		dsn += "?" + q.Encode()
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	// database/sql keeps 2 idle connections by default: with more concurrent queries than
	// that, every query would open and close a DuckDB connection (a client context each),
	// which measured as a third of a small query's CPU at 16 clients.
	db.SetMaxIdleConns(32)
	if err := lock(ctx, db, cfg); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// lock applies the settings in the one order that works, then proves the lock holds.
func lock(ctx context.Context, db *sql.DB, cfg Config) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLockdown, err)
	}
	defer conn.Close()
	stmts := []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET allow_community_extensions = false",
		"SET allow_unsigned_extensions = false",
	}
	if cfg.MemoryLimit != "" {
		stmts = append(stmts, "SET memory_limit = "+quote(cfg.MemoryLimit))
	}
	if cfg.Threads > 0 {
		stmts = append(stmts, "SET threads = "+strconv.Itoa(cfg.Threads))
	}
	if cfg.TempDirectory != "" {
		stmts = append(stmts, "SET temp_directory = "+quote(cfg.TempDirectory))
	}
	if len(cfg.AllowedPaths) > 0 {
		quoted := make([]string, len(cfg.AllowedPaths))
		for i, p := range cfg.AllowedPaths {
			quoted[i] = quote(p)
		}
		stmts = append(stmts, "SET allowed_paths = ["+strings.Join(quoted, ", ")+"]")
	}
	stmts = append(stmts, "SET enable_external_access = false")
	if cfg.NoFiles {
		stmts = append(stmts, "SET disabled_filesystems = 'LocalFileSystem'")
	}
	stmts = append(stmts, "SET lock_configuration = true")
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrLockdown, s, err)
		}
	}
	var ext, locked bool
	err = conn.QueryRowContext(ctx,
		"SELECT current_setting('enable_external_access')::BOOLEAN, current_setting('lock_configuration')::BOOLEAN").
		Scan(&ext, &locked)
	if err != nil {
		return fmt.Errorf("%w: verify: %v", ErrLockdown, err)
	}
	if ext || !locked {
		return fmt.Errorf("%w: external access %v, locked %v after setup", ErrLockdown, ext, locked)
	}
	if cfg.NoFiles {
		// DuckDB does not report this setting back: prove it by trying to read a file.
		var n int
		err := conn.QueryRowContext(ctx, "SELECT count(*) FROM read_text('/inviso-lockdown-probe')").Scan(&n)
		if err == nil || !strings.Contains(err.Error(), "has been disabled") {
			return fmt.Errorf("%w: the local file system is still enabled (%v)", ErrLockdown, err)
		}
	}
	return nil
}

// quote renders s as a SQL string literal. Only trusted, server-chosen values reach it (paths
// and settings), never a client's text.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Quote renders s as a SQL string literal for trusted, server-chosen values (file paths).
func Quote(s string) string { return quote(s) }

// Ident renders name as a quoted SQL identifier.
func Ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
