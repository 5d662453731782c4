package regiontest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
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
// shared through the driver), the async creation runner, value metadata,
// values that do not decode or encode, configuration (also from a flat
// string map) and unknown arguments, and key mangling; and, beyond
// dogpile, compare-and-set (GetForUpdate, CompareAndSet, and Update from
// many goroutines losing no increment) and that app keys equal to a key's
// lock key (the region's "~gs:lock:" key, the redis driver's former
// "_lock:" key, dogpile.cache's "_lock" key) never block GetOrCreate.
//
// What a region does whatever its driver (the mistakes of Configure, an
// unconfigured or closed region, bad input, ShouldCache, proxies,
// Memoize) is tested once, in the region package's own tests.
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
	run("ArgumentsUnmodified", testArgumentsUnmodified)

	// dogpile's region tests.
	run("ConfigureFromConfig", testConfigureFromConfig)
	run("UnknownArgument", testUnknownArgument)
	run("Unencodable", testUnencodable)
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
	run("AsyncCreationRunner", testAsyncRunner)
	run("Metadata", testMetadata)
	run("UndecodableIsMiss", testUndecodable)
	run("KeyMangler", testKeyMangler)
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

// Configuring a region on the driver: its arguments, as Go values and as
// the strings of a flat config map, and the ones it does not take.

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
