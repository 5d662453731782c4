// Package region is a cache abstraction modelled on Python's dogpile.cache:
// a named Region is configured once, with a driver name, an expiration and
// driver arguments (or from a flat config map), and is then handed to
// everything in the program that caches, web sessions included.
//
//	r := region.New("app")
//	err := r.Configure("memory", region.Config{Expiration: 5 * time.Minute})
//	u, err := region.GetOrCreate(ctx, r, "user:7", loadUser) // one loadUser per cold key
//	err = region.Set(ctx, r, "user:7", u)
//	u, err = region.Get[User](ctx, r, "user:7")             // ErrNotFound on a miss
//	err = r.Invalidate(region.Soft)
//
// The API, by task:
//
//   - build and configure: New (with Options such as WithCodec), then
//     Configure with a driver name and a Config, ConfigureFromConfig with a
//     flat map as dogpile's configure_from_config, or ConfigureDriver with
//     a driver you built; Close when done.
//   - read and write: Get, GetItem, Set, GetMulti, SetMulti,
//     (*Region).Delete and DeleteMulti, each with CallOptions
//     (WithExpiration, IgnoreExpiration, ShouldCache).
//   - regenerate under the dogpile lock: GetOrCreate, GetOrCreateMulti,
//     and the memoized functions of Memoize and MemoizeMulti.
//   - read-modify-write: Update, or GetForUpdate then CompareAndSet.
//   - invalidate: (*Region).Invalidate, Soft or Hard, in this process or
//     in every process (SharedInvalidation).
//   - watch: (*Region).Stats, PrefixStats, Ping, Reach.
//
// Drivers are chosen by name (see Drivers); writing one is the business of
// package driver.
//
// # Why regions
//
// Most Go caches are a store. A region is a policy over a store: how long
// values are fresh, how they are invalidated, how keys are mangled for the
// store, and above all how a missing or stale value is regenerated. Code
// that caches talks to the region; which store sits underneath (in-process
// bigcache, memcached, redis, files, nothing) is configuration, so the same
// program runs on a laptop and on a fleet.
//
// # The dogpile lock
//
// GetOrCreate guards regeneration with a lock per key. When a value is
// missing, one caller runs the creator and the others wait for it, then
// read what it stored: a cold key under load costs one creator call, not
// one per request. When a value is stale (past its expiration, or soft
// invalidated), one caller regenerates it and all others are served the
// stale value at once, without waiting; with an async runner even that
// caller returns at once. Waiting honours the context. The lock is the
// driver's own when it has one (memcached add, redis SET NX, file locks),
// so the guarantee holds across processes, layered over an in-process lock
// so that one goroutine per process contends for it.
//
// # Expiration and the stale window
//
// Each value is stored in an envelope that records when it was created,
// and freshness is judged from it, so expiration works the same on every
// driver. The driver is also given a TTL of expiration + stale window, so
// a value that is never read again is still evicted, while a stale value
// lives long enough to be served during its regeneration. Reads judge
// freshness with a clock advanced every millisecond rather than a clock
// read per hit: a value is never expired early, and at most
// ClockGranularity (2 ms) late.
//
// # Invalidation
//
// Invalidate(Hard) turns every value stored so far into a miss;
// Invalidate(Soft) turns them stale. By default this is recorded in the
// process (as in dogpile); with SharedInvalidation it is stored in the
// driver, so every process sharing the store sees it.
//
// # Compare-and-set
//
// Update is a read-modify-write that loses no concurrent update (a counter,
// an edit of a cached document): it reads, calls a function with the value
// and writes the result only if nobody wrote the key in between, retrying
// when someone did. GetForUpdate and CompareAndSet are its two halves; a
// lost race is ErrConflict. Drivers that implement driver.CASDriver check in the
// store (memcached gets and cas, a redis GET and script, the file driver's
// flock), so the guarantee holds across processes with their default
// arguments, at two round trips for the read and the write on memcached
// and redis; for the others the region checks under the key's lock (see
// Atomicity). The dogpile session backend saves sessions this way.
//
// # Locks
//
// Every Mutex behaves alike, on every driver: TryLock of a held lock is
// false with no error; a release of a lock that expired while held is
// ErrLockLost (logged and counted in Stats.LocksLost by the region); and a
// release runs even when the caller's context is done, within
// driver.UnlockContext's bound (the caller's deadline plus driver.UnlockGrace), so a hung
// lock service never holds a caller for long. The drivers' lock_sleep
// argument is the longest wait between two attempts to take a busy lock.
//
// # Keys
//
// Keys reach the driver as given, except those the driver cannot hold
// (driver.KeyLimiter) and those starting with "~gs:", which MangleKey hashes. The
// "~gs:" namespace holds the region's own items (the dogpile locks, the
// shared invalidation record), so no caller key can block a lock or
// overwrite a record.
//
// # Values
//
// The API is generic: Get[T], Set, GetOrCreate[T] and their multi
// versions decode straight into the caller's type. []byte and string are
// stored as they are; other values go through the region's Codec (JSON,
// with github.com/goccy/go-json, by default: FastJSONCodec; MessagePack
// with the msgpackcodec package). A miss is always ErrNotFound, never a
// zero value with a nil error; stored bytes that no longer decode
// (another codec or format version, a changed type, corruption) are a
// miss and get regenerated. On a driver that holds Go values (the objects
// driver, see driver.ValueDriver) no codec is involved at all: a value is read
// back as the very value stored, and reading it as another type is a
// miss.
//
// # Formats: a peer of Python dogpile.cache
//
// By default values are stored in gosess's own compact envelope. With
// Config.Format set to FormatDogpile a region stores them as Python
// dogpile.cache (1.1, JSON serializer) does, takes dogpile's own lock
// protocol under dogpile's lock keys, and reads its expiration arguments
// as dogpile does, so Go and Python processes share one memcached or
// redis server during a migration: values written by either side are read
// by the other, and a cold key runs one creator across both languages.
// Memoized.WithDogpileKey and SHA1MangleKey give cache_on_arguments' keys
// and sha1_mangle_key. The region/dogpilepeer tests check all of it
// against the real library.
//
// # Drivers
//
// Drivers register by name when their package is imported, as database/sql
// drivers do (import _ "github.com/gosess/gosess/region/drivers/memory"),
// and Configure builds one by name from its arguments. The contract between
// a region and its driver (the Driver interface, the optional capabilities
// found by type assertion through proxies, Factory and Arguments) is
// package driver; the regiontest package runs the conformance suite every
// driver must pass. The names of that contract that used to live here
// (Arguments, Factory, DriverInfo, Locker, ...) remain as deprecated
// aliases.
package region
