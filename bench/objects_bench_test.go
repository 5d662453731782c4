package bench

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/objects"
)

// The objects driver of issue 9 against otter v2 used directly: the
// region's overhead (freshness, invalidation, the dogpile lock, stats) on
// a store that keeps Go values.

// objectsRegion returns a region on the objects driver (expiration one
// hour, room for the benchmarks' keys), closed when tb ends.
func objectsRegion(tb testing.TB) *region.Region {
	tb.Helper()
	r := region.New("bench-objects")
	if err := r.Configure(objects.Name, region.Config{Expiration: time.Hour,
		Arguments: map[string]any{"max_entries": 100_000}}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// newOtter returns an otter cache shaped as the objects driver's: bounded
// by count, expiry per write.
func newOtter[V any](tb testing.TB) *otter.Cache[string, V] {
	tb.Helper()
	c := otter.Must(&otter.Options[string, V]{
		MaximumSize:      100_000,
		ExpiryCalculator: otter.ExpiryWriting[string, V](2 * time.Hour),
	})
	tb.Cleanup(func() { c.StopAllGoroutines() })
	return c
}

// filledObjects returns a region on the objects driver holding
// sampleUser(i) under keys[i].
func filledObjects(tb testing.TB, keys []string) *region.Region {
	tb.Helper()
	r := objectsRegion(tb)
	for i, k := range keys {
		if err := region.Set(context.Background(), r, k, sampleUser(i)); err != nil {
			tb.Fatal(err)
		}
	}
	return r
}

// filledOtter returns an otter cache holding sampleUser(i) under keys[i].
func filledOtter(tb testing.TB, keys []string) *otter.Cache[string, User] {
	tb.Helper()
	c := newOtter[User](tb)
	for i, k := range keys {
		c.Set(k, sampleUser(i))
	}
	return c
}

func checkUser(u User, i int) error {
	if u.ID != int64(i%keyCount) {
		return fmt.Errorf("got user %d, want %d", u.ID, i%keyCount)
	}
	return nil
}

func objectsGetCases() []opCase {
	keys := benchKeys("obj")
	ctx := context.Background()
	return []opCase{
		{"objects", func(tb testing.TB) func(int) error {
			r := filledObjects(tb, keys)
			return func(i int) error {
				u, err := region.Get[User](ctx, r, keys[i%keyCount])
				if err != nil {
					return err
				}
				return checkUser(u, i)
			}
		}},
		{"otter", func(tb testing.TB) func(int) error {
			c := filledOtter(tb, keys)
			return func(i int) error {
				u, ok := c.GetIfPresent(keys[i%keyCount])
				if !ok {
					return fmt.Errorf("otter miss")
				}
				return checkUser(u, i)
			}
		}},
	}
}

// BenchmarkObjectsGet: region.Get[User] on the objects driver against
// otter's GetIfPresent (goal: at most 1.5x).
func BenchmarkObjectsGet(b *testing.B) { runCases(b, objectsGetCases()) }

func objectsGetOrCreateCases() []opCase { return loaderCases("objl", "objects", filledObjects) }

// BenchmarkObjectsGetOrCreateHit: region.GetOrCreate[User] hit on the
// objects driver against otter's Get with a loader (goal: at most 1.5x).
func BenchmarkObjectsGetOrCreateHit(b *testing.B) { runCases(b, objectsGetOrCreateCases()) }

// entriesEnv names the environment variable that sets the entry count of
// BenchmarkObjectsMemory.
const entriesEnv = "GOSESS_BENCH_ENTRIES"

func entryCount(tb testing.TB) int { return envCount(tb, entriesEnv, 1_000_000) }

// heapAfterGC is the live heap after a full collection.
func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// measureEntries fills a cache with n User values through set and
// returns the live heap growth per entry. keys are built before the
// baseline, so only what the cache keeps (its copy of the key string
// header, the value, its own structures) is counted.
func measureEntries(tb testing.TB, n int, build func(tb testing.TB) (set func(k string, u User) error, keep any)) float64 {
	tb.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("user:%08d", i)
	}
	base := heapAfterGC()
	set, keep := build(tb)
	for i, k := range keys {
		if err := set(k, sampleUser(i)); err != nil {
			tb.Fatal(err)
		}
	}
	grown := heapAfterGC()
	runtime.KeepAlive(keep)
	runtime.KeepAlive(keys)
	return float64(int64(grown)-int64(base)) / float64(n)
}

type entryImpl struct {
	impl  string
	build func(tb testing.TB, n int) (func(string, User) error, any)
}

func entryImpls() []entryImpl {
	ctx := context.Background()
	return []entryImpl{
		{"objects", func(tb testing.TB, n int) (func(string, User) error, any) {
			r := region.New("bench-memory")
			if err := r.Configure(objects.Name, region.Config{Expiration: time.Hour,
				Arguments: map[string]any{"max_entries": n}}); err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { _ = r.Close() })
			return func(k string, u User) error { return region.Set(ctx, r, k, u) }, r
		}},
		{"otter", func(tb testing.TB, n int) (func(string, User) error, any) {
			c := otter.Must(&otter.Options[string, User]{MaximumSize: n,
				ExpiryCalculator: otter.ExpiryWriting[string, User](2 * time.Hour)})
			tb.Cleanup(func() { c.StopAllGoroutines() })
			return func(k string, u User) error { c.Set(k, u); return nil }, c
		}},
	}
}

// BenchmarkObjectsMemory: live heap per entry for 1M User entries
// (GOSESS_BENCH_ENTRIES sets the count) in a region on the objects driver
// and in otter holding User values; run it with -benchtime=1x.
func BenchmarkObjectsMemory(b *testing.B) {
	n := entryCount(b)
	for _, im := range entryImpls() {
		b.Run("impl="+im.impl, func(b *testing.B) {
			var per float64
			for b.Loop() {
				per = measureEntries(b, n, func(tb testing.TB) (func(string, User) error, any) { return im.build(tb, n) })
			}
			b.ReportMetric(per, "heap-bytes/entry")
		})
	}
}

func TestObjectsSetups(t *testing.T) {
	checkGroups(t, map[string][]opCase{
		"ObjectsGet": objectsGetCases(), "ObjectsGetOrCreateHit": objectsGetOrCreateCases(),
	})
	for _, im := range entryImpls() {
		t.Run("memory/"+im.impl, func(t *testing.T) {
			per := measureEntries(t, 20_000, func(tb testing.TB) (func(string, User) error, any) { return im.build(tb, 20_000) })
			if per < 50 || per > 5000 {
				t.Fatalf("%s: %.0f heap bytes per entry, implausible", im.impl, per)
			}
		})
	}
}
