package region_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

// The names of the driver-author API from before package driver still
// work: a driver written against them registers, reads its arguments and
// is not locked when it says LockFree.

// oldStyleDriver is a mapDriver that says LockFree, as the null driver
// did.
type oldStyleDriver struct{ *mapDriver }

func (oldStyleDriver) LockFree() bool { return true }

var oldStyleFactory region.Factory = func(info region.DriverInfo, args *region.Arguments) (region.Driver, error) {
	_ = args.Int("size", 0)
	return oldStyleDriver{newMapDriver()}, args.Err()
}

func init() { region.Register("test-old-style", oldStyleFactory) }

func TestDeprecatedDriverAPI(t *testing.T) {
	r := region.New("old")
	if err := r.Configure("test-old-style", region.Config{Arguments: map[string]any{"size": "3"}}); err != nil {
		t.Fatal(err)
	}
	if err := region.New("old2").Configure("test-old-style", region.Config{Arguments: map[string]any{"sise": 3}}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("misspelt argument through region.NewArguments: %v", err)
	}
	if a := region.NewArguments("x", map[string]any{"n": 1}); a.Int("n", 0) != 1 || a.Err() != nil {
		t.Fatal("region.NewArguments does not read arguments")
	}
	// LockFree: two callers of GetOrCreate on one key run their creators
	// at once (each waits for the other; with a lock they would time out).
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var (
		running atomic.Int32
		both    = make(chan struct{})
		once    sync.Once
		wg      sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			_, err := region.GetOrCreate(ctx, r, "k", func(ctx context.Context) (int, error) {
				if running.Add(1) == 2 {
					once.Do(func() { close(both) })
				}
				select {
				case <-both:
					return 1, nil
				case <-ctx.Done():
					return 0, ctx.Err()
				}
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
