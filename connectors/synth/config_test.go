package synth

import (
	"errors"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cfg     Config
		wantErr bool
	}{
		"zero value":      {Config{}, true},
		"below minimum":   {Config{Rows: MinRows - 1}, true},
		"minimum":         {Config{Rows: MinRows}, false},
		"maximum":         {Config{Rows: MaxRows, Seed: -7}, false},
		"above maximum":   {Config{Rows: MaxRows + 1}, true},
		"negative rows":   {Config{Rows: -5000}, true},
		"negative worker": {Config{Rows: 5000, Workers: -1}, true},
		"explicit worker": {Config{Rows: 5000, Workers: 3}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			if tc.wantErr != (err != nil) {
				t.Fatalf("Validate() = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestParseTableAndFormat(t *testing.T) {
	t.Parallel()
	for _, tb := range Tables() {
		if got, err := ParseTable(string(tb)); err != nil || got != tb {
			t.Errorf("ParseTable(%q) = %q, %v", tb, got, err)
		}
	}
	for _, f := range Formats() {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	for _, s := range []string{"", "all", "Citizens", "citizens "} {
		if _, err := ParseTable(s); !errors.Is(err, ErrUnknownTable) {
			t.Errorf("ParseTable(%q) = %v, want ErrUnknownTable", s, err)
		}
	}
	for _, s := range []string{"", "json", "CSV", "arrows"} {
		if _, err := ParseFormat(s); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("ParseFormat(%q) = %v, want ErrUnknownFormat", s, err)
		}
	}
	names := map[string]bool{}
	for _, tb := range Tables() {
		for _, f := range Formats() {
			names[FileName(tb, f)] = true
		}
	}
	for _, want := range []string{"citizens.csv", "benefits.parquet", "citizens.ndjson", "citizens.arrows"} {
		if !names[want] {
			t.Errorf("FileName never returns %q", want)
		}
	}
}
