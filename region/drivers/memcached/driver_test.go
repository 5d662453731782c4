package memcached

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

// newTestDriver builds a driver on servers, closed when the test ends.
func newTestDriver(t testing.TB, cfg Config) *Driver {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestConformance(t *testing.T) {
	srv := testserver.Memcached(t)
	t.Run("Plain", func(t *testing.T) {
		regiontest.RunDriver(t, func(t *testing.T) driver.Driver {
			d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
			if _, ok := driver.Driver(d).(driver.Locker); ok {
				t.Fatal("plain driver implements driver.Locker")
			}
			return d
		})
	})
	t.Run("Locking", func(t *testing.T) {
		regiontest.RunDriver(t, func(t *testing.T) driver.Driver {
			return newTestDriver(t, Config{Servers: []string{srv.Addr}}).Locking()
		})
	})
	srv2 := testserver.Memcached(t)
	t.Run("TwoServers", func(t *testing.T) {
		regiontest.RunDriver(t, func(t *testing.T) driver.Driver {
			return newTestDriver(t, Config{Servers: []string{srv.Addr, srv2.Addr}}).Locking()
		})
	})
}

func TestRegionConformance(t *testing.T) {
	srv := testserver.Memcached(t)
	opts := regiontest.RegionOptions{SharedStore: true}
	t.Run("Plain", func(t *testing.T) {
		regiontest.RunRegionWith(t, opts, Name, map[string]any{"url": srv.Addr})
	})
	t.Run("DistributedLock", func(t *testing.T) {
		regiontest.RunRegionWith(t, opts, Name, map[string]any{"url": srv.Addr, "distributed_lock": true, "lock_sleep": "20ms"})
	})
}

func TestFactory(t *testing.T) {
	srv := testserver.Memcached(t)
	build := func(args map[string]any) (driver.Driver, error) {
		return Factory(driver.Info{Region: "test"}, driver.NewArguments(Name, args))
	}
	t.Run("Registered", func(t *testing.T) {
		found := false
		for _, n := range region.Drivers() {
			found = found || n == Name
		}
		if !found {
			t.Fatalf("%q not in region.Drivers() = %q", Name, region.Drivers())
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		d, err := build(map[string]any{"url": srv.Addr})
		if err != nil {
			t.Fatal(err)
		}
		defer d.(*Driver).Close()
		if _, ok := d.(driver.Locker); ok {
			t.Fatal("distributed_lock off, but the driver implements driver.Locker")
		}
		if _, ok := d.(driver.KeyLimiter); !ok {
			t.Fatal("driver does not implement driver.KeyLimiter")
		}
		got := d.(*Driver).Config()
		want := Config{Servers: []string{srv.Addr}, Timeout: DefaultTimeout, MaxIdleConns: DefaultMaxIdleConns,
			LockTimeout: DefaultLockTimeout, LockSleep: DefaultLockSleep, MultiConcurrency: DefaultMultiConcurrency}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Config() = %+v; want %+v", got, want)
		}
	})
	t.Run("AllArguments", func(t *testing.T) {
		d, err := build(map[string]any{
			"url":                   srv.Addr + ", " + srv.Addr,
			"distributed_lock":      "true",
			"lock_timeout":          "7",
			"lock_sleep":            "50ms",
			"memcached_expire_time": 60,
			"timeout":               0.25,
			"max_idle_conns":        "3",
			"multi_concurrency":     4,
		})
		if err != nil {
			t.Fatal(err)
		}
		l, ok := d.(*LockingDriver)
		if !ok {
			t.Fatalf("distributed_lock on: got %T; want *LockingDriver", d)
		}
		defer l.Close()
		got := l.Config()
		want := Config{Servers: []string{srv.Addr, srv.Addr}, Timeout: 250 * time.Millisecond, MaxIdleConns: 3,
			ExpireTime: time.Minute, LockTimeout: 7 * time.Second, LockSleep: 50 * time.Millisecond, MultiConcurrency: 4}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Config() = %+v; want %+v", got, want)
		}
		if err := l.Set(t.Context(), "k", []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("URLList", func(t *testing.T) {
		d, err := build(map[string]any{"url": []any{srv.Addr}})
		if err != nil {
			t.Fatal(err)
		}
		d.(*Driver).Close()
	})
	for name, args := range map[string]map[string]any{
		"Unknown":         {"url": srv.Addr, "servers": srv.Addr},
		"MissingURL":      {},
		"EmptyURL":        {"url": " , "},
		"BadURL":          {"url": "not a host:port:x"},
		"BadBool":         {"url": srv.Addr, "distributed_lock": "perhaps"},
		"BadDuration":     {"url": srv.Addr, "timeout": "soon"},
		"NegativeTimeout": {"url": srv.Addr, "timeout": -1},
		"LockTimeoutZero": {"url": srv.Addr, "lock_timeout": 0},
		"NegativeConns":   {"url": srv.Addr, "max_idle_conns": -1},
		"BadConcurrency":  {"url": srv.Addr, "multi_concurrency": "many"},
	} {
		t.Run(name, func(t *testing.T) {
			d, err := build(args)
			if !errors.Is(err, region.ErrInvalidArgument) {
				t.Fatalf("Factory(%v) = %v, %v; want region.ErrInvalidArgument", args, d, err)
			}
			t.Log(err)
		})
	}
}

func TestNewErrors(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Servers: []string{""}},
		{Servers: []string{"127.0.0.1:1"}, Timeout: -time.Second},
		{Servers: []string{"127.0.0.1:1"}, LockSleep: -time.Second},
		{Servers: []string{"127.0.0.1:1"}, MultiConcurrency: -1},
	} {
		if d, err := New(cfg); !errors.Is(err, region.ErrInvalidArgument) {
			t.Errorf("New(%+v) = %v, %v; want region.ErrInvalidArgument", cfg, d, err)
		}
	}
}

// TestGetMultiTwoServers checks that keys are spread over two servers
// and that GetMulti finds them all in one call.
func TestGetMultiTwoServers(t *testing.T) {
	s1, s2 := testserver.Memcached(t), testserver.Memcached(t)
	d := newTestDriver(t, Config{Servers: []string{s1.Addr, s2.Addr}})
	ctx := t.Context()
	items := map[string][]byte{}
	var keys []string
	for i := range 100 {
		k := fmt.Sprintf("two:%d", i)
		items[k] = []byte("value " + k)
		keys = append(keys, k)
	}
	keys = append(keys, "two:missing", "a key with spaces")
	items["a key with spaces"] = []byte("mangled")
	if err := d.SetMulti(ctx, items, 0); err != nil {
		t.Fatal(err)
	}
	got, err := d.GetMulti(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(items) {
		t.Fatalf("GetMulti returned %d items; want %d", len(got), len(items))
	}
	for k, v := range items {
		if !bytes.Equal(got[k], v) {
			t.Fatalf("GetMulti[%q] = %q; want %q", k, got[k], v)
		}
	}
	// Each server holds a share: read them directly.
	for _, s := range []*testserver.Server{s1, s2} {
		c := memcache.New(s.Addr)
		sks := make([]string, 0, len(items))
		for k := range items {
			sks = append(sks, storeKey(k))
		}
		m, err := c.GetMulti(sks)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 || len(m) == len(items) {
			t.Fatalf("server %s holds %d of %d keys; want a share", s.Addr, len(m), len(items))
		}
	}
	if err := d.DeleteMulti(ctx, keys); err != nil {
		t.Fatal(err)
	}
	if got, err := d.GetMulti(ctx, keys); err != nil || len(got) != 0 {
		t.Fatalf("GetMulti after DeleteMulti = %d items, %v; want none", len(got), err)
	}
}

// TestMultiConcurrent checks that SetMulti and DeleteMulti do not run
// their round trips one after another: the dialer holds the first
// connection until a second one is being opened.
func TestMultiConcurrent(t *testing.T) {
	srv := testserver.Memcached(t)
	for _, op := range []string{"SetMulti", "DeleteMulti"} {
		t.Run(op, func(t *testing.T) {
			var inflight atomic.Int32
			var once sync.Once
			both := make(chan struct{})
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				if inflight.Add(1) >= 2 {
					once.Do(func() { close(both) })
				}
				select {
				case <-both:
				case <-ctx.Done():
					return nil, fmt.Errorf("no second connection was opened while the first waited: %w", ctx.Err())
				}
				var nd net.Dialer
				return nd.DialContext(ctx, network, addr)
			}
			d := newTestDriver(t, Config{Servers: []string{srv.Addr}, Timeout: 5 * time.Second, DialContext: dial})
			items := map[string][]byte{}
			var keys []string
			for i := range 50 {
				k := fmt.Sprintf("conc:%s:%d", op, i)
				items[k], keys = []byte("v"), append(keys, k)
			}
			var err error
			if op == "SetMulti" {
				err = d.SetMulti(t.Context(), items, 0)
			} else {
				err = d.DeleteMulti(t.Context(), keys)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestKeyMangling(t *testing.T) {
	srv := testserver.Memcached(t)
	d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
	ctx := t.Context()
	long := strings.Repeat("k", 300)
	keys := []string{
		long,
		long + "x",               // differs only past the readable head
		strings.Repeat("é", 90),  // 180 bytes of UTF-8: valid as is
		strings.Repeat("é", 130), // 260 bytes: hashed, the head cut between runes
		"key with spaces",
		"key_with_spaces", // what a naive mangler would turn the previous into
		"tab\there",
		"nl\r\nEND",
		"del\x7f",
		"nul\x00",
		"",
		"~gs:h:looks_like_a_hashed_key",
		"~gs:lock:looks_like_a_lock",
		strings.Repeat("v", 250), // valid as is
	}
	raw := memcache.New(srv.Addr)
	defer raw.Close()
	for i, k := range keys {
		sk := d.StoreKey(k)
		if !validKey(sk) && !strings.HasPrefix(sk, hashedPrefix) {
			t.Errorf("StoreKey(%q) = %q: neither the key nor a hashed key", k, sk)
		}
		if utf8.ValidString(k) && !utf8.ValidString(sk) {
			t.Errorf("StoreKey(%q) = %q cuts a rune in two", k, sk)
		}
		if len(sk) > maxKeyLen || strings.ContainsFunc(sk, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			t.Errorf("StoreKey(%q) = %q is not a valid memcached key", k, sk)
		}
		// Keys in the reserved namespace are valid for the driver: the
		// region, not the driver, keeps caller keys out of it.
		wantValid := k == "key_with_spaces" || k == keys[len(keys)-1] || k == keys[2] || strings.HasPrefix(k, reservedPrefix)
		if d.ValidKey(k) != wantValid || (sk == k) != wantValid {
			t.Errorf("ValidKey(%q) = %v, StoreKey = %q; want valid=%v", k, d.ValidKey(k), sk, wantValid)
		}
		if err := d.Set(ctx, k, []byte(fmt.Sprint(i)), 0); err != nil {
			t.Fatalf("Set(%q): %v", k, err)
		}
		// The stored item is under sk, readable by any client.
		if it, err := raw.Get(sk); err != nil || string(it.Value) != fmt.Sprint(i) {
			t.Fatalf("raw Get(%q) = %v, %v", sk, it, err)
		}
	}
	if d.StoreKey(long) != storeKey(long) || !strings.HasPrefix(d.StoreKey(long), hashedPrefix+"kkkk") {
		t.Errorf("StoreKey of a long key = %q; want a readable head", d.StoreKey(long))
	}
	got, err := d.GetMulti(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if v, err := d.Get(ctx, k); err != nil || string(v) != fmt.Sprint(i) {
			t.Errorf("Get(%q) = %q, %v; want %d", k, v, err, i)
		}
		if string(got[k]) != fmt.Sprint(i) {
			t.Errorf("GetMulti[%q] = %q; want %d", k, got[k], i)
		}
	}
	if err := d.DeleteMulti(ctx, keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if _, err := d.Get(ctx, k); !errors.Is(err, region.ErrNotFound) {
			t.Errorf("Get(%q) after DeleteMulti: %v; want ErrNotFound", k, err)
		}
	}
	// Lock keys never meet stored keys, and always fit.
	for _, k := range append(keys, strings.Repeat("z", 250)) {
		lk := lockKey(k)
		if len(lk) > maxKeyLen || !strings.HasPrefix(lk, reservedPrefix+"lock") {
			t.Errorf("lockKey(%q) = %q", k, lk)
		}
	}
}

func TestValueTooLarge(t *testing.T) {
	srv := testserver.Memcached(t, "-I", "1k", "-o", "slab_chunk_max=512")
	d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
	ctx := t.Context()
	big := bytes.Repeat([]byte("x"), 4096)
	err := d.Set(ctx, "big", big, 0)
	if !errors.Is(err, region.ErrValueTooLarge) {
		t.Fatalf("Set of %d bytes on a server with -I 1k: %v; want region.ErrValueTooLarge", len(big), err)
	}
	t.Log(err)
	if _, err := d.Get(ctx, "big"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get after a failed Set: %v; want ErrNotFound", err)
	}
	err = d.SetMulti(ctx, map[string][]byte{"big1": big, "small1": []byte("s"), "big2": big}, 0)
	if !errors.Is(err, region.ErrValueTooLarge) {
		t.Fatalf("SetMulti with large values: %v; want region.ErrValueTooLarge", err)
	}
	if !strings.Contains(err.Error(), "2 of 3 items failed") {
		t.Fatalf("SetMulti error %q does not count the failures", err)
	}
	// The driver keeps working, and the small item was stored.
	if v, err := d.Get(ctx, "small1"); err != nil || string(v) != "s" {
		t.Fatalf("Get(small1) = %q, %v", v, err)
	}
	if err := d.Set(ctx, "ok", []byte("fine"), 0); err != nil {
		t.Fatal(err)
	}
}

func TestExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		ttl  time.Duration
		want int64
	}{
		{0, 0},
		{-time.Second, 0},
		{time.Nanosecond, 2},
		{999 * time.Millisecond, 2},
		{time.Second, 2},
		{1500 * time.Millisecond, 3},
		{time.Hour, 3601},
		{30*24*time.Hour - time.Second, 2592000},
		{30*24*time.Hour - time.Millisecond, now.Unix() + 2592001},
		{30 * 24 * time.Hour, now.Unix() + 2592001},
		{365 * 24 * time.Hour, now.Unix() + 365*24*3600 + 1},
		{100 * 365 * 24 * time.Hour, math.MaxInt32},
		{time.Duration(math.MaxInt64), math.MaxInt32},
	} {
		if got := expiry(c.ttl, now); int64(got) != c.want {
			t.Errorf("expiry(%v) = %d; want %d", c.ttl, got, c.want)
		}
	}
}

func TestTTL(t *testing.T) {
	srv := testserver.Memcached(t)
	ctx := t.Context()
	waitGone := func(t *testing.T, d *Driver, key string, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			_, err := d.Get(ctx, key)
			if errors.Is(err, region.ErrNotFound) {
				return time.Since(start)
			}
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > within {
				t.Fatalf("%q still present %v after Set", key, within)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Run("SubSecond", func(t *testing.T) {
		d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
		if err := d.Set(ctx, "subsecond", []byte("v"), 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		// Rounded up: stored (not "expire now"), and it expires (not 0,
		// "never").
		if _, err := d.Get(ctx, "subsecond"); err != nil {
			t.Fatalf("Get right after Set with a 10ms TTL: %v", err)
		}
		waitGone(t, d, "subsecond", 3*time.Second)
	})
	t.Run("LongerThan30Days", func(t *testing.T) {
		d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
		// Sent as a relative 31 days, memcached would read a time in 1970
		// and drop the item at once.
		if err := d.Set(ctx, "long", []byte("v"), 31*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := d.SetMulti(ctx, map[string][]byte{"long2": []byte("v")}, 31*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if m, err := d.GetMulti(ctx, []string{"long", "long2"}); err != nil || len(m) != 2 {
			t.Fatalf("items with a 31-day TTL: %v, %v; want both present", m, err)
		}
	})
	t.Run("ExpireTimeOverrides", func(t *testing.T) {
		d := newTestDriver(t, Config{Servers: []string{srv.Addr}, ExpireTime: time.Second})
		if err := d.Set(ctx, "override", []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Get(ctx, "override"); err != nil {
			t.Fatal(err)
		}
		waitGone(t, d, "override", 3*time.Second)
	})
	t.Run("NegativeTTL", func(t *testing.T) {
		d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
		if err := d.Set(ctx, "neg", []byte("v"), -time.Second); !errors.Is(err, region.ErrInvalidArgument) {
			t.Fatalf("Set with a negative TTL: %v; want ErrInvalidArgument", err)
		}
		if err := d.SetMulti(ctx, map[string][]byte{"neg": nil}, -time.Second); !errors.Is(err, region.ErrInvalidArgument) {
			t.Fatalf("SetMulti with a negative TTL: %v; want ErrInvalidArgument", err)
		}
	})
}

func TestContextAndClose(t *testing.T) {
	srv := testserver.Memcached(t)
	d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
	done, cancel := context.WithCancel(t.Context())
	cancel()
	l := d.Locking()
	checks := map[string]func(ctx context.Context) error{
		"Get":         func(ctx context.Context) error { _, err := d.Get(ctx, "k"); return err },
		"GetMulti":    func(ctx context.Context) error { _, err := d.GetMulti(ctx, []string{"k"}); return err },
		"Set":         func(ctx context.Context) error { return d.Set(ctx, "k", nil, 0) },
		"SetMulti":    func(ctx context.Context) error { return d.SetMulti(ctx, map[string][]byte{"k": nil}, 0) },
		"Delete":      func(ctx context.Context) error { return d.Delete(ctx, "k") },
		"DeleteMulti": func(ctx context.Context) error { return d.DeleteMulti(ctx, []string{"k"}) },
		"TryLock":     func(ctx context.Context) error { _, err := l.Mutex("k").TryLock(ctx); return err },
		"Lock":        func(ctx context.Context) error { return l.Mutex("k").Lock(ctx) },
	}
	for name, f := range checks {
		if err := f(done); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v; want context.Canceled", name, err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for name, f := range checks {
		if err := f(t.Context()); !errors.Is(err, region.ErrClosed) {
			t.Errorf("%s after Close: %v; want region.ErrClosed", name, err)
		}
	}
}
