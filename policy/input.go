package policy

import (
	"encoding/json"
	"errors"

	"github.com/open-policy-agent/opa/v1/ast"
)

// errJSON is returned for a document parseValue cannot read; Decide wraps it in ErrEvaluation.
var errJSON = errors.New("not a single valid JSON value")

// parseValue turns one JSON document into the OPA value ast.ValueFromReader would make of it,
// without the detour through map[string]any: it is on the path of every decision. Numbers keep
// their text (as json.Number does), strings with escapes or non-ASCII bytes are unquoted by
// encoding/json itself, and a key given twice keeps its last value, as encoding/json does.
func parseValue(b []byte) (ast.Value, error) {
	if !json.Valid(b) {
		return nil, errJSON
	}
	p := jsonParser{b: b}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.space(); p.i != len(p.b) {
		return nil, errJSON
	}
	return v, nil
}

// jsonParser reads a document json.Valid has accepted, so it checks the grammar only as far as
// it needs to stay in bounds.
type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// literal consumes lit, which must come next.
func (p *jsonParser) literal(lit string) error {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return errJSON
	}
	p.i += len(lit)
	return nil
}

func (p *jsonParser) value() (ast.Value, error) {
	p.space()
	if p.i >= len(p.b) {
		return nil, errJSON
	}
	switch c := p.b[p.i]; c {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return ast.String(s), nil
	case 't':
		return ast.Boolean(true), p.literal("true")
	case 'f':
		return ast.Boolean(false), p.literal("false")
	case 'n':
		return ast.Null{}, p.literal("null")
	default:
		start := p.i
		for p.i < len(p.b) && isNumberByte(p.b[p.i]) {
			p.i++
		}
		if p.i == start {
			return nil, errJSON
		}
		return ast.InterfaceToValue(json.Number(p.b[start:p.i]))
	}
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// string reads a string token. Plain ASCII is taken as is; anything else (escapes, UTF-8, which
// encoding/json checks and repairs) is unquoted by encoding/json.
func (p *jsonParser) string() (string, error) {
	start := p.i
	p.i++ // opening quote
	plain := true
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			if plain {
				return string(p.b[start+1 : p.i-1]), nil
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return "", errJSON
			}
			return s, nil
		case c == '\\':
			plain = false
			p.i += 2
		default:
			if c < 0x20 || c >= 0x80 {
				plain = false
			}
			p.i++
		}
	}
	return "", errJSON
}

// smallObject is the size up to which object looks for a repeated key by scanning the keys read
// so far, rather than through a map.
const smallObject = 16

func (p *jsonParser) object() (ast.Value, error) {
	p.i++ // {
	var kvs [][2]*ast.Term
	var index map[string]int // key → position in kvs, once the object is large
	for {
		p.space()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return ast.NewObject(kvs...), nil
		}
		if len(kvs) > 0 {
			if err := p.literal(","); err != nil {
				return nil, err
			}
			p.space()
		}
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, errJSON
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		p.space()
		if err := p.literal(":"); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if at := position(kvs, &index, k); at >= 0 {
			kvs[at][1] = ast.NewTerm(v) // the last value wins
			continue
		}
		kvs = append(kvs, [2]*ast.Term{ast.StringTerm(k), ast.NewTerm(v)})
		if index != nil {
			index[k] = len(kvs) - 1
		}
	}
}

// position returns the position of key k among the keys read so far, or -1. Past smallObject
// keys it builds (in *index) and uses a map, so a large object costs linear time.
func position(kvs [][2]*ast.Term, index *map[string]int, k string) int {
	if *index == nil && len(kvs) >= smallObject {
		*index = make(map[string]int, 2*len(kvs))
		for i, kv := range kvs {
			(*index)[string(kv[0].Value.(ast.String))] = i
		}
	}
	if *index != nil {
		if at, ok := (*index)[k]; ok {
			return at
		}
		return -1
	}
	for i, kv := range kvs {
		if string(kv[0].Value.(ast.String)) == k {
			return i
		}
	}
	return -1
}

func (p *jsonParser) array() (ast.Value, error) {
	p.i++ // [
	var elems []*ast.Term
	for {
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return ast.NewArray(elems...), nil
		}
		if len(elems) > 0 {
			if err := p.literal(","); err != nil {
				return nil, err
			}
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		elems = append(elems, ast.NewTerm(v))
	}
}
