package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	gocache "github.com/eko/gocache/lib/v4/cache"
	memcachestore "github.com/eko/gocache/store/memcache/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memcached"
	_ "github.com/gosess/gosess/region/drivers/redis"
)

// The distributed-driver benchmarks of issue 3, against real memcached and
// redis-server processes on loopback (started once per test binary, see
// servers_test.go). Every operation is a network round trip, so these
// measure mostly the loopback and the servers; the ratios say what the
// region adds on top.

// netRegion returns a region on driver ("memcached" or "redis") against
// the shared server, with a prefix of its own so benchmarks do not see
// each other's keys.
func netRegion(tb testing.TB, driver string, lock bool) *region.Region {
	tb.Helper()
	args := map[string]any{"distributed_lock": lock}
	switch driver {
	case "memcached":
		args["url"] = needServer(tb, "memcached")
	default:
		args["url"] = "redis://" + needServer(tb, "redis-server") + "/0"
	}
	r := region.New("bench")
	if err := r.Configure(driver, region.Config{Expiration: time.Hour, Arguments: args}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

func memcacheClient(tb testing.TB) *memcache.Client {
	tb.Helper()
	c := memcache.New(needServer(tb, "memcached"))
	c.MaxIdleConns = 16
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func redisClient(tb testing.TB) *goredis.Client {
	tb.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: needServer(tb, "redis-server")})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// multiKeys are the keys of the multi-get benchmark.
var multiKeys = func() []string {
	k := make([]string, 100)
	for i := range k {
		k[i] = fmt.Sprintf("mg:%03d", i)
	}
	return k
}()

// fillMemcached stores the multi-get keys through a region, so that both
// sides read the region's bytes.
func fillMemcached(tb testing.TB) {
	tb.Helper()
	r := netRegion(tb, "memcached", false)
	v := payload(valueSize)
	for _, k := range multiKeys {
		if err := region.Set(context.Background(), r, k, v); err != nil {
			tb.Fatal(err)
		}
	}
}

func multiGetCases() []opCase {
	ctx := context.Background()
	return []opCase{
		{"region", func(tb testing.TB) func(int) error {
			fillMemcached(tb)
			r := netRegion(tb, "memcached", false)
			return func(int) error {
				m, err := region.GetMulti[[]byte](ctx, r, multiKeys)
				if err == nil && len(m) != len(multiKeys) {
					err = fmt.Errorf("got %d of %d keys", len(m), len(multiKeys))
				}
				return err
			}
		}},
		{"gocache", func(tb testing.TB) func(int) error {
			fillMemcached(tb)
			c := gocache.New[[]byte](memcachestore.NewMemcache(memcacheClient(tb)))
			return func(int) error {
				for _, k := range multiKeys {
					if _, err := c.Get(ctx, k); err != nil {
						return fmt.Errorf("%s: %w", k, err)
					}
				}
				return nil
			}
		}},
		{"gomemcache-multi", func(tb testing.TB) func(int) error {
			fillMemcached(tb)
			c := memcacheClient(tb)
			return func(int) error {
				m, err := c.GetMulti(multiKeys)
				if err == nil && len(m) != len(multiKeys) {
					err = fmt.Errorf("got %d of %d keys", len(m), len(multiKeys))
				}
				return err
			}
		}},
	}
}

// BenchmarkMemcachedMultiGet100: region.GetMulti of 100 keys (one multi-get)
// against gocache's memcache store, which has no multi-get and reads them
// one by one (goal: at most 0.1x). gomemcache's own GetMulti is measured
// too, to show what the region adds to the client's multi-get.
func BenchmarkMemcachedMultiGet100(b *testing.B) { runCases(b, multiGetCases()) }

func netHitCases(driver string) []opCase {
	ctx := context.Background()
	keys := benchKeys("nethit")[:64]
	creator := func(context.Context) ([]byte, error) { return nil, errCreatorCalled }
	fill := func(tb testing.TB) *region.Region {
		r := netRegion(tb, driver, false)
		v := payload(valueSize)
		for _, k := range keys {
			if err := region.Set(ctx, r, k, v); err != nil {
				tb.Fatal(err)
			}
		}
		return r
	}
	raw := opCase{"gomemcache", func(tb testing.TB) func(int) error {
		fill(tb)
		c := memcacheClient(tb)
		return func(i int) error {
			_, err := c.Get(keys[i%len(keys)])
			return err
		}
	}}
	if driver == "redis" {
		raw = opCase{"goredis", func(tb testing.TB) func(int) error {
			fill(tb)
			c := redisClient(tb)
			return func(i int) error {
				return c.Get(ctx, keys[i%len(keys)]).Err()
			}
		}}
	}
	return []opCase{
		{"region", func(tb testing.TB) func(int) error {
			r := fill(tb)
			return func(i int) error {
				_, err := region.GetOrCreate(ctx, r, keys[i%len(keys)], creator)
				return err
			}
		}},
		raw,
	}
}

// BenchmarkMemcachedGetOrCreateHit: region.GetOrCreate hit on memcached
// against the raw gomemcache Get of the same key (report the overhead).
func BenchmarkMemcachedGetOrCreateHit(b *testing.B) { runCases(b, netHitCases("memcached")) }

// BenchmarkRedisGetOrCreateHit: the same on redis against go-redis's Get.
func BenchmarkRedisGetOrCreateHit(b *testing.B) { runCases(b, netHitCases("redis")) }

// regenerateCases measures one regeneration (a miss, the dogpile lock,
// the creator, the store) with the distributed lock and with the
// in-process lock only; the difference is what the distributed lock's
// acquire and release cost per regeneration. Each operation deletes the
// key first (one more round trip on both sides).
func regenerateCases(driver string) []opCase {
	ctx := context.Background()
	keys := benchKeys("regen")[:64]
	v := payload(valueSize)
	creator := func(context.Context) ([]byte, error) { return v, nil }
	side := func(lock bool) func(testing.TB) func(int) error {
		return func(tb testing.TB) func(int) error {
			r := netRegion(tb, driver, lock)
			return func(i int) error {
				k := keys[i%len(keys)]
				if err := r.Delete(ctx, k); err != nil {
					return err
				}
				_, err := region.GetOrCreate(ctx, r, k, creator)
				return err
			}
		}
	}
	return []opCase{{"distributed-lock", side(true)}, {"local-lock", side(false)}}
}

// BenchmarkMemcachedRegenerate: a regeneration with memcached's
// distributed lock against the in-process lock.
func BenchmarkMemcachedRegenerate(b *testing.B) { runCases(b, regenerateCases("memcached")) }

// BenchmarkRedisRegenerate: the same on redis.
func BenchmarkRedisRegenerate(b *testing.B) { runCases(b, regenerateCases("redis")) }

// lockCycleCases measures one acquire and release of the region's mutex
// for a key (in-process mutex layered over the driver's) against one raw
// GET round trip, so the ratio reads as "round trips per lock cycle".
func lockCycleCases(driver string) []opCase {
	ctx := context.Background()
	lockSide := opCase{"lock-cycle", func(tb testing.TB) func(int) error {
		r := netRegion(tb, driver, true)
		return func(int) error {
			m := r.Mutex("cycle")
			ok, err := m.TryLock(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("lock not free")
			}
			return m.Unlock(ctx)
		}
	}}
	var get opCase
	if driver == "redis" {
		get = opCase{"goredis-get", func(tb testing.TB) func(int) error {
			c := redisClient(tb)
			return func(int) error { return cmpOr(ignoreNil(c.Get(ctx, "cycle-get").Err())) }
		}}
	} else {
		get = opCase{"gomemcache-get", func(tb testing.TB) func(int) error {
			c := memcacheClient(tb)
			return func(int) error {
				_, err := c.Get("cycle-get")
				if err == memcache.ErrCacheMiss {
					err = nil
				}
				return err
			}
		}}
	}
	return []opCase{lockSide, get}
}

func ignoreNil(err error) error {
	if err == goredis.Nil {
		return nil
	}
	return err
}

// BenchmarkMemcachedLockCycle: TryLock+Unlock of the memcached distributed
// lock, against one GET.
func BenchmarkMemcachedLockCycle(b *testing.B) { runCases(b, lockCycleCases("memcached")) }

// BenchmarkRedisLockCycle: the same on redis.
func BenchmarkRedisLockCycle(b *testing.B) { runCases(b, lockCycleCases("redis")) }

func TestDistributedSetups(t *testing.T) {
	checkGroups(t, map[string][]opCase{
		"MultiGet":     multiGetCases(),
		"MemcachedHit": netHitCases("memcached"), "RedisHit": netHitCases("redis"),
		"MemcachedRegenerate": regenerateCases("memcached"), "RedisRegenerate": regenerateCases("redis"),
		"MemcachedLock": lockCycleCases("memcached"), "RedisLock": lockCycleCases("redis"),
	})
}
