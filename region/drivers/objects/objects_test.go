package objects

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

func TestMain(m *testing.M) {
	// Every driver built by the tests is closed, so no otter goroutine may
	// outlive them.
	goleak.VerifyTestMain(m)
}

func newDriver(t *testing.T, cfg Config) *Driver {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestDriverConformance(t *testing.T) {
	regiontest.RunDriverWith(t, regiontest.DriverOptions{TTL: 200 * time.Millisecond, TTLSlack: time.Second},
		func(t *testing.T) driver.Driver { return newDriver(t, Config{}) })
}

func TestReach(t *testing.T) {
	if got := newDriver(t, Config{}).Reach(); got != region.ReachProcess {
		t.Fatalf("Reach() = %v; want process", got)
	}
}

func TestValuesAndBytesAreSeparateViews(t *testing.T) {
	ctx := t.Context()
	d := newDriver(t, Config{})
	if err := d.SetValue(ctx, "v", driver.Stored{Value: 7, Created: 42}, 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "b", []byte("bytes"), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := d.GetValue(ctx, "v"); err != nil || got.Value != 7 || got.Created != 42 {
		t.Fatalf("GetValue = %+v, %v", got, err)
	}
	if _, err := d.Get(ctx, "v"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get of a value entry: %v; want ErrNotFound", err)
	}
	if _, err := d.GetValue(ctx, "b"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("GetValue of a byte entry: %v; want ErrNotFound", err)
	}
	m, err := d.GetValues(ctx, []string{"v", "b", "none"})
	if err != nil || len(m) != 1 || m["v"].Value != 7 {
		t.Fatalf("GetValues = %v, %v", m, err)
	}
	mb, err := driver.GetMulti(ctx, d, []string{"v", "b", "none"})
	if err != nil || len(mb) != 1 || string(mb["b"]) != "bytes" {
		t.Fatalf("GetMulti = %v, %v", mb, err)
	}
	// A write through one view replaces the other; Delete removes both.
	if err := d.Set(ctx, "v", []byte("now bytes"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetValue(ctx, "v"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("a value overwritten by bytes: %v", err)
	}
	if err := d.SetValues(ctx, map[string]driver.Stored{"b": {Value: "s"}}, 0); err != nil {
		t.Fatal(err)
	}
	if err := driver.DeleteMulti(ctx, d, []string{"b", "v"}); err != nil {
		t.Fatal(err)
	}
	if d.Len() != 0 {
		// otter's size is estimated; after deletes of every key it is 0.
		t.Fatalf("Len after deleting everything = %d", d.Len())
	}
}

func TestValuesAreShared(t *testing.T) {
	ctx := t.Context()
	d := newDriver(t, Config{})
	m := map[string]int{"a": 1}
	if err := d.SetValue(ctx, "m", driver.Stored{Value: m}, 0); err != nil {
		t.Fatal(err)
	}
	m["a"] = 2 // documented: the cache holds the map itself
	got, err := d.GetValue(ctx, "m")
	if err != nil || got.Value.(map[string]int)["a"] != 2 {
		t.Fatalf("GetValue = %+v, %v; want the shared map", got, err)
	}
	b := []byte("abc")
	if err := d.Set(ctx, "b", b, 0); err != nil {
		t.Fatal(err)
	}
	b[0] = 'X' // the byte methods copy
	if got, err := d.Get(ctx, "b"); err != nil || string(got) != "abc" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func TestValueTTL(t *testing.T) {
	ctx := t.Context()
	d := newDriver(t, Config{})
	if err := d.SetValue(ctx, "short", driver.Stored{Value: 1}, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := d.SetValue(ctx, "forever", driver.Stored{Value: 2}, 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, err := d.GetValue(ctx, "short")
		if errors.Is(err, region.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a value with a 50ms TTL is still there after 2s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := d.GetValue(ctx, "forever"); err != nil {
		t.Fatalf("a value with TTL 0 went: %v", err)
	}
}

func TestBoundedByEntriesAndEvictionsNotified(t *testing.T) {
	ctx := t.Context()
	d := newDriver(t, Config{MaxEntries: 100, Stats: true})
	var evicted atomic.Int64
	d.NotifyEvictions(func(string) { evicted.Add(1) })
	for i := range 1000 {
		if err := d.SetValue(ctx, fmt.Sprint("k", i), driver.Stored{Value: i}, 0); err != nil {
			t.Fatal(err)
		}
	}
	d.cache.CleanUp() // otter's pending maintenance, evictions included, now
	if d.Len() > 100 || evicted.Load() < 900 {
		t.Fatalf("%d entries, %d evictions notified; want at most 100 and at least 900", d.Len(), evicted.Load())
	}
	if s := d.Stats(); s.Evictions < 900 {
		t.Fatalf("otter stats count %d evictions; want at least 900", s.Evictions)
	}
	// Deletes and overwrites are not evictions.
	before := evicted.Load()
	for i := range 1000 {
		_ = d.Delete(ctx, fmt.Sprint("k", i))
	}
	if err := d.SetValue(ctx, "x", driver.Stored{Value: 1}, 0); err != nil {
		t.Fatal(err)
	}
	if err := d.SetValue(ctx, "x", driver.Stored{Value: 2}, 0); err != nil {
		t.Fatal(err)
	}
	if got := evicted.Load(); got != before {
		t.Fatalf("deletes and overwrites notified %d evictions", got-before)
	}
}

func TestBoundedByWeight(t *testing.T) {
	ctx := t.Context()
	d := newDriver(t, Config{MaxWeight: 1000, Weigher: func(_ string, v any) uint32 {
		if b, ok := v.([]byte); ok {
			return uint32(len(b))
		}
		return uint32(len(v.(string)))
	}})
	for i := range 100 {
		if err := d.Set(ctx, fmt.Sprint("b", i), make([]byte, 100), 0); err != nil {
			t.Fatal(err)
		}
		if err := d.SetValue(ctx, fmt.Sprint("s", i), driver.Stored{Value: string(make([]byte, 100))}, 0); err != nil {
			t.Fatal(err)
		}
	}
	d.cache.CleanUp()
	if d.Len() > 10 {
		t.Fatalf("%d entries of weight 100 under a maximum weight of 1000", d.Len())
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{MaxEntries: -2},
		{MaxWeight: 10},
		{Weigher: func(string, any) uint32 { return 1 }},
		{InitialCapacity: -1},
	} {
		if _, err := New(cfg); !errors.Is(err, region.ErrInvalidArgument) {
			t.Errorf("New(%+v) = %v; want ErrInvalidArgument", cfg, err)
		}
	}
	r := region.New("bad")
	err := r.Configure(Name, region.Config{Arguments: map[string]any{"max_entries": "many"}})
	if !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("bad max_entries: %v", err)
	}
	err = r.Configure(Name, region.Config{Arguments: map[string]any{"max_size_mb": 5}})
	if !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("unknown argument: %v", err)
	}
}

func TestUnboundedAndArguments(t *testing.T) {
	r := region.New("args")
	defer r.Close()
	err := r.Configure(Name, region.Config{Arguments: map[string]any{"max_entries": "-1", "initial_capacity": 64, "stats": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	d := r.ActualDriver().(*Driver)
	if c := d.Config(); c.MaxEntries != -1 || c.InitialCapacity != 64 || !c.Stats {
		t.Fatalf("config = %+v", c)
	}
	if d.cache.IsWeighted() || d.cache.GetMaximum() != math.MaxUint64 {
		t.Fatalf("max_entries -1 is bounded: max %d", d.cache.GetMaximum())
	}
	d2 := newDriver(t, Config{})
	if got := d2.cache.GetMaximum(); got != DefaultMaxEntries {
		t.Fatalf("default maximum = %d; want %d", got, DefaultMaxEntries)
	}
}

func TestClose(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.SetValue(ctx, "k", driver.Stored{Value: 1}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	goleak.VerifyNone(t)
	for name, err := range map[string]error{
		"Get":      func() error { _, err := d.Get(ctx, "k"); return err }(),
		"GetValue": func() error { _, err := d.GetValue(ctx, "k"); return err }(),
		"Set":      d.Set(ctx, "k", nil, 0),
		"SetValue": d.SetValue(ctx, "k", driver.Stored{}, 0),
		"Delete":   d.Delete(ctx, "k"),
	} {
		if !errors.Is(err, region.ErrClosed) {
			t.Errorf("%s after Close: %v; want region.ErrClosed", name, err)
		}
	}
}

// TestConcurrentSetGetDelete runs writers, readers and deleters of the same
// keys at once (run it with -race).
func TestConcurrentSetGetDelete(t *testing.T) {
	ctx := t.Context()
	d := newDriver(t, Config{MaxEntries: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := fmt.Sprint("k", i%64)
				switch (g + i) % 4 {
				case 0:
					_ = d.SetValue(ctx, k, driver.Stored{Value: i}, time.Minute)
				case 1:
					if v, err := d.GetValue(ctx, k); err == nil {
						_ = v.Value.(int)
					}
				case 2:
					_ = d.Set(ctx, k, []byte{byte(i)}, 0)
				default:
					_ = d.Delete(ctx, k)
				}
			}
		})
	}
	wg.Wait()
}
