package memcached

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// Defaults of Config (and of the driver arguments).
const (
	// DefaultTimeout is the default Config.Timeout (gomemcache's own).
	DefaultTimeout = memcache.DefaultTimeout

	// DefaultMaxIdleConns is the default Config.MaxIdleConns.
	DefaultMaxIdleConns = 16

	// DefaultLockTimeout is the default Config.LockTimeout.
	DefaultLockTimeout = 30 * time.Second

	// DefaultLockSleep is the default Config.LockSleep.
	DefaultLockSleep = 100 * time.Millisecond

	// DefaultMultiConcurrency is the default Config.MultiConcurrency.
	DefaultMultiConcurrency = 8

	// maxRelative is the longest expiry memcached reads as relative (30
	// days, in seconds); a larger number is an absolute Unix time.
	maxRelative = 30 * 24 * 60 * 60
)

// Config configures a Driver built with New. The zero value of every field
// but Servers selects its default.
type Config struct {
	// Servers are the memcached addresses, "host:port" or the path of a
	// Unix socket (argument "url"). With several servers each key lives on
	// one of them, chosen by a CRC-32 of the key modulo the number of
	// servers (gomemcache's ServerList); a server listed twice gets twice
	// the share. Host names are resolved once, by New. Required.
	Servers []string

	// Timeout bounds each network step of an operation: connecting, and
	// then the exchange on the connection (argument "timeout"; a
	// multi-get's deadline is renewed for each item read). An unreachable
	// or hung server makes an operation fail after about this long, twice
	// it at most (a connection that opens, then a server that does not
	// answer). Default 500ms (DefaultTimeout, gomemcache's own).
	Timeout time.Duration

	// MaxIdleConns is the number of idle connections kept open per server
	// for reuse (argument "max_idle_conns"). Connections beyond it are
	// closed after use, so set it near the number of concurrent operations
	// expected per server. Default 16 (DefaultMaxIdleConns; gomemcache's
	// own default of 2 makes busy programs reconnect constantly).
	MaxIdleConns int

	// ExpireTime, when positive, is the memcached expiry of every item set,
	// replacing the TTL the region asks for (argument
	// "memcached_expire_time", as in dogpile). Converted as the TTL of
	// Driver.Set is.
	// Keep it at least the region's expiration plus its stale window, or
	// values vanish before the region considers them stale. Default 0: use
	// the region's TTL.
	ExpireTime time.Duration

	// LockTimeout is how long a distributed lock lives in memcached when
	// its holder does not release it, for example because the holder
	// died (argument "lock_timeout"). A creator that runs longer than this
	// may see a second creator start. Rounded up to whole seconds; the
	// lock lives up to one second more (see Driver.Set).
	// Default 30s (DefaultLockTimeout). dogpile's default of 0, "never
	// expires", is not offered: a dead holder would then block its key
	// until someone deleted the lock by hand.
	LockTimeout time.Duration

	// LockSleep is the longest wait between two attempts of Mutex.Lock to
	// take a busy lock (argument "lock_sleep"), and so the longest a waiter
	// can be late in noticing a release. The first wait is LockSleep/16;
	// waits double after each attempt up to LockSleep and are jittered so
	// waiters do not retry in step (internal/backoff.ForLockSleep, the same
	// meaning in every driver). Default 100ms (DefaultLockSleep).
	LockSleep time.Duration

	// MultiConcurrency bounds how many round trips SetMulti and
	// DeleteMulti run at the same time (argument "multi_concurrency");
	// memcached's text protocol has no multi-set or multi-delete command,
	// so each item is its own round trip. Default 8
	// (DefaultMultiConcurrency).
	MultiConcurrency int

	// DialContext, when set, opens the connections to the servers, for
	// example with tls.Dialer to reach memcached started with
	// --enable-ssl. Default: a net.Dialer with Timeout. It has no argument
	// form.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
}

// Driver is the memcached region driver. It implements driver.Driver,
// driver.KeyLimiter and io.Closer, and is safe for concurrent use. It does
// not implement driver.Locker: use Locking for a driver that does, or
// DistributedMutex directly.
type Driver struct {
	cfg    Config
	client *memcache.Client
	meta   *metaClient // the distributed lock's meta-protocol connections

	mu     sync.RWMutex // held for reading by every operation, for writing by Close
	closed atomic.Bool
}

var (
	_ driver.Driver       = (*Driver)(nil)
	_ driver.MultiGetter  = (*Driver)(nil)
	_ driver.MultiSetter  = (*Driver)(nil)
	_ driver.MultiDeleter = (*Driver)(nil)
	_ driver.KeyLimiter   = (*Driver)(nil)
)

// New checks cfg, fills in its defaults and returns a driver. It resolves
// the server addresses but does not connect: connections are opened by the
// first operations, so New succeeds while the servers are down. Errors
// wrap region.ErrInvalidArgument.
func New(cfg Config) (*Driver, error) {
	servers := make([]string, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		if s = strings.TrimSpace(s); s != "" {
			servers = append(servers, s)
		}
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("%w: memcached: no server address (argument \"url\", Config.Servers)", region.ErrInvalidArgument)
	}
	for name, v := range map[string]time.Duration{
		"Timeout": cfg.Timeout, "ExpireTime": cfg.ExpireTime,
		"LockTimeout": cfg.LockTimeout, "LockSleep": cfg.LockSleep,
	} {
		if v < 0 {
			return nil, fmt.Errorf("%w: memcached: negative %s %v", region.ErrInvalidArgument, name, v)
		}
	}
	if cfg.MaxIdleConns < 0 || cfg.MultiConcurrency < 0 {
		return nil, fmt.Errorf("%w: memcached: negative MaxIdleConns (%d) or MultiConcurrency (%d)",
			region.ErrInvalidArgument, cfg.MaxIdleConns, cfg.MultiConcurrency)
	}
	cfg.Servers = servers
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultTimeout)
	cfg.MaxIdleConns = cmp.Or(cfg.MaxIdleConns, DefaultMaxIdleConns)
	cfg.LockTimeout = cmp.Or(cfg.LockTimeout, DefaultLockTimeout)
	cfg.LockSleep = cmp.Or(cfg.LockSleep, DefaultLockSleep)
	cfg.MultiConcurrency = cmp.Or(cfg.MultiConcurrency, DefaultMultiConcurrency)

	var sl memcache.ServerList
	if err := sl.SetServers(servers...); err != nil {
		return nil, fmt.Errorf("%w: memcached: server addresses %q: %v", region.ErrInvalidArgument, servers, err)
	}
	c := memcache.NewFromSelector(&sl)
	c.Timeout = cfg.Timeout
	c.MaxIdleConns = cfg.MaxIdleConns
	c.DialContext = cfg.DialContext
	return &Driver{cfg: cfg, client: c, meta: newMetaClient(&sl, cfg)}, nil
}

// Config returns the driver's configuration with its defaults filled in.
func (d *Driver) Config() Config {
	c := d.cfg
	c.Servers = append([]string(nil), c.Servers...)
	return c
}

// Close closes the idle connections and makes every later operation fail
// with an error wrapping region.ErrClosed. It waits for operations in flight
// (each bounded by Timeout). Closing twice is not an error.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed.Swap(true) {
		return nil
	}
	d.meta.close()
	return d.client.Close()
}

// begin starts an operation: it fails when ctx is done or the driver is
// closed, and otherwise holds the read lock until the returned func runs.
func (d *Driver) begin(ctx context.Context, op string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memcached: %s: %w", op, err)
	}
	d.mu.RLock()
	if d.closed.Load() {
		d.mu.RUnlock()
		return nil, fmt.Errorf("memcached: %s: driver closed: %w", op, region.ErrClosed)
	}
	return d.mu.RUnlock, nil
}

// beginRelease is begin for the release of a lock: under
// driver.UnlockContext, so that it runs even when ctx is done, within
// driver.UnlockGrace. It returns the context to release with and the
// function that ends the operation.
func (d *Driver) beginRelease(ctx context.Context) (context.Context, func(), error) {
	ctx, cancel := driver.UnlockContext(ctx)
	done, err := d.begin(ctx, "unlock")
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return ctx, func() { done(); cancel() }, nil
}

// Get implements driver.Driver. A miss returns region.ErrNotFound.
// Like every operation it checks ctx before it starts; a round trip that
// has started is bounded by Timeout rather than by ctx, since gomemcache
// takes no context.
func (d *Driver) Get(ctx context.Context, key string) ([]byte, error) {
	done, err := d.begin(ctx, "get")
	if err != nil {
		return nil, err
	}
	defer done()
	sk := storeKey(key)
	it, err := d.client.Get(sk)
	if err != nil {
		return nil, opError("get", sk, 0, err)
	}
	return it.Value, nil
}

// GetMulti implements driver.MultiGetter with one gomemcache GetMulti: one
// "gets" command per server holding any of the keys, the servers asked
// in parallel. Duplicate keys are fetched once. If any of those servers
// fails, GetMulti returns its error and no values.
func (d *Driver) GetMulti(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	done, err := d.begin(ctx, "get_multi")
	if err != nil {
		return nil, err
	}
	defer done()
	// byStore maps a store key back to the caller's key; the
	// mangling is injective, so each store key has one caller key.
	byStore := make(map[string]string, len(keys))
	sks := make([]string, 0, len(keys))
	for _, k := range keys {
		sk := storeKey(k)
		if _, dup := byStore[sk]; !dup {
			byStore[sk] = k
			sks = append(sks, sk)
		}
	}
	items, err := d.client.GetMulti(sks)
	if err != nil {
		return nil, fmt.Errorf("memcached: get_multi of %d keys: %w", len(sks), err)
	}
	for sk, it := range items {
		if k, ok := byStore[sk]; ok {
			out[k] = it.Value
		}
	}
	return out, nil
}

// Set implements driver.Driver. The item expires after ttl, or after
// Config.ExpireTime when that is set; ttl == 0 means no expiry. memcached
// counts expiry in whole seconds and removes items at the ticks of its
// one-second clock, so an expiry of n seconds ends somewhere in the last
// second before n; the driver therefore asks for ttl rounded up to whole
// seconds plus one, and the item lives at least ttl and at most a second
// more (a 10ms TTL gives 2, never 0, which memcached reads as "never"). A value
// over the server's item size limit (memcached -I, 1 MiB by default,
// counting key and item header) fails with an error wrapping
// region.ErrValueTooLarge.
func (d *Driver) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	exp, err := d.expiry(ttl)
	if err != nil {
		return err
	}
	done, err := d.begin(ctx, "set")
	if err != nil {
		return err
	}
	defer done()
	sk := storeKey(key)
	if err := d.client.Set(&memcache.Item{Key: sk, Value: value, Expiration: exp}); err != nil {
		return opError("set", sk, len(value), err)
	}
	return nil
}

// SetMulti implements driver.MultiSetter: one "set" per item (memcached has
// no multi-set), up to Config.MultiConcurrency of them at the same time.
// Every item is attempted unless ctx ends; the error joins the distinct
// failures (see Set for region.ErrValueTooLarge).
func (d *Driver) SetMulti(ctx context.Context, items map[string][]byte, ttl time.Duration) error {
	exp, err := d.expiry(ttl)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	return d.parallel(ctx, "set_multi", len(keys), func(i int) error {
		return d.client.Set(&memcache.Item{Key: storeKey(keys[i]), Value: items[keys[i]], Expiration: exp})
	}, func(i int, err error) error {
		return opError("set", storeKey(keys[i]), len(items[keys[i]]), err)
	})
}

// Delete implements driver.Driver; an absent key is not an error.
func (d *Driver) Delete(ctx context.Context, key string) error {
	done, err := d.begin(ctx, "delete")
	if err != nil {
		return err
	}
	defer done()
	sk := storeKey(key)
	if err := d.delete(sk); err != nil {
		return opError("delete", sk, 0, err)
	}
	return nil
}

// delete deletes sk; an absent key is not an error.
func (d *Driver) delete(sk string) error {
	if err := d.client.Delete(sk); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return err
	}
	return nil
}

// DeleteMulti implements driver.MultiDeleter: one "delete" per key, up to
// Config.MultiConcurrency at the same time (as SetMulti).
func (d *Driver) DeleteMulti(ctx context.Context, keys []string) error {
	return d.parallel(ctx, "delete_multi", len(keys), func(i int) error {
		return d.delete(storeKey(keys[i]))
	}, func(i int, err error) error {
		return opError("delete", storeKey(keys[i]), 0, err)
	})
}

// maxJoined bounds the distinct errors a multi operation reports, so that
// a thousand items failing on one dead server make one readable error.
const maxJoined = 8

// parallel is the multi operation op of n items: nothing for none, else
// it begins op (see begin) and runs fn(0..n-1) on up to MultiConcurrency
// goroutines and waits for all of them. It stops starting items once ctx
// is done. A failing item's raw error is reported through wrap(i, err),
// once per distinct raw error message.
func (d *Driver) parallel(ctx context.Context, op string, n int, fn func(i int) error, wrap func(i int, err error) error) error {
	if n == 0 {
		return nil
	}
	done, err := d.begin(ctx, op)
	if err != nil {
		return err
	}
	defer done()
	workers := min(n, d.cfg.MultiConcurrency)
	var (
		next    atomic.Int64
		mu      sync.Mutex
		failed  int
		seen    = map[string]bool{}
		errs    []error
		wg      sync.WaitGroup
		stopped error
	)
	record := func(i int, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed++
		if msg := err.Error(); !seen[msg] && len(errs) < maxJoined {
			seen[msg] = true
			errs = append(errs, wrap(i, err))
		}
	}
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					mu.Lock()
					stopped = err
					mu.Unlock()
					return
				}
				if err := fn(i); err != nil {
					record(i, err)
				}
			}
		})
	}
	wg.Wait()
	if failed == 0 && stopped == nil {
		return nil
	}
	head := fmt.Errorf("memcached: %s: %d of %d items failed", op, failed, n)
	if stopped != nil {
		head = fmt.Errorf("memcached: %s: %d of %d items failed, stopped early: %w", op, failed, n, stopped)
	}
	return errors.Join(append([]error{head}, errs...)...)
}

// expiry is the memcached expiry of an item set with ttl (Config.ExpireTime
// instead when that is set). A negative ttl is an error wrapping
// region.ErrInvalidArgument.
func (d *Driver) expiry(ttl time.Duration) (int32, error) {
	if ttl < 0 {
		return 0, fmt.Errorf("%w: memcached: negative ttl %v", region.ErrInvalidArgument, ttl)
	}
	if d.cfg.ExpireTime > 0 {
		ttl = d.cfg.ExpireTime
	}
	return expiry(ttl, time.Now()), nil
}

// expiry converts a TTL to memcached's expiry field: 0 for none, else
// whole seconds rounded up plus one (see Set), as a number of seconds up
// to 30 days, and beyond that as an absolute Unix time, which memcached
// requires there (capped at the largest the 32-bit field holds, in 2038).
func expiry(ttl time.Duration, now time.Time) int32 {
	if ttl <= 0 {
		return 0
	}
	secs := int64(ttl/time.Second) + 1
	if ttl%time.Second != 0 {
		secs++
	}
	if secs <= maxRelative {
		return int32(secs)
	}
	return int32(min(now.Unix()+secs, math.MaxInt32))
}

// opError maps a gomemcache error of op on store key sk.
func opError(op, sk string, size int, err error) error {
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		return region.ErrNotFound
	case strings.Contains(err.Error(), "object too large"):
		return fmt.Errorf("memcached: %s %q: value of %d bytes is over the server's item size limit (memcached -I): %w (%w)",
			op, sk, size, region.ErrValueTooLarge, err)
	}
	return fmt.Errorf("memcached: %s %q: %w", op, sk, err)
}
