package driver

import (
	"context"
	"time"
)

// Mutex is a lock on one key, used by the dogpile lock so that one caller
// regenerates a value. A Mutex is obtained from Locker.Mutex or
// (*region.Region).Mutex; one value is used by one caller at a time.
type Mutex interface {
	// TryLock acquires the lock if it is free and reports whether it did.
	// It never waits for another holder. A lock held by anyone, this Mutex
	// value included, is not free: TryLock then returns false, nil. An
	// error means the lock service failed (the caller then holds nothing).
	TryLock(ctx context.Context) (bool, error)

	// Lock waits until the lock is acquired, or until ctx is done, in
	// which case it returns ctx.Err() (wrapped) and holds nothing.
	Lock(ctx context.Context) error

	// Unlock releases a lock acquired by TryLock or Lock on this value.
	// It releases even when ctx is already done, within the bound of
	// UnlockContext (ctx's deadline plus UnlockGrace). Releasing a lock
	// that expired must not release another holder's lock, and returns an
	// error wrapping ErrLockLost. Unlock of a Mutex that holds nothing is
	// an error.
	Unlock(ctx context.Context) error
}

// Locker is an optional driver capability: a mutex per key shared by every
// process that uses the same store (memcached add, redis SET NX, file
// locks). Drivers without it get an in-process mutex from the region. When
// the driver has one, the region still takes its in-process mutex first, so
// that within one process a single goroutine per key contends for the
// store's lock and the others wait in memory.
type Locker interface {
	// Mutex returns a new, unlocked mutex whose lock lives under key. The
	// region chooses key, in its reserved namespace ("~gs:lock:" + the
	// store key it guards), so that it is never a key data is stored
	// under; a driver uses it as given (mapping it only as it maps any key
	// it cannot hold). Mutex does not touch the store; acquiring does.
	Mutex(key string) Mutex
}

// DogpileLocker is an optional driver capability, beside Locker: Python
// dogpile.cache's own distributed lock protocol on the driver's store
// (memcached: add and delete; redis: redis-py's Lock). A region of
// region.FormatDogpile whose driver is a Locker takes its locks with
// DogpileMutex, so that Go and Python processes exclude each other; other
// regions never call it.
type DogpileLocker interface {
	// DogpileMutex returns a new, unlocked mutex whose lock lives under
	// key, taken and released as dogpile.cache does on this store. The
	// region chooses key (dogpile's "_lock" + the store key); the driver
	// uses it as given. It does not touch the store; acquiring does.
	DogpileMutex(key string) Mutex
}

// LockSkipper is an optional driver capability for drivers that store
// nothing (the null driver): when SkipLocks reports true the region takes
// no lock at all in GetOrCreate and every caller runs its creator, as
// dogpile's NullLock does, so switching caching off never serializes
// callers. (It replaces region.LockFree, whose method was LockFree.)
type LockSkipper interface {
	// SkipLocks reports whether the region should skip locking entirely.
	SkipLocks() bool
}

// UnlockGrace bounds how long releasing a lock may keep its caller past
// the caller's deadline. A release must happen even when the caller's
// context is already done (a cancelled request must not leave its lock to
// block everyone until it expires), so it cannot simply use that context;
// but a release on a hung lock service (a stopped redis or memcached) must
// not hold the caller for the driver's full network timeouts either. So
// every release, the region's and the drivers' own Mutex.Unlock, runs
// under UnlockContext: it ends at the caller's deadline plus UnlockGrace,
// or UnlockGrace after it starts when that is later or there is no
// deadline. A release cut short leaves the lock to expire on its own
// (lock_timeout) and is reported as an error.
//
// 250ms is two orders of magnitude above a release's round trip on a
// healthy network, and short enough not to matter to a caller whose own
// deadline has passed.
const UnlockGrace = 250 * time.Millisecond

// unlockKey marks a context made by UnlockContext.
type unlockKey struct{}

// UnlockContext returns the context to release a lock with, given the
// context of the caller that holds it: it keeps ctx's values, is not
// cancelled when ctx is, and has the deadline max(ctx's deadline, now) +
// UnlockGrace (now + UnlockGrace when ctx has none). Given a context it
// made itself it returns it unchanged, so that layers (the region's
// release, then the driver's Unlock) do not add their graces up. Call the
// CancelFunc when the release is done.
//
// Drivers call it at the start of Mutex.Unlock, so that their mutexes used
// directly keep the same bound.
func UnlockContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Value(unlockKey{}) != nil {
		return ctx, func() {}
	}
	end := time.Now()
	if d, ok := ctx.Deadline(); ok && d.After(end) {
		end = d
	}
	uctx := context.WithValue(context.WithoutCancel(ctx), unlockKey{}, true)
	return context.WithDeadline(uctx, end.Add(UnlockGrace))
}
