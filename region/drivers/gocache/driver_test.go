package gocache_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/allegro/bigcache/v3"
	"github.com/bradfitz/gomemcache/memcache"
	"github.com/coocood/freecache"
	"github.com/dgraph-io/ristretto"
	"github.com/eko/gocache/lib/v4/store"
	bigcachestore "github.com/eko/gocache/store/bigcache/v4"
	freecachestore "github.com/eko/gocache/store/freecache/v4"
	gocachestore "github.com/eko/gocache/store/go_cache/v4"
	memcachestore "github.com/eko/gocache/store/memcache/v4"
	redisstore "github.com/eko/gocache/store/redis/v4"
	ristrettostore "github.com/eko/gocache/store/ristretto/v4"
	patrickmn "github.com/patrickmn/go-cache"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/drivers/gocache"
	"github.com/gosess/gosess/region/regiontest"
)

// newGoCacheStore is a go-cache store without a default expiration and
// without a janitor goroutine (go-cache's janitor can only be stopped by
// the garbage collector; expired items are still missed on Get).
func newGoCacheStore() *gocachestore.GoCacheStore {
	return gocachestore.NewGoCache(patrickmn.New(patrickmn.NoExpiration, 0))
}

func newRistretto(t testing.TB) (*ristretto.Cache, *ristrettostore.RistrettoStore) {
	t.Helper()
	c, err := ristretto.NewCache(&ristretto.Config{NumCounters: 1e4, MaxCost: 1 << 30, BufferItems: 64})
	if err != nil {
		t.Fatal(err)
	}
	return c, ristrettostore.NewRistretto(c)
}

func newBigcache(t testing.TB) (*bigcache.BigCache, *bigcachestore.BigcacheStore) {
	t.Helper()
	cfg := bigcache.DefaultConfig(time.Minute)
	cfg.Shards = 16
	cfg.MaxEntriesInWindow = 1000
	cfg.Verbose = false
	c, err := bigcache.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, bigcachestore.NewBigcache(c)
}

func mustDriver(t testing.TB, s store.StoreInterface, opts ...gocache.DriverOption) *gocache.Driver {
	t.Helper()
	d, err := gocache.NewDriver(s, opts...)
	if err != nil {
		t.Fatalf("NewDriver(%s): %v", s.GetType(), err)
	}
	return d
}

func TestConformanceGoCache(t *testing.T) {
	regiontest.RunDriver(t, func(t *testing.T) driver.Driver {
		return mustDriver(t, newGoCacheStore())
	})
}

func TestConformanceFreecache(t *testing.T) {
	// freecache refuses entries over 1/1024 of its size: a 32 MB cache
	// holds values up to 32 kB.
	regiontest.RunDriverWith(t, regiontest.DriverOptions{LargeValueSize: 16 << 10},
		func(t *testing.T) driver.Driver {
			return mustDriver(t, freecachestore.NewFreecache(freecache.NewCache(32<<20)))
		})
}

func TestConformanceRistretto(t *testing.T) {
	regiontest.RunDriverWith(t, regiontest.DriverOptions{TTL: 200 * time.Millisecond},
		func(t *testing.T) driver.Driver {
			c, s := newRistretto(t)
			return mustDriver(t, s, gocache.WithCloser(func() error { c.Close(); return nil }))
		})
}

func TestConformanceBigcache(t *testing.T) {
	// bigcache has one global life window and no per-item TTL.
	regiontest.RunDriverWith(t, regiontest.DriverOptions{NoTTL: true},
		func(t *testing.T) driver.Driver {
			c, s := newBigcache(t)
			return mustDriver(t, s, gocache.WithCloser(c.Close))
		})
}

func TestConformanceRedis(t *testing.T) {
	srv := testserver.Redis(t)
	regiontest.RunDriverWith(t, regiontest.DriverOptions{TTL: 300 * time.Millisecond},
		func(t *testing.T) driver.Driver {
			c := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
			return mustDriver(t, redisstore.NewRedis(c), gocache.WithCloser(c.Close))
		})
}

func TestConformanceMemcache(t *testing.T) {
	srv := testserver.Memcached(t)
	regiontest.RunDriver(t, func(t *testing.T) driver.Driver {
		c := memcache.New(srv.Addr)
		return mustDriver(t, memcachestore.NewMemcache(c), gocache.WithCloser(c.Close))
	})
}

// stubStore is a user's own gocache store that returns what it is told
// to: the driver must cope with any StoreInterface, not only gocache's.
type stubStore struct {
	val    any
	err    error
	delErr error
	typ    string
}

func (s *stubStore) Get(context.Context, any) (any, error) { return s.val, s.err }
func (s *stubStore) GetWithTTL(context.Context, any) (any, time.Duration, error) {
	return s.val, 0, s.err
}
func (s *stubStore) Set(context.Context, any, any, ...store.Option) error { return s.err }
func (s *stubStore) Delete(context.Context, any) error                    { return s.delErr }
func (s *stubStore) Invalidate(context.Context, ...store.InvalidateOption) error {
	return nil
}
func (s *stubStore) Clear(context.Context) error { return nil }
func (s *stubStore) GetType() string             { return s.typ }

func TestNotFoundMapping(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"store.NotFound", store.NotFound{}},
		{"store.NotFoundWithCause", store.NotFoundWithCause(errors.New("value not found in X store"))},
		{"wrapped store.NotFound", fmt.Errorf("layer: %w", store.NotFoundWithCause(nil))},
		{"bigcache", bigcache.ErrEntryNotFound},
		{"memcache", memcache.ErrCacheMiss},
		{"redis", goredis.Nil},
		{"wrapped redis", fmt.Errorf("x: %w", goredis.Nil)},
		{"region", region.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDriver(t, &stubStore{err: tc.err, delErr: tc.err, typ: "stub"})
			if _, err := d.Get(t.Context(), "k"); err != region.ErrNotFound {
				t.Fatalf("Get = %v; want region.ErrNotFound", err)
			}
			if m, err := driver.GetMulti(t.Context(), d, []string{"k"}); err != nil || len(m) != 0 {
				t.Fatalf("GetMulti = %v, %v; want empty", m, err)
			}
			if err := d.Delete(t.Context(), "k"); err != nil {
				t.Fatalf("Delete of an absent key = %v; want nil", err)
			}
		})
	}
	// An untyped delete error is fine when the key is then absent.
	d0 := mustDriver(t, &stubStore{err: store.NotFound{}, delErr: errors.New("nothing deleted"), typ: "stub"})
	if err := d0.Delete(t.Context(), "k"); err != nil {
		t.Fatalf("Delete of an absent key with an untyped error = %v; want nil", err)
	}
	// Other errors are driver failures, wrapped, not misses.
	boom := errors.New("connection refused")
	d := mustDriver(t, &stubStore{err: boom, delErr: boom, typ: "stub"})
	if _, err := d.Get(t.Context(), "k"); !errors.Is(err, boom) || errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get = %v; want the store's error", err)
	}
	if err := d.Delete(t.Context(), "k"); !errors.Is(err, boom) {
		t.Fatalf("Delete = %v; want the store's error", err)
	}
}

// A store that reports deleting an absent key as an untyped error
// (freecache: "failed to delete key") is fine when the key is absent.
func TestDeleteAbsentFreecache(t *testing.T) {
	d := mustDriver(t, freecachestore.NewFreecache(freecache.NewCache(1<<20)))
	if err := d.Delete(t.Context(), "never-set"); err != nil {
		t.Fatalf("Delete of an absent key = %v; want nil", err)
	}
}

func TestValueConversion(t *testing.T) {
	for _, tc := range []struct {
		name string
		val  any
		want string
		miss bool
		bad  bool
	}{
		{"bytes", []byte("abc"), "abc", false, false},
		{"string", "abc", "abc", false, false},
		{"empty string", "", "", false, false},
		{"nil bytes", []byte(nil), "", false, false},
		{"nil", nil, "", true, false},
		{"int", 42, "", false, true},
		{"struct", struct{ A int }{1}, "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDriver(t, &stubStore{val: tc.val, typ: "stub"})
			got, err := d.Get(t.Context(), "k")
			switch {
			case tc.miss:
				if !errors.Is(err, region.ErrNotFound) {
					t.Fatalf("Get = %q, %v; want a miss", got, err)
				}
			case tc.bad:
				if !errors.Is(err, gocache.ErrUnsupportedValue) || !strings.Contains(err.Error(), fmt.Sprintf("%T", tc.val)) {
					t.Fatalf("Get = %q, %v; want ErrUnsupportedValue naming %T", got, err, tc.val)
				}
			default:
				if err != nil || string(got) != tc.want || got == nil {
					t.Fatalf("Get = %#v, %v; want %q (non-nil)", got, err, tc.want)
				}
			}
		})
	}
}

// Values written by other users of a go-cache store (strings, numbers)
// are converted or refused clearly, through a region too.
func TestValueConversionGoCache(t *testing.T) {
	s := newGoCacheStore()
	ctx := t.Context()
	_ = s.Set(ctx, "str", "text")
	_ = s.Set(ctx, "num", 7)
	d := mustDriver(t, s)
	if got, err := d.Get(ctx, "str"); err != nil || string(got) != "text" {
		t.Fatalf("Get(str) = %q, %v", got, err)
	}
	if _, err := d.Get(ctx, "num"); !errors.Is(err, gocache.ErrUnsupportedValue) {
		t.Fatalf("Get(num) = %v; want ErrUnsupportedValue", err)
	}
	// The driver's own values come back as copies: go-cache keeps the
	// slice it is given.
	if err := d.Set(ctx, "b", []byte("value"), 0); err != nil {
		t.Fatal(err)
	}
	raw, _ := s.Get(ctx, "b")
	got, _ := d.Get(ctx, "b")
	got[0] = 'X'
	if string(raw.([]byte)) != "value" {
		t.Fatalf("a returned slice aliases the store: %q", raw)
	}
}

func TestValueTooLarge(t *testing.T) {
	d := mustDriver(t, freecachestore.NewFreecache(freecache.NewCache(512<<10)))
	err := d.Set(t.Context(), "big", make([]byte, 4<<10), 0)
	if !errors.Is(err, region.ErrValueTooLarge) {
		t.Fatalf("Set of a value over freecache's limit = %v; want region.ErrValueTooLarge", err)
	}
}

// ristretto's set error prints the whole value; the driver's error text
// stays short.
func TestErrorTextBounded(t *testing.T) {
	big := strings.Repeat("x", 10000)
	d := mustDriver(t, &stubStore{err: errors.New(big), typ: "stub"})
	err := d.Set(t.Context(), "k", []byte("v"), 0)
	if err == nil || len(err.Error()) > 600 || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("error of %d bytes: %.200s", len(err.Error()), err)
	}
}

func TestNewDriverErrors(t *testing.T) {
	if _, err := gocache.NewDriver(nil); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("NewDriver(nil) = %v", err)
	}
	for _, o := range []gocache.DriverOption{gocache.WithTTLRounding(-time.Second), gocache.WithMaxTTL(-1)} {
		if _, err := gocache.NewDriver(newGoCacheStore(), o); !errors.Is(err, region.ErrInvalidArgument) {
			t.Fatalf("negative option: %v", err)
		}
	}
}

func TestClose(t *testing.T) {
	closed := 0
	d := mustDriver(t, newGoCacheStore(), gocache.WithCloser(func() error { closed++; return nil }))
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil || closed != 1 {
		t.Fatalf("second Close = %v, closer ran %d times; want nil, 1", err, closed)
	}
	if _, err := d.Get(t.Context(), "k"); !errors.Is(err, region.ErrClosed) {
		t.Fatalf("Get after Close = %v", err)
	}
	if err := d.Set(t.Context(), "k", nil, 0); !errors.Is(err, region.ErrClosed) {
		t.Fatalf("Set after Close = %v", err)
	}
}

func TestRegistered(t *testing.T) {
	ctx := t.Context()
	s := newGoCacheStore()
	r := region.New("registered")
	defer r.Close()
	err := r.Configure(gocache.Name, region.Config{
		Expiration: time.Minute,
		Arguments:  map[string]any{"store": s, "ttl_rounding": "1s", "max_ttl": "24h", "synchronous_set": "true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := region.Set(ctx, r, "user:7", map[string]int{"age": 7}); err != nil {
		t.Fatal(err)
	}
	got, err := region.Get[map[string]int](ctx, r, "user:7")
	if err != nil || got["age"] != 7 {
		t.Fatalf("Get = %v, %v", got, err)
	}
	// The bytes are in the go-cache store, with a TTL of expiration +
	// stale window.
	_, exp, ok := s.GetWithTTL(ctx, "user:7")
	if ok != nil || exp < 110*time.Second || exp > 2*time.Minute {
		t.Fatalf("item TTL in go-cache = %v, %v; want about 2m", exp, ok)
	}

	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"missing store", map[string]any{}, `"store": missing`},
		{"nil store", map[string]any{"store": nil}, `"store": is nil`},
		{"wrong type", map[string]any{"store": "redis://x"}, "store.StoreInterface"},
		{"unknown argument", map[string]any{"store": s, "shards": 4}, "shards"},
		{"bad duration", map[string]any{"store": s, "ttl_rounding": "soon"}, "ttl_rounding"},
		{"negative", map[string]any{"store": s, "max_ttl": -1}, "max_ttl"},
		{"bad closer", map[string]any{"store": s, "closer": 3}, "closer"},
		{"bad set_options", map[string]any{"store": s, "set_options": "cost=1"}, "set_options"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := region.New("bad").Configure(gocache.Name, region.Config{Arguments: tc.args})
			if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Configure = %v; want ErrInvalidArgument mentioning %q", err, tc.want)
			}
		})
	}

	closed := false
	r2 := region.New("closer")
	err = r2.Configure(gocache.Name, region.Config{Arguments: map[string]any{
		"store":       newGoCacheStore(),
		"closer":      func() error { closed = true; return nil },
		"set_options": []store.Option{store.WithCost(1)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Close(); err != nil || !closed {
		t.Fatalf("Close = %v, closer ran = %v", err, closed)
	}
}

// A region on a "memcache" store mangles keys memcached cannot hold
// instead of failing at run time.
func TestMemcacheKeysMangled(t *testing.T) {
	srv := testserver.Memcached(t)
	d := mustDriver(t, memcachestore.NewMemcache(memcache.New(srv.Addr)))
	if d.ValidKey("has space") || d.ValidKey(strings.Repeat("k", 251)) || !d.ValidKey("fine") {
		t.Fatal("ValidKey does not follow memcached's rules")
	}
	r := region.New("mc")
	if err := r.ConfigureDriver(d, region.Config{Expiration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := t.Context()
	for _, k := range []string{"has space", strings.Repeat("k", 300), "ctl\x01"} {
		if err := region.Set(ctx, r, k, "v:"+k); err != nil {
			t.Fatalf("Set(%.20q): %v", k, err)
		}
		if got, err := region.Get[string](ctx, r, k); err != nil || got != "v:"+k {
			t.Fatalf("Get(%.20q) = %.20q, %v", k, got, err)
		}
	}
}

// A region over a ristretto store serves what GetOrCreate stored to the
// callers that waited for it: ristretto buffers writes, and the driver's
// synchronous sets make them visible at once.
func TestRistrettoDogpile(t *testing.T) {
	c, s := newRistretto(t)
	r := region.New("ristretto")
	if err := r.ConfigureDriver(mustDriver(t, s, gocache.WithCloser(func() error { c.Close(); return nil })),
		region.Config{Expiration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	runs := stampede(t, r, "cold", 32)
	if runs != 1 {
		t.Fatalf("creator ran %d times for one cold key; want 1", runs)
	}
}
