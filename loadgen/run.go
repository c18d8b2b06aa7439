package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Summary is summary.json.
type Summary struct {
	Name              string  `json:"name"`
	Requests          uint64  `json:"requests"`
	OK                uint64  `json:"ok"`
	Failed            uint64  `json:"failed"`
	DroppedIterations uint64  `json:"droppedIterations"`
	MaxVUs            uint64  `json:"maxVUs"`
	DurationS         float64 `json:"durationS"`
	Aborted           bool    `json:"aborted"`
	AbortReason       *string `json:"abortReason"`
	PlannedDurationS  float64 `json:"plannedDurationS"`
	LoadgenVersion    string  `json:"loadgenVersion"`
	// The load generator's own footprint over the run (getrusage), so that a
	// trial's client cost is on record next to the machine-wide samples.
	CPUUserS  float64 `json:"cpuUserS"`
	CPUSysS   float64 `json:"cpuSysS"`
	MaxRSSKiB int64   `json:"maxRssKiB"`
}

const (
	errGracefulStop = "interrupted by graceful stop"
	reasonSignal    = "interrupted"
	// hardStopWait bounds how long the run waits for requests to return after
	// their connections were closed at the end of the graceful stop.
	hardStopWait = 5 * time.Second
)

// errNotStarted is what the targeter returns for a hit that vegeta hands to
// a worker after the run was told to stop; no request is sent for it and its
// result is not recorded.
var errNotStarted = errors.New("loadgen: not started (stopping)")

// runner holds the state of one run.
//
// In-flight requests ("VUs") are counted from the targeter call, which a
// vegeta worker makes right before it builds and sends a request, until Run
// takes the result: the time the worker is occupied, as a k6 VU is for one
// iteration. (vegeta keeps its http.Client private, so its RoundTripper
// cannot be wrapped without giving up vegeta's redirect and timeout options.)
type runner struct {
	plan   *Plan
	target vegeta.Target
	pacer  *droppingPacer
	atk    *vegeta.Attacker
	conns  *connTracker

	// Counters. started counts requests handed to vegeta to send; completed
	// and failed count their results. received counts every result taken
	// from vegeta (including not-started ones): hits - received is the number
	// of vegeta workers that are busy.
	started, completed, failed, okCount, received atomic.Uint64
	maxInflight                                   atomic.Uint64

	mu       sync.Mutex // guards stopped, reason, stopAt, and orders targeter calls
	stopped  bool
	reason   string
	stopAt   time.Time
	stopCh   chan struct{}
	signaled bool

	// Set when the graceful stop is over and in-flight requests were
	// cancelled; only used from Run's goroutine.
	expiredAt time.Time
}

func (r *runner) inflight() uint64 {
	s, c := r.started.Load(), r.completed.Load()
	if c > s {
		return 0
	}
	return s - c
}

// stopLocked stops starting requests; r.mu must be held.
func (r *runner) stopLocked(reason string) {
	if r.stopped {
		return
	}
	r.stopped = true
	r.reason = reason
	r.stopAt = time.Now()
	close(r.stopCh)
	r.atk.Stop() // vegeta's attack loop stops handing out hits
}

func (r *runner) stop(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(reason)
}

// targeter is called by a vegeta worker right before it sends a request.
// It counts the request as in flight and applies abortWhenVUsExceed.
func (r *runner) targeter(t *vegeta.Target) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return errNotStarted
	}
	n := r.started.Add(1)
	inflight := n - r.completed.Load()
	for {
		m := r.maxInflight.Load()
		if inflight <= m || r.maxInflight.CompareAndSwap(m, inflight) {
			break
		}
	}
	if lim := r.plan.AbortWhenVUsExceed; lim != nil && inflight > uint64(*lim) {
		// This request is already counted and goes out; no later one does.
		r.stopLocked(fmt.Sprintf("vus %d > %d", inflight, *lim))
	}
	*t = r.target // Header is shared read-only: vegeta copies it per request
	return nil
}

// connTracker lets the run cancel in-flight requests at the end of the
// graceful stop: vegeta builds requests without a context, so the run closes
// their connections instead (and fails dials still in progress).
type connTracker struct {
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
	ctx    context.Context // done when the graceful stop is over
	cancel context.CancelFunc
}

func newConnTracker() *connTracker {
	ctx, cancel := context.WithCancel(context.Background())
	return &connTracker{conns: map[*trackedConn]struct{}{}, ctx: ctx, cancel: cancel}
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (t *connTracker) wrap(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		dctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(t.ctx, cancel)
		defer stop()
		c, err := dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, t: t}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.closed {
			c.Close()
			return nil, errors.New(errGracefulStop)
		}
		t.conns[tc] = struct{}{}
		return tc, nil
	}
}

// closeAll closes every open connection and fails later dials.
func (t *connTracker) closeAll() {
	t.cancel()
	t.mu.Lock()
	t.closed = true
	conns := t.conns
	t.conns = map[*trackedConn]struct{}{}
	t.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	t    *connTracker
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}

// newAttacker maps the plan's k6 options onto vegeta's attacker options.
func (r *runner) newAttacker() *vegeta.Attacker {
	p := r.plan
	// Our own transport (with vegeta's defaults) so that its dialer can be
	// wrapped after vegeta's options have configured it.
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: vegeta.DefaultLocalAddr.IP}, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: vegeta.DefaultConnections,
		MaxConnsPerHost:     vegeta.DefaultMaxConnections,
	}
	redirects := p.MaxRedirects
	if redirects == 0 {
		redirects = vegeta.NoFollow // hand back the 3xx response itself (a failure)
	}
	maxBody := vegeta.DefaultMaxBody
	if p.DiscardResponseBodies {
		maxBody = 0 // the body is still read to the end, but not kept
	}
	atk := vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: tr}),
		vegeta.KeepAlive(!p.NoConnectionReuse),
		vegeta.TLSConfig(&tls.Config{InsecureSkipVerify: p.InsecureSkipTLSVerify}),
		vegeta.HTTP2(true), // negotiated over TLS (ALPN), as k6 does
		vegeta.Redirects(redirects),
		vegeta.Timeout(seconds(p.RequestTimeoutS)),
		vegeta.MaxBody(maxBody),
		vegeta.Workers(uint64(p.PreAllocatedVUs)),
		vegeta.MaxWorkers(uint64(p.MaxVUs)),
	)
	tr.DialContext = r.conns.wrap(tr.DialContext)
	return atk
}

// csvFile is a buffered output file that remembers its first error.
type csvFile struct {
	f   *os.File
	w   *bufio.Writer
	err error
}

func createCSV(path, header string) (*csvFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	c := &csvFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	c.write(header + "\n")
	return c, nil
}

func (c *csvFile) write(s string) {
	if c.err == nil {
		_, c.err = c.w.WriteString(s)
	}
}

func (c *csvFile) flush() {
	if c.err == nil {
		c.err = c.w.Flush()
	}
}

func (c *csvFile) close() error {
	c.flush()
	if err := c.f.Close(); c.err == nil {
		c.err = err
	}
	return c.err
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }

// urlErrPrefix matches the `Get "http://...": ` that net/http puts in front
// of transport errors.
var urlErrPrefix = regexp.MustCompile(`^[A-Z][a-z]+ "(?:[^"\\]|\\.)*": `)

// shortError makes an error fit a CSV field: no URL prefix, no commas,
// quotes or line breaks, at most 200 bytes.
func shortError(s string) string {
	s = urlErrPrefix.ReplaceAllString(s, "")
	s = strings.Map(func(c rune) rune {
		switch c {
		case ',', '\n', '\r', '\t':
			return ' '
		case '"':
			return '\''
		}
		return c
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "")
	}
	return s
}

// classify returns ok and the error column for a result.
func (r *runner) classify(res *vegeta.Result) (bool, string) {
	switch {
	case res.Code == 0:
		if res.Error == "" {
			return false, "no response"
		}
		if !r.expiredAt.IsZero() && !res.End().Before(r.expiredAt) {
			return false, errGracefulStop
		}
		return false, shortError(res.Error)
	case res.Code >= 200 && res.Code <= 299:
		return true, ""
	default:
		text := http.StatusText(int(res.Code))
		if text == "" {
			text = "status"
		}
		return false, fmt.Sprintf("%d %s", res.Code, shortError(text))
	}
}

// Run executes a plan and writes requests.csv, vus.csv and summary.json into
// outDir. A value on sigs stops the run like an abort (a second one ends the
// graceful stop at once). It returns the process exit code: 0 completed or
// aborted on VUs, 1 I/O error, 130 stopped by a signal.
func Run(p *Plan, headers http.Header, outDir string, sigs <-chan os.Signal, logw io.Writer) (Summary, int) {
	logf := func(format string, a ...any) { fmt.Fprintf(logw, "loadgen: "+format+"\n", a...) }
	sum := Summary{Name: p.Name, PlannedDurationS: p.PlannedDurationS(), LoadgenVersion: VersionString()}

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		logf("error: %v", err)
		return sum, 1
	}
	reqs, err := createCSV(filepath.Join(outDir, "requests.csv"), "start_ms,latency_ms,status,ok,error")
	if err != nil {
		logf("error: %v", err)
		return sum, 1
	}
	vus, err := createCSV(filepath.Join(outDir, "vus.csv"), "t_s,vus,target_rate,started,completed,failed")
	if err != nil {
		reqs.close()
		logf("error: %v", err)
		return sum, 1
	}

	r := &runner{plan: p, stopCh: make(chan struct{}), conns: newConnTracker()}
	r.target = vegeta.Target{Method: p.Method, URL: p.URL, Header: http.Header{}}
	r.target.Header.Set("User-Agent", "loadgen/"+version)
	if p.Body != nil {
		r.target.Body = []byte(*p.Body)
		r.target.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		r.target.Header[k] = v
	}
	r.atk = r.newAttacker()
	ramp := NewRampingPacer(p.StartRate, p.TimeUnitS, p.Stages)
	maxVUs := uint64(p.MaxVUs)
	r.pacer = &droppingPacer{
		RampingPacer: ramp,
		busy:         func(hits uint64) bool { return hits-r.received.Load() >= maxVUs },
		stop:         r.stopCh,
	}

	logf("%s: %s %s, %d arrivals over %gs (maxVUs %d)", p.Name, p.Method, p.URL, ramp.Total(), ramp.End(), p.MaxVUs)
	t0 := time.Now()
	results := r.atk.Attack(vegeta.Targeter(r.targeter), r.pacer, 0, "")

	// vus.csv sampler.
	sampleRow := func() string {
		el := time.Since(t0)
		return fmt.Sprintf("%.3f,%d,%.3f,%d,%d,%d\n", el.Seconds(), r.inflight(), ramp.Rate(el),
			r.started.Load(), r.completed.Load(), r.failed.Load())
	}
	samplerDone := make(chan struct{})
	samplerStopped := make(chan struct{})
	go func() {
		defer close(samplerStopped)
		interval := seconds(p.SampleIntervalS)
		vus.write(sampleRow())
		for k := 1; ; k++ {
			timer := time.NewTimer(time.Until(t0.Add(time.Duration(k) * interval)))
			select {
			case <-samplerDone:
				timer.Stop()
				return
			case <-timer.C:
				vus.write(sampleRow())
				vus.flush()
			}
		}
	}()

	// Consume results until vegeta closes the channel.
	grace := seconds(p.GracefulStopS)
	deadline := time.NewTimer(time.Until(t0.Add(seconds(ramp.End()) + grace)))
	defer deadline.Stop()
	var hard <-chan time.Time
	flushTick := time.NewTicker(time.Second)
	defer flushTick.Stop()
	stopCh := r.stopCh
	expire := func() {
		if r.expiredAt.IsZero() {
			r.expiredAt = time.Now()
			if n := r.inflight(); n > 0 {
				logf("graceful stop over: cancelling %d in-flight requests", n)
			}
			r.conns.closeAll()
			hard = time.After(hardStopWait)
		}
	}
loop:
	for {
		select {
		case res, ok := <-results:
			if !ok {
				break loop
			}
			r.received.Add(1)
			if res.Error == errNotStarted.Error() {
				continue
			}
			good, errText := r.classify(res)
			if good {
				r.okCount.Add(1)
			} else {
				r.failed.Add(1)
			}
			r.completed.Add(1)
			okCol := "0"
			if good {
				okCol = "1"
			}
			reqs.write(ms(res.Timestamp.Sub(t0)) + "," + ms(res.Latency) + "," + strconv.Itoa(int(res.Code)) + "," +
				okCol + "," + errText + "\n")
		case <-stopCh:
			stopCh = nil
			r.mu.Lock()
			at, reason := r.stopAt, r.reason
			r.mu.Unlock()
			logf("stopping: %s", reason)
			if d := time.Until(at.Add(grace)); d < time.Until(t0.Add(seconds(ramp.End())+grace)) {
				deadline.Reset(max(d, 0))
			}
		case <-sigs:
			if !r.signaled {
				r.signaled = true
				r.stop(reasonSignal)
			} else {
				logf("second signal: ending the graceful stop now")
				expire()
			}
		case <-deadline.C:
			expire()
		case <-hard:
			logf("error: %d requests did not return %s after the graceful stop; not waiting for them", r.inflight(), hardStopWait)
			break loop
		case <-flushTick.C:
			reqs.flush()
		}
	}
	end := time.Now()
	close(samplerDone)
	<-samplerStopped
	// Requests that never returned (only after hardStopWait) count as failed.
	lost := r.inflight()
	vus.write(sampleRow())

	r.mu.Lock()
	if r.stopped {
		sum.Aborted = true
		reason := r.reason
		sum.AbortReason = &reason
	}
	r.mu.Unlock()
	sum.Requests = r.started.Load()
	sum.OK = r.okCount.Load()
	sum.Failed = r.failed.Load() + lost
	sum.DroppedIterations = r.pacer.dropped.Load()
	sum.MaxVUs = r.maxInflight.Load()
	sum.DurationS = math.Round(end.Sub(t0).Seconds()*1000) / 1000
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		sum.CPUUserS = math.Round(time.Duration(ru.Utime.Nano()).Seconds()*1000) / 1000
		sum.CPUSysS = math.Round(time.Duration(ru.Stime.Nano()).Seconds()*1000) / 1000
		sum.MaxRSSKiB = ru.Maxrss // kilobytes on Linux
	}

	code := 0
	for name, f := range map[string]*csvFile{"requests.csv": reqs, "vus.csv": vus} {
		if err := f.close(); err != nil {
			logf("error: writing %s: %v", name, err)
			code = 1
		}
	}
	if err := writeJSON(filepath.Join(outDir, "summary.json"), sum); err != nil {
		logf("error: writing summary.json: %v", err)
		code = 1
	}
	logf("%s: %d requests (%d ok, %d failed), %d dropped, max %d VUs, %.1fs%s", p.Name, sum.Requests, sum.OK,
		sum.Failed, sum.DroppedIterations, sum.MaxVUs, sum.DurationS, abortNote(sum))
	if r.signaled {
		code = 130
	}
	return sum, code
}

func abortNote(s Summary) string {
	if s.AbortReason == nil {
		return ""
	}
	return ", aborted: " + *s.AbortReason
}

// writeJSON writes v to path atomically (temporary file, then rename).
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
