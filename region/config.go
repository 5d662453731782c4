package region

import (
	"log/slog"
	"time"
)

// Config is how a region is configured with Configure or ConfigureDriver.
// The zero value is valid: values never expire, no proxies, in-process
// invalidation.
//
// Flat maps (ConfigureFromConfig) and configuration files (package
// config) use the same names, each field's in snake case: expiration,
// stale_window, arguments, wrap, replace_existing, invalidation (with
// invalidation_refresh for SharedInvalidation's refresh),
// ping_on_configure and format; driver is Configure's driver name.
// dogpile's names backend and expiration_time are accepted as aliases.
type Config struct {
	// Expiration is how long a value is fresh. After it a value is stale:
	// Get reports a miss, GetOrCreate regenerates it (one caller; the
	// others are served the stale value). 0 means values never expire.
	// Negative is an error.
	Expiration time.Duration

	// StaleWindow is how long past Expiration a stale value is kept in the
	// store so it can be served while one caller regenerates it. The
	// driver TTL is Expiration + StaleWindow. 0 means the default, which
	// is equal to Expiration (so the TTL is twice the expiration).
	// Ignored when Expiration is 0. Negative is an error.
	StaleWindow time.Duration

	// Arguments are the driver's arguments (see each driver's package
	// documentation). Unknown or ill-typed arguments fail Configure. The
	// map is not modified. Must be empty for ConfigureDriver.
	Arguments map[string]any

	// Wrap lists proxies wrapped around the driver, as dogpile's wrap: the
	// first listed is the outermost (it sees each call first).
	Wrap []Proxy

	// ReplaceExisting allows Configure on a region that is already
	// configured; the previous driver is closed (if it implements
	// io.Closer). Without it a second Configure fails with
	// ErrAlreadyConfigured.
	ReplaceExisting bool

	// Invalidation chooses where Invalidate records its time: nil means
	// LocalInvalidation (this process only, as dogpile does);
	// SharedInvalidation stores it in the driver so that every process
	// sharing the store sees it.
	Invalidation InvalidationStrategy

	// PingOnConfigure makes Configure and ConfigureDriver check that the
	// store answers (see (*Region).Ping), within PingTimeout, before the
	// driver is installed: an unreachable server is then an error at
	// start-up instead of at the first request, and the region is left
	// as it was (Configure closes the driver it built). Default false:
	// building a driver never contacts its server.
	PingOnConfigure bool

	// Format is how values are laid out in the driver: FormatGosess (the
	// default; "" means it too) or FormatDogpile, to share values, locks
	// and memoized results with Python dogpile.cache regions (JSON
	// serializer) on one memcached or redis server. Under FormatDogpile
	// the region also follows dogpile where the two differ:
	//
	//   - every value goes through the codec, strings and []byte too;
	//   - values get no driver TTL (StaleWindow is unused): only the
	//     driver's own memcached_expire_time / redis_expiration_time
	//     expire them in the store, as in dogpile;
	//   - the distributed lock of a key is dogpile's, under "_lock" + the
	//     store key (memcached add/delete, redis SET NX PX with a token);
	//   - call-level expirations mean what dogpile's expiration_time
	//     arguments mean (WithExpiration), IgnoreExpiration also ignores
	//     hard invalidation, and a soft invalidation without an
	//     expiration fails the next GetOrCreate rather than Invalidate.
	//
	// See docs/dogpile-compat.md. Any other value fails Configure.
	Format Format
}

// Option configures a Region at New.
type Option func(*Region)

// WithKeyMangler sets the function applied to every key before it reaches
// the driver (dogpile's key_mangler). Default: none. Whatever the mangler,
// keys the driver cannot hold (see driver.KeyLimiter) and keys in the region's
// reserved namespace ("~gs:") are then rewritten by MangleKey.
func WithKeyMangler(m func(string) string) Option {
	return func(r *Region) { r.mangler = m }
}

// WithCodec sets the codec for values other than []byte and string.
// Default: FastJSONCodec.
func WithCodec(c Codec) Option {
	return func(r *Region) {
		if c != nil {
			r.codec = c
		}
	}
}

// WithAsyncRunner sets dogpile's async_creation_runner: when a stale value
// exists, the caller that takes the lock also returns the stale value at
// once and run is handed the regeneration task, which it must call exactly
// once (typically `go task()`). The task releases the lock when done.
// Close waits for tasks in flight. Default: none (the caller regenerates
// synchronously).
func WithAsyncRunner(run func(task func())) Option {
	return func(r *Region) { r.async = run }
}

// WithLogger sets the logger for driver errors served as misses, creator
// panics and invalidation refresh failures. Drivers are given it too
// (DriverInfo.Logger): the file driver logs through it, and the redis
// driver routes go-redis's own log lines to it. Default: a logger that
// discards everything (drivers then use their own default).
func WithLogger(l *slog.Logger) Option {
	return func(r *Region) {
		if l != nil {
			r.logger = l
			r.driverLogger = l
		}
	}
}

// WithDriverErrorsAsMisses makes GetOrCreate and GetOrCreateMulti treat a
// failing driver as a miss: the creator runs and its value is returned even
// though it cannot be stored (the errors are logged and counted). Default:
// false, driver errors fail the call. Get, Set and Delete always return
// driver errors.
func WithDriverErrorsAsMisses(on bool) Option {
	return func(r *Region) { r.errorsAsMisses = on }
}

// CallOption adjusts one call of Get, Set, GetOrCreate and their multi
// versions.
type CallOption func(*callConfig)

type callConfig struct {
	expiration    time.Duration
	hasExpiration bool
	ignore        bool
	shouldCache   func(any) bool
	create        bool // a GetOrCreate call (dogpile's get_or_create reads -1 as "never")
}

// WithExpiration overrides the region's expiration for this call: reads
// judge freshness with d, and writes pass the driver a TTL of
//
//	TTL = d + stale window
//
// where the stale window is Config.StaleWindow, or the region's
// Expiration when StaleWindow is 0, or d itself when the region has no
// expiration. The value stays in the store that long so that it can be
// served stale while one caller regenerates it. For example, on a region
// with Expiration 5m and no StaleWindow, WithExpiration(10*time.Second)
// stores with a TTL of 5m10s (redis PTTL about 310000 ms). d == 0 means
// never expire (no TTL); negative d is an error.
//
// Under FormatDogpile, d means what dogpile's expiration_time argument
// means: values older than d are expired, so 0 or any negative d makes
// Get miss and GetOrCreate regenerate every time, except d ==
// -time.Second (dogpile's -1), with which GetOrCreate never expires
// values; writes set no driver TTL.
func WithExpiration(d time.Duration) CallOption {
	return func(c *callConfig) { c.expiration, c.hasExpiration = d, true }
}

// IgnoreExpiration makes a read accept a value however old it is, and
// soft-invalidated values too (dogpile's ignore_expiration). Values older
// than a hard invalidation are still misses, except under FormatDogpile,
// where, as in dogpile, they are returned too.
func IgnoreExpiration() CallOption {
	return func(c *callConfig) { c.ignore = true }
}

// ShouldCache gives GetOrCreate a predicate on the created value: when it
// returns false the value is returned but not stored (dogpile's
// should_cache_fn). The predicate's type must match the call's T; on a
// call of another type it is not applied (values are cached).
func ShouldCache[T any](pred func(T) bool) CallOption {
	return func(c *callConfig) {
		c.shouldCache = func(v any) bool {
			t, ok := v.(T)
			return !ok || pred(t)
		}
	}
}
