package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/rules"
)

// The red-team suite (issue 4, item 8): every hostile query of ../testdata/redteam runs against
// a generated world with planted canary persons, and must either be refused or release only
// groups of at least k distinct people, with no canary value and no raw identifier in any cell,
// column name, error message or refusal reason. Released groups are checked independently: the
// test re-runs the query's own parse tree on the workspace with its own distinct-unit count.

// rtK is the grant's minimum group size.
const rtK = 10

// rtCorpus is the corpus directory, relative to this package.
const rtCorpus = "../testdata/redteam"

// rtSeparator splits the queries of one corpus file.
const rtSeparator = "-- next --"

// rtCanary is a planted person with a distinctive value in every column. All canaries are born
// 1901–1903, before anyone synth generates (1925 on), so birth band 1900 holds only them; the
// female one is alone in (band 1900, 女).
type rtCanary struct {
	pid, name, phone, gender, birth, district string
	seq                                       string // 3-digit sequence of the resident ID
	income                                    int64
	program, amount, paidOn                   string
}

var rtCanaries = []rtCanary{
	{"ZQ9999999901", "金丝雀甲", "19999999901", "女", "1901-03-04", "封开县", "992", 987654321, "残疾人两项补贴", "98765.43", "2025-06-01"},
	{"ZQ9999999902", "金丝雀乙", "19999999902", "男", "1902-05-06", "封开县", "993", 987654332, "医疗救助", "97531.86", "2025-06-02"},
	{"ZQ9999999903", "金丝雀丙", "19999999903", "男", "1903-07-08", "封开县", "995", 987654343, "医疗救助", "96420.75", "2025-06-03"},
}

// idNumber is the canary's resident ID: Fengkai's region code, birth date, sequence, check digit.
func (c rtCanary) idNumber() string {
	prefix := "441225" + strings.ReplaceAll(c.birth, "-", "") + c.seq
	d, err := synth.ResidentIDCheckDigit(prefix)
	if err != nil {
		panic(err)
	}
	return prefix + string(d)
}

// redTeam is a world built for attacking: a sandbox, an active grant over citizens and benefits
// with k = rtK, the workspace opened read-only for recomputation, and every secret to look for.
type redTeam struct {
	sb    *Sandbox
	dev   catalog.Principal
	grant catalog.Grant
	dp    catalog.Grant // the same scenario with differential privacy
	ws    *sql.DB       // the grant's workspace, read-only: ground truth for recomputation
	parse *sql.DB       // an empty in-memory instance: json_serialize_sql for recomputation

	canaryPIDs []int64         // pseudonyms of the canaries, female first
	canaryText []string        // every canary value as text, pseudonyms included
	canaryNums []float64       // canary incomes and amounts, compared by value
	rawIDs     map[string]bool // every raw person_id, phone and id_number
	idLens     []int           // their lengths
	names      map[string]bool // every raw name
	longNames  []string        // names of three or more characters
	pseudonyms map[string]bool // every pseudonym, as the decimal digits of its absolute value
	pseudoLo   int             // shortest (at least 12) and longest pseudonym digit strings
	pseudoHi   int
}

func newRedTeam(tb testing.TB) *redTeam {
	tb.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	cfg := duck.Config{Threads: 2, MemoryLimit: "1GB"}
	sb, err := Open(ctx, Options{DataDir: tb.TempDir(), DuckDB: cfg, Clock: func() time.Time { return now }, QueryTimeout: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sb.Close() })
	rt := &redTeam{sb: sb}
	p := func(id, agency string, r catalog.Role) catalog.Principal {
		return catalog.Principal{ID: id, Agency: agency, Roles: []catalog.Role{r}}
	}
	admin := p(AdminPrincipal, PlatformAgency, catalog.RoleAdmin)
	ca, hr := p("ca", "civil-affairs", catalog.RoleSource), p("hr", "hrss", catalog.RoleSource)
	impl := p("impl", "data-bureau", catalog.RoleImplementer)
	rt.dev = p("dev", "devco", catalog.RoleDeveloper)
	for id, kind := range map[string]catalog.AgencyKind{"civil-affairs": catalog.KindSource, "hrss": catalog.KindSource, "devco": catalog.KindDevelopment, "data-bureau": catalog.KindImplementing} {
		if _, err := sb.CreateAgency(ctx, admin, catalog.Agency{ID: id, Name: id, Kind: kind}); err != nil {
			tb.Fatal(err)
		}
	}

	// Synthetic citizens and benefits, plus the canaries, as CSV with a declared schema.
	gen := synth.Config{Rows: 3000, Seed: 11}
	citizens := rtCSV(tb, synth.Citizens, gen, func(col string, c rtCanary) string {
		return map[string]string{"person_id": c.pid, "name": c.name, "id_number": c.idNumber(), "phone": c.phone, "gender": c.gender,
			"birth_date": c.birth, "district": c.district, "income": strconv.FormatInt(c.income, 10), "diagnosis_code": "Z99.9"}[col]
	})
	benefits := rtCSV(tb, synth.Benefits, gen, func(col string, c rtCanary) string {
		return map[string]string{"person_id": c.pid, "program": c.program, "amount": c.amount, "paid_on": c.paidOn}[col]
	})
	for _, d := range []struct {
		who    catalog.Principal
		name   string
		schema []catalog.SchemaColumn
		body   []byte
		rules  string
	}{
		{ca, "citizens", []catalog.SchemaColumn{{Name: "person_id", Type: "VARCHAR"}, {Name: "name", Type: "VARCHAR"}, {Name: "id_number", Type: "VARCHAR"},
			{Name: "phone", Type: "VARCHAR"}, {Name: "gender", Type: "VARCHAR"}, {Name: "birth_date", Type: "DATE"}, {Name: "district", Type: "VARCHAR"},
			{Name: "income", Type: "BIGINT"}, {Name: "diagnosis_code", Type: "VARCHAR"}}, citizens, citizensRules},
		{hr, "benefits", []catalog.SchemaColumn{{Name: "person_id", Type: "VARCHAR"}, {Name: "program", Type: "VARCHAR"},
			{Name: "amount", Type: "DECIMAL(12,2)"}, {Name: "paid_on", Type: "DATE"}}, benefits, benefitsRules},
	} {
		if _, err := sb.RegisterDataset(ctx, d.who, catalog.Dataset{Name: d.name, Description: d.name, Classification: catalog.L3Sensitive,
			PrivacyUnit: "person_id", UpdateFrequency: "monthly", Schema: d.schema}); err != nil {
			tb.Fatal(err)
		}
		if _, err := sb.Import(ctx, d.who, d.name, bytes.NewReader(d.body), ImportOptions{Format: "csv"}); err != nil {
			tb.Fatalf("import %s: %v %+v", d.name, err, fault.Public(err).Reasons)
		}
		set, err := rules.Parse([]byte(d.rules))
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := sb.SetRules(ctx, d.who, d.name, set, 0); err != nil {
			tb.Fatalf("rules of %s: %v %+v", d.name, err, fault.Public(err).Reasons)
		}
	}

	s, err := sb.RequestScenario(ctx, rt.dev, catalog.ScenarioRequest{
		Name: "redteam", Purpose: "measure benefit coverage by district", Use: catalog.PublicInterest,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "gender", "birth_date", "income"}, "benefits": {"person_id", "program", "amount"}},
		JobKinds: []string{"sql"}, ValidUntil: now.Add(30 * 24 * time.Hour), K: rtK, JobBudget: 10_000_000,
	})
	if err != nil {
		tb.Fatalf("request: %v %+v", err, fault.Public(err).Reasons)
	}
	for _, src := range []catalog.Principal{ca, hr} {
		if _, err := sb.ConsentScenario(ctx, src, s.ID); err != nil {
			tb.Fatal(err)
		}
	}
	if rt.grant, err = sb.ApproveScenario(ctx, impl, s.ID); err != nil {
		tb.Fatalf("approve: %v %+v", err, fault.Public(err).Reasons)
	}
	if rt.grant.K != rtK {
		tb.Fatalf("grant k = %d, want %d", rt.grant.K, rtK)
	}
	sdp, err := sb.RequestScenario(ctx, rt.dev, catalog.ScenarioRequest{
		Name: "redteam_dp", Purpose: "measure benefit coverage by district", Use: catalog.PublicInterest,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "gender", "birth_date", "income"}},
		JobKinds: []string{"sql"}, ValidUntil: now.Add(30 * 24 * time.Hour), K: rtK,
		DP: &catalog.DP{Epsilon: 10, EpsilonPerQuery: 1},
	})
	if err != nil {
		tb.Fatalf("request: %v %+v", err, fault.Public(err).Reasons)
	}
	if _, err := sb.ConsentScenario(ctx, ca, sdp.ID); err != nil {
		tb.Fatal(err)
	}
	if rt.dp, err = sb.ApproveScenario(ctx, impl, sdp.ID); err != nil {
		tb.Fatalf("approve: %v %+v", err, fault.Public(err).Reasons)
	}

	// A byte-for-byte copy of the workspace, opened read-only: DuckDB shares one instance per
	// file in a process, so opening the engine's own file here would collide with its lockdown.
	file, err := sb.catalog.GrantFile(ctx, rt.grant.ID)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(sb.workspacePath(file))
	if err != nil {
		tb.Fatal(err)
	}
	cp := filepath.Join(tb.TempDir(), "workspace-copy.duckdb")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	if rt.ws, err = duck.Open(ctx, cp, duck.Config{Threads: 2, MemoryLimit: "1GB", ReadOnly: true}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.ws.Close() })
	if rt.parse, err = duck.Open(ctx, "", duck.Config{Threads: 1}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.parse.Close() })
	rt.collectSecrets(tb)
	return rt
}

// rtCSV generates a synth table as CSV and appends one row per canary.
func rtCSV(tb testing.TB, table synth.Table, cfg synth.Config, value func(col string, c rtCanary) string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if _, err := synth.Write(context.Background(), &buf, memory.DefaultAllocator, table, synth.CSV, cfg); err != nil {
		tb.Fatal(err)
	}
	header, _, _ := strings.Cut(buf.String(), "\n")
	cols := strings.Split(strings.TrimSpace(header), ",")
	if !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		buf.WriteByte('\n')
	}
	w := csv.NewWriter(&buf)
	for _, c := range rtCanaries {
		row := make([]string, len(cols))
		for i, col := range cols {
			row[i] = value(col, c)
		}
		if err := w.Write(row); err != nil {
			tb.Fatal(err)
		}
	}
	w.Flush()
	return buf.Bytes()
}

// collectSecrets reads every raw identifier from the raw versions and every pseudonym from the
// workspace, and looks the canaries' pseudonyms up by their birth band.
func (rt *redTeam) collectSecrets(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	rt.rawIDs, rt.names, rt.pseudonyms = map[string]bool{}, map[string]bool{}, map[string]bool{}
	v, _, err := rt.sb.catalog.Latest(ctx, "citizens")
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := rt.sb.store.OpenVersion(ctx, v)
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(ctx, "SELECT person_id, name, id_number, phone FROM data")
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var pid, name, idn, phone string
		if err := rows.Scan(&pid, &name, &idn, &phone); err != nil {
			tb.Fatal(err)
		}
		rt.rawIDs[pid], rt.rawIDs[idn], rt.rawIDs[phone] = true, true, true
		rt.names[name] = true
		if utf8.RuneCountInString(name) >= 3 {
			rt.longNames = append(rt.longNames, name)
		}
	}
	if err := rows.Close(); err != nil {
		tb.Fatal(err)
	}
	lens := map[int]bool{}
	for s := range rt.rawIDs {
		lens[len(s)] = true
	}
	for n := range lens {
		rt.idLens = append(rt.idLens, n)
	}
	sort.Ints(rt.idLens)
	if len(rt.rawIDs) < 3*3000 {
		tb.Fatalf("only %d raw identifiers collected", len(rt.rawIDs))
	}

	prow, err := rt.ws.QueryContext(ctx, "SELECT person_id FROM citizens UNION SELECT person_id FROM benefits")
	if err != nil {
		tb.Fatal(err)
	}
	rt.pseudoLo = math.MaxInt
	for prow.Next() {
		var id int64
		if err := prow.Scan(&id); err != nil {
			tb.Fatal(err)
		}
		s := absDigits(id)
		rt.pseudonyms[s] = true
		rt.pseudoLo, rt.pseudoHi = min(rt.pseudoLo, len(s)), max(rt.pseudoHi, len(s))
	}
	prow.Close()
	rt.pseudoLo = max(rt.pseudoLo, 12)

	crow, err := rt.ws.QueryContext(ctx, "SELECT person_id, gender FROM citizens WHERE birth_date = 1900 ORDER BY gender = '女' DESC, person_id")
	if err != nil {
		tb.Fatal(err)
	}
	for crow.Next() {
		var id int64
		var g string
		if err := crow.Scan(&id, &g); err != nil {
			tb.Fatal(err)
		}
		rt.canaryPIDs = append(rt.canaryPIDs, id)
	}
	crow.Close()
	if len(rt.canaryPIDs) != len(rtCanaries) {
		tb.Fatalf("birth band 1900 holds %d people in the workspace, want the %d canaries", len(rt.canaryPIDs), len(rtCanaries))
	}
	for _, c := range rtCanaries {
		rt.canaryText = append(rt.canaryText, c.pid, c.name, c.idNumber(), c.phone, strconv.FormatInt(c.income, 10), c.amount)
		rt.canaryNums = append(rt.canaryNums, float64(c.income))
		a, _ := strconv.ParseFloat(c.amount, 64)
		rt.canaryNums = append(rt.canaryNums, a)
	}
	for _, id := range rt.canaryPIDs {
		rt.canaryText = append(rt.canaryText, strconv.FormatInt(id, 10), absDigits(id))
	}
}

func absDigits(v int64) string {
	if v < 0 {
		return strconv.FormatUint(uint64(-(v+1))+1, 10)
	}
	return strconv.FormatInt(v, 10)
}

// rtQuery is one entry of the corpus.
type rtQuery struct {
	family string // file name without .sql
	index  int    // position in the file, from 1
	text   string // with placeholders
}

func (q rtQuery) name() string { return fmt.Sprintf("%s/%03d", q.family, q.index) }

// loadRedTeamCorpus reads every .sql file of the corpus: queries separated by a line holding
// exactly rtSeparator, each trimmed of surrounding ASCII whitespace.
func loadRedTeamCorpus(tb testing.TB) []rtQuery {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(rtCorpus, "*.sql"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no corpus in %s: %v", rtCorpus, err)
	}
	var out []rtQuery
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		family := strings.TrimSuffix(filepath.Base(f), ".sql")
		var cur []string
		n := 0
		flush := func() {
			q := strings.Trim(strings.Join(cur, "\n"), " \t\r\n")
			cur = nil
			if q == "" {
				return
			}
			n++
			out = append(out, rtQuery{family: family, index: n, text: q})
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.TrimRight(line, "\r") == rtSeparator {
				flush()
				continue
			}
			cur = append(cur, line)
		}
		flush()
	}
	return out
}

var rtPlaceholder = regexp.MustCompile(`\{(U\+[0-9A-F]{4,6}|0x[0-9A-F]{2}|CANARY_PIDS?)\}`)

// expand replaces the corpus placeholders: {U+XXXX} a code point, {0xHH} a raw byte (possibly
// invalid UTF-8), {CANARY_PID} the female canary's pseudonym, {CANARY_PIDS} all of them.
func (rt *redTeam) expand(text string) string {
	return rtPlaceholder.ReplaceAllStringFunc(text, func(m string) string {
		tok := m[1 : len(m)-1]
		switch {
		case tok == "CANARY_PID":
			return strconv.FormatInt(rt.canaryPIDs[0], 10)
		case tok == "CANARY_PIDS":
			var s []string
			for _, id := range rt.canaryPIDs {
				s = append(s, strconv.FormatInt(id, 10))
			}
			return strings.Join(s, ", ")
		case strings.HasPrefix(tok, "U+"):
			r, _ := strconv.ParseUint(tok[2:], 16, 32)
			return string(rune(r))
		default:
			b, _ := strconv.ParseUint(tok[2:], 16, 8)
			return string([]byte{byte(b)})
		}
	})
}

// rtOutcome is what one query did.
type rtOutcome struct {
	released   bool
	code       fault.Code // of the refusal
	reasons    []string   // refusal reason codes
	rows       int64
	suppressed int64
	problems   []string // anything that breaks the promise
	internal   string   // the server-side text of an uncoded (internal) error, for the test log
}

// probe runs q under the grant: with check_only (unless skipped), then for real. It never fails
// the test itself; it returns the problems found.
func (rt *redTeam) probe(q string, withCheck bool) (out rtOutcome) {
	defer func() {
		slices.Sort(out.problems)
		out.problems = slices.Compact(out.problems)
	}()
	bad := func(format string, args ...any) { out.problems = append(out.problems, fmt.Sprintf(format, args...)) }
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	checkAllowed := true
	if withCheck {
		res, err := rt.sb.Query(ctx, rt.dev, rt.grant.ID, q, true)
		if err != nil {
			checkAllowed = false
			for _, l := range rt.scanError(err, q) {
				bad("check_only error leaks %s", l)
			}
		} else {
			if len(res.Batches) != 0 || res.Rows != 0 {
				bad("check_only returned %d rows", res.Rows)
			}
			for _, r := range res.Decision.Reasons {
				for _, l := range rt.scan(r.Code+" "+r.Message, q) {
					bad("check_only reason leaks %s", l)
				}
			}
			res.Release()
		}
	}

	res, err := rt.sb.Query(ctx, rt.dev, rt.grant.ID, q, false)
	if err != nil {
		pub := fault.Public(err)
		out.code = pub.Code
		if pub.Code == fault.Internal {
			out.internal = err.Error()
		}
		for _, r := range pub.Reasons {
			out.reasons = append(out.reasons, r.Code)
		}
		for _, l := range rt.scanError(err, q) {
			bad("error leaks %s", l)
		}
		return out
	}
	defer res.Release()
	out.released, out.rows, out.suppressed = true, res.Rows, res.Suppressed
	if !checkAllowed {
		bad("check_only refused the query but running it released %d rows", res.Rows)
	}
	for _, l := range rt.scanResult(res, q) {
		bad("result leaks %s", l)
	}
	if res.Rows > 0 {
		out.problems = append(out.problems, rt.verifyGroups(ctx, q, res)...)
	}
	return out
}

// scanError looks for secrets in what a client sees of an error.
func (rt *redTeam) scanError(err error, q string) []string {
	pub := fault.Public(err)
	text := string(pub.Code) + "\n" + pub.Message
	for _, r := range pub.Reasons {
		text += "\n" + r.Code + " " + r.Message
	}
	return rt.scan(text, q)
}

// scan returns every secret in text that the query q does not itself contain (a developer's own
// literal echoed back is not a leak): canary values, raw person_id / phone / id_number values
// (checked on every ASCII alphanumeric run of 11+ characters), pseudonyms (digit runs), and
// names of three or more characters.
func (rt *redTeam) scan(text, q string) []string {
	var found []string
	hit := func(kind, s string) {
		if !strings.Contains(q, s) {
			found = append(found, fmt.Sprintf("%s %q", kind, s))
		}
	}
	for _, s := range rt.canaryText {
		if strings.Contains(text, s) {
			hit("canary value", s)
		}
	}
	alnum := func(b byte) bool { return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }
	digit := func(b byte) bool { return b >= '0' && b <= '9' }
	for i := 0; i < len(text); {
		if !alnum(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && alnum(text[j]) {
			j++
		}
		run := text[i:j]
		if len(run) >= rt.idLens[0] {
			for _, n := range rt.idLens {
				for s := 0; s+n <= len(run); s++ {
					if rt.rawIDs[run[s:s+n]] {
						hit("raw identifier", run[s:s+n])
					}
				}
			}
		}
		for a := 0; a < len(run); {
			if !digit(run[a]) {
				a++
				continue
			}
			b := a
			for b < len(run) && digit(run[b]) {
				b++
			}
			for n := rt.pseudoLo; n <= rt.pseudoHi && n <= b-a; n++ {
				for s := a; s+n <= b; s++ {
					if rt.pseudonyms[run[s:s+n]] {
						hit("pseudonym", run[s:s+n])
					}
				}
			}
			a = b
		}
		i = j
	}
	for _, name := range rt.longNames {
		if strings.Contains(text, name) {
			hit("name", name)
		}
	}
	return found
}

// scanResult scans a released result: column names, every cell as text, and numeric cells by
// value (a float renders as 9.87654321e+08, which a text search would miss).
func (rt *redTeam) scanResult(res *QueryResult, q string) []string {
	var found []string
	if res.Schema != nil {
		for _, f := range res.Schema.Fields() {
			found = append(found, rt.scan(f.Name, q)...)
		}
	}
	for _, b := range res.Batches {
		for c := 0; c < int(b.NumCols()); c++ {
			col := b.Column(c)
			for i := 0; i < col.Len(); i++ {
				if col.IsNull(i) {
					continue
				}
				s := col.ValueStr(i)
				if rt.names[s] && !strings.Contains(q, s) {
					found = append(found, fmt.Sprintf("name %q", s))
				}
				found = append(found, rt.scan(s, q)...)
				if v, ok := rtNumber(col, i); ok {
					found = append(found, rt.scan(strconv.FormatFloat(v, 'f', -1, 64), q)...)
					for _, cv := range rt.canaryNums {
						if math.Abs(v-cv) < 0.005 && !strings.Contains(q, strconv.FormatFloat(cv, 'f', -1, 64)) {
							found = append(found, fmt.Sprintf("canary value %v (column %s)", cv, b.ColumnName(c)))
						}
					}
				}
			}
		}
	}
	return found
}

// rtNumber is a numeric cell's value.
func rtNumber(col arrow.Array, i int) (float64, bool) {
	switch a := col.(type) {
	case *array.Int8:
		return float64(a.Value(i)), true
	case *array.Int16:
		return float64(a.Value(i)), true
	case *array.Int32:
		return float64(a.Value(i)), true
	case *array.Int64:
		return float64(a.Value(i)), true
	case *array.Uint8:
		return float64(a.Value(i)), true
	case *array.Uint16:
		return float64(a.Value(i)), true
	case *array.Uint32:
		return float64(a.Value(i)), true
	case *array.Uint64:
		return float64(a.Value(i)), true
	case *array.Float32:
		return float64(a.Value(i)), true
	case *array.Float64:
		return a.Value(i), true
	case *array.Decimal128:
		return a.Value(i).ToFloat64(a.DataType().(*arrow.Decimal128Type).Scale), true
	}
	return 0, false
}

// rtUnits is the recomputation's units column.
const rtUnits = "__redteam_units"

// verifyGroups recomputes a released query independently of the gate's rewrite: it parses the
// text sent with DuckDB's parser, adds its own count of distinct person_id per table in FROM
// (the least of them), drops LIMIT/OFFSET, and runs that on the workspace directly. Every
// released row must match a recomputed row (on all columns, or else on the group keys) whose
// count is at least k.
func (rt *redTeam) verifyGroups(ctx context.Context, q string, res *QueryResult) []string {
	sqlText, keys, err := rt.recomputation(ctx, q)
	if err != nil {
		return []string{fmt.Sprintf("released %d rows, but the test cannot recompute the groups independently: %v", res.Rows, err)}
	}
	type row struct {
		full, key string
		units     int64
	}
	var truth []row
	width := -1
	conn, err := rt.ws.Conn(ctx)
	if err != nil {
		return []string{fmt.Sprintf("recompute: %v", err)}
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := ar.QueryContext(ctx, sqlText)
		if err != nil {
			return err
		}
		defer rdr.Release()
		for rdr.Next() {
			rec := rdr.RecordBatch()
			n := int(rec.NumCols()) - 1
			width = n
			units, ok := rec.Column(n).(*array.Int64)
			if !ok {
				return fmt.Errorf("units column is %s", rec.Column(n).DataType())
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				full, key := rtTuple(rec, i, n, keys)
				truth = append(truth, row{full, key, units.Value(i)})
			}
		}
		return rdr.Err()
	})
	if err != nil {
		return []string{fmt.Sprintf("released %d rows, but the recomputation failed: %v\n%s", res.Rows, err, sqlText)}
	}
	var problems []string
	for _, b := range res.Batches {
		n := int(b.NumCols())
		if width >= 0 && n != width {
			return []string{fmt.Sprintf("released %d columns, the recomputation has %d", n, width)}
		}
		for i := 0; i < int(b.NumRows()); i++ {
			full, key := rtTuple(b, i, n, keys)
			var cand []row
			for _, r := range truth {
				if r.full == full {
					cand = append(cand, r)
				}
			}
			if len(cand) == 0 {
				for _, r := range truth {
					if r.key == key {
						cand = append(cand, r)
					}
				}
			}
			if len(cand) == 0 {
				problems = append(problems, fmt.Sprintf("released row %s is not in the recomputation", full))
				continue
			}
			most := int64(0)
			for _, r := range cand {
				most = max(most, r.units)
			}
			if most < rtK {
				problems = append(problems, fmt.Sprintf("released row %s belongs to a group of %d distinct people (k = %d)", full, most, rtK))
			}
		}
	}
	return problems
}

// rtTuple renders row i's first n columns, and its key columns, as comparable text.
func rtTuple(rec arrow.RecordBatch, i, n int, keys map[int]bool) (full, key string) {
	var f, k []string
	for c := 0; c < n; c++ {
		s := "\x00NULL"
		if !rec.Column(c).IsNull(i) {
			s = rec.Column(c).ValueStr(i)
		}
		f = append(f, s)
		if keys[c] {
			k = append(k, s)
		}
	}
	return strings.Join(f, "\x1f"), strings.Join(k, "\x1f")
}

// recomputation builds the recomputing SQL for a query text, and which select items are group
// keys. It refuses shapes it cannot recompute (anything but one SELECT over base tables and
// joins), which, for a released query, the test reports.
func (rt *redTeam) recomputation(ctx context.Context, q string) (string, map[int]bool, error) {
	doc, err := rt.serialize(ctx, q)
	if err != nil {
		return "", nil, err
	}
	root, err := rtRoot(doc)
	if err != nil {
		return "", nil, err
	}
	if cte := rtObj(root, "cte_map"); len(rtList(cte, "map")) > 0 {
		return "", nil, fmt.Errorf("a CTE")
	}
	if h, _ := root["aggregate_handling"].(string); h != "" && h != "STANDARD_HANDLING" {
		return "", nil, fmt.Errorf("aggregate handling %s", h)
	}
	var aliases []string
	var walk func(n map[string]any) error
	walk = func(n map[string]any) error {
		switch t, _ := n["type"].(string); t {
		case "BASE_TABLE":
			a, _ := n["alias"].(string)
			if a == "" {
				a, _ = n["table_name"].(string)
			}
			aliases = append(aliases, a)
			return nil
		case "JOIN":
			if err := walk(rtObj(n, "left")); err != nil {
				return err
			}
			return walk(rtObj(n, "right"))
		default:
			return fmt.Errorf("a FROM item of type %q", t)
		}
	}
	if err := walk(rtObj(root, "from_table")); err != nil {
		return "", nil, err
	}
	var counts []string
	for _, a := range aliases {
		counts = append(counts, "count(DISTINCT "+duck.Ident(a)+".person_id)")
	}
	units := counts[0]
	if len(counts) > 1 {
		units = "least(" + strings.Join(counts, ", ") + ")"
	}
	udoc, err := rt.serialize(ctx, "SELECT "+units+" AS "+rtUnits)
	if err != nil {
		return "", nil, err
	}
	uroot, err := rtRoot(udoc)
	if err != nil {
		return "", nil, err
	}

	sel := rtList(root, "select_list")
	keys := map[int]bool{}
	for _, g := range rtList(root, "group_expressions") {
		gm, _ := g.(map[string]any)
		if gm["class"] == "CONSTANT" {
			if v, ok := rtObj(gm, "value")["value"].(json.Number); ok {
				if n, err := v.Int64(); err == nil && n >= 1 && int(n) <= len(sel) {
					keys[int(n)-1] = true
				}
			}
			continue
		}
		gc := rtCanon(gm)
		for i, s := range sel {
			sm, _ := s.(map[string]any)
			alias, _ := sm["alias"].(string)
			if rtCanon(sm) == gc || rtSameColumn(sm, gm) || (alias != "" && rtSingleName(gm) == strings.ToLower(alias)) {
				keys[i] = true
			}
		}
	}
	root["select_list"] = append(slices.Clone(sel), rtList(uroot, "select_list")[0])
	var mods []any
	for _, m := range rtList(root, "modifiers") {
		if t, _ := m.(map[string]any)["type"].(string); strings.HasPrefix(t, "LIMIT") {
			continue
		}
		mods = append(mods, m)
	}
	if mods == nil {
		mods = []any{}
	}
	root["modifiers"] = mods
	b, err := json.Marshal(doc)
	if err != nil {
		return "", nil, err
	}
	var out sql.NullString
	if err := rt.parse.QueryRowContext(ctx, "SELECT json_deserialize_sql(CAST(? AS JSON))", string(b)).Scan(&out); err != nil || !out.Valid {
		return "", nil, fmt.Errorf("regenerate: %v", err)
	}
	return out.String, keys, nil
}

func (rt *redTeam) serialize(ctx context.Context, q string) (map[string]any, error) {
	var out string
	if err := rt.parse.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)", q).Scan(&out); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if e, _ := doc["error"].(bool); e {
		return nil, fmt.Errorf("not serializable: %v", doc["error_message"])
	}
	return doc, nil
}

func rtRoot(doc map[string]any) (map[string]any, error) {
	st := rtList(doc, "statements")
	if len(st) != 1 {
		return nil, fmt.Errorf("%d statements", len(st))
	}
	sm, _ := st[0].(map[string]any)
	root := rtObj(sm, "node")
	if t, _ := root["type"].(string); t != "SELECT_NODE" {
		return nil, fmt.Errorf("a %s", t)
	}
	return root, nil
}

func rtObj(n map[string]any, k string) map[string]any { m, _ := n[k].(map[string]any); return m }
func rtList(n map[string]any, k string) []any         { l, _ := n[k].([]any); return l }

// rtCanon renders an expression without aliases and positions.
func rtCanon(v any) string {
	var strip func(v any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, vv := range x {
				if k != "alias" && k != "query_location" {
					out[k] = strip(vv)
				}
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i := range x {
				out[i] = strip(x[i])
			}
			return out
		}
		return v
	}
	b, _ := json.Marshal(strip(v))
	return string(b)
}

// rtSameColumn reports whether two column references name the same column (qualified or not).
func rtSameColumn(a, b map[string]any) bool {
	if a["class"] != "COLUMN_REF" || b["class"] != "COLUMN_REF" {
		return false
	}
	x, y := rtList(a, "column_names"), rtList(b, "column_names")
	return len(x) > 0 && len(y) > 0 && strings.EqualFold(fmt.Sprint(x[len(x)-1]), fmt.Sprint(y[len(y)-1]))
}

func rtSingleName(e map[string]any) string {
	if e["class"] != "COLUMN_REF" {
		return ""
	}
	if n := rtList(e, "column_names"); len(n) == 1 {
		return strings.ToLower(fmt.Sprint(n[0]))
	}
	return ""
}

// rtTally counts outcomes per family.
type rtTally struct {
	queries, refused, released, withRows, suppressed int
	codes                                            map[string]int
}

func TestRedTeam(t *testing.T) {
	t.Parallel()
	start := time.Now()
	rt := newRedTeam(t)
	corpus := loadRedTeamCorpus(t)
	built := time.Since(start)
	tally := map[string]*rtTally{}
	hostile := 0
	for _, q := range corpus {
		if q.family != "allowed" {
			hostile++
		}
	}
	if hostile < 150 {
		t.Errorf("the corpus holds %d hostile queries; at least 150 are wanted", hostile)
	}
	for _, q := range corpus {
		ty := tally[q.family]
		if ty == nil {
			ty = &rtTally{codes: map[string]int{}}
			tally[q.family] = ty
		}
		t.Run(q.name(), func(t *testing.T) {
			text := rt.expand(q.text)
			out := rt.probe(text, true)
			ty.queries++
			if out.released {
				ty.released++
				ty.suppressed += int(out.suppressed)
				if out.rows > 0 {
					ty.withRows++
				}
			} else {
				ty.refused++
				code := string(out.code)
				if len(out.reasons) > 0 {
					code += ":" + strings.Join(out.reasons, ",")
				}
				ty.codes[code]++
			}
			if out.internal != "" {
				t.Logf("internal error (server side): %s", out.internal)
			}
			for _, p := range out.problems {
				t.Errorf("LEAK %s\n%s\n→ %s", q.name(), text, p)
			}
			if q.family == "allowed" {
				switch {
				case !out.released:
					t.Errorf("allowed query refused (%s %v):\n%s", out.code, out.reasons, text)
				case out.rows == 0:
					t.Errorf("allowed query released no row:\n%s", text)
				}
			} else if out.released {
				t.Logf("released (%d rows, %d groups suppressed): %s", out.rows, out.suppressed, text)
			}
		})
	}
	t.Run("oracles", func(t *testing.T) { rt.oracles(t) })
	t.Run("differencing", func(t *testing.T) { rt.differencing(t, rt.grant) })
	t.Run("differencing under DP", func(t *testing.T) { rt.differencing(t, rt.dp) })

	families := make([]string, 0, len(tally))
	for f := range tally {
		families = append(families, f)
	}
	sort.Strings(families)
	total := 0
	for _, f := range families {
		ty := tally[f]
		if ty.queries == 0 {
			continue
		}
		total += ty.queries
		t.Logf("%-18s %3d queries: %3d refused, %3d released (%d with rows, %d groups suppressed)", f, ty.queries, ty.refused, ty.released, ty.withRows, ty.suppressed)
		codes := make([]string, 0, len(ty.codes))
		for c, n := range ty.codes {
			codes = append(codes, fmt.Sprintf("%s×%d", c, n))
		}
		sort.Strings(codes)
		if len(codes) > 0 {
			t.Logf("    refusals: %s", strings.Join(codes, " "))
		}
	}
	t.Logf("%d queries (%d hostile) in %s (world built in %s)", total, hostile, time.Since(start).Round(time.Millisecond), built.Round(time.Millisecond))
}

// oracles runs pairs of queries that differ only in a constant a person's value is compared
// with: the probe matches a canary, the control matches nobody. Whatever a client sees of the
// two (refused or released, rows, suppressed-group count) must be the same; if it differs, the
// outcome itself says whether someone has that value: a one-bit oracle on one person, released
// without any group of k.
func (rt *redTeam) oracles(t *testing.T) {
	c := rtCanaries[0]
	for _, p := range []struct{ name, probe, control string }{
		{"error: cast overflow",
			fmt.Sprintf("SELECT district, sum(CAST(CASE WHEN income = %d THEN 1000 ELSE 0 END AS TINYINT)) AS s FROM citizens GROUP BY district", c.income),
			"SELECT district, sum(CAST(CASE WHEN income = 123456789 THEN 1000 ELSE 0 END AS TINYINT)) AS s FROM citizens GROUP BY district"},
		{"error: multiplication overflow",
			fmt.Sprintf("SELECT district, sum(CASE WHEN income = %d THEN income * 99999999999 ELSE 0 END) AS s FROM citizens GROUP BY district", c.income),
			"SELECT district, sum(CASE WHEN income = 123456789 THEN income * 99999999999 ELSE 0 END) AS s FROM citizens GROUP BY district"},
		{"error: cast of a dimension in a group key",
			"SELECT CASE WHEN birth_date = 1900 AND gender = '女' THEN CAST(district AS INTEGER) ELSE 0 END AS g, count(*) FROM citizens GROUP BY CASE WHEN birth_date = 1900 AND gender = '女' THEN CAST(district AS INTEGER) ELSE 0 END",
			"SELECT CASE WHEN birth_date = 1895 AND gender = '女' THEN CAST(district AS INTEGER) ELSE 0 END AS g, count(*) FROM citizens GROUP BY CASE WHEN birth_date = 1895 AND gender = '女' THEN CAST(district AS INTEGER) ELSE 0 END"},
		{"error: cast of a dimension in a filter",
			"SELECT gender, count(*) FROM citizens WHERE birth_date = 1900 AND CAST(district AS INTEGER) = 1 GROUP BY gender",
			"SELECT gender, count(*) FROM citizens WHERE birth_date = 1895 AND CAST(district AS INTEGER) = 1 GROUP BY gender"},
		{"suppressed-groups count",
			"SELECT district, count(*) FROM citizens WHERE birth_date = 1900 AND gender = '女' GROUP BY district",
			"SELECT district, count(*) FROM citizens WHERE birth_date = 1895 AND gender = '女' GROUP BY district"},
	} {
		probe, control := rt.probe(p.probe, false), rt.probe(p.control, false)
		if a, b := rtVerdict(probe), rtVerdict(control); a != b {
			t.Errorf("LEAK oracle (%s): the probe, true of one canary only, is %s; the control, true of nobody, is %s\nprobe:   %s\ncontrol: %s",
				p.name, a, b, p.probe, p.control)
		} else {
			t.Logf("%s: no oracle (both %s)", p.name, a)
		}
	}
}

// rtVerdict is what a client sees of an outcome, beyond the cells.
// rtVerdict is what a client can observe of an outcome. The suppressed-group count stays in the
// job record (QueryResult.Suppressed is for it) and never reaches a client, so it is not part of
// the verdict; TestQueryOverHTTP checks that the API does not tell it.
func rtVerdict(o rtOutcome) string {
	if o.released {
		return fmt.Sprintf("released %d rows", o.rows)
	}
	return fmt.Sprintf("refused (%s %v)", o.code, o.reasons)
}

// differencing runs the textbook differencing pair: two allowed queries whose populations
// differ by one person, the female canary. A size threshold alone cannot stop it (the issue's
// threat model says so), so on the k-only grant the difference is logged as a known
// limitation. On the DP grant noise and budgets are the answer, and that is asserted: the
// difference is not the canary's income, and the noise each answer carries (its stated 95%
// interval) is wider than the income itself, so the pair cannot tell the canary's presence.
func (rt *redTeam) differencing(t *testing.T, g catalog.Grant) {
	type agg struct{ n, sum float64 }
	var info *catalog.DPInfo
	run := func(q string) map[string]agg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		res, err := rt.sb.Query(ctx, rt.dev, g.ID, q, false)
		if err != nil {
			t.Logf("refused: %v", fault.Public(err))
			return nil
		}
		defer res.Release()
		info = res.DP
		out := map[string]agg{}
		for _, b := range res.Batches {
			for i := 0; i < int(b.NumRows()); i++ {
				n, _ := rtNumber(b.Column(1), i)
				s, _ := rtNumber(b.Column(2), i)
				// Clone: an Arrow string aliases the batch's memory, which Release frees.
				out[strings.Clone(b.Column(0).ValueStr(i))] = agg{n, s}
			}
		}
		return out
	}
	c := rtCanaries[0]
	all := run("SELECT gender, count(*) AS n, sum(income) AS s FROM citizens WHERE district = '" + c.district + "' GROUP BY gender")
	rest := run("SELECT gender, count(*) AS n, sum(income) AS s FROM citizens WHERE district = '" + c.district + "' AND NOT (birth_date = 1900 AND gender = '女') GROUP BY gender")
	if all == nil || rest == nil {
		if g.DP != nil {
			t.Fatal("the DP grant refused the differencing pair: it should answer it, with noise")
		}
		t.Logf("the differencing pair was refused")
		return
	}
	a, r := all[c.gender], rest[c.gender]
	exact := a.n-r.n == 1 && math.Abs(a.sum-r.sum-float64(c.income)) < 0.5
	if g.DP == nil {
		if exact {
			t.Logf("KNOWN LIMITATION (differencing): two released queries, each over groups of ≥ %d people, differ by one person; the difference is the canary's income %.0f. k-thresholds alone do not stop this.", rtK, a.sum-r.sum)
		} else {
			t.Logf("differencing pair: count difference %.0f, sum difference %.0f", a.n-r.n, a.sum-r.sum)
		}
		return
	}
	if exact {
		t.Fatalf("LEAK differencing under DP: the pair gives the canary's income %d exactly", c.income)
	}
	for _, col := range g.Workspace.Tables[0].Columns {
		if col.Name == "income" && col.InBounds {
			t.Fatalf("the canary's income %d is beyond the bound 1e6, yet the workspace says every income is within it", c.income)
		}
	}
	// What one person can move a sum by is their income clamped to the column's bounds
	// (citizensRules: hi 1,000,000); the noise must hide that much.
	contribution := math.Min(float64(c.income), 1_000_000)
	if info == nil || info.Noise["s"].CI95 <= contribution {
		t.Fatalf("the noise of the sums (%+v) is not wider than one person's clamped income %.0f", info, contribution)
	}
	t.Logf("differencing under DP: sum difference %.0f vs the canary's income %d; each sum ±%.0f (95%%), budget left %g",
		a.sum-r.sum, c.income, info.Noise["s"].CI95, info.Budget.Remaining)
}

// FuzzQuery: arbitrary query text is either refused, or every released group holds at least k
// distinct people (recomputed on the workspace) and no secret appears in the result or error.
// The seed corpus is the red-team corpus. The world is built once per fuzz process (the body
// before f.Fuzz runs once in each worker).
func FuzzQuery(f *testing.F) {
	rt := newRedTeam(f)
	for _, q := range loadRedTeamCorpus(f) {
		f.Add(rt.expand(q.text))
	}
	f.Fuzz(func(t *testing.T, q string) {
		out := rt.probe(q, false)
		for _, p := range out.problems {
			t.Errorf("LEAK\n%q\n→ %s", q, p)
		}
	})
}
