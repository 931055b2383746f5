package catalog

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/inviso/inviso/sandbox/fault"
)

// Role is what a principal may do (Art. 3, 25).
type Role string

// The roles of the regulation, as the product names them.
const (
	RoleAdmin       Role = "admin"       // data management agency
	RoleOperator    Role = "operator"    // operating agency
	RoleImplementer Role = "implementer" // implementing agency
	RoleSource      Role = "source"      // data-source agency
	RoleDeveloper   Role = "developer"   // development agency
	RoleAuditor     Role = "auditor"     // supervisors
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleOperator, RoleImplementer, RoleSource, RoleDeveloper, RoleAuditor}

// AgencyKind is the kind of an agency (Art. 3).
type AgencyKind string

// Agency kinds.
const (
	KindDataManagement AgencyKind = "data_management"
	KindImplementing   AgencyKind = "implementing"
	KindOperating      AgencyKind = "operating"
	KindDevelopment    AgencyKind = "development"
	KindSource         AgencyKind = "source"
	KindSupervision    AgencyKind = "supervision"
)

// AgencyKinds lists every agency kind.
var AgencyKinds = []AgencyKind{KindDataManagement, KindImplementing, KindOperating, KindDevelopment, KindSource, KindSupervision}

// Level is a dataset's classification grade, L1 (public) to L4 (core).
type Level string

// Classification levels.
const (
	L1Public    Level = "L1"
	L2Internal  Level = "L2"
	L3Sensitive Level = "L3"
	L4Core      Level = "L4"
)

// Levels lists the classification levels, least to most protected.
var Levels = []Level{L1Public, L2Internal, L3Sensitive, L4Core}

// Flag is an Art. 2 exclusion marker on a dataset.
type Flag string

// Art. 2 flags.
const (
	FlagRestricted          Flag = "restricted"
	FlagSecret              Flag = "secret"
	FlagNeedsSubjectConsent Flag = "needs_subject_consent"
)

// Flags lists every flag.
var Flags = []Flag{FlagRestricted, FlagSecret, FlagNeedsSubjectConsent}

// Frequencies are the allowed update frequencies of a dataset.
var Frequencies = []string{"realtime", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular", "once"}

// Agency is a public body or company taking part.
type Agency struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      AgencyKind `json:"kind"`
	CreatedAt time.Time  `json:"created_at"`
}

// Principal is an authenticated identity of an agency.
type Principal struct {
	ID        string    `json:"id"`
	Agency    string    `json:"agency"`
	Roles     []Role    `json:"roles"`
	CreatedAt time.Time `json:"created_at"`
}

// Has reports whether p holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// Dataset is a registered data resource (Art. 17).
type Dataset struct {
	Name            string `json:"name"`
	Agency          string `json:"agency"`
	Description     string `json:"description"`
	Classification  Level  `json:"classification"`
	Flags           []Flag `json:"flags"`
	PrivacyUnit     string `json:"privacy_unit"`
	UpdateFrequency string `json:"update_frequency"`
	// Schema, when declared at registration, is what the first version must have (names, order
	// and DuckDB types); later versions must match their predecessor. Empty: inferred.
	Schema    []SchemaColumn `json:"schema,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	CreatedBy string         `json:"created_by"`
	Versions  []Version      `json:"versions"`
}

// Version is one immutable import of a dataset.
type Version struct {
	Dataset    string        `json:"dataset"`
	Number     int           `json:"version"`
	Digest     string        `json:"digest"` // sha256 of the uploaded bytes
	Format     string        `json:"format"`
	Rows       int64         `json:"rows"`
	Bytes      int64         `json:"bytes"`
	Columns    []ColumnStats `json:"columns"`
	ImportedAt time.Time     `json:"imported_at"`
	ImportedBy string        `json:"imported_by"`
	// File is the version's database file, relative to the store root. Never shown to clients.
	File string `json:"-"`
}

// SchemaColumn is a declared column: name and DuckDB type.
type SchemaColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// ColumnStats describes a column of a version without revealing any of its values: no minimum,
// maximum or sample is ever kept.
type ColumnStats struct {
	Name           string `json:"name"`
	Type           string `json:"type"`
	Nulls          int64  `json:"nulls"`
	ApproxDistinct int64  `json:"approx_distinct"`
}

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	datasetPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// ValidID checks an agency or principal id.
func ValidID(what, id string) error {
	if !idPattern.MatchString(id) {
		return fault.E(fault.InvalidInput, "%s id %q: use 1–63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", what, clip(id))
	}
	return nil
}

// ValidDatasetName checks a dataset name; it becomes a table name in workspaces.
func ValidDatasetName(name string) error {
	if !datasetPattern.MatchString(name) {
		return fault.E(fault.InvalidInput, "dataset name %q: use 1–63 lower-case letters, digits or '_', starting with a letter", clip(name))
	}
	return nil
}

// ValidText checks free text: valid UTF-8, no control characters but newlines and tabs, at most
// max runes, and non-empty when required.
func ValidText(field, s string, max int, required bool) error {
	if !utf8.ValidString(s) {
		return fault.E(fault.InvalidInput, "%s is not valid UTF-8", field)
	}
	if required && strings.TrimSpace(s) == "" {
		return fault.E(fault.InvalidInput, "%s is required", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fault.E(fault.InvalidInput, "%s is %d characters long; at most %d", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return fault.E(fault.InvalidInput, "%s contains a control character (U+%04X)", field, r)
		}
	}
	return nil
}

// clip shortens an invalid identifier before echoing it (identifiers are never row values, but
// an attacker-sized string has no place in an error message).
func clip(s string) string {
	if !utf8.ValidString(s) {
		return "<invalid UTF-8>"
	}
	if utf8.RuneCountInString(s) > 64 {
		return string([]rune(s)[:64]) + "…"
	}
	return s
}

func oneOf[T ~string](field string, v T, allowed []T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return fault.E(fault.InvalidInput, "%s %q: want one of %s", field, clip(string(v)), strings.Join(names, ", "))
}

// Validate checks an agency before it is created.
func (a Agency) Validate() error {
	if err := ValidID("agency", a.ID); err != nil {
		return err
	}
	if err := ValidText("agency name", a.Name, 200, true); err != nil {
		return err
	}
	return oneOf("agency kind", a.Kind, AgencyKinds)
}

// Validate checks a principal before it is created.
func (p Principal) Validate() error {
	if err := ValidID("principal", p.ID); err != nil {
		return err
	}
	if err := ValidID("agency", p.Agency); err != nil {
		return err
	}
	if len(p.Roles) == 0 {
		return fault.E(fault.InvalidInput, "a principal needs at least one role")
	}
	for _, r := range p.Roles {
		if err := oneOf("role", r, Roles); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a dataset registration.
func (d Dataset) Validate() error {
	if err := ValidDatasetName(d.Name); err != nil {
		return err
	}
	if err := ValidID("agency", d.Agency); err != nil {
		return err
	}
	if err := ValidText("description", d.Description, 4000, true); err != nil {
		return err
	}
	if err := oneOf("classification", d.Classification, Levels); err != nil {
		return err
	}
	seen := map[Flag]bool{}
	for _, f := range d.Flags {
		if err := oneOf("flag", f, Flags); err != nil {
			return err
		}
		if seen[f] {
			return fault.E(fault.InvalidInput, "flag %q given twice", f)
		}
		seen[f] = true
	}
	if err := ValidText("privacy_unit", d.PrivacyUnit, 63, true); err != nil {
		return err
	}
	return oneOf("update_frequency", d.UpdateFrequency, Frequencies)
}
