package regiontest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// waitLong bounds every wait that must end for the suite to pass; a
// driver that needs longer is broken for the dogpile lock anyway.
const waitLong = 10 * time.Second

// notYet is how long a blocked Lock is watched to make sure it does not
// return early. It only has to be long enough to catch a Lock that does
// not wait at all.
const notYet = 50 * time.Millisecond

func testLocker(t *testing.T, h *driverHarness) {
	l, ok := h.d.(driver.Locker)
	if !ok {
		t.Skip("driver does not implement driver.Locker (the region provides in-process mutexes)")
	}
	if h.opts.NullLock {
		testNullLock(t, h, l)
		return
	}
	runPair(t, lockPair{hold: l, wait: l, key: h.key})
	t.Run("KeysIndependent", func(t *testing.T) { testLockKeysIndependent(t, h, l) })
}

// lockPair is where the exclusion tests take their mutexes: the holder's
// from hold, the contenders' from wait (the same Locker, or two clients
// of one store standing for two processes).
type lockPair struct {
	hold, wait driver.Locker
	key        func(name string) string
}

func runPair(t *testing.T, p lockPair) {
	t.Run("TryLockExclusive", func(t *testing.T) { testTryLockExclusive(t, p) })
	t.Run("LockWaitsForUnlock", func(t *testing.T) { testLockWaits(t, p) })
	t.Run("LockHonoursDeadline", func(t *testing.T) { testLockCtx(t, p, true) })
	t.Run("LockHonoursCancel", func(t *testing.T) { testLockCtx(t, p, false) })
	t.Run("Threaded", func(t *testing.T) { testLockThreaded(t, p) })
}

// RunLockerPair checks that two Lockers on one store (two clients,
// standing for two processes) exclude each other: TryLock, Unlock by a
// mutex that holds nothing, Lock waiting for the other's Unlock, waits
// ending with their context, and goroutines of both clients taking one
// lock in turn. Keys start
// with keyPrefix, so that one store can serve several runs.
func RunLockerPair(t *testing.T, a, b driver.Locker, keyPrefix string) {
	runPair(t, lockPair{hold: a, wait: b, key: func(n string) string { return keyPrefix + n }})
}

func mustTry(t *testing.T, m driver.Mutex, want bool, what string) {
	t.Helper()
	got, err := m.TryLock(t.Context())
	if err != nil {
		t.Fatalf("%s: TryLock: %v", what, err)
	}
	if got != want {
		t.Fatalf("%s: TryLock = %v; want %v", what, got, want)
	}
}

func mustUnlock(t *testing.T, m driver.Mutex, what string) {
	t.Helper()
	if err := m.Unlock(t.Context()); err != nil {
		t.Fatalf("%s: Unlock: %v", what, err)
	}
}

// mustNotUnlock checks that Unlock of a mutex that holds nothing fails
// (driver.Mutex's contract).
func mustNotUnlock(t *testing.T, m driver.Mutex, what string) {
	t.Helper()
	if err := m.Unlock(t.Context()); err == nil {
		t.Fatalf("%s: Unlock succeeded; want an error (the mutex holds nothing)", what)
	}
}

func testNullLock(t *testing.T, h *driverHarness, l driver.Locker) {
	k := h.key("lock")
	m1, m2 := l.Mutex(k), l.Mutex(k)
	mustTry(t, m1, true, "first holder")
	mustTry(t, m2, true, "second holder of a null lock")
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	if err := l.Mutex(k).Lock(ctx); err != nil {
		t.Fatalf("Lock of a null lock held twice: %v; want nil at once", err)
	}
	mustUnlock(t, m1, "first holder")
	mustUnlock(t, m2, "second holder")
}

func testTryLockExclusive(t *testing.T, p lockPair) {
	k := p.key("lock_try")
	m1, m2 := p.hold.Mutex(k), p.wait.Mutex(k)
	mustTry(t, m1, true, "free lock")
	mustTry(t, m1, false, "TryLock by the holder itself (the lock is not free)")
	mustTry(t, m2, false, "lock held by another mutex value")
	mustNotUnlock(t, m2, "mutex that did not get the lock")
	mustUnlock(t, m1, "holder")
	mustNotUnlock(t, m1, "holder that already released the lock")
	mustTry(t, m2, true, "lock released by its holder")
	mustTry(t, p.hold.Mutex(k), false, "lock held by the second mutex value")
	mustUnlock(t, m2, "second holder")
	// Released for good: a fresh value can take it with Lock.
	m3 := p.hold.Mutex(k)
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	if err := m3.Lock(ctx); err != nil {
		t.Fatalf("Lock of a free lock: %v", err)
	}
	mustUnlock(t, m3, "third holder")
}

func testLockWaits(t *testing.T, p lockPair) {
	k := p.key("lock_wait")
	holder := p.hold.Mutex(k)
	mustTry(t, holder, true, "free lock")
	done := make(chan error, 1)
	waiter := p.wait.Mutex(k)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		done <- waiter.Lock(ctx)
	}()
	select {
	case err := <-done:
		t.Fatalf("Lock returned %v while another mutex held the lock; want it to wait", err)
	case <-time.After(notYet):
	}
	mustUnlock(t, holder, "holder")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Lock after the holder's Unlock: %v", err)
		}
	case <-time.After(waitLong):
		t.Fatalf("Lock still waiting %s after the holder's Unlock", waitLong)
	}
	mustTry(t, p.hold.Mutex(k), false, "lock taken by the waiter")
	mustUnlock(t, waiter, "waiter")
	m := p.hold.Mutex(k)
	mustTry(t, m, true, "lock released by the waiter")
	mustUnlock(t, m, "last holder")
}

// unlockLater unlocks the last holder in tests that leave the lock held.
func unlockLater(t *testing.T, m driver.Mutex) {
	t.Cleanup(func() { _ = m.Unlock(context.Background()) })
}

func testLockCtx(t *testing.T, p lockPair, deadline bool) {
	k := p.key(fmt.Sprintf("lock_ctx_%v", deadline))
	holder := p.hold.Mutex(k)
	mustTry(t, holder, true, "free lock")
	var ctx context.Context
	var cancel context.CancelFunc
	var want error
	if deadline {
		ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
		want = context.DeadlineExceeded
	} else {
		ctx, cancel = context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		want = context.Canceled
	}
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	waiter := p.wait.Mutex(k)
	go func() { done <- waiter.Lock(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, want) {
			t.Fatalf("Lock with a held lock and a done context = %v; want an error matching %v", err, want)
		}
	case <-time.After(waitLong):
		t.Fatalf("Lock ignored its context: still waiting %s after it was done", waitLong)
	}
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Fatalf("Lock returned after %s, before its context was done", el)
	}
	// The waiter holds nothing: once the holder lets go the lock is free.
	mustUnlock(t, holder, "holder")
	m := p.hold.Mutex(k)
	mustTry(t, m, true, "lock after a waiter gave up")
	mustUnlock(t, m, "new holder")

	// A context that is already done fails at once on a held lock.
	mustTry(t, holder, true, "free lock")
	unlockLater(t, holder)
	dead, cancelDead := context.WithCancel(t.Context())
	cancelDead()
	if err := p.wait.Mutex(k).Lock(dead); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a cancelled context on a held lock = %v; want context.Canceled", err)
	}
}

func testLockKeysIndependent(t *testing.T, h *driverHarness, l driver.Locker) {
	a, b := l.Mutex(h.key("A")), l.Mutex(h.key("B"))
	mustTry(t, a, true, "lock A")
	unlockLater(t, a)
	mustTry(t, b, true, "lock B while A is held")
	mustTry(t, l.Mutex(h.key("B")), false, "lock B held")
	mustUnlock(t, b, "B")
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	b2 := l.Mutex(h.key("B"))
	if err := b2.Lock(ctx); err != nil {
		t.Fatalf("Lock B while A is held: %v", err)
	}
	mustUnlock(t, b2, "B")
	mustTry(t, l.Mutex(h.key("A")), false, "lock A still held")
}

// testLockThreaded has goroutines take one lock in turn, half of them
// from each Locker of the pair, and checks that no two are ever inside at
// once (dogpile's test_mutex_threaded).
func testLockThreaded(t *testing.T, p lockPair) {
	k := p.key("lock_threaded")
	const workers, rounds = 8, 5
	var inside, overlaps, entered atomic.Int32
	concurrently(t, workers, func(g int) error {
		l := p.hold
		if g%2 == 1 {
			l = p.wait
		}
		for range rounds {
			ctx, cancel := context.WithTimeout(t.Context(), waitLong)
			m := l.Mutex(k)
			err := m.Lock(ctx)
			cancel()
			if err != nil {
				return err
			}
			if inside.Add(1) > 1 {
				overlaps.Add(1)
			}
			entered.Add(1)
			time.Sleep(2 * time.Millisecond)
			inside.Add(-1)
			if err := m.Unlock(context.Background()); err != nil {
				return err
			}
		}
		return nil
	})
	if n := overlaps.Load(); n > 0 {
		t.Errorf("%d times two holders were inside the same lock", n)
	}
	if n := entered.Load(); n != workers*rounds && !t.Failed() {
		t.Errorf("lock entered %d times; want %d", n, workers*rounds)
	}
}

// RunLockExpiry checks how a lock that outlived its expiry is released,
// with two Lockers on one store whose locks expire after lockTimeout (the
// driver's lock_timeout; memcached's may run up to two seconds over): a
// holder whose lock expired gets an error wrapping region.ErrLockLost from
// Unlock, whether or not someone took the lock meanwhile, and its Unlock
// leaves the new holder's lock alone.
func RunLockExpiry(t *testing.T, a, b driver.Locker, keyPrefix string, lockTimeout time.Duration) {
	t.Run("ExpiredNotTaken", func(t *testing.T) {
		k := keyPrefix + "expired_free"
		m := a.Mutex(k)
		mustTry(t, m, true, "free lock")
		waitFree(t, b, k, lockTimeout)
		if err := m.Unlock(t.Context()); !errors.Is(err, region.ErrLockLost) {
			t.Fatalf("Unlock of an expired lock = %v; want region.ErrLockLost", err)
		}
	})
	t.Run("ExpiredAndTaken", func(t *testing.T) {
		k := keyPrefix + "expired_taken"
		stale := a.Mutex(k)
		mustTry(t, stale, true, "free lock")
		ctx, cancel := context.WithTimeout(t.Context(), lockTimeout+waitLong)
		defer cancel()
		current := b.Mutex(k)
		if err := current.Lock(ctx); err != nil {
			t.Fatalf("Lock after the first holder's lock expired: %v", err)
		}
		if err := stale.Unlock(t.Context()); !errors.Is(err, region.ErrLockLost) {
			t.Fatalf("Unlock by the holder whose lock expired = %v; want region.ErrLockLost", err)
		}
		mustTry(t, a.Mutex(k), false, "lock of the new holder after the stale holder's Unlock")
		mustUnlock(t, current, "new holder")
	})
}

// waitFree waits until l can take the lock k (then releases it): the lock
// of another holder has expired.
func waitFree(t *testing.T, l driver.Locker, k string, lockTimeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(lockTimeout + waitLong)
	for {
		m := l.Mutex(k)
		ok, err := m.TryLock(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			mustUnlock(t, m, "probe")
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lock %q still held %v after its %v lock timeout", k, waitLong, lockTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchLockUnlock measures the cost a driver's lock adds to one
// regeneration: an uncontended TryLock of a mutex of l, then its Unlock.
func BenchLockUnlock(b *testing.B, l driver.Locker) {
	b.Helper()
	ctx := b.Context()
	for b.Loop() {
		m := l.Mutex("bench-lock")
		if ok, err := m.TryLock(ctx); !ok || err != nil {
			b.Fatal(ok, err)
		}
		if err := m.Unlock(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
