package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/crypto/he"
	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/api"
	"github.com/inviso/inviso/sandbox/audit"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/rules"
)

// Options configure a demo run.
type Options struct {
	DataDir string // must not hold an earlier demo
	Rows    int    // citizens to generate (default 20,000)
	Seed    int64
	DuckDB  duck.Config
	Logger  *slog.Logger
	// PluginBinary is the built examples/plugins/riskscore (make demo builds it); empty skips
	// the plugin step.
	PluginBinary string
}

// Result is what a run produced, for tests and callers.
type Result struct {
	Citizens, Benefits catalog.Version
	Grant              catalog.Grant
	Tokens             map[string]string // principal id → token
	Job                string            // the released demo job
	Replay             client.ReplayResult
	DPJob              string // the last released job of the DP grant
	HEJob              string // the homomorphic job
	PluginJob          string // the plugin job (empty when skipped or refused)
	Server             string
}

// The cast of the demo (Art. 3 roles).
var (
	agencies = []catalog.Agency{
		{ID: "civil-affairs", Name: "肇庆市民政局 (civil affairs bureau)", Kind: catalog.KindSource},
		{ID: "hrss", Name: "肇庆市人力资源和社会保障局 (human resources and social security bureau)", Kind: catalog.KindSource},
		{ID: "data-bureau", Name: "肇庆市政务服务和数据管理局 (implementing agency)", Kind: catalog.KindImplementing},
		{ID: "operator", Name: "肇庆数据运营有限公司 (operating agency)", Kind: catalog.KindOperating},
		{ID: "devco", Name: "某数据科技有限公司 (development agency)", Kind: catalog.KindDevelopment},
		{ID: "audit-office", Name: "肇庆市审计局 (supervisor)", Kind: catalog.KindSupervision},
	}
	principals = []struct {
		id, agency string
		role       catalog.Role
	}{
		{"ca-loader", "civil-affairs", catalog.RoleSource},
		{"hr-loader", "hrss", catalog.RoleSource},
		{"reviewer", "data-bureau", catalog.RoleImplementer},
		{"ops", "operator", catalog.RoleOperator},
		{"analyst", "devco", catalog.RoleDeveloper},
		{"inspector", "audit-office", catalog.RoleAuditor},
	}
)

// Run performs the walk-through, printing what happens to out.
func Run(ctx context.Context, out io.Writer, opt Options) (*Result, error) {
	if opt.Rows == 0 {
		opt.Rows = 20_000
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	sb, err := sandbox.Open(ctx, sandbox.Options{DataDir: opt.DataDir, DuckDB: opt.DuckDB, Logger: opt.Logger})
	if err != nil {
		return nil, err
	}
	defer sb.Close()
	base, stop, err := api.ServeLoopback(ctx, api.New(sb, api.Options{Logger: opt.Logger}), opt.Logger)
	if err != nil {
		return nil, err
	}
	defer stop()

	res := &Result{Tokens: map[string]string{}, Server: base}
	adminTok, err := os.ReadFile(sb.AdminTokenPath)
	if err != nil {
		return nil, fmt.Errorf("read admin token: %w", err)
	}
	admin, err := client.New(res.Server, string(adminTok), nil)
	if err != nil {
		return nil, err
	}
	if err := admin.WaitReady(ctx); err != nil {
		return nil, err
	}
	p("inviso demo — raw data never leaves the domain; data is usable but invisible (原始数据不出域、数据可用不可见)")
	p("")
	p("1. A sandbox server is running on %s with its data directory at %s.", res.Server, opt.DataDir)
	p("   On first start it created the platform administrator and wrote its token to %s (mode 0600).", sb.AdminTokenPath)

	p("")
	p("2. The data management agency registers the agencies of the regulation (Art. 3) and their people:")
	for _, a := range agencies {
		if _, err := admin.CreateAgency(ctx, a); err != nil {
			if fault.CodeOf(err) == fault.Conflict {
				return nil, fmt.Errorf("%s already holds a demo; run the demo on a fresh data directory: %w", opt.DataDir, err)
			}
			return nil, err
		}
		p("   - agency %-14s %s", a.ID, a.Name)
	}
	for _, pr := range principals {
		_, tok, err := admin.CreatePrincipal(ctx, pr.id, pr.agency, pr.role)
		if err != nil {
			return nil, err
		}
		res.Tokens[pr.id] = tok
		p("   - principal %-10s acts for %-14s as %s (a 256-bit token, stored only as its hash)", pr.id, pr.agency, pr.role)
	}
	as := func(id string) *client.Client { return admin.WithToken(res.Tokens[id]) }

	p("")
	p("3. The source agencies register their datasets in the catalog (Art. 17):")
	sets := []struct {
		loader string
		d      catalog.Dataset
		table  synth.Table
		format synth.Format
	}{
		{"ca-loader", catalog.Dataset{Name: "citizens", Description: "户籍人口基本信息 — residents with resident ID, phone, district, household income and diagnosis",
			Classification: catalog.L3Sensitive, PrivacyUnit: "person_id", UpdateFrequency: "monthly", Schema: citizensSchema}, synth.Citizens, synth.CSV},
		{"hr-loader", catalog.Dataset{Name: "benefits", Description: "社会保障待遇发放 — social benefit payments by programme",
			Classification: catalog.L3Sensitive, PrivacyUnit: "person_id", UpdateFrequency: "monthly"}, synth.Benefits, synth.Parquet},
	}
	for _, s := range sets {
		d, err := as(s.loader).RegisterDataset(ctx, s.d)
		if err != nil {
			return nil, err
		}
		p("   - %s by %s: classification %s, privacy unit %s", d.Name, d.Agency, d.Classification, d.PrivacyUnit)
	}

	p("")
	p("4. They generate synthetic data (%d citizens, seed %d; no real person) and import it:", opt.Rows, opt.Seed)
	genDir, err := os.MkdirTemp("", "inviso-demo-files-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(genDir)
	for i, s := range sets {
		path, rows, err := synth.WriteFile(ctx, genDir, memory.DefaultAllocator, s.table, s.format, synth.Config{Rows: opt.Rows, Seed: opt.Seed})
		if err != nil {
			return nil, err
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		v, err := as(s.loader).Import(ctx, s.d.Name, string(s.format), f, false)
		f.Close()
		if err != nil {
			return nil, err
		}
		took := time.Since(start)
		if v.Rows != rows {
			return nil, fmt.Errorf("imported %d rows of %s, generated %d", v.Rows, s.d.Name, rows)
		}
		p("   - %s.%s → %s version %d: %d rows in %s, digest %s", s.table, s.format, v.Dataset, v.Number, v.Rows, took.Round(time.Millisecond), v.Digest[:19]+"…")
		if i == 0 {
			res.Citizens = v
		} else {
			res.Benefits = v
		}
	}

	p("")
	p("5. Anyone signed in can read the catalog: schema and counts, never a value (no min, max or sample):")
	d, err := as("analyst").Dataset(ctx, "citizens")
	if err != nil {
		return nil, err
	}
	for _, c := range d.Versions[len(d.Versions)-1].Columns {
		p("   - %-15s %-9s nulls %-7d ≈%d distinct", c.Name, c.Type, c.Nulls, c.ApproxDistinct)
	}

	p("")
	p("6. And the platform refuses what it must, with a stable code and nothing half-done:")
	refusals := []struct {
		what string
		try  func() error
	}{
		{"the developer tries to upload data", func() error {
			_, err := as("analyst").Import(ctx, "citizens", "csv", strings.NewReader("person_id\nx\n"), false)
			return err
		}},
		{"the HR bureau tries to overwrite the civil-affairs dataset", func() error {
			_, err := as("hr-loader").Import(ctx, "citizens", "csv", strings.NewReader("person_id\nx\n"), false)
			return err
		}},
		{"a request without a token", func() error {
			_, err := admin.WithToken("").Datasets(ctx)
			return err
		}},
		{"a CSV whose third line has an extra field", func() error {
			_, err := as("ca-loader").Import(ctx, "citizens", "csv", strings.NewReader(badCSV()), false)
			return err
		}},
		{"a new version with a column the last one did not have", func() error {
			_, err := as("hr-loader").Import(ctx, "benefits", "csv", strings.NewReader("person_id,program,amount,paid_on,extra\nZQ0000000001,医疗救助,100.00,2025-01-01,1\n"), false)
			return err
		}},
	}
	for _, r := range refusals {
		err := r.try()
		var f *fault.Error
		if !errors.As(err, &f) {
			return nil, fmt.Errorf("%s: expected a refusal, got %v", r.what, err)
		}
		p("   - %s → %s: %s", r.what, f.Code, f.Message)
	}
	after, err := admin.Dataset(ctx, "citizens")
	if err != nil {
		return nil, err
	}
	p("   The catalog still holds exactly %d version(s) of citizens.", len(after.Versions))

	if err := grantWalk(ctx, p, as, res); err != nil {
		return nil, err
	}
	if err := auditWalk(ctx, p, sb, as, res); err != nil {
		return nil, err
	}
	if err := dpWalk(ctx, p, as, res); err != nil {
		return nil, err
	}
	if err := heWalk(ctx, p, as, res); err != nil {
		return nil, err
	}
	if err := pluginWalk(ctx, p, as, opt.PluginBinary, res); err != nil {
		return nil, err
	}

	p("")
	p("Done. Raw rows stayed in %s; only names, counts and digests left it.", filepath.Join(opt.DataDir, "store"))
	return res, nil
}

// citizensGrant walks a citizens-only scenario through review: the developer requests it,
// civil affairs consents, the implementing agency approves it.
func citizensGrant(ctx context.Context, as func(string) *client.Client, req catalog.ScenarioRequest) (catalog.Grant, error) {
	sc, err := as("analyst").RequestScenario(ctx, req)
	if err != nil {
		return catalog.Grant{}, err
	}
	if _, err := as("ca-loader").ConsentScenario(ctx, sc.ID); err != nil {
		return catalog.Grant{}, err
	}
	return as("reviewer").ApproveScenario(ctx, sc.ID)
}

// dpWalk requests a second scenario with differential privacy: its answers carry calibrated
// noise, say how much, and spend a privacy budget that runs out.
func dpWalk(ctx context.Context, p func(string, ...any), as func(string) *client.Client, res *Result) error {
	p("")
	p("13. A scenario with differential privacy: each answer carries calibrated noise and spends a budget:")
	g, err := citizensGrant(ctx, as, catalog.ScenarioRequest{
		Name: "income_by_district_dp", Purpose: "publish income statistics by district", Use: catalog.PublicInterest,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "income"}},
		JobKinds: []string{"sql"}, ValidUntil: time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second), Agreement: "ZQ-SJYY-2026-018",
		DP: &catalog.DP{Epsilon: 1, EpsilonPerQuery: 0.5},
	})
	if err != nil {
		return err
	}
	p("   - grant %s: total epsilon %g, %g per query, delta %g; noise calibrated to what one person can change",
		g.ID, g.DP.Epsilon, g.DP.EpsilonPerQuery, g.DP.Delta)
	q := "SELECT district, count(*) AS people, avg(income) AS mean_income FROM citizens GROUP BY district"
	for i := range 3 {
		qr, err := as("analyst").Query(ctx, g.ID, q, false)
		var f *fault.Error
		if errors.As(err, &f) {
			p("   query %d → %s: %s", i+1, f.Code, f.Message)
			break
		}
		if err != nil {
			return err
		}
		p("   query %d: %s", i+1, q)
		for _, row := range qr.Rows {
			p("     %v", row)
		}
		n, mean := qr.Noise["people"], qr.Noise["mean_income"]
		p("     people: ±%g (95%%); mean_income: noisy sum ±%g over a noisy count ±%g; groups need ≥ %d people (noisy)",
			n.CI95, mean.Parts["sum"].CI95, mean.Parts["count"].CI95, qr.Threshold)
		p("     privacy budget: spent %g of %g, %g left", qr.Budget.Spent, qr.Budget.Total, qr.Budget.Remaining)
		res.DPJob = qr.Job
	}
	return nil
}

// heWalk scores a lender's private model per district with homomorphic encryption (the
// same flow as examples/he): the sandbox never sees the weights, the lender never sees a row.
func heWalk(ctx context.Context, p func(string, ...any), as func(string) *client.Client, res *Result) error {
	p("")
	p("14. A homomorphic job: a lender scores districts with a private model the operator never sees:")
	g, err := citizensGrant(ctx, as, catalog.ScenarioRequest{
		Name: "district_risk_model", Purpose: "score districts with a proprietary credit-risk model", Use: catalog.Commercial,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "income", "birth_date"}},
		JobKinds: []string{"sql", "he"}, HECircuits: []string{"linear_score"},
		ValidUntil: time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second), Agreement: "ZQ-SJYY-2026-019",
	})
	if err != nil {
		return err
	}
	set, err := he.Lookup("ckks-n13")
	if err != nil {
		return err
	}
	keys, err := he.KeyGen(set)
	if err != nil {
		return err
	}
	features, weights := []string{"income", "birth_date"}, []float64{0.00002, -0.01}
	p("   - the lender makes a fresh CKKS key pair (%s) on its own machine and encrypts its weights", set.Name())
	var out bytes.Buffer
	job, err := as("analyst").RunHE(ctx, g.ID, keys, client.HEJob{Circuit: "linear_score", GroupBy: []string{"district"}, Features: features, Weights: weights}, &out)
	if err != nil {
		return err
	}
	p("   - job %s: the sandbox sums each released district's features (k applies) and scores them under encryption;", job)
	p("     %d bytes of Arrow leave, holding one ciphertext", out.Len())
	_, rows, err := client.DecryptHE(keys, &out)
	if err != nil {
		return err
	}
	check, err := as("analyst").Query(ctx, g.ID, "SELECT district, sum(income) AS income, sum(birth_date) AS birth FROM citizens GROUP BY district", false)
	if err != nil {
		return err
	}
	plain := map[string]float64{}
	for _, r := range check.Rows {
		var inc, birth float64
		fmt.Sscan(fmt.Sprint(r[1]), &inc)
		fmt.Sscan(fmt.Sprint(r[2]), &birth)
		plain[fmt.Sprint(r[0])] = inc*weights[0] + birth*weights[1]
	}
	p("   district   people   decrypted score   plaintext check")
	for _, r := range rows {
		want := plain[fmt.Sprint(r[0])]
		got, _ := r[2].(float64)
		p("   %-8v   %6v   %15.4f   %15.4f", r[0], r[1], got, want)
		if d := got - want; d > 1e-3 || d < -1e-3 {
			return fmt.Errorf("district %v: decrypted %.6f, plaintext %.6f", r[0], got, want)
		}
	}
	res.HEJob = job
	return nil
}

// pluginWalk brings the developer's own code to the data: the riskscore plugin is uploaded,
// its digest reviewed and approved in a scenario, and only the gated mean score per district
// leaves.
func pluginWalk(ctx context.Context, p func(string, ...any), as func(string) *client.Client, bin string, res *Result) error {
	p("")
	p("15. A plugin job: the developer's own Go program runs next to the data, isolated; only gated aggregates of its output leave:")
	if bin == "" {
		p("   (skipped: no plugin binary given; make demo builds examples/plugins/riskscore)")
		return nil
	}
	f, err := os.Open(bin)
	if err != nil {
		return err
	}
	digest, err := as("analyst").PutPlugin(ctx, f)
	f.Close()
	if err != nil {
		return err
	}
	p("   - the developer uploads riskscore: %s", digest)
	g, err := citizensGrant(ctx, as, catalog.ScenarioRequest{
		Name: "district_risk_plugin", Purpose: "mean credit-risk score per district with our own scoring code", Use: catalog.Commercial,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "income", "birth_date"}},
		JobKinds: []string{"plugin"}, Plugins: []string{digest},
		ValidUntil: time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second), Agreement: "ZQ-SJYY-2026-020",
	})
	if err != nil {
		return err
	}
	p("   - the implementing agency reviews the code and approves its digest in grant %s (one scenario, one review)", g.ID)
	req := catalog.JobRequest{Kind: "plugin", Plugin: digest, InputSQL: "SELECT district, birth_date, income FROM citizens",
		ReleaseSQL: "SELECT district, avg(score) AS mean_score, count(*) AS people FROM output GROUP BY district ORDER BY district"}
	p("   input:   %s", req.InputSQL)
	p("   release: %s", req.ReleaseSQL)
	var out bytes.Buffer
	job, err := as("analyst").SubmitJob(ctx, g.ID, req, "application/json", &out)
	var f2 *fault.Error
	if errors.As(err, &f2) {
		p("   → %s: %s", f2.Code, f2.Message)
		return nil // a host that cannot isolate plugins refuses them: that is the right outcome
	}
	if err != nil {
		return err
	}
	var qr client.QueryResult
	if err := json.Unmarshal(out.Bytes(), &qr); err != nil {
		return err
	}
	for _, r := range qr.Rows {
		p("     %v", r)
	}
	p("   (job %s: the plugin saw desensitized rows in a jail with no network and no files; its stdout and stderr are kept for the operator)", job)
	res.PluginJob = job
	return nil
}

// auditWalk is the auditor's part: pin the log's key, verify the whole log, prove the demo job
// is in it, and replay the job bit for bit.
func auditWalk(ctx context.Context, p func(string, ...any), sb *sandbox.Sandbox, as func(string) *client.Client, res *Result) error {
	p("")
	p("12. The auditor checks the tamper-evident job log (Merkle tree, signed checkpoints):")
	size, err := sb.Journal().Size(ctx)
	if err != nil {
		return err
	}
	if _, _, err := sb.Journal().WaitCheckpoint(ctx, size); err != nil {
		return err
	}
	inspector := as("inspector")
	vkey, err := inspector.LogKey(ctx)
	if err != nil {
		return err
	}
	v, err := audit.ParseVerifierKey(vkey)
	if err != nil {
		return err
	}
	p("   - pins the verifier key %s", strings.TrimSpace(vkey))
	src, err := inspector.LogSource()
	if err != nil {
		return err
	}
	rep, err := audit.Verify(ctx, src, v, nil)
	if err != nil {
		return err
	}
	p("   - verifies all %d entries against the signed checkpoint: every state change and job above is there", rep.Size)
	p("     (%d jobs, %d agencies, %d principals, %d imports, %d rule sets, %d grant approvals)", rep.Kinds[audit.KindJob],
		rep.Kinds[audit.KindAgencyCreated], rep.Kinds[audit.KindPrincipalCreated], rep.Kinds[audit.KindVersionImported],
		rep.Kinds[audit.KindRulesSet], rep.Kinds[audit.KindScenarioApproved])
	j, err := inspector.Job(ctx, res.Job)
	if err != nil {
		return err
	}
	p("   - job %s: %s, policy input %s…, result %s…", j.ID, j.State, j.PolicyDigest[:19], j.ResultDigest[:19])
	r, err := inspector.Replay(ctx, res.Job)
	if err != nil {
		return err
	}
	res.Replay = r
	if !r.Match {
		return fmt.Errorf("replay of %s did not match: %+v", res.Job, r)
	}
	p("   - replays it: workspace rebuilt from its recipe (%s…), query re-run, result %s… — match, bit for bit", r.ReplayedWorkspace[:19], r.ReplayedDigest[:19])
	return nil
}

// The source agencies' desensitization rules (Art. 24).
var (
	citizensRules = rules.Set{Columns: map[string]rules.Rule{
		"person_id":      {Class: rules.Identifier, Treatment: rules.Hash, Usage: rules.JoinOnly},
		"name":           {Class: rules.Identifier, Treatment: rules.Drop},
		"id_number":      {Class: rules.Identifier, Treatment: rules.Drop},
		"phone":          {Class: rules.Identifier, Treatment: rules.Mask, Params: &rules.Params{KeepFirst: ptr(3), KeepLast: ptr(4)}},
		"gender":         {Class: rules.QuasiIdentifier, Treatment: rules.Keep, Usage: rules.Dimension},
		"birth_date":     {Class: rules.QuasiIdentifier, Treatment: rules.Generalize, Usage: rules.Dimension, Params: &rules.Params{To: "year", Width: ptr(5.0)}},
		"district":       {Class: rules.QuasiIdentifier, Treatment: rules.Keep, Usage: rules.Dimension},
		"income":         {Class: rules.Sensitive, Treatment: rules.Keep, Usage: rules.AggregateOnly, Params: &rules.Params{Lo: ptr(0.0), Hi: ptr(1_000_000.0)}},
		"diagnosis_code": {Class: rules.Sensitive, Treatment: rules.Drop},
	}}
	benefitsRules = rules.Set{Columns: map[string]rules.Rule{
		"person_id": {Class: rules.Identifier, Treatment: rules.Hash, Usage: rules.JoinOnly},
		"program":   {Class: rules.Public, Treatment: rules.Keep, Usage: rules.Dimension},
		"amount":    {Class: rules.Sensitive, Treatment: rules.Keep, Usage: rules.AggregateOnly, Params: &rules.Params{Lo: ptr(0.0), Hi: ptr(100_000.0)}},
		"paid_on":   {Class: rules.QuasiIdentifier, Treatment: rules.Generalize, Usage: rules.Dimension, Params: &rules.Params{To: "month"}},
	}}
)

func ptr[T any](v T) *T { return &v }

// grantWalk: rules, a scenario, co-review, the one grant and its workspace, dummy data.
func grantWalk(ctx context.Context, p func(string, ...any), as func(string) *client.Client, res *Result) error {
	p("")
	p("7. The source agencies classify their columns and set desensitization rules (Art. 24):")
	for _, r := range []struct {
		who, dataset string
		set          rules.Set
	}{{"ca-loader", "citizens", citizensRules}, {"hr-loader", "benefits", benefitsRules}} {
		rs, err := as(r.who).SetRules(ctx, r.dataset, r.set, 0)
		if err != nil {
			return err
		}
		var parts []string
		for _, col := range sortedKeys(r.set.Columns) {
			rule := r.set.Columns[col]
			parts = append(parts, fmt.Sprintf("%s=%s", col, rule.Treatment))
		}
		p("   - %s rules v%d (min k %d): %s", r.dataset, rs.Version, rs.MinK, strings.Join(parts, " "))
	}
	if _, err := as("reviewer").CosignRules(ctx, "citizens", 1); err != nil {
		return err
	}
	p("   The implementing agency co-signs the citizens rules.")

	p("")
	p("8. The development agency requests one scenario (一场景一授权):")
	sc, err := as("analyst").RequestScenario(ctx, catalog.ScenarioRequest{
		Name: "benefit_coverage", Purpose: "measure benefit coverage by district and age band", Use: catalog.PublicInterest,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "gender", "birth_date", "income"}, "benefits": {"person_id", "program", "amount"}},
		JobKinds: []string{"sql"}, ValidUntil: time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second), Agreement: "ZQ-SJYY-2026-017",
	})
	if err != nil {
		return err
	}
	p("   - scenario %s %q for %s, k = %d, valid until %s", sc.ID, sc.Name, sc.Use, sc.K, sc.ValidUntil.Format("2006-01-02"))
	if _, err := as("reviewer").ApproveScenario(ctx, sc.ID); err != nil {
		var f *fault.Error
		if errors.As(err, &f) {
			p("   - approving before the source agencies agree → %s: %s", f.Code, f.Message)
			for _, r := range f.Reasons {
				p("       %s: %s", r.Code, r.Message)
			}
		}
	} else {
		return errors.New("a scenario was approved without the source agencies' consent")
	}
	for _, who := range []string{"ca-loader", "hr-loader"} {
		if _, err := as(who).ConsentScenario(ctx, sc.ID); err != nil {
			return err
		}
		p("   - %s consents for its agency's datasets (co-review, Art. 19)", who)
	}

	p("")
	p("9. The implementing agency approves: the grant's workspace is built, desensitized on the way in:")
	g, err := as("reviewer").ApproveScenario(ctx, sc.ID)
	if err != nil {
		return err
	}
	res.Grant = g
	p("   - grant %s is %s, workspace %s…", g.ID, g.State, g.Workspace.Digest[:19])
	for _, t := range g.Workspace.Tables {
		var cols []string
		for _, c := range t.Columns {
			cols = append(cols, c.Name+" "+c.Type)
		}
		p("     %s: %d rows, at most %d per person; columns %s", t.Name, t.Rows, t.MaxRowsPerUnit, strings.Join(cols, ", "))
	}
	p("     (person_id is now a per-grant keyed pseudonym; names, ID numbers and diagnoses never entered it)")
	if _, err := as("reviewer").ApproveScenario(ctx, sc.ID); err != nil {
		var f *fault.Error
		if errors.As(err, &f) {
			p("   - approving it again → %s: %s", f.Code, f.Message)
		}
	} else {
		return errors.New("a scenario got a second grant")
	}

	p("")
	p("10. The developer downloads dummy data with the workspace's schema, to write queries offline:")
	var buf bytes.Buffer
	if err := as("analyst").Dummy(ctx, g.ID, "duckdb", 1000, &buf); err != nil {
		return err
	}
	p("   - %d bytes of DuckDB with the same tables and types, and no real value in it", buf.Len())

	p("")
	p("11. The developer runs SQL under the grant; only groups of at least k = %d people leave:", g.K)
	q := "SELECT district, gender, count(*) AS people, avg(income) AS mean_income FROM citizens GROUP BY district, gender ORDER BY district, gender"
	qr, err := as("analyst").Query(ctx, g.ID, q, false)
	if err != nil {
		return err
	}
	p("   %s", q)
	for i, row := range qr.Rows {
		if i == 6 {
			p("     … %d rows in all", len(qr.Rows))
			break
		}
		p("     %v", row)
	}
	p("   (job %s; any group under k would have been left out silently: not even their number is told)", qr.Job)
	res.Job = qr.Job
	for _, bad := range []string{
		"SELECT person_id, income FROM citizens",
		"SELECT district, max(income) FROM citizens WHERE income > 500000 GROUP BY district",
		"SELECT * FROM read_csv('/etc/passwd')",
	} {
		_, err := as("analyst").Query(ctx, g.ID, bad, false)
		var f *fault.Error
		if !errors.As(err, &f) {
			return fmt.Errorf("%q was not refused: %v", bad, err)
		}
		p("   %s", bad)
		p("     → %s", f.Code)
		for _, r := range f.Reasons {
			p("       %s: %s", r.Code, r.Message)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// citizensSchema is declared at registration so the CSV import keeps phone numbers and ID
// numbers as text (a sniffer would read 11 digits as a number).
var citizensSchema = []catalog.SchemaColumn{
	{Name: "person_id", Type: "VARCHAR"}, {Name: "name", Type: "VARCHAR"}, {Name: "id_number", Type: "VARCHAR"},
	{Name: "phone", Type: "VARCHAR"}, {Name: "gender", Type: "VARCHAR"}, {Name: "birth_date", Type: "DATE"},
	{Name: "district", Type: "VARCHAR"}, {Name: "income", Type: "BIGINT"}, {Name: "diagnosis_code", Type: "VARCHAR"},
}

// badCSV is a citizens file whose third line has one field too many.
func badCSV() string {
	h := "person_id,name,id_number,phone,gender,birth_date,district,income,diagnosis_code\n"
	ok := "ZQ0000000001,张三,441202199001011234,13800138000,男,1990-01-01,端州区,52000,\n"
	bad := "ZQ0000000002,李四,441202199001021234,13800138001,女,1990-01-02,端州区,61000,,extra\n"
	return h + ok + bad
}
