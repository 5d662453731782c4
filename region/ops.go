package region

import (
	"context"
	"fmt"
	"time"
)

// Item is a value with its metadata, as returned by GetItem.
type Item[T any] struct {
	// Value is the stored value.
	Value T
	// Created is when the value was stored (by any process).
	Created time.Time
}

// Age is how long ago the value was created.
func (it Item[T]) Age() time.Duration { return time.Since(it.Created) }

// Get returns the value stored under key, decoded into a T. A key that is
// absent, expired, invalidated, or whose bytes do not decode into a T
// returns ErrNotFound (and the zero T). Driver failures are returned
// wrapped.
func Get[T any](ctx context.Context, r *Region, key string, opts ...CallOption) (T, error) {
	v, _, err := get[T](ctx, r, key, opts)
	return v, err
}

// GetItem is Get with the value's metadata (creation time, age).
func GetItem[T any](ctx context.Context, r *Region, key string, opts ...CallOption) (Item[T], error) {
	v, created, err := get[T](ctx, r, key, opts)
	if err != nil {
		return Item[T]{}, err
	}
	return Item[T]{Value: v, Created: time.Unix(0, created)}, nil
}

// get is Get with the creation time in Unix nanoseconds.
func get[T any](ctx context.Context, r *Region, key string, opts []CallOption) (T, int64, error) {
	var zero T
	var c callConfig
	st, err := r.prepare(key, false, opts, &c)
	if err != nil {
		return zero, 0, err
	}
	var got read[T]
	err = readOne(ctx, r, st, st.storeKey(key), &c, &got)
	if err != nil {
		return zero, 0, fmt.Errorf("region %q: get %q: %w", r.name, key, err)
	}
	if got.f != fresh {
		r.stats.misses.Add(1)
		return zero, 0, fmt.Errorf("region %q: get %q: %w", r.name, key, ErrNotFound)
	}
	r.hit()
	return got.v, got.created, nil
}

// Set stores v under key, with the region's expiration or the one given
// by WithExpiration. A value the codec cannot encode fails with ErrEncode
// and nothing is stored.
func Set[T any](ctx context.Context, r *Region, key string, v T, opts ...CallOption) error {
	var c callConfig
	st, err := r.prepare(key, false, opts, &c)
	if err != nil {
		return err
	}
	if err := writeOne(ctx, r, st, st.storeKey(key), v, &c); err != nil {
		return fmt.Errorf("region %q: set %q: %w", r.name, key, err)
	}
	return nil
}

// GetMulti returns the fresh values of keys, decoded into T. Keys that miss
// are absent from the map, never present with a zero value. Duplicate keys
// are read once.
func GetMulti[T any](ctx context.Context, r *Region, keys []string, opts ...CallOption) (map[string]T, error) {
	st, c, ks, err := r.prepareMulti(keys, opts)
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(ks.orig))
	if len(ks.orig) == 0 {
		return out, nil
	}
	got, err := readMany[T](ctx, r, st, ks.mangled, &c)
	if err != nil {
		return nil, fmt.Errorf("region %q: get multi: %w", r.name, err)
	}
	for i, g := range got {
		if g.f == fresh {
			out[ks.orig[i]] = g.v
			r.hit()
		} else {
			r.stats.misses.Add(1)
		}
	}
	return out, nil
}

// SetMulti stores every value (dogpile's set_multi). It is not atomic:
// on a driver error some values may be stored. A value the codec cannot
// encode fails the whole call before anything is stored.
func SetMulti[T any](ctx context.Context, r *Region, values map[string]T, opts ...CallOption) error {
	var c callConfig
	st, err := r.prepare("", true, opts, &c)
	if err != nil {
		return err
	}
	if len(values) == 0 {
		return nil
	}
	items := make([]keyed[T], 0, len(values))
	for k, v := range values {
		if err := r.checkKey(k); err != nil {
			return err
		}
		items = append(items, keyed[T]{key: k, mk: st.storeKey(k), v: v})
	}
	if err := writeMany(ctx, r, st, items, &c); err != nil {
		return fmt.Errorf("region %q: set multi: %w", r.name, err)
	}
	return nil
}

// prepare checks the region, the key (unless multi) and the call options,
// which it reads into *c (left as is, the zero callConfig, when there are
// none).
func (r *Region) prepare(key string, multi bool, opts []CallOption, c *callConfig) (*state, error) {
	st := r.state.Load()
	if st == nil || r.closed.Load() {
		_, err := r.current()
		return nil, err
	}
	if !multi && key == "" {
		return nil, r.checkKey(key)
	}
	if len(opts) > 0 {
		var err error
		if *c, err = r.callConfig(st, opts); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// prepareMulti is prepare for multi operations, with the keys checked,
// deduplicated and mangled.
func (r *Region) prepareMulti(keys []string, opts []CallOption) (*state, callConfig, keySet, error) {
	var c callConfig
	st, err := r.prepare("", true, opts, &c)
	if err != nil {
		return nil, c, keySet{}, err
	}
	ks, err := r.mangleAll(st, keys)
	return st, c, ks, err
}

// keySet is a deduplicated list of keys with their mangled forms.
type keySet struct {
	orig, mangled []string
}

func (r *Region) mangleAll(st *state, keys []string) (keySet, error) {
	ks := keySet{orig: make([]string, 0, len(keys)), mangled: make([]string, 0, len(keys))}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if err := r.checkKey(k); err != nil {
			return ks, err
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		ks.orig = append(ks.orig, k)
		ks.mangled = append(ks.mangled, st.storeKey(k))
	}
	return ks, nil
}
