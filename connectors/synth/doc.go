// Package synth generates deterministic synthetic public-sector data for
// Zhaoqing city (肇庆市): a civil-affairs register of citizens and the
// social-security benefits paid to them.
//
// # Synthetic only
//
// Every value this package produces is invented by a seeded pseudo-random
// generator. No row describes a real person: names are drawn from lists of
// common surnames and given-name characters, resident ID numbers are
// well-formed (GB 11643-1999, valid check digit) but made up, and phone
// numbers only share real operator prefixes. This package never reads real
// data, the network, the clock or the environment.
//
// # Tables
//
// [Citizens] has one row per person: person_id, name, id_number, phone,
// gender, birth_date, district, income (about 2% NULL) and diagnosis_code
// (about 60% NULL). [Benefits] has about 1.5 rows per citizen on average:
// person_id (always a citizens.person_id), program, amount DECIMAL(12,2) and
// paid_on. Categories are deliberately skewed (district sizes, surnames,
// diagnosis codes, programs), so that rare groups exist for privacy-threshold
// tests and demos.
//
// # Determinism
//
// Output is a pure function of [Config.Rows] and [Config.Seed]. Rows are
// produced in batches of [BatchRows]; the random stream of each batch is
// derived from (seed, table, batch index) alone, so batches can be generated
// in parallel and the bytes written do not depend on GOMAXPROCS or
// [Config.Workers]. Ages are relative to the fixed [ReferenceDate], never to
// the current time. A smaller Rows yields a prefix of a larger Rows with the
// same seed, for both tables.
//
// # Formats
//
// [Write] and [WriteFile] encode a table as CSV (header, ISO dates, NULL as an
// empty field, quotes only where needed), Parquet (snappy, row groups of
// 512Ki rows, columns encoded in parallel), NDJSON (null as JSON null,
// decimals as numbers) or an Arrow IPC stream. [Generate] hands out the Arrow record
// batches directly; all Arrow memory comes from the allocator passed in.
//
// [ValidResidentID] and [ResidentIDCheckDigit] validate and complete
// 18-character resident ID numbers.
package synth
