package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/load"
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

func TestRSSBound(t *testing.T) {
	for _, tc := range []struct {
		maxMiB   int64
		spawn    bool
		memLimit string
		want     int64
	}{
		{0, false, "", 0},
		{0, true, "", 0},
		{0, false, "1GB", 0}, // a running server's own limit is not known here
		{0, true, "1GB", 1e9 + RSSMarginMiB<<20},
		{0, true, "512MiB", 512<<20 + RSSMarginMiB<<20},
		{0, true, "1.5 GiB", 3<<29 + RSSMarginMiB<<20},
		{300, true, "1GB", 300 << 20},
	} {
		got, err := rssBound(tc.maxMiB, tc.spawn, tc.memLimit)
		if err != nil || got != tc.want {
			t.Errorf("rssBound(%d, %v, %q) = %d, %v; want %d", tc.maxMiB, tc.spawn, tc.memLimit, got, err, tc.want)
		}
	}
	for _, bad := range []string{"lots", "1PB", "GB", "-1GB"} {
		if _, err := rssBound(0, true, bad); err == nil {
			t.Errorf("memory limit %q accepted", bad)
		}
	}
	if _, err := rssBound(-1, false, ""); err == nil {
		t.Error("a negative bound accepted")
	}
	if err := verdict(&load.Report{MaxRSSBytes: 2 << 30, RSSBoundBytes: 1 << 30}); err == nil || !strings.Contains(err.Error(), "RSS") {
		t.Errorf("RSS over the bound: %v", err)
	}
	if err := verdict(&load.Report{MaxRSSBytes: 1 << 29, RSSBoundBytes: 1 << 30}); err != nil {
		t.Errorf("RSS under the bound: %v", err)
	}
}
