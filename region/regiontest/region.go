package regiontest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// RegionOptions describes the driver under RunRegionWith. The zero value
// expects a driver that stores values, configured separately per region.
type RegionOptions struct {
	// NullStore: the driver stores nothing (the null driver). Every read
	// misses and every GetOrCreate runs its creator; the tests that need
	// a stored value check that instead, or are skipped.
	NullStore bool

	// SharedStore: regions configured separately with the same arguments
	// see the same data (memcached, redis, a file directory). The
	// shared-invalidation test then configures its second region the
	// same way; otherwise the second region is handed the first one's
	// driver, as two parts of one program would share it.
	SharedStore bool

	// ValueStore: the driver holds Go values (driver.ValueDriver, the
	// objects driver). Values need no codec, so a value JSON cannot
	// encode is stored rather than refused, and the checks that look at
	// what the driver holds use GetValue.
	ValueStore bool

	// Expiration is the short expiration of the expiry tests; they sleep
	// a little longer than it. Default 500ms.
	Expiration time.Duration

	// Goroutines is the number of goroutines of the threaded tests.
	// Default 20.
	Goroutines int
}

func (o RegionOptions) withDefaults() RegionOptions {
	if o.Expiration <= 0 {
		o.Expiration = 500 * time.Millisecond
	}
	if o.Goroutines <= 0 {
		o.Goroutines = 20
	}
	return o
}

// RunRegion runs the region conformance suite on the named driver (its
// package must be imported) configured with args, expecting a driver that
// stores values. See RunRegionWith.
func RunRegion(t *testing.T, driver string, args map[string]any) {
	t.Helper()
	RunRegionWith(t, RegionOptions{}, driver, args)
}

// RunRegionWith runs dogpile.cache's generic backend tests and its region
// tests through a region.Region configured with the named driver and args:
// get, set, delete and their multi versions with empty and missing keys,
// GetOrCreate and GetOrCreateMulti (the creator runs once per key under
// concurrency, an error is not cached, a panic releases the lock), expiry
// and its per-call overrides, hard and soft invalidation (in-process and
// shared through the driver), the async creation runner, the should-cache
// predicate, value metadata, configuration (also from a flat string map)
// and its errors (twice, replace, unknown driver, unknown argument,
// unconfigured), key mangling, proxies and memoization; and, beyond
// dogpile, compare-and-set (GetForUpdate, CompareAndSet, and Update from
// many goroutines losing no increment) and that app keys equal to a key's
// lock key (the region's "~gs:lock:" key, the redis driver's former
// "_lock:" key, dogpile.cache's "_lock" key) never block GetOrCreate.
//
// Each subtest configures its own regions, with a region name and keys of
// its own, and closes them when it ends; args is never modified.
func RunRegionWith(t *testing.T, opts RegionOptions, driver string, args map[string]any) {
	t.Helper()
	opts = opts.withDefaults()
	run := func(name string, f func(t *testing.T, h *regionHarness)) {
		t.Run(name, func(t *testing.T) {
			p := uniquePrefix(name)
			f(t, &regionHarness{t: t, opts: opts, driver: driver, args: args, prefix: p, name: strings.TrimSuffix(p, "_")})
		})
	}

	// dogpile's generic backend tests, through a region.
	run("GetNothing", testRegionGetNothing)
	run("SetGet", testRegionSetGet)
	run("ValueTypes", testRegionValueTypes)
	run("Delete", testRegionDelete)
	run("SetMultiGet", testRegionSetMultiGet)
	run("GetMultiEmpty", testRegionGetMultiEmpty)
	run("GetMultiMissing", testRegionGetMultiMissing)
	run("DeleteMulti", testRegionDeleteMulti)
	run("Creator", testRegionCreator)
	run("MultiCreator", testRegionMultiCreator)
	run("MultiShouldCacheNone", testRegionMultiShouldCacheNone)
	run("ThreadedDogpileCold", testThreadedDogpileCold)
	run("ThreadedDogpileExpiring", testThreadedDogpileExpiring)
	run("ThreadedMulti", testThreadedMulti)
	run("ExplodingCreator", testExplodingCreator)
	run("ExplodingMultiCreator", testExplodingMultiCreator)
	run("PanickingCreator", testPanickingCreator)
	run("WaiterHonoursContext", testWaiterContext)
	run("ReentrantDogpile", testReentrantDogpile)
	run("Memoize", testMemoize)
	run("ArgumentsUnmodified", testArgumentsUnmodified)

	// dogpile's region tests.
	run("ConfigureFromConfig", testConfigureFromConfig)
	run("ConfigureTwice", testConfigureTwice)
	run("ReplaceExisting", testReplaceExisting)
	run("UnknownDriver", testUnknownDriver)
	run("UnknownArgument", testUnknownArgument)
	run("Unconfigured", testUnconfigured)
	run("Closed", testClosed)
	run("BadInput", testBadInput)
	run("Expire", testExpire)
	run("ExpireMulti", testExpireMulti)
	run("ExpireOnGet", testExpireOnGet)
	run("IgnoreExpirationOnGet", testIgnoreExpireOnGet)
	run("OverrideExpirationOnGet", testOverrideExpireOnGet)
	run("ExpirationOverride", testExpirationOverride)
	run("HardInvalidateGet", testHardInvalidateGet)
	run("HardInvalidateGetOrCreate", invalidateGetOrCreate(region.Hard))
	run("HardInvalidateGetOrCreateMulti", testHardInvalidateGetOrCreateMulti)
	run("SoftInvalidateGet", testSoftInvalidateGet)
	run("SoftInvalidateGetOrCreate", invalidateGetOrCreate(region.Soft))
	run("SoftInvalidateGetOrCreateMulti", testSoftInvalidateGetOrCreateMulti)
	run("SoftInvalidateNeedsExpiration", testSoftNeedsExpiration)
	run("AsyncCreationRunner", testAsyncRunner)
	run("ShouldCache", testShouldCache)
	run("ShouldCacheMulti", testShouldCacheMulti)
	run("Metadata", testMetadata)
	run("UndecodableIsMiss", testUndecodable)
	run("KeyMangler", testKeyMangler)
	run("Proxy", testProxy)
	run("SharedInvalidation", testSharedInvalidation)

	// compare-and-set and the reserved key namespace.
	run("CompareAndSet", testRegionCompareAndSet)
	run("UpdateThreaded", testRegionUpdateThreaded)
	run("LockKeysUnreachable", testLockKeysUnreachable)
}

type regionHarness struct {
	t      *testing.T
	opts   RegionOptions
	driver string
	args   map[string]any
	prefix string
	name   string
}

// key returns a key of this subtest; keys contain a space so that drivers
// with key limits see their mangler at work.
func (h *regionHarness) key(name string) string { return h.prefix + "some key " + name }

func (h *regionHarness) keys(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = h.key(n)
	}
	return out
}

// cfg is a region.Config with the driver's arguments.
func (h *regionHarness) cfg(exp time.Duration) region.Config {
	return region.Config{Expiration: exp, Arguments: h.args}
}

// region returns a region of this subtest configured with cfg (Arguments
// filled in when nil); it is closed when the subtest ends.
func (h *regionHarness) region(cfg region.Config, opts ...region.Option) *region.Region {
	h.t.Helper()
	if cfg.Arguments == nil {
		cfg.Arguments = h.args
	}
	r := region.New(h.name, opts...)
	if err := r.Configure(h.driver, cfg); err != nil {
		h.t.Fatalf("Configure(%q, %+v): %v", h.driver, cfg, err)
	}
	h.t.Cleanup(func() {
		if err := r.Close(); err != nil {
			h.t.Errorf("region Close: %v", err)
		}
	})
	return r
}

// short is the suite's short expiration with a long stale window, so
// stale values stay in drivers with TTLs while the tests look at them.
func (h *regionHarness) short() region.Config {
	c := h.cfg(h.opts.Expiration)
	c.StaleWindow = time.Minute
	return c
}

// pastExpiration sleeps until a value written now is expired.
func (h *regionHarness) pastExpiration() {
	time.Sleep(h.opts.Expiration + h.opts.Expiration/2 + 50*time.Millisecond)
}

func (h *regionHarness) skipNull(why string) {
	h.t.Helper()
	if h.opts.NullStore {
		h.t.Skip("driver stores nothing: " + why)
	}
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	t.Cleanup(cancel)
	return ctx
}

func mustSet[T any](t *testing.T, r *region.Region, key string, v T, opts ...region.CallOption) {
	t.Helper()
	if err := region.Set(t.Context(), r, key, v, opts...); err != nil {
		t.Fatalf("Set(%q, %v): %v", key, v, err)
	}
}

// wantGet checks that Get returns want (a miss for a NullStore driver).
func wantGet[T any](h *regionHarness, r *region.Region, key string, want T, opts ...region.CallOption) {
	h.t.Helper()
	if h.opts.NullStore {
		wantMissR[T](h.t, r, key, opts...)
		return
	}
	got, err := region.Get[T](h.t.Context(), r, key, opts...)
	if err != nil {
		h.t.Fatalf("Get(%q): %v; want %v", key, err, want)
	}
	if !reflect.DeepEqual(got, want) {
		h.t.Fatalf("Get(%q) = %#v; want %#v", key, got, want)
	}
}

// wantMissR checks that Get misses with ErrNotFound and the zero value.
func wantMissR[T any](t *testing.T, r *region.Region, key string, opts ...region.CallOption) {
	t.Helper()
	got, err := region.Get[T](t.Context(), r, key, opts...)
	if !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get(%q) = %#v, %v; want region.ErrNotFound", key, got, err)
	}
	var zero T
	if !reflect.DeepEqual(got, zero) {
		t.Fatalf("Get(%q) returned %#v with ErrNotFound; want the zero value", key, got)
	}
}

func wantMulti[T any](h *regionHarness, r *region.Region, keys []string, want map[string]T, opts ...region.CallOption) {
	h.t.Helper()
	got, err := region.GetMulti[T](h.t.Context(), r, keys, opts...)
	if err != nil {
		h.t.Fatalf("GetMulti(%q): %v", keys, err)
	}
	if got == nil {
		h.t.Fatalf("GetMulti(%q) returned a nil map", keys)
	}
	if h.opts.NullStore {
		want = map[string]T{}
	}
	if !reflect.DeepEqual(got, want) {
		h.t.Fatalf("GetMulti(%q) = %v; want %v", keys, got, want)
	}
}

// counter is a creator that returns "<prefix> <n>" for its nth call.
type counter struct {
	prefix string
	n      atomic.Int32
}

func (c *counter) create(context.Context) (string, error) {
	return fmt.Sprintf("%s %d", c.prefix, c.n.Add(1)), nil
}

// createMulti returns "<prefix> <key> <n>" per key, n counting keys made.
func (c *counter) createMulti(_ context.Context, keys []string) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = fmt.Sprintf("%s %s %d", c.prefix, k, c.n.Add(1))
	}
	return out, nil
}

// --- generic backend tests -------------------------------------------

func testRegionGetNothing(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	wantMissR[string](t, r, h.key("a"))
	wantMissR[string](t, r, h.key("a"), region.WithExpiration(10*time.Second))
	if err := r.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r, h.key("a"))
	wantMissR[[]byte](t, r, h.key("a"))
	wantMissR[map[string]int](t, r, h.key("a"))
}

func testRegionSetGet(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k := h.key("a")
	mustSet(t, r, k, "some value")
	wantGet(h, r, k, "some value")
	mustSet(t, r, k, "another value")
	wantGet(h, r, k, "another value")
}

// roundTrip sets v under the key name and reads it back as a T.
func roundTrip[T any](h *regionHarness, r *region.Region, name string, v T) {
	h.t.Helper()
	mustSet(h.t, r, h.key(name), v)
	wantGet(h, r, h.key(name), v)
}

type sample struct {
	Name  string
	N     int
	Tags  []string
	Attrs map[string]float64
	When  time.Time
}

func testRegionValueTypes(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	s := sample{Name: "zoë", N: -7, Tags: []string{"a", "b"}, Attrs: map[string]float64{"x": 1.5},
		When: time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)}
	roundTrip(h, r, "bytes", bin)
	roundTrip(h, r, "empty bytes", []byte{})
	roundTrip(h, r, "string", "héllo\x00wörld")
	roundTrip(h, r, "empty string", "")
	roundTrip(h, r, "int", 42)
	roundTrip(h, r, "struct", s)
	roundTrip(h, r, "pointer", &s)
	wantGet(h, r, h.key("bytes"), bin) // not overwritten by the others
	if err := region.SetMulti(t.Context(), r, map[string]sample{h.key("m1"): s, h.key("m2"): {Name: "two"}}); err != nil {
		t.Fatal(err)
	}
	wantMulti(h, r, h.keys("m1", "m2", "m3"), map[string]sample{h.key("m1"): s, h.key("m2"): {Name: "two"}})
}

func testRegionDelete(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k, other := h.key("a"), h.key("b")
	mustSet(t, r, k, "some value")
	mustSet(t, r, other, "other value")
	for range 2 { // deleting twice is not an error
		if err := r.Delete(t.Context(), k); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	wantMissR[string](t, r, k)
	wantGet(h, r, other, "other value")
}

func testRegionSetMultiGet(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	values := map[string]string{h.key("1"): "value1", h.key("2"): "value2", h.key("3"): "value3"}
	if err := region.SetMulti(t.Context(), r, values); err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		wantGet(h, r, k, v)
	}
	wantMulti(h, r, slices.Collect(maps.Keys(values)), values)
}

func testRegionGetMultiEmpty(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	ctx := t.Context()
	for _, keys := range [][]string{nil, {}} {
		wantMulti(h, r, keys, map[string]string{})
		if err := region.SetMulti(ctx, r, map[string]string{}); err != nil {
			t.Fatalf("SetMulti of nothing: %v", err)
		}
		if err := r.DeleteMulti(ctx, keys); err != nil {
			t.Fatalf("DeleteMulti of nothing: %v", err)
		}
		calls := 0
		m, err := region.GetOrCreateMulti(ctx, r, keys, func(context.Context, []string) (map[string]int, error) {
			calls++
			return nil, nil
		})
		if err != nil || len(m) != 0 || m == nil {
			t.Fatalf("GetOrCreateMulti of no keys = %v, %v; want an empty map", m, err)
		}
		if calls != 0 {
			t.Fatalf("GetOrCreateMulti of no keys called its creator")
		}
	}
}

func testRegionGetMultiMissing(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	all := h.keys("1", "2", "3", "4", "5", "6")
	if err := r.DeleteMulti(t.Context(), all[:5]); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{all[0]: "value1", all[2]: "value3", all[4]: "value5"}
	if err := region.SetMulti(t.Context(), r, values); err != nil {
		t.Fatal(err)
	}
	wantMulti(h, r, all, values)
	// Duplicates are read once; order does not matter.
	wantMulti(h, r, []string{all[4], all[1], all[4], all[0]}, map[string]string{all[0]: "value1", all[4]: "value5"})
}

func testRegionDeleteMulti(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k1, k2, k3, k10 := h.key("1"), h.key("2"), h.key("3"), h.key("10")
	if err := region.SetMulti(t.Context(), r, map[string]string{k1: "value1", k2: "value2", k3: "value3"}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteMulti(t.Context(), []string{k2, k10}); err != nil {
		t.Fatal(err)
	}
	wantGet(h, r, k1, "value1")
	wantMissR[string](t, r, k2)
	wantGet(h, r, k3, "value3")
	wantMissR[string](t, r, k10)
}

func testRegionCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	c := &counter{prefix: "some value"}
	k := h.key("a")
	for i := range 3 {
		got, err := region.GetOrCreate(t.Context(), r, k, c.create)
		if err != nil {
			t.Fatal(err)
		}
		want := "some value 1"
		if h.opts.NullStore {
			want = fmt.Sprintf("some value %d", i+1)
		}
		if got != want {
			t.Fatalf("GetOrCreate #%d = %q; want %q", i+1, got, want)
		}
	}
	wantGet(h, r, k, "some value 1")
	// A value stored by Set is what GetOrCreate returns.
	mustSet(t, r, h.key("b"), "set value")
	got, err := region.GetOrCreate(t.Context(), r, h.key("b"), c.create)
	if err != nil {
		t.Fatal(err)
	}
	if !h.opts.NullStore && got != "set value" {
		t.Fatalf("GetOrCreate over a Set value = %q; want %q", got, "set value")
	}
}

func testRegionMultiCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	ctx := t.Context()
	var asked [][]string
	var mu sync.Mutex
	creator := func(_ context.Context, keys []string) (map[string]string, error) {
		mu.Lock()
		asked = append(asked, slices.Sorted(slices.Values(keys)))
		mu.Unlock()
		out := map[string]string{}
		for _, k := range keys {
			out[k] = "some value " + k
		}
		return out, nil
	}
	k2, k3, k5 := h.key("k2"), h.key("k3"), h.key("k5")
	want := map[string]string{k3: "some value " + k3, k2: "some value " + k2, k5: "some value " + k5}
	for range 2 {
		got, err := region.GetOrCreateMulti(ctx, r, []string{k3, k2, k5, k2}, creator)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Fatalf("GetOrCreateMulti = %v; want %v", got, want)
		}
	}
	wantAsked := [][]string{slices.Sorted(slices.Values([]string{k2, k3, k5}))}
	if h.opts.NullStore {
		wantAsked = append(wantAsked, wantAsked[0])
	}
	if !reflect.DeepEqual(asked, wantAsked) {
		t.Fatalf("creator asked for %q; want %q (each missing key once, present keys never)", asked, wantAsked)
	}
	// Only the missing keys are created.
	k7 := h.key("k7")
	asked = nil
	got, err := region.GetOrCreateMulti(ctx, r, []string{k2, k7}, creator)
	if err != nil {
		t.Fatal(err)
	}
	if got[k7] != "some value "+k7 || got[k2] != "some value "+k2 || len(got) != 2 {
		t.Fatalf("GetOrCreateMulti = %v", got)
	}
	wantAsked = [][]string{{k7}}
	if h.opts.NullStore {
		wantAsked = [][]string{slices.Sorted(slices.Values([]string{k2, k7}))}
	}
	if !reflect.DeepEqual(asked, wantAsked) {
		t.Fatalf("creator asked for %q; want %q", asked, wantAsked)
	}
	// A key the creator leaves out is absent from the result.
	k8, k9 := h.key("k8"), h.key("k9")
	got, err = region.GetOrCreateMulti(ctx, r, []string{k8, k9}, func(context.Context, []string) (map[string]string, error) {
		return map[string]string{k8: "only eight"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, map[string]string{k8: "only eight"}) {
		t.Fatalf("GetOrCreateMulti with a partial creator = %v; want only %q", got, k8)
	}
	wantMissR[string](t, r, k9)
}

func testRegionMultiShouldCacheNone(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	keys := h.keys("1", "2", "3")
	calls := 0
	creator := func(_ context.Context, keys []string) (map[string]*string, error) {
		calls++
		out := map[string]*string{}
		for _, k := range keys {
			out[k] = nil
		}
		return out, nil
	}
	notNil := region.ShouldCache(func(v *string) bool { return v != nil })
	for i := range 2 {
		got, err := region.GetOrCreateMulti(t.Context(), r, keys, creator, notNil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("GetOrCreateMulti = %v; want the three nil values returned", got)
		}
		if calls != i+1 {
			t.Fatalf("creator ran %d times after %d calls; values rejected by ShouldCache must not be cached", calls, i+1)
		}
	}
	for _, k := range keys {
		wantMissR[*string](t, r, k)
	}
}

// slowCreator makes "some value" slowly and counts its runs and the
// times two runs overlapped.
type slowCreator struct {
	runs, inside, overlap atomic.Int32
}

func (c *slowCreator) create(context.Context) (string, error) {
	c.runs.Add(1)
	if c.inside.Add(1) > 1 {
		c.overlap.Add(1)
	}
	time.Sleep(50 * time.Millisecond)
	c.inside.Add(-1)
	return "some value", nil
}

// getOrCreateSome calls GetOrCreate(key, c.create) and checks its value.
func getOrCreateSome(t *testing.T, r *region.Region, key string, c *slowCreator) error {
	v, err := region.GetOrCreate(ctxTimeout(t), r, key, c.create)
	if err == nil && v != "some value" {
		err = fmt.Errorf("GetOrCreate(%q) = %q; want some value", key, v)
	}
	return err
}

// testThreadedDogpileCold starts many goroutines on one cold key: the
// creator must run once and every goroutine get its value.
func testThreadedDogpileCold(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k := h.key("a")
	var c slowCreator
	concurrently(t, h.opts.Goroutines, func(int) error { return getOrCreateSome(t, r, k, &c) })
	if h.opts.NullStore {
		if n := c.runs.Load(); int(n) != h.opts.Goroutines {
			t.Errorf("creator ran %d times for %d callers; a driver that stores nothing runs every creator", n, h.opts.Goroutines)
		}
		return
	}
	if n := c.runs.Load(); n != 1 {
		t.Errorf("creator ran %d times for %d concurrent callers on a cold key; want 1", n, h.opts.Goroutines)
	}
	if n := c.overlap.Load(); n > 0 {
		t.Errorf("creators overlapped %d times", n)
	}
}

// testThreadedDogpileExpiring is dogpile's test_threaded_dogpile: a short
// expiration and goroutines calling GetOrCreate in rounds; the creator is
// never run by two goroutines at once and every call returns a value.
func testThreadedDogpileExpiring(t *testing.T, h *regionHarness) {
	t.Parallel() // sleeps; independent of the other subtests
	h.skipNull("creators are never serialized (a driver.LockSkipper)")
	cfg := h.cfg(100 * time.Millisecond)
	cfg.StaleWindow = time.Minute
	r := h.region(cfg)
	k := h.key("a")
	var c slowCreator
	concurrently(t, min(h.opts.Goroutines, 10), func(int) error {
		for range 5 {
			if err := getOrCreateSome(t, r, k, &c); err != nil {
				return err
			}
			time.Sleep(60 * time.Millisecond)
		}
		return nil
	})
	if n := c.overlap.Load(); n > 0 {
		t.Errorf("two creators of one key ran at once %d times", n)
	}
	if n := c.runs.Load(); n < 2 {
		t.Errorf("creator ran %d times over several expirations; want it to regenerate", n)
	}
}

// testThreadedMulti has goroutines ask GetOrCreateMulti for overlapping
// key sets in different orders: each key is created exactly once (dogpile
// lacks this protection in its multi version) and nobody deadlocks.
func testThreadedMulti(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	const nkeys = 10
	all := make([]string, nkeys)
	for i := range all {
		all[i] = h.key(fmt.Sprint(i))
	}
	var mu sync.Mutex
	made := map[string]int{}
	creating := map[string]bool{}
	var overlap atomic.Int32
	creator := func(_ context.Context, keys []string) (map[string]string, error) {
		mu.Lock()
		for _, k := range keys {
			made[k]++
			if creating[k] {
				overlap.Add(1)
			}
			creating[k] = true
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		out := map[string]string{}
		mu.Lock()
		for _, k := range keys {
			creating[k] = false
			out[k] = "value of " + k
		}
		mu.Unlock()
		return out, nil
	}
	concurrently(t, h.opts.Goroutines, func(g int) error {
		var want []string
		for i := range 5 {
			want = append(want, all[(g+i*3)%nkeys])
		}
		if g%2 == 1 {
			slices.Reverse(want)
		}
		got, err := region.GetOrCreateMulti(ctxTimeout(t), r, want, creator)
		if err != nil {
			return err
		}
		for _, k := range want {
			if got[k] != "value of "+k {
				return fmt.Errorf("goroutine %d: %q = %q in %v", g, k, got[k], got)
			}
		}
		return nil
	})
	if h.opts.NullStore {
		return
	}
	if n := overlap.Load(); n > 0 {
		t.Errorf("a key was being created by two creators at once %d times", n)
	}
	for k, n := range made {
		if n != 1 {
			t.Errorf("key %q created %d times; want once", k, n)
		}
	}
}

var errBoom = errors.New("regiontest: boom")

func testExplodingCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k := h.key("a")
	for range 2 {
		_, err := region.GetOrCreate(t.Context(), r, k, func(context.Context) (string, error) { return "", errBoom })
		if !errors.Is(err, errBoom) {
			t.Fatalf("GetOrCreate with a failing creator: %v; want the creator's error", err)
		}
		wantMissR[string](t, r, k)
	}
	v, err := region.GetOrCreate(t.Context(), r, k, func(context.Context) (string, error) { return "fine", nil })
	if err != nil || v != "fine" {
		t.Fatalf("GetOrCreate after a failed creator = %q, %v; want the new creator to run", v, err)
	}
	wantGet(h, r, k, "fine")
}

func testExplodingMultiCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	keys := h.keys("1", "2")
	_, err := region.GetOrCreateMulti(t.Context(), r, keys, func(context.Context, []string) (map[string]string, error) {
		return nil, errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("GetOrCreateMulti with a failing creator: %v; want the creator's error", err)
	}
	_, err = region.GetOrCreateMulti(t.Context(), r, keys, func(context.Context, []string) (map[string]string, error) {
		panic("boom")
	})
	if !errors.Is(err, region.ErrCreatorPanic) {
		t.Fatalf("GetOrCreateMulti with a panicking creator: %v; want region.ErrCreatorPanic", err)
	}
	wantMulti(h, r, keys, map[string]string{})
	// The locks were released: another call (with a deadline) gets through.
	got, err := region.GetOrCreateMulti(ctxTimeout(t), r, keys, func(_ context.Context, ks []string) (map[string]string, error) {
		out := map[string]string{}
		for _, k := range ks {
			out[k] = "ok"
		}
		return out, nil
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("GetOrCreateMulti after failures = %v, %v", got, err)
	}
}

// testPanickingCreator: a creator that panics while others wait for its
// lock returns ErrCreatorPanic to its caller, and the waiters go on (one
// of them creates the value) instead of hanging.
func testPanickingCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k := h.key("a")
	started := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := region.GetOrCreate(ctxTimeout(t), r, k, func(context.Context) (string, error) {
			close(started)
			time.Sleep(50 * time.Millisecond) // let the waiters queue up
			panic("boom")
		})
		first <- err
	}()
	<-started
	var runs atomic.Int32
	waiters := make(chan struct{})
	go func() {
		defer close(waiters)
		concurrently(t, 5, func(int) error {
			v, err := region.GetOrCreate(ctxTimeout(t), r, k, func(context.Context) (string, error) {
				runs.Add(1)
				return "recovered", nil
			})
			if err == nil && v != "recovered" {
				err = fmt.Errorf("got %q", v)
			}
			if err != nil {
				return fmt.Errorf("waiter after a creator panic: %w", err)
			}
			return nil
		})
	}()
	if err := <-first; !errors.Is(err, region.ErrCreatorPanic) {
		t.Errorf("GetOrCreate with a panicking creator: %v; want region.ErrCreatorPanic", err)
	}
	<-waiters
	if n := runs.Load(); !h.opts.NullStore && n != 1 {
		t.Errorf("after the panic the waiters ran %d creators; want 1", n)
	}
	wantGet(h, r, k, "recovered")
}

// testWaiterContext: a caller waiting for another's creation gives up
// with its context's error when the context ends.
func testWaiterContext(t *testing.T, h *regionHarness) {
	h.skipNull("callers never wait (a driver.LockSkipper)")
	r := h.region(h.cfg(0))
	k := h.key("a")
	started, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := region.GetOrCreate(ctxTimeout(t), r, k, func(context.Context) (string, error) {
			close(started)
			<-release
			return "made", nil
		})
		first <- err
	}()
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	ran := false
	_, err := region.GetOrCreate(ctx, r, k, func(context.Context) (string, error) { ran = true; return "", nil })
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter with a 100ms deadline: %v; want context.DeadlineExceeded", err)
	}
	if ran {
		t.Errorf("the waiter ran its creator while the lock was held")
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wantGet(h, r, k, "made")
}

// testReentrantDogpile: a creator may use the region for another key.
func testReentrantDogpile(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	foo, bar := h.key("foo"), h.key("bar")
	createBar := func(context.Context) (string, error) { return "bar", nil }
	createFoo := func(ctx context.Context) (string, error) {
		b, err := region.GetOrCreate(ctx, r, bar, createBar)
		return "foo" + b, err
	}
	for range 2 {
		v, err := region.GetOrCreate(ctxTimeout(t), r, foo, createFoo)
		if err != nil || v != "foobar" {
			t.Fatalf("GetOrCreate = %q, %v; want foobar", v, err)
		}
	}
}

// testMemoize is dogpile's test_decorated_fn_functionality.
func testMemoize(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	ctx := t.Context()
	var n atomic.Int32
	fn := region.Memoize(r, h.key("fn"), func(_ context.Context, a [2]int) (int, error) {
		return int(n.Add(1)) + a[0] + a[1], nil
	})
	for _, a := range [][2]int{{3, 4}, {5, 6}, {4, 3}} {
		if err := fn.Invalidate(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	want := []int{8, 13, 8, 10, 11}
	if h.opts.NullStore {
		want = []int{8, 13, 10, 11, 12}
	}
	var got []int
	for _, a := range [][2]int{{3, 4}, {5, 6}, {3, 4}, {4, 3}} {
		v, err := fn.Call(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := fn.Invalidate(ctx, [2]int{4, 3}); err != nil {
		t.Fatal(err)
	}
	v, err := fn.Call(ctx, [2]int{4, 3})
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, v)
	if !slices.Equal(got, want) {
		t.Fatalf("memoized results %v; want %v", got, want)
	}
}

func cloneArgs(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case []string:
			v = slices.Clone(x)
		case []any:
			v = slices.Clone(x)
		case map[string]any:
			v = cloneArgs(x)
		}
		out[k] = v
	}
	return out
}

func testArgumentsUnmodified(t *testing.T, h *regionHarness) {
	before := cloneArgs(h.args)
	r := h.region(h.cfg(time.Minute))
	mustSet(t, r, h.key("a"), "v")
	if !reflect.DeepEqual(h.args, before) {
		t.Fatalf("Configure modified the arguments: %v; was %v", h.args, before)
	}
}

// --- region tests -------------------------------------------------------

// testConfigureFromConfig configures the driver from a flat string map,
// as from an ini file, with its arguments written as strings. Arguments
// that are not plain values (a pre-built client) skip the test.
func testConfigureFromConfig(t *testing.T, h *regionHarness) {
	prefix := "cache." + h.name + "."
	conf := map[string]string{
		prefix + "backend":         h.driver,
		prefix + "expiration_time": "300",
		prefix + "invalidation":    "shared",
		"cache.other.backend":      "ignored: another prefix",
	}
	for k, v := range h.args {
		switch x := v.(type) {
		case string, bool, int, int64, float64:
			conf[prefix+"arguments."+k] = fmt.Sprint(x)
		case time.Duration:
			conf[prefix+"arguments."+k] = x.String()
		case []string:
			conf[prefix+"arguments."+k] = strings.Join(x, ",")
		default:
			t.Skipf("argument %q (%T) cannot be written in a string map", k, v)
		}
	}
	r := region.New(h.name)
	t.Cleanup(func() { _ = r.Close() })
	if err := r.ConfigureFromConfig(conf, prefix); err != nil {
		t.Fatalf("ConfigureFromConfig(%v): %v", conf, err)
	}
	if r.Expiration() != 300*time.Second || r.DriverName() != h.driver {
		t.Fatalf("configured %q with expiration %s; want %q and 5m0s", r.DriverName(), r.Expiration(), h.driver)
	}
	roundTrip(h, r, "a", "from config")
	conf[prefix+"arguments.regiontest_no_such_argument"] = "1"
	err := region.New(h.name).ConfigureFromConfig(conf, prefix)
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "regiontest_no_such_argument") {
		t.Fatalf("ConfigureFromConfig with an unknown argument: %v; want region.ErrInvalidArgument naming it", err)
	}
}

func testConfigureTwice(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	err := r.Configure(h.driver, h.cfg(0))
	if !errors.Is(err, region.ErrAlreadyConfigured) {
		t.Fatalf("second Configure: %v; want region.ErrAlreadyConfigured", err)
	}
	if err := r.ConfigureDriver(r.ActualDriver(), region.Config{}); !errors.Is(err, region.ErrAlreadyConfigured) {
		t.Fatalf("ConfigureDriver on a configured region: %v; want region.ErrAlreadyConfigured", err)
	}
	if !r.IsConfigured() {
		t.Fatal("IsConfigured = false after a failed second Configure")
	}
	mustSet(t, r, h.key("a"), "still works")
	wantGet(h, r, h.key("a"), "still works")
}

func testReplaceExisting(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	mustSet(t, r, h.key("a"), "v")
	cfg := h.cfg(7 * time.Minute)
	cfg.ReplaceExisting = true
	if err := r.Configure(h.driver, cfg); err != nil {
		t.Fatalf("Configure with ReplaceExisting: %v", err)
	}
	if got := r.Expiration(); got != 7*time.Minute {
		t.Fatalf("expiration after replace = %s; want 7m", got)
	}
	if got := r.DriverName(); got != h.driver {
		t.Fatalf("DriverName = %q; want %q", got, h.driver)
	}
	mustSet(t, r, h.key("b"), "after replace")
	wantGet(h, r, h.key("b"), "after replace")
}

func testUnknownDriver(t *testing.T, h *regionHarness) {
	r := region.New(h.name)
	const bogus = "regiontest-no-such-driver"
	err := r.Configure(bogus, region.Config{})
	if !errors.Is(err, region.ErrUnknownDriver) {
		t.Fatalf("Configure(%q): %v; want region.ErrUnknownDriver", bogus, err)
	}
	if msg := err.Error(); !strings.Contains(msg, bogus) || !strings.Contains(msg, h.driver) {
		t.Fatalf("error %q should name %q and list the registered drivers (%q among them)", msg, bogus, h.driver)
	}
	if r.IsConfigured() {
		t.Fatal("IsConfigured after a failed Configure")
	}
}

func testUnknownArgument(t *testing.T, h *regionHarness) {
	const bogus = "regiontest_no_such_argument"
	args := cloneArgs(h.args)
	if args == nil {
		args = map[string]any{}
	}
	args[bogus] = 1
	r := region.New(h.name)
	err := r.Configure(h.driver, region.Config{Arguments: args})
	if err == nil {
		_ = r.Close()
		t.Fatalf("Configure with argument %q succeeded; unknown arguments must fail", bogus)
	}
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), bogus) {
		t.Fatalf("Configure with argument %q: %v; want region.ErrInvalidArgument naming it", bogus, err)
	}
	if r.IsConfigured() {
		t.Fatal("IsConfigured after a failed Configure")
	}
}

func testUnconfigured(t *testing.T, h *regionHarness) {
	r := region.New(h.name)
	ctx := t.Context()
	if r.IsConfigured() || r.Driver() != nil || r.ActualDriver() != nil {
		t.Fatal("a new region reports a driver")
	}
	k := h.key("a")
	ran := false
	create := func(context.Context) (string, error) { ran = true; return "", nil }
	createMulti := func(context.Context, []string) (map[string]string, error) { ran = true; return nil, nil }
	checks := map[string]error{
		"Get":              second(region.Get[string](ctx, r, k)),
		"GetMulti":         second(region.GetMulti[string](ctx, r, []string{k})),
		"Set":              region.Set(ctx, r, k, "v"),
		"SetMulti":         region.SetMulti(ctx, r, map[string]string{k: "v"}),
		"GetOrCreate":      second(region.GetOrCreate(ctx, r, k, create)),
		"GetOrCreateMulti": second(region.GetOrCreateMulti(ctx, r, []string{k}, createMulti)),
		"Delete":           r.Delete(ctx, k),
		"DeleteMulti":      r.DeleteMulti(ctx, []string{k}),
		"Invalidate":       r.Invalidate(region.Hard),
	}
	for op, err := range checks {
		if !errors.Is(err, region.ErrNotConfigured) {
			t.Errorf("%s on an unconfigured region: %v; want region.ErrNotConfigured", op, err)
		}
	}
	if ran {
		t.Error("a creator ran on an unconfigured region")
	}
}

func second[T any](_ T, err error) error { return err }

func testClosed(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	k := h.key("a")
	if err := region.Set(ctx, r, k, "v"); !errors.Is(err, region.ErrClosed) {
		t.Errorf("Set after Close: %v; want region.ErrClosed", err)
	}
	if _, err := region.Get[string](ctx, r, k); !errors.Is(err, region.ErrClosed) {
		t.Errorf("Get after Close: %v; want region.ErrClosed", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func testBadInput(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	ctx := t.Context()
	checks := map[string]error{
		"Get empty key":          second(region.Get[string](ctx, r, "")),
		"Set empty key":          region.Set(ctx, r, "", "v"),
		"Delete empty key":       r.Delete(ctx, ""),
		"GetMulti empty key":     second(region.GetMulti[string](ctx, r, []string{h.key("a"), ""})),
		"SetMulti empty key":     region.SetMulti(ctx, r, map[string]string{"": "v"}),
		"DeleteMulti empty key":  r.DeleteMulti(ctx, []string{""}),
		"GetOrCreate nil":        second(region.GetOrCreate[string](ctx, r, h.key("a"), nil)),
		"GetOrCreateMulti nil":   second(region.GetOrCreateMulti[string](ctx, r, []string{h.key("a")}, nil)),
		"negative expiration":    region.Set(ctx, r, h.key("a"), "v", region.WithExpiration(-time.Second)),
		"unknown invalidation":   r.Invalidate(region.Mode(99)),
		"GetOrCreate empty key":  second(region.GetOrCreate(ctx, r, "", func(context.Context) (int, error) { return 1, nil })),
		"Set a value JSON lacks": region.Set(ctx, r, h.key("ch"), make(chan int)),
	}
	for what, err := range checks {
		want := region.ErrInvalidArgument
		if what == "Set a value JSON lacks" {
			want = region.ErrEncode
			if h.opts.ValueStore {
				if err != nil {
					t.Errorf("%s: %v; a driver that holds values stores any value", what, err)
				}
				continue
			}
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: %v; want %v", what, err, want)
		}
	}
	wantMissR[string](t, r, h.key("a"))
}

func testExpire(t *testing.T, h *regionHarness) {
	t.Parallel() // sleeps; independent of the other subtests
	h.skipNull("nothing is kept to expire")
	r := h.region(h.short())
	c := &counter{prefix: "some value"}
	k := h.key("a")
	getOrCreate := func(want string) {
		t.Helper()
		v, err := region.GetOrCreate(t.Context(), r, k, c.create)
		if err != nil || v != want {
			t.Fatalf("GetOrCreate = %q, %v; want %q", v, err, want)
		}
	}
	getOrCreate("some value 1")
	h.pastExpiration()
	wantMissR[string](t, r, k)
	wantGet(h, r, k, "some value 1", region.IgnoreExpiration())
	getOrCreate("some value 2")
	wantGet(h, r, k, "some value 2")
}

func testExpireMulti(t *testing.T, h *regionHarness) {
	t.Parallel() // sleeps; independent of the other subtests
	h.skipNull("nothing is kept to expire")
	r := h.region(h.short())
	c := &counter{prefix: "some value"}
	k2, k3, k5 := h.key("k2"), h.key("k3"), h.key("k5")
	got, err := region.GetOrCreateMulti(t.Context(), r, []string{k3, k2, k5}, c.createMulti)
	if err != nil || len(got) != 3 {
		t.Fatalf("GetOrCreateMulti = %v, %v", got, err)
	}
	first := got[k2]
	h.pastExpiration()
	wantMissR[string](t, r, k2)
	wantGet(h, r, k2, first, region.IgnoreExpiration())
	got, err = region.GetOrCreateMulti(t.Context(), r, []string{k3, k2}, c.createMulti)
	if err != nil || len(got) != 2 || got[k2] == first || !strings.HasPrefix(got[k2], "some value "+k2) {
		t.Fatalf("GetOrCreateMulti after expiry = %v, %v; want new values for both keys", got, err)
	}
	if n := c.n.Load(); n != 5 {
		t.Fatalf("%d values created; want 3 then 2", n)
	}
	wantGet(h, r, k2, got[k2])
}

// setThenExpire stores "some value" in a region with the short
// expiration and waits until it is expired. It runs the subtest in
// parallel (it sleeps) and skips it on a NullStore driver.
func setThenExpire(t *testing.T, h *regionHarness) (*region.Region, string) {
	t.Parallel()
	h.skipNull("nothing is kept to expire")
	r := h.region(h.short())
	k := h.key("a")
	mustSet(t, r, k, "some value")
	wantGet(h, r, k, "some value")
	h.pastExpiration()
	return r, k
}

func testExpireOnGet(t *testing.T, h *regionHarness) {
	r, k := setThenExpire(t, h)
	wantMissR[string](t, r, k)
	wantMulti(h, r, []string{k}, map[string]string{})
}

func testIgnoreExpireOnGet(t *testing.T, h *regionHarness) {
	r, k := setThenExpire(t, h)
	wantGet(h, r, k, "some value", region.IgnoreExpiration())
	wantMulti(h, r, []string{k}, map[string]string{k: "some value"}, region.IgnoreExpiration())
}

func testOverrideExpireOnGet(t *testing.T, h *regionHarness) {
	r, k := setThenExpire(t, h)
	wantGet(h, r, k, "some value", region.WithExpiration(time.Minute))
	wantGet(h, r, k, "some value", region.WithExpiration(0)) // 0: never expires
	wantMissR[string](t, r, k)
}

func testExpirationOverride(t *testing.T, h *regionHarness) {
	t.Parallel() // sleeps; independent of the other subtests
	h.skipNull("nothing is kept to expire")
	r := h.region(h.cfg(time.Minute))
	c := &counter{prefix: "some value"}
	k := h.key("a")
	short := region.WithExpiration(h.opts.Expiration)
	v, err := region.GetOrCreate(t.Context(), r, k, c.create, short)
	if err != nil || v != "some value 1" {
		t.Fatalf("GetOrCreate = %q, %v", v, err)
	}
	h.pastExpiration()
	// Under the region's own (longer) expiration the value is fresh.
	wantGet(h, r, k, "some value 1")
	v, err = region.GetOrCreate(t.Context(), r, k, c.create, short)
	if err != nil || v != "some value 2" {
		t.Fatalf("GetOrCreate with an expired override = %q, %v; want some value 2", v, err)
	}
	wantGet(h, r, k, "some value 2")
}

func testHardInvalidateGet(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	k := h.key("a")
	mustSet(t, r, k, "some value")
	wantGet(h, r, k, "some value")
	if err := r.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r, k)
	wantMissR[string](t, r, k, region.IgnoreExpiration())
	wantMulti(h, r, []string{k}, map[string]string{})
	mustSet(t, r, k, "new value")
	wantGet(h, r, k, "new value")
}

// createInvalidateCreate runs GetOrCreate, invalidates in mode, and runs
// it again: the creator must run both times ("some value 1", then 2).
func createInvalidateCreate(t *testing.T, h *regionHarness, mode region.Mode) (*region.Region, *counter, string) {
	t.Helper()
	r := h.region(h.cfg(time.Minute))
	c := &counter{prefix: "some value"}
	k := h.key("a")
	for i := range 2 {
		v, err := region.GetOrCreate(t.Context(), r, k, c.create)
		if want := fmt.Sprintf("some value %d", i+1); err != nil || v != want {
			t.Fatalf("GetOrCreate #%d (%s invalidation between) = %q, %v; want %q", i+1, mode, v, err, want)
		}
		if i == 0 {
			if err := r.Invalidate(mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantGet(h, r, k, "some value 2")
	return r, c, k
}

// invalidateGetOrCreate checks GetOrCreate across an invalidation in
// mode; then, while one caller regenerates, a hard invalidation makes the
// others wait for the new value and a soft one serves them the old value
// at once.
func invalidateGetOrCreate(mode region.Mode) func(t *testing.T, h *regionHarness) {
	return func(t *testing.T, h *regionHarness) {
		r, c, k := createInvalidateCreate(t, h, mode)
		if h.opts.NullStore {
			return
		}
		if err := r.Invalidate(mode); err != nil {
			t.Fatal(err)
		}
		release := holdCreator(t, r, k, "some value 3")
		ctx := ctxTimeout(t)
		if mode == region.Hard {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
		}
		v, err := region.GetOrCreate(ctx, r, k, c.create)
		release()
		switch {
		case mode == region.Hard && !errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("GetOrCreate while another regenerates a hard-invalidated value = %q, %v; want it to wait (until its deadline)", v, err)
		case mode == region.Soft && (err != nil || v != "some value 2"):
			t.Fatalf("GetOrCreate while another regenerates a soft-invalidated value = %q, %v; want the stale some value 2 at once", v, err)
		}
		wantGet(h, r, k, "some value 3")
		if n := c.n.Load(); n != 2 {
			t.Fatalf("creator ran %d times; want 2", n)
		}
	}
}

// holdCreator starts a GetOrCreate of key whose creator blocks until the
// returned function is called; it returns once the creator is running.
// The release function waits for that GetOrCreate to finish.
func holdCreator(t *testing.T, r *region.Region, key, value string) (release func()) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := region.GetOrCreate(ctxTimeout(t), r, key, func(context.Context) (string, error) {
			close(started)
			<-unblock
			return value, nil
		})
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("GetOrCreate(%q) returned %v without running its creator", key, err)
	}
	return func() {
		close(unblock)
		if err := <-done; err != nil {
			t.Errorf("held GetOrCreate(%q): %v", key, err)
		}
	}
}

// createMultiInvalidateCreate runs GetOrCreateMulti on two keys,
// invalidates in mode, and runs it again: both keys must be created anew.
func createMultiInvalidateCreate(t *testing.T, h *regionHarness, mode region.Mode) (*region.Region, *counter, []string, map[string]string) {
	t.Helper()
	r := h.region(h.cfg(time.Minute))
	c := &counter{prefix: "v"}
	keys := h.keys("1", "2")
	first, err := region.GetOrCreateMulti(t.Context(), r, keys, c.createMulti)
	if err != nil || len(first) != 2 {
		t.Fatalf("GetOrCreateMulti = %v, %v", first, err)
	}
	if err := r.Invalidate(mode); err != nil {
		t.Fatal(err)
	}
	got, err := region.GetOrCreateMulti(t.Context(), r, keys, c.createMulti)
	if err != nil || len(got) != 2 || got[keys[0]] == first[keys[0]] || got[keys[1]] == first[keys[1]] {
		t.Fatalf("GetOrCreateMulti after %s invalidation = %v, %v; want new values (had %v)", mode, got, err, first)
	}
	if n := c.n.Load(); n != 4 {
		t.Fatalf("%d values created; want 2 then 2", n)
	}
	wantMulti(h, r, keys, got)
	return r, c, keys, got
}

func testHardInvalidateGetOrCreateMulti(t *testing.T, h *regionHarness) {
	createMultiInvalidateCreate(t, h, region.Hard)
}

func testSoftInvalidateGet(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	k := h.key("a")
	mustSet(t, r, k, "some value")
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r, k)
	wantGet(h, r, k, "some value", region.IgnoreExpiration())
	mustSet(t, r, k, "new value")
	wantGet(h, r, k, "new value")
}

func testSoftInvalidateGetOrCreateMulti(t *testing.T, h *regionHarness) {
	r, c, keys, got := createMultiInvalidateCreate(t, h, region.Soft)
	if h.opts.NullStore {
		return
	}
	// While one caller regenerates key 1, another multi call is served
	// the stale value of key 1 at once.
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	release := holdCreator(t, r, keys[0], "regenerated")
	again, err := region.GetOrCreateMulti(ctxTimeout(t), r, keys, c.createMulti)
	release()
	if err != nil || again[keys[0]] != got[keys[0]] {
		t.Fatalf("GetOrCreateMulti while key 1 regenerates = %v, %v; want its stale value %q", again, err, got[keys[0]])
	}
	wantGet(h, r, keys[0], "regenerated")
}

// testAsyncRunner: with WithAsyncRunner, a cold key is still created
// synchronously, but a stale one is returned at once even to the caller
// that takes the lock, and the new value arrives in the background.
func testAsyncRunner(t *testing.T, h *regionHarness) {
	h.skipNull("nothing stale is ever served")
	var tasks atomic.Int32
	r := h.region(h.cfg(time.Minute), region.WithAsyncRunner(func(task func()) {
		tasks.Add(1)
		go task()
	}))
	ctx := t.Context()
	c := &counter{prefix: "some value"}
	k := h.key("a")
	keys := h.keys("m1", "m2")
	v, err := region.GetOrCreate(ctx, r, k, c.create)
	if err != nil || v != "some value 1" {
		t.Fatalf("GetOrCreate of a cold key = %q, %v; want some value 1 made at once", v, err)
	}
	first, err := region.GetOrCreateMulti(ctx, r, keys, c.createMulti)
	if err != nil || len(first) != 2 {
		t.Fatalf("GetOrCreateMulti of cold keys = %v, %v", first, err)
	}
	if n := tasks.Load(); n != 0 {
		t.Fatalf("%d async tasks for cold keys; want them created synchronously", n)
	}
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	v, err = region.GetOrCreate(ctx, r, k, c.create)
	if err != nil || v != "some value 1" {
		t.Fatalf("GetOrCreate of a stale key with an async runner = %q, %v; want the stale value at once", v, err)
	}
	again, err := region.GetOrCreateMulti(ctx, r, keys, c.createMulti)
	if err != nil || !maps.Equal(again, first) {
		t.Fatalf("GetOrCreateMulti of stale keys with an async runner = %v, %v; want the stale values %v", again, err, first)
	}
	waitFor(t, "the background regeneration", func() bool {
		v, err := region.Get[string](ctx, r, k)
		m, merr := region.GetMulti[string](ctx, r, keys)
		return err == nil && v != "some value 1" && merr == nil && len(m) == 2 &&
			m[keys[0]] != first[keys[0]] && m[keys[1]] != first[keys[1]]
	})
	if n := tasks.Load(); n != 2 {
		t.Fatalf("%d async tasks; want 2 (one per call that found stale values)", n)
	}
}

func testSoftNeedsExpiration(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	if err := r.Invalidate(region.Soft); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("soft invalidation without an expiration: %v; want region.ErrInvalidArgument", err)
	}
}

func testShouldCache(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	k := h.key("a")
	values := []int{1, 2, 3}
	creator := func(context.Context) (int, error) {
		v := values[0]
		values = values[1:]
		return v, nil
	}
	oneOrThree := region.ShouldCache(func(v int) bool { return v == 1 || v == 3 })
	for _, want := range []int{1, 2, 3} {
		v, err := region.GetOrCreate(t.Context(), r, k, creator, oneOrThree)
		if err != nil || v != want {
			t.Fatalf("GetOrCreate = %d, %v; want %d", v, err, want)
		}
		if want == 2 {
			wantMissR[int](t, r, k) // returned, not stored
		} else {
			wantGet(h, r, k, want)
		}
		if err := r.Invalidate(region.Hard); err != nil {
			t.Fatal(err)
		}
	}
}

func testShouldCacheMulti(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	keys := h.keys("1", "2")
	values := []int{1, 2, 3}
	creator := func(_ context.Context, ks []string) (map[string]int, error) {
		v := values[0]
		values = values[1:]
		out := map[string]int{}
		for _, k := range ks {
			out[k] = v
		}
		return out, nil
	}
	oneOrThree := region.ShouldCache(func(v int) bool { return v == 1 || v == 3 })
	for _, want := range []int{1, 2, 3} {
		got, err := region.GetOrCreateMulti(t.Context(), r, keys, creator, oneOrThree)
		all := map[string]int{keys[0]: want, keys[1]: want}
		if err != nil || !maps.Equal(got, all) {
			t.Fatalf("GetOrCreateMulti = %v, %v; want %v", got, err, all)
		}
		if want == 2 {
			all = map[string]int{}
		}
		wantMulti(h, r, keys, all)
		if err := r.Invalidate(region.Hard); err != nil {
			t.Fatal(err)
		}
	}
}

func testMetadata(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	k := h.key("a")
	before := time.Now()
	mustSet(t, r, k, "v")
	after := time.Now()
	it, err := region.GetItem[string](t.Context(), r, k)
	if h.opts.NullStore {
		if !errors.Is(err, region.ErrNotFound) {
			t.Fatalf("GetItem on a null store: %v; want ErrNotFound", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if it.Value != "v" {
		t.Fatalf("GetItem value %q", it.Value)
	}
	if it.Created.Before(before.Add(-time.Millisecond)) || it.Created.After(after.Add(time.Millisecond)) {
		t.Fatalf("Created %s; want between %s and %s", it.Created, before, after)
	}
	if age := it.Age(); age < 0 || age > waitLong {
		t.Fatalf("Age %s", age)
	}
	time.Sleep(20 * time.Millisecond)
	it2, err := region.GetItem[string](t.Context(), r, k)
	if err != nil {
		t.Fatal(err)
	}
	if !it2.Created.Equal(it.Created) || it2.Age() < 20*time.Millisecond {
		t.Fatalf("second read: created %s (was %s), age %s; want the same creation time and a growing age", it2.Created, it.Created, it2.Age())
	}
	// GetOrCreate stamps its values too.
	if _, err := region.GetOrCreate(t.Context(), r, h.key("b"), func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	it3, err := region.GetItem[int](t.Context(), r, h.key("b"))
	if err != nil || it3.Value != 1 || it3.Created.Before(after) {
		t.Fatalf("GetItem of a created value = %+v, %v", it3, err)
	}
}

// testUndecodable: bytes the region cannot decode (foreign, corrupt, or of
// another type) are misses that GetOrCreate regenerates, never a panic.
func testUndecodable(t *testing.T, h *regionHarness) {
	h.skipNull("nothing is kept to decode")
	prefix := strings.ReplaceAll(h.prefix, " ", "_")
	mangle := func(k string) string { return prefix + strings.ReplaceAll(k, " ", "_") }
	r := h.region(h.cfg(time.Minute), region.WithKeyMangler(mangle))
	ctx := t.Context()
	k := h.key("a")
	for _, junk := range [][]byte{nil, {}, {0}, []byte("not an envelope"), make([]byte, 64)} {
		if err := r.ActualDriver().Set(ctx, mangle(k), junk, 0); err != nil {
			t.Fatal(err)
		}
		wantMissR[string](t, r, k)
		wantMissR[[]byte](t, r, k)
		wantMissR[map[string]int](t, r, k)
	}
	if h.opts.ValueStore {
		// No bytes to corrupt: a value of another type is the miss.
		testOtherTypeIsMiss(t, h, r, k)
		return
	}
	// Corrupt a real value: truncate it.
	mustSet(t, r, k, map[string]int{"a": 1})
	b, err := r.ActualDriver().Get(ctx, mangle(k))
	if err != nil {
		t.Fatalf("the value is not in the driver under the mangled key: %v", err)
	}
	for n := range len(b) {
		if err := r.ActualDriver().Set(ctx, mangle(k), b[:n], 0); err != nil {
			t.Fatal(err)
		}
		if v, err := region.Get[map[string]int](ctx, r, k); err == nil && !reflect.DeepEqual(v, map[string]int{"a": 1}) {
			t.Fatalf("a value truncated to %d bytes decoded as %v", n, v)
		}
	}
	testOtherTypeIsMiss(t, h, r, k)
}

// testOtherTypeIsMiss: a value read as another type than it was stored
// with is a miss, and GetOrCreate replaces it.
func testOtherTypeIsMiss(t *testing.T, h *regionHarness, r *region.Region, k string) {
	ctx := t.Context()
	mustSet(t, r, k, map[string]int{"a": 1})
	wantMissR[int](t, r, k)
	v, err := region.GetOrCreate(ctx, r, k, func(context.Context) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Fatalf("GetOrCreate over a value of another type = %d, %v; want 7", v, err)
	}
	wantGet(h, r, k, 7)
}

func testKeyMangler(t *testing.T, h *regionHarness) {
	mangle := func(k string) string { return "HI!" + strings.ReplaceAll(k, " ", "_") }
	r := h.region(h.cfg(0), region.WithKeyMangler(mangle))
	ctx := t.Context()
	k := h.key("a")
	mustSet(t, r, k, "some value")
	wantGet(h, r, k, "some value")
	if !h.opts.NullStore {
		if err := h.holds(ctx, r, mangle(k)); err != nil {
			t.Fatalf("the driver does not hold the mangled key %q: %v", mangle(k), err)
		}
	}
	v, err := region.GetOrCreate(ctx, r, k, func(context.Context) (string, error) { return "some new value", nil })
	want := "some value"
	if h.opts.NullStore {
		want = "some new value"
	}
	if err != nil || v != want {
		t.Fatalf("GetOrCreate = %q, %v; want %q", v, err, want)
	}
	if err := r.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r, k)
	if err := h.holds(ctx, r, mangle(k)); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Delete left the mangled key in the driver: %v", err)
	}
}

// holds reports (as the driver's read error) whether r's driver holds a
// value under the store key mk: through GetValue on a driver that holds
// values, Get otherwise.
func (h *regionHarness) holds(ctx context.Context, r *region.Region, mk string) error {
	if vd, ok := r.ActualDriver().(driver.ValueDriver); ok && h.opts.ValueStore {
		_, err := vd.GetValue(ctx, mk)
		return err
	}
	_, err := r.ActualDriver().Get(ctx, mk)
	return err
}

// countingProxy counts the reads that pass through it.
type countingProxy struct {
	driver.Driver
	gets atomic.Int32
}

func (p *countingProxy) Get(ctx context.Context, key string) ([]byte, error) {
	p.gets.Add(1)
	return p.Driver.Get(ctx, key)
}

func (p *countingProxy) GetMulti(ctx context.Context, keys []string) (map[string][]byte, error) {
	p.gets.Add(int32(len(keys)))
	return driver.GetMulti(ctx, p.Driver, keys)
}

func (p *countingProxy) Unwrap() driver.Driver { return p.Driver }

func testProxy(t *testing.T, h *regionHarness) {
	var outer, inner *countingProxy
	cfg := h.cfg(0)
	cfg.Wrap = []region.Proxy{
		func(next driver.Driver) driver.Driver { outer = &countingProxy{Driver: next}; return outer },
		func(next driver.Driver) driver.Driver { inner = &countingProxy{Driver: next}; return inner },
	}
	r := h.region(cfg)
	if r.Driver() != outer {
		t.Fatalf("Driver() = %T; want the first proxy listed (outermost)", r.Driver())
	}
	if _, ok := r.ActualDriver().(*countingProxy); ok || r.ActualDriver() == nil {
		t.Fatalf("ActualDriver() = %T; want the driver under the proxies", r.ActualDriver())
	}
	if outer.Driver != inner {
		t.Fatal("the first proxy listed does not wrap the second")
	}
	for i := range 10 {
		mustSet(t, r, h.key(fmt.Sprint(i)), i)
	}
	for i := range 10 {
		wantGet(h, r, h.key(fmt.Sprint(i)), i)
	}
	if o, in := outer.gets.Load(), inner.gets.Load(); o != 10 || in != 10 {
		t.Fatalf("proxies saw %d and %d reads; want 10 each", o, in)
	}
	for i := range 10 {
		if err := r.Delete(t.Context(), h.key(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		wantMissR[int](t, r, h.key(fmt.Sprint(i)))
	}
}

// testSharedInvalidation: with region.SharedInvalidation, an Invalidate
// through one region is seen by a second region of the same name on the
// same store; a region with the default (in-process) strategy does not
// see it.
func testSharedInvalidation(t *testing.T, h *regionHarness) {
	const refresh = 50 * time.Millisecond
	cfg := h.cfg(time.Minute)
	cfg.Invalidation = region.SharedInvalidation(refresh)
	r1 := h.region(cfg)
	another := func(cfg region.Config) *region.Region {
		if h.opts.SharedStore {
			return h.region(cfg)
		}
		r := region.New(h.name)
		cfg.Arguments = nil
		if err := r.ConfigureDriver(r1.ActualDriver(), cfg); err != nil {
			t.Fatal(err)
		}
		// r1 owns the driver and closes it; r2 is only closed (before it).
		t.Cleanup(func() { _ = r.Close() })
		return r
	}
	r2 := another(cfg)
	local := another(h.cfg(time.Minute))
	ctx := t.Context()
	k := h.key("a")
	mustSet(t, r1, k, "v1")
	wantGet(h, r2, k, "v1")

	if err := r1.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r1, k) // at once in the invalidating region
	if h.opts.NullStore {
		return
	}
	waitFor(t, "the second region to see the hard invalidation", func() bool {
		_, err := region.Get[string](ctx, r2, k)
		return errors.Is(err, region.ErrNotFound)
	})
	wantMissR[string](t, r2, k, region.IgnoreExpiration())
	wantGet(h, local, k, "v1") // in-process invalidation: not seen

	mustSet(t, r2, k, "v2")
	wantGet(h, r1, k, "v2")
	if err := r2.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first region to see the soft invalidation", func() bool {
		_, err := region.Get[string](ctx, r1, k)
		return errors.Is(err, region.ErrNotFound)
	})
	wantGet(h, r1, k, "v2", region.IgnoreExpiration()) // soft: stale, not gone
	v, err := region.GetOrCreate(ctx, r1, k, func(context.Context) (string, error) { return "v3", nil })
	if err != nil || v != "v3" {
		t.Fatalf("GetOrCreate after a shared soft invalidation = %q, %v; want v3", v, err)
	}
	wantGet(h, r2, k, "v3")
}

// waitFor polls cond until it holds, failing after waitLong.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting %s for %s", waitLong, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
