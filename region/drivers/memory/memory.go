package memory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/allegro/bigcache/v3"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// Name is the name the driver is registered under.
const Name = "memory"

// Defaults used for zero fields of Config.
const (
	DefaultShards             = 1024
	DefaultMaxEntriesInWindow = 10_000
	DefaultMaxEntrySize       = 500
	DefaultLifeWindow         = 10 * time.Minute
	DefaultCleanWindow        = time.Minute

	// MaxShards bounds Config.Shards: every shard preallocates memory.
	MaxShards = 1 << 16
)

// errClosed is returned by every operation on a driver after Close.
var errClosed = fmt.Errorf("memory driver: %w", region.ErrClosed)

// ErrClosed is region.ErrClosed, which every operation on a closed
// driver returns (wrapped).
//
// Deprecated: match region.ErrClosed, as for every driver.
var ErrClosed = region.ErrClosed

func init() {
	region.RegisterDriver(Name, factory)
}

// Config configures a memory driver. The zero value is usable: every zero
// field takes the default documented on it.
type Config struct {
	// Shards is the number of independently locked shards; it must be a
	// power of two, at most MaxShards (65536). More shards mean less lock
	// contention; each shard gets MaxSizeMB/Shards of memory, and a value
	// must fit in one shard. Default 1024, or fewer when the cache is
	// bounded so that each shard holds at least 1 MB (a 64 MB cache gets
	// 64 shards); 1024 when unbounded.
	Shards int

	// MaxSizeMB bounds the memory of the stored entries, in megabytes
	// (bigcache's HardMaxCacheSize). When a shard is full its oldest
	// entries are evicted (overwritten and deleted entries first, as they
	// are the oldest bytes; live ones are reported to the region as
	// evictions). 0 means the default, DefaultMaxSizeMB(): an eighth of
	// the memory available to the process (its cgroup's limit, or the
	// machine's memory), at least 16 and at most 1024. -1 means unbounded:
	// then bytes of overwritten entries stay until their life window ends,
	// so memory grows with the write rate times the life window.
	MaxSizeMB int

	// MaxEntriesInWindow is the number of entries expected in one life
	// window. It only sizes the initial allocation. Default 10000.
	MaxEntriesInWindow int

	// MaxEntrySize is the expected size of one entry in bytes. It only
	// sizes the initial allocation; larger entries are accepted.
	// Default 500.
	MaxEntrySize int

	// LifeWindow is how long an entry may stay before it is evicted,
	// whatever the TTL given to Set (bigcache has no per-item TTL; the
	// region decides freshness from its envelope). bigcache counts whole
	// seconds, rounded down: an entry goes at the first cleaning after it
	// is more than LifeWindow old. Default 10 minutes; drivers built by region.Configure
	// default to the region's TTL: expiration plus stale window (at least one
	// second).
	LifeWindow time.Duration

	// CleanWindow is the interval of the background goroutine that removes
	// entries older than LifeWindow. 0 means the default, one minute; a
	// negative value disables the cleaner (expired entries are then
	// removed only when their shard takes a new entry). Close stops it.
	CleanWindow time.Duration

	// Verbose lets bigcache log memory allocations with the standard
	// logger. Default false.
	Verbose bool
}

// withDefaults returns c with its zero fields set to their defaults, and
// checks the values.
func (c Config) withDefaults() (Config, error) {
	if c.MaxSizeMB == 0 {
		c.MaxSizeMB = DefaultMaxSizeMB()
	}
	if c.Shards == 0 {
		c.Shards = defaultShards(c.MaxSizeMB)
	}
	if c.MaxEntriesInWindow == 0 {
		c.MaxEntriesInWindow = DefaultMaxEntriesInWindow
	}
	if c.MaxEntrySize == 0 {
		c.MaxEntrySize = DefaultMaxEntrySize
	}
	if c.LifeWindow == 0 {
		c.LifeWindow = DefaultLifeWindow
	}
	if c.CleanWindow == 0 {
		c.CleanWindow = DefaultCleanWindow
	}
	bad := func(arg, rule string, got any) (Config, error) {
		return c, fmt.Errorf("%w: driver %q argument %q: must be %s, got %v",
			region.ErrInvalidArgument, Name, arg, rule, got)
	}
	switch {
	case c.Shards < 0 || c.Shards > MaxShards || c.Shards&(c.Shards-1) != 0:
		return bad("shards", "a power of two up to 65536 (such as 16, 256 or 1024)", c.Shards)
	case c.MaxSizeMB < -1:
		return bad("max_size_mb", "> 0, 0 for the default or -1 for unbounded", c.MaxSizeMB)
	case c.MaxEntriesInWindow < 0:
		return bad("max_entries_in_window", ">= 0", c.MaxEntriesInWindow)
	case c.MaxEntrySize < 0:
		return bad("max_entry_size", ">= 0", c.MaxEntrySize)
	case c.LifeWindow < 0:
		return bad("life_window", ">= 0", c.LifeWindow)
	}
	return c, nil
}

// Driver is the memory driver: a driver.Driver and io.Closer on one
// bigcache instance. It is safe for concurrent use. Values returned by Get
// and GetMulti are copies owned by the caller; values given to Set are
// copied. The TTL given to Set is ignored (see the package doc).
type Driver struct {
	cache     atomic.Pointer[bigcache.BigCache]
	cfg       Config
	evicted   atomic.Pointer[func(string)]
	shardMax  int // bytes one shard may hold; 0 = unbounded
	closeOnce sync.Once
	writes    writeLocks // serializes writes of a key with CompareAndSet
}

// New builds a driver from cfg (zero fields take their defaults). The
// error wraps region.ErrInvalidArgument for a bad field. The driver starts
// a cleaner goroutine unless CleanWindow is negative; call Close to stop it.
func New(cfg Config) (*Driver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	bc := bigcache.Config{
		Shards:             cfg.Shards,
		LifeWindow:         cfg.LifeWindow,
		CleanWindow:        max(cfg.CleanWindow, 0),
		MaxEntriesInWindow: cfg.MaxEntriesInWindow,
		MaxEntrySize:       cfg.MaxEntrySize,
		HardMaxCacheSize:   max(cfg.MaxSizeMB, 0),
		Verbose:            cfg.Verbose,
	}
	d := &Driver{cfg: cfg}
	bc.OnRemoveWithReason = func(key string, _ []byte, reason bigcache.RemoveReason) {
		if reason != bigcache.NoSpace {
			return
		}
		if f := d.evicted.Load(); f != nil {
			(*f)(key)
		}
	}
	bc = bc.OnRemoveFilterSet(bigcache.NoSpace)
	c, err := bigcache.New(context.Background(), bc)
	if err != nil {
		return nil, fmt.Errorf("%w: memory driver: %w", region.ErrInvalidArgument, err)
	}
	if cfg.MaxSizeMB > 0 {
		d.shardMax = cfg.MaxSizeMB * 1024 * 1024 / cfg.Shards
	}
	d.cache.Store(c)
	return d, nil
}

// factory builds a driver from region arguments; see the package doc.
// Unlike the Config fields, an explicit 0 for clean_window disables the
// cleaner, and an explicit 0 for shards or life_window is an error.
func factory(info driver.Info, args *driver.Arguments) (driver.Driver, error) {
	life := DefaultLifeWindow
	if info.Expiration > 0 {
		life = max(info.Expiration+info.StaleWindow, time.Second)
	}
	cfg := Config{
		Shards:             args.Int("shards", 0),
		MaxEntriesInWindow: args.Int("max_entries_in_window", DefaultMaxEntriesInWindow),
		MaxEntrySize:       args.Int("max_entry_size", DefaultMaxEntrySize),
		LifeWindow:         args.Duration("life_window", life),
		CleanWindow:        args.Duration("clean_window", DefaultCleanWindow),
		Verbose:            args.Bool("verbose", false),
	}
	if args.Has("max_size_mb") && args.Has("hard_max_cache_size") {
		args.Fail("max_size_mb", "give max_size_mb or its alias hard_max_cache_size, not both")
	}
	cfg.MaxSizeMB = args.Int("max_size_mb", args.Int("hard_max_cache_size", 0))
	if args.Has("max_entries") {
		if n := args.Int("max_entries", 0); args.Has("max_size_mb") || args.Has("hard_max_cache_size") {
			args.Fail("max_entries", "give max_entries or max_size_mb, not both (max_entries sets max_size_mb)")
		} else if n == -1 {
			cfg.MaxSizeMB = -1
		} else if n <= 0 {
			args.Fail("max_entries", "must be > 0, or -1 for unbounded, got %d", n)
		} else {
			cfg.MaxSizeMB = sizeForEntries(n, cfg.MaxEntrySize)
			if !args.Has("max_entries_in_window") {
				cfg.MaxEntriesInWindow = n
			}
		}
	}
	if args.Has("shards") && (cfg.Shards <= 0 || cfg.Shards > MaxShards || cfg.Shards&(cfg.Shards-1) != 0) {
		args.Fail("shards", "must be a power of two up to 65536 (such as 16, 256 or 1024), got %d", cfg.Shards)
	}
	if cfg.LifeWindow == 0 {
		args.Fail("life_window", "must be > 0")
	}
	if err := args.Err(); err != nil {
		return nil, err
	}
	if cfg.CleanWindow == 0 {
		cfg.CleanWindow = -1 // as an argument, 0 disables the cleaner
	}
	d, err := New(cfg)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return d, nil
}

// NotifyEvictions implements driver.EvictionNotifier: f is called with
// the key of each live entry bigcache removes to make room (not for
// entries past their life window, and not for the dead bytes of
// overwritten or deleted entries, which go first).
func (d *Driver) NotifyEvictions(f func(key string)) {
	if f == nil {
		d.evicted.Store(nil)
		return
	}
	d.evicted.Store(&f)
}

// Config returns the configuration in use, with defaults filled in.
func (d *Driver) Config() Config { return d.cfg }

// MaxTTL implements driver.TTLLimiter: no item outlives the life window.
func (d *Driver) MaxTTL() time.Duration { return d.cfg.LifeWindow }

// Get returns a copy of the value under key, or region.ErrNotFound.
func (d *Driver) Get(_ context.Context, key string) ([]byte, error) {
	c := d.cache.Load()
	if c == nil {
		return nil, errClosed
	}
	v, err := c.Get(key)
	if err != nil {
		return nil, getErr(key, err)
	}
	return v, nil
}

func getErr(key string, err error) error {
	if errors.Is(err, bigcache.ErrEntryNotFound) {
		return region.ErrNotFound
	}
	return fmt.Errorf("memory driver: get %q: %w", key, err)
}

// Set stores a copy of value under key. ttl is ignored: entries live for
// the life window (see Config.LifeWindow). A value that cannot fit in one
// shard returns an error wrapping region.ErrValueTooLarge and removes any
// older value under key, so a reader never sees the value it replaced.
// Keys longer than 65535 bytes wrap region.ErrInvalidArgument.
func (d *Driver) Set(_ context.Context, key string, value []byte, _ time.Duration) error {
	c := d.cache.Load()
	if c == nil {
		return errClosed
	}
	return d.set(c, key, value)
}

// entryOverhead is what bigcache adds to key and value in a shard: an
// 8-byte timestamp, an 8-byte hash, a 2-byte key length, and a length
// prefix of up to 5 bytes in its queue.
const entryOverhead = 8 + 8 + 2 + 5

func (d *Driver) set(c *bigcache.BigCache, key string, value []byte) error {
	mu := d.writes.of(key)
	mu.Lock()
	defer mu.Unlock()
	return d.setLocked(c, key, value)
}

// setLocked is set with the key's write lock held.
func (d *Driver) setLocked(c *bigcache.BigCache, key string, value []byte) error {
	if len(key) > math.MaxUint16 {
		return fmt.Errorf("%w: memory driver: key of %d bytes is longer than the %d bytes bigcache can hold",
			region.ErrInvalidArgument, len(key), math.MaxUint16)
	}
	if d.shardMax > 0 && len(key)+len(value)+entryOverhead >= d.shardMax {
		_ = c.Delete(key)
		return d.tooLarge(key, value)
	}
	if err := c.Set(key, value); err != nil {
		if d.shardMax > 0 {
			// The only error bigcache's Set returns: the entry does not
			// fit even in an emptied shard.
			return fmt.Errorf("%w (%w)", d.tooLarge(key, value), err)
		}
		return fmt.Errorf("memory driver: set %q: %w", key, err)
	}
	return nil
}

func (d *Driver) tooLarge(key string, value []byte) error {
	return fmt.Errorf("%w: memory driver: key %q: value of %d bytes does not fit in a shard of %d bytes (max_size_mb %d / %d shards); raise max_size_mb or use fewer shards",
		region.ErrValueTooLarge, key, len(value), d.shardMax, d.cfg.MaxSizeMB, d.cfg.Shards)
}

// Delete removes key; an absent key is not an error.
func (d *Driver) Delete(_ context.Context, key string) error {
	c := d.cache.Load()
	if c == nil {
		return errClosed
	}
	return d.del(c, key)
}

func (d *Driver) del(c *bigcache.BigCache, key string) error {
	mu := d.writes.of(key)
	mu.Lock()
	err := c.Delete(key)
	mu.Unlock()
	if err == nil || errors.Is(err, bigcache.ErrEntryNotFound) {
		return nil
	}
	return fmt.Errorf("memory driver: delete %q: %w", key, err)
}

// Len returns the number of entries held, including entries past the
// life window that the cleaner has not removed yet.
func (d *Driver) Len() int {
	c := d.cache.Load()
	if c == nil {
		return 0
	}
	return c.Len()
}

// BigCache returns the underlying cache (nil after Close), for statistics
// or benchmarks. Entries written to it directly bypass the region's
// envelope and read as misses through a region.
func (d *Driver) BigCache() *bigcache.BigCache { return d.cache.Load() }

// Close stops the cleaner goroutine and releases the memory. Every later
// operation fails with region.ErrClosed. Calling Close again does nothing.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		if c := d.cache.Swap(nil); c != nil {
			_ = c.Close()
		}
	})
	return nil
}

// sizeForEntries is the max_size_mb that holds n entries of entrySize
// bytes, with bigcache's overhead per entry, rounded up to whole MB: the
// max_entries argument's bound. bigcache bounds bytes, not entries, so
// the bound is on n entries of that size: more smaller ones fit, fewer
// larger ones.
func sizeForEntries(n, entrySize int) int {
	const mb = 1024 * 1024
	bytes := int64(n) * int64(entrySize+entryOverhead)
	return int(max((bytes+mb-1)/mb, 1))
}
