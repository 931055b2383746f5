package audit_test

import "flag"

var verifyEntries = flag.Int("verify.entries", 0, "entries in BenchmarkVerify's log (default 100,000)")
