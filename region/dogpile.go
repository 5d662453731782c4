package region

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/gosess/gosess/region/driver"
)

// GetOrCreate returns the value under key, creating it with creator when
// it is missing or stale, behind the dogpile lock:
//
//   - a fresh value is returned at once;
//   - a missing (or hard-invalidated) value: exactly one caller per key
//     runs creator, the others wait for the lock and then read what it
//     stored;
//   - a stale (expired or soft-invalidated) value: one caller regenerates
//     it and every other caller is returned the stale value at once; with
//     WithAsyncRunner even the regenerating caller gets the stale value and
//     creation runs in the background.
//
// Waiting honours ctx: cancellation or deadline ends the wait with the
// context's error. A creator error is returned to its caller and nothing is
// cached; a creator panic is returned as ErrCreatorPanic and releases the
// lock. A value rejected by ShouldCache is returned but not stored.
// Driver errors fail the call unless the region was built with
// WithDriverErrorsAsMisses.
func GetOrCreate[T any](ctx context.Context, r *Region, key string, creator func(context.Context) (T, error), opts ...CallOption) (T, error) {
	var zero T
	if creator == nil {
		return zero, fmt.Errorf("region %q: get or create %q: %w: nil creator", r.name, key, ErrInvalidArgument)
	}
	var c callConfig
	st, err := r.prepare(key, false, opts, &c)
	if err != nil {
		return zero, err
	}
	c.create = true
	mk := st.storeKey(key)
	var got read[T]
	err = readOne(ctx, r, st, mk, &c, &got)
	if err != nil {
		if !r.errorsAsMisses {
			return zero, fmt.Errorf("region %q: get or create %q: %w", r.name, key, err)
		}
		r.logger.Warn("region: driver error treated as a miss", "region", r.name, "key", key, "err", err)
	}
	if got.f == fresh {
		r.hit()
		return got.v, nil
	}
	s := &slot[T]{key: key, mk: mk, have: got}
	err = dogpile(ctx, r, st, &c, []*slot[T]{s}, false, func(ctx context.Context, _ []string) (map[string]T, error) {
		v, err := creator(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]T{key: v}, nil
	})
	if err != nil {
		return zero, fmt.Errorf("region %q: get or create %q: %w", r.name, key, err)
	}
	return s.result, nil
}

// GetOrCreateMulti is GetOrCreate for many keys at once (dogpile's
// get_or_create_multi), with the dogpile lock per key, which dogpile's own
// version lacks: keys are read with one multi-get; fresh values are
// returned; for stale ones the caller that wins each key's lock
// regenerates it and others get the stale value; missing keys are locked
// (waiting if need be, in sorted key order so that callers never
// deadlock) and created by one call of creator with the keys still missing
// after the locks are held. creator returns the values it made by key; a
// key it leaves out is absent from the result. Duplicate keys are handled
// once.
func GetOrCreateMulti[T any](ctx context.Context, r *Region, keys []string, creator func(ctx context.Context, keys []string) (map[string]T, error), opts ...CallOption) (map[string]T, error) {
	if creator == nil {
		return nil, fmt.Errorf("region %q: get or create multi: %w: nil creator", r.name, ErrInvalidArgument)
	}
	st, c, ks, err := r.prepareMulti(keys, opts)
	if err != nil {
		return nil, err
	}
	c.create = true
	out := make(map[string]T, len(ks.orig))
	if len(ks.orig) == 0 {
		return out, nil
	}
	got, err := readMany[T](ctx, r, st, ks.mangled, &c)
	if err != nil {
		if !r.errorsAsMisses {
			return nil, fmt.Errorf("region %q: get or create multi: %w", r.name, err)
		}
		r.logger.Warn("region: driver error treated as a miss", "region", r.name, "err", err)
	}
	var todo []*slot[T]
	for i, g := range got {
		if g.f == fresh {
			out[ks.orig[i]] = g.v
			r.hit()
			continue
		}
		todo = append(todo, &slot[T]{key: ks.orig[i], mk: ks.mangled[i], have: g})
	}
	if len(todo) == 0 {
		return out, nil
	}
	if err := dogpile(ctx, r, st, &c, todo, true, creator); err != nil {
		return nil, fmt.Errorf("region %q: get or create multi: %w", r.name, err)
	}
	for _, s := range todo {
		if s.done {
			out[s.key] = s.result
		}
	}
	return out, nil
}

// slot is one key going through the dogpile lock.
type slot[T any] struct {
	key, mk string
	have    read[T] // what the last read found: missing or stale, until the re-check
	mu      Mutex   // held from acquire until release
	recheck bool    // read again once locked: the first read found no value
	result  T       // what the caller gets for the key, when done
	done    bool
}

func (s *slot[T]) serve(v T) { s.result, s.done = v, true }

// dogpile is the dogpile lock, the one flow behind GetOrCreate,
// GetOrCreateMulti and Memoize (dogpile.cache's lock.py). It is given the
// keys that the caller's first read found missing or stale, and sets each
// slot's result when it has one for it: a value someone else just created,
// a stale value served while another caller regenerates, or a value it
// created itself. Keys a creator leaves out get no result.
//
// One key at a time, in store-key order (so that two callers wanting
// overlapping sets of keys never deadlock), it takes the key's lock: with
// TryLock for a stale key (a caller that loses gets the stale value at
// once), and waiting for a missing one. The keys it holds are then
// re-checked, created with one creator call and stored, and their locks
// released. With an async runner, stale keys are served stale and
// regenerated in the background, which then releases their locks.
func dogpile[T any](ctx context.Context, r *Region, st *state, c *callConfig, slots []*slot[T], multi bool, creator func(context.Context, []string) (map[string]T, error)) error {
	if err := st.dogpileSoftCheck(ctx, c); err != nil {
		return err
	}
	if len(slots) > 1 {
		slices.SortFunc(slots, func(a, b *slot[T]) int { return cmp.Compare(a.mk, b.mk) })
	}
	keyErr := func(s *slot[T], err error) error {
		if multi {
			return fmt.Errorf("key %q: %w", s.key, err)
		}
		return err
	}

	// Acquire.
	var held []*slot[T]
	for _, s := range slots {
		s.mu = r.mutexFor(st, s.mk)
		if s.have.f == stale {
			ok, err := s.mu.TryLock(ctx)
			if err != nil {
				// The lock service failed: serving the stale value is the
				// safe answer, and the next call tries again.
				r.lockFailed(err)
				r.logger.Warn("region: lock failed; serving stale value", "region", r.name, "key", s.key, "err", err)
			}
			if err != nil || !ok {
				r.stats.staleServed.Add(1)
				s.serve(s.have.v)
				continue
			}
		} else {
			r.stats.misses.Add(1)
			var err error
			if s.mu, err = r.lockMissing(ctx, s.mk, s.mu); err != nil {
				releaseAll(ctx, r, held)
				return keyErr(s, err)
			}
			s.recheck = true
		}
		held = append(held, s)
	}
	if len(held) == 0 {
		return nil
	}

	// Re-check. A key whose first read found no value is read again now
	// that its lock is held, because of this interleaving:
	//
	//	A reads k: missing          B reads k: missing
	//	A locks k                   B waits for k's lock
	//	A creates, stores, unlocks  B locks k
	//	                            B must not create again: k is there
	//
	// The same happens without any wait when A's whole cycle fits between
	// B's read and B's lock. A key whose first read found a stale value is
	// not read again (dogpile.cache removed that read in its issue 122): the
	// caller that wins its TryLock regenerates it, one round trip fewer on
	// every regeneration. The price is a rare second regeneration when
	// another caller's cycle fits between this caller's read and TryLock,
	// which is no worse than the stale value's expiry racing the read.
	var again []*slot[T]
	for _, s := range held {
		if s.recheck {
			again = append(again, s)
		}
	}
	if len(again) > 0 {
		mks := make([]string, len(again))
		for i, s := range again {
			mks[i] = s.mk
		}
		got, err := readMany[T](ctx, r, st, mks, c)
		if err != nil {
			if !r.errorsAsMisses {
				releaseAll(ctx, r, held)
				return err
			}
			r.logger.Warn("region: driver error treated as a miss", "region", r.name, "err", err)
		}
		for i, s := range again {
			s.have = got[i]
		}
	}

	// Serve what is there now; create the rest.
	var toCreate, background []*slot[T]
	for _, s := range held {
		switch {
		case s.have.f == fresh:
			s.serve(s.have.v)
			r.release(ctx, s.mu)
		case s.have.f == stale && r.async != nil:
			r.stats.staleServed.Add(1)
			s.serve(s.have.v)
			background = append(background, s)
		default:
			toCreate = append(toCreate, s)
		}
	}
	if len(background) > 0 {
		cc := *c // the task's own copy: c lives on the caller's stack
		r.spawn(ctx, func(bg context.Context) {
			if _, err := regenerate(bg, r, st, &cc, background, creator); err != nil {
				r.logger.Warn("region: async regeneration failed", "region", r.name, "err", err)
			}
		})
	}
	if len(toCreate) == 0 {
		return nil
	}
	made, err := regenerate(ctx, r, st, c, toCreate, creator)
	if err != nil {
		return err
	}
	for _, s := range toCreate {
		if v, ok := made[s.key]; ok {
			s.serve(v)
		}
	}
	return nil
}

// regenerate runs creator for the held slots, stores what it made (unless
// ShouldCache refuses it), releases their locks and returns what it made.
// It does not touch the slots' results: an async regeneration runs while
// the caller reads them.
func regenerate[T any](ctx context.Context, r *Region, st *state, c *callConfig, slots []*slot[T], creator func(context.Context, []string) (map[string]T, error)) (map[string]T, error) {
	defer releaseAll(ctx, r, slots)
	names := make([]string, len(slots))
	for i, s := range slots {
		names[i] = s.key
	}
	made, err := create(ctx, r, func(ctx context.Context) (map[string]T, error) { return creator(ctx, names) })
	if err != nil {
		return nil, err
	}
	items := make([]keyed[T], 0, len(slots))
	for _, s := range slots {
		v, ok := made[s.key]
		if !ok || (c.shouldCache != nil && !c.shouldCache(v)) {
			continue
		}
		items = append(items, keyed[T]{key: s.key, mk: s.mk, v: v})
	}
	if len(items) == 0 {
		return made, nil
	}
	if err := writeMany(ctx, r, st, items, c); err != nil {
		if errors.Is(err, ErrEncode) || !r.errorsAsMisses {
			return nil, fmt.Errorf("store: %w", err)
		}
		r.logger.Warn("region: created values not stored", "region", r.name, "err", err)
	}
	return made, nil
}

// lockMissing takes mu for a missing value, waiting if need be. When the
// driver's lock service fails (not the context) and the region treats
// driver errors as misses, it falls back to the in-process mutex alone, so
// the creator still runs, once per process.
func (r *Region) lockMissing(ctx context.Context, mk string, mu Mutex) (Mutex, error) {
	err := r.lockWait(ctx, mu)
	if err == nil || ctx.Err() != nil {
		return mu, err
	}
	if _, layered := mu.(*layeredMutex); !layered {
		return mu, err
	}
	r.lockFailed(err)
	if !r.errorsAsMisses {
		return mu, err
	}
	r.logger.Warn("region: distributed lock failed; locking in this process only", "region", r.name, "err", err)
	local := &localMutex{reg: r.locks, key: mk}
	return local, r.lockWait(ctx, local)
}

// lockWait takes mu, waiting if need be, and counts the wait.
func (r *Region) lockWait(ctx context.Context, mu Mutex) error {
	if ok, err := mu.TryLock(ctx); err != nil || ok {
		return err
	}
	start := time.Now()
	err := mu.Lock(ctx)
	r.stats.lockWaits.Add(1)
	r.stats.lockWaitNan.Add(uint64(time.Since(start)))
	return err
}

// release is the one place the region unlocks. It unlocks mu even when
// ctx is already done (a creator cancelled by its caller must not leave
// the lock behind until it expires), but within driver.UnlockContext's bound: a
// hung lock service keeps the caller at most driver.UnlockGrace past its deadline.
// A lock that had expired (ErrLockLost) is logged and counted in
// Stats.LocksLost; any other failure is a lock-service failure, logged and
// counted, after which the lock expires on its own.
func (r *Region) release(ctx context.Context, mu Mutex) {
	uctx, cancel := driver.UnlockContext(ctx)
	defer cancel()
	err := mu.Unlock(uctx)
	switch {
	case err == nil:
	case errors.Is(err, ErrLockLost):
		r.stats.locksLost.Add(1)
		r.logger.Warn("region: the lock had expired before it was released; raise the driver's lock_timeout above the longest creator run",
			"region", r.name, "err", err)
	default:
		r.lockFailed(err)
		r.logger.Warn("region: unlock failed; the lock expires on its own", "region", r.name, "err", err)
	}
}

// releaseAll releases the locks of slots.
func releaseAll[T any](ctx context.Context, r *Region, slots []*slot[T]) {
	for _, s := range slots {
		r.release(ctx, s.mu)
	}
}

// lockFailed counts a failure of the lock service.
func (r *Region) lockFailed(error) {
	r.stats.driverErrors.Add(1)
	r.stats.lockErrors.Add(1)
}

// create runs creator, counting and timing it and turning a panic into
// ErrCreatorPanic.
func create[T any](ctx context.Context, r *Region, creator func(context.Context) (T, error)) (v T, err error) {
	start := time.Now()
	r.stats.creatorRuns.Add(1)
	defer func() {
		if p := recover(); p != nil {
			r.logger.Error("region: creator panicked", "region", r.name, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", ErrCreatorPanic, p)
		}
		if err != nil {
			r.stats.creatorErrors.Add(1)
		}
		r.stats.creatorNanos.Add(uint64(time.Since(start)))
	}()
	return creator(ctx)
}

// spawn hands task to the async runner with a context that keeps ctx's
// values but not its cancellation. After Close it runs task inline.
func (r *Region) spawn(ctx context.Context, task func(context.Context)) {
	bg := context.WithoutCancel(ctx)
	r.asyncMu.Lock()
	if r.closed.Load() {
		r.asyncMu.Unlock()
		task(bg)
		return
	}
	r.tasks.Add(1)
	r.asyncMu.Unlock()
	r.async(func() {
		defer r.tasks.Done()
		task(bg)
	})
}
