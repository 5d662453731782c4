package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/region"
)

// ErrLockLost is returned (wrapped) by Unlock when the lock key no longer
// holds this mutex's token: it expired after LockTimeout, and possibly
// another holder took it (that holder's lock is left alone). It means the
// creator ran longer than LockTimeout.
var ErrLockLost = errors.New("redis: lock expired before unlock")

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
func (d *Driver) NewMutex(key string) region.Mutex {
	return &mutex{d: d, key: d.prefix + d.lockPrefix + key}
}

// mutex is one caller's handle on a lock key.
type mutex struct {
	d     *Driver
	key   string
	mu    sync.Mutex
	token string // non-empty while held
}

// TryLock takes the lock if no one holds it; it never waits.
func (m *mutex) TryLock(ctx context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token != "" {
		return false, fmt.Errorf("redis: lock %q already held by this mutex", m.key)
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

// Lock polls TryLock until it succeeds or ctx ends. The wait between
// attempts starts at LockSleep and grows by half each time up to
// 10 × LockSleep, each wait shortened by a random part of up to half so
// that waiters spread out.
func (m *mutex) Lock(ctx context.Context) error {
	wait, maxWait := m.d.lockSleep, 10*m.d.lockSleep
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("redis: waiting for lock %q: %w", m.key, err)
		}
		ok, err := m.TryLock(ctx)
		if ok {
			return nil
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return fmt.Errorf("redis: waiting for lock %q: %w", m.key, ctxErr)
			}
			return err
		}
		sleep := wait - time.Duration(mrand.Int64N(int64(wait/2)+1))
		if timer == nil {
			timer = time.NewTimer(sleep)
		} else {
			timer.Reset(sleep)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redis: waiting for lock %q: %w", m.key, ctx.Err())
		case <-timer.C:
		}
		wait = min(wait+wait/2, maxWait)
	}
}

// Unlock releases the lock if it still holds this mutex's token. It runs
// even when ctx is already cancelled (a creator's request may be gone by
// then, and leaving the lock would block others for LockTimeout), bounded
// by LockTimeout, after which the key expires anyway.
func (m *mutex) Unlock(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token == "" {
		return fmt.Errorf("redis: unlock of lock %q that is not held", m.key)
	}
	token := m.token
	m.token = ""
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.d.lockTimeout)
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
