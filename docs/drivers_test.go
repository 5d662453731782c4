package docs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"path/filepath"
	"testing"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/store"
	gocachestore "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"

	_ "github.com/gosess/gosess/all"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	bridge "github.com/gosess/gosess/region/drivers/gocache"
	"github.com/gosess/gosess/region/drivers/memory"
)

// The registered drivers, once their packages are imported.
func Example_drivers() {
	fmt.Println(region.Drivers())
	// Output:
	// [file gocache memcached memory null objects redis]
}

// The memory driver, by name and arguments, or built directly.
func Example_memoryDriver() {
	r := region.New("app")
	err := r.Configure("memory", region.Config{
		Expiration: 5 * time.Minute,
		Arguments: map[string]any{
			"shards":      256,
			"max_size_mb": 512,
			"life_window": "1h",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	d, err := memory.New(memory.Config{Shards: 64, MaxSizeMB: 128, LifeWindow: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	own := region.New("own")
	if err := own.ConfigureDriver(d, region.Config{Expiration: 5 * time.Minute}); err != nil {
		log.Fatal(err)
	}
	defer own.Close()
	fmt.Println(r.DriverName(), own.DriverName() == "", d.Config().Shards)
	// Output:
	// memory true 64
}

// The objects driver keeps the values themselves: shared, and typed.
func Example_objectsDriver() {
	r := region.New("app")
	err := r.Configure("objects", region.Config{
		Expiration: 5 * time.Minute,
		Arguments:  map[string]any{"max_entries": 500_000},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	u := &User{ID: 7, Name: "Ann"}
	if err := region.Set(ctx, r, "user:7", u); err != nil {
		log.Fatal(err)
	}
	got, err := region.Get[*User](ctx, r, "user:7")
	fmt.Println(got == u, err) // the same pointer: shared, not copied
	_, err = region.Get[User](ctx, r, "user:7")
	fmt.Println(errors.Is(err, region.ErrNotFound)) // another type: a miss
	// Output:
	// true <nil>
	// true
}

// The null driver caches nothing: every GetOrCreate runs its creator.
func Example_nullDriver() {
	ctx := context.Background()
	r := region.New("app")
	if err := r.Configure("null", region.Config{}); err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	runs := 0
	for range 3 {
		_, _ = region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) {
			runs++
			return runs, nil
		})
	}
	fmt.Println("creator runs:", runs)
	// Output:
	// creator runs: 3
}

// TestFileDriver runs the file-driver snippet of drivers.md.
func TestFileDriver(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "cache")
	r := region.New("pages")
	err := r.Configure("file", region.Config{
		Expiration: 10 * time.Minute,
		Arguments:  map[string]any{"dir": dir, "cleanup_interval": "10m"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	if err := region.Set(ctx, r, "page:/", "<h1>hello</h1>"); err != nil {
		t.Fatal(err)
	}
	// Another region on the same directory (another process) sees it.
	other := region.New("pages")
	if err := other.Configure("file", region.Config{Expiration: 10 * time.Minute, Arguments: map[string]any{"dir": dir}}); err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if v, err := region.Get[string](ctx, other, "page:/"); err != nil || v != "<h1>hello</h1>" {
		t.Fatalf("%q %v", v, err)
	}
}

// TestServerDrivers runs the memcached and redis snippets of drivers.md
// against real servers.
func TestServerDrivers(t *testing.T) {
	ctx := context.Background()
	memcachedAddr := testserver.Memcached(t).Addr
	redisURL := "redis://" + testserver.Redis(t).Addr + "/0"

	mc := region.New("app")
	err := mc.Configure("memcached", region.Config{
		Expiration: 5 * time.Minute,
		Arguments: map[string]any{
			"url":              memcachedAddr, // "10.0.0.1:11211,10.0.0.2:11211" for several servers
			"distributed_lock": true,
			"timeout":          "250ms",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer mc.Close()

	rd := region.New("app")
	err = rd.Configure("redis", region.Config{
		Expiration: 5 * time.Minute,
		Arguments: map[string]any{
			"url":              redisURL, // "redis://user:password@cache.internal:6379/2", "rediss://..." for TLS
			"key_prefix":       "myapp:",
			"distributed_lock": true,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer rd.Close()

	for _, r := range []*region.Region{mc, rd} {
		long := string(make([]byte, 300)) // too long for memcached: mangled, not refused
		for _, k := range []string{"user:7", "with space", long} {
			if err := region.Set(ctx, r, k, k); err != nil {
				t.Fatalf("%s: set %.20q: %v", r.DriverName(), k, err)
			}
			if v, err := region.Get[string](ctx, r, k); err != nil || v != k {
				t.Fatalf("%s: get %.20q: %.20q %v", r.DriverName(), k, v, err)
			}
		}
		m, err := region.GetMulti[string](ctx, r, []string{"user:7", "missing"})
		if err != nil || len(m) != 1 {
			t.Fatalf("%s: multi %v %v", r.DriverName(), m, err)
		}
	}
	big := make([]byte, 2<<20)
	if err := region.Set(ctx, mc, "big", big); !errors.Is(err, region.ErrValueTooLarge) {
		t.Fatalf("a 2 MiB value on memcached: %v", err)
	}
}

// A gocache store (go-cache here) as the driver of a region.
func Example_gocacheStoreAsDriver() {
	ctx := context.Background()

	s := gocachestore.NewGoCache(gocache.New(gocache.NoExpiration, 0))
	r := region.New("app")
	err := r.Configure("gocache", region.Config{
		Expiration: 5 * time.Minute,
		Arguments:  map[string]any{"store": s},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	v, err := region.GetOrCreate(ctx, r, "answer", func(context.Context) (int, error) { return 42, nil })
	fmt.Println(v, err)
	// Output:
	// 42 <nil>
}

type Order struct {
	ID    int
	Total float64
}

// A region as a gocache store: gocache code caches in the region.
func Example_regionAsGocacheStore() {
	ctx := context.Background()
	r := region.New("orders")
	if err := r.Configure("memory", region.Config{Expiration: 5 * time.Minute}); err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	orders := cache.New[Order](bridge.NewTypedStore[Order](r))
	_ = orders.Set(ctx, "order:1", Order{ID: 1, Total: 9.5})
	o, err := orders.Get(ctx, "order:1")
	fmt.Println(o, err)

	_ = r.Invalidate(region.Hard) // the region's invalidation reaches gocache code
	_, err = orders.Get(ctx, "order:1")
	fmt.Println(errors.Is(err, region.ErrNotFound))

	// Loads through the region's dogpile lock.
	load := func(ctx context.Context, key any) (Order, []store.Option, error) {
		fmt.Println("loading", key)
		return Order{ID: 2, Total: 20}, nil, nil
	}
	s := bridge.NewTypedStore[Order](r)
	loadable := cache.NewLoadable[Order](bridge.NewLoadFunc(s, load), cache.New[Order](s))
	defer loadable.Close()
	o, _ = loadable.Get(ctx, "order:2")
	o, _ = loadable.Get(ctx, "order:2")
	fmt.Println(o)
	// Output:
	// {1 9.5} <nil>
	// true
	// loading order:2
	// {2 20}
}
