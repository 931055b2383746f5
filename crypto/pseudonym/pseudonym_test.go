package pseudonym

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// master is the test master secret 0x00, 0x01, …, 0x1f.
func master() []byte {
	m := make([]byte, MasterSize)
	for i := range m {
		m[i] = byte(i)
	}
	return m
}

// The vectors were computed independently with Python's hmac module:
//
//	k = hmac.new(master, b"inviso/pseudonym/v1\x00" + gid.encode(), hashlib.sha256).digest()
//	struct.unpack(">q", hmac.new(k, v.encode(), hashlib.sha256).digest()[:8])[0]
var vectors = map[string]struct {
	key    string
	values map[string]int64
}{
	"grant-1": {
		key: "71beeb8694eba7e71c29feb1c0faf0b10ff3b185bea958a93fff5b3e0aadacdc",
		values: map[string]int64{
			"":                   -6303642125345868356,
			"123":                -7407585617549992664,
			"P00000000001":       -8708894891395568790,
			"张三":                 7153701883838809067,
			"110101199003071234": -5154592387058860565,
		},
	},
	"grant-2": {
		key: "c2b8025ec68e6d6cded9a1001c010af05d6728619512af709115b81b9d9292e2",
		values: map[string]int64{
			"":                   -6652012590999902936,
			"123":                601711064939585483,
			"P00000000001":       2029122503600001833,
			"张三":                 -971248768349112284,
			"110101199003071234": -2799355573717352793,
		},
	},
}

func TestKnownAnswers(t *testing.T) {
	t.Parallel()
	for grant, want := range vectors {
		t.Run(grant, func(t *testing.T) {
			t.Parallel()
			k, err := DeriveKey(master(), grant)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%x", [32]byte(k)); got != want.key {
				t.Fatalf("key = %s, want %s", got, want.key)
			}
			h := k.NewHasher()
			for v, p := range want.values {
				if got := k.Int64([]byte(v)); got != p {
					t.Errorf("Key.Int64(%q) = %d, want %d", v, got, p)
				}
				// The reused state gives the same answer, twice in a row and for strings.
				for range 2 {
					if got := h.Int64([]byte(v)); got != p {
						t.Errorf("Hasher.Int64(%q) = %d, want %d", v, got, p)
					}
					if got := h.String(v); got != p {
						t.Errorf("Hasher.String(%q) = %d, want %d", v, got, p)
					}
				}
			}
		})
	}
}

func TestGrantsDiffer(t *testing.T) {
	t.Parallel()
	a1, _ := DeriveKey(master(), "grant-a")
	a2, _ := DeriveKey(master(), "grant-a")
	b, _ := DeriveKey(master(), "grant-b")
	if a1 != a2 {
		t.Fatal("the same grant got two keys")
	}
	if a1 == b {
		t.Fatal("two grants got the same key")
	}
	other := master()
	other[0] ^= 1
	c, _ := DeriveKey(other, "grant-a")
	if c == a1 {
		t.Fatal("two master secrets gave the same key")
	}
	ha, hb := a1.NewHasher(), b.NewHasher()
	same := 0
	for i := range 1000 {
		v := fmt.Sprintf("P%011d", i)
		if ha.String(v) == hb.String(v) {
			same++
		}
		if ha.String(v) != a2.Int64([]byte(v)) {
			t.Fatalf("%s: same grant, different pseudonyms", v)
		}
	}
	if same > 0 {
		t.Fatalf("%d of 1000 values had equal pseudonyms under two grants", same)
	}
}

func TestDeriveKeyRefuses(t *testing.T) {
	t.Parallel()
	if _, err := DeriveKey(make([]byte, 31), "g"); !errors.Is(err, ErrShortMaster) {
		t.Errorf("short master: %v", err)
	}
	if _, err := DeriveKey(nil, "g"); !errors.Is(err, ErrShortMaster) {
		t.Errorf("nil master: %v", err)
	}
	if _, err := DeriveKey(master(), ""); !errors.Is(err, ErrNoGrant) {
		t.Errorf("empty grant: %v", err)
	}
	k, err := DeriveKey(master(), "g")
	if err != nil || k.IsZero() || !(Key{}).IsZero() {
		t.Fatalf("IsZero: %v", err)
	}
}

func TestKeyNeverFormats(t *testing.T) {
	t.Parallel()
	k, _ := DeriveKey(master(), "grant-1")
	raw := fmt.Sprintf("%x", [32]byte(k))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		out := fmt.Sprintf(verb, k)
		if strings.Contains(strings.ToLower(out), raw[:16]) || bytes.Contains([]byte(out), k[:4]) || strings.Contains(out, fmt.Sprint(k[0])+" ") {
			t.Errorf("%s printed the key: %s", verb, out)
		}
	}
	type wrapper struct{ K Key }
	if out := fmt.Sprintf("%+v", wrapper{k}); strings.Contains(out, raw[:16]) {
		t.Errorf("nested key printed: %s", out)
	}
}

func TestHasherAllocates(t *testing.T) {
	k, _ := DeriveKey(master(), "grant-1")
	h := k.NewHasher()
	h.String("warm up")
	if n := testing.AllocsPerRun(100, func() { h.String("P00000000001") }); n != 0 {
		t.Errorf("Hasher.String allocates %.0f times per call", n)
	}
}

func BenchmarkHasher(b *testing.B) {
	k, _ := DeriveKey(master(), "grant-1")
	h := k.NewHasher()
	vals := []string{"P00000000001", "441202199003071234", "13800138000"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.String(vals[i%len(vals)])
		i++
	}
}

func BenchmarkKeyInt64(b *testing.B) {
	k, _ := DeriveKey(master(), "grant-1")
	v := []byte("P00000000001")
	b.ReportAllocs()
	for b.Loop() {
		k.Int64(v)
	}
}
