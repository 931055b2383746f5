package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

// Defaults of an engine given no options.
const (
	DefaultTimeout = 30 * time.Second
	DefaultMaxRows = 100_000
)

// Options limit every query.
type Options struct {
	DuckDB  duck.Config   // memory_limit and threads of each workspace instance
	Timeout time.Duration // wall time per query
	MaxRows int64         // rows a query may return before release filtering
}

// Engine holds one locked instance per open workspace.
type Engine struct {
	opt Options
	mu  sync.Mutex
	dbs map[string]*sql.DB // by workspace path + digest
}

// New returns an engine.
func New(opt Options) *Engine {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.MaxRows <= 0 {
		opt.MaxRows = DefaultMaxRows
	}
	return &Engine{opt: opt, dbs: map[string]*sql.DB{}}
}

// ErrTooManyRows means a query returned more rows than the engine allows.
var ErrTooManyRows = errors.New("engine: result too large")

// instance returns the locked instance of a workspace, opening it on first use.
func (e *Engine) instance(ctx context.Context, path, digest string) (*sql.DB, error) {
	key := path + "\x00" + digest
	e.mu.Lock()
	defer e.mu.Unlock()
	if db, ok := e.dbs[key]; ok {
		return db, nil
	}
	cfg := e.opt.DuckDB
	cfg.ReadOnly, cfg.AllowedPaths, cfg.NoFiles = true, nil, true
	db, err := duck.Open(ctx, path, cfg)
	if err != nil {
		return nil, fmt.Errorf("engine: open workspace: %w", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_functions() WHERE NOT internal").Scan(&n); err != nil || n != 0 {
		db.Close()
		return nil, fmt.Errorf("engine: workspace instance has %d non-internal functions (%v): refusing it", n, err)
	}
	e.dbs[key] = db
	return db, nil
}

// Forget closes the instances of a workspace file (after a rebuild or revocation).
func (e *Engine) Forget(path string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, db := range e.dbs {
		if len(k) > len(path) && k[:len(path)] == path && k[len(path)] == 0 {
			db.Close()
			delete(e.dbs, k)
		}
	}
}

// Close closes every instance.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for k, db := range e.dbs {
		errs = append(errs, db.Close())
		delete(e.dbs, k)
	}
	return errors.Join(errs...)
}

// Query runs query on the workspace, hands the result's schema to schema (also when there are
// no rows) and each Arrow record batch to fn (which must retain a batch it keeps). It stops at
// the deadline or after MaxRows.
func (e *Engine) Query(ctx context.Context, path, digest, query string, schema func(*arrow.Schema) error, fn func(arrow.RecordBatch) error) error {
	db, err := e.instance(ctx, path, digest)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.opt.Timeout)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var rows int64
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := ar.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rdr.Release()
		if err := schema(rdr.Schema()); err != nil {
			return err
		}
		for rdr.Next() {
			rec := rdr.RecordBatch()
			rows += rec.NumRows()
			if rows > e.opt.MaxRows {
				return ErrTooManyRows
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
		return rdr.Err()
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrTooManyRows):
		return fault.Wrap(err, fault.InvalidInput, "the query returns more than %d rows before suppression; group more coarsely or add a filter", e.opt.MaxRows)
	case ctx.Err() == context.DeadlineExceeded:
		return fault.Wrap(err, fault.InvalidInput, "the query ran longer than %s and was stopped", e.opt.Timeout)
	}
	return fault.Wrap(err, fault.InvalidInput, "the query failed in the engine; the message is withheld because engine messages can quote data").
		With(fault.Reason{Code: "query_failed", Message: "the query failed while running"})
}
