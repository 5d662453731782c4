package memcached

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
)

// TestServerKilledDuringLoad kills memcached under a load of every
// operation: operations fail within twice the timeout (no hang, no
// panic); after a restart on the same port the same driver recovers; and
// nothing leaks after Close.
func TestServerKilledDuringLoad(t *testing.T) {
	srv := testserver.Memcached(t)
	const timeout = 300 * time.Millisecond
	const changing = 3
	d, err := New(Config{Servers: []string{srv.Addr}, Timeout: timeout, LockTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l := d.Locking()

	var (
		phase    atomic.Int32 // 0 up, 1 down, 2 back up, 3 changing (not counted)
		mu       sync.Mutex
		slowest  [4]time.Duration
		failures [4]int
		ops      [4]int
		firstErr [4]error
	)
	stop := regiontest.StartLoad(d, l, 4, func(op func(context.Context) error) {
		p := phase.Load()
		start := time.Now()
		err := op(context.Background())
		el := time.Since(start)
		if phase.Load() != p || p == changing {
			return // straddled a phase change
		}
		mu.Lock()
		ops[p]++
		slowest[p] = max(slowest[p], el)
		if err != nil {
			failures[p]++
			if firstErr[p] == nil {
				firstErr[p] = err
			}
		}
		mu.Unlock()
		if err != nil {
			time.Sleep(5 * time.Millisecond)
		}
	})
	waitOps := func(p int32, n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			got := ops[p]
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("phase %d: only %d operations in 10s", p, got)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitOps(0, 200)
	phase.Store(changing)
	srv.Kill()
	phase.Store(1)
	waitOps(1, 200)
	phase.Store(changing)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// Give connections broken by the kill time to be dropped: the first
	// operations after the restart may still fail on them.
	time.Sleep(2 * timeout)
	phase.Store(2)
	waitOps(2, 200)
	stop()

	mu.Lock()
	defer mu.Unlock()
	for p, name := range []string{"up", "down", "back up"} {
		t.Logf("%s: %d ops, %d failed, slowest %v, first error: %v", name, ops[p], failures[p], slowest[p], firstErr[p])
	}
	if failures[0] != 0 {
		t.Errorf("server up: %d failures, first %v", failures[0], firstErr[0])
	}
	if failures[1] != ops[1] {
		t.Errorf("server down: only %d of %d operations failed", failures[1], ops[1])
	}
	if slowest[1] > 2*timeout {
		t.Errorf("server down: slowest operation took %v; want at most 2 x timeout (%v)", slowest[1], 2*timeout)
	}
	if failures[2] != 0 {
		t.Errorf("server back: %d failures, first %v", failures[2], firstErr[2])
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	goleak.VerifyNone(t)
}

// TestUnreachableServer: a server that does not answer at all (nothing
// listening, or a black hole) fails fast, never hangs.
func TestUnreachableServer(t *testing.T) {
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 200 * time.Millisecond
	d := newTestDriver(t, Config{Servers: []string{fmt.Sprintf("127.0.0.1:%d", port)}, Timeout: timeout})
	ctx := t.Context()
	start := time.Now()
	_, err = d.Get(ctx, "k")
	if err == nil || errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get on a closed port: %v; want a network error", err)
	}
	t.Log(err)
	if err := d.Set(ctx, "k", nil, 0); err == nil {
		t.Fatal("Set on a closed port succeeded")
	}
	if _, err := d.GetMulti(ctx, []string{"a", "b"}); err == nil {
		t.Fatal("GetMulti on a closed port succeeded")
	}
	if err := d.SetMulti(ctx, map[string][]byte{"a": nil, "b": nil, "c": nil}, 0); err == nil {
		t.Fatal("SetMulti on a closed port succeeded")
	} else {
		t.Log(err)
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.Locking().Mutex("k").Lock(lctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock on a closed port: %v; want the network error at once", err)
	}
	if el := time.Since(start); el > 5*timeout {
		t.Fatalf("operations on a closed port took %v", el)
	}
}

// TestHungServer: a server that accepts connections but never answers
// makes every operation fail after about the timeout.
func TestHungServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // read nothing, answer nothing
			mu.Unlock()
		}
	})
	defer func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	}()
	const timeout = 250 * time.Millisecond
	d := newTestDriver(t, Config{Servers: []string{ln.Addr().String()}, Timeout: timeout})
	ctx := t.Context()
	for name, f := range map[string]func() error{
		"Get":      func() error { _, err := d.Get(ctx, "k"); return err },
		"GetMulti": func() error { _, err := d.GetMulti(ctx, []string{"a", "b"}); return err },
		"Set":      func() error { return d.Set(ctx, "k", []byte("v"), 0) },
		"SetMulti": func() error { return d.SetMulti(ctx, map[string][]byte{"a": nil, "b": nil}, 0) },
		"Delete":   func() error { return d.Delete(ctx, "k") },
		"TryLock":  func() error { _, err := d.DistributedMutex("k").TryLock(ctx); return err },
	} {
		start := time.Now()
		err := f()
		el := time.Since(start)
		if err == nil {
			t.Errorf("%s on a hung server succeeded", name)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("%s on a hung server: %v; want a timeout error", name, err)
		}
		// The upper bound leaves room for a busy test machine; a hang
		// would be far longer.
		if el < timeout/2 || el > 4*timeout {
			t.Errorf("%s on a hung server returned after %v; want about the %v timeout", name, el, timeout)
		}
	}
}

// TestUnlockOnStoppedServer: with the default timeout (500ms), a release
// on a SIGSTOPped memcached gives up driver.UnlockGrace after the caller's
// deadline.
func TestUnlockOnStoppedServer(t *testing.T) {
	srv := testserver.Memcached(t)
	r := region.New("hung")
	if err := r.Configure(Name, region.Config{Arguments: map[string]any{
		"url": srv.Addr, "distributed_lock": true}}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	regiontest.RunUnlockOnHungServer(t, r, srv.Pause, srv.Resume)
}
