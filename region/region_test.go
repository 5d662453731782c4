package region_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type user struct {
	ID   int
	Name string
	Tags []string
}

func newRegion(t *testing.T, cfg region.Config, opts ...region.Option) (*region.Region, *mapDriver) {
	t.Helper()
	d := newMapDriver()
	return regionOn(t, "test", d, cfg, opts...), d
}

// regionOn returns a region named name on the driver d, closed when the
// test ends.
func regionOn(t *testing.T, name string, d region.Driver, cfg region.Config, opts ...region.Option) *region.Region {
	t.Helper()
	r := region.New(name, opts...)
	if err := r.ConfigureDriver(d, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestGetMissIsErrNotFound(t *testing.T) {
	r, _ := newRegion(t, region.Config{})
	v, err := region.Get[user](context.Background(), r, "nobody")
	if !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if v.ID != 0 {
		t.Fatalf("value on miss = %+v", v)
	}
}

func TestSetGetKeepsTypes(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegion(t, region.Config{Expiration: time.Minute})
	u := user{ID: 7, Name: "ann", Tags: []string{"a", "b"}}
	if err := region.Set(ctx, r, "user:7", u); err != nil {
		t.Fatal(err)
	}
	got, err := region.Get[user](ctx, r, "user:7")
	if err != nil || got.Name != "ann" || len(got.Tags) != 2 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if err := region.Set(ctx, r, "b", []byte{0, 1, 255}); err != nil {
		t.Fatal(err)
	}
	b, err := region.Get[[]byte](ctx, r, "b")
	if err != nil || string(b) != "\x00\x01\xff" {
		t.Fatalf("bytes %q %v", b, err)
	}
	if err := region.Set(ctx, r, "s", "hello"); err != nil {
		t.Fatal(err)
	}
	s, err := region.Get[string](ctx, r, "s")
	if err != nil || s != "hello" {
		t.Fatalf("string %q %v", s, err)
	}
	var anyv any
	anyv, err = region.Get[any](ctx, r, "s")
	if err != nil || anyv != "hello" {
		t.Fatalf("any %v %v", anyv, err)
	}
	// A stored string asked for as a struct does not decode: a miss.
	if _, err := region.Get[user](ctx, r, "s"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("type change: %v", err)
	}
	n := 42
	if err := region.Set(ctx, r, "n", n); err != nil {
		t.Fatal(err)
	}
	if got, err := region.Get[int](ctx, r, "n"); err != nil || got != 42 {
		t.Fatalf("int %v %v", got, err)
	}
}

func TestConfigureFromConfig(t *testing.T) {
	conf := map[string]string{
		"cache.app.backend":         "testmap",
		"cache.app.expiration_time": "300",
		"cache.app.arguments.size":  "10",
		"cache.other.backend":       "nosuch",
		"unrelated":                 "x",
	}
	r := region.New("app")
	if err := r.ConfigureFromConfig(conf, "cache.app."); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Expiration() != 300*time.Second {
		t.Fatalf("expiration %v", r.Expiration())
	}
	for _, tc := range []struct {
		conf map[string]string
		want string
	}{
		{map[string]string{"c.backend": "testmap", "c.expiration_time": "soon"}, "expiration_time"},
		{map[string]string{"c.backend": "testmap", "c.expiration_tme": "5"}, "expiration_tme"},
		{map[string]string{"c.expiration_time": "5"}, "backend"},
		{map[string]string{"c.backend": "testmap", "c.arguments.nope": "1"}, "nope"},
		{map[string]string{"c.backend": "testmap", "c.wrap": "nosuchproxy"}, "nosuchproxy"},
		{map[string]string{"c.backend": "testmap", "c.invalidation": "global"}, "invalidation"},
		{map[string]string{"c.backend": "testmap", "c.expiration_time": "-5"}, "negative"},
		{map[string]string{"c.backend": "testmap", "c.format": "pickle"}, `c.format: want "gosess" or "dogpile", got "pickle"`},
	} {
		err := region.New("x").ConfigureFromConfig(tc.conf, "c.")
		if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want mention of %q", tc.conf, err, tc.want)
		}
	}
	r2 := region.New("dur")
	if err := r2.ConfigureFromConfig(map[string]string{"backend": "testmap", "expiration_time": "5m", "invalidation": "shared"}, ""); err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if r2.Expiration() != 5*time.Minute {
		t.Fatalf("go duration: %v", r2.Expiration())
	}
}

func TestCoerceString(t *testing.T) {
	for in, want := range map[string]any{
		"10": 10, "-3": -3, "1.5": 1.5, ".5": 0.5, "1e3": 1000.0, "true": true, "False": false,
		"127.0.0.1:11211": "127.0.0.1:11211", " x ": "x",
	} {
		got, set := region.CoerceString(in)
		if !set || got != want {
			t.Errorf("CoerceString(%q) = %#v, want %#v", in, got, want)
		}
	}
	if _, set := region.CoerceString("None"); set {
		t.Error("None should be unset")
	}
}

func TestExpirationAndOverrides(t *testing.T) {
	ctx := context.Background()
	r, d := newRegion(t, region.Config{Expiration: 60 * time.Millisecond})
	if err := region.Set(ctx, r, "k", "v"); err != nil {
		t.Fatal(err)
	}
	// TTL given to the driver: expiration + stale window (= expiration).
	if ttl := time.Until(d.raw("k").exp); ttl < 90*time.Millisecond || ttl > 120*time.Millisecond {
		t.Fatalf("driver TTL %v, want about 120ms", ttl)
	}
	time.Sleep(80 * time.Millisecond)
	if _, err := region.Get[string](ctx, r, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("expired get: %v", err)
	}
	if v, err := region.Get[string](ctx, r, "k", region.IgnoreExpiration()); err != nil || v != "v" {
		t.Fatalf("ignore expiration: %v %v", v, err)
	}
	if v, err := region.Get[string](ctx, r, "k", region.WithExpiration(time.Hour)); err != nil || v != "v" {
		t.Fatalf("override expiration: %v %v", v, err)
	}
	it, err := region.GetItem[string](ctx, r, "k", region.IgnoreExpiration())
	if err != nil || it.Age() < 80*time.Millisecond || it.Created.After(time.Now()) {
		t.Fatalf("metadata %+v %v", it, err)
	}
	if err := region.Set(ctx, r, "forever", "v", region.WithExpiration(0)); err != nil {
		t.Fatal(err)
	}
	if !d.raw("forever").exp.IsZero() {
		t.Fatal("WithExpiration(0) should give no TTL")
	}
}

func TestStaleWindowConfig(t *testing.T) {
	r, d := newRegion(t, region.Config{Expiration: time.Second, StaleWindow: 10 * time.Second})
	if err := region.Set(context.Background(), r, "k", 1); err != nil {
		t.Fatal(err)
	}
	if ttl := time.Until(d.raw("k").exp); ttl < 10*time.Second || ttl > 11*time.Second {
		t.Fatalf("TTL %v, want 11s", ttl)
	}
}

func TestCorruptValueIsRegenerated(t *testing.T) {
	ctx := context.Background()
	r, d := newRegion(t, region.Config{})
	for _, junk := range [][]byte{nil, {}, []byte("garbage"), {0xD9, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0xD9, 1, 9, 0, 0, 0, 0, 0, 0, 0, 0}} {
		d.put("k", junk)
		if _, err := region.Get[int](ctx, r, "k"); !errors.Is(err, region.ErrNotFound) {
			t.Fatalf("junk %q: %v", junk, err)
		}
		v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 5, nil })
		if err != nil || v != 5 {
			t.Fatalf("regenerate: %v %v", v, err)
		}
		if err := r.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	// A JSON payload that does not fit the type.
	if err := region.Set(ctx, r, "u", map[string]any{"ID": "not a number"}); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[user](ctx, r, "u"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("changed type: %v", err)
	}
}

func TestDeleteAndMulti(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegion(t, region.Config{})
	if err := region.SetMulti(ctx, r, map[string]int{"a": 1, "b": 2, "c": 3}); err != nil {
		t.Fatal(err)
	}
	got, err := region.GetMulti[int](ctx, r, []string{"a", "b", "zz", "a"})
	if err != nil || len(got) != 2 || got["a"] != 1 || got["b"] != 2 {
		t.Fatalf("%v %v", got, err)
	}
	if _, ok := got["zz"]; ok {
		t.Fatal("miss present in map")
	}
	empty, err := region.GetMulti[int](ctx, r, nil)
	if err != nil || len(empty) != 0 {
		t.Fatal(empty, err)
	}
	if err := r.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, "never"); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteMulti(ctx, []string{"b", "c", "never"}); err != nil {
		t.Fatal(err)
	}
	got, _ = region.GetMulti[int](ctx, r, []string{"a", "b", "c"})
	if len(got) != 0 {
		t.Fatal(got)
	}
}

func TestGetOrCreateColdStampedeRunsCreatorOnce(t *testing.T) {
	r, _ := newRegion(t, region.Config{Expiration: time.Minute})
	var calls atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, err := region.GetOrCreate(context.Background(), r, "cold", func(context.Context) (string, error) {
				calls.Add(1)
				time.Sleep(30 * time.Millisecond)
				return "made", nil
			})
			if err != nil || v != "made" {
				t.Errorf("%q %v", v, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("creator ran %d times, want 1", n)
	}
	if s := r.Stats(); s.CreatorRuns != 1 || s.LockWaits == 0 {
		t.Fatalf("stats %+v", s)
	}
}

// makeStale stores v under key, then waits until it is past expiration.
func makeStale(t *testing.T, r *region.Region, key, v string, exp time.Duration) {
	t.Helper()
	if err := region.Set(context.Background(), r, key, v); err != nil {
		t.Fatal(err)
	}
	time.Sleep(exp + 10*time.Millisecond)
}

func TestStaleValueServedWhileOneRegenerates(t *testing.T) {
	exp := 40 * time.Millisecond
	r, _ := newRegion(t, region.Config{Expiration: exp, StaleWindow: time.Minute})
	makeStale(t, r, "k", "old", exp)
	release := make(chan struct{})
	entered := make(chan struct{})
	var calls atomic.Int32
	creator := func(context.Context) (string, error) {
		if calls.Add(1) == 1 {
			close(entered)
		}
		<-release
		return "new", nil
	}
	done := make(chan string, 1)
	go func() {
		v, _ := region.GetOrCreate(context.Background(), r, "k", creator)
		done <- v
	}()
	<-entered
	// Everyone else gets the stale value without waiting for the creator.
	for range 50 {
		v, err := region.GetOrCreate(context.Background(), r, "k", creator)
		if err != nil || v != "old" {
			t.Fatalf("got %q %v, want stale value", v, err)
		}
	}
	close(release)
	if v := <-done; v != "new" {
		t.Fatalf("regenerating caller got %q", v)
	}
	if calls.Load() != 1 {
		t.Fatalf("creator ran %d times", calls.Load())
	}
	if v, _ := region.Get[string](context.Background(), r, "k"); v != "new" {
		t.Fatalf("after regeneration: %q", v)
	}
	if s := r.Stats(); s.StaleServed != 50 {
		t.Fatalf("stale served %d", s.StaleServed)
	}
}

func TestAsyncRunnerReturnsStaleAndRegeneratesInBackground(t *testing.T) {
	exp := 40 * time.Millisecond
	var ran atomic.Int32
	r, _ := newRegion(t, region.Config{Expiration: exp, StaleWindow: time.Minute},
		region.WithAsyncRunner(func(task func()) { ran.Add(1); go task() }))
	makeStale(t, r, "k", "old", exp)
	release := make(chan struct{})
	v, err := region.GetOrCreate(context.Background(), r, "k", func(context.Context) (string, error) {
		<-release
		return "new", nil
	})
	if err != nil || v != "old" {
		t.Fatalf("caller that takes the lock got %q %v, want stale", v, err)
	}
	if locked, _ := r.KeyIsLocked(context.Background(), "k"); !locked {
		t.Fatal("key should be locked during async regeneration")
	}
	close(release)
	testwait.Until(t, 2*time.Second, "the async regeneration to store its value", func() bool {
		v, err := region.Get[string](context.Background(), r, "k")
		return err == nil && v == "new"
	})
	if ran.Load() != 1 {
		t.Fatalf("runner called %d times", ran.Load())
	}
	// A missing value is still created synchronously.
	v, err = region.GetOrCreate(context.Background(), r, "cold", func(context.Context) (string, error) { return "sync", nil })
	if err != nil || v != "sync" {
		t.Fatal(v, err)
	}
}

func TestWaiterHonoursContext(t *testing.T) {
	r, _ := newRegion(t, region.Config{})
	entered, release := make(chan struct{}), make(chan struct{})
	go func() {
		region.GetOrCreate(context.Background(), r, "k", func(context.Context) (int, error) {
			close(entered)
			<-release
			return 1, nil
		})
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 2, nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := region.GetOrCreate(ctx2, r, "k", func(context.Context) (int, error) { return 2, nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	close(release)
}

func TestCreatorErrorNotCached(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegion(t, region.Config{})
	boom := errors.New("boom")
	_, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 0, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if _, err := region.Get[int](ctx, r, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatal("error result cached")
	}
	v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 3, nil })
	if err != nil || v != 3 {
		t.Fatal(v, err)
	}
}

func TestCreatorPanicReleasesLock(t *testing.T) {
	r, _ := newRegion(t, region.Config{})
	entered, release := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		_, err := region.GetOrCreate(context.Background(), r, "k", func(context.Context) (int, error) {
			close(entered)
			<-release
			panic("creator exploded")
		})
		errc <- err
	}()
	<-entered
	waiter := make(chan int, 1)
	go func() {
		v, _ := region.GetOrCreate(context.Background(), r, "k", func(context.Context) (int, error) { return 9, nil })
		waiter <- v
	}()
	close(release)
	if err := <-errc; !errors.Is(err, region.ErrCreatorPanic) || !strings.Contains(err.Error(), "exploded") {
		t.Fatalf("panic err %v", err)
	}
	select {
	case v := <-waiter:
		if v != 9 {
			t.Fatalf("waiter got %d", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter hung after a creator panic")
	}
	if locked, _ := r.KeyIsLocked(context.Background(), "k"); locked {
		t.Fatal("lock still held")
	}
}

func TestShouldCache(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegion(t, region.Config{})
	positive := region.ShouldCache(func(n int) bool { return n > 0 })
	v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return -1, nil }, positive)
	if err != nil || v != -1 {
		t.Fatal(v, err)
	}
	if _, err := region.Get[int](ctx, r, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatal("rejected value was cached")
	}
	region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 5, nil }, positive)
	if v, err := region.Get[int](ctx, r, "k"); err != nil || v != 5 {
		t.Fatal("accepted value not cached")
	}
	m, err := region.GetOrCreateMulti(ctx, r, []string{"x", "y"}, func(_ context.Context, keys []string) (map[string]int, error) {
		return map[string]int{"x": -1, "y": 1}, nil
	}, positive)
	if err != nil || m["x"] != -1 || m["y"] != 1 {
		t.Fatal(m, err)
	}
	got, _ := region.GetMulti[int](ctx, r, []string{"x", "y"})
	if _, ok := got["x"]; ok || got["y"] != 1 {
		t.Fatalf("multi should-cache: %v", got)
	}
	// Every value refused: all returned, none stored.
	m, err = region.GetOrCreateMulti(ctx, r, []string{"p", "q"}, func(_ context.Context, keys []string) (map[string]int, error) {
		return map[string]int{"p": -2, "q": -3}, nil
	}, positive)
	if err != nil || m["p"] != -2 || m["q"] != -3 {
		t.Fatal(m, err)
	}
	if got, _ := region.GetMulti[int](ctx, r, []string{"p", "q"}); len(got) != 0 {
		t.Fatalf("refused values were cached: %v", got)
	}
}

func TestGetOrCreateMulti(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegion(t, region.Config{Expiration: time.Minute})
	region.Set(ctx, r, "a", "cached-a")
	var mu sync.Mutex
	created := map[string]int{}
	creator := func(_ context.Context, keys []string) (map[string]string, error) {
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		out := map[string]string{}
		for _, k := range keys {
			created[k]++
			if k != "omit" {
				out[k] = "made-" + k
			}
		}
		return out, nil
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys := []string{"a", "b", "c", "d", "omit"}
			if i%2 == 1 { // other orders must not deadlock
				keys = []string{"d", "omit", "c", "b", "a", "b"}
			}
			m, err := region.GetOrCreateMulti(ctx, r, keys, creator)
			if err != nil {
				t.Error(err)
				return
			}
			if m["a"] != "cached-a" || m["b"] != "made-b" || m["d"] != "made-d" {
				t.Errorf("result %v", m)
			}
			if _, ok := m["omit"]; ok {
				t.Error("omitted key present")
			}
		}()
	}
	wg.Wait()
	for _, k := range []string{"b", "c", "d"} {
		if created[k] != 1 {
			t.Errorf("key %s created %d times", k, created[k])
		}
	}
	if created["a"] != 0 {
		t.Error("fresh key recreated")
	}
}

func TestGetOrCreateMultiStaleAndErrors(t *testing.T) {
	ctx := context.Background()
	exp := 40 * time.Millisecond
	r, _ := newRegion(t, region.Config{Expiration: exp, StaleWindow: time.Minute})
	region.SetMulti(ctx, r, map[string]string{"s1": "old1", "s2": "old2"})
	time.Sleep(exp + 10*time.Millisecond)
	hold := r.Mutex("s1")
	if ok, err := hold.TryLock(ctx); !ok || err != nil {
		t.Fatal("could not hold s1")
	}
	m, err := region.GetOrCreateMulti(ctx, r, []string{"s1", "s2"}, func(_ context.Context, keys []string) (map[string]string, error) {
		if len(keys) != 1 || keys[0] != "s2" {
			t.Errorf("creator asked for %v, want [s2]", keys)
		}
		return map[string]string{"s2": "new2"}, nil
	})
	hold.Unlock(ctx)
	if err != nil || m["s1"] != "old1" || m["s2"] != "new2" {
		t.Fatalf("%v %v", m, err)
	}
	boom := errors.New("boom")
	if _, err := region.GetOrCreateMulti(ctx, r, []string{"x"}, func(context.Context, []string) (map[string]string, error) {
		return nil, boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if locked, _ := r.KeyIsLocked(ctx, "x"); locked {
		t.Fatal("lock leaked after creator error")
	}
	ctx2, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	hold2 := r.Mutex("y")
	hold2.Lock(ctx)
	_, err = region.GetOrCreateMulti(ctx2, r, []string{"x2", "y"}, func(context.Context, []string) (map[string]string, error) {
		return nil, nil
	})
	hold2.Unlock(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("multi waiter: %v", err)
	}
	if locked, _ := r.KeyIsLocked(ctx, "x2"); locked {
		t.Fatal("lock on x2 leaked after a cancelled wait")
	}
}

func TestInvalidation(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegion(t, region.Config{Expiration: time.Minute})
	region.Set(ctx, r, "k", "v1")
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[string](ctx, r, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatal("soft-invalidated value returned by Get")
	}
	if v, err := region.Get[string](ctx, r, "k", region.IgnoreExpiration()); err != nil || v != "v1" {
		t.Fatal("ignore expiration should see soft-invalidated value")
	}
	// Soft: the regenerating caller creates, but others would get v1.
	hold := r.Mutex("k")
	hold.TryLock(ctx)
	v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (string, error) { return "v2", nil })
	if err != nil || v != "v1" {
		t.Fatalf("soft: other caller got %q %v, want stale v1", v, err)
	}
	hold.Unlock(ctx)
	v, _ = region.GetOrCreate(ctx, r, "k", func(context.Context) (string, error) { return "v2", nil })
	if v != "v2" {
		t.Fatalf("soft regenerate: %q", v)
	}
	if err := r.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[string](ctx, r, "k", region.IgnoreExpiration()); !errors.Is(err, region.ErrNotFound) {
		t.Fatal("hard-invalidated value returned")
	}
	// Hard: callers wait for the new value, nobody gets the old one.
	hold.Lock(ctx)
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err = region.GetOrCreate(waitCtx, r, "k", func(context.Context) (string, error) { return "v3", nil })
	cancel()
	hold.Unlock(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hard: got %v, want a wait", err)
	}
	m, err := region.GetOrCreateMulti(ctx, r, []string{"k"}, func(context.Context, []string) (map[string]string, error) {
		return map[string]string{"k": "v3"}, nil
	})
	if err != nil || m["k"] != "v3" {
		t.Fatal(m, err)
	}
	if err := r.Invalidate(region.Mode(9)); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatal(err)
	}
	noexp, _ := newRegion(t, region.Config{})
	if err := noexp.Invalidate(region.Soft); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("soft without expiration: %v", err)
	}
}

func TestSharedInvalidationSeenByAnotherRegion(t *testing.T) {
	ctx := context.Background()
	d := newMapDriver()
	cfg := region.Config{Expiration: time.Minute, Invalidation: region.SharedInvalidation(20 * time.Millisecond)}
	a, b := region.New("shared"), region.New("shared")
	if err := a.ConfigureDriver(d, cfg); err != nil {
		t.Fatal(err)
	}
	if err := b.ConfigureDriver(d, cfg); err != nil {
		t.Fatal(err)
	}
	region.Set(ctx, a, "k", "v")
	if _, err := region.Get[string](ctx, b, "k"); err != nil {
		t.Fatal(err)
	}
	if err := a.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[string](ctx, a, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatal("own invalidation not seen at once")
	}
	time.Sleep(30 * time.Millisecond)
	if _, err := region.Get[string](ctx, b, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatal("other region did not see the shared invalidation within the refresh")
	}
	region.Set(ctx, b, "k", "v2")
	if v, err := region.Get[string](ctx, a, "k"); err != nil || v != "v2" {
		t.Fatal("values after the invalidation must be valid", v, err)
	}
	// A failing driver keeps the last known state.
	d.fail.Store(true)
	time.Sleep(30 * time.Millisecond)
	_, err := region.Get[string](ctx, a, "k")
	if !errors.Is(err, errDown) {
		t.Fatal(err)
	}
}

func TestDriverErrors(t *testing.T) {
	ctx := context.Background()
	r, d := newRegion(t, region.Config{})
	d.fail.Store(true)
	if _, err := region.Get[int](ctx, r, "k"); !errors.Is(err, errDown) || errors.Is(err, region.ErrNotFound) {
		t.Fatalf("get: %v", err)
	}
	if _, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 1, nil }); !errors.Is(err, errDown) {
		t.Fatalf("get or create: %v", err)
	}
	lenient, ld := newRegion(t, region.Config{}, region.WithDriverErrorsAsMisses(true))
	ld.fail.Store(true)
	v, err := region.GetOrCreate(ctx, lenient, "k", func(context.Context) (int, error) { return 1, nil })
	if err != nil || v != 1 {
		t.Fatalf("errors as misses: %v %v", v, err)
	}
	m, err := region.GetOrCreateMulti(ctx, lenient, []string{"a"}, func(context.Context, []string) (map[string]int, error) {
		return map[string]int{"a": 2}, nil
	})
	if err != nil || m["a"] != 2 {
		t.Fatalf("multi errors as misses: %v %v", m, err)
	}
	if lenient.Stats().DriverErrors == 0 {
		t.Fatal("driver errors not counted")
	}
}

func TestProxiesAndKeyLimiter(t *testing.T) {
	ctx := context.Background()
	var log []string
	var mu sync.Mutex
	proxy := func(name string) region.Proxy {
		return func(next region.Driver) region.Driver { return recordingProxy{next, name, &log, &mu} }
	}
	base := limitedDriver{newMapDriver()}
	r := region.New("p")
	if err := r.ConfigureDriver(base, region.Config{Wrap: []region.Proxy{proxy("outer"), proxy("inner")}}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	region.Get[int](ctx, r, "k")
	if strings.Join(log, ",") != "outer,inner" {
		t.Fatalf("proxy order %v", log)
	}
	if r.ActualDriver() != region.Driver(base) {
		t.Fatal("actual driver")
	}
	// The driver's KeyLimiter is found through the proxies: long keys mangled.
	long := strings.Repeat("x", 40) + " with space"
	if err := region.Set(ctx, r, long, 1); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[int](ctx, r, long); err != nil || v != 1 {
		t.Fatal(v, err)
	}
	for _, k := range base.keys() {
		if k == long {
			t.Fatal("invalid key reached the driver unmangled")
		}
	}
	if err := region.Set(ctx, r, "short", 1); err != nil {
		t.Fatal(err)
	}
	if _, ok := base.items["short"]; !ok {
		t.Fatal("valid key should not be mangled")
	}
}

// TestProxyChain: the first proxy listed is the outermost, each sees every
// read, and the actual driver is the one under them.
func TestProxyChain(t *testing.T) {
	var outer, inner *countingProxy
	r, _ := newRegion(t, region.Config{Wrap: []region.Proxy{
		func(next region.Driver) region.Driver { outer = &countingProxy{Driver: next}; return outer },
		func(next region.Driver) region.Driver { inner = &countingProxy{Driver: next}; return inner },
	}})
	ctx := t.Context()
	if r.Driver() != region.Driver(outer) {
		t.Fatalf("Driver() = %T; want the first proxy listed (outermost)", r.Driver())
	}
	if _, ok := r.ActualDriver().(*countingProxy); ok || r.ActualDriver() == nil {
		t.Fatalf("ActualDriver() = %T; want the driver under the proxies", r.ActualDriver())
	}
	if outer.Driver != region.Driver(inner) {
		t.Fatal("the first proxy listed does not wrap the second")
	}
	for i := range 10 {
		if err := region.Set(ctx, r, fmt.Sprint(i), i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		if v, err := region.Get[int](ctx, r, fmt.Sprint(i)); err != nil || v != i {
			t.Fatalf("Get(%d) = %d, %v", i, v, err)
		}
	}
	if o, in := outer.gets.Load(), inner.gets.Load(); o != 10 || in != 10 {
		t.Fatalf("proxies saw %d and %d reads; want 10 each", o, in)
	}
	for i := range 10 {
		if err := r.Delete(ctx, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		if _, err := region.Get[int](ctx, r, fmt.Sprint(i)); !errors.Is(err, region.ErrNotFound) {
			t.Fatalf("Get(%d) after Delete: %v", i, err)
		}
	}
}

func TestKeyMangler(t *testing.T) {
	ctx := context.Background()
	r, d := newRegion(t, region.Config{}, region.WithKeyMangler(func(k string) string { return "m:" + k }))
	region.Set(ctx, r, "k", 1)
	if _, ok := d.items["m:k"]; !ok {
		t.Fatal(d.keys())
	}
	hold := r.Mutex("k")
	hold.Lock(ctx)
	if locked, _ := r.KeyIsLocked(ctx, "k"); !locked {
		t.Fatal("KeyIsLocked must apply the mangler")
	}
	hold.Unlock(ctx)
}

func TestMangleKey(t *testing.T) {
	a, b := region.MangleKey("user 1\n"), region.MangleKey("user 1\r")
	if a == b || strings.ContainsAny(a, " \n\r") || len(region.MangleKey(strings.Repeat("k", 1000))) > 100 {
		t.Fatal(a, b)
	}
	if !strings.Contains(a, "user_1") {
		t.Fatal("readable prefix lost:", a)
	}
}

func TestKeyLocksDoNotGrow(t *testing.T) {
	r, _ := newRegion(t, region.Config{})
	for i := range 1000 {
		region.GetOrCreate(context.Background(), r, fmt.Sprint("k", i), func(context.Context) (int, error) { return i, nil })
	}
	if n := region.KeyLocksSize(r); n != 0 {
		t.Fatalf("%d lock entries left", n)
	}
}

func TestLockServiceDownWithErrorsAsMisses(t *testing.T) {
	ctx := context.Background()
	d := &lockingDriver{mapDriver: newMapDriver()}
	d.lockDown.Store(true)
	strict := region.New("strict")
	strict.ConfigureDriver(d, region.Config{})
	defer strict.Close()
	if _, err := region.GetOrCreate(ctx, strict, "k", func(context.Context) (int, error) { return 1, nil }); !errors.Is(err, errDown) {
		t.Fatalf("strict region: %v", err)
	}
	lenient := region.New("lenient", region.WithDriverErrorsAsMisses(true))
	lenient.ConfigureDriver(d, region.Config{})
	defer lenient.Close()
	var calls atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := region.GetOrCreate(ctx, lenient, "k", func(context.Context) (int, error) {
				calls.Add(1)
				time.Sleep(20 * time.Millisecond)
				return 1, nil
			})
			if err != nil || v != 1 {
				t.Errorf("%v %v", v, err)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("in-process fallback lock: creator ran %d times", calls.Load())
	}
	m, err := region.GetOrCreateMulti(ctx, lenient, []string{"a", "b"}, func(_ context.Context, keys []string) (map[string]int, error) {
		return map[string]int{"a": 1, "b": 2}, nil
	})
	if err != nil || m["b"] != 2 {
		t.Fatal(m, err)
	}
}
