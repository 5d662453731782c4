package backoff

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPollDoneAtOnce(t *testing.T) {
	n := 0
	err := Policy{First: time.Hour, Max: time.Hour}.Poll(t.Context(), func(context.Context) (bool, error) {
		n++
		return true, nil
	})
	if err != nil || n != 1 {
		t.Fatalf("Poll = %v after %d attempts; want nil after 1", err, n)
	}
}

func TestPollRetriesUntilDone(t *testing.T) {
	n := 0
	err := Policy{First: time.Microsecond, Max: 10 * time.Microsecond}.Poll(t.Context(), func(context.Context) (bool, error) {
		n++
		return n == 5, nil
	})
	if err != nil || n != 5 {
		t.Fatalf("Poll = %v after %d attempts; want nil after 5", err, n)
	}
}

func TestPollReturnsTryError(t *testing.T) {
	boom := errors.New("boom")
	err := Policy{First: time.Millisecond, Max: time.Millisecond}.Poll(t.Context(), func(context.Context) (bool, error) {
		return false, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Poll = %v; want boom", err)
	}
}

func TestPollHonoursContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := Policy{First: time.Millisecond, Max: 5 * time.Millisecond}.Poll(ctx, func(context.Context) (bool, error) {
		return false, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Poll = %v; want DeadlineExceeded", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Poll returned %v after the deadline", el)
	}
}

func TestPollWaitsGrowUpToMax(t *testing.T) {
	var stamps []time.Time
	_ = Policy{First: 2 * time.Millisecond, Max: 8 * time.Millisecond}.Poll(t.Context(), func(context.Context) (bool, error) {
		stamps = append(stamps, time.Now())
		return len(stamps) == 6, nil
	})
	// Waits are 2, 4, 8, 8, 8 ms, each jittered down to half at most.
	for i := 1; i < len(stamps); i++ {
		if d := stamps[i].Sub(stamps[i-1]); d < time.Millisecond {
			t.Errorf("wait %d was %v; want at least half of the policy's wait", i, d)
		}
	}
}

func TestJitter(t *testing.T) {
	for range 1000 {
		if d := Jitter(100); d < 50 || d > 100 {
			t.Fatalf("Jitter(100) = %d; want 50..100", d)
		}
	}
	if Jitter(0) != 0 || Jitter(1) != 1 {
		t.Fatal("Jitter of tiny durations changed them")
	}
}

func TestForLockSleep(t *testing.T) {
	p := ForLockSleep(160 * time.Millisecond)
	if p.First != 10*time.Millisecond || p.Max != 160*time.Millisecond {
		t.Fatalf("ForLockSleep(160ms) = %+v; want first 10ms, max 160ms", p)
	}
}

func TestWaitForLock(t *testing.T) {
	n := 0
	err := WaitForLock(t.Context(), time.Millisecond, func(context.Context) (bool, error) {
		n++
		return n == 3, nil
	}, "drv", "k")
	if err != nil || n != 3 {
		t.Fatalf("WaitForLock = %v after %d attempts; want nil after 3", err, n)
	}

	boom := errors.New("boom")
	err = WaitForLock(t.Context(), time.Millisecond, func(context.Context) (bool, error) { return false, boom }, "drv", "k")
	if err != boom {
		t.Fatalf("WaitForLock = %v; want tryLock's error as it is", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	err = WaitForLock(ctx, time.Millisecond, func(context.Context) (bool, error) { return false, nil }, "drv", "k")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `drv: waiting for lock "k"`) {
		t.Fatalf("WaitForLock = %v; want the lock named and DeadlineExceeded wrapped", err)
	}
}
