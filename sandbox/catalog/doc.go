// Package catalog is the control database of inviso: agencies, principals and their roles, the
// registered datasets and their immutable versions (Art. 17 registration). It is a DuckDB file
// of its own, separate from the raw domain store, and it never holds a row of a dataset: only
// names, schemas, digests and counts.
//
// Every write is serialised through one mutex and one transaction, so a state change happens
// entirely or not at all. Versions are append-only: nothing here updates or deletes one.
package catalog
