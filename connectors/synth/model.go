package synth

import "unicode/utf8"

// ReferenceDate is the fixed "today" of the generated data: ages are 0-100
// on this date and no birth date is on or after it.
const ReferenceDate = "2026-01-01"

// model is the vocabulary of data.go compiled into samplers. It is built
// once per generation and shared read-only by the workers.
type model struct {
	refDay, minBirth int32
	refY, refM, refD int
	paidFrom, paidTo int32 // benefits are paid in [paidFrom, paidTo]

	district alias
	ageBand  alias
	surname  alias
	given    [2]alias    // [0] female, [1] male
	givenCh  [2][]string // one character each
	phone    alias
	phonePre []uint64 // 3-digit prefixes
	diagP    [len(diagAgeGroups)]float64
	diag     [len(diagAgeGroups)][2]alias
	diagIdx  [len(diagAgeGroups)][2][]uint8 // alias index -> diagnoses index
	program  [4][2][2]alias                 // [age class][low income][has diagnosis]
	count    alias
}

func newModel() *model {
	m := &model{
		refDay:   daysFromCivil(2026, 1, 1),
		minBirth: daysFromCivil(1925, 1, 2),
		paidFrom: daysFromCivil(2024, 1, 1),
		paidTo:   daysFromCivil(2025, 12, 31),
	}
	m.refY, m.refM, m.refD = civilFromDays(m.refDay)
	w := make([]float64, 0, 128)
	for _, d := range districts {
		w = append(w, d.weight)
	}
	m.district = newAlias(w)
	m.ageBand = newAlias(ageBands[:])
	w = w[:0]
	for _, s := range surnames {
		w = append(w, s.w)
	}
	m.surname = newAlias(w)
	for sex, chars := range [2]string{femaleGiven, maleGiven} {
		w = w[:0]
		for _, r := range chars {
			m.givenCh[sex] = append(m.givenCh[sex], string(r))
			w = append(w, 1/float64(len(w)+8))
		}
		m.given[sex] = newAlias(w)
	}
	w = w[:0]
	for _, p := range phonePrefixes {
		w = append(w, p.w)
		m.phonePre = append(m.phonePre, uint64(atoi(p.s)))
	}
	m.phone = newAlias(w)
	for g, grp := range diagAgeGroups {
		m.diagP[g] = grp.p
		for sex := range 2 {
			w = w[:0]
			for i, d := range diagnoses {
				if grp.from < d.minAge || (d.maxAge > 0 && grp.from > d.maxAge) ||
					(d.sex == 'M' && sex == 0) || (d.sex == 'F' && sex == 1) {
					continue
				}
				x := d.w
				if d.chronic && grp.from >= 60 {
					x *= 2.5
				}
				w = append(w, x)
				m.diagIdx[g][sex] = append(m.diagIdx[g][sex], uint8(i))
			}
			m.diag[g][sex] = newAlias(w)
		}
	}
	for class := range 4 {
		for low := range 2 {
			for sick := range 2 {
				w = w[:0]
				for p, prog := range programs {
					x := prog.w
					switch {
					case p == progElderly && class != 3,
						p == progUnemployed && class != 1:
						x = 0
					case p == progDibao && low == 1, p == progMedical && sick == 1:
						x *= 3
					}
					w = append(w, x)
				}
				m.program[class][low][sick] = newAlias(w)
			}
		}
	}
	m.count = newAlias(benefitCounts[:])
	return m
}

// ageClass groups ages for benefit eligibility: 0-15, 16-59, 60-79, 80+.
func ageClass(age int) int {
	switch {
	case age < 16:
		return 0
	case age < 60:
		return 1
	case age < 80:
		return 2
	}
	return 3
}

func diagGroup(age int) int {
	g := 0
	for i, grp := range diagAgeGroups {
		if age >= grp.from {
			g = i
		}
	}
	return g
}

// ageOn returns the age in whole years on ReferenceDate of someone born on
// y-m-d.
func (m *model) ageOn(y, mo, d int) int {
	age := m.refY - y
	if m.refM < mo || (m.refM == mo && m.refD < d) {
		age--
	}
	return age
}

// maxNameBytes bounds a generated name: a two-character surname and two
// given-name characters, three UTF-8 bytes each.
const maxNameBytes = 4 * utf8.UTFMax
