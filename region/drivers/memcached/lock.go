package memcached

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/gosess/gosess/region"
)

// LockingDriver is a Driver that also implements region.Locker, so that a
// region's dogpile lock is shared by every process using the same
// memcached servers. The registered factory returns one when the argument
// distributed_lock is true; build one from a Driver with Locking.
type LockingDriver struct {
	*Driver
}

var _ region.Locker = (*LockingDriver)(nil)

// Locking returns d as a region.Locker. The two values share the client:
// closing either closes both.
func (d *Driver) Locking() *LockingDriver { return &LockingDriver{d} }

// Mutex implements region.Locker: a Mutex whose lock item is key itself
// (the region names its lock keys, in its reserved namespace), rewritten as
// StoreKey rewrites any key memcached cannot hold.
func (l *LockingDriver) Mutex(key string) region.Mutex {
	return &Mutex{d: l.Driver, key: storeKey(key)}
}

// DistributedMutex returns a new, unlocked lock on key, shared through
// memcached with every client of the same servers. It does not touch the
// servers; TryLock and Lock do.
//
// The lock is an item under the key "~gs:lock:" + the key's StoreKey (or
// a hash of it when that is too long), holding a random token. It lives
// Config.LockTimeout, rounded up to whole seconds, and up to one second
// more (see Driver.Set), so a holder that dies without unlocking blocks
// the key for at most that long. Memcached may also evict it early under
// memory pressure, like any item; the lock then stops excluding others.
func (d *Driver) DistributedMutex(key string) *Mutex {
	return &Mutex{d: d, key: lockKey(key)}
}

// Mutex is a distributed lock on one key; see DistributedMutex. It
// implements region.Mutex. One Mutex value is used by one caller at a
// time, but its methods are safe to call concurrently.
type Mutex struct {
	d   *Driver
	key string

	mu    sync.Mutex
	token []byte // non-nil while held
}

// Key returns the memcached key of the lock item.
func (m *Mutex) Key() string { return m.key }

// TryLock takes the lock if it is free and reports whether it did; it
// does not wait. A lock is free when its item is absent (never taken,
// expired, evicted) or released (see Unlock); it is taken with memcached
// "add", or with "cas" over a released lock, both atomic on the server.
// TryLock on a Mutex that already holds its lock returns false.
func (m *Mutex) TryLock(ctx context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token != nil {
		return false, nil
	}
	done, err := m.d.begin(ctx, "lock")
	if err != nil {
		return false, err
	}
	defer done()
	token := newToken()
	exp := expiry(m.d.cfg.LockTimeout, time.Now())
	c := m.d.client
	for attempt := 0; attempt < 2; attempt++ {
		err := c.Add(&memcache.Item{Key: m.key, Value: token, Expiration: exp})
		if err == nil {
			m.token = token
			return true, nil
		}
		if !errors.Is(err, memcache.ErrNotStored) {
			return false, m.err("add", err)
		}
		// Held, or released (an empty value). Take a released lock over
		// with a compare-and-swap, which fails if anyone got there first.
		it, err := c.Get(m.key)
		if errors.Is(err, memcache.ErrCacheMiss) {
			continue // it expired in between: try add once more
		}
		if err != nil {
			return false, m.err("get", err)
		}
		if len(it.Value) != 0 || it.CasID == 0 {
			return false, nil
		}
		it.Value, it.Expiration = token, exp
		err = c.CompareAndSwap(it)
		switch {
		case err == nil:
			m.token = token
			return true, nil
		case errors.Is(err, memcache.ErrCacheMiss):
			continue // the released item expired in between: try add once more
		case errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrNotStored):
			return false, nil
		}
		return false, m.err("cas", err)
	}
	return false, nil
}

// Lock waits until it takes the lock or ctx is done; then it returns an
// error wrapping ctx.Err() and holds nothing. Between attempts it sleeps
// 5ms, doubling up to Config.LockSleep, each sleep jittered to between
// half and all of its length. A failing server ends the wait with its
// error.
func (m *Mutex) Lock(ctx context.Context) error {
	sleep := min(firstLockSleep, m.d.cfg.LockSleep)
	for {
		ok, err := m.TryLock(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		wait := sleep/2 + mrand.N(sleep/2+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("memcached: lock %q: %w", m.key, ctx.Err())
		case <-t.C:
		}
		sleep = min(2*sleep, m.d.cfg.LockSleep)
	}
}

// Unlock releases the lock if this Mutex still holds it. It reads the
// lock item and, if it still carries this Mutex's token, replaces it with
// an empty "released" item by compare-and-swap, so a lock that expired
// and was taken by another holder in the meantime is left alone (the cas
// fails when the item changed since the read). A released item expires
// after a second; TryLock takes it over without waiting for that.
//
// Unlock returns nil when the lock was lost (expired, evicted or taken
// over): there is nothing left to release. It returns an error when the
// Mutex does not hold the lock, or when the server fails; the lock then
// expires after Config.LockTimeout. If the server runs with CAS disabled
// (memcached -C) the release is a plain delete after the token check,
// which leaves a short window in which an expired lock's new holder could
// be released.
func (m *Mutex) Unlock(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token == nil {
		return fmt.Errorf("memcached: unlock %q: %w", m.key, errNotHeld)
	}
	token := m.token
	m.token = nil
	// Release even when ctx is already done (a creator cancelled by its
	// caller must not leave the lock behind until it expires).
	done, err := m.d.begin(context.WithoutCancel(ctx), "unlock")
	if err != nil {
		return err
	}
	defer done()
	c := m.d.client
	it, err := c.Get(m.key)
	if errors.Is(err, memcache.ErrCacheMiss) {
		return nil
	}
	if err != nil {
		return m.err("get", err)
	}
	if string(it.Value) != string(token) {
		return nil
	}
	if it.CasID == 0 {
		if err := m.d.delete(m.key); err != nil {
			return m.err("delete", err)
		}
		return nil
	}
	it.Value, it.Expiration = nil, 1
	err = c.CompareAndSwap(it)
	if err == nil || errors.Is(err, memcache.ErrCASConflict) || errors.Is(err, memcache.ErrNotStored) ||
		errors.Is(err, memcache.ErrCacheMiss) {
		return nil // released, or already gone: nothing left to release
	}
	return m.err("cas", err)
}

// Locked reports whether anyone (this Mutex or another client) holds the
// lock now. (*region.Region).KeyIsLocked asks it.
func (m *Mutex) Locked(ctx context.Context) (bool, error) {
	done, err := m.d.begin(ctx, "locked")
	if err != nil {
		return false, err
	}
	defer done()
	it, err := m.d.client.Get(m.key)
	if errors.Is(err, memcache.ErrCacheMiss) {
		return false, nil
	}
	if err != nil {
		return false, m.err("get", err)
	}
	return len(it.Value) != 0, nil
}

var errNotHeld = errors.New("mutex is not locked")

func (m *Mutex) err(op string, err error) error {
	return fmt.Errorf("memcached: lock %q: %s: %w", m.key, op, err)
}

// newToken returns 16 random bytes in hex, unique to one acquisition.
func newToken() []byte {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return []byte(hex.EncodeToString(b[:]))
}
