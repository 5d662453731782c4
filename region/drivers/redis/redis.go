package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// Driver is a driver.Driver on redis: GET/MGET/SET PX/DEL on one server, a
// sentinel-managed master or a cluster. It is safe for concurrent use.
// Close releases the client unless the caller supplied it.
//
// A Driver itself has no Mutex method, so it is not a driver.Locker; use
// RegionDriver to hand a region the driver with its distributed lock when
// Config.DistributedLock is set.
type Driver struct {
	client      goredis.UniversalClient
	owned       bool
	mode        string // "single", "sentinel", "cluster" or "client"
	prefix      string
	ttl         time.Duration
	lock        bool
	lockTimeout time.Duration
	lockSleep   time.Duration
	lockPrefix  string
	closeOnce   sync.Once
	closeErr    error
}

// LockingDriver is a Driver that is also a driver.Locker: regions using it
// take the dogpile lock in redis (SET NX PX, released by a token check), so
// one process in the fleet regenerates a value. RegionDriver returns it
// when Config.DistributedLock is set.
type LockingDriver struct {
	*Driver
}

// Mutex implements driver.Locker: the distributed mutex (as NewMutex's)
// whose lock lives under KeyPrefix + key. The region names its lock keys
// itself, in its reserved namespace ("~gs:lock:" + the store key), so
// LockPrefix does not apply; it names the lock keys of NewMutex.
func (l LockingDriver) Mutex(key string) driver.Mutex {
	return &mutex{d: l.Driver, key: l.prefix + key}
}

var (
	_ driver.Driver       = (*Driver)(nil)
	_ driver.MultiGetter  = (*Driver)(nil)
	_ driver.MultiSetter  = (*Driver)(nil)
	_ driver.MultiDeleter = (*Driver)(nil)
	_ driver.Locker       = LockingDriver{}
)

func init() {
	region.RegisterDriver("redis", factory)
}

// New builds a driver from cfg; see Config for the defaults. It does not
// contact the server: an unreachable server shows up as errors from the
// operations (within the configured timeouts), not from New. Invalid
// settings return an error wrapping region.ErrInvalidArgument.
func New(cfg Config) (*Driver, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	d := &Driver{
		prefix:      cfg.KeyPrefix,
		ttl:         cfg.TTL,
		lock:        cfg.DistributedLock,
		lockTimeout: cmp.Or(cfg.LockTimeout, DefaultLockTimeout),
		lockSleep:   cmp.Or(cfg.LockSleep, DefaultLockSleep),
		lockPrefix:  cfg.LockPrefix,
	}
	if d.lockPrefix == "" {
		d.lockPrefix = DefaultLockPrefix
	}
	d.lockSleep = max(d.lockSleep, time.Millisecond)
	if cfg.Client != nil {
		d.client, d.mode = cfg.Client, "client"
	} else {
		var err error
		d.client, d.mode, err = cfg.newClient()
		if err != nil {
			return nil, err
		}
		d.owned = true
	}
	goredisLog.add(d, cmp.Or(cfg.Logger, slog.Default()))
	return d, nil
}

// RegionDriver returns what a region should be given: d itself when
// DistributedLock is off, or LockingDriver{d} (which is a driver.Locker)
// when it is on. The "redis" factory returns it; callers of New pass it to
// (*region.Region).ConfigureDriver.
func (d *Driver) RegionDriver() driver.Driver {
	if d.lock {
		return LockingDriver{d}
	}
	return d
}

// Client returns the go-redis client the driver uses (for commands the
// driver does not offer). Closing it is the driver's job when New built it.
func (d *Driver) Client() goredis.UniversalClient { return d.client }

// Close closes the client if New built it; a client supplied in
// Config.Client is left open. Close is idempotent; later operations fail.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		goredisLog.remove(d)
		if d.owned {
			d.closeErr = d.client.Close()
		}
	})
	return d.closeErr
}

// Get returns the value of key (GET), or region.ErrNotFound.
func (d *Driver) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := d.client.Get(ctx, d.prefix+key).Bytes()
	if err != nil {
		if errors.Is(err, goredis.Nil) {
			return nil, region.ErrNotFound
		}
		return nil, fmt.Errorf("redis: get %q: %w", key, err)
	}
	return b, nil
}

// GetMulti returns the present keys' values: one MGET on a single server,
// one MGET per hash slot (pipelined, the nodes answering concurrently) on
// a cluster, pipelined GETs on other client types (a Ring).
func (d *Driver) GetMulti(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	groups := d.groups(d.prefixed(keys))
	cmds := make([]*goredis.SliceCmd, len(groups))
	if len(groups) == 1 {
		cmds[0] = d.client.MGet(ctx, groups[0]...)
	} else {
		pipe := d.client.Pipeline()
		for i, g := range groups {
			cmds[i] = pipe.MGet(ctx, g...)
		}
		_, _ = pipe.Exec(ctx) // errors are on the commands
	}
	for i, c := range cmds {
		vals, err := c.Result()
		if err != nil {
			return nil, fmt.Errorf("redis: mget of %d keys: %w", len(keys), err)
		}
		for j, v := range vals {
			if j >= len(groups[i]) {
				break
			}
			switch s := v.(type) {
			case string:
				out[groups[i][j][len(d.prefix):]] = []byte(s)
			case []byte:
				out[groups[i][j][len(d.prefix):]] = append([]byte(nil), s...)
			}
		}
	}
	return out, nil
}

// prefixed returns keys with the key prefix (keys itself when none).
func (d *Driver) prefixed(keys []string) []string {
	if d.prefix == "" {
		return keys
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = d.prefix + k
	}
	return out
}

// groups splits keys into the key lists that one multi-key command may
// carry on this client.
func (d *Driver) groups(keys []string) [][]string {
	switch d.client.(type) {
	case *goredis.Client:
		return [][]string{keys}
	case *goredis.ClusterClient:
		return groupBySlot(keys)
	}
	// A Ring or another client routes a command by its first key only.
	out := make([][]string, len(keys))
	for i, k := range keys {
		out[i] = []string{k}
	}
	return out
}

// pxMillis returns the PX argument for ttl (0 = no expiry), rounding a
// fraction of a millisecond up so that a short TTL never becomes "none".
func (d *Driver) pxMillis(ttl time.Duration) (int64, error) {
	if ttl < 0 {
		return 0, invalid("negative ttl %v", ttl)
	}
	if d.ttl > 0 {
		ttl = d.ttl
	}
	return int64((ttl + time.Millisecond - 1) / time.Millisecond), nil
}

func setCmd(ctx context.Context, key string, value []byte, px int64) *goredis.StatusCmd {
	if px > 0 {
		return goredis.NewStatusCmd(ctx, "set", key, value, "px", px)
	}
	return goredis.NewStatusCmd(ctx, "set", key, value)
}

// Set stores value under key with SET key value PX ttl (no PX when the
// TTL is 0).
func (d *Driver) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	px, err := d.pxMillis(ttl)
	if err != nil {
		return err
	}
	if err := d.client.Process(ctx, setCmd(ctx, d.prefix+key, value, px)); err != nil {
		return fmt.Errorf("redis: set %q: %w", key, err)
	}
	return nil
}

// SetMulti stores every item with one pipeline of SET ... PX commands (a
// cluster sends each node its share concurrently).
func (d *Driver) SetMulti(ctx context.Context, items map[string][]byte, ttl time.Duration) error {
	px, err := d.pxMillis(ttl)
	if err != nil {
		return err
	}
	switch len(items) {
	case 0:
		return nil
	case 1:
		for k, v := range items {
			return d.Set(ctx, k, v, ttl)
		}
	}
	pipe := d.client.Pipeline()
	for k, v := range items {
		_ = pipe.Process(ctx, setCmd(ctx, d.prefix+k, v, px))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: set of %d keys: %w", len(items), err)
	}
	return nil
}

// Delete removes key (DEL).
func (d *Driver) Delete(ctx context.Context, key string) error {
	if err := d.client.Del(ctx, d.prefix+key).Err(); err != nil {
		return fmt.Errorf("redis: delete %q: %w", key, err)
	}
	return nil
}

// DeleteMulti removes keys: one DEL on a single server, one DEL per hash
// slot (pipelined) on a cluster.
func (d *Driver) DeleteMulti(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	groups := d.groups(d.prefixed(keys))
	var err error
	if len(groups) == 1 {
		err = d.client.Del(ctx, groups[0]...).Err()
	} else {
		pipe := d.client.Pipeline()
		for _, g := range groups {
			pipe.Del(ctx, g...)
		}
		_, err = pipe.Exec(ctx)
	}
	if err != nil {
		return fmt.Errorf("redis: delete of %d keys: %w", len(keys), err)
	}
	return nil
}
