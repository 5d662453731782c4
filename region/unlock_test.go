package region_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

func TestUnlockContext(t *testing.T) {
	// Past deadline: grace from now.
	past, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	u, cancelU := region.UnlockContext(past)
	defer cancelU()
	if u.Err() != nil {
		t.Fatalf("unlock context of a done context is done: %v", u.Err())
	}
	d, ok := u.Deadline()
	if !ok || time.Until(d) > region.UnlockGrace || time.Until(d) < region.UnlockGrace-100*time.Millisecond {
		t.Fatalf("deadline in %v; want about UnlockGrace (%v)", time.Until(d), region.UnlockGrace)
	}
	// Future deadline: that deadline plus the grace.
	future, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	u2, cancelU2 := region.UnlockContext(future)
	defer cancelU2()
	fd, _ := future.Deadline()
	if d2, _ := u2.Deadline(); !d2.Equal(fd.Add(region.UnlockGrace)) {
		t.Fatalf("deadline %v; want the caller's plus UnlockGrace (%v)", d2, fd.Add(region.UnlockGrace))
	}
	// Cancelling the caller does not cancel the release.
	cancel2()
	if u2.Err() != nil {
		t.Fatal("the unlock context ended with its caller's")
	}
	// Layers do not add graces up.
	u3, cancelU3 := region.UnlockContext(u2)
	defer cancelU3()
	if u3 != u2 {
		t.Fatal("UnlockContext of an unlock context made a new one")
	}
	// No deadline: grace from now.
	u4, cancelU4 := region.UnlockContext(context.Background())
	defer cancelU4()
	if d4, ok := u4.Deadline(); !ok || time.Until(d4) > region.UnlockGrace {
		t.Fatalf("no-deadline caller: deadline %v, %v", d4, ok)
	}
}

// unlockDriver is a mapDriver whose distributed lock's Unlock does what
// the test says: report the lock lost, or hang until its context ends.
type unlockDriver struct {
	*mapDriver
	unlock func(ctx context.Context) error
}

func (d *unlockDriver) Mutex(string) region.Mutex { return &unlockMutex{d: d} }

type unlockMutex struct{ d *unlockDriver }

func (*unlockMutex) TryLock(context.Context) (bool, error) { return true, nil }
func (*unlockMutex) Lock(context.Context) error            { return nil }
func (m *unlockMutex) Unlock(ctx context.Context) error    { return m.d.unlock(ctx) }

func TestReleaseOfLostLockIsCounted(t *testing.T) {
	d := &unlockDriver{mapDriver: newMapDriver(), unlock: func(context.Context) error {
		return fmt.Errorf("some driver: unlock: %w", region.ErrLockLost)
	}}
	r := region.New("lost")
	if err := r.ConfigureDriver(d, region.Config{}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := region.GetOrCreate(t.Context(), r, "k", func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.LocksLost != 1 || st.LockErrors != 0 || st.DriverErrors != 0 {
		t.Fatalf("LocksLost %d, LockErrors %d, DriverErrors %d; want 1, 0, 0", st.LocksLost, st.LockErrors, st.DriverErrors)
	}
}

// TestReleaseOnHungLockService: a release whose lock service does not
// answer keeps the caller at most UnlockGrace past its deadline, even when
// the caller's context is already done, and counts a lock error.
func TestReleaseOnHungLockService(t *testing.T) {
	d := &unlockDriver{mapDriver: newMapDriver(), unlock: func(ctx context.Context) error {
		<-ctx.Done() // a hung server: only the deadline ends the wait
		return ctx.Err()
	}}
	r := region.New("hung")
	if err := r.ConfigureDriver(d, region.Config{}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	start := time.Now()
	boom := errors.New("creator failed")
	_, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 0, boom })
	el := time.Since(start)
	if !errors.Is(err, boom) {
		t.Fatalf("GetOrCreate = %v; want the creator's error", err)
	}
	if el < deadline || el > deadline+region.UnlockGrace+200*time.Millisecond {
		t.Fatalf("GetOrCreate returned after %v; want the %v deadline plus at most UnlockGrace (%v)", el, deadline, region.UnlockGrace)
	}
	if st := r.Stats(); st.LockErrors != 1 {
		t.Fatalf("LockErrors = %d; want 1", st.LockErrors)
	}
	// A caller whose context is done before the release starts still
	// releases, for UnlockGrace.
	dead, cancelDead := context.WithCancel(t.Context())
	released := make(chan time.Duration, 1)
	d.unlock = func(ctx context.Context) error {
		if ctx.Err() != nil {
			return fmt.Errorf("release given a done context: %w", ctx.Err())
		}
		dl, _ := ctx.Deadline()
		released <- time.Until(dl)
		return nil
	}
	_, _ = region.GetOrCreate(dead, r, "k2", func(context.Context) (int, error) {
		cancelDead()
		return 2, nil
	})
	if left := <-released; left <= 0 || left > region.UnlockGrace {
		t.Fatalf("release of a cancelled caller had %v left; want up to UnlockGrace", left)
	}
}

// TestRegionMutexTryLockHeld: the region's own mutex (in-process, or
// layered over a driver's) answers TryLock of a held lock as every driver
// does: false, nil.
func TestRegionMutexTryLockHeld(t *testing.T) {
	for name, d := range map[string]region.Driver{
		"in-process": newMapDriver(),
		"layered":    &unlockDriver{mapDriver: newMapDriver(), unlock: func(context.Context) error { return nil }},
	} {
		t.Run(name, func(t *testing.T) {
			r := region.New("trylock")
			if err := r.ConfigureDriver(d, region.Config{}); err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			m := r.Mutex("k")
			if ok, err := m.TryLock(t.Context()); !ok || err != nil {
				t.Fatalf("TryLock = %v, %v", ok, err)
			}
			if ok, err := m.TryLock(t.Context()); ok || err != nil {
				t.Fatalf("TryLock by the holder = %v, %v; want false, nil", ok, err)
			}
			if ok, err := r.Mutex("k").TryLock(t.Context()); ok || err != nil {
				t.Fatalf("TryLock by another = %v, %v; want false, nil", ok, err)
			}
			if err := m.Unlock(t.Context()); err != nil {
				t.Fatal(err)
			}
		})
	}
}
