// Command files is a hostile test plugin: for each input row it tries the file operation in
// column "path" and reports what happened in column "result". A path is read; "!ls DIR"
// lists a directory, "!write PATH" creates a file, "!sockdir" writes into the go-plugin socket directory, "!chroot" tries to leave its root, "!unshare" tries a new user namespace, "!rlimits" reports its rlimits as its first initializer saw them, "!id" and "!env" report its identity and the names in its environment.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sys/unix"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

// atStart holds the rlimits as the program's first initializer saw them.
var atStart = rlimits()

func rlimits() string {
	var s []string
	for _, r := range []struct {
		name string
		res  int
	}{{"as", unix.RLIMIT_AS}, {"cpu", unix.RLIMIT_CPU}, {"nofile", unix.RLIMIT_NOFILE}, {"nproc", unix.RLIMIT_NPROC}, {"fsize", unix.RLIMIT_FSIZE}, {"core", unix.RLIMIT_CORE}} {
		var l unix.Rlimit
		if err := unix.Getrlimit(r.res, &l); err != nil {
			return "error: " + err.Error()
		}
		s = append(s, fmt.Sprintf("%s=%d/%d", r.name, l.Cur, l.Max))
	}
	return strings.Join(s, " ")
}

var out = arrow.NewSchema([]arrow.Field{sdk.RowField, {Name: "result", Type: arrow.BinaryTypes.String}}, nil)

func try(op string) string {
	switch {
	case strings.HasPrefix(op, "!ls "):
		ents, err := os.ReadDir(strings.TrimPrefix(op, "!ls "))
		if err != nil {
			return "error: " + err.Error()
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return "listed: " + strings.Join(names, ",")
	case strings.HasPrefix(op, "!write "):
		err := os.WriteFile(strings.TrimPrefix(op, "!write "), []byte("x"), 0o644)
		if err != nil {
			return "error: " + err.Error()
		}
		return "written"
	case op == "!sockdir":
		// The go-plugin socket directory is the only place the plugin could write to before
		// its handshake; afterwards it must not be able to.
		ents, err := os.ReadDir("/")
		if err != nil {
			return "error: " + err.Error()
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "plugin-dir") {
				if err := os.WriteFile("/"+e.Name()+"/x", []byte("x"), 0o644); err != nil {
					return "error: " + err.Error()
				}
				return "written"
			}
		}
		return "error: no socket directory"
	case op == "!unshare":
		// A new user namespace would give it capabilities (and, from a chroot, a way out).
		// The child of a fork is single-threaded, as unshare needs.
		_, err := syscall.ForkExec("/plugin", []string{"plugin"}, &syscall.ProcAttr{
			Env: []string{"FILES_IDLE=1"},
			Sys: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER},
		})
		if err != nil {
			return "error: " + err.Error()
		}
		return "unshared"
	case op == "!chroot":
		if err := syscall.Chroot("/"); err != nil {
			return "error: " + err.Error()
		}
		return "chrooted"
	case op == "!rlimits":
		return atStart
	case op == "!id":
		return fmt.Sprintf("uid=%d gid=%d pid=%d", os.Getuid(), os.Getgid(), os.Getpid())
	case op == "!env":
		var names []string
		for _, v := range os.Environ() {
			name, _, _ := strings.Cut(v, "=")
			names = append(names, name)
		}
		return strings.Join(names, " ")
	}
	b, err := os.ReadFile(op)
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("read %d bytes", len(b))
}

func main() {
	if os.Getenv("FILES_IDLE") == "1" {
		return
	}
	sdk.Serve(sdk.Map(out, func(in arrow.RecordBatch) (arrow.RecordBatch, error) {
		h, _ := sdk.Handles(in)
		p := in.Column(int(in.Schema().FieldIndices("path")[0])).(*array.String)
		b := array.NewRecordBuilder(memory.DefaultAllocator, out)
		defer b.Release()
		for i := 0; i < int(in.NumRows()); i++ {
			b.Field(0).(*array.Int64Builder).Append(h.Value(i))
			b.Field(1).(*array.StringBuilder).Append(try(p.Value(i)))
		}
		return b.NewRecordBatch(), nil
	}))
}
