package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/inviso/inviso/crypto/he"
	"github.com/inviso/inviso/sandbox/duck"
)

// BenchmarkHEVsDuckDB puts the homomorphic circuits beside the same computation in plaintext
// DuckDB on 1,000,000 rows × 8 features and 100 groups: linear_score (the gated group sums,
// then the circuit) and row_score (the rows read in the sandbox, then the circuit), against
// SELECT g, sum(x·w) … GROUP BY g. Reported: milliseconds of each part, and the sizes of the
// evaluation keys, the encrypted inputs and the result.
func BenchmarkHEVsDuckDB(b *testing.B) {
	ctx := context.Background()
	rows := benchRows() * 5 // 1,000,000 by default
	db, err := duck.Open(ctx, "", duck.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var cols []string
	for i := range 8 {
		cols = append(cols, fmt.Sprintf("(hash(i, %d) %% 1000)::DOUBLE / 10 AS f%d", i, i))
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("CREATE TABLE t AS SELECT (i %% 100)::INTEGER AS g, %s FROM range(%d) r(i)", strings.Join(cols, ", "), rows)); err != nil {
		b.Fatal(err)
	}
	w := []float64{0.5, -1, 0.25, 2, -0.75, 1.5, 0.1, -0.2}
	var terms, sums []string
	for i, x := range w {
		terms = append(terms, fmt.Sprintf("f%d * %g", i, x))
		sums = append(sums, fmt.Sprintf("sum(f%d)", i))
	}
	plainSQL := "SELECT g, sum(" + strings.Join(terms, " + ") + ") FROM t GROUP BY g ORDER BY g"
	sumsSQL := "SELECT g, " + strings.Join(sums, ", ") + ", count(*) FROM t GROUP BY g ORDER BY g"
	rowsSQL := "SELECT g, f0, f1, f2, f3, f4, f5, f6, f7 FROM t"

	set, _ := he.Lookup("ckks-n13")
	keys, err := he.KeyGen(set)
	if err != nil {
		b.Fatal(err)
	}
	mkLinear := func() ([]byte, []byte) {
		m, _ := keys.EvaluationMaterial(he.CircuitLinearScore, 0)
		in, _ := he.EncryptLinearWeights(keys, w)
		mb, _ := m.MarshalBinary()
		ib, _ := in.MarshalBinary()
		return mb, ib
	}
	mkRow := func() ([]byte, []byte) {
		m, _ := keys.EvaluationMaterial(he.CircuitRowScore, 0)
		in, _ := he.EncryptRowWeights(keys, w, 1)
		mb, _ := m.MarshalBinary()
		ib, _ := in.MarshalBinary()
		return mb, ib
	}
	seed := make([]byte, 32)
	timeIt := func(f func() error) time.Duration {
		t0 := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	b.Run("linear_score", func(b *testing.B) {
		mat, in := mkLinear()
		var plain, gsums, circuit []time.Duration
		var res he.Result
		for range b.N {
			plain = append(plain, timeIt(func() error { return drain(db.QueryContext(ctx, plainSQL)) }))
			var groupSums [][]float64
			gsums = append(gsums, timeIt(func() error {
				rs, err := db.QueryContext(ctx, sumsSQL)
				if err != nil {
					return err
				}
				defer rs.Close()
				groupSums = groupSums[:0]
				for rs.Next() {
					var g, n int64
					v := make([]float64, 8)
					if err := rs.Scan(&g, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &n); err != nil {
						return err
					}
					groupSums = append(groupSums, v)
				}
				return rs.Err()
			}))
			circuit = append(circuit, timeIt(func() error {
				var err error
				res, err = he.LinearScore(set, mat, in, groupSums, seed)
				return err
			}))
		}
		out, _ := res.MarshalBinary()
		b.ReportMetric(float64(median(plain).Microseconds())/1000, "duckdb-plain-ms")
		b.ReportMetric(float64(median(gsums).Microseconds())/1000, "group-sums-ms")
		b.ReportMetric(float64(median(circuit).Microseconds())/1000, "he-circuit-ms")
		b.ReportMetric(float64(len(mat)), "key-bytes")
		b.ReportMetric(float64(len(in)), "input-bytes")
		b.ReportMetric(float64(len(out)), "result-bytes")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("row_score", func(b *testing.B) {
		mat, in := mkRow()
		var plain, read, circuit []time.Duration
		var res he.Result
		for range b.N {
			plain = append(plain, timeIt(func() error { return drain(db.QueryContext(ctx, plainSQL)) }))
			features := make([][]float64, 8)
			var groupOf []int
			read = append(read, timeIt(func() error {
				rs, err := db.QueryContext(ctx, rowsSQL)
				if err != nil {
					return err
				}
				defer rs.Close()
				v := make([]float64, 8)
				for rs.Next() {
					var g int
					if err := rs.Scan(&g, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]); err != nil {
						return err
					}
					groupOf = append(groupOf, g)
					for i := range 8 {
						features[i] = append(features[i], v[i])
					}
				}
				return rs.Err()
			}))
			circuit = append(circuit, timeIt(func() error {
				var err error
				res, err = he.RowScore(set, mat, in, features, groupOf, 100, nil, seed)
				return err
			}))
		}
		out, _ := res.MarshalBinary()
		b.ReportMetric(float64(median(plain).Microseconds())/1000, "duckdb-plain-ms")
		b.ReportMetric(float64(median(read).Microseconds())/1000, "read-rows-ms")
		b.ReportMetric(float64(median(circuit).Microseconds())/1000, "he-circuit-ms")
		b.ReportMetric(float64(len(mat)), "key-bytes")
		b.ReportMetric(float64(len(in)), "input-bytes")
		b.ReportMetric(float64(len(out)), "result-bytes")
		b.ReportMetric(0, "ns/op")
	})
}

// drain reads a query's rows to the end.
func drain(rs *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
	}
	return rs.Err()
}
