package synth

import "math"

// benefitBatch holds the benefits of the citizens of one citizens batch.
type benefitBatch struct {
	n       int
	pid     []uint64
	program []uint8
	cents   []int64 // amount in fen (0.01 yuan)
	paid    []int32 // days since 1970-01-01

	core citizenBatch // scratch: the citizens the benefits belong to
}

// fill generates the benefits of citizens batch b. The row count follows
// from the seed: each citizen draws 0 to 6 payments.
func (bb *benefitBatch) fill(m *model, cfg Config, ids personIDs, b int) {
	c := &bb.core
	c.fillCore(m, cfg, ids, b)
	g := newRNG(cfg.Seed, streamBenefits, uint64(b))
	bb.pid, bb.program, bb.cents, bb.paid = bb.pid[:0], bb.program[:0], bb.cents[:0], bb.paid[:0]
	span := uint32(m.paidTo - m.paidFrom + 1)
	for i := range c.n {
		k := m.count.sample(g)
		if k == 0 {
			continue
		}
		age := int(c.age[i])
		low := b2i(c.income[i] >= 0 && c.income[i] < 30_000)
		sick := b2i(c.diag[i] >= 0)
		progs := m.program[ageClass(age)][low][sick]
		for range k {
			p := progs.sample(g)
			bb.pid = append(bb.pid, c.pid[i])
			bb.program = append(bb.program, uint8(p))
			bb.cents = append(bb.cents, amount(g, p, age))
			bb.paid = append(bb.paid, m.paidFrom+int32(g.uint32n(span)))
		}
	}
	bb.n = len(bb.pid)
}

// amount returns a program-dependent payment in fen.
func amount(g rng, program, age int) int64 {
	switch program {
	case progDibao: // monthly top-up to the local minimum
		return 30_000 + int64(g.uint32n(80_001))
	case progMedical: // one-off, log-normal around 2,000 yuan
		x := 2_000 * math.Exp(0.9*g.norm())
		return int64(math.Round(min(max(x, 100), 80_000) * 100))
	case progElderly: // fixed monthly rate by age
		switch {
		case age >= 100:
			return 50_000
		case age >= 90:
			return 20_000
		}
		return 10_000
	case progUnemployed: // monthly, below the minimum wage
		return 150_000 + int64(g.uint32n(601))*100
	case progHousing: // monthly, whole yuan
		return (200 + int64(g.uint32n(1_301))) * 100
	default: // disability: one of the standard monthly rates
		return [...]int64{18_000, 24_000, 30_000}[g.uint32n(3)]
	}
}
