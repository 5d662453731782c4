package region

import (
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testwait"
)

func TestPreciseNanosFollowsTheWallClock(t *testing.T) {
	for range 3 {
		before := time.Now().UnixNano()
		got := preciseNanos()
		after := time.Now().UnixNano()
		// Within the drift allowed over one second of base age.
		if got < before-int64(time.Millisecond) || got > after+int64(time.Millisecond) {
			t.Fatalf("preciseNanos %d outside [%d, %d]", got, before, after)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// An old base is replaced.
	clock.Store(&clockBase{mono: time.Now().Add(-2 * time.Second), wall: 0})
	if got := preciseNanos(); got < time.Now().Add(-time.Second).UnixNano() {
		t.Fatalf("stale base not rebased: %d", got)
	}
}

// TestCoarseClockGranularity: the clock reads judge freshness with is
// never ahead of the precise clock and lags it by at most
// ClockGranularity, except when the ticker goroutine is scheduled late
// (a loaded machine, the race detector): those reads are counted and must
// stay rare.
func TestCoarseClockGranularity(t *testing.T) {
	const reads = 20_000
	late, worst := 0, int64(0)
	deadline := time.Now().Add(2 * time.Second)
	n := 0
	for ; n < reads && time.Now().Before(deadline); n++ {
		got := wallNanos()
		now := preciseNanos()
		if got > now {
			t.Fatalf("coarse clock %d ahead of the precise clock %d", got, now)
		}
		lag := now - got
		worst = max(worst, lag)
		if lag > int64(ClockGranularity) {
			late++
		}
		if n%64 == 0 {
			time.Sleep(50 * time.Microsecond) // let time pass between reads
		}
	}
	t.Logf("%d reads, %d lagging more than %v, worst lag %v", n, late, ClockGranularity, time.Duration(worst))
	if late > n/10 {
		t.Fatalf("%d of %d reads lag the precise clock by more than %v (worst %v)", late, n, ClockGranularity, time.Duration(worst))
	}
}

func TestCoarseClockStopsWhenIdle(t *testing.T) {
	wallNanos()
	if !coarse.running.Load() {
		t.Fatal("no ticker after a read")
	}
	testwait.Until(t, 2*time.Second, "the ticker to stop after the last read", func() bool { return !coarse.running.Load() })
	if coarse.now.Load() != 0 {
		t.Fatal("a stopped ticker left its time behind")
	}
	// The next read is precise and starts it again.
	before := time.Now().UnixNano()
	if got := wallNanos(); got < before-int64(time.Millisecond) {
		t.Fatalf("first read after idle %d is older than %d", got, before)
	}
	if !coarse.running.Load() {
		t.Fatal("a read after idle did not restart the ticker")
	}
}
