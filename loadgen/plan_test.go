package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const examplePlan = `{
  "name": "uor-average",
  "method": "GET",
  "url": "http://127.0.0.1:8080/api/unitops/unitops/?flowsheetOwner=42",
  "body": null,
  "startRate": 0,
  "timeUnitS": 1,
  "stages": [ {"durationS": 30, "target": 15}, {"durationS": 540, "target": 15}, {"durationS": 30, "target": 0} ],
  "gracefulStopS": 30,
  "preAllocatedVUs": 20,
  "maxVUs": 300,
  "abortWhenVUsExceed": 100,
  "insecureSkipTLSVerify": true,
  "noConnectionReuse": true,
  "discardResponseBodies": true,
  "maxRedirects": 0,
  "requestTimeoutS": 60,
  "sampleIntervalS": 1
}`

func TestParseExample(t *testing.T) {
	p, err := ParsePlan(strings.NewReader(examplePlan))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "uor-average" || p.Method != "GET" || p.Body != nil || len(p.Stages) != 3 ||
		p.Stages[1] != (Stage{540, 15}) || p.MaxVUs != 300 || p.AbortWhenVUsExceed == nil ||
		*p.AbortWhenVUsExceed != 100 || !p.NoConnectionReuse || p.RequestTimeoutS != 60 || p.PlannedDurationS() != 600 {
		t.Fatalf("parsed %+v", p)
	}
}

// withField returns the example plan with one field replaced (raw JSON) or
// removed (raw == "").
func withField(t *testing.T, field, raw string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(examplePlan), &m); err != nil {
		t.Fatal(err)
	}
	if raw == "" {
		delete(m, field)
	} else {
		m[field] = json.RawMessage(raw)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseValid(t *testing.T) {
	for _, c := range []struct{ field, raw string }{
		{"body", `"{\"a\":1}"`},
		{"abortWhenVUsExceed", `null`},
		{"method", `"POST"`},
		{"url", `"https://example.invalid:8443/x"`},
		{"startRate", `2.5`},
		{"preAllocatedVUs", `0`},
		{"stages", `[{"durationS": 0, "target": 5}, {"durationS": 1.5, "target": 5}]`},
	} {
		if _, err := ParsePlan(strings.NewReader(withField(t, c.field, c.raw))); err != nil {
			t.Errorf("%s=%s: %v", c.field, c.raw, err)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, c := range []struct {
		field, raw string
		want       []string // substrings of the message
	}{
		{"bogus", `1`, []string{`unknown field "bogus"`}},
		{"maxVUs", "", []string{`"maxVUs"`, "missing"}},
		{"name", `""`, []string{`"name"`, "non-empty string", `got ""`}},
		{"method", `"get"`, []string{`"method"`, "one of GET", `got "get"`}},
		{"url", `"ftp://host/x"`, []string{`"url"`, "http://", `got "ftp://host/x"`}},
		{"url", `"/relative"`, []string{`"url"`}},
		{"body", `{}`, []string{`"body"`, "a string or null", "got {}"}},
		{"startRate", `-1`, []string{`"startRate"`, ">= 0", "got -1"}},
		{"startRate", `"5"`, []string{`"startRate"`, `got "5"`}},
		{"timeUnitS", `0`, []string{`"timeUnitS"`, "> 0", "got 0"}},
		{"stages", `[]`, []string{`"stages"`, "non-empty array", "got []"}},
		{"stages", `[{"durationS": -1, "target": 5}]`, []string{`"stages[0].durationS"`, ">= 0", "got -1"}},
		{"stages", `[{"durationS": 1, "target": 5}, {"durationS": 1, "target": -5}]`, []string{`"stages[1].target"`, "got -5"}},
		{"stages", `[{"durationS": 1, "target": 5, "x": 1}]`, []string{`unknown field "stages[0].x"`}},
		{"stages", `[{"durationS": 1}]`, []string{`"stages[0].target"`, "missing"}},
		{"stages", `[{"durationS": 0, "target": 5}]`, []string{`"stages"`, "more than 0", "got 0"}},
		{"stages", `[5]`, []string{`"stages[0]"`, "an object", "got 5"}},
		{"preAllocatedVUs", `1.5`, []string{`"preAllocatedVUs"`, "integer", "got 1.5"}},
		{"maxVUs", `10`, []string{`"maxVUs"`, "preAllocatedVUs (20)", "got 10"}},
		{"abortWhenVUsExceed", `-3`, []string{`"abortWhenVUsExceed"`, "or null", "got -3"}},
		{"insecureSkipTLSVerify", `1`, []string{`"insecureSkipTLSVerify"`, "true or false", "got 1"}},
		{"noConnectionReuse", `"true"`, []string{`"noConnectionReuse"`, `got "true"`}},
		{"maxRedirects", `-1`, []string{`"maxRedirects"`, "got -1"}},
		{"requestTimeoutS", `0`, []string{`"requestTimeoutS"`, "> 0", "got 0"}},
		{"sampleIntervalS", `0.001`, []string{`"sampleIntervalS"`, ">= 0.01", "got 0.001"}},
		{"gracefulStopS", `null`, []string{`"gracefulStopS"`, "got null"}},
	} {
		_, err := ParsePlan(strings.NewReader(withField(t, c.field, c.raw)))
		var pe *PlanError
		if !errors.As(err, &pe) {
			t.Errorf("%s=%s: got %v, want a PlanError", c.field, c.raw, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s=%s: %q does not mention %q", c.field, c.raw, err, w)
			}
		}
	}
	for _, doc := range []string{``, `[]`, `null`, `{"name": `, examplePlan + ` {}`} {
		if _, err := ParsePlan(strings.NewReader(doc)); err == nil {
			t.Errorf("%q: accepted", doc)
		}
	}
}

func TestParseHeaders(t *testing.T) {
	h, err := ParseHeaders(`{"cookie": "sessionid=s3cr3t", "X-Trace": "1"}`)
	if err != nil || h.Get("Cookie") != "sessionid=s3cr3t" || h.Get("X-Trace") != "1" {
		t.Fatalf("%v %v", h, err)
	}
	if h, err := ParseHeaders(""); err != nil || len(h) != 0 {
		t.Fatalf("%v %v", h, err)
	}
	// Errors never quote a value.
	for _, s := range []string{`{"Cookie": 5}`, `{"Cookie": "s3cr3t\n"}`, `{"Cookie": "s3cr3t"`, `s3cr3t`, `["s3cr3t"]`, `{"Bad Name": "s3cr3t"}`} {
		_, err := ParseHeaders(s)
		if err == nil {
			t.Errorf("%q accepted", s)
			continue
		}
		if bytes.Contains([]byte(err.Error()), []byte("s3cr3t")) || strings.Contains(err.Error(), "'s'") {
			t.Errorf("%q: error quotes the value: %v", s, err)
		}
	}
}
