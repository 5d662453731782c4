package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gosess/gosess/internal/testlog"
	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

func TestMain(m *testing.M) {
	// Every driver built by the tests is closed, so no bigcache cleaner
	// goroutine may outlive them.
	goleak.VerifyTestMain(m)
}

// small keeps the tests' allocations modest: 16 shards, small windows.
var small = Config{Shards: 16, MaxEntriesInWindow: 1000, MaxEntrySize: 256}

// newDriver builds a driver with c; the caller closes it.
func newDriver(tb testing.TB, c Config) *Driver {
	tb.Helper()
	d, err := New(c)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func newSmall(t *testing.T) *Driver { return newDriver(t, small) }

func TestDriverConformance(t *testing.T) {
	regiontest.RunDriverWith(t, regiontest.DriverOptions{NoTTL: true},
		func(t *testing.T) driver.Driver { return newSmall(t) })
}

func TestDriverConformanceDefaults(t *testing.T) {
	regiontest.RunDriverWith(t, regiontest.DriverOptions{NoTTL: true},
		func(t *testing.T) driver.Driver { return newDriver(t, Config{}) })
}

// The same suite with a bounded cache and no cleaner.
func TestDriverConformanceBounded(t *testing.T) {
	regiontest.RunDriverWith(t, regiontest.DriverOptions{NoTTL: true},
		func(t *testing.T) driver.Driver {
			d, err := build(t, driver.Info{Expiration: time.Minute},
				map[string]any{"shards": 4, "max_size_mb": 8, "clean_window": 0})
			if err != nil {
				t.Fatal(err)
			}
			return d
		})
}

func build(t *testing.T, info driver.Info, args map[string]any) (*Driver, error) {
	t.Helper()
	d, err := factory(info, driver.NewArguments(Name, args))
	if err != nil {
		if d != nil {
			t.Fatalf("factory returned a driver (%#v) with error %v", d, err)
		}
		return nil, err
	}
	md := d.(*Driver)
	t.Cleanup(func() { _ = md.Close() })
	return md, nil
}

func TestNotALocker(t *testing.T) {
	var d driver.Driver = newSmall(t)
	defer d.(*Driver).Close()
	if _, ok := d.(driver.Locker); ok {
		t.Fatal("the memory driver implements driver.Locker; the region's in-process locks are meant to be used")
	}
}

func TestDefaults(t *testing.T) {
	d, err := build(t, driver.Info{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Shards: defaultShards(DefaultMaxSizeMB()), MaxSizeMB: DefaultMaxSizeMB(),
		MaxEntriesInWindow: 10_000, MaxEntrySize: 500, LifeWindow: 10 * time.Minute, CleanWindow: time.Minute}
	if got := d.Config(); got != want {
		t.Fatalf("defaults = %+v; want %+v", got, want)
	}
	d2, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if got := d2.Config(); got != want {
		t.Fatalf("New(Config{}) config = %+v; want %+v", got, want)
	}
}

func TestLifeWindowFromExpiration(t *testing.T) {
	for _, c := range []struct {
		exp, stale, want time.Duration
	}{
		{0, 0, 10 * time.Minute},
		{5 * time.Minute, 5 * time.Minute, 10 * time.Minute},
		{3 * time.Second, 3 * time.Second, 6 * time.Second},
		{time.Minute, time.Hour, 61 * time.Minute},
		{100 * time.Millisecond, 100 * time.Millisecond, time.Second},
	} {
		d, err := build(t, driver.Info{Expiration: c.exp, StaleWindow: c.stale}, map[string]any{"shards": 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Config().LifeWindow; got != c.want {
			t.Errorf("expiration %s: life window %s; want %s", c.exp, got, c.want)
		}
	}
	d, err := build(t, driver.Info{Expiration: time.Minute}, map[string]any{"shards": 1, "life_window": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Config().LifeWindow; got != time.Hour {
		t.Errorf("explicit life_window 1h gave %s", got)
	}
}

func TestArguments(t *testing.T) {
	d, err := build(t, driver.Info{}, map[string]any{
		"shards": "256", "max_size_mb": 64, "max_entries_in_window": 5000,
		"max_entry_size": "1024", "life_window": 90, "clean_window": "30s", "verbose": "false",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Shards: 256, MaxSizeMB: 64, MaxEntriesInWindow: 5000, MaxEntrySize: 1024,
		LifeWindow: 90 * time.Second, CleanWindow: 30 * time.Second}
	if got := d.Config(); got != want {
		t.Fatalf("config = %+v; want %+v", got, want)
	}
	d, err = build(t, driver.Info{}, map[string]any{"shards": 2, "hard_max_cache_size": 3, "clean_window": 0})
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Config(); c.MaxSizeMB != 3 || c.CleanWindow >= 0 {
		t.Fatalf("hard_max_cache_size 3, clean_window 0 gave %+v; want MaxSizeMB 3 and the cleaner off", c)
	}
}

func TestBadArguments(t *testing.T) {
	for _, c := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"shards": 1000}, []string{"shards", "power of two", "1000"}},
		{map[string]any{"shards": 0}, []string{"shards", "power of two"}},
		{map[string]any{"shards": -4}, []string{"shards", "power of two"}},
		{map[string]any{"shards": 1 << 20}, []string{"shards", "65536"}},
		{map[string]any{"shards": "many"}, []string{"shards", "many"}},
		{map[string]any{"shard": 16}, []string{"shard", "does not take"}},
		{map[string]any{"max_size_mb": -2}, []string{"max_size_mb", "-1 for unbounded"}},
		{map[string]any{"max_size_mb": 1, "hard_max_cache_size": 1}, []string{"max_size_mb", "hard_max_cache_size", "not both"}},
		{map[string]any{"life_window": 0}, []string{"life_window", "> 0"}},
		{map[string]any{"life_window": "soon"}, []string{"life_window", "soon"}},
		{map[string]any{"clean_window": "-1s"}, []string{"clean_window"}},
		{map[string]any{"max_entry_size": -1}, []string{"max_entry_size"}},
		{map[string]any{"max_entries_in_window": -1}, []string{"max_entries_in_window"}},
		{map[string]any{"verbose": "perhaps"}, []string{"verbose", "perhaps"}},
	} {
		_, err := build(t, driver.Info{}, c.args)
		if err == nil {
			t.Errorf("arguments %v: no error", c.args)
			continue
		}
		t.Logf("%v: %v", c.args, err)
		if !errors.Is(err, region.ErrInvalidArgument) {
			t.Errorf("arguments %v: error %v does not match region.ErrInvalidArgument", c.args, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("arguments %v: error %q does not mention %q", c.args, err, w)
			}
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{
		{Shards: 3}, {Shards: -2}, {Shards: 1 << 17}, {MaxSizeMB: -2}, {MaxEntrySize: -1},
		{MaxEntriesInWindow: -1}, {LifeWindow: -time.Second},
	} {
		d, err := New(c)
		if err == nil {
			d.Close()
			t.Errorf("New(%+v): no error", c)
		} else if !errors.Is(err, region.ErrInvalidArgument) {
			t.Errorf("New(%+v): %v does not match region.ErrInvalidArgument", c, err)
		}
	}
}

func TestValueTooLarge(t *testing.T) {
	d := newDriver(t, Config{Shards: 1, MaxSizeMB: 1, MaxEntrySize: 1024})
	defer d.Close()
	ctx := t.Context()
	if err := d.Set(ctx, "k", []byte("old"), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "other", []byte("kept"), 0); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 2<<20)
	err := d.Set(ctx, "k", big, 0)
	if !errors.Is(err, region.ErrValueTooLarge) {
		t.Fatalf("Set of 2 MB into a 1 MB shard: %v; want region.ErrValueTooLarge", err)
	}
	t.Log(err)
	for _, w := range []string{"2097152", "1048576", `"k"`, "max_size_mb"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %s", err, w)
		}
	}
	// The value it was to replace is gone; other values are untouched.
	if _, err := d.Get(ctx, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Errorf("Get after a failed Set: %v; want ErrNotFound", err)
	}
	if v, err := d.Get(ctx, "other"); err != nil || string(v) != "kept" {
		t.Errorf("Get(other) = %q, %v; want kept", v, err)
	}
	if err := driver.SetMulti(ctx, d, map[string][]byte{"m": big}, 0); !errors.Is(err, region.ErrValueTooLarge) {
		t.Errorf("SetMulti of 2 MB: %v; want ErrValueTooLarge", err)
	}
	// Just under the shard size still fits.
	fits := make([]byte, 1<<20-64)
	if err := d.Set(ctx, "k", fits, 0); err != nil {
		t.Fatalf("Set of %d bytes into a 1 MB shard: %v", len(fits), err)
	}
	if v, err := d.Get(ctx, "k"); err != nil || !bytes.Equal(v, fits) {
		t.Fatalf("Get of the near-limit value: %d bytes, %v", len(v), err)
	}
}

func TestKeyTooLong(t *testing.T) {
	d := newSmall(t)
	defer d.Close()
	err := d.Set(t.Context(), strings.Repeat("k", 70_000), []byte("v"), 0)
	if !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("Set with a 70000-byte key: %v; want ErrInvalidArgument", err)
	}
}

func TestEvictionWhenFull(t *testing.T) {
	d := newDriver(t, Config{Shards: 1, MaxSizeMB: 1, MaxEntrySize: 1024, CleanWindow: -1})
	defer d.Close()
	ctx := t.Context()
	v := make([]byte, 10<<10)
	for i := range 300 { // 3 MB through a 1 MB cache
		if err := d.Set(ctx, "k"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)), v, 0); err != nil {
			t.Fatalf("Set #%d: %v", i, err)
		}
	}
	if n := d.Len(); n == 0 || n >= 300 {
		t.Fatalf("Len = %d after 3 MB through 1 MB; want the oldest evicted", n)
	}
}

func TestClose(t *testing.T) {
	d := newDriver(t, Config{Shards: 2, CleanWindow: 10 * time.Millisecond})
	ctx := t.Context()
	if err := d.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t) // the cleaner goroutine stopped
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := d.Get(ctx, "k"); !errors.Is(err, region.ErrClosed) {
		t.Errorf("Get after Close: %v; want region.ErrClosed", err)
	}
	if _, err := driver.GetMulti(ctx, d, []string{"k"}); !errors.Is(err, region.ErrClosed) {
		t.Errorf("GetMulti after Close: %v; want region.ErrClosed", err)
	}
	if err := d.Set(ctx, "k", nil, 0); !errors.Is(err, region.ErrClosed) {
		t.Errorf("Set after Close: %v; want region.ErrClosed", err)
	}
	if err := driver.SetMulti(ctx, d, map[string][]byte{"k": nil}, 0); !errors.Is(err, region.ErrClosed) {
		t.Errorf("SetMulti after Close: %v; want region.ErrClosed", err)
	}
	if err := d.Delete(ctx, "k"); !errors.Is(err, region.ErrClosed) {
		t.Errorf("Delete after Close: %v; want region.ErrClosed", err)
	}
	if err := driver.DeleteMulti(ctx, d, []string{"k"}); !errors.Is(err, region.ErrClosed) {
		t.Errorf("DeleteMulti after Close: %v; want region.ErrClosed", err)
	}
	if d.Len() != 0 || d.BigCache() != nil {
		t.Errorf("Len/BigCache after Close: %d, %v", d.Len(), d.BigCache())
	}
}

// The cleaner removes entries older than the life window (bigcache counts
// whole seconds, so this waits a little over two).
func TestCleanerEvictsAfterLifeWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for bigcache's one-second clock")
	}
	d := newDriver(t, Config{Shards: 1, LifeWindow: time.Second, CleanWindow: 100 * time.Millisecond})
	defer d.Close()
	if err := d.Set(t.Context(), "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 5*time.Second, "the cleaner to evict an entry after its 1s life window", func() bool { return d.Len() == 0 })
	if _, err := d.Get(t.Context(), "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get after eviction: %v", err)
	}
}

func BenchmarkDriverGet(b *testing.B) {
	d := newDriver(b, Config{})
	defer d.Close()
	ctx := b.Context()
	v := bytes.Repeat([]byte("x"), 256)
	if err := d.Set(ctx, "key", v, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Get(ctx, "key"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBigcacheGet(b *testing.B) {
	d := newDriver(b, Config{})
	defer d.Close()
	c := d.BigCache()
	v := bytes.Repeat([]byte("x"), 256)
	if err := c.Set("key", v); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get("key"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRegionConformance(t *testing.T) {
	regiontest.RunRegion(t, Name, map[string]any{"shards": 16, "max_entries_in_window": 1000})
}

func TestRegionConformanceDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the suite with small shards runs in -short")
	}
	regiontest.RunRegion(t, Name, nil)
}

// hourRegion is a region on the memory driver with its default arguments
// and an expiration of one hour, closed when tb ends.
func hourRegion(tb testing.TB) *region.Region {
	tb.Helper()
	r := region.New("hour")
	tb.Cleanup(func() { r.Close() })
	if err := r.Configure(Name, region.Config{Expiration: time.Hour}); err != nil {
		tb.Fatal(err)
	}
	return r
}

// BenchmarkRegionGet reads a 256-byte []byte through a region on the
// memory driver; compare with BenchmarkBigcacheGet.
func BenchmarkRegionGet(b *testing.B) {
	r := hourRegion(b)
	ctx := b.Context()
	if err := region.Set(ctx, r, "key", bytes.Repeat([]byte("x"), 256)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := region.Get[[]byte](ctx, r, "key"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegionGetOrCreate(b *testing.B) {
	r := hourRegion(b)
	ctx := b.Context()
	v := bytes.Repeat([]byte("x"), 256)
	create := func(context.Context) ([]byte, error) { return v, nil }
	if _, err := region.GetOrCreate(ctx, r, "key", create); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := region.GetOrCreate(ctx, r, "key", create); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDefaultSize(t *testing.T) {
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if v, ok := m[name]; ok {
				return []byte(v), nil
			}
			return nil, errors.New("no such file")
		}
	}
	const meminfo = "MemTotal:       24576000 kB\nMemFree:        1000 kB\n"
	for _, c := range []struct {
		name  string
		files map[string]string
		mem   int
	}{
		{"machine memory", map[string]string{"/proc/meminfo": meminfo}, 24000},
		{"cgroup v2 limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "536870912\n"}, 512},
		{"cgroup v2 no limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "max\n"}, 24000},
		{"cgroup v1 limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456"}, 256},
		{"cgroup v1 no limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712"}, 24000},
		{"nothing readable", nil, FallbackMemoryMB},
	} {
		if got := availableMemoryMB(files(c.files)); got != c.mem {
			t.Errorf("%s: %d MB; want %d", c.name, got, c.mem)
		}
	}
	for mem, want := range map[int]int{24000: 1024, 4096: 512, 512: 64, 64: 16, FallbackMemoryMB: 256} {
		if got := defaultSizeFor(mem); got != want {
			t.Errorf("default size for %d MB = %d; want %d", mem, got, want)
		}
	}
	for size, want := range map[int]int{-1: 1024, 1024: 1024, 4096: 1024, 512: 512, 64: 64, 100: 64, 16: 16, 1: 1} {
		if got := defaultShards(size); got != want {
			t.Errorf("default shards for %d MB = %d; want %d", size, got, want)
		}
	}
	// Unbounded on request, and then 1024 shards.
	d, err := build(t, driver.Info{}, map[string]any{"max_size_mb": -1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if c := d.Config(); c.MaxSizeMB != -1 || c.Shards != DefaultShards || d.shardMax != 0 {
		t.Fatalf("max_size_mb -1: %+v", c)
	}
}

// TestEvictionsNotified fills a small bounded cache far past its size:
// live entries removed for space are reported, and overwrites (whose dead
// bytes go first) are not.
func TestEvictionsNotified(t *testing.T) {
	ctx := t.Context()
	d := newDriver(t, Config{Shards: 1, MaxSizeMB: 1, MaxEntrySize: 1024, CleanWindow: -1})
	defer d.Close()
	var evicted atomic.Int64
	d.NotifyEvictions(func(string) { evicted.Add(1) })
	v := make([]byte, 1000)
	// One key overwritten many times: its old copies fill the shard but
	// are dead, so nothing live is evicted.
	for range 5000 {
		if err := d.Set(ctx, "same", v, 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := evicted.Load(); n != 0 {
		t.Fatalf("overwrites of one key reported %d evictions", n)
	}
	for i := range 5000 {
		if err := d.Set(ctx, fmt.Sprint("k", i), v, 0); err != nil {
			t.Fatal(err)
		}
	}
	// About 1000 entries fit in 1 MB: the rest of the 5000 went for space.
	if n := evicted.Load(); n < 3000 || n > 4999 {
		t.Fatalf("%d evictions reported; want about 4000", n)
	}
	d.NotifyEvictions(nil)
	for i := range 2000 {
		_ = d.Set(ctx, fmt.Sprint("again", i), v, 0)
	}
}

// TestRegionCountsAndLogsEvictions: a region on a bounded memory driver
// counts the live values evicted for space in Stats and logs them.
func TestRegionCountsAndLogsEvictions(t *testing.T) {
	var logged testlog.Buffer
	r := region.New("evict", region.WithLogger(logged.Logger(slog.LevelInfo)))
	defer r.Close()
	err := r.Configure(Name, region.Config{Expiration: time.Hour,
		Arguments: map[string]any{"shards": 1, "max_size_mb": 1, "clean_window": 0}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	v := make([]byte, 1000)
	for i := range 3000 {
		if err := region.Set(ctx, r, fmt.Sprint("k", i), v); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.Stats().Evictions; n < 1000 {
		t.Fatalf("Stats().Evictions = %d; want about 2000", n)
	}
	testwait.Until(t, 5*time.Second, "a log line about evictions", func() bool {
		return strings.Contains(logged.String(), "evicts values for space")
	})
}

// TestFreshnessGranularity: on the memory driver's hit path a value is
// never judged expired before its expiration, and is judged expired
// within region.ClockGranularity after it. Reads spin past the
// expiration of values set with a 20 ms expiration; trials where the
// coarse clock's goroutine was scheduled late (a loaded machine, the race
// detector) are counted and must stay a minority.
func TestFreshnessGranularity(t *testing.T) {
	ctx := t.Context()
	r := region.New("granularity")
	defer r.Close()
	if err := r.Configure(Name, region.Config{Expiration: time.Hour, Arguments: map[string]any{"shards": 16}}); err != nil {
		t.Fatal(err)
	}
	const exp, trials = 20 * time.Millisecond, 20
	late, worst := 0, time.Duration(0)
	for i := range trials {
		k := fmt.Sprint("k", i)
		before := time.Now()
		if err := region.Set(ctx, r, k, []byte("v"), region.WithExpiration(exp)); err != nil {
			t.Fatal(err)
		}
		after := time.Now()
		var lastFresh time.Time // when the last read that found the value fresh began
		for {
			t0 := time.Now()
			_, err := region.Get[[]byte](ctx, r, k, region.WithExpiration(exp))
			if errors.Is(err, region.ErrNotFound) {
				if early := before.Add(exp).Sub(time.Now()); early > 0 {
					t.Fatalf("trial %d: judged expired %v before its expiration", i, early)
				}
				// The value was still served fresh this long after it
				// had expired.
				lateBy := lastFresh.Sub(after.Add(exp))
				worst = max(worst, lateBy)
				if lateBy > region.ClockGranularity {
					late++
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			lastFresh = t0
			if time.Since(before) > exp+time.Second {
				t.Fatalf("trial %d: still fresh a second after its expiration", i)
			}
			runtime.Gosched()
		}
	}
	t.Logf("%d trials: %d judged expired later than %v after expiration; worst %v", trials, late, region.ClockGranularity, worst)
	if late > trials/4 {
		t.Fatalf("%d of %d values were judged expired later than %v after their expiration (worst %v)", late, trials, region.ClockGranularity, worst)
	}
}

// max_entries bounds the cache by the bytes of that many entries of
// max_entry_size: the region then evicts rather than grows.
func TestMaxEntries(t *testing.T) {
	d, err := build(t, driver.Info{}, map[string]any{"max_entries": 100_000})
	if err != nil {
		t.Fatal(err)
	}
	// 100,000 entries of 500 bytes plus bigcache's 23 bytes each: 50 MB.
	if c := d.Config(); c.MaxSizeMB != 50 || c.MaxEntriesInWindow != 100_000 {
		t.Fatalf("max_entries 100000 gave %+v; want MaxSizeMB 50 and MaxEntriesInWindow 100000", c)
	}
	d, err = build(t, driver.Info{}, map[string]any{"max_entries": 10, "max_entry_size": 100, "max_entries_in_window": 7})
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Config(); c.MaxSizeMB != 1 || c.MaxEntriesInWindow != 7 {
		t.Fatalf("max_entries 10 of 100 bytes gave %+v; want the 1 MB minimum, window as given", c)
	}
	d, err = build(t, driver.Info{}, map[string]any{"max_entries": -1})
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Config(); c.MaxSizeMB != -1 {
		t.Fatalf("max_entries -1 gave %+v; want unbounded", c)
	}
	for _, args := range []map[string]any{
		{"max_entries": 0},
		{"max_entries": -2},
		{"max_entries": 10, "max_size_mb": 64},
		{"max_entries": 10, "hard_max_cache_size": 64},
	} {
		if _, err := build(t, driver.Info{}, args); !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "max_entries") {
			t.Errorf("%v: %v; want ErrInvalidArgument naming max_entries", args, err)
		}
	}
}
