package redis

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// Defaults of Config, applied by New to zero fields.
const (
	// DefaultDialTimeout bounds establishing one connection.
	DefaultDialTimeout = 2 * time.Second
	// DefaultReadTimeout bounds waiting for one reply.
	DefaultReadTimeout = 2 * time.Second
	// DefaultMaxRetries is how many times a command that failed on the
	// network is retried before its error is returned.
	DefaultMaxRetries = 1
	// DefaultLockTimeout is how long a distributed lock lives in redis
	// when its holder never releases it.
	DefaultLockTimeout = 30 * time.Second
	// DefaultLockSleep is the longest wait between attempts to take a
	// lock held by someone else (the first is a sixteenth of it).
	DefaultLockSleep = 100 * time.Millisecond
	// DefaultLockPrefix is put in front of a key to name its lock key.
	DefaultLockPrefix = "_lock:"
	// DefaultAddr is the server used when neither URL nor Addrs is set.
	DefaultAddr = "127.0.0.1:6379"
	// DefaultSentinelAddr is the sentinel used when MasterName is set
	// without Addrs.
	DefaultSentinelAddr = "127.0.0.1:26379"
)

// Config configures a Driver built with New. The zero value connects to
// one server on 127.0.0.1:6379, database 0, without a distributed lock.
//
// Connection: exactly one of URL, Addrs (with or without MasterName) or
// Client describes the server; setting two of them is an error.
type Config struct {
	// URL is a redis:// (plain), rediss:// (TLS) or unix:// URL, parsed by
	// go-redis's ParseURL: user info, host:port (default localhost:6379),
	// the database as the path ("/3") and go-redis query options such as
	// ?dial_timeout=3s&pool_size=20. A URL always means one server. The
	// database, user name, password and TLS come from the URL only: setting
	// DB, Username, Password or TLS as well is an error. DialTimeout,
	// ReadTimeout, WriteTimeout, PoolSize and MaxRetries override the URL's
	// query when set. TLSConfig may be given with rediss:// only (it
	// replaces the default TLS settings, e.g. to trust a private CA).
	// Default "": use Addrs.
	URL string

	// Addrs lists host:port addresses. One address is one server; two or
	// more are the seed nodes of a Redis Cluster; with MasterName they are
	// the sentinels. Default: [DefaultAddr], or [DefaultSentinelAddr] with
	// MasterName.
	Addrs []string

	// Cluster forces cluster mode with a single seed address (a managed
	// cluster's configuration endpoint). Default false.
	Cluster bool

	// MasterName is the name of the master monitored by the sentinels in
	// Addrs (redis-sentinel failover). Default "": no sentinel.
	MasterName string

	// SentinelUsername and SentinelPassword authenticate with the
	// sentinels (not the data servers). Default "": none.
	SentinelUsername, SentinelPassword string

	// DB is the database number (SELECT). Must be 0 on a cluster.
	// Default 0.
	DB int

	// Username and Password authenticate (AUTH, ACL users). Default "".
	Username, Password string

	// TLS turns on TLS with the system's roots and TLS 1.2 or later.
	// Default false. Setting TLSConfig also turns TLS on.
	TLS bool

	// TLSConfig is the TLS configuration (client certificates, private CA).
	// It is cloned. Default nil.
	TLSConfig *tls.Config

	// DialTimeout bounds establishing a connection. Default
	// DefaultDialTimeout (2s).
	DialTimeout time.Duration

	// ReadTimeout bounds waiting for a reply. Default DefaultReadTimeout
	// (2s).
	ReadTimeout time.Duration

	// WriteTimeout bounds writing a command. Default: ReadTimeout.
	WriteTimeout time.Duration

	// PoolSize is the number of connections per server. Default: go-redis's
	// default, 10 per GOMAXPROCS.
	PoolSize int

	// MaxRetries is how many times a command that failed on the network is
	// retried. Default (0) DefaultMaxRetries (1); negative: no retries.
	// A connection is dialled once per attempt (go-redis's own dial
	// retries are off), so against an unreachable server an operation
	// fails after about (MaxRetries+1) × DialTimeout at most, or sooner if
	// its context ends.
	MaxRetries int

	// Client is a caller-built go-redis client (a *redis.Client, a
	// *redis.ClusterClient, a *redis.Ring...). The driver uses it as is
	// and does not close it. Setting it together with any connection
	// field above is an error. New turns on go-redis's
	// ContextTimeoutEnabled for the clients it builds, so that context
	// deadlines bound every command; a supplied client keeps its own
	// setting. Default nil: New builds the client.
	Client goredis.UniversalClient

	// KeyPrefix is put in front of every key (data and lock keys), to share
	// a database between applications. Default "".
	KeyPrefix string

	// TTL, when > 0, is the time to live of every item stored, replacing
	// the TTL the region passes (dogpile's redis_expiration_time). Default
	// 0: use the region's TTL.
	TTL time.Duration

	// DistributedLock makes the region's dogpile lock a redis lock shared by
	// every process using the same server (see RegionDriver). Default
	// false: the region locks within its process only.
	DistributedLock bool

	// LockTimeout is the lifetime of a lock key: a holder that dies (or
	// takes longer than this) loses the lock after LockTimeout. It should
	// exceed the longest creator run. Default DefaultLockTimeout (30s).
	LockTimeout time.Duration

	// LockSleep is the longest wait between two attempts to take a lock
	// held by another, and so the longest a waiter can be late in noticing
	// a release. The first wait is LockSleep/16; waits double after each
	// attempt up to LockSleep and are jittered so waiters do not retry in
	// step (internal/backoff.ForLockSleep, the same meaning in every
	// driver). Values under 1ms are raised to 1ms. Default
	// DefaultLockSleep (100ms). Before gosess had one meaning for it, this
	// was the first wait of a sleep growing to ten times it: multiply an
	// old setting by ten to keep its longest wait.
	LockSleep time.Duration

	// LockPrefix is put in front of a key (after KeyPrefix) to name the
	// lock key of NewMutex(key). Default DefaultLockPrefix ("_lock:").
	// Regions name their lock keys themselves (see LockingDriver.Mutex).
	LockPrefix string

	// Logger receives go-redis's own log lines (connection pool failures,
	// sentinel failovers) while the driver is open, instead of package
	// log on standard error: see log.go's note on go-redis's process-wide
	// logger. Default: the region's logger (region.WithLogger) for drivers
	// built by Configure, else slog.Default().
	Logger *slog.Logger
}

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

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: redis: %s", region.ErrInvalidArgument, fmt.Sprintf(format, args...))
}

// check reports settings that contradict each other or are out of range.
func (c *Config) check() error {
	for name, v := range map[string]time.Duration{
		"dial_timeout (DialTimeout)": c.DialTimeout, "read_timeout (ReadTimeout)": c.ReadTimeout,
		"write_timeout (WriteTimeout)": c.WriteTimeout, "redis_expiration_time (TTL)": c.TTL,
		"lock_timeout (LockTimeout)": c.LockTimeout, "lock_sleep (LockSleep)": c.LockSleep,
	} {
		if v < 0 {
			return invalid("%s must not be negative, got %v", name, v)
		}
	}
	if c.PoolSize < 0 {
		return invalid("pool_size (PoolSize) must not be negative, got %d", c.PoolSize)
	}
	if c.DB < 0 {
		return invalid("db (DB) must not be negative, got %d", c.DB)
	}
	if c.Client != nil {
		var set []string
		for name, on := range map[string]bool{
			"url": c.URL != "", "addrs": len(c.Addrs) > 0, "cluster": c.Cluster,
			"master_name": c.MasterName != "", "sentinel_username": c.SentinelUsername != "",
			"sentinel_password": c.SentinelPassword != "", "db": c.DB != 0,
			"username": c.Username != "", "password": c.Password != "", "tls": c.TLS,
			"tls_config": c.TLSConfig != nil, "dial_timeout": c.DialTimeout != 0,
			"read_timeout": c.ReadTimeout != 0, "write_timeout": c.WriteTimeout != 0,
			"pool_size": c.PoolSize != 0, "max_retries": c.MaxRetries != 0,
		} {
			if on {
				set = append(set, name)
			}
		}
		if len(set) > 0 {
			slices.Sort(set)
			return invalid("client is a pre-built client: it cannot be combined with connection settings (%s); configure them on the client",
				strings.Join(set, ", "))
		}
		return nil
	}
	if c.URL != "" {
		switch {
		case len(c.Addrs) > 0:
			return invalid("url and addrs cannot both be set: give one server as url, or servers as addrs")
		case c.MasterName != "":
			return invalid("url cannot be combined with master_name: give the sentinels as addrs")
		case c.Cluster:
			return invalid("url cannot be combined with cluster: give the cluster's seed nodes as addrs")
		case c.DB != 0:
			return invalid("url cannot be combined with db: put the database in the URL path (redis://host:port/%d)", c.DB)
		case c.Username != "" || c.Password != "":
			return invalid("url cannot be combined with username or password: put them in the URL (redis://user:password@host:port)")
		case c.TLS:
			return invalid("url cannot be combined with tls: use a rediss:// URL for TLS")
		case c.TLSConfig != nil && !strings.HasPrefix(strings.ToLower(c.URL), "rediss://"):
			return invalid("tls_config needs a rediss:// URL (got a URL without TLS)")
		}
		return nil
	}
	for i, a := range c.Addrs {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			return invalid("addrs[%d] %q is not host:port", i, a)
		}
	}
	if c.MasterName == "" && (c.SentinelUsername != "" || c.SentinelPassword != "") {
		return invalid("sentinel_username and sentinel_password need master_name")
	}
	if c.DB != 0 && c.MasterName == "" && (len(c.Addrs) > 1 || c.Cluster) {
		return invalid("db must be 0 on a cluster (got %d); several addrs mean a cluster, use master_name for sentinels", c.DB)
	}
	return nil
}

// newClient builds the go-redis client that cfg describes (cfg is valid).
func (c *Config) newClient() (goredis.UniversalClient, string, error) {
	tlsConf := c.TLSConfig.Clone()
	if tlsConf == nil && c.TLS {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if c.URL != "" {
		o, err := goredis.ParseURL(c.URL)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // its message repeats the URL, password included
			}
			return nil, "", invalid("url %q: %v", redactURL(c.URL), err)
		}
		if tlsConf != nil {
			o.TLSConfig = tlsConf
		}
		o.DialTimeout = pick(c.DialTimeout, o.DialTimeout, DefaultDialTimeout)
		o.ReadTimeout = pick(c.ReadTimeout, o.ReadTimeout, DefaultReadTimeout)
		o.WriteTimeout = pick(c.WriteTimeout, o.WriteTimeout, o.ReadTimeout)
		o.PoolSize = pick(c.PoolSize, o.PoolSize, 0)
		o.MaxRetries = pick(retries(c.MaxRetries), o.MaxRetries, DefaultMaxRetries)
		o.DialerRetries = 1
		o.ContextTimeoutEnabled = true
		return goredis.NewClient(o), "single", nil
	}
	read := cmp.Or(c.ReadTimeout, DefaultReadTimeout)
	o := &goredis.UniversalOptions{
		Addrs:                 c.Addrs,
		IsClusterMode:         c.Cluster,
		MasterName:            c.MasterName,
		SentinelUsername:      c.SentinelUsername,
		SentinelPassword:      c.SentinelPassword,
		DB:                    c.DB,
		Username:              c.Username,
		Password:              c.Password,
		TLSConfig:             tlsConf,
		DialTimeout:           cmp.Or(c.DialTimeout, DefaultDialTimeout),
		DialerRetries:         1,
		ReadTimeout:           read,
		WriteTimeout:          cmp.Or(c.WriteTimeout, read),
		PoolSize:              c.PoolSize,
		MaxRetries:            cmp.Or(retries(c.MaxRetries), DefaultMaxRetries),
		ContextTimeoutEnabled: true,
	}
	mode := "single"
	switch {
	case c.MasterName != "":
		mode = "sentinel"
		if len(o.Addrs) == 0 {
			o.Addrs = []string{DefaultSentinelAddr}
		}
	case len(c.Addrs) > 1 || c.Cluster:
		mode = "cluster"
	case len(c.Addrs) == 0:
		o.Addrs = []string{DefaultAddr}
	}
	return goredis.NewUniversalClient(o), mode, nil
}

// retries maps Config.MaxRetries to go-redis's convention (-1 = none).
func retries(n int) int {
	if n < 0 {
		return -1
	}
	return n
}

// pick returns the first non-zero of explicit, fromURL and def.
func pick[T comparable](explicit, fromURL, def T) T {
	var zero T
	switch {
	case explicit != zero:
		return explicit
	case fromURL != zero:
		return fromURL
	}
	return def
}

// redactURL hides a password in u for error messages. url.URL.Redacted
// does the same for a URL that parses, but the URLs shown here are those
// go-redis refused, which often do not (a bad port, a space in the
// password): so the password is found by hand.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	at := strings.LastIndexByte(rest, '@')
	if slash := strings.IndexByte(rest, '/'); at < 0 || (slash >= 0 && slash < at) {
		return u
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return u
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
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

// factory builds the driver from region arguments (see the package doc).
func factory(info driver.Info, args *driver.Arguments) (driver.Driver, error) {
	cfg := configFromArguments(args)
	if info.Format == string(region.FormatDogpile) && cfg.KeyPrefix != "" {
		// dogpile's lock key is "_lock" + the (mangled) key: a prefix the
		// driver puts in front of both would name a lock Python never takes.
		args.Fail("key_prefix", "has no dogpile.cache counterpart under format \"dogpile\" (lock keys would differ from Python's); prefix keys with a key mangler on both sides (region.WithKeyMangler, Python's key_mangler)")
	}
	if err := args.Err(); err != nil {
		return nil, err
	}
	cfg.Logger = info.Logger
	d, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return d.RegionDriver(), nil
}

// configFromArguments reads every argument the driver takes; conversion
// errors are recorded in args.
func configFromArguments(args *driver.Arguments) Config {
	var c Config
	if v, ok := args.Any("client"); ok {
		cl, ok := v.(goredis.UniversalClient)
		if !ok || cl == nil {
			args.Fail("client", "want a go-redis UniversalClient (*redis.Client, *redis.ClusterClient, ...), got %T", v)
		}
		c.Client = cl
	}
	if v, ok := args.Any("tls_config"); ok {
		tc, ok := v.(*tls.Config)
		if !ok || tc == nil {
			args.Fail("tls_config", "want a non-nil *tls.Config, got %T", v)
		}
		c.TLSConfig = tc
	}
	c.URL = args.String("url", "")
	c.Addrs = args.Strings("addrs", nil)
	if args.Has("host") || args.Has("port") {
		// dogpile's names for one server.
		if c.URL != "" || len(c.Addrs) > 0 {
			args.Fail("host", "host and port cannot be combined with url or addrs")
		}
		host := args.String("host", "localhost")
		port := args.Int("port", 6379)
		if port <= 0 || port > 65535 {
			args.Fail("port", "want a port number, got %d", port)
		}
		c.Addrs = []string{net.JoinHostPort(host, strconv.Itoa(port))}
	}
	c.Cluster = args.Bool("cluster", false)
	c.MasterName = args.String("master_name", "")
	c.SentinelUsername = args.String("sentinel_username", "")
	c.SentinelPassword = args.String("sentinel_password", "")
	c.DB = args.Int("db", 0)
	c.Username = args.String("username", "")
	c.Password = args.String("password", "")
	c.TLS = args.Bool("tls", false)
	c.DialTimeout = args.Duration("dial_timeout", 0)
	socket := args.Duration("socket_timeout", 0) // dogpile's name
	c.ReadTimeout = args.Duration("read_timeout", socket)
	c.WriteTimeout = args.Duration("write_timeout", socket)
	c.PoolSize = args.Int("pool_size", 0)
	c.MaxRetries = args.Int("max_retries", 0)
	c.KeyPrefix = args.String("key_prefix", "")
	c.TTL = args.Duration("redis_expiration_time", 0)
	c.DistributedLock = args.Bool("distributed_lock", false)
	c.LockTimeout = args.Duration("lock_timeout", 0)
	c.LockSleep = args.Duration("lock_sleep", 0)
	c.LockPrefix = args.String("lock_prefix", "")
	if args.Has("lock_prefix") && c.LockPrefix == "" {
		args.Fail("lock_prefix", "must not be empty (lock keys would be the data keys)")
	}
	return c
}
