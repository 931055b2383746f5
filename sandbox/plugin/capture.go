package plugin

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// capped keeps the first max bytes written to it and counts the rest.
type capped struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	max     int
	dropped int64
}

func newCapped(max int) *capped { return &capped{max: max} }

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := c.max - c.buf.Len()
	if room >= len(p) {
		c.buf.Write(p)
		return len(p), nil
	}
	if room > 0 {
		c.buf.Write(p[:room])
	}
	c.dropped += int64(len(p) - max(room, 0))
	return len(p), nil
}

func (c *capped) snapshot() ([]byte, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf.Bytes()), c.dropped
}

func (c *capped) contains(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Contains(c.buf.Bytes(), []byte(s))
}

// errBudget is the panic value of a budget allocator over its limit.
var errBudget = errors.New("output memory budget exceeded")

// budget is an allocator that refuses (by panicking with errBudget, which the Arrow IPC
// reader and Run recover) to hold more than limit bytes at once. It caps what a plugin's
// output, however its Arrow messages are crafted, can make the host allocate.
type budget struct {
	mem      memory.Allocator
	limit    int64
	used     atomic.Int64
	exceeded atomic.Bool
}

var _ memory.Allocator = (*budget)(nil)

func (b *budget) take(n int64) {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		b.exceeded.Store(true)
		panic(errBudget)
	}
}

func (b *budget) Allocate(size int) []byte {
	b.take(int64(size))
	return b.mem.Allocate(size)
}

func (b *budget) Reallocate(size int, p []byte) []byte {
	if d := int64(size - len(p)); d > 0 {
		b.take(d)
	} else {
		b.used.Add(d)
	}
	return b.mem.Reallocate(size, p)
}

func (b *budget) Free(p []byte) {
	b.used.Add(-int64(len(p)))
	b.mem.Free(p)
}
