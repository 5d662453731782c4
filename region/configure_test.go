package region_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

// Configuring a region, its mistakes, closing it, and the driver-author
// names it kept from before package driver: region logic that no driver
// changes (the conformance suite in regiontest checks what each driver
// does with its arguments).

func TestConfigureErrors(t *testing.T) {
	r := region.New("cfg")
	if _, err := region.Get[int](context.Background(), r, "k"); !errors.Is(err, region.ErrNotConfigured) {
		t.Fatalf("unconfigured: %v", err)
	}
	err := r.Configure("nosuch", region.Config{})
	if !errors.Is(err, region.ErrUnknownDriver) || !strings.Contains(err.Error(), "nosuch") || !strings.Contains(err.Error(), "testmap") {
		t.Fatalf("unknown driver: %v", err)
	}
	if r.IsConfigured() {
		t.Fatal("IsConfigured after a failed Configure")
	}
	err = r.Configure("testmap", region.Config{Arguments: map[string]any{"sise": 3}})
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "sise") {
		t.Fatalf("unknown argument: %v", err)
	}
	err = r.Configure("testmap", region.Config{Arguments: map[string]any{"size": "big"}})
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "size") {
		t.Fatalf("ill-typed argument: %v", err)
	}
	args := map[string]any{"size": 3}
	if err := r.Configure("testmap", region.Config{Arguments: args}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(args) != 1 || args["size"] != 3 {
		t.Fatalf("arguments modified: %v", args)
	}
	if !r.IsConfigured() || r.DriverName() != "testmap" {
		t.Fatal("not configured")
	}
	if err := r.Configure("testmap", region.Config{}); !errors.Is(err, region.ErrAlreadyConfigured) {
		t.Fatalf("second configure: %v", err)
	}
	if err := r.ConfigureDriver(r.ActualDriver(), region.Config{}); !errors.Is(err, region.ErrAlreadyConfigured) {
		t.Fatalf("ConfigureDriver on a configured region: %v", err)
	}
	if !r.IsConfigured() {
		t.Fatal("IsConfigured = false after a failed second Configure")
	}
	ctx := context.Background()
	if err := region.Set(ctx, r, "a", "still works"); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[string](ctx, r, "a"); err != nil || v != "still works" {
		t.Fatalf("after a failed second Configure: %q, %v", v, err)
	}
	old := r.ActualDriver()
	if err := r.Configure("testmap", region.Config{Expiration: 7 * time.Minute, ReplaceExisting: true}); err != nil {
		t.Fatal(err)
	}
	if r.ActualDriver() == old {
		t.Fatal("driver not replaced")
	}
	if r.Expiration() != 7*time.Minute || r.DriverName() != "testmap" {
		t.Fatalf("after replace: expiration %s, driver %q; want 7m0s, testmap", r.Expiration(), r.DriverName())
	}
	if err := region.Set(ctx, r, "b", "after replace"); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[string](ctx, r, "b"); err != nil || v != "after replace" {
		t.Fatalf("after replace: %q, %v", v, err)
	}
}

// TestUnconfigured: every operation of a region that was never
// configured fails with ErrNotConfigured, and no creator runs.
func TestUnconfigured(t *testing.T) {
	r := region.New("unconfigured")
	ctx := t.Context()
	if r.IsConfigured() || r.Driver() != nil || r.ActualDriver() != nil {
		t.Fatal("a new region reports a driver")
	}
	ran := false
	create := func(context.Context) (string, error) { ran = true; return "", nil }
	createMulti := func(context.Context, []string) (map[string]string, error) { ran = true; return nil, nil }
	checks := map[string]error{
		"Get":              second(region.Get[string](ctx, r, "k")),
		"GetMulti":         second(region.GetMulti[string](ctx, r, []string{"k"})),
		"Set":              region.Set(ctx, r, "k", "v"),
		"SetMulti":         region.SetMulti(ctx, r, map[string]string{"k": "v"}),
		"GetOrCreate":      second(region.GetOrCreate(ctx, r, "k", create)),
		"GetOrCreateMulti": second(region.GetOrCreateMulti(ctx, r, []string{"k"}, createMulti)),
		"Delete":           r.Delete(ctx, "k"),
		"DeleteMulti":      r.DeleteMulti(ctx, []string{"k"}),
		"Invalidate":       r.Invalidate(region.Hard),
	}
	for op, err := range checks {
		if !errors.Is(err, region.ErrNotConfigured) {
			t.Errorf("%s on an unconfigured region: %v; want region.ErrNotConfigured", op, err)
		}
	}
	if ran {
		t.Error("a creator ran on an unconfigured region")
	}
}

func second[T any](_ T, err error) error { return err }

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegion(t, region.Config{Expiration: time.Minute})
	if err := region.Set(ctx, r, "", 1); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("empty key Set: %v", err)
	}
	if _, err := region.Get[int](ctx, r, ""); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("empty key Get: %v", err)
	}
	if err := r.Delete(ctx, ""); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("empty key Delete: %v", err)
	}
	if _, err := region.GetOrCreate[int](ctx, r, "k", nil); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("nil creator: %v", err)
	}
	if _, err := region.GetOrCreateMulti[int](ctx, r, []string{"a"}, nil); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("nil multi creator: %v", err)
	}
	if _, err := region.GetMulti[int](ctx, r, []string{"a", ""}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("empty key in multi: %v", err)
	}
	if err := region.Set(ctx, r, "k", 1, region.WithExpiration(-time.Second)); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("negative per-call expiration: %v", err)
	}
	if err := region.SetMulti(ctx, r, map[string]int{"": 1}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("empty key SetMulti: %v", err)
	}
	if err := r.DeleteMulti(ctx, []string{""}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("empty key DeleteMulti: %v", err)
	}
	if _, err := region.GetOrCreate(ctx, r, "", func(context.Context) (int, error) { return 1, nil }); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("empty key GetOrCreate: %v", err)
	}
	if err := r.Invalidate(region.Mode(99)); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("unknown invalidation mode: %v", err)
	}
	if _, err := region.Get[int](ctx, r, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Errorf("a refused write stored something: %v", err)
	}
	if err := region.Set(ctx, r, "ch", make(chan int)); !errors.Is(err, region.ErrEncode) {
		t.Errorf("unencodable value: %v", err)
	}
	if _, err := region.Get[int](ctx, r, "ch"); !errors.Is(err, region.ErrNotFound) {
		t.Errorf("unencodable value was stored: %v", err)
	}
	r2 := region.New("neg")
	if err := r2.ConfigureDriver(newMapDriver(), region.Config{Expiration: -1}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("negative expiration: %v", err)
	}
	if err := r2.ConfigureDriver(nil, region.Config{}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("nil driver: %v", err)
	}
	if err := r2.ConfigureDriver(newMapDriver(), region.Config{Arguments: map[string]any{"x": 1}}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("arguments with a built driver: %v", err)
	}
}

func TestCloseWaitsForAsyncAndRejectsUse(t *testing.T) {
	exp := 30 * time.Millisecond
	d := newMapDriver()
	r := region.New("c", region.WithAsyncRunner(func(task func()) { go task() }))
	r.ConfigureDriver(d, region.Config{Expiration: exp, StaleWindow: time.Minute})
	makeStale(t, r, "k", "old", exp)
	var finished atomic.Bool
	region.GetOrCreate(context.Background(), r, "k", func(context.Context) (string, error) {
		time.Sleep(30 * time.Millisecond)
		finished.Store(true)
		return "new", nil
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Fatal("Close returned before the async task")
	}
	if _, err := region.Get[string](context.Background(), r, "k"); !errors.Is(err, region.ErrClosed) {
		t.Fatal(err)
	}
	if err := region.Set(context.Background(), r, "k", "v"); !errors.Is(err, region.ErrClosed) {
		t.Fatalf("Set after Close: %v; want region.ErrClosed", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal("second close", err)
	}
}

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
