package region

import (
	"testing"
	"time"
)

func TestWallNanosFollowsTheWallClock(t *testing.T) {
	for range 3 {
		before := time.Now().UnixNano()
		got := wallNanos()
		after := time.Now().UnixNano()
		// Within the drift allowed over one second of base age.
		if got < before-int64(time.Millisecond) || got > after+int64(time.Millisecond) {
			t.Fatalf("wallNanos %d outside [%d, %d]", got, before, after)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// An old base is replaced.
	clock.Store(&clockBase{mono: time.Now().Add(-2 * time.Second), wall: 0})
	if got := wallNanos(); got < time.Now().Add(-time.Second).UnixNano() {
		t.Fatalf("stale base not rebased: %d", got)
	}
}
