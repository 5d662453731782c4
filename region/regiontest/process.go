package regiontest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gosess/gosess/region"
)

// Helpers for tests that show a guarantee with real processes (the driver
// packages' cross-process tests re-run their test binary as children).

// HideCAS returns d as a driver that has region.Driver's methods and no
// optional capability at all: no region.CASDriver (so a region on it
// compares and sets under its key mutex), no region.Locker, and no Unwrap
// through which the region could find d's. Comparison runs use it to show
// what compare-and-set in the store buys.
func HideCAS(d region.Driver) region.Driver { return casHidden{d} }

type casHidden struct{ region.Driver }

// CountUpdates has goroutines, started together, each add 1 to the int
// under key increments times with region.Update (which retries on
// conflict), and returns their errors joined. With a store that decides
// compare-and-set for every process, processes running it at the same
// time on the same key lose no increment.
func CountUpdates(ctx context.Context, r *region.Region, key string, goroutines, increments int) error {
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range increments {
				if _, err := region.Update(ctx, r, key, func(n int, _ bool) (int, error) { return n + 1, nil }); err != nil {
					errs <- fmt.Errorf("goroutine %d, increment %d: %w", g, i, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}
