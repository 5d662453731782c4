package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Key names one series of measurements: a benchmark (without
// "Benchmark"), its impl= sub-benchmark ("" when it has none) and a unit
// as the benchmark printed it.
type Key struct {
	Bench, Impl, Unit string
}

// Results are the measurements read from benchmark output.
type Results struct {
	values map[Key][]float64
	// Config holds the header lines of the output (goos, cpu, pkg...).
	Config map[string]string
	// Malformed lists the result lines that could not be read (a failing
	// benchmark's message printed on its result line), with positions.
	Malformed []string
}

// Parse reads `go test -bench` output (any number of runs concatenated).
// Lines that are not benchmark results are ignored; malformed result lines
// are listed in Malformed. Only a read error fails.
func Parse(r io.Reader, name string) (*Results, error) {
	res := &Results{values: map[Key][]float64{}, Config: map[string]string{}}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			res.Malformed = append(res.Malformed, rec.Error())
		case *benchfmt.Result:
			for _, c := range rec.Config {
				if c.File {
					res.Config[c.Key] = string(c.Value)
				}
			}
			bench, impl := splitName(rec.Name)
			for _, v := range rec.Values {
				unit, val := v.OrigUnit, v.OrigValue
				if unit == "" {
					unit, val = v.Unit, v.Value
				}
				k := Key{bench, impl, unit}
				res.values[k] = append(res.values[k], val)
			}
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return res, nil
}

// splitName turns "BenchmarkGetHit/impl=region-2" into ("GetHit",
// "region").
func splitName(n benchfmt.Name) (bench, impl string) {
	base, parts := n.Parts()
	bench = string(bytes.TrimPrefix(base, []byte("Benchmark")))
	for _, p := range parts {
		if v, ok := bytes.CutPrefix(p, []byte("/impl=")); ok {
			impl = string(v)
		}
	}
	return bench, impl
}

// Len returns the number of series.
func (r *Results) Len() int { return len(r.values) }

// Keys returns the series in a stable order.
func (r *Results) Keys() []Key {
	keys := make([]Key, 0, len(r.values))
	for k := range r.values {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Bench != b.Bench {
			return a.Bench < b.Bench
		}
		if a.Impl != b.Impl {
			return a.Impl < b.Impl
		}
		return a.Unit < b.Unit
	})
	return keys
}

// Stat is the summary of one series: benchstat's median with its 95%
// confidence interval, and the number of measurements.
type Stat struct {
	Median, Lo, Hi float64
	N              int
}

// Stat summarises the series k; ok is false when there is none.
func (r *Results) Stat(k Key) (Stat, bool) {
	vals := r.values[k]
	if len(vals) == 0 {
		return Stat{}, false
	}
	s := benchmath.NewSample(append([]float64(nil), vals...), &benchmath.DefaultThresholds)
	sum := benchmath.AssumeNothing.Summary(s, 0.95)
	return Stat{Median: sum.Center, Lo: sum.Lo, Hi: sum.Hi, N: len(vals)}, true
}

// Spread is the half-width of the confidence interval relative to the
// median, as benchstat prints it ("±3%"); NaN when it is unbounded (too
// few measurements).
func (s Stat) Spread() float64 {
	if s.Median == 0 || math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) {
		return math.NaN()
	}
	return math.Max(s.Hi/s.Median-1, 1-s.Lo/s.Median)
}

// Row is a comparison evaluated on results.
type Row struct {
	Comparison
	Ours, Anchor       Stat
	HasOurs, HasAnchor bool
	// Ratio is Ours.Median / Anchor.Median (NaN without an anchor).
	Ratio float64
	// Verdict is "pass", "FAIL", "report" (no goal) or "missing".
	Verdict string
}

// NoisySpread is the confidence half-width (relative) beyond which a row
// is marked noisy.
const NoisySpread = 0.2

// Noisy reports whether either side's confidence interval is wider than
// ±NoisySpread (an unbounded interval, from too few runs, counts).
func (r Row) Noisy() bool {
	for _, side := range []struct {
		s  Stat
		ok bool
	}{{r.Ours, r.HasOurs}, {r.Anchor, r.HasAnchor}} {
		if !side.ok || side.s.N < 2 {
			continue // a single measurement (the memory run) has no interval
		}
		if sp := side.s.Spread(); math.IsNaN(sp) || sp > NoisySpread {
			return true
		}
	}
	return false
}

// Evaluate computes every comparison on res.
func Evaluate(res *Results, cmps []Comparison) []Row {
	rows := make([]Row, 0, len(cmps))
	for _, c := range cmps {
		row := Row{Comparison: c, Ratio: math.NaN()}
		row.Ours, row.HasOurs = res.Stat(Key{c.Bench, c.Ours, c.Unit})
		if c.Anchor != "" {
			row.Anchor, row.HasAnchor = res.Stat(Key{c.Bench, c.Anchor, c.Unit})
			if row.HasOurs && row.HasAnchor && row.Anchor.Median != 0 {
				row.Ratio = row.Ours.Median / row.Anchor.Median
			}
		}
		row.Verdict = verdict(row)
		rows = append(rows, row)
	}
	return rows
}

func verdict(r Row) string {
	if !r.HasOurs || (r.Comparison.Anchor != "" && !r.HasAnchor) {
		return "missing"
	}
	var ok bool
	switch r.Goal.Kind {
	case ReportOnly:
		return "report"
	case RatioAtMost:
		ok = r.Ratio <= r.Goal.Value
	case RatioBelow:
		ok = r.Ratio < r.Goal.Value
	case ValueAtMost:
		ok = r.Ours.Median <= r.Goal.Value
	case ValueBelow:
		ok = r.Ours.Median < r.Goal.Value
	}
	if ok {
		return "pass"
	}
	return "FAIL"
}

// Failures returns the failure reports in benchmark output: each
// "--- FAIL" line and the indented message lines after it, without
// repeats.
func Failures(raw []byte) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	inFail := false
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.Contains(line, "--- FAIL:"):
			inFail = true
			add(strings.TrimSpace(line[strings.Index(line, "--- FAIL:"):]))
		case inFail && strings.HasPrefix(line, "    "):
			add(strings.TrimSpace(line))
		default:
			inFail = false
		}
	}
	return out
}
