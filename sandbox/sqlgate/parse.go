package sqlgate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

// MaxSQLBytes is the longest query text accepted.
const MaxSQLBytes = 64 << 10

// FuncKind is how DuckDB classifies a function.
type FuncKind string

// Function kinds.
const (
	Aggregate FuncKind = "aggregate"
	Scalar    FuncKind = "scalar"
	Window    FuncKind = "window"
	TableFunc FuncKind = "table"
	Macro     FuncKind = "macro"
	Unknown   FuncKind = "unknown"
)

// The parser's two statements, prepared once: DuckDB then neither parses nor plans them again on
// each query (preparing costs about as much as running them). The query text and the tree are
// always bound parameters. json() turns the tree into DuckDB's JSON type about three times
// faster than CAST(… AS JSON) does.
const (
	serializeSQL   = "SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)"
	deserializeSQL = "SELECT json_deserialize_sql(json(CAST(? AS VARCHAR)))"
)

// Parser owns a schema-only DuckDB instance used to parse and regenerate SQL. It is safe for
// concurrent use.
type Parser struct {
	db          *sql.DB
	serialize   *sql.Stmt // serializeSQL
	deserialize *sql.Stmt // deserializeSQL
	funcs       map[string]FuncKind
	parsed      *memo[*Tree]  // ParseFor's trees
	deparsed    *memo[string] // DeparseFor's SQL
}

// NewParser opens the parser's in-memory, locked instance and reads DuckDB's function catalog.
func NewParser(ctx context.Context) (*Parser, error) {
	db, err := duck.Open(ctx, "", duck.Config{Threads: 1, MemoryLimit: "256MB"})
	if err != nil {
		return nil, err
	}
	p := &Parser{db: db, funcs: map[string]FuncKind{}, parsed: newMemo[*Tree](), deparsed: newMemo[string]()}
	if err := p.init(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// init prepares the parser's statements and reads DuckDB's function catalog.
func (p *Parser) init(ctx context.Context) error {
	var err error
	if p.serialize, err = p.db.PrepareContext(ctx, serializeSQL); err != nil {
		return fmt.Errorf("sqlgate: prepare: %w", err)
	}
	if p.deserialize, err = p.db.PrepareContext(ctx, deserializeSQL); err != nil {
		return fmt.Errorf("sqlgate: prepare: %w", err)
	}
	rows, err := p.db.QueryContext(ctx, "SELECT DISTINCT lower(function_name), function_type FROM duckdb_functions() WHERE internal")
	if err != nil {
		return fmt.Errorf("sqlgate: read function catalog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, kind string
		if err := rows.Scan(&name, &kind); err != nil {
			return fmt.Errorf("sqlgate: read function catalog: %w", err)
		}
		k := FuncKind(kind)
		switch {
		case k == "table_macro":
			k = TableFunc
		case k == "pragma":
			continue
		}
		// A name both aggregate and scalar (rare) counts as aggregate: the stricter reading.
		if prev, ok := p.funcs[name]; !ok || k == Aggregate || prev == Unknown {
			p.funcs[name] = k
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlgate: read function catalog: %w", err)
	}
	return nil
}

// Close closes the parser's statements and instance.
func (p *Parser) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{p.serialize, p.deserialize} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(append(errs, p.db.Close())...)
}

// Kind returns how DuckDB classifies a function name (lower case), or Unknown.
func (p *Parser) Kind(name string) FuncKind {
	if k, ok := p.funcs[strings.ToLower(name)]; ok {
		return k
	}
	return Unknown
}

// refuse is a coded refusal of the query text, with one reason.
func refuse(code, format string, args ...any) *fault.Error {
	msg := fmt.Sprintf(format, args...)
	return fault.E(fault.InvalidInput, "%s", msg).With(fault.Reason{Code: code, Message: msg})
}

// Tree is a parsed statement: DuckDB's serialized parse tree of exactly one SELECT.
type Tree struct {
	root map[string]any // the SELECT_NODE
	raw  map[string]any // the whole document, for regeneration
	size int            // bytes of the serialized document it was parsed from (0 if built)
}

// Parse checks the text and parses it into exactly one SELECT. The text is passed to DuckDB as
// a bound parameter, never spliced into SQL: duckdb-go runs every statement of a string but the
// last, so the text itself must never be handed to Query or Exec.
func (p *Parser) Parse(ctx context.Context, text string) (*Tree, error) {
	switch {
	case len(text) == 0 || strings.TrimSpace(text) == "":
		return nil, refuse("empty_sql", "the query is empty")
	case len(text) > MaxSQLBytes:
		return nil, refuse("sql_too_long", "the query is %d bytes long; at most %d", len(text), MaxSQLBytes)
	case !utf8.ValidString(text):
		return nil, refuse("invalid_utf8", "the query is not valid UTF-8")
	case strings.ContainsRune(text, 0):
		return nil, refuse("nul_byte", "the query contains a NUL byte")
	case strings.Contains(text, "--") || strings.Contains(text, "/*"):
		// DuckDB's parser drops comments silently; a comment can hide what a reviewer reads.
		return nil, refuse("comment", "comments are not allowed in queries (-- or /* */ anywhere, even inside a string)")
	}
	var out string
	if err := p.serialize.QueryRowContext(ctx, text).Scan(&out); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fault.Wrap(err, fault.InvalidInput, "the query could not be parsed").With(fault.Reason{Code: "parse_error", Message: "the query could not be parsed"})
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("sqlgate: decode parse tree: %w", err)
	}
	if e, _ := doc["error"].(bool); e {
		// DuckDB only serializes SELECT; its message names the statement kind, or a syntax
		// error with the position. Neither carries data, but only the kind of failure is shown.
		msg, _ := doc["error_message"].(string)
		if strings.Contains(msg, "Only SELECT") {
			return nil, refuse("not_select", "only a single SELECT may be run (no PRAGMA, SET, ATTACH, COPY, CREATE, CALL, PIVOT, DML…)")
		}
		return nil, refuse("syntax_error", "syntax error: %s", syntaxHint(msg))
	}
	stmts, _ := doc["statements"].([]any)
	if len(stmts) != 1 {
		return nil, refuse("multiple_statements", "exactly one statement may be sent; this text holds %d", len(stmts))
	}
	st, _ := stmts[0].(map[string]any)
	node, _ := st["node"].(map[string]any)
	if node == nil {
		return nil, refuse("unclassified", "the statement could not be classified")
	}
	return &Tree{root: node, raw: doc, size: len(out)}, nil
}

// syntaxHint keeps DuckDB's syntax message short and value-free: the part up to the quoted
// token (the token is the developer's own text, but may be a literal) and the position.
func syntaxHint(msg string) string {
	msg = strings.SplitN(msg, "\n", 2)[0]
	if i := strings.IndexAny(msg, `"'`); i > 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

// Deparse regenerates SQL from a (checked, possibly rewritten) tree.
func (p *Parser) Deparse(ctx context.Context, t *Tree) (string, error) {
	b, err := appendJSON(make([]byte, 0, 4096), t.raw)
	if err != nil {
		return "", err
	}
	return p.deparseJSON(ctx, b)
}

// deparseJSON regenerates SQL from a serialized tree.
func (p *Parser) deparseJSON(ctx context.Context, b []byte) (string, error) {
	var out sql.NullString
	if err := p.deserialize.QueryRowContext(ctx, string(b)).Scan(&out); err != nil {
		return "", fmt.Errorf("sqlgate: regenerate SQL: %w", err)
	}
	if !out.Valid || out.String == "" {
		return "", errors.New("sqlgate: regenerate SQL: empty result")
	}
	return out.String, nil
}

// clone deep-copies a tree, so a rewrite never changes the analysed one.
func (t *Tree) clone() *Tree {
	doc := deepCopy(t.raw).(map[string]any)
	node := doc["statements"].([]any)[0].(map[string]any)["node"].(map[string]any)
	return &Tree{root: node, raw: doc, size: t.size}
}

// deepCopy copies a decoded JSON value: maps and slices are copied, and the leaves (strings,
// json.Number, booleans, nil) are immutable.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, vv := range x {
			out[k] = deepCopy(vv)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = deepCopy(vv)
		}
		return out
	}
	return v
}
