package load

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what a run measured and saw.
type Report struct {
	Clients    int           `json:"clients"`
	Duration   time.Duration `json:"duration_ns"`
	Requests   int64         `json:"requests"`
	Throughput float64       `json:"requests_per_second"`
	// Kinds holds each kind's count, latency and outcomes.
	Kinds map[Kind]*KindStats `json:"kinds"`
	// Codes counts outcomes over all kinds: OK, Transport or a stable error code.
	Codes map[string]int64 `json:"codes"`
	// Status5xx counts 5xx answers. None is deliberate: on a healthy server it must be 0.
	Status5xx int64 `json:"status_5xx"`
	// Unexpected counts answers other than the kind's expected outcome; Samples shows a few.
	Unexpected int64    `json:"unexpected"`
	Samples    []string `json:"unexpected_samples,omitempty"`
	// Released are the job ids of every result a client received, in no order.
	Released []string `json:"-"`
	// ReleasedJobs is len(Released).
	ReleasedJobs int         `json:"released_jobs"`
	RSS          []RSSSample `json:"rss,omitempty"`
	MaxRSSBytes  int64       `json:"max_rss_bytes,omitempty"`
	// RSSBoundBytes is the most the server was allowed to hold resident (0: no bound was set);
	// the caller sets it and judges MaxRSSBytes against it.
	RSSBoundBytes int64     `json:"rss_bound_bytes,omitempty"`
	Log           *LogCheck `json:"log,omitempty"`
}

// KindStats are one kind's figures.
type KindStats struct {
	Requests int64            `json:"requests"`
	P50      time.Duration    `json:"p50_ns"`
	P95      time.Duration    `json:"p95_ns"`
	P99      time.Duration    `json:"p99_ns"`
	Max      time.Duration    `json:"max_ns"`
	Codes    map[string]int64 `json:"codes"`
}

// maxSamples bounds Report.Samples.
const maxSamples = 10

// tally is one client's record; clients never share one.
type tally struct {
	lat        map[Kind][]time.Duration
	codes      map[Kind]map[string]int64
	status5xx  int64
	unexpected int64
	samples    []string
	released   []string
}

func newTally() *tally {
	return &tally{lat: map[Kind][]time.Duration{}, codes: map[Kind]map[string]int64{}}
}

func (t *tally) add(k Kind, o outcome) {
	t.lat[k] = append(t.lat[k], o.latency)
	if t.codes[k] == nil {
		t.codes[k] = map[string]int64{}
	}
	t.codes[k][o.code]++
	if o.status >= 500 {
		t.status5xx++
	}
	if o.code == OK && o.job != "" {
		t.released = append(t.released, o.job)
	}
	if o.code != expected[k] {
		t.unexpected++
		if len(t.samples) < maxSamples {
			t.samples = append(t.samples, fmt.Sprintf("%s: HTTP %d %s: %s", k, o.status, o.code, o.detail))
		}
	}
}

func buildReport(cfg Config, took time.Duration, ts []*tally, rss []RSSSample) *Report {
	r := &Report{Clients: cfg.Clients, Duration: took, Kinds: map[Kind]*KindStats{}, Codes: map[string]int64{}, RSS: rss}
	lat := map[Kind][]time.Duration{}
	for _, t := range ts {
		for k, l := range t.lat {
			lat[k] = append(lat[k], l...)
		}
		for k, cs := range t.codes {
			ks := r.kind(k)
			for c, n := range cs {
				ks.Codes[c] += n
				r.Codes[c] += n
			}
		}
		r.Status5xx += t.status5xx
		r.Unexpected += t.unexpected
		r.Released = append(r.Released, t.released...)
		if room := maxSamples - len(r.Samples); room > 0 {
			r.Samples = append(r.Samples, t.samples[:min(room, len(t.samples))]...)
		}
	}
	for k, l := range lat {
		ks := r.kind(k)
		ks.Requests = int64(len(l))
		ks.P50, ks.P95, ks.P99, ks.Max = percentile(l, 50), percentile(l, 95), percentile(l, 99), slices.Max(l)
		r.Requests += ks.Requests
	}
	if took > 0 {
		r.Throughput = float64(r.Requests) / took.Seconds()
	}
	r.ReleasedJobs = len(r.Released)
	for _, s := range rss {
		r.MaxRSSBytes = max(r.MaxRSSBytes, s.Bytes)
	}
	return r
}

func (r *Report) kind(k Kind) *KindStats {
	if r.Kinds[k] == nil {
		r.Kinds[k] = &KindStats{Codes: map[string]int64{}}
	}
	return r.Kinds[k]
}

// percentile is the nearest-rank p-th percentile of l (which it sorts).
func percentile(l []time.Duration, p int) time.Duration {
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	i := (len(l)*p+99)/100 - 1
	return l[max(i, 0)]
}

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%d clients for %s: %d requests, %.1f per second; %d results released; %d 5xx; %d unexpected\n\n",
		r.Clients, r.Duration.Round(time.Millisecond), r.Requests, r.Throughput, r.ReleasedJobs, r.Status5xx, r.Unexpected)
	fmt.Fprintln(tw, "KIND\tREQUESTS\tP50\tP95\tP99\tMAX\tOUTCOMES")
	for _, k := range Kinds {
		ks := r.Kinds[k]
		if ks == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", k, ks.Requests, ms(ks.P50), ms(ks.P95), ms(ks.P99), ms(ks.Max), codes(ks.Codes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Samples {
		fmt.Fprintf(w, "unexpected: %s\n", s)
	}
	if len(r.RSS) > 0 {
		fmt.Fprintf(w, "\nserver RSS: max %s; samples %s\n", mib(r.MaxRSSBytes), rssSeries(r.RSS))
	}
	if r.Log != nil {
		fmt.Fprintf(w, "\njob log: %s\n", r.Log)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) string { return fmt.Sprintf("%.0fMiB", float64(b)/(1<<20)) }

func codes(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

func rssSeries(s []RSSSample) string {
	step := max(1, len(s)/12)
	var parts []string
	for i := 0; i < len(s); i += step {
		parts = append(parts, fmt.Sprintf("%s@%s", mib(s[i].Bytes), s[i].At.Round(time.Second)))
	}
	return strings.Join(parts, " ")
}
