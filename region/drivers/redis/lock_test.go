package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

// lockers returns two independent drivers (two clients, as two processes
// would have) on s with the distributed lock on.
func lockers(t *testing.T, s *testserver.Server, args map[string]any) (driver.Locker, driver.Locker) {
	t.Helper()
	a := map[string]any{"distributed_lock": true, "lock_sleep": "2ms"}
	for k, v := range args {
		a[k] = v
	}
	return newDriver(t, s, a).(driver.Locker), newDriver(t, s, a).(driver.Locker)
}

func TestLockExclusiveAcrossDrivers(t *testing.T) {
	s := testserver.Redis(t)
	l1, l2 := lockers(t, s, map[string]any{"key_prefix": "app:", "lock_timeout": "7s"})
	regiontest.RunLockerPair(t, l1, l2, "pair:")
	t.Run("Expiry", func(t *testing.T) {
		a, b := lockers(t, s, map[string]any{"lock_timeout": "200ms"})
		regiontest.RunLockExpiry(t, a, b, "exp:", 200*time.Millisecond)
	})

	ctx := t.Context()
	m1 := l1.Mutex("k")
	if ok, err := m1.TryLock(ctx); !ok || err != nil {
		t.Fatalf("first TryLock = %v, %v", ok, err)
	}
	if ok, err := l2.Mutex("other").TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock of another key = %v, %v; want true", ok, err)
	}
	// The region names lock keys (driver.Locker's contract): the lock
	// lives under key_prefix + key, with lock_timeout as PX.
	raw := rawClient(t, s.Addr, 0)
	if ttl := raw.PTTL(ctx, "app:k").Val(); ttl <= 6*time.Second || ttl > 7*time.Second {
		t.Errorf("PTTL(app:k) = %v; want about 7s", ttl)
	}
	if err := m1.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if n := raw.Exists(ctx, "app:k").Val(); n != 0 {
		t.Error("lock key left after Unlock")
	}
}

// TestUnlockWithCancelledContext: a creator cancelled by its caller must
// not leave its lock behind until lock_timeout. (Waits that end with their
// context are checked by regiontest.RunLockerPair above.)
func TestUnlockWithCancelledContext(t *testing.T) {
	s := testserver.Redis(t)
	l1, l2 := lockers(t, s, nil)
	m1 := l1.Mutex("k")
	if ok, _ := m1.TryLock(t.Context()); !ok {
		t.Fatal("TryLock failed")
	}
	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	if err := m1.Unlock(cctx); err != nil {
		t.Fatalf("Unlock with a cancelled context: %v", err)
	}
	if ok, _ := l2.Mutex("k").TryLock(t.Context()); !ok {
		t.Error("lock not released by Unlock with a cancelled context")
	}
}

func TestLockExpiresAfterLockTimeout(t *testing.T) {
	s := testserver.Redis(t)
	l1, l2 := lockers(t, s, map[string]any{"lock_timeout": "300ms"})
	ctx := t.Context()
	if ok, _ := l1.Mutex("k").TryLock(ctx); !ok { // never unlocked
		t.Fatal("TryLock failed")
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := l2.Mutex("k").Lock(wctx); err != nil {
		t.Fatalf("Lock after the holder vanished: %v", err)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("Lock acquired after %v, before lock_timeout (300ms)", el)
	}
}

func TestStaleHolderCannotReleaseNewHolder(t *testing.T) {
	s := testserver.Redis(t)
	l1, l2 := lockers(t, s, map[string]any{"lock_timeout": "100ms"})
	ctx := t.Context()
	stale := l1.Mutex("k")
	if ok, _ := stale.TryLock(ctx); !ok {
		t.Fatal("TryLock failed")
	}
	current := l2.Mutex("k")
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := current.Lock(wctx); err != nil { // after the stale lock expired
		t.Fatal(err)
	}
	err := stale.Unlock(ctx)
	if !errors.Is(err, ErrLockLost) {
		t.Errorf("Unlock by the stale holder = %v; want ErrLockLost", err)
	}
	if ok, _ := l1.Mutex("k").TryLock(ctx); ok {
		t.Fatal("the stale holder's Unlock released the new holder's lock")
	}
	if err := current.Unlock(ctx); err != nil {
		t.Errorf("Unlock by the current holder: %v", err)
	}
}
