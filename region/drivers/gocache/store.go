package gocache

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/eko/gocache/lib/v4/store"

	"github.com/gosess/gosess/region"
)

// StoreType is what (*Store).GetType returns.
const StoreType = "gosess-region"

// DefaultTagPrefix is the default prefix of the region keys that hold the
// members of a gocache tag (see WithTagPrefix).
const DefaultTagPrefix = "gocache_tag_"

// Store is a gocache store.StoreInterface over a *region.Region, so that
// code written for gocache (cache.New[T], cache.NewLoadable,
// cache.NewChain, the metric and marshaler wrappers) caches in a region:
// with the region's driver, expiry, key mangling and invalidation. Build
// it with NewStore (values come back as stored: []byte, string, or what
// the region's codec decodes into an `any`) or NewTypedStore[T] (values
// come back as T). The zero value is not usable. A Store is safe for
// concurrent use.
//
// Keys may be strings, gocache cache.CacheKeyGenerator values, or any
// other value, which is hashed as gocache's cache.Cache hashes it (see
// CacheKey). A miss (absent, expired, invalidated, or not decodable into
// the store's type) returns a *store.NotFound error that wraps the
// region's error, so both errors.Is(err, store.NotFound{}) and
// errors.Is(err, region.ErrNotFound) hold.
type Store struct {
	r         *region.Region
	get       func(ctx context.Context, r *region.Region, key string) (any, time.Time, error)
	tagPrefix string
}

var _ store.StoreInterface = (*Store)(nil)

// StoreOption adjusts a Store built by NewStore or NewTypedStore.
type StoreOption func(*Store)

// WithTagPrefix sets the prefix of the region keys that record the members
// of each tag given to Set with store.WithTags: the members of tag t are
// kept under the region key prefix+t. Default DefaultTagPrefix
// ("gocache_tag_", the pattern of gocache's own stores). An empty prefix
// keeps the default.
func WithTagPrefix(prefix string) StoreOption {
	return func(s *Store) {
		if prefix != "" {
			s.tagPrefix = prefix
		}
	}
}

// NewStore returns a gocache store over r whose Get returns a value of
// the type it was stored as when that type is []byte or string, and for
// every other value what the region's codec decodes into an `any` (with
// the default JSON codec: map[string]any, []any, float64, string, bool or
// nil). Use it with cache.New[[]byte], cache.New[string], cache.New[any]
// or gocache's marshaler (which stores []byte); for any other T use
// NewTypedStore[T], because gocache's cache.Cache[T].Get returns the zero
// T and a nil error when the store's value is not a T.
func NewStore(r *region.Region, opts ...StoreOption) *Store {
	return newStore(r, getAs[any], opts)
}

// NewTypedStore returns a gocache store over r whose Get decodes every
// value into a T with the region's codec (region.Get[T]), so that
// cache.New[T] over it round-trips any T the codec supports. A stored
// value that does not decode into a T is a miss.
func NewTypedStore[T any](r *region.Region, opts ...StoreOption) *Store {
	return newStore(r, getAs[T], opts)
}

func newStore(r *region.Region, get func(context.Context, *region.Region, string) (any, time.Time, error), opts []StoreOption) *Store {
	s := &Store{r: r, get: get, tagPrefix: DefaultTagPrefix}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

func getAs[T any](ctx context.Context, r *region.Region, key string) (any, time.Time, error) {
	it, err := region.GetItem[T](ctx, r, key)
	if err != nil {
		return nil, time.Time{}, err
	}
	return it.Value, it.Created, nil
}

// Region returns the region under the store.
func (s *Store) Region() *region.Region { return s.r }

var errNoRegion = fmt.Errorf("%w: gocache store: nil region", region.ErrInvalidArgument)

func (s *Store) check() error {
	if s == nil || s.r == nil {
		return errNoRegion
	}
	return nil
}

// Get returns the fresh value under key (see NewStore and NewTypedStore
// for its type). A miss is a *store.NotFound wrapping region.ErrNotFound;
// other errors (driver failures, a region not configured) are returned as
// the region reports them.
func (s *Store) Get(ctx context.Context, key any) (any, error) {
	v, _, err := s.lookup(ctx, key)
	return v, err
}

// GetWithTTL is Get plus how long the value stays fresh: the region's
// expiration minus the value's age (at least one nanosecond), or 0 when
// the region's values never expire. A per-call expiration given to Set is
// not recorded with the value, so it is not reflected here (see the
// package documentation).
func (s *Store) GetWithTTL(ctx context.Context, key any) (any, time.Duration, error) {
	v, created, err := s.lookup(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	exp := s.r.Expiration()
	if exp == 0 {
		return v, 0, nil
	}
	return v, max(exp-time.Since(created), time.Nanosecond), nil
}

func (s *Store) lookup(ctx context.Context, key any) (any, time.Time, error) {
	if err := s.check(); err != nil {
		return nil, time.Time{}, err
	}
	v, created, err := s.get(ctx, s.r, CacheKey(key))
	if errors.Is(err, region.ErrNotFound) {
		return nil, time.Time{}, store.NotFoundWithCause(err)
	}
	return v, created, err
}

// Set stores value under key through region.Set: []byte and string
// values as they are, others with the region's codec (an error wrapping
// region.ErrEncode if it cannot encode them; nothing is stored then).
// store.WithExpiration(d) with d > 0 becomes region.WithExpiration(d);
// store.WithTags records key as a member of each tag (see Invalidate).
// Other gocache options (cost, synchronous set, client-side caching) do
// not apply to a region and are ignored.
func (s *Store) Set(ctx context.Context, key any, value any, options ...store.Option) error {
	if err := s.check(); err != nil {
		return err
	}
	o := store.ApplyOptions(options...)
	if o.ClientSideCacheExpiration == loadedMarker {
		// The echo of a value NewLoadFunc already handled in the region.
		return nil
	}
	k := CacheKey(key)
	var callOpts []region.CallOption
	if o.Expiration != 0 {
		callOpts = append(callOpts, region.WithExpiration(o.Expiration))
	}
	if err := region.Set(ctx, s.r, k, value, callOpts...); err != nil {
		return err
	}
	for _, tag := range o.Tags {
		if err := s.addToTag(ctx, tag, k); err != nil {
			return fmt.Errorf("gocache store: %q stored, but not recorded in tag %q: %w", k, tag, err)
		}
	}
	return nil
}

// Delete removes key from the region. Deleting an absent key is not an
// error.
func (s *Store) Delete(ctx context.Context, key any) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.r.Delete(ctx, CacheKey(key))
}

// Invalidate deletes every key recorded under the tags given with
// store.WithInvalidateTags, and the tags' records, as gocache's stores
// do. Without tags it does nothing and returns nil (use Clear, or the
// region's Invalidate, to invalidate everything). Each tag's record is
// read and deleted under the region's mutex for the record's key, as Set
// updates it. A Set that runs concurrently with the invalidation of one
// of its tags may survive it.
func (s *Store) Invalidate(ctx context.Context, options ...store.InvalidateOption) error {
	if err := s.check(); err != nil {
		return err
	}
	for _, tag := range store.ApplyInvalidateOptions(options...).Tags {
		if err := s.invalidateTag(ctx, tag); err != nil {
			return err
		}
	}
	return nil
}

// Clear hard-invalidates the region (region.Hard): every value stored
// before it, by any user of the region, becomes a miss. With
// region.SharedInvalidation other processes see it too. Nothing is
// deleted from the driver; invalidated values are evicted by their TTL.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.r.InvalidateContext(ctx, region.Hard)
}

// GetType returns StoreType, "gosess-region".
func (s *Store) GetType() string { return StoreType }

// addToTag records key as a member of tag.
func (s *Store) addToTag(ctx context.Context, tag, key string) error {
	return s.withTag(ctx, tag, func(tk string, keys []string) error {
		if slices.Contains(keys, key) {
			return nil
		}
		b, err := json.Marshal(append(keys, key))
		if err != nil {
			return err
		}
		// The record never expires on its own: it is rewritten by every Set
		// of a new member, so it is never older than its newest member.
		return region.Set(ctx, s.r, tk, b, region.WithExpiration(0))
	})
}

// invalidateTag deletes the members of tag and its record.
func (s *Store) invalidateTag(ctx context.Context, tag string) error {
	return s.withTag(ctx, tag, func(tk string, keys []string) error {
		if err := s.r.DeleteMulti(ctx, keys); err != nil {
			return fmt.Errorf("gocache store: invalidate tag %q: %w", tag, err)
		}
		return s.r.Delete(ctx, tk)
	})
}

// withTag runs f with the record key of tag and its members, holding the
// region's mutex for the record key.
func (s *Store) withTag(ctx context.Context, tag string, f func(tk string, keys []string) error) error {
	tk := s.tagPrefix + tag
	mu := s.r.Mutex(tk)
	if err := mu.Lock(ctx); err != nil {
		return err
	}
	defer mu.Unlock(context.WithoutCancel(ctx))
	keys, err := s.tagMembers(ctx, tk)
	if err != nil {
		return err
	}
	return f(tk, keys)
}

// tagMembers reads the keys recorded under the record key tk.
func (s *Store) tagMembers(ctx context.Context, tk string) ([]string, error) {
	b, err := region.Get[[]byte](ctx, s.r, tk, region.IgnoreExpiration())
	if errors.Is(err, region.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("gocache store: tag record %q is not a list of keys: %w", tk, err)
	}
	return keys, nil
}

// CacheKey returns the region key the store uses for a gocache key: a
// string as it is, the GetCacheKey() of a cache.CacheKeyGenerator, and for
// any other value the hex MD5 of its type and value printed with fmt,
// which is what gocache's cache.Cache[T] computes, so keys agree whether
// a value reaches the store through cache.Cache or directly.
func CacheKey(key any) string {
	switch k := key.(type) {
	case string:
		return k
	case interface{ GetCacheKey() string }:
		return k.GetCacheKey()
	}
	h := md5.New()
	fmt.Fprint(h, reflect.TypeOf(key))
	fmt.Fprint(h, key)
	return hex.EncodeToString(h.Sum(nil))
}
