package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// groupsOK recomputes, on the workspace itself, the distinct units of every released
// (district) group and checks each is at least k.
func TestQueryReleasesOnlyGroupsOfK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.grant(t, w.dev, "q", false)
	res, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT district, birth_date, count(*) AS n, avg(income) AS mean FROM citizens GROUP BY district, birth_date ORDER BY n DESC", false)
	if err != nil {
		t.Fatalf("%v %+v", err, fault.Public(err).Reasons)
	}
	defer res.Release()
	if res.Rows == 0 || res.Suppressed == 0 {
		t.Fatalf("rows %d suppressed %d: expected both released and suppressed groups", res.Rows, res.Suppressed)
	}
	if got := res.Schema.Field(res.Schema.NumFields() - 1).Name; got != "mean" {
		t.Fatalf("the hidden units column leaked into the schema: %s", got)
	}
	db := w.openWorkspace(t, g)
	for _, b := range res.Batches {
		d := b.Column(0).(*array.String)
		y := b.Column(1).(*array.Int32)
		for i := 0; i < int(b.NumRows()); i++ {
			var units int
			if err := db.QueryRow("SELECT count(DISTINCT person_id) FROM citizens WHERE district = ? AND birth_date = ?", d.Value(i), y.Value(i)).Scan(&units); err != nil {
				t.Fatal(err)
			}
			if units < g.K {
				t.Fatalf("released group (%s, %d) has %d people < k=%d", d.Value(i), y.Value(i), units, g.K)
			}
		}
	}
	job, err := w.sb.catalog.Job(ctx, res.Job)
	if err != nil || job.State != catalog.JobReleased || !strings.Contains(job.Rewritten, "__inviso_units") || job.ResultDigest == "" || job.Suppressed != res.Suppressed {
		t.Fatalf("job record %+v %v", job, err)
	}
	if got, _ := w.sb.Grant(ctx, *w.dev, g.ID); got.JobsUsed != 1 {
		t.Fatalf("jobs used %d, want 1", got.JobsUsed)
	}
}

func TestQueryDeniedWithEveryReason(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.grant(t, w.dev, "deny", false)
	_, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT person_id, income, max(income) FROM citizens WHERE income > 100 GROUP BY person_id, income", false)
	f := fault.Public(err)
	if f.Code != fault.PolicyDenied || len(f.Reasons) < 3 {
		t.Fatalf("want policy_denied with several reasons, got %+v", f)
	}
	codes := map[string]bool{}
	for _, r := range f.Reasons {
		codes[r.Code] = true
	}
	for _, want := range []string{"aggregate_not_allowed", "filter_not_dimension", "group_key_not_dimension"} {
		if !codes[want] {
			t.Errorf("reasons lack %s: %+v", want, f.Reasons)
		}
	}
	if got, _ := w.sb.Grant(ctx, *w.dev, g.ID); got.JobsUsed != 0 {
		t.Fatalf("a refused job spent budget: %d", got.JobsUsed)
	}
	// check_only decides without running or spending.
	res, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT district, count(*) FROM citizens GROUP BY district", true)
	if err != nil || !res.CheckOnly || res.Batches != nil {
		t.Fatalf("check only: %+v %v", res, err)
	}
	if got, _ := w.sb.Grant(ctx, *w.dev, g.ID); got.JobsUsed != 0 {
		t.Fatalf("check_only spent budget: %d", got.JobsUsed)
	}
}

func TestQueryGrantStateAndBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	s := w.request(t, w.dev, "budget", map[string][]string{"citizens": {"district", "income"}}, false)
	_ = s
	g := w.grant(t, w.dev2, "other", false)
	// Another developer's grant is not visible.
	if _, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT district, count(*) FROM citizens GROUP BY district", false); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("foreign grant: %v", err)
	}
	if _, err := w.sb.ChangeGrant(ctx, *w.impl, g.ID, catalog.GrantSuspended, "pause"); err != nil {
		t.Fatal(err)
	}
	_, err := w.sb.Query(ctx, *w.dev2, g.ID, "SELECT district, count(*) FROM citizens GROUP BY district", false)
	f := fault.Public(err)
	if f.Code != fault.PolicyDenied || !slices.ContainsFunc(f.Reasons, func(r fault.Reason) bool { return r.Code == "grant_inactive" }) {
		t.Fatalf("suspended grant: %+v", f)
	}
	w.sb.ChangeGrant(ctx, *w.impl, g.ID, catalog.GrantActive, "")
	w.sb.catalog.UpdateGrant(ctx, g.ID, "test.budget", func(g *catalog.Grant) error { g.JobBudget = 1; return nil })
	if _, err := w.sb.Query(ctx, *w.dev2, g.ID, "SELECT district, count(*) FROM citizens GROUP BY district", false); err != nil {
		t.Fatal(err)
	}
	_, err = w.sb.Query(ctx, *w.dev2, g.ID, "SELECT district, count(*) FROM citizens GROUP BY district", false)
	if c := fault.CodeOf(err); c != fault.PolicyDenied && c != fault.BudgetExhausted {
		t.Fatalf("over budget: %v", err)
	}
}

func TestQueryLimitAppliesAfterSuppression(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.grant(t, w.dev, "limit", false)
	all, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT district, birth_date, count(*) AS n FROM citizens GROUP BY district, birth_date ORDER BY n ASC, district, birth_date", false)
	if err != nil {
		t.Fatalf("%v %+v", err, fault.Public(err).Reasons)
	}
	defer all.Release()
	top, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT district, birth_date, count(*) AS n FROM citizens GROUP BY district, birth_date ORDER BY n ASC, district, birth_date LIMIT 3", false)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Release()
	flat := func(r *QueryResult) []string {
		var out []string
		for _, b := range r.Batches {
			for i := 0; i < int(b.NumRows()); i++ {
				out = append(out, fmt.Sprint(b.Column(0).ValueStr(i), b.Column(1).ValueStr(i), b.Column(2).ValueStr(i)))
			}
		}
		return out
	}
	a, b := flat(all), flat(top)
	if len(b) != 3 || !slices.Equal(a[:3], b) {
		t.Fatalf("LIMIT 3 over released groups: got %v, want %v", b, a[:3])
	}
	// The smallest released group still has at least k units: ORDER BY n ASC LIMIT cannot
	// surface a suppressed group.
	if n := top.Batches[0].Column(2).(*array.Int64).Value(0); n < int64(g.K) {
		t.Fatalf("smallest released count %d < k", n)
	}
}

func TestQueryRoundsCountsWhenTheGrantSaysSo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	s, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{Name: "rounded", Purpose: "p", Use: catalog.PublicInterest,
		Datasets: map[string][]string{"citizens": {"district", "income"}}, ValidUntil: w.clk.Now().Add(time.Hour), RoundTo: 5})
	if err != nil {
		t.Fatal(err)
	}
	w.sb.ConsentScenario(ctx, *w.ca, s.ID)
	g, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID)
	if err != nil || g.RoundTo != 5 {
		t.Fatalf("grant %+v %v", g, err)
	}
	res, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT district, count(*) AS n, sum(income) AS s FROM citizens GROUP BY district", false)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	for _, b := range res.Batches {
		n := b.Column(1).(*array.Int64)
		for i := 0; i < n.Len(); i++ {
			if n.Value(i)%5 != 0 {
				t.Fatalf("count %d is not rounded to 5", n.Value(i))
			}
		}
	}
	if _, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{Name: "bad", Purpose: "p", Use: catalog.PublicInterest,
		Datasets: map[string][]string{"citizens": {"district"}}, ValidUntil: w.clk.Now().Add(time.Hour), RoundTo: 1}); fault.CodeOf(err) != fault.InvalidInput {
		t.Fatalf("round_to 1: %v", err)
	}
}

func TestQueryWithEveryGroupSuppressedHasASchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.grant(t, w.dev, "empty", false)
	res, err := w.sb.Query(ctx, *w.dev, g.ID, "SELECT district, count(*) AS n FROM citizens WHERE birth_date = 1800 GROUP BY district", false)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if res.Rows != 0 || res.Schema == nil || res.Schema.NumFields() != 2 {
		t.Fatalf("rows %d schema %v", res.Rows, res.Schema)
	}
}
