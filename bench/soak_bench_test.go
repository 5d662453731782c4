package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/memory"
	"github.com/gosess/gosess/session"
)

// The soak of issue 9: sessions saved at a steady rate into a memory
// region (the demo's setup: dogpile backend, one-hour life window), half
// of them new and half saved again, for a while. An unbounded bigcache
// keeps the bytes of every overwritten entry until they age out of the
// life window, so its memory grows with time; a bounded one levels off.
//
// Metrics:
//
//	rss-mid-MiB, rss-end-MiB  resident memory at half time and at the end
//	rss-end/mid-x             their ratio: about 1 when memory levelled off
//	saves/s                   the save rate achieved
//	evictions                 live entries the driver evicted for space
//	                          (region Stats.Evictions)
//
// GOSESS_BENCH_SOAK sets the duration (default 20s), GOSESS_BENCH_SOAK_RATE
// the target saves per second (default 20000).

const (
	soakEnv     = "GOSESS_BENCH_SOAK"
	soakRateEnv = "GOSESS_BENCH_SOAK_RATE"
)

type soakResult struct {
	rssMid, rssEnd float64 // MiB
	rate           float64
	evictions      uint64
	saves          int
}

// rssMiB reads the resident set size of the process (Linux), or the
// memory the Go runtime obtained from the OS elsewhere.
func rssMiB() float64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				return float64(pages*uint64(os.Getpagesize())) / (1 << 20)
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.Sys) / (1 << 20)
}

func soak(tb testing.TB, maxSizeMB int, d time.Duration, rate int) soakResult {
	tb.Helper()
	ctx := context.Background()
	r := region.New("soak")
	if err := r.Configure(memory.Name, region.Config{Expiration: 30 * time.Minute,
		Arguments: map[string]any{"max_size_mb": maxSizeMB}}); err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	m := dogpileMaker(tb, r)
	const live = 4096 // sessions saved again, as returning users
	cookies := make([]string, 0, live)
	rng := rand.New(rand.NewPCG(1, 2))
	save := func(i int) error {
		var s *session.Session
		var err error
		if len(cookies) < live || i%2 == 0 {
			s, err = m.New(ctx)
		} else {
			s, err = m.Load(ctx, cookies[rng.IntN(len(cookies))])
		}
		if err != nil {
			return err
		}
		vals, _ := sessionData(i)
		for k, v := range vals {
			s.Set(k, v)
		}
		s.Set("counter", i)
		c, err := s.Save(ctx)
		if err != nil {
			return err
		}
		if len(cookies) < live {
			cookies = append(cookies, c.String())
		}
		return nil
	}
	var res soakResult
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	mid := false
	for i := 0; ; i++ {
		el := time.Since(start)
		if el >= d {
			break
		}
		if !mid && el >= d/2 {
			mid = true
			res.rssMid = rssMiB()
		}
		if ahead := time.Duration(i)*interval - el; ahead > time.Millisecond {
			time.Sleep(ahead)
		}
		if err := save(i); err != nil {
			tb.Fatal(err)
		}
		res.saves++
	}
	res.rssEnd = rssMiB()
	res.rate = float64(res.saves) / time.Since(start).Seconds()
	res.evictions = r.Stats().Evictions
	return res
}

func soakSettings(tb testing.TB) (time.Duration, int) {
	d, rate := 20*time.Second, 20_000
	if v := os.Getenv(soakEnv); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			tb.Fatalf("%s=%q: want a positive duration", soakEnv, v)
		}
	}
	if v := os.Getenv(soakRateEnv); v != "" {
		var err error
		if rate, err = strconv.Atoi(v); err != nil || rate <= 0 {
			tb.Fatalf("%s=%q: want a positive number", soakRateEnv, v)
		}
	}
	return d, rate
}

// BenchmarkSessionSoak: RSS under a steady save rate with the memory
// driver bounded at 64 MB, then unbounded (max_size_mb -1) in the same
// process, which starts from the RSS the first left; run it with
// -benchtime=1x.
func BenchmarkSessionSoak(b *testing.B) {
	d, rate := soakSettings(b)
	for _, c := range []struct {
		impl string
		mb   int
	}{{"bounded-64MB", 64}, {"unbounded", -1}} {
		b.Run("impl="+c.impl, func(b *testing.B) {
			var res soakResult
			for b.Loop() {
				res = soak(b, c.mb, d, rate)
			}
			b.ReportMetric(res.rssMid, "rss-mid-MiB")
			b.ReportMetric(res.rssEnd, "rss-end-MiB")
			b.ReportMetric(res.rssEnd/res.rssMid, "rss-end/mid-x")
			b.ReportMetric(res.rate, "saves/s")
			b.ReportMetric(float64(res.evictions), "evictions")
			fmt.Fprintf(os.Stderr, "  soak %s: %d saves, RSS %.0f MiB at half time, %.0f MiB at the end\n", c.impl, res.saves, res.rssMid, res.rssEnd)
		})
	}
}

func TestSessionSoakSetup(t *testing.T) {
	res := soak(t, 16, 500*time.Millisecond, 2000)
	if res.saves < 100 || res.rssEnd <= 0 || res.rssMid <= 0 {
		t.Fatalf("implausible soak: %+v", res)
	}
}
