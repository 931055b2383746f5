package token

import (
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New()
	if a.Token == b.Token || a.Selector == b.Selector {
		t.Fatal("two tokens are equal")
	}
	sel, sec, err := Parse(a.Token)
	if err != nil || sel != a.Selector {
		t.Fatalf("parse: %v %q", err, sel)
	}
	if !Verify(sec, a.Hash) {
		t.Fatal("own secret does not verify")
	}
	if Verify(sec, b.Hash) {
		t.Fatal("secret verifies against another token's hash")
	}
	if strings.Contains(string(a.Hash), sec) {
		t.Fatal("hash contains the secret")
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	good, _ := New()
	for name, s := range map[string]string{
		"empty":        "",
		"no prefix":    strings.TrimPrefix(good.Token, "inv_"),
		"short secret": good.Token[:len(good.Token)-1],
		"bad selector": "inv_zzzzzzzzzzzzzzzz_" + good.Token[len(good.Token)-43:],
		"no split":     "inv_" + strings.Repeat("a", 60),
		"bad base64":   good.Token[:len(good.Token)-1] + "*",
	} {
		if _, _, err := Parse(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestVerifyWrongLength(t *testing.T) {
	t.Parallel()
	if Verify("x", nil) || Verify("x", make([]byte, 5)) {
		t.Fatal("verify accepted a malformed stored hash")
	}
}

func FuzzParse(f *testing.F) {
	good, _ := New()
	f.Add(good.Token)
	f.Add("inv__")
	f.Fuzz(func(t *testing.T, s string) {
		sel, sec, err := Parse(s)
		if err == nil && "inv_"+sel+"_"+sec != s {
			t.Fatalf("parse of %q is not a split of it", s)
		}
	})
}
