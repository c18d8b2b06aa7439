package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Stage is one ramping-arrival-rate stage: the rate moves linearly to Target
// (iterations per timeUnit) over DurationS seconds.
type Stage struct {
	DurationS float64 `json:"durationS"`
	Target    float64 `json:"target"`
}

// Plan is one trial, as written by the TypeScript runner (PLAN.json). Every
// field is required; unknown fields are rejected.
type Plan struct {
	Name                  string
	Method                string
	URL                   string
	Body                  *string // nil: no body; else sent as application/json
	StartRate             float64 // iterations per timeUnit at t=0
	TimeUnitS             float64
	Stages                []Stage
	GracefulStopS         float64
	PreAllocatedVUs       int
	MaxVUs                int
	AbortWhenVUsExceed    *int // nil: never abort on VUs
	InsecureSkipTLSVerify bool
	NoConnectionReuse     bool
	DiscardResponseBodies bool
	MaxRedirects          int
	RequestTimeoutS       float64
	SampleIntervalS       float64
}

// PlannedDurationS is the sum of the stage durations (without gracefulStop).
func (p *Plan) PlannedDurationS() float64 {
	var d float64
	for _, s := range p.Stages {
		d += s.DurationS
	}
	return d
}

// PlanError is an invalid plan; the message names the field, what was
// expected and what was found.
type PlanError struct{ Field, Expected, Actual string }

func (e *PlanError) Error() string {
	switch {
	case e.Expected == "":
		return fmt.Sprintf("plan: %s", e.Field)
	case e.Actual == "":
		return fmt.Sprintf("plan: field %q: expected %s", e.Field, e.Expected)
	default:
		return fmt.Sprintf("plan: field %q: expected %s, got %s", e.Field, e.Expected, e.Actual)
	}
}

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// ParsePlan reads and validates a plan.
func ParsePlan(r io.Reader) (*Plan, error) {
	dec := json.NewDecoder(r)
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil || raw == nil {
		msg := "not a JSON object"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, &PlanError{Field: msg}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &PlanError{Field: "unexpected data after the JSON object"}
	}
	f := fields{raw: raw, prefix: ""}
	p := &Plan{}
	var err error
	check := func(e error) {
		if err == nil {
			err = e
		}
	}
	known := []string{"name", "method", "url", "body", "startRate", "timeUnitS", "stages", "gracefulStopS",
		"preAllocatedVUs", "maxVUs", "abortWhenVUsExceed", "insecureSkipTLSVerify", "noConnectionReuse",
		"discardResponseBodies", "maxRedirects", "requestTimeoutS", "sampleIntervalS"}
	check(f.unknown(known))
	if err != nil {
		return nil, err
	}

	p.Name, err = f.str("name", "a non-empty string", func(s string) bool { return s != "" })
	if err != nil {
		return nil, err
	}
	methodOK := func(s string) bool {
		for _, m := range methods {
			if s == m {
				return true
			}
		}
		return false
	}
	if p.Method, err = f.str("method", "one of "+strings.Join(methods, ", "), methodOK); err != nil {
		return nil, err
	}
	if p.URL, err = f.str("url", "an absolute http:// or https:// URL with a host", urlOK); err != nil {
		return nil, err
	}
	if p.Body, err = f.optStr("body", "a string or null"); err != nil {
		return nil, err
	}
	nonNeg := func(v float64) bool { return v >= 0 }
	positive := func(v float64) bool { return v > 0 }
	if p.StartRate, err = f.num("startRate", "a number >= 0", nonNeg); err != nil {
		return nil, err
	}
	if p.TimeUnitS, err = f.num("timeUnitS", "a number > 0", positive); err != nil {
		return nil, err
	}
	if p.Stages, err = f.stages("stages"); err != nil {
		return nil, err
	}
	if p.GracefulStopS, err = f.num("gracefulStopS", "a number >= 0", nonNeg); err != nil {
		return nil, err
	}
	if p.PreAllocatedVUs, err = f.integer("preAllocatedVUs", "an integer >= 0", func(v int) bool { return v >= 0 }); err != nil {
		return nil, err
	}
	if p.MaxVUs, err = f.integer("maxVUs", fmt.Sprintf("an integer >= 1 and >= preAllocatedVUs (%d)", p.PreAllocatedVUs),
		func(v int) bool { return v >= 1 && v >= p.PreAllocatedVUs }); err != nil {
		return nil, err
	}
	if p.AbortWhenVUsExceed, err = f.optInt("abortWhenVUsExceed", "an integer >= 0 or null", func(v int) bool { return v >= 0 }); err != nil {
		return nil, err
	}
	if p.InsecureSkipTLSVerify, err = f.boolean("insecureSkipTLSVerify"); err != nil {
		return nil, err
	}
	if p.NoConnectionReuse, err = f.boolean("noConnectionReuse"); err != nil {
		return nil, err
	}
	if p.DiscardResponseBodies, err = f.boolean("discardResponseBodies"); err != nil {
		return nil, err
	}
	if p.MaxRedirects, err = f.integer("maxRedirects", "an integer >= 0", func(v int) bool { return v >= 0 }); err != nil {
		return nil, err
	}
	if p.RequestTimeoutS, err = f.num("requestTimeoutS", "a number > 0", positive); err != nil {
		return nil, err
	}
	if p.SampleIntervalS, err = f.num("sampleIntervalS", "a number >= 0.01", func(v float64) bool { return v >= 0.01 }); err != nil {
		return nil, err
	}
	// Durations must fit a time.Duration.
	for name, v := range map[string]float64{"gracefulStopS": p.GracefulStopS, "requestTimeoutS": p.RequestTimeoutS,
		"sampleIntervalS": p.SampleIntervalS, "timeUnitS": p.TimeUnitS} {
		if v > maxSeconds {
			return nil, &PlanError{Field: name, Expected: fmt.Sprintf("at most %d seconds", int64(maxSeconds)), Actual: fmtNum(v)}
		}
	}
	return p, nil
}

// maxSeconds bounds every duration (about 31 years), far inside time.Duration.
const maxSeconds = 1e9

func urlOK(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

type fields struct {
	raw    map[string]json.RawMessage
	prefix string
}

func (f fields) name(k string) string { return f.prefix + k }

func (f fields) unknown(known []string) error {
	var extra []string
	for k := range f.raw {
		found := false
		for _, n := range known {
			if k == n {
				found = true
				break
			}
		}
		if !found {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return &PlanError{Field: fmt.Sprintf("unknown field %q (known fields: %s)", f.name(extra[0]), strings.Join(known, ", "))}
	}
	return nil
}

// get returns the raw value of a required field.
func (f fields) get(k, expected string) (json.RawMessage, error) {
	v, ok := f.raw[k]
	if !ok {
		return nil, &PlanError{Field: f.name(k), Expected: expected, Actual: "nothing (the field is missing)"}
	}
	return bytes.TrimSpace(v), nil
}

// actual renders a raw JSON value for an error message, shortened.
func actual(v json.RawMessage) string {
	s := string(v)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

// number reads a required JSON number field as text; bad() is the error for
// it, for the caller's own range checks.
func (f fields) number(k, expected string) (n string, bad func() error, err error) {
	v, err := f.get(k, expected)
	if err != nil {
		return "", nil, err
	}
	bad = func() error { return &PlanError{Field: f.name(k), Expected: expected, Actual: actual(v)} }
	var num json.Number
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) || json.Unmarshal(v, &num) != nil {
		return "", nil, bad()
	}
	return string(num), bad, nil
}

func (f fields) num(k, expected string, ok func(float64) bool) (float64, error) {
	n, bad, err := f.number(k, expected)
	if err != nil {
		return 0, err
	}
	x, perr := strconv.ParseFloat(n, 64)
	if perr != nil || math.IsInf(x, 0) || math.IsNaN(x) || !ok(x) {
		return 0, bad()
	}
	return x, nil
}

func (f fields) integer(k, expected string, ok func(int) bool) (int, error) {
	n, bad, err := f.number(k, expected)
	if err != nil {
		return 0, err
	}
	x, perr := strconv.ParseInt(n, 10, 32)
	if perr != nil || !ok(int(x)) {
		return 0, bad()
	}
	return int(x), nil
}

func (f fields) optInt(k, expected string, ok func(int) bool) (*int, error) {
	v, err := f.get(k, expected)
	if err != nil {
		return nil, err
	}
	if isNull(v) {
		return nil, nil
	}
	x, err := f.integer(k, expected, ok)
	if err != nil {
		return nil, err
	}
	return &x, nil
}

func (f fields) str(k, expected string, ok func(string) bool) (string, error) {
	v, err := f.get(k, expected)
	if err != nil {
		return "", err
	}
	var s string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil || !ok(s) {
		return "", &PlanError{Field: f.name(k), Expected: expected, Actual: actual(v)}
	}
	return s, nil
}

func (f fields) optStr(k, expected string) (*string, error) {
	v, err := f.get(k, expected)
	if err != nil {
		return nil, err
	}
	if isNull(v) {
		return nil, nil
	}
	s, err := f.str(k, expected, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	return &s, nil
}

func (f fields) boolean(k string) (bool, error) {
	const expected = "true or false"
	v, err := f.get(k, expected)
	if err != nil {
		return false, err
	}
	switch string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &PlanError{Field: f.name(k), Expected: expected, Actual: actual(v)}
}

func (f fields) stages(k string) ([]Stage, error) {
	const expected = `a non-empty array of {"durationS": number >= 0, "target": number >= 0}`
	v, err := f.get(k, expected)
	if err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &items) != nil || len(items) == 0 {
		return nil, &PlanError{Field: f.name(k), Expected: expected, Actual: actual(v)}
	}
	stages := make([]Stage, len(items))
	var total float64
	for i, item := range items {
		sf := fields{prefix: fmt.Sprintf("%s[%d].", f.name(k), i)}
		item = bytes.TrimSpace(item)
		if len(item) == 0 || item[0] != '{' || json.Unmarshal(item, &sf.raw) != nil {
			return nil, &PlanError{Field: fmt.Sprintf("%s[%d]", f.name(k), i), Expected: `an object {"durationS": number >= 0, "target": number >= 0}`, Actual: actual(item)}
		}
		if err := sf.unknown([]string{"durationS", "target"}); err != nil {
			return nil, err
		}
		if stages[i].DurationS, err = sf.num("durationS", "a number >= 0", func(v float64) bool { return v >= 0 && v <= maxSeconds }); err != nil {
			return nil, err
		}
		if stages[i].Target, err = sf.num("target", "a number >= 0", func(v float64) bool { return v >= 0 }); err != nil {
			return nil, err
		}
		total += stages[i].DurationS
	}
	if total <= 0 || total > maxSeconds {
		return nil, &PlanError{Field: f.name(k), Expected: fmt.Sprintf("stages whose durations add up to more than 0 and at most %d seconds", int64(maxSeconds)), Actual: fmtNum(total)}
	}
	return stages, nil
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// ParseHeaders reads LOADGEN_HEADERS: a JSON object of header name to string
// value. Values may be secrets, so no error message ever quotes one (not
// even a JSON syntax error, which can quote a character of the input).
func ParseHeaders(s string) (http.Header, error) {
	h := http.Header{}
	if strings.TrimSpace(s) == "" {
		return h, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil || raw == nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("LOADGEN_HEADERS: expected a JSON object of header name to string value; invalid JSON at byte %d", se.Offset)
		}
		return nil, errors.New("LOADGEN_HEADERS: expected a JSON object of header name to string value")
	}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		var v string
		if err := json.Unmarshal(raw[k], &v); err != nil {
			return nil, fmt.Errorf("LOADGEN_HEADERS: header %q: expected a string value (value not shown)", k)
		}
		if !validHeaderName(k) {
			return nil, fmt.Errorf("LOADGEN_HEADERS: %q is not a valid header name", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("LOADGEN_HEADERS: header %q: value contains a line break or NUL (value not shown)", k)
		}
		h.Set(k, v)
	}
	return h, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
