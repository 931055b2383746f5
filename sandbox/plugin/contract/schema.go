package contract

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// CheckOutputSchema reports whether s is a valid output schema: exactly one RowColumn of type
// int64, at most MaxColumns columns, names matching [A-Za-z_][A-Za-z0-9_]{0,62} that are unique
// ignoring case and do not start with ReservedPrefix (RowColumn aside), and only AllowedTypes.
//
// Its messages name columns by position, never by name: names come from the plugin and could
// carry data.
func CheckOutputSchema(s *arrow.Schema) error {
	if s == nil {
		return fmt.Errorf("output schema is missing")
	}
	if s.NumFields() > MaxColumns {
		return fmt.Errorf("output has %d columns, more than %d", s.NumFields(), MaxColumns)
	}
	rows := 0
	seen := make(map[string]bool, s.NumFields())
	for i, f := range s.Fields() {
		if !validName(f.Name) {
			return fmt.Errorf("output column %d: name is not an identifier of at most 63 characters", i+1)
		}
		low := strings.ToLower(f.Name)
		if seen[low] {
			return fmt.Errorf("output column %d: name repeats an earlier column's (names are compared ignoring case)", i+1)
		}
		seen[low] = true
		if f.Name == RowColumn {
			if f.Type.ID() != arrow.INT64 {
				return fmt.Errorf("output column %d (%s) must be int64, not %s", i+1, RowColumn, typeName(f.Type))
			}
			rows++
			continue
		}
		if strings.HasPrefix(f.Name, ReservedPrefix) {
			return fmt.Errorf("output column %d: names starting with %q are reserved", i+1, ReservedPrefix)
		}
		if !slices.Contains(AllowedTypes, f.Type.ID()) {
			return fmt.Errorf("output column %d has type %s; allowed: integers, floats, bool, utf8", i+1, typeName(f.Type))
		}
	}
	if rows != 1 {
		return fmt.Errorf("output has no %s column", RowColumn)
	}
	return nil
}

// typeName names a type by its ID only: a type's full string can embed plugin-chosen names.
func typeName(t arrow.DataType) string {
	return t.ID().String()
}

func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
