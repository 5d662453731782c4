package memcached

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gosess/gosess/internal/backoff"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// LockingDriver is a Driver that also implements driver.Locker, so that a
// region's dogpile lock is shared by every process using the same
// memcached servers. The registered factory returns one when the argument
// distributed_lock is true; build one from a Driver with Locking.
type LockingDriver struct {
	*Driver
}

var _ driver.Locker = (*LockingDriver)(nil)

// Locking returns d as a driver.Locker. The two values share the client:
// closing either closes both.
func (d *Driver) Locking() *LockingDriver { return &LockingDriver{d} }

// Mutex implements driver.Locker: a Mutex whose lock item is key itself
// (the region names its lock keys, in its reserved namespace), rewritten as
// StoreKey rewrites any key memcached cannot hold.
func (l *LockingDriver) Mutex(key string) driver.Mutex {
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
// memory pressure, like any item; the lock then stops excluding others
// (and its holder's Unlock reports region.ErrLockLost).
func (d *Driver) DistributedMutex(key string) *Mutex {
	return &Mutex{d: d, key: lockKey(key)}
}

// Mutex is a distributed lock on one key; see DistributedMutex. It
// implements driver.Mutex. One Mutex value is used by one caller at a
// time, but its methods are safe to call concurrently.
//
// The lock speaks memcached's meta protocol (memcached 1.6 or later), one
// round trip to take the lock and one to release it:
//
//	take     ms <key> <n> T<lock_timeout> ME c   add the item (a random token),
//	                                              and return its CAS id
//	release  md <key> C<id>                       delete it only if it still has
//	                                              that CAS id
//	locked   mg <key> s                           is the item there?
//
// A lock that expired and was taken by someone else has another CAS id, so
// a late release leaves the new holder's lock alone. (The classic protocol
// needs five round trips for a cycle: add returns no CAS id, so the
// release is a gets and a cas to an empty "released" item, which the next
// add then finds in its way: add, gets, cas.)
type Mutex struct {
	d   *Driver
	key string

	mu    sync.Mutex
	token []byte // non-nil while held
	casID uint64 // the lock item's CAS id while held; 0 on a server without CAS
}

// Key returns the memcached key of the lock item.
func (m *Mutex) Key() string { return m.key }

// TryLock takes the lock if it is free and reports whether it did; it
// does not wait. A lock is free when its item is absent (never taken,
// released, expired or evicted); it is taken with one meta set in add mode
// (atomic on the server), which also returns the item's CAS id for the
// release. A lock held by anyone, this Mutex included, is not free:
// TryLock then returns false, nil.
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
	reply, err := m.d.meta.do(ctx, m.key, fmt.Sprintf("ms %s %d T%d ME c", m.key, len(token), exp), token)
	if err != nil {
		return false, m.err("ms", err)
	}
	switch reply.code {
	case "HD":
		id, _ := reply.flag('c')
		m.casID, _ = strconv.ParseUint(id, 10, 64)
		m.token = token
		return true, nil
	case "NS":
		return false, nil
	}
	return false, m.err("ms", fmt.Errorf("%w: %s", errMetaProtocol, reply.code))
}

// Lock waits until it takes the lock or ctx is done; then it returns an
// error wrapping ctx.Err() and holds nothing. It retries TryLock with
// internal/backoff's lock policy: lock_sleep (Config.LockSleep) is the
// longest wait between two attempts; the first is lock_sleep/16, and
// each wait doubles up to lock_sleep, jittered. A failing server ends the
// wait with its error.
func (m *Mutex) Lock(ctx context.Context) error {
	return backoff.WaitForLock(ctx, m.d.cfg.LockSleep, m.TryLock, "memcached", m.key)
}

// Unlock releases the lock if this Mutex still holds it: one meta delete
// that compares the item's CAS id with the one TryLock got, so a lock that
// expired and was taken by another holder in the meantime is left alone.
// That case, and a lock item that expired or was evicted, return an error
// wrapping region.ErrLockLost: the lock did not exclude others for the
// whole time it was held. Unlock also returns an error when the Mutex does
// not hold the lock, and when the server fails; the lock then expires after
// Config.LockTimeout.
//
// It releases even when ctx is done, under driver.UnlockContext: at most
// driver.UnlockGrace past ctx's deadline. On a server with CAS disabled
// (memcached -C) the release reads the item and deletes it if it still
// holds this Mutex's token: two round trips, with a short window in which
// an expired lock's new holder could be released.
func (m *Mutex) Unlock(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token == nil {
		return fmt.Errorf("memcached: unlock %q: %w", m.key, errNotHeld)
	}
	token, casID := m.token, m.casID
	m.token, m.casID = nil, 0
	ctx, done, err := m.d.beginRelease(ctx)
	if err != nil {
		return err
	}
	defer done()
	if casID == 0 {
		return m.unlockWithoutCAS(ctx, token)
	}
	reply, err := m.d.meta.do(ctx, m.key, fmt.Sprintf("md %s C%d", m.key, casID), nil)
	if err != nil {
		return m.err("md", err)
	}
	switch reply.code {
	case "HD":
		return nil
	case "NF", "EX":
		return m.lost()
	}
	return m.err("md", fmt.Errorf("%w: %s", errMetaProtocol, reply.code))
}

// unlockWithoutCAS is Unlock on a server that hands out no CAS ids: a
// read, and a delete if the item still holds token.
func (m *Mutex) unlockWithoutCAS(ctx context.Context, token []byte) error {
	reply, err := m.d.meta.do(ctx, m.key, "mg "+m.key+" v", nil)
	if err != nil {
		return m.err("mg", err)
	}
	if reply.code != "VA" || !bytes.Equal(reply.value, token) {
		return m.lost()
	}
	if reply, err = m.d.meta.do(ctx, m.key, "md "+m.key, nil); err != nil {
		return m.err("md", err)
	}
	if reply.code != "HD" {
		return m.lost()
	}
	return nil
}

func (m *Mutex) lost() error {
	return fmt.Errorf("memcached: unlock %q: %w (lock_timeout %v)", m.key, region.ErrLockLost, m.d.cfg.LockTimeout)
}

// Locked reports whether anyone (this Mutex or another client) holds the
// lock now: one meta get. (*region.Region).KeyIsLocked asks it. An empty
// item (the "released" marker of gosess versions before the meta-protocol
// lock) is not a lock.
func (m *Mutex) Locked(ctx context.Context) (bool, error) {
	done, err := m.d.begin(ctx, "locked")
	if err != nil {
		return false, err
	}
	defer done()
	reply, err := m.d.meta.do(ctx, m.key, "mg "+m.key+" s", nil)
	if err != nil {
		return false, m.err("mg", err)
	}
	switch reply.code {
	case "EN":
		return false, nil
	case "HD":
		size, _ := reply.flag('s')
		return size != "0", nil
	}
	return false, m.err("mg", fmt.Errorf("%w: %s", errMetaProtocol, reply.code))
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
