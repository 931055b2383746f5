package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Version is the entry format version this package writes and reads.
const Version = 1

// MaxEntrySize is the largest encoded entry a tlog-tiles bundle can hold.
const MaxEntrySize = 1<<16 - 1

// Kinds of entries. A job is one entry, written when its outcome is known and before anything is
// released; its body says whether it was refused, checked, released or failed.
const (
	KindAgencyCreated     = "agency.created"
	KindPrincipalCreated  = "principal.created"
	KindDatasetRegistered = "dataset.registered"
	KindDatasetFlags      = "dataset.flags"
	KindVersionImported   = "version.imported"
	KindRulesSet          = "rules.set"
	KindRulesCosigned     = "rules.cosigned"
	KindConsentsLoaded    = "consents.loaded"
	KindScenarioRequested = "scenario.requested"
	KindScenarioConsented = "scenario.consented"
	KindScenarioApproved  = "scenario.approved"
	KindScenarioRejected  = "scenario.rejected"
	KindGrantSuspended    = "grant.suspended"
	KindGrantResumed      = "grant.resumed"
	KindGrantRevoked      = "grant.revoked"
	KindGrantExpired      = "grant.expired"
	KindGrantRebuilt      = "grant.rebuilt" // a follow-latest grant's workspace was rebuilt on a new version
	KindPolicyLoaded      = "policy.loaded"
	KindJob               = "job"
)

// Entry is one record of the log. Body is the kind's own JSON document.
type Entry struct {
	V       int             `json:"v"`
	Time    time.Time       `json:"time"`
	Actor   string          `json:"actor"`
	Kind    string          `json:"kind"`
	Subject string          `json:"subject,omitempty"` // the id of what changed
	Grant   string          `json:"grant,omitempty"`   // the grant it concerns, if any
	Body    json.RawMessage `json:"body,omitempty"`
}

// New returns an entry of kind about subject, with body marshalled to JSON.
func New(actor, kind, subject string, body any) (Entry, error) {
	e := Entry{V: Version, Actor: actor, Kind: kind, Subject: subject}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Entry{}, fmt.Errorf("audit: encode %s body: %w", kind, err)
		}
		e.Body = b
	}
	return e, nil
}

// Encode returns the entry's bytes as logged: compact JSON, times in UTC.
func (e Entry) Encode() ([]byte, error) {
	if e.V == 0 {
		e.V = Version
	}
	e.Time = e.Time.UTC()
	if e.Kind == "" || e.Actor == "" {
		return nil, errors.New("audit: an entry needs a kind and an actor")
	}
	var buf bytes.Buffer
	if e.Body != nil {
		if err := json.Compact(&buf, e.Body); err != nil {
			return nil, fmt.Errorf("audit: %s body is not JSON: %w", e.Kind, err)
		}
		e.Body = append(json.RawMessage(nil), buf.Bytes()...)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxEntrySize {
		return nil, fmt.Errorf("audit: %s entry is %d bytes, over the %d-byte limit", e.Kind, len(b), MaxEntrySize)
	}
	return b, nil
}

// Decode parses a logged entry. It refuses unknown versions and entries without kind or actor.
func Decode(b []byte) (Entry, error) {
	var e Entry
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("not a log entry: %w", err)
	}
	if e.V != Version {
		return Entry{}, fmt.Errorf("entry format version %d, want %d", e.V, Version)
	}
	if e.Kind == "" || e.Actor == "" {
		return Entry{}, errors.New("entry without kind or actor")
	}
	return e, nil
}

// Digest is the "sha256:<hex>" digest of b, the form digests take in entries.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Head is what verification reads of every entry: its format version, kind and actor.
type Head struct {
	V     int
	Kind  string
	Actor string
}

// DecodeHead reads an entry's leading fields (v, time, actor, kind: the order Encode writes)
// without parsing its body: verification of a million entries checks each one's head, while
// the hash chain already covers every byte.
func DecodeHead(b []byte) (Head, error) {
	var h Head
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return h, errors.New("not a log entry: not a JSON object")
	}
	for range 4 {
		t, err := d.Token()
		if err != nil {
			return h, fmt.Errorf("not a log entry: %w", err)
		}
		key, _ := t.(string)
		switch key {
		case "v":
			var v int
			if err := d.Decode(&v); err != nil {
				return h, fmt.Errorf("not a log entry: %w", err)
			}
			h.V = v
		case "time":
			var s string
			if err := d.Decode(&s); err != nil {
				return h, fmt.Errorf("not a log entry: %w", err)
			}
		case "actor":
			if err := d.Decode(&h.Actor); err != nil {
				return h, fmt.Errorf("not a log entry: %w", err)
			}
		case "kind":
			if err := d.Decode(&h.Kind); err != nil {
				return h, fmt.Errorf("not a log entry: %w", err)
			}
		default:
			return h, fmt.Errorf("not a log entry: unexpected field %q", clipKey(key))
		}
	}
	if h.V != Version {
		return h, fmt.Errorf("entry format version %d, want %d", h.V, Version)
	}
	if h.Kind == "" || h.Actor == "" {
		return h, errors.New("entry without kind or actor")
	}
	return h, nil
}

func clipKey(k string) string {
	if len(k) > 20 {
		return k[:20] + "…"
	}
	return k
}
