package region

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosess/gosess/internal/enum"
)

// Mode is the kind of invalidation.
type Mode int

const (
	// Hard invalidation makes every value created before it a miss: the
	// next GetOrCreate waits for a new value, as on a cold key.
	Hard Mode = iota + 1
	// Soft invalidation makes every value created before it stale: one
	// caller regenerates it while the others are served the old value.
	// It requires an expiration (Config.Expiration > 0).
	Soft
)

// String returns "hard" or "soft".
func (m Mode) String() string { return enum.Name(m, "Mode", "hard", "soft") }

// InvalidationState is the time of the latest hard and soft invalidation
// of a region (zero when there was none). Values created at or before Hard
// are misses; values created at or before Soft are stale.
type InvalidationState struct {
	Hard, Soft time.Time
}

func (s InvalidationState) hardNanos() int64 { return unixNanos(s.Hard) }
func (s InvalidationState) softNanos() int64 { return unixNanos(s.Soft) }

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// Invalidation records and reports a region's invalidation. It is dogpile's
// RegionInvalidationStrategy. Implementations must be safe for concurrent
// use; State is on every read's path and should be cheap.
type Invalidation interface {
	// Invalidate records an invalidation of mode at time at.
	Invalidate(ctx context.Context, mode Mode, at time.Time) error
	// State returns the latest invalidation times. An error means the
	// state could not be read; the region then uses the last state known.
	State(ctx context.Context) (InvalidationState, error)
}

// InvalidationStrategy builds the Invalidation of one region when it is
// configured. region is the region's name, d its driver (outermost), and
// ownKey returns the driver key for a record of the region's own named
// name: a key in the region's reserved namespace, which no caller key
// reaches (see MangleKey).
type InvalidationStrategy func(region string, d Driver, ownKey func(name string) string) Invalidation

// LocalInvalidation keeps invalidation in this process, as dogpile does:
// other processes sharing the store do not see it. It is the default.
func LocalInvalidation(string, Driver, func(string) string) Invalidation {
	return &localInvalidation{}
}

type localInvalidation struct {
	hard, soft atomic.Int64
}

func (l *localInvalidation) Invalidate(_ context.Context, mode Mode, at time.Time) error {
	if mode == Hard {
		l.hard.Store(at.UnixNano())
	} else {
		l.soft.Store(at.UnixNano())
	}
	return nil
}

func (l *localInvalidation) State(context.Context) (InvalidationState, error) {
	return stateFromNanos(l.hard.Load(), l.soft.Load()), nil
}

func (l *localInvalidation) stateNanos(context.Context) (int64, int64, error) {
	return l.hard.Load(), l.soft.Load(), nil
}

// nanosState is implemented by the package's strategies: State as Unix
// nanoseconds (0 = never), without building time.Time values on every
// read.
type nanosState interface {
	stateNanos(ctx context.Context) (hard, soft int64, err error)
}

// stateNanosOf returns inv's state reader in Unix nanoseconds.
func stateNanosOf(inv Invalidation) func(context.Context) (int64, int64, error) {
	if ns, ok := inv.(nanosState); ok {
		return ns.stateNanos
	}
	return func(ctx context.Context) (int64, int64, error) {
		s, err := inv.State(ctx)
		return s.hardNanos(), s.softNanos(), err
	}
}

func stateFromNanos(hard, soft int64) InvalidationState {
	var s InvalidationState
	if hard != 0 {
		s.Hard = time.Unix(0, hard)
	}
	if soft != 0 {
		s.Soft = time.Unix(0, soft)
	}
	return s
}

// DefaultInvalidationRefresh is SharedInvalidation's refresh interval when
// it is given 0.
const DefaultInvalidationRefresh = time.Second

// SharedInvalidation stores the invalidation times in the driver, under
// the key "~gs:own:invalidation:<region name>" (in the region's reserved
// namespace, so no caller key overwrites it), so every process that
// shares the store (memcached, redis, a file directory) sees an
// Invalidate made by any of them. Each region re-reads the stored times at
// most once per refresh (0 means DefaultInvalidationRefresh), so another
// process sees an invalidation within refresh; its own Invalidate is seen
// at once. Reading is done by one caller at a time while the others use the
// last state known.
//
// Two processes invalidating at the same instant may lose one of the two
// records (the store has no compare-and-set here); the later time wins.
// Clocks of hosts sharing a store should be synchronized, as the times
// compare with the creation times of values written by other hosts.
func SharedInvalidation(refresh time.Duration) InvalidationStrategy {
	if refresh <= 0 {
		refresh = DefaultInvalidationRefresh
	}
	return func(region string, d Driver, ownKey func(string) string) Invalidation {
		return &sharedInvalidation{
			key:     ownKey("invalidation:" + region),
			d:       d,
			refresh: refresh,
		}
	}
}

type sharedInvalidation struct {
	key     string
	d       Driver
	refresh time.Duration

	hard, soft atomic.Int64
	fetched    atomic.Int64 // Unix nanos of the last successful read; 0 = never
	fetching   sync.Mutex   // one reader at a time
}

func (s *sharedInvalidation) read(ctx context.Context) (int64, int64, error) {
	b, err := s.d.Get(ctx, s.key)
	if errors.Is(err, ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	if len(b) != 16 {
		return 0, 0, fmt.Errorf("region: invalidation record %q has %d bytes, want 16", s.key, len(b))
	}
	return int64(binary.BigEndian.Uint64(b[:8])), int64(binary.BigEndian.Uint64(b[8:])), nil
}

func (s *sharedInvalidation) Invalidate(ctx context.Context, mode Mode, at time.Time) error {
	s.fetching.Lock()
	defer s.fetching.Unlock()
	hard, soft, err := s.read(ctx)
	if err != nil {
		return fmt.Errorf("region: read invalidation: %w", err)
	}
	hard, soft = max(hard, s.hard.Load()), max(soft, s.soft.Load())
	if mode == Hard {
		hard = max(hard, at.UnixNano())
	} else {
		soft = max(soft, at.UnixNano())
	}
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b[:8], uint64(hard))
	binary.BigEndian.PutUint64(b[8:], uint64(soft))
	if err := s.d.Set(ctx, s.key, b, 0); err != nil {
		return fmt.Errorf("region: store invalidation: %w", err)
	}
	s.hard.Store(hard)
	s.soft.Store(soft)
	s.fetched.Store(time.Now().UnixNano())
	return nil
}

func (s *sharedInvalidation) State(ctx context.Context) (InvalidationState, error) {
	hard, soft, err := s.stateNanos(ctx)
	return stateFromNanos(hard, soft), err
}

func (s *sharedInvalidation) stateNanos(ctx context.Context) (int64, int64, error) {
	last := s.fetched.Load()
	if last == 0 || wallNanos()-last >= int64(s.refresh) {
		if last == 0 {
			s.fetching.Lock() // first read: everyone waits for it
		} else if !s.fetching.TryLock() {
			return s.hard.Load(), s.soft.Load(), nil
		}
		defer s.fetching.Unlock()
		if l := s.fetched.Load(); l == last || l == 0 {
			hard, soft, err := s.read(ctx)
			if err != nil {
				return s.hard.Load(), s.soft.Load(), err
			}
			s.hard.Store(max(hard, s.hard.Load()))
			s.soft.Store(max(soft, s.soft.Load()))
			s.fetched.Store(time.Now().UnixNano())
		}
	}
	return s.hard.Load(), s.soft.Load(), nil
}

// logInvalidationError is used by the region when State fails.
func logInvalidationError(l *slog.Logger, region string, err error) {
	l.Warn("region: invalidation state unavailable; using the last known", "region", region, "err", err)
}
