// Package null is the region driver that caches nothing, registered as
// "null" (dogpile.cache's null backend).
//
// Every Get is a miss (region.ErrNotFound), every Set and Delete succeeds
// and is forgotten, and its per-key mutex locks nothing: acquiring always
// succeeds at once, even when another caller "holds" it (and it is a
// driver.LockSkipper, so the region skips its own in-process lock too).
// With it a region runs every creator on every call, which is what you want to
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
	"github.com/gosess/gosess/region/driver"
)

// Name is the name the driver is registered under.
const Name = "null"

func init() {
	region.RegisterDriver(Name, factory)
}

// factory builds the driver; it takes no arguments. No accessor of args is
// called, so args.Err reports every argument given.
func factory(_ driver.Info, args *driver.Arguments) (driver.Driver, error) {
	if err := args.Err(); err != nil {
		return nil, err
	}
	return Driver{}, nil
}

// Driver stores nothing. The zero value is ready; it is safe for
// concurrent use. It implements driver.Locker with mutexes that never
// exclude anyone, and driver.LockSkipper.
type Driver struct{}

var (
	_ driver.Driver      = Driver{}
	_ driver.Locker      = Driver{}
	_ driver.LockSkipper = Driver{}
)

// New returns a null driver.
func New() Driver { return Driver{} }

// Get always returns region.ErrNotFound.
func (Driver) Get(context.Context, string) ([]byte, error) { return nil, region.ErrNotFound }

// Set discards the value and returns nil.
func (Driver) Set(context.Context, string, []byte, time.Duration) error { return nil }

// Delete returns nil.
func (Driver) Delete(context.Context, string) error { return nil }

// Mutex returns a mutex that locks nothing (dogpile's NullLock): TryLock
// always reports true, Lock returns nil at once, Unlock returns nil.
func (Driver) Mutex(string) driver.Mutex { return Mutex{} }

// SkipLocks reports true: a region on the null driver takes no lock at
// all, so every caller of GetOrCreate runs its creator at once instead of
// queueing behind a value that will never be stored.
func (Driver) SkipLocks() bool { return true }

// Mutex is the null driver's mutex: every acquisition succeeds at once.
type Mutex struct{}

// TryLock reports true without excluding anyone.
func (Mutex) TryLock(context.Context) (bool, error) { return true, nil }

// Lock returns nil at once, even if ctx is done: there is nothing to wait for.
func (Mutex) Lock(context.Context) error { return nil }

// Unlock returns nil.
func (Mutex) Unlock(context.Context) error { return nil }

var _ driver.CASDriver = Driver{}

// GetCAS always returns region.ErrNotFound.
func (Driver) GetCAS(context.Context, string) ([]byte, driver.CASToken, error) {
	return nil, "", region.ErrNotFound
}

// CompareAndSet with the empty token (add) succeeds and stores nothing, as
// Set does; with any other token it returns region.ErrConflict, since
// nothing is ever stored to compare with.
func (Driver) CompareAndSet(_ context.Context, key string, token driver.CASToken, _ []byte, _ time.Duration) error {
	if token != "" {
		return fmt.Errorf("null driver: key %q: %w (nothing is stored)", key, region.ErrConflict)
	}
	return nil
}
