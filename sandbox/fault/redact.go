package fault

import "regexp"

// quoted matches what engines put between quotes in their messages: usually a value.
var quoted = regexp.MustCompile(`"[^"]*"|'[^']*'|«[^»]*»`)

// Redact renders err for a log line with every quoted run replaced by "…". DuckDB and other
// engines quote the offending value in their messages; server logs must not carry raw values.
func Redact(err error) string {
	if err == nil {
		return ""
	}
	return quoted.ReplaceAllString(err.Error(), `"…"`)
}
