package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/inviso/inviso/sandbox/client"
	"github.com/inviso/inviso/sandbox/fault"
)

// Kind is one kind of request of the mix.
type Kind string

// The kinds of the mix.
const (
	Allowed      Kind = "allowed"       // an aggregate the policy allows (JSON result)
	Refused      Kind = "refused"       // a query the policy denies
	BadJSON      Kind = "bad_json"      // a body that is not JSON
	BadUTF8      Kind = "bad_utf8"      // a body that is not UTF-8
	UnknownGrant Kind = "unknown_grant" // a grant that does not exist
	Oversize     Kind = "oversize"      // a body over the server's 1 MiB JSON limit
	Large        Kind = "large"         // many groups, as an Arrow stream
)

// Kinds lists the kinds in report order.
var Kinds = []Kind{Allowed, Large, Refused, BadJSON, BadUTF8, UnknownGrant, Oversize}

// OK is the outcome code of a 2xx answer; Transport that of a request that got no HTTP answer.
const (
	OK        = "ok"
	Transport = "transport"
)

// expected is the outcome each kind must have.
var expected = map[Kind]string{
	Allowed: OK, Large: OK,
	Refused:      string(fault.PolicyDenied),
	BadJSON:      string(fault.InvalidInput),
	BadUTF8:      string(fault.InvalidInput),
	UnknownGrant: string(fault.NotFound),
	Oversize:     string(fault.TooLarge),
}

// Expected is the outcome a kind must have on a healthy server.
func Expected(k Kind) string { return expected[k] }

// DefaultMix weighs the kinds: mostly allowed queries, then large results and refusals, and a
// few malformed requests of each kind (oversize bodies are 1 MiB each, so they are rare).
var DefaultMix = map[Kind]int{Allowed: 50, Large: 15, Refused: 20, BadJSON: 4, BadUTF8: 4, UnknownGrant: 5, Oversize: 2}

// Config configures a run.
type Config struct {
	Server    string // base URL, e.g. http://127.0.0.1:8470
	Token     string // the developer holding Grant
	Grant     string
	Dataset   string        // the table the queries read (World.Dataset)
	Clients   int           // concurrent clients (default 32)
	Duration  time.Duration // how long to send (default 30s)
	Mix       map[Kind]int  // relative weights (default DefaultMix)
	Seed      uint64        // of each client's choice of kinds (default 1)
	ServerPID int           // when > 0, the server's RSS is sampled from /proc
	// RSSInterval is the RSS sampling period (default 1s).
	RSSInterval time.Duration
	// Auditor, when set, is the token Run uses to check the job log after the load (CheckLog).
	Auditor string
	// HTTP is the client to use (default: one with a connection per client).
	HTTP *http.Client
}

func (c *Config) defaults() error {
	if c.Server == "" || c.Token == "" || c.Grant == "" || c.Dataset == "" {
		return errors.New("load: Server, Token, Grant and Dataset are required")
	}
	c.Server = strings.TrimRight(c.Server, "/")
	if c.Clients <= 0 {
		c.Clients = 32
	}
	if c.Duration <= 0 {
		c.Duration = 30 * time.Second
	}
	if len(c.Mix) == 0 {
		c.Mix = DefaultMix
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.RSSInterval <= 0 {
		c.RSSInterval = time.Second
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
			MaxIdleConns: c.Clients, MaxIdleConnsPerHost: c.Clients, IdleConnTimeout: time.Minute}}
	}
	return nil
}

// Run sends the mix from cfg.Clients clients for cfg.Duration (or until ctx ends) and reports.
// With cfg.Auditor it then checks the job log (Report.Log). It returns an error only when it
// could not run or check; what the server answered is in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	reqs := newRequests(cfg)
	pick, err := newPicker(cfg.Mix)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	rss := startRSS(lctx, cfg.ServerPID, cfg.RSSInterval)
	start := time.Now()
	results := make([]*tally, cfg.Clients)
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		results[i] = newTally()
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
			for lctx.Err() == nil {
				k := pick(rng)
				o := reqs.do(lctx, cfg.HTTP, k)
				if o.code == Transport && lctx.Err() != nil {
					break // cut off by the end of the run: not an answer
				}
				results[i].add(k, o)
				if o.code == Transport {
					backOff(lctx) // the server is gone or restarting: do not spin
				}
			}
		})
	}
	wg.Wait()
	rep := buildReport(cfg, time.Since(start), results, rss())
	if cfg.Auditor != "" && ctx.Err() == nil {
		c, err := client.New(cfg.Server, cfg.Auditor, cfg.HTTP)
		if err != nil {
			return rep, err
		}
		lc, err := CheckLog(ctx, c, cfg.Grant, rep.Released)
		if err != nil {
			return rep, fmt.Errorf("check the job log: %w", err)
		}
		rep.Log = lc
	}
	return rep, nil
}

// transportBackoff is how long a client waits after a request that got no answer.
const transportBackoff = 50 * time.Millisecond

func backOff(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(transportBackoff):
	}
}

// newPicker returns a function choosing a kind by the weights of mix.
func newPicker(mix map[Kind]int) (func(*rand.Rand) Kind, error) {
	var kinds []Kind
	var cum []int
	total := 0
	for _, k := range Kinds {
		if w := mix[k]; w > 0 {
			total += w
			kinds, cum = append(kinds, k), append(cum, total)
		}
	}
	for k := range mix {
		if _, ok := expected[k]; !ok {
			return nil, fmt.Errorf("load: unknown kind %q in the mix", k)
		}
	}
	if total == 0 {
		return nil, errors.New("load: the mix has no positive weight")
	}
	return func(r *rand.Rand) Kind {
		n := r.IntN(total)
		for i, c := range cum {
			if n < c {
				return kinds[i]
			}
		}
		return kinds[len(kinds)-1]
	}, nil
}

// outcome is what one request got.
type outcome struct {
	latency time.Duration
	status  int    // 0: no HTTP answer
	code    string // OK, Transport or the error's stable code
	job     string // Inviso-Job of a released result
	detail  string // for unexpected outcomes
}

// requests builds the requests of each kind.
type requests struct {
	server, token, grant string
	allowed, large       []string
	refused              []string
	oversize             []byte
}

func newRequests(cfg Config) *requests {
	t := cfg.Dataset
	return &requests{
		server: cfg.Server, token: cfg.Token, grant: cfg.Grant,
		allowed: []string{
			"SELECT district, count(*) AS people, avg(income) AS mean_income FROM " + t + " GROUP BY district",
			"SELECT gender, count(*) AS people, sum(income) AS total FROM " + t + " GROUP BY gender",
			"SELECT district, gender, count(*) AS people FROM " + t + " GROUP BY district, gender ORDER BY district, gender",
		},
		large: []string{
			"SELECT district, gender, birth_date, count(*) AS people, avg(income) AS mean_income FROM " + t + " GROUP BY district, gender, birth_date",
			"SELECT birth_date, district, count(*) AS people FROM " + t + " GROUP BY birth_date, district",
		},
		refused: []string{
			"SELECT person_id, income FROM " + t,
			"SELECT district, max(income) FROM " + t + " WHERE income > 500000 GROUP BY district",
			"SELECT * FROM read_csv('/etc/passwd')",
		},
		oversize: oversizeBody(),
	}
}

// oversizeBody is a syntactically valid query body just over 1 MiB.
func oversizeBody() []byte {
	var b bytes.Buffer
	b.WriteString(`{"sql":"SELECT 1 -- `)
	b.WriteString(strings.Repeat("x", 1<<20))
	b.WriteString(`"}`)
	return b.Bytes()
}

func sqlBody(sql string) []byte {
	b, _ := json.Marshal(map[string]string{"sql": sql})
	return b
}

// do sends one request of kind k and reads the whole answer.
func (r *requests) do(ctx context.Context, hc *http.Client, k Kind) outcome {
	grant, accept := r.grant, "application/json"
	var body []byte
	switch k {
	case Allowed:
		body = sqlBody(r.allowed[time.Now().Nanosecond()%len(r.allowed)])
	case Large:
		body, accept = sqlBody(r.large[time.Now().Nanosecond()%len(r.large)]), "application/vnd.apache.arrow.stream"
	case Refused:
		body = sqlBody(r.refused[time.Now().Nanosecond()%len(r.refused)])
	case BadJSON:
		body = []byte(`{"sql": "SELECT count(*) FROM x",`)
	case BadUTF8:
		body = []byte("{\"sql\": \"SELECT count(*) FROM \xff\xfe\"}")
	case UnknownGrant:
		grant, body = "grt_doesnotexist0000000000", sqlBody(r.allowed[0])
	case Oversize:
		body = r.oversize
	}
	return r.post(ctx, hc, grant, accept, body)
}

func (r *requests) post(ctx context.Context, hc *http.Client, grant, accept string, body []byte) outcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.server+"/v1/grants/"+url.PathEscape(grant)+"/query", bytes.NewReader(body))
	if err != nil {
		return outcome{code: Transport, detail: err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return outcome{latency: time.Since(start), code: Transport, detail: err.Error()}
	}
	defer resp.Body.Close()
	o := outcome{status: resp.StatusCode}
	if resp.StatusCode < 300 {
		o.code, o.job = OK, resp.Header.Get("Inviso-Job")
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		o.code, o.detail, err = errorCode(resp.Body)
	}
	o.latency = time.Since(start)
	if err != nil && o.code == OK {
		o.detail = "reading the result: " + err.Error() // released all the same
	}
	return o
}

// errorCode reads an error answer's stable code.
func errorCode(body io.Reader) (code, message string, err error) {
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	raw, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return Transport, err.Error(), err
	}
	if json.Unmarshal(raw, &env) != nil || env.Error.Code == "" {
		return "no_error_body", string(raw[:min(len(raw), 200)]), nil
	}
	return env.Error.Code, env.Error.Message, nil
}

// ParseMix reads a mix written as kind=weight pairs separated by commas, e.g.
// "allowed=1" (only small allowed queries) or "allowed=50,refused=20,large=15". Kinds left out
// weigh nothing.
func ParseMix(s string) (map[Kind]int, error) {
	mix := map[Kind]int{}
	for part := range strings.SplitSeq(s, ",") {
		k, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("load: mix entry %q is not kind=weight", part)
		}
		kind := Kind(strings.TrimSpace(k))
		if _, known := expected[kind]; !known {
			return nil, fmt.Errorf("load: unknown kind %q in the mix (kinds: %v)", kind, Kinds)
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("load: weight of %s must be a whole number ≥ 0, not %q", kind, w)
		}
		if _, dup := mix[kind]; dup {
			return nil, fmt.Errorf("load: %s appears twice in the mix", kind)
		}
		mix[kind] = n
	}
	if _, err := newPicker(mix); err != nil {
		return nil, err
	}
	return mix, nil
}
