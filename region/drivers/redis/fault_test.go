package redis

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
)

// verifyNoLeaks fails the test if goroutines other than the test servers'
// are left. go-redis's dial prober sleeps 1s between probes and stops at
// its next check after Close, so this waits up to 3s, longer than
// goleak's own retries.
func verifyNoLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreAnyFunction("github.com/gosess/gosess/internal/testserver.(*Server).Start.func1")
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := goleak.Find(ignore)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines leaked: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServerKilledDuringLoad kills redis-server under a load of every
// operation (regiontest.StartLoad), checks that every operation fails within
// the configured timeouts while it is down, restarts it on the same port
// and checks that the same driver recovers; no goroutine outlives Close.
func TestServerKilledDuringLoad(t *testing.T) {
	s := testserver.Redis(t)
	d, err := New(Config{Addrs: []string{s.Addr}, DialTimeout: 300 * time.Millisecond,
		ReadTimeout: 300 * time.Millisecond, DistributedLock: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			d.Close()
		}
	}()
	// The worst case for one operation: (retries+1) attempts of a dial and
	// a read, plus backoff; with a 2x margin for -race on 2 cores.
	bound := 2 * time.Duration(DefaultMaxRetries+1) * (600*time.Millisecond + 100*time.Millisecond)

	var ok, failed, slowest atomic.Int64
	stop := regiontest.StartLoad(d, LockingDriver{d}, 8, func(op func(context.Context) error) {
		start := time.Now()
		err := op(context.Background())
		el := int64(time.Since(start))
		for {
			cur := slowest.Load()
			if el <= cur || slowest.CompareAndSwap(cur, el) {
				break
			}
		}
		if err != nil {
			failed.Add(1)
		} else {
			ok.Add(1)
		}
	})
	testwait.Until(t, 5*time.Second, "operations to succeed before the kill", func() bool { return ok.Load() > 100 })

	s.Kill()
	failedBefore := failed.Load()
	testwait.Until(t, 10*time.Second, "operations to fail while the server is down", func() bool {
		return failed.Load() > failedBefore+50
	})
	downStart := time.Now()
	time.Sleep(300 * time.Millisecond) // keep the load on the dead server a little
	if got := time.Duration(slowest.Load()); got > bound {
		t.Errorf("slowest operation took %v; want at most %v", got, bound)
	}

	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	okAtRestart := ok.Load()
	testwait.Until(t, 10*time.Second, "operations to recover after the restart", func() bool {
		return ok.Load() > okAtRestart+100
	})
	t.Logf("down for %v; %d ok / %d failed; slowest operation %v; recovered %v after the restart",
		restarted.Sub(downStart), ok.Load(), failed.Load(), time.Duration(slowest.Load()), time.Since(restarted))
	stop()

	// The same driver works after the restart for every operation.
	ctx := t.Context()
	if err := d.Set(ctx, "after", []byte("yes"), 0); err != nil {
		t.Fatalf("Set after restart: %v", err)
	}
	if v, err := d.Get(ctx, "after"); err != nil || string(v) != "yes" {
		t.Fatalf("Get after restart = %q, %v", v, err)
	}
	if err := d.NewMutex("after").Lock(ctx); err != nil {
		t.Fatalf("Lock after restart: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	verifyNoLeaks(t)
}

// TestCloseWhileDown closes a driver whose server is gone (the dial prober
// running) and checks that nothing is left behind.
func TestCloseWhileDown(t *testing.T) {
	s := testserver.Redis(t)
	d, err := New(Config{Addrs: []string{s.Addr}, DialTimeout: 100 * time.Millisecond, PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := d.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	for range 10 { // more dial failures than PoolSize start the prober
		if _, err := d.Get(ctx, "k"); err == nil {
			t.Fatal("Get on a killed server succeeded")
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	verifyNoLeaks(t)
}

// TestUnlockOnStoppedServer: with default timeouts (2s reads, one retry),
// a release on a SIGSTOPped redis-server gives up driver.UnlockGrace after
// the caller's deadline instead of after the client's timeouts.
func TestUnlockOnStoppedServer(t *testing.T) {
	s := testserver.Redis(t)
	r := region.New("hung")
	if err := r.Configure("redis", region.Config{Arguments: map[string]any{
		"addrs": s.Addr, "distributed_lock": true}}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	regiontest.RunUnlockOnHungServer(t, r, s.Pause, s.Resume)
}
