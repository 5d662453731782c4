package regiontest

import (
	"context"
	"errors"
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
