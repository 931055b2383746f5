package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/inviso/inviso/crypto/he"
	"github.com/inviso/inviso/sandbox/catalog"
)

// HEJob is the developer's side of a homomorphic job: what to score, and the plain model that
// this client encrypts before anything is sent.
type HEJob struct {
	Circuit    string // linear_score, row_score or exact_count
	Table      string // optional
	GroupBy    []string
	Features   []string  // linear_score, row_score
	Weights    []float64 // one per feature
	Polynomial string    // row_score: identity (default) or logistic3
	CodeColumn string    // exact_count
	Codes      []string  // exact_count: the code space
	Selected   []string  // exact_count: the codes to count (kept secret from the operator)
}

// RunHE encrypts the model under keys, uploads the evaluation keys and the ciphertexts, runs
// the job and writes its encrypted result (an Arrow IPC stream) to w. The secret key never
// leaves this process. It returns the job id.
func (c *Client) RunHE(ctx context.Context, grant string, keys *he.ClientKeys, job HEJob, w io.Writer) (string, error) {
	circuit, err := he.ParseCircuit(job.Circuit)
	if err != nil {
		return "", err
	}
	if len(job.Weights) != len(job.Features) && circuit != he.CircuitExactCount {
		return "", fmt.Errorf("%d weights for %d features", len(job.Weights), len(job.Features))
	}
	codeSpace := 0
	var in *he.Inputs
	switch circuit {
	case he.CircuitLinearScore:
		in, err = he.EncryptLinearWeights(keys, job.Weights)
	case he.CircuitRowScore:
		degree := 1
		if job.Polynomial != "" {
			p, perr := he.ApprovedPolynomial(job.Polynomial)
			if perr != nil {
				return "", perr
			}
			degree = p.Degree()
		}
		in, err = he.EncryptRowWeights(keys, job.Weights, degree)
	case he.CircuitExactCount:
		codeSpace = len(job.Codes)
		var sel []uint64
		for _, s := range job.Selected {
			i := slices.Index(job.Codes, s)
			if i < 0 {
				return "", fmt.Errorf("selected code %q is not in the code list", s)
			}
			sel = append(sel, uint64(i))
		}
		in, err = he.EncryptSelection(keys, sel, codeSpace)
	}
	if err != nil {
		return "", err
	}
	mat, err := keys.EvaluationMaterial(circuit, codeSpace)
	if err != nil {
		return "", err
	}
	mb, err := mat.MarshalBinary()
	if err != nil {
		return "", err
	}
	ib, err := in.MarshalBinary()
	if err != nil {
		return "", err
	}
	keysDigest, err := c.PutBlob(ctx, bytes.NewReader(mb))
	if err != nil {
		return "", fmt.Errorf("upload keys: %w", err)
	}
	inputsDigest, err := c.PutBlob(ctx, bytes.NewReader(ib))
	if err != nil {
		return "", fmt.Errorf("upload inputs: %w", err)
	}
	req := catalog.JobRequest{Kind: "he", Circuit: job.Circuit, Params: keys.Set().Name(), Table: job.Table, GroupBy: job.GroupBy,
		Features: job.Features, Keys: keysDigest, Inputs: inputsDigest, Polynomial: job.Polynomial, CodeColumn: job.CodeColumn, Codes: job.Codes}
	return c.SubmitJob(ctx, grant, req, "application/vnd.apache.arrow.stream", w)
}

// DecryptHE turns a homomorphic job's result (an Arrow IPC stream) into a plain table: the
// group keys and sizes, and each group's decrypted value.
func DecryptHE(keys *he.ClientKeys, r io.Reader) (columns []string, rows [][]any, err error) {
	rd, err := ipc.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read result: %w", err)
	}
	defer rd.Release()
	schema := rd.Schema()
	n := schema.NumFields()
	if n < 3 || schema.Field(n-1).Name != "ciphertext" || schema.Field(n-2).Name != "slot" {
		return nil, nil, fmt.Errorf("not a homomorphic job's result (want …, slot, ciphertext)")
	}
	for _, f := range schema.Fields()[:n-2] {
		columns = append(columns, f.Name)
	}
	columns = append(columns, "value")
	var values []float64
	var counts []int64
	for rd.Next() {
		b := rd.RecordBatch()
		dict, ok := b.Column(n - 1).(*array.Dictionary)
		if !ok {
			return nil, nil, fmt.Errorf("the ciphertext column is not dictionary-encoded")
		}
		slots, ok := b.Column(n - 2).(*array.Int32)
		if !ok {
			return nil, nil, fmt.Errorf("the slot column is not int32")
		}
		for i := 0; i < int(b.NumRows()); i++ {
			if values == nil && counts == nil {
				enc := dict.Dictionary().(*array.Binary).Value(dict.GetValueIndex(i))
				res, err := he.ParseResult(enc)
				if err != nil {
					return nil, nil, err
				}
				if res.Circuit == he.CircuitExactCount {
					counts, err = he.DecryptCounts(keys, res)
				} else {
					values, err = he.DecryptScores(keys, res)
				}
				if err != nil {
					return nil, nil, err
				}
			}
			row := make([]any, 0, n-1)
			for c := 0; c < n-2; c++ {
				row = append(row, b.Column(c).GetOneForMarshal(i))
			}
			s := int(slots.Value(i))
			switch {
			case counts != nil && s < len(counts):
				row = append(row, counts[s])
			case values != nil && s < len(values):
				row = append(row, values[s])
			default:
				return nil, nil, fmt.Errorf("slot %d is outside the result", s)
			}
			rows = append(rows, row)
		}
	}
	return columns, rows, rd.Err()
}
