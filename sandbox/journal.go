package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"time"

	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// DefaultLogOrigin names the job log in its checkpoints when Options.LogOrigin is empty.
const DefaultLogOrigin = "inviso.sandbox/job-log"

// AppendFunc appends one encoded entry to the job log and returns once it is durable, with a
// future of its index in the tree.
type AppendFunc func(ctx context.Context, entry []byte) (audit.IndexFuture, error)

// openJournal opens the job log and its signing key.
func (sb *Sandbox) openJournal(ctx context.Context) error {
	origin := sb.opt.LogOrigin
	if origin == "" {
		origin = DefaultLogOrigin
	}
	keys, err := audit.LoadOrCreateKeys(filepath.Join(sb.opt.DataDir, "keys", "log.key"), origin)
	if err != nil {
		return err
	}
	if sb.journal, err = audit.Open(ctx, audit.Options{Dir: filepath.Join(sb.opt.DataDir, "log"), Keys: keys, Logger: sb.log}); err != nil {
		return err
	}
	sb.append = sb.journal.AppendRaw
	if sb.opt.WrapAppend != nil {
		sb.append = sb.opt.WrapAppend(sb.append)
	}
	return nil
}

// recordChange is the catalog's recorder: every state change becomes a log entry before it
// commits.
func (sb *Sandbox) recordChange(ctx context.Context, ch catalog.Change) (uint64, error) {
	e, err := audit.New(ch.Actor, ch.Kind, ch.Subject, ch.Body)
	if err != nil {
		return 0, err
	}
	e.Grant, e.Time = ch.Grant, ch.At
	return sb.appendIndexed(ctx, e)
}

// appendIndexed appends an entry and waits for its index in the tree.
func (sb *Sandbox) appendIndexed(ctx context.Context, e audit.Entry) (uint64, error) {
	b, err := e.Encode()
	if err != nil {
		return 0, err
	}
	idx, err := sb.append(ctx, b)
	if err != nil {
		return 0, err
	}
	return idx(ctx)
}

// recordJob writes a job's outcome to the log. Nothing about the job (result, refusal, check)
// may reach the caller before this returns without error. The index is updated after, in the
// background.
func (sb *Sandbox) recordJob(ctx context.Context, j catalog.Job) error {
	j.CreatedAt = j.CreatedAt.UTC()
	j.Timings = maps.Clone(j.Timings) // the caller goes on timing; the record is what was true now
	body := j
	body.PolicyInput = nil // the log keeps its digest; the index keeps the document
	e, err := audit.New(j.Principal, audit.KindJob, j.ID, body)
	if err != nil {
		return fault.Wrap(err, fault.Internal, "encode job record")
	}
	e.Grant, e.Time = j.Grant, j.CreatedAt
	entry, err := e.Encode()
	if err != nil {
		// Over the entry size limit (a very long query): log the texts by digest only. The
		// index keeps the texts, and replay checks them against these digests.
		body.SQL, body.Rewritten = "", ""
		body.Truncated = true
		if e, err = audit.New(j.Principal, audit.KindJob, j.ID, body); err != nil {
			return fault.Wrap(err, fault.Internal, "encode job record")
		}
		e.Grant, e.Time = j.Grant, j.CreatedAt
		if entry, err = e.Encode(); err != nil {
			return fault.Wrap(err, fault.Internal, "encode job record")
		}
	}
	idx, err := sb.append(context.WithoutCancel(ctx), entry) // durable: enough to release
	if err != nil {
		sb.log.Error("job log write failed; nothing is released", "job", j.ID, "error", fault.Redact(err))
		return fault.Wrap(err, fault.AuditUnavailable, "the job could not be written to the job log; nothing was released")
	}
	sb.indexer.add(pendingIndex{index: idx, in: catalog.Indexed{Event: catalog.Event{At: j.CreatedAt, Actor: j.Principal, Kind: audit.KindJob, Subject: j.ID, Grant: j.Grant}, Job: &j}})
	return nil
}

// reindex brings the catalog's index up to the log: entries a crash left unindexed are read
// back from the log, which is the truth.
func (sb *Sandbox) reindex(ctx context.Context) error {
	size, err := sb.journal.Size(ctx)
	if err != nil {
		return err
	}
	from, err := sb.catalog.IndexGap(ctx)
	if err != nil {
		return err
	}
	const chunk = 1024
	n := 0
	for ; from < size; from += chunk {
		recs, err := sb.journal.Read(ctx, from, chunk, size)
		if err != nil {
			return err
		}
		batch := make([]catalog.Indexed, 0, len(recs))
		for _, r := range recs {
			in, err := indexedOf(r)
			if err != nil {
				return fmt.Errorf("reindex: log entry %d: %w", r.Index, err)
			}
			batch = append(batch, in)
		}
		if err := sb.catalog.Index(ctx, batch); err != nil {
			return err
		}
		n += len(batch)
	}
	if n > 0 {
		sb.log.Warn("indexed job log entries a crash had left unindexed", "entries", n)
	}
	return nil
}

// indexedOf turns a log record into its index rows.
func indexedOf(r audit.Record) (catalog.Indexed, error) {
	e, err := audit.Decode(r.Data)
	if err != nil {
		return catalog.Indexed{}, err
	}
	in := catalog.Indexed{Event: catalog.Event{Index: r.Index, At: e.Time, Actor: e.Actor, Kind: e.Kind, Subject: e.Subject, Grant: e.Grant}}
	if e.Kind == audit.KindJob {
		var j catalog.Job
		if err := json.Unmarshal(e.Body, &j); err != nil {
			return catalog.Indexed{}, err
		}
		in.Job = &j
	}
	return in, nil
}

// indexLinger is how long the indexer waits for more records before writing a batch.
const indexLinger = 50 * time.Millisecond

// indexer writes job records into the catalog's index in batches, off the release path.
type indexer struct {
	cat     *catalog.Catalog
	onError func(error)
	ch      chan pendingIndex
	syncs   chan chan struct{}
	done    chan struct{}
	mu      sync.Mutex // guards closed and sends on ch
	closed  bool
}

func newIndexer(cat *catalog.Catalog, onError func(error)) *indexer {
	ix := &indexer{cat: cat, onError: onError, ch: make(chan pendingIndex, 4096), syncs: make(chan chan struct{}), done: make(chan struct{})}
	go ix.run()
	return ix
}

// pendingIndex is a job record waiting for its entry's index in the tree.
type pendingIndex struct {
	index audit.IndexFuture
	in    catalog.Indexed
}

// add queues a record; after close it is dropped (the next start indexes it from the log).
func (ix *indexer) add(p pendingIndex) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return
	}
	ix.ch <- p
}

// sync returns once everything added before it is indexed.
func (ix *indexer) sync() {
	done := make(chan struct{})
	select {
	case ix.syncs <- done:
		<-done
	case <-ix.done:
	}
}

// close indexes what is queued and stops.
func (ix *indexer) close() {
	ix.mu.Lock()
	ix.closed = true
	close(ix.ch)
	ix.mu.Unlock()
	<-ix.done
}

func (ix *indexer) run() {
	defer close(ix.done)
	var waiting []pendingIndex
	flush := func() {
		if len(waiting) == 0 {
			return
		}
		// The entries are durable; their indexes come once the tree holds them (moments).
		batch := make([]catalog.Indexed, 0, len(waiting))
		for _, p := range waiting {
			idx, err := p.index(context.Background())
			if err != nil {
				ix.onError(err) // the next start reindexes from the log
				continue
			}
			p.in.Event.Index = idx
			batch = append(batch, p.in)
		}
		waiting = waiting[:0]
		// A failure leaves the entries unindexed, not lost: the next start reindexes them.
		if err := ix.cat.Index(context.Background(), batch); err != nil {
			ix.onError(err)
		}
	}
	// takeQueued moves what is already queued into the batch (a sync must see it indexed).
	takeQueued := func() {
		for {
			select {
			case in, ok := <-ix.ch:
				if !ok {
					return
				}
				waiting = append(waiting, in)
			default:
				return
			}
		}
	}
	for {
		select {
		case in, ok := <-ix.ch:
			if !ok {
				flush()
				return
			}
			waiting = append(waiting, in)
			// Linger a moment so a burst of jobs shares one transaction: DuckDB commits
			// cost far more than rows. Job() syncs when it misses a job still waiting here.
			linger := time.After(indexLinger)
		drain:
			for len(waiting) < 1024 {
				select {
				case in, ok := <-ix.ch:
					if !ok {
						break drain
					}
					waiting = append(waiting, in)
				case done := <-ix.syncs:
					takeQueued()
					flush()
					close(done)
					break drain
				case <-linger:
					break drain
				}
			}
			flush()
		case done := <-ix.syncs:
			takeQueued()
			flush()
			close(done)
		}
	}
}

// ledger holds what each grant has spent: the jobs and the DP epsilon the log records as spent,
// plus what jobs running now have reserved. Reservations are atomic, so concurrent jobs never
// overspend either budget; a reservation is given back only when its job releases nothing.
type ledger struct {
	mu   sync.Mutex
	used map[string]catalog.Usage
}

// reserveEpsilon takes eps millionths of epsilon from a grant whose job was already counted.
func (l *ledger) reserveEpsilon(g catalog.Grant, eps int64) error {
	if eps == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.used[g.ID]
	if total := g.DP.TotalMicro(); u.EpsilonMicro+eps > total {
		left := float64(total-u.EpsilonMicro) / 1e6
		return fault.E(fault.BudgetExhausted, "grant %s has epsilon %.6g of its privacy budget %g left; a query spends %g",
			g.ID, left, g.DP.Epsilon, float64(eps)/1e6).With(fault.Reason{Code: "budget_exhausted",
			Message: fmt.Sprintf("privacy budget left: epsilon %.6g; a query needs %g", left, float64(eps)/1e6)})
	}
	u.EpsilonMicro += eps
	l.used[g.ID] = u
	return nil
}

// check is reserve without taking anything (for check_only).
func (l *ledger) check(g catalog.Grant, eps int64) error {
	if err := l.reserve(g, eps); err != nil {
		return err
	}
	l.giveBack(g.ID, eps, false)
	return nil
}

// reserve takes one job and eps millionths of epsilon (0 for a job without DP) from the grant.
func (l *ledger) reserve(g catalog.Grant, eps int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.used[g.ID]
	if u.Jobs >= g.JobBudget {
		return fault.E(fault.BudgetExhausted, "grant %s has used all %d of its jobs", g.ID, g.JobBudget)
	}
	if eps > 0 {
		total := g.DP.TotalMicro()
		if u.EpsilonMicro+eps > total {
			left := float64(total-u.EpsilonMicro) / 1e6
			return fault.E(fault.BudgetExhausted, "grant %s has epsilon %.6g of its privacy budget %g left; a query spends %g",
				g.ID, left, g.DP.Epsilon, float64(eps)/1e6).With(fault.Reason{Code: "budget_exhausted",
				Message: fmt.Sprintf("privacy budget left: epsilon %.6g; a query needs %g", left, float64(eps)/1e6)})
		}
	}
	u.Jobs++
	u.EpsilonMicro += eps
	if l.used == nil {
		l.used = map[string]catalog.Usage{}
	}
	l.used[g.ID] = u
	return nil
}

// giveBack returns a reservation whose job released nothing. keepJob keeps the job counted (a
// job that ran and failed spent its turn, but no privacy: nothing was released).
func (l *ledger) giveBack(grant string, eps int64, keepJob bool) {
	l.mu.Lock()
	u := l.used[grant]
	if !keepJob {
		u.Jobs--
	}
	u.EpsilonMicro -= eps
	l.used[grant] = u
	l.mu.Unlock()
}

func (l *ledger) of(grant string) catalog.Usage {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used[grant]
}
