// Package gocache bridges github.com/eko/gocache/lib/v4 and regions, both
// ways:
//
//   - any gocache store.StoreInterface (go-cache, ristretto, freecache,
//     bigcache, memcache, redis, rediscluster, or your own) can be the
//     driver of a region: NewDriver, or the driver registered as "gocache";
//   - a region can be a gocache store: NewStore and NewTypedStore, so code
//     built on gocache's cache.New[T], cache.NewLoadable and cache.NewChain
//     caches in a region and gets the region's expiry, invalidation and,
//     through NewLoadFunc, its dogpile lock.
//
// # Why
//
// gocache is a common way Go programs reach their cache stores, and a
// program moving to regions should not have to rewrite either its stores
// or its gocache code at once. A store you already run under gocache
// becomes a region driver in one call; code written against gocache keeps
// its API while the region decides freshness, serves stale values during
// regeneration, and invalidates (locally or across processes with
// region.SharedInvalidation).
//
// # A gocache store as a region driver
//
//	rc, err := ristretto.NewCache(&ristretto.Config{NumCounters: 1e6, MaxCost: 1 << 28, BufferItems: 64})
//	s := ristrettostore.NewRistretto(rc) // github.com/eko/gocache/store/ristretto/v4
//	d, err := gocache.NewDriver(s, gocache.WithCloser(func() error { rc.Close(); return nil }))
//	err = r.ConfigureDriver(d, region.Config{Expiration: 5 * time.Minute})
//
// or by name, with the store as an argument (import this package for its
// side effect to register it):
//
//	err := r.Configure("gocache", region.Config{
//		Expiration: 5 * time.Minute,
//		Arguments:  map[string]any{"store": s},
//	})
//
// Arguments (Go values, or strings from a config file; durations as
// seconds or Go duration strings). Unknown arguments are an error.
//
//	store            store.StoreInterface  the gocache store. Required; a missing,
//	                                       nil or ill-typed store is an error.
//	synchronous_set  bool      pass store.WithSynchronousSet on every Set
//	                           (ristretto waits for its buffered write). Default true.
//	ttl_rounding     duration  round TTLs up to a multiple of this. Default 1s for
//	                           freecache and memcache stores, none for others.
//	max_ttl          duration  TTLs above it are stored without expiry. Default
//	                           30 days for memcache stores, no limit for others.
//	set_options      []store.Option  options added to every Set (store.WithCost).
//	                           Default none.
//	closer           io.Closer or func() error  run by the driver's Close (close
//	                           the client under the store). Default none: the
//	                           caller keeps owning the store.
//
// The region stores bytes (its envelope). Stores return them in different
// types and keep per-item TTLs or not; the driver handles each rather than
// failing at run time:
//
//	store (GetType)  per-item TTL                Get returns         handled by the driver
//	go-cache         yes                         the []byte it kept  copied in and out (the store keeps the slice)
//	ristretto        yes                         the []byte it kept  copied in and out; synchronous sets (writes are buffered)
//	freecache        yes, whole seconds          []byte              TTL rounded up to 1s (under 1s would mean never);
//	                                                                 deleting an absent key is not an error;
//	                                                                 values over 1/1024 of the cache: region.ErrValueTooLarge
//	memcache         yes, whole seconds, <= 30d  []byte              TTL rounded up; longer TTLs stored without expiry;
//	                                                                 keys memcached cannot hold are mangled by the region
//	redis            yes (milliseconds)          string              converted to []byte
//	rediscluster     yes (milliseconds)          string              converted to []byte
//	bigcache         no: one global life window  []byte              TTL ignored by the store; its raw
//	                                                                 bigcache.ErrEntryNotFound mapped to a miss
//
// Any []byte is accepted and a string is converted; a nil value with a
// nil error is a miss; any other type (a value someone else stored under
// the key) is an error wrapping ErrUnsupportedValue. The stores'
// not-found errors (store.NotFound, and the native bigcache.ErrEntryNotFound,
// memcache.ErrCacheMiss and redis.Nil) are region.ErrNotFound. A TTL of 0
// passes no expiration, so a store built with a default expiration (or
// go-cache's default) applies it. Stores without per-item TTLs are safe
// under a region, which judges freshness from the creation time in its
// envelope; the TTL only bounds how long unread bytes stay.
//
// gocache has no multi-get: GetMulti, SetMulti and DeleteMulti are loops
// of single calls (use the memcached or redis drivers for real multi-key
// round trips). gocache has no lock either, so the driver is not a
// driver.Locker: the dogpile lock is in-process. For one creator across
// processes use the memcached, redis or file drivers with
// distributed_lock.
//
// Nor has gocache a conditional write, so the driver is not a
// driver.CASDriver either, whatever the store: region.CompareAndSet,
// region.Update and the dogpile session backend's saves compare and set
// under the region's in-process key mutex (a read and a write, two round
// trips on a networked store). That excludes the writers using this
// Region only: two processes sharing a memcached or redis store through
// gocache can overwrite each other's updates. Driver.Atomicity and
// (*region.Region).Atomicity report it (region.AtomicInProcess); the
// memcached and redis drivers do compare-and-set on the server.
//
// # A region as a gocache store
//
//	users := cache.New[User](gocache.NewTypedStore[User](r))
//	err := users.Set(ctx, "user:7", u, store.WithExpiration(time.Minute))
//	u, err = users.Get(ctx, "user:7")
//
// What gocache code gets back from Get:
//
//   - NewTypedStore[T]: a T, decoded by the region's codec (region.Get[T]).
//     Use it with cache.New[T] for any T other than []byte, string or any.
//   - NewStore: []byte and string values as they were stored (they bypass
//     the codec), and every other value as the codec decodes it into an
//     `any` (the default JSON codec gives map[string]any, []any, float64,
//     string, bool or nil). Right for cache.New[[]byte], cache.New[string],
//     cache.New[any] and gocache's marshaler. Beware: gocache's
//     cache.Cache[T].Get returns the zero T and a nil error when the
//     store's value is not a T, so cache.New[User] over NewStore silently
//     returns empty Users.
//   - a miss (absent, expired, invalidated, or not decodable into the
//     type) is a *store.NotFound wrapping region.ErrNotFound, so
//     LoadableCache and ChainCache treat it as a miss.
//
// Set stores through region.Set: []byte and string as they are, other
// values with the region's codec (a value it cannot encode fails with
// region.ErrEncode). store.WithExpiration(d) becomes region.WithExpiration(d):
// the driver TTL is d plus the region's stale window. Freshness on reads is
// the region's Config.Expiration, because the region records a value's
// creation time but not a per-call expiration; configure the region with
// the expiration your gocache code uses, and GetWithTTL reports the time
// left by that expiration (0 when the region never expires). Cost,
// synchronous-set and client-side-caching options do not apply.
//
// Tags: Set with store.WithTags records the key in a region value per tag
// (under DefaultTagPrefix+tag, updated under the region's mutex for that
// key), and Invalidate with store.WithInvalidateTags deletes the recorded
// keys and the records. Invalidate without tags does nothing. Clear is
// region.Hard invalidation: every value of the region, whoever stored it,
// becomes a miss.
//
// # What protection gocache code gets
//
//   - cache.New[T] over a region store: region expiry, invalidation (Clear,
//     or r.Invalidate from any code, shared across processes with
//     region.SharedInvalidation) and the region's driver. No dogpile lock:
//     gocache's Get/Set API has no "get or create".
//   - cache.NewLoadable with a plain load function: gocache's own
//     singleflight, which collapses concurrent loads of a key within that
//     one LoadableCache value only; a stale value is a miss and reloaded.
//   - cache.NewLoadable with NewLoadFunc: loads go through
//     region.GetOrCreate, so one caller per key loads across every
//     LoadableCache on the region and, with a driver that implements
//     driver.Locker, across processes; while one caller regenerates a
//     stale value the others are served the stale value at once.
//   - cache.NewChain with a region store as one layer: a value found in the
//     region is copied to the layers before it with the TTL GetWithTTL
//     reports.
//
// For new code, region.GetOrCreate itself is the direct way to the same
// protection.
package gocache
