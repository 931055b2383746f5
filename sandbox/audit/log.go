package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
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
	// BatchMaxSize caps how many entries share one write (default 256).
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

	mu       sync.RWMutex // held for reading while queueing; Close takes it to stop appends
	stopped  bool
	queue    chan pending
	maxBatch int
	done     chan struct{} // closed when the committer has returned
	closed   sync.Once
}

// ErrClosed: the log was closed.
var ErrClosed = errors.New("audit: the log is closed")

// Open opens (creating on first use) the log in opt.Dir.
func Open(ctx context.Context, opt Options) (*Log, error) {
	if opt.Dir == "" || opt.Keys.Signer == nil {
		return nil, errors.New("audit: a log needs a directory and a signing key")
	}
	if opt.BatchMaxSize == 0 {
		opt.BatchMaxSize = 256
	}
	if opt.CheckpointInterval <= 0 {
		opt.CheckpointInterval = 500 * time.Millisecond
	}
	if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	klog.SetSlogLogger(opt.Logger.With("component", "tessera")) // tessera logs through klog
	driver, err := posix.New(ctx, posix.Config{Path: opt.Dir})
	if err != nil {
		return nil, fmt.Errorf("audit: open storage: %w", err)
	}
	// The appender's background work (batching, checkpoint publishing) lives until Close.
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	appender, shutdown, reader, err := tessera.NewAppender(lctx, driver, tessera.NewAppendOptions().
		WithCheckpointSigner(opt.Keys.Signer).
		// The committer hands tessera one group at a time; the short age only lets the group's
		// entries, added back to back, land in one batch.
		WithBatching(opt.BatchMaxSize, 100*time.Microsecond).
		WithCheckpointInterval(opt.CheckpointInterval).
		WithCheckpointRepublishInterval(time.Hour))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("audit: open appender: %w", err)
	}
	l := &Log{keys: opt.Keys, dir: opt.Dir, add: appender.Add, reader: reader, shutdown: shutdown, cancel: cancel,
		queue: make(chan pending, 4*opt.BatchMaxSize), maxBatch: int(opt.BatchMaxSize), done: make(chan struct{})}
	go l.commit(lctx)
	return l, nil
}

// pending is an entry waiting for the committer.
type pending struct {
	data   []byte
	result chan<- appended
}

type appended struct {
	index uint64
	err   error
}

// commit is the log's group commit: it takes every entry waiting, hands them to tessera as one
// batch (one set of writes and fsyncs), waits until they are integrated, and only then takes
// the next group. Entries arriving while a group is written wait and form the next group, so
// concurrent appends share fsyncs and batches never fragment.
func (l *Log) commit(ctx context.Context) {
	defer close(l.done)
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
		futures := make([]tessera.IndexFuture, len(group))
		for i, p := range group {
			futures[i] = l.add(ctx, tessera.NewEntry(p.data))
		}
		for i, p := range group {
			idx, err := futures[i]()
			p.result <- appended{idx.Index, err}
		}
	}
}

// Keys returns the log's keys.
func (l *Log) Keys() Keys { return l.keys }

// Dir returns the log's directory.
func (l *Log) Dir() string { return l.dir }

// Append adds one entry and returns its index once it is durable: written, integrated into the
// tree and fsynced. An error means the entry may not be in the log; the caller must not act as
// if it were (fail closed).
func (l *Log) Append(ctx context.Context, e Entry) (uint64, error) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b, err := e.Encode()
	if err != nil {
		return 0, err
	}
	return l.AppendRaw(ctx, b)
}

// AppendRaw adds already encoded bytes; see Append.
func (l *Log) AppendRaw(ctx context.Context, b []byte) (uint64, error) {
	if len(b) > MaxEntrySize {
		return 0, fmt.Errorf("audit: entry of %d bytes is over the %d-byte limit", len(b), MaxEntrySize)
	}
	res := make(chan appended, 1)
	l.mu.RLock()
	if l.stopped {
		l.mu.RUnlock()
		return 0, ErrClosed
	}
	select {
	case l.queue <- pending{data: b, result: res}:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return 0, fmt.Errorf("audit: append: %w", ctx.Err())
	}
	// Once queued the entry will be written; a caller that stops waiting must treat it as not
	// logged (and so release nothing), even though it may yet appear in the log.
	select {
	case r := <-res:
		if r.err != nil {
			return 0, fmt.Errorf("audit: append: %w", r.err)
		}
		return r.index, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("audit: append: %w", ctx.Err())
	case <-l.done:
		select {
		case r := <-res:
			if r.err == nil {
				return r.index, nil
			}
		default:
		}
		return 0, ErrClosed
	}
}

// Size is the number of durable entries.
func (l *Log) Size(ctx context.Context) (uint64, error) { return l.reader.IntegratedSize(ctx) }

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
func (l *Log) Read(ctx context.Context, from, n, size uint64) ([]Record, error) {
	return ReadEntries(ctx, l.reader, from, n, size)
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
	})
	return err
}
