// Package report owns the documents the platform publishes and files: the public disclosure of
// Art. 21 and the operating reports of Art. 22 and 28 (a quarterly report per grant and agency,
// an annual report per source agency). It holds their shapes, the reporting periods, and their
// renderings as JSON, Markdown and CSV, so the server, the Go client and the CLI agree on them.
//
// The sandbox computes the documents from the job log; this package computes nothing. Its
// documents carry identifiers, counts, times and the texts agencies wrote about themselves
// (names, purposes), and never a row value, a token or a policy input: there is no field that
// could hold one.
//
// # Periods
//
// Quarters ("2026Q3") and years ("2026") are half-open intervals [From, To) in UTC; a document
// states its bounds so no reader has to guess a time zone.
//
// # Renderings
//
// Markdown escapes every free text, so a purpose cannot add table cells, links or HTML. CSV
// prefixes a text cell that a spreadsheet would run as a formula (=, +, -, @) with a quote.
package report
