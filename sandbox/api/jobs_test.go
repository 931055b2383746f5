package api

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/inviso/inviso/crypto/he"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/client"
)

// TestHEOverHTTP runs the developer's whole homomorphic flow against a real server: keys made
// here, uploads, the job, the result fetched again, decrypted here, checked against the
// plaintext district sums.
func TestHEOverHTTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	gid := e.grantOverHTTPKinds(t, `["sql", "he"]`)
	c, err := client.New(e.srv.URL, e.tokens[catalog.RoleDeveloper], nil)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := he.Lookup("ckks-n13")
	keys, err := he.KeyGen(set)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	id, err := c.RunHE(ctx, gid, keys, client.HEJob{Circuit: "linear_score", GroupBy: []string{"district"}, Features: []string{"income"}, Weights: []float64{0.001}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	cols, rows, err := client.DecryptHE(keys, bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cols, ",") != "district,n,value" || len(rows) != 3 {
		t.Fatalf("decrypted: %v %v", cols, rows)
	}
	// grantOverHTTP's data: person i in district i%3 earns 1000·i, i < 300; 德庆县 is a group of one.
	want := map[string]float64{}
	for i := 0; i < 300; i++ {
		want[[]string{"端州区", "鼎湖区", "高要区"}[i%3]] += 1000 * float64(i) * 0.001
	}
	for _, r := range rows {
		d, v := r[0].(string), r[2].(float64)
		if math.Abs(v-want[d]) > 1e-6*want[d] {
			t.Errorf("%s: %.3f, want %.3f", d, v, want[d])
		}
	}
	// The result can be fetched again, by the developer only.
	var again bytes.Buffer
	if err := c.JobResult(ctx, id, "application/vnd.apache.arrow.stream", &again); err != nil || !bytes.Equal(again.Bytes(), out.Bytes()) {
		t.Fatalf("result fetched again differs (%v)", err)
	}
	status, body := e.call("GET", "/v1/jobs/"+id+"/result", e.tokens[catalog.RoleAuditor], "")
	if status != 403 {
		t.Fatalf("an auditor fetched a result: %d %v", status, body)
	}
	// Only developers upload job inputs.
	status, _ = e.call("POST", "/v1/blobs", e.tokens[catalog.RoleSource], "x")
	if status != 403 {
		t.Fatalf("a source agency uploaded a blob: %d", status)
	}
}
