package gocache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/allegro/bigcache/v3"
	"github.com/bradfitz/gomemcache/memcache"
	"github.com/eko/gocache/lib/v4/store"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// Name is the name the driver is registered under.
const Name = "gocache"

// Store types (the values of store.StoreInterface.GetType) that the driver
// knows and adapts its defaults to.
const (
	typeBigcache     = "bigcache"
	typeFreecache    = "freecache"
	typeMemcache     = "memcache"
	typeRedis        = "redis"
	typeRedisCluster = "rediscluster"
)

// DefaultMemcacheMaxTTL is the default WithMaxTTL of a store whose GetType
// is "memcache": memcached reads an expiry over 30 days as a Unix time,
// which would make the item expire at once.
const DefaultMemcacheMaxTTL = 30 * 24 * time.Hour

// ErrUnsupportedValue is returned (wrapped) by Get and GetMulti when the
// store returns a value that is neither a []byte nor a string: a value
// that code other than the region stored under the same key.
var ErrUnsupportedValue = errors.New("gocache driver: stored value is neither []byte nor string")

// errClosed is returned by every operation on a driver after Close.
var errClosed = fmt.Errorf("gocache driver: %w", region.ErrClosed)

// ErrClosed is region.ErrClosed, which every operation on a closed
// driver returns (wrapped).
//
// Deprecated: match region.ErrClosed, as for every driver.
var ErrClosed = region.ErrClosed

func init() {
	region.RegisterDriver(Name, factory)
}

// Driver is a driver.Driver over any gocache store.StoreInterface. Build
// it with NewDriver, or register-style with region.Configure("gocache",
// ...) (see the package documentation for the arguments). It is safe for
// concurrent use when the store is.
//
// Driver implements io.Closer (Close runs the function given with
// WithCloser, if any) and driver.KeyLimiter (memcached's key rules for a
// "memcache" store, every key for the others). It does not implement
// driver.Locker: gocache has no lock primitive, so the region uses its
// in-process per-key mutex. Nor does it implement driver.CASDriver:
// gocache's store interface has no conditional write, and the stores keep
// their clients to themselves, so nothing atomic is within the bridge's
// reach whatever the store (see Atomicity).
type Driver struct {
	s        store.StoreInterface
	typ      string
	setOpts  []store.Option // applied to every Set, before the expiration
	rounding time.Duration
	maxTTL   time.Duration
	owns     bool // the store copies slices in and out (no copy needed here)
	memcache bool // memcached key rules
	closeFn  func() error

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool
}

var (
	_ driver.Driver     = (*Driver)(nil)
	_ driver.KeyLimiter = (*Driver)(nil)
	_ io.Closer         = (*Driver)(nil)
)

// DriverOption adjusts a Driver built by NewDriver.
type DriverOption func(*driverConfig)

type driverConfig struct {
	sync           bool
	rounding       time.Duration
	roundingSet    bool
	maxTTL         time.Duration
	maxTTLSet      bool
	setOpts        []store.Option
	closeFn        func() error
	negativeOption string
}

// WithSynchronousSet decides whether every Set carries
// store.WithSynchronousSet, which makes the ristretto store wait until the
// write is applied (ristretto buffers writes, so without it a value just
// set may not be readable yet, and the region's dogpile waiters would
// miss it and create it again). Other stores ignore the option.
// Default true.
func WithSynchronousSet(on bool) DriverOption {
	return func(c *driverConfig) { c.sync = on }
}

// WithTTLRounding rounds every positive TTL up to a multiple of d before
// it is given to the store, for stores that count expiry in whole seconds
// and would read a TTL under one second as "never expire" (freecache) or
// cut it down. 0 disables rounding; negative is an error. Default: one
// second for stores whose GetType is "freecache" or "memcache", no
// rounding for the others.
func WithTTLRounding(d time.Duration) DriverOption {
	return func(c *driverConfig) {
		c.rounding, c.roundingSet = d, true
		if d < 0 {
			c.negativeOption = fmt.Sprintf("ttl_rounding (WithTTLRounding) %v", d)
		}
	}
}

// WithMaxTTL makes TTLs longer than d be stored without expiry (the
// region still judges freshness from its own records, so a value kept
// longer is never served as fresh). 0 means no limit; negative is an
// error. Default: DefaultMemcacheMaxTTL (30 days) for stores whose GetType
// is "memcache", no limit for the others.
func WithMaxTTL(d time.Duration) DriverOption {
	return func(c *driverConfig) {
		c.maxTTL, c.maxTTLSet = d, true
		if d < 0 {
			c.negativeOption = fmt.Sprintf("max_ttl (WithMaxTTL) %v", d)
		}
	}
}

// WithSetOptions adds gocache options to every Set (store.WithCost for
// ristretto, for example). The expiration the region asks for is applied
// after them, so a store.WithExpiration here only serves as the default
// for a TTL of 0. Default: none.
func WithSetOptions(opts ...store.Option) DriverOption {
	return func(c *driverConfig) { c.setOpts = append(c.setOpts, opts...) }
}

// WithCloser gives the driver a function to run on Close, once: closing
// the client under the store (ristretto's Cache.Close, bigcache's Close,
// a redis client), so that closing the region releases it. gocache stores
// have no Close of their own. Default: none; the caller owns the store
// and Close only marks the driver closed.
func WithCloser(fn func() error) DriverOption {
	return func(c *driverConfig) { c.closeFn = fn }
}

// NewDriver returns a region driver that stores the region's bytes in s.
// Defaults depend on s.GetType() (see each option and the package
// documentation). A nil store or a negative duration option returns an
// error wrapping region.ErrInvalidArgument.
func NewDriver(s store.StoreInterface, opts ...DriverOption) (*Driver, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: gocache driver: nil store", region.ErrInvalidArgument)
	}
	c := driverConfig{sync: true}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.negativeOption != "" {
		return nil, fmt.Errorf("%w: gocache driver: negative %s", region.ErrInvalidArgument, c.negativeOption)
	}
	typ := s.GetType()
	d := &Driver{
		s:        s,
		typ:      typ,
		rounding: c.rounding,
		maxTTL:   c.maxTTL,
		memcache: typ == typeMemcache,
		closeFn:  c.closeFn,
	}
	switch typ {
	case typeBigcache, typeFreecache, typeMemcache, typeRedis, typeRedisCluster:
		// These copy the bytes given to Set into their own memory (or
		// onto the wire) and return fresh slices from Get.
		d.owns = true
	}
	if !c.roundingSet && (typ == typeFreecache || typ == typeMemcache) {
		d.rounding = time.Second
	}
	if !c.maxTTLSet && typ == typeMemcache {
		d.maxTTL = DefaultMemcacheMaxTTL
	}
	d.setOpts = append(d.setOpts, c.setOpts...)
	if c.sync {
		d.setOpts = append(d.setOpts, store.WithSynchronousSet())
	}
	return d, nil
}

// factory builds the driver registered as "gocache".
func factory(_ driver.Info, args *driver.Arguments) (driver.Driver, error) {
	var opts []DriverOption
	raw, ok := args.Any("store")
	var s store.StoreInterface
	switch {
	case !ok:
		args.Fail("store", "missing: give the gocache store (a store.StoreInterface) to use")
	case raw == nil:
		args.Fail("store", "is nil")
	default:
		if s, ok = raw.(store.StoreInterface); !ok {
			args.Fail("store", "cannot use %T as a gocache store.StoreInterface", raw)
		}
	}
	opts = append(opts, WithSynchronousSet(args.Bool("synchronous_set", true)))
	if args.Has("ttl_rounding") {
		opts = append(opts, WithTTLRounding(args.Duration("ttl_rounding", 0)))
	}
	if args.Has("max_ttl") {
		opts = append(opts, WithMaxTTL(args.Duration("max_ttl", 0)))
	}
	if v, ok := args.Any("set_options"); ok {
		switch x := v.(type) {
		case []store.Option:
			opts = append(opts, WithSetOptions(x...))
		case store.Option:
			opts = append(opts, WithSetOptions(x))
		default:
			args.Fail("set_options", "cannot use %T as []store.Option", v)
		}
	}
	if v, ok := args.Any("closer"); ok {
		switch x := v.(type) {
		case io.Closer:
			opts = append(opts, WithCloser(x.Close))
		case func() error:
			opts = append(opts, WithCloser(x))
		default:
			args.Fail("closer", "cannot use %T as an io.Closer or func() error", v)
		}
	}
	if err := args.Err(); err != nil {
		return nil, err
	}
	return NewDriver(s, opts...)
}

// Atomicity reports how far compare-and-set and the dogpile lock reach on
// this driver: always region.AtomicInProcess. gocache's
// store.StoreInterface offers Get, Set and Delete only, so a region over
// the bridge compares and sets under its in-process key mutex: writers
// using one Region never lose each other's updates, writers in several
// processes (or Regions) sharing a memcached or redis store through
// gocache can. Use
// the memcached or redis driver for compare-and-set done by the server.
// (*region.Region).Atomicity reports the same for a region on the bridge.
func (d *Driver) Atomicity() region.Atomicity { return region.AtomicInProcess }

// Store returns the gocache store under the driver.
func (d *Driver) Store() store.StoreInterface { return d.s }

// Get returns the bytes under key. Whatever type the store returns is
// converted: a []byte is returned as is (copied when the store keeps the
// slice, as go-cache and ristretto do), a string is converted, a nil value
// with a nil error is a miss, and any other type is an error wrapping
// ErrUnsupportedValue. The store's not-found errors (store.NotFound,
// bigcache.ErrEntryNotFound, memcache.ErrCacheMiss, redis.Nil) are
// region.ErrNotFound.
func (d *Driver) Get(ctx context.Context, key string) ([]byte, error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	v, err := d.s.Get(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return nil, region.ErrNotFound
		}
		return nil, d.wrap("get", key, err)
	}
	return d.toBytes(key, v)
}

func (d *Driver) toBytes(key string, v any) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		if d.owns && x != nil {
			return x, nil
		}
		return append([]byte{}, x...), nil
	case string:
		return []byte(x), nil
	case nil:
		return nil, region.ErrNotFound
	}
	return nil, fmt.Errorf("%w: store %q returned a %T for key %q", ErrUnsupportedValue, d.typ, v, key)
}

// Set stores a copy of value under key with store.WithExpiration(ttl)
// when ttl > 0 (after rounding and the maximum, see WithTTLRounding and
// WithMaxTTL). With ttl == 0 no expiration is passed, so the store's own
// default applies (none unless the store was built with one).
func (d *Driver) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if d.closed.Load() {
		return errClosed
	}
	if !d.owns || value == nil {
		value = append([]byte{}, value...)
	}
	opts := d.setOpts
	if ttl = d.storeTTL(ttl); ttl > 0 {
		opts = append(opts[:len(opts):len(opts)], store.WithExpiration(ttl))
	}
	if err := d.s.Set(ctx, key, value, opts...); err != nil {
		return d.wrap("set", key, err)
	}
	return nil
}

// storeTTL applies rounding and the maximum to a TTL from the region.
func (d *Driver) storeTTL(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return 0
	}
	if r := d.rounding; r > 0 && ttl%r != 0 && ttl < 1<<62 {
		ttl += r - ttl%r
	}
	if d.maxTTL > 0 && ttl > d.maxTTL {
		return 0
	}
	return ttl
}

// Delete removes key. Stores that report deleting an absent key as an
// error (bigcache's ErrEntryNotFound, freecache's "failed to delete key",
// or any error after which Get finds the key absent) return nil.
func (d *Driver) Delete(ctx context.Context, key string) error {
	if d.closed.Load() {
		return errClosed
	}
	err := d.s.Delete(ctx, key)
	if err == nil || isNotFound(err) {
		return nil
	}
	if d.typ == typeFreecache {
		// freecache's store reports a delete that removed nothing as
		// "failed to delete key"; with a string key it has no other error.
		return nil
	}
	// Another store may report an absent key in a way that has no type to
	// match: confirm that the key is absent before calling it a success.
	if _, gerr := d.s.Get(ctx, key); gerr != nil && isNotFound(gerr) {
		return nil
	}
	return d.wrap("delete", key, err)
}

// ValidKey implements driver.KeyLimiter: for a "memcache" store it
// accepts what memcached can hold (1 to 250 bytes, no spaces or control
// characters), so a region rewrites other keys with region.MangleKey; for
// any other store it accepts every key.
func (d *Driver) ValidKey(key string) bool {
	if !d.memcache {
		return true
	}
	if len(key) == 0 || len(key) > 250 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] == 0x7f {
			return false
		}
	}
	return true
}

// Close runs the function given with WithCloser (once) and makes every
// later operation fail with region.ErrClosed. It returns that function's error.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		if d.closeFn != nil {
			d.closeErr = d.closeFn()
		}
	})
	return d.closeErr
}

// isNotFound reports whether err is a gocache store's "no such key": the
// lib's store.NotFound, or a native error a store passes through
// unwrapped (bigcache's store returns bigcache.ErrEntryNotFound as is).
func isNotFound(err error) bool {
	return errors.Is(err, store.NotFound{}) ||
		errors.Is(err, region.ErrNotFound) ||
		errors.Is(err, bigcache.ErrEntryNotFound) ||
		errors.Is(err, memcache.ErrCacheMiss) ||
		errors.Is(err, goredis.Nil)
}

// tooLargeHints are fragments of the errors stores return for a value
// over their size limit; none of them is a typed error gocache passes on.
var tooLargeHints = []string{
	"1/1024 of cache size",         // freecache
	"bigger than max shard size",   // bigcache
	"object too large for cache",   // memcached
	"exceeds maximum allowed size", // redis proto-max-bulk-len
}

// storeError wraps an error of the store with the operation and key; its
// message is bounded (ristretto's set error prints the whole value).
type storeError struct {
	op, key, typ string
	err          error
	tooLarge     bool
}

const maxErrText = 300

func (e *storeError) Error() string {
	msg := e.err.Error()
	if len(msg) > maxErrText {
		msg = strings.ToValidUTF8(msg[:maxErrText], "") + "... (truncated)"
	}
	key := e.key
	if len(key) > 100 {
		key = strings.ToValidUTF8(key[:100], "") + "..."
	}
	s := fmt.Sprintf("gocache driver: store %q: %s %q: %s", e.typ, e.op, key, msg)
	if e.tooLarge {
		s += " (" + region.ErrValueTooLarge.Error() + ")"
	}
	return s
}

func (e *storeError) Unwrap() []error {
	if e.tooLarge {
		return []error{e.err, region.ErrValueTooLarge}
	}
	return []error{e.err}
}

func (d *Driver) wrap(op, key string, err error) error {
	e := &storeError{op: op, key: key, typ: d.typ, err: err}
	if op == "set" {
		msg := err.Error()
		for _, h := range tooLargeHints {
			if strings.Contains(msg, h) {
				e.tooLarge = true
				break
			}
		}
	}
	return e
}
