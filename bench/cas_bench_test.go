package bench

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/file"
	_ "github.com/gosess/gosess/region/drivers/memory"
)

// Compare-and-set and the distributed lock in round trips (issue 8). The
// round-trip benchmarks run through the counting proxy of
// roundtrip_bench_test.go (testserver.Proxy), so their ns/op includes the
// proxy's own hop: read round-trips/op there, and ns/op in
// BenchmarkCompareAndSet, which reaches the servers directly.

// casOp is one read-modify-write of a counter: GetForUpdate, then
// CompareAndSet of the next value (a single writer: never a conflict).
func casOp(r *region.Region, key string) func(int) error {
	ctx := context.Background()
	return func(int) error {
		n, ver, err := region.GetForUpdate[int](ctx, r, key)
		if err != nil && !errors.Is(err, region.ErrNotFound) {
			return err
		}
		return region.CompareAndSet(ctx, r, key, ver, n+1)
	}
}

// lockCycleOp is one acquire and release of the region's mutex for key.
func lockCycleOp(r *region.Region, key string) func(int) error {
	ctx := context.Background()
	return func(int) error {
		m := r.Mutex(key)
		ok, err := m.TryLock(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("lock %q not free", key)
		}
		return m.Unlock(ctx)
	}
}

// countTrips runs op n times on a region behind proxy and returns the
// round trips per operation, after one warm-up operation (a new
// connection's handshake, a script not yet loaded).
func countTrips(proxyTrips func() int64, reset func(), op func(int) error, n int) (float64, error) {
	if err := op(0); err != nil {
		return 0, err
	}
	reset()
	for i := range n {
		if err := op(i + 1); err != nil {
			return 0, err
		}
	}
	return float64(proxyTrips()) / float64(n), nil
}

// benchTrips runs op in the benchmark loop on a region behind proxy,
// after one warm-up operation, and reports the round trips per operation.
func benchTrips(b *testing.B, proxy interface {
	RoundTrips() int64
	Reset()
}, op func(int) error) {
	if err := op(0); err != nil {
		b.Fatal(err)
	}
	proxy.Reset()
	n := 0
	for b.Loop() {
		if err := op(n); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(proxy.RoundTrips())/float64(n), "round-trips/op")
}

// BenchmarkCASRoundTrips: network round trips of GetForUpdate +
// CompareAndSet per driver (report rows: round-trips/op), with
// compare-and-set by the server (default arguments) and, for the locked
// modes, checked under the distributed lock with the compare-and-set
// hidden (the read, then lock, get, set, unlock).
func BenchmarkCASRoundTrips(b *testing.B) {
	for _, mode := range tripModes {
		b.Run("impl="+mode.String(), func(b *testing.B) {
			r, proxy := tripRegion(b, mode)
			benchTrips(b, proxy, casOp(r, "cas-trips"))
		})
	}
}

// BenchmarkLockRoundTrips: network round trips of one acquire and release
// of the distributed lock (the region's mutex for a key), per driver
// (report rows: round-trips/op). Before issue 8 the memcached cycle was
// five round trips (add, refused by the "released" item the previous
// release left; gets; cas; then gets and cas to release).
func BenchmarkLockRoundTrips(b *testing.B) {
	for _, driver := range []string{"memcached", "redis"} {
		b.Run("impl="+driver, func(b *testing.B) {
			r, proxy := tripRegion(b, tripMode{driver, true})
			benchTrips(b, proxy, lockCycleOp(r, "lock-trips"))
		})
	}
}

// casTimeCases: GetForUpdate + CompareAndSet timed per driver, straight
// to the servers: memcached and redis with default arguments and with the
// lock instead of compare-and-set, the file driver (a flock and a file
// write, fsync off) and the memory driver.
func casTimeCases() []opCase {
	net := func(mode tripMode) opCase {
		return opCase{mode.String(), func(tb testing.TB) func(int) error {
			cfg := region.Config{Expiration: time.Hour, Arguments: map[string]any{}}
			switch mode.driver {
			case "memcached":
				cfg.Arguments["url"] = needServer(tb, "memcached")
			default:
				cfg.Arguments["url"] = "redis://" + needServer(tb, "redis-server")
			}
			if mode.locked {
				cfg.Arguments["distributed_lock"] = true
				cfg.Wrap = []region.Proxy{hideCAS}
			}
			return casOp(benchRegion(tb, mode.driver, cfg), "cas-time-"+mode.String())
		}}
	}
	cases := make([]opCase, 0, len(tripModes)+2)
	for _, m := range tripModes {
		cases = append(cases, net(m))
	}
	cases = append(cases,
		opCase{"file", func(tb testing.TB) func(int) error {
			cfg := region.Config{Expiration: time.Hour, Arguments: map[string]any{"dir": tb.TempDir(), "sync": false, "cleanup_interval": 0}}
			return casOp(benchRegion(tb, "file", cfg), "cas-time")
		}},
		opCase{"memory", func(tb testing.TB) func(int) error {
			return casOp(benchRegion(tb, "memory", region.Config{Expiration: time.Hour}), "cas-time")
		}})
	return cases
}

func benchRegion(tb testing.TB, driver string, cfg region.Config) *region.Region {
	tb.Helper()
	r := region.New("cas-bench")
	if err := r.Configure(driver, cfg); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// BenchmarkCompareAndSet: the time of one GetForUpdate + CompareAndSet per
// driver (report rows: compare-and-set by the server vs the lock).
func BenchmarkCompareAndSet(b *testing.B) { runCases(b, casTimeCases()) }

// TestCASRoundTrips is the quick check of the round-trip benchmarks, and
// states their figures: compare-and-set is two round trips (the read and
// the conditional write) on memcached and redis, five when checked under
// the lock; a lock cycle is two on both.
func TestCASRoundTrips(t *testing.T) {
	for _, mode := range tripModes {
		t.Run("CAS/"+mode.String(), func(t *testing.T) {
			r, proxy := tripRegion(t, mode)
			got, err := countTrips(proxy.RoundTrips, proxy.Reset, casOp(r, "cas-check"), 10)
			if err != nil {
				t.Fatal(err)
			}
			want := 2.0
			if mode.locked {
				want = 5 // get; then lock, get, set, unlock
			}
			if got != want {
				t.Errorf("GetForUpdate + CompareAndSet: %.1f round trips; want %v", got, want)
			}
		})
	}
	for _, driver := range []string{"memcached", "redis"} {
		t.Run("LockCycle/"+driver, func(t *testing.T) {
			r, proxy := tripRegion(t, tripMode{driver, true})
			got, err := countTrips(proxy.RoundTrips, proxy.Reset, lockCycleOp(r, "lock-check"), 10)
			if err != nil {
				t.Fatal(err)
			}
			if got != 2 {
				t.Errorf("lock acquire + release: %.1f round trips; want 2", got)
			}
		})
	}
	checkCases(t, casTimeCases())
}
