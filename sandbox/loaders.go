package sandbox

import (
	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/connectors/arrowipc"
	"github.com/inviso/inviso/connectors/csv"
	"github.com/inviso/inviso/connectors/ndjson"
	"github.com/inviso/inviso/connectors/parquet"
)

// DefaultLoaders are the connectors for every supported upload format.
func DefaultLoaders() map[connectors.Format]connectors.Loader {
	return map[connectors.Format]connectors.Loader{
		connectors.CSV:      &csv.Loader{},
		connectors.Parquet:  &parquet.Loader{},
		connectors.NDJSON:   &ndjson.Loader{},
		connectors.ArrowIPC: &arrowipc.Loader{},
	}
}
