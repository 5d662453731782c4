package region

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a region's counters since New. The metrics
// package turns them into Prometheus metrics; they are cheap atomic
// counters always kept.
type Stats struct {
	// Hits counts reads that found a fresh value (Get, GetOrCreate, multi
	// versions count each key).
	Hits uint64
	// Misses counts reads that found no usable value.
	Misses uint64
	// StaleServed counts stale values returned while another caller (or an
	// async task) regenerated them.
	StaleServed uint64
	// CreatorRuns counts calls of creators; CreatorErrors those that
	// returned an error or panicked; CreatorTime is their total duration.
	CreatorRuns, CreatorErrors uint64
	CreatorTime                time.Duration
	// LockWaits counts blocking waits for a dogpile lock; LockWaitTime is
	// their total duration.
	LockWaits    uint64
	LockWaitTime time.Duration
	// DriverErrors counts errors returned by the driver.
	DriverErrors uint64
	// LockErrors counts the failures of the lock service (taking or
	// releasing a distributed lock), which DriverErrors counts too.
	LockErrors uint64
	// LocksLost counts releases of a dogpile lock that had already expired
	// (ErrLockLost): a creator ran longer than the driver's lock timeout.
	// They are not failures of the lock service and are not in LockErrors.
	LocksLost uint64
	// Conflicts counts compare-and-set writes (CompareAndSet, Update, the
	// dogpile session backend's saves) refused because the stored value
	// had changed since it was read.
	Conflicts uint64
	// Evictions counts live values the driver removed to make room, for
	// drivers that report it (driver.EvictionNotifier: the memory and
	// objects drivers). Such a value is a miss on its next read: a
	// session evicted this way loads as a new session. The region also
	// logs them, at most once a minute (level Warn, with the count),
	// since a growing count means the driver's size bound is too small.
	Evictions uint64
}

type stats struct {
	hits, misses, staleServed            atomic.Uint64
	creatorRuns, creatorErrors           atomic.Uint64
	creatorNanos, lockWaits, lockWaitNan atomic.Uint64
	driverErrors, lockErrors, conflicts  atomic.Uint64
	locksLost                            atomic.Uint64
	evictions                            atomic.Uint64
	evictionsLogged                      atomic.Uint64 // evictions at the last log line
	evictionLogAt                        atomic.Int64  // Unix nanoseconds of the last log line
}

// Stats returns a snapshot of the region's counters.
func (r *Region) Stats() Stats {
	s := &r.stats
	return Stats{
		Hits:          s.hits.Load(),
		Misses:        s.misses.Load(),
		StaleServed:   s.staleServed.Load(),
		CreatorRuns:   s.creatorRuns.Load(),
		CreatorErrors: s.creatorErrors.Load(),
		CreatorTime:   time.Duration(s.creatorNanos.Load()),
		LockWaits:     s.lockWaits.Load(),
		LockWaitTime:  time.Duration(s.lockWaitNan.Load()),
		DriverErrors:  s.driverErrors.Load(),
		LockErrors:    s.lockErrors.Load(),
		LocksLost:     s.locksLost.Load(),
		Conflicts:     s.conflicts.Load(),
		Evictions:     s.evictions.Load(),
	}
}

// evictionLogEvery is the least time between two log lines about
// evictions.
const evictionLogEvery = time.Minute

// evicted is the function the region registers with an
// driver.EvictionNotifier: it counts, and logs at most once per
// evictionLogEvery. It runs under the driver's locks, so it only does
// atomic operations, and logs on a goroutine of its own.
func (r *Region) evicted(string) {
	n := r.stats.evictions.Add(1)
	now := time.Now().UnixNano()
	last := r.stats.evictionLogAt.Load()
	if now-last < int64(evictionLogEvery) || !r.stats.evictionLogAt.CompareAndSwap(last, now) {
		return
	}
	since := n - r.stats.evictionsLogged.Swap(n)
	go r.logger.Warn("region: the driver evicts values for space; raise its size bound if this goes on",
		"region", r.name, "evicted", since, "total", n)
}
