package region_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

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
	r := regionOn(t, "lost", d, region.Config{})
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
	r := regionOn(t, "hung", d, region.Config{})
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
	if el < deadline || el > deadline+driver.UnlockGrace+200*time.Millisecond {
		t.Fatalf("GetOrCreate returned after %v; want the %v deadline plus at most UnlockGrace (%v)", el, deadline, driver.UnlockGrace)
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
	if left := <-released; left <= 0 || left > driver.UnlockGrace {
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
			r := regionOn(t, "trylock", d, region.Config{})
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
