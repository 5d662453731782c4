// Package backoff is the one wait-and-retry loop of gosess: every driver
// and backend that polls (a lock held by someone else, a compare-and-set
// that lost a race) waits between its attempts with Policy.Poll, so that
// waits grow, spread out and end the same way everywhere.
package backoff

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Policy says how long to wait between attempts: First after the first
// attempt, then twice as long each time, up to Max. Each wait is jittered
// to between half and all of its length, so that waiters started together
// do not retry together. A Policy is a value; the zero Policy retries
// without waiting (for tests), and First > Max means Max.
type Policy struct {
	// First is the wait after the first failed attempt.
	First time.Duration
	// Max is the longest wait between two attempts: the longest a waiter
	// can be late in noticing that what it waits for became possible.
	Max time.Duration
}

// LockSleepFraction is how much shorter than lock_sleep the first wait of
// a lock waiter is (see ForLockSleep).
const LockSleepFraction = 16

// ForLockSleep is the policy of every driver and backend that waits for a
// busy lock, and so the one meaning of their lock_sleep argument:
// lock_sleep is the longest wait between two attempts to take the lock,
// which is also the longest a waiter can be late in noticing that the lock
// was released. The first wait is lock_sleep/16; each wait after it is
// twice the one before, up to lock_sleep; every wait is jittered to
// between half and all of its length. With the drivers' default of 100ms
// a waiter tries again after 3 to 6ms, then 6 to 12ms, and so on, and at
// least every 100ms once the lock has been busy for a few hundred
// milliseconds.
func ForLockSleep(lockSleep time.Duration) Policy {
	return Policy{First: lockSleep / LockSleepFraction, Max: lockSleep}
}

// WaitForLock is the Lock of the drivers' distributed mutexes: it polls
// tryLock with ForLockSleep(lockSleep) until tryLock takes the lock. A
// failing tryLock ends the wait with its error. When ctx ends first, the
// error wraps ctx.Err() and names the lock, as
// `redis: waiting for lock "k": context deadline exceeded` for the
// driver "redis" and the key "k".
func WaitForLock(ctx context.Context, lockSleep time.Duration, tryLock func(context.Context) (bool, error), driver, key string) error {
	err := ForLockSleep(lockSleep).Poll(ctx, tryLock)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%s: waiting for lock %q: %w", driver, key, ctx.Err())
	}
	return err
}

// Poll calls try until it reports done or returns an error, waiting as p
// says between attempts; the first attempt is made at once. It returns nil
// when try is done, try's error when it fails, and ctx.Err() when ctx ends
// first (its cause, if any, is in context.Cause(ctx)). try is given ctx.
func (p Policy) Poll(ctx context.Context, try func(context.Context) (done bool, err error)) error {
	wait := min(p.First, p.Max)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		done, err := try(ctx)
		if err != nil || done {
			return err
		}
		d := Jitter(wait)
		if d <= 0 {
			continue
		}
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		wait = min(2*wait, p.Max)
	}
}

// Jitter returns a random duration between d/2 and d (d itself when d is
// under 2ns).
func Jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}
