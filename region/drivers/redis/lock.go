package redis

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/internal/backoff"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// ErrLockLost is region.ErrLockLost, under the name this package had for
// it: Unlock returns it (wrapped) when the lock key no longer holds this
// mutex's token. It expired after LockTimeout, and possibly another holder
// took it (that holder's lock is left alone). It means the creator ran
// longer than LockTimeout.
var ErrLockLost = region.ErrLockLost

// unlockScript deletes the lock key only while it still holds the caller's
// token, so a holder whose lock expired cannot release its successor's.
var unlockScript = goredis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// NewMutex returns an unlocked distributed mutex on key, whether or not
// Config.DistributedLock is set (it decides only whether regions get it).
// The lock key is KeyPrefix + LockPrefix + key; taking it is
// SET lockkey token NX PX LockTimeout with a fresh random token, and
// releasing it deletes the key only if it still holds that token.
func (d *Driver) NewMutex(key string) driver.Mutex {
	return &mutex{d: d, key: d.prefix + d.lockPrefix + key}
}

// mutex is one caller's handle on a lock key.
type mutex struct {
	d     *Driver
	key   string
	mu    sync.Mutex
	token string // non-empty while held
}

// TryLock takes the lock if no one holds it; it never waits. A lock held
// by anyone, this mutex included, is not free: TryLock then returns false,
// nil.
func (m *mutex) TryLock(ctx context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token != "" {
		return false, nil
	}
	token := rand.Text()
	ok, err := m.d.client.SetNX(ctx, m.key, token, m.d.lockTimeout).Result()
	if err != nil {
		return false, fmt.Errorf("redis: lock %q: %w", m.key, err)
	}
	if ok {
		m.token = token
	}
	return ok, nil
}

// Lock polls TryLock until it succeeds or ctx ends, with internal/backoff's
// lock policy: LockSleep is the longest wait between two attempts; the
// first is LockSleep/16, and each wait doubles up to LockSleep, jittered so
// that waiters spread out.
func (m *mutex) Lock(ctx context.Context) error {
	return backoff.WaitForLock(ctx, m.d.lockSleep, m.TryLock, "redis", m.key)
}

// Unlock releases the lock if it still holds this mutex's token (one
// script round trip). It runs even when ctx is already cancelled (a
// creator's request may be gone by then, and leaving the lock would block
// others for LockTimeout), under driver.UnlockContext: at most
// driver.UnlockGrace past ctx's deadline, so a hung server does not hold
// the caller for the client's read timeouts. A lock that no longer holds
// the token (it expired) returns an error wrapping region.ErrLockLost.
func (m *mutex) Unlock(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token == "" {
		return fmt.Errorf("redis: unlock of lock %q that is not held", m.key)
	}
	token := m.token
	m.token = ""
	ctx, cancel := driver.UnlockContext(ctx)
	defer cancel()
	n, err := unlockScript.Run(ctx, m.d.client, []string{m.key}, token).Int()
	if err != nil {
		return fmt.Errorf("redis: unlock %q: %w", m.key, err)
	}
	if n == 0 {
		return fmt.Errorf("redis: unlock %q: %w (lock_timeout %v)", m.key, ErrLockLost, m.d.lockTimeout)
	}
	return nil
}
