package regiontest

import (
	"context"
	"fmt"
	"testing"

	"github.com/gosess/gosess/region"
)

// Helpers for tests that show a guarantee with real processes (the driver
// packages' cross-process tests re-run their test binary as children).

// The cross-process counter: UpdateProcs processes × UpdateGoroutines
// goroutines × UpdateIncrements increments of one key with region.Update
// (CountUpdates in each process).
const (
	UpdateProcs      = 3
	UpdateGoroutines = 4
	UpdateIncrements = 25
)

// RunCrossProcessUpdate runs the cross-process counter twice through run,
// which starts UpdateProcs processes that each call CountUpdates (with
// UpdateGoroutines and UpdateIncrements) on one key of a region configured
// with ProcessConfig(args, hideCAS), waits for them and returns the
// counter. With the driver's compare-and-set every increment must be kept;
// with it hidden (the region then locks in its own process only) the
// count is logged, not asserted: it shows what compare-and-set buys.
func RunCrossProcessUpdate(t *testing.T, run func(t *testing.T, hideCAS bool) int) {
	want := UpdateProcs * UpdateGoroutines * UpdateIncrements
	t.Run("CompareAndSet", func(t *testing.T) {
		if n := run(t, false); n != want {
			t.Fatalf("counter = %d after %d processes x %d goroutines x %d increments; want %d",
				n, UpdateProcs, UpdateGoroutines, UpdateIncrements, want)
		}
	})
	t.Run("InProcessLockOnly", func(t *testing.T) {
		n := run(t, true)
		t.Logf("with compare-and-set hidden from the region (in-process lock only): %d of %d increments kept", n, want)
	})
}

// ProcessConfig is the region.Config of a cross-process test: the driver's
// args and nothing else (its defaults), with compare-and-set (and every
// other capability) hidden from the region by HideCAS when hideCAS is set.
func ProcessConfig(args map[string]any, hideCAS bool) region.Config {
	cfg := region.Config{Arguments: args}
	if hideCAS {
		cfg.Wrap = []region.Proxy{HideCAS}
	}
	return cfg
}

// CountUpdates has goroutines, started together, each add 1 to the int
// under key increments times with region.Update (which retries on
// conflict), and returns their errors joined. With a store that decides
// compare-and-set for every process, processes running it at the same
// time on the same key lose no increment.
func CountUpdates(ctx context.Context, r *region.Region, key string, goroutines, increments int) error {
	return together(goroutines, func(g int) error {
		for i := range increments {
			if _, err := region.Update(ctx, r, key, func(n int, _ bool) (int, error) { return n + 1, nil }); err != nil {
				return fmt.Errorf("goroutine %d, increment %d: %w", g, i, err)
			}
		}
		return nil
	})
}
