// Package memory is the in-process region driver, registered as "memory".
// It is the default choice for a single process: values live in the heap of
// the program, in a github.com/allegro/bigcache/v3 cache.
//
// Import it for its side effect to make the name available to
// (*region.Region).Configure and ConfigureFromConfig:
//
//	import _ "github.com/gosess/gosess/region/drivers/memory"
//
//	err := r.Configure("memory", region.Config{
//		Expiration: 5 * time.Minute,
//		Arguments:  map[string]any{"shards": 256, "max_size_mb": 512},
//	})
//
// or build a driver directly with New and hand it to
// (*region.Region).ConfigureDriver.
//
// # Why bigcache
//
// bigcache keeps entries in large byte slices indexed by a map of integers,
// so millions of cached values add almost nothing to the garbage collector's
// work. The region already turns every value into bytes (its envelope), so a
// byte-oriented store costs no extra encoding.
//
// # Expiry
//
// bigcache has no per-item TTL: every entry lives for one global "life
// window" and is then removed by a background cleaner (every clean window)
// or when its shard needs room. The TTL the region passes to Set is
// therefore ignored. That is safe because freshness is decided by the
// region, not by the driver: the region stores each value in an envelope
// that carries its creation time and treats a value older than the
// expiration as stale (or as a miss) whatever the driver still holds. The
// life window only bounds how long unread bytes stay in memory; when the
// driver is built by Configure its default is the region's TTL, its
// expiration plus its stale window (at least one second, bigcache's
// resolution), so stale values are still there to be served while one
// caller regenerates; ten minutes when the region never expires. Pick a
// longer life_window if calls use region.WithExpiration with a longer
// expiration than the region's.
//
// # Arguments
//
// Arguments may be Go values or strings (from a config file); durations
// are seconds or Go duration strings ("90s", "5m"). Unknown arguments are
// an error. See Config for the struct form of each.
//
//	shards                 number of shards, a power of two up to 65536 (default 1024,
//	                       fewer on a bounded cache so that each shard holds 1 MB)
//	max_size_mb            upper bound of the cache in MB; 0 = the default, an eighth
//	                       of the memory available to the process, 16 to 1024 MB
//	                       (see DefaultMaxSizeMB); -1 = unbounded;
//	                       hard_max_cache_size is accepted as an alias (bigcache's name)
//	max_entries            bound the cache to about this many entries of max_entry_size
//	                       bytes: sets max_size_mb to hold them (bigcache bounds bytes,
//	                       not entries: more smaller entries fit, fewer larger ones);
//	                       -1 = unbounded; not together with max_size_mb
//	max_entries_in_window  expected number of entries, sizes the initial
//	                       allocation only (default 10000)
//	max_entry_size         expected entry size in bytes, sizes the initial
//	                       allocation only (default 500)
//	life_window            how long an entry may stay before eviction
//	                       (default region expiration + stale window, min 1s; 10m if the
//	                       region never expires)
//	clean_window           interval of the background cleaner, 0 disables it
//	                       (default 1m); without a cleaner, expired entries
//	                       are removed when their shard takes a new one
//	verbose                let bigcache log its memory allocations (default false)
//
// Each shard holds max_size_mb/shards of it, and a value that does not fit
// in one shard is rejected with region.ErrValueTooLarge: use fewer shards
// for large values.
//
// # Sizing
//
// The cache is bounded by default. bigcache appends every write to its
// shard's queue and a value that is overwritten (a session saved again)
// leaves its old bytes behind until they age out of the life window or
// the shard needs room, so an unbounded cache grows with the write rate
// times the life window, whatever the number of live keys: a demo saving
// 20,000 sessions a second with a one-hour life window grew by about
// 10 MB a second. With a bound, the oldest bytes go first, and those are
// mostly dead copies; live entries go only when the live data itself
// outgrows the bound. Each live entry removed for space is reported to
// the region (driver.EvictionNotifier): Stats.Evictions counts them and
// the region logs them, so a bound that is too small shows up there (and
// in the metrics) before users notice sessions lost.
//
// Pick max_size_mb from the live data: the number of live keys times
// (key + value + 34 bytes of envelope and bigcache overhead), times two
// or more so that overwrites have room. bench/ has a soak benchmark that
// shows the level memory settles at under a steady save rate.
//
// # Locking
//
// The driver does not implement driver.Locker: in one process the region's
// own in-process per-key mutexes are exact and cheaper.
package memory
