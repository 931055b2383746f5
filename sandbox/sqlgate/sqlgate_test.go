package sqlgate

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/inviso/inviso/sandbox/fault"
)

var (
	parserOnce sync.Once
	parser     *Parser
)

func testParser(t testing.TB) *Parser {
	t.Helper()
	parserOnce.Do(func() {
		var err error
		if parser, err = NewParser(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	return parser
}

var schema = Schema{
	"citizens": {Columns: map[string]Column{
		"person_id":  {Type: "BIGINT", Class: "identifier", Usage: "join_only", Unit: true},
		"district":   {Type: "VARCHAR", Class: "quasi_identifier", Usage: "dimension"},
		"gender":     {Type: "VARCHAR", Class: "quasi_identifier", Usage: "dimension"},
		"birth_date": {Type: "INTEGER", Class: "quasi_identifier", Usage: "dimension"},
		"income":     {Type: "BIGINT", Class: "sensitive", Usage: "aggregate_only"},
	}},
	"benefits": {Columns: map[string]Column{
		"person_id": {Type: "BIGINT", Class: "identifier", Usage: "join_only", Unit: true},
		"program":   {Type: "VARCHAR", Class: "public", Usage: "dimension"},
		"amount":    {Type: "DECIMAL(12,2)", Class: "sensitive", Usage: "aggregate_only"},
	}},
}

func analyse(t *testing.T, q string) (*Analysis, error) {
	t.Helper()
	p := testParser(t)
	tree, err := p.Parse(context.Background(), q)
	if err != nil {
		return nil, err
	}
	return p.Analyse(tree, schema)
}

func TestRefusedBeforeAnalysis(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ sql, reason string }{
		"empty":           {"   ", "empty_sql"},
		"comment dash":    {"SELECT count(*) FROM citizens -- hi", "comment"},
		"comment block":   {"SELECT /* x */ count(*) FROM citizens", "comment"},
		"stacked":         {"SELECT count(*) FROM citizens; SELECT 1", "multiple_statements"},
		"pragma":          {"PRAGMA database_list", "not_select"},
		"set":             {"SET threads = 1", "not_select"},
		"attach":          {"ATTACH ':memory:' AS m", "not_select"},
		"copy":            {"COPY citizens TO '/tmp/x.csv'", "not_select"},
		"create macro":    {"CREATE TEMP MACRO count_star() AS 1", "not_select"},
		"call":            {"CALL enable_logging()", "not_select"},
		"insert":          {"INSERT INTO citizens VALUES (1)", "not_select"},
		"pivot":           {"PIVOT citizens ON district USING count(*)", "not_select"},
		"invalid utf8":    {"SELECT '\xff' FROM citizens", "invalid_utf8"},
		"nul":             {"SELECT 1\x00", "nul_byte"},
		"syntax":          {"SELEC count(*) FROM citizens", "syntax_error"},
		"too long":        {"SELECT " + strings.Repeat("1+", MaxSQLBytes) + "1", "sql_too_long"},
		"unknown table":   {"SELECT count(*) FROM secrets", "unknown_table"},
		"unknown column":  {"SELECT name FROM citizens", "unknown_column"},
		"qualified table": {"SELECT count(*) FROM main.citizens", "qualified_table"},
		"qualified fn":    {"SELECT system.main.max(income) FROM citizens", "qualified_function"},
		"group by all":    {"SELECT district, count(*) FROM citizens GROUP BY ALL", "group_by_all"},
		"group by pos":    {"SELECT district, count(*) FROM citizens GROUP BY 1", "positional_group"},
		"positional ref":  {"SELECT #1 FROM citizens", "positional_reference"},
		"no table":        {"SELECT 1", "no_table"},
		"cross join":      {"SELECT count(*) FROM citizens CROSS JOIN benefits", "join_kind"},
		"join inequality": {"SELECT count(*) FROM citizens c JOIN benefits b ON c.person_id < b.person_id", "join_condition"},
		"nested agg":      {"SELECT sum(count(*)) FROM citizens", "computed_aggregate_argument"},
		"filter clause":   {"SELECT count(*) FILTER (WHERE income > 5) FROM citizens", "aggregate_filter"},
		"ambiguous":       {"SELECT count(*) FROM citizens c JOIN benefits b ON c.person_id = b.person_id GROUP BY person_id", "ambiguous_column"},
		"reserved alias":  {"SELECT count(*) AS __inviso_units FROM citizens", "reserved_alias"},
		"unknown fn":      {"SELECT my_udf(income) FROM citizens", "unknown_function"},
		"whole row":       {"SELECT max(c) FROM citizens c", "unknown_column"},
		"failing cast":    {"SELECT gender, count(*) FROM citizens WHERE birth_date = 1900 AND CAST(district AS INTEGER) = 1 GROUP BY gender", "cast_can_fail"},
		"overflow":        {"SELECT gender, count(*) FROM citizens WHERE birth_date * 2000000000 > 0 GROUP BY gender", "operator_can_fail"},
		"self join":       {"SELECT count(*) FROM citizens c JOIN benefits b ON c.person_id = c.person_id", "join_condition"},
		"case in agg":     {"SELECT district, sum(CASE WHEN birth_date = 1900 THEN income ELSE 0 END) FROM citizens GROUP BY district", "computed_aggregate_argument"},
		"arith in agg":    {"SELECT district, sum(income * 1000000000000) FROM citizens GROUP BY district", "computed_aggregate_argument"},
		"cast in agg":     {"SELECT district, avg(CAST(income AS SMALLINT)) FROM citizens GROUP BY district", "computed_aggregate_argument"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := analyse(t, tc.sql)
			f := fault.Public(err)
			if err == nil || len(f.Reasons) == 0 || f.Reasons[0].Code != tc.reason {
				t.Fatalf("got %v %+v, want reason %s", err, f.Reasons, tc.reason)
			}
			if f.Code != fault.InvalidInput {
				t.Fatalf("code %s", f.Code)
			}
		})
	}
}

func TestFeaturesRecognised(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ sql, feature string }{
		"cte":           {"WITH x AS (SELECT 1) SELECT count(*) FROM x", "cte"},
		"union":         {"SELECT district FROM citizens UNION SELECT program FROM benefits", "set_operation"},
		"window":        {"SELECT district, row_number() OVER () FROM citizens", "window"},
		"subquery":      {"SELECT count(*) FROM citizens WHERE income > (SELECT avg(income) FROM citizens)", "subquery"},
		"from subquery": {"SELECT count(*) FROM (SELECT * FROM citizens)", "subquery"},
		"table fn":      {"SELECT count(*) FROM read_csv('/etc/passwd')", "table_function"},
		"star":          {"SELECT * FROM citizens", "star"},
		"distinct on":   {"SELECT DISTINCT ON (district) district, income FROM citizens", "distinct_on"},
		"rollup":        {"SELECT district, count(*) FROM citizens GROUP BY ROLLUP (district)", "grouping_sets"},
		"sample":        {"SELECT count(*) FROM citizens USING SAMPLE 10", "sample"},
		"qualify":       {"SELECT district FROM citizens QUALIFY row_number() OVER () = 1", "qualify"},
		"having":        {"SELECT district, count(*) FROM citizens GROUP BY district HAVING count(*) > 3", "having"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a, err := analyse(t, tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(a.Features, tc.feature) {
				t.Fatalf("features %v lack %s", a.Features, tc.feature)
			}
		})
	}
}

func TestAnalysis(t *testing.T) {
	t.Parallel()
	a, err := analyse(t, `SELECT c.district, count(*) AS n, avg(income), count(DISTINCT b.program)
		FROM citizens c JOIN benefits b ON c.person_id = b.person_id
		WHERE gender = '女' AND birth_date BETWEEN 1960 AND 1980
		GROUP BY c.district ORDER BY n DESC LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(a)
	for _, want := range []string{
		`"tables":["benefits","citizens"]`,
		`{"table":"citizens","column":"district","context":"group_key"}`,
		`{"table":"citizens","column":"gender","context":"filter"}`,
		`{"table":"citizens","column":"birth_date","context":"filter"}`,
		`{"table":"citizens","column":"income","context":"aggregate_arg","function":"avg"}`,
		`{"table":"benefits","column":"program","context":"aggregate_arg","function":"count","distinct":true}`,
		`{"table":"citizens","column":"person_id","context":"join_key"}`,
		`{"name":"district","kind":"group_key"}`,
		`{"name":"n","kind":"aggregate","function":"count_star"}`,
		`"joins":[{"type":"inner","left":{"table":"citizens","column":"person_id"},"right":{"table":"benefits","column":"person_id"}}]`,
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("analysis lacks %s\n%s", want, got)
		}
	}
	for _, f := range []string{"filter", "group_by", "join", "order_by", "limit"} {
		if !slices.Contains(a.Features, f) {
			t.Errorf("features %v lack %s", a.Features, f)
		}
	}
	// Raw projection is reported as such, case and quoting notwithstanding.
	a, err = analyse(t, `SELECT "INCOME", DiStRiCt FROM Citizens`)
	if err != nil {
		t.Fatal(err)
	}
	if a.Outputs[0].Kind != "projected_raw" || a.Outputs[1].Kind != "projected_raw" {
		t.Fatalf("outputs %+v", a.Outputs)
	}
	// Quoted built-ins are still the built-ins: reported by their name.
	a, err = analyse(t, `SELECT "max"(income) FROM citizens`)
	if err != nil || a.Functions[0].Name != "max" || a.Functions[0].Kind != Aggregate {
		t.Fatalf("quoted max: %+v %v", a.Functions, err)
	}
}
