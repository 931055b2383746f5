// Package demo walks through inviso end to end, in plain words: a real server on loopback, the
// agencies and principals of the regulation, synthetic Zhaoqing data generated and imported by
// the source agencies, and the refusals a careful platform must give. It is what `make demo`
// runs; later capabilities extend it, and it must always run from start to finish.
package demo
