package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/memory"
	"github.com/gosess/gosess/region/regiontest"
)

// Memory per session and GC pauses (issue 5): N sessions are created
// through a maker with the dogpile backend on a memory region, each
// holding a typical small session (a user name, a CSRF token, a short
// cart, a counter), and saved. The live heap is measured after a full GC
// before and after. Then a steady-state phase serves loads and saves of
// random sessions for a fixed time, and the GC pauses of the whole run are
// read from runtime/metrics.
//
// Metrics:
//
//	heap-bytes/session    live heap growth per session
//	stored-bytes/session  key + value bytes the region handed to the
//	                      driver per session (the session's payload as
//	                      stored: record, envelope, id)
//	data-bytes/session    the session id plus the values' own bytes
//	heap/stored-x         heap-bytes / stored-bytes (goal: at most 1.5)
//	gc-pause-p99-ns       99th percentile of GC stop-the-world pauses
//	                      (goal: under 5 ms)
//	gc-pause-max-ns       the longest (upper bound of its histogram bucket)
//	gc-pauses             stop-the-world pauses of the GC during the run
//	gc-cycles             GC cycles during the run
//	insert-ns/session     time to create, fill and save one session
//
// GOSESS_BENCH_SESSIONS sets N (default 1,000,000).

// sessionsEnv names the environment variable that sets the session count.
const sessionsEnv = "GOSESS_BENCH_SESSIONS"

// memoryResult is what one run measured.
type memoryResult struct {
	sessions               int
	heapPer, storedPer     float64
	dataPer                float64
	pauseP99, pauseMax     time.Duration
	pauses                 uint64
	gcCycles               uint64
	insertTime, steadyTime time.Duration
	steadyOps              int
}

// sessionData returns the values of session i; their bytes are counted as
// the session's data.
func sessionData(i int) (map[string]string, int) {
	d := map[string]string{
		"user": fmt.Sprintf("user-%07d@example.com", i),
		"csrf": strings.Repeat("c", 43),
		"cart": fmt.Sprintf("sku-%07d:2,sku-%07d:1,sku-%07d:5", i, i+1, i+2),
	}
	n := 8 // the counter, an int
	for k, v := range d {
		n += len(k) + len(v)
	}
	return d, n
}

func measureSessionMemory(tb testing.TB, n int, steady time.Duration, progress func(done int)) memoryResult {
	tb.Helper()
	ctx := context.Background()
	// The baseline is taken before the region exists, so that what the
	// driver allocates up front counts too.
	pausesBefore := gcPauses()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap0, gc0 := ms.HeapAlloc, ms.NumGC

	// The key and value bytes of every write the driver receives.
	var written atomic.Int64
	r := region.New("sessions")
	err := r.Configure(memory.Name, region.Config{
		Expiration: time.Hour,
		Wrap: []region.Proxy{regiontest.WatchWrites(func(key string, value []byte, _ time.Duration) {
			written.Add(int64(len(key) + len(value)))
		})},
	})
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	m := dogpileMaker(tb, r)

	// Keep the cookies of a sample of sessions for the steady phase; the
	// slice is allocated before the measure starts.
	const sample = 1024
	cookies := make([]string, 0, sample)
	data := 0
	start := time.Now()
	for i := range n {
		s, err := m.New(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		vals, size := sessionData(i)
		data += size + len(s.ID())
		for k, v := range vals {
			s.Set(k, v)
		}
		s.Set("counter", i)
		c, err := s.Save(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		if i%(max(n/sample, 1)) == 0 && len(cookies) < sample {
			cookies = append(cookies, c.String())
		}
		if progress != nil && (i+1)%100_000 == 0 {
			progress(i + 1)
		}
	}
	insertTime := time.Since(start)
	stored := written.Load()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap1 := ms.HeapAlloc

	// Steady state: load, modify and save sessions while the heap holds
	// all of them, so that GC cycles run over the full heap.
	ops := 0
	start = time.Now()
	for time.Since(start) < steady || ops < 10 {
		s, err := m.Load(ctx, cookies[ops%len(cookies)])
		if err != nil {
			tb.Fatal(err)
		}
		s.Set("counter", ops)
		if _, err := s.Save(ctx); err != nil {
			tb.Fatal(err)
		}
		ops++
	}
	steadyTime := time.Since(start)
	runtime.ReadMemStats(&ms)
	pauses := gcPauses().since(pausesBefore)
	runtime.KeepAlive(m)
	runtime.KeepAlive(r)
	return memoryResult{
		sessions:   n,
		heapPer:    float64(int64(heap1)-int64(heap0)) / float64(n),
		storedPer:  float64(stored) / float64(n),
		dataPer:    float64(data) / float64(n),
		pauseP99:   pauses.quantile(0.99),
		pauseMax:   pauses.quantile(1),
		pauses:     pauses.total(),
		gcCycles:   uint64(ms.NumGC - gc0),
		insertTime: insertTime, steadyTime: steadyTime, steadyOps: ops,
	}
}

// pauseHist is a snapshot of the runtime's GC pause histogram.
type pauseHist struct {
	counts  []uint64
	buckets []float64
}

// pauseMetric is the runtime/metrics name of the stop-the-world pause
// histogram of the GC.
const pauseMetric = "/sched/pauses/total/gc:seconds"

func gcPauses() pauseHist {
	s := []metrics.Sample{{Name: pauseMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return pauseHist{}
	}
	h := s[0].Value.Float64Histogram()
	return pauseHist{counts: append([]uint64(nil), h.Counts...), buckets: h.Buckets}
}

// since returns the pauses recorded after before.
func (h pauseHist) since(before pauseHist) pauseHist {
	out := pauseHist{counts: append([]uint64(nil), h.counts...), buckets: h.buckets}
	for i := range out.counts {
		if i < len(before.counts) {
			out.counts[i] -= before.counts[i]
		}
	}
	return out
}

// total is the number of pauses.
func (h pauseHist) total() uint64 {
	var n uint64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// quantile returns the upper bound of the bucket holding quantile q (an
// over- rather than an under-estimate).
func (h pauseHist) quantile(q float64) time.Duration {
	total := h.total()
	if total == 0 {
		return 0
	}
	want := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= want {
			hi := h.buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = h.buckets[i]
			}
			return time.Duration(hi * float64(time.Second))
		}
	}
	return 0
}

func sessionCount(tb testing.TB) int { return envCount(tb, sessionsEnv, 1_000_000) }

// envCount reads a positive count from the environment variable name,
// def when it is not set.
func envCount(tb testing.TB, name string, def int) int {
	n := def
	if v := os.Getenv(name); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			tb.Fatalf("%s=%q: want a positive number", name, v)
		}
	}
	return n
}

// BenchmarkSessionMemory measures memory per session and GC pauses; run it
// with -benchtime=1x (each iteration repeats the whole measure).
func BenchmarkSessionMemory(b *testing.B) {
	n := sessionCount(b)
	var res memoryResult
	for b.Loop() {
		res = measureSessionMemory(b, n, 3*time.Second, func(done int) {
			fmt.Fprintf(os.Stderr, "\r  sessions: %d / %d", done, n)
		})
		fmt.Fprintln(os.Stderr)
	}
	b.ReportMetric(float64(res.sessions), "sessions")
	b.ReportMetric(res.heapPer, "heap-bytes/session")
	b.ReportMetric(res.storedPer, "stored-bytes/session")
	b.ReportMetric(res.dataPer, "data-bytes/session")
	b.ReportMetric(res.heapPer/res.storedPer, "heap/stored-x")
	b.ReportMetric(float64(res.pauseP99), "gc-pause-p99-ns")
	b.ReportMetric(float64(res.pauseMax), "gc-pause-max-ns")
	b.ReportMetric(float64(res.pauses), "gc-pauses")
	b.ReportMetric(float64(res.gcCycles), "gc-cycles")
	b.ReportMetric(float64(res.insertTime)/float64(res.sessions), "insert-ns/session")
}

func TestSessionMemorySetup(t *testing.T) {
	res := measureSessionMemory(t, 2000, 0, nil)
	if res.storedPer <= res.dataPer/2 || res.heapPer <= 0 {
		t.Fatalf("implausible measure: %+v", res)
	}
	if res.steadyOps < 10 {
		t.Fatalf("steady phase ran %d operations", res.steadyOps)
	}
}

func TestPauseQuantile(t *testing.T) {
	h := pauseHist{counts: []uint64{0, 98, 1, 1}, buckets: []float64{0, 0.001, 0.002, 0.004, math.Inf(1)}}
	// Bucket i holds pauses in [buckets[i], buckets[i+1]).
	if got := h.quantile(0.5); got != 2*time.Millisecond {
		t.Errorf("p50 = %v, want 2ms (upper bound of the median's bucket)", got)
	}
	if got := h.quantile(0.99); got != 4*time.Millisecond {
		t.Errorf("p99 = %v, want 4ms", got)
	}
	if got := h.quantile(1); got != 4*time.Millisecond {
		t.Errorf("p100 = %v, want 4ms (lower bound of the open last bucket)", got)
	}
	if got := (pauseHist{}).quantile(0.99); got != 0 {
		t.Errorf("empty p99 = %v", got)
	}
}
