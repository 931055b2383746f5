package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestBenchFaultFlags: values the fault run would read as its defaults, or cannot run with,
// are refused before any server starts.
func TestBenchFaultFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no kill":           {[]string{"--kills", "0"}, "--kills"},
		"no client":         {[]string{"--clients", "0"}, "--clients"},
		"too few rows":      {[]string{"--rows", "10"}, "--rows"},
		"window backwards":  {[]string{"--kill-min", "3s", "--kill-max", "1s"}, "--kill-min"},
		"no kill window":    {[]string{"--kill-min", "0s"}, "--kill-min"},
		"no full disk load": {[]string{"--full-disk-for", "0s"}, "--full-disk-for"},
		"an argument":       {[]string{"extra"}, "unknown command"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"bench", "fault", "--data", t.TempDir()}, tc.args...), &out, &errb)
			if code != 1 || !strings.Contains(errb.String(), tc.want) || out.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and %q", code, out.String(), errb.String(), tc.want)
			}
		})
	}
}
