package regiontest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// hungSlack is what RunUnlockOnHungServer allows beyond the bound a
// release promises (the caller's deadline plus driver.UnlockGrace), for a
// busy test machine; a release that waits for the driver's own network
// timeouts takes far longer.
const hungSlack = 300 * time.Millisecond

// RunUnlockOnHungServer checks that releasing a lock on a lock service
// that stopped answering (a SIGSTOPped redis or memcached: pause stops it,
// resume continues it) keeps the caller at most driver.UnlockGrace past its
// deadline: the deferred release of a GetOrCreate whose creator ran until
// the caller's deadline, and an Unlock called after it. r must be
// configured with a distributed lock on that server. Each check resumes
// the server before it ends.
func RunUnlockOnHungServer(t *testing.T, r *region.Region, pause, resume func() error) {
	const deadline = 500 * time.Millisecond
	bound := deadline + driver.UnlockGrace + hungSlack
	hang := func(t *testing.T) {
		t.Helper()
		if err := pause(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := resume(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("GetOrCreate", func(t *testing.T) {
		before := r.Stats().LockErrors
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		defer cancel()
		start := time.Now()
		boom := errors.New("creator gave up")
		_, err := region.GetOrCreate(ctx, r, "hung-unlock", func(ctx context.Context) (string, error) {
			hang(t)
			<-ctx.Done() // a creator that runs until its caller's deadline
			return "", boom
		})
		el := time.Since(start)
		t.Logf("GetOrCreate returned after %v (deadline %v, UnlockGrace %v)", el, deadline, driver.UnlockGrace)
		if !errors.Is(err, boom) {
			t.Errorf("GetOrCreate = %v; want the creator's error", err)
		}
		if el > bound {
			t.Errorf("the release held the caller %v past its %v deadline; want at most UnlockGrace (%v)", el-deadline, deadline, driver.UnlockGrace)
		}
		if r.Stats().LockErrors == before {
			t.Error("the failed release was not counted in Stats.LockErrors")
		}
	})
	t.Run("UnlockAfterDeadline", func(t *testing.T) {
		m := r.Mutex("hung-unlock-direct")
		if ok, err := m.TryLock(t.Context()); !ok || err != nil {
			t.Fatalf("TryLock = %v, %v", ok, err)
		}
		hang(t)
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		defer cancel()
		<-ctx.Done()
		start := time.Now()
		err := m.Unlock(ctx)
		el := time.Since(start)
		t.Logf("Unlock after the deadline returned after %v: %v", el, err)
		if err == nil {
			t.Error("Unlock on a stopped server succeeded")
		}
		if el > driver.UnlockGrace+hungSlack {
			t.Errorf("Unlock after the deadline took %v; want at most UnlockGrace (%v)", el, driver.UnlockGrace)
		}
	})
}

// StartLoad puts a driver under a load of every operation, for tests that
// break its server meanwhile (kill it, restart it, stop it) and check how
// the operations fail and recover. goroutines goroutines each call, in
// turn and on keys of their own, Set, Get (a miss is no error), GetMulti,
// SetMulti, DeleteMulti, Delete and, when l is not nil, a lock's TryLock
// followed by Unlock when it was taken. Every operation is handed to call,
// on the goroutine that runs it, which runs it (with the context it
// chooses) and records what it returned and how long it took. The
// goroutines run until stop is called; stop waits for them.
func StartLoad(d driver.Driver, l driver.Locker, goroutines int, call func(op func(context.Context) error)) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				k := fmt.Sprintf("load:%d:%d", g, i%20)
				call(func(ctx context.Context) error { return loadOp(ctx, d, l, i, k) })
			}
		})
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

// loadOp runs the i-th of StartLoad's operations, in turn, on key k.
func loadOp(ctx context.Context, d driver.Driver, l driver.Locker, i int, k string) error {
	n := 6
	if l != nil {
		n++
	}
	switch i % n {
	case 0:
		return d.Set(ctx, k, []byte("value"), time.Minute)
	case 1:
		_, err := d.Get(ctx, k)
		if errors.Is(err, region.ErrNotFound) {
			return nil
		}
		return err
	case 2:
		_, err := driver.GetMulti(ctx, d, []string{k, k + "a", k + "b"})
		return err
	case 3:
		return driver.SetMulti(ctx, d, map[string][]byte{k: []byte("m"), k + "a": []byte("n")}, time.Minute)
	case 4:
		return driver.DeleteMulti(ctx, d, []string{k + "b", k + "c"})
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
