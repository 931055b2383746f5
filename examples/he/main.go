// Command he is a lender's private risk model, scored per district with homomorphic
// encryption: the sandbox never sees the model's weights, the lender never sees a row.
//
//	go run ./examples/he --server http://127.0.0.1:8080 --token-file dev.token --grant gr_…
//
// It makes a fresh key pair here (the secret key never leaves this process), encrypts the
// weights, runs linear_score over the grant's citizens per district, decrypts the scores, and
// prints them beside the same score computed in plaintext from the district sums the grant
// releases through ordinary SQL (which the lender may see: they passed the k threshold).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/inviso/inviso/crypto/he"
	"github.com/inviso/inviso/sandbox/client"
)

// The lender's model: risk = 0.00002·income − 0.01·birth_year (a made-up, secret model).
var (
	features = []string{"income", "birth_date"}
	weights  = []float64{0.00002, -0.01}
)

func main() {
	server := flag.String("server", "http://127.0.0.1:8080", "inviso server")
	tokenFile := flag.String("token-file", "", "file holding the developer's token")
	grant := flag.String("grant", "", "grant allowing he jobs over citizens")
	flag.Parse()
	tok, err := os.ReadFile(*tokenFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c, err := client.New(*server, strings.TrimSpace(string(tok)), nil)
	if err == nil {
		err = Score(context.Background(), c, *grant, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Score runs the model and prints each district's decrypted score and its plaintext check.
func Score(ctx context.Context, c *client.Client, grant string, out io.Writer) error {
	set, err := he.Lookup("ckks-n13")
	if err != nil {
		return err
	}
	keys, err := he.KeyGen(set) // fresh per job
	if err != nil {
		return err
	}
	var res bytes.Buffer
	job, err := c.RunHE(ctx, grant, keys, client.HEJob{Circuit: "linear_score", GroupBy: []string{"district"}, Features: features, Weights: weights}, &res)
	if err != nil {
		return err
	}
	_, rows, err := client.DecryptHE(keys, &res)
	if err != nil {
		return err
	}
	check, err := c.Query(ctx, grant, "SELECT district, sum(income) AS income, sum(birth_date) AS birth FROM citizens GROUP BY district", false)
	if err != nil {
		return err
	}
	plain := map[string]float64{}
	for _, r := range check.Rows {
		plain[fmt.Sprint(r[0])] = num(r[1])*weights[0] + num(r[2])*weights[1]
	}
	fmt.Fprintf(out, "job %s: %d districts scored\n", job, len(rows))
	for _, r := range rows {
		fmt.Fprintf(out, "  %-8v n=%-6v encrypted→decrypted %14.4f   plaintext %14.4f\n", r[0], r[1], r[2], plain[fmt.Sprint(r[0])])
	}
	return nil
}

func num(v any) float64 {
	var f float64
	fmt.Sscan(fmt.Sprint(v), &f)
	return f
}
