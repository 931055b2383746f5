package synth

import (
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestValidResidentID(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		id   string
		want bool
	}{
		"standard example X":   {"11010519491231002X", true},
		"valid digit check":    {"440524188001010014", true},
		"zhaoqing leap day":    {"441202200002290017", true},
		"wrong check digit":    {"110105194912310021", false},
		"lower-case x":         {"11010519491231002x", false},
		"17 chars":             {"11010519491231002", false},
		"19 chars":             {"11010519491231002X0", false},
		"empty":                {"", false},
		"letter in body":       {"1101051949123A002X", false},
		"X not last":           {"X10105194912310021", false},
		"month 13":             {"110105194913310021", false},
		"day 0":                {"110105194912000021", false},
		"not a leap year":      {"441202190002290010", false},
		"year before 1800":     {"110105179912310024", false},
		"multibyte 18 bytes":   {"张三1051949123100", false},
		"space padded":         {" 1010519491231002X", false},
		"fullwidth digit tail": {"1101051949123100２", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := ValidResidentID(tc.id); got != tc.want {
				t.Errorf("ValidResidentID(%q) = %v, want %v", tc.id, got, tc.want)
			}
			if got := referenceValid(tc.id); got != tc.want {
				t.Errorf("referenceValid(%q) = %v, want %v (bad test case)", tc.id, got, tc.want)
			}
		})
	}
}

func TestResidentIDCheckDigit(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		prefix  string
		want    byte
		wantErr bool
	}{
		"X":           {prefix: "11010519491231002", want: 'X'},
		"digit":       {prefix: "44052418800101001", want: '4'},
		"too short":   {prefix: "1101051949123100", wantErr: true},
		"too long":    {prefix: "110105194912310021", wantErr: true},
		"not a digit": {prefix: "1101051949123100X", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ResidentIDCheckDigit(tc.prefix)
			if tc.wantErr {
				if !errors.Is(err, ErrResidentIDPrefix) {
					t.Fatalf("ResidentIDCheckDigit(%q) error = %v, want ErrResidentIDPrefix", tc.prefix, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ResidentIDCheckDigit(%q) = %q, %v, want %q", tc.prefix, got, err, tc.want)
			}
		})
	}
}

var referenceIDPattern = regexp.MustCompile(`^[0-9]{17}[0-9X]$`)

// referenceValid is a deliberately plain restatement of the rules: a
// regular expression, time.Parse for the date and the weights recomputed as
// powers of two.
func referenceValid(id string) bool {
	if !referenceIDPattern.MatchString(id) {
		return false
	}
	date, err := time.Parse("20060102", id[6:14])
	if err != nil || date.Year() < 1800 || date.Year() > 2999 {
		return false
	}
	sum := 0
	for i := range 17 {
		w := 1
		for range 17 - i {
			w = w * 2 % 11
		}
		sum += int(id[i]-'0') * w
	}
	return id[17] == "10X98765432"[sum%11]
}

func FuzzValidResidentID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "440524188001010014", "441202200002290011", "", "X", "44120220000229001", "4412022000022900111"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got := ValidResidentID(id)
		if want := referenceValid(id); got != want {
			t.Fatalf("ValidResidentID(%q) = %v, reference says %v", id, got, want)
		}
		if len(id) == 18 {
			c, err := ResidentIDCheckDigit(id[:17])
			if (err == nil) != referenceIDPattern.MatchString(id[:17]+"0") {
				t.Fatalf("ResidentIDCheckDigit(%q) error = %v", id[:17], err)
			}
			if err == nil && got && c != id[17] {
				t.Fatalf("ResidentIDCheckDigit(%q) = %q, but %q is valid", id[:17], c, id)
			}
		}
	})
}

func ExampleResidentIDCheckDigit() {
	c, err := ResidentIDCheckDigit("11010519491231002")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%c %v\n", c, ValidResidentID("11010519491231002"+string(c)))
	// Output: X true
}
