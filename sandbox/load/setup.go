package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/rules"
)

// SetupOptions size the world Setup builds.
type SetupOptions struct {
	Rows int   // citizens to generate (default 5,000)
	Seed int64 // synthetic data seed (default 1)
	// Suffix makes the ids unique on a server that already holds other worlds (default random).
	Suffix string
	// Benefits adds the synthetic benefit payments of the same people (several rows per
	// person) as a second dataset of the grant, for the suite's benefits and join queries.
	Benefits bool
}

// World is what Setup created: enough for Run, CheckLog and Snapshot.
type World struct {
	Server  string `json:"server"`
	Dataset string `json:"dataset"` // also the table name in the grant's workspace
	Grant   string `json:"grant"`
	// Tokens of the principals Setup created.
	Developer string `json:"-"`
	Auditor   string `json:"-"`
	Rows      int64  `json:"rows"`
	// Benefits is the benefits dataset and table ("" unless SetupOptions.Benefits).
	Benefits     string `json:"benefits,omitempty"`
	BenefitsRows int64  `json:"benefits_rows,omitempty"`
}

// Setup creates, with the administrator's client, a source agency with a citizens dataset, an
// implementing agency that approves, a development agency whose developer holds one SQL grant,
// and an auditor.
func Setup(ctx context.Context, admin *client.Client, opt SetupOptions) (*World, error) {
	if opt.Rows <= 0 {
		opt.Rows = 5000
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Suffix == "" {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		opt.Suffix = hex.EncodeToString(b[:])
	}
	if err := admin.WaitReady(ctx); err != nil {
		return nil, err
	}
	tok, err := createCast(ctx, admin, opt.Suffix)
	if err != nil {
		return nil, err
	}
	as := func(role string) *client.Client { return admin.WithToken(tok[role]) }
	w := &World{Dataset: "citizens_" + opt.Suffix, Developer: tok["dev"], Auditor: tok["audit"]}
	columns := map[string][]string{w.Dataset: {"person_id", "district", "gender", "birth_date", "income"}}
	if w.Rows, err = loadTable(ctx, as("src"), w.Dataset, synth.Citizens, citizensRules, opt); err != nil {
		return nil, err
	}
	if _, err := as("impl").CosignRules(ctx, w.Dataset, 1); err != nil {
		return nil, fmt.Errorf("cosign rules: %w", err)
	}
	if opt.Benefits {
		w.Benefits = "benefits_" + opt.Suffix
		if w.BenefitsRows, err = loadTable(ctx, as("src"), w.Benefits, synth.Benefits, benefitsRules, opt); err != nil {
			return nil, err
		}
		if _, err := as("impl").CosignRules(ctx, w.Benefits, 1); err != nil {
			return nil, fmt.Errorf("cosign rules: %w", err)
		}
		columns[w.Benefits] = []string{"person_id", "program", "amount"}
	}
	g, err := approveGrant(ctx, as, w.Dataset, columns)
	if err != nil {
		return nil, err
	}
	w.Grant = g.ID
	return w, nil
}

// createCast creates one agency per role and a principal in each; it returns their tokens by
// role key (src, impl, dev, audit).
func createCast(ctx context.Context, admin *client.Client, sfx string) (map[string]string, error) {
	cast := []struct {
		key  string
		kind catalog.AgencyKind
		role catalog.Role
	}{
		{"src", catalog.KindSource, catalog.RoleSource},
		{"impl", catalog.KindImplementing, catalog.RoleImplementer},
		{"dev", catalog.KindDevelopment, catalog.RoleDeveloper},
		{"audit", catalog.KindSupervision, catalog.RoleAuditor},
	}
	tokens := map[string]string{}
	for _, c := range cast {
		id := "load-" + c.key + "-" + sfx
		if _, err := admin.CreateAgency(ctx, catalog.Agency{ID: id, Name: "load run " + c.key, Kind: c.kind}); err != nil {
			return nil, fmt.Errorf("create agency %s: %w", id, err)
		}
		_, tok, err := admin.CreatePrincipal(ctx, id, id, c.role)
		if err != nil {
			return nil, fmt.Errorf("create principal %s: %w", id, err)
		}
		tokens[c.key] = tok
	}
	return tokens, nil
}

// loadTable registers a dataset, imports a synthetic table into it as Parquet (the benefits
// of the same Rows people as the citizens: the same seed) and sets its rules.
func loadTable(ctx context.Context, src *client.Client, name string, table synth.Table, set rules.Set, opt SetupOptions) (int64, error) {
	d := catalog.Dataset{Name: name, Description: "synthetic " + string(table) + " for the load run",
		Classification: catalog.L3Sensitive, PrivacyUnit: "person_id", UpdateFrequency: "monthly"}
	if _, err := src.RegisterDataset(ctx, d); err != nil {
		return 0, fmt.Errorf("register dataset %s: %w", name, err)
	}
	var buf bytes.Buffer
	rows, err := synth.Write(ctx, &buf, memory.DefaultAllocator, table, synth.Parquet, synth.Config{Rows: opt.Rows, Seed: opt.Seed})
	if err != nil {
		return 0, fmt.Errorf("generate %s: %w", table, err)
	}
	v, err := src.Import(ctx, name, string(synth.Parquet), &buf, false)
	if err != nil {
		return 0, fmt.Errorf("import %s: %w", table, err)
	}
	if v.Rows != rows {
		return 0, fmt.Errorf("imported %d rows of %s, generated %d", v.Rows, table, rows)
	}
	if _, err := src.SetRules(ctx, name, set, 0); err != nil {
		return 0, fmt.Errorf("set rules of %s: %w", name, err)
	}
	return rows, nil
}

// approveGrant requests the scenario as the developer, consents as the source and approves as
// the implementing agency.
func approveGrant(ctx context.Context, as func(string) *client.Client, dataset string, columns map[string][]string) (catalog.Grant, error) {
	sc, err := as("dev").RequestScenario(ctx, catalog.ScenarioRequest{
		Name: "load_" + dataset, Purpose: "load and fault run of the server", Use: catalog.PublicInterest,
		Datasets:   columns,
		JobKinds:   []string{"sql"},
		ValidUntil: time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second),
		JobBudget:  10_000_000, Agreement: "LOAD-RUN",
	})
	if err != nil {
		return catalog.Grant{}, fmt.Errorf("request scenario: %w", err)
	}
	if _, err := as("src").ConsentScenario(ctx, sc.ID); err != nil {
		return catalog.Grant{}, fmt.Errorf("consent: %w", err)
	}
	g, err := as("impl").ApproveScenario(ctx, sc.ID)
	if err != nil {
		return catalog.Grant{}, fmt.Errorf("approve: %w", err)
	}
	return g, nil
}

// citizensRules are the demo's rules for the columns the load run uses.
var citizensRules = rules.Set{Columns: map[string]rules.Rule{
	"person_id":      {Class: rules.Identifier, Treatment: rules.Hash, Usage: rules.JoinOnly},
	"name":           {Class: rules.Identifier, Treatment: rules.Drop},
	"id_number":      {Class: rules.Identifier, Treatment: rules.Drop},
	"phone":          {Class: rules.Identifier, Treatment: rules.Drop},
	"gender":         {Class: rules.QuasiIdentifier, Treatment: rules.Keep, Usage: rules.Dimension},
	"birth_date":     {Class: rules.QuasiIdentifier, Treatment: rules.Generalize, Usage: rules.Dimension, Params: &rules.Params{To: "year"}},
	"district":       {Class: rules.QuasiIdentifier, Treatment: rules.Keep, Usage: rules.Dimension},
	"income":         {Class: rules.Sensitive, Treatment: rules.Keep, Usage: rules.AggregateOnly, Params: &rules.Params{Lo: ptr(0.0), Hi: ptr(1_000_000.0)}},
	"diagnosis_code": {Class: rules.Sensitive, Treatment: rules.Drop},
}}

// benefitsRules are the rules of the benefit payments' columns the suite uses.
var benefitsRules = rules.Set{Columns: map[string]rules.Rule{
	"person_id": {Class: rules.Identifier, Treatment: rules.Hash, Usage: rules.JoinOnly},
	"program":   {Class: rules.Public, Treatment: rules.Keep, Usage: rules.Dimension},
	"amount":    {Class: rules.Sensitive, Treatment: rules.Keep, Usage: rules.AggregateOnly, Params: &rules.Params{Lo: ptr(0.0), Hi: ptr(100_000.0)}},
	"paid_on":   {Class: rules.QuasiIdentifier, Treatment: rules.Generalize, Usage: rules.Dimension, Params: &rules.Params{To: "month"}},
}}

func ptr[T any](v T) *T { return &v }
