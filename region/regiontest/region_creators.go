package regiontest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
)

// GetOrCreate and GetOrCreateMulti under the driver's locks: one creator
// per cold key however many callers, failing and panicking creators,
// waiters that give up, reentrant creators and the async runner.

func testRegionCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	c := &counter{prefix: "some value"}
	k := h.key("a")
	for i := range 3 {
		got, err := region.GetOrCreate(t.Context(), r, k, c.create)
		if err != nil {
			t.Fatal(err)
		}
		want := "some value 1"
		if h.opts.NullStore {
			want = fmt.Sprintf("some value %d", i+1)
		}
		if got != want {
			t.Fatalf("GetOrCreate #%d = %q; want %q", i+1, got, want)
		}
	}
	wantGet(h, r, k, "some value 1")
	// A value stored by Set is what GetOrCreate returns.
	mustSet(t, r, h.key("b"), "set value")
	got, err := region.GetOrCreate(t.Context(), r, h.key("b"), c.create)
	if err != nil {
		t.Fatal(err)
	}
	if !h.opts.NullStore && got != "set value" {
		t.Fatalf("GetOrCreate over a Set value = %q; want %q", got, "set value")
	}
}

func testRegionMultiCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	ctx := t.Context()
	var asked [][]string
	var mu sync.Mutex
	creator := func(_ context.Context, keys []string) (map[string]string, error) {
		mu.Lock()
		asked = append(asked, slices.Sorted(slices.Values(keys)))
		mu.Unlock()
		out := map[string]string{}
		for _, k := range keys {
			out[k] = "some value " + k
		}
		return out, nil
	}
	k2, k3, k5 := h.key("k2"), h.key("k3"), h.key("k5")
	want := map[string]string{k3: "some value " + k3, k2: "some value " + k2, k5: "some value " + k5}
	for range 2 {
		got, err := region.GetOrCreateMulti(ctx, r, []string{k3, k2, k5, k2}, creator)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Fatalf("GetOrCreateMulti = %v; want %v", got, want)
		}
	}
	wantAsked := [][]string{slices.Sorted(slices.Values([]string{k2, k3, k5}))}
	if h.opts.NullStore {
		wantAsked = append(wantAsked, wantAsked[0])
	}
	if !reflect.DeepEqual(asked, wantAsked) {
		t.Fatalf("creator asked for %q; want %q (each missing key once, present keys never)", asked, wantAsked)
	}
	// Only the missing keys are created.
	k7 := h.key("k7")
	asked = nil
	got, err := region.GetOrCreateMulti(ctx, r, []string{k2, k7}, creator)
	if err != nil {
		t.Fatal(err)
	}
	if got[k7] != "some value "+k7 || got[k2] != "some value "+k2 || len(got) != 2 {
		t.Fatalf("GetOrCreateMulti = %v", got)
	}
	wantAsked = [][]string{{k7}}
	if h.opts.NullStore {
		wantAsked = [][]string{slices.Sorted(slices.Values([]string{k2, k7}))}
	}
	if !reflect.DeepEqual(asked, wantAsked) {
		t.Fatalf("creator asked for %q; want %q", asked, wantAsked)
	}
	// A key the creator leaves out is absent from the result.
	k8, k9 := h.key("k8"), h.key("k9")
	got, err = region.GetOrCreateMulti(ctx, r, []string{k8, k9}, func(context.Context, []string) (map[string]string, error) {
		return map[string]string{k8: "only eight"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, map[string]string{k8: "only eight"}) {
		t.Fatalf("GetOrCreateMulti with a partial creator = %v; want only %q", got, k8)
	}
	wantMissR[string](t, r, k9)
}

func testRegionMultiShouldCacheNone(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	keys := h.keys("1", "2", "3")
	calls := 0
	creator := func(_ context.Context, keys []string) (map[string]*string, error) {
		calls++
		out := map[string]*string{}
		for _, k := range keys {
			out[k] = nil
		}
		return out, nil
	}
	notNil := region.ShouldCache(func(v *string) bool { return v != nil })
	for i := range 2 {
		got, err := region.GetOrCreateMulti(t.Context(), r, keys, creator, notNil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("GetOrCreateMulti = %v; want the three nil values returned", got)
		}
		if calls != i+1 {
			t.Fatalf("creator ran %d times after %d calls; values rejected by ShouldCache must not be cached", calls, i+1)
		}
	}
	for _, k := range keys {
		wantMissR[*string](t, r, k)
	}
}

// slowCreator makes "some value" slowly and counts its runs and the
// times two runs overlapped.
type slowCreator struct {
	runs, inside, overlap atomic.Int32
}

func (c *slowCreator) create(context.Context) (string, error) {
	c.runs.Add(1)
	if c.inside.Add(1) > 1 {
		c.overlap.Add(1)
	}
	time.Sleep(50 * time.Millisecond)
	c.inside.Add(-1)
	return "some value", nil
}

// getOrCreateSome calls GetOrCreate(key, c.create) and checks its value.
func getOrCreateSome(t *testing.T, r *region.Region, key string, c *slowCreator) error {
	v, err := region.GetOrCreate(ctxTimeout(t), r, key, c.create)
	if err == nil && v != "some value" {
		err = fmt.Errorf("GetOrCreate(%q) = %q; want some value", key, v)
	}
	return err
}

// testThreadedDogpileCold starts many goroutines on one cold key: the
// creator must run once and every goroutine get its value.
func testThreadedDogpileCold(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k := h.key("a")
	var c slowCreator
	concurrently(t, h.opts.Goroutines, func(int) error { return getOrCreateSome(t, r, k, &c) })
	if h.opts.NullStore {
		if n := c.runs.Load(); int(n) != h.opts.Goroutines {
			t.Errorf("creator ran %d times for %d callers; a driver that stores nothing runs every creator", n, h.opts.Goroutines)
		}
		return
	}
	if n := c.runs.Load(); n != 1 {
		t.Errorf("creator ran %d times for %d concurrent callers on a cold key; want 1", n, h.opts.Goroutines)
	}
	if n := c.overlap.Load(); n > 0 {
		t.Errorf("creators overlapped %d times", n)
	}
}

// testThreadedDogpileExpiring is dogpile's test_threaded_dogpile: a short
// expiration and goroutines calling GetOrCreate in rounds; the creator is
// never run by two goroutines at once and every call returns a value.
func testThreadedDogpileExpiring(t *testing.T, h *regionHarness) {
	t.Parallel() // sleeps; independent of the other subtests
	h.skipNull("creators are never serialized (a driver.LockSkipper)")
	cfg := h.cfg(100 * time.Millisecond)
	cfg.StaleWindow = time.Minute
	r := h.region(cfg)
	k := h.key("a")
	var c slowCreator
	concurrently(t, min(h.opts.Goroutines, 10), func(int) error {
		for range 5 {
			if err := getOrCreateSome(t, r, k, &c); err != nil {
				return err
			}
			time.Sleep(60 * time.Millisecond)
		}
		return nil
	})
	if n := c.overlap.Load(); n > 0 {
		t.Errorf("two creators of one key ran at once %d times", n)
	}
	if n := c.runs.Load(); n < 2 {
		t.Errorf("creator ran %d times over several expirations; want it to regenerate", n)
	}
}

// testThreadedMulti has goroutines ask GetOrCreateMulti for overlapping
// key sets in different orders: each key is created exactly once (dogpile
// lacks this protection in its multi version) and nobody deadlocks.
func testThreadedMulti(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	const nkeys = 10
	all := make([]string, nkeys)
	for i := range all {
		all[i] = h.key(fmt.Sprint(i))
	}
	var mu sync.Mutex
	made := map[string]int{}
	creating := map[string]bool{}
	var overlap atomic.Int32
	creator := func(_ context.Context, keys []string) (map[string]string, error) {
		mu.Lock()
		for _, k := range keys {
			made[k]++
			if creating[k] {
				overlap.Add(1)
			}
			creating[k] = true
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		out := map[string]string{}
		mu.Lock()
		for _, k := range keys {
			creating[k] = false
			out[k] = "value of " + k
		}
		mu.Unlock()
		return out, nil
	}
	concurrently(t, h.opts.Goroutines, func(g int) error {
		var want []string
		for i := range 5 {
			want = append(want, all[(g+i*3)%nkeys])
		}
		if g%2 == 1 {
			slices.Reverse(want)
		}
		got, err := region.GetOrCreateMulti(ctxTimeout(t), r, want, creator)
		if err != nil {
			return err
		}
		for _, k := range want {
			if got[k] != "value of "+k {
				return fmt.Errorf("goroutine %d: %q = %q in %v", g, k, got[k], got)
			}
		}
		return nil
	})
	if h.opts.NullStore {
		return
	}
	if n := overlap.Load(); n > 0 {
		t.Errorf("a key was being created by two creators at once %d times", n)
	}
	for k, n := range made {
		if n != 1 {
			t.Errorf("key %q created %d times; want once", k, n)
		}
	}
}

var errBoom = errors.New("regiontest: boom")

func testExplodingCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k := h.key("a")
	for range 2 {
		_, err := region.GetOrCreate(t.Context(), r, k, func(context.Context) (string, error) { return "", errBoom })
		if !errors.Is(err, errBoom) {
			t.Fatalf("GetOrCreate with a failing creator: %v; want the creator's error", err)
		}
		wantMissR[string](t, r, k)
	}
	v, err := region.GetOrCreate(t.Context(), r, k, func(context.Context) (string, error) { return "fine", nil })
	if err != nil || v != "fine" {
		t.Fatalf("GetOrCreate after a failed creator = %q, %v; want the new creator to run", v, err)
	}
	wantGet(h, r, k, "fine")
}

func testExplodingMultiCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	keys := h.keys("1", "2")
	_, err := region.GetOrCreateMulti(t.Context(), r, keys, func(context.Context, []string) (map[string]string, error) {
		return nil, errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("GetOrCreateMulti with a failing creator: %v; want the creator's error", err)
	}
	_, err = region.GetOrCreateMulti(t.Context(), r, keys, func(context.Context, []string) (map[string]string, error) {
		panic("boom")
	})
	if !errors.Is(err, region.ErrCreatorPanic) {
		t.Fatalf("GetOrCreateMulti with a panicking creator: %v; want region.ErrCreatorPanic", err)
	}
	wantMulti(h, r, keys, map[string]string{})
	// The locks were released: another call (with a deadline) gets through.
	got, err := region.GetOrCreateMulti(ctxTimeout(t), r, keys, func(_ context.Context, ks []string) (map[string]string, error) {
		out := map[string]string{}
		for _, k := range ks {
			out[k] = "ok"
		}
		return out, nil
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("GetOrCreateMulti after failures = %v, %v", got, err)
	}
}

// testPanickingCreator: a creator that panics while others wait for its
// lock returns ErrCreatorPanic to its caller, and the waiters go on (one
// of them creates the value) instead of hanging.
func testPanickingCreator(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k := h.key("a")
	started := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := region.GetOrCreate(ctxTimeout(t), r, k, func(context.Context) (string, error) {
			close(started)
			time.Sleep(50 * time.Millisecond) // let the waiters queue up
			panic("boom")
		})
		first <- err
	}()
	<-started
	var runs atomic.Int32
	waiters := make(chan struct{})
	go func() {
		defer close(waiters)
		concurrently(t, 5, func(int) error {
			v, err := region.GetOrCreate(ctxTimeout(t), r, k, func(context.Context) (string, error) {
				runs.Add(1)
				return "recovered", nil
			})
			if err == nil && v != "recovered" {
				err = fmt.Errorf("got %q", v)
			}
			if err != nil {
				return fmt.Errorf("waiter after a creator panic: %w", err)
			}
			return nil
		})
	}()
	if err := <-first; !errors.Is(err, region.ErrCreatorPanic) {
		t.Errorf("GetOrCreate with a panicking creator: %v; want region.ErrCreatorPanic", err)
	}
	<-waiters
	if n := runs.Load(); !h.opts.NullStore && n != 1 {
		t.Errorf("after the panic the waiters ran %d creators; want 1", n)
	}
	wantGet(h, r, k, "recovered")
}

// testWaiterContext: a caller waiting for another's creation gives up
// with its context's error when the context ends.
func testWaiterContext(t *testing.T, h *regionHarness) {
	h.skipNull("callers never wait (a driver.LockSkipper)")
	r := h.region(h.cfg(0))
	k := h.key("a")
	release := holdCreator(t, r, k, "made")
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	ran := false
	_, err := region.GetOrCreate(ctx, r, k, func(context.Context) (string, error) { ran = true; return "", nil })
	release()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter with a 100ms deadline: %v; want context.DeadlineExceeded", err)
	}
	if ran {
		t.Errorf("the waiter ran its creator while the lock was held")
	}
	wantGet(h, r, k, "made")
}

// testReentrantDogpile: a creator may use the region for another key.
func testReentrantDogpile(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	foo, bar := h.key("foo"), h.key("bar")
	createBar := func(context.Context) (string, error) { return "bar", nil }
	createFoo := func(ctx context.Context) (string, error) {
		b, err := region.GetOrCreate(ctx, r, bar, createBar)
		return "foo" + b, err
	}
	for range 2 {
		v, err := region.GetOrCreate(ctxTimeout(t), r, foo, createFoo)
		if err != nil || v != "foobar" {
			t.Fatalf("GetOrCreate = %q, %v; want foobar", v, err)
		}
	}
}

// testAsyncRunner: with WithAsyncRunner, a cold key is still created
// synchronously, but a stale one is returned at once even to the caller
// that takes the lock, and the new value arrives in the background.
func testAsyncRunner(t *testing.T, h *regionHarness) {
	h.skipNull("nothing stale is ever served")
	var tasks atomic.Int32
	r := h.region(h.cfg(time.Minute), region.WithAsyncRunner(func(task func()) {
		tasks.Add(1)
		go task()
	}))
	ctx := t.Context()
	c := &counter{prefix: "some value"}
	k := h.key("a")
	keys := h.keys("m1", "m2")
	v, err := region.GetOrCreate(ctx, r, k, c.create)
	if err != nil || v != "some value 1" {
		t.Fatalf("GetOrCreate of a cold key = %q, %v; want some value 1 made at once", v, err)
	}
	first, err := region.GetOrCreateMulti(ctx, r, keys, c.createMulti)
	if err != nil || len(first) != 2 {
		t.Fatalf("GetOrCreateMulti of cold keys = %v, %v", first, err)
	}
	if n := tasks.Load(); n != 0 {
		t.Fatalf("%d async tasks for cold keys; want them created synchronously", n)
	}
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	v, err = region.GetOrCreate(ctx, r, k, c.create)
	if err != nil || v != "some value 1" {
		t.Fatalf("GetOrCreate of a stale key with an async runner = %q, %v; want the stale value at once", v, err)
	}
	again, err := region.GetOrCreateMulti(ctx, r, keys, c.createMulti)
	if err != nil || !maps.Equal(again, first) {
		t.Fatalf("GetOrCreateMulti of stale keys with an async runner = %v, %v; want the stale values %v", again, err, first)
	}
	testwait.Until(t, waitLong, "the background regeneration", func() bool {
		v, err := region.Get[string](ctx, r, k)
		m, merr := region.GetMulti[string](ctx, r, keys)
		return err == nil && v != "some value 1" && merr == nil && len(m) == 2 &&
			m[keys[0]] != first[keys[0]] && m[keys[1]] != first[keys[1]]
	})
	if n := tasks.Load(); n != 2 {
		t.Fatalf("%d async tasks; want 2 (one per call that found stale values)", n)
	}
}
