package dummy

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inviso/inviso/sandbox/rules"
)

// gen makes the next value of a column, as text DuckDB casts to the column's type; ok is false
// for NULL.
type gen func() (v string, ok bool)

// plan is a request made ready to generate: every table with its row count and column plans.
type plan struct {
	tables []tablePlan
}

type tablePlan struct {
	name string
	rows int
	cols []colPlan
}

type colPlan struct {
	name  string
	typ   typeInfo
	nulls float64 // coarsened null share
	rng   *rand.Rand
	next  gen
}

// value is the next value of c, NULL at c's null share.
func (c *colPlan) value() (string, bool) {
	if c.nulls > 0 && c.rng.Float64() < c.nulls {
		return "", false
	}
	return c.next()
}

// Plausible ranges of dates.
var (
	eventFrom, eventTo = date(2015, 1, 1), date(2025, 12, 31)
	birthFrom, birthTo = date(1930, 1, 1), date(2010, 12, 31)
)

const (
	yearBandFrom, yearBandTo = 1930, 2025
	maxLabels                = 50
	unknownLabels            = 10
	defaultUnitShare         = 0.4  // distinct units per row when the counts are unknown
	uniqueShare              = 0.95 // at or above this distinct share a column is a key
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// prepare validates a request and plans it: row counts, the shared pseudonym pool, and one
// seeded generator per column.
func prepare(format Format, tables []Table, opt Options) (*plan, error) {
	if err := validate(format, tables, opt); err != nil {
		return nil, err
	}
	n := opt.Rows
	if n == 0 {
		n = DefaultRows
	}
	rows := tableRows(tables, n)
	cells := 0
	for i, t := range tables {
		cells += rows[i] * len(t.Columns)
	}
	if cells > MaxCells {
		return nil, invalid("%d values asked for, at most %d: ask for fewer rows", cells, MaxCells)
	}

	// Pseudonym columns first: each namespace's pool must be large enough for all its columns.
	type pseudo struct {
		ns     string
		unique bool
		d      int // distinct pseudonyms the column draws from
	}
	units := map[string]bool{}
	for _, t := range tables {
		for _, c := range t.Columns {
			if c.Unit {
				units[strings.ToLower(c.Name)] = true
			}
		}
	}
	pseudos := map[[2]int]pseudo{}
	poolSize := map[string]int{}
	for i, t := range tables {
		for j, c := range t.Columns {
			ti, _ := parseType(c.Type) // validated
			if !isPseudonym(c, ti) {
				continue
			}
			share := defaultUnitShare
			if c.Distinct > 0 && t.Rows > 0 {
				share = min(1, max(0.01, twoDigits(float64(c.Distinct)/float64(t.Rows))))
			}
			p := pseudo{ns: namespace(c, units), unique: share >= uniqueShare, d: rows[i]}
			if !p.unique {
				p.d = max(1, int(math.Ceil(float64(rows[i])*share)))
			}
			pseudos[[2]int{i, j}] = p
			poolSize[p.ns] = max(poolSize[p.ns], p.d)
		}
	}
	pools := map[string][]int64{}
	for ns, n := range poolSize {
		pools[ns] = makePool(opt.Seed, ns, n)
	}

	pl := &plan{}
	for i, t := range tables {
		tp := tablePlan{name: t.Name, rows: rows[i]}
		for j, c := range t.Columns {
			ti, _ := parseType(c.Type)
			cp := colPlan{name: c.Name, typ: ti, nulls: coarse(c.NullFraction), rng: seeded(opt.Seed, "column", t.Name, c.Name)}
			if ps, ok := pseudos[[2]int{i, j}]; ok {
				cp.next = pseudonyms(cp.rng, pools[ps.ns], ps.unique, ps.d, rows[i])
			} else {
				cp.next = valuesOf(cp.rng, c, ti)
			}
			tp.cols = append(tp.cols, cp)
		}
		pl.tables = append(pl.tables, tp)
	}
	return pl, nil
}

// tableRows scales tables by their real row counts: the largest gets n rows, the others
// proportionally fewer but at least min(n, 10); a table of unknown size gets n.
func tableRows(tables []Table, n int) []int {
	var most int64
	for _, t := range tables {
		most = max(most, t.Rows)
	}
	out := make([]int, len(tables))
	for i, t := range tables {
		if most == 0 || t.Rows == 0 {
			out[i] = n
			continue
		}
		r := int(math.Round(float64(n) * twoDigits(float64(t.Rows)/float64(most))))
		out[i] = min(n, max(min(n, 10), r))
	}
	return out
}

// twoDigits rounds a positive ratio of counts to two significant digits: the shape of the
// real data, not its exact counts.
func twoDigits(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		return x
	}
	m := math.Pow(10, math.Floor(math.Log10(x))-1)
	return math.Round(x/m) * m
}

// coarse rounds a null share to whole percent, keeping "none", "all" and "some" apart.
func coarse(f float64) float64 {
	r := math.Round(f*100) / 100
	switch {
	case f > 0 && r == 0:
		return 0.01
	case f < 1 && r == 1:
		return 0.99
	}
	return r
}

// seeded is the random stream of one purpose, independent of every other, so adding a column
// or a table does not change the values of the others.
func seeded(seed int64, parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// namespace is the pool a pseudonym column draws from. Real pseudonyms are equal when their
// raw values are, whatever the column; the generator cannot know which columns hold the same
// identifiers, so it lets the privacy units share one pool, and a hashed column share the pool
// of same-named columns (the unit's, if a unit has its name). Joins on the unit and on
// same-named keys return rows; a join of unrelated pseudonyms returns none, as it would on the
// real workspace.
func namespace(c Column, units map[string]bool) string {
	name := strings.ToLower(c.Name)
	if c.Unit || units[name] {
		return "unit"
	}
	return "column " + name
}

// makePool draws n distinct non-zero pseudonyms of namespace ns, uniform over int64 like keyed
// HMACs.
func makePool(seed int64, ns string, n int) []int64 {
	r := seeded(seed, "pseudonyms", ns)
	seen := make(map[int64]bool, n)
	pool := make([]int64, 0, n)
	for len(pool) < n {
		v := int64(r.Uint64())
		if v == 0 || seen[v] {
			continue
		}
		seen[v] = true
		pool = append(pool, v)
	}
	return pool
}

// isPseudonym reports whether c is a pseudonym column: the unit or a hashed column, of an
// integer type that holds any int64 (BIGINT in a workspace; anything else is generated by its
// type).
func isPseudonym(c Column, ti typeInfo) bool {
	return (c.Unit || c.Rule.Treatment == rules.Hash) && ti.kind == kindInt && ti.lo <= -9e18 && ti.hi >= 9e18
}

// pseudonyms draws from the first d entries of its namespace's pool: a key column takes each of
// the first rows entries once, in random order; the others repeat them, the first ones most.
func pseudonyms(r *rand.Rand, pool []int64, unique bool, d, rows int) gen {
	if unique {
		perm := r.Perm(rows) // rows ≤ len(pool): the pool was sized for it
		i := 0
		return func() (string, bool) {
			v := pool[perm[i%len(perm)]]
			i++
			return strconv.FormatInt(v, 10), true
		}
	}
	return func() (string, bool) {
		k := min(d-1, int(float64(d)*math.Pow(r.Float64(), 1.5)))
		return strconv.FormatInt(pool[k], 10), true
	}
}

// valuesOf is the generator of a column that is not a pseudonym: by its rule where the rule
// fits the type, by its type otherwise.
func valuesOf(r *rand.Rand, c Column, ti typeInfo) gen {
	p := c.Rule.Params
	if p == nil {
		p = &rules.Params{}
	}
	switch {
	case ti.kind == kindText && c.Rule.Treatment == rules.Mask:
		return masked(r, p)
	case ti.kind == kindText && c.Rule.Treatment == rules.Generalize && (len(p.Map) > 0 || p.Default != nil):
		return groups(r, p)
	case c.Rule.Treatment == rules.Generalize && p.To == "month" && (ti.kind == kindDate || ti.kind == kindTimestamp || ti.kind == kindTimestampTZ):
		return months(r, c.Name, ti)
	case c.Rule.Treatment == rules.Generalize && p.To == "year" && ti.kind == kindInt:
		w := 1.0
		if p.Width != nil && *p.Width >= 1 && *p.Width == math.Trunc(*p.Width) {
			w = *p.Width
		}
		return multiples(r, ti, w, yearBandFrom, yearBandTo, false)
	case c.Rule.Treatment == rules.Generalize && p.Width != nil && p.To == "" && (ti.kind == kindInt || ti.kind == kindFloat || ti.kind == kindDecimal):
		w := *p.Width
		if ti.kind == kindInt && w != math.Trunc(w) {
			break // not representable: plain integers below
		}
		lo, hi := 0.0, 20*w
		if p.Lo != nil && p.Hi != nil {
			lo, hi = *p.Lo, *p.Hi
		}
		return multiples(r, ti, w, lo, hi, true)
	}
	return byType(r, c, ti, p)
}

// byType generates plain values of a type.
func byType(r *rand.Rand, c Column, ti typeInfo, p *rules.Params) gen {
	switch ti.kind {
	case kindText:
		return labels(r, c.Name, c.Distinct)
	case kindInt, kindFloat, kindDecimal:
		if p.Lo != nil && p.Hi != nil {
			return numbers(r, ti, *p.Lo, *p.Hi)
		}
		if ti.kind == kindInt && c.Distinct > 0 && c.Distinct <= maxLabels {
			return small(r, ti, int(c.Distinct))
		}
		return numbers(r, ti, 0, 10_000)
	case kindDate, kindTimestamp, kindTimestampTZ:
		return dates(r, c.Name, ti)
	case kindTime:
		return func() (string, bool) {
			s := r.IntN(86400)
			return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60), true
		}
	case kindBool:
		return func() (string, bool) { return strconv.FormatBool(r.Float64() < 0.3), true }
	case kindUUID:
		return func() (string, bool) {
			var b [16]byte
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			b[6] = b[6]&0x0f | 0x40 // version 4
			b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
			h := hex.EncodeToString(b[:])
			return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], true
		}
	}
	return func() (string, bool) { return "", false }
}

// zipf draws indexes 0 … n-1, the first most often.
func zipf(r *rand.Rand, n int) func() int {
	if n <= 1 {
		return func() int { return 0 }
	}
	z := rand.NewZipf(r, 1.3, 2, uint64(n-1))
	return func() int { return int(z.Uint64()) }
}

// labels are synthetic categories "<column>_01" … named after the column, never after a value.
func labels(r *rand.Rand, column string, distinct int64) gen {
	n := unknownLabels
	if distinct > 0 {
		n = int(min(distinct, maxLabels))
	}
	base := labelBase(column)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s_%02d", base, i+1)
	}
	pick := zipf(r, n)
	return func() (string, bool) { return names[pick()], true }
}

// labelBase is a column name as a label prefix: lower case, at most 24 characters.
func labelBase(name string) string {
	rs := []rune(strings.ToLower(name))
	if len(rs) > 24 {
		rs = rs[:24]
	}
	return string(rs)
}

// groups are the generalization's group names: the map's targets and the default. The map's
// keys are real values of the column and are never read.
func groups(r *rand.Rand, p *rules.Params) gen {
	var names []string
	for _, v := range p.Map {
		names = append(names, v)
	}
	if p.Default != nil {
		names = append(names, *p.Default)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] }) // which is common: random
	pick := zipf(r, len(names))
	return func() (string, bool) { return names[pick()], true }
}

// masked values have the rule's shape: keep_first random digits, mask characters, keep_last
// random digits. One value in fifty is short and masked entirely, as the workspace does.
func masked(r *rand.Rand, p *rules.Params) gen {
	kf, kl := 0, 0
	if p.KeepFirst != nil {
		kf = *p.KeepFirst
	}
	if p.KeepLast != nil {
		kl = *p.KeepLast
	}
	mc := p.MaskChar
	if mc == "" {
		mc = "*"
	}
	middle := 2 + r.IntN(7) // the column's hidden length, as real values of one kind share one
	digits := func(n int, b *strings.Builder) {
		for range n {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	return func() (string, bool) {
		if r.IntN(50) == 0 {
			return strings.Repeat(mc, 1+r.IntN(max(1, kf+kl))), true // at most kf+kl long
		}
		var b strings.Builder
		digits(kf, &b)
		b.WriteString(strings.Repeat(mc, middle))
		digits(kl, &b)
		return b.String(), true
	}
}

// months are random first days of months.
func months(r *rand.Rand, column string, ti typeInfo) gen {
	from, to := dateRange(column)
	n := (to.Year()-from.Year())*12 + int(to.Month()-from.Month()) + 1
	return func() (string, bool) {
		d := from.AddDate(0, r.IntN(n), 0)
		return render(d, ti), true
	}
}

// dates are random days (and times of day, for timestamps) in a plausible range.
func dates(r *rand.Rand, column string, ti typeInfo) gen {
	from, to := dateRange(column)
	days := int(to.Sub(from).Hours()/24) + 1
	return func() (string, bool) {
		d := from.AddDate(0, 0, r.IntN(days))
		if ti.kind != kindDate {
			d = d.Add(time.Duration(r.IntN(86400)) * time.Second)
		}
		return render(d, ti), true
	}
}

func dateRange(column string) (time.Time, time.Time) {
	n := strings.ToLower(column)
	if strings.Contains(n, "birth") || strings.Contains(n, "dob") || strings.Contains(n, "born") {
		return birthFrom, birthTo
	}
	return eventFrom, eventTo
}

func render(d time.Time, ti typeInfo) string {
	switch ti.kind {
	case kindTimestamp:
		return d.Format("2006-01-02 15:04:05")
	case kindTimestampTZ:
		return d.Format("2006-01-02 15:04:05") + "+00"
	}
	return d.Format("2006-01-02")
}

// numbers are skewed towards lo (log-uniform over hi-lo+1), within [lo, hi] and the type's
// range, on the type's grid (integers, or its scale). No value of the grid in range: NULL.
func numbers(r *rand.Rand, ti typeInfo, lo, hi float64) gen {
	lo, hi = max(lo, ti.lo), min(hi, ti.hi)
	unit := math.Pow(10, float64(ti.scale))
	kLo, kHi := math.Ceil(lo*unit), math.Floor(hi*unit)
	if !(kLo <= kHi) || math.IsInf(kHi-kLo, 0) {
		return func() (string, bool) { return "", false }
	}
	skew := skewed(r, kHi-kLo)
	return func() (string, bool) {
		k := min(kHi, kLo+math.Round(skew()))
		return scaled(k, ti.scale), true
	}
}

// multiples are k·w for whole k with lo ≤ k·w ≤ hi (within the type's range), skewed towards
// lo if skew, else uniform.
func multiples(r *rand.Rand, ti typeInfo, w, lo, hi float64, skew bool) gen {
	lo, hi = max(lo, ti.lo), min(hi, ti.hi)
	kLo, kHi := math.Ceil(lo/w), math.Floor(hi/w)
	if !(kLo <= kHi) || math.IsInf(kHi-kLo, 0) || math.IsInf(kLo*w, 0) || math.IsInf(kHi*w, 0) {
		return func() (string, bool) { return "", false }
	}
	// Digits of the width, so 3 × 0.1 is written 0.3; no more than the type keeps.
	dec := 0
	if ws := strconv.FormatFloat(w, 'f', -1, 64); strings.Contains(ws, ".") {
		dec = len(ws) - strings.IndexByte(ws, '.') - 1
	}
	switch ti.kind {
	case kindInt:
		dec = 0
	case kindDecimal:
		dec = min(dec, ti.scale)
	}
	dec = min(dec, 12)
	draw := func() float64 { return math.Floor(r.Float64() * (kHi - kLo + 1)) }
	if skew {
		draw = skewed(r, kHi-kLo)
	}
	return func() (string, bool) {
		k := min(kHi, kLo+math.Round(draw()))
		v := k * w
		if dec == 0 {
			v = math.Round(v)
		}
		return strconv.FormatFloat(v, 'f', dec, 64), true
	}
}

// skewed draws from [0, span], log-uniformly over span+1 (capped so that a wide span still
// has a median of a few percent of it): many small values, a long tail.
func skewed(r *rand.Rand, span float64) func() float64 {
	l := min(6, max(1, math.Log1p(span)))
	den := math.Expm1(l)
	return func() float64 { return span * math.Expm1(r.Float64()*l) / den }
}

// small draws integers 1 … n (within the type's range), 1 most often: a numeric category.
func small(r *rand.Rand, ti typeInfo, n int) gen {
	pick := zipf(r, n)
	return func() (string, bool) {
		v := float64(1 + pick())
		if v < ti.lo || v > ti.hi {
			return "", false
		}
		return strconv.Itoa(int(v)), true
	}
}

// scaled writes k / 10^scale with exactly scale digits after the point.
func scaled(k float64, scale int) string {
	if scale == 0 {
		return strconv.FormatFloat(k, 'f', 0, 64)
	}
	if math.Abs(k) < 1<<53 {
		s := strconv.FormatInt(int64(math.Abs(k)), 10)
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
		if k < 0 {
			s = "-" + s
		}
		return s
	}
	return strconv.FormatFloat(k/math.Pow(10, float64(scale)), 'f', scale, 64)
}
