package gocache_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/store"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/gocache"
	_ "github.com/gosess/gosess/region/drivers/redis"
)

// Four regions on one redis server with distributed_lock stand for four
// processes (each has its own in-process locks; only redis is shared).
// gocache LoadableCaches on each, 8 goroutines apiece, hit one cold key:
// through NewLoadFunc the loader runs once in the whole "fleet".
func TestLoadableAcrossRegionsRedisLock(t *testing.T) {
	srv := testserver.Redis(t)
	ctx := t.Context()
	var loads atomic.Int64
	load := func(ctx context.Context, key any) (string, []store.Option, error) {
		loads.Add(1)
		time.Sleep(50 * time.Millisecond)
		return "value of " + key.(string), nil, nil
	}
	var caches []*cache.LoadableCache[string]
	for i := range 4 {
		r := region.New("fleet")
		err := r.Configure("redis", region.Config{
			Expiration: time.Minute,
			Arguments:  map[string]any{"url": "redis://" + srv.Addr, "distributed_lock": true},
		})
		if err != nil {
			t.Fatalf("region %d: %v", i, err)
		}
		t.Cleanup(func() { _ = r.Close() })
		s := gocache.NewTypedStore[string](r)
		lc := cache.NewLoadable[string](gocache.NewLoadFunc(s, load), cache.New[string](s))
		t.Cleanup(func() { _ = lc.Close() })
		caches = append(caches, lc)
	}
	together(32, func(i int) {
		got, err := caches[i%4].Get(ctx, "cold")
		if err != nil || got != "value of cold" {
			t.Errorf("Get = %q, %v", got, err)
		}
	})
	if n := loads.Load(); n != 1 {
		t.Fatalf("loader ran %d times across 4 regions sharing a distributed lock; want 1", n)
	}
}
