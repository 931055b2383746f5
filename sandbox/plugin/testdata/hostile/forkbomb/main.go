// Command forkbomb is a hostile test plugin: it starts copies of itself until the system
// refuses, each leaving its process group and sleeping, and reports how many it started and
// why it stopped in column "result" of the first input row.
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

var out = arrow.NewSchema([]arrow.Field{sdk.RowField, {Name: "result", Type: arrow.BinaryTypes.String}}, nil)

func main() {
	if os.Getenv("FORKBOMB_CHILD") == "1" {
		_, _ = syscall.Setsid() // try to escape the process group
		for {
			time.Sleep(time.Hour)
		}
	}
	done := false
	sdk.Serve(sdk.Map(out, func(in arrow.RecordBatch) (arrow.RecordBatch, error) {
		if done || in.NumRows() == 0 {
			return nil, nil
		}
		done = true
		n := 0
		var err error
		for n < 100000 {
			_, err = syscall.ForkExec("/plugin", []string{"plugin"}, &syscall.ProcAttr{Env: []string{"FORKBOMB_CHILD=1"}})
			if err != nil {
				break
			}
			n++
		}
		h, _ := sdk.Handles(in)
		b := array.NewRecordBuilder(memory.DefaultAllocator, out)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(h.Value(0))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("started %d; stopped by: %v", n, err))
		return b.NewRecordBatch(), nil
	}))
}
