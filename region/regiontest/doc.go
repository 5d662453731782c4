// Package regiontest is the conformance suite for region drivers: every
// driver package runs it in its own tests, so that all drivers behave the
// same under a region.
//
// Two levels are checked:
//
//   - RunDriver / RunDriverWith exercise the raw driver.Driver contract
//     (misses, set, get, overwrite, delete, the multi operations with empty
//     and missing keys, per-item TTLs, byte slices not shared with the
//     store, binary, empty and large values, concurrent use) and, when the
//     driver implements driver.Locker, the mutex contract (exclusion,
//     waiting, context cancellation and deadlines, independent keys).
//   - RunRegion / RunRegionWith configure real regions on the driver by
//     name and port dogpile.cache's generic backend tests and region tests:
//     get/set/delete and multi versions, GetOrCreate under concurrency (one
//     creator per cold key, per key in GetOrCreateMulti too), failing and
//     panicking creators, expiry and its per-call overrides, hard and soft
//     invalidation (also shared through the driver), the async creation
//     runner, value metadata, configuration (also from a flat string map)
//     and unknown arguments, and key manglers. What a region does whatever
//     its driver is tested once, in the region package's own tests.
//
// Drivers that cannot do something say so in the options (DriverOptions,
// RegionOptions): NoTTL for stores with one global lifetime (memory),
// NullStore and NullLock for the null driver, SharedStore for servers
// that separately configured regions share (memcached, redis).
//
// The suite's files follow these levels: driver*.go for the raw contract
// (driver_cas.go and driver_locker.go for its capabilities), region*.go
// for regions on the driver, process.go for the cross-process checks,
// fault.go for drivers whose server fails under them, proxy.go for the
// proxies tests wrap drivers in.
//
//	func TestConformance(t *testing.T) {
//		regiontest.RunDriver(t, func(t *testing.T) driver.Driver { return newDriver(t) })
//		regiontest.RunRegion(t, "mydriver", map[string]any{"url": addr})
//	}
//
// The suite takes a few seconds per driver: the expiry tests sleep past a
// short expiration (RegionOptions.Expiration, default 500ms), in parallel.
package regiontest
