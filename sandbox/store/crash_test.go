package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/connectors/synth"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
)

const (
	childDirEnv  = "INVISO_STORE_CRASH_DIR"
	childFileEnv = "INVISO_STORE_CRASH_FILE"
)

// TestMain lets the kill -9 test re-run this binary as an importing child.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		os.Exit(crashChild(dir, os.Getenv(childFileEnv)))
	}
	os.Exit(m.Run())
}

// crashChild imports a file into the store at dir until it is killed.
func crashChild(dir, file string) int {
	ctx := context.Background()
	cat, err := catalog.Open(ctx, filepath.Join(dir, "control.duckdb"), duck.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := Open(ctx, Options{Root: filepath.Join(dir, "store"), Staging: filepath.Join(dir, "staging"), Catalog: cat, Loaders: loaders(), DuckDB: duck.Config{Threads: 1}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ds, err := cat.Dataset(ctx, "citizens")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	f, err := os.Open(file)
	if err != nil {
		return 2
	}
	if _, err := s.Import(ctx, Import{Dataset: ds, Format: connectors.CSV, Body: f, Actor: "child"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}

// TestKillMidImport kills an importing process with SIGKILL at several points of its import and
// checks that the next start finds no version, no staging leftovers and no stray file.
func TestKillMidImport(t *testing.T) {
	t.Parallel()
	big := synthFile(t, synth.Citizens, synth.CSV, 400_000)
	stages := map[string]string{
		"while receiving the upload": "upload.csv",
		"while loading into DuckDB":  "version.duckdb",
	}
	for stage, marker := range stages {
		t.Run(stage, func(t *testing.T) {
			f := newFixture(t)
			f.cat.Close() // the child opens the control database; one process at a time
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childDirEnv+"="+f.dir, childFileEnv+"="+big)
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			deadline := time.After(60 * time.Second)
		wait:
			for {
				matches, _ := filepath.Glob(filepath.Join(f.dir, "staging", "import-*", marker))
				if len(matches) > 0 {
					break wait
				}
				select {
				case err := <-exited:
					t.Fatalf("child finished before it could be killed (%v); make the file larger", err)
				case <-deadline:
					cmd.Process.Kill()
					t.Fatal("child never reached the stage")
				case <-time.After(2 * time.Millisecond):
				}
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-exited

			cat, err := catalog.Open(context.Background(), filepath.Join(f.dir, "control.duckdb"), duck.Config{})
			if err != nil {
				t.Fatalf("control database does not reopen after kill -9: %v", err)
			}
			defer cat.Close()
			f.cat = cat
			f.store = f.reopen(t)
			d, err := cat.Dataset(context.Background(), "citizens")
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Versions) != 0 {
				t.Fatalf("a killed import left %d visible versions", len(d.Versions))
			}
			staging, files := f.leftovers(t)
			if len(staging) != 0 || len(files) != 0 {
				t.Fatalf("after restart: staging %v, store files %v", staging, files)
			}
			// And the store still works.
			f.ds = d
			if v, err := f.imp(connectors.CSV, mustOpen(t, big), false); err != nil || v.Number != 1 || v.Rows != 400_000 {
				t.Fatalf("import after crash: %+v %v", v, err)
			}
		})
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
