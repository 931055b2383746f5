package synth

import "math"

// citizenBatch holds one batch of citizens in compact columnar form; the
// encoders turn it into CSV, NDJSON or Arrow.
type citizenBatch struct {
	n        int
	pid      []uint64 // 10-digit number after "ZQ"
	male     []bool
	birth    []int32  // days since 1970-01-01
	ymd      []uint32 // birth as YYYYMMDD
	age      []uint8  // on ReferenceDate
	district []uint8
	income   []int64 // yuan; -1 is NULL
	diag     []int8  // index into diagnoses; -1 is NULL

	// Identity columns, filled only by fillIdentity.
	name    []byte // n slots of maxNameBytes
	nameLen []uint8
	idSeq   []uint16 // 3-digit sequence number of the ID
	phone   []uint64 // 11 digits
}

// personIDs is the seeded permutation of [0, 10^10) that turns a row index
// into the digits of its person_id: a 4-round balanced Feistel network on
// two base-10^5 halves, hence unique for every row.
type personIDs struct{ keys [4]uint64 }

func newPersonIDs(seed int64) personIDs {
	var p personIDs
	for r := range p.keys {
		p.keys[r] = splitmix64(uint64(seed) ^ splitmix64(streamPersonID<<40|uint64(r)))
	}
	return p
}

func (p personIDs) of(row uint64) uint64 {
	const half = 100_000
	l, r := row/half, row%half
	for _, k := range p.keys {
		l, r = r, (l+splitmix64(r^k)%half)%half
	}
	return l*half + r
}

// batchRange returns the first row and row count of batch b.
func batchRange(cfg Config, b int) (first uint64, n int) {
	first = uint64(b) * BatchRows
	return first, min(BatchRows, cfg.Rows-b*BatchRows)
}

// fillCore generates the attributes benefits depend on (and person_id). It
// draws only from the core stream of the batch, so benefits can regenerate
// them cheaply.
func (c *citizenBatch) fillCore(m *model, cfg Config, ids personIDs, b int) {
	first, n := batchRange(cfg, b)
	c.n = n
	c.pid = grow(c.pid, n)
	c.male = grow(c.male, n)
	c.birth = grow(c.birth, n)
	c.ymd = grow(c.ymd, n)
	c.age = grow(c.age, n)
	c.district = grow(c.district, n)
	c.income = grow(c.income, n)
	c.diag = grow(c.diag, n)
	g := newRNG(cfg.Seed, streamCore, uint64(b))
	for i := range n {
		c.pid[i] = ids.of(first + uint64(i))
		male := g.bernoulli(0.51)
		c.male[i] = male

		band := m.ageBand.sample(g)
		years := float64(band*5) + g.float64()*5
		if band == len(ageBands)-1 {
			years = 100 + g.float64()
		}
		birth := max(m.refDay-1-int32(years*365.2425), m.minBirth)
		c.birth[i] = birth
		y, mo, d := civilFromDays(birth)
		c.ymd[i] = uint32(y*10000 + mo*100 + d)
		age := m.ageOn(y, mo, d)
		c.age[i] = uint8(age)

		dist := m.district.sample(g)
		c.district[i] = uint8(dist)

		c.income[i] = -1
		if !g.bernoulli(0.02) {
			x := districts[dist].income * math.Exp(0.65*g.norm())
			x = min(max(x, 6_000), 5_000_000)
			c.income[i] = int64(math.Round(x/100)) * 100
		}

		c.diag[i] = -1
		grp, sex := diagGroup(age), b2i(male)
		if g.bernoulli(m.diagP[grp]) {
			c.diag[i] = int8(m.diagIdx[grp][sex][m.diag[grp][sex].sample(g)])
		}
	}
}

// fillIdentity generates name, ID sequence and phone from the identity
// stream; fillCore must have run.
func (c *citizenBatch) fillIdentity(m *model, cfg Config, b int) {
	n := c.n
	c.name = grow(c.name, n*maxNameBytes)
	c.nameLen = grow(c.nameLen, n)
	c.idSeq = grow(c.idSeq, n)
	c.phone = grow(c.phone, n)
	g := newRNG(cfg.Seed, streamIdentity, uint64(b))
	for i := range n {
		sex := b2i(c.male[i])
		buf := c.name[i*maxNameBytes : i*maxNameBytes : (i+1)*maxNameBytes]
		buf = append(buf, surnames[m.surname.sample(g)].s...)
		buf = append(buf, m.givenCh[sex][m.given[sex].sample(g)]...)
		if !g.bernoulli(0.22) {
			buf = append(buf, m.givenCh[sex][m.given[sex].sample(g)]...)
		}
		c.nameLen[i] = uint8(len(buf))

		seq := uint16(g.uint32n(100))*10 + uint16(2*g.uint32n(5)) + uint16(sex)
		if seq == 0 {
			seq = 2
		}
		c.idSeq[i] = seq

		c.phone[i] = m.phonePre[m.phone.sample(g)]*100_000_000 + uint64(g.uint32n(100_000_000))
	}
}

func (c *citizenBatch) nameOf(i int) []byte {
	return c.name[i*maxNameBytes : i*maxNameBytes+int(c.nameLen[i])]
}

// putPersonID writes "ZQ" and 10 digits into dst[:12].
func putPersonID(dst []byte, pid uint64) {
	dst[0], dst[1] = 'Z', 'Q'
	putDigits(dst[2:12], pid)
}

// putIDNumber writes the 18-character resident ID number of row i into
// dst[:18].
func (c *citizenBatch) putIDNumber(dst []byte, i int) {
	copy(dst[0:6], districts[c.district[i]].code)
	putDigits(dst[6:14], uint64(c.ymd[i]))
	putDigits(dst[14:17], uint64(c.idSeq[i]))
	dst[17] = checkDigit(dst[:17])
}

func genderOf(male bool) string {
	if male {
		return "男"
	}
	return "女"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// grow returns s resized to n elements, reusing its storage when it can.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
