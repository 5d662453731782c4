package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

// newDriver builds a driver on s with extra arguments through the
// registered factory, closed at the end of the test.
func newDriver(t *testing.T, s *testserver.Server, args map[string]any) driver.Driver {
	t.Helper()
	d := fromArgs(t, onServer(s, args))
	t.Cleanup(func() { _ = d.(io.Closer).Close() })
	return d
}

// onServer returns args with "addrs" set to s's address unless args set
// it; a nil value removes an argument (the default "addrs" included).
func onServer(s *testserver.Server, args map[string]any) map[string]any {
	all := map[string]any{"addrs": s.Addr}
	for k, v := range args {
		if v == nil {
			delete(all, k)
		} else {
			all[k] = v
		}
	}
	return all
}

// fromArgs builds a driver from args through the registered factory; the
// caller closes it.
func fromArgs(t *testing.T, args map[string]any) driver.Driver {
	t.Helper()
	d, err := factory(driver.Info{Region: t.Name()}, driver.NewArguments("redis", args))
	if err != nil {
		t.Fatalf("factory(%v): %v", args, err)
	}
	return d
}

// runConformance runs regiontest's driver suite, with redis's TTL
// resolution, on drivers built from args (the suite closes them).
func runConformance(t *testing.T, args map[string]any) {
	regiontest.RunDriverWith(t, regiontest.DriverOptions{TTL: 200 * time.Millisecond, TTLSlack: time.Second},
		func(t *testing.T) driver.Driver { return fromArgs(t, args) })
}

// wantMulti checks that GetMulti of keys returns items, no more.
func wantMulti(t *testing.T, d driver.Driver, keys []string, items map[string][]byte) {
	t.Helper()
	got, err := driver.GetMulti(t.Context(), d, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(items) {
		t.Fatalf("GetMulti returned %d items; want %d", len(got), len(items))
	}
	for k, v := range items {
		if string(got[k]) != string(v) {
			t.Errorf("GetMulti[%s] = %q; want %q", k, got[k], v)
		}
	}
}

// rawClient is a plain client on s for checking what the driver wrote.
func rawClient(t *testing.T, addr string, db int) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, DB: db, DialTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	s := testserver.Redis(t)
	for _, tc := range []struct {
		name string
		args map[string]any
	}{
		{"Plain", nil},
		{"Locking", map[string]any{"distributed_lock": true, "lock_sleep": "2ms"}},
		{"KeyPrefix", map[string]any{"key_prefix": "app1:", "distributed_lock": true}},
		{"URL", map[string]any{"url": "redis://" + s.Addr + "/2", "addrs": nil}},
	} {
		t.Run(tc.name, func(t *testing.T) { runConformance(t, onServer(s, tc.args)) })
	}
}

func TestLockerOnlyWithDistributedLock(t *testing.T) {
	s := testserver.Redis(t)
	if _, ok := newDriver(t, s, nil).(driver.Locker); ok {
		t.Error("driver without distributed_lock is a driver.Locker")
	}
	if _, ok := newDriver(t, s, map[string]any{"distributed_lock": false}).(driver.Locker); ok {
		t.Error("driver with distributed_lock=false is a driver.Locker")
	}
	if _, ok := newDriver(t, s, map[string]any{"distributed_lock": "true"}).(driver.Locker); !ok {
		t.Error("driver with distributed_lock=true is not a driver.Locker")
	}
	d, err := New(Config{Addrs: []string{s.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var anyD any = d
	if _, ok := anyD.(driver.Locker); ok {
		t.Error("*Driver is a driver.Locker")
	}
}

func TestPXMillis(t *testing.T) {
	d := &Driver{}
	for _, tc := range []struct {
		in   time.Duration
		want int64
	}{
		{0, 0}, {time.Nanosecond, 1}, {time.Millisecond, 1}, {time.Millisecond + 1, 2},
		{1500 * time.Microsecond, 2}, {time.Second, 1000}, {90 * time.Minute, 5400000},
	} {
		got, err := d.pxMillis(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("pxMillis(%v) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	if _, err := d.pxMillis(-time.Second); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("pxMillis(-1s) error = %v; want ErrInvalidArgument", err)
	}
	d.ttl = 2500 * time.Microsecond
	if got, _ := d.pxMillis(0); got != 3 {
		t.Errorf("with redis_expiration_time 2.5ms, pxMillis(0) = %d; want 3", got)
	}
	if got, _ := d.pxMillis(time.Hour); got != 3 {
		t.Errorf("with redis_expiration_time 2.5ms, pxMillis(1h) = %d; want 3", got)
	}
}

func TestTTLOnTheServer(t *testing.T) {
	s := testserver.Redis(t)
	raw := rawClient(t, s.Addr, 0)
	ctx := t.Context()
	d := newDriver(t, s, nil)

	if err := d.Set(ctx, "forever", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if ttl := raw.PTTL(ctx, "forever").Val(); ttl != -1 {
		t.Errorf("TTL 0: PTTL = %v; want -1 (no expiry)", ttl)
	}
	if err := driver.SetMulti(ctx, d, map[string][]byte{"m1": []byte("1"), "m2": []byte("2")}, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"m1", "m2"} {
		if ttl := raw.PTTL(ctx, k).Val(); ttl <= 89*time.Second || ttl > 90*time.Second {
			t.Errorf("SetMulti 90s: PTTL(%s) = %v", k, ttl)
		}
	}
	if err := d.Set(ctx, "short", []byte("v"), 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ttl := raw.PTTL(ctx, "short").Val(); ttl <= time.Second || ttl > 1500*time.Millisecond {
		t.Errorf("Set 1.5s: PTTL = %v; want in (1s, 1.5s] (PX, not whole seconds)", ttl)
	}
	// Eviction by the server.
	if err := d.Set(ctx, "gone", []byte("v"), 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 5*time.Second, "item with 30ms TTL to expire", func() bool {
		_, err := d.Get(ctx, "gone")
		return errors.Is(err, region.ErrNotFound)
	})

	// redis_expiration_time replaces the region's TTL.
	o := newDriver(t, s, map[string]any{"redis_expiration_time": "1h"})
	if err := o.Set(ctx, "over", []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	if ttl := raw.PTTL(ctx, "over").Val(); ttl < 59*time.Minute {
		t.Errorf("redis_expiration_time 1h: PTTL = %v", ttl)
	}
}

func TestMultiAndPrefix(t *testing.T) {
	s := testserver.Redis(t)
	raw := rawClient(t, s.Addr, 0)
	ctx := t.Context()
	d := newDriver(t, s, map[string]any{"key_prefix": "p:"})
	items := map[string][]byte{}
	var keys []string
	for i := range 50 {
		k := "k" + strconv.Itoa(i)
		keys = append(keys, k)
		if i%2 == 0 {
			items[k] = []byte("v" + strconv.Itoa(i))
		}
	}
	if err := driver.SetMulti(ctx, d, items, time.Minute); err != nil {
		t.Fatal(err)
	}
	if v := raw.Get(ctx, "p:k0").Val(); v != "v0" {
		t.Errorf("raw GET p:k0 = %q; want v0 (key_prefix applied)", v)
	}
	wantMulti(t, d, keys, items)
	if err := driver.DeleteMulti(ctx, d, keys); err != nil {
		t.Fatal(err)
	}
	if n := raw.Exists(ctx, "p:k0", "p:k2").Val(); n != 0 {
		t.Errorf("after DeleteMulti %d keys remain", n)
	}
	// A driver without the prefix does not see them.
	if err := d.Set(ctx, "x", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := newDriver(t, s, nil).Get(ctx, "x"); !errors.Is(err, region.ErrNotFound) {
		t.Errorf("unprefixed Get(x) = %v; want ErrNotFound", err)
	}
}

func TestURL(t *testing.T) {
	s := testserver.Redis(t)
	ctx := t.Context()
	d := newDriver(t, s, map[string]any{"addrs": nil, "url": "redis://" + s.Addr + "/3?dial_timeout=3s&pool_size=7"})
	dr := d.(*Driver)
	c, ok := dr.Client().(*goredis.Client)
	if !ok {
		t.Fatalf("url client is %T; want *redis.Client", dr.Client())
	}
	o := c.Options()
	if o.DB != 3 || o.DialTimeout != 3*time.Second || o.PoolSize != 7 || o.ReadTimeout != DefaultReadTimeout || o.MaxRetries != DefaultMaxRetries {
		t.Errorf("options from url: db=%d dial=%v pool=%d read=%v retries=%d", o.DB, o.DialTimeout, o.PoolSize, o.ReadTimeout, o.MaxRetries)
	}
	if err := d.Set(ctx, "in3", []byte("yes"), 0); err != nil {
		t.Fatal(err)
	}
	if v := rawClient(t, s.Addr, 3).Get(ctx, "in3").Val(); v != "yes" {
		t.Errorf("db 3 GET = %q; want yes", v)
	}
	if n := rawClient(t, s.Addr, 0).Exists(ctx, "in3").Val(); n != 0 {
		t.Error("key written to db 0 as well")
	}
	// Explicit arguments override the URL's query.
	d2 := newDriver(t, s, map[string]any{"addrs": nil, "url": "redis://" + s.Addr + "?dial_timeout=3s",
		"dial_timeout": "500ms", "read_timeout": 0.25, "max_retries": -1})
	o = d2.(*Driver).Client().(*goredis.Client).Options()
	if o.DialTimeout != 500*time.Millisecond || o.ReadTimeout != 250*time.Millisecond || o.WriteTimeout != 250*time.Millisecond || o.MaxRetries != 0 {
		t.Errorf("overrides: dial=%v read=%v write=%v retries=%d", o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries)
	}
	// rediss turns TLS on.
	d3, err := New(Config{URL: "rediss://user:pw@example.invalid:6380/1"})
	if err != nil {
		t.Fatal(err)
	}
	defer d3.Close()
	o = d3.Client().(*goredis.Client).Options()
	if o.TLSConfig == nil || o.Username != "user" || o.Password != "pw" || o.Addr != "example.invalid:6380" || o.DB != 1 {
		t.Errorf("rediss options: tls=%v user=%q addr=%q db=%d", o.TLSConfig != nil, o.Username, o.Addr, o.DB)
	}
}

func TestHostPortAndModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args map[string]any
		mode string
		typ  string
		addr string
	}{
		{"Default", map[string]any{}, "single", "*redis.Client", DefaultAddr},
		{"HostPort", map[string]any{"host": "10.0.0.1", "port": "7000"}, "single", "*redis.Client", "10.0.0.1:7000"},
		{"OneAddr", map[string]any{"addrs": "h1:1"}, "single", "*redis.Client", "h1:1"},
		{"Cluster", map[string]any{"addrs": "h1:1, h2:2,h3:3"}, "cluster", "*redis.ClusterClient", ""},
		{"ClusterList", map[string]any{"addrs": []any{"h1:1", "h2:2"}}, "cluster", "*redis.ClusterClient", ""},
		{"ClusterOneSeed", map[string]any{"addrs": "h1:1", "cluster": true}, "cluster", "*redis.ClusterClient", ""},
		{"Sentinel", map[string]any{"addrs": "s1:26379,s2:26379", "master_name": "mymaster", "db": 2,
			"sentinel_password": "sp"}, "sentinel", "*redis.Client", ""},
		{"SentinelDefault", map[string]any{"master_name": "m"}, "sentinel", "*redis.Client", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := fromArgs(t, tc.args)
			defer d.(io.Closer).Close()
			dr := d.(*Driver)
			if dr.mode != tc.mode {
				t.Errorf("mode = %s; want %s", dr.mode, tc.mode)
			}
			if got := fmt.Sprintf("%T", dr.Client()); got != tc.typ {
				t.Errorf("client type = %s; want %s", got, tc.typ)
			}
			if tc.addr != "" {
				if got := dr.Client().(*goredis.Client).Options().Addr; got != tc.addr {
					t.Errorf("addr = %s; want %s", got, tc.addr)
				}
			}
		})
	}
}

func TestBadArguments(t *testing.T) {
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"Unknown", map[string]any{"hots": "x"}, "hots"},
		{"URLAndAddrs", map[string]any{"url": "redis://a:1", "addrs": "b:2"}, "url and addrs"},
		{"URLAndDB", map[string]any{"url": "redis://a:1", "db": 2}, "URL path"},
		{"URLAndPassword", map[string]any{"url": "redis://a:1", "password": "x"}, "username or password"},
		{"URLAndMaster", map[string]any{"url": "redis://a:1", "master_name": "m"}, "master_name"},
		{"URLAndTLS", map[string]any{"url": "redis://a:1", "tls": true}, "rediss://"},
		{"URLBadScheme", map[string]any{"url": "http://a:1"}, "invalid URL scheme"},
		{"URLBadDB", map[string]any{"url": "redis://a:1/x"}, "database"},
		{"URLPasswordRedacted", map[string]any{"url": "redis://u:secret@a:1/x"}, "xxxxx"},
		{"URLPasswordRedactedUnparsable", map[string]any{"url": "redis://u:secret@a:notaport/x"}, "xxxxx"},
		{"HostAndURL", map[string]any{"url": "redis://a:1", "host": "b"}, "host and port"},
		{"BadPort", map[string]any{"port": 70000}, "port"},
		{"BadAddr", map[string]any{"addrs": "a:1,nocolon"}, `addrs[1] "nocolon"`},
		{"DBOnCluster", map[string]any{"addrs": "a:1,b:2", "db": 1}, "db must be 0"},
		{"NegativeDB", map[string]any{"db": -1}, "db"},
		{"DBNotInt", map[string]any{"db": "one"}, "db"},
		{"NegativeTimeout", map[string]any{"dial_timeout": "-1s"}, "dial_timeout"},
		{"BadDuration", map[string]any{"lock_timeout": "soon"}, "lock_timeout"},
		{"BadBool", map[string]any{"distributed_lock": "maybe"}, "distributed_lock"},
		{"NegativePool", map[string]any{"pool_size": -3}, "pool_size"},
		{"EmptyLockPrefix", map[string]any{"lock_prefix": ""}, "lock_prefix"},
		{"ClientWrongType", map[string]any{"client": "redis://x"}, "client"},
		{"ClientAndURL", map[string]any{"client": goredis.NewClient(&goredis.Options{}), "url": "redis://a:1"}, "url"},
		{"TLSConfigWrongType", map[string]any{"tls_config": true}, "tls_config"},
		{"SentinelPasswordAlone", map[string]any{"sentinel_password": "x"}, "master_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, ok := tc.args["client"].(io.Closer); ok {
				defer c.Close()
			}
			d, err := factory(driver.Info{}, driver.NewArguments("redis", tc.args))
			if err == nil {
				d.(io.Closer).Close()
				t.Fatalf("factory(%v) succeeded; want an error", tc.args)
			}
			if !errors.Is(err, region.ErrInvalidArgument) {
				t.Errorf("error %v does not wrap region.ErrInvalidArgument", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestConfigureThroughRegion(t *testing.T) {
	s := testserver.Redis(t)
	r := region.New("cfg")
	defer r.Close()
	err := r.ConfigureFromConfig(map[string]string{
		"cache.backend":                    "redis",
		"cache.expiration_time":            "60",
		"cache.arguments.url":              "redis://" + s.Addr + "/1",
		"cache.arguments.distributed_lock": "true",
		"cache.arguments.lock_timeout":     "5",
	}, "cache.")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.ActualDriver().(driver.Locker); !ok {
		t.Errorf("configured driver %T is not a Locker", r.ActualDriver())
	}
	ctx := t.Context()
	if err := region.Set(ctx, r, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[string](ctx, r, "k"); err != nil || v != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if ttl := rawClient(t, s.Addr, 1).PTTL(ctx, "k").Val(); ttl <= 0 || ttl > 2*time.Minute {
		t.Errorf("region TTL on the server = %v; want (0, 2m]", ttl)
	}
}

func TestCallerClientNotClosed(t *testing.T) {
	s := testserver.Redis(t)
	c := rawClient(t, s.Addr, 0)
	d, err := New(Config{Client: c, KeyPrefix: "own:"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := d.Set(ctx, "a", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("caller's client closed by Close: %v", err)
	}
	if v := c.Get(ctx, "own:a").Val(); v != "1" {
		t.Errorf("GET own:a = %q", v)
	}

	// The same through the factory's client argument.
	d2, err := factory(driver.Info{}, driver.NewArguments("redis", map[string]any{"client": c}))
	if err != nil {
		t.Fatal(err)
	}
	_ = d2.(io.Closer).Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("caller's client closed by Close: %v", err)
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	s := testserver.Redis(t)
	d, err := New(Config{Addrs: []string{s.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := d.Get(t.Context(), "x"); err == nil || errors.Is(err, region.ErrNotFound) {
		t.Errorf("Get after Close = %v; want a driver error", err)
	}
}

func TestUnreachableServer(t *testing.T) {
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{Addrs: []string{"127.0.0.1:" + strconv.Itoa(port)}, DialTimeout: 200 * time.Millisecond,
		DistributedLock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := t.Context()
	ops := map[string]func() error{
		"Get":         func() error { _, err := d.Get(ctx, "k"); return err },
		"GetMulti":    func() error { _, err := d.GetMulti(ctx, []string{"a", "b"}); return err },
		"Set":         func() error { return d.Set(ctx, "k", []byte("v"), time.Second) },
		"SetMulti":    func() error { return d.SetMulti(ctx, map[string][]byte{"a": nil, "b": nil}, 0) },
		"Delete":      func() error { return d.Delete(ctx, "k") },
		"DeleteMulti": func() error { return d.DeleteMulti(ctx, []string{"a", "b"}) },
		"Lock":        func() error { return d.NewMutex("k").Lock(ctx) },
	}
	for name, op := range ops {
		start := time.Now()
		err := op()
		if err == nil || errors.Is(err, region.ErrNotFound) {
			t.Errorf("%s on an unreachable server = %v; want a driver error", name, err)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("%s took %v", name, el)
		}
	}
}

func TestContextDeadlineBoundsOperations(t *testing.T) {
	s := testserver.Redis(t)
	d := newDriver(t, s, nil)
	raw := rawClient(t, s.Addr, 0)
	// A server that answers nobody for 400ms (CLIENT PAUSE) must not hold the
	// caller past its deadline.
	if err := raw.Do(t.Context(), "client", "pause", "400", "all").Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Get(ctx, "k")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get with 100ms deadline on a busy server = %v; want DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 700*time.Millisecond {
		t.Errorf("Get returned after %v; want about 100ms", el)
	}

	// Without a deadline, read_timeout bounds the wait.
	if err := raw.Do(t.Context(), "client", "pause", "800", "all").Err(); err != nil {
		t.Fatal(err)
	}
	short := newDriver(t, s, map[string]any{"read_timeout": "150ms", "max_retries": -1})
	start = time.Now()
	if _, err := short.Get(context.Background(), "k"); err == nil || errors.Is(err, region.ErrNotFound) {
		t.Errorf("Get on a paused server = %v; want a timeout error", err)
	}
	if el := time.Since(start); el > 600*time.Millisecond {
		t.Errorf("Get with read_timeout 150ms returned after %v", el)
	}
}

// TestRingClient runs the driver suite on a caller-supplied *redis.Ring
// over two servers: multi-key operations must not send one MGET or DEL
// across shards.
func TestRingClient(t *testing.T) {
	s1, s2 := testserver.Redis(t), testserver.Redis(t)
	ring := goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{"a": s1.Addr, "b": s2.Addr}})
	t.Cleanup(func() { _ = ring.Close() })
	regiontest.RunDriverWith(t, regiontest.DriverOptions{TTL: 200 * time.Millisecond, TTLSlack: time.Second},
		func(t *testing.T) driver.Driver {
			d, err := New(Config{Client: ring, DistributedLock: true, LockSleep: 2 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return d.RegionDriver()
		})
	// Both shards hold some of many keys.
	d, err := New(Config{Client: ring})
	if err != nil {
		t.Fatal(err)
	}
	items := map[string][]byte{}
	var keys []string
	for i := range 40 {
		k := "ring" + strconv.Itoa(i)
		items[k], keys = []byte(k), append(keys, k)
	}
	ctx := t.Context()
	if err := d.SetMulti(ctx, items, time.Minute); err != nil {
		t.Fatal(err)
	}
	wantMulti(t, d, keys, items)
	n1, n2 := rawClient(t, s1.Addr, 0).DBSize(ctx).Val(), rawClient(t, s2.Addr, 0).DBSize(ctx).Val()
	if n1 == 0 || n2 == 0 {
		t.Errorf("keys per shard: %d and %d; want both shards used", n1, n2)
	}
}
