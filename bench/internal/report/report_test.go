package report

import (
	"bytes"
	"encoding/xml"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sample is benchmark output as `go test -bench` prints it, with the
// shapes the bench package produces: impl= sub-benchmarks, custom
// metrics, a benchmark without sub-benchmarks, and noise lines.
const sample = `goos: linux
goarch: amd64
pkg: github.com/gosess/gosess/bench
cpu: Test CPU @ 2.00GHz
BenchmarkGetHit/impl=region-2         	 1000000	       220.0 ns/op	     184 B/op	       3 allocs/op
BenchmarkGetHit/impl=region-2         	 1000000	       240.0 ns/op	     184 B/op	       3 allocs/op
BenchmarkGetHit/impl=region-2         	 1000000	       230.0 ns/op	     184 B/op	       3 allocs/op
BenchmarkGetHit/impl=bigcache-2       	 2000000	       200.0 ns/op	     160 B/op	       2 allocs/op
BenchmarkGetHit/impl=bigcache-2       	 2000000	       200.0 ns/op	     160 B/op	       2 allocs/op
BenchmarkGetHit/impl=bigcache-2       	 2000000	       200.0 ns/op	     160 B/op	       2 allocs/op
BenchmarkStaleStampede/impl=region-2        	       3	 202235357 ns/op	         1.000 creator-calls/op	      1604 p99-wait-ns
BenchmarkStaleStampede/impl=singleflight-2  	       3	 202277521 ns/op	         1.000 creator-calls/op	 201269816 p99-wait-ns
  sessions: 100000 / 200000
BenchmarkSessionMemory-2   	       1	6274006919 ns/op	         1.506 heap/stored-x	  29360128 gc-pause-p99-ns
PASS
ok  	github.com/gosess/gosess/bench	6.312s
`

var sampleComparisons = []Comparison{
	{Issue: "2", Title: "Get hit", Bench: "GetHit", Ours: "region", Anchor: "bigcache", Unit: "ns/op", Goal: Goal{RatioAtMost, 1.2}},
	{Issue: "2", Title: "stale <p99> & co", Bench: "StaleStampede", Ours: "region", Anchor: "singleflight", Unit: "p99-wait-ns", Goal: Goal{RatioBelow, 0.01}},
	{Issue: "2", Title: "stampede time", Bench: "StaleStampede", Ours: "region", Anchor: "singleflight", Unit: "ns/op"},
	{Issue: "5", Title: "memory", Bench: "SessionMemory", Unit: "heap/stored-x", Goal: Goal{ValueAtMost, 1.5}},
	{Issue: "5", Title: "gc", Bench: "SessionMemory", Unit: "gc-pause-p99-ns", Goal: Goal{ValueBelow, 5e6}},
	{Issue: "3", Title: "absent", Bench: "Nothing", Ours: "region", Anchor: "other", Unit: "ns/op", Goal: Goal{RatioAtMost, 1}},
}

func TestParseAndEvaluate(t *testing.T) {
	res, err := Parse(strings.NewReader(sample), "sample")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Config["cpu"]; got != "Test CPU @ 2.00GHz" {
		t.Errorf("cpu config = %q", got)
	}
	s, ok := res.Stat(Key{"GetHit", "region", "ns/op"})
	if !ok || s.Median != 230 || s.N != 3 {
		t.Errorf("GetHit region = %+v, %v; want median 230 of 3", s, ok)
	}
	if _, ok := res.Stat(Key{"GetHit", "region", "allocs/op"}); !ok {
		t.Error("allocs/op not read")
	}
	rows := Evaluate(res, sampleComparisons)
	want := []struct {
		ratio   float64
		verdict string
	}{
		{1.15, "pass"}, {1604.0 / 201269816, "pass"}, {202235357.0 / 202277521, "report"},
		{math.NaN(), "FAIL"}, {math.NaN(), "FAIL"}, {math.NaN(), "missing"},
	}
	for i, w := range want {
		r := rows[i]
		if r.Verdict != w.verdict {
			t.Errorf("row %d (%s): verdict %q, want %q", i, r.Title, r.Verdict, w.verdict)
		}
		if math.IsNaN(w.ratio) != math.IsNaN(r.Ratio) || !math.IsNaN(w.ratio) && math.Abs(r.Ratio-w.ratio) > 1e-9 {
			t.Errorf("row %d (%s): ratio %v, want %v", i, r.Title, r.Ratio, w.ratio)
		}
	}
}

func TestNoisy(t *testing.T) {
	tight := Stat{Median: 100, Lo: 95, Hi: 104, N: 8}
	wide := Stat{Median: 100, Lo: 60, Hi: 130, N: 8}
	unbounded := Stat{Median: 100, Lo: math.Inf(-1), Hi: math.Inf(1), N: 4}
	single := Stat{Median: 100, Lo: math.Inf(-1), Hi: math.Inf(1), N: 1}
	for _, tc := range []struct {
		ours, anchor Stat
		want         bool
	}{{tight, tight, false}, {tight, wide, true}, {unbounded, tight, true}, {single, Stat{}, false}} {
		r := Row{Ours: tc.ours, HasOurs: true, Anchor: tc.anchor, HasAnchor: tc.anchor.N > 0}
		if got := r.Noisy(); got != tc.want {
			t.Errorf("Noisy(%+v, %+v) = %v, want %v", tc.ours, tc.anchor, got, tc.want)
		}
	}
}

func TestMalformedAndFailures(t *testing.T) {
	raw := "BenchmarkX-2 100 abc ns/op\n" +
		"BenchmarkY/impl=a-2 \t--- FAIL: BenchmarkY/impl=a\n" +
		"    cases_test.go:25: a: boom\n" +
		"--- FAIL: BenchmarkY/impl=a-2\n" +
		"    cases_test.go:25: a: boom\n" +
		"BenchmarkY/impl=a-2 100 5 ns/op\n"
	res, err := Parse(strings.NewReader(raw), "bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Malformed) != 2 {
		t.Errorf("Malformed = %q, want 2 lines", res.Malformed)
	}
	if s, ok := res.Stat(Key{"Y", "a", "ns/op"}); !ok || s.Median != 5 {
		t.Errorf("the good line after the failure was not read: %+v", s)
	}
	got := Failures([]byte(raw))
	want := []string{"--- FAIL: BenchmarkY/impl=a", "cases_test.go:25: a: boom", "--- FAIL: BenchmarkY/impl=a-2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Failures = %q, want %q", got, want)
	}
}

func TestRender(t *testing.T) {
	res, err := Parse(strings.NewReader(sample), "sample")
	if err != nil {
		t.Fatal(err)
	}
	rows := Evaluate(res, sampleComparisons)
	m := Machine{CPU: "Test CPU", Cores: 2, GoVersion: "go1.26.8", Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		LoadStart: "0.1, 0.2, 0.3", LoadEnd: "1.0, 0.5, 0.3", Command: "go run ./cmd/report"}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, m, rows, res, []string{"--- FAIL: BenchmarkZ"}, "benchstat table"); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, want := range []string{
		"Test CPU, 2 logical cores", "go1.26.8", "2026-01-02 03:04 UTC", "0.1, 0.2, 0.3 at start",
		"| 1 | #2 | Get hit", "230 ns", "200 ns (bigcache)", "1.15x", "≤ 1.2x", "✅ pass",
		"< 0.01x", "❌ **FAIL**", "< 5 ms", "29.4 ms", "⚠️ not measured",
		"**Goals: 2 of 5 met, 2 missed, 1 rows not measured.**", "benchstat table", "report.svg", "--- FAIL: BenchmarkZ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("REPORT.md lacks %q:\n%s", want, out)
		}
	}

	var svg bytes.Buffer
	if err := WriteSVG(&svg, rows); err != nil {
		t.Fatal(err)
	}
	// Well-formed XML, one bar per row with a ratio, labels escaped.
	dec := xml.NewDecoder(bytes.NewReader(svg.Bytes()))
	rects := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg.String())
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	if rects != 1+3 { // background + three ratio rows
		t.Errorf("SVG has %d rects, want 4", rects)
	}
	if !strings.Contains(svg.String(), "stale &lt;p99&gt; &amp; co") {
		t.Error("SVG label not escaped")
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		unit string
		want string
	}{
		{465.4, "ns/op", "465 ns"}, {13476995, "ns/op", "13.5 ms"}, {2.5e9, "ns/op", "2.5 s"},
		{1604, "p99-wait-ns", "1.6 µs"}, {1, "creator-calls/op", "1.00"}, {1.506, "heap/stored-x", "1.51x"},
		{184, "B/op", "184"}, {math.NaN(), "ns/op", "—"},
	} {
		if got := FormatValue(tc.v, tc.unit); got != tc.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
	if got := FormatRatio(8.1e-6); got != "8.1e-06x" {
		t.Errorf("FormatRatio = %q", got)
	}
}

func TestPlanCoversComparisons(t *testing.T) {
	steps := Plan(DefaultPlanOptions)
	for _, c := range Comparisons {
		n := 0
		for _, s := range steps {
			if regexp.MustCompile(s.Bench).MatchString("Benchmark" + c.Bench) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("comparison %q: benchmark %s is in %d steps of the plan, want 1", c.Title, c.Bench, n)
		}
	}
}

func TestMachineHeaderRoundTrip(t *testing.T) {
	m := Machine{CPU: "Test CPU @ 2GHz", Cores: 2, Memory: "1.0 GiB", Kernel: "6.1", GoVersion: "go1.26.8 linux/amd64",
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), LoadStart: "0.10, 0.20, 0.30", LoadEnd: "1.00, 0.50, 0.25",
		Duration: 200 * time.Second, Command: "cd bench && go run ./cmd/report"}
	res, err := Parse(strings.NewReader(MachineHeader(m)+sample), "with-header")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Stat(Key{"GetHit", "region", "ns/op"}); !ok {
		t.Fatal("results after the header not read")
	}
	got := MachineFromHeader(Machine{Command: "other"}, res.Config)
	if got != m {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
	}
}
