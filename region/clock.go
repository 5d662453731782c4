package region

import (
	"sync/atomic"
	"time"
)

// The read path judges freshness on every hit, and time.Now reads two
// clocks (wall and monotonic). wallNanos reads only the monotonic one and
// adds it to a wall-clock base taken at most a second ago, which halves the
// cost of the hit path's clock read. The result follows the wall clock to
// within the drift of one second (parts per million under NTP), and a step
// of the wall clock is picked up within a second. Creation and
// invalidation stamps are still taken with time.Now.
type clockBase struct {
	mono time.Time // carries a monotonic reading
	wall int64     // mono's wall time in Unix nanoseconds
}

var clock atomic.Pointer[clockBase]

func init() { rebase() }

func rebase() int64 {
	now := time.Now()
	clock.Store(&clockBase{mono: now, wall: now.UnixNano()})
	return now.UnixNano()
}

// wallNanos returns the current wall time in Unix nanoseconds (see above).
func wallNanos() int64 {
	b := clock.Load()
	d := time.Since(b.mono)
	if d < 0 || d > time.Second {
		return rebase()
	}
	return b.wall + int64(d)
}
