package regiontest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
)

// Expiration, its per-call overrides, and hard and soft invalidation,
// in the process and shared through the driver.

func testExpire(t *testing.T, h *regionHarness) {
	t.Parallel() // sleeps; independent of the other subtests
	h.skipNull("nothing is kept to expire")
	r := h.region(h.short())
	c := &counter{prefix: "some value"}
	k := h.key("a")
	getOrCreate := func(want string) {
		t.Helper()
		v, err := region.GetOrCreate(t.Context(), r, k, c.create)
		if err != nil || v != want {
			t.Fatalf("GetOrCreate = %q, %v; want %q", v, err, want)
		}
	}
	getOrCreate("some value 1")
	h.pastExpiration()
	wantMissR[string](t, r, k)
	wantGet(h, r, k, "some value 1", region.IgnoreExpiration())
	getOrCreate("some value 2")
	wantGet(h, r, k, "some value 2")
}

func testExpireMulti(t *testing.T, h *regionHarness) {
	t.Parallel() // sleeps; independent of the other subtests
	h.skipNull("nothing is kept to expire")
	r := h.region(h.short())
	c := &counter{prefix: "some value"}
	k2, k3, k5 := h.key("k2"), h.key("k3"), h.key("k5")
	got, err := region.GetOrCreateMulti(t.Context(), r, []string{k3, k2, k5}, c.createMulti)
	if err != nil || len(got) != 3 {
		t.Fatalf("GetOrCreateMulti = %v, %v", got, err)
	}
	first := got[k2]
	h.pastExpiration()
	wantMissR[string](t, r, k2)
	wantGet(h, r, k2, first, region.IgnoreExpiration())
	got, err = region.GetOrCreateMulti(t.Context(), r, []string{k3, k2}, c.createMulti)
	if err != nil || len(got) != 2 || got[k2] == first || !strings.HasPrefix(got[k2], "some value "+k2) {
		t.Fatalf("GetOrCreateMulti after expiry = %v, %v; want new values for both keys", got, err)
	}
	if n := c.n.Load(); n != 5 {
		t.Fatalf("%d values created; want 3 then 2", n)
	}
	wantGet(h, r, k2, got[k2])
}

// setThenExpire stores "some value" in a region with the short
// expiration and waits until it is expired. It runs the subtest in
// parallel (it sleeps) and skips it on a NullStore driver.
func setThenExpire(t *testing.T, h *regionHarness) (*region.Region, string) {
	t.Parallel()
	h.skipNull("nothing is kept to expire")
	r := h.region(h.short())
	k := h.key("a")
	mustSet(t, r, k, "some value")
	wantGet(h, r, k, "some value")
	h.pastExpiration()
	return r, k
}

func testExpireOnGet(t *testing.T, h *regionHarness) {
	r, k := setThenExpire(t, h)
	wantMissR[string](t, r, k)
	wantMulti(h, r, []string{k}, map[string]string{})
}

func testIgnoreExpireOnGet(t *testing.T, h *regionHarness) {
	r, k := setThenExpire(t, h)
	wantGet(h, r, k, "some value", region.IgnoreExpiration())
	wantMulti(h, r, []string{k}, map[string]string{k: "some value"}, region.IgnoreExpiration())
}

func testOverrideExpireOnGet(t *testing.T, h *regionHarness) {
	r, k := setThenExpire(t, h)
	wantGet(h, r, k, "some value", region.WithExpiration(time.Minute))
	wantGet(h, r, k, "some value", region.WithExpiration(0)) // 0: never expires
	wantMissR[string](t, r, k)
}

func testExpirationOverride(t *testing.T, h *regionHarness) {
	t.Parallel() // sleeps; independent of the other subtests
	h.skipNull("nothing is kept to expire")
	r := h.region(h.cfg(time.Minute))
	c := &counter{prefix: "some value"}
	k := h.key("a")
	short := region.WithExpiration(h.opts.Expiration)
	v, err := region.GetOrCreate(t.Context(), r, k, c.create, short)
	if err != nil || v != "some value 1" {
		t.Fatalf("GetOrCreate = %q, %v", v, err)
	}
	h.pastExpiration()
	// Under the region's own (longer) expiration the value is fresh.
	wantGet(h, r, k, "some value 1")
	v, err = region.GetOrCreate(t.Context(), r, k, c.create, short)
	if err != nil || v != "some value 2" {
		t.Fatalf("GetOrCreate with an expired override = %q, %v; want some value 2", v, err)
	}
	wantGet(h, r, k, "some value 2")
}

func testHardInvalidateGet(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	k := h.key("a")
	mustSet(t, r, k, "some value")
	wantGet(h, r, k, "some value")
	if err := r.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r, k)
	wantMissR[string](t, r, k, region.IgnoreExpiration())
	wantMulti(h, r, []string{k}, map[string]string{})
	mustSet(t, r, k, "new value")
	wantGet(h, r, k, "new value")
}

// createInvalidateCreate runs GetOrCreate, invalidates in mode, and runs
// it again: the creator must run both times ("some value 1", then 2).
func createInvalidateCreate(t *testing.T, h *regionHarness, mode region.Mode) (*region.Region, *counter, string) {
	t.Helper()
	r := h.region(h.cfg(time.Minute))
	c := &counter{prefix: "some value"}
	k := h.key("a")
	for i := range 2 {
		v, err := region.GetOrCreate(t.Context(), r, k, c.create)
		if want := fmt.Sprintf("some value %d", i+1); err != nil || v != want {
			t.Fatalf("GetOrCreate #%d (%s invalidation between) = %q, %v; want %q", i+1, mode, v, err, want)
		}
		if i == 0 {
			if err := r.Invalidate(mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantGet(h, r, k, "some value 2")
	return r, c, k
}

// invalidateGetOrCreate checks GetOrCreate across an invalidation in
// mode; then, while one caller regenerates, a hard invalidation makes the
// others wait for the new value and a soft one serves them the old value
// at once.
func invalidateGetOrCreate(mode region.Mode) func(t *testing.T, h *regionHarness) {
	return func(t *testing.T, h *regionHarness) {
		r, c, k := createInvalidateCreate(t, h, mode)
		if h.opts.NullStore {
			return
		}
		if err := r.Invalidate(mode); err != nil {
			t.Fatal(err)
		}
		release := holdCreator(t, r, k, "some value 3")
		ctx := ctxTimeout(t)
		if mode == region.Hard {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
		}
		v, err := region.GetOrCreate(ctx, r, k, c.create)
		release()
		switch {
		case mode == region.Hard && !errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("GetOrCreate while another regenerates a hard-invalidated value = %q, %v; want it to wait (until its deadline)", v, err)
		case mode == region.Soft && (err != nil || v != "some value 2"):
			t.Fatalf("GetOrCreate while another regenerates a soft-invalidated value = %q, %v; want the stale some value 2 at once", v, err)
		}
		wantGet(h, r, k, "some value 3")
		if n := c.n.Load(); n != 2 {
			t.Fatalf("creator ran %d times; want 2", n)
		}
	}
}

// holdCreator starts a GetOrCreate of key whose creator blocks until the
// returned function is called; it returns once the creator is running.
// The release function waits for that GetOrCreate to finish.
func holdCreator(t *testing.T, r *region.Region, key, value string) (release func()) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := region.GetOrCreate(ctxTimeout(t), r, key, func(context.Context) (string, error) {
			close(started)
			<-unblock
			return value, nil
		})
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("GetOrCreate(%q) returned %v without running its creator", key, err)
	}
	return func() {
		close(unblock)
		if err := <-done; err != nil {
			t.Errorf("held GetOrCreate(%q): %v", key, err)
		}
	}
}

// createMultiInvalidateCreate runs GetOrCreateMulti on two keys,
// invalidates in mode, and runs it again: both keys must be created anew.
func createMultiInvalidateCreate(t *testing.T, h *regionHarness, mode region.Mode) (*region.Region, *counter, []string, map[string]string) {
	t.Helper()
	r := h.region(h.cfg(time.Minute))
	c := &counter{prefix: "v"}
	keys := h.keys("1", "2")
	first, err := region.GetOrCreateMulti(t.Context(), r, keys, c.createMulti)
	if err != nil || len(first) != 2 {
		t.Fatalf("GetOrCreateMulti = %v, %v", first, err)
	}
	if err := r.Invalidate(mode); err != nil {
		t.Fatal(err)
	}
	got, err := region.GetOrCreateMulti(t.Context(), r, keys, c.createMulti)
	if err != nil || len(got) != 2 || got[keys[0]] == first[keys[0]] || got[keys[1]] == first[keys[1]] {
		t.Fatalf("GetOrCreateMulti after %s invalidation = %v, %v; want new values (had %v)", mode, got, err, first)
	}
	if n := c.n.Load(); n != 4 {
		t.Fatalf("%d values created; want 2 then 2", n)
	}
	wantMulti(h, r, keys, got)
	return r, c, keys, got
}

func testHardInvalidateGetOrCreateMulti(t *testing.T, h *regionHarness) {
	createMultiInvalidateCreate(t, h, region.Hard)
}

func testSoftInvalidateGet(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	k := h.key("a")
	mustSet(t, r, k, "some value")
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r, k)
	wantGet(h, r, k, "some value", region.IgnoreExpiration())
	mustSet(t, r, k, "new value")
	wantGet(h, r, k, "new value")
}

func testSoftInvalidateGetOrCreateMulti(t *testing.T, h *regionHarness) {
	r, c, keys, got := createMultiInvalidateCreate(t, h, region.Soft)
	if h.opts.NullStore {
		return
	}
	// While one caller regenerates key 1, another multi call is served
	// the stale value of key 1 at once.
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	release := holdCreator(t, r, keys[0], "regenerated")
	again, err := region.GetOrCreateMulti(ctxTimeout(t), r, keys, c.createMulti)
	release()
	if err != nil || again[keys[0]] != got[keys[0]] {
		t.Fatalf("GetOrCreateMulti while key 1 regenerates = %v, %v; want its stale value %q", again, err, got[keys[0]])
	}
	wantGet(h, r, keys[0], "regenerated")
}

// testSharedInvalidation: with region.SharedInvalidation, an Invalidate
// through one region is seen by a second region of the same name on the
// same store; a region with the default (in-process) strategy does not
// see it.
func testSharedInvalidation(t *testing.T, h *regionHarness) {
	const refresh = 50 * time.Millisecond
	cfg := h.cfg(time.Minute)
	cfg.Invalidation = region.SharedInvalidation(refresh)
	r1 := h.region(cfg)
	another := func(cfg region.Config) *region.Region {
		if h.opts.SharedStore {
			return h.region(cfg)
		}
		r := region.New(h.name)
		cfg.Arguments = nil
		if err := r.ConfigureDriver(r1.ActualDriver(), cfg); err != nil {
			t.Fatal(err)
		}
		// r1 owns the driver and closes it; r2 is only closed (before it).
		t.Cleanup(func() { _ = r.Close() })
		return r
	}
	r2 := another(cfg)
	local := another(h.cfg(time.Minute))
	ctx := t.Context()
	k := h.key("a")
	mustSet(t, r1, k, "v1")
	wantGet(h, r2, k, "v1")

	if err := r1.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r1, k) // at once in the invalidating region
	if h.opts.NullStore {
		return
	}
	testwait.Until(t, waitLong, "the second region to see the hard invalidation", func() bool {
		_, err := region.Get[string](ctx, r2, k)
		return errors.Is(err, region.ErrNotFound)
	})
	wantMissR[string](t, r2, k, region.IgnoreExpiration())
	wantGet(h, local, k, "v1") // in-process invalidation: not seen

	mustSet(t, r2, k, "v2")
	wantGet(h, r1, k, "v2")
	if err := r2.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, waitLong, "the first region to see the soft invalidation", func() bool {
		_, err := region.Get[string](ctx, r1, k)
		return errors.Is(err, region.ErrNotFound)
	})
	wantGet(h, r1, k, "v2", region.IgnoreExpiration()) // soft: stale, not gone
	v, err := region.GetOrCreate(ctx, r1, k, func(context.Context) (string, error) { return "v3", nil })
	if err != nil || v != "v3" {
		t.Fatalf("GetOrCreate after a shared soft invalidation = %q, %v; want v3", v, err)
	}
	wantGet(h, r2, k, "v3")
}
