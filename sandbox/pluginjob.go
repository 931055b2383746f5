package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
	"github.com/inviso/inviso/sandbox/plugin"
	"github.com/inviso/inviso/sandbox/sqlgate"
)

// Limits of plugin jobs.
const (
	MaxPluginBytes    = 64 << 20
	MaxPluginInputSQL = 16 << 10
	// PluginOutputTable is the table a plugin job's release query reads.
	PluginOutputTable = "output"
)

// openPlugins opens the binary store and the runner. A host that cannot run plugins (a
// noexec data directory, say) still serves everything else; plugin jobs are then refused.
func (sb *Sandbox) openPlugins() error {
	var err error
	if sb.plugins, err = plugin.OpenStore(filepath.Join(sb.opt.DataDir, "plugins")); err != nil {
		return err
	}
	// Job directories hold the plugin's unix socket, whose path must fit in 108 bytes: they
	// live under a short directory of the system's temp dir, one per data directory.
	sum := sha256.Sum256([]byte(sb.opt.DataDir))
	work := filepath.Join(os.TempDir(), fmt.Sprintf("inviso-pj-%x", sum[:4]))
	// The runner kills leftovers of its uid range at start: each data directory gets a range
	// of its own, so two servers (or tests) on one host never kill each other's plugins.
	first := plugin.DefaultFirstUID + (binary.BigEndian.Uint32(sum[4:8])%999_999+1)*uint32(plugin.DefaultUIDs) // never the default range
	r, err := plugin.NewRunner(sb.plugins, work, plugin.WithLogger(sb.log), plugin.WithUIDs(first, plugin.DefaultUIDs))
	if err != nil {
		sb.log.Error("plugin jobs are disabled: the runner cannot start", "error", err)
		return nil
	}
	if iso := r.Isolation(); !iso.Available {
		if sb.opt.PluginInsecureDev {
			sb.log.Error("INSECURE: plugin jobs will run WITHOUT isolation (development mode)", "reason", iso.Reason)
		} else {
			sb.log.Warn("plugin jobs are refused: this host cannot isolate them", "reason", iso.Reason)
		}
	}
	sb.runner = r
	return nil
}

// PutPlugin stores a plugin binary (a statically linked executable) and returns its digest,
// which a scenario lists to have it reviewed and approved.
func (sb *Sandbox) PutPlugin(ctx context.Context, actor catalog.Principal, r io.Reader) (string, error) {
	if !actor.Has(catalog.RoleDeveloper) {
		return "", fault.E(fault.Forbidden, "only developers upload plugins")
	}
	d, err := sb.plugins.Put(r, MaxPluginBytes)
	switch {
	case errors.Is(err, plugin.ErrTooLarge):
		return "", fault.E(fault.TooLarge, "a plugin binary is at most %d MiB", MaxPluginBytes>>20)
	case errors.Is(err, plugin.ErrBadBinary):
		return "", fault.Wrap(err, fault.InvalidInput, "%v", err)
	case err != nil:
		return "", fault.Wrap(err, fault.Internal, "the plugin could not be stored")
	}
	sb.log.Info("plugin stored", "digest", d, "actor", actor.ID)
	return d, nil
}

// RunPlugin runs a plugin job: the input query's rows (desensitized, as the workspace holds
// them) stream through the approved binary, isolated; its output, joined to the input rows,
// becomes the table "output"; the release query over it is gated like any SQL job (policy, k
// threshold, DP), and only that leaves.
func (sb *Sandbox) RunPlugin(ctx context.Context, actor catalog.Principal, grantID string, req catalog.JobRequest) (*QueryResult, error) {
	if _, err := plugin.ParseDigest(req.Plugin); err != nil {
		return nil, fault.E(fault.InvalidInput, "plugin must be a digest sha256:<64 hex digits>")
	}
	if strings.TrimSpace(req.InputSQL) == "" || strings.TrimSpace(req.ReleaseSQL) == "" {
		return nil, fault.E(fault.InvalidInput, "a plugin job needs input_sql and release_sql")
	}
	if len(req.InputSQL) > MaxPluginInputSQL {
		return nil, fault.E(fault.TooLarge, "input_sql is at most %d bytes", MaxPluginInputSQL)
	}
	params := map[string]string{"plugin": req.Plugin, "input_sql": req.InputSQL}
	return sb.runJob(ctx, actor, grantID, req.ReleaseSQL, false, jobSpec{Kind: "plugin", Params: params,
		Stage: func(ctx context.Context, job *catalog.Job, g catalog.Grant) (*stage, error) {
			return sb.stagePlugin(ctx, job, g, req)
		}})
}

// stagePlugin runs the plugin and builds the job's own database holding "output".
func (sb *Sandbox) stagePlugin(ctx context.Context, job *catalog.Job, g catalog.Grant, req catalog.JobRequest) (*stage, error) {
	// The policy decides the job after this, on its release query; a binary or a kind the
	// grant does not allow is refused before anything runs.
	if !slices.Contains(g.JobKinds, "plugin") {
		return nil, fault.E(fault.PolicyDenied, "grant %s does not allow plugin jobs", g.ID).With(fault.Reason{Code: "job_kind_not_granted", Message: "the grant does not allow plugin jobs"})
	}
	if !slices.Contains(g.Plugins, req.Plugin) {
		return nil, fault.E(fault.PolicyDenied, "plugin %s is not approved for grant %s", req.Plugin, g.ID).With(fault.Reason{Code: "plugin_not_approved", Message: "the plugin's digest is not one the grant approves"})
	}
	if sb.runner == nil {
		return nil, fault.E(fault.Unavailable, "plugin jobs are not available on this server")
	}
	if !sb.plugins.Has(req.Plugin) {
		return nil, fault.E(fault.NotFound, "no plugin %s has been uploaded", req.Plugin)
	}
	in, err := sb.pluginInput(ctx, g, req.InputSQL)
	if err != nil {
		return nil, err
	}
	file, err := sb.catalog.GrantFile(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	return sb.stageAt(ctx, job, g, req, in, sb.workspacePath(file))
}

// stageAt runs the plugin over the workspace at ws (the grant's, or a replay's rebuild).
func (sb *Sandbox) stageAt(ctx context.Context, job *catalog.Job, g catalog.Grant, req catalog.JobRequest, in *sqlgate.StagedInput, ws string) (*stage, error) {
	schema := schemaOfGrant(g)
	dir := filepath.Join(sb.opt.DataDir, "stage")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, job.ID+"-") // its own directory: a replay may stage the same job at once
	if err != nil {
		return nil, err
	}
	path := filepath.Join(tmp, "stage.duckdb")
	cleanup := func() {
		sb.engine.Forget(path)
		os.RemoveAll(tmp)
	}
	st, err := sb.buildStage(ctx, job, g, req, in, ws, path, schema)
	if err != nil {
		cleanup()
		return nil, err
	}
	st.cleanup = cleanup
	return st, nil
}

// pluginInput checks a plugin job's input query against the grant's workspace.
func (sb *Sandbox) pluginInput(ctx context.Context, g catalog.Grant, text string) (*sqlgate.StagedInput, error) {
	schema := schemaOfGrant(g)
	tree, err := sb.parser.Parse(ctx, text)
	if err != nil {
		return nil, err
	}
	analysis, err := sb.parser.Analyse(tree, schema)
	if err != nil {
		return nil, err
	}
	return sb.parser.StageInput(ctx, tree, analysis, schema, "ws", "__inviso_unit")
}

// handleKey keys a job's row handles: the same job gets the same handles (replay).
func (sb *Sandbox) handleKey(job string) []byte {
	m := hmac.New(sha256.New, sb.master)
	m.Write([]byte("inviso/plugin-handles/v1\x00" + job))
	return m.Sum(nil)[:plugin.HandleKeySize]
}

func (sb *Sandbox) buildStage(ctx context.Context, job *catalog.Job, g catalog.Grant, req catalog.JobRequest, in *sqlgate.StagedInput, ws, path string, schema sqlgate.Schema) (*stage, error) {
	db, err := duck.Open(ctx, path, duck.Config{AllowedPaths: []string{ws, ws + ".wal"}, Threads: sb.opt.DuckDB.Threads, MemoryLimit: sb.opt.DuckDB.MemoryLimit})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var order []string
	for _, c := range in.Columns {
		order = append(order, duck.Ident(c.Name))
	}
	order = append(order, duck.Ident(in.Unit))
	for _, q := range []string{
		"ATTACH " + duck.Quote(ws) + " AS ws (READ_ONLY)",
		// Positions in a fixed order, so the same job sees the same rows in the same order.
		"CREATE TABLE input AS SELECT row_number() OVER (ORDER BY " + strings.Join(order, ", ") + ") - 1 AS __pos, * FROM (" + in.SQL + ")",
		"DETACH ws",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fault.Wrap(err, fault.InvalidInput, "the input query could not be run").With(fault.Reason{Code: "query_failed", Message: "the input query failed while running"})
		}
	}
	var res *plugin.RunResult
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := ar.QueryContext(ctx, "SELECT "+strings.Join(order[:len(order)-1], ", ")+" FROM input ORDER BY __pos")
		if err != nil {
			return err
		}
		defer rdr.Release()
		res, err = sb.runner.Run(ctx, plugin.RunSpec{Digest: req.Plugin, Approved: g.Plugins, Input: rdr, Limits: sb.opt.PluginLimits,
			HandleKey: sb.handleKey(job.ID), InsecureDev: sb.opt.PluginInsecureDev})
		if res != nil {
			sb.keepPluginLog(job.ID, res.Stats)
		}
		if err != nil {
			return err
		}
		defer res.Release()
		for _, f := range res.Schema.Fields()[1:] {
			if slices.ContainsFunc(in.Columns, func(c sqlgate.StageColumn) bool { return strings.EqualFold(c.Name, f.Name) }) || strings.EqualFold(f.Name, in.Unit) {
				// The name is the plugin's choice: it stays out of the message (a channel otherwise).
				return fmt.Errorf("%w: an output column has the name of an input column", plugin.ErrBadOutput)
			}
		}
		out, err := array.NewRecordReader(res.Schema, res.Batches)
		if err != nil {
			return err
		}
		defer out.Release()
		release, err := ar.RegisterView(out, "plugin_out")
		if err != nil {
			return err
		}
		defer release()
		_, err = dc.(driver.ExecerContext).ExecContext(ctx, "CREATE TABLE "+PluginOutputTable+" AS SELECT i.* EXCLUDE (__pos), o.* EXCLUDE ("+plugin.InputRowColumn+
			") FROM input i JOIN plugin_out o ON i.__pos = o."+plugin.InputRowColumn, nil)
		return err
	})
	if res != nil {
		job.Timings["plugin"] = res.Stats.Total.Microseconds()
		job.Params["plugin_rows_in"], job.Params["plugin_rows_out"] = fmt.Sprint(res.Stats.RowsIn), fmt.Sprint(res.Stats.RowsOut)
	}
	if err != nil {
		return nil, pluginError(err)
	}
	if _, err := conn.ExecContext(ctx, "DROP TABLE input"); err != nil {
		return nil, err
	}
	return sb.stageSchema(ctx, conn, job, path, in, schema)
}

// stageSchema describes "output" to the gate: the input columns keep their rules (class,
// usage, bounds); the plugin's columns are sensitive values, usable only inside aggregates;
// the unit column is the privacy unit.
func (sb *Sandbox) stageSchema(ctx context.Context, conn *sql.Conn, job *catalog.Job, path string, in *sqlgate.StagedInput, ws sqlgate.Schema) (*stage, error) {
	rows, err := conn.QueryContext(ctx, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", PluginOutputTable)
	if err != nil {
		return nil, err
	}
	cols := map[string]sqlgate.Column{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return nil, err
		}
		c := sqlgate.Column{Type: typ, Class: "sensitive", Usage: "aggregate_only"}
		if i := slices.IndexFunc(in.Columns, func(c sqlgate.StageColumn) bool { return c.Name == strings.ToLower(name) }); i >= 0 {
			src := in.Columns[i].Source
			c = ws[src.Table].Columns[src.Column]
			c.Unit = false
		}
		if name == in.Unit {
			c = sqlgate.Column{Type: typ, Class: "identifier", Usage: "join_only", Unit: true}
		}
		cols[strings.ToLower(name)] = c
	}
	rows.Close()
	var n, perUnit sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT sum(c), max(c) FROM (SELECT count(*) AS c FROM "+PluginOutputTable+" GROUP BY "+duck.Ident(in.Unit)+")").Scan(&n, &perUnit); err != nil {
		return nil, err
	}
	return &stage{schema: sqlgate.Schema{PluginOutputTable: {Columns: cols, MaxRowsPerUnit: perUnit.Int64, Rows: n.Int64}}, path: path, digest: "stage:" + job.ID}, nil
}

// keepPluginLog keeps what the plugin printed, for the operator and auditor only.
func (sb *Sandbox) keepPluginLog(job string, st plugin.Stats) {
	dir := filepath.Join(sb.opt.DataDir, "plugin-logs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	body := fmt.Sprintf("job %s\nplugin %s\nexit code %d %s, isolated %v, cpu %s\n%s\nstdout (%d bytes dropped):\n%s\nstderr (%d bytes dropped):\n%s\n",
		job, st.Digest, st.ExitCode, st.Signal, st.Isolated, st.CPUTime, st.Detail, st.StdoutDropped, st.Stdout, st.StderrDropped, st.Stderr)
	os.WriteFile(filepath.Join(dir, job+".log"), []byte(body), 0o600)
}

// pluginError turns the runner's errors into coded ones with messages about the job, never
// about its rows.
func pluginError(err error) error {
	switch {
	case errors.Is(err, plugin.ErrNotApproved):
		return fault.E(fault.PolicyDenied, "%v", plugin.ErrNotApproved).With(fault.Reason{Code: "plugin_not_approved", Message: "the plugin's digest is not one the grant approves"})
	case errors.Is(err, plugin.ErrIsolationUnavailable):
		return fault.E(fault.Unavailable, "%v", plugin.ErrIsolationUnavailable)
	case errors.Is(err, plugin.ErrDigestMismatch), errors.Is(err, plugin.ErrUnknownBinary):
		return fault.Wrap(err, fault.Conflict, "the stored plugin binary does not match its digest; it was not run")
	case errors.Is(err, plugin.ErrLimit):
		return fault.Wrap(err, fault.InvalidInput, "the plugin exceeded a resource limit (time, CPU, memory or output) and was stopped")
	case errors.Is(err, plugin.ErrBadOutput):
		return fault.Wrap(err, fault.InvalidInput, "the plugin's output breaks the plugin contract (schema, types or row handles)")
	case errors.Is(err, plugin.ErrPluginFailed):
		return fault.Wrap(err, fault.InvalidInput, "the plugin failed (it crashed, exited early or returned an error); its output is kept for the operator")
	}
	var f *fault.Error
	if errors.As(err, &f) {
		return err
	}
	return fault.Wrap(err, fault.Internal, "the plugin job could not be staged")
}
