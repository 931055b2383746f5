package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/client"
)

func newScenarioCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scenario", Short: "Request and review scenarios: one scenario, one authorization (Art. 23)"}

	var rf clientFlags
	var req catalog.ScenarioRequest
	var use, validUntil string
	var datasets []string
	var dp catalog.DP
	request := &cobra.Command{
		Use:   "request",
		Short: "Request a scenario (developer role)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			req.Use = catalog.Use(use)
			if req.ValidUntil, err = time.Parse(time.RFC3339, validUntil); err != nil {
				return fmt.Errorf("--valid-until %q: want RFC 3339, e.g. 2027-12-31T00:00:00Z", validUntil)
			}
			req.Datasets = map[string][]string{}
			for _, d := range datasets {
				name, cols, ok := strings.Cut(d, ":")
				if !ok || cols == "" {
					return fmt.Errorf("--dataset %q: want NAME:col1,col2", d)
				}
				req.Datasets[name] = append(req.Datasets[name], strings.Split(cols, ",")...)
			}
			if cmd.Flags().Changed("dp-epsilon") || cmd.Flags().Changed("dp-epsilon-per-query") {
				req.DP = &dp // the server validates and fills in the defaults
			}
			s, err := c.RequestScenario(cmd.Context(), req)
			if err != nil {
				return err
			}
			return printJSON(cmd, s)
		},
	}
	rf.register(request)
	f := request.Flags()
	f.StringVar(&req.Name, "name", "", "scenario name: lower-case letters, digits, '_'")
	f.StringVar(&req.Purpose, "purpose", "", "what the data will be used for")
	f.StringVar(&use, "use", "public_interest", "public_interest or commercial (Art. 26)")
	f.StringArrayVar(&datasets, "dataset", nil, "NAME:col1,col2 (repeatable)")
	f.StringSliceVar(&req.JobKinds, "job-kind", []string{"sql"}, "sql, plugin, he (repeatable)")
	f.StringVar(&validUntil, "valid-until", "", "end of validity, RFC 3339")
	f.IntVar(&req.K, "k", 0, "minimum distinct people per released group (default: the datasets' minimum, at least 10)")
	f.IntVar(&req.JobBudget, "job-budget", 0, "jobs the grant may run (default 10,000)")
	f.BoolVar(&req.FollowLatest, "follow-latest", false, "rebuild the workspace when a dataset gets a new version (default: pinned)")
	f.StringVar(&req.Agreement, "agreement", "", "reference of the filed authorization agreement (Art. 14)")
	f.StringSliceVar(&req.Plugins, "plugin", nil, "approved plugin binary digest sha256:… (repeatable; needs --job-kind plugin)")
	f.StringSliceVar(&req.HECircuits, "he-circuit", nil, "allowed homomorphic circuit: linear_score, row_score, exact_count (default all, with --job-kind he)")
	f.Float64Var(&dp.Epsilon, "dp-epsilon", 0, "differential privacy: the grant's total privacy budget (turns DP on)")
	f.Float64Var(&dp.EpsilonPerQuery, "dp-epsilon-per-query", 0, "differential privacy: what one query spends")
	f.Float64Var(&dp.Delta, "dp-delta", 0, "differential privacy: chance a group of very few people is released at all (default 1e-7)")
	f.IntVar(&dp.MaxGroupsContributed, "dp-max-groups", 0, "differential privacy: groups of one query a person counts in (default 1)")
	f.IntVar(&dp.MaxRowsContributed, "dp-max-rows", 0, "differential privacy: rows of one person counted per group (default 1)")
	for _, n := range []string{"name", "purpose", "dataset", "valid-until"} {
		request.MarkFlagRequired(n)
	}

	var lf clientFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List the scenarios you may see",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := lf.client()
			if err != nil {
				return err
			}
			ss, err := c.Scenarios(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, s := range ss {
				rows = append(rows, []string{s.ID, s.Name, string(s.State), s.Developer, strings.Join(s.DatasetNames(), ","), s.Grant})
			}
			return printTable(cmd, []string{"ID", "NAME", "STATE", "DEVELOPER", "DATASETS", "GRANT"}, rows)
		},
	}
	lf.register(list)

	cmd.AddCommand(request, list,
		scenarioAction("show", "Show a scenario", func(c *client.Client, cmd *cobra.Command, id string) (any, error) {
			return c.Scenario(cmd.Context(), id)
		}),
		scenarioAction("consent", "Agree, as a source agency, to your datasets entering the scenario (source role)", func(c *client.Client, cmd *cobra.Command, id string) (any, error) {
			return c.ConsentScenario(cmd.Context(), id)
		}),
		scenarioAction("approve", "Approve the scenario: creates its one grant and builds its workspace (implementer role)", func(c *client.Client, cmd *cobra.Command, id string) (any, error) {
			return c.ApproveScenario(cmd.Context(), id)
		}),
		scenarioAction("reject", "Reject the scenario (implementer role)", func(c *client.Client, cmd *cobra.Command, id string) (any, error) {
			return c.RejectScenario(cmd.Context(), id)
		}),
	)
	return cmd
}

func scenarioAction(use, short string, do func(*client.Client, *cobra.Command, string) (any, error)) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   use + " SCENARIO",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out, err := do(c, cmd, args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd, out)
		},
	}
	cf.register(cmd)
	return cmd
}
