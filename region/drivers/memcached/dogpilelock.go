package memcached

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/gosess/gosess/internal/backoff"
	"github.com/gosess/gosess/region/driver"
)

// pyIntFlags are the memcached flags pymemcache's default serde gives an
// int, as dogpile's MemcachedLock stores the int 1.
const pyIntFlags = 2

var _ driver.DogpileLocker = (*LockingDriver)(nil)

// DogpileMutex implements driver.DogpileLocker: a lock taken and released
// as Python dogpile.cache's MemcachedLock does, so that Go regions of
// region.FormatDogpile and Python regions with distributed_lock exclude
// each other. The region passes dogpile's lock key ("_lock" + the store
// key); see DogpileMutex.
func (l *LockingDriver) DogpileMutex(key string) driver.Mutex {
	return &DogpileMutex{d: l.Driver, key: storeKey(key)}
}

// DogpileMutex is a distributed lock in dogpile.cache's memcached
// protocol: TryLock adds the lock item with the value 1 (flags 2, the int
// 1 as pymemcache stores it) and a life of Config.LockTimeout, Unlock
// deletes it, and Locked reports whether it exists.
//
// That protocol gives up what gosess's own Mutex guarantees: Unlock
// deletes the item without checking who holds it, so a holder whose lock
// outlived LockTimeout, and was then taken by someone else, releases that
// other holder's lock. Keep LockTimeout above the slowest creator, on the
// Python side too (dogpile's default there is no timeout at all).
type DogpileMutex struct {
	d   *Driver
	key string

	mu   sync.Mutex
	held bool
}

// Key returns the memcached key of the lock item.
func (m *DogpileMutex) Key() string { return m.key }

// TryLock takes the lock if its item is absent; it never waits. TryLock
// on a DogpileMutex that holds its lock returns false.
func (m *DogpileMutex) TryLock(ctx context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held {
		return false, nil
	}
	done, err := m.d.begin(ctx, "lock")
	if err != nil {
		return false, err
	}
	defer done()
	err = m.d.client.Add(&memcache.Item{Key: m.key, Value: []byte("1"), Flags: pyIntFlags,
		Expiration: expiry(m.d.cfg.LockTimeout, time.Now())})
	switch {
	case err == nil:
		m.held = true
		return true, nil
	case errors.Is(err, memcache.ErrNotStored):
		return false, nil
	}
	return false, m.err("add", err)
}

// Lock waits until it takes the lock or ctx is done, then returns an error
// wrapping ctx.Err() and holds nothing. It waits between attempts as Mutex
// does (internal/backoff.ForLockSleep: Config.LockSleep is the longest
// wait). A failing server ends the wait with its error.
func (m *DogpileMutex) Lock(ctx context.Context) error {
	return backoff.WaitForLock(ctx, m.d.cfg.LockSleep, m.TryLock, "memcached", m.key)
}

// Unlock deletes the lock item, even when ctx is already done (a creator
// cancelled by its caller must not leave its lock behind), under
// driver.UnlockContext like every release. It does not check who holds the
// lock (see DogpileMutex), so it cannot report region.ErrLockLost. It is an
// error to unlock a DogpileMutex that does not hold its lock.
func (m *DogpileMutex) Unlock(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.held {
		return fmt.Errorf("memcached: unlock %q: %w", m.key, errNotHeld)
	}
	m.held = false
	ctx, done, err := m.d.beginRelease(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := m.d.delete(m.key); err != nil {
		return m.err("delete", err)
	}
	return nil
}

// Locked reports whether anyone holds the lock now (dogpile's locked()).
func (m *DogpileMutex) Locked(ctx context.Context) (bool, error) {
	done, err := m.d.begin(ctx, "locked")
	if err != nil {
		return false, err
	}
	defer done()
	if _, err := m.d.client.Get(m.key); err != nil {
		if errors.Is(err, memcache.ErrCacheMiss) {
			return false, nil
		}
		return false, m.err("get", err)
	}
	return true, nil
}

func (m *DogpileMutex) err(op string, err error) error {
	return fmt.Errorf("memcached: lock %q: %s: %w", m.key, op, err)
}
