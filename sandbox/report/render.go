package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Document is a document this package renders.
type Document interface {
	Render(w io.Writer, f Format) error
}

var (
	_ Document = Disclosure{}
	_ Document = Quarterly{}
	_ Document = Sources{}
)

// Render writes the disclosure as f.
func (d Disclosure) Render(w io.Writer, f Format) error {
	switch f {
	case Markdown:
		return d.markdown(w)
	case CSV:
		return d.csv(w)
	}
	return writeJSON(w, d)
}

// Render writes the report as f.
func (q Quarterly) Render(w io.Writer, f Format) error {
	switch f {
	case Markdown:
		return q.markdown(w)
	case CSV:
		return q.csv(w)
	}
	return writeJSON(w, q)
}

// Render writes the report as f.
func (s Sources) Render(w io.Writer, f Format) error {
	switch f {
	case Markdown:
		return s.markdown(w)
	case CSV:
		return s.csv(w)
	}
	return writeJSON(w, s)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (d Disclosure) markdown(w io.Writer) error {
	m := &md{w: w}
	m.line("# Public disclosure of authorized operation (Art. 21)")
	m.line("")
	m.line("Generated %s. Every authorization (grant) on this platform with its holder, scope and validity; the products built under them; how the data is used; and the job log checkpoint the usage was counted from. No row of any dataset appears here.", stamp(d.GeneratedAt))
	m.line("")
	m.line("## Authorizations")
	m.line("")
	if len(d.Grants) == 0 {
		m.line("No grant has been approved.")
	} else {
		rows := make([][]string, 0, len(d.Grants))
		for _, g := range d.Grants {
			rows = append(rows, []string{code(g.ID), code(g.Grantee), agency(g.Agency, g.AgencyName), code(g.Scenario), esc(g.Name), esc(g.Purpose),
				string(g.Use), esc(scope(g.Datasets)), esc(strings.Join(g.JobKinds, ", ")), stamp(g.ValidUntil), string(g.State), stamp(g.ApprovedAt)})
		}
		m.table([]string{"grant", "grantee", "agency", "scenario", "name", "purpose", "use", "datasets and columns", "job kinds", "valid until", "state", "approved"}, rows)
	}
	m.line("")
	m.line("## Products and services")
	m.line("")
	m.line("There is no product registry yet: each grant's scenario is listed as the product it serves.")
	if len(d.Products) > 0 {
		m.line("")
		rows := make([][]string, 0, len(d.Products))
		for _, p := range d.Products {
			rows = append(rows, []string{esc(p.Name), esc(p.Purpose), string(p.Use), agency(p.Agency, p.AgencyName), code(p.Grant), string(p.State)})
		}
		m.table([]string{"product", "purpose", "use", "agency", "grant", "state"}, rows)
	}
	m.line("")
	m.line("## Usage per grant")
	m.line("")
	if len(d.Usage.Grants) > 0 {
		rows := make([][]string, 0, len(d.Usage.Grants))
		for _, u := range d.Usage.Grants {
			rows = append(rows, []string{code(u.Grant), itoa(u.Released), itoa(u.Refused), itoa(u.Checked), itoa(u.Failed)})
		}
		m.table([]string{"grant", "jobs released", "jobs refused", "jobs checked", "jobs failed"}, rows)
	} else {
		m.line("No grant, no usage.")
	}
	m.line("")
	m.line("## Usage per dataset")
	m.line("")
	if len(d.Usage.Datasets) > 0 {
		rows := make([][]string, 0, len(d.Usage.Datasets))
		for _, u := range d.Usage.Datasets {
			rows = append(rows, []string{code(u.Dataset), agency(u.Agency, u.AgencyName), itoa(u.Grants), itoa(u.Released)})
		}
		m.table([]string{"dataset", "source agency", "grants", "jobs released that read it"}, rows)
	} else {
		m.line("No dataset is covered by a grant.")
	}
	m.line("")
	m.checkpoint(d.Checkpoint, "Usage is counted")
	return m.err
}

func (d Disclosure) csv(w io.Writer) error {
	c := newCSV(w, "grant", "grantee", "agency", "agency_name", "scenario", "name", "purpose", "use", "datasets", "job_kinds",
		"valid_until", "state", "approved_at", "jobs_released", "jobs_refused", "jobs_checked", "jobs_failed")
	usage := map[string]GrantUsage{}
	for _, u := range d.Usage.Grants {
		usage[u.Grant] = u
	}
	for _, g := range d.Grants {
		u := usage[g.ID]
		c.row(g.ID, g.Grantee, g.Agency, g.AgencyName, g.Scenario, g.Name, g.Purpose, string(g.Use), scope(g.Datasets), strings.Join(g.JobKinds, ";"),
			stamp(g.ValidUntil), string(g.State), stamp(g.ApprovedAt), u.Released, u.Refused, u.Checked, u.Failed)
	}
	return c.flush()
}

func (q Quarterly) markdown(w io.Writer) error {
	m := &md{w: w}
	m.line("# Quarterly operating report %s (Art. 28)", esc(q.Period.Label))
	m.line("")
	m.period(q.Period, q.GeneratedAt, q.Partial)
	m.line("")
	m.line("A job ran if it was released or failed; refused and checked jobs did not run and scanned nothing. Rows scanned are the rows of the workspace tables the jobs that ran could read.")
	m.line("")
	m.line("## Totals")
	m.line("")
	m.table(activityHeader(), [][]string{activityCells(q.Totals)})
	m.line("")
	m.line("## Per agency of the grantee")
	m.line("")
	if len(q.Agencies) == 0 {
		m.line("No grant was live in the period.")
	} else {
		rows := make([][]string, 0, len(q.Agencies))
		for _, a := range q.Agencies {
			rows = append(rows, append([]string{agency(a.Agency, a.Name), itoa(a.Grants)}, append(activityCells(a.Activity), esc(strings.Join(a.DatasetsUsed, ", ")))...))
		}
		m.table(append([]string{"agency", "grants"}, append(activityHeader(), "datasets used")...), rows)
	}
	m.line("")
	m.line("## Per grant")
	m.line("")
	if len(q.Grants) == 0 {
		m.line("No grant was live in the period.")
	} else {
		rows := make([][]string, 0, len(q.Grants))
		for _, g := range q.Grants {
			rows = append(rows, append([]string{code(g.Grant), esc(g.Name), code(g.Grantee), code(g.Agency), string(g.Use), string(g.State)},
				append(activityCells(g.Activity), esc(strings.Join(g.DatasetsUsed, ", ")))...))
		}
		m.table(append([]string{"grant", "name", "grantee", "agency", "use", "state"}, append(activityHeader(), "datasets used")...), rows)
	}
	m.line("")
	m.line("## Refusal reasons")
	m.line("")
	if len(q.Totals.RefusalReasons) == 0 {
		m.line("No job was refused.")
	} else {
		rows := [][]string{}
		for _, g := range q.Grants {
			for _, r := range sortedKeys(g.RefusalReasons) {
				rows = append(rows, []string{code(g.Grant), code(r), itoa(g.RefusalReasons[r])})
			}
		}
		m.table([]string{"grant", "reason", "refused jobs"}, rows)
	}
	m.line("")
	m.checkpoint(q.Checkpoint, "The report is computed")
	return m.err
}

func (q Quarterly) csv(w io.Writer) error {
	c := newCSV(w, "level", "period", "agency", "grant", "scenario", "name", "grantee", "use", "state", "grants",
		"jobs_run", "jobs_released", "jobs_failed", "jobs_refused", "jobs_checked", "rows_scanned", "datasets_used", "refusal_reasons")
	act := func(a Activity) []any {
		return []any{a.Run, a.Released, a.Failed, a.Refused, a.Checked, a.RowsScanned}
	}
	for _, g := range q.Grants {
		c.row(append(append([]any{"grant", q.Period.Label, g.Agency, g.Grant, g.Scenario, g.Name, g.Grantee, string(g.Use), string(g.State), ""},
			act(g.Activity)...), strings.Join(g.DatasetsUsed, ";"), reasons(g.RefusalReasons))...)
	}
	for _, a := range q.Agencies {
		c.row(append(append([]any{"agency", q.Period.Label, a.Agency, "", "", a.Name, "", "", "", a.Grants},
			act(a.Activity)...), strings.Join(a.DatasetsUsed, ";"), reasons(a.RefusalReasons))...)
	}
	c.row(append(append([]any{"total", q.Period.Label, "", "", "", "", "", "", "", len(q.Grants)},
		act(q.Totals)...), "", reasons(q.Totals.RefusalReasons))...)
	return c.flush()
}

func (s Sources) markdown(w io.Writer) error {
	m := &md{w: w}
	m.line("# Annual report on data-source agencies %s (Art. 22)", esc(s.Period.Label))
	m.line("")
	m.period(s.Period, s.GeneratedAt, s.Partial)
	m.line("")
	m.line("Grants are those live at some time in the period whose scope covers the data. Jobs are those that ran (released or failed) and read the data; rows scanned are the rows of its workspace tables they could read.")
	if len(s.Agencies) == 0 {
		m.line("")
		m.line("No source agency was registered in the period.")
	}
	for _, a := range s.Agencies {
		m.line("")
		m.line("## %s", agency(a.Agency, a.Name))
		m.line("")
		m.table(sourceHeader("datasets"), [][]string{append([]string{itoa(len(a.Datasets))}, sourceCells(a.SourceActivity)...)})
		m.line("")
		if len(a.ScenariosConsented) == 0 {
			m.line("Scenarios consented to in the period: none.")
		} else {
			ids := make([]string, len(a.ScenariosConsented))
			for i, id := range a.ScenariosConsented {
				ids[i] = code(id)
			}
			m.line("Scenarios consented to in the period: %s.", strings.Join(ids, ", "))
		}
		if len(a.Datasets) > 0 {
			m.line("")
			rows := make([][]string, 0, len(a.Datasets))
			for _, d := range a.Datasets {
				rows = append(rows, append([]string{code(d.Dataset)}, sourceCells(d.SourceActivity)...))
			}
			m.table(sourceHeader("dataset"), rows)
		}
	}
	m.line("")
	m.checkpoint(s.Checkpoint, "The report is computed")
	return m.err
}

func (s Sources) csv(w io.Writer) error {
	c := newCSV(w, "level", "year", "agency", "agency_name", "dataset", "versions_imported", "rows_imported", "rules_changes", "rules_cosigned",
		"flag_changes", "consents_loaded", "scenarios_consented", "grants", "jobs_run", "jobs_released", "rows_scanned")
	act := func(a SourceActivity) []any {
		return []any{a.VersionsImported, a.RowsImported, a.RulesChanges, a.RulesCosigned, a.FlagChanges, a.ConsentsLoaded}
	}
	use := func(a SourceActivity) []any {
		return []any{strings.Join(a.Grants, ";"), a.JobsRun, a.JobsReleased, a.RowsScanned}
	}
	for _, a := range s.Agencies {
		c.row(append(append(append([]any{"agency", s.Period.Label, a.Agency, a.Name, ""}, act(a.SourceActivity)...), strings.Join(a.ScenariosConsented, ";")), use(a.SourceActivity)...)...)
		for _, d := range a.Datasets {
			c.row(append(append(append([]any{"dataset", s.Period.Label, a.Agency, a.Name, d.Dataset}, act(d.SourceActivity)...), ""), use(d.SourceActivity)...)...)
		}
	}
	return c.flush()
}

func activityHeader() []string {
	return []string{"jobs run", "released", "failed", "refused", "checked", "rows scanned"}
}

func activityCells(a Activity) []string {
	return []string{itoa(a.Run), itoa(a.Released), itoa(a.Failed), itoa(a.Refused), itoa(a.Checked), strconv.FormatInt(a.RowsScanned, 10)}
}

func sourceHeader(first string) []string {
	return []string{first, "versions imported", "rows imported", "rules changes", "rules co-signed", "flag changes", "consents loaded", "grants", "jobs run", "jobs released", "rows scanned"}
}

func sourceCells(a SourceActivity) []string {
	grants := make([]string, len(a.Grants))
	for i, g := range a.Grants {
		grants[i] = code(g)
	}
	return []string{itoa(a.VersionsImported), strconv.FormatInt(a.RowsImported, 10), itoa(a.RulesChanges), itoa(a.RulesCosigned), itoa(a.FlagChanges),
		itoa(a.ConsentsLoaded), strings.Join(grants, ", "), itoa(a.JobsRun), itoa(a.JobsReleased), strconv.FormatInt(a.RowsScanned, 10)}
}

// scope writes a grant's datasets and columns as "benefits: amount, program; citizens: district".
func scope(ds map[string][]string) string {
	parts := make([]string, 0, len(ds))
	for _, name := range slices.Sorted(maps.Keys(ds)) {
		parts = append(parts, name+": "+strings.Join(ds[name], ", "))
	}
	return strings.Join(parts, "; ")
}

// reasons writes reason counts as "code=n;code=n".
func reasons(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+itoa(m[k]))
	}
	return strings.Join(parts, ";")
}

func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }

func itoa(n int) string { return strconv.Itoa(n) }

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// md writes Markdown and remembers the first error.
type md struct {
	w   io.Writer
	err error
}

func (m *md) line(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format+"\n", args...)
	}
}

func (m *md) table(header []string, rows [][]string) {
	m.line("| %s |", strings.Join(header, " | "))
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	m.line("| %s |", strings.Join(sep, " | "))
	for _, r := range rows {
		m.line("| %s |", strings.Join(r, " | "))
	}
}

func (m *md) period(p Period, generated time.Time, partial bool) {
	m.line("Period: %s to %s (UTC, end excluded). Generated %s.", stamp(p.From), stamp(p.To), stamp(generated))
	if partial {
		m.line("The period has not ended: the figures are partial.")
	}
}

func (m *md) checkpoint(c Checkpoint, what string) {
	m.line("## Job log checkpoint")
	m.line("")
	m.line("%s from the first %d entries of the job log %s. The signed checkpoint below commits to exactly these entries; check it with the verifier key, and any entry with an inclusion proof.", what, c.Size, code(c.Origin))
	m.line("")
	if c.Note == "" {
		m.line("The log has not published a checkpoint yet.")
	} else {
		m.line("```text")
		m.line("%s", strings.TrimRight(c.Note, "\n"))
		m.line("```")
	}
	m.line("")
	m.line("Verifier key: %s", code(c.VerifierKey))
}

// mdEscaper escapes what Markdown would read as structure, so free text stays in its cell and
// its line: no cell separator, link, HTML, code span or line break gets through. Free text is
// never at the start of a line, so '#' cannot make a heading; '_' is left alone so identifiers
// stay readable (at worst a word is in italics).
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`,
	"|", `\|`, "\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

func esc(s string) string { return mdEscaper.Replace(s) }

// code writes an identifier as inline code; identifiers never hold a backtick, but a backtick
// would end the span, so it is dropped.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.NewReplacer("`", "", "\n", " ", "\r", " ", "|", `\|`).Replace(s) + "`"
}

func agency(id, name string) string {
	if name == "" || name == id {
		return code(id)
	}
	return esc(name) + " (" + code(id) + ")"
}

// csvw writes CSV rows of strings and integers.
type csvw struct{ w *csv.Writer }

func newCSV(w io.Writer, header ...string) *csvw {
	c := &csvw{w: csv.NewWriter(w)}
	c.w.Write(header)
	return c
}

func (c *csvw) row(cells ...any) {
	rec := make([]string, len(cells))
	for i, v := range cells {
		switch v := v.(type) {
		case string:
			rec[i] = cell(v)
		case int:
			rec[i] = strconv.Itoa(v)
		case int64:
			rec[i] = strconv.FormatInt(v, 10)
		default:
			rec[i] = cell(fmt.Sprint(v))
		}
	}
	c.w.Write(rec)
}

func (c *csvw) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// cell defuses text a spreadsheet would run as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
