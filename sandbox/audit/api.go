package audit

// The documents of the audit API, shared by the server and its clients.

// LoggedEntry is one decoded entry of the job log with its index.
type LoggedEntry struct {
	Index uint64 `json:"index"`
	Entry
}

// Proof is an inclusion proof of one entry in the tree of a checkpoint.
type Proof struct {
	Index    uint64   `json:"index"`
	Size     uint64   `json:"size"`
	LeafHash []byte   `json:"leaf_hash"`
	Hashes   [][]byte `json:"hashes"`
	Entry    []byte   `json:"entry"` // the entry's logged bytes
}

// ReplayResult compares a job's recorded result with a re-run of it.
type ReplayResult struct {
	Job               string `json:"job"`
	RecordedDigest    string `json:"recorded_digest"`
	ReplayedDigest    string `json:"replayed_digest"`
	Match             bool   `json:"match"`
	RecordedWorkspace string `json:"recorded_workspace"`
	ReplayedWorkspace string `json:"replayed_workspace"`
	LogIndex          uint64 `json:"log_index"`
}
