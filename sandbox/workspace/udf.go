package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/inviso/inviso/crypto/pseudonym"
	"github.com/inviso/inviso/sandbox/duck"
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

// chunk computes one chunk through duckdb-go's public row iterator. Rows with a NULL input are
// skipped: with default NULL handling the driver sets their results to NULL after the call.
// Errors never carry a value.
func (u *pseudonymUDF) chunk(_ context.Context, state *duckdb.ChunkIteratorState) error {
	h := u.pool.Get().(*pseudonym.Hasher)
	defer u.pool.Put(h)
	return u.rows(h, state)
}

// rows computes the chunk row by row (one boxed value in and out per row).
func (u *pseudonymUDF) rows(h *pseudonym.Hasher, state *duckdb.ChunkIteratorState) error {
	for row, err := range state.Rows() {
		if err != nil {
			return errors.New(pseudonymFunc + ": reading the input failed")
		}
		s, ok := (*row.GetValuePtr(0)).(string)
		if !ok {
			return errors.New(pseudonymFunc + ": input is not text")
		}
		if err := row.SetResult(h.String(s)); err != nil {
			return errors.New(pseudonymFunc + ": writing the result failed")
		}
	}
	return nil
}

// registerPseudonym registers inviso_pseudonym for key k on conn's instance and checks it.
func registerPseudonym(conn *sql.Conn, k pseudonym.Key) error {
	u, err := newPseudonymUDF(k)
	if err != nil {
		return err
	}
	return duckdb.RegisterScalarUDF(conn, pseudonymFunc, u)
}

// selfTestValues cover inline (≤ 12 bytes) and out-of-line strings, non-ASCII text and NULL.
var selfTestValues = []string{"", "1", "P00000000001", "441202199003071234", "张三丰", "a much longer value than twelve bytes"}

// selfTest proves, in the build instance, that inviso_pseudonym gives the pseudonym package's
// answers (and NULL for NULL) before any raw row goes through it.
func selfTest(ctx context.Context, conn *sql.Conn, k pseudonym.Key) error {
	q := "SELECT i, " + pseudonymFunc + "(v) FROM (VALUES (0, NULL::VARCHAR)"
	for i, v := range selfTestValues {
		q += ", (" + strconv.Itoa(i+1) + ", " + duck.Quote(v) + ")"
	}
	q += ") t(i, v) ORDER BY i"
	rs, err := conn.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rs.Close()
	h := k.NewHasher()
	seen := 0
	for rs.Next() {
		var i int
		var p sql.NullInt64
		if err := rs.Scan(&i, &p); err != nil {
			return err
		}
		switch {
		case i == 0 && p.Valid:
			return fmt.Errorf("%w: %s(NULL) is not NULL", ErrVerify, pseudonymFunc)
		case i > 0 && (!p.Valid || p.Int64 != h.String(selfTestValues[i-1])):
			return fmt.Errorf("%w: %s disagrees with the pseudonym package", ErrVerify, pseudonymFunc)
		}
		seen++
	}
	if err := rs.Err(); err != nil {
		return err
	}
	if seen != len(selfTestValues)+1 {
		return fmt.Errorf("%w: %s self-test returned %d rows", ErrVerify, pseudonymFunc, seen)
	}
	return nil
}
