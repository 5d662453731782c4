package gocache_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/marshaler"
	"github.com/eko/gocache/lib/v4/store"

	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/drivers/gocache"
	_ "github.com/gosess/gosess/region/drivers/memory"
)

type user struct {
	Name string
	Age  int
}

// ttlRecorder is a proxy that records the TTL of the last Set.
type ttlRecorder struct {
	driver.Driver
	mu  sync.Mutex
	ttl time.Duration
}

func (p *ttlRecorder) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	p.mu.Lock()
	p.ttl = ttl
	p.mu.Unlock()
	return p.Driver.Set(ctx, key, v, ttl)
}

func (p *ttlRecorder) Unwrap() driver.Driver { return p.Driver }

func (p *ttlRecorder) last() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ttl
}

// newRegion is a region on a go-cache store through the bridge driver.
func newRegion(t testing.TB, cfg region.Config) *region.Region {
	t.Helper()
	r := region.New(t.Name())
	if err := r.ConfigureDriver(mustDriver(t, newGoCacheStore()), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.NotFound{}) || !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("%s = %v; want a store.NotFound wrapping region.ErrNotFound", what, err)
	}
}

func TestStoreRoundTrips(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Expiration: time.Hour})
	s := gocache.NewStore(r)
	if s.GetType() != "gosess-region" {
		t.Fatalf("GetType = %q", s.GetType())
	}

	bc := cache.New[[]byte](s)
	if err := bc.Set(ctx, "b", []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if got, err := bc.Get(ctx, "b"); err != nil || string(got) != "\x00\x01\x02" {
		t.Fatalf("Cache[[]byte].Get = %q, %v", got, err)
	}
	sc := cache.New[string](s)
	if err := sc.Set(ctx, "s", "text"); err != nil {
		t.Fatal(err)
	}
	if got, err := sc.Get(ctx, "s"); err != nil || got != "text" {
		t.Fatalf("Cache[string].Get = %q, %v", got, err)
	}
	// NewStore decodes other values into `any` (JSON: a map).
	ac := cache.New[any](s)
	if err := ac.Set(ctx, "u", user{"ann", 7}); err != nil {
		t.Fatal(err)
	}
	got, err := ac.Get(ctx, "u")
	if m, ok := got.(map[string]any); err != nil || !ok || m["Name"] != "ann" || m["Age"] != 7.0 {
		t.Fatalf("Cache[any].Get = %#v, %v", got, err)
	}
	// ... which is why cache.New[user] needs NewTypedStore: over NewStore
	// gocache returns the zero user and no error (gocache's behaviour).
	if got, err := cache.New[user](s).Get(ctx, "u"); err != nil || got != (user{}) {
		t.Fatalf("Cache[user] over NewStore = %#v, %v; documented as zero, nil", got, err)
	}
	uc := cache.New[user](gocache.NewTypedStore[user](r))
	if got, err := uc.Get(ctx, "u"); err != nil || got != (user{"ann", 7}) {
		t.Fatalf("Cache[user] over NewTypedStore = %#v, %v", got, err)
	}
	// The values are the region's: readable with the region's own API.
	if got, err := region.Get[user](ctx, r, "u"); err != nil || got.Name != "ann" {
		t.Fatalf("region.Get[user] = %#v, %v", got, err)
	}
	if got, err := region.Get[string](ctx, r, "s"); err != nil || got != "text" {
		t.Fatalf("region.Get[string] = %q, %v", got, err)
	}

	// Misses.
	_, err = bc.Get(ctx, "absent")
	wantNotFound(t, "Get(absent)", err)
	_, err = uc.Get(ctx, "s") // a string does not decode into a user
	wantNotFound(t, "Cache[user].Get of a string", err)
	_, _, err = s.GetWithTTL(ctx, "absent")
	wantNotFound(t, "GetWithTTL(absent)", err)

	// Delete.
	if err := sc.Delete(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	_, err = sc.Get(ctx, "s")
	wantNotFound(t, "Get after Delete", err)
	if err := sc.Delete(ctx, "s"); err != nil {
		t.Fatalf("Delete of an absent key: %v", err)
	}

	// Values the codec cannot encode fail Set.
	if err := ac.Set(ctx, "ch", make(chan int)); !errors.Is(err, region.ErrEncode) {
		t.Fatalf("Set(chan) = %v; want region.ErrEncode", err)
	}
}

// gocache's marshaler stores msgpack bytes: a plain NewStore carries them.
func TestStoreMarshaler(t *testing.T) {
	ctx := t.Context()
	m := marshaler.New(cache.New[any](gocache.NewStore(newRegion(t, region.Config{}))))
	if err := m.Set(ctx, "u", &user{"bob", 3}); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, "u", new(user))
	if err != nil || *got.(*user) != (user{"bob", 3}) {
		t.Fatalf("marshaler Get = %#v, %v", got, err)
	}
}

func TestStoreKeys(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{})
	s := gocache.NewTypedStore[int](r)
	type id struct{ A, B int }
	c := cache.New[int](s)
	if err := c.Set(ctx, id{1, 2}, 12); err != nil {
		t.Fatal(err)
	}
	// cache.Cache hashes a struct key before the store sees it; the store
	// hashes it the same way when it is given the struct directly.
	if v, err := s.Get(ctx, id{1, 2}); err != nil || v != 12 {
		t.Fatalf("store.Get(struct key) = %v, %v", v, err)
	}
	if k := gocache.CacheKey(id{1, 2}); len(k) != 32 {
		t.Fatalf("CacheKey(struct) = %q; want an MD5 in hex", k)
	}
	if err := s.Set(ctx, "", 1); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("Set with an empty key = %v", err)
	}
}

func TestStoreExpiration(t *testing.T) {
	ctx := t.Context()
	rec := &ttlRecorder{}
	r := region.New("exp")
	err := r.ConfigureDriver(mustDriver(t, newGoCacheStore()), region.Config{
		Expiration: time.Hour, StaleWindow: time.Minute,
		Wrap: []region.Proxy{func(d driver.Driver) driver.Driver { rec.Driver = d; return rec }},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := gocache.NewStore(r)
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(); got != time.Hour+time.Minute {
		t.Fatalf("driver TTL without an expiration = %v; want the region's 1h + 1m stale window", got)
	}
	if err := s.Set(ctx, "k", "v", store.WithExpiration(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(); got != 10*time.Second+time.Minute {
		t.Fatalf("driver TTL with store.WithExpiration(10s) = %v; want 10s + 1m stale window", got)
	}
	if err := s.Set(ctx, "k", "v", store.WithExpiration(-time.Second)); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("negative expiration = %v", err)
	}
	_, ttl, err := s.GetWithTTL(ctx, "k")
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("GetWithTTL = %v, %v; want just under the region's 1h", ttl, err)
	}

	// A region that never expires reports TTL 0 ("no expiration").
	s0 := gocache.NewStore(newRegion(t, region.Config{}))
	_ = s0.Set(ctx, "k", "v")
	if _, ttl, err := s0.GetWithTTL(ctx, "k"); err != nil || ttl != 0 {
		t.Fatalf("GetWithTTL without expiration = %v, %v; want 0", ttl, err)
	}

	// Past the region's expiration a value is a miss for gocache.
	short := gocache.NewStore(newRegion(t, region.Config{Expiration: 30 * time.Millisecond}))
	_ = short.Set(ctx, "k", "v")
	testwait.Until(t, 5*time.Second, "a value with a 30ms expiration to go", func() bool {
		_, err := short.Get(ctx, "k")
		if err != nil {
			wantNotFound(t, "Get after expiration", err)
		}
		return err != nil
	})
}

func TestStoreClearInvalidatesRegion(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Expiration: time.Hour})
	s := gocache.NewStore(r)
	_ = s.Set(ctx, "a", "1")
	_ = region.Set(ctx, r, "b", 2) // stored by region code, not gocache
	if err := cache.New[string](s).Clear(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "a")
	wantNotFound(t, "Get after Clear", err)
	if _, err := region.Get[int](ctx, r, "b"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("region value after Clear = %v; want a miss (hard invalidation)", err)
	}
	// And region invalidation is seen by gocache code.
	_ = s.Set(ctx, "c", "3")
	if err := r.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, "c")
	wantNotFound(t, "Get after region.Invalidate(Hard)", err)
}

func TestStoreTags(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Expiration: time.Hour})
	c := cache.New[string](gocache.NewStore(r, gocache.WithTagPrefix("tags:")))
	tagged := func(tags ...string) store.Option { return store.WithTags(tags) }
	for k, tags := range map[string][]string{"a": {"t1"}, "b": {"t1", "t2"}, "c": {"t2"}, "d": nil} {
		if err := c.Set(ctx, k, "v:"+k, tagged(tags...)); err != nil {
			t.Fatal(err)
		}
	}
	// Setting again does not record a key twice.
	if err := c.Set(ctx, "a", "v:a", tagged("t1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Invalidate(ctx); err != nil {
		t.Fatalf("Invalidate without tags = %v; want nil", err)
	}
	if err := c.Invalidate(ctx, store.WithInvalidateTags([]string{"t1"})); err != nil {
		t.Fatal(err)
	}
	for k, present := range map[string]bool{"a": false, "b": false, "c": true, "d": true} {
		_, err := c.Get(ctx, k)
		if present && err != nil {
			t.Errorf("%s: %v; want present", k, err)
		}
		if !present && !errors.Is(err, store.NotFound{}) {
			t.Errorf("%s: %v; want invalidated", k, err)
		}
	}
	// The record of t1 is gone; t2's still lists b (absent now) and c.
	if _, err := region.Get[[]byte](ctx, r, "tags:t1"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("tag record after invalidation: %v", err)
	}
	if err := c.Invalidate(ctx, store.WithInvalidateTags([]string{"t2", "never-used"})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "c"); !errors.Is(err, store.NotFound{}) {
		t.Fatalf("c after invalidating t2: %v", err)
	}

	// Concurrent tagged sets of distinct keys all get recorded.
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if err := c.Set(ctx, string(rune('A'+i)), "x", tagged("many")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := c.Invalidate(ctx, store.WithInvalidateTags([]string{"many"})); err != nil {
		t.Fatal(err)
	}
	for i := range 16 {
		if _, err := c.Get(ctx, string(rune('A'+i))); err == nil {
			t.Errorf("%c survived the invalidation of its tag", 'A'+i)
		}
	}
}

func TestStoreNilRegion(t *testing.T) {
	s := gocache.NewStore(nil)
	if _, err := s.Get(t.Context(), "k"); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("Get on a nil region = %v", err)
	}
	if err := s.Set(t.Context(), "k", "v"); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("Set on a nil region = %v", err)
	}
	if err := s.Clear(t.Context()); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("Clear on a nil region = %v", err)
	}
	// An unconfigured region's error passes through.
	if _, err := gocache.NewStore(region.New("unconfigured")).Get(t.Context(), "k"); !errors.Is(err, region.ErrNotConfigured) {
		t.Fatalf("Get on an unconfigured region = %v", err)
	}
}

// ChainCache over a Region store: a value found in the region is copied
// to the faster store in front of it; sets go to both.
func TestChainOverRegion(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Expiration: time.Hour})
	front := newGoCacheStore()
	chain := cache.NewChain[string](cache.New[string](front), cache.New[string](gocache.NewStore(r)))
	if err := region.Set(ctx, r, "k", "from region"); err != nil {
		t.Fatal(err)
	}
	if got, err := chain.Get(ctx, "k"); err != nil || got != "from region" {
		t.Fatalf("chain.Get = %q, %v", got, err)
	}
	// The chain copies it to the front store in the background, with the
	// TTL the region store reported (just under an hour).
	testwait.Until(t, 5*time.Second, "the chain to copy the value to the front store", func() bool {
		v, ttl, err := front.GetWithTTL(ctx, "k")
		if err == nil && (v != "from region" || ttl < 59*time.Minute || ttl > time.Hour) {
			t.Fatalf("front store holds %v with TTL %v", v, ttl)
		}
		return err == nil
	})
	if err := chain.Set(ctx, "k2", "both"); err != nil {
		t.Fatal(err)
	}
	if got, err := region.Get[string](ctx, r, "k2"); err != nil || got != "both" {
		t.Fatalf("region after chain.Set = %q, %v", got, err)
	}
	// A miss everywhere is the region store's NotFound.
	_, err := chain.Get(ctx, "absent")
	wantNotFound(t, "chain.Get(absent)", err)
}

// together runs f(0) ... f(n-1) in goroutines released at the same
// moment, and waits for them.
func together(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

// stampede runs n goroutines of GetOrCreate on key and returns how many
// times the creator ran.
func stampede(t *testing.T, r *region.Region, key string, n int) int64 {
	t.Helper()
	var runs atomic.Int64
	together(n, func(int) {
		v, err := region.GetOrCreate(t.Context(), r, key, func(context.Context) (string, error) {
			runs.Add(1)
			time.Sleep(20 * time.Millisecond) // give the others time to pile up
			return "made", nil
		})
		if err != nil || v != "made" {
			t.Errorf("GetOrCreate = %q, %v", v, err)
		}
	})
	return runs.Load()
}

// LoadableCache over a Region store with NewLoadFunc: many goroutines on
// two LoadableCaches (two "instances" of a service sharing the region)
// hitting one cold key run the loader once.
func TestLoadableDogpile(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Expiration: time.Hour})
	s := gocache.NewTypedStore[user](r)
	var loads atomic.Int64
	load := func(ctx context.Context, key any) (user, []store.Option, error) {
		loads.Add(1)
		time.Sleep(20 * time.Millisecond)
		return user{Name: key.(string), Age: 30}, []store.Option{store.WithTags([]string{"users"})}, nil
	}
	var caches []*cache.LoadableCache[user]
	for range 2 {
		lc := cache.NewLoadable[user](gocache.NewLoadFunc(s, load), cache.New[user](s))
		defer lc.Close()
		caches = append(caches, lc)
	}
	together(32, func(i int) {
		got, err := caches[i%2].Get(ctx, "ann")
		if err != nil || got != (user{"ann", 30}) {
			t.Errorf("Get = %#v, %v", got, err)
		}
	})
	if n := loads.Load(); n != 1 {
		t.Fatalf("loader ran %d times for one cold key; want 1", n)
	}
	// The loader's options were applied by the loader itself: the tag.
	if err := caches[0].Invalidate(ctx, store.WithInvalidateTags([]string{"users"})); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[user](ctx, r, "ann"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("loaded value after invalidating its tag: %v", err)
	}
}

// When another caller holds the key's lock, a stale value is served at
// once by the loader and LoadableCache's write-back does not make it look
// new.
func TestLoadableStaleNotRewritten(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Expiration: time.Hour})
	s := gocache.NewTypedStore[string](r)
	if err := region.Set(ctx, r, "k", "old"); err != nil {
		t.Fatal(err)
	}
	before, err := region.GetItem[string](ctx, r, "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	mu := r.Mutex("k") // someone else is regenerating k
	if err := mu.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	var loads atomic.Int64
	load := func(context.Context, any) (string, []store.Option, error) {
		loads.Add(1)
		return "new", nil, nil
	}
	lc := cache.NewLoadable[string](gocache.NewLoadFunc(s, load), cache.New[string](s))
	got, err := lc.Get(ctx, "k")
	if err != nil || got != "old" {
		t.Fatalf("Get while another regenerates = %q, %v; want the stale value", got, err)
	}
	_ = lc.Close() // waits for the LoadableCache's write-back
	after, err := region.GetItem[string](ctx, r, "k", region.IgnoreExpiration())
	if err != nil || after.Value != "old" || !after.Created.Equal(before.Created) {
		t.Fatalf("stored after the write-back: %q created %v, %v; want the untouched %v", after.Value, after.Created, err, before.Created)
	}
	if loads.Load() != 0 {
		t.Fatal("loader ran while the lock was held")
	}
	_ = mu.Unlock(ctx)

	lc = cache.NewLoadable[string](gocache.NewLoadFunc(s, load), cache.New[string](s))
	defer lc.Close()
	if got, err := lc.Get(ctx, "k"); err != nil || got != "new" || loads.Load() != 1 {
		t.Fatalf("Get after the lock is free = %q, %v (%d loads); want new, 1 load", got, err, loads.Load())
	}
}

func TestLoadFuncErrors(t *testing.T) {
	ctx := t.Context()
	s := gocache.NewStore(newRegion(t, region.Config{}))
	boom := errors.New("db down")
	f := gocache.NewLoadFunc(s, func(context.Context, any) (string, []store.Option, error) { return "", nil, boom })
	if _, _, err := f(ctx, "k"); !errors.Is(err, boom) {
		t.Fatalf("load error = %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, store.NotFound{}) {
		t.Fatalf("a failed load stored something: %v", err)
	}
	if _, _, err := gocache.NewLoadFunc[string](s, nil)(ctx, "k"); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("nil load = %v", err)
	}
	if _, _, err := gocache.NewLoadFunc(gocache.NewStore(nil), func(context.Context, any) (string, []store.Option, error) {
		return "", nil, nil
	})(ctx, "k"); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("nil region = %v", err)
	}
}

// A Region on the memory driver (bigcache, with its cleaner goroutine)
// under gocache: closing the region stops it (goleak checks).
func TestStoreOnMemoryDriver(t *testing.T) {
	ctx := t.Context()
	r := region.New("mem")
	if err := r.Configure("memory", region.Config{Expiration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := cache.New[user](gocache.NewTypedStore[user](r))
	if err := c.Set(ctx, "u", user{"cy", 1}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "u"); err != nil || got.Name != "cy" {
		t.Fatalf("Get = %#v, %v", got, err)
	}
}
