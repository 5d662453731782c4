package memcached

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
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
	t.Run("Expiry", func(t *testing.T) {
		a, b := twoClients(t, Config{LockTimeout: time.Second})
		regiontest.RunLockExpiry(t, a, b, "exp:", time.Second)
	})

	ctx := t.Context()
	ma, mb := a.Mutex("res"), b.Mutex("res")
	if ok, err := ma.TryLock(ctx); !ok || err != nil {
		t.Fatalf("A TryLock = %v, %v", ok, err)
	}
	if locked, err := mb.(*Mutex).Locked(ctx); !locked || err != nil {
		t.Fatalf("Locked while A holds = %v, %v", locked, err)
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
		takeAndRelease(t, l.Mutex("res"), "a released lock")
	}
}

// takeAndRelease takes a free lock with TryLock and releases it.
func takeAndRelease(t *testing.T, m driver.Mutex, what string) {
	t.Helper()
	if ok, err := m.TryLock(t.Context()); !ok || err != nil {
		t.Fatalf("TryLock of %s = %v, %v", what, ok, err)
	}
	if err := m.Unlock(t.Context()); err != nil {
		t.Fatal(err)
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
	if err := stale.Unlock(ctx); !errors.Is(err, region.ErrLockLost) {
		t.Fatalf("Unlock of a lost lock: %v; want region.ErrLockLost", err)
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
	takeAndRelease(t, b.Mutex("nocas"), "a lock released without CAS")
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
	var _ driver.Mutex = d.DistributedMutex("x")
}

// TestLockCyclesAcrossReleasedItemExpiry runs lock/unlock cycles from two
// clients for longer than memcached's one-second expiry clock ticks (and
// than the "released" items of the former lock protocol lived): every
// cycle takes and releases the lock without an error.
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

// TestLockRoundTrips counts the round trips of the lock on the wire: one
// to take it, one to release it, one to find it busy, one to ask whether
// it is held.
func TestLockRoundTrips(t *testing.T) {
	srv := testserver.Memcached(t)
	p, err := testserver.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	l := newTestDriver(t, Config{Servers: []string{p.Addr}}).Locking()
	ctx := t.Context()
	want := func(what string, n int64) {
		t.Helper()
		if got := p.RoundTrips(); got != n {
			t.Errorf("%s: %d round trips; want %d", what, got, n)
		}
		p.Reset()
	}
	for i := range 3 {
		m := l.Mutex("rt")
		if ok, err := m.TryLock(ctx); !ok || err != nil {
			t.Fatalf("TryLock = %v, %v", ok, err)
		}
		want(fmt.Sprintf("acquire %d", i), 1)
		if ok, err := l.Mutex("rt").TryLock(ctx); ok || err != nil {
			t.Fatalf("TryLock of a held lock = %v, %v", ok, err)
		}
		want("TryLock of a held lock", 1)
		if locked, err := m.(*Mutex).Locked(ctx); !locked || err != nil {
			t.Fatalf("Locked = %v, %v", locked, err)
		}
		want("Locked", 1)
		if err := m.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		want(fmt.Sprintf("release %d", i), 1)
	}
}

// TestLockIgnoresFormerReleasedMarker: the lock protocol before the meta
// commands left an empty "released" item behind; Locked does not read it
// as held, and it stops blocking TryLock when it expires (within 2s).
func TestLockIgnoresFormerReleasedMarker(t *testing.T) {
	srv := testserver.Memcached(t)
	l := newTestDriver(t, Config{Servers: []string{srv.Addr}}).Locking()
	m := l.Mutex("old")
	raw := memcache.New(srv.Addr)
	defer raw.Close()
	if err := raw.Set(&memcache.Item{Key: m.(*Mutex).Key(), Value: nil, Expiration: 1}); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if locked, err := m.(*Mutex).Locked(ctx); locked || err != nil {
		t.Fatalf("Locked with a released marker = %v, %v; want false", locked, err)
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := m.Lock(lctx); err != nil {
		t.Fatalf("Lock behind a released marker: %v", err)
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}
