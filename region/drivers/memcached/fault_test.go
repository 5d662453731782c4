package memcached

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
)

// TestServerKilledDuringLoad kills memcached under a load of every
// operation: operations fail within twice the timeout (no hang, no
// panic); after a restart on the same port the same driver recovers; and
// nothing leaks after Close.
func TestServerKilledDuringLoad(t *testing.T) {
	srv := testserver.Memcached(t)
	const timeout = 300 * time.Millisecond
	d, err := New(Config{Servers: []string{srv.Addr}, Timeout: timeout, LockTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l := d.Locking()

	var (
		phase    atomic.Int32 // 0 up, 1 down, 2 back up
		mu       sync.Mutex
		slowest  [3]time.Duration
		failures [3]int
		ops      [3]int
		firstErr [3]error
	)
	op := func(ctx context.Context, g, i int) error {
		k := fmt.Sprintf("load:%d:%d", g, i%20)
		switch i % 7 {
		case 0:
			return d.Set(ctx, k, []byte("value"), time.Minute)
		case 1:
			_, err := d.Get(ctx, k)
			if errors.Is(err, region.ErrNotFound) {
				err = nil
			}
			return err
		case 2:
			_, err := d.GetMulti(ctx, []string{k, k + "a", k + "b"})
			return err
		case 3:
			return d.SetMulti(ctx, map[string][]byte{k: []byte("m"), k + "a": []byte("n")}, time.Minute)
		case 4:
			return d.DeleteMulti(ctx, []string{k + "b", k + "c"})
		case 5:
			return d.Delete(ctx, k+"a")
		default:
			m := l.Mutex(k)
			ok, err := m.TryLock(ctx)
			if ok {
				err = m.Unlock(ctx)
			}
			return err
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := phase.Load()
				start := time.Now()
				err := op(context.Background(), g, i)
				el := time.Since(start)
				if phase.Load() != p {
					continue // straddled a phase change
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
			}
		})
	}
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
	srv.Kill()
	phase.Store(1)
	waitOps(1, 200)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// Give connections broken by the kill time to be dropped: the first
	// operations after the restart may still fail on them.
	time.Sleep(2 * timeout)
	phase.Store(2)
	waitOps(2, 200)
	close(stop)
	wg.Wait()

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
