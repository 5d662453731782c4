package objects

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/maypok86/otter/v2/stats"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// Name is the name the driver is registered under.
const Name = "objects"

// DefaultMaxEntries is the bound on the number of entries when
// Config.MaxEntries is 0 and no weigher is set.
const DefaultMaxEntries = 100_000

// noExpiry is the lifetime given to otter for a TTL of 0 ("never"): a
// century, which otter's arithmetic holds without overflow.
const noExpiry = 100 * 365 * 24 * time.Hour

// errClosed is returned by every operation on a driver after Close.
var errClosed = fmt.Errorf("objects driver: %w", region.ErrClosed)

func init() {
	region.RegisterDriver(Name, factory)
}

// Config configures an objects driver. The zero value is usable: every
// zero field takes the default documented on it.
type Config struct {
	// MaxEntries bounds the number of entries: when a new entry would
	// exceed it, otter evicts the entry its policy (W-TinyLFU) values
	// least. 0 means DefaultMaxEntries (100,000); -1 means unbounded.
	// Ignored when Weigher is set.
	MaxEntries int

	// Weigher and MaxWeight bound the cache by total weight instead of by
	// count: Weigher returns the weight of one entry (its value as stored:
	// the Go value, or the []byte of an entry written with Set) and
	// otter keeps the sum under MaxWeight. Both or neither must be set.
	// The weigher runs under a lock of otter's and must not call the
	// driver.
	Weigher   func(key string, value any) uint32
	MaxWeight uint64

	// InitialCapacity sizes otter's hash table up front; 0 lets it grow.
	InitialCapacity int

	// Stats turns on otter's statistics (see Driver.Stats), at a cost of
	// about 10 ns per read. Default false: the region counts hits,
	// misses and (through driver.EvictionNotifier) evictions itself.
	Stats bool
}

func (c Config) check() error {
	bad := func(arg, rule string, got any) error {
		return fmt.Errorf("%w: driver %q argument %q: must be %s, got %v",
			region.ErrInvalidArgument, Name, arg, rule, got)
	}
	switch {
	case c.MaxEntries < -1:
		return bad("max_entries", "> 0, 0 for the default or -1 for unbounded", c.MaxEntries)
	case (c.Weigher == nil) != (c.MaxWeight == 0):
		return bad("max_weight", "set together with a Weigher", c.MaxWeight)
	case c.InitialCapacity < 0:
		return bad("initial_capacity", ">= 0", c.InitialCapacity)
	}
	return nil
}

// item is what otter holds for a key: one immutable allocation per write,
// so that a read copies a pointer and GetValue hands out the Stored in it.
type item struct {
	driver.Stored // Value is the Go value, or rawBytes for an entry written by Set
	ttl           time.Duration
}

// rawBytes marks an entry written through the byte methods, so that
// GetValue never returns it and Get returns nothing else.
type rawBytes []byte

// Driver is the objects driver: a driver.ValueDriver (and so a
// driver.Driver), driver.CASDriver, driver.EvictionNotifier,
// driver.Reacher and io.Closer on one otter cache. It is safe for
// concurrent use. See the package doc for what is shared with the cache
// and what is copied.
type Driver struct {
	cache     *otter.Cache[string, *item]
	counter   *stats.Counter // nil unless Config.Stats
	cfg       Config
	evicted   atomic.Pointer[func(string)]
	seq       atomic.Uint64 // the last version handed out
	closed    atomic.Bool
	closeOnce sync.Once
}

// New builds a driver from cfg (zero fields take their defaults). The
// error wraps region.ErrInvalidArgument for a bad field. otter runs a
// clean-up goroutine for expired entries; Close stops it.
func New(cfg Config) (*Driver, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	d := &Driver{cfg: cfg}
	o := &otter.Options[string, *item]{
		InitialCapacity: cfg.InitialCapacity,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *item]) time.Duration {
			if e.Value.ttl <= 0 {
				return noExpiry
			}
			return e.Value.ttl
		}),
		OnAtomicDeletion: func(e otter.DeletionEvent[string, *item]) {
			if e.Cause == otter.CauseOverflow {
				if f := d.evicted.Load(); f != nil {
					(*f)(e.Key)
				}
			}
		},
	}
	switch {
	case cfg.Weigher != nil:
		w := cfg.Weigher
		o.MaximumWeight = cfg.MaxWeight
		o.Weigher = func(key string, it *item) uint32 {
			if b, ok := it.Value.(rawBytes); ok {
				return w(key, []byte(b))
			}
			return w(key, it.Value)
		}
	case cfg.MaxEntries == 0:
		o.MaximumSize = DefaultMaxEntries
	case cfg.MaxEntries > 0:
		o.MaximumSize = cfg.MaxEntries
	}
	if cfg.Stats {
		d.counter = stats.NewCounter()
		o.StatsRecorder = d.counter
	}
	c, err := otter.New(o)
	if err != nil {
		return nil, fmt.Errorf("%w: objects driver: %w", region.ErrInvalidArgument, err)
	}
	d.cache = c
	return d, nil
}

// factory builds a driver from region arguments; see the package doc.
func factory(_ driver.Info, args *driver.Arguments) (driver.Driver, error) {
	cfg := Config{
		MaxEntries:      args.Int("max_entries", 0),
		InitialCapacity: args.Int("initial_capacity", 0),
		Stats:           args.Bool("stats", false),
	}
	if err := args.Err(); err != nil {
		return nil, err
	}
	d, err := New(cfg)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return d, nil
}

// Config returns the configuration in use.
func (d *Driver) Config() Config { return d.cfg }

// Stats returns otter's statistics of the driver's cache when
// Config.Stats is on (zeros otherwise): raw hits and misses of its reads
// (a read the region then judges stale is an otter hit), evictions for
// space and their weight. The region's own Stats count what the region
// served and, through driver.EvictionNotifier, the evictions, whatever
// Config.Stats says.
func (d *Driver) Stats() stats.Stats {
	if d.counter == nil {
		return stats.Stats{}
	}
	return d.counter.Snapshot()
}

// Len returns the number of entries, expired ones not yet removed
// included.
func (d *Driver) Len() int { return d.cache.EstimatedSize() }

// NotifyEvictions implements driver.EvictionNotifier: f is called with
// the key of each entry otter evicts for space (not for expiry).
func (d *Driver) NotifyEvictions(f func(key string)) {
	if f == nil {
		d.evicted.Store(nil)
		return
	}
	d.evicted.Store(&f)
}

// GetValue implements driver.ValueDriver.
func (d *Driver) GetValue(_ context.Context, key string) (*driver.Stored, error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	it, ok := d.cache.GetIfPresent(key)
	if !ok {
		return nil, region.ErrNotFound
	}
	if _, raw := it.Value.(rawBytes); raw {
		return nil, region.ErrNotFound
	}
	return &it.Stored, nil
}

// GetValues implements driver.ValueDriver.
func (d *Driver) GetValues(_ context.Context, keys []string) (map[string]*driver.Stored, error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	out := make(map[string]*driver.Stored, len(keys))
	for _, k := range keys {
		it, ok := d.cache.GetIfPresent(k)
		if !ok {
			continue
		}
		if _, raw := it.Value.(rawBytes); !raw {
			out[k] = &it.Stored
		}
	}
	return out, nil
}

// SetValue implements driver.ValueDriver: v.Value is kept as it is.
func (d *Driver) SetValue(_ context.Context, key string, v driver.Stored, ttl time.Duration) error {
	if d.closed.Load() {
		return errClosed
	}
	d.cache.Set(key, d.valueItem(v, ttl))
	return nil
}

func (d *Driver) valueItem(v driver.Stored, ttl time.Duration) *item {
	return &item{Stored: driver.Stored{Value: v.Value, Created: v.Created, Version: d.seq.Add(1)}, ttl: ttl}
}

// SetValues implements driver.ValueDriver.
func (d *Driver) SetValues(_ context.Context, items map[string]driver.Stored, ttl time.Duration) error {
	if d.closed.Load() {
		return errClosed
	}
	for k, v := range items {
		d.cache.Set(k, d.valueItem(v, ttl))
	}
	return nil
}

// Get implements driver.Driver: a copy of the bytes Set stored under key.
// A key holding a Go value (stored with SetValue) is region.ErrNotFound.
func (d *Driver) Get(_ context.Context, key string) ([]byte, error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	it, ok := d.cache.GetIfPresent(key)
	if !ok {
		return nil, region.ErrNotFound
	}
	b, raw := it.Value.(rawBytes)
	if !raw {
		return nil, region.ErrNotFound
	}
	return append([]byte{}, b...), nil
}

// Set implements driver.Driver: a copy of value is stored, expiring after
// ttl (0: never).
func (d *Driver) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if d.closed.Load() {
		return errClosed
	}
	d.cache.Set(key, d.bytesItem(value, ttl))
	return nil
}

func (d *Driver) bytesItem(value []byte, ttl time.Duration) *item {
	return &item{Stored: driver.Stored{Value: rawBytes(append([]byte{}, value...)), Version: d.seq.Add(1)}, ttl: ttl}
}

// CompareAndSetValue implements driver.ValueDriver: the check and the
// write are one otter Compute, atomic for every goroutine.
func (d *Driver) CompareAndSetValue(_ context.Context, key string, version uint64, v driver.Stored, ttl time.Duration) error {
	if d.closed.Load() {
		return errClosed
	}
	return d.compareAndSet(key, false, version, func() *item { return d.valueItem(v, ttl) })
}

// GetCAS implements driver.CASDriver for the byte view: a copy of the
// bytes Set stored under key and their version.
func (d *Driver) GetCAS(_ context.Context, key string) ([]byte, driver.CASToken, error) {
	if d.closed.Load() {
		return nil, "", errClosed
	}
	it, ok := d.cache.GetIfPresent(key)
	if !ok {
		return nil, "", region.ErrNotFound
	}
	b, raw := it.Value.(rawBytes)
	if !raw {
		return nil, "", region.ErrNotFound
	}
	return append([]byte{}, b...), versionToken(it.Version), nil
}

// CompareAndSet implements driver.CASDriver for the byte view (atomic, as
// CompareAndSetValue).
func (d *Driver) CompareAndSet(_ context.Context, key string, token driver.CASToken, value []byte, ttl time.Duration) error {
	if d.closed.Load() {
		return errClosed
	}
	version, ok := tokenVersion(token)
	if !ok {
		return fmt.Errorf("%w: objects driver: key %q: a token this driver did not make", region.ErrConflict, key)
	}
	return d.compareAndSet(key, true, version, func() *item { return d.bytesItem(value, ttl) })
}

// compareAndSet writes next() under key if the entry of the view (bytes or
// values) holds version (0: none).
func (d *Driver) compareAndSet(key string, bytesView bool, version uint64, next func() *item) error {
	conflict := false
	d.cache.Compute(key, func(old *item, found bool) (*item, otter.ComputeOp) {
		var cur uint64
		if found {
			if _, raw := old.Value.(rawBytes); raw == bytesView {
				cur = old.Version
			}
		}
		if cur != version {
			conflict = true
			return old, otter.CancelOp
		}
		return next(), otter.WriteOp
	})
	if conflict {
		return fmt.Errorf("%w: objects driver: key %q", region.ErrConflict, key)
	}
	return nil
}

func versionToken(v uint64) driver.CASToken {
	return driver.CASToken(binary.BigEndian.AppendUint64(nil, v))
}

func tokenVersion(t driver.CASToken) (uint64, bool) {
	switch len(t) {
	case 0:
		return 0, true
	case 8:
		return binary.BigEndian.Uint64([]byte(t)), true
	}
	return 0, false
}

// Delete implements driver.Driver: it removes whatever key holds.
func (d *Driver) Delete(_ context.Context, key string) error {
	if d.closed.Load() {
		return errClosed
	}
	d.cache.Invalidate(key)
	return nil
}

// Close empties the cache and stops otter's goroutines. Operations after
// Close fail with region.ErrClosed. Close is idempotent.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		d.evicted.Store(nil)
		d.cache.InvalidateAll()
		d.cache.StopAllGoroutines()
	})
	return nil
}
