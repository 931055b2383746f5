package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

// schema is the control database's tables. Lists are JSON text: they are small, and JSON keeps
// the Go side free of driver-specific list types.
const schema = `
CREATE TABLE IF NOT EXISTS agencies (
	id         VARCHAR PRIMARY KEY,
	name       VARCHAR NOT NULL,
	kind       VARCHAR NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS principals (
	id         VARCHAR PRIMARY KEY,
	agency     VARCHAR NOT NULL,
	roles      VARCHAR NOT NULL,
	selector   VARCHAR NOT NULL UNIQUE,
	token_hash BLOB NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS datasets (
	name             VARCHAR PRIMARY KEY,
	agency           VARCHAR NOT NULL,
	description      VARCHAR NOT NULL,
	classification   VARCHAR NOT NULL,
	flags            VARCHAR NOT NULL,
	privacy_unit     VARCHAR NOT NULL,
	update_frequency VARCHAR NOT NULL,
	schema           VARCHAR NOT NULL,
	created_at       TIMESTAMPTZ NOT NULL,
	created_by       VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
	dataset     VARCHAR NOT NULL,
	number      INTEGER NOT NULL,
	digest      VARCHAR NOT NULL,
	format      VARCHAR NOT NULL,
	rows        BIGINT NOT NULL,
	bytes       BIGINT NOT NULL,
	columns     VARCHAR NOT NULL,
	file        VARCHAR NOT NULL UNIQUE,
	imported_at TIMESTAMPTZ NOT NULL,
	imported_by VARCHAR NOT NULL,
	PRIMARY KEY (dataset, number)
);
`

// Catalog is the control database.
type Catalog struct {
	db  *sql.DB
	now func() time.Time
	mu  sync.Mutex // serialises writers: DuckDB reports concurrent writers as conflicts

	recorder Recorder // logs every state change before it commits (nil: not logged)
	grantGen atomic.Uint64
	// creds remembers credentials found by selector. Principals are only ever inserted (no
	// update, no delete: there is no token rotation or revocation yet), so a credential once
	// found stays true. Whatever adds rotation or revocation must drop entries here in the
	// same transaction. Unknown selectors are not remembered (a client sending random
	// selectors cannot grow it).
	creds sync.Map // selector → Credential
}

// Option configures a Catalog.
type Option func(*Catalog)

// WithClock injects the clock (tests).
func WithClock(now func() time.Time) Option { return func(c *Catalog) { c.now = now } }

// Open opens (creating if needed) the control database at path.
func Open(ctx context.Context, path string, cfg duck.Config, opts ...Option) (*Catalog, error) {
	db, err := duck.Open(ctx, path, cfg)
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	c := &Catalog{db: db, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	if _, err := db.ExecContext(ctx, schema+scenarioSchema+jobSchema+eventSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open catalog: create schema: %w", err)
	}
	return c, nil
}

// Close closes the control database.
func (c *Catalog) Close() error { return c.db.Close() }

// write runs fn in one serialised transaction.
func (c *Catalog) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func exists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, query string, args ...any) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+query, args...).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// CreateAgency registers an agency.
func (c *Catalog) CreateAgency(ctx context.Context, a Agency) (Agency, error) {
	if err := a.Validate(); err != nil {
		return Agency{}, err
	}
	a.CreatedAt = c.now().UTC()
	err := c.write(ctx, func(tx *sql.Tx) error {
		if dup, err := exists(ctx, tx, "agencies WHERE id = ?", a.ID); err != nil || dup {
			return errOr(err, fault.E(fault.Conflict, "agency %q already exists", a.ID))
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO agencies VALUES (?, ?, ?, ?)", a.ID, a.Name, string(a.Kind), a.CreatedAt); err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindAgencyCreated, a.ID, "", a)
	})
	return a, wrap("create agency", err)
}

// Agency returns one agency.
func (c *Catalog) Agency(ctx context.Context, id string) (Agency, error) {
	as, err := c.agencies(ctx, "WHERE id = ?", id)
	if err != nil {
		return Agency{}, err
	}
	if len(as) == 0 {
		return Agency{}, fault.E(fault.NotFound, "no agency %q", clip(id))
	}
	return as[0], nil
}

// Agencies lists every agency.
func (c *Catalog) Agencies(ctx context.Context) ([]Agency, error) { return c.agencies(ctx, "") }

func (c *Catalog) agencies(ctx context.Context, where string, args ...any) ([]Agency, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT id, name, kind, created_at FROM agencies "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, wrap("list agencies", err)
	}
	defer rows.Close()
	out := []Agency{}
	for rows.Next() {
		var a Agency
		var kind string
		if err := rows.Scan(&a.ID, &a.Name, &kind, &a.CreatedAt); err != nil {
			return nil, wrap("list agencies", err)
		}
		a.Kind = AgencyKind(kind)
		out = append(out, a)
	}
	return out, wrap("list agencies", rows.Err())
}

// CreatePrincipal registers a principal with the selector and hash of its token.
func (c *Catalog) CreatePrincipal(ctx context.Context, p Principal, selector string, hash []byte) (Principal, error) {
	if err := p.Validate(); err != nil {
		return Principal{}, err
	}
	p.CreatedAt = c.now().UTC()
	roles, _ := json.Marshal(p.Roles)
	err := c.write(ctx, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, "agencies WHERE id = ?", p.Agency); err != nil || !ok {
			return errOr(err, fault.E(fault.NotFound, "no agency %q", p.Agency))
		}
		if dup, err := exists(ctx, tx, "principals WHERE id = ?", p.ID); err != nil || dup {
			return errOr(err, fault.E(fault.Conflict, "principal %q already exists", p.ID))
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO principals VALUES (?, ?, ?, ?, ?, ?)",
			p.ID, p.Agency, string(roles), selector, hash, p.CreatedAt); err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindPrincipalCreated, p.ID, "", p) // never the token
	})
	return p, wrap("create principal", err)
}

// Credential is what authentication needs of a principal.
type Credential struct {
	Principal Principal
	Hash      []byte
}

// CredentialBySelector finds the principal a token selector belongs to.
// Every request authenticates, so the answer is remembered (a query of the control database
// was a millisecond of CPU per request).
func (c *Catalog) CredentialBySelector(ctx context.Context, selector string) (Credential, error) {
	if cred, ok := c.creds.Load(selector); ok {
		return cloneCredential(cred.(Credential)), nil
	}
	ps, hashes, err := c.principals(ctx, "WHERE selector = ?", selector)
	if err != nil {
		return Credential{}, err
	}
	if len(ps) == 0 {
		return Credential{}, fault.E(fault.Unauthenticated, "unknown token")
	}
	cred := Credential{Principal: ps[0], Hash: hashes[0]}
	c.creds.Store(selector, cloneCredential(cred))
	return cred, nil
}

// cloneCredential copies the slices of a credential, so no caller can change a remembered one.
func cloneCredential(c Credential) Credential {
	c.Principal.Roles = slices.Clone(c.Principal.Roles)
	c.Hash = slices.Clone(c.Hash)
	return c
}

// Principal returns one principal.
func (c *Catalog) Principal(ctx context.Context, id string) (Principal, error) {
	ps, _, err := c.principals(ctx, "WHERE id = ?", id)
	if err != nil {
		return Principal{}, err
	}
	if len(ps) == 0 {
		return Principal{}, fault.E(fault.NotFound, "no principal %q", clip(id))
	}
	return ps[0], nil
}

// Principals lists every principal.
func (c *Catalog) Principals(ctx context.Context) ([]Principal, error) {
	ps, _, err := c.principals(ctx, "")
	return ps, err
}

func (c *Catalog) principals(ctx context.Context, where string, args ...any) ([]Principal, [][]byte, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT id, agency, roles, token_hash, created_at FROM principals "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, nil, wrap("list principals", err)
	}
	defer rows.Close()
	out := []Principal{}
	var hashes [][]byte
	for rows.Next() {
		var p Principal
		var roles string
		var h []byte
		if err := rows.Scan(&p.ID, &p.Agency, &roles, &h, &p.CreatedAt); err != nil {
			return nil, nil, wrap("list principals", err)
		}
		if err := json.Unmarshal([]byte(roles), &p.Roles); err != nil {
			return nil, nil, wrap("list principals", err)
		}
		out = append(out, p)
		hashes = append(hashes, h)
	}
	return out, hashes, wrap("list principals", rows.Err())
}

// RegisterDataset registers a dataset of an existing source agency.
func (c *Catalog) RegisterDataset(ctx context.Context, d Dataset) (Dataset, error) {
	if d.Flags == nil {
		d.Flags = []Flag{}
	}
	if err := d.Validate(); err != nil {
		return Dataset{}, err
	}
	d.CreatedAt = c.now().UTC()
	d.Versions = []Version{}
	flags, _ := json.Marshal(d.Flags)
	declared, _ := json.Marshal(d.Schema)
	err := c.write(ctx, func(tx *sql.Tx) error {
		var kind string
		err := tx.QueryRowContext(ctx, "SELECT kind FROM agencies WHERE id = ?", d.Agency).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.E(fault.NotFound, "no agency %q", d.Agency)
		}
		if err != nil {
			return err
		}
		if AgencyKind(kind) != KindSource {
			return fault.E(fault.InvalidInput, "agency %q is a %s agency; only source agencies register datasets", d.Agency, kind)
		}
		if dup, err := exists(ctx, tx, "datasets WHERE name = ?", d.Name); err != nil || dup {
			return errOr(err, fault.E(fault.Conflict, "dataset %q already exists", d.Name))
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			d.Name, d.Agency, d.Description, string(d.Classification), string(flags), d.PrivacyUnit,
			d.UpdateFrequency, string(declared), d.CreatedAt, d.CreatedBy)
		if err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindDatasetRegistered, d.Name, "", d)
	})
	return d, wrap("register dataset", err)
}

// Dataset returns a dataset with its versions, oldest first.
func (c *Catalog) Dataset(ctx context.Context, name string) (Dataset, error) {
	ds, err := c.datasets(ctx, "WHERE name = ?", name)
	if err != nil {
		return Dataset{}, err
	}
	if len(ds) == 0 {
		return Dataset{}, fault.E(fault.NotFound, "no dataset %q", clip(name))
	}
	d := ds[0]
	d.Versions, err = c.versions(ctx, "WHERE dataset = ?", name)
	return d, err
}

// Datasets lists every dataset with its versions.
func (c *Catalog) Datasets(ctx context.Context) ([]Dataset, error) {
	ds, err := c.datasets(ctx, "")
	if err != nil {
		return nil, err
	}
	vs, err := c.versions(ctx, "")
	if err != nil {
		return nil, err
	}
	byName := map[string][]Version{}
	for _, v := range vs {
		byName[v.Dataset] = append(byName[v.Dataset], v)
	}
	for i := range ds {
		ds[i].Versions = append([]Version{}, byName[ds[i].Name]...)
	}
	return ds, nil
}

func (c *Catalog) datasets(ctx context.Context, where string, args ...any) ([]Dataset, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT name, agency, description, classification, flags, privacy_unit,
		update_frequency, schema, created_at, created_by FROM datasets `+where+" ORDER BY name", args...)
	if err != nil {
		return nil, wrap("list datasets", err)
	}
	defer rows.Close()
	out := []Dataset{}
	for rows.Next() {
		var d Dataset
		var level, flags, declared string
		if err := rows.Scan(&d.Name, &d.Agency, &d.Description, &level, &flags, &d.PrivacyUnit,
			&d.UpdateFrequency, &declared, &d.CreatedAt, &d.CreatedBy); err != nil {
			return nil, wrap("list datasets", err)
		}
		d.Classification = Level(level)
		if err := json.Unmarshal([]byte(flags), &d.Flags); err != nil {
			return nil, wrap("list datasets", err)
		}
		if err := json.Unmarshal([]byte(declared), &d.Schema); err != nil {
			return nil, wrap("list datasets", err)
		}
		out = append(out, d)
	}
	return out, wrap("list datasets", rows.Err())
}

func (c *Catalog) versions(ctx context.Context, where string, args ...any) ([]Version, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT dataset, number, digest, format, rows, bytes, columns, file,
		imported_at, imported_by FROM versions `+where+" ORDER BY dataset, number", args...)
	if err != nil {
		return nil, wrap("list versions", err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		var v Version
		var cols string
		if err := rows.Scan(&v.Dataset, &v.Number, &v.Digest, &v.Format, &v.Rows, &v.Bytes, &cols, &v.File,
			&v.ImportedAt, &v.ImportedBy); err != nil {
			return nil, wrap("list versions", err)
		}
		if err := json.Unmarshal([]byte(cols), &v.Columns); err != nil {
			return nil, wrap("list versions", err)
		}
		out = append(out, v)
	}
	return out, wrap("list versions", rows.Err())
}

// Latest returns the newest version of a dataset, or ok=false if it has none.
func (c *Catalog) Latest(ctx context.Context, dataset string) (v Version, ok bool, err error) {
	vs, err := c.versions(ctx, "WHERE dataset = ? AND number = (SELECT max(number) FROM versions WHERE dataset = ?)", dataset, dataset)
	if err != nil || len(vs) == 0 {
		return Version{}, false, err
	}
	return vs[0], true, nil
}

// AddVersion appends a version. after is the number of the version the import was checked
// against (0 for none); if another import landed in between, AddVersion refuses with a conflict
// rather than append a version whose schema was checked against a stale predecessor.
func (c *Catalog) AddVersion(ctx context.Context, v Version, after int) (Version, error) {
	v.ImportedAt = c.now().UTC()
	cols, err := json.Marshal(v.Columns)
	if err != nil {
		return Version{}, err
	}
	err = c.write(ctx, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, "datasets WHERE name = ?", v.Dataset); err != nil || !ok {
			return errOr(err, fault.E(fault.NotFound, "no dataset %q", v.Dataset))
		}
		var latest int
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(number), 0) FROM versions WHERE dataset = ?", v.Dataset).Scan(&latest); err != nil {
			return err
		}
		if latest != after {
			return fault.E(fault.Conflict, "dataset %q got version %d while this import ran; import again", v.Dataset, latest)
		}
		v.Number = latest + 1
		if _, err := tx.ExecContext(ctx, "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			v.Dataset, v.Number, v.Digest, v.Format, v.Rows, v.Bytes, string(cols), v.File, v.ImportedAt, v.ImportedBy); err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindVersionImported, fmt.Sprintf("%s@%d", v.Dataset, v.Number), "", v)
	})
	return v, wrap("add version", err)
}

// VersionFiles lists the file of every committed version (for the store's start-up sweep).
func (c *Catalog) VersionFiles(ctx context.Context) (map[string]bool, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT file FROM versions")
	if err != nil {
		return nil, wrap("list version files", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, wrap("list version files", err)
		}
		out[f] = true
	}
	return out, wrap("list version files", rows.Err())
}

func errOr(err error, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// wrap names the operation on uncoded errors; coded errors pass unchanged so clients see them.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var f *fault.Error
	if errors.As(err, &f) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// SetFlags replaces a dataset's Art. 2 flags.
func (c *Catalog) SetFlags(ctx context.Context, name string, flags []Flag) (Dataset, error) {
	if flags == nil {
		flags = []Flag{}
	}
	probe := Dataset{Name: name, Agency: "x", Description: "x", Classification: L1Public, Flags: flags, PrivacyUnit: "x", UpdateFrequency: "once"}
	if err := probe.Validate(); err != nil {
		return Dataset{}, err
	}
	b, _ := json.Marshal(flags)
	err := c.write(ctx, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, "datasets WHERE name = ?", name); err != nil || !ok {
			return errOr(err, fault.E(fault.NotFound, "no dataset %q", clip(name)))
		}
		if _, err := tx.ExecContext(ctx, "UPDATE datasets SET flags = ? WHERE name = ?", string(b), name); err != nil {
			return err
		}
		return c.record(ctx, tx, audit.KindDatasetFlags, name, "", map[string]any{"dataset": name, "flags": flags})
	})
	if err != nil {
		return Dataset{}, wrap("set flags", err)
	}
	return c.Dataset(ctx, name)
}

// Version returns one version of a dataset.
func (c *Catalog) Version(ctx context.Context, dataset string, number int) (Version, error) {
	vs, err := c.versions(ctx, "WHERE dataset = ? AND number = ?", dataset, number)
	if err != nil {
		return Version{}, err
	}
	if len(vs) == 0 {
		return Version{}, fault.E(fault.NotFound, "dataset %q has no version %d", clip(dataset), number)
	}
	return vs[0], nil
}

// EngineVersion is the DuckDB library version, as jobs record it.
func (c *Catalog) EngineVersion(ctx context.Context) (string, error) {
	var v string
	err := c.db.QueryRowContext(ctx, "SELECT 'duckdb ' || version()").Scan(&v)
	return v, wrap("read engine version", err)
}
