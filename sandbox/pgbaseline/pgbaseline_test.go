package pgbaseline

import "testing"

// TestPostgresType: every type a workspace column can have gets a PostgreSQL type that holds
// its values exactly (the baseline must answer the same queries with the same results).
func TestPostgresType(t *testing.T) {
	for duckType, want := range map[string]string{
		"VARCHAR": "TEXT", "DOUBLE": "DOUBLE PRECISION", "DECIMAL(12,2)": "NUMERIC(12,2)",
		"BIGINT": "BIGINT", "INTEGER": "INTEGER", "DATE": "DATE", "BOOLEAN": "BOOLEAN",
	} {
		if got := postgresType(duckType); got != want {
			t.Errorf("postgresType(%s) = %s, want %s", duckType, got, want)
		}
	}
}
