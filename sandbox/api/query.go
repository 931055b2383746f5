package api

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/inviso/inviso/sandbox"
	"github.com/inviso/inviso/sandbox/catalog"
)

// Media types of results.
const (
	arrowStream = "application/vnd.apache.arrow.stream"
	jsonType    = "application/json"
	csvType     = "text/csv"
)

// resultType picks the result encoding from Accept: Arrow unless JSON or CSV is preferred.
func resultType(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case arrowStream:
			return arrowStream
		case jsonType:
			return jsonType
		case csvType:
			return csvType
		}
	}
	return arrowStream
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, actor catalog.Principal) error {
	var in struct {
		SQL       string `json:"sql"`
		CheckOnly bool   `json:"check_only"`
	}
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	res, err := s.sb.Query(r.Context(), actor, r.PathValue("id"), in.SQL, in.CheckOnly)
	if err != nil {
		return err
	}
	defer res.Release()
	w.Header().Set("Inviso-Job", res.Job)
	if res.CheckOnly {
		s.write(w, r, http.StatusOK, map[string]any{"job": res.Job, "allow": true, "reasons": []any{}})
		return nil
	}
	return s.writeResult(w, r, res)
}

// writeResult encodes a released result as the client asked.
func (s *Server) writeResult(w http.ResponseWriter, r *http.Request, res *sandbox.QueryResult) error {
	w.Header().Set("Cache-Control", "no-store")
	if res.DP != nil {
		// Whatever the encoding, the reader learns which columns are noisy and by how much.
		b, err := json.Marshal(res.DP)
		if err != nil {
			return err
		}
		w.Header().Set("Inviso-DP", string(b))
	}
	switch resultType(r) {
	case jsonType:
		cols := []string{}
		for _, f := range res.Schema.Fields() {
			cols = append(cols, f.Name)
		}
		rows := [][]any{}
		for _, b := range res.Batches {
			for i := 0; i < int(b.NumRows()); i++ {
				row := make([]any, b.NumCols())
				for c := range row {
					row[c] = b.Column(c).GetOneForMarshal(i)
				}
				rows = append(rows, row)
			}
		}
		// How many groups were suppressed is kept in the job record, never told: the count
		// changes when one person joins or leaves a filter, which is itself a signal.
		body := map[string]any{"job": res.Job, "columns": cols, "rows": rows}
		if res.DP != nil {
			body["noise"], body["budget"], body["threshold"] = res.DP.Noise, res.DP.Budget, res.DP.Threshold
		}
		s.write(w, r, http.StatusOK, body)
		return nil
	case csvType:
		w.Header().Set("Content-Type", csvType+"; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		cw := csv.NewWriter(w, res.Schema, csv.WithHeader(true), csv.WithNullWriter(""))
		for _, b := range res.Batches {
			if err := cw.Write(b); err != nil {
				return nil // the status is sent; the client sees a short body
			}
		}
		cw.Flush()
		return nil
	}
	w.Header().Set("Content-Type", arrowStream)
	w.WriteHeader(http.StatusOK)
	iw := ipc.NewWriter(w, ipc.WithSchema(res.Schema))
	for _, b := range res.Batches {
		if err := iw.Write(b); err != nil {
			return nil
		}
	}
	iw.Close()
	return nil
}
