package redis

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// The driver's configuration: Config, its checks, and how the arguments
// of a region (Configure, config files) become one.

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

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: redis: %s", region.ErrInvalidArgument, fmt.Sprintf(format, args...))
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
