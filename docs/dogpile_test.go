package docs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memcached"
	_ "github.com/gosess/gosess/region/drivers/redis"
)

// A hundred concurrent requests for a missing key run the creator once.
func Example_coldStampede() {
	ctx := context.Background()
	r := region.New("app")
	if err := r.Configure("memory", region.Config{Expiration: time.Minute}); err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	var runs atomic.Int32
	topProducts := func(ctx context.Context) ([]string, error) {
		runs.Add(1)
		time.Sleep(50 * time.Millisecond) // a slow query
		return []string{"tea", "coffee"}, nil
	}

	var wg sync.WaitGroup
	var served atomic.Int32
	for range 100 {
		wg.Go(func() {
			v, err := region.GetOrCreate(ctx, r, "products:top", topProducts)
			if err == nil && len(v) == 2 {
				served.Add(1)
			}
		})
	}
	wg.Wait()
	fmt.Println("served:", served.Load(), "creator runs:", runs.Load())
	// Output:
	// served: 100 creator runs: 1
}

// An expired value is served to everyone while one caller regenerates it.
func Example_staleServing() {
	ctx := context.Background()
	r := region.New("app")
	err := r.Configure("memory", region.Config{
		Expiration:  50 * time.Millisecond,
		StaleWindow: time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	_ = region.Set(ctx, r, "news", "yesterday's news")
	time.Sleep(60 * time.Millisecond) // the value is now stale

	started, release := make(chan struct{}), make(chan struct{})
	regenerated := make(chan string)
	go func() { // the first caller after expiry takes the lock and regenerates
		v, _ := region.GetOrCreate(ctx, r, "news", func(ctx context.Context) (string, error) {
			close(started)
			<-release // a slow creator
			return "today's news", nil
		})
		regenerated <- v
	}()
	<-started

	// Meanwhile, everyone else gets the stale value at once, without waiting.
	v, _ := region.GetOrCreate(ctx, r, "news", func(ctx context.Context) (string, error) {
		return "never called", nil
	})
	fmt.Println("others get:", v)

	close(release)
	fmt.Println("the regenerating caller gets:", <-regenerated)
	// Output:
	// others get: yesterday's news
	// the regenerating caller gets: today's news
}

// With an async runner even the caller that regenerates gets the stale
// value at once; the creator runs in the background.
func Example_asyncRegeneration() {
	ctx := context.Background()
	var background sync.WaitGroup
	r := region.New("app", region.WithAsyncRunner(func(task func()) {
		background.Go(task)
	}))
	if err := r.Configure("memory", region.Config{Expiration: 5 * time.Minute}); err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	_ = region.Set(ctx, r, "news", "yesterday's news")
	_ = r.Invalidate(region.Soft) // every value is now stale, as if expired

	v, _ := region.GetOrCreate(ctx, r, "news", func(ctx context.Context) (string, error) {
		return "today's news", nil
	})
	fmt.Println("returned at once:", v)

	background.Wait() // the regeneration has run and stored its value
	v, _ = region.Get[string](ctx, r, "news")
	fmt.Println("afterwards:", v)
	// Output:
	// returned at once: yesterday's news
	// afterwards: today's news
}

// Soft invalidation makes values stale; hard invalidation makes them
// misses.
func Example_softVersusHard() {
	ctx := context.Background()
	r := newRegion()
	defer r.Close()
	_ = region.Set(ctx, r, "greeting", "hello")

	_ = r.Invalidate(region.Soft)
	_, err := region.Get[string](ctx, r, "greeting")
	fmt.Println("soft, Get:", errors.Is(err, region.ErrNotFound))
	v, _ := region.Get[string](ctx, r, "greeting", region.IgnoreExpiration())
	fmt.Println("soft, Get ignoring expiration:", v)

	_ = r.Invalidate(region.Hard)
	_, err = region.Get[string](ctx, r, "greeting", region.IgnoreExpiration())
	fmt.Println("hard, Get ignoring expiration:", errors.Is(err, region.ErrNotFound))
	// Output:
	// soft, Get: true
	// soft, Get ignoring expiration: hello
	// hard, Get ignoring expiration: true
}

type Product struct {
	ID   string
	Name string
}

// GetOrCreateMulti creates the missing keys with one call.
func Example_getOrCreateMulti() {
	ctx := context.Background()
	r := newRegion()
	defer r.Close()
	_ = region.Set(ctx, r, "product:2", Product{ID: "2", Name: "coffee"})

	loadProducts := func(ctx context.Context, keys []string) (map[string]Product, error) {
		fmt.Println("loading", keys) // one query for all the missing keys
		out := map[string]Product{}
		for _, k := range keys {
			if id := strings.TrimPrefix(k, "product:"); id != "404" {
				out[k] = Product{ID: id, Name: "product " + id}
			}
		}
		return out, nil
	}
	keys := []string{"product:1", "product:2", "product:3", "product:404"}
	m, err := region.GetOrCreateMulti(ctx, r, keys, loadProducts)
	if err != nil {
		log.Fatal(err)
	}
	names := []string{}
	for _, k := range keys {
		if p, ok := m[k]; ok {
			names = append(names, p.Name)
		}
	}
	fmt.Println(names)
	// Output:
	// loading [product:1 product:3 product:404]
	// [product 1 coffee product 3]
}

// Errors of the creator are returned and nothing is cached; a waiting
// caller gives up when its context ends.
func Example_creatorErrors() {
	ctx := context.Background()
	r := newRegion()
	defer r.Close()

	errDown := errors.New("database down")
	_, err := region.GetOrCreate(ctx, r, "k", func(ctx context.Context) (int, error) { return 0, errDown })
	fmt.Println(errors.Is(err, errDown))

	_, err = region.GetOrCreate(ctx, r, "k", func(ctx context.Context) (int, error) { panic("bug") })
	fmt.Println(errors.Is(err, region.ErrCreatorPanic))

	v, err := region.GetOrCreate(ctx, r, "k", func(ctx context.Context) (int, error) { return -1, nil },
		region.ShouldCache(func(v int) bool { return v >= 0 }))
	fmt.Println(v, err)
	_, err = region.Get[int](ctx, r, "k")
	fmt.Println("cached:", !errors.Is(err, region.ErrNotFound))

	// Hold the lock of "slow" and let a caller with a deadline wait for it.
	mu := r.Mutex("slow")
	_ = mu.Lock(ctx)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = region.GetOrCreate(short, r, "slow", func(ctx context.Context) (int, error) { return 1, nil })
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	_ = mu.Unlock(ctx)
	// Output:
	// true
	// true
	// -1 <nil>
	// cached: false
	// true
}

// TestDistributedLock runs the distributed-lock snippet of
// dogpile-lock.md against real memcached and redis servers: two regions
// that share a server (two processes, or two hosts) run a creator once
// between them.
func TestDistributedLock(t *testing.T) {
	t.Run("memcached", func(t *testing.T) {
		// The same from a flat configuration, as read from an ini file.
		conf := map[string]string{
			"cache.app.backend":                    "memcached",
			"cache.app.expiration_time":            "300",
			"cache.app.arguments.url":              testserver.Memcached(t).Addr,
			"cache.app.arguments.distributed_lock": "true",
		}
		var hosts []*region.Region
		for range 2 {
			r := region.New("app")
			if err := r.ConfigureFromConfig(conf, "cache.app."); err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			hosts = append(hosts, r)
		}
		checkOneCreatorRun(context.Background(), t, hosts)
	})
	t.Run("redis", func(t *testing.T) {
		url := "redis://" + testserver.Redis(t).Addr + "/0"
		ctx := context.Background()
		hosts := make([]*region.Region, 2) // two processes, or two hosts
		for i := range hosts {
			r := region.New("app")
			err := r.Configure("redis", region.Config{
				Expiration: 5 * time.Minute,
				Arguments:  map[string]any{"url": url, "distributed_lock": true},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			hosts[i] = r
		}
		checkOneCreatorRun(ctx, t, hosts)
	})
}

// checkOneCreatorRun calls GetOrCreate from many goroutines on every
// region and checks that one creator ran in all.
func checkOneCreatorRun(ctx context.Context, t *testing.T, hosts []*region.Region) {
	t.Helper()
	var runs atomic.Int32
	var wg sync.WaitGroup
	results := make(chan string, 20*len(hosts))
	for _, r := range hosts {
		for range 20 {
			wg.Go(func() {
				v, err := region.GetOrCreate(ctx, r, "report", func(ctx context.Context) (string, error) {
					runs.Add(1)
					time.Sleep(30 * time.Millisecond)
					return "built once", nil
				})
				if err != nil {
					t.Error(err)
				}
				results <- v
			})
		}
	}
	wg.Wait()
	close(results)
	var got []string
	for v := range results {
		got = append(got, v)
	}
	sort.Strings(got)
	if runs.Load() != 1 || got[0] != "built once" || got[len(got)-1] != "built once" {
		t.Fatalf("creator ran %d times; results %q..%q", runs.Load(), got[0], got[len(got)-1])
	}
}
