// Command network is a hostile test plugin: for each input row it tries to reach the address
// in column "target" ("tcp:host:port", "udp:host:port" or "interfaces") and reports what
// happened in column "result".
package main

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/inviso/inviso/sandbox/plugin/sdk"
)

var out = arrow.NewSchema([]arrow.Field{sdk.RowField, {Name: "result", Type: arrow.BinaryTypes.String}}, nil)

func try(target string) string {
	if target == "interfaces" {
		ifs, err := net.Interfaces()
		if err != nil {
			return "error: " + err.Error()
		}
		var s []string
		for _, i := range ifs {
			s = append(s, i.Name+" "+i.Flags.String())
		}
		return strings.Join(s, "; ")
	}
	network, addr, _ := strings.Cut(target, ":")
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		return "error: " + err.Error()
	}
	defer c.Close()
	if _, err := c.Write([]byte("exfiltrated")); err != nil {
		return "error: " + err.Error()
	}
	return "connected"
}

func main() {
	sdk.Serve(sdk.Map(out, func(in arrow.RecordBatch) (arrow.RecordBatch, error) {
		h, _ := sdk.Handles(in)
		t := in.Column(int(in.Schema().FieldIndices("target")[0])).(*array.String)
		b := array.NewRecordBuilder(memory.DefaultAllocator, out)
		defer b.Release()
		for i := 0; i < int(in.NumRows()); i++ {
			b.Field(0).(*array.Int64Builder).Append(h.Value(i))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprint(try(t.Value(i))))
		}
		return b.NewRecordBatch(), nil
	}))
}
