package memcached

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
)

// twoClients returns two drivers on the same server, standing for two
// processes: they share nothing but memcached.
func twoClients(t *testing.T, cfg Config) (*LockingDriver, *LockingDriver) {
	t.Helper()
	srv := testserver.Memcached(t)
	cfg.Servers = []string{srv.Addr}
	return newTestDriver(t, cfg).Locking(), newTestDriver(t, cfg).Locking()
}

func TestLockExclusiveAcrossClients(t *testing.T) {
	a, b := twoClients(t, Config{})
	regiontest.RunLockerPair(t, a, b, "pair:")

	ctx := t.Context()
	ma, mb := a.Mutex("res"), b.Mutex("res")
	if ok, err := ma.TryLock(ctx); !ok || err != nil {
		t.Fatalf("A TryLock = %v, %v", ok, err)
	}
	if locked, err := mb.(*Mutex).Locked(ctx); !locked || err != nil {
		t.Fatalf("Locked while A holds = %v, %v", locked, err)
	}
	if ok, _ := ma.TryLock(ctx); ok {
		t.Fatal("TryLock by the holder itself succeeded again")
	}
	if err := mb.Unlock(ctx); err == nil {
		t.Fatal("Unlock by a Mutex that does not hold the lock succeeded")
	}
	if err := ma.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if locked, err := mb.(*Mutex).Locked(ctx); locked || err != nil {
		t.Fatalf("Locked after release = %v, %v", locked, err)
	}
	// A released lock is taken over at once, by either client.
	for i := range 4 {
		l := a
		if i%2 == 1 {
			l = b
		}
		m := l.Mutex("res")
		if ok, err := m.TryLock(ctx); !ok || err != nil {
			t.Fatalf("TryLock of a released lock = %v, %v", ok, err)
		}
		if err := m.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLockStampede has goroutines on two clients take one lock in turn:
// never two inside at once.
func TestLockStampede(t *testing.T) {
	a, b := twoClients(t, Config{LockSleep: 20 * time.Millisecond})
	var inside, max, entered atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			for range 5 {
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				m := l.Mutex("stampede")
				err := m.Lock(ctx)
				cancel()
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				for {
					old := max.Load()
					if n <= old || max.CompareAndSwap(old, n) {
						break
					}
				}
				entered.Add(1)
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				if err := m.Unlock(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if max.Load() != 1 || entered.Load() != 40 {
		t.Fatalf("max holders at once %d (want 1), entries %d (want 40)", max.Load(), entered.Load())
	}
}

// TestLockExpiresAfterTimeout: a holder that never unlocks (a dead
// process) blocks others for lock_timeout only.
func TestLockExpiresAfterTimeout(t *testing.T) {
	a, b := twoClients(t, Config{LockTimeout: time.Second})
	ctx := t.Context()
	if ok, err := a.Mutex("dead").TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	start := time.Now()
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	mb := b.Mutex("dead")
	if err := mb.Lock(lctx); err != nil {
		t.Fatalf("Lock of a lock whose holder vanished: %v after %v", err, time.Since(start))
	}
	t.Logf("taken over after %v", time.Since(start))
	if err := mb.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestStaleHolderCannotUnlock: a holder whose lock expired and was taken
// by another must not release the new holder's lock.
func TestStaleHolderCannotUnlock(t *testing.T) {
	a, b := twoClients(t, Config{LockTimeout: time.Second})
	ctx := t.Context()
	stale := a.Mutex("stale")
	if ok, err := stale.TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	fresh := b.Mutex("stale")
	if err := fresh.Lock(lctx); err != nil {
		t.Fatal(err)
	}
	if err := stale.Unlock(ctx); err != nil {
		t.Fatalf("Unlock of a lost lock: %v; want nil (nothing to release)", err)
	}
	if ok, err := a.Mutex("stale").TryLock(ctx); ok || err != nil {
		t.Fatalf("TryLock after the stale holder's Unlock = %v, %v; want false: the new holder still holds it", ok, err)
	}
	if err := fresh.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.Mutex("stale").TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock after the new holder's Unlock = %v, %v", ok, err)
	}
}

// TestLockWithoutCAS covers servers started with -C (no compare-and-swap):
// locking still excludes, and release falls back to a checked delete.
func TestLockWithoutCAS(t *testing.T) {
	srv := testserver.Memcached(t, "-C")
	cfg := Config{Servers: []string{srv.Addr}}
	a, b := newTestDriver(t, cfg).Locking(), newTestDriver(t, cfg).Locking()
	ctx := t.Context()
	ma := a.Mutex("nocas")
	if ok, err := ma.TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	if ok, err := b.Mutex("nocas").TryLock(ctx); ok || err != nil {
		t.Fatalf("second TryLock = %v, %v; want false", ok, err)
	}
	if err := ma.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	mb := b.Mutex("nocas")
	if ok, err := mb.TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock after release = %v, %v", ok, err)
	}
	if err := mb.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestLockKeys: the lock of a key is not the key's item, and long keys
// lock too.
func TestLockKeys(t *testing.T) {
	srv := testserver.Memcached(t)
	d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
	ctx := t.Context()
	for _, k := range []string{"plain", string(make([]byte, 400)), "with space"} {
		if err := d.Set(ctx, k, []byte("value"), 0); err != nil {
			t.Fatal(err)
		}
		m := d.DistributedMutex(k)
		if ok, err := m.TryLock(ctx); !ok || err != nil {
			t.Fatalf("TryLock(%q) = %v, %v", k, ok, err)
		}
		if v, err := d.Get(ctx, k); err != nil || string(v) != "value" {
			t.Fatalf("the lock changed the item: %q, %v", v, err)
		}
		raw := memcache.New(srv.Addr)
		it, err := raw.Get(m.Key())
		raw.Close()
		if err != nil || len(it.Value) == 0 {
			t.Fatalf("lock item %q: %v, %v", m.Key(), it, err)
		}
		if err := m.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var _ region.Mutex = d.DistributedMutex("x")
}

// TestLockCyclesAcrossReleasedItemExpiry runs lock/unlock cycles for longer
// than a released item lives (about a second), so that released items
// vanish between the read and the compare-and-swap of TryLock and Unlock:
// that must read as "free" or "already released", never as an error.
func TestLockCyclesAcrossReleasedItemExpiry(t *testing.T) {
	a, b := twoClients(t, Config{LockSleep: 5 * time.Millisecond})
	deadline := time.Now().Add(2500 * time.Millisecond)
	var wg sync.WaitGroup
	var cycles atomic.Int64
	for i := range 4 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			for time.Now().Before(deadline) {
				m := l.Mutex("cycle")
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				err := m.Lock(ctx)
				cancel()
				if err != nil {
					t.Error("lock:", err)
					return
				}
				if err := m.Unlock(context.Background()); err != nil {
					t.Error("unlock:", err)
					return
				}
				cycles.Add(1)
				if i == 0 {
					time.Sleep(time.Duration(cycles.Load()%7) * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	if cycles.Load() == 0 {
		t.Fatal("no lock cycles completed")
	}
}
