package audit

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/storage/posix"
	"k8s.io/klog/v2"
)

// Options configure a Log.
type Options struct {
	Dir  string // the log's directory (tlog-tiles layout: checkpoint, tile/...)
	Keys Keys
	// BatchMaxSize caps how many entries share one write (default 256, at most 1024).
	BatchMaxSize uint
	// Logger receives the storage library's own messages (default: discarded).
	Logger *slog.Logger
	// CheckpointInterval is how often a new signed checkpoint is published while the log grows
	// (default 500ms; tessera's minimum is 100ms).
	CheckpointInterval time.Duration
}

// Log is the sandbox's transparency log.
type Log struct {
	keys     Keys
	dir      string
	add      tessera.AddFn
	reader   tessera.LogReader
	shutdown func(context.Context) error
	cancel   context.CancelFunc
	logger   *slog.Logger

	mu       sync.RWMutex // held for reading while queueing; Close takes it to stop appends
	stopped  bool
	queue    chan pending
	maxBatch int
	done     chan struct{} // closed when the committer and the integrator have returned

	wal        *wal
	committed  atomic.Uint64 // entries durable: in the tree or on their way into it
	toTree     chan []pending
	broken     atomic.Value  // error: the tree refused durable entries; nothing more is acknowledged
	integrated atomic.Uint64 // entries in the tree
	advanced   chan struct{} // closed and replaced whenever integrated grows
	advMu      sync.Mutex
	closed     sync.Once
}

var klogOnce sync.Once

// ErrClosed: the log was closed.
var ErrClosed = errors.New("audit: the log is closed")

const (
	treeBatch    = 1024 // most entries handed to tessera at once
	treeBatchAge = 2 * time.Millisecond
)

// Open opens (creating on first use) the log in opt.Dir, first adding to the tree whatever the
// write-ahead file holds that the tree does not (entries acknowledged before a crash).
func Open(ctx context.Context, opt Options) (*Log, error) {
	if opt.Dir == "" || opt.Keys.Signer == nil {
		return nil, errors.New("audit: a log needs a directory and a signing key")
	}
	if opt.BatchMaxSize == 0 {
		opt.BatchMaxSize = 256
	}
	opt.BatchMaxSize = min(opt.BatchMaxSize, treeBatch)
	if opt.CheckpointInterval <= 0 {
		opt.CheckpointInterval = 500 * time.Millisecond
	}
	if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	// tessera logs through klog's global logger: set it once per process (the first log's
	// logger), since earlier logs' goroutines may still read it.
	klogOnce.Do(func() { klog.SetSlogLogger(opt.Logger.With("component", "tessera")) })
	driver, err := posix.New(ctx, posix.Config{Path: opt.Dir})
	if err != nil {
		return nil, fmt.Errorf("audit: open storage: %w", err)
	}
	// The appender's background work (batching, checkpoint publishing) lives until Close.
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	appender, shutdown, reader, err := tessera.NewAppender(lctx, driver, tessera.NewAppendOptions().
		WithCheckpointSigner(opt.Keys.Signer).
		WithBatching(treeBatch, treeBatchAge).
		WithCheckpointInterval(opt.CheckpointInterval).
		WithCheckpointRepublishInterval(time.Hour))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("audit: open appender: %w", err)
	}
	l := &Log{keys: opt.Keys, dir: opt.Dir, add: appender.Add, reader: reader, shutdown: shutdown, cancel: cancel, logger: opt.Logger,
		queue: make(chan pending, 4*opt.BatchMaxSize), maxBatch: int(opt.BatchMaxSize), done: make(chan struct{}),
		toTree: make(chan []pending, 64), advanced: make(chan struct{})}
	if err := l.recover(lctx); err != nil {
		shutdown(lctx)
		cancel()
		return nil, err
	}
	committed := make(chan struct{})
	go func() { defer close(committed); l.commit(lctx) }()
	go func() { l.integrate(lctx); <-committed; close(l.done) }()
	return l, nil
}

// walFile is the write-ahead file's name in the log directory (outside the tlog-tiles layout).
const walFile = ".inviso-wal"

// recover adds to the tree the write-ahead file's records it does not hold yet. The file's
// records all went into the tree at or after its base; any of them not found among the tree's
// entries from the base on (compared by content: every entry carries its time to the
// nanosecond and its subject) was acknowledged but never integrated. Then the file is emptied.
func (l *Log) recover(ctx context.Context) error {
	w, recs, err := openWAL(filepath.Join(l.dir, walFile))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	l.wal = w
	fail := func(err error) error {
		w.close()
		return err
	}
	size, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return fail(fmt.Errorf("audit: read tree size: %w", err))
	}
	if w.base > size {
		return fail(fmt.Errorf("audit: the write-ahead file starts at entry %d but the tree holds only %d: refusing to guess", w.base, size))
	}
	if len(recs) > 0 {
		inTree := map[[32]byte]int{} // a multiset: each tree entry accounts for one record
		tail, err := ReadEntries(ctx, l.reader, w.base, size-w.base, size)
		if err != nil {
			return fail(err)
		}
		for _, r := range tail {
			inTree[sha256.Sum256(r.Data)]++
		}
		var missing []pending
		for _, data := range recs {
			h := sha256.Sum256(data)
			if inTree[h] > 0 {
				inTree[h]--
				continue
			}
			missing = append(missing, pending{data: data})
		}
		if len(missing) > 0 {
			l.logger.Warn("adding entries acknowledged before a crash to the job log", "entries", len(missing))
		}
		for len(missing) > 0 {
			n := min(len(missing), treeBatch)
			last, err := l.intoTree(ctx, missing[:n])
			if err != nil {
				return fail(err)
			}
			size = max(size, last+1)
			missing = missing[n:]
		}
	}
	l.committed.Store(size)
	l.integrated.Store(size)
	if err := w.reset(size); err != nil {
		return fail(fmt.Errorf("audit: reset write-ahead file: %w", err))
	}
	return nil
}

// intoTree adds entries to the tree, waits until they are integrated, and tells each its index.
// It returns the largest index.
func (l *Log) intoTree(ctx context.Context, b []pending) (uint64, error) {
	futures := make([]tessera.IndexFuture, len(b))
	for i, p := range b {
		futures[i] = l.add(ctx, tessera.NewEntry(p.data))
	}
	var last uint64
	var firstErr error
	for i, f := range futures {
		idx, err := f()
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("audit: integrate entry: %w", err)
		}
		if err == nil {
			last = max(last, idx.Index)
		}
		if b[i].index != nil {
			b[i].index <- appended{index: idx.Index, err: err}
		}
	}
	return last, firstErr
}

// pending is an entry on its way: to the committer, then to the tree.
type pending struct {
	data    []byte
	durable chan<- error    // the committer reports here once the entry is synced
	index   chan<- appended // the integrator reports here once it is in the tree
}

type appended struct {
	index uint64
	err   error
}

// commit is the log's group commit: it takes every entry waiting, writes them to the
// write-ahead file with one fdatasync, acknowledges them (they are durable) and passes them on
// to the tree. Entries arriving meanwhile form the next group, so concurrent appends share one
// sync.
func (l *Log) commit(ctx context.Context) {
	defer close(l.toTree)
	for {
		var group []pending
		select {
		case p, ok := <-l.queue:
			if !ok {
				return
			}
			group = append(group, p)
		case <-ctx.Done():
			return
		}
	more:
		for len(group) < l.maxBatch {
			select {
			case p, ok := <-l.queue:
				if !ok {
					break more
				}
				group = append(group, p)
			default:
				break more
			}
		}
		fail := func(err error) {
			for _, p := range group {
				p.durable <- err
				p.index <- appended{err: err}
			}
		}
		if err, _ := l.broken.Load().(error); err != nil {
			fail(err)
			continue
		}
		if l.wal.size > walResetBytes {
			// Let the tree catch up (one integration, milliseconds), then empty the file, so
			// it stays bounded under any load.
			err := l.waitIntegrated(ctx, l.committed.Load())
			if err == nil {
				err = l.wal.reset(l.committed.Load())
			}
			if err != nil {
				l.broken.Store(fmt.Errorf("reset write-ahead file: %w", err))
				fail(err)
				continue
			}
		}
		recs := make([][]byte, len(group))
		for i, p := range group {
			recs[i] = p.data
		}
		if err := l.wal.append(recs); err != nil {
			if errors.Is(err, errWALDamaged) {
				l.broken.Store(err)
				l.logger.Error("the job log's write-ahead file is damaged; the log stops acknowledging until restart", "error", err)
			}
			fail(fmt.Errorf("write-ahead file: %w", err))
			continue
		}
		l.committed.Add(uint64(len(group)))
		for _, p := range group {
			p.durable <- nil
		}
		l.toTree <- group
	}
}

// walResetBytes: the write-ahead file is emptied, once all of it is in the tree, when it grows
// past this size.
const walResetBytes = 16 << 20

// integrate moves durable entries into the tree, up to treeBatch at a time, each batch added
// back to back and awaited before the next. If the tree refuses them, the log is broken:
// nothing more is acknowledged (so nothing more is released) and the write-ahead file keeps the
// acknowledged entries for the next start.
func (l *Log) integrate(ctx context.Context) {
	for b := range l.toTree {
	more:
		for len(b)+l.maxBatch <= treeBatch {
			select {
			case nb, ok := <-l.toTree:
				if !ok {
					break more
				}
				b = append(b, nb...)
			default:
				break more
			}
		}
		if err, _ := l.broken.Load().(error); err != nil {
			for _, p := range b {
				p.index <- appended{err: err}
			}
			continue
		}
		last, err := l.intoTree(ctx, b)
		if err != nil {
			l.broken.Store(err)
			l.logger.Error("the Merkle tree refused acknowledged entries; the log stops acknowledging until restart, the write-ahead file keeps them", "error", err)
			continue
		}
		l.advance(max(last+1, l.integrated.Load()+uint64(len(b))))
	}
}

// advance records that the tree holds n entries and wakes those waiting for it.
func (l *Log) advance(n uint64) {
	l.advMu.Lock()
	l.integrated.Store(n)
	close(l.advanced)
	l.advanced = make(chan struct{})
	l.advMu.Unlock()
}

// waitIntegrated waits until the tree holds n entries.
func (l *Log) waitIntegrated(ctx context.Context, n uint64) error {
	for {
		l.advMu.Lock()
		ch := l.advanced
		have := l.integrated.Load()
		l.advMu.Unlock()
		if have >= n {
			return nil
		}
		if err, _ := l.broken.Load().(error); err != nil {
			return err
		}
		select {
		case <-ch:
		case <-l.done:
			if l.integrated.Load() >= n {
				return nil
			}
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond): // re-check broken
		}
	}
}

// Keys returns the log's keys.
func (l *Log) Keys() Keys { return l.keys }

// Dir returns the log's directory.
func (l *Log) Dir() string { return l.dir }

// Append adds one entry and returns its index once it is in the tree (durable well before).
// An error means the entry may not be in the log; the caller must not act as if it were (fail
// closed).
func (l *Log) Append(ctx context.Context, e Entry) (uint64, error) {
	idx, err := l.AppendDurable(ctx, e)
	if err != nil {
		return 0, err
	}
	return idx(ctx)
}

// IndexFuture waits for an entry's index in the tree.
type IndexFuture func(ctx context.Context) (uint64, error)

// AppendDurable adds one entry and returns as soon as it is durable: in the write-ahead file
// and synced, so it survives a crash and will be in the tree. The future tells its index once
// the tree holds it (moments later). This is what a release waits for.
func (l *Log) AppendDurable(ctx context.Context, e Entry) (IndexFuture, error) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b, err := e.Encode()
	if err != nil {
		return nil, err
	}
	return l.AppendRaw(ctx, b)
}

// AppendRaw adds already encoded bytes; see AppendDurable.
func (l *Log) AppendRaw(ctx context.Context, b []byte) (IndexFuture, error) {
	if len(b) > MaxEntrySize {
		return nil, fmt.Errorf("audit: entry of %d bytes is over the %d-byte limit", len(b), MaxEntrySize)
	}
	durable := make(chan error, 1)
	index := make(chan appended, 1)
	l.mu.RLock()
	if l.stopped {
		l.mu.RUnlock()
		return nil, ErrClosed
	}
	select {
	case l.queue <- pending{data: b, durable: durable, index: index}:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return nil, fmt.Errorf("audit: append: %w", ctx.Err())
	}
	// Once queued the entry will be written; a caller that stops waiting must treat it as not
	// logged (and so release nothing), even though it may yet appear in the log.
	select {
	case err := <-durable:
		if err != nil {
			return nil, fmt.Errorf("audit: append: %w", err)
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("audit: append: %w", ctx.Err())
	}
	var got appended
	ready := make(chan struct{})
	go func() { got = <-index; close(ready) }() // every acknowledged entry gets its answer
	return func(ctx context.Context) (uint64, error) {
		select {
		case <-ready:
			if got.err != nil {
				return 0, fmt.Errorf("audit: append: %w", got.err)
			}
			return got.index, nil
		case <-ctx.Done():
			return 0, fmt.Errorf("audit: append: %w", ctx.Err())
		}
	}, nil
}

// Size is the number of durable entries (some may still be on their way into the tree).
func (l *Log) Size(ctx context.Context) (uint64, error) { return l.committed.Load(), nil }

// Reader gives read access to the log's tiles, bundles and checkpoint.
func (l *Log) Reader() Source { return l.reader }

// Checkpoint returns the latest published signed checkpoint and what it commits to.
func (l *Log) Checkpoint(ctx context.Context) (*log.Checkpoint, []byte, error) {
	raw, err := l.reader.ReadCheckpoint(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrNoCheckpoint
	}
	if err != nil {
		return nil, nil, fmt.Errorf("audit: read checkpoint: %w", err)
	}
	cp, _, _, err := log.ParseCheckpoint(raw, l.keys.Origin(), l.keys.Verifier)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: the published checkpoint does not verify: %w", err)
	}
	return cp, raw, nil
}

// ErrNoCheckpoint: the log has not published a checkpoint yet.
var ErrNoCheckpoint = errors.New("audit: no checkpoint has been published yet")

// WaitCheckpoint waits until a published checkpoint commits to at least size entries.
func (l *Log) WaitCheckpoint(ctx context.Context, size uint64) (*log.Checkpoint, []byte, error) {
	for {
		cp, raw, err := l.Checkpoint(ctx)
		if err == nil && cp.Size >= size {
			return cp, raw, nil
		}
		if err != nil && !errors.Is(err, ErrNoCheckpoint) {
			return nil, nil, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Record is one entry as read back, with its index.
type Record struct {
	Index uint64
	Data  []byte
}

// Read returns up to n entries starting at index from, among the first size entries.
// Entries not yet in the tree are waited for. The bundles are read at the tree's current size
// (a tree size the tree has not reached has no files yet).
func (l *Log) Read(ctx context.Context, from, n, size uint64) ([]Record, error) {
	end := min(from+n, size)
	if from >= end {
		return nil, nil
	}
	if err := l.waitIntegrated(ctx, end); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return ReadEntries(ctx, l.reader, from, end-from, max(end, l.integrated.Load()))
}

// ReadEntries reads up to n entries from src starting at from, among the first size entries.
func ReadEntries(ctx context.Context, src Source, from, n, size uint64) ([]Record, error) {
	if from >= size || n == 0 {
		return nil, nil
	}
	end := min(from+n, size)
	var out []Record
	for b := from / layout.EntryBundleWidth; b*layout.EntryBundleWidth < end; b++ {
		bundle, err := client.GetEntryBundle(ctx, src.ReadEntryBundle, b, size)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		for i, data := range bundle.Entries {
			idx := b*layout.EntryBundleWidth + uint64(i)
			if idx >= from && idx < end {
				out = append(out, Record{Index: idx, Data: data})
			}
		}
	}
	return out, nil
}

// InclusionProof proves that entry index is in the tree of the given size.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	if index >= size {
		return nil, fmt.Errorf("audit: entry %d is not in a tree of size %d", index, size)
	}
	pb, err := client.NewProofBuilder(ctx, size, l.reader.ReadTile)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return pb.InclusionProof(ctx, index)
}

// ConsistencyProof proves that the tree of size smaller is a prefix of the tree of size larger.
func (l *Log) ConsistencyProof(ctx context.Context, smaller, larger uint64) ([][]byte, error) {
	pb, err := client.NewProofBuilder(ctx, larger, l.reader.ReadTile)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return pb.ConsistencyProof(ctx, smaller, larger)
}

// Close waits for pending entries and a final checkpoint, then stops the log's background work.
func (l *Log) Close() error {
	var err error
	l.closed.Do(func() {
		l.mu.Lock()
		l.stopped = true
		close(l.queue) // the committer writes what is queued, then returns
		l.mu.Unlock()
		<-l.done
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = l.shutdown(ctx)
		l.cancel()
		if n := l.integrated.Load(); n == l.committed.Load() {
			err = errors.Join(err, l.wal.reset(n))
		}
		err = errors.Join(err, l.wal.close())
	})
	return err
}
