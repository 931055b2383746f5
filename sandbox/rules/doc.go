// Package rules is what a source agency decides about each column of its dataset (Art. 24):
// its class, its treatment on the way into a grant's workspace, and how jobs may use it.
//
// A rule set is validated against the dataset's schema before it is accepted, and the checks
// fail closed: a column without a rule is dropped, an identifier may never be kept or grouped
// on, a join key must be a keyed pseudonym, an aggregate-only column must be numeric and carry
// clamp bounds. The privacy unit column is always present in a workspace as a 64-bit keyed
// pseudonym, whatever its rule says, because the release gate counts people with it.
//
// This package only describes; sandbox/workspace applies the treatments.
package rules
