package region

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"time"
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
	st, c, err := r.prepare(key, false, opts)
	if err != nil {
		return zero, err
	}
	mk := st.mangleKey(key)
	v, _, f, err := lookup[T](ctx, r, st, mk, &c)
	if err != nil {
		if !r.errorsAsMisses {
			return zero, fmt.Errorf("region %q: get or create %q: %w", r.name, key, err)
		}
		r.logger.Warn("region: driver error treated as a miss", "region", r.name, "key", key, "err", err)
	}
	if f == fresh {
		r.stats.hits.Add(1)
		return v, nil
	}
	mu := r.mutexFor(st, mk)
	if f == stale {
		ok, err := mu.TryLock(ctx)
		if err != nil {
			// The lock service failed: serving the stale value is the
			// safe answer, and the next call tries again.
			r.stats.driverErrors.Add(1)
			r.logger.Warn("region: lock failed; serving stale value", "region", r.name, "key", key, "err", err)
			r.stats.staleServed.Add(1)
			return v, nil
		}
		if !ok {
			r.stats.staleServed.Add(1)
			return v, nil
		}
	} else {
		r.stats.misses.Add(1)
		if mu, err = r.lockMissing(ctx, mk, mu); err != nil {
			return zero, fmt.Errorf("region %q: get or create %q: %w", r.name, key, err)
		}
	}
	// Locked. Someone may have created the value while we waited.
	v2, _, f2, err := lookup[T](ctx, r, st, mk, &c)
	if err != nil && !r.errorsAsMisses {
		_ = mu.Unlock(context.WithoutCancel(ctx))
		return zero, fmt.Errorf("region %q: get or create %q: %w", r.name, key, err)
	}
	switch {
	case f2 == fresh:
		_ = mu.Unlock(context.WithoutCancel(ctx))
		return v2, nil
	case f2 == stale && r.async != nil:
		r.stats.staleServed.Add(1)
		cc := c // the task's own copy, so c stays on the caller's stack
		r.spawn(ctx, func(bg context.Context) {
			defer mu.Unlock(bg)
			if nv, err := create(bg, r, creator); err == nil {
				if err := store(bg, r, st, mk, key, nv, &cc); err != nil {
					r.logger.Warn("region: async regeneration not stored", "region", r.name, "key", key, "err", err)
				}
			} else {
				r.logger.Warn("region: async regeneration failed", "region", r.name, "key", key, "err", err)
			}
		})
		return v2, nil
	}
	defer mu.Unlock(context.WithoutCancel(ctx))
	nv, err := create(ctx, r, creator)
	if err != nil {
		return zero, fmt.Errorf("region %q: get or create %q: %w", r.name, key, err)
	}
	if err := store(ctx, r, st, mk, key, nv, &c); err != nil {
		return zero, err
	}
	return nv, nil
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
	out := make(map[string]T, len(ks.orig))
	if len(ks.orig) == 0 {
		return out, nil
	}
	readAll := func(mks []string) (map[string][]byte, error) {
		raw, err := st.driver.GetMulti(ctx, mks)
		if err != nil {
			r.stats.driverErrors.Add(1)
			if !r.errorsAsMisses {
				return nil, fmt.Errorf("region %q: get or create multi: %w", r.name, err)
			}
			r.logger.Warn("region: driver error treated as a miss", "region", r.name, "err", err)
			return map[string][]byte{}, nil
		}
		return raw, nil
	}
	raw, err := readAll(ks.mangled)
	if err != nil {
		return nil, err
	}

	type pending struct {
		key, mk string
		f       freshness
		v       T
		mu      Mutex
	}
	var todo []*pending
	now := wallNanos()
	for i, mk := range ks.mangled {
		v, _, f := judgeBytes[T](ctx, r, st, raw[mk], &c, now)
		if f == fresh {
			out[ks.orig[i]] = v
			r.stats.hits.Add(1)
			continue
		}
		todo = append(todo, &pending{key: ks.orig[i], mk: mk, f: f, v: v})
	}
	if len(todo) == 0 {
		return out, nil
	}
	slices.SortFunc(todo, func(a, b *pending) int {
		switch {
		case a.mk < b.mk:
			return -1
		case a.mk > b.mk:
			return 1
		}
		return 0
	})

	var held []*pending
	unlockAll := func(ps []*pending) {
		for _, p := range ps {
			_ = p.mu.Unlock(context.WithoutCancel(ctx))
		}
	}
	for _, p := range todo {
		p.mu = r.mutexFor(st, p.mk)
		if p.f == stale {
			ok, err := p.mu.TryLock(ctx)
			if err != nil || !ok {
				if err != nil {
					r.stats.driverErrors.Add(1)
				}
				out[p.key] = p.v
				r.stats.staleServed.Add(1)
				continue
			}
		} else {
			r.stats.misses.Add(1)
			if p.mu, err = r.lockMissing(ctx, p.mk, p.mu); err != nil {
				unlockAll(held)
				return nil, fmt.Errorf("region %q: get or create multi %q: %w", r.name, p.key, err)
			}
		}
		held = append(held, p)
	}
	if len(held) == 0 {
		return out, nil
	}

	// Locked: read again what others may have made meanwhile.
	mks := make([]string, len(held))
	for i, p := range held {
		mks[i] = p.mk
	}
	raw, err = readAll(mks)
	if err != nil {
		unlockAll(held)
		return nil, err
	}
	now = wallNanos()
	var toCreate, background []*pending
	for _, p := range held {
		v, _, f := judgeBytes[T](ctx, r, st, raw[p.mk], &c, now)
		switch {
		case f == fresh:
			out[p.key] = v
			_ = p.mu.Unlock(context.WithoutCancel(ctx))
		case f == stale && r.async != nil:
			out[p.key] = v
			r.stats.staleServed.Add(1)
			background = append(background, p)
		default:
			toCreate = append(toCreate, p)
		}
	}

	// regenerate runs creator for ps, stores and returns what it made,
	// then releases their locks.
	regenerate := func(ctx context.Context, ps []*pending) (map[string]T, error) {
		defer unlockAll(ps)
		names := make([]string, len(ps))
		for i, p := range ps {
			names[i] = p.key
		}
		made, err := create(ctx, r, func(ctx context.Context) (map[string]T, error) { return creator(ctx, names) })
		if err != nil {
			return nil, err
		}
		items := make(map[string][]byte, len(ps))
		stamp := time.Now()
		for _, p := range ps {
			v, ok := made[p.key]
			if !ok || (c.shouldCache != nil && !c.shouldCache(v)) {
				continue
			}
			b, err := encodeValue(r.codec, v, stamp)
			if err != nil {
				return nil, fmt.Errorf("region %q: get or create multi %q: %w", r.name, p.key, err)
			}
			items[p.mk] = b
		}
		if len(items) > 0 {
			if err := st.driver.SetMulti(ctx, items, st.ttl(&c)); err != nil {
				r.stats.driverErrors.Add(1)
				if !r.errorsAsMisses {
					return nil, fmt.Errorf("region %q: get or create multi: store: %w", r.name, err)
				}
				r.logger.Warn("region: created values not stored", "region", r.name, "err", err)
			}
		}
		return made, nil
	}

	if len(background) > 0 {
		r.spawn(ctx, func(bg context.Context) {
			if _, err := regenerate(bg, background); err != nil {
				r.logger.Warn("region: async regeneration failed", "region", r.name, "err", err)
			}
		})
	}
	if len(toCreate) > 0 {
		made, err := regenerate(ctx, toCreate)
		if err != nil {
			return nil, fmt.Errorf("region %q: get or create multi: %w", r.name, err)
		}
		for _, p := range toCreate {
			if v, ok := made[p.key]; ok {
				out[p.key] = v
			}
		}
	}
	return out, nil
}

// lockMissing takes mu for a missing value, waiting if need be. When the
// driver's lock service fails (not the context) and the region treats
// driver errors as misses, it falls back to the in-process mutex alone, so
// the creator still runs, once per process.
func (r *Region) lockMissing(ctx context.Context, mk string, mu Mutex) (Mutex, error) {
	err := r.lockWait(ctx, mu)
	if err == nil || !r.errorsAsMisses || ctx.Err() != nil {
		return mu, err
	}
	if _, layered := mu.(*layeredMutex); !layered {
		return mu, err
	}
	r.stats.driverErrors.Add(1)
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

// store writes a created value unless ShouldCache rejects it.
func store[T any](ctx context.Context, r *Region, st *state, mk, key string, v T, c *callConfig) error {
	if c.shouldCache != nil && !c.shouldCache(v) {
		return nil
	}
	b, err := encodeValue(r.codec, v, time.Now())
	if err != nil {
		return fmt.Errorf("region %q: get or create %q: %w", r.name, key, err)
	}
	if err := st.driver.Set(ctx, mk, b, st.ttl(c)); err != nil {
		r.stats.driverErrors.Add(1)
		if r.errorsAsMisses {
			r.logger.Warn("region: created value not stored", "region", r.name, "key", key, "err", err)
			return nil
		}
		return fmt.Errorf("region %q: get or create %q: store: %w", r.name, key, err)
	}
	return nil
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
