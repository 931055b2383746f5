package report

import (
	"time"

	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/fault"
)

// Format is a rendering of a document.
type Format string

// Formats.
const (
	JSON     Format = "json"
	Markdown Format = "md"
	CSV      Format = "csv"
)

// Formats lists every format.
var Formats = []Format{JSON, Markdown, CSV}

// ParseFormat reads a format name; empty is def.
func ParseFormat(s string, def Format) (Format, error) {
	switch Format(s) {
	case "":
		return def, nil
	case JSON, Markdown, CSV:
		return Format(s), nil
	case "markdown":
		return Markdown, nil
	}
	return "", fault.E(fault.InvalidInput, "format %q: want json, md or csv", clip(s))
}

// MediaType is the Content-Type of a rendering.
func (f Format) MediaType() string {
	switch f {
	case Markdown:
		return "text/markdown; charset=utf-8"
	case CSV:
		return "text/csv; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// Checkpoint names the part of the job log a document was computed from: its first Size
// entries, which the signed checkpoint Note commits to. With the verifier key anyone can check
// the note, and with inclusion proofs every entry that was counted.
type Checkpoint struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
	Size        uint64 `json:"size"`
	Note        string `json:"note,omitempty"` // the C2SP signed note; empty before the first checkpoint
}

// Disclosure is the public disclosure of Art. 21: who holds which authorization, for what,
// over which data, until when; the products built under them; how the data is used; and the
// checkpoint of the job log the usage was counted from. Anyone may read it.
type Disclosure struct {
	GeneratedAt time.Time  `json:"generated_at"`
	Grants      []Grant    `json:"grants"`
	Products    []Product  `json:"products"`
	Usage       Usage      `json:"usage"`
	Checkpoint  Checkpoint `json:"checkpoint"`
}

// Grant is one authorization as disclosed (never a pending one).
type Grant struct {
	ID         string              `json:"id"`
	Grantee    string              `json:"grantee"` // the developer principal holding it
	Agency     string              `json:"agency"`  // the grantee's agency
	AgencyName string              `json:"agency_name,omitempty"`
	Scenario   string              `json:"scenario"`
	Name       string              `json:"name"`
	Purpose    string              `json:"purpose"`
	Use        catalog.Use         `json:"use"`
	Datasets   map[string][]string `json:"datasets"` // dataset → columns granted
	JobKinds   []string            `json:"job_kinds"`
	ValidUntil time.Time           `json:"valid_until"`
	State      catalog.GrantState  `json:"state"` // effective: a grant past its validity is expired
	ApprovedAt time.Time           `json:"approved_at"`
	Agreement  string              `json:"agreement,omitempty"` // the filed agreement's reference (Art. 14)
}

// Product is an entry of the operating agency's product and service list. There is no product
// registry yet: each grant's scenario (name, purpose, use) is listed as the product it serves.
type Product struct {
	Name       string             `json:"name"`
	Purpose    string             `json:"purpose"`
	Use        catalog.Use        `json:"use"`
	Grant      string             `json:"grant"`
	Agency     string             `json:"agency"`
	AgencyName string             `json:"agency_name,omitempty"`
	State      catalog.GrantState `json:"state"`
}

// Usage is how the data was used, counted from the job log.
type Usage struct {
	Grants   []GrantUsage   `json:"grants"`
	Datasets []DatasetUsage `json:"datasets"`
}

// GrantUsage counts a grant's jobs by outcome.
type GrantUsage struct {
	Grant    string `json:"grant"`
	Released int    `json:"jobs_released"`
	Refused  int    `json:"jobs_refused"`
	Checked  int    `json:"jobs_checked"`
	Failed   int    `json:"jobs_failed"`
}

// DatasetUsage counts the use of one dataset that some disclosed grant covers.
type DatasetUsage struct {
	Dataset    string `json:"dataset"`
	Agency     string `json:"agency"` // its source agency
	AgencyName string `json:"agency_name,omitempty"`
	Grants     int    `json:"grants"`        // disclosed grants covering it
	Released   int    `json:"jobs_released"` // released jobs that read it
}

// Activity counts jobs by outcome. A job ran if it was released or failed; only jobs that ran
// scanned rows.
type Activity struct {
	Run            int            `json:"jobs_run"`
	Released       int            `json:"jobs_released"`
	Failed         int            `json:"jobs_failed"`
	Refused        int            `json:"jobs_refused"`
	Checked        int            `json:"jobs_checked"`
	RowsScanned    int64          `json:"rows_scanned"`
	RefusalReasons map[string]int `json:"refusal_reasons"` // reason code → refused jobs giving it
}

// Add counts one job.
func (a *Activity) Add(j catalog.Job) {
	if a.RefusalReasons == nil {
		a.RefusalReasons = map[string]int{}
	}
	switch j.State {
	case catalog.JobReleased:
		a.Released++
	case catalog.JobFailed:
		a.Failed++
	case catalog.JobRefused:
		a.Refused++
		seen := map[string]bool{}
		for _, r := range j.Reasons {
			if !seen[r.Code] {
				seen[r.Code] = true
				a.RefusalReasons[r.Code]++
			}
		}
		if len(seen) == 0 {
			a.RefusalReasons[UnspecifiedReason]++
		}
	case catalog.JobChecked:
		a.Checked++
	}
	if j.Spent() {
		a.Run++
		a.RowsScanned += j.Scanned
	}
}

// UnspecifiedReason counts refusals recorded without a reason code (a malformed query, an
// exhausted budget).
const UnspecifiedReason = "unspecified"

// Quarterly is the operating agency's quarterly report (Art. 28): what every grant live in the
// quarter did, and the same per agency of the grantees.
type Quarterly struct {
	Kind        string           `json:"kind"` // "quarterly"
	Period      Period           `json:"period"`
	GeneratedAt time.Time        `json:"generated_at"`
	Partial     bool             `json:"partial"` // the period has not ended yet
	Totals      Activity         `json:"totals"`
	Agencies    []AgencyActivity `json:"agencies"`
	Grants      []GrantActivity  `json:"grants"`
	Checkpoint  Checkpoint       `json:"checkpoint"`
}

// GrantActivity is one grant's quarter.
type GrantActivity struct {
	Grant      string             `json:"grant"`
	Scenario   string             `json:"scenario"`
	Name       string             `json:"name"`
	Grantee    string             `json:"grantee"`
	Agency     string             `json:"agency"`
	Use        catalog.Use        `json:"use"`
	ApprovedAt time.Time          `json:"approved_at"`
	ValidUntil time.Time          `json:"valid_until"`
	State      catalog.GrantState `json:"state"` // at the end of the period (or now, if sooner)
	Activity
	DatasetsUsed []string `json:"datasets_used"` // datasets read by its jobs that ran
}

// AgencyActivity is the quarter of one grantee agency's grants together.
type AgencyActivity struct {
	Agency string `json:"agency"`
	Name   string `json:"name,omitempty"`
	Grants int    `json:"grants"`
	Activity
	DatasetsUsed []string `json:"datasets_used"`
}

// Sources is the annual report on data-source agencies (Art. 22): per source agency and
// dataset, what it supplied and changed and how its data was used.
type Sources struct {
	Kind        string         `json:"kind"` // "sources"
	Period      Period         `json:"period"`
	GeneratedAt time.Time      `json:"generated_at"`
	Partial     bool           `json:"partial"`
	Agencies    []SourceAgency `json:"agencies"`
	Checkpoint  Checkpoint     `json:"checkpoint"`
}

// SourceAgency is one source agency's year.
type SourceAgency struct {
	Agency string `json:"agency"`
	Name   string `json:"name,omitempty"`
	SourceActivity
	ScenariosConsented []string        `json:"scenarios_consented"`
	Datasets           []SourceDataset `json:"datasets"`
}

// SourceDataset is one dataset's year.
type SourceDataset struct {
	Dataset string `json:"dataset"`
	SourceActivity
}

// SourceActivity is what a source agency or one of its datasets saw in the period. Grants are
// those live at some time in the period whose scope covers the data; jobs are those that ran
// (released or failed) and read it; rows scanned are the rows of its workspace tables those
// jobs could read.
type SourceActivity struct {
	VersionsImported int      `json:"versions_imported"`
	RowsImported     int64    `json:"rows_imported"`
	RulesChanges     int      `json:"rules_changes"`
	RulesCosigned    int      `json:"rules_cosigned"`
	FlagChanges      int      `json:"flag_changes"`
	ConsentsLoaded   int      `json:"consents_loaded"`
	Grants           []string `json:"grants"`
	JobsRun          int      `json:"jobs_run"`
	JobsReleased     int      `json:"jobs_released"`
	RowsScanned      int64    `json:"rows_scanned"`
}

// Merge adds b's counts to a.
func (a *Activity) Merge(b Activity) {
	if a.RefusalReasons == nil {
		a.RefusalReasons = map[string]int{}
	}
	a.Run += b.Run
	a.Released += b.Released
	a.Failed += b.Failed
	a.Refused += b.Refused
	a.Checked += b.Checked
	a.RowsScanned += b.RowsScanned
	for k, n := range b.RefusalReasons {
		a.RefusalReasons[k] += n
	}
}
