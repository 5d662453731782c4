package gocache_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	memcachestore "github.com/eko/gocache/store/memcache/v4"
	redisstore "github.com/eko/gocache/store/redis/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/drivers/gocache"
)

// TestNoCompareAndSet: whatever the store, the bridge is not a
// driver.CASDriver (gocache has no conditional write) and says so; a region
// on it falls back to its in-process key mutex, under which concurrent
// Updates in one process still lose nothing.
func TestNoCompareAndSet(t *testing.T) {
	mc := testserver.Memcached(t)
	rs := testserver.Redis(t)
	mcClient := memcache.New(mc.Addr)
	rsClient := goredis.NewClient(&goredis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = mcClient.Close(); _ = rsClient.Close() })
	for name, d := range map[string]*gocache.Driver{
		"go-cache": mustDriver(t, newGoCacheStore()),
		"memcache": mustDriver(t, memcachestore.NewMemcache(mcClient)),
		"redis":    mustDriver(t, redisstore.NewRedis(rsClient)),
	} {
		t.Run(name, func(t *testing.T) {
			if _, ok := driver.Driver(d).(driver.CASDriver); ok {
				t.Fatal("the bridge claims driver.CASDriver")
			}
			if a := d.Atomicity(); a != region.AtomicInProcess {
				t.Fatalf("Atomicity() = %v; want in-process", a)
			}
			r := region.New("bridge-" + name)
			if err := r.ConfigureDriver(d, region.Config{Expiration: time.Minute}); err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if a := r.Atomicity(); a != region.AtomicInProcess {
				t.Fatalf("region Atomicity() = %v; want in-process", a)
			}
			const workers, rounds = 8, 10
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for range rounds {
						if _, err := region.Update(context.Background(), r, "counter", func(n int, _ bool) (int, error) { return n + 1, nil }); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if n, err := region.Get[int](t.Context(), r, "counter"); err != nil || n != workers*rounds {
				t.Fatalf("counter = %d, %v; want %d", n, err, workers*rounds)
			}
		})
	}
}
