package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/crypto/token"
	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/blob"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/engine"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/plugin"
	"github.com/inviso/inviso/sandbox/sqlgate"
	"github.com/inviso/inviso/sandbox/store"
)

// Defaults of a sandbox that is given no options.
const (
	DefaultDataDir = "inviso-data"
	// AdminTokenFile is where the bootstrap admin token is written, inside the data directory.
	AdminTokenFile = "admin.token"
	// PlatformAgency and AdminPrincipal are created on first start.
	PlatformAgency = "platform"
	AdminPrincipal = "admin"
)

// Options configure a Sandbox.
type Options struct {
	DataDir string // default DefaultDataDir
	// DuckDB limits every DuckDB instance the sandbox opens (memory_limit, threads).
	DuckDB  duck.Config
	Logger  *slog.Logger
	Clock   func() time.Time
	Loaders map[connectors.Format]connectors.Loader // default DefaultLoaders()
	// Decider decides every job; default: the policy engine with the built-in bundle.
	Decider Decider
	// PolicyDir holds the operator's extra .rego files (they can only add denials).
	PolicyDir string
	// QueryTimeout and MaxQueryRows limit each SQL job (defaults in sandbox/engine).
	QueryTimeout time.Duration
	MaxQueryRows int64
	// LogOrigin names the job log in its signed checkpoints (default DefaultLogOrigin). It is
	// fixed by the log's key on first start.
	LogOrigin string
	// WrapAppend wraps every write to the job log (fault injection in tests).
	WrapAppend func(AppendFunc) AppendFunc
	// PluginInsecureDev runs plugin jobs without isolation where the host cannot isolate
	// them (development only: every such run is logged at error level).
	PluginInsecureDev bool
	// PluginLimits bound each plugin job (zero fields: the plugin package's defaults).
	PluginLimits plugin.Limits
}

// Sandbox is the running domain.
type Sandbox struct {
	opt     Options
	log     *slog.Logger
	lock    *os.File
	catalog *catalog.Catalog
	store   *store.Store
	blobs   *blob.Store // developers' uploads: homomorphic keys and ciphertexts
	heSets  sync.Map    // homomorphic parameter sets by name (immutable once built)
	plugins *plugin.Store
	runner  *plugin.Runner // nil: plugin jobs are refused (the reason is logged at start)
	master  []byte         // the sandbox's secret: per-grant pseudonym keys derive from it
	parser  *sqlgate.Parser
	engine  *engine.Engine
	decider Decider
	journal *audit.Log
	append  AppendFunc
	indexer *indexer
	ledger  ledger
	grants  grantCache
	// disclosed caches the public disclosure.
	disclosed disclosureCache

	engineVersion string
	stop          chan struct{} // closed on Close: ends background work
	bg            sync.WaitGroup
	closeOnce     sync.Once
	closeErr      error

	// AdminTokenPath is the file holding the bootstrap admin token.
	AdminTokenPath string
	// AdminTokenCreated is true when this start created the admin principal and its token.
	AdminTokenCreated bool
}

// Open opens (creating on first use) the data directory and everything in it.
func Open(ctx context.Context, opt Options) (_ *Sandbox, err error) {
	if opt.DataDir == "" {
		opt.DataDir = DefaultDataDir
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.Loaders == nil {
		opt.Loaders = DefaultLoaders()
	}
	if err := opt.DuckDB.Validate(); err != nil {
		return nil, fault.Wrap(err, fault.InvalidInput, "duckdb settings: %v", err)
	}
	if err := os.MkdirAll(opt.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("open sandbox: %w", err)
	}
	sb := &Sandbox{opt: opt, log: opt.Logger}
	defer func() {
		if err != nil {
			sb.Close()
		}
	}()
	if sb.lock, err = lockDir(opt.DataDir); err != nil {
		return nil, err
	}
	if err := sb.openJournal(ctx); err != nil {
		return nil, err
	}
	sb.catalog, err = catalog.Open(ctx, filepath.Join(opt.DataDir, "control.duckdb"), opt.DuckDB,
		catalog.WithClock(opt.Clock), catalog.WithRecorder(sb.recordChange))
	if err != nil {
		return nil, err
	}
	if err := sb.reindex(ctx); err != nil {
		return nil, err
	}
	used, err := sb.catalog.Used(ctx)
	if err != nil {
		return nil, err
	}
	sb.ledger.used = used
	if sb.engineVersion, err = sb.catalog.EngineVersion(ctx); err != nil {
		return nil, err
	}
	sb.indexer = newIndexer(sb.catalog, func(err error) {
		sb.log.Error("job index write failed; the next start reindexes from the log", "error", fault.Redact(err))
	})
	sb.store, err = store.Open(ctx, store.Options{
		Root:    filepath.Join(opt.DataDir, "store"),
		Staging: filepath.Join(opt.DataDir, "staging"),
		Catalog: sb.catalog,
		Loaders: opt.Loaders,
		DuckDB:  opt.DuckDB,
		Logger:  opt.Logger,
	})
	if err != nil {
		return nil, err
	}
	if err := sb.bootstrap(ctx); err != nil {
		return nil, err
	}
	if sb.master, err = loadOrCreateSecret(filepath.Join(opt.DataDir, "keys", "master.key")); err != nil {
		return nil, fmt.Errorf("open sandbox: master key: %w", err)
	}
	if err := sb.sweepPending(ctx); err != nil {
		return nil, err
	}
	if sb.blobs, err = blob.Open(filepath.Join(opt.DataDir, "blobs")); err != nil {
		return nil, err
	}
	if err := sb.openPlugins(); err != nil {
		return nil, err
	}
	if sb.parser, err = sqlgate.NewParser(ctx); err != nil {
		return nil, err
	}
	sb.engine = engine.New(engine.Options{DuckDB: opt.DuckDB, Timeout: opt.QueryTimeout, MaxRows: opt.MaxQueryRows})
	sb.decider = opt.Decider
	if sb.decider == nil {
		if sb.decider, err = defaultDecider(ctx, opt.PolicyDir); err != nil {
			return nil, err
		}
	}
	if err := sb.policyLoaded(ctx); err != nil {
		return nil, err
	}
	if err := sb.recordExpiries(ctx); err != nil {
		return nil, err
	}
	sb.stop = make(chan struct{})
	sb.bg.Add(1)
	go func() {
		defer sb.bg.Done()
		sb.watchExpiries(sb.stop, 30*time.Second)
	}()
	return sb, nil
}

// loadOrCreateSecret reads a 32-byte secret, creating it (0600) on first use.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("%s holds %d bytes, want 32: refusing to guess a key", path, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := writeSecret(path, string(b)); err != nil {
		return nil, err
	}
	return b, nil
}

// sweepPending undoes approvals a crash interrupted: their grants were never active.
func (sb *Sandbox) sweepPending(ctx context.Context) error {
	ids, err := sb.catalog.PendingGrants(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if file, err := sb.catalog.GrantFile(ctx, id); err == nil {
			os.Remove(sb.workspacePath(file))
		}
		if err := sb.catalog.CancelPending(ctx, id); err != nil {
			return err
		}
		sb.log.Warn("undid an approval interrupted by a crash", "grant", id)
	}
	return nil
}

// Close releases the data directory. Closing twice is harmless.
func (sb *Sandbox) Close() error {
	sb.closeOnce.Do(func() { sb.closeErr = sb.close() })
	return sb.closeErr
}

func (sb *Sandbox) close() error {
	var errs []error
	if sb.stop != nil {
		close(sb.stop)
		sb.bg.Wait()
	}
	if sb.engine != nil {
		errs = append(errs, sb.engine.Close())
	}
	if sb.parser != nil {
		errs = append(errs, sb.parser.Close())
	}
	if sb.indexer != nil {
		sb.indexer.close()
	}
	if sb.journal != nil {
		errs = append(errs, sb.journal.Close())
	}
	if sb.catalog != nil {
		errs = append(errs, sb.catalog.Close())
	}
	if sb.lock != nil {
		errs = append(errs, sb.lock.Close()) // closing drops the flock
	}
	return errors.Join(errs...)
}

// lockDir takes an exclusive lock on the data directory so two servers never share it.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fault.Wrap(err, fault.Conflict, "data directory %s is in use by another inviso process", dir)
	}
	return f, nil
}

// bootstrap creates the platform agency and the admin principal on first start and writes the
// admin token to <data>/admin.token (0600). Later starts leave both alone.
func (sb *Sandbox) bootstrap(ctx context.Context) error {
	sb.AdminTokenPath = filepath.Join(sb.opt.DataDir, AdminTokenFile)
	if _, err := sb.catalog.Principal(ctx, AdminPrincipal); err == nil {
		return nil
	} else if fault.CodeOf(err) != fault.NotFound {
		return err
	}
	if _, err := sb.catalog.Agency(ctx, PlatformAgency); fault.CodeOf(err) == fault.NotFound {
		if _, err := sb.catalog.CreateAgency(ctx, catalog.Agency{ID: PlatformAgency, Name: "数据管理机构 (platform administration)", Kind: catalog.KindDataManagement}); err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
	} else if err != nil {
		return err
	}
	tok, err := token.New()
	if err != nil {
		return err
	}
	// Write the token first, atomically: a crash between the two steps leaves a token file
	// without a principal, which the next start replaces, never a principal nobody can use.
	if err := writeSecret(sb.AdminTokenPath, tok.Token+"\n"); err != nil {
		return fmt.Errorf("bootstrap: write admin token: %w", err)
	}
	if _, err := sb.catalog.CreatePrincipal(ctx, catalog.Principal{ID: AdminPrincipal, Agency: PlatformAgency, Roles: []catalog.Role{catalog.RoleAdmin}}, tok.Selector, tok.Hash); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	sb.AdminTokenCreated = true
	sb.log.Info("created the admin principal; its token is in the data directory", "file", sb.AdminTokenPath)
	return nil
}

// writeSecret writes a file readable only by its owner, atomically.
func writeSecret(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := io.WriteString(tmp, content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
