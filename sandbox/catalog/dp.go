package catalog

import (
	"math"

	"github.com/inviso/inviso/sandbox/fault"
)

// DP is a scenario's differential-privacy settings, carried into its grant unchanged. A
// scenario without them releases k-thresholded aggregates only; with them every SQL aggregate
// is released with calibrated noise and spends the grant's privacy budget.
type DP struct {
	// Epsilon is the grant's total privacy budget; EpsilonPerQuery what one query spends.
	Epsilon         float64 `json:"epsilon"`
	EpsilonPerQuery float64 `json:"epsilon_per_query"`
	// Delta bounds, over the whole grant, the chance that a group only a few people make up
	// is released at all (noisy thresholding of the group keys): each query gets an equal share
	// of it, over the number of queries the budget allows. Default DefaultDelta.
	Delta float64 `json:"delta,omitempty"`
	// MaxGroupsContributed is the number of groups of one query a privacy unit may count in
	// (its other groups are dropped for that unit before aggregation), and MaxRowsContributed
	// the number of its rows counted in one group. Unset (0), a person counts with every row
	// the workspace holds of them: the workspace records the most rows one person has, and the
	// noise is calibrated to it. Set them to bound contributions tighter than the data does
	// (less noise on tables with many rows per person, at the cost of aggregating per person).
	MaxGroupsContributed int `json:"max_groups_contributed,omitempty"`
	MaxRowsContributed   int `json:"max_rows_contributed,omitempty"`
}

// Defaults and limits of DP settings.
const (
	DefaultDelta         = 1e-7
	MaxDelta             = 1e-3
	MaxEpsilon           = 100
	MinEpsilonPerQuery   = 0.001
	MaxContributionBound = 1000
)

// normalise validates d and fills in its defaults.
func (d *DP) normalise() error {
	switch {
	case !(d.Epsilon > 0) || d.Epsilon > MaxEpsilon || math.IsInf(d.Epsilon, 0):
		return fault.E(fault.InvalidInput, "dp.epsilon (the total budget) must be above 0 and at most %d", MaxEpsilon)
	case !(d.EpsilonPerQuery >= MinEpsilonPerQuery) || d.EpsilonPerQuery > d.Epsilon:
		return fault.E(fault.InvalidInput, "dp.epsilon_per_query must be at least %g and at most dp.epsilon", MinEpsilonPerQuery)
	case d.Delta < 0 || d.Delta > MaxDelta || math.IsNaN(d.Delta):
		return fault.E(fault.InvalidInput, "dp.delta must be above 0 and at most %g (or absent: %g)", MaxDelta, DefaultDelta)
	case d.MaxGroupsContributed < 0 || d.MaxGroupsContributed > MaxContributionBound:
		return fault.E(fault.InvalidInput, "dp.max_groups_contributed must be between 1 and %d", MaxContributionBound)
	case d.MaxRowsContributed < 0 || d.MaxRowsContributed > MaxContributionBound:
		return fault.E(fault.InvalidInput, "dp.max_rows_contributed must be between 1 and %d", MaxContributionBound)
	}
	if d.Delta == 0 {
		d.Delta = DefaultDelta
	}
	return nil
}

// Micro converts an epsilon to whole millionths, rounding down: budgets are kept and compared
// in integers, so concurrent spends never drift, and a rounded-down per-query epsilon only adds
// noise.
func Micro(eps float64) int64 { return int64(math.Floor(eps*1e6 + 1e-9)) }

// TotalMicro is the budget in millionths of epsilon; PerQueryMicro what one query spends.
func (d DP) TotalMicro() int64    { return Micro(d.Epsilon) }
func (d DP) PerQueryMicro() int64 { return Micro(d.EpsilonPerQuery) }

// Usage is what a grant has spent: jobs run, and millionths of epsilon released.
type Usage struct {
	Jobs         int
	EpsilonMicro int64
}

// DPSpend is a DP job's record of what it spent and how it was noised (no noise values).
type DPSpend struct {
	EpsilonMicro int64 `json:"epsilon_micro"`
	// Threshold is the noisy unit count a group needed to be released.
	Threshold int64 `json:"threshold"`
	// Measures are the noised aggregates with their sensitivity and noise scale.
	Measures []DPMeasure `json:"measures"`
}

// DPMeasure is one noised aggregate of a DP job.
type DPMeasure struct {
	Name         string  `json:"name"`
	Sensitivity  uint64  `json:"sensitivity"` // L1, in units of Quantum
	Quantum      float64 `json:"quantum"`
	EpsilonMicro int64   `json:"epsilon_micro"`
	Scale        float64 `json:"scale"` // noise scale b, in the column's units
}

// DPInfo tells the reader of a DP result how to read it: the noise of each column, the
// threshold groups had to pass, and the grant's privacy budget.
type DPInfo struct {
	Noise map[string]NoiseInfo `json:"noise"`
	// Threshold is the noisy number of people a group needed to be released.
	Threshold int64      `json:"threshold"`
	Budget    BudgetInfo `json:"budget"`
}

// BudgetInfo is a grant's privacy budget after a query.
type BudgetInfo struct {
	Total     float64 `json:"total"`
	Spent     float64 `json:"spent"`
	Remaining float64 `json:"remaining"`
}

// NoiseInfo is the noise of one released column. For a count or a sum, the released value is
// within ±CI95 of the value computed on the clamped, bounded data with probability 95%. An
// average or a variance is computed from noisy parts (Parts), whose intervals are given.
type NoiseInfo struct {
	Mechanism string                `json:"mechanism"`
	Epsilon   float64               `json:"epsilon"`
	Scale     float64               `json:"scale,omitempty"`
	CI95      float64               `json:"ci95,omitempty"`
	Parts     map[string]*NoiseInfo `json:"parts,omitempty"`
}
