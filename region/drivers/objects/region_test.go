package objects_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/drivers/objects"
)

type user struct {
	ID    int
	Name  string
	Roles []string
	ch    chan int // unexported and not encodable: no codec is involved
}

func newRegion(t *testing.T, cfg region.Config, opts ...region.Option) *region.Region {
	t.Helper()
	r := region.New("objects-test", opts...)
	if err := r.Configure(objects.Name, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestValuesKeepTheirIdentity(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Expiration: time.Minute})
	u := &user{ID: 7, Name: "Ann", ch: make(chan int)}
	if err := region.Set(ctx, r, "u", u); err != nil {
		t.Fatal(err)
	}
	got, err := region.Get[*user](ctx, r, "u")
	if err != nil || got != u {
		t.Fatalf("Get = %p, %v; want the very pointer stored (%p)", got, err, u)
	}
	// Shared, as documented: mutating it mutates the cache.
	u.Name = "Bob"
	if again, _ := region.Get[*user](ctx, r, "u"); again.Name != "Bob" {
		t.Fatalf("the cache holds a copy: %q", again.Name)
	}
	// Struct values, interfaces and nils.
	if err := region.Set(ctx, r, "s", user{ID: 1}); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[user](ctx, r, "s"); err != nil || v.ID != 1 {
		t.Fatalf("struct: %+v, %v", v, err)
	}
	if v, err := region.Get[any](ctx, r, "s"); err != nil || v.(user).ID != 1 {
		t.Fatalf("struct read as any: %#v, %v", v, err)
	}
	if err := region.Set[any](ctx, r, "nil", nil); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[any](ctx, r, "nil"); err != nil || v != nil {
		t.Fatalf("nil any: %#v, %v", v, err)
	}
	if err := region.Set[error](ctx, r, "err", nil); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[error](ctx, r, "err"); err != nil || v != nil {
		t.Fatalf("nil error: %#v, %v", v, err)
	}
	if _, err := region.Get[*user](ctx, r, "nil"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("a nil any read as *user: %v; want a miss", err)
	}
}

func TestAnotherTypeIsAMissThatRegenerates(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Expiration: time.Minute})
	if err := region.Set(ctx, r, "k", user{ID: 1}); err != nil {
		t.Fatal(err)
	}
	for _, read := range []func() error{
		func() error { _, err := region.Get[*user](ctx, r, "k"); return err },
		func() error { _, err := region.Get[string](ctx, r, "k"); return err },
		func() error { _, err := region.Get[[]byte](ctx, r, "k"); return err },
		func() error { _, err := region.Get[map[string]any](ctx, r, "k"); return err },
		func() error { _, err := region.Get[fmt.Stringer](ctx, r, "k"); return err },
	} {
		if err := read(); !errors.Is(err, region.ErrNotFound) {
			t.Fatalf("read as another type: %v; want ErrNotFound", err)
		}
	}
	m, err := region.GetMulti[int](ctx, r, []string{"k"})
	if err != nil || len(m) != 0 {
		t.Fatalf("GetMulti as another type: %v, %v", m, err)
	}
	v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 5, nil })
	if err != nil || v != 5 {
		t.Fatalf("GetOrCreate over another type = %v, %v", v, err)
	}
	if v, err := region.Get[int](ctx, r, "k"); err != nil || v != 5 {
		t.Fatalf("after regeneration: %v, %v", v, err)
	}
}

// TestProxyKeepsTheBytePath: a proxy that does not handle values sees
// every call, and the region then stores encoded envelopes, which the
// driver keeps as bytes.
func TestProxyKeepsTheBytePath(t *testing.T) {
	ctx := t.Context()
	var sets atomic.Int32
	r := newRegion(t, region.Config{Expiration: time.Minute, Wrap: []region.Proxy{
		func(d driver.Driver) driver.Driver { return &countingProxy{Driver: d, sets: &sets} },
	}})
	if err := region.Set(ctx, r, "k", user{ID: 3, Name: "Cy"}); err != nil {
		t.Fatal(err)
	}
	if sets.Load() != 1 {
		t.Fatalf("the proxy saw %d writes; want 1", sets.Load())
	}
	if v, err := region.Get[user](ctx, r, "k"); err != nil || v.Name != "Cy" {
		t.Fatalf("through the proxy: %+v, %v", v, err)
	}
	if _, err := r.ActualDriver().Get(ctx, "k"); err != nil {
		t.Fatalf("the driver does not hold the envelope as bytes: %v", err)
	}
	// Through a proxy, the codec applies again.
	if err := region.Set(ctx, r, "ch", make(chan int)); !errors.Is(err, region.ErrEncode) {
		t.Fatalf("a channel through a byte proxy: %v; want ErrEncode", err)
	}
}

type countingProxy struct {
	driver.Driver
	sets *atomic.Int32
}

func (p *countingProxy) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	p.sets.Add(1)
	return p.Driver.Set(ctx, key, v, ttl)
}

func (p *countingProxy) Unwrap() driver.Driver { return p.Driver }

// TestRegionCountsEvictions: entries otter evicts for space are counted in
// the region's Stats.
func TestRegionCountsEvictions(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Arguments: map[string]any{"max_entries": 100}})
	for i := range 1000 {
		if err := region.Set(ctx, r, fmt.Sprint("k", i), i); err != nil {
			t.Fatal(err)
		}
	}
	testwait.Until(t, 5*time.Second, "Stats().Evictions to reach 800 after 1000 entries in a cache of 100", func() bool {
		return r.Stats().Evictions >= 800
	})
}

// TestConcurrentSetGetInvalidate: Set, Get, GetOrCreate, Delete and
// Invalidate of the same keys at once, under -race: every read is a miss
// or a value of the type asked for, never a panic or a torn value.
func TestConcurrentSetGetInvalidate(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{Expiration: 50 * time.Millisecond, Arguments: map[string]any{"max_entries": 64}})
	var wg sync.WaitGroup
	stop := time.Now().Add(300 * time.Millisecond)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				k := fmt.Sprint("k", i%32)
				switch (g + i) % 6 {
				case 0:
					_ = region.Set(ctx, r, k, &user{ID: i, Roles: []string{"r"}})
				case 1:
					if u, err := region.Get[*user](ctx, r, k); err == nil && (u == nil || len(u.Roles) != 1) {
						t.Errorf("torn value %+v", u)
					}
				case 2:
					u, err := region.GetOrCreate(ctx, r, k, func(context.Context) (*user, error) {
						return &user{ID: -1, Roles: []string{"c"}}, nil
					})
					if err != nil || u == nil {
						t.Errorf("GetOrCreate: %v, %v", u, err)
					}
				case 3:
					_ = region.Set(ctx, r, k, "a string under the same key")
				case 4:
					_ = r.Delete(ctx, k)
				default:
					mode := region.Soft
					if i%2 == 0 {
						mode = region.Hard
					}
					if err := r.Invalidate(mode); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestBytesAreCopied: []byte values are copied in and out, as on byte
// drivers (the session backends rely on owning the slices they get).
func TestBytesAreCopied(t *testing.T) {
	ctx := t.Context()
	r := newRegion(t, region.Config{})
	b := []byte("abc")
	if err := region.Set(ctx, r, "b", b); err != nil {
		t.Fatal(err)
	}
	b[0] = 'X'
	got, err := region.Get[[]byte](ctx, r, "b")
	if err != nil || string(got) != "abc" {
		t.Fatalf("Get = %q, %v; want the bytes as they were stored", got, err)
	}
	got[0] = 'Y'
	if again, _ := region.Get[[]byte](ctx, r, "b"); string(again) != "abc" {
		t.Fatalf("the bytes Get returned are the cache's: %q", again)
	}
	if v, err := region.Get[any](ctx, r, "b"); err != nil {
		t.Fatal(err)
	} else {
		v.([]byte)[0] = 'Z'
	}
	if again, _ := region.Get[[]byte](ctx, r, "b"); string(again) != "abc" {
		t.Fatalf("the bytes Get[any] returned are the cache's: %q", again)
	}
}

// The dogpile format is a byte layout shared with Python through a byte
// store: a region refuses it on the objects driver, which keeps Go values.
func TestDogpileFormatRefused(t *testing.T) {
	r := region.New("py")
	defer r.Close()
	err := r.Configure(objects.Name, region.Config{Format: region.FormatDogpile})
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "Go values") {
		t.Fatalf("Configure(objects, dogpile format) = %v; want ErrInvalidArgument naming why", err)
	}
	if r.IsConfigured() {
		t.Fatal("the region was configured anyway")
	}
	d, err := objects.New(objects.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := r.ConfigureDriver(d, region.Config{Format: region.FormatDogpile}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("ConfigureDriver(objects, dogpile format) = %v; want ErrInvalidArgument", err)
	}
}
