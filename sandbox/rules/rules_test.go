package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/inviso/inviso/sandbox/fault"
)

var schema = []Column{
	{"person_id", "VARCHAR"}, {"name", "VARCHAR"}, {"id_number", "VARCHAR"}, {"phone", "VARCHAR"},
	{"gender", "VARCHAR"}, {"birth_date", "DATE"}, {"district", "VARCHAR"}, {"income", "BIGINT"},
	{"diagnosis_code", "VARCHAR"},
}

// apiExample is the rule set of ../shared/API.md, adapted to the citizens schema.
const apiExample = `{"columns": {
  "person_id":  {"class": "identifier",       "treatment": "hash",       "usage": "join_only"},
  "name":       {"class": "identifier",       "treatment": "drop"},
  "phone":      {"class": "identifier",       "treatment": "mask",       "params": {"keep_first": 3, "keep_last": 4}},
  "birth_date": {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension", "params": {"to": "year", "width": 5}},
  "district":   {"class": "quasi_identifier", "treatment": "keep",       "usage": "dimension"},
  "income":     {"class": "sensitive",        "treatment": "keep",       "usage": "aggregate_only", "params": {"lo": 0, "hi": 1000000}}
}}`

func TestAPIExampleIsValid(t *testing.T) {
	t.Parallel()
	s, err := Parse([]byte(apiExample))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(s, schema, "person_id"); err != nil {
		t.Fatalf("%v %+v", err, fault.Public(err).Reasons)
	}
	eff := Resolve(s, schema, "person_id")
	present := map[string]Effective{}
	for _, e := range eff {
		if e.Present() {
			present[e.Column.Name] = e
		}
	}
	for _, gone := range []string{"name", "id_number", "gender", "diagnosis_code"} {
		if _, ok := present[gone]; ok {
			t.Errorf("%s should be dropped (no rule or drop)", gone)
		}
	}
	if u := present["person_id"]; !u.Unit || u.Rule.Treatment != Hash || u.Rule.Usage != JoinOnly {
		t.Errorf("privacy unit: %+v", u)
	}
}

func TestPrivacyUnitAlwaysPseudonymised(t *testing.T) {
	t.Parallel()
	for name, set := range map[string]Set{
		"no rule":   {Columns: map[string]Rule{}},
		"drop rule": {Columns: map[string]Rule{"person_id": {Class: Identifier, Treatment: Drop}}},
		"keep rule": {Columns: map[string]Rule{"PERSON_ID": {Class: Public, Treatment: Keep, Usage: Dimension}}},
	} {
		eff := Resolve(set, schema, "person_id")
		u := eff[0]
		if !u.Unit || !u.Present() || u.Rule.Treatment != Hash || u.Rule.Usage != "" {
			t.Errorf("%s: %+v", name, u)
		}
	}
}

func TestRefusedRules(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"unknown column":       `{"columns": {"salary": {"class": "sensitive", "treatment": "keep"}}}`,
		"unknown class":        `{"columns": {"district": {"class": "secretish", "treatment": "keep"}}}`,
		"unknown treatment":    `{"columns": {"district": {"class": "public", "treatment": "encrypt"}}}`,
		"unknown usage":        `{"columns": {"district": {"class": "public", "treatment": "keep", "usage": "anything"}}}`,
		"kept identifier":      `{"columns": {"id_number": {"class": "identifier", "treatment": "keep"}}}`,
		"identifier dimension": `{"columns": {"phone": {"class": "identifier", "treatment": "mask", "usage": "dimension", "params": {"keep_first": 3, "keep_last": 4}}}}`,
		"hashed dimension":     `{"columns": {"id_number": {"class": "identifier", "treatment": "hash", "usage": "dimension"}}}`,
		"join not hashed":      `{"columns": {"district": {"class": "public", "treatment": "keep", "usage": "join_only"}}}`,
		"aggregate text":       `{"columns": {"district": {"class": "sensitive", "treatment": "keep", "usage": "aggregate_only", "params": {"lo": 0, "hi": 1}}}}`,
		"aggregate no bounds":  `{"columns": {"income": {"class": "sensitive", "treatment": "keep", "usage": "aggregate_only"}}}`,
		"aggregate lo>=hi":     `{"columns": {"income": {"class": "sensitive", "treatment": "keep", "usage": "aggregate_only", "params": {"lo": 5, "hi": 5}}}}`,
		"mask number":          `{"columns": {"income": {"class": "sensitive", "treatment": "mask", "params": {"keep_first": 1, "keep_last": 1}}}}`,
		"mask no params":       `{"columns": {"phone": {"class": "identifier", "treatment": "mask"}}}`,
		"mask too much":        `{"columns": {"phone": {"class": "identifier", "treatment": "mask", "params": {"keep_first": 30, "keep_last": 4}}}}`,
		"date no to":           `{"columns": {"birth_date": {"class": "quasi_identifier", "treatment": "generalize", "usage": "dimension"}}}`,
		"date bad width":       `{"columns": {"birth_date": {"class": "quasi_identifier", "treatment": "generalize", "params": {"to": "year", "width": 2.5}}}}`,
		"number no width":      `{"columns": {"income": {"class": "sensitive", "treatment": "generalize", "params": {"to": "year"}}}}`,
		"text no map":          `{"columns": {"diagnosis_code": {"class": "sensitive", "treatment": "generalize"}}}`,
		"drop with usage":      `{"columns": {"name": {"class": "identifier", "treatment": "drop", "usage": "dimension"}}}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Parse([]byte(body))
			if err == nil {
				err = Validate(s, schema, "person_id")
			}
			if fault.CodeOf(err) != fault.InvalidInput {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	s, _ := Parse([]byte(`{"columns": {
		"id_number": {"class": "identifier", "treatment": "keep"},
		"district":  {"class": "public", "treatment": "keep", "usage": "join_only"},
		"nope":      {"class": "public", "treatment": "keep"}}}`))
	err := Validate(s, schema, "person_id")
	var f *fault.Error
	if !errors.As(err, &f) || len(f.Reasons) != 3 {
		t.Fatalf("want 3 reasons, got %v", err)
	}
	for _, r := range f.Reasons {
		if r.Code != "invalid_rule" || !strings.HasPrefix(r.Message, "column ") {
			t.Errorf("reason %+v", r)
		}
	}
}

func TestParseRefusesUnknownFields(t *testing.T) {
	t.Parallel()
	if _, err := Parse([]byte(`{"columns": {"district": {"class": "public", "treatment": "keep", "colour": "red"}}}`)); err == nil {
		t.Fatal("unknown field accepted")
	}
	if _, err := Parse([]byte(`{"columns": {"district": {"class": "public", "treatment": "keep", "params": {"keep_frist": 1}}}}`)); err == nil {
		t.Fatal("misspelt param accepted")
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]Kind{"VARCHAR": KindText, "BIGINT": KindInteger, "DECIMAL(12,2)": KindDecimal,
		"DOUBLE": KindDecimal, "DATE": KindDate, "TIMESTAMP WITH TIME ZONE": KindTimestamp, "BLOB": KindOther, "integer": KindInteger} {
		if got := KindOf(typ); got != want {
			t.Errorf("%s: %v, want %v", typ, got, want)
		}
	}
}
