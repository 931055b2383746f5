package sandbox

import (
	"bytes"
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/inviso/inviso/crypto/he"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// heGrant approves a scenario allowing SQL and homomorphic jobs (circuits as given).
func (w *world) heGrant(t *testing.T, name string, circuits []string) catalog.Grant {
	t.Helper()
	ctx := context.Background()
	s, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{
		Name: name, Purpose: "score districts with a private model", Use: catalog.Commercial,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "income", "birth_date"}, "benefits": {"person_id", "program", "amount"}},
		JobKinds: []string{"sql", "he"}, HECircuits: circuits, ValidUntil: w.clk.Now().Add(30 * 24 * time.Hour),
	})
	if err != nil {
		t.Fatalf("request: %v %+v", err, fault.Public(err).Reasons)
	}
	for _, src := range []*catalog.Principal{w.ca, w.hr} {
		if _, err := w.sb.ConsentScenario(ctx, *src, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	g, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID)
	if err != nil {
		t.Fatalf("approve: %v %+v", err, fault.Public(err).Reasons)
	}
	return g
}

func (w *world) upload(t *testing.T, b []byte) string {
	t.Helper()
	d, err := w.sb.PutBlob(context.Background(), *w.dev, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// heResultOf reads a homomorphic job's result: the group keys (first column), sizes, slots and
// the serialized result.
func heResultOf(t *testing.T, res *QueryResult) (keys []string, sizes []int64, slots []int32, r he.Result) {
	t.Helper()
	if len(res.Batches) != 1 {
		t.Fatalf("%d batches", len(res.Batches))
	}
	b := res.Batches[0]
	n := int(b.NumCols())
	ct := b.Column(n - 1).(*array.Dictionary)
	for i := 0; i < int(b.NumRows()); i++ {
		keys = append(keys, b.Column(0).ValueStr(i))
		sizes = append(sizes, b.Column(n-3).(*array.Int64).Value(i))
		slots = append(slots, b.Column(n-2).(*array.Int32).Value(i))
	}
	enc := ct.Dictionary().(*array.Binary).Value(ct.GetValueIndex(0))
	r, err := he.ParseResult(enc)
	if err != nil {
		t.Fatal(err)
	}
	return keys, sizes, slots, r
}

// TestHELinearScore: the developer's encrypted weights score the released groups' income
// sums; the decrypted scores match the same computation in plaintext, and replay reproduces
// the encrypted result bit for bit.
func TestHELinearScore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.heGrant(t, "he_linear", nil)
	set, err := he.Lookup("ckks-n13")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := he.KeyGen(set)
	if err != nil {
		t.Fatal(err)
	}
	mat, err := keys.EvaluationMaterial(he.CircuitLinearScore, 0)
	if err != nil {
		t.Fatal(err)
	}
	weights := []float64{0.0025, -1.5}
	in, err := he.EncryptLinearWeights(keys, weights)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := mat.MarshalBinary()
	ib, _ := in.MarshalBinary()
	req := catalog.JobRequest{Kind: "he", Circuit: "linear_score", Params: "ckks-n13", GroupBy: []string{"district"},
		Features: []string{"income", "birth_date"}, Keys: w.upload(t, mb), Inputs: w.upload(t, ib)}
	res, err := w.sb.RunHE(ctx, *w.dev, g.ID, req)
	if err != nil {
		t.Fatalf("%v %+v", err, fault.Public(err).Reasons)
	}
	districts, sizes, slots, enc := heResultOf(t, res)
	res.Release()
	scores, err := he.DecryptScores(keys, enc)
	if err != nil {
		t.Fatal(err)
	}
	db := w.openWorkspace(t, g)
	for i, d := range districts {
		var n int64
		var income, birth float64
		if err := db.QueryRow("SELECT count(*), sum(income), sum(birth_date) FROM citizens WHERE district = ?", d).Scan(&n, &income, &birth); err != nil {
			t.Fatal(err)
		}
		want := income*weights[0] + birth*weights[1]
		if sizes[i] != n || math.Abs(scores[slots[i]]-want) > 1e-6*math.Abs(want)+1e-3 {
			t.Errorf("district %s: size %d (want %d), score %.4f, want %.4f", d, sizes[i], n, scores[slots[i]], want)
		}
	}
	if len(districts) == 0 {
		t.Fatal("no group was released")
	}
	auditor := catalog.Principal{ID: "aud", Agency: PlatformAgency, Roles: []catalog.Role{catalog.RoleAuditor}}
	out, err := w.sb.Replay(ctx, auditor, res.Job)
	if err != nil || !out.Match {
		t.Fatalf("replay of a homomorphic job: %+v %v", out, err)
	}

	// row_score with the identity polynomial scores rows one by one; summed per group it is
	// the same number, computed from the rows inside the sandbox.
	rmat, err := keys.EvaluationMaterial(he.CircuitRowScore, 0)
	if err != nil {
		t.Fatal(err)
	}
	rin, err := he.EncryptRowWeights(keys, weights, 1)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ = rmat.MarshalBinary()
	ib, _ = rin.MarshalBinary()
	req.Circuit, req.Keys, req.Inputs = "row_score", w.upload(t, mb), w.upload(t, ib)
	res2, err := w.sb.RunHE(ctx, *w.dev, g.ID, req)
	if err != nil {
		t.Fatalf("%v %+v", err, fault.Public(err).Reasons)
	}
	districts2, _, slots2, enc2 := heResultOf(t, res2)
	res2.Release()
	scores2, err := he.DecryptScores(keys, enc2)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range districts2 {
		j := slices.Index(districts, d)
		if j < 0 || math.Abs(scores2[slots2[i]]-scores[slots[j]]) > 1e-6*math.Abs(scores[slots[j]])+1e-3 {
			t.Errorf("district %s: row_score %.4f, linear_score %.4f", d, scores2[slots2[i]], scores[slots[max(j, 0)]])
		}
	}
	if out, err := w.sb.Replay(ctx, auditor, res2.Job); err != nil || !out.Match {
		t.Fatalf("replay of a row_score job: %+v %v", out, err)
	}
}

// TestHEExactCount: exact per-district counts of benefit recipients in the programs the
// developer selected (the operator never learns which).
func TestHEExactCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.heGrant(t, "he_count", []string{"exact_count"})
	set, err := he.Lookup("bgv-n14")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := he.KeyGen(set)
	if err != nil {
		t.Fatal(err)
	}
	db := w.openWorkspace(t, g)
	var codes []string
	rows, err := db.Query("SELECT DISTINCT program FROM benefits ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p string
		rows.Scan(&p)
		codes = append(codes, p)
	}
	rows.Close()
	codes = append(codes, "某个不存在的项目")
	mat, err := keys.EvaluationMaterial(he.CircuitExactCount, len(codes))
	if err != nil {
		t.Fatal(err)
	}
	in, err := he.EncryptSelection(keys, []uint64{0, uint64(len(codes) - 1)}, len(codes))
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := mat.MarshalBinary()
	ib, _ := in.MarshalBinary()
	req := catalog.JobRequest{Kind: "he", Circuit: "exact_count", Params: "bgv-n14", Table: "benefits", GroupBy: []string{"program"},
		CodeColumn: "program", Codes: codes, Keys: w.upload(t, mb), Inputs: w.upload(t, ib)}
	res, err := w.sb.RunHE(ctx, *w.dev, g.ID, req)
	if err != nil {
		t.Fatalf("%v %+v", err, fault.Public(err).Reasons)
	}
	programs, _, slots, enc := heResultOf(t, res)
	res.Release()
	counts, err := he.DecryptCounts(keys, enc)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range programs {
		var want int64
		if p == codes[0] {
			// A cell counts only if it holds at least k people (it does here: whole programs).
			db.QueryRow("SELECT CASE WHEN count(DISTINCT person_id) >= ? THEN count(*) ELSE 0 END FROM benefits WHERE program = ?", g.K, p).Scan(&want)
		}
		if counts[slots[i]] != want {
			t.Errorf("program %s: count %d, want %d", p, counts[slots[i]], want)
		}
	}
	// Codes of another column than the group: every (district, birth band) cell must hold k
	// people on its own, or its rows count nowhere (the selection is secret, so any cell could
	// be the one counted).
	var bands []string
	brows, err := db.Query("SELECT DISTINCT birth_date::VARCHAR FROM citizens WHERE birth_date IS NOT NULL ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	for brows.Next() {
		var b string
		brows.Scan(&b)
		bands = append(bands, b)
	}
	brows.Close()
	all := make([]uint64, len(bands))
	for i := range all {
		all[i] = uint64(i)
	}
	mat2, _ := keys.EvaluationMaterial(he.CircuitExactCount, len(bands))
	in2, err := he.EncryptSelection(keys, all, len(bands))
	if err != nil {
		t.Fatal(err)
	}
	mb, _ = mat2.MarshalBinary()
	ib, _ = in2.MarshalBinary()
	res3, err := w.sb.RunHE(ctx, *w.dev, g.ID, catalog.JobRequest{Kind: "he", Circuit: "exact_count", Params: "bgv-n14", Table: "citizens",
		GroupBy: []string{"district"}, CodeColumn: "birth_date", Codes: bands, Keys: w.upload(t, mb), Inputs: w.upload(t, ib)})
	if err != nil {
		t.Fatalf("%v %+v", err, fault.Public(err).Reasons)
	}
	districts, _, slots3, enc3 := heResultOf(t, res3)
	res3.Release()
	counts3, err := he.DecryptCounts(keys, enc3)
	if err != nil {
		t.Fatal(err)
	}
	small := 0
	db.QueryRow("SELECT count(*) FROM (SELECT district, birth_date FROM citizens GROUP BY ALL HAVING count(DISTINCT person_id) < ?)", g.K).Scan(&small)
	if small == 0 {
		t.Fatal("the test world has no small cell: the check below proves nothing")
	}
	for i, d := range districts {
		var want int64
		db.QueryRow(`SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM citizens WHERE district = ? AND birth_date IS NOT NULL
			GROUP BY birth_date HAVING count(DISTINCT person_id) >= ?)`, d, g.K).Scan(&want)
		if counts3[slots3[i]] != want {
			t.Errorf("district %s: %d counted, want %d (cells under k left out)", d, counts3[slots3[i]], want)
		}
	}

	// A circuit the grant does not allow is refused by the policy, with its reason.
	req.Circuit, req.Params = "linear_score", "ckks-n13"
	req.CodeColumn, req.Codes, req.Features, req.Table = "", nil, []string{"amount"}, "benefits"
	_, err = w.sb.RunHE(ctx, *w.dev, g.ID, req)
	if f := fault.Public(err); f.Code != fault.PolicyDenied || len(f.Reasons) == 0 || f.Reasons[0].Code != "he_circuit_not_granted" {
		t.Fatalf("a circuit outside the grant: %+v", f)
	}
}

func TestHERefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := w.heGrant(t, "he_refusals", nil)
	good := catalog.JobRequest{Kind: "he", Circuit: "linear_score", Params: "ckks-n13", GroupBy: []string{"district"},
		Features: []string{"income"}, Keys: w.upload(t, []byte("not keys")), Inputs: w.upload(t, []byte("not inputs"))}
	for name, c := range map[string]struct {
		mutate func(*catalog.JobRequest)
		code   fault.Code
	}{
		"unknown circuit":  {func(r *catalog.JobRequest) { r.Circuit = "decrypt_everything" }, fault.InvalidInput},
		"toy parameters":   {func(r *catalog.JobRequest) { r.Params = "ckks-n12" }, fault.InvalidInput},
		"missing upload":   {func(r *catalog.JobRequest) { r.Keys = "sha256:" + string(bytes.Repeat([]byte("0"), 64)) }, fault.NotFound},
		"not a digest":     {func(r *catalog.JobRequest) { r.Inputs = "../../keys/master.key" }, fault.InvalidInput},
		"unknown column":   {func(r *catalog.JobRequest) { r.Features = []string{"salary"} }, fault.InvalidInput},
		"injected column":  {func(r *catalog.JobRequest) { r.Features = []string{`income") FROM x --`} }, fault.InvalidInput},
		"raw identifier":   {func(r *catalog.JobRequest) { r.GroupBy = []string{"person_id"} }, fault.PolicyDenied},
		"malformed keys":   {func(r *catalog.JobRequest) {}, fault.InvalidInput},
		"codes for linear": {func(r *catalog.JobRequest) { r.Codes = []string{"a", "b"} }, fault.InvalidInput},
		"no group by":      {func(r *catalog.JobRequest) { r.GroupBy = nil }, fault.InvalidInput},
	} {
		r := good
		c.mutate(&r)
		_, err := w.sb.RunHE(ctx, *w.dev, g.ID, r)
		if f := fault.Public(err); f.Code != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
}

// TestHEOnDPGrant: only linear_score (which scores the noisy group sums) runs on a DP grant;
// row_score and exact_count compute from rows and are refused.
func TestHEOnDPGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	s, err := w.sb.RequestScenario(ctx, *w.dev, catalog.ScenarioRequest{
		Name: "he_dp", Purpose: "score districts privately", Use: catalog.Commercial,
		Datasets: map[string][]string{"citizens": {"person_id", "district", "income"}},
		JobKinds: []string{"he"}, ValidUntil: w.clk.Now().Add(24 * time.Hour), DP: &catalog.DP{Epsilon: 5, EpsilonPerQuery: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.sb.ConsentScenario(ctx, *w.ca, s.ID)
	g, err := w.sb.ApproveScenario(ctx, *w.impl, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	req := catalog.JobRequest{Kind: "he", Circuit: "row_score", Params: "ckks-n13", GroupBy: []string{"district"},
		Features: []string{"income"}, Keys: w.upload(t, []byte("k")), Inputs: w.upload(t, []byte("i"))}
	_, err = w.sb.RunHE(ctx, *w.dev, g.ID, req)
	if f := fault.Public(err); f.Code != fault.PolicyDenied || len(f.Reasons) == 0 || f.Reasons[0].Code != "he_circuit_not_dp" {
		t.Fatalf("row_score on a DP grant: %+v", f)
	}
}
