// Package null is the region driver that caches nothing, registered as
// "null" (dogpile.cache's null backend).
//
// Every Get is a miss (region.ErrNotFound), every Set and Delete succeeds
// and is forgotten, and its per-key mutex locks nothing: acquiring always
// succeeds at once, even when another caller "holds" it (and it reports
// region.LockFree, so the region skips its own in-process lock too). With it a
// region runs every creator on every call, which is what you want to
// switch caching off through configuration, or in tests of the code
// around a cache:
//
//	import _ "github.com/gosess/gosess/region/drivers/null"
//
//	err := r.Configure("null", region.Config{})
//
// The driver takes no arguments; any argument is an error.
package null

import (
	"context"
	"fmt"
	"time"

	"github.com/gosess/gosess/region"
)

// Name is the name the driver is registered under.
const Name = "null"

func init() {
	region.RegisterDriver(Name, factory)
}

// factory builds the driver; it takes no arguments. No accessor of args is
// called, so args.Err reports every argument given.
func factory(_ region.DriverInfo, args *region.Arguments) (region.Driver, error) {
	if err := args.Err(); err != nil {
		return nil, err
	}
	return Driver{}, nil
}

// Driver stores nothing. The zero value is ready; it is safe for
// concurrent use. It implements region.Locker with mutexes that never
// exclude anyone, and region.LockFree.
type Driver struct{}

var (
	_ region.Driver   = Driver{}
	_ region.Locker   = Driver{}
	_ region.LockFree = Driver{}
)

// New returns a null driver.
func New() Driver { return Driver{} }

// Get always returns region.ErrNotFound.
func (Driver) Get(context.Context, string) ([]byte, error) { return nil, region.ErrNotFound }

// GetMulti always returns an empty (non-nil) map.
func (Driver) GetMulti(context.Context, []string) (map[string][]byte, error) {
	return map[string][]byte{}, nil
}

// Set discards the value and returns nil.
func (Driver) Set(context.Context, string, []byte, time.Duration) error { return nil }

// SetMulti discards the items and returns nil.
func (Driver) SetMulti(context.Context, map[string][]byte, time.Duration) error { return nil }

// Delete returns nil.
func (Driver) Delete(context.Context, string) error { return nil }

// DeleteMulti returns nil.
func (Driver) DeleteMulti(context.Context, []string) error { return nil }

// Mutex returns a mutex that locks nothing (dogpile's NullLock): TryLock
// always reports true, Lock returns nil at once, Unlock returns nil.
func (Driver) Mutex(string) region.Mutex { return Mutex{} }

// LockFree reports true: a region on the null driver takes no lock at all,
// so every caller of GetOrCreate runs its creator at once instead of
// queueing behind a value that will never be stored.
func (Driver) LockFree() bool { return true }

// Mutex is the null driver's mutex: every acquisition succeeds at once.
type Mutex struct{}

// TryLock reports true without excluding anyone.
func (Mutex) TryLock(context.Context) (bool, error) { return true, nil }

// Lock returns nil at once, even if ctx is done: there is nothing to wait for.
func (Mutex) Lock(context.Context) error { return nil }

// Unlock returns nil.
func (Mutex) Unlock(context.Context) error { return nil }

var _ region.CASDriver = Driver{}

// GetCAS always returns region.ErrNotFound.
func (Driver) GetCAS(context.Context, string) ([]byte, region.CASToken, error) {
	return nil, "", region.ErrNotFound
}

// CompareAndSet with the empty token (add) succeeds and stores nothing, as
// Set does; with any other token it returns region.ErrConflict, since
// nothing is ever stored to compare with.
func (Driver) CompareAndSet(_ context.Context, key string, token region.CASToken, _ []byte, _ time.Duration) error {
	if token != "" {
		return fmt.Errorf("null driver: key %q: %w (nothing is stored)", key, region.ErrConflict)
	}
	return nil
}
