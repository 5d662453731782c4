package region

import (
	"sync/atomic"
	"time"
)

// ClockGranularity is how finely freshness is judged. Every read judges
// the freshness of what it found, and reading the clock costs 20 to 35 ns
// on virtual machines: a large share of an in-process hit (bigcache.Get of
// a small value is about 120 ns). So reads use a coarse clock that a
// goroutine of this package advances every millisecond while reads are
// being made. A value is therefore never judged expired before its
// expiration, and is judged expired at most ClockGranularity after it:
// one tick, plus the time the Go scheduler takes to run the goroutine
// (later only when the process is starved of CPU). Every 128th hit of a
// region also advances the clock, so that goroutines reading in a busy
// loop, which can delay the ticker, keep it fresh themselves. Creation
// and invalidation times are read from the precise clock.
//
// The goroutine starts with the first read and stops by itself after 20
// ticks without a read; the next read reads the precise clock and starts
// it again. A program that is not reading a region has no goroutine of
// this package running.
const ClockGranularity = 2 * time.Millisecond

// clockTick is the period of the coarse clock's goroutine.
const clockTick = time.Millisecond

// clockIdleTicks is how many ticks without a read stop the ticker.
const clockIdleTicks = 20

// coarseClock is the clock reads judge freshness with.
type coarseClock struct {
	now     atomic.Int64 // wall Unix nanoseconds at the last tick; 0 while no ticker runs
	used    atomic.Bool  // a read happened since the last tick
	running atomic.Bool  // a ticker goroutine exists
}

var coarse coarseClock

// wallNanos returns the current wall time in Unix nanoseconds, to within
// ClockGranularity and never ahead of the precise clock: it is what reads
// judge freshness with (see ClockGranularity).
func wallNanos() int64 {
	if n := coarse.now.Load(); n != 0 {
		if !coarse.used.Load() { // a store per tick, not per read
			coarse.used.Store(true)
		}
		return n
	}
	return coarse.start()
}

// hitsPerRefresh: every this many hits of a region, the hit also reads
// the precise clock and advances the coarse one. A goroutine that reads a
// region in a loop without ever blocking keeps its processor busy, and
// the ticker's timer, held by another processor, may then fire late by
// milliseconds; the reads themselves keep the clock fresh in that case.
const hitsPerRefresh = 128

// hit counts a hit of r (Stats.Hits) and refreshes the coarse clock every
// hitsPerRefresh hits.
func (r *Region) hit() {
	if r.stats.hits.Add(1)%hitsPerRefresh == 0 {
		// Only while a ticker runs (now != 0): a stopping ticker's 0 must
		// not be overwritten, or the clock would stand still.
		if n := coarse.now.Load(); n != 0 {
			coarse.now.CompareAndSwap(n, preciseNanos())
		}
	}
}

// start reads the precise clock and starts the ticker unless one runs.
func (c *coarseClock) start() int64 {
	now := preciseNanos()
	if c.running.CompareAndSwap(false, true) {
		c.now.Store(now)
		go c.tick()
	}
	return now
}

func (c *coarseClock) tick() {
	t := time.NewTicker(clockTick)
	defer t.Stop()
	idle := 0
	for range t.C {
		c.now.Store(preciseNanos())
		if c.used.Swap(false) {
			idle = 0
			continue
		}
		if idle++; idle >= clockIdleTicks {
			// now goes to 0 before running goes false, so that a ticker
			// started after this one never has its time reset.
			c.now.Store(0)
			c.running.Store(false)
			return
		}
	}
}

// time.Now reads two clocks (wall and monotonic). preciseNanos reads only
// the monotonic one and adds it to a wall-clock base taken at most a
// second ago, which halves the cost of a precise clock read. The result
// follows the wall clock to within the drift of one second (parts per
// million under NTP), and a step of the wall clock is picked up within a
// second.
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

// preciseNanos returns the current wall time in Unix nanoseconds (see
// above).
func preciseNanos() int64 {
	b := clock.Load()
	d := time.Since(b.mono)
	if d < 0 || d > time.Second {
		return rebase()
	}
	return b.wall + int64(d)
}
