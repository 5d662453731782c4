package region_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

func TestPrefixStats(t *testing.T) {
	ctx := context.Background()
	if r, _ := newRegion(t, region.Config{}); r.PrefixStats() != nil {
		t.Error("PrefixStats without WithPrefixStats")
	}
	r, _ := newRegion(t, region.Config{Expiration: time.Minute}, region.WithPrefixStats("session:", "session:admin:", "report:"))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(region.Set(ctx, r, "session:a", []byte("s")))
	must(region.Set(ctx, r, "session:admin:b", []byte("s")))
	if _, err := region.Get[[]byte](ctx, r, "session:a", region.IgnoreExpiration()); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[[]byte](ctx, r, "session:gone"); !errors.Is(err, region.ErrNotFound) {
		t.Fatal(err)
	}
	calls := 0
	for range 3 {
		_, err := region.GetOrCreate(ctx, r, "report:daily", func(context.Context) (int, error) { calls++; return 42, nil })
		must(err)
	}
	if _, err := region.GetMulti[int](ctx, r, []string{"report:daily", "report:weekly", "other"}); err != nil {
		t.Fatal(err)
	}
	must(r.Delete(ctx, "session:a"))
	must(region.Set(ctx, r, "other", 1))

	want := []region.PrefixStats{
		{Prefix: "session:", Reads: 2, Found: 1, Writes: 1, Deletes: 1},
		{Prefix: "session:admin:", Writes: 1},
		// GetOrCreate: a miss read, the read again under the lock, the
		// write, then two hits; GetMulti: one found, one not.
		{Prefix: "report:", Reads: 6, Found: 3, Writes: 1},
		{Prefix: "", Reads: 1, Writes: 1},
	}
	got := r.PrefixStats()
	if len(got) != len(want) {
		t.Fatalf("PrefixStats = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%q: got %+v, want %+v", want[i].Prefix, got[i], want[i])
		}
	}
	// The region's own figures are untouched by the counting proxy.
	if st := r.Stats(); st.CreatorRuns != 1 || calls != 1 {
		t.Errorf("creator ran %d times (stats %d)", calls, st.CreatorRuns)
	}
}

// ttlLimitedDriver is a mapDriver with a TTLLimiter capability.
type ttlLimitedDriver struct{ *mapDriver }

func (ttlLimitedDriver) MaxTTL() time.Duration { return time.Hour }

// Capabilities are still found through the counting proxy: a key limiter
// still mangles, a TTL limit is still seen.
func TestPrefixStatsKeepsCapabilities(t *testing.T) {
	r := region.New("caps", region.WithPrefixStats("x:"))
	defer r.Close()
	if err := r.ConfigureDriver(ttlLimitedDriver{newMapDriver()}, region.Config{}); err != nil {
		t.Fatal(err)
	}
	if r.MaxTTL() != time.Hour {
		t.Errorf("MaxTTL through the proxy = %v", r.MaxTTL())
	}
	d := newMapDriver()
	m := region.New("mangled", region.WithPrefixStats("x:"))
	defer m.Close()
	if err := m.ConfigureDriver(limitedDriver{d}, region.Config{}); err != nil {
		t.Fatal(err)
	}
	if err := region.Set(context.Background(), m, "x:a-key-longer-than-16-bytes", 1); err != nil {
		t.Fatal(err)
	}
	for k := range d.items {
		if k != region.MangleKey("x:a-key-longer-than-16-bytes") {
			t.Errorf("key %q reached a KeyLimiter driver unmangled", k)
		}
	}
}

// Compare-and-set reads and writes (the dogpile session backend's loads
// and saves) count like Get and Set, on a driver that has them (memory).
func TestPrefixStatsCompareAndSet(t *testing.T) {
	ctx := context.Background()
	r := region.New("cas", region.WithPrefixStats("session:"))
	if err := r.Configure("memory", region.Config{Expiration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := region.CompareAndSet(ctx, r, "session:a", region.Version{}, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	_, ver, err := region.GetForUpdate[[]byte](ctx, r, "session:a", region.IgnoreExpiration())
	if err != nil {
		t.Fatal(err)
	}
	if err := region.CompareAndSet(ctx, r, "session:a", ver, []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := region.GetForUpdate[[]byte](ctx, r, "session:gone"); !errors.Is(err, region.ErrNotFound) {
		t.Fatal(err)
	}
	if got, want := r.PrefixStats()[0], (region.PrefixStats{Prefix: "session:", Reads: 2, Found: 1, Writes: 2}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
