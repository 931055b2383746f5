package sqlgate

import (
	"context"
	"sync"
)

// Parsing and regenerating SQL each take a round trip through DuckDB (about 0.3–0.4 ms of CPU
// apiece, a third of a small query's whole cost). Both are pure functions of their input for
// a given DuckDB build, so the parser remembers recent answers: a dashboard sending the same
// query again skips both. Only successes are remembered; a refused text is parsed again.
//
// The memo is scoped: a caller's entries are seen only by the same caller (the scope is part
// of the key). Otherwise the time a parse takes would tell one developer whether another had
// recently sent the same text.

// Memo limits: entries per memo, and the bytes of keys and values they hold (a 64 KiB query
// and its tree count in full).
const (
	memoEntries = 4096
	memoBytes   = 32 << 20
)

// memo is a bounded map. When full, it drops arbitrary entries (Go's map order) until the new
// one fits: no ordering to maintain, and a working set well under the bound stays resident.
type memo[V any] struct {
	mu    sync.Mutex
	m     map[string]memoEntry[V]
	bytes int
}

type memoEntry[V any] struct {
	v    V
	size int
}

func newMemo[V any]() *memo[V] { return &memo[V]{m: map[string]memoEntry[V]{}} }

func (c *memo[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	return e.v, ok
}

// put remembers v under key; size is what v holds beyond the key, in bytes.
func (c *memo[V]) put(key string, v V, size int) {
	size += len(key)
	if size > memoBytes/16 {
		return // one entry may not crowd out the others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		c.bytes -= old.size
		delete(c.m, key)
	}
	for k, e := range c.m {
		if len(c.m) < memoEntries && c.bytes+size <= memoBytes {
			break
		}
		c.bytes -= e.size
		delete(c.m, k)
	}
	c.m[key] = memoEntry[V]{v: v, size: size}
	c.bytes += size
}

func (c *memo[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// scoped joins a scope and a text into a key no other (scope, text) pair shares.
func scoped(scope, text string) string {
	return scope + "\x00" + text // a scope (a principal id) holds no NUL
}

// ParseFor is Parse, remembering the tree for the same scope and text. The caller gets its
// own copy: trees are changed in place by template substitution, never the remembered one.
func (p *Parser) ParseFor(ctx context.Context, scope, text string) (*Tree, error) {
	key := scoped(scope, text)
	if t, ok := p.parsed.get(key); ok {
		return t.clone(), nil
	}
	t, err := p.Parse(ctx, text)
	if err != nil {
		return nil, err
	}
	p.parsed.put(key, t.clone(), t.size)
	return t, nil
}

// DeparseFor is Deparse, remembering the SQL regenerated from the same tree for the same scope.
func (p *Parser) DeparseFor(ctx context.Context, scope string, t *Tree) (string, error) {
	doc, err := appendJSON(make([]byte, 0, 4096), t.raw)
	if err != nil {
		return "", err
	}
	key := scoped(scope, string(doc))
	if s, ok := p.deparsed.get(key); ok {
		return s, nil
	}
	s, err := p.deparseJSON(ctx, doc)
	if err != nil {
		return "", err
	}
	p.deparsed.put(key, s, len(s))
	return s, nil
}
