package sandbox

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/rules"
)

// benchSuite is the SQL jobs issue's suite of typical aggregate queries.
var benchSuite = []struct{ name, sql string }{
	{"count_by_district", "SELECT district, count(*) AS n FROM citizens GROUP BY district"},
	{"count_by_district_gender", "SELECT district, gender, count(*) AS n FROM citizens GROUP BY district, gender"},
	{"avg_income_by_band", "SELECT birth_date, avg(income) AS mean FROM citizens GROUP BY birth_date"},
	{"income_stats_by_gender", "SELECT gender, avg(income), stddev_samp(income), count(*) FROM citizens GROUP BY gender"},
	{"filtered_count", "SELECT district, count(*) FROM citizens WHERE gender = '女' AND birth_date >= 1980 GROUP BY district"},
	{"sum_income_by_district_band", "SELECT district, birth_date, sum(income) FROM citizens GROUP BY district, birth_date"},
	{"benefits_by_program", "SELECT program, count(*) AS n, sum(amount) AS total FROM benefits GROUP BY program"},
	{"join_by_program", "SELECT b.program, count(*) AS n, avg(c.income) FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY b.program"},
}

type benchWorld struct {
	sb    *Sandbox
	dev   catalog.Principal
	grant catalog.Grant
	raw   *sql.DB // a plain DuckDB instance on a copy of the grant's workspace

	appendMu sync.Mutex
	appends  []time.Duration // how long each job log append took until durable
}

// takeAppends returns the append times recorded since the last call.
func (w *benchWorld) takeAppends() []time.Duration {
	w.appendMu.Lock()
	defer w.appendMu.Unlock()
	out := w.appends
	w.appends = nil
	return out
}

func newBenchWorld(b *testing.B, rows int) *benchWorld { return newBenchWorldThreads(b, rows, 0) }

// newBenchWorldThreads is newBenchWorld with every DuckDB instance (the sandbox's and the raw
// baseline's) limited to threads (0: DuckDB's default, all cores).
func newBenchWorldThreads(b *testing.B, rows, threads int) *benchWorld {
	b.Helper()
	ctx := context.Background()
	w := &benchWorld{}
	// Every append to the job log is timed: the log stage of the gate breakdown.
	timed := func(next AppendFunc) AppendFunc {
		return func(ctx context.Context, entry []byte) (audit.IndexFuture, error) {
			t := time.Now()
			f, err := next(ctx, entry)
			w.appendMu.Lock()
			w.appends = append(w.appends, time.Since(t))
			w.appendMu.Unlock()
			return f, err
		}
	}
	sb, err := Open(ctx, Options{DataDir: b.TempDir(), DuckDB: duck.Config{Threads: threads}, QueryTimeout: 5 * time.Minute, WrapAppend: timed})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	admin := catalog.Principal{ID: AdminPrincipal, Agency: PlatformAgency, Roles: []catalog.Role{catalog.RoleAdmin}}
	for id, kind := range map[string]catalog.AgencyKind{"ca": catalog.KindSource, "hr": catalog.KindSource, "dev": catalog.KindDevelopment} {
		sb.CreateAgency(ctx, admin, catalog.Agency{ID: id, Name: id, Kind: kind})
	}
	dev := catalog.Principal{ID: "dev", Agency: "dev", Roles: []catalog.Role{catalog.RoleDeveloper}}
	impl := catalog.Principal{ID: "impl", Agency: "dev", Roles: []catalog.Role{catalog.RoleImplementer}}
	dir := b.TempDir()
	for _, s := range []struct {
		agency, name string
		table        synth.Table
		rules        string
	}{{"ca", "citizens", synth.Citizens, citizensRules}, {"hr", "benefits", synth.Benefits, benefitsRules}} {
		src := catalog.Principal{ID: s.agency + "-src", Agency: s.agency, Roles: []catalog.Role{catalog.RoleSource}}
		if _, err := sb.RegisterDataset(ctx, src, catalog.Dataset{Name: s.name, Description: s.name, Classification: catalog.L3Sensitive, PrivacyUnit: "person_id", UpdateFrequency: "once"}); err != nil {
			b.Fatal(err)
		}
		path, _, err := synth.WriteFile(ctx, dir, memory.DefaultAllocator, s.table, synth.Parquet, synth.Config{Rows: rows, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		f, _ := os.Open(path)
		_, err = sb.Import(ctx, src, s.name, f, ImportOptions{Format: "parquet"})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		set, _ := rules.Parse([]byte(s.rules))
		if _, err := sb.SetRules(ctx, src, s.name, set, 0); err != nil {
			b.Fatal(err)
		}
	}
	sc, err := sb.RequestScenario(ctx, dev, catalog.ScenarioRequest{Name: "bench", Purpose: "bench", Use: catalog.PublicInterest,
		Datasets:   map[string][]string{"citizens": {"person_id", "district", "gender", "birth_date", "income"}, "benefits": {"person_id", "program", "amount"}},
		ValidUntil: time.Now().Add(24 * time.Hour), JobBudget: 10_000_000})
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range []string{"ca", "hr"} {
		if _, err := sb.ConsentScenario(ctx, catalog.Principal{ID: a + "-src", Agency: a, Roles: []catalog.Role{catalog.RoleSource}}, sc.ID); err != nil {
			b.Fatal(err)
		}
	}
	g, err := sb.ApproveScenario(ctx, impl, sc.ID)
	if err != nil {
		b.Fatal(err)
	}
	file, _ := sb.catalog.GrantFile(ctx, g.ID)
	content, err := os.ReadFile(sb.workspacePath(file))
	if err != nil {
		b.Fatal(err)
	}
	cp := filepath.Join(b.TempDir(), "raw.duckdb")
	os.WriteFile(cp, content, 0o600)
	raw, err := duck.Open(ctx, cp, duck.Config{ReadOnly: true, Threads: threads})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	w.sb, w.dev, w.grant, w.raw = sb, dev, g, raw
	return w
}

// writeIPC writes a result as an Arrow IPC stream, as the API sends it.
func writeIPC(out io.Writer, res *QueryResult) error {
	iw := ipc.NewWriter(out, ipc.WithSchema(res.Schema))
	for _, rec := range res.Batches {
		if err := iw.Write(rec); err != nil {
			return err
		}
	}
	return iw.Close()
}

func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("INVISO_BENCH_ROWS")); err == nil {
		return n
	}
	return 200_000
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// BenchmarkQueryVsRaw runs the suite gated (parse, analyse, policy, rewrite, execute on the
// locked workspace, suppress, release) and raw (the same SQL on a plain DuckDB instance over a
// copy of the same workspace), alternating, and reports both medians and their ratio.
func BenchmarkQueryVsRaw(b *testing.B) {
	w := newBenchWorld(b, benchRows())
	ctx := context.Background()
	for _, q := range benchSuite {
		b.Run(q.name, func(b *testing.B) {
			var raw, gated, serialize []time.Duration
			var jobs []string
			w.takeAppends() // the appends of the setup and earlier queries
			runRaw := func() {
				t0 := time.Now()
				rs, err := w.raw.QueryContext(ctx, q.sql)
				if err != nil {
					b.Fatal(err)
				}
				for rs.Next() {
				}
				rs.Close()
				raw = append(raw, time.Since(t0))
			}
			runGated := func() {
				t1 := time.Now()
				res, err := w.sb.Query(ctx, w.dev, w.grant.ID, q.sql, false)
				if err != nil {
					b.Fatal(err)
				}
				gated = append(gated, time.Since(t1))
				jobs = append(jobs, res.Job)
				// Serializing the result as the API's Arrow IPC stream (outside the gated
				// time: the raw baseline reads rows in process too; the HTTP suite of
				// inviso bench suite measures the whole way to a client).
				t2 := time.Now()
				if err := writeIPC(io.Discard, res); err != nil {
					b.Fatal(err)
				}
				serialize = append(serialize, time.Since(t2))
				res.Release()
			}
			for i := 0; i < b.N; i++ { // alternate which goes first, so neither gains from the other's warm-up
				if i%2 == 0 {
					runRaw()
					runGated()
				} else {
					runGated()
					runRaw()
				}
			}
			r, g := median(raw), median(gated)
			// The gated time broken down by stage, from the jobs' own records, the log
			// appends timed around the log and the serialization timed above.
			w.sb.indexer.sync()
			stages := map[string][]time.Duration{"log": w.takeAppends(), "serialize": serialize}
			for _, id := range jobs {
				j, err := w.sb.catalog.Job(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				for k, us := range j.Timings {
					stages[k] = append(stages[k], time.Duration(us)*time.Microsecond)
				}
			}
			for _, k := range []string{"parse", "analyse", "policy", "rewrite", "execute", "serialize", "log"} {
				if len(stages[k]) > 0 {
					b.ReportMetric(float64(median(stages[k]).Microseconds())/1000, k+"-ms")
				}
			}
			b.ReportMetric(float64(r.Microseconds())/1000, "raw-ms")
			b.ReportMetric(float64(g.Microseconds())/1000, "gated-ms")
			b.ReportMetric(float64(g)/float64(r), "ratio")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkGate measures the gate alone: parse, analyse, decide, rewrite and regenerate,
// without execution (check_only stops after the decision; rewrite is measured separately).
func BenchmarkGate(b *testing.B) {
	w := newBenchWorld(b, 1000)
	ctx := context.Background()
	g, _ := w.sb.catalog.Grant(ctx, w.grant.ID)
	schema := schemaOfGrant(g)
	q := benchSuite[7].sql
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tree, err := w.sb.parser.Parse(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		a, err := w.sb.parser.Analyse(tree, schema)
		if err != nil {
			b.Fatal(err)
		}
		d, err := w.sb.decider.Decide(ctx, policyInput{Now: time.Now().UTC().Format(time.RFC3339), Principal: w.dev, Job: map[string]string{"kind": "sql"},
			Grant: grantInput{ID: g.ID, State: string(g.State), Developer: g.Developer, ValidUntil: g.ValidUntil.Format(time.RFC3339), K: g.K, JobBudget: g.JobBudget, JobKinds: g.JobKinds, Tables: schema}, Query: a})
		if err != nil || !d.Allow {
			b.Fatalf("%v %+v", err, d.Reasons)
		}
		rw, err := w.sb.parser.Rewrite(tree, a, schema)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.sb.parser.Deparse(ctx, rw.Tree()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcurrentSmallQueries: 16 clients at once sending a small query, raw DuckDB on a
// copy of the workspace, then gated; reports both rates (the SQL jobs issue asks for ≥ 500 gated
// queries per second with no errors). It runs with DuckDB's default threads (all cores per
// query) and with one thread per query (inviso serve --threads 1), the better setting for many
// small concurrent queries.
func BenchmarkConcurrentSmallQueries(b *testing.B) {
	for _, threads := range []int{0, 1} {
		b.Run("threads="+strconv.Itoa(threads), func(b *testing.B) { concurrentSmallQueries(b, threads) })
	}
}

func concurrentSmallQueries(b *testing.B, threads int) {
	w := newBenchWorldThreads(b, 100_000, threads)
	ctx := context.Background()
	const q = "SELECT district, count(*) FROM citizens GROUP BY district"
	run := func(one func() error) float64 {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					if err := one(); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return float64(b.N) / time.Since(start).Seconds()
	}
	b.ResetTimer()
	raw := run(func() error {
		rs, err := w.raw.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		for rs.Next() {
		}
		return rs.Close()
	})
	gated := run(func() error {
		res, err := w.sb.Query(ctx, w.dev, w.grant.ID, q, false)
		if err != nil {
			return err
		}
		res.Release()
		return nil
	})
	b.ReportMetric(raw, "raw-q/s")
	b.ReportMetric(gated, "gated-q/s")
	b.ReportMetric(gated/raw, "ratio")
	b.ReportMetric(0, "ns/op")
}

// addDPGrant approves the bench scenario again with differential privacy (a budget large
// enough for any run).
func (w *benchWorld) addDPGrant(b *testing.B, name string, groups, rows int) catalog.Grant {
	b.Helper()
	ctx := context.Background()
	sc, err := w.sb.RequestScenario(ctx, w.dev, catalog.ScenarioRequest{Name: name, Purpose: "bench", Use: catalog.PublicInterest,
		Datasets:   map[string][]string{"citizens": {"person_id", "district", "gender", "birth_date", "income"}, "benefits": {"person_id", "program", "amount"}},
		ValidUntil: time.Now().Add(24 * time.Hour), JobBudget: 10_000_000,
		DP: &catalog.DP{Epsilon: 100, EpsilonPerQuery: 0.05, MaxGroupsContributed: groups, MaxRowsContributed: rows}})
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range []string{"ca", "hr"} {
		if _, err := w.sb.ConsentScenario(ctx, catalog.Principal{ID: a + "-src", Agency: a, Roles: []catalog.Role{catalog.RoleSource}}, sc.ID); err != nil {
			b.Fatal(err)
		}
	}
	g, err := w.sb.ApproveScenario(ctx, catalog.Principal{ID: "impl", Agency: "dev", Roles: []catalog.Role{catalog.RoleImplementer}}, sc.ID)
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// BenchmarkDPVsGated runs the suite side by side, in rotating order: raw DuckDB, gated with
// the k threshold, gated with differential privacy with the default bounds (as the workspace
// bounds a person's rows: the row path), and with tight bounds (one group, one row per person:
// the per-person path on tables with several rows per person). The target is
// dp/gated ≤ 1.3.
func BenchmarkDPVsGated(b *testing.B) {
	w := newBenchWorld(b, benchRows())
	dp := w.addDPGrant(b, "bench_dp", 0, 0) // bounds as the workspace has them: the row path
	tight := w.addDPGrant(b, "bench_dp_tight", 1, 1)
	ctx := context.Background()
	for _, q := range benchSuite {
		b.Run(q.name, func(b *testing.B) {
			var times [4][]time.Duration
			query := func(i int, grant string) func() {
				return func() {
					t0 := time.Now()
					res, err := w.sb.Query(ctx, w.dev, grant, q.sql, false)
					if err != nil {
						b.Fatal(err)
					}
					res.Release()
					times[i] = append(times[i], time.Since(t0))
				}
			}
			runs := [4]func(){
				func() {
					t0 := time.Now()
					rs, err := w.raw.QueryContext(ctx, q.sql)
					if err != nil {
						b.Fatal(err)
					}
					for rs.Next() {
					}
					rs.Close()
					times[0] = append(times[0], time.Since(t0))
				},
				query(1, w.grant.ID), query(2, dp.ID), query(3, tight.ID),
			}
			for i := 0; i < b.N; i++ {
				for j := range runs {
					runs[(i+j)%len(runs)]()
				}
			}
			r, g, d, dt := median(times[0]), median(times[1]), median(times[2]), median(times[3])
			b.ReportMetric(float64(r.Microseconds())/1000, "raw-ms")
			b.ReportMetric(float64(g.Microseconds())/1000, "gated-ms")
			b.ReportMetric(float64(d.Microseconds())/1000, "dp-ms")
			b.ReportMetric(float64(dt.Microseconds())/1000, "dp-tight-ms")
			b.ReportMetric(float64(d)/float64(g), "dp/gated")
			b.ReportMetric(float64(dt)/float64(g), "tight/gated")
			b.ReportMetric(0, "ns/op")
		})
	}
}
