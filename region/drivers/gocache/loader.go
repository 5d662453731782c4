package gocache

import (
	"context"
	"fmt"
	"sync"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/store"

	"github.com/gosess/gosess/region"
)

// loadedMarker is the client-side-caching duration NewLoadFunc adds to
// the options it returns. gocache's LoadableCache writes every loaded
// value back with those options; Store.Set recognizes the marker and
// skips that write, because the value is already in the region (or, if
// it was a stale value served while someone else regenerates it, must not
// be written back as new). Only the rueidis store reads this option,
// and it is not a store the bridge supports.
const loadedMarker = -0x676f7365737321 // a negative duration no caller uses

// NewLoadFunc wraps load for cache.NewLoadable so that loading goes
// through the region's dogpile lock (region.GetOrCreate) on s's region:
//
//	c := cache.NewLoadable[User](gocache.NewLoadFunc(s, loadUser), cache.New[User](s))
//
// where s is a Store from NewTypedStore[User] (or NewStore for []byte,
// string or any). What that adds to the LoadableCache:
//
//   - gocache's LoadableCache only collapses concurrent loads of one key
//     inside one LoadableCache value (a singleflight). Through NewLoadFunc,
//     all LoadableCaches and other GetOrCreate callers on the region share
//     one lock per key; with a driver that implements driver.Locker
//     (memcached, redis or file with distributed_lock) the lock is held
//     across processes, so one caller in the fleet runs load for a cold
//     key and the others wait for its value.
//   - a stale value (past the region's expiration, or soft-invalidated) is
//     a miss for the LoadableCache's first read, but the loader then
//     returns it at once while another caller holds the lock and
//     regenerates it, instead of every caller loading.
//   - load's result is stored by the loader itself, through s.Set, with
//     the options load returned (expiration, tags), while the lock is
//     held. The LoadableCache then writes the value back once more; the
//     returned options carry a marker that makes s.Set skip that write, so
//     a stale value is never rewritten as new. A chain under the
//     LoadableCache still writes it to its other stores.
//
// The key given to load is the LoadableCache's key; the region key is
// CacheKey(key), as for the store. load's errors are returned as they
// are (wrapped by the region) and nothing is stored; an error storing
// the loaded value fails the load too. callOpts are passed
// to region.GetOrCreate (region.WithExpiration to judge freshness with
// another expiration, for example); a region.ShouldCache among them has
// no effect, since the loader stores load's value itself.
func NewLoadFunc[T any](s *Store, load cache.LoadFunction[T], callOpts ...region.CallOption) cache.LoadFunction[T] {
	return func(ctx context.Context, key any) (T, []store.Option, error) {
		var zero T
		if err := s.check(); err != nil {
			return zero, nil, err
		}
		if load == nil {
			return zero, nil, errNilLoad
		}
		var (
			mu   sync.Mutex
			opts []store.Option
		)
		k := CacheKey(key)
		creator := func(ctx context.Context) (T, error) {
			v, o, err := load(ctx, key)
			if err != nil {
				return v, err
			}
			if err := s.Set(ctx, k, v, o...); err != nil {
				return v, err
			}
			mu.Lock()
			opts = o
			mu.Unlock()
			return v, nil
		}
		// The creator stores the value with load's options itself.
		all := append(callOpts[:len(callOpts):len(callOpts)], region.ShouldCache(func(T) bool { return false }))
		v, err := region.GetOrCreate(ctx, s.r, k, creator, all...)
		if err != nil {
			return zero, nil, err
		}
		mu.Lock()
		out := append(opts[:len(opts):len(opts)], store.WithClientSideCaching(loadedMarker))
		mu.Unlock()
		return v, out, nil
	}
}

var errNilLoad = fmt.Errorf("%w: gocache: NewLoadFunc: nil load function", region.ErrInvalidArgument)
