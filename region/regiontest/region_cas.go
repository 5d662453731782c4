package regiontest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

// Region-level checks of compare-and-set and of the reserved key
// namespace, on the real driver.

// testRegionCompareAndSet: GetForUpdate and CompareAndSet through the
// region: add with the zero Version, replace after a read, conflict after
// another write or a delete.
func testRegionCompareAndSet(t *testing.T, h *regionHarness) {
	h.skipNull("compare-and-set needs a stored value")
	r := h.region(h.cfg(time.Minute))
	ctx := t.Context()
	k := h.key("cas")
	_, ver, err := region.GetForUpdate[int](ctx, r, k)
	if !errors.Is(err, region.ErrNotFound) || ver.Exists() {
		t.Fatalf("GetForUpdate of a missing key = %v, exists %v; want ErrNotFound and the zero Version", err, ver.Exists())
	}
	if err := region.CompareAndSet(ctx, r, k, ver, 1); err != nil {
		t.Fatalf("CompareAndSet with the zero Version (add): %v", err)
	}
	if err := region.CompareAndSet(ctx, r, k, ver, 2); !errors.Is(err, region.ErrConflict) {
		t.Fatalf("second add: %v; want ErrConflict", err)
	}
	n, ver, err := region.GetForUpdate[int](ctx, r, k)
	if err != nil || n != 1 || !ver.Exists() {
		t.Fatalf("GetForUpdate = %d, %v, exists %v; want 1", n, err, ver.Exists())
	}
	mustSet(t, r, k, 10) // another writer
	if err := region.CompareAndSet(ctx, r, k, ver, n+1); !errors.Is(err, region.ErrConflict) {
		t.Fatalf("CompareAndSet after another write: %v; want ErrConflict", err)
	}
	wantGet(h, r, k, 10)
	n, ver, err = region.GetForUpdate[int](ctx, r, k)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := region.CompareAndSet(ctx, r, k, ver, n+1); !errors.Is(err, region.ErrConflict) {
		t.Fatalf("CompareAndSet after a delete: %v; want ErrConflict", err)
	}
	wantMissR[int](t, r, k)
}

// testRegionUpdateThreaded: goroutines increment one counter with
// region.Update: no increment is lost. Where the store is shared and the
// region's Atomicity is AtomicShared, the goroutines use two regions
// configured alike (two processes' worth of state); a driver whose
// compare-and-set is in-process only promises nothing across regions.
func testRegionUpdateThreaded(t *testing.T, h *regionHarness) {
	h.skipNull("a counter needs a stored value")
	const rounds = 10
	regions := []*region.Region{h.region(h.cfg(time.Minute))}
	if h.opts.SharedStore && regions[0].Atomicity() == region.AtomicShared {
		regions = append(regions, h.region(h.cfg(time.Minute)))
	}
	k := h.key("counter")
	var calls atomic.Int64
	concurrently(t, h.opts.Goroutines, func(g int) error {
		r := regions[g%len(regions)]
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for range rounds {
			if _, err := region.Update(ctx, r, k, func(n int, _ bool) (int, error) {
				calls.Add(1)
				return n + 1, nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	want := h.opts.Goroutines * rounds
	wantGet(h, regions[0], k, want)
	t.Logf("%d increments in %d calls of the update function (%d retries after conflicts)", want, calls.Load(), calls.Load()-int64(want))
	var conflicts uint64
	for _, r := range regions {
		conflicts += r.Stats().Conflicts
	}
	if int64(conflicts) != calls.Load()-int64(want) {
		t.Errorf("Stats.Conflicts = %d; want %d (one per retry)", conflicts, calls.Load()-int64(want))
	}
}

// lockKeyLookalikes are app keys that equal, or once equalled, the key of
// k's dogpile lock in some store: the region's own lock key, the redis
// driver's former "_lock:" prefix and dogpile.cache's "_lock" prefix.
func lockKeyLookalikes(k string) []string {
	return []string{"~gs:lock:" + k, "~gs:lockh:" + k, "_lock:" + k, "_lock" + k, "~gs:own:invalidation:" + k}
}

// testLockKeysUnreachable: app keys equal to a key's lock key (today's or
// a former one) neither block GetOrCreate of that key nor are blocked by
// its lock, and they keep their values.
func testLockKeysUnreachable(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Hour))
	k := h.prefix + "report" // no spaces: the store key is k itself on every driver
	lookalikes := lockKeyLookalikes(k)
	for _, lk := range lookalikes {
		mustSet(t, r, lk, "app value of "+lk)
	}
	quick := func(what string, f func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := f(ctx); err != nil {
			t.Fatalf("%s: %v after %v", what, err, time.Since(start))
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("%s took %v: it waited for a lock", what, el)
		}
	}
	c := &counter{prefix: "report"}
	quick("GetOrCreate of a key whose lock keys hold app values", func(ctx context.Context) error {
		v, err := region.GetOrCreate(ctx, r, k, c.create)
		if err == nil && v != "report 1" {
			err = fmt.Errorf("GetOrCreate = %q; want the creator's value", v)
		}
		return err
	})
	for _, lk := range lookalikes {
		wantGet(h, r, lk, "app value of "+lk)
	}
	// While a creator holds k's lock, the lookalike keys are not locked.
	if err := r.Delete(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	release := holdCreator(t, r, k, "held")
	defer release()
	for _, lk := range lookalikes {
		if err := r.Delete(t.Context(), lk); err != nil {
			t.Fatal(err)
		}
		quick("GetOrCreate of "+lk+" while "+k+" is being created", func(ctx context.Context) error {
			_, err := region.GetOrCreate(ctx, r, lk, c.create)
			return err
		})
		if locked, err := r.KeyIsLocked(t.Context(), lk); err != nil || locked {
			t.Fatalf("KeyIsLocked(%q) = %v, %v while only %q is locked", lk, locked, err, k)
		}
	}
}
