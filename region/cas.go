package region

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosess/gosess/internal/backoff"
	"github.com/gosess/gosess/internal/enum"

	"github.com/gosess/gosess/region/driver"
)

// Version names the stored version of a key as GetForUpdate read it, for a
// CompareAndSet that must not overwrite anyone else's write. The zero
// Version means "nothing stored": CompareAndSet with it adds.
type Version struct {
	token driver.CASToken
}

// Exists reports whether something was stored under the key when it was
// read. A value GetForUpdate reported as ErrNotFound (expired, invalidated,
// not decodable into the type asked for) still exists: CompareAndSet with
// its Version replaces it.
func (v Version) Exists() bool { return v.token != "" }

// Atomicity says how far the guarantee of CompareAndSet (and of the
// dogpile lock) reaches for a region's driver.
type Atomicity int

const (
	// AtomicInProcess: only callers of this Region value are excluded
	// (its key mutexes live in it). The driver has neither compare-and-set
	// nor a distributed lock; writers in other processes sharing the
	// store, or using another Region on it, can overwrite each other.
	AtomicInProcess Atomicity = iota + 1
	// AtomicShared: the store itself decides (driver.CASDriver, or a distributed
	// driver.Locker), so every process that shares it is excluded.
	AtomicShared
)

// String returns "in-process" or "shared".
func (a Atomicity) String() string { return enum.Name(a, "Atomicity", "in-process", "shared") }

// Atomicity reports how far CompareAndSet's guarantee reaches with the
// configured driver: AtomicShared when the driver implements driver.CASDriver or
// driver.Locker, AtomicInProcess otherwise (and for an unconfigured region).
// Layers that rely on it, such as the dogpile session backend, warn when it
// is AtomicInProcess on a store that other processes may share.
func (r *Region) Atomicity() Atomicity {
	st := r.state.Load()
	if st == nil || (st.cas == nil && st.locker == nil) {
		return AtomicInProcess
	}
	return AtomicShared
}

// GetForUpdate is Get that also returns the Version it read, for a later
// CompareAndSet. On a miss it returns ErrNotFound together with a Version
// that CompareAndSet accepts: the zero Version when nothing is stored, or
// the version of a stored value that is not usable (expired, hard
// invalidated, of another type), which CompareAndSet then replaces.
//
// It costs what Get costs (one round trip on memcached and redis), except
// on drivers without driver.CASDriver, where the version is a SHA-256 of the
// stored bytes.
func GetForUpdate[T any](ctx context.Context, r *Region, key string, opts ...CallOption) (T, Version, error) {
	var zero T
	var c callConfig
	st, err := r.prepare(key, false, opts, &c)
	if err != nil {
		return zero, Version{}, err
	}
	got, ver, err := readVersioned[T](ctx, r, st, st.storeKey(key), &c)
	if err != nil {
		return zero, Version{}, fmt.Errorf("region %q: get for update %q: %w", r.name, key, err)
	}
	if got.f != fresh {
		r.stats.misses.Add(1)
		return zero, ver, fmt.Errorf("region %q: get for update %q: %w", r.name, key, ErrNotFound)
	}
	r.hit()
	return got.v, ver, nil
}

// CompareAndSet stores v under key only if what is stored there is still
// the version ver that GetForUpdate returned (nothing at all, for the zero
// Version). Otherwise it stores nothing and returns an error wrapping
// ErrConflict: another writer got there first; read again and retry, or
// use Update, which does. A value the codec cannot encode is ErrEncode.
// Call options are those of Set (WithExpiration).
//
// The check is done by the store where the driver implements driver.CASDriver:
// one round trip on memcached (cas, or add for the zero Version) and on
// redis (a script), a flock and a file write on the file driver, an
// in-process write lock on the memory driver. Other drivers (the gocache
// bridge) take the key's dogpile mutex, read, compare and write; see
// Atomicity for how far that reaches.
func CompareAndSet[T any](ctx context.Context, r *Region, key string, ver Version, v T, opts ...CallOption) error {
	var c callConfig
	st, err := r.prepare(key, false, opts, &c)
	if err != nil {
		return err
	}
	if err := writeIf(ctx, r, st, st.storeKey(key), ver, v, &c); err != nil {
		return fmt.Errorf("region %q: compare and set %q: %w", r.name, key, err)
	}
	return nil
}

// MaxUpdateAttempts bounds how many times Update reads and writes a key
// that keeps changing under it before it gives up with ErrConflict.
const MaxUpdateAttempts = 64

// updateWait spaces Update's attempts: a conflict means another writer has
// just stored, so the first retry comes quickly; the waits grow when the
// key stays contended.
var updateWait = backoff.Policy{First: 100 * time.Microsecond, Max: 20 * time.Millisecond}

// Update is a read-modify-write of key that loses no concurrent update: it
// reads the value (GetForUpdate), calls fn with it (found is false on a
// miss, with the zero T), and stores fn's result with CompareAndSet. When
// another writer changed the key in between it reads again and calls fn
// again with the new value, up to MaxUpdateAttempts times, waiting a little
// between attempts (from 100µs, growing to 20ms, jittered). It returns what
// it stored.
//
// fn may run several times and must have no other effects; an error from
// fn ends Update with that error and stores nothing. Call options apply to
// the read and the write (WithExpiration, IgnoreExpiration).
//
//	n, err := region.Update(ctx, r, "visits", func(n int, _ bool) (int, error) { return n + 1, nil })
func Update[T any](ctx context.Context, r *Region, key string, fn func(cur T, found bool) (T, error), opts ...CallOption) (T, error) {
	var zero, stored T
	if fn == nil {
		return zero, fmt.Errorf("region %q: update %q: %w: nil function", r.name, key, ErrInvalidArgument)
	}
	var c callConfig
	st, err := r.prepare(key, false, opts, &c)
	if err != nil {
		return zero, err
	}
	mk := st.storeKey(key)
	attempts := 0
	err = updateWait.Poll(ctx, func(ctx context.Context) (bool, error) {
		attempts++
		got, ver, err := readVersioned[T](ctx, r, st, mk, &c)
		if err != nil {
			return false, err
		}
		nv, err := fn(got.v, got.f == fresh)
		if err != nil {
			return false, err
		}
		err = writeIf(ctx, r, st, mk, ver, nv, &c)
		switch {
		case err == nil:
			stored = nv
			return true, nil
		case errors.Is(err, ErrConflict) && attempts < MaxUpdateAttempts:
			return false, nil
		}
		return false, err
	})
	if err != nil {
		if errors.Is(err, ErrConflict) {
			return zero, fmt.Errorf("region %q: update %q: gave up after %d attempts: %w", r.name, key, attempts, err)
		}
		return zero, fmt.Errorf("region %q: update %q: %w", r.name, key, err)
	}
	return stored, nil
}
