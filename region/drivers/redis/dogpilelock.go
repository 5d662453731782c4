package redis

import (
	"context"
	"fmt"

	"github.com/gosess/gosess/region/driver"
)

var _ driver.DogpileLocker = LockingDriver{}

// DogpileMutex implements driver.DogpileLocker. gosess's redis lock is
// already the protocol of redis-py's Lock, which dogpile.cache's redis
// backend uses: SET key token NX PX lock_timeout with a random token,
// released by a Lua script that deletes the key only while it still holds
// that token. So the mutex is Mutex's, under the key the region passes
// (dogpile's "_lock" + the store key), plus Locked (dogpile's
// key_is_locked, asked by (*region.Region).KeyIsLocked). Python and Go
// holders exclude each other; a token is opaque to the other side and
// only ever compared by its owner.
//
// Two settings differ in their defaults: redis-py's lock has no timeout
// unless dogpile's lock_timeout is given (a Python holder that dies blocks
// the key until the lock is deleted by hand), and waits a fixed lock_sleep
// of 0.1s between attempts.
func (l LockingDriver) DogpileMutex(key string) driver.Mutex {
	return dogpileMutex{&mutex{d: l.Driver, key: l.prefix + key}}
}

// dogpileMutex is a mutex that also reports whether anyone holds it.
type dogpileMutex struct{ *mutex }

// Locked reports whether the lock key exists: someone, in either
// language, holds the lock.
func (m dogpileMutex) Locked(ctx context.Context) (bool, error) {
	n, err := m.d.client.Exists(ctx, m.key).Result()
	if err != nil {
		return false, fmt.Errorf("redis: lock %q: exists: %w", m.key, err)
	}
	return n == 1, nil
}
