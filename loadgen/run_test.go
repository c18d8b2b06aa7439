package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testServer answers on loopback only: /ok 200, /redirect 302 to /ok,
// /fail 500, /slow?ms=N 200 after N ms (or when the client goes away),
// /echo 200 after checking the request. It counts the TCP connections it accepts.
type testServer struct {
	*httptest.Server
	okHits, echoHits, echoBad, conns atomic.Int64
}

func newTestServer(t *testing.T) *testServer {
	ts := &testServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		ts.okHits.Add(1)
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		d, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(d) * time.Millisecond):
			io.WriteString(w, "slow")
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		ts.echoHits.Add(1)
		b, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || string(b) != `{"x":1}` || r.Header.Get("Content-Type") != "application/json" ||
			r.Header.Get("Cookie") != "sessionid=s3cr3t" || r.Header.Get("X-Extra") != "yes" {
			ts.echoBad.Add(1)
		}
	})
	ts.Server = httptest.NewUnstartedServer(mux) // listens on 127.0.0.1
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			ts.conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func basePlan(url string) *Plan {
	return &Plan{
		Name: "test", Method: "GET", URL: url,
		StartRate: 30, TimeUnitS: 1, Stages: []Stage{{DurationS: 0.3, Target: 30}}, // 9 arrivals
		GracefulStopS: 2, PreAllocatedVUs: 2, MaxVUs: 20,
		NoConnectionReuse: true, DiscardResponseBodies: true,
		RequestTimeoutS: 5, SampleIntervalS: 0.1,
	}
}

type output struct {
	sum  Summary
	code int
	rows [][]string // requests.csv without the header
	vus  [][]string
	raw  string // all files, for leak checks
}

func runPlan(t *testing.T, p *Plan, headers http.Header, sigs <-chan os.Signal) output {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	var log bytes.Buffer
	sum, code := Run(p, headers, dir, sigs, &log)
	t.Logf("%s", log.String())
	o := output{sum: sum, code: code}
	read := func(name, header string) [][]string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		o.raw += string(b)
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Join(recs[0], ",") != header {
			t.Fatalf("%s header %v", name, recs[0])
		}
		return recs[1:]
	}
	o.rows = read("requests.csv", "start_ms,latency_ms,status,ok,error")
	o.vus = read("vus.csv", "t_s,vus,target_rate,started,completed,failed")
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	o.raw += string(b)
	var fileSum Summary
	if err := json.Unmarshal(b, &fileSum); err != nil {
		t.Fatal(err)
	}
	if fileSum.Requests != sum.Requests || fileSum.Name != sum.Name {
		t.Fatalf("summary.json %+v differs from %+v", fileSum, sum)
	}
	// Invariants of every run.
	if uint64(len(o.rows)) != sum.Requests || sum.OK+sum.Failed != sum.Requests {
		t.Fatalf("%d rows, summary %+v", len(o.rows), sum)
	}
	var ok uint64
	for _, r := range o.rows {
		for _, f := range r[:2] {
			if i := strings.IndexByte(f, '.'); i < 0 || len(f)-i-1 != 3 {
				t.Fatalf("not 3 decimals: %q", f)
			}
		}
		if r[3] == "1" {
			ok++
		}
	}
	if ok != sum.OK {
		t.Fatalf("%d ok rows, summary says %d", ok, sum.OK)
	}
	if len(o.vus) < 2 {
		t.Fatalf("vus.csv has %d rows", len(o.vus))
	}
	last := o.vus[len(o.vus)-1]
	if last[3] != strconv.FormatUint(sum.Requests, 10) || last[4] != last[3] || last[1] != "0" {
		t.Fatalf("final vus row %v, summary %+v", last, sum)
	}
	if sum.LoadgenVersion == "" || sum.PlannedDurationS != p.PlannedDurationS() {
		t.Fatalf("summary %+v", sum)
	}
	return o
}

func TestRunClassification(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		path   string
		ok     bool
		status string
		errSub string
	}{
		{"/ok", true, "200", ""},
		{"/redirect", false, "302", "302 Found"},
		{"/fail", false, "500", "500 Internal Server Error"},
	}
	for _, c := range cases {
		before := ts.okHits.Load()
		o := runPlan(t, basePlan(ts.URL+c.path), nil, nil)
		if o.code != 0 || o.sum.Requests != 9 || o.sum.Aborted || o.sum.AbortReason != nil || o.sum.DroppedIterations != 0 {
			t.Fatalf("%s: code %d summary %+v", c.path, o.code, o.sum)
		}
		for _, r := range o.rows {
			if (r[3] == "1") != c.ok || r[2] != c.status || r[4] != c.errSub {
				t.Fatalf("%s: row %v", c.path, r)
			}
		}
		if c.path == "/redirect" && ts.okHits.Load() != before {
			t.Fatal("the redirect was followed")
		}
		if c.path == "/ok" && ts.okHits.Load()-before != 9 {
			t.Fatalf("server saw %d requests", ts.okHits.Load()-before)
		}
	}

	// Transport error: nothing listens on the port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	o := runPlan(t, basePlan("http://"+addr+"/x"), nil, nil)
	if o.sum.Failed != 9 {
		t.Fatalf("summary %+v", o.sum)
	}
	for _, r := range o.rows {
		if r[2] != "0" || r[3] != "0" || !strings.Contains(r[4], "connection refused") || strings.Contains(r[4], `Get `) {
			t.Fatalf("row %v", r)
		}
	}
}

func TestRunHeadersBodyKeepAlive(t *testing.T) {
	ts := newTestServer(t)
	p := basePlan(ts.URL + "/echo")
	body := `{"x":1}`
	p.Method, p.Body = "POST", &body
	p.NoConnectionReuse, p.DiscardResponseBodies, p.MaxRedirects = false, false, 3
	h, err := ParseHeaders(`{"Cookie": "sessionid=s3cr3t", "X-Extra": "yes"}`)
	if err != nil {
		t.Fatal(err)
	}
	o := runPlan(t, p, h, nil)
	if o.sum.OK != 9 || ts.echoHits.Load() != 9 || ts.echoBad.Load() != 0 {
		t.Fatalf("summary %+v, server: %d requests, %d bad", o.sum, ts.echoHits.Load(), ts.echoBad.Load())
	}
	if strings.Contains(o.raw, "s3cr3t") {
		t.Fatal("a header value was written to the outputs")
	}
	// Keep-alive: a VU that finished a request sends its next one on the same
	// connection, so there are no more connections than VUs were ever busy at once.
	if c := ts.conns.Load(); c < 1 || c > int64(o.sum.MaxVUs) || c >= 9 {
		t.Fatalf("%d connections for 9 requests (max %d VUs busy) with connection reuse on", c, o.sum.MaxVUs)
	}
}

func TestRunNoConnectionReuse(t *testing.T) {
	ts := newTestServer(t)
	p := basePlan(ts.URL + "/ok") // NoConnectionReuse: true
	o := runPlan(t, p, nil, nil)
	if o.sum.OK != 9 || ts.conns.Load() != 9 {
		t.Fatalf("summary %+v, %d connections: want one connection per request", o.sum, ts.conns.Load())
	}
}

func TestRunDropsWhenMaxVUsBusy(t *testing.T) {
	ts := newTestServer(t)
	p := basePlan(ts.URL + "/slow?ms=400")
	p.StartRate, p.Stages = 50, []Stage{{DurationS: 1, Target: 50}} // 50 arrivals
	p.PreAllocatedVUs, p.MaxVUs = 1, 2
	o := runPlan(t, p, nil, nil)
	s := o.sum
	if s.Requests+s.DroppedIterations != 50 || s.MaxVUs > 2 || s.DroppedIterations < 40 || s.Requests < 4 || s.OK != s.Requests {
		t.Fatalf("summary %+v", s)
	}
	for _, r := range o.vus {
		if v, _ := strconv.Atoi(r[1]); v > 2 {
			t.Fatalf("vus row %v", r)
		}
	}
}

func TestRunAbortOnVUs(t *testing.T) {
	ts := newTestServer(t)
	p := basePlan(ts.URL + "/slow?ms=1000")
	p.StartRate, p.Stages = 50, []Stage{{DurationS: 2, Target: 50}}
	lim := 5
	p.AbortWhenVUsExceed = &lim
	start := time.Now()
	o := runPlan(t, p, nil, nil)
	s := o.sum
	if o.code != 0 || !s.Aborted || s.AbortReason == nil || *s.AbortReason != "vus 6 > 5" || s.Requests != 6 || s.OK != 6 || s.MaxVUs != 6 {
		t.Fatalf("code %d summary %+v", o.code, s)
	}
	if el := time.Since(start); el > 1800*time.Millisecond {
		t.Fatalf("took %v: the run did not stop at the abort", el)
	}
}

func TestRunGracefulStop(t *testing.T) {
	ts := newTestServer(t)
	p := basePlan(ts.URL + "/slow?ms=5000")
	p.StartRate, p.Stages = 20, []Stage{{DurationS: 0.25, Target: 20}} // 5 arrivals
	p.GracefulStopS = 0.3
	start := time.Now()
	o := runPlan(t, p, nil, nil)
	if o.code != 0 || o.sum.Requests != 5 || o.sum.Failed != 5 || o.sum.Aborted {
		t.Fatalf("code %d summary %+v", o.code, o.sum)
	}
	for _, r := range o.rows {
		if r[2] != "0" || r[4] != errGracefulStop {
			t.Fatalf("row %v", r)
		}
	}
	if el := time.Since(start); el < 500*time.Millisecond || el > 2*time.Second {
		t.Fatalf("took %v, want about 0.55 s", el)
	}
}

func TestRunSignal(t *testing.T) {
	ts := newTestServer(t)
	p := basePlan(ts.URL + "/slow?ms=200")
	p.StartRate, p.Stages = 20, []Stage{{DurationS: 5, Target: 20}}
	sigs := make(chan os.Signal, 1)
	time.AfterFunc(500*time.Millisecond, func() { sigs <- syscall.SIGTERM })
	start := time.Now()
	o := runPlan(t, p, nil, sigs)
	s := o.sum
	if o.code != 130 || !s.Aborted || s.AbortReason == nil || *s.AbortReason != "interrupted" || s.Requests < 8 || s.Requests > 12 || s.OK != s.Requests {
		t.Fatalf("code %d summary %+v", o.code, s)
	}
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Fatalf("took %v", el)
	}
}

func TestCLI(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cli([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "loadgen 1 (vegeta ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "plan.json")
	os.WriteFile(bad, []byte(strings.Replace(examplePlan, `"maxVUs": 300`, `"maxVUs": -1`, 1)), 0o644)
	errb.Reset()
	if code := cli([]string{"run", "--plan", bad, "--out", filepath.Join(dir, "o")}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `"maxVUs"`) {
		t.Fatalf("bad plan: %d %q", code, errb.String())
	}
	for _, args := range [][]string{nil, {"run"}, {"run", "--plan", bad}, {"frobnicate"}, {"run", "--plan", filepath.Join(dir, "missing.json"), "--out", dir}} {
		if code := cli(args, &out, &errb); code != 2 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	t.Setenv("LOADGEN_HEADERS", `{"Cookie": 1}`)
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(examplePlan), 0o644)
	if code := cli([]string{"run", "--plan", good, "--out", filepath.Join(dir, "o")}, &out, &errb); code != 2 {
		t.Fatalf("bad LOADGEN_HEADERS: exit %d", code)
	}
}

func TestRunTLS(t *testing.T) {
	var h2 atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			h2.Add(1)
		}
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes below
	// A self-signed certificate for 127.0.0.1.
	srv.StartTLS()
	t.Cleanup(srv.Close)

	p := basePlan(srv.URL + "/")
	p.InsecureSkipTLSVerify = true
	if o := runPlan(t, p, nil, nil); o.sum.OK != 9 || h2.Load() != 9 {
		t.Fatalf("insecure: summary %+v, %d HTTP/2 requests", o.sum, h2.Load())
	}
	p.InsecureSkipTLSVerify = false
	o := runPlan(t, p, nil, nil)
	if o.sum.Failed != 9 || !strings.Contains(o.rows[0][4], "certificate") {
		t.Fatalf("verified: summary %+v, row %v", o.sum, o.rows[0])
	}
}
