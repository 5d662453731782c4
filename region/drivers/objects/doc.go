// Package objects is the in-process region driver that keeps Go values as
// they are, registered as "objects": no codec, no byte envelope, no copy.
// It is Python dogpile.cache's memory backend (where memory_pickle is this
// module's "memory" driver), on github.com/maypok86/otter/v2.
//
//	import _ "github.com/gosess/gosess/region/drivers/objects"
//
//	err := r.Configure("objects", region.Config{
//		Expiration: 5 * time.Minute,
//		Arguments:  map[string]any{"max_entries": 500_000},
//	})
//
// # When to choose it over memory
//
// A hit on "objects" returns the stored value itself: a typed
// GetOrCreate hit costs tens of nanoseconds instead of a decode of
// hundreds, and values of any Go type can be cached (channels, funcs,
// values with unexported fields), not only what a codec can encode.
// Choose "memory" instead when values must not be shared with the cache
// (see below), when the cache holds millions of entries and the garbage
// collector's work matters (bigcache keeps bytes in a few large slices
// that the collector does not scan; otter's entries are heap objects), or
// when the same region may later move to memcached or redis, where values
// are encoded anyway.
//
// # Values are shared
//
// As with dogpile's memory backend, the cache keeps what it is given: a
// pointer, map or slice stored in the region (by Set or by a creator) is
// the very value every later Get returns, in every goroutine. Mutating it
// mutates the cache, without the region's knowledge and without
// synchronization. Store values that are never mutated after they are
// cached (or store copies). The one exception is []byte, the region's
// byte type: as on every driver, the region copies a []byte value when it
// stores it and when it returns it (so the session backends' records are
// safe), and the byte methods (Set, SetMulti, Get) copy too.
//
// Reading a key as another type than it was stored with is a miss: Get
// returns region.ErrNotFound and GetOrCreate regenerates the value, as a
// value that does not decode is on a byte driver. Never a panic.
//
// # Expiry, eviction and statistics
//
// Each entry gets the region's TTL (expiration plus stale window) as its
// own lifetime in otter, so a value that is never read again is removed;
// freshness, the stale window, invalidation and the dogpile lock are the
// region's, as on every driver. The cache is bounded: by entry count
// (max_entries, default DefaultMaxEntries, 100,000) or, through Config,
// by a weigher and a total weight. When full, otter evicts the entries
// its policy (W-TinyLFU) values least; each eviction is reported to the
// region (driver.EvictionNotifier), which counts it in Stats.Evictions
// and logs it. With the stats argument, Driver.Stats returns otter's own
// statistics too.
//
// Size the bound from the memory one entry takes: the value's own heap
// size plus about 100 bytes of otter node, key and bookkeeping (bench/
// measures it for a small struct). A million entries of a 200-byte value
// is about 300 MB of heap.
//
// # Arguments
//
// Arguments may be Go values or strings (from a config file). Unknown
// arguments are an error.
//
//	max_entries       bound on the number of entries; 0 = the default
//	                  (100,000), -1 = unbounded
//	initial_capacity  entries to size the hash table for up front (default 0)
//	stats             record otter's statistics, Driver.Stats (default false:
//	                  the region counts hits, misses and evictions itself)
//
// # The byte methods
//
// Through a region, values go through the driver.ValueDriver methods.
// The driver.Driver methods (Get, Set, ...) keep copies of bytes apart
// from the values: they serve SharedInvalidation's record, tools, and
// regions whose proxies (Config.Wrap) do not handle values, which then
// store encoded envelopes as on any byte driver. A key written as a value
// is absent to Get, and a key written with Set is absent to GetValue.
//
// # Locking
//
// The driver does not implement driver.Locker: in one process the
// region's in-process per-key mutexes are exact and cheaper.
package objects
