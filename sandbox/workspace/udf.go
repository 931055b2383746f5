package workspace

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/inviso/inviso/crypto/pseudonym"
)

// pseudonymFunc is the name of the scalar function that computes pseudonyms in a build instance.
// It exists only in that instance (DuckDB does not store functions in the database file).
const pseudonymFunc = "inviso_pseudonym"

// pseudonymUDF is inviso_pseudonym(VARCHAR) → BIGINT: the grant key's pseudonym of the text.
// DuckDB calls it from several threads at once, one chunk (up to 2048 rows) per call; each call
// takes a Hasher from the pool, so the HMAC state is reused but never shared.
type pseudonymUDF struct {
	varchar, bigint duckdb.TypeInfo
	pool            sync.Pool
}

func newPseudonymUDF(k pseudonym.Key) (*pseudonymUDF, error) {
	varchar, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return nil, err
	}
	bigint, err := duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	if err != nil {
		return nil, err
	}
	u := &pseudonymUDF{varchar: varchar, bigint: bigint}
	u.pool.New = func() any { return k.NewHasher() }
	return u, nil
}

func (u *pseudonymUDF) Config() duckdb.ScalarFuncConfig {
	// Default NULL handling: NULL in, NULL out. Not volatile: equal text, equal pseudonym.
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{u.varchar}, ResultTypeInfo: u.bigint}
}

func (u *pseudonymUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: u.chunk}
}

// chunk computes one chunk. duckdb-go's Rows skips NULL inputs and sets their results to NULL.
// Errors never carry the value: the message is fixed.
func (u *pseudonymUDF) chunk(_ context.Context, state *duckdb.ChunkIteratorState) error {
	h := u.pool.Get().(*pseudonym.Hasher)
	defer u.pool.Put(h)
	for row, err := range state.Rows() {
		if err != nil {
			return fmt.Errorf("%s: reading the input chunk failed", pseudonymFunc)
		}
		s, ok := (*row.GetValuePtr(0)).(string)
		if !ok {
			return fmt.Errorf("%s: input is not text", pseudonymFunc)
		}
		if err := row.SetResult(h.String(s)); err != nil {
			return fmt.Errorf("%s: writing the result failed", pseudonymFunc)
		}
	}
	return nil
}

// registerPseudonym registers inviso_pseudonym for key k on conn's instance.
func registerPseudonym(conn *sql.Conn, k pseudonym.Key) error {
	u, err := newPseudonymUDF(k)
	if err != nil {
		return err
	}
	return duckdb.RegisterScalarUDF(conn, pseudonymFunc, u)
}
