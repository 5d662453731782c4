package bench

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/allegro/bigcache/v3"
	gocache "github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/marshaler"
	bigcachestore "github.com/eko/gocache/store/bigcache/v4"
	"github.com/maypok86/otter/v2"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/memory"
	"github.com/gosess/gosess/region/msgpackcodec"
)

// The hit-path benchmarks of issue 2: the region on its memory driver
// against the libraries it is built on or competes with, reading the same
// data.

// valueSize is the size of the []byte values of the hit-path benchmarks.
const valueSize = 128

// User is the struct of the typed benchmarks: a typical small cached row.
type User struct {
	ID      int64     `json:"id" msgpack:"id"`
	Name    string    `json:"name" msgpack:"name"`
	Email   string    `json:"email" msgpack:"email"`
	Roles   []string  `json:"roles" msgpack:"roles"`
	Active  bool      `json:"active" msgpack:"active"`
	Created time.Time `json:"created" msgpack:"created"`
}

func sampleUser(i int) User {
	return User{
		ID: int64(i), Name: fmt.Sprintf("user %d", i), Email: fmt.Sprintf("user%d@example.com", i),
		Roles: []string{"reader", "writer"}, Active: true,
		Created: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// memoryRegion returns a region on the memory driver with the driver's
// default shape (1024 shards), closed when tb ends.
func memoryRegion(tb testing.TB, opts ...region.Option) (*region.Region, *bigcache.BigCache) {
	tb.Helper()
	r := region.New("bench", opts...)
	if err := r.Configure(memory.Name, region.Config{Expiration: time.Hour}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	d, ok := r.ActualDriver().(*memory.Driver)
	if !ok {
		tb.Fatalf("memory region has driver %T", r.ActualDriver())
	}
	return r, d.BigCache()
}

// newBigcache returns a bigcache with the memory driver's default shape.
func newBigcache(tb testing.TB) *bigcache.BigCache {
	tb.Helper()
	cfg := bigcache.DefaultConfig(time.Hour)
	cfg.Shards = memory.DefaultShards
	cfg.MaxEntriesInWindow = memory.DefaultMaxEntriesInWindow
	cfg.MaxEntrySize = memory.DefaultMaxEntrySize
	cfg.CleanWindow = time.Minute
	c, err := bigcache.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

var errCreatorCalled = errors.New("creator called on the hit path")

// filled returns a memory region holding value(i) under keys[i], and the
// region's bigcache.
func filled[T any](tb testing.TB, keys []string, value func(i int) T, opts ...region.Option) (*region.Region, *bigcache.BigCache) {
	tb.Helper()
	r, bc := memoryRegion(tb, opts...)
	for i, k := range keys {
		if err := region.Set(context.Background(), r, k, value(i)); err != nil {
			tb.Fatal(err)
		}
	}
	return r, bc
}

func byteValue(int) []byte { return payload(valueSize) }

// bytesHitCases compares read, a region read of a []byte value, against
// bigcache.Get. Both sides read the very bytes the region stored: the raw
// side reads them from the region's own bigcache.
func bytesHitCases(read func(ctx context.Context, r *region.Region, key string) error) []opCase {
	keys := benchKeys("hit")
	ctx := context.Background()
	return []opCase{
		{"region", func(tb testing.TB) func(int) error {
			r, _ := filled(tb, keys, byteValue)
			return func(i int) error { return read(ctx, r, keys[i%keyCount]) }
		}},
		{"bigcache", func(tb testing.TB) func(int) error {
			_, bc := filled(tb, keys, byteValue)
			return func(i int) error {
				_, err := bc.Get(keys[i%keyCount])
				return err
			}
		}},
	}
}

func getHitCases() []opCase {
	return bytesHitCases(func(ctx context.Context, r *region.Region, key string) error {
		v, err := region.Get[[]byte](ctx, r, key)
		if err == nil && len(v) != valueSize {
			err = fmt.Errorf("got %d bytes", len(v))
		}
		return err
	})
}

// BenchmarkGetHit: region.Get of a []byte value against bigcache.Get of the
// same entry (goal: at most 1.2x).
func BenchmarkGetHit(b *testing.B) { runCases(b, getHitCases()) }

func getOrCreateHitCases() []opCase {
	creator := func(context.Context) ([]byte, error) { return nil, errCreatorCalled }
	return bytesHitCases(func(ctx context.Context, r *region.Region, key string) error {
		_, err := region.GetOrCreate(ctx, r, key, creator)
		return err
	})
}

// BenchmarkGetOrCreateHit: region.GetOrCreate on a fresh []byte value
// against bigcache.Get (goal: at most 1.3x).
func BenchmarkGetOrCreateHit(b *testing.B) { runCases(b, getOrCreateHitCases()) }

func typedGetCases() []opCase {
	keys := benchKeys("user")
	ctx := context.Background()
	regionCase := func(opts ...region.Option) func(tb testing.TB) func(int) error {
		return func(tb testing.TB) func(int) error {
			r, _ := filled(tb, keys, sampleUser, opts...)
			return func(i int) error {
				u, err := region.Get[User](ctx, r, keys[i%keyCount])
				if err == nil && u.ID != int64(i%keyCount) {
					err = fmt.Errorf("got user %d", u.ID)
				}
				return err
			}
		}
	}
	return []opCase{
		{"region", regionCase()},
		{"region-msgpack", regionCase(region.WithCodec(msgpackcodec.Codec{}))},
		{"region-stdjson", regionCase(region.WithCodec(region.JSONCodec{}))},
		{"gocache", func(tb testing.TB) func(int) error {
			m := marshaler.New(gocache.New[any](bigcachestore.NewBigcache(newBigcache(tb))))
			for i, k := range keys {
				if err := m.Set(ctx, k, sampleUser(i)); err != nil {
					tb.Fatal(err)
				}
			}
			return func(i int) error {
				got, err := m.Get(ctx, keys[i%keyCount], new(User))
				if err == nil && got.(*User).ID != int64(i%keyCount) {
					err = fmt.Errorf("got user %d", got.(*User).ID)
				}
				return err
			}
		}},
	}
}

// BenchmarkTypedGet: region.Get[User] (default codec FastJSONCodec, the
// msgpackcodec option, and encoding/json's JSONCodec, the former default)
// against gocache's marshaler (msgpack) on its bigcache store (goal: at
// most 0.7x, for the default codec).
func BenchmarkTypedGet(b *testing.B) { runCases(b, typedGetCases()) }

func loaderHitCases() []opCase {
	return loaderCases("load", "region", func(tb testing.TB, keys []string) *region.Region {
		r, _ := filled(tb, keys, sampleUser)
		return r
	})
}

// loaderCases compares a region.GetOrCreate hit of a User value, on the
// region fill returns holding sampleUser(i) under keys[i] (the side named
// impl), with otter v2's Get with a loader on filledOtter. Neither side's
// creator or loader may run, and both check the user they got.
func loaderCases(prefix, impl string, fill func(tb testing.TB, keys []string) *region.Region) []opCase {
	keys := benchKeys(prefix)
	ctx := context.Background()
	return []opCase{
		{impl, func(tb testing.TB) func(int) error {
			r := fill(tb, keys)
			creator := func(context.Context) (User, error) { return User{}, errCreatorCalled }
			return func(i int) error {
				u, err := region.GetOrCreate(ctx, r, keys[i%keyCount], creator)
				if err != nil {
					return err
				}
				return checkUser(u, i)
			}
		}},
		{"otter", func(tb testing.TB) func(int) error {
			c := filledOtter(tb, keys)
			loader := otter.LoaderFunc[string, User](func(context.Context, string) (User, error) {
				return User{}, errCreatorCalled
			})
			return func(i int) error {
				u, err := c.Get(ctx, keys[i%keyCount], loader)
				if err != nil {
					return err
				}
				return checkUser(u, i)
			}
		}},
	}
}

// BenchmarkLoaderHit: region.GetOrCreate[User] against otter v2's Get with
// a loader (report only: otter keeps Go values in the heap and never
// encodes, the region encodes so that any driver can hold the value).
func BenchmarkLoaderHit(b *testing.B) { runCases(b, loaderHitCases()) }

func TestHitPathSetups(t *testing.T) {
	checkGroups(t, map[string][]opCase{
		"GetHit": getHitCases(), "GetOrCreateHit": getOrCreateHitCases(),
		"TypedGet": typedGetCases(), "LoaderHit": loaderHitCases(),
	})
}

// BenchmarkClockRead calibrates the hit-path figures: the region reads the
// monotonic clock (time.Since of a recent base) on every read to judge
// freshness, raw bigcache.Get does not, and what a clock read costs
// differs a lot between machines (virtual machines often pay several times
// what bare metal does).
func BenchmarkClockRead(b *testing.B) {
	base := time.Now()
	var sink time.Duration
	for b.Loop() {
		sink += time.Since(base)
	}
	if sink == 42 {
		b.Log(sink)
	}
}
